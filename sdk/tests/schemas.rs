//! The committed JSON Schemas equal the generated ones, and every sample message
//! validates against them with a validator that never fetches anything.
//!
//! Regenerate the committed files with `TONGBAN_BLESS=1 cargo test -p tongban --test schemas`.

use serde_json::json;
use tongban::sample;
use tongban::schema::{schema, SCHEMA_NAMES};
use tongban::MessageType;

use tongban::schema::offline_validator as validator;

fn committed_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas/v1")
        .join(format!("{name}.json"))
}

#[test]
fn committed_schemas_equal_the_generated_ones() {
    let bless = std::env::var_os("TONGBAN_BLESS").is_some();
    for name in SCHEMA_NAMES {
        let generated =
            serde_json::to_string_pretty(&schema(name).expect("known")).expect("json") + "\n";
        let path = committed_path(name);
        if bless {
            std::fs::write(&path, &generated).expect("write schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{} differs from the generated schema; run TONGBAN_BLESS=1 cargo test -p tongban --test schemas",
            path.display()
        );
    }
    assert_eq!(schema("no_such_schema"), None);
}

#[test]
fn every_schema_is_draft_2020_12_with_a_versioned_id() {
    for name in SCHEMA_NAMES {
        let schema = schema(name).expect("known");
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["$id"], format!("urn:tongban:schema:v1:{name}"));
        validator(&schema).expect("compiles offline");
        let mut formats = Vec::new();
        collect_formats(&schema, &mut formats);
        for format in formats {
            assert!(
                ["date", "date-time"].contains(&format.as_str()),
                "{name}: format {format:?} is not one that draft 2020-12 defines and the schemas use"
            );
        }
    }
}

/// Every `format` keyword's value in a schema.
fn collect_formats(value: &serde_json::Value, formats: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(members) => {
            if let Some(format) = members.get("format").and_then(|f| f.as_str()) {
                formats.push(format.to_string());
            }
            members.values().for_each(|v| collect_formats(v, formats));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_formats(v, formats)),
        _ => {}
    }
}

#[test]
fn every_sample_message_validates_against_the_envelope_and_its_body_schema() {
    let envelope = validator(&schema("envelope").expect("envelope")).expect("compiles");
    for (i, message_type) in MessageType::ALL.iter().copied().enumerate() {
        let message = sample::signed(message_type, 60 * i as i64)
            .and_then(|m| m.to_value())
            .expect("sample");
        let errors: Vec<String> = envelope
            .iter_errors(&message)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{message_type}: {errors:?}");
        let body =
            validator(&schema(message_type.as_str()).expect("body schema")).expect("compiles");
        assert!(body.is_valid(&message["body"]), "{message_type} body");
    }
}

#[test]
fn identifier_patterns_catch_bad_values() {
    let envelope = validator(&schema("envelope").expect("envelope")).expect("compiles");
    let good = sample::signed_transfer()
        .and_then(|m| m.to_value())
        .expect("sample");
    for (pointer, bad) in [
        ("/body/applicant/citizen_id", json!("420202199013011231")),
        ("/body/window/region", json!("420012")),
        ("/from", json!("Huangshi")),
        ("/id", json!("019373d2-6a00-4c3e-9b1a-2f4d5e6a7b8c")),
        ("/created", json!("28/11/2026")),
        ("/type", json!("gossip")),
        ("/body/materials/0/sha256", json!("xyz")),
    ] {
        let mut doc = good.clone();
        *doc.pointer_mut(pointer).expect("field") = bad;
        assert!(
            !envelope.is_valid(&doc),
            "{pointer} should be refused by the schema"
        );
    }
}

#[test]
fn remote_and_file_references_are_never_fetched() {
    for uri in ["https://example.com/form.json", "file:///etc/passwd"] {
        let schema =
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": uri});
        let err = validator(&schema).expect_err("must not retrieve");
        assert!(err.contains("refusing to retrieve"), "{err}");
    }
}

mod patterns {
    use super::validator;
    use proptest::prelude::*;
    use serde_json::json;
    use tongban::*;

