//! Sealing to the receiver (PROTOCOL §24): known answers of both suites with fixed
//! ephemeral secrets, every way a box must fail to open (lifted, claimed, re-addressed,
//! moved, altered, malformed), the registry's sealing keys and their rotation (which key
//! a sender seals to, which a receiver still opens, the 7-day grace), and the registry's
//! checks of the keys it lists.

use super::registry::registry_vector;
use super::settled::edited_registry;
use super::sm2::hex;
use super::*;
use tongban::crypto::base64url;
use tongban::seal::{SealContext, SealedBox, SealingKeyPair, SealingSuite};

const HPKE: SealingSuite = SealingSuite::HpkeX25519Aes128Gcm;
const SM2: SealingSuite = SealingSuite::Sm2Sm4Gcm;
/// Jiujiang's and Wuhan's indices among the sample registry's members.
const JIUJIANG_MEMBER: usize = 9;
const WUHAN_MEMBER: usize = 0;
const WUHAN: &str = "wuhan.420100";
/// The id of the message every box of these vectors is bound to.
const MESSAGE: &str = "01KB5A7X000000000000000001";
/// A body's personal data, as a sender seals it (an invented person).
const PLAINTEXT: &str = r#"{"applicant":{"id_number":"420202199001011232","name":"柯雨桐","phone":"13800000000"},"form":{"reason":"工作调动"}}"#;

/// A sealing key of the sample's: the secret is the sample seed of its id.
fn key(node: &str, suffix: &str, suite: SealingSuite) -> SealingKeyPair {
    let kid = format!("{node}#{suffix}");
    must(
        "sealing key",
        SealingKeyPair::from_secret(
            must("kid", KeyId::parse(kid.as_str())),
            must("node", NodeId::parse(node)),
            suite,
            &sample::seed(&kid),
        ),
    )
}

/// The sample sealing key of `node` in `suite` (`<node>#seal`, `<node>#seal-sm2`).
pub(super) fn sample_key(node: &str, suite: SealingSuite) -> SealingKeyPair {
    must("sample sealing key", sample::sealing_key(node, suite))
}

/// The ephemeral secret of `label`: 32 bytes for HPKE; for SM2 the SM4 key and nonce
/// (28 bytes) and then `k` (32 bytes, below n).
pub(super) fn ephemeral(suite: SealingSuite, label: &str) -> Vec<u8> {
    let first = sample::seed(&format!("sealing vector ephemeral {label}"));
    match suite {
        SealingSuite::Sm2Sm4Gcm => {
            let k = sample::seed(&format!("sealing vector k {label}"));
            [&first[..28], &k[..]].concat()
        }
        _ => first.to_vec(),
    }
}

struct Names {
    from: NodeId,
    to: NodeId,
    id: MessageId,
}

fn names() -> Names {
    Names {
        from: must("node", NodeId::parse(HUANGSHI)),
        to: must("node", NodeId::parse(JIUJIANG)),
        id: must("id", MessageId::parse(MESSAGE)),
    }
}

fn context_json(from: &str, to: &str, id: &str, part: &str) -> Value {
    json!({"from": from, "to": to, "id": id, "part": part})
}

fn body_context() -> Value {
    context_json(HUANGSHI, JIUJIANG, MESSAGE, "body")
}

/// The context of the vectors' boxes: Huangshi to Jiujiang, message `MESSAGE`, part
/// `body`.
fn body_seal_context(names: &Names) -> SealContext<'_> {
    SealContext {
        from: &names.from,
        to: &names.to,
        id: &names.id,
        part: "body",
    }
}

fn sealed(receiver: &SealingKeyPair, label: &str) -> SealedBox {
    let names = names();
    let context = body_seal_context(&names);
    must(
        "seal",
        receiver.public_key().seal_with_ephemeral(
            receiver.key_id(),
            &context,
            PLAINTEXT.as_bytes(),
            &ephemeral(receiver.suite(), label),
        ),
    )
}

/// The key file of a sealing key, as a vector gives it.
pub(super) fn key_file(pair: &SealingKeyPair) -> Value {
    must("key file", serde_json::to_value(pair.to_file()))
}

fn box_json(sealed: &SealedBox) -> Value {
    must("box", serde_json::to_value(sealed))
}

