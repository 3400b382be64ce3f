//! (1.1) Message bodies sealed to the receiver (PROTOCOL §24.5): a sender seals, every
//! hop verifies without reading, only the receiver's key opens, and the body inside is
//! checked as a body in clear is.

use serde_json::{json, Value};
use tongban::lifecycle::Case;
use tongban::registry::Registry;
use tongban::sample::{self, AGREEMENT, CREATED, HUANGSHI, JIUJIANG, VALIDITY_SECONDS};
use tongban::seal::{SealContext, SealingKeyPair, SealingSuite};
use tongban::*;

const HPKE: SealingSuite = SealingSuite::HpkeX25519Aes128Gcm;
const SM2: SealingSuite = SealingSuite::Sm2Sm4Gcm;

fn now() -> Timestamp {
    Timestamp::parse(CREATED).expect("time")
}

fn registry_from(bytes: &[u8]) -> Registry {
    Registry::bootstrap(
        bytes,
        &Timestamp::parse(sample::REGISTRY_ISSUED).expect("time"),
    )
    .expect("registry")
}

/// The sample registry in which every member lists its sample sealing keys.
fn sealing_registry() -> Registry {
    registry_from(&sample::registry_bytes_with_sealing_keys().expect("registry"))
}

/// The same, with the cross-river agreement on the national suite.
fn sm2_sealing_registry() -> Registry {
    let mut document = sample::registry_document(1, &[0, 1, 2], 2).expect("document");
    sample::add_sealing_keys(&mut document).expect("keys");
    for agreement in &mut document.agreements {
        if agreement.id.as_str() == AGREEMENT {
            agreement.suite = Some("sm2-sm3".into());
        }
    }
    registry_from(&sample::signed_registry(&document, &[0, 1]).expect("signed"))
}

fn jiujiang_keys() -> Vec<SealingKeyPair> {
    SealingSuite::ALL
        .into_iter()
        .map(|suite| sample::sealing_key(JIUJIANG, suite).expect("sealing key"))
        .collect()
}

/// The sample transfer from Huangshi to Jiujiang, of 1.1, unsigned.
fn transfer() -> Envelope {
    let mut message = Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        Body::Transfer(sample::transfer_body().expect("body")),
        now(),
        VALIDITY_SECONDS,
    )
    .expect("message");
    message.protocol = ProtocolVersion::V1_1;
    message
}

fn signer(registry: &Registry) -> KeyPair {
    let suite = registry
        .agreement(&AgreementId::parse(AGREEMENT).expect("id"))
        .and_then(|a| a.suite.clone());
    if suite.as_deref() == Some("sm2-sm3") {
        sample::sm2_key(HUANGSHI).expect("key")
    } else {
        sample::key(HUANGSHI).expect("key")
    }
}

/// Seals (as the registry asks) and signs `message`: its bytes.
fn sealed_bytes(registry: &Registry, message: &mut Envelope) -> Vec<u8> {
    sample::mark_files_sealed(&mut message.body);
    assert!(registry.seal_body(message).expect("seal"), "sealed");
    message.sign_to_bytes(&signer(registry)).expect("sign")
}

fn receive(registry: &Registry, bytes: &[u8]) -> Result<Verified, Error> {
    let verifier = Verifier::new(registry).for_receiver(NodeId::parse(JIUJIANG).expect("id"));
    verifier.verify_and_open(Unverified::parse(bytes)?, &jiujiang_keys(), &now())
}

fn code(result: Result<Verified, Error>) -> &'static str {
    result.expect_err("refused").code()
}

