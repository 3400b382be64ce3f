//! The points PROTOCOL 1.0.1 settles (its "Changes" section lists them): each vector
//! passes under the reading the text now gives and fails under the other. Generated
//! last, so that the earlier vectors keep their ids.

use super::lifecycle::{barber, other, receipt, received, state, status, transport, Script, Talk};
use super::registry::{catalogue_name, registry_doc, registry_text, registry_vector, variant};
use super::*;
use tongban::crypto::{Algorithm, KeyPair};
use tongban::sample::{operator_key, OPERATOR};

pub(super) fn settled(g: &mut Gen, keys: &str, registry: &str) {
    signatures(g, keys);
    registries(g);
    checks(g, registry);
    lifecycle(g, registry);
    deadlines(g, registry);
}

/// `"signatures": null` is not an absent member (§1).
fn signatures(g: &mut Gen, keys: &str) {
    let transfer = g.transfer(T0);
    let mut document = must("value", transfer.to_value());
    document["signatures"] = Value::Null;
    verify_vector(
        g,
        "signatures/null",
        "\"signatures\": null: the member is present and not an array (message.invalid), not absent (signature.missing)",
        ("keys", keys),
        vec![at(text(&document), T1)],
        vec![refused("message.invalid")],
    );
}

/// The operator's key `index` under another key id (same secret, same public key).
fn renamed_operator_key(index: u8, key_id: &str) -> KeyPair {
    let original = must("key", operator_key(index));
    let seed = sample::seed(&format!("{OPERATOR}#{index}"));
    let pair = KeyPair::from_secret(
        must("kid", KeyId::parse(key_id)),
        must("owner", NodeId::parse(OPERATOR)),
        Algorithm::Ed25519,
        &seed,
    );
    let pair = must("key", pair);
    assert_eq!(pair.public_key(), original.public_key());
    pair
}

/// A registry document (as JSON) signed by `signers`, whatever it holds (numbers the
/// SDK would refuse to sign included).
fn signed_registry_value(mut document: Value, signers: &[KeyPair]) -> String {
    if let Value::Object(members) = &mut document {
        members.remove("signatures");
    }
    let mut entries = Vec::new();
    for signer in signers {
        let kid = signer.key_id().as_str();
        let input = tongban::signing::signing_input(&document, "ed25519", kid);
        let signature = tongban::crypto::base64url(&must("sign", signer.sign_bytes(&input)));
        entries.push(json!({"alg": "ed25519", "kid": kid, "sig": signature}));
    }
    document["signatures"] = Value::Array(entries);
    text(&document)
}

/// The sample registry (version 1, keys 0–2, threshold 2) as JSON, edited.
pub(super) fn edited_registry(edit: &dyn Fn(&mut Value)) -> String {
    let mut document = must("value", serde_json::to_value(registry_doc(1, &[0, 1, 2])));
    edit(&mut document);
    let signers = [must("key", operator_key(0)), must("key", operator_key(1))];
    signed_registry_value(document, &signers)
}

/// The sample registry signed by keys 0 and 1, with `entry` added to its signatures.
fn with_signature_entry(entry: Value) -> String {
    let signed = registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 1]);
    let mut document = must("registry", serde_json::from_str::<Value>(&signed));
    if let Some(entries) = document["signatures"].as_array_mut() {
        entries.push(entry);
    }
    text(&document)
}

