//! Mutual TLS with keys the registry names (§21.5), at a node that requires them: a
//! valid transfer over a connection presenting the tester's listed key is receipted
//! (the node's own key checked against the registry too); a connection with no client
//! certificate, or with one whose key no member lists, is refused in the handshake; a
//! message or a file request from another member than the one the connection's key is
//! listed for is refused with `tls.wrong_member`, the message before its signatures are
//! checked.
//!
//! These checks run when the tester is told that the node requires registry-named
//! client keys ([`TesterTls::registry_named_clients`]); otherwise they are skipped.
//! [`run_reference`] starts the reference node so configured, with certificates made
//! for the run.

use super::{expected, files, result, Outcome, Target, Tester};
use crate::run::{CaseResult, Verdict};
use partner_node::demo;
use partner_node::{start, Config};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tongban::client::{Client, ClientTls, RetryPolicy};
use tongban::http::{ErrorBody, MEDIA_TYPE};
use tongban::registry::Registry;
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::version::ProtocolVersion;
use tongban::*;

/// How the tester speaks TLS to the node.
#[derive(Debug, Clone, Default)]
pub struct TesterTls {
    /// The only certificate authorities trusted for the node's certificate (PEM);
    /// `None` for the usual web roots.
    pub roots_pem: Option<Vec<u8>>,
    /// The tester's certificate chain and private key (PEM), presented when the node
    /// asks; for the `tls/*` checks its key must be listed for the tester's member.
    pub identity_pem: Option<Vec<u8>>,
    /// Whether the node requires client keys that the registry names (§21.5): the
    /// `tls/*` checks run only then.
    pub registry_named_clients: bool,
    /// A certificate and key (PEM) that the node would otherwise admit (from its
    /// certificate authority, say) but whose key no member lists; a self-signed one
    /// made for the run when `None`.
    pub unlisted_identity_pem: Option<Vec<u8>>,
}

impl TesterTls {
    /// Reads the PEM files that are given.
    pub fn from_files(
        roots: Option<&Path>,
        identity: Option<&Path>,
        unlisted_identity: Option<&Path>,
        registry_named_clients: bool,
    ) -> Result<TesterTls, String> {
        let read = |path: Option<&Path>| {
            path.map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
                .transpose()
        };
        Ok(TesterTls {
            roots_pem: read(roots)?,
            identity_pem: read(identity)?,
            registry_named_clients,
            unlisted_identity_pem: read(unlisted_identity)?,
        })
    }
}

/// The checks, by id and description, in the order they run.
const CHECKS: [(&str, &str); 5] = [
    ("tls/listed_key", "a valid transfer over a connection presenting the tester's listed TLS key is receipted, the node's certificate key checked against the registry"),
    ("tls/no_certificate", "a connection without a client certificate is refused in the handshake"),
    ("tls/unlisted_key", "a connection presenting a certificate whose key no member lists is refused in the handshake"),
    ("tls/wrong_member", "a message from another member than the one the connection's key is listed for is refused before its signatures are checked"),
    ("tls/wrong_member_file_request", "a verified file request from another member than the one the connection's key is listed for is refused"),
];

/// Runs the checks against `target`, or reports them skipped if the tester was not told
/// that the node requires registry-named client keys.
pub(super) async fn run(target: &Target, record: &mut dyn FnMut(CaseResult)) {
    let Some(tls) = target.tls.as_ref().filter(|t| t.registry_named_clients) else {
        for (id, description) in CHECKS {
            record(skipped(id, description, "the node is not said to require TLS client keys the registry names (--registry-named-clients)"));
        }
        return;
    };
    let mut tester = match Tester::new(target) {
        Ok(tester) => tester,
        Err(why) => {
            for (id, description) in CHECKS {
                let started = Instant::now();
                record(result(
                    id,
                    description,
                    Value::Null,
                    Err(why.clone()),
                    started,
                ));
            }
            return;
        }
    };
    let accepted = json!({"status": 200, "receipt": "verified"});
    let refused = json!({"connection": "refused in the handshake"});

    let [listed, no_certificate, unlisted, wrong_member, wrong_requester] = CHECKS;
    let started = Instant::now();
    let outcome = deliver_pinned(&mut tester, tls)
        .await
        .map(|()| accepted.clone());
    record(result(listed.0, listed.1, accepted, outcome, started));

    let started = Instant::now();
    let outcome = post_with_identity(&mut tester, tls, None).await;
    record(result(
        no_certificate.0,
        no_certificate.1,
        refused.clone(),
        outcome,
        started,
    ));

    let started = Instant::now();
    let identity = match &tls.unlisted_identity_pem {
        Some(pem) => Ok(pem.clone()),
        None => self_signed(),
    };
    let outcome = match identity {
        Ok(identity) => post_with_identity(&mut tester, tls, Some(&identity)).await,
        Err(why) => Err(why),
    };
    record(result(unlisted.0, unlisted.1, refused, outcome, started));

    let started = Instant::now();
    match other_member(target) {
        Some(other) => {
            // Signed by the tester's key, not the other member's: the node must refuse
            // it for the connection before it looks at a signature.
            let bytes = tester.transfer(|v| v["from"] = json!(other.as_str()));
            let outcome = tester.refusal(bytes).await;
            record(result(
                wrong_member.0,
                wrong_member.1,
                expected(403, "tls.wrong_member"),
                outcome,
                started,
            ));
        }
        None => record(skipped(
            wrong_member.0,
            wrong_member.1,
            "the registry has no member besides the tester and the node",
        )),
    }

    let started = Instant::now();
    match files::third_member(&tester).filter(|_| files::exchanged(&tester)) {
        Some(stranger) => {
            let sha256 = Sha256Digest::of(b"tongban conformance: a file request over another member's connection");
            let header = files::request(&tester, &stranger, &sha256, &Timestamp::now());
            let outcome = files::refusal(files::get_signed(&tester, &sha256, header).await);
            record(result(wrong_requester.0, wrong_requester.1, expected(403, "tls.wrong_member"), outcome, started));
        }
        None => record(skipped(wrong_requester.0, wrong_requester.1, "needs a third member whose key the tester holds (the sample Wuhan) and a node speaking 1.1 with the tester")),
    }
}

