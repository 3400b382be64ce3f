//! The operator API, for the city's own staff and case system; bind it to a private
//! address. It moves cases on by sending signed messages, and shows cases and the
//! outbox. Every request passes [`crate::auth`]'s guard first: the operator token,
//! the operator API's own host name, no foreign origin, JSON bodies only.
//!
//! | method and path | does |
//! |---|---|
//! | `POST /operator/v1/messages` | build, sign, check and queue a message: `{"type", "case", "to", "agreement", "in_reply_to"?, "body"}`; 202 with `{"id", "sha256", "state"}` |
//! | `GET /operator/v1/cases` | the cases, newest first: `{"cases": [{"window", "case"}]}` |
//! | `GET /operator/v1/cases/{window}/{case}` | the case: window, status, tracks with deadlines, every message with its receipt (and, sealed to this node, `opened`), every file |
//! | `GET /operator/v1/cases/{case}` | the same, when only one window's case has this id (`409 operator.ambiguous_case` naming the windows otherwise) |
//! | `GET /operator/v1/outbox` | outbound messages and their delivery state |
//! | `GET /operator/v1/registry` | the registry in force: version, sha256, issued, expires |
//! | `PUT /operator/v1/registry` | install a new registry (the signed registry file as the body): an update of the one in force, pinned, written over the registry file |
//! | `GET /operator/v1/health` | the registry's and this node's key's expiry, with warnings |
//! | `GET /operator/v1/metrics` | the counters and histograms of [`crate::metrics`], as OpenMetrics text; the configuration's `metrics_token_file` names a second token that reads this and nothing else |
//! | `POST /operator/v1/files?name=…&media_type=…` | store a file to send (the body, `application/octet-stream`, at most 50 MiB) under its digest; 201 with its reference `{"name", "sha256", "media_type", "size"}` |
//! | `GET /operator/v1/files/{sha256}` | a file this node holds (uploaded, or fetched from a partner and verified), `Range` honoured; (1.1) a sealed file received, at its address: opened with this node's sealing key, checked, and given in clear |

use crate::auth::{self, OperatorGuard};
use crate::node::{Node, Outgoing, Refusal};
use crate::server::refusal;
use crate::store::{self, CaseKey};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;
use tongban::registry::REGISTRY_LIMITS;
use tongban::{CaseId, NodeId};

/// The operator API's routes, behind `guard` (unknown paths too: without the token,
/// nothing about the API is shown).
pub fn router(node: Arc<Node>, guard: OperatorGuard) -> Router {
    Router::new()
        .route("/operator/v1/messages", post(send))
        .route("/operator/v1/cases", get(cases))
        .route("/operator/v1/cases/{case}", get(case_by_id))
        .route("/operator/v1/cases/{window}/{case}", get(case))
        .route("/operator/v1/outbox", get(outbox))
        .route("/operator/v1/registry", get(registry).put(install_registry))
        .route("/operator/v1/health", get(health))
        .route(auth::METRICS_PATH, get(metrics))
        .route(auth::UPLOAD_PATH, post(crate::files::routes::upload))
        .route(
            "/operator/v1/files/{sha256}",
            get(crate::files::routes::download),
        )
        .fallback(|| async { refusal("http.not_found", "no resource at this path") })
        .with_state(node)
        .layer(axum::middleware::from_fn_with_state(guard, auth::guard))
}

/// Runs `work` on the node as storage work.
async fn blocking<T: Send + 'static>(
    node: &Arc<Node>,
    work: impl FnOnce(&Node) -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    let worker = node.clone();
    node.storage_work(move || work(&worker)).await
}

