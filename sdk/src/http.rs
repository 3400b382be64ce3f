//! The HTTP binding (`docs/PROTOCOL.md` §21), shared by clients and servers: paths,
//! media type, headers, the error body and the HTTP status of every error code.
//!
//! This module has no network dependency; the client is behind the `client` feature
//! ([`crate::client`]) and the reference node is `examples/partner-node`.

use serde::{Deserialize, Serialize};

/// The path, under a member's registry endpoint, to which messages are posted.
pub const MESSAGES_PATH: &str = "/messages";

/// The media type of request and response bodies.
pub const MEDIA_TYPE: &str = "application/json";

/// Response header set to `true` when the message was received before and the
/// response carries the receipt given then.
pub const REPLAYED_HEADER: &str = "tongban-replayed";

/// Codes of the HTTP binding, beside the protocol's own ([`crate::ERROR_CODES`]).
pub const BINDING_CODES: &[(&str, &str)] = &[
    (
        "http.media_type",
        "the request's Content-Type is not application/json",
    ),
    ("http.not_found", "no resource at this path"),
    (
        "http.timeout",
        "the request's body was not received within the receiver's time limit; send it again",
    ),
    (
        "http.method_not_allowed",
        "the path does not accept this HTTP method",
    ),
    (
        "node.storage",
        "the receiver could not store the message; nothing was recorded, send it again later",
    ),
    (
        "node.busy",
        "the receiver has as many requests in flight as it serves at once; nothing was recorded, send it again after Retry-After",
    ),
    (
        "transport.unreachable",
        "the client gave up: every attempt failed with a connection error, a timeout, a 5xx, a 429 or a 408",
    ),
    (
        "transport.bad_response",
        "the receiver answered with something the binding does not allow (a redirect, a body that is neither a receipt nor an error body, an unexpected status)",
    ),
];

/// The body of every error response: the stable code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// The error code (`docs/PROTOCOL.md` §13 and §21).
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

impl ErrorBody {
    /// Reads an error body from a response body (strict JSON); `None` if it is not one.
    pub fn parse(bytes: &[u8]) -> Option<ErrorBody> {
        crate::json::parse(bytes)
            .ok()
            .and_then(|value| crate::shape::from_value(&value).ok())
    }

    /// The error body of an SDK error.
    pub fn of(error: &crate::Error) -> ErrorBody {
        ErrorBody {
            code: error.code().to_string(),
            message: error.to_string(),
        }
    }
}

/// The HTTP status with which a receiver refuses a message for error `code`.
///
/// | status | codes |
/// |---|---|
/// | 400 | `json.*` but `json.too_large`, `id.*`, `time.format`, `time.bad_window`, `version.format`, `message.*` but `message.wrong_receiver`, `calendar.*` |
/// | 401 | `signature.*`, `key.*` |
/// | 403 | `registry.unknown_member`, `message.wrong_receiver`, `agreement.not_party`, `agreement.wrong_role` |
/// | 404 | `http.not_found` |
/// | 405 | `http.method_not_allowed` |
/// | 408 | `http.timeout` |
/// | 409 | `replay.duplicate`, `lifecycle.*` but `lifecycle.receipt_pending` |
/// | 413 | `json.too_large` |
/// | 415 | `http.media_type` |
/// | 422 | every other code: a well-formed, authentic message the rules refuse |
/// | 429 | `node.busy` |
/// | 500 | `node.storage` |
/// | 503 | `registry.expired` (the receiver's own registry is out of date), `lifecycle.receipt_pending` (the message overtook the receipt of its transfer) |
pub fn status_for(code: &str) -> u16 {
    let (area, _) = code.split_once('.').unwrap_or((code, ""));
    match code {
        "json.too_large" => 413,
        "time.format" | "time.bad_window" | "version.format" => 400,
        "registry.unknown_member"
        | "message.wrong_receiver"
        | "agreement.not_party"
        | "agreement.wrong_role" => 403,
        "http.media_type" => 415,
        "http.not_found" => 404,
        "http.method_not_allowed" => 405,
        "http.timeout" => 408,
        "node.storage" => 500,
        "node.busy" => 429,
        "registry.expired" | "lifecycle.receipt_pending" => 503,
        _ => match area {
            "json" | "id" | "message" | "calendar" => 400,
            "signature" | "key" => 401,
            "replay" | "lifecycle" => 409,
            _ => 422,
        },
    }
}

/// Whether a response status is transient, so that the same message may be sent again
/// later: a 5xx, 429 (too many requests) or 408 (the request came too slowly). Every
/// other refusal is final.
pub fn is_transient(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_client_error_status_or_is_transient() {
        for (code, _) in crate::ERROR_CODES.iter().chain(BINDING_CODES) {
            let status = status_for(code);
            assert!((400..600).contains(&status), "{code} → {status}");
            let transient = is_transient(status);
            assert_eq!(
                transient,
                matches!(
                    *code,
                    "node.storage"
                        | "node.busy"
                        | "http.timeout"
                        | "registry.expired"
                        | "lifecycle.receipt_pending"
                ),
                "{code} → {status}"
            );
        }
        assert_eq!(status_for("json.duplicate_key"), 400);
        assert_eq!(status_for("signature.invalid"), 401);
        assert_eq!(status_for("replay.duplicate"), 409);
        assert_eq!(status_for("item.form_invalid"), 422);
        assert_eq!(status_for("time.expired"), 422);
        // A code of a newer version is refused as a rule, not a transient failure.
        assert_eq!(status_for("newarea.something"), 422);
    }
}
