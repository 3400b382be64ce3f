//! Every documented error code is produced by a real input, and documented in the spec.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

fn signed_transfer() -> Value {
    sample::signed_transfer()
        .and_then(|e| e.to_value())
        .expect("sample transfer")
}

fn at(offset_seconds: i64) -> Timestamp {
    Timestamp::parse(sample::CREATED)
        .and_then(|t| t.plus_seconds(offset_seconds))
        .expect("time")
}

/// Parses and verifies a document with the sample keys at the sample time.
fn check(document: &Value) -> Result<Verified, Error> {
    check_bytes(&tongban::canonical::to_canonical_bytes(document), at(60))
}

fn check_bytes(bytes: &[u8], now: Timestamp) -> Result<Verified, Error> {
    let verifier = Verifier::new(sample::key_set()?).any_receiver();
    verifier.verify(Unverified::parse(bytes)?, &now)
}

/// The transfer with `edit` applied, re-signed by `signer`.
fn resigned(edit: impl FnOnce(&mut Value), signer: &str) -> Value {
    let mut doc = signed_transfer();
    doc.as_object_mut().expect("object").remove("signatures");
    edit(&mut doc);
    let key = sample::key(signer).expect("key");
    tongban::signing::sign_document(&mut doc, &key).expect("sign");
    doc
}

fn code_of<T: std::fmt::Debug>(result: Result<T, impl Into<Error>>) -> &'static str {
    result.map_err(Into::into).expect_err("must fail").code()
}

