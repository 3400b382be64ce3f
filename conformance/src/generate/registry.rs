//! Registry bootstrap and rotation, and messages checked against registries.

use super::*;

pub(super) fn registry_doc(version: u64, keys: &[u8]) -> RegistryDocument {
    must("registry", sample::registry_document(version, keys, 2))
}

pub(super) fn registry_text(doc: &RegistryDocument, signers: &[u8]) -> String {
    String::from_utf8_lossy(&must(
        "sign registry",
        sample::signed_registry(doc, signers),
    ))
    .into_owned()
}

/// A `registry` vector: `offered` bootstrapped at `now`, or as an update of `trusted`.
pub(super) fn registry_vector(
    g: &mut Gen,
    id: &str,
    description: &str,
    trusted: Option<&str>,
    offered: String,
    now: &str,
    expected: Value,
) {
    let mut input = json!({"registry": offered, "now": now});
    if let Some(trusted) = trusted {
        input["trusted"] = json!(trusted);
    }
    g.push(id, description, "registry", input, expected);
}

/// Writes the registry fixtures and the registry vectors; returns the main registry.
pub(super) fn registries(g: &mut Gen) -> String {
    let v1 = g.fixture(
        "registry-v1",
        registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 1]),
    );
    let v2 = g.fixture(
        "registry-v2",
        registry_text(&registry_doc(2, &[1, 2, 3]), &[1, 2]),
    );
    let v3_new_keys = registry_text(&registry_doc(3, &[3, 4]), &[3, 4]);
    let v3_both = registry_text(&registry_doc(3, &[3, 4]), &[2, 3, 4]);
    let now = T0;
    let reg = |g: &mut Gen,
               name: &str,
               description: &str,
               trusted: Option<&str>,
               offered: String,
               now: &str,
               expected: Value| {
        let id = format!("registry/{name}");
        registry_vector(g, &id, description, trusted, offered, now, expected);
    };
    reg(
        g,
        "bootstrap",
        "a first registry signed by 2 of its 3 operator keys",
        None,
        v1.clone(),
        now,
        json!({"outcome": "accepted", "version": 1}),
    );
    reg(
        g,
        "bootstrap-one-signature",
        "signed by 1 of 3 with threshold 2",
        None,
        registry_text(&registry_doc(1, &[0, 1, 2]), &[0]),
        now,
        refused("registry.threshold"),
    );
    reg(
        g,
        "bootstrap-stranger-signature",
        "a signature by a key that is not an operator key counts for nothing",
        None,
        registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 4]),
        now,
        refused("registry.threshold"),
    );
    reg(
        g,
        "bootstrap-expired",
        "a registry past its expiry",
        None,
        v1.clone(),
        "2031-01-01T00:00:00+08:00",
        refused("registry.expired"),
    );
    reg(
        g,
        "bootstrap-expired-and-under-signed",
        "a first registry past its expiry and signed by 1 of 3 with threshold 2: the threshold is checked first (§16)",
        None,
        registry_text(&registry_doc(1, &[0, 1, 2]), &[0]),
        "2031-01-01T00:00:00+08:00",
        refused("registry.threshold"),
    );
    reg(
        g,
        "update",
        "v2 rotates key 0 out and key 3 in, signed by keys 1 and 2",
        Some(&v1),
        v2.clone(),
        now,
        json!({"outcome": "accepted", "version": 2}),
    );
    reg(
        g,
        "update-same-version",
        "v1 offered again",
        Some(&v1),
        v1.clone(),
        now,
        refused("registry.rollback"),
    );
    reg(
        g,
        "update-older-unsigned-by-trusted",
        "v1 offered to a reader that trusts v2 is not signed by a threshold of v2's keys",
        Some(&v2),
        v1.clone(),
        now,
        refused("registry.threshold"),
    );
    reg(
        g,
        "update-new-keys-only",
        "v3 signed only by its own new keys 3 and 4",
        Some(&v2),
        v3_new_keys,
        now,
        refused("registry.threshold"),
    );
    reg(
        g,
        "update-old-and-new-keys",
        "v3 signed by key 2 (trusted) and 3, 4 (its own)",
        Some(&v2),
        v3_both.clone(),
        now,
        json!({"outcome": "accepted", "version": 3}),
    );
    reg(
        g,
        "update-skipping-a-version",
        "v1's keys did not sign v3: updates apply in order",
        Some(&v1),
        v3_both,
        now,
        refused("registry.threshold"),
    );
    let older = registry_text(&registry_doc(1, &[1, 2, 3]), &[1, 2]);
    reg(
        g,
        "update-rollback",
        "a version-1 registry validly signed by v2's keys, offered to a reader that trusts v2",
        Some(&v2),
        older,
        now,
        refused("registry.rollback"),
    );
    let mut expired = registry_doc(1, &[0, 1, 2]);
    expired.expires = ts("2026-06-30T00:00:00+08:00");
    let expired = registry_text(&expired, &[0, 1]);
    let v2_from_expired = registry_text(&registry_doc(2, &[0, 1, 2]), &[0, 1]);
    reg(
        g,
        "update-from-expired",
        "an expired trusted registry still authorizes its successor",
        Some(&expired),
        v2_from_expired,
        now,
        json!({"outcome": "accepted", "version": 2}),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.operator.threshold = 4;
    reg(
        g,
        "threshold-too-high",
        "a threshold larger than the number of operator keys",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("registry.invalid"),
    );
    reg(
        g,
        "duplicate-signature",
        "one operator key signing twice",
        None,
        registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 0]),
        now,
        refused("registry.invalid"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    let mut identity = [0u8; 32];
    identity[0] = 1;
    doc.members[0].keys[0].public_key = tongban::crypto::base64url(&identity);
    reg(
        g,
        "weak-member-key",
        "a member key of small order",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("key.weak"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.members[0].keys[0].public_key = "AAAA".into();
    reg(
        g,
        "malformed-member-key",
        "a member key of 3 bytes",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("key.malformed"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.agreements[2].items[0]
        .form_schema
        .insert("$ref".into(), json!("https://example.com/form.json"));
    reg(
        g,
        "remote-form-schema",
        "a form schema that refers to a remote document",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("registry.invalid"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.members[1].endpoint = "http://huangshi.example".into();
    reg(
        g,
        "plain-http-endpoint",
        "an endpoint that is not https",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("registry.invalid"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    if let Some(year) = doc.calendar.years.get_mut(&2026) {
        year.working_weekends.insert(must(
            "date",
            tongban::calendar::CalendarDate::parse("2026-11-30"),
        ));
    }
    reg(
        g,
        "calendar-weekday-as-working-weekend",
        "a Monday listed as a working weekend day",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("registry.invalid"),
    );
    v1
}

pub(super) fn variant(g: &mut Gen, name: &str, edit: impl FnOnce(&mut RegistryDocument)) -> String {
    let mut doc = registry_doc(1, &[0, 1, 2]);
    edit(&mut doc);
    g.fixture(name, registry_text(&doc, &[0, 1]))
}

pub(super) fn checks(g: &mut Gen, registry: &str) {
    let revoked = variant(g, "registry-huangshi-key-revoked", |d| {
        d.members[1].keys[0].revoked = Some(ts("2026-06-01T00:00:00+08:00"))
    });
    let retired = variant(g, "registry-huangshi-key-retired", |d| {
        d.members[1].keys[0].valid_until = ts("2026-11-01T00:00:00+08:00")
    });
    let future = variant(g, "registry-agreement-not-yet-in-force", |d| {
        d.agreements[2].valid_from = ts("2027-01-01T00:00:00+08:00")
    });
    let window = variant(g, "registry-jiujiang-window-only", |d| {
        d.members[9].role = Role::ServiceWindow
    });
    let expired = variant(g, "registry-expired", |d| {
        d.expires = ts("2026-11-01T00:00:00+08:00")
    });
    let transfer = g.transfer(T0);
    let doc = must("value", transfer.to_value());
    let resign = |f: &dyn Fn(&mut Value)| resigned(&doc, f);
    let good = resign(&|_| {});
    let cases: Vec<(&str, &str, &str, String, Value)> = vec![
        (
            "valid",
            "a transfer that fits the bilateral agreement",
            registry,
            good.clone(),
            json!({"outcome": "accepted", "type": "transfer"}),
        ),
        (
            "unknown-member",
            "the receiver is not a member",
            registry,
            resign(&|d| d["to"] = json!("shanghai.310100")),
            refused("registry.unknown_member"),
        ),
        (
            "unknown-agreement",
            "an agreement the registry does not list",
            registry,
            resign(&|d| d["agreement"] = json!("no-such-agreement")),
            refused("agreement.unknown"),
        ),
        (
            "not-party",
            "Hefei is not a party to the Huangshi–Jiujiang agreement",
            registry,
            resign(&|d| d["to"] = json!("hefei.340100")),
            refused("agreement.not_party"),
        ),
        (
            "agreement-not-in-force",
            "the agreement starts in 2027",
            &future,
            good.clone(),
            refused("agreement.inactive"),
        ),
        (
            "unknown-item",
            "a Wuhan-circle item under the bilateral agreement",
            registry,
            resign(&|d| d["body"]["item"] = json!("WH-0002")),
            refused("item.unknown"),
        ),
        (
            "mode-not-allowed",
            "joint handling is not allowed for the barber-shop item",
            registry,
            resign(&|d| d["body"]["mode"] = json!("joint_handling")),
            refused("item.mode_not_allowed"),
        ),
        (
            "form-invalid",
            "1,000 employees is the form's maximum; 5,000 is refused",
            registry,
            resign(&|d| d["body"]["form"]["employees"] = json!(5000)),
            refused("item.form_invalid"),
        ),
        (
            "form-missing-field",
            "the form lacks the shop name",
            registry,
            resign(&|d| {
                d["body"]["form"]
                    .as_object_mut()
                    .map(|m| m.remove("shop_name"));
            }),
            refused("item.form_invalid"),
        ),
        (
            "material-missing",
            "the lease is missing",
            registry,
            resign(&|d| d["body"]["materials"][1]["name"] = json!("其他材料")),
            refused("item.material_missing"),
        ),
        (
            "key-revoked",
            "Huangshi's key was revoked in June",
            &revoked,
            good.clone(),
            refused("key.revoked"),
        ),
        (
            "key-retired",
            "Huangshi's key was valid until 1 November",
            &retired,
            good.clone(),
            refused("key.outside_validity"),
        ),
        (
            "wrong-role",
            "Jiujiang is a service window only",
            &window,
            good.clone(),
            refused("agreement.wrong_role"),
        ),
        (
            "version-not-spoken",
            "a 1.3 message; both members speak 1.0",
            registry,
            resign(&|d| d["protocol"] = json!("1.3")),
            refused("version.not_negotiated"),
        ),
        (
            "registry-expired",
            "the registry expired on 1 November",
            &expired,
            good.clone(),
            refused("registry.expired"),
        ),
    ];
    for (name, description, registry, message, result) in cases {
        verify_vector(
            g,
            &format!("checks/{name}"),
            description,
            ("registry", registry),
            vec![at(message, T1)],
            vec![result],
        );
    }
    // Parties by region: the Wuhan circle (prefectures) and the cross-province alliance.
    let medical = g.envelope(HUANGSHI, "xiaogan.420900", "wuhan-circle.cross-city", Body::Transfer(form_transfer("WH-0001", &["身份证", "参保凭证"], json!({"insured_name": "陈丽华", "from_region": "420200", "to_region": "420900", "insurance_type": "职工基本医疗保险"}), HandlingMode::FullyOnline)), T0);
    verify_vector(
        g,
        "checks/party-by-prefecture",
        "Xiaogan is a party to the Wuhan circle by its region code",
        ("registry", registry),
        vec![at(signed(medical, HUANGSHI), T1)],
        vec![accepted()],
    );
    let transport = g.envelope(HUANGSHI, "changsha.430100", "yunshangban.cross-province", Body::Transfer(form_transfer("YSB-0101", &["身份证", "原从业资格证"], json!({"holder_name": "陈丽华", "certificate_no": "420202001234", "category": "道路货物运输驾驶员"}), HandlingMode::FullyOnline)), T0);
    verify_vector(
        g,
        "checks/party-by-province",
        "Changsha is a party to the alliance by its province code 430000",
        ("registry", registry),
        vec![at(signed(transport, HUANGSHI), T1)],
        vec![accepted()],
    );
}

/// An agreement's end (§17 step 2): transfers stop at `valid_until`, the other
/// messages of open cases are accepted for 180 days more (inclusive), then nothing is.
/// Generated after the rest, so that the earlier vectors keep their ids.
pub(super) fn agreement_end(g: &mut Gen) {
    const END: &str = "2026-11-27T23:59:59+08:00";
    let ended = variant(g, "registry-agreement-ended", |d| {
        d.agreements[2].valid_until = ts(END)
    });
    let wind_down_end = must("time", ts(END).plus_seconds(180 * 24 * 3600));
    let after = must("time", wind_down_end.plus_seconds(1));
    let decision = |g: &mut Gen, created: &Timestamp| {
        let body = must(
            "body",
            sample::body(MessageType::Decision, &Sha256Digest::of(b"x")),
        );
        let envelope = g.envelope(
            JIUJIANG,
            HUANGSHI,
            sample::AGREEMENT,
            body,
            created.as_str(),
        );
        let now = must("time", created.plus_seconds(60));
        at(signed(envelope, JIUJIANG), now.as_str())
    };
    let transfer = g.transfer(T0);
    let cases = vec![
        (
            "agreement-ended-transfer",
            "the agreement ended the day before: a new transfer is refused",
            at(signed(transfer, HUANGSHI), T1),
            refused("agreement.inactive"),
        ),
        (
            "agreement-wind-down-decision",
            "the agreement ended the day before: a decision of an open case is accepted during the wind-down",
            decision(g, &ts(T0)),
            json!({"outcome": "accepted", "type": "decision"}),
        ),
        (
            "agreement-wind-down-last-second",
            "a decision created exactly 180 days after the agreement's end is accepted (the bound is inclusive)",
            decision(g, &wind_down_end),
            json!({"outcome": "accepted", "type": "decision"}),
        ),
        (
            "agreement-after-wind-down",
            "a decision created one second after the wind-down is refused",
            decision(g, &after),
            refused("agreement.inactive"),
        ),
    ];
    for (name, description, message, result) in cases {
        verify_vector(
            g,
            &format!("checks/{name}"),
            description,
            ("registry", &ended),
            vec![message],
            vec![result],
        );
    }
}

pub(super) fn form_transfer(
    item: &str,
    materials: &[&str],
    form: Value,
    mode: HandlingMode,
) -> Transfer {
    let mut transfer = must("transfer", sample::transfer_body());
    transfer.item = must("item", ItemCode::parse(item));
    transfer.item_name = catalogue_name(item);
    transfer.mode = mode;
    for (file, name) in transfer.materials.iter_mut().zip(materials) {
        file.name = (*name).to_string();
    }
    transfer.materials.truncate(materials.len());
    transfer.form = match form {
        Value::Object(map) => map,
        _ => FormData::new(),
    };
    transfer
}

/// The name the sample catalogue gives item `code` (§17 step 6: a transfer's
/// `item_name` is exactly that).
pub(super) fn catalogue_name(code: &str) -> String {
    registry_doc(1, &[0])
        .agreements
        .iter()
        .flat_map(|agreement| &agreement.items)
        .find(|item| item.code.as_str() == code)
        .map(|item| item.name.clone())
        .unwrap_or_else(|| panic!("generator: no catalogue item {code}"))
}

/// Form schemas must be self-contained (§15): a `$dynamicRef` to another document is
/// refused like a `$ref`, however deep; a `$ref` member inside instance data (`examples`,
/// `const`, `enum`, `default`) is data, not a reference, and is accepted. Generated last,
/// so that the ids of earlier vectors stay as they were.
pub(super) fn form_schema_references(g: &mut Gen) {
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.agreements[2].items[0].form_schema.insert(
        "$defs".into(),
        json!({"shop": {"allOf": [{"$dynamicRef": "https://example.com/form.json#shop"}]}}),
    );
    registry_vector(
        g,
        "registry/remote-dynamic-ref-form-schema",
        "a form schema whose nested $dynamicRef names another document",
        None,
        registry_text(&doc, &[0, 1]),
        T0,
        refused("registry.invalid"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.agreements[2].items[0].form_schema.insert(
        "examples".into(),
        json!([{"$ref": "https://example.com/not-a-reference"}]),
    );
    registry_vector(
        g,
        "registry/ref-in-form-schema-data",
        "a form schema whose examples hold an object with a $ref member: data, not a reference",
        None,
        registry_text(&doc, &[0, 1]),
        T0,
        json!({"outcome": "accepted", "version": 1}),
    );
}

/// (1.1) A member's `tls_keys` (§15, §21.5): pins of 64 lowercase hex digits, at least
/// one when the member is present, each naming one member in the whole registry.
pub(super) fn tls_keys(g: &mut Gen) {
    let pin = |byte: u8| tongban::Sha256Digest::of(&[byte]).as_str().to_string();
    let with = |pins: &[(usize, Value)]| {
        let pins = pins.to_vec();
        super::settled::edited_registry(&move |d| {
            for (member, keys) in &pins {
                d["members"][*member]["tls_keys"] = keys.clone();
            }
        })
    };
    let cases = [
        (
            "tls-keys-named",
            "two members list the keys of their TLS certificates, one of them two keys (a rotation)",
            with(&[(0, json!([pin(1), pin(2)])), (1, json!([pin(3)]))]),
            json!({"outcome": "accepted", "version": 1}),
        ),
        (
            "tls-keys-empty",
            "a member lists an empty tls_keys: present, it names at least one key",
            with(&[(0, json!([]))]),
            refused("registry.invalid"),
        ),
        (
            "tls-key-uppercase",
            "a TLS key pin in uppercase hex: a pin is 64 lowercase hex digits",
            with(&[(0, json!([pin(1).to_uppercase()]))]),
            refused("registry.invalid"),
        ),
        (
            "tls-key-listed-twice",
            "a member lists the same TLS key pin twice",
            with(&[(0, json!([pin(1), pin(1)]))]),
            refused("registry.invalid"),
        ),
        (
            "tls-key-of-two-members",
            "two members list the same TLS key pin: a key names one member",
            with(&[(0, json!([pin(1)])), (2, json!([pin(1)]))]),
            refused("registry.invalid"),
        ),
    ];
    for (name, description, offered, expected) in cases {
        let id = format!("registry/{name}");
        registry_vector(g, &id, description, None, offered, T0, expected);
    }
}
