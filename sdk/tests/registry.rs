//! The trust registry: operator thresholds and rotation, and every message check.

use serde_json::json;
use tongban::registry::{Registry, RegistryDocument};
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("time")
}

fn issued() -> Timestamp {
    at(sample::REGISTRY_ISSUED)
}

fn document() -> RegistryDocument {
    sample::registry_document(1, &[0, 1, 2], 2).expect("document")
}

/// The sample registry with `edit` applied, signed by operator keys 0 and 1.
fn registry_with(edit: impl FnOnce(&mut RegistryDocument)) -> Registry {
    let mut doc = document();
    edit(&mut doc);
    let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    Registry::bootstrap(&bytes, &issued()).expect("bootstrap")
}

fn code<T: std::fmt::Debug>(result: Result<T, Error>) -> &'static str {
    result.expect_err("must be refused").code()
}

#[test]
fn the_sample_registry_verifies_every_sample_message() {
    let registry = sample::registry().expect("registry");
    assert_eq!(registry.version(), 1);
    assert_eq!(registry.document().members.len(), 13);
    assert_eq!(registry.document().agreements.len(), 3);
    let verifier = Verifier::new(&registry).any_receiver();
    for (i, message_type) in MessageType::ALL.iter().copied().enumerate() {
        let message = sample::signed(message_type, 60 * i as i64 + 60).expect("sample");
        let bytes = message.to_canonical_bytes().expect("bytes");
        let now = at(sample::CREATED)
            .plus_seconds(60 * i as i64 + 60)
            .expect("time");
        let verified = verifier.verify(Unverified::parse(&bytes).expect("parse"), &now);
        assert!(verified.is_ok(), "{message_type}: {verified:?}");
    }
}

#[test]
fn operator_thresholds_rollback_and_freeze() {
    let doc = document();
    let one_signature = sample::signed_registry(&doc, &[0]).expect("sign");
    let err = Registry::bootstrap(&one_signature, &issued()).expect_err("1 of 2");
    assert_eq!(err.code(), "registry.threshold");
    // One key signing twice is refused outright; one key listed under two ids too, so
    // that it cannot count twice.
    let twice = sample::signed_registry(&doc, &[0, 0]).expect("sign");
    let err = Registry::bootstrap(&twice, &issued()).expect_err("one key twice");
    assert!(err.to_string().contains("/signatures/1/kid"), "{err}");
    let mut alias = doc.clone();
    let mut copy = alias.operator.keys[0].clone();
    copy.key_id = KeyId::parse("yunshangban.operator#alias").expect("kid");
    alias.operator.keys.push(copy);
    let err = Registry::bootstrap(
        &sample::signed_registry(&alias, &[0, 1]).expect("sign"),
        &issued(),
    )
    .expect_err("alias");
    assert!(
        err.to_string().contains("/operator/keys/3/public_key"),
        "{err}"
    );
    // A signature by a key that is not an operator key counts for nothing.
    let stranger = sample::signed_registry(&doc, &[0, 4]).expect("sign");
    assert_eq!(
        code(Registry::bootstrap(&stranger, &issued())),
        "registry.threshold"
    );

    let trusted = sample::registry().expect("v1");
    let same_version = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    assert_eq!(
        code(trusted.update(&same_version, &issued())),
        "registry.rollback"
    );

    let later = at("2031-01-01T00:00:00+08:00");
    let v2 = sample::signed_registry(
        &sample::registry_document(2, &[0, 1, 2], 2).expect("doc"),
        &[1, 2],
    )
    .expect("sign");
    assert_eq!(code(trusted.update(&v2, &later)), "registry.expired");
    let v1 = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    assert_eq!(code(Registry::bootstrap(&v1, &later)), "registry.expired");
    assert_eq!(trusted.update(&v2, &issued()).expect("v2").version(), 2);
}