fn skipped(id: &str, description: &str, reason: &str) -> CaseResult {
    let mut skipped = result(
        id,
        description,
        Value::Null,
        Ok(Value::Null),
        Instant::now(),
    );
    skipped.verdict = Verdict::Skipped {
        reason: reason.into(),
    };
    skipped
}

/// Delivers a valid transfer with the SDK's client, presenting the tester's identity
/// and checking the node's certificate key against the keys its host's members list.
async fn deliver_pinned(tester: &mut Tester<'_>, tls: &TesterTls) -> Result<(), String> {
    // The client asks for the keys host by host, after this call: its own copy.
    let registry = Registry::bootstrap(&tester.target.registry_bytes, &Timestamp::now())
        .map_err(|e| e.to_string())?;
    let client_tls = ClientTls {
        roots_pem: tls.roots_pem.clone(),
        identity_pem: tls.identity_pem.clone(),
        endpoint_keys: Some(Arc::new(move |host: &str| {
            tongban::client::endpoint_keys(&registry, host)
        })),
    };
    let client = Client::with_tls(
        RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        },
        &client_tls,
    )
    .map_err(|e| e.to_string())?;
    let bytes = tester.transfer(|_| {})?;
    client
        .deliver(&tester.target.registry, &bytes)
        .await
        .map(|_| ())
        .map_err(|e| format!("[{}] {e}", e.code()))
}

/// Posts a valid transfer on a new connection presenting `identity` (none if `None`):
/// `refused in the handshake` if the connection was made but no answer came, else the
/// answer's status and code.
async fn post_with_identity(
    tester: &mut Tester<'_>,
    tls: &TesterTls,
    identity: Option<&[u8]>,
) -> Outcome {
    let http = super::http_client(tls.roots_pem.as_deref(), identity)?;
    let bytes = tester.transfer(|_| {})?;
    let sent = http
        .post(tester.messages_url())
        .header("content-type", MEDIA_TYPE)
        .body(bytes)
        .send()
        .await;
    match sent {
        Ok(answer) => {
            let status = answer.status().as_u16();
            let body = answer.bytes().await.unwrap_or_default();
            let code = ErrorBody::parse(&body).map(|b| b.code);
            Ok(json!({"status": status, "code": code}))
        }
        // Nobody listening is not a refusal by TLS.
        Err(e) if tongban::client::describe(&e).contains("Connection refused") => {
            Err(format!("no connection: {}", tongban::client::describe(&e)))
        }
        Err(_) => Ok(json!({"connection": "refused in the handshake"})),
    }
}

/// A member of the registry other than the tester's and the node's.
fn other_member(target: &Target) -> Option<NodeId> {
    target
        .registry
        .document()
        .members
        .iter()
        .map(|m| &m.node)
        .find(|node| *node != target.key.owner() && **node != target.node)
        .cloned()
}

