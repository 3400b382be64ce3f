//! HTTPS between nodes over real TLS on loopback, with certificates made for the run:
//! an alliance CA, a certificate per node, and hostile ones (another CA's, an expired
//! one). A transfer travels both ways over mutual TLS; the endpoint refuses plain HTTP,
//! no client certificate, a foreign one and an expired one; the outbox refuses an
//! endpoint whose certificate is foreign or expired; and a node never listens in plain
//! HTTP on a public address unless told that a proxy in front of it speaks HTTPS.

use partner_node::demo::{self, DemoNode};
use partner_node::{start, Config, RunningNode};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tongban::client::{ClientTls, RetryPolicy};
use tongban::sample::{self, CASE, HUANGSHI, JIUJIANG};
use tongban::version::ProtocolVersion;

const WAIT: Duration = Duration::from_secs(20);
const WUHAN: &str = "wuhan.420100";

/// A certificate authority made for the run.
struct Authority {
    certificate: Certificate,
    key: KeyPair,
}

impl Authority {
    fn new(name: &str) -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().expect("key");
        let certificate = params.self_signed(&key).expect("CA certificate");
        Authority { certificate, key }
    }

    /// A certificate for `name` on 127.0.0.1, for serving and for presenting as a
    /// client; expired when `expired`. Its chain and key, in PEM.
    fn issue(&self, name: &str, expired: bool) -> (String, String) {
        self.issue_until(name, expired.then_some((2021, 1, 1)))
    }

    /// [`Authority::issue`] valid until the day `not_after` (year, month, day), if given.
    fn issue_until(&self, name: &str, not_after: Option<(i32, u8, u8)>) -> (String, String) {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        if let Some((year, month, day)) = not_after {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(year, month, day);
        }
        let key = KeyPair::generate().expect("key");
        let certificate = params
            .signed_by(&key, &self.certificate, &self.key)
            .expect("certificate");
        (certificate.pem(), key.serialize_pem())
    }

    fn pem(&self) -> String {
        self.certificate.pem()
    }
}

/// Writes `text` to a new file of mode 600.
fn write_private(path: &Path, text: &str) {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).expect("create");
    file.write_all(text.as_bytes()).expect("write");
}

/// Gives `node` its certificate and the alliance's CA in `[tls]`.
fn configure_tls(node: &DemoNode, alliance: &Authority, name: &str, mutual: bool) {
    let dir = node.config.parent().expect("node directory");
    let (chain, key) = alliance.issue(name, false);
    std::fs::write(dir.join("tls.crt.pem"), chain).expect("write");
    // Without its final newline, as secret stores often write keys.
    write_private(&dir.join("tls.key.pem"), key.trim_end());
    std::fs::write(dir.join("ca.pem"), alliance.pem()).expect("write");
    let mut text = std::fs::read_to_string(&node.config).expect("config");
    text.push_str(&format!(
        "\n[tls]\ncertificate_file = \"tls.crt.pem\"\nkey_file = \"tls.key.pem\"\nca_file = \"ca.pem\"\nrequire_client_certificates = {mutual}\n"
    ));
    std::fs::write(&node.config, text).expect("config");
}

/// Rewrites the registry so that every endpoint is `https://`.
fn registry_over_https(dir: &Path, nodes: &BTreeMap<String, DemoNode>) {
    let endpoints = nodes
        .iter()
        .map(|(id, node)| (id.clone(), node.endpoint.replace("http://", "https://")))
        .collect();
    let registry = sample::registry_with_endpoints_speaking(&endpoints, &[ProtocolVersion::V1_0])
        .expect("registry");
    std::fs::write(dir.join("registry.json"), registry).expect("registry");
}

/// A reqwest client that trusts `roots` and presents `identity` (chain and key).
fn https_client(roots: &str, identity: Option<(String, String)>) -> reqwest::Client {
    https_client_of(roots, identity, false)
}

