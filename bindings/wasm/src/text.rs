//! Canonical JSON, identifiers and the error-code table.

use crate::convert::{bytes, to_js, Bytes, CodeList, IdentifierKindName};
use crate::error::{argument, JsResult, OrThrow};
use wasm_bindgen::prelude::*;

/// The canonical (RFC 8785) form of a JSON document, after the protocol's strict
/// parsing (duplicate keys, limits and unsafe numbers are refused).
#[wasm_bindgen]
pub fn canonicalize(input: &Bytes) -> JsResult<String> {
    let canonical = tongban::canonical::canonicalize(&bytes(input, "input")?).or_throw()?;
    String::from_utf8(canonical).map_err(argument)
}

/// Checks an identifier of the given kind (`region`, `citizen_id`, `credit_code`, …);
/// throws with the code of the rule it breaks.
#[wasm_bindgen(js_name = checkIdentifier)]
pub fn check_identifier(kind: &IdentifierKindName, value: &str) -> JsResult<()> {
    let kind = kind.as_string().unwrap_or_default();
    match tongban::id::check_identifier(&kind, value) {
        Some(result) => result.or_throw(),
        None => Err(argument(format!(
            "unknown identifier kind {kind:?}; one of {}",
            tongban::id::IDENTIFIER_KINDS.join(", ")
        ))),
    }
}

/// Every stable error code with its meaning, as in the specification's §13, followed
/// by the package's own `wasm.*` codes.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> JsResult<CodeList> {
    let codes: Vec<_> = tongban::ERROR_CODES
        .iter()
        .copied()
        .chain(crate::error::PACKAGE_CODES.iter().copied())
        .map(|(code, meaning)| serde_json::json!({"code": code, "meaning": meaning}))
        .collect();
    Ok(to_js(&codes)?.unchecked_into())
}
