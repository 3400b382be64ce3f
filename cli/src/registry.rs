//! `tongban registry verify|show|diff|install`: what an operator runs to inspect and
//! roll out a registry update.

use crate::{read_input, time_or_now, Failure, Output};
use clap::Subcommand;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tongban::registry::{diff, Registry, REGISTRY_LIMITS};
use tongban::Timestamp;

/// Registry operations.
#[derive(Subcommand)]
pub(crate) enum RegistryCommand {
    /// Verify a registry: a first one against its own operator keys, or an update
    /// against the registry you trust (--trusted) the way TUF rotates its root.
    Verify {
        /// The registry to verify.
        file: PathBuf,
        /// The registry currently trusted; FILE must be its valid successor.
        #[arg(long)]
        trusted: Option<PathBuf>,
        /// Verify as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Verify a registry and print its content (members, agreements, catalogues,
    /// calendar).
    Show {
        /// The registry.
        file: PathBuf,
        /// Verify as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Install a registry on a running reference node through its operator API: the
    /// node accepts it only as an update of the registry in force, pins it and uses it
    /// from the next message on, without a restart.
    Install {
        /// The new registry.
        file: PathBuf,
        /// The node's operator API (`http://127.0.0.1:7401`).
        #[arg(long)]
        operator: String,
        /// The file holding the operator API's bearer token (mode 600).
        #[arg(long)]
        operator_token_file: PathBuf,
    },
    /// Verify two registries, say whether NEW is a valid update of OLD, and list what
    /// was added, removed and changed.
    Diff {
        /// The older registry.
        old: PathBuf,
        /// The newer registry.
        new: PathBuf,
        /// Verify as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
    },
}

/// Reads a registry file and accepts it on its own operator keys, every form schema
/// compiled.
pub(crate) fn load(path: &Path, now: &Timestamp) -> Result<Registry, Failure> {
    let bytes = read_input(Some(path), REGISTRY_LIMITS.max_bytes + 1)?;
    let registry = Registry::bootstrap(&bytes, now)?;
    registry.compile_forms()?;
    Ok(registry)
}

fn summary(registry: &Registry) -> Value {
    let doc = registry.document();
    json!({
        "version": doc.version,
        "issued": doc.issued,
        "expires": doc.expires,
        "sha256": registry.digest(),
        "operator": {
            "name": doc.operator.name,
            "threshold": doc.operator.threshold,
            "keys": doc.operator.keys.iter().map(|k| k.key_id.as_str()).collect::<Vec<_>>(),
        },
        "members": doc.members.len(),
        "agreements": doc.agreements.iter().map(|a| json!({
            "id": a.id, "name": a.name, "kind": a.kind, "items": a.items.len(),
            "themes": a.themes.len(),
        })).collect::<Vec<_>>(),
        "calendar_years": doc.calendar.years.keys().collect::<Vec<_>>(),
    })
}

pub(crate) fn run(command: RegistryCommand) -> Result<Output, Failure> {
    match command {
        RegistryCommand::Verify { file, trusted, at } => {
            let now = time_or_now(at)?;
            let registry = match trusted {
                None => load(&file, &now)?,
                Some(trusted) => {
                    let bytes = read_input(Some(&trusted), REGISTRY_LIMITS.max_bytes + 1)?;
                    let trusted = Registry::load_trusted(&bytes)?;
                    let bytes = read_input(Some(&file), REGISTRY_LIMITS.max_bytes + 1)?;
                    let next = trusted.update(&bytes, &now)?;
                    next.compile_forms()?;
                    next
                }
            };
            Ok(Output::Value(
                "registry verified".into(),
                summary(&registry),
            ))
        }
        RegistryCommand::Show { file, at } => {
            let registry = load(&file, &time_or_now(at)?)?;
            let mut document = serde_json::to_value(registry.document()).unwrap_or_default();
            if let Value::Object(members) = &mut document {
                members.remove("signatures");
                members.insert("sha256".into(), json!(registry.digest()));
            }
            Ok(Output::Value("registry".into(), document))
        }
        RegistryCommand::Install {
            file,
            operator,
            operator_token_file,
        } => install(&file, &operator, &operator_token_file),
        RegistryCommand::Diff { old, new, at } => {
            let now = time_or_now(at)?;
            let old_bytes = read_input(Some(&old), REGISTRY_LIMITS.max_bytes + 1)?;
            let new_bytes = read_input(Some(&new), REGISTRY_LIMITS.max_bytes + 1)?;
            let old = Registry::load_trusted(&old_bytes)?;
            let new = Registry::load_trusted(&new_bytes)?;
            let mut changes = serde_json::to_value(diff(&old, &new)).unwrap_or_default();
            let update = match old.update(&new_bytes, &now) {
                Ok(_) => json!({"accepted": true}),
                Err(e) => json!({"accepted": false, "code": e.code(), "message": e.to_string()}),
            };
            if let Value::Object(members) = &mut changes {
                members.insert("update".into(), update);
            }
            Ok(Output::Value("registry diff".into(), changes))
        }
    }
}

/// The stable code of an answer's code: the protocol's, the binding's or the operator
/// API's; `transport.bad_response` for one none of them knows.
fn known_code(code: &str) -> &'static str {
    tongban::ERROR_CODES
        .iter()
        .chain(tongban::http::BINDING_CODES)
        .map(|(known, _)| *known)
        .chain(
            partner_node::auth::OPERATOR_CODES
                .iter()
                .map(|(known, _, _)| *known),
        )
        .find(|known| *known == code)
        .unwrap_or("transport.bad_response")
}

/// `tongban registry install`.
fn install(file: &Path, operator: &str, token_file: &Path) -> Result<Output, Failure> {
    let bytes = read_input(Some(file), REGISTRY_LIMITS.max_bytes + 1)?;
    let token = partner_node::auth::OperatorToken::load(token_file).map_err(|e| Failure {
        code: crate::USAGE,
        message: e.to_string(),
    })?;
    let client = partner_node::demo::OperatorClient::at(operator, token.secret());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: "cli.io",
            message: format!("cannot start the async runtime: {e}"),
        })?;
    match runtime.block_on(client.install_registry(bytes)) {
        Ok(installed) => Ok(Output::Value("registry installed".into(), installed)),
        Err(e) if e.status == 0 => Err(Failure {
            code: "transport.unreachable",
            message: format!("{operator}: {}", e.body),
        }),
        Err(e) => Err(Failure {
            code: e
                .code()
                .as_deref()
                .map_or("transport.bad_response", known_code),
            message: format!(
                "{operator} refused the registry (HTTP {}): {}",
                e.status, e.body
            ),
        }),
    }
}
