//! The signing procedure: which bytes are signed and how a signature is written.
//!
//! For a signature with algorithm `alg` and key id `kid` over envelope `E`, the signed
//! bytes are the RFC 8785 canonical form of the object
//! `{"alg": alg, "kid": kid, "signed": E'}`, where `E'` is `E` without its `signatures`
//! member. Because member names sort as `alg` < `kid` < `signed`, these bytes are
//! `{"alg":"…","kid":"…","signed":` + canonical(`E'`) + `}`. Binding `alg` and `kid` into
//! the signed bytes means neither can be swapped; unknown members of `E` (from a newer
//! minor version) are covered too.

use crate::crypto::DocumentSigner;
use crate::error::{Error, KeyError, MessageError};
use crate::id::KeyId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::json::MAX_SAFE_INTEGER;

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
    /// The signature, unpadded base64url (86 characters for Ed25519). Any string is
    /// read; verification refuses one that is not (`signature.malformed`, §8), so the
    /// schema, which describes what is read, has no pattern here.
    #[serde(rename = "sig")]
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
    signing_input_from_parts(&[unsigned], algorithm, key_id)
}

/// [`signing_input_from`] with the unsigned bytes given in pieces, e.g. the canonical
/// message before and after its `signatures` member, so that they are copied once.
pub(crate) fn signing_input_from_parts(
    unsigned: &[&[u8]],
    algorithm: &str,
    key_id: &str,
) -> Vec<u8> {
    // `{"alg":…,"kid":…,"signed":…}`: the members are already in canonical order.
    let mut head = String::from("{\"alg\":");
    crate::canonical::write_string(&mut head, algorithm);
    head.push_str(",\"kid\":");
    crate::canonical::write_string(&mut head, key_id);
    head.push_str(",\"signed\":");
    let size = head.len() + unsigned.iter().map(|part| part.len()).sum::<usize>() + 1;
    let mut input = Vec::with_capacity(size);
    input.extend_from_slice(head.as_bytes());
    for part in unsigned {
        input.extend_from_slice(part);
    }
    input.push(b'}');
    input
}

/// Signs a JSON envelope in place, appending to its `signatures` member, and returns
/// the new signature. The document must be an object whose numbers are all integers
/// within ±(2^53−1). A signer whose signature is not of its suite's length (an SM2
/// signature in DER from a security module, say) signs nothing: `key.malformed`.
pub fn sign_document(
    document: &mut Value,
    key: &(impl DocumentSigner + ?Sized),
) -> Result<SignatureEntry, Error> {
    check_numbers(document)?;
    let entry = sign_unsigned(&unsigned_bytes(document), key)?;
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

/// The signature by `key` over `unsigned`, the canonical bytes of a document without
/// its `signatures` (see [`unsigned_bytes`]). A signer whose signature is not of its
/// suite's length signs nothing: `key.malformed`.
pub(crate) fn sign_unsigned(
    unsigned: &[u8],
    key: &(impl DocumentSigner + ?Sized),
) -> Result<SignatureEntry, Error> {
    let suite = key.algorithm();
    let input = signing_input_from(unsigned, suite.as_str(), key.key_id().as_str());
    let signature = key.sign_bytes(&input)?;
    let expected = suite.suite().signature_length();
    if signature.len() != expected {
        return Err(KeyError::Malformed {
            reason: format!(
                "the signer of {} gave a signature of {} bytes; suite {suite} signs with exactly {expected}",
                key.key_id(),
                signature.len()
            ),
        }
        .into());
    }
    Ok(SignatureEntry {
        algorithm: suite.as_str().to_string(),
        key_id: key.key_id().clone(),
        signature: crate::crypto::base64url(&signature),
    })
}

/// Refuses fractions and integers beyond ±(2^53−1) anywhere in `value`.
pub(crate) fn check_numbers(value: &Value) -> Result<(), MessageError> {
    unsafe_number(value).map_or(Ok(()), |mut path| {
        path.reverse();
        Err(MessageError::UnsafeNumber {
            path: crate::json::pointer(&path),
        })
    })
}

/// The path, innermost segment first, to the first unsafe number in `value`; built
/// only when there is one.
fn unsafe_number(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Number(n) => {
            let safe = n
                .as_i64()
                .is_some_and(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER as u64);
            (!safe).then(Vec::new)
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            unsafe_number(item).map(|mut path| {
                path.push(i.to_string());
                path
            })
        }),
        Value::Object(members) => members.iter().find_map(|(name, item)| {
            unsafe_number(item).map(|mut path| {
                path.push(name.clone());
                path
            })
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        assert!(check_numbers(&ok).is_ok());
        let big = json!({"body": {"materials": [{"size": MAX_SAFE_INTEGER + 1}]}});
        assert_eq!(
            check_numbers(&big),
            Err(MessageError::UnsafeNumber {
                path: "/body/materials/0/size".into()
            })
        );
        let most_negative = json!({"form": {"n": i64::MIN}});
        assert!(check_numbers(&most_negative).is_err());
        let just_past = json!([-MAX_SAFE_INTEGER - 1]);
        assert!(check_numbers(&just_past).is_err());
        let fraction = json!({"form": {"area": 12.5}});
        assert!(check_numbers(&fraction).is_err());
    }
}
