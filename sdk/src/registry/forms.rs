//! Form schemas of catalogue items, compiled once per registry (draft 2020-12), never
//! fetching anything: a `$ref` outside the schema is refused.

use serde_json::Value;

#[cfg(feature = "forms")]
/// Refuses every `$ref` that is not inside the schema itself: no network, no files.
struct NoRetrieval;

#[cfg(feature = "forms")]
impl jsonschema::Retrieve for NoRetrieval {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("refusing to retrieve {uri}: schemas must be self-contained").into())
    }
}

#[cfg(feature = "forms")]
/// Compiles a draft 2020-12 JSON Schema with a retriever that refuses every remote or
/// file `$ref`, so validation never touches the network or the file system.
pub fn offline_validator(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_retriever(NoRetrieval)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// An item's compiled form schema; nothing in a build without the `forms` feature.
#[cfg(feature = "forms")]
pub(super) type FormValidator = jsonschema::Validator;
/// An item's compiled form schema; nothing in a build without the `forms` feature.
#[cfg(not(feature = "forms"))]
#[derive(Debug, Clone)]
pub(super) struct FormValidator;

/// Compiles an item's form schema (draft 2020-12, no remote references).
#[cfg(feature = "forms")]
pub(super) fn compile_form(
    schema: &serde_json::Map<String, Value>,
) -> Result<FormValidator, String> {
    offline_validator(&Value::Object(schema.clone()))
}

/// Without the `forms` feature form schemas are not compiled.
#[cfg(not(feature = "forms"))]
pub(super) fn compile_form(
    _schema: &serde_json::Map<String, Value>,
) -> Result<FormValidator, String> {
    Ok(FormValidator)
}
