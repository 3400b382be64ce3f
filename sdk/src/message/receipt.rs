//! The receipt: the receiver's signed acknowledgement or refusal of one exact message.

use crate::digest::Sha256Digest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The body of a `receipt` message. The envelope's `in_reply_to` names the answered
/// message and `answers_sha256` binds the receipt to its exact canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Receipt {
    /// SHA-256 of the canonical bytes of the answered message, signatures included.
    pub answers_sha256: Sha256Digest,
    /// Accepted or refused.
    #[serde(deserialize_with = "crate::shape::object")]
    pub outcome: ReceiptOutcome,
}

/// Whether the receiver took the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReceiptOutcome {
    /// Stored; the receiver is now responsible for the message.
    Accepted {
        /// The receiver's own reference for the case, if it keeps one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// Refused, with a stable error code.
    Refused {
        /// The error code, e.g. `signature.invalid`.
        code: String,
        /// A human-readable reason.
        reason: String,
    },
}