#[test]
fn operator_keys_rotate_like_tuf_root() {
    let v1 = sample::registry().expect("v1: keys 0,1,2, threshold 2");
    // v2 replaces key 0 by key 3: signed by 1 and 2 (trusted) who are also in v2.
    let v2_doc = sample::registry_document(2, &[1, 2, 3], 2).expect("doc");
    let v2 = v1
        .update(
            &sample::signed_registry(&v2_doc, &[1, 2]).expect("sign"),
            &issued(),
        )
        .expect("rotation by a threshold of old and new keys");
    // v3 moves to keys 3 and 4 only. Signed by 3 and 4 alone: the trusted threshold
    // (two of 1, 2, 3) is not met.
    let v3_doc = sample::registry_document(3, &[3, 4], 2).expect("doc");
    let new_keys_only = sample::signed_registry(&v3_doc, &[3, 4]).expect("sign");
    let err = v2
        .update(&new_keys_only, &issued())
        .expect_err("trusted threshold");
    assert!(err.to_string().contains("trusted"), "{err}");
    // Signed by 1 and 2 alone: its own threshold (two of 3, 4) is not met.
    let old_keys_only = sample::signed_registry(&v3_doc, &[1, 2]).expect("sign");
    let err = v2
        .update(&old_keys_only, &issued())
        .expect_err("own threshold");
    assert!(err.to_string().contains("own"), "{err}");
    // Signed by 2, 3 and 4: both thresholds met.
    let both = sample::signed_registry(&v3_doc, &[2, 3, 4]).expect("sign");
    let v3 = v2.update(&both, &issued()).expect("v3");
    assert_eq!(v3.version(), 3);
    // v1 cannot jump straight to v3: only key 2 of v1's keys signed it.
    assert_eq!(code(v1.update(&both, &issued())), "registry.threshold");
}

#[test]
fn inconsistent_registries_name_the_field() {
    let mut doc = document();
    doc.operator.threshold = 4;
    let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    let err = Registry::bootstrap(&bytes, &issued()).expect_err("threshold > keys");
    assert_eq!(err.code(), "registry.invalid");
    assert!(err.to_string().contains("/operator/threshold"), "{err}");

    let mut doc = document();
    doc.members[1].endpoint = "http://insecure.example".into();
    let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    let err = Registry::bootstrap(&bytes, &issued()).expect_err("http");
    assert!(err.to_string().contains("/members/1/endpoint"), "{err}");

    let mut doc = document();
    doc.agreements[2].items[0]
        .form_schema
        .insert("$ref".into(), json!("https://example.com/form.json"));
    let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    let err = Registry::bootstrap(&bytes, &issued()).expect_err("remote ref");
    assert!(
        err.to_string()
            .contains("/agreements/2/items/0/form_schema"),
        "{err}"
    );
    assert!(err.to_string().contains("is another document"), "{err}");

    // Nested, and through $dynamicRef: still refused at load, in every build.
    let mut doc = document();
    doc.agreements[2].items[0].form_schema.insert(
        "$defs".into(),
        json!({"x": {"allOf": [{"$dynamicRef": "file:///etc/form.json"}]}}),
    );
    let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    let err = Registry::bootstrap(&bytes, &issued()).expect_err("remote dynamic ref");
    assert!(
        err.to_string()
            .contains("/agreements/2/items/0/form_schema"),
        "{err}"
    );

    // A "$ref" member inside instance data is data, not a reference.
    let mut doc = document();
    doc.agreements[2].items[0].form_schema.insert(
        "examples".into(),
        json!([{"$ref": "https://example.com/not-a-reference"}]),
    );
    let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    let registry = Registry::bootstrap(&bytes, &issued()).expect("data is not a reference");
    registry.compile_forms().expect("compiles");

    let mut doc = document();
    doc.agreements[0].parties.regions.clear();
    let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    let err = Registry::bootstrap(&bytes, &issued()).expect_err("no parties");
    assert!(err.to_string().contains("/agreements/0/parties"), "{err}");

    for (year, list, day, why) in [
        (2026, "holidays", "2025-10-01", "is not in 2026"),
        (
            2026,
            "working_weekends",
            "2026-11-30",
            "is not a Saturday or Sunday",
        ),
        (
            2026,
            "holidays",
            "2026-02-14",
            "is also a working weekend day",
        ),
    ] {
        let mut doc = document();
        let day = tongban::calendar::CalendarDate::parse(day).expect("date");
        let entry = doc.calendar.years.get_mut(&year).expect("year");
        if list == "holidays" {
            entry.holidays.insert(day);
        } else {
            entry.working_weekends.insert(day);
        }
        let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
        let err = Registry::bootstrap(&bytes, &issued()).expect_err("bad calendar");
        assert_eq!(err.code(), "registry.invalid");
        assert!(err.to_string().contains(why), "{err}");
    }

    let mut value = serde_json::to_value(document()).expect("json");
    value["agreements"][2]["items"][0]["form_schema"]["properties"]["employees"]["maximum"] =
        json!(1000.5);
    let bytes = tongban::canonical::to_canonical_bytes(&value);
    let err = Registry::bootstrap(&bytes, &issued()).expect_err("fraction");
    assert_eq!(err.code(), "registry.invalid");

    let mut value = serde_json::to_value(document()).expect("json");
    value["members"][0]["region"] = json!("4201");
    let bytes = tongban::canonical::to_canonical_bytes(&value);
    let err = Registry::bootstrap(&bytes, &issued()).expect_err("bad region");
    assert!(err.to_string().contains("/members/0/region"), "{err}");
}

