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

use super::{expected, files, result, skipped, Outcome, Target, Tester};
use crate::run::CaseResult;
use partner_node::demo;
use partner_node::{start, Config};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tongban::client::{Client, ClientTls, RetryPolicy};
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
    /// certificate authority, say) but whose key no member lists; `tls/unlisted_key`
    /// is skipped without one.
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

    let [listed, no_certificate, unlisted, wrong_member, wrong_requester] = CHECKS;
    let started = Instant::now();
    let outcome = deliver_pinned(&mut tester).await.map(|()| accepted.clone());
    record(result(listed.0, listed.1, accepted, outcome, started));

    let started = Instant::now();
    let outcome = handshake(&tester, tls, None).await;
    record(result(
        no_certificate.0,
        no_certificate.1,
        refused(),
        outcome,
        started,
    ));

    // A certificate the node would admit but for the registry: a self-signed one
    // would be refused by a node that also wants its authority's, whatever it does
    // with the registry, and prove nothing.
    let started = Instant::now();
    match &tls.unlisted_identity_pem {
        Some(identity) => {
            let outcome = handshake(&tester, tls, Some(identity)).await;
            record(result(unlisted.0, unlisted.1, refused(), outcome, started));
        }
        None => record(skipped(
            unlisted.0,
            unlisted.1,
            "needs --tls-unlisted-identity: a certificate the node would admit (its authority's, say) whose key no member lists",
        )),
    }

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

/// What a check of a refused handshake expects.
fn refused() -> Value {
    json!({"connection": "refused in the handshake"})
}

/// Delivers a valid transfer with the SDK's client, presenting the tester's identity
/// and checking the node's certificate key against the keys its host's members list.
async fn deliver_pinned(tester: &mut Tester<'_>) -> Result<(), String> {
    // The client asks for the keys host by host, after this call: its own copy.
    let registry = Registry::bootstrap(&tester.target.registry_bytes, &Timestamp::now())
        .map_err(|e| e.to_string())?;
    let client_tls = ClientTls {
        endpoint_keys: Some(Arc::new(move |host: &str| {
            tongban::client::endpoint_keys(&registry, host)
        })),
        ..tester.target.client_tls()
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

/// Opens a new TLS connection to the node presenting `identity` (none if `None`) and
/// asks for its liveness over it: `refused in the handshake` if the node ended the
/// connection with a TLS alert (in the handshake, or on the first read in TLS 1.3,
/// where the server checks the client's certificate after the client has finished),
/// the HTTP status if it answered. Anything else (no connection, the node's own
/// certificate not trusted by the tester, a connection closed without an alert) is no
/// evidence of a refusal and fails the check with its reason.
async fn handshake(tester: &Tester<'_>, tls: &TesterTls, identity: Option<&[u8]>) -> Outcome {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = reqwest::Url::parse(&tester.target.endpoint).map_err(|e| e.to_string())?;
    // An IPv6 literal without its brackets, as a socket address and a server name want.
    let host = url
        .host_str()
        .ok_or("the endpoint has no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or("the endpoint has no port")?;
    let mut roots = rustls::RootCertStore::empty();
    match &tls.roots_pem {
        Some(pem) => {
            for root in CertificateDer::pem_slice_iter(pem) {
                let root = root.map_err(|e| format!("the TLS roots: {e}"))?;
                roots.add(root).map_err(|e| format!("the TLS roots: {e}"))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let builder = rustls::ClientConfig::builder().with_root_certificates(roots);
    let config = match identity {
        Some(pem) => {
            let chain = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("the TLS identity: {e}"))?;
            let key =
                PrivateKeyDer::from_pem_slice(pem).map_err(|e| format!("the TLS identity: {e}"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("the TLS identity: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    let name =
        ServerName::try_from(host.clone()).map_err(|e| format!("the endpoint's host: {e}"))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("no connection: {e}"))?;
        let mut stream = match connector.connect(name, tcp).await {
            Ok(stream) => stream,
            Err(e) => return refused_or(e),
        };
        let request = format!(
            "GET /livez HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            url.authority()
        );
        if let Err(e) = stream.write_all(request.as_bytes()).await {
            return refused_or(e);
        }
        let mut answer = Vec::new();
        if let Err(e) = stream.read_to_end(&mut answer).await {
            if answer.is_empty() {
                return refused_or(e);
            }
        }
        let status = std::str::from_utf8(&answer)
            .ok()
            .and_then(|text| text.split(' ').nth(1))
            .and_then(|status| status.parse::<u16>().ok())
            .ok_or("the connection was closed without a TLS alert or an answer")?;
        Ok(json!({"status": status}))
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), exchange)
        .await
        .map_err(|_| "no answer within 30 s".to_string())?
}

/// `refused in the handshake` if `error` is a TLS alert the node sent; else the error.
fn refused_or(error: std::io::Error) -> Outcome {
    let alert = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::AlertReceived(_)));
    if alert {
        Ok(refused())
    } else {
        Err(format!("no TLS alert from the node: {error}"))
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
