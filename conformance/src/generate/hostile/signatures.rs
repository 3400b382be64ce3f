//! Keys and signatures under attack (§7, §8): Ed25519 edge cases, forged, misplaced and
//! malformed signatures.

use super::ed25519::{self, Signer};
use super::*;
use curve25519_dalek::scalar::Scalar;

/// The sample key set with Huangshi's public key replaced by `public_key`.
fn key_set_with(keys: &str, public_key: &[u8]) -> String {
    let mut file: Value = must("keys", serde_json::from_str(keys));
    if let Some(entries) = file["keys"].as_array_mut() {
        for entry in entries.iter_mut().filter(|e| e["owner"] == HUANGSHI) {
            entry["public_key"] = json!(tongban::crypto::base64url(public_key));
        }
    }
    text(&file)
}

/// `document` (without signatures) carrying one Ed25519 signature entry by Huangshi's
/// key id, with the signature bytes `signature`.
fn with_signature(document: &Value, signature: &[u8]) -> String {
    let mut document = document.clone();
    document["signatures"] = json!([{
        "alg": "ed25519",
        "kid": format!("{HUANGSHI}#sample"),
        "sig": tongban::crypto::base64url(signature),
    }]);
    text(&document)
}

/// The bytes Huangshi's key signs for `document` (§7 step 3).
fn signing_input(document: &Value) -> Vec<u8> {
    tongban::signing::signing_input(document, "ed25519", &format!("{HUANGSHI}#sample"))
}

/// Key sets holding a hostile public key for Huangshi: each is refused when it is
/// loaded, before any message is looked at.
pub(super) fn keys(g: &mut Gen) {
    let sample_keys = must("keys", sample::key_set()).to_file();
    let sample_keys = text(&must("keys", serde_json::to_value(sample_keys)));
    let transfer = g.transfer(T0);
    let document = must("value", transfer.to_value());
    let input = signing_input(&document);
    let push = |g: &mut Gen,
                name: &str,
                description: &str,
                public_key: &[u8],
                signature: &[u8],
                code: &str| {
        g.push(
            &format!("hostile/keys/{name}"),
            description,
            "verify",
            json!({"keys": key_set_with(&sample_keys, public_key), "messages": [at(with_signature(&document, signature), T1)]}),
            refused(code),
        );
    };
    // ed25519-speccheck case 0: small-order A and R with S = 0 satisfy the cofactored
    // equation for every message.
    for (name, point) in ed25519::small_order_points() {
        let encoded = ed25519::encode(&point);
        push(
            g,
            &format!("small-order-{name}"),
            &format!("a public key of small order ({name}), with R = A and S = 0: cofactored verification accepts any message"),
            &encoded,
            &ed25519::signature(encoded, &Scalar::ZERO),
            "key.weak",
        );
    }
    let huangshi = Signer::from_seed(&sample::seed(HUANGSHI));
    for order in [2, 4, 8] {
        let mixed = huangshi.with_torsion(&ed25519::torsion_of_order(order));
        push(
            g,
            &format!("mixed-order-{order}"),
            &format!("Huangshi's key plus a point of order {order} (mixed order), signing honestly: verifiers disagree on such keys"),
            &mixed.public,
            &mixed.sign_with_torsion(&ed25519::torsion_of_order(1), &input),
            "key.weak",
        );
    }
    for (name, encoded) in ed25519::non_canonical_encodings() {
        push(
            g,
            &format!("non-canonical-{name}"),
            &format!("a public key that decodes but is not canonically encoded ({name})"),
            &encoded,
            &ed25519::signature(encoded, &Scalar::ZERO),
            "key.malformed",
        );
    }
    let off_curve = ed25519::off_curve();
    push(
        g,
        "off-curve",
        "a y coordinate with no point on the curve",
        &off_curve,
        &[0; 64],
        "key.malformed",
    );
    let valid = huangshi.sign_with_torsion(&ed25519::torsion_of_order(1), &input);
    for (length, what) in [
        (0, "an empty public key"),
        (31, "a 31-byte public key"),
        (33, "a 33-byte public key"),
        (64, "a 64-byte public key"),
    ] {
        let mut bytes = huangshi.public.to_vec();
        bytes.resize(length, 0);
        push(
            g,
            &format!("length-{length}"),
            what,
            &bytes,
            &valid,
            "key.malformed",
        );
    }
}

