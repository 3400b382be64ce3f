//! The HTTP binding's server side (`docs/PROTOCOL.md` §21): `POST <endpoint>/messages`.

use crate::metrics::Received;
use crate::node::{Node, Refusal};
use crate::tls::ClientKey;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tongban::file::FILES_PATH;
use tongban::http::{status_for, ErrorBody, MEDIA_TYPE, MESSAGES_PATH, REPLAYED_HEADER};
use tongban::json::Limits;

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.body).unwrap_or_default();
        let mut response = (status, [(header::CONTENT_TYPE, MEDIA_TYPE)], body).into_response();
        response
            .extensions_mut()
            .insert(RefusalCode(self.body.code));
        response
    }
}

/// The code of the refusal a response carries, for the metrics.
#[derive(Debug, Clone)]
struct RefusalCode(String);

/// When a message's whole body had been read, kept on its answer for the metrics.
#[derive(Debug, Clone, Copy)]
struct BodyRead(Instant);

/// A refusal with a binding code.
pub fn refusal(code: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        status: status_for(code),
        body: ErrorBody {
            code: code.into(),
            message: message.into(),
        },
    }
}

/// The protocol endpoint's routes under `base` (the path of the node's endpoint in the
/// registry), with JSON answers for unknown paths and methods.
pub fn router(node: Arc<Node>, base: &str) -> Router {
    let routes = Router::new()
        .route(&format!("{base}{MESSAGES_PATH}"), post(post_message))
        .route(LIVENESS_PATH, get(live))
        .route(READINESS_PATH, get(ready))
        .route(
            &format!("{base}{FILES_PATH}/{{sha256}}"),
            get(crate::files::routes::serve),
        )
        .fallback(|| async { refusal("http.not_found", "no resource at this path") })
        .method_not_allowed_fallback(|| async {
            refusal(
                "http.method_not_allowed",
                "this path does not accept this method (POST for messages, GET for files)",
            )
        })
        .with_state(node.clone());
    if node
        .config()
        .tls
        .as_ref()
        .is_some_and(|tls| tls.registry_named_clients)
    {
        routes.layer(axum::middleware::from_fn_with_state(
            node,
            listed_clients_only,
        ))
    } else {
        routes
    }
}