#[test]
fn a_sealed_transfer_opens_for_the_receiver_only_in_both_suites() {
    for registry in [sealing_registry(), sm2_sealing_registry()] {
        let mut clear = transfer();
        // The national suite's digest of every file (§17 step 5).
        if let Body::Transfer(body) = &mut clear.body {
            for material in &mut body.materials {
                material.sm3 = Some(Sm3Digest::of(material.name.as_bytes()));
            }
        }
        sample::mark_files_sealed(&mut clear.body);
        let mut message = clear.clone();
        let bytes = sealed_bytes(&registry, &mut message);
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let Body::Transfer(body) = &clear.body else {
            panic!("a transfer")
        };
        let Applicant::NaturalPerson {
            name,
            citizen_id,
            phone,
        } = &body.applicant
        else {
            panic!("a person")
        };
        let (citizen, phone) = (citizen_id.as_str(), phone.as_deref().unwrap_or("none"));
        // Nothing personal travels in clear; the item and the parties do.
        let unsealed = String::from_utf8(clear.to_canonical_bytes().expect("bytes")).expect("text");
        for secret in [
            name.as_str(),
            citizen,
            phone,
            "shop_name",
            &body.window.service_centre,
        ] {
            assert!(
                unsealed.contains(secret),
                "{secret} is in the body in clear"
            );
            assert!(!text.contains(secret), "{secret} travels in clear");
        }
        for readable in [HUANGSHI, JIUJIANG, AGREEMENT, body.item.as_str()] {
            assert!(text.contains(readable), "{readable} is readable");
        }

        // A hop verifies and routes without any sealing key.
        let hop = Verifier::new(&registry).any_receiver();
        let seen = hop
            .verify(Unverified::parse(&bytes).expect("parse"), &now())
            .expect("a hop verifies");
        let sealed = seen.envelope().body.sealed().expect("still sealed");
        assert_eq!(sealed.message_type, MessageType::Transfer);
        assert_eq!(sealed.item.as_ref(), Some(&body.item));
        assert!(seen.arrived_sealed());

        // The receiver opens it: the body it reads is the sender's, the digest the
        // sealed bytes'.
        let opened = receive(&registry, &bytes).expect("opened");
        assert_eq!(opened.envelope().body, clear.body);
        assert_eq!(opened.digest(), &Sha256Digest::of(&bytes));
        assert_eq!(opened.canonical_bytes(), bytes);
        assert!(opened.arrived_sealed());
    }
}

#[test]
fn a_message_that_must_be_sealed_is_refused_in_clear_and_a_1_0_one_is_not() {
    let registry = sealing_registry();
    let mut clear = transfer();
    let bytes = clear.sign_to_bytes(&signer(&registry)).expect("sign");
    assert_eq!(code(receive(&registry, &bytes)), "seal.required");

    // Between members that speak 1.0 (or to a 1.0 message) nothing is sealed (§20).
    let mut old = transfer();
    old.protocol = ProtocolVersion::V1_0;
    // A 1.0 message between members that both speak 1.1 cannot be sealed, and must be.
    assert_eq!(
        registry
            .seal_body(&mut old)
            .expect_err("write the negotiated version")
            .code(),
        "seal.required"
    );
    assert_eq!(
        old.seal_body(
            &KeyId::parse("jiujiang.360400#seal").expect("kid"),
            jiujiang_keys()[0].public_key()
        )
        .expect_err("1.0 is never sealed")
        .code(),
        "message.invalid"
    );
    // Writing 1.0 between members that both speak 1.1 does not avoid sealing.
    let bytes = old.clone().sign_to_bytes(&signer(&registry)).expect("sign");
    assert_eq!(code(receive(&registry, &bytes)), "seal.required");
    // To a receiver that speaks only 1.0, a 1.0 message travels in clear.
    let mut document = sample::registry_document(1, &[0, 1, 2], 2).expect("document");
    sample::add_sealing_keys(&mut document).expect("keys");
    let jiujiang = NodeId::parse(JIUJIANG).expect("id");
    for member in document.members.iter_mut().filter(|m| m.node == jiujiang) {
        member.protocols = vec![ProtocolVersion::V1_0];
    }
    let speaks_1_0 = registry_from(&sample::signed_registry(&document, &[0, 1]).expect("signed"));
    let bytes = old.sign_to_bytes(&signer(&speaks_1_0)).expect("sign");
    let opened = receive(&speaks_1_0, &bytes).expect("a 1.0 transfer in clear");
    assert!(!opened.arrived_sealed());

    // Without a sealing key of the receiver, a 1.1 message travels in clear.
    let plain = sample::registry().expect("registry");
    let mut message = transfer();
    assert!(!plain.seal_body(&mut message).expect("no key"));
    let bytes = message.sign_to_bytes(&signer(&plain)).expect("sign");
    receive(&plain, &bytes).expect("in clear without a key");
}

