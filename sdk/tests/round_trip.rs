//! build → sign → serialize → parse → verify, for every message type.

use serde_json::{json, Value};
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

fn at(offset_seconds: i64) -> Timestamp {
    Timestamp::parse(sample::CREATED)
        .and_then(|t| t.plus_seconds(offset_seconds))
        .expect("time")
}

#[test]
fn every_message_type_round_trips() {
    let verifier = Verifier::new(sample::key_set().expect("keys")).any_receiver();
    for (i, message_type) in MessageType::ALL.iter().copied().enumerate() {
        let offset = 60 * (i as i64 + 1);
        let message = sample::signed(message_type, offset).expect("sample");
        let bytes = message.to_canonical_bytes().expect("bytes");
        let unverified = Unverified::parse(&bytes).expect("parse");
        assert_eq!(unverified.envelope(), &message, "{message_type}");
        let verified = verifier.verify(unverified, &at(offset)).expect("verify");
        assert_eq!(verified.envelope(), &message);
        assert_eq!(verified.envelope().message_type(), message_type);
        assert_eq!(verified.canonical_bytes(), bytes);
        assert_eq!(verified.digest(), &Sha256Digest::of(&bytes));
        assert_eq!(verified.signers().len(), 1);
    }
}

#[test]
fn chinese_content_round_trips_untouched() {
    let message = sample::signed_transfer().expect("sample");
    let bytes = message.to_canonical_bytes().expect("bytes");
    let text = std::str::from_utf8(&bytes).expect("UTF-8");
    for phrase in [
        "陈丽华",
        "黄石市市民之家",
        "跨域通办专窗 12号",
        "理发服务；美容服务",
        "江西省九江市浔阳区庐山北路88号",
    ] {
        assert!(text.contains(phrase), "{phrase} must travel unescaped");
    }
    let parsed = Unverified::parse(&bytes).expect("parse");
    let Body::Transfer(transfer) = &parsed.envelope().body else {
        panic!("not a transfer");
    };
    assert_eq!(transfer.form["shop_name"], "黄石市磁湖理发店九江分店");
    assert_eq!(transfer.window.clerk.as_deref(), Some("何静怡"));
}

#[test]
fn receipts_bind_the_exact_message_they_answer() {
    let verifier = Verifier::new(sample::key_set().expect("keys")).any_receiver();
    let transfer = sample::signed_transfer().expect("transfer");
    let transfer = verifier
        .verify(
            Unverified::parse(&transfer.to_canonical_bytes().expect("bytes")).expect("parse"),
            &at(1),
        )
        .expect("verify");
    let receipt = sample::signed(MessageType::Receipt, 60).expect("receipt");
    let receipt = verifier
        .verify(
            Unverified::parse(&receipt.to_canonical_bytes().expect("bytes")).expect("parse"),
            &at(60),
        )
        .expect("verify");
    receipt
        .check_receipt_for(&transfer)
        .expect("answers the transfer");
    assert_eq!(
        receipt.envelope().in_reply_to.as_ref(),
        Some(&transfer.envelope().id)
    );
}

#[test]
fn a_receipt_without_in_reply_to_is_refused() {
    let mut receipt = sample::signed(MessageType::Receipt, 60).expect("receipt");
    receipt.in_reply_to = None;
    receipt.signatures.clear();
    receipt
        .sign(&sample::key(JIUJIANG).expect("key"))
        .expect("sign");
    let err =
        Unverified::parse(&receipt.to_canonical_bytes().expect("bytes")).expect_err("refused");
    assert_eq!(err.code(), "message.invalid");
    assert!(err.to_string().contains("in_reply_to"), "{err}");
}

#[test]
fn a_newer_minor_version_with_extra_fields_verifies_and_keeps_them() {
    let mut doc = sample::signed_transfer()
        .and_then(|e| e.to_value())
        .expect("doc");
    doc.as_object_mut().expect("object").remove("signatures");
    doc["protocol"] = json!("1.1");
    doc["priority"] = json!("urgent");
    doc["body"]["appointment"] = json!({"window": "12号", "slot": "周三上午"});
    tongban::signing::sign_document(&mut doc, &sample::key(HUANGSHI).expect("key")).expect("sign");
    let bytes = tongban::canonical::to_canonical_bytes(&doc);

    let verifier = Verifier::new(sample::key_set().expect("keys")).any_receiver();
    let verified = verifier
        .verify(
            Unverified::parse(&bytes).expect("a 1.0 reader parses 1.1"),
            &at(1),
        )
        .expect("verifies");
    assert_eq!(
        verified.envelope().protocol,
        ProtocolVersion { major: 1, minor: 1 }
    );
    assert_eq!(
        verified.document()["body"]["appointment"]["slot"],
        "周三上午"
    );
    assert_eq!(verified.canonical_bytes(), bytes);

    // The extra fields are covered by the signature.
    let mut tampered = doc.clone();
    tampered["priority"] = json!("low");
    let err = Verifier::new(sample::key_set().expect("keys"))
        .any_receiver()
        .verify(
            Unverified::parse(&tongban::canonical::to_canonical_bytes(&tampered)).expect("parse"),
            &at(1),
        )
        .expect_err("tampered");
    assert_eq!(err.code(), "signature.invalid");
}