/// With `registry_named_clients` (§21.5): every request, whatever its path, comes over a
/// connection whose key the registry in force still lists for a member. The handshake
/// checked the registry of its time; an update may have removed the key since.
async fn listed_clients_only(
    State(node): State<Arc<Node>>,
    client: Option<Extension<ClientKey>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match node.client_member(client.as_ref().map(|Extension(key)| key)) {
        Ok(_) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

/// Liveness, for a load balancer or an orchestrator: the process serves requests.
pub const LIVENESS_PATH: &str = "/livez";
/// Readiness: the node can take messages now (its database answers, its registry has
/// not expired and is not behind one that another replica pinned and this one cannot
/// take up); `503` otherwise, naming the failing checks and nothing more.
pub const READINESS_PATH: &str = "/readyz";

async fn live() -> Response {
    axum::Json(serde_json::json!({ "status": "live" })).into_response()
}

async fn ready(State(node): State<Arc<Node>>) -> Response {
    let readiness = match node.recent_readiness() {
        Some(readiness) => readiness,
        None => {
            let checker = node.clone();
            node.storage_work(move || Ok::<_, crate::NodeError>(checker.readiness()))
                .await
                .unwrap_or_else(|e| crate::node::Readiness {
                    database: Some(e.to_string()),
                    registry: None,
                })
        }
    };
    if readiness.is_ready() {
        return axum::Json(serde_json::json!({ "status": "ready" })).into_response();
    }
    let failing: Vec<&str> = [
        ("database", &readiness.database),
        ("registry", &readiness.registry),
    ]
    .into_iter()
    .filter_map(|(check, reason)| reason.as_ref().map(|_| check))
    .collect();
    let body = serde_json::json!({ "status": "not_ready", "failing": failing });
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
}

/// Whether a Content-Type is `application/json`, with no parameter but `charset=utf-8`.
fn is_json_utf8(content_type: &str) -> bool {
    let mut parts = content_type
        .split(';')
        .map(|p| p.trim().to_ascii_lowercase());
    parts.next().as_deref() == Some(MEDIA_TYPE)
        && parts.all(|p| {
            matches!(
                p.replace(' ', "").as_str(),
                "charset=utf-8" | "charset=\"utf-8\""
            )
        })
}

/// A body the node refuses without using it (too large, wrong media type) is still
/// read and thrown away, up to this many bytes and for at most [`DRAIN_TIME`]: closing
/// a connection with unread data resets it, and the sender may then never read the
/// answer. Otherwise the answer says `Connection: close`.
const DRAIN_LIMIT: u64 = 8 * 1024 * 1024;
/// How long the node waits for the rest of a body it refuses.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// What reading a request body gave.
enum ReadBody {
    /// The whole body, within the limit, with the share of the body budget it holds.
    Complete(Vec<u8>, Vec<OwnedSemaphorePermit>),
    /// The body goes past the limit; the rest is unread.
    TooLarge,
    /// The bodies being read hold the whole budget; the rest is unread.
    OverBudget,
    /// The body could not be read to its end.
    Failed,
}

/// Reads the body while it stays within `limit` bytes, taking a share of `budget`
/// (one permit per KiB of the buffer's capacity) for what it holds, so that the bodies
/// held at once are bounded. The buffer doubles as it fills, but never past the
/// `declared` length (nor the limit): a body's share is at most its size, not twice it.
async fn read_body(
    body: &mut Body,
    limit: usize,
    declared: Option<u64>,
    budget: &Arc<Semaphore>,
) -> ReadBody {
    let mut bytes = Vec::new();
    let mut held = Vec::new();
    let mut held_kib = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return ReadBody::Failed;
        };
        if let Some(data) = frame.data_ref() {
            let length = bytes.len() + data.len();
            if length > limit {
                return ReadBody::TooLarge;
            }
            if length > bytes.capacity() {
                let ceiling = declared
                    .and_then(|declared| usize::try_from(declared).ok())
                    .map_or(limit, |declared| declared.min(limit));
                let grown = (bytes.capacity() * 2).min(ceiling).max(length);
                bytes.reserve_exact(grown - bytes.len());
            }
            bytes.extend_from_slice(data);
            let needed = bytes.capacity().div_ceil(1024).saturating_sub(held_kib);
            if needed > 0 {
                let needed_permits = u32::try_from(needed).unwrap_or(u32::MAX);
                let Ok(permit) = budget.clone().try_acquire_many_owned(needed_permits) else {
                    return ReadBody::OverBudget;
                };
                held.push(permit);
                held_kib += needed;
            }
        }
    }
    ReadBody::Complete(bytes, held)
}

