//! The national suite `sm2-sm3` (PROTOCOL §7, §8): transfers signed with SM2 alone and
//! beside Ed25519, and the traps other SM2 libraries fall into, each with the code it
//! must get: a DER signature, r or s out of range, another distinguishing identifier
//! than `1234567812345678`, a digest without Z, a key named under the other suite, and
//! public keys compressed, without their `04` prefix or off the curve.

use super::suites::with_signatures;
use super::*;
use ::sm2::dsa::signature::hazmat::PrehashSigner;
use ::sm2::dsa::signature::Signer;
use sm3::Digest;

pub(super) fn sm2(g: &mut Gen) {
    let keys = keys_fixture(g);
    signatures(g, &keys);
    public_keys(g);
    agreements(g);
}

/// The sample key set with both nodes' SM2 keys beside their Ed25519 keys.
fn key_set_value() -> Value {
    let mut keys = must("keys", sample::key_set());
    for node in [HUANGSHI, JIUJIANG] {
        keys.insert(must("key", sample::sm2_key(node)).trusted_key());
    }
    must("keys", serde_json::to_value(keys.to_file()))
}

fn keys_fixture(g: &mut Gen) -> String {
    g.fixture("keys-sample-with-sm2", text(&key_set_value()))
}

/// Huangshi's sample SM2 signing key with distinguishing identifier `id`.
fn huangshi_sm2(id: &str) -> ::sm2::dsa::SigningKey {
    let seed = sample::seed(&format!("{HUANGSHI}#sm2"));
    let secret = must("scalar", ::sm2::SecretKey::from_bytes(&seed.into()));
    must("key", ::sm2::dsa::SigningKey::new(id, &secret))
}

/// A signature entry by Huangshi's SM2 key (`kid` `huangshi.420200#sm2`) over
/// `document`, made by `sign` from the bytes of §7 step 3.
fn sm2_entry(document: &Value, alg: &str, sign: &dyn Fn(&[u8]) -> Vec<u8>) -> Value {
    let kid = format!("{HUANGSHI}#sm2");
    let mut unsigned = document.clone();
    if let Some(members) = unsigned.as_object_mut() {
        members.remove("signatures");
    }
    let input = tongban::signing::signing_input(&unsigned, "sm2-sm3", &kid);
    let sig = tongban::crypto::base64url(&sign(&input));
    json!({"alg": alg, "kid": kid, "sig": sig})
}

/// The DER form of an `r‖s` signature: SEQUENCE { INTEGER r, INTEGER s }.
pub(super) fn der(signature: &[u8]) -> Vec<u8> {
    let integer = |bytes: &[u8]| {
        let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        let mut value = if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
            vec![0]
        } else {
            Vec::new()
        };
        value.extend(trimmed);
        let mut out = vec![0x02, value.len() as u8];
        out.extend(value);
        out
    };
    let mut body = integer(&signature[..32]);
    body.extend(integer(&signature[32..]));
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// The order n of the SM2 curve, big-endian.
const ORDER: &str = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123";

pub(super) fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| must("hex", u8::from_str_radix(&text[i..i + 2], 16)))
        .collect()
}

/// Signs with `key`: a deterministic SM2 signature `r‖s`.
fn sign_with(key: &::sm2::dsa::SigningKey) -> impl Fn(&[u8]) -> Vec<u8> {
    let key = key.clone();
    move |input: &[u8]| {
        let signature: ::sm2::dsa::Signature = key.sign(input);
        signature.to_bytes().to_vec()
    }
}

/// The sample transfer created at T0 without signatures, with Huangshi's Ed25519 and
/// SM2 signature entries over it.
fn transfer_with_entries(g: &mut Gen) -> (Value, Value, Value) {
    let transfer = g.transfer(T0);
    let ed25519_signed: Value = must("json", serde_json::from_str(&signed(transfer, HUANGSHI)));
    let ed25519 = ed25519_signed["signatures"][0].clone();
    let mut document = ed25519_signed;
    if let Some(members) = document.as_object_mut() {
        members.remove("signatures");
    }
    let standard = huangshi_sm2(tongban::crypto::SM2_DISTINGUISHING_ID);
    let sm2 = sm2_entry(&document, "sm2-sm3", &sign_with(&standard));
    (document, ed25519, sm2)
}