#[test]
fn several_signatures_all_verify_and_one_is_the_senders() {
    let mut message = sample::signed_transfer().expect("transfer");
    message
        .sign(&sample::key(JIUJIANG).expect("key"))
        .expect("countersign");
    let bytes = message.to_canonical_bytes().expect("bytes");
    let verified = Verifier::new(sample::key_set().expect("keys"))
        .any_receiver()
        .verify(Unverified::parse(&bytes).expect("parse"), &at(1))
        .expect("verify");
    assert_eq!(verified.signers().len(), 2);

    // Swapping the key ids of the two signatures breaks both.
    let mut doc: Value = serde_json::from_slice(&bytes).expect("json");
    let first = doc["signatures"][0]["kid"].clone();
    doc["signatures"][0]["kid"] = doc["signatures"][1]["kid"].clone();
    doc["signatures"][1]["kid"] = first;
    let err = Verifier::new(sample::key_set().expect("keys"))
        .any_receiver()
        .verify(
            Unverified::parse(&tongban::canonical::to_canonical_bytes(&doc)).expect("parse"),
            &at(1),
        )
        .expect_err("swapped kids");
    assert_eq!(err.code(), "signature.invalid");
}

#[test]
fn lenient_credit_codes_are_accepted_with_a_warning() {
    let mut doc = sample::signed_transfer()
        .and_then(|e| e.to_value())
        .expect("doc");
    doc.as_object_mut().expect("object").remove("signatures");
    doc["body"]["applicant"] = json!({
        "kind": "legal_entity", "name": "黄石市试点企业", "credit_code": "91360400MA35G1234N",
        "representative": "陈丽华"
    });
    tongban::signing::sign_document(&mut doc, &sample::key(HUANGSHI).expect("key")).expect("sign");
    let bytes = tongban::canonical::to_canonical_bytes(&doc);
    assert_eq!(
        Unverified::parse(&bytes).expect_err("strict").code(),
        "id.credit_checksum"
    );
    let lenient = ParseOptions {
        credit_codes: CreditCodePolicy::Lenient,
    };
    let parsed = Unverified::parse_with(&bytes, lenient).expect("lenient");
    let verified = Verifier::new(sample::key_set().expect("keys"))
        .any_receiver()
        .verify(parsed, &at(1))
        .expect("verify");
    assert_eq!(verified.warnings().len(), 1);
    assert_eq!(verified.warnings()[0].code, "id.credit_checksum");
}

#[test]
fn clock_skew_allowance_is_five_minutes_each_way() {
    let bytes = sample::signed_transfer()
        .and_then(|e| e.to_canonical_bytes())
        .expect("bytes");
    let verify = |now: Timestamp| {
        Verifier::new(sample::key_set().expect("keys"))
            .any_receiver()
            .verify(Unverified::parse(&bytes).expect("parse"), &now)
    };
    assert!(verify(at(-300)).is_ok());
    assert_eq!(
        verify(at(-301)).map(|_| ()).expect_err("early").code(),
        "time.not_yet_valid"
    );
    assert!(verify(at(sample::VALIDITY_SECONDS + 300)).is_ok());
    assert_eq!(
        verify(at(sample::VALIDITY_SECONDS + 301))
            .map(|_| ())
            .expect_err("late")
            .code(),
        "time.expired"
    );
}