/// A transient refusal for a node at its limit: `429 node.busy`, retry after a second.
fn busy(drained: bool) -> Response {
    let refused = refusal(
        "node.busy",
        "too many requests in flight; send the message again later",
    );
    let mut response = refused_unread(refused, drained);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Reads and discards the rest of a body the node will not use, within [`DRAIN_LIMIT`]
/// and [`DRAIN_TIME`]; whether it was read to its end. A body declared longer, or one
/// the sender waits to be asked for (`Expect: 100-continue`), is not read at all.
async fn drain(mut body: Body, headers: &HeaderMap, declared: Option<u64>) -> bool {
    let waits_to_be_asked = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if waits_to_be_asked || declared.is_some_and(|length| length > DRAIN_LIMIT) {
        return false;
    }
    let discard = async {
        let mut read = 0u64;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return false;
            };
            read += frame.data_ref().map_or(0, |data| data.len() as u64);
            if read > DRAIN_LIMIT {
                return false;
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIME, discard)
        .await
        .unwrap_or(false)
}

/// A refusal sent without using the body; unless the body was read to its end, the
/// connection is closed and the answer says so.
fn refused_unread(refused: Refusal, drained: bool) -> Response {
    let mut response = refused.into_response();
    if !drained {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Answers a posted message ([`answer_posted`]) and counts the answer in the metrics:
/// its outcome, its refusal's code, and the time from the whole body read to the answer
/// (from the request's start for a refusal sent before the body was read).
async fn post_message(
    State(node): State<Arc<Node>>,
    client: Option<Extension<ClientKey>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let client = client.map(|Extension(key)| key);
    let response = answer_posted(&node, client, headers, body).await;
    let extensions = response.extensions();
    let code = extensions.get::<RefusalCode>().map(|c| c.0.as_str());
    let outcome = match code {
        Some(_) => Received::Refused,
        None if response.headers().contains_key(REPLAYED_HEADER) => Received::Replayed,
        None => Received::Accepted,
    };
    let from = extensions.get::<BodyRead>().map_or(started, |read| read.0);
    node.metrics().received(outcome, code, from.elapsed());
    response
}

/// Checks the request's media type and size before using its body, reads at most the
/// protocol's size limit, and hands the bytes to the node as storage work.
async fn answer_posted(
    node: &Arc<Node>,
    client: Option<ClientKey>,
    headers: HeaderMap,
    mut body: Body,
) -> Response {
    let limit = Limits::PROTOCOL.max_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_json_utf8(content_type) {
        let refused = refusal(
            "http.media_type",
            format!("send the message as {MEDIA_TYPE}"),
        );
        return refused_unread(refused, drain(body, &headers, declared).await);
    }
    let too_large = refusal(
        "json.too_large",
        format!("the message is larger than {limit} bytes"),
    );
    if declared.is_some_and(|length| length > limit as u64) {
        return refused_unread(too_large, drain(body, &headers, declared).await);
    }
    // A body sent too slowly is given up with 408 http.timeout (transient: the sender
    // sends it again) and the connection closed; the bodies held at once stay within
    // the node's body budget, else 429 node.busy.
    let body_timeout = node.config().limits.body_timeout;
    let read = tokio::time::timeout(
        body_timeout,
        read_body(&mut body, limit, declared, node.body_budget()),
    )
    .await;
    let Ok(read) = read else {
        tracing::warn!("a request body took longer than {body_timeout:?}; closing the connection");
        let refused = refusal(
            "http.timeout",
            format!("the body was not received within {body_timeout:?}"),
        );
        return refused_unread(refused, false);
    };
    let (bytes, body_share) = match read {
        ReadBody::Complete(bytes, share) => (bytes, share),
        ReadBody::TooLarge => {
            return refused_unread(too_large, drain(body, &headers, None).await);
        }
        ReadBody::OverBudget => return busy(false),
        ReadBody::Failed => {
            let refused = refusal("json.syntax", "the body could not be read to its end");
            return refused_unread(refused, false);
        }
    };
    let body_read = BodyRead(Instant::now());
    // Only as many messages are verified and stored at once as the node allows.
    let Some(admitted) = node.try_admit() else {
        return busy(true);
    };
    // The place and the body's share go with the work, which runs on even if the
    // request is dropped (a sender that closes its connection).
    let receiver = node.clone();
    let answer = node
        .storage_work(move || {
            let _held = (admitted, body_share);
            receiver.receive_over(&bytes, client.as_ref())
        })
        .await;
    let mut response = match answer {
        Ok(receipted) => {
            let mut response = (
                StatusCode::OK,
                [(header::CONTENT_TYPE, MEDIA_TYPE)],
                receipted.receipt,
            )
                .into_response();
            if receipted.replayed {
                response
                    .headers_mut()
                    .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
            }
            response
        }
        Err(refused) => refused.into_response(),
    };
    response.extensions_mut().insert(body_read);
    response
}