fn produced_codes() -> Vec<(&'static str, &'static str)> {
    let mut produced = Vec::new();
    let mut expect = |expected: &'static str, actual: &'static str| {
        produced.push((expected, actual));
    };
    let parse = |bytes: &[u8]| code_of(Unverified::parse(bytes));

    // JSON
    let big = vec![b' '; tongban::json::Limits::PROTOCOL.max_bytes + 1];
    expect("json.too_large", parse(&big));
    expect("json.too_deep", parse(&[b'['; 40]));
    expect(
        "json.duplicate_key",
        parse(br#"{"protocol":"1.0","protocol":"1.0"}"#),
    );
    expect("json.invalid_utf8", parse(b"{\"a\":\"\xc3\x28\"}"));
    expect("json.lone_surrogate", parse(br#"{"a":"\udead"}"#));
    expect("json.bom", parse(b"\xef\xbb\xbf{}"));
    expect("json.trailing_data", parse(b"{}x"));
    expect("json.number_out_of_range", parse(b"{\"a\":-1e999}"));
    expect("json.syntax", parse(b"{\"a\" 1}"));

    // Identifiers, each inside a message where it can travel.
    let with = |pointer: &str, value: Value| {
        let mut doc = signed_transfer();
        *doc.pointer_mut(pointer).expect("field exists") = value;
        check(&doc).map(|_| ())
    };
    expect(
        "id.region_format",
        code_of(with("/body/window/region", json!("4202"))),
    );
    expect(
        "id.region_structure",
        code_of(with("/body/window/region", json!("990000"))),
    );
    expect(
        "id.citizen_format",
        code_of(with(
            "/body/applicant/citizen_id",
            json!("42020219900101123x"),
        )),
    );
    expect(
        "id.citizen_checksum",
        code_of(with(
            "/body/applicant/citizen_id",
            json!("420202199001011232"),
        )),
    );
    expect(
        "id.citizen_birth_date",
        code_of(with(
            "/body/applicant/citizen_id",
            json!("420202199013011231"),
        )),
    );
    let entity = |code: &str| json!({"kind": "legal_entity", "name": "黄石市磁湖理发店", "credit_code": code, "representative": "陈丽华"});
    expect(
        "id.credit_format",
        code_of(with("/body/applicant", entity("91420200MA4F0IIIII"))),
    );
    expect(
        "id.credit_checksum",
        code_of(with("/body/applicant", entity("91360400MA35G1234N"))),
    );
    expect("id.node_format", code_of(with("/from", json!("Huangshi"))));
    expect(
        "id.message_format",
        code_of(with("/id", json!("not-a-ulid"))),
    );
    expect("id.case_format", code_of(with("/case", json!("案件1"))));
    expect(
        "id.agreement_format",
        code_of(with("/agreement", json!("HS JJ"))),
    );
    expect("id.item_format", code_of(with("/body/item", json!(""))));
    expect(
        "id.key_format",
        code_of(with("/signatures/0/kid", json!("bad kid"))),
    );
    expect(
        "id.digest_format",
        code_of(with("/body/materials/0/sha256", json!("ABCDEF"))),
    );

    // Time
    expect(
        "time.format",
        code_of(with("/created", json!("2026-11-28 09:30"))),
    );
    let transfer = tongban::canonical::to_canonical_bytes(&signed_transfer());
    expect(
        "time.not_yet_valid",
        code_of(check_bytes(&transfer, at(-3600))),
    );
    expect(
        "time.expired",
        code_of(check_bytes(&transfer, at(sample::VALIDITY_SECONDS + 3600))),
    );
    let inverted = resigned(
        |d| d["expires"] = json!("2026-11-28T09:00:00+08:00"),
        HUANGSHI,
    );
    expect("time.bad_window", code_of(check(&inverted)));

    // Versions and structure
    expect("version.format", code_of(with("/protocol", json!("1"))));
    expect(
        "version.unsupported_major",
        code_of(with("/protocol", json!("2.0"))),
    );
    let missing = resigned(
        |d| {
            d["body"].as_object_mut().map(|b| b.remove("item"));
        },
        HUANGSHI,
    );
    expect("message.invalid", code_of(check(&missing)));
    expect(
        "message.unknown_type",
        code_of(with("/type", json!("gossip"))),
    );
    expect(
        "message.unsafe_number",
        code_of(with("/body/form/employees", json!(12.5))),
    );
    let receipt = sample::signed(MessageType::Receipt, 60).expect("receipt");
    let receipt =
        check_bytes(&receipt.to_canonical_bytes().expect("bytes"), at(120)).expect("valid receipt");
    let other = sample::signed(MessageType::Transfer, 30).expect("another transfer");
    let other =
        check_bytes(&other.to_canonical_bytes().expect("bytes"), at(120)).expect("valid transfer");
    expect(
        "message.not_an_answer",
        code_of(receipt.check_receipt_for(&other)),
    );
    let wrong_receiver = Verifier::new(sample::key_set().expect("keys"))
        .for_receiver(NodeId::parse("wuhan.420100").expect("node"))
        .verify(Unverified::parse(&transfer).expect("parse"), &at(60));
    expect("message.wrong_receiver", code_of(wrong_receiver));

    // Keys
    expect(
        "key.malformed",
        code_of(PublicKey::from_base64url(Algorithm::Ed25519, "AAAA")),
    );
    let identity = tongban::crypto::base64url(&{
        let mut p = [0u8; 32];
        p[0] = 1;
        p
    });
    expect(
        "key.weak",
        code_of(PublicKey::from_base64url(Algorithm::Ed25519, &identity)),
    );

    // Signatures
    let unsigned = resigned(|_| {}, HUANGSHI);
    let mut stripped = unsigned.clone();
    stripped
        .as_object_mut()
        .expect("object")
        .remove("signatures");
    expect("signature.missing", code_of(check(&stripped)));
    expect(
        "signature.malformed",
        code_of(with("/signatures/0/sig", json!("c2lnbmF0dXJl"))),
    );
    expect(
        "signature.unsupported_algorithm",
        code_of(with("/signatures/0/alg", json!("ml-dsa-65"))),
    );
    expect(
        "signature.unknown_key",
        code_of(with("/signatures/0/kid", json!("wuhan.420100#1"))),
    );
    expect(
        "signature.key_not_sender",
        code_of(check(&resigned(|_| {}, JIUJIANG))),
    );
    expect(
        "signature.invalid",
        code_of(with("/body/item_name", json!("篡改的事项"))),
    );

    // Replay
    let verifier = Verifier::new(sample::key_set().expect("keys")).any_receiver();
    let once = verifier.verify(Unverified::parse(&transfer).expect("parse"), &at(60));
    assert!(once.is_ok(), "{once:?}");
    let twice = verifier.verify(Unverified::parse(&transfer).expect("parse"), &at(61));
    expect("replay.duplicate", code_of(twice));

    produced
}

/// The codes of the trust registry, the route checks, the calendar and the lifecycle.
fn registry_codes() -> Vec<(&'static str, &'static str)> {
    use tongban::calendar::CalendarDate;
    use tongban::lifecycle::Case;
    use tongban::registry::{Registry, RegistryDocument};
    let mut produced = Vec::new();
    let issued = Timestamp::parse(sample::REGISTRY_ISSUED).expect("time");
    let doc = || sample::registry_document(1, &[0, 1, 2], 2).expect("doc");
    let load = |doc: &RegistryDocument, signers: &[u8], now: &Timestamp| {
        Registry::bootstrap(&sample::signed_registry(doc, signers).expect("sign"), now)
    };
    let edited = |edit: &dyn Fn(&mut RegistryDocument)| {
        let mut d = doc();
        edit(&mut d);
        load(&d, &[0, 1], &issued).expect("valid registry")
    };
    let trusted = load(&doc(), &[0, 1], &issued).expect("sample registry");
    let mut broken = doc();
    broken.operator.threshold = 0;
    produced.push(("registry.invalid", code_of(load(&broken, &[0, 1], &issued))));
    produced.push(("registry.threshold", code_of(load(&doc(), &[2], &issued))));
    let same = sample::signed_registry(&doc(), &[0, 1]).expect("sign");
    produced.push(("registry.rollback", code_of(trusted.update(&same, &issued))));
    let late = Timestamp::parse("2031-01-01T00:00:00Z").expect("time");
    produced.push(("registry.expired", code_of(load(&doc(), &[0, 1], &late))));

    // Route checks: the sample transfer with one thing changed, re-signed by Huangshi.
    let route_code = |registry: &Registry, edit: &dyn Fn(&mut Value)| {
        let doc = resigned(|d| edit(d), HUANGSHI);
        let bytes = tongban::canonical::to_canonical_bytes(&doc);
        let result = Unverified::parse(&bytes)
            .and_then(|m| Verifier::new(registry).any_receiver().verify(m, &at(60)));
        code_of(result)
    };
    produced.push((
        "registry.unknown_member",
        route_code(&trusted, &|d| d["to"] = json!("shanghai.310100")),
    ));
    let revoked = edited(&|d| d.members[1].keys[0].revoked = Some(issued.clone()));
    produced.push(("key.revoked", route_code(&revoked, &|_| {})));
    let rotated = edited(&|d| {
        d.members[1].keys[0].valid_until = Timestamp::parse("2026-06-30T00:00:00Z").expect("time")
    });
    produced.push(("key.outside_validity", route_code(&rotated, &|_| {})));
    produced.push((
        "agreement.unknown",
        route_code(&trusted, &|d| d["agreement"] = json!("no-such-agreement")),
    ));
    produced.push((
        "agreement.not_party",
        route_code(&trusted, &|d| d["to"] = json!("hefei.340100")),
    ));
    let future = edited(&|d| {
        d.agreements[2].valid_from = Timestamp::parse("2027-01-01T00:00:00Z").expect("time")
    });
    produced.push(("agreement.inactive", route_code(&future, &|_| {})));
    produced.push((
        "item.unknown",
        route_code(&trusted, &|d| d["body"]["item"] = json!("WH-0002")),
    ));
    produced.push((
        "item.name_mismatch",
        route_code(&trusted, &|d| d["body"]["item_name"] = json!("理发店")),
    ));
    produced.push((
        "item.mode_not_allowed",
        route_code(&trusted, &|d| d["body"]["mode"] = json!("joint_handling")),
    ));
    produced.push((
        "item.form_invalid",
        route_code(&trusted, &|d| d["body"]["form"]["shop_name"] = json!("x")),
    ));
    produced.push((
        "item.material_missing",
        route_code(&trusted, &|d| {
            d["body"]["materials"][1]["name"] = json!("其他材料")
        }),
    ));
    produced.push((
        "item.deferral_not_allowed",
        route_code(&trusted, &|d| {
            d["protocol"] = json!("1.1");
            let card = d["body"]["materials"][0]["name"].clone();
            d["body"]["materials"].as_array_mut().map(|m| m.remove(0));
            d["body"]["deferred_materials"] =
                json!([{"material": card, "promised_by": "2026-12-04"}]);
        }),
    ));
    produced.push((
        "item.not_in_theme",
        route_code(&trusted, &|d| {
            d["protocol"] = json!("1.1");
            d["body"]["theme"] = json!("HB-JX-ZT02");
        }),
    ));

    let windows_only = edited(&|d| d.members[9].role = tongban::registry::Role::ServiceWindow);
    produced.push(("agreement.wrong_role", route_code(&windows_only, &|_| {})));
    // Huangshi–Jiujiang on the national suite: the sample transfer is signed in Ed25519.
    let on_sm2 = edited(&|d| d.agreements[2].suite = Some("sm2-sm3".into()));
    produced.push(("agreement.wrong_suite", route_code(&on_sm2, &|_| {})));
    produced.push((
        "version.not_negotiated",
        route_code(&trusted, &|d| d["protocol"] = json!("1.3")),
    ));

    // Calendar
    produced.push((
        "calendar.bad_date",
        code_of(CalendarDate::parse("2026-02-30")),
    ));
    let next_year = CalendarDate::parse("2027-03-01").expect("date");
    produced.push((
        "calendar.unknown_year",
        code_of(trusted.calendar().add_working_days(next_year, 1)),
    ));

    // Lifecycle
    let verifier = Verifier::new(&trusted).any_receiver();
    let verified = |message: Envelope, offset: i64| {
        let bytes = message.to_canonical_bytes().expect("bytes");
        verifier
            .verify(Unverified::parse(&bytes).expect("parse"), &at(offset))
            .expect("valid")
    };
    let transfer = verified(sample::signed_transfer().expect("transfer"), 1);
    let decision = verified(
        sample::signed(MessageType::Decision, 120).expect("decision"),
        121,
    );
    let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let mut other_case = Case::new(CaseId::parse("HS-2026-000999").expect("case"));
    produced.push((
        "lifecycle.wrong_case",
        code_of(other_case.apply(&transfer, &trusted)),
    ));
    produced.push((
        "lifecycle.no_track",
        code_of(case.apply(&decision, &trusted)),
    ));
    case.apply(&transfer, &trusted)
        .expect("transfer opens the case");
    let review = verified(
        sample::signed(MessageType::StatusUpdate, 60).expect("status update"),
        61,
    );
    produced.push((
        "lifecycle.receipt_pending",
        code_of(case.clone().apply(&review, &trusted)),
    ));
    produced.push((
        "lifecycle.illegal_transition",
        code_of(case.apply(&decision, &trusted)),
    ));
    let supplement = verified(
        sample::signed(MessageType::Supplement, 180).expect("supplement"),
        181,
    );
    let mut by_authority = supplement.envelope().clone();
    std::mem::swap(&mut by_authority.from, &mut by_authority.to);
    by_authority.id = MessageId::new_v7(&at(200));
    by_authority.signatures.clear();
    by_authority
        .sign(&sample::key(JIUJIANG).expect("key"))
        .expect("sign");
    let by_authority = verified(by_authority, 201);
    produced.push((
        "lifecycle.wrong_party",
        code_of(case.apply(&by_authority, &trusted)),
    ));
    // Jiujiang opening a case of its own with Huangshi's case id.
    let mut reverse = sample::signed_transfer().expect("transfer");
    std::mem::swap(&mut reverse.from, &mut reverse.to);
    reverse.id = MessageId::new_v7(&at(210));
    reverse.signatures.clear();
    reverse
        .sign(&sample::key(JIUJIANG).expect("key"))
        .expect("sign");
    let reverse = verified(reverse, 211);
    produced.push((
        "lifecycle.other_window",
        code_of(case.apply(&reverse, &trusted)),
    ));
    // (1.1) 容缺: the authority approves while the deferred lease is outstanding.
    let message = |from: &str, body: Body, offset: i64, answers: Option<&MessageId>| {
        let route = sample::route(from).expect("route");
        let mut message = Envelope::new(route, body, at(offset), 3600)
            .expect("message")
            .with_protocol(tongban::version::ProtocolVersion::V1_1);
        message.in_reply_to = answers.cloned();
        message
            .sign(&sample::key(from).expect("key"))
            .expect("sign");
        verified(message, offset + 1)
    };
    let deferred = sample::deferred_transfer_body().expect("transfer");
    let transfer = message(HUANGSHI, Body::Transfer(deferred), 300, None);
    let digest = transfer.digest().clone();
    let accepted = Body::Receipt(Receipt {
        answers_sha256: digest.clone(),
        answers_sm3: None,
        outcome: ReceiptOutcome::Accepted { reference: None },
    });
    let receipt = message(JIUJIANG, accepted, 310, Some(&transfer.envelope().id));
    let body = |message_type| sample::body(message_type, &digest).expect("body");
    let review = message(JIUJIANG, body(MessageType::StatusUpdate), 320, None);
    let approval = message(JIUJIANG, body(MessageType::Decision), 330, None);
    let mut deferral = Case::new(CaseId::parse(sample::CASE).expect("case"));
    for step in [&transfer, &receipt, &review] {
        deferral.apply(step, &trusted).expect("the case goes on");
    }
    produced.push((
        "lifecycle.materials_outstanding",
        code_of(deferral.apply(&approval, &trusted)),
    ));
    // (1.1) 一事联办: the theme's second transfer hands in another lease.
    let [registration, mut hygiene] = sample::theme_transfer_bodies().expect("theme");
    hygiene.materials[1].sha256 = Sha256Digest::of(b"another lease");
    let mut theme_case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let first = message(HUANGSHI, Body::Transfer(registration), 340, None);
    theme_case
        .apply(&first, &trusted)
        .expect("the theme's first transfer opens the case");
    let second = message(HUANGSHI, Body::Transfer(hygiene), 350, None);
    produced.push((
        "lifecycle.theme_mismatch",
        code_of(theme_case.apply(&second, &trusted)),
    ));
    produced
}

/// The file exchange's codes (§23): references over the limits, bytes that do not
/// match a reference, and file requests that do not authenticate.
fn file_codes() -> Vec<(&'static str, &'static str)> {
    use tongban::file::{
        check_limits, check_media_type, FileCheck, FileHasher, FileRequest, RequestTarget,
    };
    let mut produced = Vec::new();
    let mut hasher = FileHasher::new();
    hasher.update(b"%PDF-1.7 lease contract");
    let lease = hasher.into_reference("营业场所租赁合同", "application/pdf");
    let huge = FileRef {
        size: tongban::file::MAX_FILE_BYTES + 1,
        ..lease.clone()
    };
    produced.push(("file.too_large", code_of(check_limits([&huge]))));
    let parts: Vec<FileRef> = (0..5u8)
        .map(|i| FileRef {
            sha256: Sha256Digest::of(&[i]),
            sm3: None,
            size: tongban::file::MAX_FILE_BYTES,
            ..lease.clone()
        })
        .collect();
    produced.push(("file.case_too_large", code_of(check_limits(&parts))));
    let checked = |bytes: &[u8]| {
        let mut check = FileCheck::new(&lease);
        code_of(check.update(bytes).and_then(|()| check.finish()))
    };
    produced.push(("file.size_mismatch", checked(b"%PDF-1.7 lease")));
    produced.push(("file.digest_mismatch", checked(b"%PDF-1.7 LEASE CONTRACT")));
    produced.push((
        "file.media_type_mismatch",
        code_of(check_media_type(&lease, "text/html")),
    ));
    let holder = NodeId::parse(HUANGSHI).expect("node");
    let path = format!("/tongban/v1/files/{}", lease.sha256);
    let target = RequestTarget {
        method: "GET",
        path: &path,
        sha256: &lease.sha256,
        holder: &holder,
    };
    let keys = sample::key_set().expect("keys");
    let replay = MemoryReplayGuard::new();
    let key = sample::key(JIUJIANG).expect("key");
    let request = |path: &str, now: &Timestamp| {
        FileRequest::sign(&key, &holder, path, &lease.sha256, now).expect("signed")
    };
    let verify = |header: Option<&str>, now: &Timestamp| {
        code_of(FileRequest::verify(header, &target, &keys, &replay, now))
    };
    produced.push(("file.request_missing", verify(None, &at(0))));
    produced.push(("file.request_invalid", verify(Some("%%%"), &at(0))));
    produced.push((
        "file.request_mismatch",
        verify(Some(&request("/files/x", &at(0))), &at(0)),
    ));
    produced.push((
        "file.request_stale",
        verify(Some(&request(&path, &at(0))), &at(3600)),
    ));
    let once = request(&path, &at(0));
    assert!(FileRequest::verify(Some(&once), &target, &keys, &replay, &at(1)).is_ok());
    produced.push(("file.request_replayed", verify(Some(&once), &at(2))));
    produced
}

/// Sealing (§24): a box to Jiujiang's sample key, edited, and the registry's sealing keys
/// through a rotation.
fn seal_codes() -> Vec<(&'static str, &'static str)> {
    use tongban::registry::{MemberKey, Registry};
    use tongban::seal::*;
    let mut produced = Vec::new();
    let receiver =
        sample::sealing_key(JIUJIANG, SealingSuite::HpkeX25519Aes128Gcm).expect("sealing key");
    let (from, to) = (
        NodeId::parse(HUANGSHI).expect("node"),
        receiver.owner().clone(),
    );
    let id = MessageId::new_v7(&at(0));
    let context = SealContext {
        from: &from,
        to: &to,
        id: &id,
        part: "body",
    };
    let sealed = receiver
        .public_key()
        .seal(receiver.key_id(), &context, b"{}")
        .expect("sealed");
    let opened = |edit: &dyn Fn(&mut SealedBox)| {
        let mut edited = sealed.clone();
        edit(&mut edited);
        code_of(receiver.open(&edited, &context))
    };
    produced.push(("seal.malformed", opened(&|b| b.enc = "%".into())));
    produced.push(("seal.unsupported_suite", opened(&|b| b.alg = "rsa".into())));
    produced.push((
        "seal.wrong_suite",
        opened(&|b| b.alg = "sm2-sm4-gcm".into()),
    ));
    produced.push((
        "seal.unknown_key",
        opened(&|b| b.kid = KeyId::parse("x#y").expect("kid")),
    ));
    produced.push((
        "seal.open_failed",
        opened(&|b| b.ct = sealed.ct.chars().rev().collect()),
    ));
    produced.push((
        "seal.ephemeral",
        code_of(receiver.public_key().seal_with_ephemeral(
            receiver.key_id(),
            &context,
            b"{}",
            &[1],
        )),
    ));

    let mut doc = sample::registry_document(1, &[0, 1, 2], 2).expect("doc");
    let entry = |until: &str, revoked: Option<&str>| MemberKey {
        key_id: receiver.key_id().clone(),
        algorithm: receiver.suite().as_str().into(),
        public_key: tongban::crypto::base64url(receiver.public_key().as_bytes()),
        valid_from: Timestamp::parse("2025-01-01T00:00:00+08:00").expect("time"),
        valid_until: Timestamp::parse(until).expect("time"),
        revoked: revoked.map(|r| Timestamp::parse(r).expect("time")),
    };
    let load = |doc: &tongban::registry::RegistryDocument| {
        let bytes = sample::signed_registry(doc, &[0, 1]).expect("sign");
        Registry::bootstrap(&bytes, &at(0)).expect("registry")
    };
    let member = doc
        .members
        .iter()
        .position(|m| m.node == to)
        .expect("Jiujiang");
    let check =
        |doc: &tongban::registry::RegistryDocument, created: &Timestamp, now: &Timestamp| {
            code_of(load(doc).check_sealed_to(&to, &sealed, receiver.suite(), created, now))
        };
    doc.members[member].sealing_keys = Some(vec![entry("2026-11-28T09:00:00+08:00", None)]);
    produced.push(("seal.key_outside_validity", check(&doc, &at(0), &at(60))));
    produced.push(("seal.key_retired", check(&doc, &at(-3600), &at(8 * 86_400))));
    doc.members[member].sealing_keys = Some(vec![entry(
        "2030-12-31T23:59:59+08:00",
        Some("2026-11-01T00:00:00+08:00"),
    )]);
    produced.push(("seal.key_revoked", check(&doc, &at(0), &at(60))));
    let huangshi = NodeId::parse(HUANGSHI).expect("node");
    produced.push((
        "seal.no_key",
        code_of(load(&doc).sealing_key(&huangshi, receiver.suite(), &at(0))),
    ));
    // A 1.1 transfer in clear to a receiver that lists a sealing key (§24.5).
    let registry = Registry::bootstrap(
        &sample::registry_bytes_with_sealing_keys().expect("bytes"),
        &at(0),
    )
    .expect("registry");
    let mut message = Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        Body::Transfer(sample::transfer_body().expect("body")),
        at(0),
        3600,
    )
    .expect("message")
    .with_protocol(ProtocolVersion::V1_1);
    let bytes = message
        .sign_to_bytes(&sample::key(HUANGSHI).expect("key"))
        .expect("sign");
    let verified = Unverified::parse(&bytes)
        .and_then(|m| Verifier::new(&registry).any_receiver().verify(m, &at(60)));
    produced.push(("seal.required", code_of(verified)));
    produced
}

#[test]
fn every_documented_code_is_produced_by_a_real_input() {
    let mut produced = produced_codes();
    produced.extend(registry_codes());
    produced.extend(file_codes());
    produced.extend(seal_codes());
    for (expected, actual) in &produced {
        assert_eq!(expected, actual, "expected {expected}, got {actual}");
    }
    let produced: BTreeSet<&str> = produced.iter().map(|(code, _)| *code).collect();
    // Only a build without the `forms` feature produces the build-only codes; the WASM
    // core module's tests (bindings/wasm/tests/package.test.mjs) produce them.
    let documented: BTreeSet<&str> = ERROR_CODES
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| !tongban::error::BUILD_ONLY_CODES.contains(code))
        .collect();
    assert_eq!(produced, documented);
}

#[test]
fn every_code_is_in_the_specification() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL.md"))
        .expect("docs/PROTOCOL.md");
    for (code, _) in ERROR_CODES {
        assert!(
            spec.contains(&format!("`{code}`")),
            "{code} is not documented in PROTOCOL.md"
        );
    }
}