fn registries(g: &mut Gen) {
    let v1_accepted = json!({"outcome": "accepted", "version": 1});
    let cases: Vec<(&str, &str, String, Value)> = vec![
        (
            "signature-alg-unknown-ignored",
            "two valid operator signatures and an entry of an algorithm the reader does not speak: the entry counts for nothing and is no error, so that operators of two suites can sign one registry (§15)",
            with_signature_entry(json!({"alg": "ed448", "kid": "yunshangban.operator#2", "sig": "AAAA"})),
            v1_accepted.clone(),
        ),
        (
            "signature-malformed-ignored",
            "two valid operator signatures and an entry whose sig is 3 bytes: it counts for nothing, like one that does not verify (§15)",
            with_signature_entry(json!({"alg": "ed25519", "kid": "yunshangban.operator#2", "sig": "AAAA"})),
            v1_accepted.clone(),
        ),
        (
            "without-signatures",
            "no signatures member: no signature counts (registry.threshold), it is not a structural error",
            {
                let signed = registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 1]);
                let mut document = must("registry", serde_json::from_str::<Value>(&signed));
                document.as_object_mut().map(|m| m.remove("signatures"));
                text(&document)
            },
            refused("registry.threshold"),
        ),
        (
            "operator-key-id-of-a-member",
            "an operator key with the key id of Huangshi's key: a key id names one key in the whole registry, operator keys included (registry.invalid)",
            {
                let member_kid = must("key", sample::key(HUANGSHI)).key_id().to_string();
                let renamed = renamed_operator_key(0, &member_kid);
                let mut document =
                    must("value", serde_json::to_value(registry_doc(1, &[0, 1, 2])));
                document["operator"]["keys"][0]["kid"] = json!(member_kid);
                signed_registry_value(document, &[renamed, must("key", operator_key(1))])
            },
            refused("registry.invalid"),
        ),
        (
            "operator-public-key-twice",
            "operator key 0 listed a second time under another key id, and the registry signed by both names: keys count by public key, so this is one key (registry.invalid, and never two signatures)",
            {
                let twin = renamed_operator_key(0, "yunshangban.operator#0b");
                let mut document =
                    must("value", serde_json::to_value(registry_doc(1, &[0, 1, 2])));
                let mut entry = document["operator"]["keys"][0].clone();
                entry["kid"] = json!("yunshangban.operator#0b");
                if let Some(keys) = document["operator"]["keys"].as_array_mut() {
                    keys.push(entry);
                }
                signed_registry_value(document, &[must("key", operator_key(0)), twin])
            },
            refused("registry.invalid"),
        ),
        (
            "major-2",
            "a registry that says protocol 2.0: version.unsupported_major, as a message of major 2",
            edited_registry(&|d| d["protocol"] = json!("2.0")),
            refused("version.unsupported_major"),
        ),
        (
            "member-region-invalid",
            "a member whose region code 420012 fails §4.1: registry.invalid, naming the field (the message gives the identifier's code)",
            edited_registry(&|d| d["members"][0]["region"] = json!("420012")),
            refused("registry.invalid"),
        ),
        (
            "member-node-invalid",
            "a member whose node id has an upper-case letter: registry.invalid, naming the field",
            edited_registry(&|d| d["members"][0]["node"] = json!("Wuhan.420100")),
            refused("registry.invalid"),
        ),
        (
            "time-limit-negative",
            "an item with a time limit of -1 working days",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["time_limit_working_days"] = json!(-1)
            }),
            refused("registry.invalid"),
        ),
        (
            "time-limit-too-long",
            "an item with a time limit of 1,001 working days (at most 1,000)",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["time_limit_working_days"] = json!(1001)
            }),
            refused("registry.invalid"),
        ),
        (
            "time-limit-longest",
            "an item with a time limit of 1,000 working days, the most there is",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["time_limit_working_days"] = json!(1000)
            }),
            v1_accepted.clone(),
        ),
        (
            "version-past-safe-integers",
            "version 2^53: beyond the integers every reader holds exactly (registry.invalid)",
            edited_registry(&|d| d["version"] = json!(9_007_199_254_740_992u64)),
            refused("registry.invalid"),
        ),
        (
            "version-0",
            "a first registry of version 0: a version is any integer from 0 to 2^53 − 1",
            edited_registry(&|d| d["version"] = json!(0)),
            json!({"outcome": "accepted", "version": 0}),
        ),
        (
            "relative-ref-form-schema",
            "a form schema whose $ref is a relative reference to another document (form.json#/x): only a fragment #… is of the schema itself",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["form_schema"]["$ref"] = json!("form.json#/x")
            }),
            refused("registry.invalid"),
        ),
        (
            "form-schema-draft-07",
            "a form schema that says it is draft-07: form schemas are draft 2020-12, and a $schema that names another dialect is refused",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["form_schema"]["$schema"] =
                    json!("http://json-schema.org/draft-07/schema#")
            }),
            refused("registry.invalid"),
        ),
        (
            "form-schema-draft-2020-12",
            "a form schema that names draft 2020-12 in $schema",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["form_schema"]["$schema"] =
                    json!("https://json-schema.org/draft/2020-12/schema")
            }),
            v1_accepted.clone(),
        ),
        (
            "form-pattern-lookahead",
            "a form pattern with a look-ahead (?=…): outside the portable subset of §15, which Java, Go and Rust engines read alike",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["form_schema"]["properties"]["shop_name"]["pattern"] =
                    json!("^(?=.*店).+$")
            }),
            refused("registry.invalid"),
        ),
        (
            "form-pattern-digit-class",
            "a form pattern with \\d: ASCII digits in ECMA-262 and Java, every Unicode digit in other engines; write [0-9]",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["form_schema"]["properties"]["shop_name"]["pattern"] =
                    json!("^\\d+号$")
            }),
            refused("registry.invalid"),
        ),
        (
            "form-pattern-backreference",
            "a form pattern with a back-reference \\1",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["form_schema"]["patternProperties"] =
                    json!({"^(a)\\1$": {"type": "string"}})
            }),
            refused("registry.invalid"),
        ),
        (
            "form-pattern-unicode-escape",
            "a form pattern with \\u4e00: Go's RE2 has no \\u escape (write the character itself)",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["form_schema"]["properties"]["shop_name"]["pattern"] =
                    json!("^[\\u4e00-\\u9fa5]+$")
            }),
            refused("registry.invalid"),
        ),
        (
            "form-pattern-bracket-first-in-class",
            "a form pattern []a]: an empty class then a] in ECMA-262, a class of ] and a elsewhere",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["form_schema"]["properties"]["shop_name"]["pattern"] =
                    json!("^[]a]+$")
            }),
            refused("registry.invalid"),
        ),
        (
            "form-pattern-under-a-property-named-default",
            "a property called default whose schema has \\d: names under properties are names, not keywords, and their schemas are checked",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["form_schema"]["properties"]["default"] =
                    json!({"type": "string", "pattern": "^\\d+$"})
            }),
            refused("registry.invalid"),
        ),
        (
            "form-pattern-portable",
            "a form pattern within the portable subset: classes of characters written out, quantifiers, groups (?:…), alternation, an escaped dot, anchors",
            edited_registry(&|d| {
                d["agreements"][2]["items"][0]["form_schema"]["properties"]["shop_name"]["pattern"] =
                    json!("^(?:[一-龥A-Za-z0-9（）]{2,58})(店|分店)\\.?$")
            }),
            v1_accepted.clone(),
        ),
    ];
    // An update signed by a threshold of the trusted registry's keys but not of its own.
    let v1 = g.fixture(
        "registry-v1",
        registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 1]),
    );
    let mut own_threshold_3 = registry_doc(2, &[1, 2, 3]);
    own_threshold_3.operator.threshold = 3;
    for (name, description, offered, expected) in cases {
        registry_vector(
            g,
            &format!("registry/{name}"),
            description,
            None,
            offered,
            T0,
            expected,
        );
    }
    registry_vector(
        g,
        "registry/update-under-own-threshold",
        "v2 signed by keys 1 and 2: two of v1's keys (its threshold) but two of its own three with threshold 3 (§16 step 2)",
        Some(&v1),
        registry_text(&own_threshold_3, &[1, 2]),
        T0,
        refused("registry.threshold"),
    );
}