/// Shapes serde alone reads but the registry schema refuses (PROTOCOL §2, step 7): an
/// object written as an array of its fields in order, a variant without data as an
/// object. The registry refuses them, naming the field.
#[test]
fn registries_are_read_in_the_schemas_shapes() {
    use tongban::registry::{Member, Operator};
    let schema = tongban::schema::schema("registry").expect("registry schema");
    let validator = tongban::schema::offline_validator(&schema).expect("compiles");
    let original = serde_json::to_value(document()).expect("json");
    let fields = |value: &serde_json::Value, names: &[&str]| -> serde_json::Value {
        names.iter().map(|name| value[*name].clone()).collect()
    };
    let member = fields(
        &original["members"][0],
        &[
            "node",
            "name",
            "region",
            "role",
            "endpoint",
            "protocols",
            "keys",
        ],
    );
    let operator = fields(&original["operator"], &["name", "threshold", "keys"]);
    assert!(serde_json::from_value::<Member>(member.clone()).is_ok());
    assert!(serde_json::from_value::<Operator>(operator.clone()).is_ok());
    let role = json!({"competent_authority": null});
    // A role reads itself from its name only (serde's derive would read this object).
    assert!(serde_json::from_value::<tongban::registry::Role>(role.clone()).is_err());
    for (pointer, shape) in [
        ("/members/0", member),
        ("/operator", operator),
        ("/members/1/role", role),
    ] {
        let mut value = original.clone();
        *value.pointer_mut(pointer).expect("field exists") = shape;
        assert!(!validator.is_valid(&value), "the schema refuses {pointer}");
        let bytes = tongban::canonical::to_canonical_bytes(&value);
        let err = Registry::bootstrap(&bytes, &issued()).expect_err(pointer);
        assert_eq!(err.code(), "registry.invalid", "{pointer}: {err}");
        assert!(err.to_string().contains(pointer), "{pointer}: {err}");
    }
}

#[test]
fn version_negotiation_picks_the_highest_common_version() {
    let registry = registry_with(|doc| {
        doc.members[1].protocols = vec![
            ProtocolVersion::V1_0,
            ProtocolVersion::V1_1,
            ProtocolVersion { major: 1, minor: 2 },
        ];
        doc.members[9].protocols = vec![
            ProtocolVersion::V1_1,
            ProtocolVersion { major: 1, minor: 2 },
            ProtocolVersion { major: 2, minor: 0 },
        ];
        doc.members[0].protocols = vec![ProtocolVersion { major: 2, minor: 0 }];
    });
    let node = |n: &str| NodeId::parse(n).expect("node");
    // Both list 1.2, which this SDK reads but does not write: it writes 1.1.
    assert_eq!(
        registry.negotiate(&node(HUANGSHI), &node(JIUJIANG)),
        Some(ProtocolVersion::V1_1)
    );
    assert_eq!(
        registry.negotiate(&node(HUANGSHI), &node("wuhan.420100")),
        None
    );
    assert_eq!(
        registry.negotiate(&node(HUANGSHI), &node("nowhere.000")),
        None
    );
}

/// A signed message from `from` with `edit` applied to the sample transfer.
fn transfer_with(edit: impl FnOnce(&mut Envelope), created: &str) -> Vec<u8> {
    let mut message = Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        Body::Transfer(sample::transfer_body().expect("body")),
        at(created),
        3600,
    )
    .expect("envelope");
    edit(&mut message);
    let signer = message.from.to_string();
    let agreement = message.agreement.to_string();
    message
        .sign(&sample::key_for(&signer, &agreement).expect("key"))
        .expect("sign");
    message.to_canonical_bytes().expect("bytes")
}

fn verify_with(registry: &Registry, bytes: &[u8], now: &str) -> Result<Verified, Error> {
    Verifier::new(registry)
        .any_receiver()
        .verify(Unverified::parse(bytes)?, &at(now))
}

const NOW: &str = "2026-11-28T10:00:00+08:00";

