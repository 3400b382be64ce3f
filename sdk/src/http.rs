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
        "file.not_found",
        "the holder sent the requester no message that references this file, or does not hold it (the two are not told apart)",
    ),
    (
        "file.range_not_satisfiable",
        "the requested range starts at or beyond the end of the file",
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
        "tls.wrong_member",
        "the receiver admits only TLS client keys the registry names (§21.5), and this connection's key is listed for another member than the message's sender or the file request's requester",
    ),
    (
        "tls.key_not_listed",
        "the receiver admits only TLS client keys the registry names (§21.5), and this connection's key is listed for no member in the registry in force (an update removed it): connect again with a listed key",
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

/// The HTTP status of every code a receiver or a file holder answers with, one row per
/// code (§21.3, §23): a new code must be given its status here on purpose, and a test
/// checks that every code of [`crate::ERROR_CODES`] and [`BINDING_CODES`] has a row.
pub const STATUS: &[(&str, u16)] = &[
    ("json.too_large", 413),
    ("json.too_deep", 400),
    ("json.duplicate_key", 400),
    ("json.invalid_utf8", 400),
    ("json.lone_surrogate", 400),
    ("json.bom", 400),
    ("json.trailing_data", 400),
    ("json.number_out_of_range", 400),
    ("json.syntax", 400),
    ("id.region_format", 400),
    ("id.region_structure", 400),
    ("id.citizen_format", 400),
    ("id.citizen_checksum", 400),
    ("id.citizen_birth_date", 400),
    ("id.credit_format", 400),
    ("id.credit_checksum", 400),
    ("id.node_format", 400),
    ("id.message_format", 400),
    ("id.case_format", 400),
    ("id.agreement_format", 400),
    ("id.item_format", 400),
    ("id.key_format", 400),
    ("id.digest_format", 400),
    ("time.format", 400),
    ("time.not_yet_valid", 422),
    ("time.expired", 422),
    ("time.bad_window", 400),
    ("version.format", 400),
    ("version.unsupported_major", 422),
    ("version.not_negotiated", 422),
    ("message.invalid", 400),
    ("message.unknown_type", 400),
    ("message.unsafe_number", 400),
    ("message.wrong_receiver", 403),
    ("message.not_an_answer", 400),
    ("key.malformed", 401),
    ("key.weak", 401),
    ("key.revoked", 401),
    ("key.outside_validity", 401),
    ("signature.missing", 401),
    ("signature.unsupported_algorithm", 401),
    ("signature.malformed", 401),
    ("signature.unknown_key", 401),
    ("signature.key_not_sender", 401),
    ("signature.invalid", 401),
    ("replay.duplicate", 409),
    ("registry.invalid", 422),
    ("registry.threshold", 422),
    ("registry.expired", 503),
    ("registry.rollback", 422),
    ("registry.unknown_member", 403),
    ("agreement.unknown", 422),
    ("agreement.not_party", 403),
    ("agreement.wrong_role", 403),
    ("agreement.wrong_suite", 403),
    ("agreement.inactive", 422),
    ("item.unknown", 422),
    ("item.name_mismatch", 422),
    ("item.mode_not_allowed", 422),
    ("item.material_missing", 422),
    ("item.deferral_not_allowed", 422),
    ("item.not_in_theme", 422),
    ("item.form_invalid", 422),
    ("item.form_unchecked", 422),
    ("calendar.bad_date", 400),
    ("calendar.unknown_year", 400),
    ("lifecycle.illegal_transition", 409),
    ("lifecycle.receipt_pending", 503),
    ("lifecycle.materials_outstanding", 409),
    ("lifecycle.theme_mismatch", 409),
    ("lifecycle.wrong_party", 409),
    ("lifecycle.wrong_case", 409),
    ("lifecycle.no_track", 409),
    ("lifecycle.other_window", 409),
    // A message whose files break the limits of §23.6: a rule, like item.*.
    ("file.too_large", 422),
    ("file.case_too_large", 422),
    // Found by the fetching side in what a holder served; never answered by a holder.
    ("file.size_mismatch", 502),
    ("file.digest_mismatch", 502),
    ("file.media_type_mismatch", 502),
    // A file request that does not authenticate.
    ("file.request_missing", 401),
    ("file.request_invalid", 401),
    ("file.request_mismatch", 401),
    ("file.request_stale", 401),
    ("file.request_replayed", 401),
    // Not a file for this requester, or no such file: one answer for both.
    ("file.not_found", 404),
    ("file.range_not_satisfiable", 416),
    // A box the receiver does not open (§24): a rule, like item.*. `seal.ephemeral` is
    // only a test vector's and never travels.
    ("seal.malformed", 422),
    ("seal.unsupported_suite", 422),
    ("seal.wrong_suite", 422),
    ("seal.unknown_key", 422),
    ("seal.no_key", 422),
    ("seal.key_outside_validity", 422),
    ("seal.key_revoked", 422),
    ("seal.key_retired", 422),
    ("seal.open_failed", 422),
    ("seal.ephemeral", 422),
    ("seal.required", 422),
    ("http.media_type", 415),
    ("http.not_found", 404),
    ("http.timeout", 408),
    ("http.method_not_allowed", 405),
    ("node.storage", 500),
    ("node.busy", 429),
    ("tls.wrong_member", 403),
    ("tls.key_not_listed", 503),
    ("transport.unreachable", 503),
    ("transport.bad_response", 502),
];

/// The HTTP status with which a receiver refuses a message, or a holder a file request,
/// for error `code`: its row in [`STATUS`]; 422 for a code of a newer version that this
/// one does not know (a well-formed, authentic message that the rules refuse).
pub fn status_for(code: &str) -> u16 {
    STATUS
        .iter()
        .find(|(listed, _)| *listed == code)
        .map_or(422, |(_, status)| *status)
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
                        | "transport.unreachable"
                        | "tls.key_not_listed"
                        | "transport.bad_response"
                        | "file.size_mismatch"
                        | "file.digest_mismatch"
                        | "file.media_type_mismatch"
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

    #[test]
    fn the_status_table_has_one_row_for_each_code_and_no_other() {
        let codes: std::collections::BTreeSet<&str> = crate::ERROR_CODES
            .iter()
            .chain(BINDING_CODES)
            .map(|(code, _)| *code)
            .collect();
        let mut rows = std::collections::BTreeSet::new();
        for (code, _) in STATUS {
            assert!(rows.insert(*code), "{code} has two rows");
            assert!(codes.contains(code), "{code} has a row but is not a code");
        }
        for code in &codes {
            assert!(rows.contains(code), "{code} has no HTTP status in STATUS");
        }
    }
}