fn checks(g: &mut Gen, registry: &str) {
    let from_10_00_01 = variant(g, "registry-huangshi-key-from-10-00-01", |d| {
        d.members[1].keys[0].valid_from = ts("2026-11-28T10:00:01+08:00")
    });
    let with_date = variant(g, "registry-barber-opening-date", |d| {
        d.agreements[2].items[0].form_schema["properties"]["opening_date"] =
            json!({"type": "string", "format": "date"});
    });
    let at_valid_from = signed(g.transfer("2026-11-28T10:00:01+08:00"), HUANGSHI);
    let document = must("value", g.transfer(T0).to_value());
    let resign = |f: &dyn Fn(&mut Value)| resigned(&document, f);
    let transport_body = |g: &mut Gen, item_name: &str| {
        let mut body = transport();
        if let Body::Transfer(t) = &mut body {
            t.item_name = item_name.into();
        }
        let envelope = g.envelope(
            HUANGSHI,
            "changsha.430100",
            "yunshangban.cross-province",
            body,
            T0,
        );
        signed(envelope, HUANGSHI)
    };
    let barber_name = catalogue_name("HB-JX-0042");
    let cases: Vec<(&str, &str, &str, Value, Value)> = vec![
        (
            "key-valid-from-at-created",
            "created at the first instant of Huangshi's key: the bounds of a key's validity are inclusive",
            &from_10_00_01,
            at(at_valid_from, T1),
            accepted(),
        ),
        (
            "unknown-agreement-and-expired",
            "an unknown agreement, verified two hours after expiry: the checks of §17 come before the time checks (§8 step 3 before 4)",
            registry,
            at(
                resign(&|d| d["agreement"] = json!("no-such-agreement")),
                "2026-11-28T13:00:00+08:00",
            ),
            refused("agreement.unknown"),
        ),
        (
            "item-name-mismatch",
            "item YSB-0101 (道路运输从业人员从业资格证换证) named 个体工商户设立登记（理发店）: the name is the catalogue's, exactly",
            registry,
            at(transport_body(g, &barber_name), T1),
            refused("item.name_mismatch"),
        ),
        (
            "item-name-trailing-space",
            "the catalogue's name with a space after it: names compare exactly, without trimming or normalization",
            registry,
            at(
                resign(&|d| d["body"]["item_name"] = json!(format!("{barber_name} "))),
                T1,
            ),
            refused("item.name_mismatch"),
        ),
        (
            "form-format-not-asserted",
            "an opening_date of format date that is no date: format is an annotation in form schemas, never checked, so that every validator agrees",
            &with_date,
            at(
                resign(&|d| d["body"]["form"]["opening_date"] = json!("2026-13-45")),
                T1,
            ),
            accepted(),
        ),
    ];
    for (name, description, registry, message, result) in cases {
        verify_vector(
            g,
            &format!("checks/{name}"),
            description,
            ("registry", registry),
            vec![message],
            vec![result],
        );
    }
}

