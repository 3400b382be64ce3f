//! The receipt: the receiver's signed acknowledgement or refusal of one exact message.

use crate::digest::{Sha256Digest, Sm3Digest};
use crate::version::ProtocolVersion;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// The body of a `receipt` message. The envelope's `in_reply_to` names the answered
/// message and `answers_sha256` (and, under the national suite, `answers_sm3`) binds
/// the receipt to its exact canonical bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Receipt {
    /// SHA-256 of the canonical bytes of the answered message, signatures included.
    pub answers_sha256: Sha256Digest,
    /// (1.1) SM3 of the same bytes, which a receipt under an agreement on `sm2-sm3`
    /// carries (§9, §17 step 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers_sm3: Option<Sm3Digest>,
    /// Accepted or refused.
    pub outcome: ReceiptOutcome,
}

impl Receipt {
    /// The members of version 1.1 or later that this receipt uses, with the version
    /// that added each (§2 step 8).
    pub fn members_since(&self) -> Vec<(&'static str, ProtocolVersion)> {
        let sm3 = self.answers_sm3.as_ref();
        sm3.map(|_| ("answers_sm3", ProtocolVersion::V1_1))
            .into_iter()
            .collect()
    }
}

/// Whether the receiver took the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
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

impl<'de> Deserialize<'de> for ReceiptOutcome {
    /// From an object only (serde would read a tagged enum from an array too). The
    /// fields are read from serde's buffer, out of [`crate::shape::Strict`]'s reach,
    /// so they must stay strings.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ReceiptOutcome, D::Error> {
        #[derive(Deserialize)]
        #[serde(tag = "status", rename_all = "snake_case")]
        enum Tagged {
            Accepted {
                #[serde(default)]
                reference: Option<String>,
            },
            Refused {
                code: String,
                reason: String,
            },
        }
        Ok(match crate::shape::object(deserializer)? {
            Tagged::Accepted { reference } => ReceiptOutcome::Accepted { reference },
            Tagged::Refused { code, reason } => ReceiptOutcome::Refused { code, reason },
        })
    }
}
