//! The HTTP binding's server side (`docs/PROTOCOL.md` §21): `POST <endpoint>/messages`.

use crate::node::{Node, Refusal};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use http_body_util::BodyExt;
use std::sync::Arc;
use tongban::http::{status_for, ErrorBody, MEDIA_TYPE, MESSAGES_PATH, REPLAYED_HEADER};
use tongban::json::Limits;

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.body).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, MEDIA_TYPE)], body).into_response()
    }
}

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
    Router::new()
        .route(&format!("{base}{MESSAGES_PATH}"), post(post_message))
        .fallback(|| async { refusal("http.not_found", "no resource at this path") })
        .method_not_allowed_fallback(|| async {
            refusal("http.method_not_allowed", "this path accepts POST only")
        })
        .with_state(node)
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

/// A body refused as too large is still read to its end, up to this many bytes, and
/// thrown away: closing a connection with unread data resets it, and the sender may
/// then never read the 413. A longer body is refused at once and the connection closed.
const DRAIN_LIMIT: u64 = 8 * 1024 * 1024;

/// The body's bytes if there are at most `limit`. Otherwise `Err(drained)`: whether
/// the rest was read and discarded, so that the connection can be kept.
async fn read_body(mut body: Body, limit: usize) -> Result<Vec<u8>, bool> {
    let mut bytes = Vec::new();
    let mut read = 0u64;
    let mut over = false;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| false)?.into_data() else {
            continue;
        };
        read += data.len() as u64;
        over |= bytes.len() + data.len() > limit;
        if read > DRAIN_LIMIT {
            return Err(false);
        }
        if !over {
            bytes.extend_from_slice(&data);
        }
    }
    if over {
        Err(true)
    } else {
        Ok(bytes)
    }
}

/// Reads and discards a body that will not be used, unless it is declared longer than
/// [`DRAIN_LIMIT`]; whether it was read to its end.
async fn drain(body: Body, declared: Option<u64>) -> bool {
    declared.is_none_or(|length| length <= DRAIN_LIMIT)
        && matches!(read_body(body, 0).await, Ok(_) | Err(true))
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

/// Checks the request's media type and size before reading it, reads at most the
/// protocol's size limit, and hands the bytes to the node as storage work.
async fn post_message(State(node): State<Arc<Node>>, headers: HeaderMap, body: Body) -> Response {
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
        return refused_unread(refused, drain(body, declared).await);
    }
    let too_large = refusal(
        "json.too_large",
        format!("the message is larger than {limit} bytes"),
    );
    if declared.is_some_and(|length| length > limit as u64) {
        return refused_unread(too_large, drain(body, declared).await);
    }
    let bytes = match read_body(body, limit).await {
        Ok(bytes) => bytes,
        Err(drained) => return refused_unread(too_large, drained),
    };
    let receiver = node.clone();
    let answer = node.storage_work(move || receiver.receive(&bytes)).await;
    match answer {
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
    }
}
