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

/// The only dialect a form schema may name in `$schema`.
pub const FORM_SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Checks what every validator must read alike in a form schema (§15), in every build
/// (cheap, and no compiling): it is self-contained (every `$ref` and `$dynamicRef` is a
/// fragment `#…` of the schema itself, so nothing is ever fetched), a `$schema` names
/// draft 2020-12, and every regular expression (`pattern`, the names of
/// `patternProperties`) keeps to the portable subset ([`check_portable_pattern`]).
/// Instance data (`const`, `enum`, `default`, `examples`) is not searched; the names in
/// `properties`, `patternProperties`, `$defs` and `dependentSchemas` are names, never
/// keywords, so a property called `default` is searched like any other.
pub(super) fn check_form_schema(schema: &serde_json::Map<String, Value>) -> Result<(), String> {
    /// A schema object: its members are keywords.
    fn keywords(object: &serde_json::Map<String, Value>) -> Result<(), String> {
        for (name, member) in object {
            let refusal = match (name.as_str(), member) {
                ("$ref" | "$dynamicRef", Value::String(target)) if !target.starts_with('#') => {
                    Some((target, "is another document (nothing is fetched)"))
                }
                ("$schema", Value::String(dialect)) if dialect != FORM_SCHEMA_DIALECT => {
                    Some((dialect, "is not draft 2020-12"))
                }
                ("pattern", Value::String(pattern)) => {
                    check_portable_pattern(pattern).err().map(|e| (pattern, e))
                }
                ("patternProperties", Value::Object(patterns)) => {
                    patterns.keys().find_map(|pattern| {
                        check_portable_pattern(pattern).err().map(|e| (pattern, e))
                    })
                }
                _ => None,
            };
            if let Some((value, reason)) = refusal {
                return Err(format!("{name} {value:?} {reason}"));
            }
            match (name.as_str(), member) {
                // Instance data, not schemas.
                ("const" | "enum" | "default" | "examples", _) => {}
                // Names mapped to schemas.
                (
                    "properties" | "patternProperties" | "$defs" | "dependentSchemas",
                    Value::Object(named),
                ) => named.values().try_for_each(walk)?,
                _ => walk(member)?,
            }
        }
        Ok(())
    }
    fn walk(value: &Value) -> Result<(), String> {
        match value {
            Value::Object(object) => keywords(object),
            Value::Array(elements) => elements.iter().try_for_each(walk),
            _ => Ok(()),
        }
    }
    keywords(schema)
}

/// Refuses a regular expression outside the subset that ECMA-262 (the dialect of JSON
/// Schema), Java, Go's RE2 and Rust's engines read alike (§15), saying why. An escape
/// is `\` and a punctuation character (a literal), `\t`, `\n`, `\r`, `\f`, or `\x` and
/// two hex digits: no `\d \w \s \b` (ASCII in some engines, Unicode in others: write
/// `[0-9]`), `\p{…}`, back-references, `\u…` (write the character itself), `\A`, `\z`,
/// `\Q…\E` or `\v`. A group starts with `(?` only as `(?:` (no look-around, named
/// groups or flags). In a class, `[` is escaped, `]` never comes first and `&&` never
/// appears (nested classes and set operations exist in some engines only).
pub fn check_portable_pattern(pattern: &str) -> Result<(), &'static str> {
    let mut chars = pattern.chars().peekable();
    // Characters read since the current class opened (after its `^`); None outside one.
    let mut class: Option<usize> = None;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('t' | 'n' | 'r' | 'f') => {}
                Some('x') => {
                    let hex = (chars.next(), chars.next());
                    if !matches!(hex, (Some(a), Some(b)) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
                    {
                        return Err("has \\x without two hex digits");
                    }
                }
                Some(p) if p.is_ascii_punctuation() => {}
                _ => return Err("has an escape that engines read differently (\\d \\w \\s \\b \\p \\u \\1 …: write [0-9] or the character itself)"),
            },
            '[' if class.is_none() => {
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                class = Some(0);
                continue;
            }
            '[' => return Err("has [ inside a class (escape it: \\[)"),
            ']' if class == Some(0) => return Err("has ] first in a class"),
            ']' if class.is_some() => class = None,
            '&' if class.is_some() && chars.peek() == Some(&'&') => {
                return Err("has && in a class")
            }
            '(' if class.is_none() && chars.peek() == Some(&'?') => {
                chars.next();
                if chars.peek() != Some(&':') {
                    return Err("has a group (?… other than (?:…)");
                }
            }
            _ => {}
        }
        if let Some(read) = &mut class {
            *read += 1;
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_patterns_are_accepted_and_the_others_refused() {
        for portable in [
            "^[0-9]{6}$",
            "^(?:[一-龥A-Za-z0-9（）]{2,58})(店|分店)$",
            r"^[^\]a-z]+\.\-\x41$",
            r"^\t\n\r\f\/$",
            "[a&b]",
            "",
        ] {
            assert_eq!(check_portable_pattern(portable), Ok(()), "{portable}");
        }
        for hostile in [
            r"\d", r"\W", r"\s", r"\b", r"\p{Han}", r"(a)\1", r"\k<a>", r"\u4e00", r"\A", r"\z",
            r"\Qa\E", r"\v", r"\x4", r"\xZZ", "\\", "(?=a)", "(?!a)", "(?<=a)", "(?<n>a)", "(?i)a",
            "[]a]", "[^]a]", "[a[b]]", "[a&&b]",
        ] {
            assert!(check_portable_pattern(hostile).is_err(), "{hostile}");
        }
    }

    #[test]
    fn names_under_properties_are_not_keywords() {
        let schema = |value: Value| match value {
            Value::Object(map) => map,
            _ => unreachable!("an object"),
        };
        let hidden = schema(serde_json::json!({
            "properties": {"default": {"type": "string", "pattern": "\\d"}}
        }));
        assert!(check_form_schema(&hidden).is_err());
        let remote = schema(serde_json::json!({
            "$defs": {"examples": {"$ref": "https://example.com/x.json"}}
        }));
        assert!(check_form_schema(&remote).is_err());
        let data = schema(serde_json::json!({
            "examples": [{"$ref": "https://example.com/data", "pattern": "\\d"}],
            "properties": {"enum": {"enum": ["\\d"]}}
        }));
        assert_eq!(check_form_schema(&data), Ok(()));
    }
}