#[test]
fn receipts_are_never_sealed_and_every_other_type_is() {
    let registry = sealing_registry();
    let digest = Sha256Digest::of(b"answered");
    for message_type in MessageType::ALL.iter().copied() {
        let body = sample::body(message_type, &digest).expect("body");
        let mut message = Envelope::new(
            sample::route(JIUJIANG).expect("route"),
            body,
            now(),
            VALIDITY_SECONDS,
        )
        .expect("message");
        message.protocol = ProtocolVersion::V1_1;
        message.in_reply_to = Some(MessageId::new_v7(&now()));
        if message_type.is_sealable() {
            sample::mark_files_sealed(&mut message.body);
        }
        let clear = message.body.clone();
        // Back to Huangshi, which lists sealing keys too.
        assert_eq!(
            registry.seal_body(&mut message).expect("seal"),
            message_type.is_sealable(),
            "{message_type}"
        );
        assert_eq!(message.body.sealed().is_some(), message_type.is_sealable());
        let bytes = message
            .sign_to_bytes(&sample::key(JIUJIANG).expect("key"))
            .expect("sign");
        let huangshi_keys: Vec<SealingKeyPair> = SealingSuite::ALL
            .into_iter()
            .map(|suite| sample::sealing_key(HUANGSHI, suite).expect("key"))
            .collect();
        let opened = Verifier::new(&registry)
            .for_receiver(NodeId::parse(HUANGSHI).expect("id"))
            .verify_and_open(
                Unverified::parse(&bytes).expect("parse"),
                &huangshi_keys,
                &now(),
            )
            .unwrap_or_else(|e| panic!("{message_type}: {e}"));
        assert_eq!(opened.envelope().body, clear, "{message_type}");
    }
}

/// A message from Huangshi to Jiujiang whose body is `readable` and a box holding
/// `plaintext`, sealed to Jiujiang's HPKE key and signed by Huangshi.
fn hand_sealed(
    id: &MessageId,
    plaintext: &Value,
    readable: Value,
    sealed_id: &MessageId,
) -> Vec<u8> {
    let key = sample::sealing_key(JIUJIANG, HPKE).expect("key");
    let from = NodeId::parse(HUANGSHI).expect("id");
    let to = NodeId::parse(JIUJIANG).expect("id");
    let context = SealContext {
        from: &from,
        to: &to,
        id: sealed_id,
        part: BODY_PART,
    };
    let text = canonical::to_canonical_bytes(plaintext);
    let sealed = key
        .public_key()
        .seal(key.key_id(), &context, &text)
        .expect("seal");
    let mut body = readable;
    body["sealed"] = serde_json::to_value(&sealed).expect("box");
    let mut document = transfer().to_value().expect("value");
    document["id"] = json!(id);
    document["body"] = body;
    signing::sign_document(&mut document, &sample::key(HUANGSHI).expect("key")).expect("sign");
    canonical::to_canonical_bytes(&document)
}

fn members_of_transfer() -> (Value, String) {
    let mut body = Body::Transfer(sample::transfer_body().expect("body"));
    sample::mark_files_sealed(&mut body);
    let Body::Transfer(body) = body else {
        panic!("a transfer")
    };
    let body = serde_json::to_value(body).expect("value");
    let mut members = body;
    let item = members
        .as_object_mut()
        .and_then(|m| m.remove("item"))
        .and_then(|v| v.as_str().map(str::to_string))
        .expect("item");
    (members, item)
}

#[test]
fn a_box_opens_only_in_its_own_message() {
    let registry = sealing_registry();
    let (members, item) = members_of_transfer();
    let id = transfer().id;
    let other = MessageId::new_v7(&now());
    // Lifted from another message of the same sender: its id is not this one's.
    let lifted = hand_sealed(&id, &members, json!({"item": item}), &other);
    assert_eq!(code(receive(&registry, &lifted)), "seal.open_failed");
    let honest = hand_sealed(&id, &members, json!({"item": item}), &id);
    receive(&registry, &honest).expect("opens in its own message");
}