/// A receipt answering `message`, with its digest.
fn receipt_of(message: &Envelope) -> Body {
    receipt(message, true)
}

/// A received transfer and the authority's review, then `answer(review)` from `from`,
/// refused with `code`.
fn answering_review(
    from: &'static str,
    answer: fn(&Envelope) -> Body,
    code: &'static str,
) -> Script {
    Box::new(move |t: &mut Talk| {
        received(t);
        let review = t.send(
            JIUJIANG,
            status(ReportedStatus::InReview),
            None,
            state("in_review"),
        );
        t.send(from, answer(&review), Some(&review.id), refused(code));
    })
}

/// The social-security card item (HB-JX-0007) of the bilateral agreement.
pub(super) fn social_card() -> Body {
    let mut body = barber();
    if let Body::Transfer(t) = &mut body {
        t.item = must("item", ItemCode::parse("HB-JX-0007"));
        t.item_name = catalogue_name("HB-JX-0007");
        t.materials.truncate(1);
        t.materials[0].name = "身份证".into();
        t.form = must(
            "form",
            serde_json::from_value(json!({"holder_name": "陈丽华", "reason": "遗失"})),
        );
    }
    body
}

fn lifecycle(g: &mut Gen, registry: &str) {
    const CROSS_PROVINCE: &str = "yunshangban.cross-province";
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "resent-after-receipt-pending",
            "a review refused as receipt_pending enters no replay record (§8 step 5): the same bytes sent again after the receipt are accepted; sent a third time, they are a replay",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    refused("lifecycle.receipt_pending"),
                );
                t.send(
                    JIUJIANG,
                    receipt_of(&transfer),
                    Some(&transfer.id),
                    state("received"),
                );
                t.resend(1, state("in_review"));
                t.resend(1, refused("replay.duplicate"));
            }),
        ),
        (
            "reply-to-unknown-message",
            "a review whose in_reply_to names no message of the case goes to the only open track (§18)",
            Box::new(move |t: &mut Talk| {
                received(t);
                let stranger = must("id", MessageId::parse("01JDQ6ZK8V3YH2X0R5M7N9P4QT"));
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    Some(&stranger),
                    state("in_review"),
                );
            }),
        ),
        (
            "other-agreement",
            "a review of the bilateral case sent under the alliance agreement, to which both are parties: a track moves only by messages under its own agreement (lifecycle.no_track)",
            Box::new(move |t: &mut Talk| {
                received(t);
                t.send_between(
                    (JIUJIANG, HUANGSHI, CROSS_PROVINCE),
                    status(ReportedStatus::InReview),
                    None,
                    refused("lifecycle.no_track"),
                );
            }),
        ),
        (
            "second-transfer-other-window",
            "the same item again from another window of Huangshi while the first is open: a track is the item at its authority, whatever the window or agreement (lifecycle.illegal_transition)",
            Box::new(move |t: &mut Talk| {
                received(t);
                let mut again = barber();
                if let Body::Transfer(transfer) = &mut again {
                    transfer.window.service_centre = "黄石港区政务服务中心".into();
                    transfer.window.window = "综合窗口 3号".into();
                }
                t.send(
                    HUANGSHI,
                    again,
                    None,
                    refused("lifecycle.illegal_transition"),
                );
            }),
        ),
        (
            "receipt-of-review-wrong-digest",
            "the window's receipt of the authority's review, binding other bytes: every receipt's digest is checked (message.not_an_answer)",
            answering_review(HUANGSHI, |_| other(MessageType::Receipt), "message.not_an_answer"),
        ),
        (
            "receipt-of-own-message",
            "the authority's receipt of its own review: a receipt comes from the receiver of what it answers (lifecycle.wrong_party)",
            answering_review(JIUJIANG, receipt_of, "lifecycle.wrong_party"),
        ),
        (
            "protocol-error-of-own-message",
            "the authority's protocol_error about its own review: it comes from the receiver of what it answers (lifecycle.wrong_party)",
            answering_review(
                JIUJIANG,
                |_| other(MessageType::ProtocolError),
                "lifecycle.wrong_party",
            ),
        ),
        (
            "receipt-by-window-wrong-digest",
            "the window's receipt of its own transfer, binding other bytes: the side is checked before the digest (lifecycle.wrong_party)",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    HUANGSHI,
                    other(MessageType::Receipt),
                    Some(&transfer.id),
                    refused("lifecycle.wrong_party"),
                );
            }),
        ),
        (
            "state-of-the-answered-track",
            "two tracks, the social-security card transferred first and the barber shop in review second: a receipt that changes nothing reports the state of the track it went to (the second), not the first track's",
            Box::new(move |t: &mut Talk| {
                t.send(HUANGSHI, social_card(), None, state("transferred"));
                let shop = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    receipt_of(&shop),
                    Some(&shop.id),
                    state("received"),
                );
                let review = t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    Some(&shop.id),
                    state("in_review"),
                );
                t.send(
                    HUANGSHI,
                    receipt_of(&review),
                    Some(&review.id),
                    state("in_review"),
                );
            }),
        ),
    ];
    super::lifecycle::push_scenarios_in(g, "lifecycle", registry, scenarios);
    // The barber-shop item in the alliance's catalogue too, so that it can travel
    // under either agreement.
    let both = variant(g, "registry-barber-in-the-alliance", |d| {
        let barber = d.agreements[2].items[0].clone();
        d.agreements[1].items.push(barber);
    });
    let scenarios: Vec<(&str, &str, Script)> = vec![(
        "second-transfer-other-agreement",
        "the barber-shop item again under the alliance agreement while the bilateral track is open: a track is the item at its authority, whatever the agreement (lifecycle.illegal_transition)",
        Box::new(move |t: &mut Talk| {
            t.send(HUANGSHI, barber(), None, state("transferred"));
            t.send_between(
                (HUANGSHI, JIUJIANG, CROSS_PROVINCE),
                barber(),
                None,
                refused("lifecycle.illegal_transition"),
            );
        }),
    )];
    super::lifecycle::push_scenarios_in(g, "lifecycle", &both, scenarios);
}

fn deadlines(g: &mut Gen, registry: &str) {
    g.push(
        "deadlines/zero-days-unknown-year",
        "received 2027-01-04, 0 working days: the receipt date's year must be in the calendar even when no day is added (calendar.unknown_year)",
        "deadline",
        json!({"registry": registry, "received_on": "2027-01-04", "working_days": 0}),
        refused("calendar.unknown_year"),
    );
}