#[test]
fn each_message_check_has_its_code_and_names_the_field() {
    let registry = sample::registry().expect("registry");
    let refuse = |edit: &dyn Fn(&mut Envelope)| {
        verify_with(&registry, &transfer_with(edit, NOW), NOW).expect_err("refused")
    };
    assert!(verify_with(&registry, &transfer_with(|_| {}, NOW), NOW).is_ok());

    let err = refuse(&|m| m.to = NodeId::parse("shanghai.310100").expect("node"));
    assert_eq!(
        (err.code(), err.to_string().contains("/to")),
        ("registry.unknown_member", true)
    );
    let err = refuse(&|m| m.agreement = AgreementId::parse("no-such-agreement").expect("id"));
    assert_eq!(err.code(), "agreement.unknown");
    let err = refuse(&|m| m.to = NodeId::parse("changsha.430100").expect("node"));
    assert_eq!(
        (err.code(), err.to_string().contains("/to")),
        ("agreement.not_party", true)
    );
    let item = |code: &'static str| {
        move |m: &mut Envelope| {
            if let Body::Transfer(t) = &mut m.body {
                t.item = ItemCode::parse(code).expect("item");
            }
        }
    };
    let err = refuse(&item("WH-0001"));
    assert_eq!(
        (err.code(), err.to_string().contains("/body/item")),
        ("item.unknown", true)
    );
    // The item's name is the catalogue's, exactly: not another item's, not trimmed.
    for name in [
        "道路运输从业人员从业资格证换证",
        "个体工商户设立登记（理发店） ",
    ] {
        let err = refuse(&|m| {
            if let Body::Transfer(t) = &mut m.body {
                t.item_name = name.into();
            }
        });
        assert_eq!(
            (err.code(), err.to_string().contains("/body/item_name")),
            ("item.name_mismatch", true)
        );
    }
    let err = refuse(&|m| {
        if let Body::Transfer(t) = &mut m.body {
            t.mode = HandlingMode::JointHandling;
        }
    });
    assert_eq!(
        (err.code(), err.to_string().contains("/body/mode")),
        ("item.mode_not_allowed", true)
    );
    let err = refuse(&|m| {
        if let Body::Transfer(t) = &mut m.body {
            t.form.insert("employees".into(), json!(5000));
        }
    });
    assert_eq!(err.code(), "item.form_invalid");
    assert!(
        err.to_string().starts_with("/body/form/employees: "),
        "{err}"
    );
    let err = refuse(&|m| {
        if let Body::Transfer(t) = &mut m.body {
            t.form.remove("shop_name");
        }
    });
    assert_eq!(err.code(), "item.form_invalid");
    assert!(err.to_string().contains("shop_name"), "{err}");
    let err = refuse(&|m| {
        if let Body::Transfer(t) = &mut m.body {
            t.materials.retain(|f| f.name != "经营场所租赁合同");
        }
    });
    assert_eq!(err.code(), "item.material_missing");
    assert!(err.to_string().contains("经营场所租赁合同"), "{err}");

    // The Wuhan circle: Huangshi and Xiaogan are parties by region, Jiujiang is not.
    let circle = |to: &'static str| {
        move |m: &mut Envelope| {
            m.to = NodeId::parse(to).expect("node");
            m.agreement = AgreementId::parse("wuhan-circle.cross-city").expect("id");
            if let Body::Transfer(t) = &mut m.body {
                t.item = ItemCode::parse("WH-0001").expect("item");
                t.item_name = "基本医疗保险关系转移接续".into();
                t.materials[0].name = "身份证".into();
                t.materials[1].name = "参保凭证".into();
                t.form = serde_json::from_value(json!({
                    "insured_name": "陈丽华", "from_region": "420200", "to_region": "420900",
                    "insurance_type": "职工基本医疗保险"
                }))
                .expect("form");
            }
        }
    };
    assert!(verify_with(
        &registry,
        &transfer_with(circle("xiaogan.420900"), NOW),
        NOW
    )
    .is_ok());
    assert_eq!(refuse(&circle(JIUJIANG)).code(), "agreement.not_party");
    // The cross-province alliance: parties by province code.
    let province = |m: &mut Envelope| {
        m.to = NodeId::parse("changsha.430100").expect("node");
        m.agreement = AgreementId::parse("yunshangban.cross-province").expect("id");
        if let Body::Transfer(t) = &mut m.body {
            t.item = ItemCode::parse("YSB-0101").expect("item");
            t.item_name = "道路运输从业人员从业资格证换证".into();
            t.mode = HandlingMode::FullyOnline;
            t.materials[0].name = "身份证".into();
            t.materials[1].name = "原从业资格证".into();
            t.form = serde_json::from_value(json!({
                "holder_name": "陈丽华", "certificate_no": "420202001234", "category": "道路货物运输驾驶员"
            }))
            .expect("form");
        }
    };
    assert!(verify_with(&registry, &transfer_with(province, NOW), NOW).is_ok());
}

