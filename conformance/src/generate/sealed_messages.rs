//! Message bodies sealed to the receiver (PROTOCOL §24.5): known answers in both suites,
//! the body inside checked as a body in clear, the sealed body's own structure, boxes
//! that belong to another message, sender, receiver or part (`sealing/messages`, against
//! the sample key set), and against a registry whose members list sealing keys: a body
//! that must travel sealed and does not, and the registry's checks of the body inside
//! (`sealing/checks`).

use super::sealing::{ephemeral, key_file, sample_key as sealing_key};
use super::*;
use serde_json::Map;
use tongban::crypto::base64url;
use tongban::seal::{SealContext, SealedBox, SealingSuite};

const HPKE: SealingSuite = SealingSuite::HpkeX25519Aes128Gcm;
const SM2: SealingSuite = SealingSuite::Sm2Sm4Gcm;
const WUHAN: &str = "wuhan.420100";

/// The receivers' sealing key files of the vectors: Jiujiang's and Huangshi's, both
/// suites.
pub(super) fn sealing_key_files() -> Value {
    let files: Vec<Value> = [JIUJIANG, HUANGSHI]
        .into_iter()
        .flat_map(|node| SealingSuite::ALL.map(|suite| sealing_key(node, suite)))
        .map(|key| key_file(&key))
        .collect();
    json!(files)
}

/// `envelope` (of 1.1) with its files marked sealed (§24.6, as the sample marks them)
/// and its body sealed to the receiver's sample key in `suite` with the ephemeral
/// secret of `label`.
fn sealed(mut envelope: Envelope, suite: SealingSuite, label: &str) -> Envelope {
    envelope.protocol = ProtocolVersion::V1_1;
    sample::mark_files_sealed(&mut envelope.body);
    let key = sealing_key(envelope.to.as_str(), suite);
    must(
        "seal body",
        envelope.seal_body_with_ephemeral(key.key_id(), key.public_key(), &ephemeral(suite, label)),
    );
    envelope
}

/// The body members of `envelope` as JSON.
fn body_of(envelope: &Envelope) -> Value {
    must("body", serde_json::to_value(&envelope.body))["body"].clone()
}

/// A hand-made box: `plaintext`'s canonical bytes sealed to Jiujiang's HPKE key under
/// the context (`from`, `to`, `id`, `part`).
fn hand_box(plaintext: &Value, from: &str, id: &MessageId, part: &str, label: &str) -> SealedBox {
    let bytes = tongban::canonical::to_canonical_bytes(plaintext);
    hand_box_bytes(&bytes, from, id, part, label)
}

/// [`hand_box`] of bytes as they are.
fn hand_box_bytes(bytes: &[u8], from: &str, id: &MessageId, part: &str, label: &str) -> SealedBox {
    let key = sealing_key(JIUJIANG, HPKE);
    let from = must("node", NodeId::parse(from));
    let to = must("node", NodeId::parse(JIUJIANG));
    let context = SealContext {
        from: &from,
        to: &to,
        id,
        part,
    };
    must(
        "seal",
        key.public_key().seal_with_ephemeral(
            key.key_id(),
            &context,
            bytes,
            &ephemeral(HPKE, label),
        ),
    )
}