#[test]
fn the_replay_guard_forgets_only_what_can_no_longer_verify() {
    let guard = MemoryReplayGuard::new();
    let huangshi = NodeId::parse(HUANGSHI).expect("node");
    let jiujiang = NodeId::parse(JIUJIANG).expect("node");
    let id = MessageId::parse("01JDQ6ZK8V3YH2X0R5M7N9P4QT").expect("id");
    guard
        .check_and_record(&huangshi, &id, &at(100), &at(0))
        .expect("first");
    let again = guard.check_and_record(&huangshi, &id, &at(100), &at(100));
    assert_eq!(again.map_err(|e| e.code()), Err("replay.duplicate"));
    // Ids are scoped by sender: another node may use the same id.
    guard
        .check_and_record(&jiujiang, &id, &at(150), &at(100))
        .expect("other sender");
    let other = MessageId::parse("01JDQ6ZK8V3YH2X0R5M7N9P4QV").expect("id");
    guard
        .check_and_record(&huangshi, &other, &at(200), &at(101))
        .expect("other");
    assert_eq!(guard.len(), 2, "the first id expired and was forgotten");
    guard
        .check_and_record(&huangshi, &id, &at(300), &at(151))
        .expect("forgotten ids are new");
    assert_eq!(guard.len(), 2);
    // Ids kept until before the latest `now` (151) may be forgotten: an earlier `now`
    // does not bring them back.
    let stale = guard.check_and_record(&jiujiang, &other, &at(140), &at(100));
    assert_eq!(stale.map_err(|e| e.code()), Err("time.expired"));
    assert_eq!(guard.len(), 2, "a refused id is not recorded");
}

/// A clock that goes back must not bring a forgotten id back: the message is refused
/// as expired by the verifier's latest clock.
#[test]
fn a_clock_that_goes_back_does_not_reopen_a_forgotten_id() {
    let first = sample::signed_transfer().expect("transfer");
    let bytes = first.to_canonical_bytes().expect("bytes");
    let verifier = Verifier::new(sample::key_set().expect("keys")).any_receiver();
    let verify = |bytes: &[u8], now: Timestamp| {
        verifier.verify(Unverified::parse(bytes).expect("parse"), &now)
    };
    verify(&bytes, at(1)).expect("first");
    // Much later, another message: the guard forgets the first id.
    let later = at(sample::VALIDITY_SECONDS + 400);
    let mut next = first
        .reply(
            Body::StatusUpdate(StatusUpdate {
                status: ReportedStatus::InReview,
                note: None,
            }),
            later.clone(),
            60,
        )
        .expect("reply");
    (next.from, next.to) = (first.from.clone(), first.to.clone());
    next.in_reply_to = None;
    next.sign(&sample::key(HUANGSHI).expect("key"))
        .expect("sign");
    verify(&next.to_canonical_bytes().expect("bytes"), later.clone()).expect("next");
    // The clock steps back to where the first message is valid again: it is expired by
    // the latest clock.
    let err = verify(&bytes, at(2)).map(|_| ()).expect_err("replay");
    assert_eq!(err.code(), "time.expired");
    assert!(
        err.to_string().ends_with(&format!("now is {later}")),
        "{err}"
    );
}

#[test]
fn a_receiver_refuses_messages_addressed_to_another_node() {
    let bytes = sample::signed_transfer()
        .and_then(|e| e.to_canonical_bytes())
        .expect("bytes");
    let keys = || sample::key_set().expect("keys");
    let for_huangshi = Verifier::new(keys()).for_receiver(NodeId::parse(HUANGSHI).expect("node"));
    let err = for_huangshi
        .verify(Unverified::parse(&bytes).expect("parse"), &at(1))
        .expect_err("addressed to Jiujiang");
    assert_eq!(err.code(), "message.wrong_receiver");
    let for_jiujiang = Verifier::new(keys()).for_receiver(NodeId::parse(JIUJIANG).expect("node"));
    assert!(for_jiujiang
        .verify(Unverified::parse(&bytes).expect("parse"), &at(1))
        .is_ok());
}

#[test]
fn the_signatures_array_cannot_be_padded() {
    let doc = sample::signed_transfer()
        .and_then(|e| e.to_value())
        .expect("doc");
    let refuse = |edit: &dyn Fn(&mut Value)| {
        let mut doc = doc.clone();
        edit(&mut doc);
        let bytes = tongban::canonical::to_canonical_bytes(&doc);
        Unverified::parse(&bytes)
            .and_then(|m| {
                Verifier::new(sample::key_set()?)
                    .any_receiver()
                    .verify(m, &at(1))
            })
            .expect_err("refused")
            .code()
    };
    let extra_member = refuse(&|d| d["signatures"][0]["note"] = json!("x"));
    assert_eq!(extra_member, "message.invalid");
    let repeated = refuse(&|d| {
        let first = d["signatures"][0].clone();
        d["signatures"].as_array_mut().expect("array").push(first);
    });
    assert_eq!(repeated, "signature.malformed");
}