#[test]
fn what_the_box_holds_is_checked_as_a_body_in_clear() {
    let registry = sealing_registry();
    let (members, item) = members_of_transfer();
    let id = transfer().id;
    let readable = json!({"item": item});
    let cases = [
        // A readable member sealed as well.
        (
            {
                let mut m = members.clone();
                m["item"] = json!(item);
                m
            },
            readable.clone(),
            "message.invalid",
        ),
        // Not an object.
        (json!(["applicant"]), readable.clone(), "message.invalid"),
        // A required member missing from the body inside.
        (
            {
                let mut m = members.clone();
                m.as_object_mut().map(|m| m.remove("applicant"));
                m
            },
            readable.clone(),
            "message.invalid",
        ),
        // A citizen id with a wrong check digit, inside.
        (
            {
                let mut m = members.clone();
                m["applicant"]["citizen_id"] = json!("420202199001011233");
                m
            },
            readable.clone(),
            "id.citizen_checksum",
        ),
        // Form data its schema refuses, inside.
        (
            {
                let mut m = members.clone();
                m["form"] = json!({"shop_name": 7});
                m
            },
            readable.clone(),
            "item.form_invalid",
        ),
        // A transfer that hides its item.
        (members.clone(), json!({}), "message.invalid"),
    ];
    for (plaintext, readable, expected) in cases {
        let bytes = hand_sealed(&id, &plaintext, readable, &id);
        assert_eq!(code(receive(&registry, &bytes)), expected, "{plaintext}");
    }
}

#[test]
fn a_sealed_body_has_the_box_and_its_readable_members_only() {
    let (members, item) = members_of_transfer();
    let id = transfer().id;
    for readable in [
        json!({"item": item, "note": "x"}),
        json!({"item": item, "item_name": "x"}),
    ] {
        let bytes = hand_sealed(&id, &members, readable, &id);
        let refused = Unverified::parse(&bytes).expect_err("refused");
        assert_eq!(refused.code(), "message.invalid", "{refused}");
    }
    // A box with a member more, or a kid that is not a key id.
    let good = hand_sealed(&id, &members, json!({"item": item}), &id);
    let mut document: Value = serde_json::from_slice(&good).expect("json");
    document["body"]["sealed"]["extra"] = json!("x");
    let bytes = canonical::to_canonical_bytes(&document);
    assert_eq!(
        Unverified::parse(&bytes).expect_err("extra member").code(),
        "message.invalid"
    );
    document["body"]["sealed"]
        .as_object_mut()
        .map(|m| m.remove("extra"));
    document["body"]["sealed"]["kid"] = json!("no key id");
    let bytes = canonical::to_canonical_bytes(&document);
    assert_eq!(
        Unverified::parse(&bytes).expect_err("kid").code(),
        "id.key_format"
    );
}

#[test]
fn form_data_with_a_member_named_sealed_is_still_in_clear() {
    // Read through the fast path and the strict one alike.
    let mut message = transfer();
    message.protocol = ProtocolVersion::V1_0;
    if let Body::Transfer(body) = &mut message.body {
        body.form.insert(
            "sealed".into(),
            json!({"alg": "x", "ct": "", "enc": "", "kid": "a#b"}),
        );
    }
    let bytes = message
        .sign_to_bytes(&sample::key(HUANGSHI).expect("key"))
        .expect("sign");
    let parsed = Unverified::parse(&bytes).expect("clear");
    assert_eq!(parsed.envelope().body, message.body);
    let spaced = serde_json::to_vec_pretty(&parsed.document().clone()).expect("json");
    let parsed = Unverified::parse(&spaced).expect("clear, not canonical");
    assert_eq!(parsed.envelope().body, message.body);
}

