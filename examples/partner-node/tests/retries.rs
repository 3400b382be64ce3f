//! The client's retries against a real flaky gateway on loopback in front of a real
//! Jiujiang node: transient answers (503, 429 with Retry-After) are retried with the
//! same bytes; a refusal is final after one request.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use partner_node::database::Param;
use partner_node::{demo, start, Config};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tongban::client::{Client, ClientError, RetryPolicy};
use tongban::registry::Registry;
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

/// Answers the first `transient.len()` requests with those statuses and `Retry-After`
/// values (a 3xx redirects to the node), then forwards each request to the node behind
/// it; records every body it saw.
#[derive(Clone)]
struct Gateway {
    transient: Arc<Mutex<Vec<(u16, &'static str)>>>,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
    behind: String,
}

async fn forward(State(gateway): State<Gateway>, headers: HeaderMap, body: Bytes) -> Response {
    gateway.seen.lock().expect("lock").push(body.to_vec());
    let next = {
        let mut transient = gateway.transient.lock().expect("lock");
        (!transient.is_empty()).then(|| transient.remove(0))
    };
    if let Some((status, retry_after)) = next {
        let code = StatusCode::from_u16(status).expect("status");
        if code.is_redirection() {
            return (code, [("location", gateway.behind.as_str())], "elsewhere").into_response();
        }
        return (code, [("retry-after", retry_after)], "try again").into_response();
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let answer = reqwest::Client::new()
        .post(&gateway.behind)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the node answers");
    let status = StatusCode::from_u16(answer.status().as_u16()).expect("status");
    let replayed = answer
        .headers()
        .get("tongban-replayed")
        .map(|v| v.as_bytes().to_vec());
    let bytes = answer.bytes().await.expect("body");
    let mut response = (status, [("content-type", "application/json")], bytes).into_response();
    if let Some(value) = replayed {
        response
            .headers_mut()
            .insert("tongban-replayed", value.try_into().expect("header"));
    }
    response
}

fn signed(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let body = Body::Transfer(sample::transfer_body().expect("body"));
    let message = Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        body,
        Timestamp::now(),
        3600,
    )
    .expect("envelope");
    let mut value = message.to_value().expect("json");
    value.as_object_mut().expect("object").remove("signatures");
    edit(&mut value);
    tongban::signing::sign_document(&mut value, &sample::key(HUANGSHI).expect("key"))
        .expect("sign");
    tongban::canonical::to_canonical_bytes(&value)
}

#[tokio::test]
async fn transient_answers_are_retried_with_the_same_bytes_and_refusals_are_not() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let registry_bytes = std::fs::read(dir.path().join("registry.json")).expect("registry");
    let registry = Registry::bootstrap(&registry_bytes, &Timestamp::now()).expect("registry");

    // Jiujiang listens elsewhere; the gateway takes its registered address.
    let registered = nodes[JIUJIANG].listen;
    let mut config = Config::load(&nodes[JIUJIANG].config).expect("config");
    config.listen = demo::free_address().expect("address");
    let behind = format!("http://{}/tongban/v1/messages", config.listen);
    let jiujiang = start(config).await.expect("Jiujiang starts");
    let gateway = Gateway {
        transient: Arc::new(Mutex::new(vec![(503, "0"), (429, "1"), (502, "0")])),
        seen: Arc::new(Mutex::new(Vec::new())),
        behind,
    };
    let app = Router::new()
        .route("/tongban/v1/messages", post(forward))
        .with_state(gateway.clone());
    let listener = tokio::net::TcpListener::bind(registered)
        .await
        .expect("gateway binds");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Client::new(RetryPolicy {
        attempts: 5,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
    })
    .expect("client");
    let message = signed(|_| {});
    let started = std::time::Instant::now();
    let delivery = client
        .deliver(&registry, &message)
        .await
        .expect("delivered in the end");
    assert_eq!(delivery.attempts, 4, "503, 429 and 502, then the receipt");
    // The backoffs add up to at most 70 ms; only the 429's Retry-After of 1 s explains
    // a wait of a second (a lower bound: a slow machine cannot fail it).
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After ignored: {:?}",
        started.elapsed()
    );
    {
        let seen = gateway.seen.lock().expect("lock");
        assert_eq!(seen.len(), 4);
        assert!(
            seen.iter().all(|body| body == &message),
            "every attempt sends the same bytes"
        );
    }

    // A refusal (a form the item's schema refuses) is final: one request only.
    gateway.seen.lock().expect("lock").clear();
    let invalid = signed(|v| v["body"]["form"]["employees"] = serde_json::json!(-1));
    let local = client
        .deliver(&registry, &invalid)
        .await
        .expect_err("refused");
    assert_eq!(local.code(), "item.form_invalid", "checked before sending");
    assert!(
        gateway.seen.lock().expect("lock").is_empty(),
        "nothing was sent"
    );

    // A refusal only the receiver can make (the same id with other content): final
    // after one request, reported with the receiver's status and code.
    let mut replay: serde_json::Value = serde_json::from_slice(&message).expect("json");
    replay.as_object_mut().expect("object").remove("signatures");
    replay["body"]["window"]["window"] = serde_json::json!("跨域通办专窗 13号");
    tongban::signing::sign_document(&mut replay, &sample::key(HUANGSHI).expect("key"))
        .expect("sign");
    let replay = tongban::canonical::to_canonical_bytes(&replay);
    let refused = client
        .deliver(&registry, &replay)
        .await
        .expect_err("a replay");
    assert!(
        matches!(&refused, ClientError::Refused { status: 409, .. }),
        "{refused}"
    );
    assert_eq!(refused.code(), "replay.duplicate");
    assert_eq!(gateway.seen.lock().expect("lock").len(), 1, "not retried");
    gateway.seen.lock().expect("lock").clear();

    // Exhausted transient failures give transport.unreachable with the last one named.
    // A redirect is never followed: the message would go to a host the registry does
    // not name. Nothing reaches the node.
    *gateway.transient.lock().expect("lock") = vec![(307, "0")];
    let redirected = signed(|_| {});
    let error = client
        .deliver(&registry, &redirected)
        .await
        .expect_err("not followed");
    assert_eq!(error.code(), "transport.bad_response");
    assert!(error.is_transient(), "the sender keeps the message");
    let held: i64 = jiujiang
        .node()
        .store()
        .run(|db| {
            db.query_one(
                "SELECT COUNT(*) FROM messages WHERE bytes = ?1",
                &[Param::Blob(&redirected)],
            )?
            .integer(0)
        })
        .expect("count");
    assert_eq!(held, 0);
    gateway.seen.lock().expect("lock").clear();

    *gateway.transient.lock().expect("lock") = vec![(503, "0"); 5];
    let error = client
        .deliver(&registry, &signed(|_| {}))
        .await
        .expect_err("gives up");
    assert_eq!(error.code(), "transport.unreachable");
    assert!(error.to_string().contains("HTTP 503"), "{error}");
    assert_eq!(gateway.seen.lock().expect("lock").len(), 5);

    server.abort();
    jiujiang.stop().await;
}
