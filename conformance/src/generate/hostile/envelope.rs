//! The envelope, the registry checks, registry rotation and identifiers under attack
//! (§4, §5, §8, §15–§17).

use super::super::registry::{registry_doc, registry_text, registry_vector, variant};
use super::*;

/// The unsigned document of a new sample transfer from Huangshi to Jiujiang.
fn transfer_document(g: &mut Gen) -> Value {
    let transfer = g.transfer(T0);
    must("value", transfer.to_value())
}

pub(super) fn envelope(g: &mut Gen, keys: &str) {
    let trust = ("keys", keys);
    let document = transfer_document(g);
    let resign = |f: &dyn Fn(&mut Value)| resigned(&document, f);
    let push = |g: &mut Gen, name: &str, description: &str, message: Value, result: Value| {
        verify_one(
            g,
            &format!("hostile/envelope/{name}"),
            description,
            trust,
            message,
            result,
        );
    };
    let versions: [(&str, Value, &str); 10] = [
        ("major-0", json!("0.9"), "version.unsupported_major"),
        ("major-3", json!("3.1"), "version.unsupported_major"),
        ("major-10", json!("10.0"), "version.unsupported_major"),
        ("three-parts", json!("1.0.0"), "version.format"),
        ("leading-zero", json!("01.0"), "version.format"),
        ("prefixed", json!("v1.0"), "version.format"),
        ("empty", json!(""), "version.format"),
        ("negative-minor", json!("1.-1"), "version.format"),
        ("number", json!(1.0), "message.invalid"),
        ("null", Value::Null, "message.invalid"),
    ];
    for (name, protocol, code) in versions {
        let mut message = resign(&|d| d["protocol"] = protocol.clone());
        if name == "number" {
            // The canonical form of 1.0 is 1; the message must carry the literal 1.0.
            message = message.replacen("\"protocol\":1,", "\"protocol\":1.0,", 1);
        }
        push(
            g,
            &format!("protocol-{name}"),
            &format!("protocol {protocol}"),
            at(message, T1),
            refused(code),
        );
    }
    let fine = resign(&|_| {});
    let times: [(&str, &str, &str, Value); 4] = [
        (
            "expired-by-a-nanosecond",
            "verified 300.000000001 s after expiry",
            "2026-11-28T11:05:00.000000001+08:00",
            refused("time.expired"),
        ),
        (
            "not-yet-valid-by-a-nanosecond",
            "created 300.000000001 s after now",
            "2026-11-28T09:54:59.999999999+08:00",
            refused("time.not_yet_valid"),
        ),
        (
            "expiry-in-utc",
            "now given in UTC, 300 s after expiry",
            "2026-11-28T03:05:00Z",
            accepted(),
        ),
        (
            "expired-in-utc",
            "now given in UTC, 301 s after expiry",
            "2026-11-28T03:05:01Z",
            refused("time.expired"),
        ),
    ];
    for (name, description, now, result) in times {
        push(g, name, description, at(fine.clone(), now), result);
    }
    let windows: [(&str, &str, &str, Value); 5] = [
        (
            "window-zero",
            "expires equal to created",
            "2026-11-28T10:00:00+08:00",
            refused("time.bad_window"),
        ),
        (
            "window-one-nanosecond",
            "expires one nanosecond after created",
            "2026-11-28T10:00:00.000000001+08:00",
            accepted(),
        ),
        (
            "window-seven-days",
            "expires exactly 604,800 s after created",
            "2026-12-05T10:00:00+08:00",
            accepted(),
        ),
        (
            "window-seven-days-and-a-nanosecond",
            "expires 604,800.000000001 s after created",
            "2026-12-05T10:00:00.000000001+08:00",
            refused("time.bad_window"),
        ),
        (
            "expires-without-offset",
            "expires without a UTC offset",
            "2026-11-28T11:00:00",
            refused("time.format"),
        ),
    ];
    for (name, description, expires, result) in windows {
        push(
            g,
            name,
            description,
            at(resign(&|d| d["expires"] = json!(expires)), T1),
            result,
        );
    }
    /// Name, what, the edit, the code.
    type Edit<'a> = (&'a str, &'a str, &'a dyn Fn(&mut Value), &'a str);
    let structure: [Edit; 6] = [
        (
            "receipt-without-in-reply-to",
            "a receipt that answers nothing",
            &|d| {
                // A well-formed receipt body, so only the missing in_reply_to is at fault.
                let receipt = must("sample", sample::signed(MessageType::Receipt, 60));
                d["type"] = json!("receipt");
                d["body"] = must("value", receipt.to_value())["body"].clone();
            },
            "message.invalid",
        ),
        (
            "body-missing",
            "no body",
            &|d| {
                d.as_object_mut().map(|m| m.remove("body"));
            },
            "message.invalid",
        ),
        (
            "body-array",
            "the body is an array",
            &|d| d["body"] = json!([]),
            "message.invalid",
        ),
        (
            "id-uuid-v4",
            "a message id that is a version-4 UUID",
            &|d| d["id"] = json!("019373d2-6a00-4c3e-9b1a-2f4d5e6a7b8c"),
            "id.message_format",
        ),
        (
            "mode-unknown",
            "a handling mode the protocol does not define",
            &|d| d["body"]["mode"] = json!("teleport"),
            "message.invalid",
        ),
        (
            "size-negative",
            "a material of negative size",
            &|d| d["body"]["materials"][0]["size"] = json!(-1),
            "message.invalid",
        ),
    ];
    for (name, description, edit, code) in structure {
        push(g, name, description, at(resign(edit), T1), refused(code));
    }
    // Shapes serde's derived types read but the schemas refuse (PROTOCOL §2, step 7):
    // a struct written as an array of its fields in their declared order, a variant
    // without data written as an object.
    let receipt = must(
        "value",
        must("sample", sample::signed(MessageType::Receipt, 60)).to_value(),
    );
    let withdrawal = must(
        "value",
        must("sample", sample::signed(MessageType::Withdrawal, 60)).to_value(),
    );
    let fields = |value: &Value, names: &[&str]| -> Value {
        names.iter().map(|name| value[*name].clone()).collect()
    };
    let shapes: [Edit; 7] = [
        (
            "shape-body-as-array",
            "the transfer body as an array of its fields in order",
            &|d| {
                let order = [
                    "applicant",
                    "item",
                    "item_name",
                    "mode",
                    "materials",
                    "form",
                    "window",
                ];
                d["body"] = fields(&d["body"], &order);
            },
            "message.invalid",
        ),
        (
            "shape-applicant-as-array",
            "the applicant as an array: its kind, then its fields in order",
            &|d| {
                let applicant = &d["body"]["applicant"];
                assert_eq!(applicant["kind"], "natural_person", "the sample applicant");
                d["body"]["applicant"] = fields(applicant, &["kind", "name", "citizen_id"]);
            },
            "message.invalid",
        ),
        (
            "shape-material-as-array",
            "a material as an array of its fields in order",
            &|d| {
                let order = ["name", "sha256", "media_type", "size"];
                d["body"]["materials"][0] = fields(&d["body"]["materials"][0], &order);
            },
            "message.invalid",
        ),
        (
            "shape-window-as-array",
            "the receiving window as an array of its fields in order",
            &|d| {
                let order = ["region", "service_centre", "window", "clerk"];
                d["body"]["window"] = fields(&d["body"]["window"], &order);
            },
            "message.invalid",
        ),
        (
            "shape-mode-as-object",
            "the handling mode written as {\"fully_online\": null}",
            &|d| d["body"]["mode"] = json!({"fully_online": null}),
            "message.invalid",
        ),
        (
            "shape-receipt-outcome-as-array",
            "a receipt whose outcome is [\"accepted\"]",
            &|d| {
                d["type"] = json!("receipt");
                d["in_reply_to"] = receipt["in_reply_to"].clone();
                d["body"] = receipt["body"].clone();
                d["body"]["outcome"] = json!(["accepted"]);
            },
            "message.invalid",
        ),
        (
            "shape-requested-by-as-object",
            "a withdrawal requested by {\"applicant\": null}",
            &|d| {
                d["type"] = json!("withdrawal");
                d["body"] = withdrawal["body"].clone();
                d["body"]["requested_by"] = json!({"applicant": null});
            },
            "message.invalid",
        ),
    ];
    for (name, description, edit, code) in shapes {
        push(g, name, description, at(resign(edit), T1), refused(code));
    }
    let mut entry_as_array: Value = must("json", serde_json::from_str(&fine));
    let entry = entry_as_array["signatures"][0].clone();
    entry_as_array["signatures"][0] = fields(&entry, &["alg", "kid", "sig"]);
    push(
        g,
        "shape-signature-entry-as-array",
        "the signature entry as [alg, kid, sig]",
        at(text(&entry_as_array), T1),
        refused("message.invalid"),
    );
    // Replay: the record holds (sender, id) of authentic messages only.
    let mut forged: Value = must("json", serde_json::from_str(&fine));
    forged["body"]["applicant"]["name"] = json!("王丽华");
    verify_vector(
        g,
        "hostile/envelope/replay-forged-copy-first",
        "a forged copy arriving first does not block the authentic message",
        trust,
        vec![at(text(&forged), T1), at(fine.clone(), T1)],
        vec![refused("signature.invalid"), accepted()],
    );
    let same_id = resign(&|d| d["body"]["item_name"] = json!("个体工商户设立登记"));
    verify_vector(
        g,
        "hostile/envelope/replay-same-id-other-content",
        "another message with the id of one already accepted",
        trust,
        vec![at(fine.clone(), T1), at(same_id, T1)],
        vec![accepted(), refused("replay.duplicate")],
    );
    let mut from_jiujiang = document.clone();
    from_jiujiang["from"] = json!(JIUJIANG);
    from_jiujiang["to"] = json!(HUANGSHI);
    verify_vector(
        g,
        "hostile/envelope/replay-same-id-other-sender",
        "the same id from another sender is another message",
        trust,
        vec![at(fine, T1), at(signed_value(from_jiujiang, JIUJIANG), T1)],
        vec![accepted(), accepted()],
    );
}