#[test]
fn agreements_apply_only_while_in_force() {
    let registry =
        registry_with(|doc| doc.agreements[2].valid_from = at("2026-12-01T00:00:00+08:00"));
    let err = verify_with(&registry, &transfer_with(|_| {}, NOW), NOW).expect_err("not yet");
    assert_eq!(err.code(), "agreement.inactive");
}

#[test]
fn an_expired_trusted_registry_still_authorizes_its_successor() {
    let mut v1 = document();
    v1.expires = at("2026-06-30T00:00:00+08:00");
    let v1_bytes = sample::signed_registry(&v1, &[0, 1]).expect("sign");
    let later = at("2026-11-28T10:00:00+08:00");
    assert_eq!(
        code(Registry::bootstrap(&v1_bytes, &later)),
        "registry.expired"
    );
    let stored = Registry::load_trusted(&v1_bytes).expect("stored registry");
    let message = transfer_with(|_| {}, NOW);
    assert_eq!(
        verify_with(&stored, &message, NOW)
            .map(|_| ())
            .expect_err("frozen")
            .code(),
        "registry.expired"
    );
    let v2 = sample::signed_registry(
        &sample::registry_document(2, &[0, 1, 2], 2).expect("doc"),
        &[0, 2],
    )
    .expect("sign");
    let current = stored
        .update(&v2, &later)
        .expect("update from an expired registry");
    assert!(verify_with(&current, &message, NOW).is_ok());
}

#[test]
fn transfers_need_the_right_roles_and_a_common_version() {
    let windows_only =
        registry_with(|doc| doc.members[9].role = tongban::registry::Role::ServiceWindow);
    let err =
        verify_with(&windows_only, &transfer_with(|_| {}, NOW), NOW).expect_err("no authority");
    assert_eq!(err.code(), "agreement.wrong_role");
    assert!(err.to_string().starts_with("/to: "), "{err}");
    let authority_only =
        registry_with(|doc| doc.members[1].role = tongban::registry::Role::CompetentAuthority);
    let err =
        verify_with(&authority_only, &transfer_with(|_| {}, NOW), NOW).expect_err("no window");
    assert!(err.to_string().starts_with("/from: "), "{err}");

    let old_reader = registry_with(|doc| doc.members[9].protocols = vec![ProtocolVersion::V1_0]);
    let newer = transfer_with(|m| m.protocol = ProtocolVersion { major: 1, minor: 1 }, NOW);
    let err = verify_with(&old_reader, &newer, NOW).expect_err("Jiujiang speaks 1.0");
    assert_eq!(err.code(), "version.not_negotiated");
    let both_new = registry_with(|doc| {
        for m in [1, 9] {
            doc.members[m].protocols = vec![ProtocolVersion { major: 1, minor: 1 }];
        }
    });
    assert!(verify_with(&both_new, &newer, NOW).is_ok());
}

#[test]
fn a_scheduled_revocation_takes_effect_at_its_time() {
    let registry =
        registry_with(|doc| doc.members[1].keys[0].revoked = Some(at("2026-11-28T10:30:00+08:00")));
    let message = transfer_with(|_| {}, NOW);
    assert!(verify_with(&registry, &message, "2026-11-28T10:10:00+08:00").is_ok());
    let err = verify_with(&registry, &message, "2026-11-28T10:31:00+08:00").expect_err("revoked");
    assert_eq!(err.code(), "key.revoked");
}

#[test]
fn revoked_keys_verify_nothing() {
    let registry =
        registry_with(|doc| doc.members[1].keys[0].revoked = Some(at("2026-06-01T00:00:00+08:00")));
    let err = verify_with(&registry, &transfer_with(|_| {}, NOW), NOW).expect_err("revoked");
    assert_eq!(err.code(), "key.revoked");
}

