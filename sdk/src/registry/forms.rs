//! Form schemas of catalogue items (draft 2020-12): checked to be self-contained when a
//! registry loads, compiled once when first used, never fetching anything.

use serde_json::Value;
use std::sync::OnceLock;

/// An item's form schema in a registry: where it is in the document, and its compiled
/// validator (or why it does not compile) once it was first used.
#[derive(Debug)]
pub(super) struct FormSlot {
    /// The agreement's index in the registry document.
    pub(super) agreement: usize,
    /// The item's index in the agreement.
    pub(super) item: usize,
    compiled: OnceLock<Result<FormValidator, String>>,
}

impl FormSlot {
    /// A slot whose schema is not compiled yet.
    pub(super) fn new(agreement: usize, item: usize) -> FormSlot {
        FormSlot {
            agreement,
            item,
            compiled: OnceLock::new(),
        }
    }

    /// The validator of `schema` (this slot's), compiled the first time it is asked for.
    pub(super) fn compiled(
        &self,
        schema: &serde_json::Map<String, Value>,
    ) -> Result<&FormValidator, String> {
        self.compiled
            .get_or_init(|| compile_form(schema))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Refuses a schema that is not self-contained: every `$ref` and `$dynamicRef` must be a
/// fragment of the schema itself (`#…`), so nothing is ever fetched. Instance data
/// (`const`, `enum`, `default`, `examples`) is not searched. Cheap, and the same
/// in every build, so a registry is refused at load whether forms are compiled or not.
pub(super) fn check_self_contained(schema: &serde_json::Map<String, Value>) -> Result<(), String> {
    fn members(object: &serde_json::Map<String, Value>) -> Result<(), String> {
        for (name, member) in object {
            if let ("$ref" | "$dynamicRef", Value::String(target)) = (name.as_str(), member) {
                if !target.starts_with('#') {
                    return Err(format!(
                        "refusing to retrieve {target}: schemas must be self-contained"
                    ));
                }
            }
            // The values of these keywords are instance data, not schemas.
            if !matches!(name.as_str(), "const" | "enum" | "default" | "examples") {
                walk(member)?;
            }
        }
        Ok(())
    }
    fn walk(value: &Value) -> Result<(), String> {
        match value {
            Value::Object(object) => members(object),
            Value::Array(elements) => elements.iter().try_for_each(walk),
            _ => Ok(()),
        }
    }
    members(schema)
}

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
fn compile_form(schema: &serde_json::Map<String, Value>) -> Result<FormValidator, String> {
    offline_validator(&Value::Object(schema.clone()))
}

/// Without the `forms` feature form schemas are not compiled.
#[cfg(not(feature = "forms"))]
fn compile_form(_schema: &serde_json::Map<String, Value>) -> Result<FormValidator, String> {
    Ok(FormValidator)
}
