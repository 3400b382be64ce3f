//! The hostile corpus (`hostile/…`): malformed and malicious input, each with the code
//! it must get. Every parser and verifier on the path between members faces such input;
//! these vectors say what each must answer.
//!
//! - `hostile/json`: the strict parser (§2) — duplicate keys at every depth and with
//!   escaped-equal names, surrogates, invalid UTF-8, byte order marks, numbers, nesting
//!   and size at and past the limits, trailing data;
//! - `hostile/messages`: the same faults inside signed messages;
//! - `hostile/keys`, `hostile/signatures`: Ed25519 edge cases (ed25519-speccheck, C2SP
//!   CCTV) and signature faults;
//! - `hostile/envelope`, `hostile/checks`, `hostile/registry`, `hostile/identifiers`:
//!   structure, versions, time, replay, registry checks and rotation, check digits;
//! - `hostile/lifecycle`: every message in every state of a track.

mod ed25519;
mod envelope;
mod json;
mod lifecycle;
mod signatures;

use super::*;

/// Writes the hostile vectors. `keys` and `registry` are the sample key set and the
/// version-1 sample registry fixtures.
pub(super) fn hostile(g: &mut Gen, keys: &str, registry: &str) {
    json::parser(g);
    json::messages(g, keys);
    signatures::keys(g);
    signatures::signatures(g, keys);
    envelope::envelope(g, keys);
    envelope::checks(g, registry);
    envelope::registry(g);
    envelope::identifiers(g);
    lifecycle::transitions(g, registry);
}

/// A `canonicalize` vector `hostile/json/<name>` that must be refused with `code`.
fn parse_refused(g: &mut Gen, name: &str, description: &str, bytes: Value, code: &str) {
    g.push(
        &format!("hostile/json/{name}"),
        description,
        "canonicalize",
        bytes,
        refused(code),
    );
}

/// A `canonicalize` vector `hostile/json/<name>` that must be accepted; with
/// `canonical`, the canonical text must be exactly that.
fn parse_accepted(
    g: &mut Gen,
    name: &str,
    description: &str,
    bytes: Value,
    canonical: Option<&str>,
) {
    let mut expected = accepted();
    if let Some(canonical) = canonical {
        expected["canonical"] = json!(canonical);
    }
    g.push(
        &format!("hostile/json/{name}"),
        description,
        "canonicalize",
        bytes,
        expected,
    );
}

/// Bytes given as text.
fn utf8(text: &str) -> Value {
    json!({ "text": text })
}

/// Bytes given as base64, for bytes that are not UTF-8.
fn raw(bytes: &[u8]) -> Value {
    json!({ "base64": STANDARD.encode(bytes) })
}

/// `text` with every character outside ASCII written as a `\uXXXX` escape.
fn escape_non_ascii(text: &str) -> String {
    let mut escaped = String::new();
    for unit in text.encode_utf16() {
        if unit < 0x80 {
            escaped.push(char::from(unit as u8));
        } else {
            escaped.push_str(&format!("\\u{unit:04x}"));
        }
    }
    escaped
}

/// One message verified at `now` against `trust` must get `result`.
fn verify_one(
    g: &mut Gen,
    id: &str,
    description: &str,
    trust: (&str, &str),
    message: Value,
    result: Value,
) {
    verify_vector(g, id, description, trust, vec![message], vec![result]);
}
