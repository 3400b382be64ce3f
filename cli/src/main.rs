//! The `tongban` command: keys, canonicalization, signing, verification, inspection,
//! file references and schemas, for scripts and people.
//!
//! Every command reads a file or standard input. On success it exits 0; on failure it
//! exits 1 (2 for bad usage, code `cli.usage`) and prints `CODE: message` on standard
//! error, or with `--json` one object `{"ok": false, "code": …, "message": …}` on
//! standard output.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod conformance;
mod file;
mod registry;

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tongban::crypto::{KeyFile, KeySetFile};
use tongban::json::Limits;
use tongban::{
    CreditCodePolicy, KeyId, KeyPair, KeySet, NodeId, ParseOptions, Timestamp, Unverified, Verifier,
};

/// Signed case-transfer messages between government service centres.
#[derive(Parser)]
#[command(name = "tongban", version, about)]
struct Cli {
    /// Print one JSON object `{"ok", "code", "message", …}` instead of plain text.
    #[arg(long, global = true)]
    json: bool,
    /// Accept unified social credit codes whose check character is wrong (codes issued
    /// in early pilot regions), with a warning, instead of refusing them.
    #[arg(long, global = true)]
    lenient_credit_codes: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a key file (mode 0600), Ed25519 or with --alg sm2-sm3 SM2, and print its
    /// public part; with a sealing suite as --alg, a sealing key (§24) for the registry's
    /// `sealing_keys`.
    Keygen {
        /// Where to write the key file; it must not exist unless --force is given.
        #[arg(long)]
        out: PathBuf,
        /// The node the key signs for, e.g. huangshi.420200.
        #[arg(long)]
        node: String,
        /// The key id (default: NODE#FINGERPRINT, the first 8 hex digits of the public key's SHA-256).
        #[arg(long)]
        kid: Option<String>,
        /// The suite: ed25519, or sm2-sm3 (SM2 with SM3, the national suite), to sign; or
        /// hpke-x25519-sha256-aes128gcm, or sm2-sm4-gcm (SM2 and SM4-GCM), to be sealed to.
        #[arg(long, default_value = "ed25519")]
        alg: String,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Write the RFC 8785 canonical form of any I-JSON document (up to 64 MiB and 256
    /// levels of nesting).
    Canonicalize {
        /// The document (default: standard input).
        file: Option<PathBuf>,
    },
    /// Add a signature to an envelope and write the signed, canonical message.
    Sign {
        /// The key file from `tongban keygen`.
        #[arg(long)]
        key: PathBuf,
        /// The envelope (default: standard input).
        envelope: Option<PathBuf>,
    },
    /// Verify a message against a file of trusted public keys.
    Verify {
        /// The trust registry: checks members, keys, agreements, items, modes, forms and
        /// materials.
        #[arg(long, required_unless_present = "keys", conflicts_with = "keys")]
        registry: Option<PathBuf>,
        /// Instead of a registry, a key-set file:
        /// {"keys": [{"kid", "owner", "alg", "public_key"}, …]} (signatures only).
        #[arg(long)]
        keys: Option<PathBuf>,
        /// Refuse messages not addressed to this node (a node checking its inbox).
        #[arg(long, required_unless_present = "any_receiver")]
        receiver: Option<String>,
        /// Accept messages addressed to any node (inspecting others' messages); one of
        /// --receiver and --any-receiver is required.
        #[arg(long, conflicts_with = "receiver")]
        any_receiver: bool,
        /// The message (default: standard input).
        envelope: Option<PathBuf>,
        /// Verify as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
        /// (1.1) A sealing key file of the receiver (repeatable): open a sealed body
        /// after verifying (§24.5) and show the body, identity and telephone numbers
        /// masked.
        #[arg(long = "sealing-key")]
        sealing_keys: Vec<PathBuf>,
        /// With --sealing-key, show identity and telephone numbers as they are.
        #[arg(long, requires = "sealing_keys")]
        unmasked: bool,
    },
    /// Verify, show and compare trust registries.
    Registry {
        #[command(subcommand)]
        command: registry::RegistryCommand,
    },
    /// List, run and regenerate the conformance vectors.
    Conformance {
        #[command(subcommand)]
        command: conformance::ConformanceCommand,
    },
    /// Make and check the references of the files a message names (§23).
    File {
        #[command(subcommand)]
        command: file::FileCommand,
    },
    /// Print a readable summary of a message WITHOUT verifying it. Citizen identity
    /// numbers and telephone numbers in its body are masked (420202********1232,
    /// 138****0000) unless --unmasked is given.
    Inspect {
        /// The message (default: standard input).
        envelope: Option<PathBuf>,
        /// Show identity and telephone numbers as they are.
        #[arg(long)]
        unmasked: bool,
    },
    /// Print a JSON Schema (default: envelope).
    Schema {
        /// One of: envelope, transfer, receipt, status_update, supplement_request,
        /// supplement, decision, withdrawal, protocol_error, key_set, key_file, registry.
        name: Option<String>,
    },
}

/// The code of a bad command line (exit status 2).
pub(crate) const USAGE: &str = "cli.usage";

/// The most a protocol command reads: one byte past the protocol's size limit, so that
/// a larger input is refused with `json.too_large` without being read whole.
const PROTOCOL_READ_LIMIT: usize = Limits::PROTOCOL.max_bytes + 1;

/// The limits of `tongban canonicalize`, which handles any I-JSON document.
const CANONICALIZE_LIMITS: Limits = Limits {
    max_bytes: 64 * 1024 * 1024,
    max_depth: Limits::MAX_DEPTH,
};

/// A failure: a stable code and a message.
pub(crate) struct Failure {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl From<tongban::Error> for Failure {
    fn from(e: tongban::Error) -> Self {
        Failure {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

fn io_failure(what: &str, path: Option<&Path>, e: std::io::Error) -> Failure {
    let place = path.map_or("standard input/output".to_string(), |p| {
        p.display().to_string()
    });
    Failure {
        code: "cli.io",
        message: format!("cannot {what} {place}: {e}"),
    }
}

/// What a successful command prints: raw text, or a value (pretty-printed, or under
/// `result` with --json).
pub(crate) enum Output {
    Text(String),
    Value(String, Value),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let json = std::env::args_os().any(|a| a == "--json");
            let failure = Failure {
                code: USAGE,
                message: e.to_string().trim().to_string(),
            };
            report_failure(json, &failure);
            return ExitCode::from(2);
        }
    };
    let options = ParseOptions {
        credit_codes: if cli.lenient_credit_codes {
            CreditCodePolicy::Lenient
        } else {
            CreditCodePolicy::Strict
        },
    };
    match run(cli.command, options) {
        Ok(output) => {
            let text = match (output, cli.json) {
                (Output::Text(text), false) => text,
                (Output::Value(_, value), false) => pretty(&value),
                (Output::Text(text), true) => {
                    pretty(&json!({"ok": true, "code": null, "message": "ok", "result": text}))
                }
                (Output::Value(message, value), true) => {
                    pretty(&json!({"ok": true, "code": null, "message": message, "result": value}))
                }
            };
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(failure) => {
            report_failure(cli.json, &failure);
            if failure.code == USAGE {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn report_failure(json: bool, failure: &Failure) {
    if json {
        println!(
            "{}",
            json!({"ok": false, "code": failure.code, "message": failure.message})
        );
    } else {
        eprintln!("{}: {}", failure.code, failure.message);
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// Reads a file, or standard input for `None` or `-`, up to `limit` bytes.
pub(crate) fn read_input(path: Option<&Path>, limit: usize) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(limit).unwrap_or(u64::MAX);
    match path {
        Some(p) if p != Path::new("-") => {
            let file = std::fs::File::open(p).map_err(|e| io_failure("read", Some(p), e))?;
            file.take(limit)
                .read_to_end(&mut bytes)
                .map_err(|e| io_failure("read", Some(p), e))?;
        }
        _ => {
            std::io::stdin()
                .take(limit)
                .read_to_end(&mut bytes)
                .map_err(|e| io_failure("read", None, e))?;
        }
    }
    Ok(bytes)
}

/// Reads a JSON file through the strict parser and deserializes it.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, Failure> {
    let bytes = read_input(Some(path), PROTOCOL_READ_LIMIT)?;
    let value = tongban::json::parse(&bytes).map_err(tongban::Error::from)?;
    tongban::shape::from_value(&value).map_err(|e| Failure {
        code: "key.malformed",
        message: format!("{}: not a {what}: {e}", path.display()),
    })
}

fn run(command: Command, options: ParseOptions) -> Result<Output, Failure> {
    let read_message = |path: Option<PathBuf>| -> Result<Unverified, Failure> {
        let bytes = read_input(path.as_deref(), PROTOCOL_READ_LIMIT)?;
        Ok(Unverified::parse_with(&bytes, options)?)
    };
    match command {
        Command::Keygen {
            out,
            node,
            kid,
            alg,
            force,
        } => keygen(&out, &node, kid.as_deref(), &alg, force),
        Command::Canonicalize { file } => {
            let bytes = read_input(file.as_deref(), CANONICALIZE_LIMITS.max_bytes + 1)?;
            let value = tongban::json::parse_with_limits(&bytes, CANONICALIZE_LIMITS)
                .map_err(tongban::Error::from)?;
            let bytes = tongban::canonical::to_canonical_bytes(&value);
            Ok(Output::Text(String::from_utf8_lossy(&bytes).into_owned()))
        }
        Command::Sign { key, envelope } => {
            let file: KeyFile = read_json(&key, "key file")?;
            let pair = KeyPair::from_file(&file).map_err(tongban::Error::from)?;
            let message = read_message(envelope)?;
            if &message.envelope().from != pair.owner() {
                return Err(Failure {
                    code: "signature.key_not_sender",
                    message: format!(
                        "key {} belongs to {}, but the envelope is from {}",
                        pair.key_id(),
                        pair.owner(),
                        message.envelope().from
                    ),
                });
            }
            let mut document = message.document().clone();
            tongban::signing::sign_document(&mut document, &pair)?;
            let bytes = tongban::canonical::to_canonical_bytes(&document);
            Ok(Output::Text(String::from_utf8_lossy(&bytes).into_owned()))
        }
        Command::Verify {
            registry,
            keys,
            receiver,
            any_receiver: _,
            envelope,
            at,
            sealing_keys,
            unmasked,
        } => {
            let now = time_or_now(at)?;
            let message = read_message(envelope)?;
            let receiver = receiver
                .map(NodeId::parse)
                .transpose()
                .map_err(tongban::Error::from)?;
            let mut opening = Vec::new();
            for path in &sealing_keys {
                let file: KeyFile = read_json(path, "sealing key file")?;
                opening.push(
                    tongban::seal::SealingKeyPair::from_file(&file)
                        .map_err(tongban::Error::from)?,
                );
            }
            let verified = match (registry, keys) {
                (Some(path), _) => {
                    let registry = registry::load(&path, &now)?;
                    let verifier = Verifier::new(&registry).for_receiver_or_any(receiver);
                    verify_and_open(&verifier, message, &opening, &now)?
                }
                (None, Some(path)) => {
                    let file: KeySetFile = read_json(&path, "key-set file")?;
                    let keys = KeySet::from_file(&file).map_err(tongban::Error::from)?;
                    let verifier = Verifier::new(keys).for_receiver_or_any(receiver);
                    verify_and_open(&verifier, message, &opening, &now)?
                }
                (None, None) => {
                    return Err(Failure {
                        code: USAGE,
                        message: "give --registry FILE or --keys FILE".into(),
                    })
                }
            };
            let mut summary = serde_json::to_value(verified.summary()).unwrap_or_default();
            summary["sealed"] = json!(verified.arrived_sealed());
            if !opening.is_empty() {
                let typed = serde_json::to_value(&verified.envelope().body).unwrap_or_default();
                summary["body"] = match unmasked {
                    true => typed["body"].clone(),
                    false => tongban::mask::masked(&typed["body"]),
                };
            }
            Ok(Output::Value("verified".into(), summary))
        }
        Command::Registry { command } => registry::run(command),
        Command::Conformance { command } => conformance::run(command),
        Command::File { command } => file::run(command),
        Command::Inspect { envelope, unmasked } => inspect(read_message(envelope)?, unmasked),
        Command::Schema { name } => {
            let name = name.unwrap_or_else(|| "envelope".into());
            tongban::schema::schema(&name)
                .map(|schema| Output::Value(format!("schema {name}"), schema))
                .ok_or_else(|| Failure {
                    code: USAGE,
                    message: format!(
                        "unknown schema {name:?}; known: {}",
                        tongban::schema::SCHEMA_NAMES.join(", ")
                    ),
                })
        }
    }
}

/// The time given with `--at`, or now.
pub(crate) fn time_or_now(at: Option<String>) -> Result<Timestamp, Failure> {
    match at {
        Some(text) => Ok(Timestamp::parse(text).map_err(tongban::Error::from)?),
        None => Ok(Timestamp::now()),
    }
}

fn keygen(
    out: &Path,
    node: &str,
    kid: Option<&str>,
    alg: &str,
    force: bool,
) -> Result<Output, Failure> {
    let node = NodeId::parse(node).map_err(tongban::Error::from)?;
    let kid = kid
        .map(KeyId::parse)
        .transpose()
        .map_err(tongban::Error::from)?;
    // A sealing suite's name makes a sealing key (§24); any other a signing key.
    let file = match tongban::seal::SealingSuite::from_name(alg) {
        Ok(suite) => tongban::seal::SealingKeyPair::generate(suite, node, kid)
            .map_err(tongban::Error::from)?
            .to_file(),
        Err(_) => {
            let algorithm = tongban::Algorithm::try_from(alg).map_err(tongban::Error::from)?;
            KeyPair::generate_for(algorithm, node, kid)
                .map_err(tongban::Error::from)?
                .to_file()
        }
    };
    let text = serde_json::to_string_pretty(&file).unwrap_or_default() + "\n";
    write_secret_file(out, text.as_bytes(), force)
        .map_err(|e| io_failure("write", Some(out), e))?;
    let public = serde_json::to_value(&file.entry).unwrap_or_default();
    Ok(Output::Value(format!("wrote {}", out.display()), public))
}

/// Writes `bytes` to a new file readable only by its owner. With `force` an existing
/// file (or symbolic link) is removed first, never written through.
fn write_secret_file(path: &Path, bytes: &[u8], force: bool) -> std::io::Result<()> {
    if force {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

/// Verifies `message`, then opens its sealed body with `opening` when any key is given.
fn verify_and_open<R: tongban::KeyResolver>(
    verifier: &Verifier<R>,
    message: Unverified,
    opening: &[tongban::seal::SealingKeyPair],
    now: &Timestamp,
) -> Result<tongban::Verified, tongban::Error> {
    match opening.is_empty() {
        true => verifier.verify(message, now),
        false => verifier.verify_and_open(message, opening, now),
    }
}

fn inspect(message: Unverified, unmasked: bool) -> Result<Output, Failure> {
    let e = message.envelope();
    let signatures: Vec<Value> = e
        .signatures
        .iter()
        .map(|s| json!({"alg": s.algorithm, "kid": s.key_id.as_str()}))
        .collect();
    let summary = json!({
        "verified": false,
        "warning": "NOT VERIFIED: signatures, keys, validity and replay were not checked",
        "type": e.message_type().as_str(),
        "protocol": e.protocol.to_string(),
        "id": e.id.as_str(),
        "case": e.case.as_str(),
        "in_reply_to": e.in_reply_to.as_ref().map(|m| m.as_str()),
        "from": e.from.as_str(),
        "to": e.to.as_str(),
        "agreement": e.agreement.as_str(),
        "created": e.created.as_str(),
        "expires": e.expires.as_str(),
        "signatures": signatures,
        "warnings": message.warnings(),
        "body": match message.document().get("body") {
            Some(body) if !unmasked => tongban::mask::masked(body),
            body => body.cloned().unwrap_or_default(),
        },
    });
    Ok(Output::Value("NOT VERIFIED".into(), summary))
}
