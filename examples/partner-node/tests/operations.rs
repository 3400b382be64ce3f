//! What an operator watches, over real loopback HTTP against running nodes: the metrics
//! count what the endpoint and the outbox did, a scraper's token reads the metrics and
//! nothing else, liveness and readiness answer a load balancer (readiness turns false
//! once the registry in force expires), and every log line about a message names the
//! message and its case.

use partner_node::auth::OperatorToken;
use partner_node::database::Param;
use partner_node::demo::{self, DemoNode};
use partner_node::node::{Environment, Node};
use partner_node::{start, Config, RunningNode};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tongban::client::Client;
use tongban::sample::{CASE, HUANGSHI, JIUJIANG};
use tongban::{Clock, Timestamp};

const WAIT: Duration = Duration::from_secs(20);

/// Everything the nodes of this test binary log, as the operator's log would show it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The log of this test binary, captured from its first call on.
fn log() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        captured
    })
}

fn log_lines() -> Vec<String> {
    let bytes = log().0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Gives the node of `prepared` a new metrics token, in the file its configuration names.
fn with_metrics_token(prepared: &DemoNode) -> OperatorToken {
    let token = OperatorToken::generate().expect("token");
    write_metrics_token(prepared, &token);
    token
}

/// Writes `token` as the metrics token of the node of `prepared`.
fn write_metrics_token(prepared: &DemoNode, token: &OperatorToken) {
    let dir = prepared.config.parent().expect("node directory");
    token
        .write_new(&dir.join("metrics.token"))
        .expect("token file");
    let text = std::fs::read_to_string(&prepared.config).expect("config");
    let text = text.replace(
        "data_dir = ",
        "metrics_token_file = \"metrics.token\"\ndata_dir = ",
    );
    std::fs::write(&prepared.config, text).expect("config");
}

/// `GET` of the operator API's `path` with `token`: status and body.
async fn operator_get(node: &RunningNode, path: &str, token: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!(
            "http://{}/operator/v1{path}",
            node.operator_address
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The value of the series written exactly as `series` (name and labels).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

fn consumed(outcome: &str, error_type: &str) -> String {
    format!(
        r#"messaging_client_consumed_messages_total{{messaging_system="tongban",messaging_operation_name="receive",outcome="{outcome}",error_type="{error_type}"}}"#
    )
}

async fn post(node: &RunningNode, body: Vec<u8>) -> (u16, bool) {
    let posted = demo::post_raw(node, body).await.expect("an answer");
    (posted.status, posted.replayed)
}

#[tokio::test]
async fn the_metrics_count_what_the_endpoint_and_the_outbox_did_and_the_log_names_each_message() {
    log();
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare nodes");
    let scraper = with_metrics_token(&nodes[JIUJIANG]);
    let huangshi_scraper = with_metrics_token(&nodes[HUANGSHI]);
    let huangshi = start(Config::load(&nodes[HUANGSHI].config).expect("config"))
        .await
        .expect("Huangshi starts");
    let jiujiang = start(Config::load(&nodes[JIUJIANG].config).expect("config"))
        .await
        .expect("Jiujiang starts");

    // Before anything happened, every counter is absent or zero, and the outbox empty.
    let (status, text) = operator_get(&jiujiang, "/metrics", scraper.secret()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(value(&text, &consumed("accepted", "")), None, "{text}");

    // A transfer from Huangshi, delivered by its outbox.
    let queued = huangshi
        .operator_client()
        .send(&demo::sample_transfer(CASE).expect("transfer"))
        .await
        .expect("queued");
    let id = queued["id"].as_str().expect("id").to_string();
    // Huangshi's case moves on when Jiujiang's receipt arrives.
    huangshi
        .operator_client()
        .wait_for_case(CASE, WAIT, |v| demo::track_state(v) == Some("received"))
        .await
        .expect("delivered and receipted");
    // The same message again (a replay), and a body that is not JSON.
    let bytes: Vec<u8> = huangshi
        .node()
        .store()
        .run(|db| {
            db.query_one(
                "SELECT bytes FROM messages WHERE id = ?1",
                &[Param::Text(&id)],
            )?
            .blob(0)
        })
        .expect("the transfer as sent");
    assert_eq!(post(&jiujiang, bytes).await, (200, true));
    assert_eq!(post(&jiujiang, b"{\"id\":".to_vec()).await.0, 400);

    let (_, text) = operator_get(&jiujiang, "/metrics", scraper.secret()).await;
    assert_eq!(value(&text, &consumed("accepted", "")), Some(1.0), "{text}");
    assert_eq!(value(&text, &consumed("replayed", "")), Some(1.0), "{text}");
    assert_eq!(
        value(&text, &consumed("refused", "json.syntax")),
        Some(1.0),
        "{text}"
    );
    let latency = r#"messaging_process_duration_seconds_count{messaging_system="tongban",messaging_operation_name="receive",outcome="accepted"}"#;
    assert_eq!(value(&text, latency), Some(1.0), "{text}");
    assert!(text.ends_with("# EOF\n"));

    let (_, text) = operator_get(&huangshi, "/metrics", huangshi_scraper.secret()).await;
    let delivered = r#"messaging_client_sent_messages_total{messaging_system="tongban",messaging_operation_name="send",outcome="delivered",error_type=""}"#;
    assert_eq!(value(&text, delivered), Some(1.0), "{text}");
    let outbox = |status: &str| {
        format!(r#"tongban_outbox_messages{{messaging_system="tongban",status="{status}"}}"#)
    };
    assert_eq!(value(&text, &outbox("pending")), Some(0.0), "{text}");
    assert_eq!(value(&text, &outbox("delivered")), Some(1.0), "{text}");
    let expiry = value(&text, "tongban_registry_expiry_seconds").expect("registry expiry");
    assert!(expiry > 0.0, "{text}");

    // The scraper's token reads the metrics and nothing else; no token reads nothing.
    for path in ["/cases", "/outbox", "/health"] {
        let (status, body) = operator_get(&jiujiang, path, scraper.secret()).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert!(!body.contains("陈丽华"), "{body}");
    }
    let (status, _) = operator_get(&jiujiang, "/metrics", "").await;
    assert_eq!(status, 401);
    let refused = reqwest::Client::new()
        .post(format!(
            "http://{}/operator/v1/messages",
            jiujiang.operator_address
        ))
        .bearer_auth(scraper.secret())
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("an answer");
    assert_eq!(refused.status().as_u16(), 401, "the scraper cannot send");

    // Each line about the transfer names it and its case: received, queued, delivered.
    let lines = log_lines();
    let about: Vec<&String> = lines.iter().filter(|l| l.contains(&id)).collect();
    for event in [
        "queued",
        "received and stored with its receipt",
        "delivered",
    ] {
        assert!(
            about.iter().any(|l| l.contains(event)),
            "no line says {event:?} about {id}:\n{lines:#?}"
        );
    }
    for line in about {
        assert!(line.contains(&format!("message_id={id}")), "{line}");
        assert!(line.contains(&format!("case_id={CASE}")), "{line}");
    }

    huangshi.stop().await;
    jiujiang.stop().await;
}

#[tokio::test]
async fn liveness_and_readiness_answer_without_a_token_and_show_nothing_else() {
    log();
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare nodes");
    let node = start(Config::load(&nodes[JIUJIANG].config).expect("config"))
        .await
        .expect("Jiujiang starts");
    for (path, status) in [("/livez", "live"), ("/readyz", "ready")] {
        let response = reqwest::get(format!("http://{}{path}", node.address))
            .await
            .expect("an answer");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let body: Value =
            serde_json::from_str(&response.text().await.expect("body")).expect("JSON");
        assert_eq!(body, json!({ "status": status }), "{path}");
    }
    // The protocol endpoint's address serves no operator path, probes or not.
    let response = reqwest::get(format!(
        "http://{}/readyz/../operator/v1/cases",
        node.address
    ))
    .await
    .expect("an answer");
    assert_eq!(response.status().as_u16(), 404);
    node.stop().await;
}

#[tokio::test]
async fn readiness_turns_false_once_the_registry_in_force_expires() {
    log();
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare nodes");
    let config = Config::load(&nodes[JIUJIANG].config).expect("config");
    let expires = config.registry.document().expires.clone();
    let clock_ms = Arc::new(AtomicI64::new(Timestamp::now().unix_millis() as i64));
    let reading = clock_ms.clone();
    let environment = Environment {
        clock: Clock::from_fn(move || reading.load(Ordering::SeqCst)),
        client: Client::new(config.retry.clone()).expect("client"),
        blocking_threads: true,
        id_seed: None,
    };
    let base = config.endpoint_path();
    let node = Arc::new(Node::open_in(config, environment).expect("node"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let router = partner_node::server::router(node.clone(), &base);
    tokio::spawn(async move { axum::serve(listener, router).await });
    let readyz = || async {
        let response = reqwest::get(format!("http://{address}/readyz"))
            .await
            .expect("an answer");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str::<Value>(&text).expect("JSON"))
    };
    assert_eq!(readyz().await.0, 200);
    assert!(node.readiness().is_ready());

    // A second after the registry's expiry: not ready, naming the check and no more.
    clock_ms.store(expires.unix_millis() as i64 + 1_000, Ordering::SeqCst);
    let (status, body) = readyz().await;
    assert_eq!(status, 503);
    assert_eq!(
        body,
        json!({ "status": "not_ready", "failing": ["registry"] })
    );
    let reason = node.readiness().registry.expect("a reason");
    assert!(reason.contains("expired"), "{reason}");
    // Liveness stays true: restarting the process would not help.
    let live = reqwest::get(format!("http://{address}/livez"))
        .await
        .expect("an answer");
    assert_eq!(live.status().as_u16(), 200);
}

#[test]
fn a_metrics_token_that_is_the_operator_token_is_refused() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[JIUJIANG]).expect("prepare nodes");
    let prepared = &nodes[JIUJIANG];
    let operator = std::fs::read_to_string(&prepared.operator_token_file).expect("token");
    let token = OperatorToken::from_secret(operator.trim()).expect("token");
    write_metrics_token(prepared, &token);
    let refused = Config::load(&prepared.config).expect_err("the operator token again");
    assert_eq!(refused.code(), "node.config");
    assert!(
        refused
            .to_string()
            .contains("metrics_token_file: holds the operator token"),
        "{refused}"
    );
}