/// [`https_client`], speaking TLS 1.2 only when `tls12`.
fn https_client_of(
    roots: &str,
    identity: Option<(String, String)>,
    tls12: bool,
) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(roots.as_bytes()).expect("root"));
    if let Some((chain, key)) = identity {
        // A newline between: a key written without its final one (as the nodes' are).
        let pem = format!("{key}\n{chain}");
        builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).expect("identity"));
    }
    if tls12 {
        builder = builder.max_tls_version(reqwest::tls::Version::TLS_1_2);
    }
    builder.build().expect("client")
}

/// Starts Huangshi and Jiujiang and has Huangshi send the sample transfer, until
/// Huangshi holds Jiujiang's receipt (its track is `received`).
async fn start_and_deliver(nodes: &BTreeMap<String, DemoNode>) -> (RunningNode, RunningNode) {
    let huangshi = start(Config::load(&nodes[HUANGSHI].config).expect("config"))
        .await
        .expect("Huangshi starts");
    let jiujiang = start(Config::load(&nodes[JIUJIANG].config).expect("config"))
        .await
        .expect("Jiujiang starts");
    huangshi
        .operator_client()
        .send(&demo::sample_transfer(CASE).expect("transfer"))
        .await
        .expect("queued");
    huangshi
        .operator_client()
        .wait_for_case(CASE, WAIT, |v| demo::track_state(v) == Some("received"))
        .await
        .expect("delivered over TLS and receipted");
    (huangshi, jiujiang)
}

/// An error with its sources, as one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(" / {cause}"));
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn a_case_travels_over_mutual_tls_and_the_endpoint_refuses_who_tls_does_not_vouch_for() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare nodes");
    let alliance = Authority::new("云上办 alliance test CA");
    registry_over_https(dir.path(), &nodes);
    configure_tls(&nodes[HUANGSHI], &alliance, "huangshi.420200", true);
    configure_tls(&nodes[JIUJIANG], &alliance, "jiujiang.360400", true);
    // The transfer goes out over HTTPS, each side presenting its certificate, and the
    // receipt comes back on the same connection: Huangshi's case moves on.
    let (huangshi, jiujiang) = start_and_deliver(&nodes).await;
    jiujiang
        .operator_client()
        .wait_for_case(CASE, WAIT, |v| demo::track_state(v) == Some("received"))
        .await
        .expect("Jiujiang holds the case");

    let livez = format!("https://127.0.0.1:{}/livez", jiujiang.address.port());
    // A partner with the alliance's certificate is served.
    let partner = https_client(&alliance.pem(), Some(alliance.issue("wuhan.420100", false)));
    let answer = partner.get(&livez).send().await.expect("served");
    assert_eq!(answer.status().as_u16(), 200);
    // Plain HTTP to the HTTPS port gets no HTTP answer.
    let plain = reqwest::get(format!("http://{}/livez", jiujiang.address)).await;
    assert!(plain.is_err(), "plain HTTP answered: {plain:?}");
    // No client certificate, another CA's, or an expired one: the handshake fails.
    let foreign = Authority::new("an impostor's CA");
    for (what, identity, alert) in [
        ("no certificate", None, "CertificateRequired"),
        (
            "another CA's certificate",
            Some(foreign.issue("huangshi.420200", false)),
            "UnknownCA",
        ),
        (
            "an expired certificate",
            Some(alliance.issue("huangshi.420200", true)),
            "CertificateExpired",
        ),
    ] {
        let client = https_client(&alliance.pem(), identity);
        let refused = client.get(&livez).send().await.expect_err(what);
        let chain = error_chain(&refused);
        assert!(chain.contains(alert), "{what}: {chain}");
    }
    huangshi.stop().await;
    jiujiang.stop().await;
}

/// A self-signed certificate for 127.0.0.1, valid until `not_after` (year, month, day)
/// if given: a key the registry can name without any CA behind it.
fn self_signed(name: &str, not_after: Option<(i32, u8, u8)>) -> (String, String) {
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    if let Some((year, month, day)) = not_after {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(year, month, day);
    }
    let key = KeyPair::generate().expect("key");
    let certificate = params.self_signed(&key).expect("certificate");
    (certificate.pem(), key.serialize_pem())
}

