//! How a failure to read a message document into the Rust types becomes an error with
//! its code and the JSON Pointer of the field at fault; shared by the message types,
//! the verifier and the registry.

use crate::error::{Error, IdError, IdRule, MessageError, TimeError};
use crate::id::mask_citizen_id;
use serde_json::Value;
use serde_path_to_error::Segment;

/// A `message.invalid` error for `reason`.
pub(crate) fn invalid(reason: &str) -> Error {
    MessageError::Invalid {
        reason: reason.to_string(),
    }
    .into()
}

/// The JSON Pointer of a serde path (enum variant segments are not part of the data).
pub(crate) fn serde_pointer(path: &serde_path_to_error::Path) -> String {
    let segments: Vec<String> = path
        .iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect();
    crate::json::pointer(&segments)
}

/// Maps a failure to deserialize a message body on its own, as [`from_serde_error`]
/// does for a body inside an envelope.
pub(crate) fn body_error(
    err: serde_path_to_error::Error<serde_json::Error>,
    body: &Value,
) -> Error {
    let document = serde_json::json!({ "body": body });
    from_serde_error(err, &document, "body")
}

/// Maps a typed-deserialization failure to its code. Identifier and timestamp types
/// prefix their messages with `[code]`, so a bad citizen ID inside a message reports
/// `id.citizen_checksum`, not a generic structure error; every error names the field.
/// `prefix` is the member the deserialized value sits in (`""` for the whole document).
pub(crate) fn from_serde_error(
    err: serde_path_to_error::Error<serde_json::Error>,
    document: &Value,
    prefix: &str,
) -> Error {
    let field = match prefix {
        "" => serde_pointer(err.path()),
        prefix => format!("/{prefix}{}", serde_pointer(err.path())),
    };
    let label = if field.is_empty() { "envelope" } else { &field };
    // Text read by serde_json ends in its position, which names no field.
    let mut text = err.inner().to_string();
    if err.inner().line() != 0 {
        if let Some(at) = text.rfind(" at line ") {
            text.truncate(at);
        }
    }
    let (code, detail) = match text
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
    {
        Some((code, detail)) => (Some(code), detail.to_string()),
        None => (None, text.clone()),
    };
    let reason = format!("{label}: {detail}");
    match code {
        Some("time.format") => TimeError::Format { value: reason }.into(),
        Some("version.format") => crate::error::VersionError::Format { value: reason }.into(),
        Some(code) => match IdRule::ALL.into_iter().find(|r| r.code() == code) {
            Some(rule) => {
                // The identifier's own message ends in `: "<value>"` (already masked).
                let (why, quoted) = detail.rsplit_once(": ").unwrap_or((&detail, "\"\""));
                let value = match document.pointer(&field).and_then(Value::as_str) {
                    Some(raw) if rule.code().starts_with("id.citizen") => mask_citizen_id(raw),
                    Some(raw) => raw.to_string(),
                    None => serde_json::from_str(quoted).unwrap_or_default(),
                };
                IdError {
                    rule,
                    value,
                    reason: why.to_string(),
                    field: Some(field),
                }
                .into()
            }
            None => invalid(&reason),
        },
        None => invalid(&reason),
    }
}
