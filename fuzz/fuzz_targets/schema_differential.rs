//! `schema_differential`: the Rust types and the published JSON Schemas
//! (`schemas/v1/envelope.json`, `schemas/v1/transfer.json`) accept the same documents.
//!
//! Input: a JSON text, a zero byte, then bytes that `arbitrary` turns into up to eight
//! structured mutations (remove or add a member or element, replace a value by one of
//! another type or a known word, edit a string, add to an integer, at any depth). The
//! text is a message, e.g. from the conformance vectors; if it is not a JSON object, a
//! sample message of the SDK (every type, the benchmark transfer, a legal-entity
//! applicant, a refusing receipt) is chosen instead. So most inputs are near-valid.
//!
//! The Rust side is `Unverified::parse` of the document's canonical bytes: strict JSON,
//! version, type, numbers and the typed structure, but no signature check. For a
//! transfer, the body alone also goes through `Body::from_json` and the rules between its
//! members (`Transfer::check_consistency`) against `transfer.json`.
//!
//! Property: both accept or both refuse, except where the Rust side checks what the
//! schemas cannot express. Those refusals are allowed by code in `ALLOWED`, each with
//! its reason; limits of the JSON layer itself (depth, size) are not the schemas'
//! business and end the comparison. Every other disagreement panics with both verdicts.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value};
use std::collections::BTreeSet;
use std::sync::OnceLock;
use tongban::canonical::to_canonical_bytes;
use tongban::error::MessageError;
use tongban::{sample, Applicant, Body, CreditCode, Error, MessageType, Unverified};

/// Refusals of the Rust side that a JSON Schema cannot express, by code.
const ALLOWED: &[(&str, &str)] = &[
    (
        "id.citizen_checksum",
        "ISO 7064 MOD 11-2 check character: arithmetic",
    ),
    (
        "id.citizen_birth_date",
        "the birth date must exist (e.g. not 1949-02-30); the pattern checks digit ranges",
    ),
    (
        "id.credit_checksum",
        "GB 32100 MOD 31 check character: arithmetic",
    ),
    (
        "time.format",
        "a real date and time (no 02-30, hour 24, offset +24:00); the pattern checks the shape",
    ),
    (
        "time.bad_window",
        "`expires` after `created` by at most 7 days compares two members' instants",
    ),
    (
        "message.unsafe_number",
        "integers within ±(2^53−1) only, everywhere, free-form `form` data included",
    ),
    (
        "version.format",
        "MAJOR and MINOR must fit in 32 bits; the pattern has no digit limit",
    ),
];

/// `message.invalid` refusals the schema does not express, by the reason's text.
const ALLOWED_INVALID: &[(&str, &str)] = &[
    (
        "a node does not send messages to itself",
        "`from` ≠ `to` compares two members",
    ),
    (
        "a member of protocol",
        "a 1.1 member of a transfer in a 1.0 message compares the body with `protocol`",
    ),
    (
        "a legal entity acts through its representative",
        "an agent compares two members of the body (`agent`, `applicant.kind`)",
    ),
    (
        "the agent is the applicant",
        "the agent's citizen id compares two members of the body",
    ),
    (
        "required to post the result",
        "an address by the delivery method: the schemas have no conditionals",
    ),
    (
        "only for a result by post",
        "an address by the delivery method: the schemas have no conditionals",
    ),
    (
        "after the message's created",
        "a delivery's, an evaluation's or a call back's time compares the body with `created`",
    ),
    (
        "a material handed in as well",
        "a deferred or committed material compares two members of the body",
    ),
    (
        "a material named twice",
        "a material named twice compares entries of two lists: no uniqueness by member in a schema",
    ),
    (
        "for an electronic licence only",
        "a licence's data compares it with its document's `kind`",
    ),
    (
        "one of holder_citizen_id and holder_credit_code",
        "exactly one of two members: the schemas have no conditionals",
    ),
    (
        "valid_until before valid_from",
        "a licence's validity compares two members",
    ),
    (
        "not the document's number",
        "a licence's number compares it with its document's `number`",
    ),
    (
        "promised before the transfer's day",
        "a promised day compares the body with `created`",
    ),
    (
        "is sealed only in a sealed body",
        "a file reference's `sealed` depends on whether its body arrived sealed: a body's schema is the same in clear and inside a box",
    ),
    (
        "not a YYYY-MM-DD date",
        "a promised day that no calendar has (2026-02-30): the schema's pattern checks the form only",
    ),
];