pub(super) fn sealed_messages(g: &mut Gen, keys: &str) {
    let sealing_keys = sealing_key_files();
    let vector = |g: &mut Gen, name: &str, description: &str, message: String, expected: Value| {
        g.push(
            &format!("sealing/messages/{name}"),
            description,
            "verify",
            json!({"keys": keys, "sealing_keys": sealing_keys, "messages": [at(message, T1)]}),
            json!({"outcome": "accepted", "results": [expected]}),
        );
    };
    // The body a receiver reads: the sender's, its files marked sealed.
    let opened = |envelope: &Envelope| {
        let mut read = envelope.clone();
        sample::mark_files_sealed(&mut read.body);
        json!({"outcome": "accepted", "type": envelope.message_type().as_str(), "body": body_of(&read)})
    };

    // Known answers, both suites, and the hop that verifies without opening.
    let transfer = g.transfer(T0);
    for (suite, name) in [(HPKE, "hpke"), (SM2, "sm2")] {
        let message = sealed(transfer.clone(), suite, name);
        vector(
            g,
            &format!("transfer-{name}-known-answer"),
            &format!("a transfer whose body is sealed to Jiujiang's {} key with a fixed ephemeral secret: the receiver opens it and reads the sender's body; the box is the seal of the canonical JSON of every member but item, bound to the message's from, to, id and part body", suite.as_str()),
            signed(message, HUANGSHI),
            opened(&transfer),
        );
    }
    hops(g, keys, &transfer);

    // Every other type is sealed whole (the plaintext is its whole body).
    let digest = Sha256Digest::of(b"the answered transfer");
    for message_type in [
        MessageType::SupplementRequest,
        MessageType::Decision,
        MessageType::StatusUpdate,
    ] {
        let body = must("body", sample::body(message_type, &digest));
        let envelope = g.envelope(JIUJIANG, HUANGSHI, sample::AGREEMENT, body, T0);
        let message = sealed(envelope.clone(), SM2, message_type.as_str());
        vector(
            g,
            &format!("{}-sealed", message_type.as_str().replace('_', "-")),
            &format!("a {message_type} from Jiujiang sealed to Huangshi: no member is readable, and the receiver reads the whole body"),
            signed(message, JIUJIANG),
            opened(&envelope),
        );
    }

    // What the box holds is a body: checked as one in clear, with the same codes.
    let mut base = transfer.clone();
    sample::mark_files_sealed(&mut base.body);
    let mut members = body_of(&base);
    let item = members
        .as_object_mut()
        .and_then(|m| m.remove("item"))
        .unwrap_or_default();
    let document = must("value", base.to_value());
    let with_body = |body: Value| {
        let mut edited = document.clone();
        edited["protocol"] = json!("1.1");
        edited["body"] = body;
        signed_value(edited, HUANGSHI)
    };
    let readable = |sealed: &SealedBox| json!({"item": item, "sealed": sealed});
    let inside = |edit: &dyn Fn(&mut Value)| {
        let mut plaintext = members.clone();
        edit(&mut plaintext);
        plaintext
    };
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "sealed-members-hold-the-item",
            "the sealed members hold item, which is readable: message.invalid",
            inside(&|m| m["item"] = item.clone()),
            "message.invalid",
        ),
        (
            "sealed-members-hold-sealed",
            "the sealed members hold a member sealed: message.invalid",
            inside(&|m| m["sealed"] = json!({})),
            "message.invalid",
        ),
        (
            "sealed-members-not-an-object",
            "the box holds a JSON array, not the body's members: message.invalid",
            json!(["applicant", "form"]),
            "message.invalid",
        ),
        (
            "sealed-members-without-applicant",
            "the body inside has no applicant: message.invalid, as in clear",
            inside(&|m| {
                m.as_object_mut().map(|m| m.remove("applicant"));
            }),
            "message.invalid",
        ),
        (
            "sealed-citizen-id-checksum",
            "the applicant's citizen id inside has a wrong check character: id.citizen_checksum, as in clear",
            inside(&|m| m["applicant"]["citizen_id"] = json!("420202199001011233")),
            "id.citizen_checksum",
        ),
        (
            "sealed-file-in-clear-inside",
            "a material of the body inside has no sealed member: every file of a sealed body is sealed (§24.6), message.invalid",
            inside(&|m| {
                m["materials"][0].as_object_mut().map(|r| r.remove("sealed"));
            }),
            "message.invalid",
        ),
        (
            "sealed-file-key-of-15-bytes",
            "a sealed file's key is 15 bytes of base64url, not 16: message.invalid",
            inside(&|m| m["materials"][0]["sealed"]["key"] = json!(base64url(&[7u8; 15]))),
            "message.invalid",
        ),
        (
            "sealed-file-key-padded",
            "a sealed file's key is 16 bytes in padded base64url: message.invalid",
            inside(&|m| m["materials"][0]["sealed"]["key"] = json!(format!("{}==", base64url(&[7u8; 16])))),
            "message.invalid",
        ),
        (
            "sealed-file-key-with-trailing-bits",
            "a sealed file's key of 22 base64url characters whose last one sets bits beyond the 16 bytes (B, not A): message.invalid",
            inside(&|m| m["materials"][0]["sealed"]["key"] = json!(format!("{}B", &base64url(&[7u8; 16])[..21]))),
            "message.invalid",
        ),
        (
            "sealed-file-with-a-member-more",
            "a sealed file has a member besides key and sha256: message.invalid",
            inside(&|m| m["materials"][0]["sealed"]["alg"] = json!("sm2-sm4-gcm")),
            "message.invalid",
        ),
        (
            "sealed-file-without-its-digest",
            "a sealed file has no sha256: message.invalid",
            inside(&|m| {
                m["materials"][0]["sealed"].as_object_mut().map(|r| r.remove("sha256"));
            }),
            "message.invalid",
        ),
        (
            "sealed-number-unsafe",
            "the body inside holds an integer beyond 2^53 - 1: message.unsafe_number, as in clear",
            inside(&|m| m["form"]["employees"] = json!(9_007_199_254_740_993_u64)),
            "message.unsafe_number",
        ),
    ];
    for (name, description, plaintext, code) in cases {
        let sealed = hand_box(&plaintext, HUANGSHI, &base.id, BODY_PART, name);
        vector(
            g,
            name,
            description,
            with_body(readable(&sealed)),
            refused(code),
        );
    }
    // Duplicate keys inside are refused as they are in clear: the box holds bytes.
    let duplicate = {
        let mut text =
            String::from_utf8_lossy(&tongban::canonical::to_canonical_bytes(&members)).into_owned();
        text.insert_str(1, r#""mode":"fully_online","#);
        hand_box_bytes(text.as_bytes(), HUANGSHI, &base.id, BODY_PART, "duplicate")
    };
    vector(
        g,
        "sealed-members-duplicate-key",
        "the body inside names mode twice: json.duplicate_key, as in clear (the box holds bytes, parsed as strictly as a message)",
        with_body(readable(&duplicate)),
        refused("json.duplicate_key"),
    );

    // A box that belongs elsewhere does not open.
    let other = MessageId::from_parts(ts(T0).unix_millis(), [7; 10]);
    let elsewhere: [(&str, &str, &str, &MessageId, &str); 3] = [
        (
            "lifted-into-another-message",
            "a box sealed in another message of the same sender (its id): seal.open_failed",
            HUANGSHI,
            &other,
            BODY_PART,
        ),
        (
            "claimed-by-another-sender",
            "a box Wuhan sealed, signed by Huangshi as its own: seal.open_failed",
            WUHAN,
            &base.id,
            BODY_PART,
        ),
        (
            "moved-from-another-part",
            "a box sealed as another part of the message: seal.open_failed",
            HUANGSHI,
            &base.id,
            "file",
        ),
    ];
    for (name, description, from, id, part) in elsewhere {
        let sealed = hand_box(&members, from, id, part, name);
        vector(
            g,
            name,
            description,
            with_body(readable(&sealed)),
            refused("seal.open_failed"),
        );
    }
    // A member null is absent (§1): `sealed: null` is a file in clear.
    let mut null_sealed = transfer.clone();
    null_sealed.protocol = ProtocolVersion::V1_1;
    let mut null_document = must("value", null_sealed.to_value());
    null_document["body"]["materials"][0]["sealed"] = Value::Null;
    let mut expected_body = null_document["body"].clone();
    if let Some(material) = expected_body["materials"][0].as_object_mut() {
        material.remove("sealed");
    }
    vector(
        g,
        "file-sealed-null-in-a-body-in-clear",
        "a transfer of 1.1 in clear whose first material has sealed null: a member null is absent (§1), so the file is in clear and the transfer accepted",
        signed_value(null_document, HUANGSHI),
        json!({"outcome": "accepted", "type": "transfer", "body": expected_body}),
    );
    // A file sealed, in a body in clear: its key would travel in clear.
    let mut clear = transfer.clone();
    clear.protocol = ProtocolVersion::V1_1;
    sample::mark_files_sealed(&mut clear.body);
    vector(
        g,
        "file-sealed-in-a-body-in-clear",
        "a transfer of 1.1 in clear whose files carry sealed members (a key and a sealed digest): a file is sealed only in a sealed body (§24.6), message.invalid",
        signed(clear, HUANGSHI),
        refused("message.invalid"),
    );
    // Every file of a sealed body is sealed, wherever its reference is (§24.6): an
    // agent's power of attorney, a supplement's materials.
    // The transfer's route and id (an envelope made here would take the next ids of
    // the generator, and so change every later vector).
    let mut agent = transfer.clone();
    agent.body = Body::Transfer(must("body", sample::agent_transfer_body()));
    let mut supplement = transfer.clone();
    supplement.body = must("body", sample::body(MessageType::Supplement, &digest));
    supplement.in_reply_to = Some(MessageId::from_parts(ts(T0).unix_millis(), [9; 10]));
    let positions: [(&str, &str, Envelope, &str); 2] = [
        (
            "power-of-attorney",
            "an agent's power of attorney",
            agent,
            "/agent/power_of_attorney/sealed",
        ),
        (
            "supplement-material",
            "a supplement's first material",
            supplement,
            "/materials/0/sealed",
        ),
    ];
    for (name, what, mut envelope, pointer) in positions {
        envelope.protocol = ProtocolVersion::V1_1;
        sample::mark_files_sealed(&mut envelope.body);
        let mut inside = body_of(&envelope);
        let mut readable = Map::new();
        for member in tongban::message::readable_members(envelope.message_type()) {
            if let Some(value) = inside.as_object_mut().and_then(|m| m.remove(*member)) {
                readable.insert((*member).to_string(), value);
            }
        }
        let mut document = must("value", envelope.to_value());
        document["protocol"] = json!("1.1");
        let boxed = |plaintext: &Value, label: &str| {
            let mut body = readable.clone();
            let sealed = hand_box(plaintext, HUANGSHI, &envelope.id, BODY_PART, label);
            body.insert("sealed".into(), json!(sealed));
            let mut document = document.clone();
            document["body"] = Value::Object(body);
            signed_value(document, HUANGSHI)
        };
        let whole = boxed(&inside, name);
        vector(
            g,
            &format!("sealed-{name}"),
            &format!("a sealed {} whose files are all sealed, {what} among them: the receiver reads the body", envelope.message_type()),
            whole,
            json!({"outcome": "accepted", "type": envelope.message_type().as_str(), "body": body_of(&envelope)}),
        );
        if let Some(Value::Object(file)) = inside.pointer_mut(pointer.trim_end_matches("/sealed")) {
            file.remove("sealed");
        }
        let in_clear = boxed(&inside, &format!("{name} in clear"));
        vector(
            g,
            &format!("sealed-{name}-in-clear-inside"),
            &format!("{what} inside a sealed {} has no sealed member: every file of a sealed body is sealed, wherever its reference is (§24.6), message.invalid", envelope.message_type()),
            in_clear,
            refused("message.invalid"),
        );
    }
    let honest = hand_box(&members, HUANGSHI, &base.id, BODY_PART, "honest");
    vector(
        g,
        "hand-sealed",
        "the same members sealed in their own message open: the body is the transfer's",
        with_body(readable(&honest)),
        opened(&transfer),
    );
    let huangshi_key = sealing_key(HUANGSHI, HPKE);
    let mut to_huangshi = honest.clone();
    to_huangshi.kid = huangshi_key.key_id().clone();
    vector(
        g,
        "sealed-to-another-members-key",
        "the box names a key of Huangshi's, the sender, not of the receiver (whose sealing keys the verifier holds with it): seal.unknown_key",
        with_body(readable(&to_huangshi)),
        refused("seal.unknown_key"),
    );
    // The members inside are a body's: one level below the message, as deep as in clear
    // (32 levels from the message, 31 from the body).
    let nested = |levels: usize| {
        let mut value = json!("浅");
        for _ in 0..levels {
            value = json!({ "n": value });
        }
        inside(&|m| m["form"]["nested"] = value.clone())
    };
    let deep = hand_box(&nested(29), HUANGSHI, &base.id, BODY_PART, "as deep");
    let mut deep_body = nested(29);
    deep_body["item"] = item.clone();
    vector(
        g,
        "sealed-members-as-deep-as-in-clear",
        "the members inside nested 31 levels deep from the body (32 from the message, the limit of §2): accepted",
        with_body(readable(&deep)),
        json!({"outcome": "accepted", "type": "transfer", "body": deep_body}),
    );
    let deeper = hand_box(&nested(30), HUANGSHI, &base.id, BODY_PART, "deeper");
    vector(
        g,
        "sealed-members-deeper-than-in-clear",
        "the members inside nested 32 levels deep from the body, 33 from the message: json.too_deep, as in clear",
        with_body(readable(&deeper)),
        refused("json.too_deep"),
    );
    let with_theme = hand_box(
        &inside(&|m| m["theme"] = json!(sample::BARBER_THEME)),
        HUANGSHI,
        &base.id,
        BODY_PART,
        "theme inside",
    );
    vector(
        g,
        "sealed-members-hold-the-theme",
        "the sealed members hold theme, which is readable: message.invalid",
        with_body(readable(&with_theme)),
        refused("message.invalid"),
    );

    // The sealed body's structure.
    let structure: Vec<(&str, &str, Value, &str)> = vec![
        (
            "transfer-without-readable-item",
            "a sealed transfer without its readable item: message.invalid",
            json!({"sealed": honest}),
            "message.invalid",
        ),
        (
            "readable-member-beside-the-box",
            "a sealed transfer with another member beside the box (item_name): message.invalid",
            json!({"item": item, "item_name": "x", "sealed": honest}),
            "message.invalid",
        ),
        (
            "box-with-a-member-more",
            "a box with a member more than alg, kid, enc and ct: message.invalid",
            json!({"item": item, "sealed": {"alg": honest.alg, "kid": honest.kid, "enc": honest.enc, "ct": honest.ct, "iv": "AAAA"}}),
            "message.invalid",
        ),
        (
            "box-kid-not-a-key-id",
            "a box whose kid is not a key id: id.key_format",
            json!({"item": item, "sealed": {"alg": honest.alg, "kid": "jiujiang seal", "enc": honest.enc, "ct": honest.ct}}),
            "id.key_format",
        ),
    ];
    for (name, description, body, code) in structure {
        vector(g, name, description, with_body(body), refused(code));
    }
    let mut without_ct = readable(&honest);
    without_ct["sealed"].as_object_mut().map(|b| b.remove("ct"));
    let more: Vec<(&str, &str, Value, &str)> = vec![
        ("box-without-ct", "a box without its ct: message.invalid", without_ct, "message.invalid"),
        ("sealed-a-string", "a transfer in clear, whole, with a member sealed that is a string: a body with a member sealed is sealed, whatever its value, and this one is no box: message.invalid", {
            let mut clear = body_of(&base);
            clear["sealed"] = json!("x");
            clear
        }, "message.invalid"),
        ("sealed-null", "a transfer in clear, whole, with a member sealed that is null: message.invalid", {
            let mut clear = body_of(&base);
            clear["sealed"] = Value::Null;
            clear
        }, "message.invalid"),
        ("transfer-with-a-null-item", "a sealed transfer whose readable item is null, which is absent: message.invalid", json!({"item": null, "sealed": honest}), "message.invalid"),
    ];
    for (name, description, body, code) in more {
        vector(g, name, description, with_body(body), refused(code));
    }
    let mut old = document.clone();
    old["body"] = readable(&honest);
    vector(
        g,
        "sealed-in-1.0",
        "a sealed body in a message of 1.0, which has no sealing: message.invalid",
        signed_value(old, HUANGSHI),
        refused("message.invalid"),
    );
    let mut status = document.clone();
    status["protocol"] = json!("1.1");
    status["type"] = json!("status_update");
    status["body"] = json!({"item": item, "sealed": honest});
    vector(
        g,
        "status-update-with-a-readable-item",
        "a sealed status_update with an item: only a transfer has readable members: message.invalid",
        signed_value(status.clone(), HUANGSHI),
        refused("message.invalid"),
    );
    status["in_reply_to"] = json!(other);
    status["body"] = json!({"sealed": honest});
    for (name, message_type) in [
        ("receipt-sealed", "receipt"),
        ("files-received-sealed", "files_received"),
        ("protocol-error-sealed", "protocol_error"),
    ] {
        status["type"] = json!(message_type);
        vector(
            g,
            name,
            &format!("a sealed {message_type}: it says nothing about a person and hops read it, so it is never sealed: message.invalid"),
            signed_value(status.clone(), HUANGSHI),
            refused("message.invalid"),
        );
    }
    status["type"] = json!("evaluation");
    status["protocol"] = json!("1.0");
    vector(
        g,
        "evaluation-of-1.0-sealed",
        "a sealed evaluation that says 1.0, a version without evaluations: message.unknown_type, as in clear (the type's version before the sealed body's rules)",
        signed_value(status.clone(), HUANGSHI),
        refused("message.unknown_type"),
    );
    // A readable member null is absent (§1): a sealed status update with "item": null.
    let digest = Sha256Digest::of(b"the answered transfer");
    let update = g.envelope(
        HUANGSHI,
        JIUJIANG,
        sample::AGREEMENT,
        must("body", sample::body(MessageType::StatusUpdate, &digest)),
        T0,
    );
    let update_members = body_of(&update);
    let mut update_document = must("value", update.to_value());
    update_document["protocol"] = json!("1.1");
    update_document["body"] = json!({"item": null, "sealed": hand_box(&update_members, HUANGSHI, &update.id, BODY_PART, "null item")});
    vector(
        g,
        "status-update-with-a-null-item",
        "a sealed status update with \"item\": null, which is absent: accepted, and the body read has no item",
        signed_value(update_document, HUANGSHI),
        json!({"outcome": "accepted", "type": "status_update", "body": update_members}),
    );
    // Form data may hold a member named sealed: the body is in clear.
    let mut clear = transfer.clone();
    if let Body::Transfer(body) = &mut clear.body {
        body.form.insert(
            "sealed".into(),
            json!({"alg": HPKE.as_str(), "kid": "jiujiang.360400#seal", "enc": "", "ct": ""}),
        );
    }
    vector(
        g,
        "form-with-a-member-sealed-is-clear",
        "a transfer of 1.0 whose form data has a member sealed shaped like a box: the body is in clear (only the body's own member sealed seals it)",
        signed(clear.clone(), HUANGSHI),
        json!({"outcome": "accepted", "type": "transfer", "body": body_of(&clear)}),
    );
}