/// Starts the reference node as Jiujiang over HTTPS on loopback, admitting only the
/// client keys the registry names after its certificate authority's check, and runs
/// the checks against it with certificates made for the run: the tester's, listed for
/// Huangshi, and another from the same authority that no member lists.
pub(super) async fn run_reference(record: &mut dyn FnMut(CaseResult)) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let both = [ProtocolVersion::V1_0, ProtocolVersion::V1_1];
    let nodes = demo::prepare_speaking(dir.path(), &[HUANGSHI, JIUJIANG], &both)
        .map_err(|e| e.to_string())?;
    let authority = Authority::new()?;
    let (node_chain, node_key) = authority.issue("jiujiang.360400")?;
    let tester = authority.issue("huangshi.420200")?;
    let unlisted = authority.issue("huangshi.420200 (not in the registry)")?;
    let node_dir = nodes[JIUJIANG].config.parent().ok_or("no node directory")?;
    let write = |name: &str, text: &str| {
        use std::io::Write;
        let path = node_dir.join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        // The node refuses a private key that others may read.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(&path)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    write("tls.crt.pem", &node_chain)?;
    write("tls.key.pem", &node_key)?;
    write("ca.pem", &authority.pem())?;
    let mut config = std::fs::read_to_string(&nodes[JIUJIANG].config).map_err(|e| e.to_string())?;
    config.push_str(
        "\n[tls]\ncertificate_file = \"tls.crt.pem\"\nkey_file = \"tls.key.pem\"\n\
         ca_file = \"ca.pem\"\nrequire_client_certificates = true\nregistry_named_clients = true\n",
    );
    write("node.toml", &config)?;

    let endpoint = nodes[JIUJIANG].endpoint.replace("http://", "https://");
    let mut document = sample::registry_document(1, &[0, 1, 2], 2).map_err(|e| e.to_string())?;
    for member in &mut document.members {
        let pin = match member.node.as_str() {
            HUANGSHI => &tester.0,
            JIUJIANG => &node_chain,
            _ => continue,
        };
        member.tls_keys = Some(vec![pin_of(pin)?]);
        member.endpoint = if member.node.as_str() == JIUJIANG {
            endpoint.clone()
        } else {
            nodes[HUANGSHI].endpoint.clone()
        };
    }
    let registry = sample::signed_registry(&document, &[0, 1]).map_err(|e| e.to_string())?;
    let registry_file = dir.path().join("registry.json");
    std::fs::write(&registry_file, registry).map_err(|e| e.to_string())?;

    let node_config = Config::load(&nodes[JIUJIANG].config).map_err(|e| e.to_string())?;
    let node = start(node_config)
        .await
        .map_err(|e| format!("[{}] {e}", e.code()))?;
    let target = Target::from_files(&endpoint, &registry_file, None, None, None);
    let outcome = match target {
        Ok(mut target) => {
            target.tls = Some(TesterTls {
                roots_pem: Some(authority.pem().into_bytes()),
                identity_pem: Some(format!("{}\n{}", tester.1, tester.0).into_bytes()),
                registry_named_clients: true,
                unlisted_identity_pem: Some(format!("{}\n{}", unlisted.1, unlisted.0).into_bytes()),
            });
            run(&target, record).await;
            Ok(())
        }
        Err(e) => Err(e),
    };
    node.stop().await;
    outcome
}

/// The pin (§21.5) of the first certificate in `chain` (PEM).
fn pin_of(chain: &str) -> Result<Sha256Digest, String> {
    use rustls_pki_types::pem::PemObject;
    let first = rustls_pki_types::CertificateDer::from_pem_slice(chain.as_bytes())
        .map_err(|e| format!("not a PEM certificate: {e}"))?;
    tongban::client::key_pin(&first).map_err(|e| e.to_string())
}

/// A certificate authority made for the run.
struct Authority {
    certificate: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl Authority {
    fn new() -> Result<Authority, String> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "tongban conformance CA");
        let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
        let certificate = params.self_signed(&key).map_err(|e| e.to_string())?;
        Ok(Authority { certificate, key })
    }

    /// A certificate named `name` for 127.0.0.1, to serve and to present as a client:
    /// its chain and its key, in PEM.
    fn issue(&self, name: &str) -> Result<(String, String), String> {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string()]).map_err(|e| e.to_string())?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
        let certificate = params
            .signed_by(&key, &self.certificate, &self.key)
            .map_err(|e| e.to_string())?;
        Ok((certificate.pem(), key.serialize_pem()))
    }

    fn pem(&self) -> String {
        self.certificate.pem()
    }
}

/// A self-signed certificate for 127.0.0.1 and its key (PEM).
fn self_signed() -> Result<Vec<u8>, String> {
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
            .map_err(|e| e.to_string())?;
    Ok(format!("{}\n{}", key_pair.serialize_pem(), cert.pem()).into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_options_read_the_files_given_and_name_one_that_is_missing() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let roots = dir.path().join("roots.pem");
        std::fs::write(&roots, "roots").expect("write");
        let read = TesterTls::from_files(Some(&roots), None, None, false).expect("read");
        assert_eq!(read.roots_pem.as_deref(), Some(&b"roots"[..]));
        assert_eq!(
            (read.identity_pem, read.registry_named_clients),
            (None, false)
        );
        let missing = dir.path().join("identity.pem");
        let error = TesterTls::from_files(Some(&roots), Some(&missing), None, true)
            .expect_err("no such file");
        assert!(error.contains("identity.pem"), "{error}");
    }

    #[test]
    fn a_made_certificate_pins_as_its_key_and_differs_from_the_next() {
        let authority = Authority::new().expect("authority");
        let (first, _) = authority.issue("first").expect("certificate");
        let (second, _) = authority.issue("second").expect("certificate");
        let pin = pin_of(&first).expect("pin");
        assert_eq!(pin.as_str().len(), 64);
        assert_ne!(pin, pin_of(&second).expect("pin"));
        assert!(pin_of("not a certificate").is_err());
    }
}