/// The JSON body of an answer.
async fn error_body(answer: reqwest::Response) -> serde_json::Value {
    let bytes = answer.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("a JSON error body")
}

/// The registry pin (§21.5) of the first certificate of a PEM chain.
fn pin_of(chain: &str) -> tongban::Sha256Digest {
    let first = rustls_pki_types::pem::PemObject::from_pem_slice(chain.as_bytes())
        .expect("a PEM certificate");
    tongban::client::key_pin(&first).expect("pin")
}

#[test]
fn the_pin_is_what_the_documented_openssl_command_prints() {
    // PROTOCOL.md §21.5 tells operators to compute their pin with openssl; scripts/test.sh
    // installs openssl (scripts/postgres.sh), so the command must be here.
    let dir = tempfile::tempdir().expect("temporary directory");
    let (chain, _) = Authority::new("云上办 alliance test CA").issue("jiujiang.360400", false);
    let file = dir.path().join("node.crt");
    std::fs::write(&file, &chain).expect("write");
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(
            "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der | sha256sum",
        )
        .arg("sh")
        .arg(&file)
        .output()
        .expect("openssl and sha256sum");
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8(output.stdout).expect("text");
    let printed = printed.split_whitespace().next().expect("a digest");
    assert_eq!(printed, pin_of(&chain).as_str());
}

