//! Two reference nodes over real loopback HTTP, each with its own SQLite file: receipts,
//! duplicate delivery, restarts of either node, the whole lifecycle, and refusals.

use partner_node::database::Param;
use partner_node::demo::{self, track_state, DemoNode, OperatorClient};
use partner_node::{start, Config, RunningNode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use tongban::client::{Client, ClientError, RetryPolicy};
use tongban::registry::Registry;
use tongban::sample::{self, AGREEMENT, CASE, HUANGSHI, JIUJIANG};
use tongban::*;

const WAIT: Duration = Duration::from_secs(20);

struct Setup {
    _dir: tempfile::TempDir,
    nodes: BTreeMap<String, DemoNode>,
    registry: Registry,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare nodes");
    let bytes = std::fs::read(dir.path().join("registry.json")).expect("registry file");
    let registry = Registry::bootstrap(&bytes, &Timestamp::now()).expect("registry");
    Setup {
        _dir: dir,
        nodes,
        registry,
    }
}

async fn run(setup: &Setup, node: &str) -> RunningNode {
    let config = Config::load(&setup.nodes[node].config).expect("config");
    start(config).await.expect("node starts")
}

fn quick_client() -> Client {
    Client::new(RetryPolicy {
        attempts: 2,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
    })
    .expect("client")
}

/// A fresh transfer from Huangshi to Jiujiang, signed now.
fn transfer(case: &str) -> Vec<u8> {
    let mut route = sample::route(HUANGSHI).expect("route");
    route.case = CaseId::parse(case).expect("case id");
    let body = Body::Transfer(sample::transfer_body().expect("body"));
    let mut message = Envelope::new(route, body, Timestamp::now(), 3600).expect("envelope");
    message
        .sign(&sample::key(HUANGSHI).expect("key"))
        .expect("sign");
    message.to_canonical_bytes().expect("bytes")
}

/// How many messages with `id` the node's database holds.
fn stored_count(node: &RunningNode, id: &str) -> i64 {
    node.node()
        .store()
        .run(|db| {
            db.query_one(
                "SELECT COUNT(*) FROM messages WHERE id = ?1",
                &[Param::Text(id)],
            )?
            .integer(0)
        })
        .expect("count")
}

fn id_of(bytes: &[u8]) -> String {
    Unverified::parse(bytes)
        .expect("parse")
        .envelope()
        .id
        .to_string()
}

#[tokio::test]
async fn a_transfer_gets_a_verified_receipt_and_a_duplicate_the_same_one() {
    let setup = setup();
    let jiujiang = run(&setup, JIUJIANG).await;
    let client = quick_client();
    let message = transfer("HS-2026-100001");

    let first = client
        .deliver(&setup.registry, &message)
        .await
        .expect("delivered");
    assert!(!first.replayed);
    assert_eq!(first.attempts, 1);
    assert_eq!(first.receipt.envelope().from.as_str(), JIUJIANG);
    assert_eq!(
        first
            .receipt
            .envelope()
            .in_reply_to
            .as_ref()
            .map(|i| i.to_string()),
        Some(id_of(&message))
    );

    let again = client
        .deliver(&setup.registry, &message)
        .await
        .expect("delivered again");
    assert!(
        again.replayed,
        "the second delivery is answered from the record"
    );
    assert_eq!(
        again.receipt_bytes, first.receipt_bytes,
        "the same receipt, byte for byte"
    );
    assert_eq!(stored_count(&jiujiang, &id_of(&message)), 1);

    let view = jiujiang
        .operator_client()
        .case("HS-2026-100001")
        .await
        .expect("case view")
        .expect("case exists");
    assert_eq!(track_state(&view), Some("received"));
    assert_eq!(view["messages"].as_array().map(Vec::len), Some(1));
    jiujiang.stop().await;
}

#[tokio::test]
async fn copies_arriving_together_are_stored_once_and_a_reused_id_is_refused() {
    let setup = setup();
    let jiujiang = run(&setup, JIUJIANG).await;
    let client = quick_client();

    // Four copies of one transfer at once: verified side by side, stored once, and
    // every copy answered with the one receipt.
    let message = transfer("HS-2026-100011");
    let deliver = || client.deliver(&setup.registry, &message);
    let (a, b, c, d) = tokio::join!(deliver(), deliver(), deliver(), deliver());
    let deliveries: Vec<_> = [a, b, c, d]
        .into_iter()
        .map(|d| d.expect("every copy is answered with a receipt"))
        .collect();
    assert_eq!(deliveries.iter().filter(|d| !d.replayed).count(), 1);
    assert!(deliveries
        .iter()
        .all(|d| d.receipt_bytes == deliveries[0].receipt_bytes));
    assert_eq!(stored_count(&jiujiang, &id_of(&message)), 1);

    // Two different messages with one id at once: one is accepted, the other refused
    // as a replay once its signature verified.
    let key = sample::key(HUANGSHI).expect("key");
    let original = Unverified::parse(&transfer("HS-2026-100012")).expect("parse");
    let mut other = original.envelope().clone();
    other.signatures.clear();
    if let Body::Transfer(body) = &mut other.body {
        body.form.insert("employees".into(), json!(4));
    }
    let other = other.sign_to_bytes(&key).expect("signed");
    let first = original.canonical_bytes().to_vec();
    let (a, b) = tokio::join!(
        client.deliver(&setup.registry, &first),
        client.deliver(&setup.registry, &other)
    );
    let refused: Vec<_> = [&a, &b]
        .into_iter()
        .filter_map(|result| result.as_ref().err())
        .collect();
    assert_eq!(refused.len(), 1, "one accepted, one refused: {a:?} {b:?}");
    assert_eq!(refused[0].code(), "replay.duplicate");
    assert_eq!(stored_count(&jiujiang, &id_of(&first)), 1);
    jiujiang.stop().await;
}

#[tokio::test]
async fn the_replay_record_and_the_receipt_survive_a_receiver_restart() {
    let setup = setup();
    let client = quick_client();
    let message = transfer("HS-2026-100002");
    let jiujiang = run(&setup, JIUJIANG).await;
    let first = client
        .deliver(&setup.registry, &message)
        .await
        .expect("delivered");
    jiujiang.stop().await;

    let jiujiang = run(&setup, JIUJIANG).await;
    let again = client
        .deliver(&setup.registry, &message)
        .await
        .expect("delivered after restart");
    assert!(again.replayed);
    assert_eq!(again.receipt_bytes, first.receipt_bytes);
    assert_eq!(stored_count(&jiujiang, &id_of(&message)), 1);
    jiujiang.stop().await;
}

#[tokio::test]
async fn the_outbox_retries_across_restarts_of_both_nodes_until_receipted() {
    let setup = setup();
    let huangshi = run(&setup, HUANGSHI).await;
    let operator = huangshi.operator_client();
    let transfer_body = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");
    let queued = operator
        .send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": transfer_body}))
        .await
        .expect("queued");
    let id = queued["id"].as_str().expect("id").to_string();

    // Jiujiang is down: the first round fails transiently and is rescheduled.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let outbox = operator.outbox().await.expect("outbox");
        let entry = &outbox["outbox"][0];
        if entry["attempts"].as_u64().unwrap_or(0) >= 1 {
            assert_eq!(entry["status"], "pending");
            let error = entry["last_error"].as_str().unwrap_or_default();
            assert!(error.starts_with("[transport.unreachable]"), "{error}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivery round: {outbox}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Huangshi restarts with the message still queued, then Jiujiang comes up.
    huangshi.stop().await;
    let huangshi = run(&setup, HUANGSHI).await;
    let jiujiang = run(&setup, JIUJIANG).await;
    let operator = huangshi.operator_client();
    let view = operator
        .wait_for_case(CASE, WAIT, |v| track_state(v) == Some("received"))
        .await
        .expect("delivered after the restarts");
    assert_eq!(view["messages"][0]["receipted"], true);
    assert_eq!(stored_count(&jiujiang, &id), 1, "delivered exactly once");
    let outbox = operator.outbox().await.expect("outbox");
    assert_eq!(outbox["outbox"][0]["status"], "delivered");
    huangshi.stop().await;
    jiujiang.stop().await;
}

async fn send(
    operator: &OperatorClient,
    message_type: &str,
    to: &str,
    in_reply_to: &str,
    body: Value,
) -> Value {
    operator
        .send(&json!({"type": message_type, "case": CASE, "to": to, "agreement": AGREEMENT, "in_reply_to": in_reply_to, "body": body}))
        .await
        .unwrap_or_else(|e| panic!("{message_type}: {e}"))
}

#[tokio::test]
async fn a_whole_case_runs_to_decision_and_illegal_steps_are_refused_before_sending() {
    let setup = setup();
    let huangshi = run(&setup, HUANGSHI).await;
    let jiujiang = run(&setup, JIUJIANG).await;
    let hs = huangshi.operator_client();
    let jj = jiujiang.operator_client();
    let at = |state: &'static str| move |v: &Value| track_state(v) == Some(state);

    let body = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");
    let queued = hs
        .send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": body}))
        .await
        .expect("transfer queued");
    let transfer = queued["id"].as_str().expect("id").to_string();
    assert_eq!(queued["state"], "transferred");
    hs.wait_for_case(CASE, WAIT, at("received"))
        .await
        .expect("received");

    // Huangshi is the window: it may not decide. Refused here, nothing queued.
    let refused = hs
        .send(&json!({"type": "decision", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "in_reply_to": transfer,
            "body": {"outcome": "approved", "decided_by": "黄石", "documents": []}}))
        .await
        .expect_err("the window cannot decide");
    assert_eq!(
        (refused.status, refused.code().as_deref()),
        (409, Some("lifecycle.wrong_party"))
    );
    // Not yet in review: a supplement request is an illegal step.
    let refused = jj
        .send(&json!({"type": "supplement_request", "case": CASE, "to": HUANGSHI, "agreement": AGREEMENT, "in_reply_to": transfer,
            "body": {"items": [{"material": "租赁合同", "reason": "缺页"}], "due_working_days": 5}}))
        .await
        .expect_err("not in review yet");
    assert_eq!(
        refused.code().as_deref(),
        Some("lifecycle.illegal_transition")
    );
    // Form data is checked before anything is signed for the wire.
    let refused = hs
        .send(&json!({"type": "transfer", "case": "HS-2026-100009", "to": JIUJIANG, "agreement": AGREEMENT,
            "body": serde_json::to_value(sample::transfer_body().expect("body")).map(|mut b| { b["form"]["employees"] = json!("three"); b }).expect("json")}))
        .await
        .expect_err("invalid form");
    assert_eq!(
        (refused.status, refused.code().as_deref()),
        (422, Some("item.form_invalid"))
    );

    send(
        &jj,
        "status_update",
        HUANGSHI,
        &transfer,
        json!({"status": "in_review"}),
    )
    .await;
    send(&jj, "supplement_request", HUANGSHI, &transfer,
        json!({"items": [{"material": "经营场所租赁合同", "reason": "缺少签章页"}], "due_working_days": 5})).await;
    hs.wait_for_case(CASE, WAIT, at("supplement_requested"))
        .await
        .expect("supplement requested");
    let file = json!({"name": "租赁合同", "sha256": Sha256Digest::of(b"contract").as_str(), "media_type": "application/pdf", "size": 1024});
    send(
        &hs,
        "supplement",
        JIUJIANG,
        &transfer,
        json!({"materials": [file]}),
    )
    .await;
    jj.wait_for_case(CASE, WAIT, at("supplemented"))
        .await
        .expect("supplemented");
    send(&jj, "decision", HUANGSHI, &transfer,
        json!({"outcome": "approved", "decided_by": "九江市行政审批局", "documents": [{"kind": "electronic_licence", "file": file}]})).await;
    let hs_view = hs
        .wait_for_case(CASE, WAIT, at("decided"))
        .await
        .expect("decided at Huangshi");
    let jj_view = jj
        .wait_for_case(CASE, WAIT, |v| {
            track_state(v) == Some("decided")
                && v["messages"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .all(|m| m["receipted"] == true)
        })
        .await
        .expect("decided and delivered at Jiujiang");

    let types = |v: &Value| -> Vec<String> {
        v["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                format!(
                    "{} {}",
                    m["direction"].as_str().unwrap_or(""),
                    m["type"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    assert_eq!(
        types(&hs_view),
        [
            "out transfer",
            "in status_update",
            "in supplement_request",
            "out supplement",
            "in decision"
        ]
    );
    assert_eq!(
        types(&jj_view),
        [
            "in transfer",
            "out status_update",
            "out supplement_request",
            "in supplement",
            "out decision"
        ]
    );
    assert_eq!(hs_view["status"], "decided");
    assert_eq!(
        hs_view["tracks"][0]["received_on"],
        jj_view["tracks"][0]["received_on"]
    );
    assert!(hs_view["tracks"][0]["deadline"].is_object());
    huangshi.stop().await;
    jiujiang.stop().await;
}

async fn post(url: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("answer");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Reads one HTTP/1.1 response with a Content-Length from `stream`: its head and body.
async fn read_response(stream: &mut tokio::net::TcpStream) -> (String, Vec<u8>) {
    use tokio::io::AsyncReadExt;
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .expect("a content-length");
            if bytes.len() >= end + 4 + length {
                return (head, bytes[end + 4..end + 4 + length].to_vec());
            }
        }
        let read = stream.read(&mut buffer).await.expect("the answer");
        assert!(read > 0, "the node closed the connection without an answer");
        bytes.extend_from_slice(&buffer[..read]);
    }
}

#[tokio::test]
async fn a_refused_body_is_read_so_that_the_sender_gets_the_answer() {
    // The node can refuse from the head alone (size, media type), but must still read
    // the body: closing a connection with unread data resets it, and the sender, still
    // writing, may never see the answer. Here the body is sent only after a pause in
    // which a node that answers from the head alone would have closed the connection
    // (the write then fails), and the same connection is used again afterwards, for a
    // chunked body too.
    use tokio::io::AsyncWriteExt;
    let setup = setup();
    let _jiujiang = run(&setup, JIUJIANG).await;
    let url =
        reqwest::Url::parse(&format!("{}/messages", setup.nodes[JIUJIANG].endpoint)).expect("url");
    let address = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port().expect("port")
    );
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let limit = tongban::json::Limits::PROTOCOL.max_bytes;
    let requests = [
        ("application/json", limit + 1, "413", "json.too_large"),
        ("text/plain", 64 * 1024, "415", "http.media_type"),
        ("application/json", 3 * limit, "413", "json.too_large"),
    ];
    for (content_type, size, status, code) in requests {
        let head = format!(
            "POST {} HTTP/1.1\r\nhost: {address}\r\ncontent-type: {content_type}\r\ncontent-length: {size}\r\n\r\n",
            url.path()
        );
        stream.write_all(head.as_bytes()).await.expect("head");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        stream
            .write_all(&vec![b' '; size])
            .await
            .expect("the node reads the body it refuses");
        let (head, body) = read_response(&mut stream).await;
        assert!(head.starts_with(&format!("http/1.1 {status}")), "{head}");
        assert!(!head.contains("connection: close"), "{head}");
        let body: Value = serde_json::from_slice(&body).expect("an error body");
        assert_eq!(body["code"], code);
    }
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        url.path()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    for _ in 0..3 {
        let chunk = vec![b' '; limit / 2];
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .expect("chunk size");
        stream.write_all(&chunk).await.expect("chunk");
        stream.write_all(b"\r\n").await.expect("chunk end");
    }
    stream.write_all(b"0\r\n\r\n").await.expect("last chunk");
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 413"), "{head}");
    assert!(!head.contains("connection: close"), "{head}");

    // Not drained: a body declared longer than 8 MiB, or one the sender sends only when
    // asked (Expect: 100-continue). The answer comes at once, and closes the connection.
    for extra in ["", "expect: 100-continue\r\n"] {
        let size = if extra.is_empty() {
            9 * 1024 * 1024
        } else {
            2 * limit
        };
        let mut stream = tokio::net::TcpStream::connect(&address)
            .await
            .expect("connect");
        let head = format!(
            "POST {} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {size}\r\n{extra}\r\n",
            url.path()
        );
        stream.write_all(head.as_bytes()).await.expect("head");
        let (head, _) = read_response(&mut stream).await;
        assert!(head.starts_with("http/1.1 413"), "{head}");
        assert!(head.contains("connection: close"), "{head}");
    }
}

#[tokio::test]
async fn the_binding_refuses_with_json_error_bodies_and_stores_nothing() {
    let setup = setup();
    let jiujiang = run(&setup, JIUJIANG).await;
    let url = format!("{}/messages", setup.nodes[JIUJIANG].endpoint);
    let message = transfer("HS-2026-100003");

    let (status, body) = post(&url, "text/plain", message.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("http.media_type"))
    );
    let oversized = vec![b' '; tongban::json::Limits::PROTOCOL.max_bytes + 1];
    let (status, body) = post(&url, "application/json", oversized).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("json.too_large"))
    );
    let (status, body) = post(
        &format!("{url}/elsewhere"),
        "application/json",
        message.clone(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("http.not_found"))
    );
    let response = reqwest::get(&url).await.expect("answer");
    assert_eq!(response.status().as_u16(), 405);
    let body: Value =
        serde_json::from_slice(&response.bytes().await.expect("body")).expect("json body");
    assert_eq!(body["code"], "http.method_not_allowed");

    // A tampered copy: the signature no longer verifies.
    let tampered = String::from_utf8(message.clone())
        .expect("utf-8")
        .replace("陈丽华", "陈丽芳");
    let (status, body) = post(
        &url,
        "application/json; charset=utf-8",
        tampered.into_bytes(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("signature.invalid"))
    );
    assert_eq!(
        stored_count(&jiujiang, &id_of(&message)),
        0,
        "nothing stored for a refusal"
    );

    // The genuine message is then accepted; the same id with other content is a replay.
    let (status, _) = post(&url, "application/json", message.clone()).await;
    assert_eq!(status, 200);
    let mut other: Value = serde_json::from_slice(&message).expect("json");
    other.as_object_mut().expect("object").remove("signatures");
    other["body"]["window"]["window"] = json!("跨域通办专窗 13号");
    tongban::signing::sign_document(&mut other, &sample::key(HUANGSHI).expect("key"))
        .expect("sign");
    let (status, body) = post(
        &url,
        "application/json",
        tongban::canonical::to_canonical_bytes(&other),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("replay.duplicate"))
    );
    assert_eq!(stored_count(&jiujiang, &id_of(&message)), 1);

    // The client reports a refusal with the receiver's code and does not retry it.
    let expired = {
        let mut value: Value = serde_json::from_slice(&transfer("HS-2026-100004")).expect("json");
        value.as_object_mut().expect("object").remove("signatures");
        value["created"] = json!("2026-01-05T09:00:00+08:00");
        value["expires"] = json!("2026-01-05T10:00:00+08:00");
        tongban::signing::sign_document(&mut value, &sample::key(HUANGSHI).expect("key"))
            .expect("sign");
        tongban::canonical::to_canonical_bytes(&value)
    };
    let (status, body) = post(&url, "application/json", expired.clone()).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("time.expired")));
    let error = quick_client()
        .deliver(&setup.registry, &expired)
        .await
        .expect_err("expired");
    assert!(
        matches!(error, ClientError::Message(_)),
        "refused locally before sending: {error}"
    );
    assert_eq!(error.code(), "time.expired");
    jiujiang.stop().await;
}

