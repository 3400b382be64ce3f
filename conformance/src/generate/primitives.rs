//! Known answers of the suites' primitives (PROTOCOL §7), so that an implementation in
//! any language can check its SHA-256, SM3, Ed25519 and SM2 before any message: the
//! examples of the standards themselves (FIPS 180-2, GB/T 32905, RFC 8032, GB/T
//! 32918.5), and the SM2 traps at the level of one signature.

use super::sm2::{der, hex};
use super::*;
use ::sm2::dsa::signature::hazmat::PrehashSigner;
use sm3::Digest;

/// GB/T 32918.5-2017, Annex A: the example's key pair and its signature of
/// "message digest" (identifier 1234567812345678).
const SM2_SECRET: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
const SM2_PUBLIC: &str = "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
const SM2_SIGNATURE: &str = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";

pub(super) fn primitives(g: &mut Gen) {
    digests(g);
    signatures(g);
    decryptions(g);
}

/// The sealing suites' primitives (§24.1) from their standards' own examples: HPKE's
/// RFC 9180 A.1.1 (with its aad, which tongban's boxes do not use), SM2 encryption's
/// GB/T 32918.5 Annex C (C1‖C3‖C2), SM4-GCM's RFC 8998 A.1; and each with one bit of
/// its ciphertext flipped.
fn decryptions(g: &mut Gen) {
    let b = |text: &str| b64(&hex(text));
    let cases = [
        (
            "hpke-rfc9180-a-1-1",
            "RFC 9180, A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode, sequence number 0",
            json!({
                "alg": "hpke-x25519-sha256-aes128gcm",
                "secret_key": b("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8"),
                "enc": b("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431"),
                "info": {"text": "Ode on a Grecian Urn"},
                "aad": {"text": "Count-0"},
                "ct": b("f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"),
            }),
            "Beauty is truth, truth beauty",
        ),
        (
            "sm2-encryption-standard-example",
            "GB/T 32918.5-2017, Annex C: SM2 encryption of \"encryption standard\" with the example's key, C1‖C3‖C2 (C1 uncompressed)",
            json!({
                "alg": "sm2-encryption",
                "secret_key": b(SM2_SECRET),
                "ct": b(concat!(
                    "0404EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73",
                    "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0",
                    "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766",
                    "21886CA989CA9C7D58087307CA93092D651EFA",
                )),
            }),
            "encryption standard",
        ),
        (
            "sm4-gcm-rfc8998-a-1",
            "RFC 8998, A.1: AEAD_SM4_GCM",
            json!({
                "alg": "sm4-gcm",
                "key": b("0123456789ABCDEFFEDCBA9876543210"),
                "nonce": b("00001234567800000000ABCD"),
                "aad": {"base64": STANDARD.encode(hex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2"))},
                "ct": b(concat!(
                    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735",
                    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D",
                    "83DE3541E4C2B58177E065A9BF7B62EC",
                )),
            }),
            "",
        ),
    ];
    let rfc8998_plaintext = hex(concat!(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD",
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
    ));
    for (name, description, input, plaintext) in cases {
        let plaintext = if name.starts_with("sm4") {
            b64(&rfc8998_plaintext)
        } else {
            b64(plaintext.as_bytes())
        };
        g.push(
            &format!("primitives/{name}"),
            description,
            "decrypt",
            input.clone(),
            json!({"outcome": "accepted", "plaintext": plaintext}),
        );
        let mut altered = input;
        let mut ct = tongban::crypto::from_base64url(altered["ct"].as_str().unwrap_or_default())
            .unwrap_or_default();
        let last = ct.len() - 1;
        ct[last] ^= 0x01;
        altered["ct"] = json!(b64(&ct));
        g.push(
            &format!("primitives/{name}-altered"),
            &format!("{description}, with one bit of the last byte of the ciphertext flipped"),
            "decrypt",
            altered,
            refused("seal.open_failed"),
        );
    }
}

fn digests(g: &mut Gen) {
    let cases = [
        (
            "sm3-abc",
            "SM3 of \"abc\": the first example of GB/T 32905-2016 (Annex A.1)",
            "sm3",
            json!({"text": "abc"}),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
        ),
        (
            "sm3-abcd-sixteen-times",
            "SM3 of \"abcd\" written 16 times (64 bytes, one whole block before the padding): GB/T 32905-2016, Annex A.2",
            "sm3",
            json!({"text": "abcd".repeat(16)}),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
        ),
        (
            "sha256-abc",
            "SHA-256 of \"abc\": FIPS 180-2, Appendix B.1",
            "sha256",
            json!({"text": "abc"}),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
    ];
    for (name, description, alg, bytes, digest) in cases {
        g.push(
            &format!("primitives/{name}"),
            description,
            "digest",
            json!({"alg": alg, "bytes": bytes}),
            json!({"outcome": "accepted", "digest": digest}),
        );
    }
}

fn b64(bytes: &[u8]) -> String {
    tongban::crypto::base64url(bytes)
}

/// A signature case: name, description, suite, public key, message, signature and the
/// expected outcome.
type SignatureCase = (
    &'static str,
    &'static str,
    &'static str,
    Vec<u8>,
    Value,
    Vec<u8>,
    Value,
);

fn signatures(g: &mut Gen) {
    let public = hex(SM2_PUBLIC);
    let signature = hex(SM2_SIGNATURE);
    let message = json!({"text": "message digest"});
    let mut compressed = vec![0x02 | (public[64] & 1)];
    compressed.extend(&public[1..33]);
    // The example's key signing SM3(M) alone, without Z = SM3(ENTL‖ID‖a‖b‖G‖P) in front.
    let secret = hex(SM2_SECRET);
    let secret = must("scalar", ::sm2::SecretKey::from_slice(&secret));
    let key = must(
        "key",
        ::sm2::dsa::SigningKey::new(tongban::crypto::SM2_DISTINGUISHING_ID, &secret),
    );
    let without_z: ::sm2::dsa::Signature = must(
        "sign",
        key.sign_prehash(sm3::Sm3::digest(b"message digest").as_slice()),
    );
    let valid = json!({"outcome": "accepted"});
    let cases: Vec<SignatureCase> = vec![
        (
            "sm2-standard-example",
            "the signature example of GB/T 32918.5-2017 (Annex A): \"message digest\", the default identifier 1234567812345678, r‖s",
            "sm2-sm3",
            public.clone(),
            message.clone(),
            signature.clone(),
            valid.clone(),
        ),
        (
            "sm2-standard-example-other-message",
            "the example's signature over \"message digesT\"",
            "sm2-sm3",
            public.clone(),
            json!({"text": "message digesT"}),
            signature.clone(),
            refused("signature.invalid"),
        ),
        (
            "sm2-standard-example-in-der",
            "the example's signature in DER (SEQUENCE of two INTEGERs): the protocol's form is r‖s, 64 bytes",
            "sm2-sm3",
            public.clone(),
            message.clone(),
            der(&signature),
            refused("signature.malformed"),
        ),
        (
            "sm2-standard-example-without-z",
            "the example's key signing SM3 of the message alone, without Z in front",
            "sm2-sm3",
            public.clone(),
            message.clone(),
            without_z.to_bytes().to_vec(),
            refused("signature.invalid"),
        ),
        (
            "sm2-standard-example-key-without-04",
            "the example's public key as x‖y, without its 04 prefix",
            "sm2-sm3",
            public[1..].to_vec(),
            message.clone(),
            signature.clone(),
            refused("key.malformed"),
        ),
        (
            "sm2-standard-example-key-compressed",
            "the example's public key as a compressed point",
            "sm2-sm3",
            compressed,
            message,
            signature,
            refused("key.malformed"),
        ),
        (
            "ed25519-rfc8032-test-1",
            "RFC 8032, section 7.1, TEST 1: the empty message",
            "ed25519",
            hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
            json!({"text": ""}),
            hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
            valid.clone(),
        ),
        (
            "ed25519-rfc8032-test-2",
            "RFC 8032, section 7.1, TEST 2: the one-byte message 0x72",
            "ed25519",
            hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
            json!({"text": "r"}),
            hex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
            valid,
        ),
    ];
    for (name, description, alg, public_key, message, sig, expected) in cases {
        g.push(
            &format!("primitives/{name}"),
            description,
            "signature",
            json!({"alg": alg, "public_key": b64(&public_key), "message": message, "sig": b64(&sig)}),
            expected,
        );
    }
}