#[tokio::test]
async fn only_keys_the_registry_names_reach_the_endpoint_and_each_speaks_for_its_member() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare nodes");
    let alliance = Authority::new("云上办 alliance test CA");
    // Server certificates from the alliance's CA, as before; client certificates are
    // admitted by the registry alone (require_client_certificates = false).
    for (id, name) in [(HUANGSHI, "huangshi.420200"), (JIUJIANG, "jiujiang.360400")] {
        configure_tls(&nodes[id], &alliance, name, false);
        let mut text = std::fs::read_to_string(&nodes[id].config).expect("config");
        text.push_str("registry_named_clients = true\n");
        std::fs::write(&nodes[id].config, text).expect("config");
    }
    let node_pin = |id: &str| {
        let dir = nodes[id].config.parent().expect("node directory");
        pin_of(&std::fs::read_to_string(dir.join("tls.crt.pem")).expect("certificate"))
    };
    // Wuhan's certificate is the alliance's too, and listed for Wuhan; Huangshi's
    // staff also hold a self-signed one listed for Huangshi, and an expired one.
    let wuhan = alliance.issue("wuhan.420100", false);
    let huangshi_own = self_signed("huangshi.420200 (self-signed)", None);
    let huangshi_expired = self_signed("huangshi.420200 (expired)", Some((2021, 1, 1)));
    let unlisted = alliance.issue("jiujiang.360400", false);
    let mut document = sample::registry_document(1, &[0, 1, 2], 2).expect("registry");
    for member in &mut document.members {
        let pins = match member.node.as_str() {
            HUANGSHI => vec![
                node_pin(HUANGSHI),
                pin_of(&huangshi_own.0),
                pin_of(&huangshi_expired.0),
            ],
            JIUJIANG => vec![node_pin(JIUJIANG)],
            WUHAN => vec![pin_of(&wuhan.0)],
            _ => continue,
        };
        member.tls_keys = Some(pins);
        if let Some(node) = nodes.get(member.node.as_str()) {
            member.endpoint = node.endpoint.replace("http://", "https://");
            member.protocols = vec![ProtocolVersion::V1_0];
        }
    }
    let registry = sample::signed_registry(&document, &[0, 1]).expect("sign");
    std::fs::write(dir.path().join("registry.json"), registry).expect("registry");
    // Huangshi's node presents its listed key: the transfer is delivered and receipted.
    let (huangshi, jiujiang) = start_and_deliver(&nodes).await;

    let base = format!("https://127.0.0.1:{}", jiujiang.address.port());
    let livez = format!("{base}/livez");
    // A key no member lists, even with the alliance's certificate, or none at all:
    // the handshake fails, in TLS 1.3 and 1.2. So does a listed key whose certificate
    // expired.
    for (what, identity, tls12, alert) in [
        (
            "an unlisted key",
            Some(unlisted.clone()),
            false,
            "AccessDenied",
        ),
        (
            "an unlisted key, TLS 1.2",
            Some(unlisted.clone()),
            true,
            "AccessDenied",
        ),
        ("no certificate", None, false, "CertificateRequired"),
        (
            "an expired certificate",
            Some(huangshi_expired),
            false,
            "CertificateExpired",
        ),
    ] {
        let client = https_client_of(&alliance.pem(), identity, tls12);
        let refused = client.get(&livez).send().await.expect_err(what);
        let chain = error_chain(&refused);
        assert!(chain.contains(alert), "{what}: {chain}");
    }
    // A listed self-signed key is admitted, in TLS 1.3 and 1.2: the registry is the
    // trust anchor.
    for tls12 in [false, true] {
        let client = https_client_of(&alliance.pem(), Some(huangshi_own.clone()), tls12);
        let answer = client
            .get(&livez)
            .send()
            .await
            .expect("a listed key is served");
        assert_eq!(answer.status().as_u16(), 200, "TLS 1.2: {tls12}");
    }
    // A second connection is a full handshake, checked again: no session is resumed.
    assert_eq!(
        handshakes(&alliance.pem(), &huangshi_own, jiujiang.address).await,
        [rustls::HandshakeKind::Full, rustls::HandshakeKind::Full]
    );
    let own = https_client(&alliance.pem(), Some(huangshi_own.clone()));

    // Wuhan's key may connect, but not speak for Huangshi: a message Huangshi signed,
    // posted over Wuhan's connection, is refused before its signatures are checked.
    let by_wuhan = https_client(&alliance.pem(), Some(wuhan.clone()));
    let transfer = sample::signed_transfer()
        .expect("transfer")
        .to_canonical_bytes()
        .expect("bytes");
    let messages = format!("{base}/tongban/v1/messages");
    let post = |client: &reqwest::Client| {
        client
            .post(&messages)
            .header("content-type", "application/json")
            .body(transfer.clone())
            .send()
    };
    let refused = post(&by_wuhan).await.expect("answered");
    assert_eq!(refused.status().as_u16(), 403);
    let body = error_body(refused).await;
    assert_eq!(body["code"], "tls.wrong_member", "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains(WUHAN) && m.contains(HUANGSHI)),
        "{body}"
    );
    // Over Huangshi's own key the same bytes pass this check, and are judged by the
    // protocol's rules: this sample transfer expired long ago.
    let judged = post(&own).await.expect("answered");
    assert_eq!(judged.status().as_u16(), 422);
    let body = error_body(judged).await;
    assert_eq!(body["code"], "time.expired", "{body}");

    // A file request signed by Huangshi, sent over Wuhan's connection: refused too;
    // over Huangshi's key it is answered as any file request is.
    let sha256 = tongban::Sha256Digest::of(b"a file Jiujiang never sent");
    let path = format!("/tongban/v1/files/{sha256}");
    let fetch = |client: &reqwest::Client| {
        let request = tongban::file::FileRequest::sign(
            &sample::key(HUANGSHI).expect("key"),
            &tongban::NodeId::parse(JIUJIANG).expect("id"),
            &path,
            &sha256,
            &tongban::Timestamp::now(),
        )
        .expect("file request");
        client
            .get(format!("{base}{path}"))
            .header(tongban::file::REQUEST_HEADER, request)
            .send()
    };
    let refused = fetch(&by_wuhan).await.expect("answered");
    assert_eq!(refused.status().as_u16(), 403);
    let body = error_body(refused).await;
    assert_eq!(body["code"], "tls.wrong_member", "{body}");
    let answered = fetch(&own).await.expect("answered");
    assert_eq!(
        answered.status().as_u16(),
        404,
        "not a file sent to Huangshi"
    );

    // The alliance's operator drops Wuhan's key. Wuhan's open connection is refused from
    // its next request on, whatever the path (transient: it may connect again with a
    // listed key), and a new connection with that key fails the handshake.
    document.version = 2;
    for member in &mut document.members {
        if member.node.as_str() == WUHAN {
            member.tls_keys = None;
        }
    }
    let update = sample::signed_registry(&document, &[0, 1]).expect("sign");
    jiujiang
        .operator_client()
        .install_registry(update)
        .await
        .expect("update installed");
    for path in ["/livez", "/no/such/path"] {
        let refused = by_wuhan
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("answered on the open connection");
        assert_eq!(refused.status().as_u16(), 503, "{path}");
        let body = error_body(refused).await;
        assert_eq!(body["code"], "tls.key_not_listed", "{path}: {body}");
    }
    let again = https_client(&alliance.pem(), Some(wuhan.clone()));
    let refused = again.get(&livez).send().await.expect_err("a dropped key");
    assert!(error_chain(&refused).contains("AccessDenied"));
    huangshi.stop().await;
    jiujiang.stop().await;

    // With require_client_certificates too, a listed key must also come with a
    // certificate of the alliance's CA: the self-signed one is refused.
    let text = std::fs::read_to_string(&nodes[JIUJIANG].config).expect("config");
    let both = text.replace(
        "require_client_certificates = false",
        "require_client_certificates = true",
    );
    assert_ne!(both, text);
    std::fs::write(&nodes[JIUJIANG].config, both).expect("config");
    let jiujiang = start(Config::load(&nodes[JIUJIANG].config).expect("config"))
        .await
        .expect("Jiujiang starts again");
    let livez = format!("https://127.0.0.1:{}/livez", jiujiang.address.port());
    let refused = https_client(&alliance.pem(), Some(huangshi_own))
        .get(&livez)
        .send()
        .await
        .expect_err("a listed key without the CA's certificate");
    assert!(error_chain(&refused).contains("UnknownCA"));
    let huangshi_node = {
        let dir = nodes[HUANGSHI].config.parent().expect("node directory");
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect(name);
        (read("tls.crt.pem"), read("tls.key.pem"))
    };
    let answer = https_client(&alliance.pem(), Some(huangshi_node))
        .get(&livez)
        .send()
        .await
        .expect("a listed key with the CA's certificate");
    assert_eq!(answer.status().as_u16(), 200);
    let refused = https_client(&alliance.pem(), Some(unlisted))
        .get(&livez)
        .send()
        .await
        .expect_err("the CA's certificate of an unlisted key");
    assert!(error_chain(&refused).contains("AccessDenied"));
    jiujiang.stop().await;
}