    fn matches(pattern: &str, value: &str) -> bool {
        validator(&json!({"type": "string", "pattern": pattern}))
            .expect("pattern compiles")
            .is_valid(&json!(value))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// For token identifiers the schema pattern and the parser agree exactly.
        #[test]
        fn token_patterns_equal_the_parsers(value in "[a-zA-Z0-9._:#/ -]{0,70}|[a-z0-9.-]{1,66}") {
            prop_assert_eq!(NodeId::parse(value.as_str()).is_ok(), matches(&NodeId::schema_pattern(), &value));
            prop_assert_eq!(CaseId::parse(value.as_str()).is_ok(), matches(&CaseId::schema_pattern(), &value));
            prop_assert_eq!(AgreementId::parse(value.as_str()).is_ok(), matches(&AgreementId::schema_pattern(), &value));
            prop_assert_eq!(ItemCode::parse(value.as_str()).is_ok(), matches(&ItemCode::schema_pattern(), &value));
            prop_assert_eq!(KeyId::parse(value.as_str()).is_ok(), matches(&KeyId::schema_pattern(), &value));
        }

        /// Of the 11 possible check characters of a citizen ID exactly one passes, and
        /// that one matches the schema pattern.
        #[test]
        fn exactly_one_citizen_check_character_passes(
            region in "[1-6][0-9]{5}",
            year in 1900u32..2030, month in 1u32..=12, day in 1u32..=28,
            sequence in "[0-9]{3}",
        ) {
            let prefix = format!("{region}{year}{month:02}{day:02}{sequence}");
            let passing: Vec<String> = "0123456789X"
                .chars()
                .map(|c| format!("{prefix}{c}"))
                .filter(|id| CitizenId::parse(id.as_str()).is_ok())
                .collect();
            prop_assert_eq!(passing.len(), 1, "{}", prefix);
            prop_assert!(matches(&CitizenId::schema_pattern(), &passing[0]));
        }

        /// Of the 31 possible check characters of a credit code exactly one passes, and
        /// every one of the 31 matches the schema pattern (which cannot compute checks).
        #[test]
        fn exactly_one_credit_check_character_passes(
            head in "[0-9A-HJ-NP-RTUW-Y]{2}", region in "[0-9]{6}",
            organization in "[0-9A-HJ-NP-RTUW-Y]{9}",
        ) {
            let prefix = format!("{head}{region}{organization}");
            let candidates: Vec<String> = "0123456789ABCDEFGHJKLMNPQRTUWXY"
                .chars()
                .map(|c| format!("{prefix}{c}"))
                .collect();
            let passing = candidates.iter().filter(|c| CreditCode::parse(c.as_str()).is_ok()).count();
            prop_assert_eq!(passing, 1, "{}", prefix);
            for candidate in &candidates {
                prop_assert!(matches(&CreditCode::schema_pattern(), candidate));
            }
        }

        /// Generated message ids parse and match the pattern.
        #[test]
        fn generated_message_ids_match_the_pattern(millis in 0u64..(1 << 48), random in any::<[u8; 10]>()) {
            let id = MessageId::from_parts(millis, random);
            prop_assert!(MessageId::parse(id.as_str()).is_ok());
            prop_assert!(matches(&MessageId::schema_pattern(), id.as_str()));
        }
    }