#[test]
fn a_receipt_must_bind_every_part_of_the_message_it_answers() {
    let verifier = Verifier::new(sample::key_set().expect("keys")).any_receiver();
    let transfer = sample::signed_transfer()
        .and_then(|e| e.to_canonical_bytes())
        .expect("bytes");
    let transfer = verifier
        .verify(Unverified::parse(&transfer).expect("parse"), &at(1))
        .expect("transfer");
    let receipt = sample::signed(MessageType::Receipt, 60).expect("receipt");
    let jiujiang = sample::key(JIUJIANG).expect("key");
    let check = |edit: &dyn Fn(&mut Envelope)| {
        let mut changed = receipt.clone();
        edit(&mut changed);
        changed.id = MessageId::new_v7(&at(60));
        changed.signatures.clear();
        changed.sign(&jiujiang).expect("sign");
        let bytes = changed.to_canonical_bytes().expect("bytes");
        let verified = Verifier::new(sample::key_set().expect("keys"))
            .any_receiver()
            .verify(Unverified::parse(&bytes).expect("parse"), &at(60))
            .expect("a well-signed receipt");
        verified.check_receipt_for(&transfer)
    };
    assert!(check(&|_| {}).is_ok());
    let fails = |edit: &dyn Fn(&mut Envelope), why: &str| {
        let err = check(edit).expect_err(why);
        assert_eq!(err.code(), "message.not_an_answer", "{why}");
    };
    fails(
        &|r| r.in_reply_to = Some(MessageId::new_v7(&at(0))),
        "in_reply_to",
    );
    fails(
        &|r| r.to = NodeId::parse("wuhan.420100").expect("node"),
        "receiver",
    );
    fails(
        &|r| r.case = CaseId::parse("HS-2026-999999").expect("case"),
        "case",
    );
    fails(
        &|r| r.agreement = AgreementId::parse("wuhan-circle").expect("agreement"),
        "agreement",
    );
    fails(
        &|r| {
            if let Body::Receipt(body) = &mut r.body {
                body.answers_sha256 = Sha256Digest::of(b"another message");
            }
        },
        "digest",
    );
    fails(
        &|r| {
            r.body = Body::StatusUpdate(StatusUpdate {
                status: ReportedStatus::InReview,
                note: None,
            })
        },
        "not a receipt",
    );
}

#[test]
fn structure_and_identifier_errors_name_the_field() {
    let good = sample::signed_transfer()
        .and_then(|e| e.to_value())
        .expect("doc");
    let refuse = |edit: &dyn Fn(&mut Value)| {
        let mut doc = good.clone();
        edit(&mut doc);
        Unverified::parse(&tongban::canonical::to_canonical_bytes(&doc)).expect_err("refused")
    };
    let err = refuse(&|d| d["body"]["materials"][1]["size"] = json!("big"));
    assert_eq!(err.code(), "message.invalid");
    assert!(err.to_string().contains("/body/materials/1/size"), "{err}");

    let err = refuse(&|d| d["body"]["mode"] = json!("by_post"));
    assert!(err.to_string().contains("/body/mode"), "{err}");

    let err = refuse(&|d| d["body"]["window"]["region"] = json!("4202"));
    let Error::Id(id) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(id.field.as_deref(), Some("/body/window/region"));
    assert_eq!(id.value, "4202");

    let err = refuse(&|d| d["body"]["applicant"]["citizen_id"] = json!("420202199001011232"));
    let Error::Id(id) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(id.code(), "id.citizen_checksum");
    assert_eq!(
        id.value, "420202********1232",
        "citizen IDs are masked in errors"
    );
    assert!(!err.to_string().contains("19900101"));
}

#[test]
fn sign_to_bytes_is_sign_then_canonical_bytes_and_verifies() {
    let created = at(0);
    let mut message = sample::benchmark_transfer(7, &created).expect("sample");
    message.signatures.clear();
    let mut other = message.clone();
    let key = sample::key(HUANGSHI).expect("key");
    let bytes = message.sign_to_bytes(&key).expect("signed");
    other.sign(&key).expect("signed");
    assert_eq!(message, other);
    assert_eq!(bytes, other.to_canonical_bytes().expect("bytes"));
    assert!(
        (2048..=4096).contains(&bytes.len()),
        "{} bytes",
        bytes.len()
    );
    let verified = Verifier::new(sample::registry().expect("registry"))
        .any_receiver()
        .verify(Unverified::parse(&bytes).expect("parse"), &at(30))
        .expect("the benchmark transfer verifies against the sample registry");
    assert_eq!(verified.canonical_bytes(), bytes);
    assert_eq!(verified.digest(), &Sha256Digest::of(&bytes));
    let ids: std::collections::BTreeSet<_> = [0, 1, 1 << 14, 1 << 16, 99_999]
        .into_iter()
        .map(|index| {
            sample::benchmark_transfer(index, &created)
                .expect("sample")
                .id
        })
        .collect();
    assert_eq!(
        ids.len(),
        5,
        "every benchmark transfer has an id of its own"
    );
}