/// Known values: identifiers valid and nearly so, times, versions; the schemas' own
/// member names and constants are added to these.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "", "a", "1.0", "1.7", "2.0", "01.0", "1.01", "1.4294967296",
    "huangshi.420200", "jiujiang.360400", "Huangshi", "hs-jj.cross-river", "HS-JJ",
    "HS-2026-000123", "-1", "HB-JX-0042", "huangshi.420200#sample", "k 1",
    "420200", "110000", "429004", "420012", "990000", "4202", "42020a",
    "420202199001011231", "11010519491231002X", "11010519491231002x", "110105194902300020",
    "110105194912310021", "420202190002291238", "9144030071526726XG", "91360400MA35G1234N",
    "91420200MA4F0IIIII", "019373d2-6a00-7c3e-9b1a-2f4d5e6a7b8c",
    "019373d2-6a00-4c3e-9b1a-2f4d5e6a7b8c", "01JDQ6ZK8V3YH2X0R5M7N9P4QT",
    "81JDQ6ZK8V3YH2X0R5M7N9P4QT",
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
    "2026-11-28T09:30:00+08:00", "2026-11-28T01:30:00.5Z", "2026-11-28T01:30:00Z",
    "2026-02-30T00:00:00Z", "2026-11-28t01:30:00Z", "2026-11-28T24:00:00Z",
    "2026-11-28T23:59:60Z", "2026-11-28T09:30:00+24:00", "2026-12-28T09:30:00+08:00",
    "2026-11-28T09:30:00.1234567891+08:00", "ed25519", "AAAA", "A+/=",
];

const MAX_MUTATIONS: usize = 8;

#[derive(Arbitrary, Debug)]
struct Mutation {
    /// Which child to descend into at each level (modulo the number of children); the
    /// walk stops at a scalar, an empty container or the end of the path.
    path: Vec<u8>,
    edit: Edit,
}

#[derive(Arbitrary, Debug)]
enum Edit {
    /// Replace the value.
    Set(New),
    /// Remove a member or element (modulo the number of them).
    Remove(u8),
    /// Add a member to an object, or an element to an array.
    Insert { name: Name, value: New },
    /// Edit a string.
    Text(TextEdit),
    /// Add to an integer.
    Add(i64),
}

#[derive(Arbitrary, Debug)]
enum New {
    Null,
    Bool(bool),
    Int(i64),
    Small(i8),
    Float(f64),
    Word(u16),
    Text(String),
    EmptyArray,
    EmptyObject,
    /// The value found at this path (from the root).
    Copy(Vec<u8>),
    /// The current value inside an array.
    Wrap,
}

#[derive(Arbitrary, Debug)]
enum Name {
    Word(u16),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum TextEdit {
    Insert(u8, char),
    Delete(u8),
    Replace(u8, char),
    Truncate(u8),
    Upper,
    Lower,
}

fn validator(schema: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schema).expect("a published schema is JSON");
    tongban::schema::offline_validator(&schema).expect("a published schema compiles")
}

fn envelope_schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| validator(include_str!("../../schemas/v1/envelope.json")))
}

fn transfer_schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| validator(include_str!("../../schemas/v1/transfer.json")))
}

/// [`WORDS`], and every member name and constant of the published envelope schema.
fn words() -> &'static [String] {
    fn collect(schema: &Value, into: &mut BTreeSet<String>) {
        match schema {
            Value::Object(members) => {
                for (name, value) in members {
                    match (name.as_str(), value) {
                        ("const", Value::String(word)) => {
                            into.insert(word.clone());
                        }
                        ("properties", Value::Object(properties)) => {
                            into.extend(properties.keys().cloned());
                        }
                        _ => {}
                    }
                    collect(value, into);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect(item, into)),
            _ => {}
        }
    }
    static WORD_LIST: OnceLock<Vec<String>> = OnceLock::new();
    WORD_LIST.get_or_init(|| {
        let mut words: BTreeSet<String> = WORDS.iter().map(|w| w.to_string()).collect();
        let schema = serde_json::from_str(include_str!("../../schemas/v1/envelope.json"));
        collect(&schema.expect("the envelope schema"), &mut words);
        words.into_iter().collect()
    })
}