#[test]
fn a_rotated_key_verifies_until_its_valid_until_and_fails_after() {
    let cutover = "2026-12-01T00:00:00+08:00";
    let registry = registry_with(|doc| doc.members[1].keys[0].valid_until = at(cutover));
    let before = transfer_with(|_| {}, "2026-11-30T23:59:00+08:00");
    assert!(verify_with(&registry, &before, "2026-11-30T23:59:30+08:00").is_ok());
    // Within the clock-skew allowance after the cutover it still verifies; after that
    // the key is retired, so that it cannot sign backdated messages.
    assert!(verify_with(&registry, &before, "2026-12-01T00:04:59+08:00").is_ok());
    let retired = verify_with(&registry, &before, "2026-12-01T00:30:00+08:00");
    assert_eq!(
        retired.map(|_| ()).expect_err("retired").code(),
        "key.outside_validity"
    );
    let after = transfer_with(|_| {}, "2026-12-01T00:00:01+08:00");
    let err = verify_with(&registry, &after, "2026-12-01T00:01:00+08:00").expect_err("expired key");
    assert_eq!(err.code(), "key.outside_validity");
    // The successor key takes over at the cutover: the registry lists both.
    let successor = KeyPair::from_secret(
        KeyId::parse("huangshi.420200#2027").expect("kid"),
        NodeId::parse(HUANGSHI).expect("node"),
        Algorithm::Ed25519,
        &sample::seed("huangshi.420200#2027"),
    )
    .expect("key");
    let both = registry_with(|doc| {
        doc.members[1].keys[0].valid_until = at(cutover);
        let mut next = doc.members[1].keys[0].clone();
        next.key_id = successor.key_id().clone();
        next.public_key = tongban::crypto::base64url(successor.public_key().as_bytes());
        next.valid_from = at(cutover);
        next.valid_until = at("2027-12-31T23:59:59+08:00");
        doc.members[1].keys.push(next);
    });
    let mut renewed = Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        Body::Transfer(sample::transfer_body().expect("body")),
        at("2026-12-01T00:00:01+08:00"),
        3600,
    )
    .expect("envelope");
    renewed.sign(&successor).expect("sign");
    let renewed = renewed.to_canonical_bytes().expect("bytes");
    assert!(verify_with(&both, &renewed, "2026-12-01T00:01:00+08:00").is_ok());
    let old_after = verify_with(&both, &after, "2026-12-01T00:01:00+08:00");
    assert_eq!(
        old_after.map(|_| ()).expect_err("old key").code(),
        "key.outside_validity"
    );
    let early =
        registry_with(|doc| doc.members[1].keys[0].valid_from = at("2026-11-30T23:59:30+08:00"));
    assert_eq!(
        verify_with(&early, &before, "2026-11-30T23:59:30+08:00")
            .map(|_| ())
            .expect_err("not yet")
            .code(),
        "key.outside_validity"
    );
}

#[test]
fn an_expired_registry_verifies_nothing() {
    let registry = registry_with(|doc| doc.expires = at("2026-12-31T23:59:59+08:00"));
    let message = transfer_with(|_| {}, "2027-01-01T10:00:00+08:00");
    let err = verify_with(&registry, &message, "2027-01-01T10:00:00+08:00").expect_err("frozen");
    assert_eq!(err.code(), "registry.expired");
}

/// A form schema is compiled when its item is first used, so a registry loads without
/// compiling hundreds of schemas; one that does not compile is `registry.invalid`
/// naming it, when the item is used or when `compile_forms` (a node installing the
/// registry) compiles them all. The other items are not affected.
#[test]
fn form_schemas_compile_on_first_use_and_compile_forms_checks_them_all() {
    let mut doc = document();
    doc.agreements[2].items[0]
        .form_schema
        .insert("pattern".into(), json!("(unclosed"));
    let (agreement, item) = (
        doc.agreements[2].id.clone(),
        doc.agreements[2].items[0].code.clone(),
    );
    let good = doc.agreements[0].items[0].code.clone();
    let good_agreement = doc.agreements[0].id.clone();
    let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    let registry =
        Registry::bootstrap(&bytes, &issued()).expect("loads: schemas compile on first use");
    let err = registry
        .compile_forms()
        .expect_err("a schema does not compile");
    assert_eq!(err.code(), "registry.invalid");
    assert!(
        err.to_string()
            .contains("/agreements/2/items/0/form_schema"),
        "{err}"
    );
    let form = serde_json::Map::new();
    let err = registry
        .check_form(&agreement, &item, &form)
        .expect_err("the broken item");
    assert_eq!(err.code(), "registry.invalid");
    assert!(
        err.to_string()
            .contains("/agreements/2/items/0/form_schema"),
        "{err}"
    );
    // Another item's schema compiles and checks as before (the empty form misses fields).
    let err = registry
        .check_form(&good_agreement, &good, &form)
        .expect_err("required fields");
    assert_eq!(err.code(), "item.form_invalid");
    sample::registry()
        .expect("sample registry")
        .compile_forms()
        .expect("every sample schema compiles");
}