pub(super) fn checks(g: &mut Gen, registry: &str) {
    let at_30s = variant(g, "registry-huangshi-key-revoked-at-10-00-30", |d| {
        d.members[1].keys[0].revoked = Some(ts("2026-11-28T10:00:30+08:00"))
    });
    let at_now = variant(g, "registry-huangshi-key-revoked-at-10-01", |d| {
        d.members[1].keys[0].revoked = Some(ts(T1))
    });
    let after_now = variant(g, "registry-huangshi-key-revoked-at-10-01-01", |d| {
        d.members[1].keys[0].revoked = Some(ts("2026-11-28T10:01:01+08:00"))
    });
    let not_yet = variant(g, "registry-huangshi-key-from-10-00-01", |d| {
        d.members[1].keys[0].valid_from = ts("2026-11-28T10:00:01+08:00")
    });
    let until = variant(g, "registry-huangshi-key-until-10-00", |d| {
        d.members[1].keys[0].valid_until = ts(T0)
    });
    let document = transfer_document(g);
    let resign = |f: &dyn Fn(&mut Value)| resigned(&document, f);
    let good = resign(&|_| {});
    let wuhan = "wuhan.420100";
    let by_wuhan = {
        let mut d = document.clone();
        d.as_object_mut().map(|m| m.remove("signatures"));
        signed_value(d, wuhan)
    };
    let from_wuhan = {
        let mut d = document.clone();
        d["from"] = json!(wuhan);
        signed_value(d, wuhan)
    };
    let cases: Vec<(&str, &str, &str, String, &str, Value)> = vec![
        (
            "key-revoked-after-created",
            "Huangshi's key revoked 30 s after the message was created",
            &at_30s,
            good.clone(),
            T1,
            refused("key.revoked"),
        ),
        (
            "key-revoked-at-now",
            "Huangshi's key revoked at the moment of verification",
            &at_now,
            good.clone(),
            T1,
            refused("key.revoked"),
        ),
        (
            "key-revoked-after-now",
            "Huangshi's key revoked one second after verification",
            &after_now,
            good.clone(),
            T1,
            accepted(),
        ),
        (
            "key-not-yet-valid",
            "created one second before Huangshi's key became valid",
            &not_yet,
            good.clone(),
            T1,
            refused("key.outside_validity"),
        ),
        (
            "key-retired-at-created",
            "created at the last moment of the key, verified 300 s later",
            &until,
            good.clone(),
            "2026-11-28T10:05:00+08:00",
            accepted(),
        ),
        (
            "key-retired-backdated",
            "created at the last moment of the key, verified 301 s later",
            &until,
            good.clone(),
            "2026-11-28T10:05:01+08:00",
            refused("key.outside_validity"),
        ),
        (
            "sender-not-party",
            "Wuhan, a member outside the agreement, sends Jiujiang a transfer under it",
            registry,
            from_wuhan,
            T1,
            refused("agreement.not_party"),
        ),
        (
            "mode-not-allowed",
            "joint handling, which the barber-shop item does not allow",
            registry,
            resign(&|d| d["body"]["mode"] = json!("joint_handling")),
            T1,
            refused("item.mode_not_allowed"),
        ),
        (
            "signed-by-another-member",
            "a valid signature by Wuhan's key on Huangshi's transfer",
            registry,
            by_wuhan,
            T1,
            refused("signature.key_not_sender"),
        ),
        (
            "receiver-not-party",
            "Wuhan is a member but not a party to the agreement",
            registry,
            resign(&|d| d["to"] = json!(wuhan)),
            T1,
            refused("agreement.not_party"),
        ),
        (
            "sender-unknown",
            "a sender that is not a member",
            registry,
            resign(&|d| d["from"] = json!("shanghai.310100")),
            T1,
            refused("registry.unknown_member"),
        ),
        (
            "item-malformed",
            "an item code with a space",
            registry,
            resign(&|d| d["body"]["item"] = json!("HB JX 0042")),
            T1,
            refused("id.item_format"),
        ),
        (
            "item-other-catalogue",
            "an alliance item under the bilateral agreement",
            registry,
            resign(&|d| d["body"]["item"] = json!("YSB-0101")),
            T1,
            refused("item.unknown"),
        ),
        (
            "form-wrong-type",
            "form data of the wrong type (an array)",
            registry,
            resign(&|d| d["body"]["form"]["shop_name"] = json!(["理发店"])),
            T1,
            refused("item.form_invalid"),
        ),
        (
            "form-negative",
            "a negative number of employees",
            registry,
            resign(&|d| d["body"]["form"]["employees"] = json!(-1)),
            T1,
            refused("item.form_invalid"),
        ),
        (
            "materials-empty",
            "no materials at all",
            registry,
            resign(&|d| d["body"]["materials"] = json!([])),
            T1,
            refused("item.material_missing"),
        ),
        (
            "citizen-checksum",
            "the applicant's check digit off by one",
            registry,
            resign(&|d| d["body"]["applicant"]["citizen_id"] = json!("420202199001011230")),
            T1,
            refused("id.citizen_checksum"),
        ),
        (
            "citizen-birth-date",
            "a citizen ID born on 30 February",
            registry,
            resign(&|d| d["body"]["applicant"]["citizen_id"] = json!("420202199002301234")),
            T1,
            refused("id.citizen_birth_date"),
        ),
        (
            "credit-code-checksum",
            "a legal entity whose credit code has a wrong check character",
            registry,
            resign(
                &|d| d["body"]["applicant"] = json!({"kind": "legal_entity", "name": "黄石市某公司", "credit_code": "91350100M000100Y44", "representative": "陈丽华"}),
            ),
            T1,
            refused("id.credit_checksum"),
        ),
    ];
    for (name, description, registry, message, now, result) in cases {
        verify_one(
            g,
            &format!("hostile/checks/{name}"),
            description,
            ("registry", registry),
            at(message, now),
            result,
        );
    }
}

