//! JSON Schemas (draft 2020-12) generated from the Rust types.
//!
//! The committed files under `schemas/v1/` are the output of [`schema`] for each name in
//! [`SCHEMA_NAMES`]; a test fails when they differ. Identifier patterns are part of the
//! schemas, so a portal's own validator catches what a pattern can.

use crate::crypto::{KeyFile, KeySetFile};
use crate::message::{
    Decision, Delivery, Envelope, Evaluation, FilesReceived, MessageType, ProtocolError, Receipt,
    Rectification, SealedBody, Shipment, ShipmentReceived, StatusUpdate, Supplement,
    SupplementRequest, Transfer, Withdrawal,
};
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::Value;

/// The schemas of protocol version 1, by name.
pub const SCHEMA_NAMES: &[&str] = &[
    "envelope",
    "transfer",
    "receipt",
    "status_update",
    "supplement_request",
    "supplement",
    "decision",
    "withdrawal",
    "protocol_error",
    "files_received",
    "shipment",
    "shipment_received",
    "delivery",
    "evaluation",
    "rectification",
    "sealed_body",
    "key_set",
    "key_file",
    "registry",
];

/// Compiles a JSON Schema offline (moved to the registry, which compiles form schemas).
#[cfg(feature = "forms")]
pub use crate::registry::offline_validator;

/// The `$id` of schema `name`, naming the major version.
pub fn schema_id(name: &str) -> String {
    format!("urn:tongban:schema:v1:{name}")
}

fn generate<T: JsonSchema>(name: &str) -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    integer_ranges_without_formats(&mut schema);
    if let Value::Object(members) = &mut schema {
        members.insert("$id".into(), Value::String(schema_id(name)));
    }
    schema
}

