//! Signatures and keys of an algorithm the reader does not implement (PROTOCOL §8 step
//! 2.2, §15, revision 1.1.1): skipped and never counted, ignored and never trusted, so
//! that a new suite can be published while readers upgrade. Generated last, so
//! that earlier vectors keep their ids.

use super::registry::registry_vector;
use super::settled::edited_registry;
use super::*;

/// The name of a suite no reader of this revision implements (a post-quantum one that
/// a later revision may add).
const OTHER_SUITE: &str = "ml-dsa-65";
/// Huangshi's key of that suite, as a migrating registry lists it.
const OTHER_KID: &str = "huangshi.420200#mldsa";

pub(super) fn suites(g: &mut Gen, keys: &str) {
    signatures(g, keys);
    registries(g);
}

/// A signature entry of the other suite by `kid`, whose `sig` is `sig`.
fn other_entry(kid: &str, sig: &str) -> Value {
    json!({"alg": OTHER_SUITE, "kid": kid, "sig": sig})
}

/// 64 bytes standing for a signature of that suite, unpadded base64url: never decoded by a
/// reader that skips the suite.
fn other_sig() -> String {
    tongban::crypto::base64url(&[0x5a; 64])
}

/// The sample transfer signed by Huangshi's Ed25519 key, as a document.
fn signed_transfer(g: &mut Gen) -> Value {
    let transfer = g.transfer(T0);
    must("json", serde_json::from_str(&signed(transfer, HUANGSHI)))
}

/// An Ed25519 signature entry over `document` (without its signatures) by the sample
/// key of `signer`, naming the key id `kid`.
fn ed25519_entry(document: &Value, signer: &str, kid: &str) -> Value {
    let key = must("key", sample::key(signer));
    let mut unsigned = document.clone();
    unsigned.as_object_mut().map(|d| d.remove("signatures"));
    let input = tongban::signing::signing_input(&unsigned, "ed25519", kid);
    let sig = tongban::crypto::base64url(&must("sign", key.sign_bytes(&input)));
    json!({"alg": "ed25519", "kid": kid, "sig": sig})
}

/// `document` with `entries` as its signatures.
pub(super) fn with_signatures(document: &Value, entries: Vec<Value>) -> String {
    let mut document = document.clone();
    document["signatures"] = Value::Array(entries);
    text(&document)
}

fn signatures(g: &mut Gen, keys: &str) {
    let document = signed_transfer(g);
    let ed25519 = document["signatures"][0].clone();
    let other = other_entry(OTHER_KID, &other_sig());
    // Jiujiang's Ed25519 signature over the same transfer, beside Huangshi's of the other
    // suite: the sender signed only in a suite the reader skips.
    let by_jiujiang = ed25519_entry(&document, JIUJIANG, "jiujiang.360400#sample");
    let accepted = json!({"outcome": "accepted", "type": "transfer"});
    let cases: Vec<(&str, &str, String, Value)> = vec![
        (
            "unknown-algorithm-beside-ed25519",
            "Huangshi's Ed25519 signature, then one of a suite the reader does not implement (ml-dsa-65): skipped, and the transfer verifies",
            with_signatures(&document, vec![ed25519.clone(), other.clone()]),
            accepted.clone(),
        ),
        (
            "unknown-algorithm-before-ed25519",
            "the ml-dsa-65 signature first, then Huangshi's Ed25519 one: skipped wherever it stands",
            with_signatures(&document, vec![other.clone(), ed25519.clone()]),
            accepted.clone(),
        ),
        (
            "unknown-algorithm-with-a-sig-of-no-base64url",
            "an ml-dsa-65 signature whose sig is not base64url beside Huangshi's Ed25519 one: a skipped signature is not read",
            with_signatures(&document, vec![ed25519.clone(), other_entry(OTHER_KID, "not base64url!")]),
            accepted,
        ),
        (
            "unknown-algorithm-with-a-known-kid",
            "an ml-dsa-65 signature whose kid is that of Huangshi's Ed25519 signature beside it: a key id is named once among all signatures",
            with_signatures(
                &document,
                vec![ed25519.clone(), other_entry("huangshi.420200#sample", &other_sig())],
            ),
            refused("signature.malformed"),
        ),
        (
            "only-unknown-algorithms",
            "two signatures, both of suites the reader does not implement: none can be checked",
            with_signatures(
                &document,
                vec![other.clone(), json!({"alg": "rsa-pss", "kid": "huangshi.420200#rsa", "sig": other_sig()})],
            ),
            refused("signature.unsupported_algorithm"),
        ),
        (
            "sender-signs-only-with-an-unknown-algorithm",
            "Jiujiang's valid Ed25519 signature and Huangshi's ml-dsa-65 one on Huangshi's transfer: the only signature by the sender is skipped, so none by the sender was checked",
            with_signatures(&document, vec![by_jiujiang, other]),
            refused("signature.key_not_sender"),
        ),
    ];
    message_vectors(g, "signatures", ("keys", keys), cases);
}