pub(super) fn signatures(g: &mut Gen, keys: &str) {
    let trust = ("keys", keys);
    let transfer = g.transfer(T0);
    let document = must("value", transfer.to_value());
    let input = signing_input(&document);
    let huangshi = Signer::from_seed(&sample::seed(HUANGSHI));
    let honest = huangshi.sign_with_torsion(&ed25519::torsion_of_order(1), &input);
    let good = with_signature(&document, &honest);
    let push = |g: &mut Gen, name: &str, description: &str, message: String, result: Value| {
        verify_one(
            g,
            &format!("hostile/signatures/{name}"),
            description,
            trust,
            at(message, T1),
            result,
        );
    };
    push(
        g,
        "own-nonce",
        "a valid signature with a nonce of our own choosing (the baseline of this folder)",
        good.clone(),
        accepted(),
    );
    // Small-order R with S = k·a: the cofactored equation holds, and for the identity
    // also the cofactorless one; verify_strict refuses every small-order R.
    for (name, point) in ed25519::small_order_points() {
        let r = ed25519::encode(&point);
        push(
            g,
            &format!("small-order-r-{name}"),
            &format!("R of small order ({name}) and S = k·a"),
            with_signature(&document, &huangshi.sign_with(r, Scalar::ZERO, &input)),
            refused("signature.invalid"),
        );
    }
    for order in [2, 4, 8] {
        push(
            g,
            &format!("mixed-order-r-{order}"),
            &format!("R = r·B plus a point of order {order}: only a cofactored verifier accepts"),
            with_signature(
                &document,
                &huangshi.sign_with_torsion(&ed25519::torsion_of_order(order), &input),
            ),
            refused("signature.invalid"),
        );
    }
    // The identity, encoded as y = p + 1 or with x = −0: with S = k·a even the
    // cofactorless equation holds; only the encoding check refuses these.
    let identity_encodings = ed25519::non_canonical_encodings()
        .into_iter()
        .filter(|(name, _)| name == "y-is-p-plus-1" || name == "identity-negative-zero-x");
    for (name, r) in identity_encodings {
        push(
            g,
            &format!("non-canonical-r-{name}"),
            &format!("R not canonically encoded ({name}), S = k·a over that encoding"),
            with_signature(&document, &huangshi.sign_with(r, Scalar::ZERO, &input)),
            refused("signature.invalid"),
        );
    }
    let mut s_plus_2l = honest;
    for _ in 0..2 {
        super::super::messages::add_group_order(&mut s_plus_2l[32..]);
    }
    push(
        g,
        "s-plus-2l",
        "S + 2L: a second malleated form",
        with_signature(&document, &s_plus_2l),
        refused("signature.invalid"),
    );
    let mut high_bits = honest;
    high_bits[63] |= 0xe0;
    push(
        g,
        "s-high-bits",
        "S with its top three bits set: verifiers that mask them accept",
        with_signature(&document, &high_bits),
        refused("signature.invalid"),
    );
    let mut identity_zero = [0u8; 64];
    identity_zero[0] = 1;
    push(
        g,
        "identity-r-zero-s",
        "R the identity and S = 0",
        with_signature(&document, &identity_zero),
        refused("signature.invalid"),
    );
    push(
        g,
        "all-zero",
        "64 zero bytes",
        with_signature(&document, &[0; 64]),
        refused("signature.invalid"),
    );
    for (length, what) in [
        (0, "an empty signature"),
        (32, "only R"),
        (65, "65 bytes"),
        (128, "two signatures end to end"),
    ] {
        let mut bytes = [honest, honest].concat();
        bytes.truncate(length);
        push(
            g,
            &format!("length-{length}"),
            what,
            with_signature(&document, &bytes),
            refused("signature.malformed"),
        );
    }
    // Signatures over other bytes than §7's.
    let key = must("key", sample::key(HUANGSHI));
    let sign_text = |bytes: &[u8]| with_signature(&document, &must("sign", key.sign_bytes(bytes)));
    let canonical = String::from_utf8_lossy(&input).into_owned();
    push(
        g,
        "over-bare-document",
        "signed over the canonical envelope alone, without the alg and kid wrapper",
        sign_text(text(&document).as_bytes()),
        refused("signature.invalid"),
    );
    let escaped = escape_non_ascii(&canonical);
    push(
        g,
        "over-escaped-text",
        "signed over the signing input with every Chinese character escaped",
        sign_text(escaped.as_bytes()),
        refused("signature.invalid"),
    );
    let signed_first = format!(
        "{{\"signed\":{},\"alg\":\"ed25519\",\"kid\":\"{HUANGSHI}#sample\"}}",
        text(&document)
    );
    push(
        g,
        "over-unsorted-wrapper",
        "signed over the wrapper with \"signed\" first",
        sign_text(signed_first.as_bytes()),
        refused("signature.invalid"),
    );
    let mut utf16 = document.clone();
    utf16["body"]["form"]["\u{e000}"] = json!(2);
    utf16["body"]["form"]["\u{10000}"] = json!(1);
    let by_code_units = String::from_utf8_lossy(&signing_input(&utf16)).into_owned();
    let by_bytes = by_code_units.replacen(
        "\"\u{10000}\":1,\"\u{e000}\":2",
        "\"\u{e000}\":2,\"\u{10000}\":1",
        1,
    );
    push(
        g,
        "over-utf8-sorted-members",
        "signed over members sorted by UTF-8 bytes, not UTF-16 code units (U+E000, U+10000)",
        with_signature(&utf16, &must("sign", key.sign_bytes(by_bytes.as_bytes()))),
        refused("signature.invalid"),
    );
    push(
        g,
        "utf16-sorted-members",
        "the same members signed in UTF-16 order verify",
        with_signature(
            &utf16,
            &must("sign", key.sign_bytes(by_code_units.as_bytes())),
        ),
        accepted(),
    );
    let other = g.transfer("2026-11-28T10:00:30+08:00");
    let other = must("value", other.to_value());
    push(
        g,
        "copied-from-another-message",
        "a valid signature of another transfer by the same key",
        with_signature(
            &document,
            &must("sign", key.sign_bytes(&signing_input(&other))),
        ),
        refused("signature.invalid"),
    );
    let mut forged_countersignature: Value = must("json", serde_json::from_str(&good));
    if let Some(list) = forged_countersignature["signatures"].as_array_mut() {
        list.push(json!({"alg": "ed25519", "kid": format!("{JIUJIANG}#sample"), "sig": tongban::crypto::base64url(&honest)}));
    }
    push(
        g,
        "forged-countersignature",
        "the sender's valid signature and a countersignature that does not verify: every signature must",
        text(&forged_countersignature),
        refused("signature.invalid"),
    );
    // The signatures member moved, doubled or malformed.
    let good_doc: Value = must("json", serde_json::from_str(&good));
    let signatures = text(&good_doc["signatures"]);
    let unsigned = text(&document);
    push(
        g,
        "member-first",
        "signatures written first: not canonical order, the same canonical bytes",
        format!("{{\"signatures\":{signatures},{}", &unsigned[1..]),
        accepted(),
    );
    push(
        g,
        "member-twice",
        "the signatures member twice",
        good.replacen(
            ",\"signatures\":",
            &format!(",\"signatures\":{signatures},\"signatures\":"),
            1,
        ),
        refused("json.duplicate_key"),
    );
    let mut smuggled = good_doc.clone();
    smuggled["body"]["signatures"] = good_doc["signatures"].clone();
    push(
        g,
        "smuggled-into-body",
        "a copy of the signatures added to the body after signing",
        text(&smuggled),
        refused("signature.invalid"),
    );
    let entry = good_doc["signatures"][0].clone();
    let entry_edits: [(&str, &str, Value, &str); 11] = [
        (
            "stripped",
            "no signatures member at all",
            Value::Null,
            "signature.missing",
        ),
        (
            "empty",
            "an empty signatures array",
            json!([]),
            "signature.missing",
        ),
        (
            "kid-of-nobody",
            "a key id no trusted key has",
            json!([{"alg": "ed25519", "kid": "zhuhai.440400#1", "sig": entry["sig"]}]),
            "signature.unknown_key",
        ),
        (
            "as-object",
            "signatures as an object, not an array",
            entry.clone(),
            "message.invalid",
        ),
        (
            "entry-without-sig",
            "a signature entry without sig",
            json!([{"alg": "ed25519", "kid": entry["kid"]}]),
            "message.invalid",
        ),
        (
            "entry-without-kid",
            "a signature entry without kid",
            json!([{"alg": "ed25519", "sig": entry["sig"]}]),
            "message.invalid",
        ),
        (
            "alg-capitalized",
            "alg \"Ed25519\"",
            json!([{"alg": "Ed25519", "kid": entry["kid"], "sig": entry["sig"]}]),
            "signature.unsupported_algorithm",
        ),
        (
            "alg-eddsa",
            "alg \"EdDSA\" (the JOSE name)",
            json!([{"alg": "EdDSA", "kid": entry["kid"], "sig": entry["sig"]}]),
            "signature.unsupported_algorithm",
        ),
        (
            "alg-none",
            "alg \"none\"",
            json!([{"alg": "none", "kid": entry["kid"], "sig": ""}]),
            "signature.unsupported_algorithm",
        ),
        (
            "kid-empty",
            "an empty key id",
            json!([{"alg": "ed25519", "kid": "", "sig": entry["sig"]}]),
            "id.key_format",
        ),
        (
            "kid-too-long",
            "a key id of 129 characters",
            json!([{"alg": "ed25519", "kid": "k".repeat(129), "sig": entry["sig"]}]),
            "id.key_format",
        ),
    ];
    for (name, description, value, code) in entry_edits {
        let mut edited = good_doc.clone();
        if value.is_null() {
            edited.as_object_mut().map(|m| m.remove("signatures"));
        } else {
            edited["signatures"] = value;
        }
        push(g, name, description, text(&edited), refused(code));
    }
}