/// The kinds of two TLS handshakes in a row to `address` by one client configuration
/// (which would resume the first session if the server allowed it), presenting
/// `identity` (chain and key, PEM) and trusting `roots`.
async fn handshakes(
    roots: &str,
    identity: &(String, String),
    address: std::net::SocketAddr,
) -> Vec<rustls::HandshakeKind> {
    use rustls_pki_types::pem::PemObject;
    let mut store = rustls::RootCertStore::empty();
    store
        .add(rustls_pki_types::CertificateDer::from_pem_slice(roots.as_bytes()).expect("root"))
        .expect("root");
    let chain = rustls_pki_types::CertificateDer::pem_slice_iter(identity.0.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("chain");
    let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(identity.1.as_bytes()).expect("key");
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(store)
        .with_client_auth_cert(chain, key)
        .expect("client config");
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let mut kinds = Vec::new();
    for _ in 0..2 {
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .expect("connect");
        let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("name");
        let mut tls = connector.connect(name, tcp).await.expect("handshake");
        // TLS 1.3 tickets arrive after the handshake: read the answer to a request.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        tls.write_all(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .expect("request");
        let mut answer = Vec::new();
        let _ = tls.read_to_end(&mut answer).await;
        kinds.push(tls.get_ref().1.handshake_kind().expect("handshake done"));
    }
    kinds
}

#[tokio::test]
async fn the_outbox_refuses_an_endpoint_whose_certificate_is_foreign_or_expired() {
    let alliance = Authority::new("云上办 alliance test CA");
    let foreign = Authority::new("an impostor's CA");
    let not_listed = "is not one the registry lists for 127.0.0.1";
    // (what, the endpoint's certificate, the registry's pins for its host: none, the
    // served key's or another's, the refusal expected or "" for an answer)
    for (what, (chain, key), listed, refusal) in [
        (
            "another CA's certificate",
            foreign.issue("jiujiang.360400", false),
            None,
            "UnknownIssuer",
        ),
        (
            "an expired certificate",
            alliance.issue("jiujiang.360400", true),
            None,
            "certificate expired",
        ),
        (
            "the alliance's certificate",
            alliance.issue("jiujiang.360400", false),
            None,
            "",
        ),
        (
            "the alliance's certificate, its key listed for the host",
            alliance.issue("jiujiang.360400", false),
            Some(true),
            "",
        ),
        (
            "the alliance's certificate, another key listed for the host",
            alliance.issue("jiujiang.360400", false),
            Some(false),
            not_listed,
        ),
        (
            "another CA's certificate whose key is listed: the pin adds to the CA check",
            foreign.issue("jiujiang.360400", false),
            Some(true),
            "UnknownIssuer",
        ),
    ] {
        let served_pin = pin_of(&chain);
        let endpoint_keys: Option<tongban::client::EndpointKeys> = listed.map(|served| {
            let pin = match served {
                true => served_pin.clone(),
                false => tongban::Sha256Digest::of(b"another key"),
            };
            let keys: tongban::client::EndpointKeys =
                Arc::new(move |host: &str| (host == "127.0.0.1").then(|| vec![pin.clone()]));
            keys
        });
        // An HTTPS endpoint on loopback presenting that certificate.
        let chain = rustls_pki_types::pem::PemObject::pem_slice_iter(chain.as_bytes())
            .collect::<Result<Vec<rustls_pki_types::CertificateDer>, _>>()
            .expect("chain");
        let key: rustls_pki_types::PrivateKeyDer =
            rustls_pki_types::pem::PemObject::from_pem_slice(key.as_bytes()).expect("key");
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (_stop, watcher) = tokio::sync::watch::channel(false);
        let router = axum::Router::new().route("/livez", axum::routing::get(|| async { "live" }));
        tokio::spawn(partner_node::listener::serve(
            listener,
            router,
            partner_node::config::Limits::default(),
            watcher,
            "impostor",
            Some(acceptor),
        ));
        // The outbox's transport trusts the alliance's CA only.
        let tls = ClientTls {
            roots_pem: Some(alliance.pem().into_bytes()),
            identity_pem: None,
            endpoint_keys,
        };
        let policy = RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        };
        let transport = tongban::client::HttpTransport::with_tls(&policy, &tls).expect("transport");
        let url = format!("https://127.0.0.1:{}/livez", address.port());
        let answer = tongban::client::Transport::post(&transport, &url, b"{}").await;
        if refusal.is_empty() {
            // The handshake succeeds and the endpoint answers.
            assert!(answer.is_ok(), "{what}: {answer:?}");
        } else {
            let error = answer.expect_err(what);
            assert!(error.contains(refusal), "{what}: {error}");
        }
    }
}