fn signatures(g: &mut Gen, keys: &str) {
    let (document, ed25519, sm2) = transfer_with_entries(g);
    let standard = huangshi_sm2(tongban::crypto::SM2_DISTINGUISHING_ID);
    let raw = tongban::crypto::from_base64url(sm2["sig"].as_str().unwrap_or_default())
        .unwrap_or_default();
    let with_sig = |bytes: Vec<u8>| {
        let mut entry = sm2.clone();
        entry["sig"] = json!(tongban::crypto::base64url(&bytes));
        entry
    };
    let mut zero_r = raw.clone();
    zero_r[..32].fill(0);
    let mut s_is_n = raw.clone();
    s_is_n[32..].copy_from_slice(&hex(ORDER));
    let node_id = sm2_entry(&document, "sm2-sm3", &sign_with(&huangshi_sm2(HUANGSHI)));
    let without_z = sm2_entry(&document, "sm2-sm3", &|input: &[u8]| {
        let digest = sm3::Sm3::digest(input);
        let signature: ::sm2::dsa::Signature =
            must("sign", standard.sign_prehash(digest.as_slice()));
        signature.to_bytes().to_vec()
    });
    let mut named_ed25519 = sm2.clone();
    named_ed25519["alg"] = json!("ed25519");
    let mut ed25519_named_sm2 = ed25519.clone();
    ed25519_named_sm2["alg"] = json!("sm2-sm3");
    let message = |entries: Vec<Value>| with_signatures(&document, entries);
    let mut tampered = document.clone();
    tampered["body"]["applicant"]["name"] = json!("王丽华");
    tampered["signatures"] = json!([sm2.clone()]);
    let accepted = json!({"outcome": "accepted", "type": "transfer"});
    let cases: Vec<(&str, &str, String, Value)> = vec![
        (
            "sm2-transfer",
            "a transfer signed with Huangshi's SM2 key alone (suite sm2-sm3: r‖s over SM3(Z‖M), Z for the identifier 1234567812345678)",
            message(vec![sm2.clone()]),
            accepted.clone(),
        ),
        (
            "sm2-and-ed25519",
            "a transfer signed with Huangshi's SM2 and Ed25519 keys: both are checked",
            message(vec![sm2.clone(), ed25519.clone()]),
            accepted,
        ),
        (
            "sm2-tampered-body",
            "the applicant's name changed after the SM2 signature",
            text(&tampered),
            refused("signature.invalid"),
        ),
        (
            "sm2-der-signature",
            "the SM2 signature in DER (SEQUENCE of two INTEGERs), as many libraries write it: the protocol's form is r‖s, 64 bytes",
            message(vec![with_sig(der(&raw))]),
            refused("signature.malformed"),
        ),
        (
            "sm2-r-zero",
            "an SM2 signature whose r is 0",
            message(vec![with_sig(zero_r)]),
            refused("signature.invalid"),
        ),
        (
            "sm2-s-equal-to-the-order",
            "an SM2 signature whose s is n, the order of the curve: r and s lie in 1..n − 1",
            message(vec![with_sig(s_is_n)]),
            refused("signature.invalid"),
        ),
        (
            "sm2-node-id-as-distinguishing-identifier",
            "an SM2 signature whose Z was computed with the node id (huangshi.420200) for the identifier: the protocol's is 1234567812345678",
            message(vec![node_id]),
            refused("signature.invalid"),
        ),
        (
            "sm2-digest-without-z",
            "an SM2 signature over SM3 of the signed bytes alone, without Z in front",
            message(vec![without_z]),
            refused("signature.invalid"),
        ),
        (
            "sm2-key-named-as-ed25519",
            "the SM2 signature under alg ed25519: Huangshi's SM2 key is no Ed25519 key",
            message(vec![named_ed25519]),
            refused("signature.unknown_key"),
        ),
        (
            "ed25519-key-named-as-sm2",
            "the Ed25519 signature under alg sm2-sm3: Huangshi's Ed25519 key is no SM2 key",
            message(vec![ed25519_named_sm2]),
            refused("signature.unknown_key"),
        ),
    ];
    message_vectors(g, "signatures", ("keys", keys), cases);
}

/// An SM2 public key has one encoding: the uncompressed point `04‖x‖y` on the curve.
fn public_keys(g: &mut Gen) {
    let message = signed(g.transfer(T0), HUANGSHI);
    let point = must("key", sample::sm2_key(HUANGSHI))
        .public_key()
        .as_bytes()
        .to_vec();
    let mut compressed = vec![0x02 | (point[64] & 1)];
    compressed.extend(&point[1..33]);
    let mut off_curve = point.clone();
    off_curve[64] ^= 1;
    // x = p, the field's modulus: no coordinate, though x mod p = 0 may be one.
    let mut x_is_p = point.clone();
    x_is_p[1..33].copy_from_slice(&hex(
        "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF",
    ));
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "sm2-compressed-point",
            "Huangshi's SM2 key as a compressed point (02 or 03 and x)",
            compressed,
        ),
        (
            "sm2-without-04",
            "Huangshi's SM2 key as x‖y, 64 bytes without the 04 prefix",
            point[1..].to_vec(),
        ),
        (
            "sm2-off-the-curve",
            "an SM2 key whose y is changed in its last bit: not on the curve",
            off_curve,
        ),
        (
            "sm2-coordinate-p",
            "an SM2 key whose x is p, the field's modulus",
            x_is_p,
        ),
    ];
    for (name, description, bytes) in cases {
        let mut keys = key_set_value();
        for entry in keys["keys"].as_array_mut().into_iter().flatten() {
            if entry["kid"] == json!(format!("{HUANGSHI}#sm2")) {
                entry["public_key"] = json!(tongban::crypto::base64url(&bytes));
            }
        }
        // The key set is refused as it loads, before any message.
        g.push(
            &format!("hostile/keys/{name}"),
            description,
            "verify",
            json!({"keys": text(&keys), "messages": [at(message.clone(), T1)]}),
            refused("key.malformed"),
        );
    }
}

