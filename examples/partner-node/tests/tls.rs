//! HTTPS between nodes over real TLS on loopback, with certificates made for the run:
//! an alliance CA, a certificate per node, and hostile ones (another CA's, an expired
//! one). A transfer travels both ways over mutual TLS; the endpoint refuses plain HTTP,
//! no client certificate, a foreign one and an expired one; the outbox refuses an
//! endpoint whose certificate is foreign or expired; and a node never listens in plain
//! HTTP on a public address unless told that a proxy in front of it speaks HTTPS.

use partner_node::demo::{self, DemoNode};
use partner_node::{start, Config};
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
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(roots.as_bytes()).expect("root"));
    if let Some((chain, key)) = identity {
        let pem = format!("{key}{chain}");
        builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).expect("identity"));
    }
    builder.build().expect("client")
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
    let huangshi = start(Config::load(&nodes[HUANGSHI].config).expect("config"))
        .await
        .expect("Huangshi starts");
    let jiujiang = start(Config::load(&nodes[JIUJIANG].config).expect("config"))
        .await
        .expect("Jiujiang starts");

    // The transfer goes out over HTTPS, each side presenting its certificate, and the
    // receipt comes back on the same connection: Huangshi's case moves on.
    huangshi
        .operator_client()
        .send(&demo::sample_transfer(CASE).expect("transfer"))
        .await
        .expect("queued");
    huangshi
        .operator_client()
        .wait_for_case(CASE, WAIT, |v| demo::track_state(v) == Some("received"))
        .await
        .expect("delivered over mutual TLS and receipted");
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

#[tokio::test]
async fn the_outbox_refuses_an_endpoint_whose_certificate_is_foreign_or_expired() {
    let alliance = Authority::new("云上办 alliance test CA");
    let foreign = Authority::new("an impostor's CA");
    for (what, (chain, key), refusal) in [
        (
            "another CA's certificate",
            foreign.issue("jiujiang.360400", false),
            "UnknownIssuer",
        ),
        (
            "an expired certificate",
            alliance.issue("jiujiang.360400", true),
            "certificate expired",
        ),
        (
            "the alliance's certificate",
            alliance.issue("jiujiang.360400", false),
            "",
        ),
    ] {
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