/// A registry accepted for the first time or as an update has every member key checked
/// as it loads; one reloaded from storage (`load_trusted`, its keys checked when it was
/// accepted) checks each key when it is first used: the weak key is still refused, by
/// the first verification that needs it, and the other members' keys still verify.
#[test]
fn stored_registries_check_member_keys_on_first_use() {
    let mut doc = document();
    let huangshi = doc
        .members
        .iter()
        .position(|m| m.node.as_str() == HUANGSHI)
        .expect("huangshi");
    let mut identity = [0u8; 32];
    identity[0] = 1;
    doc.members[huangshi].keys[0].public_key = tongban::crypto::base64url(&identity);
    let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
    assert_eq!(code(Registry::bootstrap(&bytes, &issued())), "key.weak");

    let stored = Registry::load_trusted(&bytes).expect("reloaded: keys checked on use");
    let transfer = sample::signed_transfer().expect("transfer");
    let now = transfer.created.plus_seconds(30).expect("time");
    let bytes = transfer.to_canonical_bytes().expect("bytes");
    let verified = Verifier::new(&stored)
        .any_receiver()
        .verify(Unverified::parse(&bytes).expect("parse"), &now);
    assert_eq!(code(verified), "key.weak");

    // Jiujiang's key is fine: its receipt verifies against the same stored registry.
    let receipt = sample::signed(MessageType::Receipt, 60).expect("receipt");
    let bytes = receipt.to_canonical_bytes().expect("bytes");
    let now = receipt.created.plus_seconds(30).expect("time");
    Verifier::new(&stored)
        .any_receiver()
        .verify(Unverified::parse(&bytes).expect("parse"), &now)
        .expect("jiujiang's receipt verifies");
}

#[test]
fn a_theme_is_an_entry_of_the_registry_diff() {
    let before = registry_with(|_| {});
    let after = registry_with(|d| {
        let agreement = d
            .agreements
            .iter_mut()
            .find(|a| a.id.as_str() == sample::AGREEMENT);
        let theme = agreement
            .and_then(|a| a.themes.first_mut())
            .expect("a sample theme");
        theme.time_limit_working_days = 8;
    });
    let diff = tongban::registry::diff(&before, &after);
    let theme = format!("theme {}/{}", sample::AGREEMENT, sample::BARBER_THEME);
    // The theme changed, not the agreement around it.
    assert_eq!(diff.changed, vec![theme]);
    assert!(diff.added.is_empty() && diff.removed.is_empty());
}

#[test]
fn each_sample_agreement_offers_twelve_real_items_with_forms_and_materials() {
    let registry = sample::registry().expect("registry");
    registry
        .compile_forms()
        .expect("every form schema compiles");
    for agreement in &registry.document().agreements {
        assert!(
            agreement.items.len() >= 12,
            "{} offers {} items",
            agreement.id,
            agreement.items.len()
        );
        for item in &agreement.items {
            assert!(!item.required_materials.is_empty(), "{}", item.code);
            // Every form asks for something: an empty one is refused.
            let empty = registry.check_form(&agreement.id, &item.code, &Default::default());
            assert_eq!(code(empty), "item.form_invalid", "{}", item.code);
        }
    }
}

#[test]
fn keys_of_an_unknown_suite_are_ignored_never_trusted_and_never_counted() {
    let other_suite = |kid: &str| tongban::registry::OperatorKey {
        key_id: KeyId::parse(kid).expect("kid"),
        algorithm: "ml-dsa-65".into(),
        public_key: "BDw8PDw8".into(), // never decoded by a reader without the suite
    };
    let mut doc = document();
    doc.operator
        .keys
        .push(other_suite("yunshangban.operator#mldsa"));
    // Signed by one Ed25519 operator key and, in the other suite, by the new key: the
    // threshold of 2 counts only the signature this reader can check.
    let bytes = sample::signed_registry(&doc, &[0]).expect("sign");
    let mut value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    value["signatures"]
        .as_array_mut()
        .expect("signatures")
        .push(json!({
            "alg": "ml-dsa-65", "kid": "yunshangban.operator#mldsa",
            "sig": tongban::crypto::base64url(&[0x5a; 64]),
        }));
    let bytes = tongban::canonical::to_canonical_bytes(&value);
    assert_eq!(
        code(Registry::bootstrap(&bytes, &issued())),
        "registry.threshold"
    );
    // Signed by two Ed25519 operator keys, it loads, and Huangshi's key of the other
    // suite is never trusted: a message naming it finds no trusted key.
    let huangshi = doc.members.iter_mut().find(|m| m.node.as_str() == HUANGSHI);
    let huangshi = huangshi.expect("Huangshi is a member");
    let mut other_key = huangshi.keys[0].clone();
    other_key.key_id = KeyId::parse("huangshi.420200#mldsa").expect("kid");
    other_key.algorithm = "ml-dsa-65".into();
    other_key.public_key = "BDw8PDw8".into();
    huangshi.keys.push(other_key);
    let registry = Registry::bootstrap(
        &sample::signed_registry(&doc, &[0, 1]).expect("sign"),
        &issued(),
    )
    .expect("a registry listing a key of another suite loads");
    let kid = KeyId::parse("huangshi.420200#mldsa").expect("kid");
    let resolved = tongban::crypto::KeyResolver::resolve(&registry, &kid, &issued(), &issued());
    assert_eq!(code(resolved), "signature.unknown_key");
}

