//! Signatures and envelopes, verified against the sample key set.

use super::*;

pub(super) fn keys_fixture(g: &mut Gen) -> String {
    let keys = must("keys", sample::key_set()).to_file();
    g.fixture(
        "keys-sample",
        text(&must("keys", serde_json::to_value(keys))),
    )
}

/// Adds the Ed25519 group order L to a 32-byte little-endian scalar.
pub(super) fn add_group_order(scalar: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (byte, l) in scalar.iter_mut().zip(L) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
}

pub(super) fn signatures(g: &mut Gen, keys: &str) {
    let trust = ("keys", keys);
    let transfer = g.transfer(T0);
    let good = signed(transfer.clone(), HUANGSHI);
    let digest = Sha256Digest::of(good.as_bytes());
    verify_vector(
        g,
        "signatures/valid-transfer",
        "a transfer signed by the sender's key verifies",
        trust,
        vec![at(good.clone(), T1)],
        vec![json!({"outcome": "accepted", "type": "transfer", "sha256": digest})],
    );
    let doc: Value = must("json", serde_json::from_str(&good));
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        f(&mut d);
        text(&d)
    };
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "tampered-body",
            "the applicant's name changed after signing",
            edit(&|d| d["body"]["applicant"]["name"] = json!("王丽华")),
            "signature.invalid",
        ),
        (
            "tampered-header",
            "the expiry changed after signing",
            edit(&|d| d["expires"] = json!("2026-11-28T10:30:00+08:00")),
            "signature.invalid",
        ),
        (
            "kid-swapped",
            "the key id names the receiver's key",
            edit(&|d| d["signatures"][0]["kid"] = json!("jiujiang.360400#sample")),
            "signature.invalid",
        ),
        (
            "alg-unknown",
            "an algorithm the protocol does not define",
            edit(&|d| d["signatures"][0]["alg"] = json!("ml-dsa-65")),
            "signature.unsupported_algorithm",
        ),
        (
            "kid-unknown",
            "a key id nobody trusts",
            edit(&|d| d["signatures"][0]["kid"] = json!("wuhan.420100#1")),
            "signature.unknown_key",
        ),
        (
            "stripped",
            "the signatures member removed",
            edit(&|d| {
                d.as_object_mut().map(|m| m.remove("signatures"));
            }),
            "signature.missing",
        ),
        (
            "empty",
            "an empty signatures array",
            edit(&|d| d["signatures"] = json!([])),
            "signature.missing",
        ),
        (
            "not-base64url",
            "standard base64 with padding",
            edit(&|d| d["signatures"][0]["sig"] = json!("c2lnbmF0dXJl==")),
            "signature.malformed",
        ),
        (
            "truncated",
            "a 63-byte signature",
            edit(&|d| {
                let sig = d["signatures"][0]["sig"]
                    .as_str()
                    .map(|s| s[..84].to_string())
                    .unwrap_or_default();
                d["signatures"][0]["sig"] = json!(sig);
            }),
            "signature.malformed",
        ),
        (
            "duplicated",
            "the same signature twice",
            edit(&|d| {
                let first = d["signatures"][0].clone();
                if let Some(list) = d["signatures"].as_array_mut() {
                    list.push(first);
                }
            }),
            "signature.malformed",
        ),
        (
            "extra-member",
            "a signature entry with an extra member",
            edit(&|d| d["signatures"][0]["note"] = json!("x")),
            "message.invalid",
        ),
        (
            "moved",
            "signatures moved into the body",
            edit(&|d| {
                let sigs = d["signatures"].clone();
                d["body"]["signatures"] = sigs;
                d.as_object_mut().map(|m| m.remove("signatures"));
            }),
            "signature.missing",
        ),
        (
            "by-receiver",
            "signed by the receiver's key, not the sender's",
            signed(transfer.clone(), JIUJIANG),
            "signature.key_not_sender",
        ),
    ];
    for (name, description, message, code) in cases {
        verify_vector(
            g,
            &format!("signatures/{name}"),
            description,
            trust,
            vec![at(message, T1)],
            vec![refused(code)],
        );
    }
    // A signature over a non-canonical serialization (members in insertion order).
    let mut unsigned = doc.clone();
    unsigned.as_object_mut().map(|m| m.remove("signatures"));
    let key = must("key", sample::key(HUANGSHI));
    let wrong_bytes = format!(
        "{{\"alg\":\"ed25519\",\"kid\":\"{}\",\"signed\":{}}}",
        key.key_id(),
        must("json", serde_json::to_string_pretty(&unsigned))
    );
    let sig = tongban::crypto::base64url(&must("sign", key.sign_bytes(wrong_bytes.as_bytes())));
    let other = edit(&|d| d["signatures"][0]["sig"] = json!(sig));
    verify_vector(
        g,
        "signatures/non-canonical-input",
        "signed over pretty-printed, not canonical, bytes",
        trust,
        vec![at(other, T1)],
        vec![refused("signature.invalid")],
    );
    // Strict Ed25519: the same signature with S + L (the group order) in place of S.
    let sig_text = doc["signatures"][0]["sig"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut sig_bytes = tongban::crypto::from_base64url(&sig_text).unwrap_or_default();
    add_group_order(&mut sig_bytes[32..]);
    let malleated = tongban::crypto::base64url(&sig_bytes);
    let non_canonical_s = edit(&|d| d["signatures"][0]["sig"] = json!(malleated));
    verify_vector(
        g,
        "signatures/non-canonical-s",
        "S + L instead of S: a malleated signature strict verification refuses",
        trust,
        vec![at(non_canonical_s, T1)],
        vec![refused("signature.invalid")],
    );
    // Base64url whose unused trailing bits are not zero decodes to the same bytes in a
    // lax decoder; the protocol refuses it.
    let last = sig_text.chars().last().unwrap_or('A');
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap_or(0);
    let dirty = alphabet
        .chars()
        .nth((index & 0b11_0000) | 0b0001)
        .unwrap_or('B');
    let trailing = format!("{}{dirty}", &sig_text[..sig_text.len() - 1]);
    let trailing = edit(&|d| d["signatures"][0]["sig"] = json!(trailing));
    verify_vector(
        g,
        "signatures/base64url-trailing-bits",
        "non-zero unused bits in the last base64url character",
        trust,
        vec![at(trailing, T1)],
        vec![refused("signature.malformed")],
    );
    // Two valid signatures: the sender's and a countersignature.
    let mut both = transfer.clone();
    must("sign", both.sign(&must("key", sample::key(HUANGSHI))));
    must("sign", both.sign(&must("key", sample::key(JIUJIANG))));
    let both = text(&must("value", both.to_value()));
    verify_vector(
        g,
        "signatures/countersigned",
        "the sender's signature and a countersignature both verify",
        trust,
        vec![at(both, T1)],
        vec![json!({"outcome": "accepted", "type": "transfer"})],
    );
    // A 1.1 message with members a 1.0 reader does not know.
    let mut newer = doc.clone();
    newer["protocol"] = json!("1.1");
    newer["priority"] = json!("urgent");
    newer["body"]["appointment"] = json!({"slot": "周三上午"});
    let newer = signed_value(newer, HUANGSHI);
    verify_vector(
        g,
        "signatures/minor-version-extra-fields",
        "a 1.1 message with unknown members verifies; they are signed",
        trust,
        vec![at(newer.clone(), T1)],
        vec![json!({"outcome": "accepted", "sha256": Sha256Digest::of(newer.as_bytes())})],
    );
    let mut changed: Value = must("json", serde_json::from_str(&newer));
    changed["priority"] = json!("low");
    verify_vector(
        g,
        "signatures/minor-version-extra-field-tampered",
        "changing an unknown member breaks the signature",
        trust,
        vec![at(text(&changed), T1)],
        vec![refused("signature.invalid")],
    );
}

