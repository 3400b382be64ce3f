//! The signing procedure: which bytes are signed and how a signature is written.
//!
//! For a signature with algorithm `alg` and key id `kid` over envelope `E`, the signed
//! bytes are the RFC 8785 canonical form of the object
//! `{"alg": alg, "kid": kid, "signed": E'}`, where `E'` is `E` without its `signatures`
//! member. Because member names sort as `alg` < `kid` < `signed`, these bytes are
//! `{"alg":"…","kid":"…","signed":` + canonical(`E'`) + `}`. Binding `alg` and `kid` into
//! the signed bytes means neither can be swapped; unknown members of `E` (from a newer
//! minor version) are covered too.

use crate::crypto::KeyPair;
use crate::error::{Error, MessageError};
use crate::id::KeyId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The largest integer the protocol carries: 2^53 − 1.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// One detached signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureEntry {
    /// The algorithm name, e.g. `ed25519`.
    #[serde(rename = "alg")]
    pub algorithm: String,
    /// The id of the signing key.
    #[serde(rename = "kid")]
    pub key_id: KeyId,
    /// The signature, unpadded base64url (86 characters for Ed25519).
    #[serde(rename = "sig")]
    #[schemars(regex(pattern = "^[A-Za-z0-9_-]+$"))]
    pub signature: String,
}

/// The bytes a signature by (`algorithm`, `key_id`) covers in `document`.
pub fn signing_input(document: &Value, algorithm: &str, key_id: &str) -> Vec<u8> {
    signing_input_from(&unsigned_bytes(document), algorithm, key_id)
}

/// The canonical bytes of `document` without its `signatures` member: the part every
/// signature of the document covers.
pub(crate) fn unsigned_bytes(document: &Value) -> Vec<u8> {
    crate::canonical::to_canonical_bytes_without(document, Some("signatures"))
}

/// The signed bytes from [`unsigned_bytes`], computed once per document: the canonical
/// `{"alg":…,"kid":…}` with `,"signed":` + unsigned + `}` in place of its closing brace
/// (`signed` sorts after `alg` and `kid`).
pub(crate) fn signing_input_from(unsigned: &[u8], algorithm: &str, key_id: &str) -> Vec<u8> {
    let mut input = crate::canonical::to_canonical_bytes(&json!({
        "alg": algorithm,
        "kid": key_id,
    }));
    input.pop();
    input.extend_from_slice(b",\"signed\":");
    input.extend_from_slice(unsigned);
    input.push(b'}');
    input
}

/// Signs a JSON envelope in place, appending to its `signatures` member, and returns
/// the new signature. The document must be an object whose numbers are all integers
/// within ±(2^53−1).
pub fn sign_document(document: &mut Value, key: &KeyPair) -> Result<SignatureEntry, Error> {
    check_numbers(document, &mut Vec::new())?;
    let algorithm = key.algorithm().as_str();
    let input = signing_input(document, algorithm, key.key_id().as_str());
    let entry = SignatureEntry {
        algorithm: algorithm.to_string(),
        key_id: key.key_id().clone(),
        signature: crate::crypto::base64url(&key.sign_bytes(&input)?),
    };
    let Value::Object(members) = document else {
        return Err(MessageError::Invalid {
            reason: "an envelope must be a JSON object".into(),
        }
        .into());
    };
    let signatures = members
        .entry("signatures")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(list) = signatures else {
        return Err(MessageError::Invalid {
            reason: "signatures must be an array".into(),
        }
        .into());
    };
    list.push(
        serde_json::to_value(&entry).map_err(|e| MessageError::Invalid {
            reason: e.to_string(),
        })?,
    );
    Ok(entry)
}

/// Refuses fractions and integers beyond ±(2^53−1) anywhere in `value`.
pub(crate) fn check_numbers(value: &Value, path: &mut Vec<String>) -> Result<(), MessageError> {
    match value {
        Value::Number(n) => {
            let safe = n
                .as_i64()
                .is_some_and(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER as u64);
            if safe {
                Ok(())
            } else {
                Err(MessageError::UnsafeNumber {
                    path: crate::json::pointer(path),
                })
            }
        }
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
            path.push(i.to_string());
            let result = check_numbers(item, path);
            path.pop();
            result
        }),
        Value::Object(members) => members.iter().try_for_each(|(name, item)| {
            path.push(name.clone());
            let result = check_numbers(item, path);
            path.pop();
            result
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_input_strips_signatures_and_binds_alg_and_kid() {
        let doc = json!({"b": 1, "signatures": [{"x": 1}], "a": "黄石", "c": {"signatures": 2}});
        let input = signing_input(&doc, "ed25519", "hs#1");
        assert_eq!(
            String::from_utf8(input.clone()).expect("UTF-8"),
            r#"{"alg":"ed25519","kid":"hs#1","signed":{"a":"黄石","b":1,"c":{"signatures":2}}}"#
        );
        // The same bytes as canonicalizing the wrapper object itself.
        let mut unsigned = doc.clone();
        unsigned
            .as_object_mut()
            .expect("object")
            .remove("signatures");
        let wrapper = json!({"alg": "ed25519", "kid": "hs#1", "signed": unsigned});
        assert_eq!(input, crate::canonical::to_canonical_bytes(&wrapper));
    }

    #[test]
    fn unsafe_numbers_are_found_with_their_path() {
        let ok = json!({"size": MAX_SAFE_INTEGER, "n": [-MAX_SAFE_INTEGER]});
        assert!(check_numbers(&ok, &mut Vec::new()).is_ok());
        let big = json!({"body": {"materials": [{"size": MAX_SAFE_INTEGER + 1}]}});
        assert_eq!(
            check_numbers(&big, &mut Vec::new()),
            Err(MessageError::UnsafeNumber {
                path: "/body/materials/0/size".into()
            })
        );
        let most_negative = json!({"form": {"n": i64::MIN}});
        assert!(check_numbers(&most_negative, &mut Vec::new()).is_err());
        let just_past = json!([-MAX_SAFE_INTEGER - 1]);
        assert!(check_numbers(&just_past, &mut Vec::new()).is_err());
        let fraction = json!({"form": {"area": 12.5}});
        assert!(check_numbers(&fraction, &mut Vec::new()).is_err());
    }
}