    #[test]
    fn region_pattern_agrees_on_every_six_digit_prefix_shape() {
        for province in 0..100 {
            for middle in ["00", "01", "90", "99"] {
                for county in ["00", "01", "04"] {
                    let code = format!("{province:02}{middle}{county}");
                    assert_eq!(
                        RegionCode::parse(code.as_str()).is_ok(),
                        matches(&RegionCode::schema_pattern(), &code),
                        "{code}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_sample_registry_validates_against_the_registry_schema() {
    let registry = validator(&schema("registry").expect("registry")).expect("compiles");
    let document = sample::registry_document(1, &[0, 1, 2], 2).expect("document");
    let bytes = sample::signed_registry(&document, &[0, 1]).expect("signed");
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    let errors: Vec<String> = registry
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut bad = value.clone();
    bad["members"][0]["role"] = json!("mayor");
    assert!(!registry.is_valid(&bad));
}

/// The disagreements the `schema_differential` fuzz target found (fuzz/README.md), now
/// settled: the envelope schema and the typed parse agree on each.
#[test]
fn the_schemas_and_the_types_agree_on_the_fuzzers_findings() {
    let envelope = validator(&schema("envelope").expect("envelope")).expect("compiles");
    let message = |t: MessageType| {
        sample::signed(t, 60)
            .and_then(|m| m.to_value())
            .expect("sample")
    };
    let parses = |value: &serde_json::Value| {
        tongban::Unverified::parse(&tongban::canonical::to_canonical_bytes(value)).is_ok()
    };
    // F1: a `sig` that is not base64url is read by both (verification refuses it).
    let mut empty_sig = message(MessageType::StatusUpdate);
    empty_sig["signatures"][0]["sig"] = json!("");
    assert!(envelope.is_valid(&empty_sig) && parses(&empty_sig));
    // F3: a receipt without in_reply_to, or with null, is refused by both.
    for answered in [None, Some(serde_json::Value::Null)] {
        let mut receipt = message(MessageType::Receipt);
        if let Some(members) = receipt.as_object_mut() {
            match &answered {
                None => members.remove("in_reply_to"),
                Some(null) => members.insert("in_reply_to".into(), null.clone()),
            };
        }
        assert!(
            !envelope.is_valid(&receipt) && !parses(&receipt),
            "{answered:?}"
        );
    }
    // F4: due_working_days past u32 is refused by both.
    let mut request = message(MessageType::SupplementRequest);
    request["body"]["due_working_days"] = json!(4_294_967_296u64);
    assert!(!envelope.is_valid(&request) && !parses(&request));
    // F2: Body::from_json refuses integers past 2^53 − 1, as the transfer schema does.
    let transfer = validator(&schema("transfer").expect("transfer")).expect("compiles");
    let mut body = message(MessageType::Transfer)["body"].clone();
    body["materials"][0]["size"] = json!(9_007_199_254_740_992u64);
    assert!(!transfer.is_valid(&body));
    let err = tongban::Body::from_json(MessageType::Transfer, &body).expect_err("too large");
    assert_eq!(err.code(), "message.unsafe_number");
    assert!(err.to_string().contains("/body/materials/0/size"), "{err}");
}

/// `Envelope` and `Body` read back what they write, through their own `Deserialize`.
#[test]
fn envelopes_and_bodies_read_back_what_they_write() {
    for &message_type in MessageType::ALL {
        let message = sample::signed(message_type, 60).expect("sample");
        let value = message.to_value().expect("value");
        let read: tongban::Envelope = serde_json::from_value(value.clone()).expect("envelope");
        assert_eq!(read, message, "{message_type}");
        let text = serde_json::to_string(&message.body).expect("body json");
        let body: tongban::Body = serde_json::from_str(&text).expect("body");
        assert_eq!(body, message.body, "{message_type}");
    }
    let mut unknown = sample::signed(MessageType::Decision, 60)
        .and_then(|m| m.to_value())
        .expect("sample");
    unknown["type"] = json!("verdict");
    let err = serde_json::from_value::<tongban::Envelope>(unknown).expect_err("unknown type");
    assert!(err.to_string().contains("verdict"), "{err}");
    let mut bad = sample::signed(MessageType::Transfer, 60)
        .and_then(|m| m.to_value())
        .expect("sample");
    bad["body"]["materials"][0]["size"] = json!("large");
    let err = serde_json::from_value::<tongban::Envelope>(bad).expect_err("bad size");
    assert!(
        err.to_string().starts_with("/body/materials/0/size: "),
        "{err}"
    );
}

/// F5 and F6: serde alone reads a struct from an array of its fields and a variant
/// without data from `{"variant": null}`; the schemas refuse both, and so does the SDK,
/// on the canonical path (`Unverified::parse`) and the strict one (`Body::from_json`),
/// naming the field.
#[test]
fn structs_are_read_from_objects_and_variants_without_data_from_strings() {
    use serde::de::DeserializeOwned;
    use serde_json::Value;
    let envelope = validator(&schema("envelope").expect("envelope")).expect("compiles");
    let transfer_schema = validator(&schema("transfer").expect("transfer")).expect("compiles");
    let message = |t: MessageType| {
        sample::signed(t, 60)
            .and_then(|m| m.to_value())
            .expect("sample")
    };
    /// Puts `shape` at `pointer`.
    fn put(mut document: Value, pointer: &str, shape: Value) -> Value {
        *document.pointer_mut(pointer).expect("field exists") = shape;
        document
    }
    /// Puts `shape` at `pointer`, after checking that serde alone reads it as a `T`.
    fn reshape<T: DeserializeOwned>(document: Value, pointer: &str, shape: Value) -> Value {
        let lax = serde_json::from_value::<T>(shape.clone());
        assert!(lax.is_ok(), "serde alone reads {shape} at {pointer}");
        put(document, pointer, shape)
    }
    // The tagged enums' derived Deserialize read an array with the tag first (the
    // shape test in `tongban::shape` shows it); `Applicant` and `ReceiptOutcome` now
    // have their own, so these use `put`.
    let refused = |document: &Value, pointer: &str| {
        assert!(!envelope.is_valid(document), "schema: {pointer}");
        // Envelope's own Deserialize reads the same shapes as Unverified::parse.
        let err = serde_json::from_value::<tongban::Envelope>(document.clone());
        assert!(err.is_err(), "Envelope::deserialize: {pointer}");
        let bytes = tongban::canonical::to_canonical_bytes(document);
        let err = tongban::Unverified::parse(&bytes).expect_err(pointer);
        assert_eq!(err.code(), "message.invalid", "{pointer}: {err}");
        assert!(err.to_string().contains(pointer), "{pointer}: {err}");
        if document["type"] == "transfer" {
            let body = &document["body"];
            assert!(
                !transfer_schema.is_valid(body),
                "transfer schema: {pointer}"
            );
            let err = tongban::Body::from_json(MessageType::Transfer, body).expect_err(pointer);
            assert_eq!(err.code(), "message.invalid", "{pointer}: {err}");
            assert!(err.to_string().contains(pointer), "{pointer}: {err}");
        }
    };

    let transfer = message(MessageType::Transfer);
    let status = message(MessageType::StatusUpdate);
    let signature = &status["signatures"][0];
    let entry = json!([signature["alg"], signature["kid"], signature["sig"]]);
    let signed =
        reshape::<tongban::signing::SignatureEntry>(status.clone(), "/signatures/0", entry);
    refused(&signed, "/signatures/0");

    let file = &transfer["body"]["materials"][0];
    // (1.1's `sm3` sits after the SHA-256: absent, null.)
    let material = json!([
        file["name"],
        file["sha256"],
        null,
        file["media_type"],
        file["size"]
    ]);
    let materials = reshape::<tongban::FileRef>(transfer.clone(), "/body/materials/0", material);
    refused(&materials, "/body/materials/0");

    let person = &transfer["body"]["applicant"];
    let applicant = json!(["natural_person", person["name"], person["citizen_id"]]);
    let applicant = put(transfer.clone(), "/body/applicant", applicant);
    refused(&applicant, "/body/applicant");
    // Tagged enums read from objects only, wherever they are read.
    let alone =
        serde_json::from_value::<tongban::Applicant>(applicant["body"]["applicant"].clone());
    assert!(alone
        .expect_err("an array")
        .to_string()
        .contains("expected an object"));

    let body = &transfer["body"];
    let fields = [
        "applicant",
        "item",
        "item_name",
        "mode",
        "materials",
        "form",
        "window",
    ];
    let whole = Value::Array(fields.iter().map(|f| body[*f].clone()).collect());
    let whole = reshape::<tongban::Transfer>(transfer.clone(), "/body", whole);
    assert!(!envelope.is_valid(&whole));
    let bytes = tongban::canonical::to_canonical_bytes(&whole);
    let err = tongban::Unverified::parse(&bytes).expect_err("a body as an array");
    assert_eq!(err.code(), "message.invalid", "{err}");
    assert!(
        err.to_string().contains("expected struct Transfer"),
        "{err}"
    );

    let receipt = message(MessageType::Receipt);
    let outcome = put(receipt, "/body/outcome", json!(["accepted"]));
    refused(&outcome, "/body/outcome");

    // F6: variants without data, written as objects. The enumerations read themselves
    // from names only (`shape::name_index`), so serde alone refuses these too now.
    fn names_only<T: DeserializeOwned>(document: Value, pointer: &str, shape: Value) -> Value {
        let own = serde_json::from_value::<T>(shape.clone());
        assert!(own.is_err(), "{shape} read at {pointer}");
        put(document, pointer, shape)
    }
    let mode = names_only::<tongban::HandlingMode>(
        transfer.clone(),
        "/body/mode",
        json!({"fully_online": null}),
    );
    refused(&mode, "/body/mode");
    let reported = json!({"in_review": null});
    let reported = names_only::<tongban::ReportedStatus>(status, "/body/status", reported);
    refused(&reported, "/body/status");
    let withdrawal = message(MessageType::Withdrawal);
    let by = json!({"applicant": null});
    let by = names_only::<tongban::WithdrawnBy>(withdrawal, "/body/requested_by", by);
    refused(&by, "/body/requested_by");
}