pub(super) fn envelope(g: &mut Gen, keys: &str) {
    let trust = ("keys", keys);
    for (i, message_type) in MessageType::ALL.iter().copied().enumerate() {
        let offset = 60 * (i as i64 + 1);
        let message = must("sample", sample::signed(message_type, offset));
        let now = must("time", ts(sample::CREATED).plus_seconds(offset + 30));
        let message = text(&must("value", message.to_value()));
        verify_vector(
            g,
            &format!("envelope/{}-valid", message_type.as_str()),
            &format!("a valid {} message", message_type.as_str()),
            trust,
            vec![at(message.clone(), now.as_str())],
            vec![
                json!({"outcome": "accepted", "type": message_type.as_str(), "sha256": Sha256Digest::of(message.as_bytes())}),
            ],
        );
    }
    let transfer = g.transfer(T0);
    let doc = must("value", transfer.to_value());
    let resign = |f: &dyn Fn(&mut Value)| resigned(&doc, f);
    let cases: Vec<(&str, &str, String, &str, &str)> = vec![
        (
            "major-2",
            "protocol major version 2",
            resign(&|d| d["protocol"] = json!("2.0")),
            T1,
            "version.unsupported_major",
        ),
        (
            "version-format",
            "protocol \"1\" is not MAJOR.MINOR",
            resign(&|d| d["protocol"] = json!("1")),
            T1,
            "version.format",
        ),
        (
            "unknown-type",
            "a message type version 1 does not define",
            resign(&|d| d["type"] = json!("gossip")),
            T1,
            "message.unknown_type",
        ),
        (
            "missing-type",
            "no type member",
            resign(&|d| {
                d.as_object_mut().map(|m| m.remove("type"));
            }),
            T1,
            "message.invalid",
        ),
        (
            "missing-field",
            "the transfer has no item",
            resign(&|d| {
                d["body"].as_object_mut().map(|m| m.remove("item"));
            }),
            T1,
            "message.invalid",
        ),
        (
            "wrong-type-field",
            "a material's size is a string",
            resign(&|d| d["body"]["materials"][0]["size"] = json!("big")),
            T1,
            "message.invalid",
        ),
        (
            "fraction",
            "a fraction in the form data",
            resign(&|d| d["body"]["form"]["employees"] = json!(3.5)),
            T1,
            "message.unsafe_number",
        ),
        (
            "integer-literal-with-exponent",
            "an integer written with an exponent",
            {
                let s = resign(&|_| {});
                s.replace("\"employees\":3", "\"employees\":3e0")
            },
            T1,
            "message.unsafe_number",
        ),
        (
            "huge-integer",
            "an integer beyond 2^53 − 1",
            resign(&|d| d["body"]["materials"][0]["size"] = json!(9_007_199_254_740_992u64)),
            T1,
            "message.unsafe_number",
        ),
        (
            "self-addressed",
            "from and to are the same node",
            resign(&|d| d["to"] = json!(HUANGSHI)),
            T1,
            "message.invalid",
        ),
        (
            "bad-window",
            "expires before created",
            resign(&|d| d["expires"] = json!("2026-11-28T09:00:00+08:00")),
            T1,
            "time.bad_window",
        ),
        (
            "window-too-long",
            "valid for more than 7 days",
            resign(&|d| d["expires"] = json!("2026-12-06T10:00:00+08:00")),
            T1,
            "time.bad_window",
        ),
        (
            "bad-timestamp",
            "created is not RFC 3339",
            resign(&|d| d["created"] = json!("2026-11-28 10:00")),
            T1,
            "time.format",
        ),
        (
            "bad-citizen-id",
            "the applicant's citizen ID has a wrong check digit",
            resign(&|d| d["body"]["applicant"]["citizen_id"] = json!("420202199001011232")),
            T1,
            "id.citizen_checksum",
        ),
        (
            "pilot-credit-code",
            "a credit code with a wrong check character is refused by default",
            resign(
                &|d| d["body"]["applicant"] = json!({"kind": "legal_entity", "name": "黄石市试点企业", "credit_code": "91360400MA35G1234N", "representative": "陈丽华"}),
            ),
            T1,
            "id.credit_checksum",
        ),
        (
            "bad-digest",
            "a material digest in upper case",
            resign(&|d| {
                d["body"]["materials"][0]["sha256"] =
                    json!("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
            }),
            T1,
            "id.digest_format",
        ),
        (
            "bad-node",
            "an upper-case sender",
            resign(&|d| d["from"] = json!("Huangshi")),
            T1,
            "id.node_format",
        ),
        (
            "duplicate-key",
            "a duplicate member inside the message",
            {
                let s = resign(&|_| {});
                s.replacen("{\"agreement\"", "{\"case\":\"X\",\"agreement\"", 1)
            },
            T1,
            "json.duplicate_key",
        ),
        (
            "created-in-future",
            "created 301 s after now",
            resign(&|_| {}),
            "2026-11-28T09:54:59+08:00",
            "time.not_yet_valid",
        ),
        (
            "expired",
            "verified 301 s after expiry",
            resign(&|_| {}),
            "2026-11-28T11:05:01+08:00",
            "time.expired",
        ),
    ];
    for (name, description, message, now, code) in cases {
        verify_vector(
            g,
            &format!("envelope/{name}"),
            description,
            trust,
            vec![at(message, now)],
            vec![refused(code)],
        );
    }
    let fine = resign(&|_| {});
    verify_vector(
        g,
        "envelope/skew-boundaries",
        "created exactly 300 s after now: within the clock-skew allowance",
        trust,
        vec![at(fine.clone(), "2026-11-28T09:55:00+08:00")],
        vec![json!({"outcome": "accepted"})],
    );
    verify_vector(
        g,
        "envelope/skew-boundary-expiry",
        "verified exactly 300 s after expiry",
        trust,
        vec![at(fine.clone(), "2026-11-28T11:05:00+08:00")],
        vec![json!({"outcome": "accepted"})],
    );
    verify_vector(
        g,
        "envelope/replay",
        "the same message twice: the second is a replay",
        trust,
        vec![
            at(fine.clone(), T1),
            at(fine.clone(), "2026-11-28T10:02:00+08:00"),
        ],
        vec![accepted(), refused("replay.duplicate")],
    );
    g.push(
        "envelope/wrong-receiver",
        "a message addressed to Jiujiang, verified by Huangshi",
        "verify",
        json!({"keys": keys, "receiver": HUANGSHI, "messages": [at(fine, T1)]}),
        json!({"outcome": "accepted", "results": [refused("message.wrong_receiver")]}),
    );
}
