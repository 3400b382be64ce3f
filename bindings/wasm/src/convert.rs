//! Moving values across the boundary: bytes, JSON documents and timestamps.
//!
//! JavaScript objects cross as JSON text and are parsed by the SDK's strict parser, so
//! the limits and refusals of the protocol apply to them as to bytes off the wire.

use crate::error::{argument, JsResult, OrThrow};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tongban::Timestamp;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `string | Uint8Array`.
    #[wasm_bindgen(typescript_type = "Bytes")]
    pub type Bytes;
    /// A protocol message as a JSON object.
    #[wasm_bindgen(typescript_type = "Envelope")]
    pub type EnvelopeObject;
    /// A message as an object or as JSON text.
    #[wasm_bindgen(typescript_type = "Envelope | string")]
    pub type EnvelopeInput;
    /// The argument of `createMessage`.
    #[wasm_bindgen(typescript_type = "MessageInit")]
    pub type MessageInit;
    /// The argument of `replyTo`.
    #[wasm_bindgen(typescript_type = "ReplyInit")]
    pub type ReplyInit;
    /// A registry document as a JSON object.
    #[wasm_bindgen(typescript_type = "RegistryDocument")]
    pub type RegistryObject;
    /// A public key entry.
    #[wasm_bindgen(typescript_type = "KeyEntry")]
    pub type KeyEntryObject;
    /// The receiver of a verifier: a node id, or `null` for any node.
    #[wasm_bindgen(typescript_type = "string | null")]
    pub type ReceiverInput;
    /// A key set as an object or as JSON text.
    #[wasm_bindgen(typescript_type = "KeySetFile | string")]
    pub type KeySetInput;
    /// Form data: a JSON object.
    #[wasm_bindgen(typescript_type = "Record<string, unknown>")]
    pub type FormObject;
    /// Tracks with deadlines.
    #[wasm_bindgen(typescript_type = "TrackStatus[]")]
    pub type TrackList;
    /// File references.
    #[wasm_bindgen(typescript_type = "FileRef[]")]
    pub type FileRefList;
    /// The state of an item of a case.
    #[wasm_bindgen(typescript_type = "ItemState")]
    pub type ItemStateName;
    /// The aggregate status of a case.
    #[wasm_bindgen(typescript_type = "CaseStatus")]
    pub type CaseStatusName;
    /// Identifier kinds.
    #[wasm_bindgen(typescript_type = "IdentifierKind")]
    pub type IdentifierKindName;
    /// A list of error codes and meanings.
    #[wasm_bindgen(typescript_type = "{ code: string; meaning: string }[]")]
    pub type CodeList;
}

/// The bytes of a `string | Uint8Array` argument.
pub fn bytes(value: &JsValue, what: &str) -> JsResult<Vec<u8>> {
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    match value.dyn_ref::<js_sys::Uint8Array>() {
        Some(array) => Ok(array.to_vec()),
        None => Err(argument(format!("{what} must be a string or a Uint8Array"))),
    }
}

/// A JSON document from an object (through `JSON.stringify`) or from JSON text, parsed
/// strictly.
pub fn document(value: &JsValue, what: &str) -> JsResult<Value> {
    let text = if let Some(text) = value.as_string() {
        text
    } else if value.is_object() {
        js_sys::JSON::stringify(value)
            .ok()
            .and_then(|text| text.as_string())
            .ok_or_else(|| argument(format!("{what} cannot be written as JSON")))?
    } else {
        return Err(argument(format!("{what} must be an object or JSON text")));
    };
    tongban::json::parse(text.as_bytes()).or_throw()
}

/// A typed value from a JSON document; a mismatch is a `code` error naming `what`.
pub fn typed<T: DeserializeOwned>(document: Value, code: &str, what: &str) -> JsResult<T> {
    tongban::shape::from_value(&document)
        .map_err(|e| crate::error::js_error(code, &format!("not a {what}: {e}")))
}

/// A Rust value as a JavaScript value (through JSON text).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    let text = serde_json::to_string(value).map_err(argument)?;
    js_sys::JSON::parse(&text)
}

/// The timestamp given, or now by the JavaScript clock.
pub fn timestamp(given: Option<String>) -> JsResult<Timestamp> {
    let text = given.unwrap_or_else(|| String::from(js_sys::Date::new_0().to_iso_string()));
    Timestamp::parse(text).or_throw()
}