/// A hop (an exchange platform, a gateway between networks) verifies a sealed message
/// without any sealing key: the signature covers the box as it travels.
fn hops(g: &mut Gen, keys: &str, transfer: &Envelope) {
    let hop = |g: &mut Gen, name: &str, description: &str, message: String, expected: Value| {
        verify_vector(
            g,
            &format!("sealing/hops/{name}"),
            description,
            ("keys", keys),
            vec![at(message, T1)],
            vec![expected],
        );
    };
    let message = signed(sealed(transfer.clone(), HPKE, "hop"), HUANGSHI);
    hop(
        g,
        "transfer-verified-without-opening",
        "a hop with no sealing key verifies a transfer sealed with HPKE and reads its type",
        message.clone(),
        json!({"outcome": "accepted", "type": "transfer"}),
    );
    let digest = Sha256Digest::of(b"the answered transfer");
    let body = must("body", sample::body(MessageType::Decision, &digest));
    let decision = g.envelope(JIUJIANG, HUANGSHI, sample::AGREEMENT, body, T0);
    hop(
        g,
        "decision-verified-without-opening",
        "a hop verifies a decision sealed with sm2-sm4-gcm",
        signed(sealed(decision, SM2, "hop decision"), JIUJIANG),
        json!({"outcome": "accepted", "type": "decision"}),
    );
    let mut altered: Value = must("json", serde_json::from_str(&message));
    let ct = altered["body"]["sealed"]["ct"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let flipped = if ct.starts_with('A') { "B" } else { "A" };
    altered["body"]["sealed"]["ct"] = json!(format!("{flipped}{}", &ct[1..]));
    hop(
        g,
        "box-altered-after-signing",
        "the box's ct altered after the sender signed: signature.invalid at any hop, which need not open it",
        text(&altered),
        refused("signature.invalid"),
    );
}

/// The fixture of the sample registry whose members list their sample sealing keys.
pub(super) fn sealing_registry(g: &mut Gen) -> String {
    g.fixture(
        "registry-sample-sealing",
        String::from_utf8_lossy(&must(
            "registry",
            sample::registry_bytes_with_sealing_keys(),
        ))
        .into_owned(),
    )
}

/// Against a registry whose members list sealing keys (§24.5): what must travel sealed,
/// and the registry's checks of the body inside.
pub(super) fn sealed_checks(g: &mut Gen) {
    let registry = sealing_registry(g);
    let sealing_keys = sealing_key_files();
    // Opened with the receivers' sealing keys (`sealing/checks`), or verified as they
    // travel, in clear (`sealing/required`: no key needed).
    let vector = |g: &mut Gen, name: &str, description: &str, message: String, expected: Value| {
        let clear = !message.contains("\"sealed\":{");
        let (category, mut input) = match clear {
            true => ("required", json!({"registry": registry})),
            false => (
                "checks",
                json!({"registry": registry, "sealing_keys": sealing_keys}),
            ),
        };
        input["messages"] = json!([at(message, T1)]);
        g.push(
            &format!("sealing/{category}/{name}"),
            description,
            "verify",
            input,
            json!({"outcome": "accepted", "results": [expected]}),
        );
    };
    let transfer = g.transfer(T0);
    let mut clear = transfer.clone();
    clear.protocol = ProtocolVersion::V1_1;
    vector(
        g,
        "transfer-in-clear-to-a-receiver-with-a-key",
        "a 1.1 transfer in clear to Jiujiang, which lists a sealing key: seal.required",
        signed(clear, HUANGSHI),
        refused("seal.required"),
    );
    vector(
        g,
        "transfer-of-1.0-in-clear-between-members-of-1.1",
        "a transfer that says 1.0, in clear, between Huangshi and Jiujiang, which both speak 1.1: seal.required (writing 1.0 does not avoid sealing)",
        signed(transfer.clone(), HUANGSHI),
        refused("seal.required"),
    );
    let digest = Sha256Digest::of(b"the answered transfer");
    let update = |g: &mut Gen, from: &str, to: &str, agreement: &str| {
        let body = must("body", sample::body(MessageType::StatusUpdate, &digest));
        g.envelope(from, to, agreement, body, T0)
    };
    let mut to_huangshi = update(g, JIUJIANG, HUANGSHI, sample::AGREEMENT);
    to_huangshi.protocol = ProtocolVersion::V1_1;
    vector(
        g,
        "status-update-in-clear",
        "a 1.1 status update in clear to Huangshi, which lists a sealing key: seal.required (every type but a receipt, files_received and protocol_error)",
        signed(to_huangshi, JIUJIANG),
        refused("seal.required"),
    );
    let to_wuhan = update(g, HUANGSHI, WUHAN, sample::CIRCLE);
    vector(
        g,
        "status-update-of-1.0-to-a-member-of-1.0",
        "a 1.0 status update in clear to Wuhan, which lists sealing keys but speaks only 1.0: accepted (a member of 1.0 is never sealed to)",
        signed(to_wuhan, HUANGSHI),
        json!({"outcome": "accepted", "type": "status_update"}),
    );
    let mut unknown_item = transfer.clone();
    unknown_item.protocol = ProtocolVersion::V1_1;
    if let Body::Transfer(body) = &mut unknown_item.body {
        body.item = must("item", ItemCode::parse("HB-JX-9999"));
    }
    vector(
        g,
        "order-unknown-item-before-sealing",
        "a 1.1 transfer in clear of an item the catalogue does not list, to Jiujiang, which lists a sealing key: item.unknown (the checks of §17 come before seal.required)",
        signed(unknown_item, HUANGSHI),
        refused("item.unknown"),
    );
    vector(
        g,
        "transfer-sealed",
        "the 1.1 transfer sealed to Jiujiang's current key: accepted, and opened",
        signed(sealed(transfer.clone(), HPKE, "checks"), HUANGSHI),
        json!({"outcome": "accepted", "type": "transfer", "body": body_of(&transfer)}),
    );
    vector(
        g,
        "transfer-sealed-with-the-national-suite",
        "the 1.1 transfer, under an agreement on ed25519, sealed with sm2-sm4-gcm to Jiujiang's SM2 sealing key: seal.wrong_suite",
        signed(sealed(transfer.clone(), SM2, "wrong suite"), HUANGSHI),
        refused("seal.wrong_suite"),
    );
    let mut bad_form = transfer.clone();
    if let Body::Transfer(body) = &mut bad_form.body {
        body.form.insert("employees".into(), json!("three"));
    }
    vector(
        g,
        "form-inside-checked-against-its-schema",
        "a sealed transfer whose form data inside its schema refuses: item.form_invalid, once opened",
        signed(sealed(bad_form, HPKE, "form"), HUANGSHI),
        refused("item.form_invalid"),
    );
    let mut receipt_body =
        json!({"answers_sha256": Sha256Digest::of(b"x"), "outcome": {"status": "accepted"}});
    receipt_body["outcome"]["reference"] = json!("JJ-2026-1");
    let receipt = Body::Receipt(must("receipt", tongban::shape::from_value(&receipt_body)));
    let mut answer = g.envelope(HUANGSHI, JIUJIANG, sample::AGREEMENT, receipt, T0);
    answer.protocol = ProtocolVersion::V1_1;
    answer.in_reply_to = Some(MessageId::from_parts(ts(T0).unix_millis(), [9; 10]));
    vector(
        g,
        "receipt-of-1.1-in-clear",
        "a 1.1 receipt in clear to a receiver with a sealing key: accepted (receipts are never sealed)",
        signed(answer, HUANGSHI),
        json!({"outcome": "accepted", "type": "receipt"}),
    );
}