pub(super) fn sealing(g: &mut Gen) {
    known_answers(g);
    opening(g);
    let registry = registry_with_sealing_keys();
    rotation(g, &registry);
    registry_checks(g);
}

fn known_answers(g: &mut Gen) {
    for (suite, name) in [(HPKE, "hpke"), (SM2, "sm2")] {
        let receiver = sample_key(JIUJIANG, suite);
        let seal_input = |ephemeral: &[u8]| {
            json!({
                "suite": suite.as_str(),
                "public_key": base64url(receiver.public_key().as_bytes()),
                "kid": receiver.key_id(),
                "context": body_context(),
                "plaintext": {"text": PLAINTEXT},
                "ephemeral": base64url(ephemeral),
            })
        };
        g.push(
            &format!("sealing/boxes/{name}-known-answer"),
            &format!("a transfer body's personal data sealed with {} to Jiujiang's key, with a fixed ephemeral secret: the box is reproduced exactly", suite.as_str()),
            "seal",
            seal_input(&ephemeral(suite, name)),
            json!({"outcome": "accepted", "box": box_json(&sealed(&receiver, name))}),
        );
        let short = ephemeral(suite, name);
        g.push(
            &format!("sealing/boxes/{name}-ephemeral-too-short"),
            "the ephemeral secret is one byte shorter than the suite draws",
            "seal",
            seal_input(&short[1..]),
            refused("seal.ephemeral"),
        );
    }
    let receiver = sample_key(JIUJIANG, SM2);
    let mut k_of_n = ephemeral(SM2, "sm2");
    // n, SM2's order: a k that is not below n.
    k_of_n[28..].copy_from_slice(&hex(
        "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123",
    ));
    g.push(
        "sealing/boxes/sm2-k-not-below-n",
        "SM2's k (the last 32 bytes of the ephemeral secret) equals the curve's order n: k is drawn from 1 to n - 1",
        "seal",
        json!({
            "suite": SM2.as_str(),
            "public_key": base64url(receiver.public_key().as_bytes()),
            "kid": receiver.key_id(),
            "context": body_context(),
            "plaintext": {"text": PLAINTEXT},
            "ephemeral": base64url(&k_of_n),
        }),
        refused("seal.ephemeral"),
    );
    // Receivers' keys that no sender may seal to.
    let honest_sm2 = base64url(receiver.public_key().as_bytes());
    let mut compressed = vec![0x02 | (receiver.public_key().as_bytes()[64] & 1)];
    compressed.extend_from_slice(&receiver.public_key().as_bytes()[1..33]);
    let weak_keys = [
        (
            "hpke-key-of-small-order",
            "an X25519 key of order 8: every sender would share a secret anyone can compute",
            HPKE,
            base64url(&hex(
                "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            )),
            "key.weak",
        ),
        (
            "hpke-key-zero",
            "the X25519 key 0 (order 2)",
            HPKE,
            base64url(&[0u8; 32]),
            "key.weak",
        ),
        (
            "hpke-key-not-canonical",
            "an X25519 key written as u + p, at or above 2^255 - 19",
            HPKE,
            base64url(&{
                let mut u = [0xffu8; 32];
                u[0] = 0xee;
                u[31] = 0x7f;
                u
            }),
            "key.malformed",
        ),
        (
            "sm2-key-compressed",
            "an SM2 key written as a compressed point",
            SM2,
            base64url(&compressed),
            "key.malformed",
        ),
        (
            "sm2-key-off-curve",
            "an SM2 key whose point is not on the curve",
            SM2,
            {
                let mut bytes = receiver.public_key().as_bytes().to_vec();
                bytes[64] ^= 1;
                base64url(&bytes)
            },
            "key.malformed",
        ),
    ];
    assert_ne!(honest_sm2, weak_keys[3].3);
    for (name, description, suite, public_key, code) in weak_keys {
        g.push(
            &format!("sealing/boxes/{name}"),
            description,
            "seal",
            json!({
                "suite": suite.as_str(),
                "public_key": public_key,
                "kid": format!("{JIUJIANG}#seal"),
                "context": body_context(),
                "plaintext": {"text": PLAINTEXT},
                "ephemeral": base64url(&ephemeral(suite, "weak")),
            }),
            refused(code),
        );
    }
}

fn opening(g: &mut Gen) {
    for (suite, name) in [(HPKE, "hpke"), (SM2, "sm2")] {
        let receiver = sample_key(JIUJIANG, suite);
        let file = key_file(&receiver);
        let good = box_json(&sealed(&receiver, name));
        let open = |g: &mut Gen,
                    case: &str,
                    description: &str,
                    sealed: Value,
                    context: Value,
                    expected: Value| {
            g.push(
                &format!("sealing/boxes/{name}-{case}"),
                description,
                "open",
                json!({"key": file, "box": sealed, "context": context}),
                expected,
            );
        };
        open(
            g,
            "open",
            "Jiujiang opens the box Huangshi sealed to it, under the same context",
            good.clone(),
            body_context(),
            json!({"outcome": "accepted", "plaintext": base64url(PLAINTEXT.as_bytes())}),
        );
        let other_id = "01KB5A7X000000000000000002";
        for (case, description, context) in [
            ("lifted-into-another-message", "the box opened as part of another message of the same sender: the id is bound in", context_json(HUANGSHI, JIUJIANG, other_id, "body")),
            ("claimed-by-another-sender", "the box copied into a message of Wuhan's, signed by Wuhan: the sender is bound in", context_json(WUHAN, JIUJIANG, MESSAGE, "body")),
            ("re-addressed", "the box opened under a context that names another receiver: the receiver is bound in", context_json(HUANGSHI, WUHAN, MESSAGE, "body")),
            ("moved-to-another-part", "the body's box opened as a file's: the part is bound in", context_json(HUANGSHI, JIUJIANG, MESSAGE, "file")),
        ] {
            open(g, case, description, good.clone(), context, refused("seal.open_failed"));
        }
        let edited = |edit: &dyn Fn(&mut Value)| {
            let mut value = good.clone();
            edit(&mut value);
            value
        };
        let flip = |member: &str, at: usize| {
            edited(&|b| {
                let mut bytes = must(
                    "b64",
                    tongban::crypto::from_base64url(b[member].as_str().unwrap_or_default())
                        .ok_or("not base64url"),
                );
                bytes[at] ^= 0x01;
                b[member] = json!(base64url(&bytes));
            })
        };
        let enc_length = must(
            "b64",
            tongban::crypto::from_base64url(good["enc"].as_str().unwrap_or_default()).ok_or("enc"),
        )
        .len();
        let cases = [
            (
                "ciphertext-altered",
                "one bit of the ciphertext flipped",
                flip("ct", 0),
                "seal.open_failed",
            ),
            (
                "tag-altered",
                "one bit of the tag (the last 16 bytes of ct) flipped",
                flip("ct", PLAINTEXT.len() + 15),
                "seal.open_failed",
            ),
            (
                "enc-altered",
                "one bit of the encapsulated key flipped",
                flip("enc", enc_length - 1),
                "seal.open_failed",
            ),
            (
                "enc-truncated",
                "the encapsulated key one byte short",
                edited(&|b| {
                    let bytes =
                        tongban::crypto::from_base64url(b["enc"].as_str().unwrap_or_default())
                            .unwrap_or_default();
                    b["enc"] = json!(base64url(&bytes[..bytes.len() - 1]));
                }),
                "seal.malformed",
            ),
            (
                "enc-padded-base64",
                "the encapsulated key in padded base64url",
                edited(&|b| {
                    b["enc"] = json!(format!("{}=", b["enc"].as_str().unwrap_or_default()));
                }),
                "seal.malformed",
            ),
            (
                "ct-shorter-than-tag",
                "a ciphertext of 15 bytes, shorter than its tag",
                edited(&|b| b["ct"] = json!(base64url(&[0u8; 15]))),
                "seal.malformed",
            ),
            (
                "other-kid",
                "the box names another key id than the receiver's key",
                edited(&|b| b["kid"] = json!(format!("{JIUJIANG}#seal-other"))),
                "seal.unknown_key",
            ),
            (
                "unsupported-suite",
                "the box names a suite no implementation knows",
                edited(&|b| b["alg"] = json!("rsa-oaep-256")),
                "seal.unsupported_suite",
            ),
            (
                "other-suite",
                "the box names the other sealing suite than the key's",
                edited(&|b| {
                    let other = if suite == HPKE { SM2 } else { HPKE };
                    b["alg"] = json!(other.as_str());
                }),
                "seal.wrong_suite",
            ),
        ];
        for (case, description, sealed, code) in cases {
            open(g, case, description, sealed, body_context(), refused(code));
        }
        // A box sealed to Wuhan's key of the same suite, as Jiujiang receives it.
        let wuhan = sample_key(WUHAN, suite);
        open(
            g,
            "sealed-to-another-member",
            "a box sealed to Wuhan's key, presented to Jiujiang: it names a key that is not Jiujiang's",
            box_json(&sealed(&wuhan, name)),
            body_context(),
            refused("seal.unknown_key"),
        );
    }
    // HPKE: an ephemeral key of small order makes the shared secret all zeros, which
    // RFC 9180 (§7.1.4) requires a receiver to refuse.
    // The box is sealed under that all-zero secret, so only the check refuses it.
    let receiver = sample_key(JIUJIANG, HPKE);
    let names = names();
    let context = body_seal_context(&names);
    let (enc, ct) = super::hpke_zero::zero_shared_secret_box(
        receiver.public_key().as_bytes(),
        &context.bytes(HPKE, receiver.key_id()),
        PLAINTEXT.as_bytes(),
    );
    let mut zero_enc = box_json(&sealed(&receiver, "hpke"));
    zero_enc["enc"] = json!(base64url(&enc));
    zero_enc["ct"] = json!(base64url(&ct));
    g.push(
        "sealing/boxes/hpke-enc-of-small-order",
        "the encapsulated key is the X25519 point 0 and the box is sealed under the all-zero shared secret it gives: a receiver that does not refuse that secret opens it",
        "open",
        json!({"key": key_file(&receiver), "box": zero_enc, "context": body_context()}),
        refused("seal.open_failed"),
    );
    // SM2: C1 written compressed, the rest unchanged.
    let receiver = sample_key(JIUJIANG, SM2);
    let mut compressed = box_json(&sealed(&receiver, "sm2"));
    let mut enc = tongban::crypto::from_base64url(compressed["enc"].as_str().unwrap_or_default())
        .unwrap_or_default();
    enc[0] = 0x02 | (enc[64] & 1);
    compressed["enc"] = json!(base64url(&enc));
    g.push(
        "sealing/boxes/sm2-c1-compressed",
        "C1 carries the tag of a compressed point: C1 is the uncompressed point 04‖x‖y",
        "open",
        json!({"key": key_file(&receiver), "box": compressed, "context": body_context()}),
        refused("seal.malformed"),
    );
    // SM2: C1 off the curve (its last byte changed), written 04‖x‖y.
    let mut off_curve = box_json(&sealed(&receiver, "sm2"));
    let mut enc = tongban::crypto::from_base64url(off_curve["enc"].as_str().unwrap_or_default())
        .unwrap_or_default();
    enc[64] ^= 0x01;
    off_curve["enc"] = json!(base64url(&enc));
    g.push(
        "sealing/boxes/sm2-c1-off-curve",
        "C1 written 04‖x‖y but not a point of the curve: it does not open",
        "open",
        json!({"key": key_file(&receiver), "box": off_curve, "context": body_context()}),
        refused("seal.open_failed"),
    );
    g.push(
        "sealing/boxes/seal-unsupported-suite",
        "sealing in a suite no implementation knows",
        "seal",
        json!({
            "suite": "rsa-oaep-256",
            "public_key": base64url(receiver.public_key().as_bytes()),
            "kid": receiver.key_id(),
            "context": body_context(),
            "plaintext": {"text": PLAINTEXT},
            "ephemeral": base64url(&ephemeral(SM2, "sm2")),
        }),
        refused("seal.unsupported_suite"),
    );
}

/// A registry sealing entry for `pair`, valid from `from` until `until`.
fn entry(pair: &SealingKeyPair, from: &str, until: &str, revoked: Option<&str>) -> Value {
    let mut entry = json!({
        "kid": pair.key_id(),
        "alg": pair.suite().as_str(),
        "public_key": base64url(pair.public_key().as_bytes()),
        "valid_from": from,
        "valid_until": until,
    });
    if let Some(revoked) = revoked {
        entry["revoked"] = json!(revoked);
    }
    entry
}

const RETIRED_UNTIL: &str = "2026-11-25T00:00:00+08:00";
const REVOKED_IN_FLIGHT: &str = "2026-11-28T10:00:30+08:00";

/// The sample registry with Jiujiang's sealing keys through a rotation, and Wuhan's.
fn registry_with_sealing_keys() -> String {
    const UNTIL_2030: &str = "2030-12-31T23:59:59+08:00";
    // (key id suffix, suite, valid_from, valid_until, revoked)
    let keys = [
        (
            "seal-2025",
            HPKE,
            "2025-01-01T00:00:00+08:00",
            RETIRED_UNTIL,
            None,
        ),
        ("seal", HPKE, "2026-11-01T00:00:00+08:00", UNTIL_2030, None),
        (
            "seal-next",
            HPKE,
            "2026-12-01T00:00:00+08:00",
            UNTIL_2030,
            None,
        ),
        (
            "seal-revoked",
            HPKE,
            "2026-01-01T00:00:00+08:00",
            UNTIL_2030,
            Some("2026-11-20T00:00:00+08:00"),
        ),
        (
            "seal-sm2",
            SM2,
            "2025-01-01T00:00:00+08:00",
            UNTIL_2030,
            None,
        ),
        // For the sender's choice: the latest valid_from of all but a window that has
        // ended, one revoked, one listed after #seal with the same valid_from.
        (
            "seal-short",
            HPKE,
            "2026-11-20T00:00:00+08:00",
            RETIRED_UNTIL,
            None,
        ),
        (
            "seal-revoked-late",
            HPKE,
            "2026-11-15T00:00:00+08:00",
            UNTIL_2030,
            Some("2026-11-20T00:00:00+08:00"),
        ),
        (
            "seal-twin",
            HPKE,
            "2026-11-01T00:00:00+08:00",
            UNTIL_2030,
            None,
        ),
        // Revoked between a message's creation (T0) and its receipt (T1).
        (
            "seal-revoked-in-flight",
            HPKE,
            "2026-01-01T00:00:00+08:00",
            UNTIL_2030,
            Some(REVOKED_IN_FLIGHT),
        ),
    ];
    let jiujiang: Vec<Value> = keys
        .into_iter()
        .map(|(suffix, suite, from, until, revoked)| {
            entry(&key(JIUJIANG, suffix, suite), from, until, revoked)
        })
        .collect();
    let wuhan = [entry(
        &sample_key(WUHAN, HPKE),
        "2025-01-01T00:00:00+08:00",
        UNTIL_2030,
        None,
    )];
    edited_registry(&move |d| {
        d["members"][JIUJIANG_MEMBER]["sealing_keys"] = json!(jiujiang);
        d["members"][WUHAN_MEMBER]["sealing_keys"] = json!(wuhan);
    })
}

fn rotation(g: &mut Gen, registry: &str) {
    let registry = g.fixture("registry-sealing-keys", registry.to_string());
    for (name, description, receiver, suite, created, expected) in [
        ("sealing-key-current", "of Jiujiang's HPKE keys whose window holds the message's creation and that were not revoked by then, the one valid from the latest time, and of two such the first listed: not #seal-short (its window has ended), #seal-revoked-late (revoked) or #seal-twin (listed after #seal)", JIUJIANG, HPKE, T0, json!({"outcome": "accepted", "kid": format!("{JIUJIANG}#seal")})),
        ("sealing-key-after-rotation", "once the next key's window has begun, it is the one valid from the latest time", JIUJIANG, HPKE, "2026-12-02T09:00:00+08:00", json!({"outcome": "accepted", "kid": format!("{JIUJIANG}#seal-next")})),
        ("sealing-key-of-the-agreement-suite", "under an sm2-sm3 agreement the sender seals to the receiver's sm2-sm4-gcm key", JIUJIANG, SM2, T0, json!({"outcome": "accepted", "kid": format!("{JIUJIANG}#seal-sm2")})),
        ("sealing-key-none", "Huangshi lists no sealing key: nothing can be sealed to it", HUANGSHI, HPKE, T0, refused("seal.no_key")),
        ("sealing-key-none-of-the-suite", "Wuhan lists an HPKE key only: nothing can be sealed to it under an sm2-sm3 agreement", WUHAN, SM2, T0, refused("seal.no_key")),
    ] {
        g.push(
            &format!("sealing/keys/{name}"),
            description,
            "sealing_key",
            json!({"registry": registry, "now": T0, "receiver": receiver, "suite": suite.as_str(), "created": created}),
            expected,
        );
    }
    let boxed = |kid: &str, alg: SealingSuite| {
        let receiver = key(JIUJIANG, kid, alg);
        box_json(&sealed(&receiver, "rotation"))
    };
    let mut renamed = boxed("seal", HPKE);
    renamed["kid"] = json!(format!("{JIUJIANG}#sample"));
    let mut of_sm2_key = boxed("seal", HPKE);
    of_sm2_key["kid"] = json!(format!("{JIUJIANG}#seal-sm2"));
    let mut unknown_suite = boxed("seal", HPKE);
    unknown_suite["alg"] = json!("rsa-oaep-256");
    // valid_until + 7 days + the clock-skew allowance of 300 s.
    let grace_end = "2026-12-02T00:05:00+08:00";
    let cases: Vec<(&str, &str, Value, SealingSuite, &str, &str, Value)> = vec![
        ("sealed-to-current-key", "a box sealed to Jiujiang's current key, received a minute later", boxed("seal", HPKE), HPKE, T0, T1, accepted()),
        ("sealed-to-retired-key-in-grace", "a box sealed to a key the day before its window closed, received three days after it closed: within the 7 days of grace", boxed("seal-2025", HPKE), HPKE, "2026-11-24T09:00:00+08:00", T0, accepted()),
        ("sealed-to-retired-key-grace-last-second", "received exactly 7 days and 300 s of clock skew (605,100 s) after the key's valid_until: still opened", boxed("seal-2025", HPKE), HPKE, "2026-11-24T09:00:00+08:00", grace_end, accepted()),
        ("sealed-to-retired-key-after-grace", "received half a second after the grace: times are compared to the nanosecond, and the key is retired", boxed("seal-2025", HPKE), HPKE, "2026-11-24T09:00:00+08:00", "2026-12-02T00:05:00.5+08:00", refused("seal.key_retired")),
        ("sealed-to-key-at-valid-from", "a message created at the very instant the key's window opens", boxed("seal", HPKE), HPKE, "2026-11-01T00:00:00+08:00", "2026-11-01T00:01:00+08:00", accepted()),
        ("sealed-to-key-at-valid-until", "a message created at the very instant the key's window closes", boxed("seal-2025", HPKE), HPKE, RETIRED_UNTIL, "2026-11-25T00:01:00+08:00", accepted()),
        ("sealed-to-key-revoked-in-flight", "a key revoked after the message was created and before it was received: revocation counts at the time of receipt", boxed("seal-revoked-in-flight", HPKE), HPKE, T0, T1, refused("seal.key_revoked")),
        ("sealed-to-key-revoked-at-receipt", "received at the very instant the key was revoked", boxed("seal-revoked-in-flight", HPKE), HPKE, T0, REVOKED_IN_FLIGHT, refused("seal.key_revoked")),
        ("order-suite-before-key", "a box of another suite than the agreement's, naming no key of the receiver: the suite is checked first", {
            let mut other = boxed("seal-sm2", SM2);
            other["kid"] = json!(format!("{JIUJIANG}#nothing"));
            other
        }, HPKE, T0, T1, refused("seal.wrong_suite")),
        ("order-revoked-before-window", "a revoked key and a message created before its window: revocation is checked first", boxed("seal-revoked", HPKE), HPKE, "2025-12-01T00:00:00+08:00", T1, refused("seal.key_revoked")),
        ("order-window-before-grace", "a message created after the key's window and received after its grace: the window is checked first", boxed("seal-2025", HPKE), HPKE, "2026-11-26T00:00:00+08:00", "2026-12-10T00:00:00+08:00", refused("seal.key_outside_validity")),
        ("sealed-to-key-after-its-window", "a message created after the key's valid_until, sealed to it anyway", boxed("seal-2025", HPKE), HPKE, "2026-11-25T00:00:01+08:00", "2026-11-25T00:01:00+08:00", refused("seal.key_outside_validity")),
        ("sealed-to-key-before-its-window", "a message sealed to the next key before its valid_from", boxed("seal-next", HPKE), HPKE, T0, T1, refused("seal.key_outside_validity")),
        ("sealed-to-revoked-key", "a box sealed to a key revoked before it was received", boxed("seal-revoked", HPKE), HPKE, T0, T1, refused("seal.key_revoked")),
        ("sealed-to-signing-key-id", "a box naming the id of Jiujiang's signing key: signing keys are not sealing keys", renamed, HPKE, T0, T1, refused("seal.unknown_key")),
        ("sealed-to-key-of-other-suite", "an HPKE box naming Jiujiang's SM2 sealing key", of_sm2_key, HPKE, T0, T1, refused("seal.wrong_suite")),
        ("sealed-in-other-suite-than-agreement", "an SM2 box in a message of an ed25519 agreement", boxed("seal-sm2", SM2), HPKE, T0, T1, refused("seal.wrong_suite")),
        ("sealed-in-unknown-suite", "a box naming a suite no implementation knows", unknown_suite, HPKE, T0, T1, refused("seal.unsupported_suite")),
        ("sealed-to-sm2-key", "an SM2 box to Jiujiang's SM2 key under an sm2-sm3 agreement", boxed("seal-sm2", SM2), SM2, T0, T1, accepted()),
    ];
    for (name, description, sealed, suite, created, now, expected) in cases {
        g.push(
            &format!("sealing/keys/{name}"),
            description,
            "sealed_to",
            json!({"registry": registry, "receiver": JIUJIANG, "suite": suite.as_str(), "box": sealed, "created": created, "now": now}),
            expected,
        );
    }
}

fn registry_checks(g: &mut Gen) {
    let pair = sample_key(JIUJIANG, HPKE);
    let good = entry(
        &pair,
        "2026-01-01T00:00:00+08:00",
        "2030-12-31T23:59:59+08:00",
        None,
    );
    let with = |keys: Value| {
        edited_registry(&move |d| d["members"][JIUJIANG_MEMBER]["sealing_keys"] = keys.clone())
    };
    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut entry = good.clone();
        edit(&mut entry);
        with(json!([entry]))
    };
    let cases = [
        (
            "sealing-keys-listed",
            "Jiujiang lists an HPKE sealing key",
            with(json!([good.clone()])),
            json!({"outcome": "accepted", "version": 1}),
        ),
        (
            "sealing-keys-empty",
            "a member lists an empty sealing_keys: present, it names at least one key",
            with(json!([])),
            refused("registry.invalid"),
        ),
        (
            "sealing-key-weak",
            "a sealing key of small order (the X25519 point 0)",
            edited(&|e| e["public_key"] = json!(base64url(&[0u8; 32]))),
            refused("key.weak"),
        ),
        (
            "sealing-key-malformed",
            "an HPKE sealing key of 31 bytes",
            edited(&|e| e["public_key"] = json!(base64url(&[9u8; 31]))),
            refused("key.malformed"),
        ),
        (
            "sealing-key-window-reversed",
            "a sealing key whose valid_until is before its valid_from",
            edited(&|e| e["valid_until"] = json!("2025-12-31T23:59:59+08:00")),
            refused("registry.invalid"),
        ),
        (
            "sealing-key-id-of-a-signing-key",
            "a sealing key under the id of the member's signing key: a key id names one key",
            edited(&|e| e["kid"] = json!(format!("{JIUJIANG}#sample"))),
            refused("registry.invalid"),
        ),
        (
            "sealing-key-is-a-signing-key",
            "a sealing key whose public key is the member's Ed25519 signing key: a key signs or seals, never both",
            edited(&|e| {
                let signing = must("sample key", sample::key(JIUJIANG));
                e["public_key"] = json!(base64url(signing.public_key().as_bytes()));
            }),
            refused("registry.invalid"),
        ),
        (
            "sealing-key-of-unknown-suite",
            "a sealing key of a suite this version does not know is ignored, never sealed to",
            edited(&|e| e["alg"] = json!("ml-kem-768")),
            json!({"outcome": "accepted", "version": 1}),
        ),
    ];
    for (name, description, offered, expected) in cases {
        registry_vector(
            g,
            &format!("registry/{name}"),
            description,
            None,
            offered,
            T0,
            expected,
        );
    }
}
