//! Validated identifiers.
//!
//! Each identifier is a newtype over its string form that can only be built through
//! validation: [`RegionCode`] (GB/T 2260), [`CitizenId`] (GB 11643), [`CreditCode`]
//! (GB 32100), [`MessageId`] (ULID or UUIDv7), [`NodeId`], [`CaseId`], [`AgreementId`],
//! [`ItemCode`] and [`KeyId`]. A bad value yields an [`IdError`] whose code names the
//! rule it broke. The JSON Schemas carry the same patterns, so a portal's own validator
//! catches what a pattern can.

mod citizen;
mod credit;
mod message_id;
mod region;
mod token;

pub use citizen::CitizenId;
pub(crate) use citizen::{has_shape as has_citizen_id_shape, mask as mask_citizen_id};
pub use credit::{CreditCode, CreditCodePolicy};
pub use message_id::MessageId;
pub use region::{RegionCode, RegionLevel};
pub use token::{AgreementId, CaseId, ItemCode, KeyId, NodeId};

use crate::error::{IdError, IdRule};

/// The kinds [`check_identifier`] knows, by the names the conformance vectors and the
/// WASM package use.
pub const IDENTIFIER_KINDS: [&str; 12] = [
    "region",
    "citizen_id",
    "credit_code",
    "message_id",
    "node",
    "case",
    "agreement",
    "item",
    "key_id",
    "digest",
    "timestamp",
    "protocol_version",
];

/// Checks `value` as an identifier of `kind` (one of [`IDENTIFIER_KINDS`]); a protocol
/// version must also be of a supported major version. `None` for an unknown kind.
pub fn check_identifier(kind: &str, value: &str) -> Option<Result<(), crate::Error>> {
    fn check<T, E: Into<crate::Error>>(result: Result<T, E>) -> Result<(), crate::Error> {
        result.map(|_| ()).map_err(Into::into)
    }
    Some(match kind {
        "region" => check(RegionCode::parse(value)),
        "citizen_id" => check(CitizenId::parse(value)),
        "credit_code" => check(CreditCode::parse(value)),
        "message_id" => check(MessageId::parse(value)),
        "node" => check(NodeId::parse(value)),
        "case" => check(CaseId::parse(value)),
        "agreement" => check(AgreementId::parse(value)),
        "item" => check(ItemCode::parse(value)),
        "key_id" => check(KeyId::parse(value)),
        "digest" => check(crate::Sha256Digest::parse(value)),
        "timestamp" => check(crate::Timestamp::parse(value)),
        "protocol_version" => {
            check(crate::ProtocolVersion::parse(value).and_then(|v| v.major_version().map(|_| v)))
        }
        _ => return None,
    })
}

fn id_error(rule: IdRule, value: &str, reason: impl Into<String>) -> IdError {
    IdError {
        rule,
        value: value.to_string(),
        reason: reason.into(),
        field: None,
    }
}

/// Implements the string plumbing every identifier newtype shares: parsing through
/// `$validate`, `as_str`, `Display`, `FromStr`, serde through the validated string, and
/// a JSON Schema string with `$pattern`. Deserialization applies `$validate` too, unless
/// a separate `deserialize: $check` is given (credit codes, whose check character the
/// message parser enforces according to the caller's policy).
macro_rules! string_id {
    ($name:ident, $validate:expr, $pattern:expr, $description:expr) => {
        $crate::id::string_id!($name, $validate, deserialize: $validate, $pattern, $description);
    };
    ($name:ident, $validate:expr, deserialize: $check:expr, $pattern:expr, $description:expr) => {
        impl $name {
            /// Validates `value` and wraps it.
            pub fn parse(value: impl Into<String>) -> Result<Self, $crate::error::IdError> {
                let value = value.into();
                ($validate)(&value)?;
                Ok($name(value))
            }

            /// The identifier as it travels.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The pattern the JSON Schema gives for this identifier.
            pub fn schema_pattern() -> String {
                $pattern.to_string()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::error::IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                match ($check)(&text) {
                    Ok(()) => Ok($name(text)),
                    Err(e) => Err(serde::de::Error::custom(format_args!("[{}] {}", e.code(), e))),
                }
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": $pattern.to_string(),
                    "description": $description,
                })
            }
        }
    };
}
pub(crate) use string_id;