#[test]
fn a_node_listens_in_plain_http_on_a_public_address_only_behind_a_terminator() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[JIUJIANG]).expect("prepare nodes");
    let node = &nodes[JIUJIANG];
    let original = std::fs::read_to_string(&node.config).expect("config");
    let public = original.replace(
        &format!("listen = \"{}\"", node.listen),
        &format!("listen = \"0.0.0.0:{}\"", node.listen.port()),
    );
    assert_ne!(public, original);
    std::fs::write(&node.config, &public).expect("config");
    let refused = Config::load(&node.config).expect_err("plain HTTP on 0.0.0.0");
    assert_eq!(refused.code(), "node.config");
    assert!(refused.to_string().contains("listen"), "{refused}");
    assert!(refused.to_string().contains("[tls]"), "{refused}");

    std::fs::write(
        &node.config,
        public.replace("data_dir = ", "behind_tls_terminator = true\ndata_dir = "),
    )
    .expect("config");
    Config::load(&node.config).expect("behind a terminator");

    // With [tls] it loads; mutual TLS without a CA, or a key others can read, does not.
    let alliance = Authority::new("云上办 alliance test CA");
    std::fs::write(&node.config, &public).expect("config");
    configure_tls(node, &alliance, "jiujiang.360400", true);
    let config = Config::load(&node.config).expect("with [tls]");
    assert!(config.tls.as_ref().is_some_and(|tls| tls.mutual));
    let with_tls = std::fs::read_to_string(&node.config).expect("config");
    std::fs::write(&node.config, with_tls.replace("ca_file = \"ca.pem\"\n", "")).expect("config");
    let refused = Config::load(&node.config).expect_err("mutual TLS without a CA");
    assert!(
        refused
            .to_string()
            .contains("tls.require_client_certificates"),
        "{refused}"
    );
    std::fs::write(&node.config, &with_tls).expect("config");
    let key = node.config.parent().expect("dir").join("tls.key.pem");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let refused = Config::load(&node.config).expect_err("a key others can read");
        assert!(refused.to_string().contains("tls.key_file"), "{refused}");
    }
}

