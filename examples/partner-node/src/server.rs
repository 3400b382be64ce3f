//! The HTTP binding's server side (`docs/PROTOCOL.md` §21): `POST <endpoint>/messages`.

use crate::node::{Node, Refusal};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
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

/// Checks the request's media type and size before reading it, reads at most the
/// protocol's size limit, and hands the bytes to the node as storage work.
async fn post_message(State(node): State<Arc<Node>>, headers: HeaderMap, body: Body) -> Response {
    let limit = Limits::PROTOCOL.max_bytes;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_json_utf8(content_type) {
        return refusal(
            "http.media_type",
            format!("send the message as {MEDIA_TYPE}"),
        )
        .into_response();
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        refusal(
            "json.too_large",
            format!("the message is larger than {limit} bytes"),
        )
    };
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large().into_response();
    }
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => return too_large().into_response(),
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