/// The SDK's sample messages, as JSON values.
fn samples() -> &'static [Value] {
    static SAMPLES: OnceLock<Vec<Value>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let created = tongban::Timestamp::parse(sample::CREATED).expect("sample time");
        let mut messages: Vec<_> = MessageType::ALL
            .iter()
            .copied()
            .map(|t| sample::signed(t, 60).expect("sample message"))
            .collect();
        messages.push(sample::benchmark_transfer(1, &created).expect("benchmark transfer"));
        let mut legal_entity = sample::signed_transfer().expect("sample transfer");
        if let Body::Transfer(transfer) = &mut legal_entity.body {
            transfer.applicant = Applicant::LegalEntity {
                name: "黄石市磁湖理发店".into(),
                credit_code: CreditCode::parse("9144030071526726XG").expect("credit code"),
                representative: "陈丽华".into(),
            };
        }
        messages.push(legal_entity);
        let mut refusal = sample::signed(MessageType::Receipt, 60).expect("sample receipt");
        if let Body::Receipt(receipt) = &mut refusal.body {
            receipt.outcome = tongban::ReceiptOutcome::Refused {
                code: "item.form_invalid".into(),
                reason: "表单不完整".into(),
            };
        }
        messages.push(refusal);
        messages
            .iter()
            .map(|m| m.to_value().expect("a message is JSON"))
            .collect()
    })
}

/// The JSON Pointer that `path` leads to in `value`.
fn pointer(mut value: &Value, path: &[u8]) -> String {
    let mut at = String::new();
    for &choice in path {
        let step = match value {
            Value::Object(members) if !members.is_empty() => {
                let (name, child) = members
                    .iter()
                    .nth(usize::from(choice) % members.len())
                    .expect("in range");
                value = child;
                name.replace('~', "~0").replace('/', "~1")
            }
            Value::Array(items) if !items.is_empty() => {
                let index = usize::from(choice) % items.len();
                value = &items[index];
                index.to_string()
            }
            _ => break,
        };
        at.push('/');
        at.push_str(&step);
    }
    at
}

fn new_value(new: &New, document: &Value, current: &Value) -> Value {
    let words = words();
    match new {
        New::Null => Value::Null,
        New::Bool(b) => Value::Bool(*b),
        New::Int(i) => Value::from(*i),
        New::Small(i) => Value::from(*i),
        New::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        New::Word(i) => Value::String(words[usize::from(*i) % words.len()].clone()),
        New::Text(text) => Value::String(text.clone()),
        New::EmptyArray => Value::Array(Vec::new()),
        New::EmptyObject => Value::Object(Map::new()),
        New::Copy(path) => document
            .pointer(&pointer(document, path))
            .cloned()
            .unwrap_or(Value::Null),
        New::Wrap => Value::Array(vec![current.clone()]),
    }
}

/// Byte offset of the character `at` (modulo their number plus one) in `text`.
fn char_offset(text: &str, at: u8) -> usize {
    let count = text.chars().count() + 1;
    text.char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .nth(usize::from(at) % count)
        .unwrap_or(text.len())
}

fn edit_text(text: &mut String, edit: &TextEdit) {
    let at = |n| char_offset(text, n);
    match *edit {
        TextEdit::Insert(n, c) => {
            let i = at(n);
            text.insert(i, c);
        }
        TextEdit::Delete(n) | TextEdit::Replace(n, _) => {
            let i = at(n);
            if i < text.len() {
                let c = text.remove(i);
                if let TextEdit::Replace(_, new) = *edit {
                    text.insert(i, if new == c { '0' } else { new });
                }
            }
        }
        TextEdit::Truncate(n) => {
            let i = at(n);
            text.truncate(i);
        }
        TextEdit::Upper => *text = text.to_uppercase(),
        TextEdit::Lower => *text = text.to_lowercase(),
    }
}

