//! Building and signing messages.

use crate::convert::{document, timestamp, EnvelopeInput, EnvelopeObject, MessageInit, ReplyInit};
use crate::error::{argument, JsResult, OrThrow};
use crate::keys::JsKeyPair;
use serde_json::{Map, Value};
use tongban::{MessageId, ProtocolVersion, Unverified};
use wasm_bindgen::prelude::*;

/// The members of a message init copied into the envelope as they are.
const ROUTE_AND_BODY: [&str; 6] = ["from", "to", "agreement", "case", "type", "body"];

/// The validity of a message when `validForSeconds` is not given: one hour.
const DEFAULT_VALIDITY_SECONDS: i64 = 3600;

/// A new, unsigned message with a fresh UUIDv7 id, of version `protocol` (default 1.0;
/// `registry.negotiate(from, to)` gives the version to write to that receiver). The result passes the same
/// structural checks as a received message (identifiers, body of its type, validity
/// window), so a mistake is reported here with its code, not by the receiver.
#[wasm_bindgen(js_name = createMessage)]
pub fn create_message(init: &MessageInit) -> JsResult<EnvelopeObject> {
    let Value::Object(init) = document(init, "message init")? else {
        return Err(argument("message init must be an object"));
    };
    build(init)
}

/// The envelope of a message init (route, type and body, validity), checked.
fn build(mut init: Map<String, Value>) -> JsResult<EnvelopeObject> {
    let created = timestamp(take_string(&mut init, "created")?)?;
    let valid_for = match init.remove("validForSeconds") {
        None => DEFAULT_VALIDITY_SECONDS,
        Some(seconds) => seconds
            .as_i64()
            .ok_or_else(|| argument("validForSeconds must be an integer"))?,
    };
    let protocol = match take_string(&mut init, "protocol")? {
        Some(text) => ProtocolVersion::parse(&text).or_throw()?,
        None => ProtocolVersion::V1_0,
    };
    let mut envelope = Map::new();
    envelope.insert("protocol".into(), protocol.to_string().into());
    envelope.insert("id".into(), MessageId::new_v7(&created).to_string().into());
    if let Some(answered) = take_string(&mut init, "inReplyTo")? {
        envelope.insert("in_reply_to".into(), answered.into());
    }
    envelope.insert(
        "expires".into(),
        created
            .plus_seconds(valid_for)
            .or_throw()?
            .to_string()
            .into(),
    );
    envelope.insert("created".into(), created.to_string().into());
    for (name, value) in init {
        if !ROUTE_AND_BODY.contains(&name.as_str()) {
            return Err(argument(format!(
                "message init: unknown member {name:?}; expected {}, protocol, inReplyTo, created, validForSeconds",
                ROUTE_AND_BODY.join(", ")
            )));
        }
        envelope.insert(name, value);
    }
    checked(&Value::Object(envelope))
}

/// A new, unsigned answer to `message`: same case and agreement, sender and receiver
/// swapped, `in_reply_to` set to its id.
#[wasm_bindgen(js_name = replyTo)]
pub fn reply_to(message: &EnvelopeInput, init: &ReplyInit) -> JsResult<EnvelopeObject> {
    let answered = parse(message)?;
    let answered = answered.envelope();
    let Value::Object(mut reply) = document(init, "reply init")? else {
        return Err(argument("reply init must be an object"));
    };
    for (name, value) in [("from", &answered.to), ("to", &answered.from)] {
        reply.insert(name.into(), value.to_string().into());
    }
    reply.insert("agreement".into(), answered.agreement.to_string().into());
    reply.insert("case".into(), answered.case.to_string().into());
    reply.insert("inReplyTo".into(), answered.id.to_string().into());
    // An answer follows the version of the message it answers, unless told otherwise.
    if !reply.contains_key("protocol") {
        reply.insert("protocol".into(), answered.protocol.to_string().into());
    }
    build(reply)
}

/// Signs a message with `key` and returns its canonical (RFC 8785) text, signatures
/// included: the form to send. Call again on the result to add another signature.
/// Members the SDK does not know are kept and signed.
#[wasm_bindgen(js_name = signMessage)]
pub fn sign_message(message: &EnvelopeInput, key: &JsKeyPair) -> JsResult<String> {
    let mut signed = parse(message)?.document().clone();
    tongban::signing::sign_document(&mut signed, &key.0).or_throw()?;
    canonical_text(&signed)
}

/// Parses a message (object or text) without verifying it, with the structural
/// checks of a received message; for display before verification.
#[wasm_bindgen(js_name = parseMessage)]
pub fn parse_message(message: &EnvelopeInput) -> JsResult<EnvelopeObject> {
    Ok(crate::convert::to_js(parse(message)?.document())?.unchecked_into())
}

/// The message, parsed with the checks of a received message.
fn parse(message: &JsValue) -> JsResult<Unverified> {
    let bytes = match message.as_string() {
        Some(text) => text.into_bytes(),
        None if message.is_object() => canonical_text(&document(message, "message")?)?.into_bytes(),
        None => return Err(argument("message must be an object or JSON text")),
    };
    Unverified::parse(&bytes).or_throw()
}

/// A built envelope after the checks of a received message, as an object.
fn checked(envelope: &Value) -> JsResult<EnvelopeObject> {
    let parsed = Unverified::parse(canonical_text(envelope)?.as_bytes()).or_throw()?;
    Ok(crate::convert::to_js(parsed.document())?.unchecked_into())
}

fn canonical_text(document: &Value) -> JsResult<String> {
    String::from_utf8(tongban::canonical::to_canonical_bytes(document)).map_err(argument)
}

/// Removes an optional string member.
fn take_string(init: &mut Map<String, Value>, name: &str) -> JsResult<Option<String>> {
    match init.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(argument(format!("{name} must be a string"))),
    }
}