/// The registry checks a transfer's form by moving it into the JSON value its schema
/// check reads and back: the verified message holds the form it was sent with.
#[test]
fn a_verified_transfer_keeps_its_form() {
    let message = sample::signed_transfer().expect("sample transfer");
    let bytes = message.to_canonical_bytes().expect("bytes");
    let registry = sample::registry().expect("sample registry");
    let now = message.created.plus_seconds(30).expect("now");
    let verified = Verifier::new(&registry)
        .any_receiver()
        .verify(Unverified::parse(&bytes).expect("parsed"), &now)
        .expect("verified");
    let (Body::Transfer(sent), Body::Transfer(received)) =
        (&message.body, &verified.envelope().body)
    else {
        panic!("both are transfers");
    };
    assert!(!sent.form.is_empty());
    assert_eq!(received.form, sent.form);
    assert_eq!(verified.envelope(), &message);
}

#[test]
fn tls_keys_name_one_member_each() {
    let pin = |byte: u8| Sha256Digest::of(&[byte]);
    let registry = registry_with(|d| {
        d.members[0].tls_keys = Some(vec![pin(1), pin(2)]);
        d.members[1].tls_keys = Some(vec![pin(3)]);
    });
    let owner = |p: &Sha256Digest| registry.member_of_tls_key(p).map(|m| m.node.clone());
    let (first, second) = (
        registry.document().members[0].node.clone(),
        registry.document().members[1].node.clone(),
    );
    assert_eq!(owner(&pin(1)), Some(first.clone()));
    assert_eq!(owner(&pin(2)), Some(first));
    assert_eq!(owner(&pin(3)), Some(second));
    assert_eq!(owner(&pin(4)), None, "a key no member lists names no one");

    // The refusals, each naming the field.
    let refused = |edit: &dyn Fn(&mut RegistryDocument)| {
        let mut doc = document();
        edit(&mut doc);
        let bytes = sample::signed_registry(&doc, &[0, 1]).expect("sign");
        let error = Registry::bootstrap(&bytes, &issued()).expect_err("must be refused");
        (error.code(), error.to_string())
    };
    let (code, text) = refused(&|d| {
        d.members[0].tls_keys = Some(vec![pin(1)]);
        d.members[2].tls_keys = Some(vec![pin(1)]);
    });
    assert_eq!(code, "registry.invalid");
    assert!(text.contains("/members/2/tls_keys/0"), "{text}");
    let (code, text) = refused(&|d| d.members[0].tls_keys = Some(vec![pin(1), pin(1)]));
    assert_eq!(code, "registry.invalid");
    assert!(text.contains("/members/0/tls_keys/1"), "{text}");
    let (code, text) = refused(&|d| d.members[0].tls_keys = Some(Vec::new()));
    assert_eq!(code, "registry.invalid");
    assert!(text.contains("/members/0/tls_keys"), "{text}");

    // An uppercase digest is no digest (structure is checked before signatures).
    let mut doc = serde_json::to_value(document()).expect("value");
    doc["members"][0]["tls_keys"] = json!([pin(1).as_str().to_uppercase()]);
    let text = serde_json::to_vec(&doc).expect("bytes");
    let error = Registry::bootstrap(&text, &issued()).expect_err("an uppercase pin");
    assert_eq!(error.code(), "registry.invalid");
    assert!(
        error.to_string().contains("/members/0/tls_keys/0"),
        "{error}"
    );

    // The pins are an entry each of the registry diff, with their owner.
    let before = registry_with(|_| {});
    let after = registry_with(|d| d.members[0].tls_keys = Some(vec![pin(1)]));
    let diff = tongban::registry::diff(&before, &after);
    assert_eq!(diff.added, vec![format!("member TLS key {}", pin(1))]);
    assert!(
        diff.changed.is_empty() && diff.removed.is_empty(),
        "{diff:?}"
    );
}