/// A key of the other suite in a registry, as an operator publishes it while members
/// migrate: `public_key` is 65 bytes standing for a key of that suite, never decoded here.
fn other_key(kid: &str) -> Value {
    let mut point = vec![0x04];
    point.extend([0x3c; 64]);
    json!({
        "kid": kid, "alg": OTHER_SUITE, "public_key": tongban::crypto::base64url(&point),
        "valid_from": "2025-01-01T00:00:00+08:00", "valid_until": "2030-12-31T23:59:59+08:00",
    })
}

/// The sample registry with a key of the other suite added to Huangshi's keys.
fn with_member_key(kid: &'static str) -> String {
    edited_registry(&move |d| {
        for member in d["members"].as_array_mut().into_iter().flatten() {
            if member["node"] == json!(HUANGSHI) {
                if let Some(keys) = member["keys"].as_array_mut() {
                    keys.push(other_key(kid));
                }
            }
        }
    })
}

fn registries(g: &mut Gen) {
    let migrating = with_member_key(OTHER_KID);
    let version_1 = json!({"outcome": "accepted", "version": 1});
    let operator_key = edited_registry(&|d| {
        let mut key = other_key("yunshangban.operator#mldsa");
        if let Some(members) = key.as_object_mut() {
            members.remove("valid_from");
            members.remove("valid_until");
        }
        if let Some(keys) = d["operator"]["keys"].as_array_mut() {
            keys.push(key);
        }
    });
    let cases: Vec<(&str, &str, String, Value)> = vec![
        (
            "member-key-of-an-unknown-algorithm",
            "Huangshi lists a key of a suite the reader does not implement (ml-dsa-65) beside its Ed25519 key: the key is ignored and the registry accepted",
            migrating.clone(),
            version_1.clone(),
        ),
        (
            "operator-key-of-an-unknown-algorithm",
            "an operator key of ml-dsa-65 beside the three Ed25519 ones (threshold 2, signed by two Ed25519 keys): ignored, and the registry accepted",
            operator_key,
            version_1,
        ),
        (
            "key-of-an-unknown-algorithm-with-a-used-kid",
            "Huangshi's ml-dsa-65 key under the key id of its Ed25519 key: a key id names one key, whatever its algorithm",
            with_member_key("huangshi.420200#sample"),
            refused("registry.invalid"),
        ),
    ];
    for (name, description, offered, expected) in cases {
        let id = format!("registry/{name}");
        registry_vector(g, &id, description, None, offered, T0, expected);
    }
    checks(g, migrating);
}

/// Messages verified against the registry that lists Huangshi's ml-dsa-65 key.
fn checks(g: &mut Gen, migrating: String) {
    let registry = g.fixture("registry-huangshi-migrating-to-ml-dsa", migrating);
    let document = signed_transfer(g);
    let ed25519 = document["signatures"][0].clone();
    let other = other_entry(OTHER_KID, &other_sig());
    // A genuine Ed25519 signature by Huangshi's sample key that names the ml-dsa-65 key.
    let misnamed = ed25519_entry(&document, HUANGSHI, OTHER_KID);
    let cases: Vec<(&str, &str, String, Value)> = vec![
        (
            "signed-also-with-a-key-of-an-unknown-algorithm",
            "a transfer signed with Huangshi's Ed25519 key and its ml-dsa-65 key, under a registry that lists both: verified by the Ed25519 signature",
            with_signatures(&document, vec![ed25519, other.clone()]),
            json!({"outcome": "accepted", "type": "transfer"}),
        ),
        (
            "signed-only-with-a-key-of-an-unknown-algorithm",
            "the transfer signed only with Huangshi's ml-dsa-65 key: the reader checks no signature",
            with_signatures(&document, vec![other]),
            refused("signature.unsupported_algorithm"),
        ),
        (
            "ed25519-signature-by-a-key-of-an-unknown-algorithm",
            "an Ed25519 signature that names Huangshi's ml-dsa-65 key: an ignored key is never trusted, under any algorithm",
            with_signatures(&document, vec![misnamed]),
            refused("signature.unknown_key"),
        ),
    ];
    message_vectors(g, "checks", ("registry", &registry), cases);
}
