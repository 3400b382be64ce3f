//! The hostile corpus is large enough, covers each of its folders, and its Ed25519 cases
//! bite: each separates strict verification from a verifier that is not strict, so an
//! implementation that is not strict fails them.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::Value;
use sha2::{Digest, Sha512};
use tongban::sample::{self, HUANGSHI};
use tongban_conformance::vector::{self, Vector};

fn corpus() -> Vec<Vector> {
    vector::load(&vector::vectors_dir())
        .expect("vectors")
        .into_iter()
        .filter(|v| v.id.starts_with("hostile/"))
        .collect()
}

fn find(corpus: &[Vector], id: &str) -> Vector {
    corpus
        .iter()
        .find(|v| v.id == id)
        .unwrap_or_else(|| panic!("no vector {id}"))
        .clone()
}

/// The signing input (§7) and the signature bytes of a vector's only message.
fn signed_parts(vector: &Vector) -> (Vec<u8>, [u8; 64]) {
    let text = vector.input["messages"][0]["text"].as_str().expect("text");
    let mut document: Value = serde_json::from_str(text).expect("json");
    let entry = document["signatures"][0].clone();
    document.as_object_mut().map(|m| m.remove("signatures"));
    let kid = entry["kid"].as_str().expect("kid");
    let input = tongban::signing::signing_input(&document, "ed25519", kid);
    let sig = tongban::crypto::from_base64url(entry["sig"].as_str().expect("sig")).expect("b64");
    (input, sig.try_into().expect("64 bytes"))
}

/// S·B − k·A − R, with R decoded leniently (a non-canonical encoding gives its point):
/// the identity for the cofactorless point equation, of small order for the cofactored.
fn residue(public: &[u8; 32], input: &[u8], signature: &[u8; 64]) -> EdwardsPoint {
    let decode = |bytes: &[u8]| {
        CompressedEdwardsY(bytes.try_into().expect("32 bytes"))
            .decompress()
            .expect("a point")
    };
    let (r, a) = (decode(&signature[..32]), decode(public));
    let s = Scalar::from_canonical_bytes(signature[32..].try_into().expect("32 bytes"))
        .expect("canonical S");
    let mut hash = Sha512::new();
    hash.update(&signature[..32]);
    hash.update(public);
    hash.update(input);
    let k = Scalar::from_bytes_mod_order_wide(&hash.finalize().into());
    EdwardsPoint::mul_base(&s) - k * a - r
}

/// Whether [8](S·B − k·A − R) is the identity: the cofactored equation.
fn cofactored(public: &[u8; 32], input: &[u8], signature: &[u8; 64]) -> bool {
    residue(public, input, signature)
        .mul_by_cofactor()
        .is_identity()
}

/// Huangshi's public key in the key set of a `hostile/keys` vector.
fn huangshi_key_in(vector: &Vector) -> [u8; 32] {
    let keys: Value =
        serde_json::from_str(vector.input["keys"].as_str().expect("keys")).expect("json");
    let entry = keys["keys"]
        .as_array()
        .and_then(|k| k.iter().find(|e| e["owner"] == HUANGSHI))
        .expect("Huangshi's key");
    tongban::crypto::from_base64url(entry["public_key"].as_str().expect("text"))
        .expect("b64")
        .try_into()
        .expect("32 bytes")
}

fn huangshi() -> [u8; 32] {
    let key = sample::key(HUANGSHI).expect("key");
    key.public_key().as_bytes().try_into().expect("32 bytes")
}

#[test]
fn the_corpus_has_at_least_200_vectors_in_every_folder() {
    let corpus = corpus();
    assert!(corpus.len() >= 200, "{} hostile vectors", corpus.len());
    for folder in [
        "json",
        "messages",
        "keys",
        "signatures",
        "envelope",
        "checks",
        "registry",
        "identifiers",
        "lifecycle",
    ] {
        let count = corpus
            .iter()
            .filter(|v| v.category() == format!("hostile/{folder}"))
            .count();
        assert!(count > 0, "no vector in hostile/{folder}");
    }
    let refusals = corpus
        .iter()
        .filter(|v| v.expected.to_string().contains("\"refused\""))
        .count();
    assert!(refusals >= 200, "{refusals} vectors expect a refusal");
}

#[test]
fn an_identity_r_passes_cofactorless_verification_but_not_strict() {
    let vector = find(&corpus(), "hostile/signatures/small-order-r-order-1-0");
    let (input, signature) = signed_parts(&vector);
    let key = VerifyingKey::from_bytes(&huangshi()).expect("key");
    let signature = Signature::from_bytes(&signature);
    assert!(key.verify(&input, &signature).is_ok(), "dalek's lax verify");
    assert!(key.verify_strict(&input, &signature).is_err());
}

#[test]
fn small_and_mixed_order_r_pass_cofactored_verification_but_not_strict() {
    let corpus = corpus();
    for id in [
        "hostile/signatures/small-order-r-order-8-1",
        "hostile/signatures/mixed-order-r-2",
        "hostile/signatures/mixed-order-r-8",
    ] {
        let (input, signature) = signed_parts(&find(&corpus, id));
        assert!(cofactored(&huangshi(), &input, &signature), "{id}");
        let key = VerifyingKey::from_bytes(&huangshi()).expect("key");
        let signature = Signature::from_bytes(&signature);
        assert!(key.verify_strict(&input, &signature).is_err(), "{id}");
    }
}

#[test]
fn a_small_order_key_with_s_zero_forges_under_the_cofactored_equation() {
    let vector = find(&corpus(), "hostile/keys/small-order-order-8-1");
    let public = huangshi_key_in(&vector);
    let (input, signature) = signed_parts(&vector);
    assert!(cofactored(&public, &input, &signature));
}

#[test]
fn a_mixed_order_key_passes_the_small_order_check_alone() {
    let vector = find(&corpus(), "hostile/keys/mixed-order-8");
    let public = huangshi_key_in(&vector);
    let key = VerifyingKey::from_bytes(&public).expect("decodes");
    assert!(
        !key.is_weak(),
        "not of small order: only the torsion check refuses it"
    );
    let point = CompressedEdwardsY(public).decompress().expect("point");
    assert!(!point.is_torsion_free());
}

#[test]
fn a_non_canonical_identity_r_satisfies_the_point_equation_but_not_strict() {
    let corpus = corpus();
    for id in [
        "hostile/signatures/non-canonical-r-y-is-p-plus-1",
        "hostile/signatures/non-canonical-r-identity-negative-zero-x",
    ] {
        let (input, signature) = signed_parts(&find(&corpus, id));
        assert!(
            residue(&huangshi(), &input, &signature).is_identity(),
            "{id}"
        );
        let key = VerifyingKey::from_bytes(&huangshi()).expect("key");
        let signature = Signature::from_bytes(&signature);
        assert!(key.verify_strict(&input, &signature).is_err(), "{id}");
    }
}