#[test]
fn a_member_sealed_of_any_value_makes_a_body_sealed_on_every_path() {
    let mut message = transfer();
    message.protocol = ProtocolVersion::V1_0;
    let mut document = message.to_value().expect("value");
    for value in [json!(null), json!("x"), json!(1), json!([]), json!({})] {
        document["body"]["sealed"] = value.clone();
        let canonical = canonical::to_canonical_bytes(&document);
        let spaced = serde_json::to_vec_pretty(&document).expect("json");
        for bytes in [&canonical, &spaced] {
            let refused = Unverified::parse(bytes).expect_err("not a clear body");
            assert_eq!(refused.code(), "message.invalid", "{value}: {refused}");
        }
        let from_json = Body::from_json(MessageType::Transfer, &document["body"]);
        assert_eq!(
            from_json.expect_err("not a clear body").code(),
            "message.invalid",
            "{value}"
        );
    }
}

#[test]
fn the_key_is_checked_against_the_registry_before_the_box_is_opened() {
    // Jiujiang's HPKE sealing key is revoked ten seconds after the message is sealed.
    let mut document = sample::registry_document(1, &[0, 1, 2], 2).expect("document");
    sample::add_sealing_keys(&mut document).expect("keys");
    let jiujiang = NodeId::parse(JIUJIANG).expect("id");
    for member in document.members.iter_mut().filter(|m| m.node == jiujiang) {
        for key in member.sealing_keys.iter_mut().flatten() {
            if key.algorithm == HPKE.as_str() {
                key.revoked = Some(now().plus_seconds(10).expect("time"));
            }
        }
    }
    let registry = registry_from(&sample::signed_registry(&document, &[0, 1]).expect("signed"));
    let mut message = transfer();
    let bytes = sealed_bytes(&registry, &mut message);
    let later = now().plus_seconds(60).expect("time");
    let verifier = Verifier::new(&registry).for_receiver(jiujiang);
    // Without the key as well: the registry's refusal comes first.
    let sm2_only = vec![sample::sealing_key(JIUJIANG, SM2).expect("key")];
    let refused =
        verifier.verify_and_open(Unverified::parse(&bytes).expect("parse"), &sm2_only, &later);
    assert_eq!(code(refused), "seal.key_revoked");
}

#[test]
fn a_body_that_is_refused_once_opened_leaves_no_replay_record() {
    let registry = sealing_registry();
    let mut message = transfer();
    let bytes = sealed_bytes(&registry, &mut message);
    let verifier = Verifier::new(&registry).for_receiver(NodeId::parse(JIUJIANG).expect("id"));
    // The receiver has not loaded the key yet: refused, and the bytes may come again.
    let sm2_only = vec![sample::sealing_key(JIUJIANG, SM2).expect("key")];
    let refused =
        verifier.verify_and_open(Unverified::parse(&bytes).expect("parse"), &sm2_only, &now());
    assert_eq!(code(refused), "seal.unknown_key");
    verifier
        .verify_and_open(
            Unverified::parse(&bytes).expect("parse"),
            &jiujiang_keys(),
            &now(),
        )
        .expect("opened the second time");
    let again = verifier.verify_and_open(
        Unverified::parse(&bytes).expect("parse"),
        &jiujiang_keys(),
        &now(),
    );
    assert_eq!(code(again), "replay.duplicate");
}

#[test]
fn a_case_applies_a_sealed_message_once_it_is_opened() {
    let registry = sealing_registry();
    let mut message = transfer();
    message.case = CaseId::parse(sample::CASE).expect("case");
    let bytes = sealed_bytes(&registry, &mut message);
    let verifier = Verifier::new(&registry).for_receiver(NodeId::parse(JIUJIANG).expect("id"));
    let verified = verifier
        .verify(Unverified::parse(&bytes).expect("parse"), &now())
        .expect("verified");
    let mut case = Case::new(message.case.clone());
    assert_eq!(
        case.apply(&verified, &registry).expect_err("sealed").code(),
        "message.invalid"
    );
    let receiver = Verifier::new(&registry).for_receiver(NodeId::parse(JIUJIANG).expect("id"));
    let opened = receiver
        .verify_and_open(
            Unverified::parse(&bytes).expect("parse"),
            &jiujiang_keys(),
            &now(),
        )
        .expect("opened");
    case.apply(&opened, &registry).expect("applied");
}