async fn send(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    let outgoing = tongban::json::parse(&body)
        .map_err(|e| Refusal::from(tongban::Error::from(e)))
        .and_then(|value| {
            tongban::shape::from_value::<Outgoing>(&value)
                .map_err(|e| refusal("message.invalid", e.to_string()))
        });
    let result = match outgoing {
        Ok(outgoing) => blocking(&node, move |node| node.send(outgoing)).await,
        Err(refused) => Err(refused),
    };
    match result {
        Ok(queued) => (StatusCode::ACCEPTED, Json(queued)).into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn cases(State(node): State<Arc<Node>>) -> Response {
    match blocking(&node, |node| {
        Ok(node.store().run(|db| store::case_keys(db, None))?)
    })
    .await
    {
        Ok(keys) => {
            let cases: Vec<Value> = keys
                .iter()
                .map(|k| json!({"window": k.window, "case": k.case}))
                .collect();
            Json(json!({ "cases": cases })).into_response()
        }
        Err(refused) => refused.into_response(),
    }
}

/// The view of case `key`, or 404.
async fn view(node: Arc<Node>, key: CaseKey) -> Response {
    match blocking(&node, move |node| node.case_view(&key)).await {
        Ok(Some(view)) => Json(view).into_response(),
        Ok(None) => refusal("http.not_found", "no such case").into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn case(
    State(node): State<Arc<Node>>,
    Path((window, case)): Path<(String, String)>,
) -> Response {
    let key = NodeId::parse(window.as_str()).and_then(|window| {
        Ok(CaseKey {
            window,
            case: CaseId::parse(case.as_str())?,
        })
    });
    match key {
        Ok(key) => view(node, key).await,
        Err(e) => Refusal::from(tongban::Error::from(e)).into_response(),
    }
}

/// A case by its id alone: cases are a window's and an id (§18), so this answers only
/// when one window's case has the id.
async fn case_by_id(State(node): State<Arc<Node>>, Path(case): Path<String>) -> Response {
    let id = match CaseId::parse(case.as_str()) {
        Ok(id) => id,
        Err(e) => return Refusal::from(tongban::Error::from(e)).into_response(),
    };
    let keys = blocking(&node, move |node| {
        Ok(node.store().run(|db| store::case_keys(db, Some(&id)))?)
    })
    .await;
    match keys {
        Ok(keys) if keys.len() > 1 => {
            let windows: Vec<String> = keys.iter().map(|k| k.window.to_string()).collect();
            auth::refused(
                "operator.ambiguous_case",
                format!(
                    "windows {} each have a case {case}: ask for /operator/v1/cases/{{window}}/{case}",
                    windows.join(", ")
                ),
            )
            .into_response()
        }
        Ok(mut keys) => match keys.pop() {
            Some(key) => view(node, key).await,
            None => refusal("http.not_found", "no such case").into_response(),
        },
        Err(refused) => refused.into_response(),
    }
}

/// What the operator API says of a registry.
fn registry_summary(registry: &tongban::registry::Registry) -> Value {
    json!({
        "version": registry.version(),
        "sha256": registry.digest(),
        "issued": registry.document().issued,
        "expires": registry.document().expires,
    })
}

async fn registry(State(node): State<Arc<Node>>) -> Response {
    Json(registry_summary(&node.registry())).into_response()
}

async fn install_registry(State(node): State<Arc<Node>>, body: axum::body::Body) -> Response {
    let limit = REGISTRY_LIMITS.max_bytes;
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        let message = format!("a registry is at most {limit} bytes");
        return refusal("json.too_large", message).into_response();
    };
    match blocking(&node, move |node| node.install_registry(&body)).await {
        Ok(installed) => Json(registry_summary(&installed)).into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn health(State(node): State<Arc<Node>>) -> Response {
    Json(node.health()).into_response()
}

async fn metrics(State(node): State<Arc<Node>>) -> Response {
    match blocking(&node, |node| Ok(node.metrics_text()?)).await {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                crate::metrics::CONTENT_TYPE,
            )],
            text,
        )
            .into_response(),
        Err(refused) => refused.into_response(),
    }
}

async fn outbox(State(node): State<Arc<Node>>) -> Response {
    let entries = blocking(&node, |node| Ok(node.store().run(store::outbox)?)).await;
    match entries {
        Ok(entries) => {
            let entries: Vec<Value> = entries
                .iter()
                .map(|e| {
                    json!({
                        "id": e.id,
                        "status": e.status,
                        "attempts": e.attempts,
                        "next_attempt_unix_ms": e.next_attempt,
                        "last_error": e.last_error,
                    })
                })
                .collect();
            Json(json!({ "outbox": entries })).into_response()
        }
        Err(refused) => refused.into_response(),
    }
}