/// The day `days` from now, as (year, month, day).
fn days_from_now(days: i64) -> (i32, u8, u8) {
    let day = tongban::Timestamp::now()
        .plus_seconds(days * 86_400)
        .expect("time")
        .to_string();
    let part = |range: std::ops::Range<usize>| day[range].parse().expect("date");
    (part(0..4), part(5..7) as u8, part(8..10) as u8)
}

#[tokio::test]
async fn the_node_refuses_an_expired_certificate_and_warns_before_its_own_expires() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[JIUJIANG]).expect("prepare nodes");
    let node = &nodes[JIUJIANG];
    let alliance = Authority::new("云上办 alliance test CA");
    configure_tls(node, &alliance, "jiujiang.360400", false);
    let node_dir = node.config.parent().expect("dir");
    let replace = |chain: String, key: String| {
        std::fs::write(node_dir.join("tls.crt.pem"), chain).expect("write");
        std::fs::remove_file(node_dir.join("tls.key.pem")).expect("remove");
        write_private(&node_dir.join("tls.key.pem"), &key);
    };
    // An expired certificate: the node does not start, naming the setting.
    let (chain, key) = alliance.issue("jiujiang.360400", true);
    replace(chain, key);
    let refused = Config::load(&node.config).expect_err("an expired certificate");
    assert!(
        refused
            .to_string()
            .contains("tls.certificate_file: the certificate expired"),
        "{refused}"
    );
    // One that ends in five days: the node starts, and its health warns.
    let (chain, key) = alliance.issue_until("jiujiang.360400", Some(days_from_now(5)));
    replace(chain, key);
    let running = start(Config::load(&node.config).expect("config"))
        .await
        .expect("Jiujiang starts");
    let health = running.operator_client().health().await.expect("health");
    assert_eq!(health["status"], "warning", "{health}");
    let days = health["tls"]["days_left"].as_i64().expect("days left");
    assert!((3..=5).contains(&days), "{health}");
    assert!(
        health["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w.as_str().unwrap_or("").contains("TLS certificate expires")),
        "{health}"
    );
    running.stop().await;
}