pub(super) fn registry(g: &mut Gen) {
    let v1 = registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 1]);
    let push = |g: &mut Gen,
                name: &str,
                description: &str,
                trusted: Option<&str>,
                offered: String,
                now: &str,
                expected: Value| {
        let id = format!("hostile/registry/{name}");
        registry_vector(g, &id, description, trusted, offered, now, expected);
    };
    let mut expiring = registry_doc(2, &[0, 1, 2]);
    expiring.expires = ts("2026-11-28T09:59:59+08:00");
    push(
        g,
        "update-already-expired",
        "a validly signed successor that has already expired (freeze)",
        Some(&v1),
        registry_text(&expiring, &[0, 1]),
        T0,
        refused("registry.expired"),
    );
    push(
        g,
        "update-version-0",
        "version 0 offered to a reader that trusts version 1",
        Some(&v1),
        registry_text(&registry_doc(0, &[0, 1, 2]), &[0, 1]),
        T0,
        refused("registry.rollback"),
    );
    let mut tampered: Value = must(
        "json",
        serde_json::from_str(&registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 1])),
    );
    let flipped = |s: &str| format!("{}{}", if s.starts_with('A') { 'B' } else { 'A' }, &s[1..]);
    if let Some(sig) = tampered["signatures"][1]["sig"].as_str().map(flipped) {
        tampered["signatures"][1]["sig"] = json!(sig);
    }
    push(
        g,
        "one-of-two-signatures-invalid",
        "two operator signatures, one of which does not verify: only one counts",
        None,
        text(&tampered),
        T0,
        refused("registry.threshold"),
    );
    let mut changed: Value = must("json", serde_json::from_str(&v1));
    changed["members"][0]["endpoint"] = json!("https://attacker.example/tongban/v1");
    push(
        g,
        "member-endpoint-changed",
        "an endpoint changed after the operators signed",
        None,
        text(&changed),
        T0,
        refused("registry.threshold"),
    );
    push(
        g,
        "duplicate-member",
        "a duplicate JSON member in the registry",
        None,
        v1.replacen("{\"agreements\"", "{\"version\":9,\"agreements\"", 1),
        T0,
        refused("json.duplicate_key"),
    );
    let huangshi = super::ed25519::Signer::from_seed(&sample::seed(HUANGSHI));
    let mixed = huangshi.with_torsion(&super::ed25519::torsion_of_order(8));
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.members[1].keys[0].public_key = tongban::crypto::base64url(&mixed.public);
    push(
        g,
        "member-key-mixed-order",
        "Huangshi's key with a point of order 8 added",
        None,
        registry_text(&doc, &[0, 1]),
        T0,
        refused("key.weak"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    if let Some((_, encoded)) = super::ed25519::non_canonical_encodings().first() {
        doc.members[1].keys[0].public_key = tongban::crypto::base64url(encoded);
    }
    push(
        g,
        "member-key-non-canonical",
        "a member key that is not canonically encoded",
        None,
        registry_text(&doc, &[0, 1]),
        T0,
        refused("key.malformed"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    let order_4 = super::ed25519::encode(&super::ed25519::torsion_of_order(4));
    doc.operator.keys[2].public_key = tongban::crypto::base64url(&order_4);
    push(
        g,
        "operator-key-small-order",
        "an operator key of order 4",
        None,
        registry_text(&doc, &[0, 1]),
        T0,
        refused("key.weak"),
    );
    push(
        g,
        "weak-key-before-threshold",
        "an operator key of order 4 and one signature of two: keys are checked before signatures are counted",
        None,
        registry_text(&doc, &[0]),
        T0,
        refused("key.weak"),
    );
}

pub(super) fn identifiers(g: &mut Gen) {
    let push = |g: &mut Gen, kind: &str, value: &str, what: &str, code: &str| {
        let name: String = value
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect();
        g.push(
            &format!("hostile/identifiers/{kind}-{name}"),
            &format!("{kind} {value:?}: {what}"),
            "identifier",
            json!({"kind": kind, "value": value}),
            refused(code),
        );
    };
    // 11010519491231002X with every other check character.
    for check in "0123456789".chars() {
        push(
            g,
            "citizen_id",
            &format!("11010519491231002{check}"),
            "a wrong check character",
            "id.citizen_checksum",
        );
    }
    // 91350100M000100Y43 with other check characters.
    for check in ['0', '4', 'A', 'Y'] {
        push(
            g,
            "credit_code",
            &format!("91350100M000100Y4{check}"),
            "a wrong check character",
            "id.credit_checksum",
        );
    }
    let others: [(&str, &str, &str, &str); 10] = [
        (
            "citizen_id",
            "110105194902290023",
            "born on 29 February 1949, not a leap year",
            "id.citizen_birth_date",
        ),
        (
            "citizen_id",
            "１１０１０５１９４９１２３１００２Ｘ",
            "full-width digits",
            "id.citizen_format",
        ),
        (
            "credit_code",
            "91350100M000100YI3",
            "the letter I, which the code's alphabet leaves out",
            "id.credit_format",
        ),
        ("region", "420200 ", "a trailing space", "id.region_format"),
        (
            "node",
            "huangshi.420200\u{0}",
            "a NUL character",
            "id.node_format",
        ),
        (
            "node",
            "huangshi.４２０２００",
            "full-width digits",
            "id.node_format",
        ),
        (
            "message_id",
            "019373d2-6a00-7c3e-1b1a-2f4d5e6a7b8c",
            "a UUID whose variant bits are not RFC 9562's",
            "id.message_format",
        ),
        ("case", &"C".repeat(65), "65 characters", "id.case_format"),
        (
            "digest",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
            "63 hexadecimal digits",
            "id.digest_format",
        ),
        (
            "timestamp",
            "2026-11-28T10:00:00.1234567891+08:00",
            "ten fractional digits",
            "time.format",
        ),
    ];
    for (kind, value, what, code) in others {
        push(g, kind, value, what, code);
    }
}