/// The sample registry with both nodes' SM2 keys beside their Ed25519 keys and the
/// Huangshi–Jiujiang agreement's `suite` set to `suite` (absent: Ed25519).
fn registry_with_suite(suite: Option<&'static str>) -> String {
    super::settled::edited_registry(&move |d| {
        for member in d["members"].as_array_mut().into_iter().flatten() {
            let node = member["node"].as_str().unwrap_or_default().to_string();
            if node == HUANGSHI || node == JIUJIANG {
                let key = must("key", sample::sm2_key(&node));
                let entry = json!({
                    "kid": key.key_id(), "alg": "sm2-sm3",
                    "public_key": tongban::crypto::base64url(key.public_key().as_bytes()),
                    "valid_from": "2025-01-01T00:00:00+08:00",
                    "valid_until": "2030-12-31T23:59:59+08:00",
                });
                // Huangshi, of the Wuhan circle, already lists it.
                if let Some(keys) = member["keys"].as_array_mut() {
                    if !keys.iter().any(|k| k["kid"] == entry["kid"]) {
                        keys.push(entry);
                    }
                }
            }
        }
        for agreement in d["agreements"].as_array_mut().into_iter().flatten() {
            if let (Some(suite), true) = (suite, agreement["id"] == json!(sample::AGREEMENT)) {
                agreement["suite"] = json!(suite);
            }
        }
    })
}

/// An agreement's suite decides what its senders sign with (§17 step 5).
fn agreements(g: &mut Gen) {
    let gm = registry_with_suite(Some("sm2-sm3"));
    let gm = g.fixture("registry-huangshi-jiujiang-on-sm2", gm);
    let default = registry_with_suite(None);
    let default = g.fixture("registry-with-sm2-keys", default);
    let unknown = registry_with_suite(Some("ml-dsa-65"));
    let (document, ed25519, sm2) = transfer_with_entries(g);
    let message = |entries: Vec<Value>| with_signatures(&document, entries);
    let mut unknown_item = document.clone();
    unknown_item["body"]["item"] = json!("HB-JX-9999");
    let unknown_item = signed_value(unknown_item, HUANGSHI);
    let accepted = json!({"outcome": "accepted", "type": "transfer"});
    let wrong_suite = refused("agreement.wrong_suite");
    let cases: Vec<(&str, &str, &str, String, Value)> = vec![
        (
            "sm2-agreement-signed-with-sm2",
            "under an agreement whose suite is sm2-sm3, a transfer signed with Huangshi's SM2 key",
            &gm, message(vec![sm2.clone()]), accepted.clone(),
        ),
        (
            "sm2-agreement-signed-with-ed25519",
            "under an agreement whose suite is sm2-sm3, a transfer signed with Huangshi's Ed25519 key only: valid, but not in the agreement's suite",
            &gm, message(vec![ed25519.clone()]), wrong_suite.clone(),
        ),
        (
            "sm2-agreement-signed-with-both",
            "under an agreement whose suite is sm2-sm3, a transfer signed with both of Huangshi's keys",
            &gm, message(vec![ed25519.clone(), sm2.clone()]), accepted.clone(),
        ),
        (
            "ed25519-agreement-signed-with-sm2",
            "under an agreement that names no suite (Ed25519), a transfer signed with Huangshi's SM2 key only",
            &default, message(vec![sm2.clone()]), wrong_suite.clone(),
        ),
        (
            "ed25519-agreement-signed-with-both",
            "under an agreement that names no suite, a transfer signed with both of Huangshi's keys",
            &default, message(vec![sm2, ed25519]), accepted,
        ),
        (
            "wrong-suite-before-the-item",
            "under the sm2-sm3 agreement, an Ed25519-signed transfer of an item the catalogue lacks: the suite is checked first",
            &gm, unknown_item, wrong_suite.clone(),
        ),
    ];
    for (name, description, registry, message, expected) in cases {
        message_vectors(
            g,
            "checks",
            ("registry", registry),
            vec![(name, description, message, expected)],
        );
    }
    let message = signed(g.transfer(T0), HUANGSHI);
    message_vectors(
        g,
        "checks",
        ("registry", &unknown),
        vec![(
            "agreement-suite-the-reader-does-not-implement",
            "an agreement whose suite (ml-dsa-65) this reader does not implement: none of its messages can be checked in it",
            message,
            wrong_suite,
        )],
    );
}