fn apply(document: &mut Value, mutation: &Mutation) {
    let at = pointer(document, &mutation.path);
    let current = document.pointer(&at).cloned().unwrap_or(Value::Null);
    let value = match &mutation.edit {
        Edit::Set(new) | Edit::Insert { value: new, .. } => new_value(new, document, &current),
        _ => Value::Null,
    };
    let Some(target) = document.pointer_mut(&at) else {
        return;
    };
    match (&mutation.edit, target) {
        (Edit::Set(_), target) => *target = value,
        (Edit::Remove(i), Value::Object(members)) if !members.is_empty() => {
            let name = members.keys().nth(usize::from(*i) % members.len()).cloned();
            name.map(|name| members.remove(&name));
        }
        (Edit::Remove(i), Value::Array(items)) if !items.is_empty() => {
            items.remove(usize::from(*i) % items.len());
        }
        (Edit::Insert { name, .. }, Value::Object(members)) => {
            let name = match name {
                Name::Word(i) => words()[usize::from(*i) % words().len()].clone(),
                Name::Text(text) => text.clone(),
            };
            members.insert(name, value);
        }
        (Edit::Insert { .. }, Value::Array(items)) => items.push(value),
        (Edit::Text(edit), Value::String(text)) => edit_text(text, edit),
        (Edit::Add(delta), Value::Number(n)) => {
            if let Some(sum) = n.as_i64().and_then(|i| i.checked_add(*delta)) {
                *n = sum.into();
            }
        }
        _ => {}
    }
}

/// Why the Rust side may refuse what the schema accepts, if it may.
fn allowed(error: &Error) -> Option<&'static str> {
    let by_code = ALLOWED.iter().find(|(code, _)| *code == error.code());
    let by_reason = || {
        let text = error.to_string();
        ALLOWED_INVALID
            .iter()
            .find(|(reason, _)| error.code() == "message.invalid" && text.contains(reason))
    };
    by_code.or_else(by_reason).map(|(_, why)| *why)
}

fn judge(what: &str, document: &Value, rust: Result<(), Error>, schema: &jsonschema::Validator) {
    let schema_errors = || -> Vec<String> {
        schema
            .iter_errors(document)
            .map(|e| format!("{} at {}", e, e.instance_path().as_str()))
            .collect()
    };
    match (rust, schema.is_valid(document)) {
        (Ok(()), true) | (Err(_), false) => {}
        (Ok(()), false) => panic!(
            "{what}: the Rust types accept what the schema refuses: {:?}\n{document}",
            schema_errors()
        ),
        (Err(e), true) => {
            if allowed(&e).is_none() {
                panic!(
                    "{what}: the schema accepts what the Rust types refuse ({}): {e}\n{document}",
                    e.code()
                );
            }
        }
    }
}

fn compare(document: &Value) {
    let bytes = to_canonical_bytes(document);
    // The value the Rust side reads from the bytes (`5.0` is written, and read, as `5`).
    let value = match tongban::json::parse(&bytes) {
        Ok(value) => value,
        Err(e) => {
            let code = e.code();
            assert!(
                code == "json.too_deep" || code == "json.too_large",
                "{code}: {e}"
            );
            return;
        }
    };
    let rust = Unverified::parse(&bytes).map(|_| ());
    judge("envelope", &value, rust, envelope_schema());
    if let (Some("transfer"), Some(body)) = (value["type"].as_str(), value.get("body")) {
        // A transfer body is its type and the rules between its members (§2 step 8).
        let rust = Body::from_json(MessageType::Transfer, body).and_then(|body| match body {
            Body::Transfer(transfer) => transfer.check_consistency().map_err(|(member, why)| {
                let reason = format!("/body/{member}: {why}");
                MessageError::Invalid { reason }.into()
            }),
            // A body with a member `sealed` is a sealed body (§24.5), never a transfer's
            // body in clear, which transfer.json describes.
            Body::Sealed(_) => Err(MessageError::Invalid {
                reason: "/body/sealed: a sealed body".into(),
            }
            .into()),
            _ => Ok(()),
        });
        judge("transfer body", body, rust, transfer_schema());
    }
}

fuzz_target!(|data: &[u8]| {
    let (text, rest) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let mut u = Unstructured::new(rest);
    let mut document = match tongban::json::parse(text) {
        Ok(value @ Value::Object(_)) => value,
        _ => samples()[u.choose_index(samples().len()).unwrap_or(0)].clone(),
    };
    for _ in 0..MAX_MUTATIONS {
        if u.is_empty() {
            break;
        }
        match Mutation::arbitrary(&mut u) {
            Ok(mutation) => apply(&mut document, &mutation),
            Err(_) => break,
        }
    }
    compare(&document);
});