#[tokio::test]
async fn the_client_gives_up_on_an_unreachable_receiver_with_a_transport_code() {
    let setup = setup();
    // Jiujiang is not running: every attempt is a connection error.
    let error = quick_client()
        .deliver(&setup.registry, &transfer("HS-2026-100005"))
        .await
        .expect_err("nobody listens");
    assert_eq!(error.code(), "transport.unreachable");
    assert!(error.is_transient());
    assert!(
        matches!(error, ClientError::Unreachable { attempts: 2, .. }),
        "{error}"
    );
}

#[test]
fn bad_configuration_is_refused_with_the_setting_at_fault() {
    let setup = setup();
    let config = &setup.nodes[JIUJIANG].config;
    let original = std::fs::read_to_string(config).expect("config");
    // SM2 keys beside the configuration: Jiujiang's own (not in the registry, whose
    // SM2 keys are the Wuhan circle's) and Huangshi's.
    let dir = config.parent().expect("directory");
    for (file, node) in [("own.sm2.json", JIUJIANG), ("huangshi.sm2.json", HUANGSHI)] {
        let key = tongban::sample::sm2_key(node).expect("key");
        std::fs::write(
            dir.join(file),
            serde_json::to_vec(&key.to_file()).expect("json"),
        )
        .expect("write");
    }
    let other_keys = |files: &str| {
        original.replace(
            "key_file = \"key.json\"\n",
            &format!("key_file = \"key.json\"\nother_key_files = {files}\n"),
        )
    };
    let cases = [
        (
            original.replace("node = \"jiujiang.360400\"", "node = \"Jiujiang\""),
            "node:",
        ),
        (
            other_keys("[\"own.sm2.json\"]"),
            "other_key_files: key jiujiang.360400#sm2 is not one of jiujiang.360400's keys in the registry",
        ),
        (
            other_keys("[\"huangshi.sm2.json\"]"),
            "other_key_files: the key belongs to huangshi.420200",
        ),
        (
            other_keys("[\"key.json\"]"),
            "other_key_files: two keys of suite ed25519",
        ),
        (
            original.replace("node = \"jiujiang.360400\"", "node = \"nanchang.360100\""),
            "key_file: the key belongs to jiujiang.360400",
        ),
        (
            original.replace("key.json", "missing.json"),
            "key_file: cannot read",
        ),
        (
            original.replace("../registry.json", "key.json"),
            "registry_file:",
        ),
        (
            original.replace("listen = \"127.0.0.1", "listen = \"localhost"),
            "listen:",
        ),
        (format!("{original}\nunknown = 1\n"), "unknown field"),
        (
            format!("{original}\n[limits]\nmax_connections = 0\n"),
            "limits.max_connections: must be at least 1",
        ),
        (
            format!("{original}\n[limits]\nmax_body_bytes_in_flight = 65536\n"),
            "limits.max_body_bytes_in_flight: must be at least 2097152",
        ),
        // The operator API is never served without its token, on loopback or not.
        (
            original.replace("operator_token_file = \"operator.token\"\n", ""),
            "operator_token_file: required",
        ),
        (
            original
                .replace("operator_token_file = \"operator.token\"\n", "")
                .replace(
                    "operator_listen = \"127.0.0.1",
                    "operator_listen = \"0.0.0.0",
                ),
            "operator_token_file: required: the operator API on 0.0.0.0",
        ),
        (
            original.replace("attempts = 2", "attempts = 0"),
            "delivery.attempts",
        ),
        (
            original.replace(
                "retry_interval_ms = 200",
                "retry_interval_ms = 200\nmax_retry_interval_ms = 100",
            ),
            "delivery.max_retry_interval_ms: 100 is below retry_interval_ms (200)",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(config, &text).expect("write config");
        let error = Config::load(config).expect_err(expected);
        assert_eq!(error.code(), "node.config");
        assert!(
            error.to_string().contains(expected),
            "{error} does not name {expected}"
        );
    }
    std::fs::write(config, &original).expect("restore");
    assert!(Config::load(config).is_ok());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let token = &setup.nodes[JIUJIANG].operator_token_file;
        std::fs::set_permissions(token, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let error = Config::load(config).expect_err("a token others can read");
        assert!(
            error.to_string().contains("operator_token_file:"),
            "{error}"
        );
        assert!(error.to_string().contains("chmod 600"), "{error}");
        std::fs::set_permissions(token, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        // A password in the database's URL makes the configuration file a secret. (The
        // file may name a database already: TONGBAN_DEMO_POSTGRES.)
        let original_without_database: String = original
            .lines()
            .filter(|line| !line.starts_with("database_"))
            .map(|line| format!("{line}\n"))
            .collect();
        let with_password = original_without_database.replace(
            "data_dir = ",
            "database_url = \"postgres://tongban:s3cret@127.0.0.1/jiujiang\"\ndata_dir = ",
        );
        std::fs::write(config, &with_password).expect("write config");
        std::fs::set_permissions(config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let error = Config::load(config).expect_err("a password others can read");
        assert!(error.to_string().contains("database_url:"), "{error}");
        assert!(error.to_string().contains("chmod 600"), "{error}");
        std::fs::set_permissions(config, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let loaded = Config::load(config).expect("the owner's own file");
        assert!(matches!(
            loaded.database,
            partner_node::store::Location::Postgres(_)
        ));
        // Without a password, the file is no secret.
        let without = original_without_database.replace(
            "data_dir = ",
            "database_url = \"postgres://tongban@127.0.0.1/jiujiang\"\ndata_dir = ",
        );
        std::fs::write(config, &without).expect("write config");
        std::fs::set_permissions(config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(Config::load(config).is_ok());
        // A database across a network is reached over TLS, its server verified against
        // database_ca_file; in clear only on loopback or a Unix socket.
        let directory = config.parent().expect("the configuration's directory");
        let mut params = rcgen::CertificateParams::new(Vec::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let authority = params
            .self_signed(&rcgen::KeyPair::generate().expect("key"))
            .expect("a database's authority");
        std::fs::write(directory.join("db-ca.pem"), authority.pem()).expect("write CA");
        std::fs::write(directory.join("not-a-ca.pem"), "not PEM").expect("write");
        let database = |url: &str, ca_file: Option<&str>| {
            let ca = ca_file
                .map(|file| format!("database_ca_file = \"{file}\"\n"))
                .unwrap_or_default();
            let url = if url.is_empty() {
                String::new()
            } else {
                format!("database_url = \"{url}\"\n")
            };
            original_without_database.replace("data_dir = ", &format!("{url}{ca}data_dir = "))
        };
        let refused = [
            (
                database("postgres://tongban@db.internal/jiujiang", None),
                "database_url: db.internal is reached across a network",
            ),
            (
                database(
                    "postgres://tongban@localhost/jiujiang?hostaddr=10.0.4.7",
                    None,
                ),
                "database_url: 10.0.4.7 is reached across a network",
            ),
            (
                database(
                    "postgres://tongban@127.0.0.1/jiujiang?sslmode=require",
                    None,
                ),
                "database_url: sslmode=require needs database_ca_file",
            ),
            (
                database("", Some("db-ca.pem")),
                "database_ca_file: needs database_url",
            ),
            (
                database(
                    "postgres://tongban@db.internal/jiujiang",
                    Some("not-a-ca.pem"),
                ),
                "database_ca_file: holds no certificate",
            ),
            (
                database(
                    "postgres://tongban@db.internal/jiujiang",
                    Some("missing.pem"),
                ),
                "database_ca_file: cannot read",
            ),
            (
                database(
                    "postgres:///jiujiang?host=/run/postgresql",
                    Some("db-ca.pem"),
                ),
                "database_ca_file: a Unix socket carries no TLS",
            ),
            (
                database("postgres:///jiujiang?hostaddr=10.0.4.7", Some("db-ca.pem")),
                "database_url: with database_ca_file, give the server's name",
            ),
        ];
        for (text, expected) in refused {
            std::fs::write(config, &text).expect("write config");
            let error = Config::load(config).expect_err(expected);
            assert!(error.to_string().contains(expected), "{error}");
        }
        for accepted in [
            database("postgres://tongban@db.internal/jiujiang", Some("db-ca.pem")),
            database("postgres://tongban@[::1]:5433/jiujiang", None),
            database("postgres://tongban@localhost/jiujiang", None),
            database("postgres:///jiujiang?host=/run/postgresql", None),
        ] {
            std::fs::write(config, &accepted).expect("write config");
            let loaded = Config::load(config).unwrap_or_else(|e| panic!("{e}: {accepted}"));
            let partner_node::store::Location::Postgres(server) = loaded.database else {
                panic!("PostgreSQL: {accepted}");
            };
            assert_eq!(server.ca_pem.is_some(), accepted.contains("db-ca.pem"));
        }
        std::fs::write(config, &original).expect("restore");
    }
}

#[test]
fn every_node_code_is_documented_in_the_readme() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    for (code, _) in partner_node::NODE_CODES {
        assert!(
            readme.contains(&format!("| `{code}` |")),
            "{code} is not in the README"
        );
    }
    for (code, status, _) in partner_node::auth::OPERATOR_CODES {
        assert!(
            readme.contains(&format!("| `{code}` | {status} |")),
            "{code} ({status}) is not in the README's operator API table"
        );
    }
}

#[tokio::test]
async fn a_storage_fault_refuses_with_node_storage_records_nothing_and_a_resend_succeeds() {
    let setup = setup();
    let jiujiang = run(&setup, JIUJIANG).await;
    let client = quick_client();
    let sqlite = jiujiang.node().store().sqlite().is_some();
    let faults = if sqlite {
        [
            // A read-only database.
            ("PRAGMA query_only = ON", "PRAGMA query_only = OFF"),
            // A full disk: no page may be added.
            (
                "PRAGMA max_page_count = 1",
                "PRAGMA max_page_count = 1073741823",
            ),
        ]
    } else {
        [
            // PostgreSQL: read-only transactions on the node's connection.
            (
                "SET default_transaction_read_only = on",
                "SET default_transaction_read_only = off",
            ),
            // Its tables out of reach.
            ("SET search_path = nowhere", "SET search_path = public"),
        ]
    };
    // A statement on the node's own (writer) connection.
    let on_node = |sql: &str| {
        let mut store = jiujiang.node().store();
        if sqlite {
            store
                .sqlite()
                .expect("SQLite")
                .execute_batch(sql)
                .expect(sql);
        } else {
            store.run(|db| db.execute(sql, &[])).expect(sql);
        }
    };
    for (fault, undo) in faults {
        let message = transfer(&format!("HS-2026-1001{}", fault.len()));
        let id = id_of(&message);
        let pages: i64 = match jiujiang.node().store().sqlite() {
            Some(db) => db
                .query_row("PRAGMA page_count", [], |r| r.get(0))
                .expect("pages"),
            None => 0,
        };
        on_node(&fault.replace("= 1", &format!("= {pages}")));
        let error = client
            .deliver(&setup.registry, &message)
            .await
            .expect_err(fault);
        assert_eq!(
            error.code(),
            "transport.unreachable",
            "{fault}: a 500 is transient"
        );
        assert!(
            error.to_string().contains("[node.storage]"),
            "{fault}: {error}"
        );
        on_node(undo);
        assert_eq!(
            stored_count(&jiujiang, &id),
            0,
            "{fault}: no receipt without the case"
        );
        let delivery = client
            .deliver(&setup.registry, &message)
            .await
            .expect("delivered once the fault is gone");
        assert!(
            !delivery.replayed,
            "{fault}: nothing was recorded the first time"
        );
        assert_eq!(stored_count(&jiujiang, &id), 1);
    }
    jiujiang.stop().await;
}

#[tokio::test]
async fn messages_of_one_case_are_delivered_in_the_order_they_were_queued() {
    let setup = setup();
    let huangshi = run(&setup, HUANGSHI).await;
    let hs = huangshi.operator_client();
    let body = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");
    let transfer = hs
        .send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": body}))
        .await
        .expect("transfer queued");
    // Jiujiang is down: the transfer's first round fails and it waits for its retry.
    let deadline = tokio::time::Instant::now() + WAIT;
    while hs.outbox().await.expect("outbox")["outbox"][0]["attempts"]
        .as_u64()
        .unwrap_or(0)
        == 0
    {
        assert!(tokio::time::Instant::now() < deadline, "no delivery round");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The withdrawal is due at once, but must not overtake the transfer: Jiujiang would
    // refuse a withdrawal for a case it does not have, for good.
    send(
        &hs,
        "withdrawal",
        JIUJIANG,
        transfer["id"].as_str().expect("id"),
        json!({"requested_by": "applicant", "reason": "申请人撤回"}),
    )
    .await;
    let jiujiang = run(&setup, JIUJIANG).await;
    let view = jiujiang
        .operator_client()
        .wait_for_case(CASE, WAIT, |v| track_state(v) == Some("withdrawn"))
        .await
        .expect("both delivered, in order");
    assert_eq!(view["messages"].as_array().map(Vec::len), Some(2));
    // Huangshi records each receipt once its answer is back, which may be a moment
    // after Jiujiang shows the case.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let outbox = hs.outbox().await.expect("outbox");
        let entries = outbox["outbox"].as_array().cloned().unwrap_or_default();
        assert_eq!(entries.len(), 2, "{outbox}");
        if entries.iter().all(|entry| entry["status"] == "delivered") {
            break;
        }
        assert!(
            entries.iter().all(|entry| entry["status"] != "failed"),
            "{outbox}"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "not receipted: {outbox}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    huangshi.stop().await;
    jiujiang.stop().await;
}

/// Jiujiang's review of `transfer`, signed now: what Jiujiang sends once it accepted the
/// transfer, possibly before its receipt reached Huangshi.
fn review_of(transfer: &str) -> Vec<u8> {
    let digest = Sha256Digest::of(b"unused by a status update");
    let body = sample::body(MessageType::StatusUpdate, &digest).expect("body");
    let mut message = Envelope::new(
        sample::route(JIUJIANG).expect("route"),
        body,
        Timestamp::now(),
        3600,
    )
    .expect("envelope");
    message.in_reply_to = Some(MessageId::parse(transfer).expect("id"));
    message
        .sign(&sample::key(JIUJIANG).expect("key"))
        .expect("sign");
    message.to_canonical_bytes().expect("bytes")
}

#[tokio::test]
async fn a_review_that_overtakes_the_receipt_waits_only_while_the_transfer_is_on_its_way() {
    let setup = setup();
    // Jiujiang is down: Huangshi's transfer stays in its outbox, unreceipted.
    let huangshi = run(&setup, HUANGSHI).await;
    let transfer = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");
    let queued = huangshi.operator_client()
        .send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": transfer}))
        .await
        .expect("queued");
    let transfer_id = queued["id"].as_str().expect("id").to_string();
    let review = review_of(&transfer_id);
    let client = quick_client();

    let early = client
        .deliver(&setup.registry, &review)
        .await
        .expect_err("the receipt is not in yet");
    assert!(early.is_transient(), "{early}");
    assert!(
        early
            .to_string()
            .contains("HTTP 503 [lifecycle.receipt_pending]"),
        "{early}"
    );
    assert_eq!(stored_count(&huangshi, &id_of(&review)), 0);

    // The transfer fails for good (as after a final refusal): the review can never
    // become legal, so it is refused for good.
    let address = huangshi.address;
    huangshi.stop().await;
    {
        let mut store = partner_node::store::Store::open_at(
            &Config::load(&setup.nodes[HUANGSHI].config)
                .expect("config")
                .database,
        )
        .expect("store");
        store
            .run(|db| {
                partner_node::store::mark_attempt_failed(
                    db,
                    HUANGSHI,
                    &transfer_id,
                    "[test] refused for good",
                    None,
                )
            })
            .expect("mark failed");
    }
    let huangshi = run(&setup, HUANGSHI).await;
    assert_eq!(huangshi.address, address);
    match client.deliver(&setup.registry, &review).await {
        Err(ClientError::Refused { status, body }) => {
            assert_eq!(
                (status, body.code.as_str()),
                (409, "lifecycle.illegal_transition")
            );
        }
        other => panic!("expected a final refusal, got {other:?}"),
    }
    assert_eq!(stored_count(&huangshi, &id_of(&review)), 0);
    huangshi.stop().await;
}
