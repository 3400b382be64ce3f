//! The operator API signs and sends in the node's name and shows personal data: each
//! test here is an attack on it, over real loopback HTTP against a running node, that
//! must be refused before anything is sent, queued or shown.

use partner_node::demo::{self, OperatorClient};
use partner_node::{start, Config, RunningNode};
use serde_json::{json, Value};
use tongban::sample::{self, AGREEMENT, CASE, HUANGSHI, JIUJIANG};

/// The applicant's name in the sample transfer: personal data no refusal may show.
const APPLICANT: &str = "陈丽华";

async fn huangshi_with_a_case() -> (tempfile::TempDir, RunningNode) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare nodes");
    let node = start(Config::load(&nodes[HUANGSHI].config).expect("config"))
        .await
        .expect("node starts");
    let transfer = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");
    node.operator_client()
        .send(&withdrawal_or(transfer, "transfer"))
        .await
        .expect("the operator, with the token, queues the transfer");
    (dir, node)
}

fn withdrawal_or(body: Value, message_type: &str) -> Value {
    json!({"type": message_type, "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": body})
}

/// A request sent as-is, with exactly these headers (and reqwest's own defaults but
/// Host, which is replaced when given).
async fn raw(
    node: &RunningNode,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, String)],
    body: Option<String>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = reqwest::Client::new().request(
        method,
        format!("http://{}/operator/v1{path}", node.operator_address),
    );
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("body"))
}

fn code(body: &str) -> String {
    tongban::http::ErrorBody::parse(body.as_bytes())
        .map_or_else(|| format!("not an error body: {body}"), |b| b.code)
}

async fn queued(node: &RunningNode) -> usize {
    node.operator_client().outbox().await.expect("outbox")["outbox"]
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn a_web_page_cannot_make_the_node_sign_and_send() {
    let (_dir, node) = huangshi_with_a_case().await;
    assert_eq!(queued(&node).await, 1);
    let withdrawal = withdrawal_or(json!({"reason": "申请人撤回"}), "withdrawal").to_string();
    let token = format!("Bearer {}", node.node().config().operator_token.secret());
    // What `fetch(url, {method: "POST", mode: "no-cors", body})` sends from a page the
    // clerk opened: text/plain, a foreign Origin, no credential.
    let page = [
        ("content-type", "text/plain;charset=UTF-8".to_string()),
        ("origin", "http://evil.example".to_string()),
    ];
    let (status, _, body) = raw(
        &node,
        reqwest::Method::POST,
        "/messages",
        &page,
        Some(withdrawal.clone()),
    )
    .await;
    assert_eq!((status, code(&body)), (403, "operator.origin".into()));
    // The same without an Origin (a script outside a browser): no token, no entry.
    let (status, headers, body) = raw(
        &node,
        reqwest::Method::POST,
        "/messages",
        &[("content-type", "application/json".into())],
        Some(withdrawal.clone()),
    )
    .await;
    assert_eq!((status, code(&body)), (401, "operator.unauthorized".into()));
    assert_eq!(headers["www-authenticate"], "Bearer realm=\"operator\"");
    // A wrong token, and the right one under another scheme.
    for wrong in [
        format!("Bearer {}", "x".repeat(43)),
        token.replacen("Bearer", "Basic", 1),
        format!("{token}x"),
    ] {
        let headers = [
            ("content-type", "application/json".to_string()),
            ("authorization", wrong),
        ];
        let (status, _, body) = raw(
            &node,
            reqwest::Method::POST,
            "/messages",
            &headers,
            Some(withdrawal.clone()),
        )
        .await;
        assert_eq!((status, code(&body)), (401, "operator.unauthorized".into()));
    }
    // With the token, a body that is not declared JSON is still refused: only a
    // request no page can send without a preflight is served.
    let plain = [
        ("content-type", "text/plain".to_string()),
        ("authorization", token.clone()),
    ];
    let (status, _, body) = raw(
        &node,
        reqwest::Method::POST,
        "/messages",
        &plain,
        Some(withdrawal),
    )
    .await;
    assert_eq!((status, code(&body)), (415, "http.media_type".into()));
    assert_eq!(queued(&node).await, 1, "nothing was queued by the attempts");
    node.stop().await;
}

#[tokio::test]
async fn case_data_is_shown_to_the_token_on_the_operator_apis_own_host_only() {
    let (_dir, node) = huangshi_with_a_case().await;
    let token = format!("Bearer {}", node.node().config().operator_token.secret());
    let path = format!("/cases/{CASE}");
    // DNS rebinding: the attacker's name resolves to loopback; the browser sends its
    // Host, and no token (the page has none).
    let port = node.operator_address.port();
    let rebound = [("host", format!("tongban.evil.example:{port}"))];
    let (status, _, body) = raw(&node, reqwest::Method::GET, &path, &rebound, None).await;
    assert_eq!((status, code(&body)), (403, "operator.host".into()));
    assert!(!body.contains(APPLICANT));
    // The foreign Host is refused even with the token.
    let rebound_with_token = [rebound[0].clone(), ("authorization", token.clone())];
    let (status, _, body) = raw(
        &node,
        reqwest::Method::GET,
        &path,
        &rebound_with_token,
        None,
    )
    .await;
    assert_eq!((status, code(&body)), (403, "operator.host".into()));
    // No token: neither the case, nor whether it exists, nor which paths exist.
    for path in [
        path.as_str(),
        "/cases/HS-2026-999999",
        "/cases",
        "/outbox",
        "/nowhere",
    ] {
        let (status, _, body) = raw(&node, reqwest::Method::GET, path, &[], None).await;
        assert_eq!(
            (status, code(&body)),
            (401, "operator.unauthorized".into()),
            "{path}"
        );
        assert!(!body.contains(APPLICANT));
    }
    // The operator, with the token, at the address or as localhost.
    let (status, _, body) = raw(
        &node,
        reqwest::Method::GET,
        &path,
        &[("authorization", token.clone())],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(APPLICANT));
    let localhost = [
        ("host", format!("localhost:{port}")),
        ("authorization", token),
    ];
    let (status, _, _) = raw(&node, reqwest::Method::GET, &path, &localhost, None).await;
    assert_eq!(status, 200);
    let foreign = OperatorClient::new(node.operator_address, &"y".repeat(43));
    let refused = foreign.case(CASE).await.expect_err("another token");
    assert_eq!(refused.code().as_deref(), Some("operator.unauthorized"));
    node.stop().await;
}