/// Replaces schemars' `format: uint32` / `uint64`, which draft 2020-12 does not define
/// (ajv's strict mode refuses them, other validators ignore them), by the ranges alone:
/// `minimum: 0` and a `maximum` of `u32::MAX`, or 2^53 − 1 for a `u64` (every protocol
/// integer is a safe integer, §2).
fn integer_ranges_without_formats(value: &mut Value) {
    match value {
        Value::Object(members) => {
            let format = members.get("format").and_then(Value::as_str);
            if let Some(maximum) = match format {
                Some("uint32") => Some(u64::from(u32::MAX)),
                Some("uint64") => Some(crate::json::MAX_SAFE_INTEGER.unsigned_abs()),
                _ => None,
            } {
                members.remove("format");
                let current = members.get("maximum").and_then(Value::as_u64);
                let maximum = current.map_or(maximum, |c| c.min(maximum));
                members.insert("minimum".into(), Value::from(0));
                members.insert("maximum".into(), Value::from(maximum));
            }
            members
                .values_mut()
                .for_each(integer_ranges_without_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(integer_ranges_without_formats),
        _ => {}
    }
}

/// The envelope schema with two rules that the types check in code: the `in_reply_to`
/// of a type that answers a message (a receipt, files received; §2 step 8) is required
/// and not null, and a type of a later version (files received, 1.1) says that version
/// or a later one.
fn with_rules_per_type(mut schema: Value) -> Value {
    let branches = schema.get_mut("oneOf").and_then(Value::as_array_mut);
    for branch in branches.into_iter().flatten() {
        let name = branch
            .pointer("/properties/type/const")
            .and_then(Value::as_str);
        if name == Some("sealed") {
            *branch = sealed_branch(branch.take());
            continue;
        }
        let name = name.map(str::to_string);
        without_sealed(branch);
        let name = name.as_deref();
        let Some(message_type) = name.and_then(|n| MessageType::try_from(n).ok()) else {
            continue;
        };
        if message_type.requires_in_reply_to() {
            branch["properties"]["in_reply_to"] = serde_json::json!({"$ref": "#/$defs/MessageId"});
            if let Some(required) = branch["required"].as_array_mut() {
                required.push(Value::from("in_reply_to"));
            }
        }
        let since = message_type.since();
        if since.minor > 0 {
            branch["properties"]["protocol"] = serde_json::json!({
                "type": "string",
                "pattern": format!("^{}\\.([{}-9]|[1-9][0-9]+)$", since.major, since.minor),
                "description": format!("protocol version MAJOR.MINOR: {message_type} exists since {since}"),
            });
        }
    }
    schema
}

/// (1.1) The envelope's branch of a sealed body (§24.5): its `type` is that of the body
/// inside, any type that is sealed; the message says 1.1 or later; a transfer keeps its
/// `item` readable, and no other type has a readable member.
fn sealed_branch(mut branch: Value) -> Value {
    let sealable: Vec<&str> = (MessageType::ALL.iter())
        .filter(|t| t.is_sealable())
        .map(|t| t.as_str())
        .collect();
    let answers: Vec<&str> = (MessageType::ALL.iter())
        .filter(|t| t.is_sealable() && t.requires_in_reply_to())
        .map(|t| t.as_str())
        .collect();
    branch["description"] = Value::from(
        "(1.1) A body sealed to the receiver (§24.5): its type is that of the body inside; \
         a transfer keeps its item (and theme) readable, other types nothing; every other \
         member is in the box `sealed`.",
    );
    branch["properties"]["type"] = serde_json::json!({"type": "string", "enum": sealable});
    branch["properties"]["protocol"] = serde_json::json!({
        "type": "string",
        "pattern": "^1\\.([1-9]|[1-9][0-9]+)$",
        "description": "protocol version MAJOR.MINOR: a body is sealed since 1.1",
    });
    let of_type = |types: Value| serde_json::json!({"type": "object", "properties": {"type": {"type": "string", "enum": types}}});
    branch["allOf"] = serde_json::json!([
        {
            "if": of_type(serde_json::json!(["transfer"])),
            "then": {"type": "object", "properties": {"body": {
                "type": "object",
                "required": ["item"],
                "properties": {"item": {"type": "string"}},
            }}},
            "else": {"type": "object", "properties": {"body": {
                "type": "object",
                "properties": {"item": {"type": "null"}, "theme": {"type": "null"}},
            }}},
        },
        {
            "if": of_type(serde_json::json!(answers)),
            "then": {
                "type": "object",
                "required": ["in_reply_to"],
                "properties": {"in_reply_to": {"$ref": "#/$defs/MessageId"}},
            },
        },
    ]);
    branch
}

/// (1.1) A body in clear has no member `sealed` at its top level (§24.5).
fn without_sealed(branch: &mut Value) {
    if let Some(body) = branch.pointer_mut("/properties/body") {
        let reference = body.take();
        *body = serde_json::json!({"allOf": [reference], "not": has_sealed()});
    }
}

/// An object with a member `sealed` (§24.5).
fn has_sealed() -> Value {
    serde_json::json!({"type": "object", "properties": {"sealed": true}, "required": ["sealed"]})
}

/// The schema of a body in clear, which has no member `sealed` (§24.5).
fn clear_body<T: JsonSchema>(name: &str) -> Value {
    let mut schema = generate::<T>(name);
    schema["not"] = has_sealed();
    schema
}

/// The schema called `name` (see [`SCHEMA_NAMES`]), or `None` for an unknown name.
pub fn schema(name: &str) -> Option<Value> {
    Some(match name {
        "envelope" => with_rules_per_type(generate::<Envelope>(name)),
        "transfer" => clear_body::<Transfer>(name),
        "receipt" => clear_body::<Receipt>(name),
        "status_update" => clear_body::<StatusUpdate>(name),
        "supplement_request" => clear_body::<SupplementRequest>(name),
        "supplement" => clear_body::<Supplement>(name),
        "decision" => clear_body::<Decision>(name),
        "withdrawal" => clear_body::<Withdrawal>(name),
        "protocol_error" => clear_body::<ProtocolError>(name),
        "files_received" => clear_body::<FilesReceived>(name),
        "shipment" => clear_body::<Shipment>(name),
        "shipment_received" => clear_body::<ShipmentReceived>(name),
        "delivery" => clear_body::<Delivery>(name),
        "evaluation" => clear_body::<Evaluation>(name),
        "rectification" => clear_body::<Rectification>(name),
        "sealed_body" => generate::<SealedBody>(name),
        "key_set" => generate::<KeySetFile>(name),
        "key_file" => generate::<KeyFile>(name),
        "registry" => generate::<crate::registry::RegistryDocument>(name),
        _ => return None,
    })
}
