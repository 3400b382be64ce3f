//! The national suite `sm2-sm3` (国密): SM2 signatures (GB/T 32918.2) over SM3 (GB/T
//! 32905), by RustCrypto's `sm2` and `sm3` crates; no curve arithmetic is written here.
//!
//! Exactly one encoding of each thing is accepted, so that two implementations never
//! disagree about what a key or a signature is:
//! - a public key is the uncompressed SEC1 point `04‖x‖y`, 65 bytes, on the curve (the
//!   identity has no such encoding; SM2's cofactor is 1, so every point of the curve is
//!   of prime order). Compressed points and bare `x‖y` are `key.malformed`;
//! - a secret key is the 32-byte big-endian scalar `d` with 1 ≤ d ≤ n − 2 (SM2 signs
//!   with (1 + d)⁻¹);
//! - a signature is `r‖s`, two 32-byte big-endian integers, 64 bytes; DER is refused
//!   by its length (`signature.malformed`) and `r` or `s` outside 1..n − 1 does not
//!   verify.
//!
//! The signer's identity bound into the signed digest (Z = SM3(ENTL‖ID‖a‖b‖G‖P)) is
//! the standard's default distinguishing identifier `1234567812345678`
//! ([`SM2_DISTINGUISHING_ID`]), the one GB/T 35276 and most SM2 libraries use when none
//! is agreed: the signer is already named, and bound in, by the `kid` of the signed
//! bytes (§7), so a per-node identifier would add nothing but a way to disagree. Z is
//! computed once per key, when it is loaded.

use super::{array, Algorithm, SignatureSuite};
use crate::error::KeyError;
use sm2::dsa::signature::{Signer, Verifier};

/// The distinguishing identifier of every SM2 signature of the protocol: the standard's
/// default.
pub const SM2_DISTINGUISHING_ID: &str = "1234567812345678";

/// The length of an SM2 public key: the uncompressed point `04‖x‖y`.
pub(crate) const PUBLIC_KEY_LENGTH: usize = 65;

/// n − 1, big-endian: the one non-zero scalar below n that cannot sign, since SM2 signs
/// with (1 + d)⁻¹ and 1 + (n − 1) is 0 mod n.
const N_MINUS_1: [u8; 32] = [
    0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x72, 0x03, 0xdf, 0x6b, 0x21, 0xc6, 0x05, 0x2b, 0x53, 0xbb, 0xf4, 0x09, 0x39, 0xd5, 0x41, 0x22,
];

/// SM2 with SM3 through RustCrypto's `sm2`.
pub(super) struct Sm2Suite;

/// Decodes an SM2 public key: the uncompressed point `04‖x‖y` of the curve, with Z
/// computed for [`SM2_DISTINGUISHING_ID`].
pub(super) fn sm2_public_key(bytes: &[u8]) -> Result<sm2::dsa::VerifyingKey, KeyError> {
    sm2::dsa::VerifyingKey::new(SM2_DISTINGUISHING_ID, sm2_point(bytes)?).map_err(|_| {
        KeyError::Malformed {
            reason: "not a point on the SM2 curve".into(),
        }
    })
}

/// Decodes the point of an SM2 public key, to verify with or to seal to (§24.1): the
/// uncompressed point `04‖x‖y`, 65 bytes, on the curve.
pub(crate) fn sm2_point(bytes: &[u8]) -> Result<sm2::PublicKey, KeyError> {
    if bytes.len() != PUBLIC_KEY_LENGTH || bytes[0] != 0x04 {
        return Err(KeyError::Malformed {
            reason: format!(
                "an SM2 public key is the uncompressed point 04‖x‖y of {PUBLIC_KEY_LENGTH} bytes, not {} bytes starting {:02x}",
                bytes.len(),
                bytes.first().copied().unwrap_or_default()
            ),
        });
    }
    sm2::PublicKey::from_sec1_bytes(bytes).map_err(|_| KeyError::Malformed {
        reason: "not a point on the SM2 curve".into(),
    })
}

/// Decodes an SM2 secret key: a 32-byte scalar from 1 to n − 2.
pub(super) fn sm2_signing_key(secret: &[u8]) -> Result<sm2::dsa::SigningKey, KeyError> {
    let bytes = array::<32>(secret, "SM2 secret key")?;
    let malformed = || KeyError::Malformed {
        reason: "an SM2 secret key is a scalar from 1 to n − 2".into(),
    };
    if bytes == N_MINUS_1 {
        return Err(malformed());
    }
    let secret = sm2::SecretKey::from_bytes(&bytes.into()).map_err(|_| malformed())?;
    sm2::dsa::SigningKey::new(SM2_DISTINGUISHING_ID, &secret).map_err(|_| malformed())
}

/// The uncompressed public point of a signing key.
pub(super) fn sm2_public_bytes(key: &sm2::dsa::SigningKey) -> Vec<u8> {
    key.verifying_key().to_sec1_bytes().to_vec()
}

/// A deterministic SM2 signature `r‖s` of `message` (the nonce by RFC 6979 with SM3).
pub(super) fn sm2_sign(key: &sm2::dsa::SigningKey, message: &[u8]) -> Result<Vec<u8>, KeyError> {
    let signature: sm2::dsa::Signature =
        key.try_sign(message).map_err(|e| KeyError::Malformed {
            reason: format!("the SM2 key could not sign: {e}"),
        })?;
    Ok(signature.to_bytes().to_vec())
}

/// Whether `signature` (`r‖s`) is a valid SM2 signature of `message` under `key`.
pub(super) fn sm2_verify(key: &sm2::dsa::VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
        return false;
    };
    let Ok(signature) = sm2::dsa::Signature::from_bytes(&bytes) else {
        return false; // r or s outside 1..n − 1
    };
    key.verify(message, &signature).is_ok()
}

impl SignatureSuite for Sm2Suite {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Sm2Sm3
    }

    fn check_public_key(&self, public_key: &[u8]) -> Result<(), KeyError> {
        sm2_public_key(public_key).map(|_| ())
    }

    fn public_key_of(&self, secret_key: &[u8]) -> Result<Vec<u8>, KeyError> {
        Ok(sm2_public_bytes(&sm2_signing_key(secret_key)?))
    }

    fn sign(&self, secret_key: &[u8], message: &[u8]) -> Result<Vec<u8>, KeyError> {
        sm2_sign(&sm2_signing_key(secret_key)?, message)
    }

    fn signature_length(&self) -> usize {
        64
    }

    fn verify(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        sm2_public_key(public_key).is_ok_and(|key| sm2_verify(&key, message, signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::from_hex as hex;

    /// The signature example of GB/T 32918.5-2017 (Annex A): the recommended curve,
    /// the default identifier and the message "message digest".
    #[test]
    fn the_standards_signature_example_verifies() {
        let secret = hex("3945208F 7B2144B1 3F36E38A C6D39F95 88939369 2860B51A 42FB81EF 4DF7C5B8");
        let public = hex(
            "04 09F9DF31 1E5421A1 50DD7D16 1E4BC5C6 72179FAD 1833FC07 6BB08FF3 56F35020
                CCEA490C E26775A5 2DC6EA71 8CC1AA60 0AED05FB F35E084A 6632F607 2DA9AD13",
        );
        let signature = hex(
            "F5A03B06 48D2C463 0EEAC513 E1BB81A1 5944DA38 27D5B741 43AC7EAC EEE720B3
             B1B6AA29 DF212FD8 763182BC 0D421CA1 BB9038FD 1F7F42D4 840B69C4 85BBC1AA",
        );
        let message = b"message digest";
        assert_eq!(Sm2Suite.public_key_of(&secret), Ok(public.clone()));
        assert!(Sm2Suite.verify(&public, message, &signature));
        assert!(!Sm2Suite.verify(&public, b"message digesT", &signature));
        // Our own signature of it verifies, and is the same each time (RFC 6979).
        let ours = Sm2Suite.sign(&secret, message).expect("sign");
        assert!(Sm2Suite.verify(&public, message, &ours));
        assert_eq!(ours, Sm2Suite.sign(&secret, message).expect("sign"));
    }

    /// The examples of GB/T 32905-2016 (Annex A): "abc", and "abcd" sixteen times.
    #[test]
    fn sm3_gives_the_standards_examples() {
        use sm3::Digest;
        let examples = [
            (
                b"abc".to_vec(),
                "66c7f0f4 62eeedd9 d1f2d46b dc10e4e2 4167c487 5cf2f7a2 297da02b 8f4ba8e0",
            ),
            (
                b"abcd".repeat(16),
                "debe9ff9 2275b8a1 38604889 c18e5a4d 6fdb70e5 387e5765 293dcba3 9c0c5732",
            ),
        ];
        for (input, digest) in examples {
            assert_eq!(sm3::Sm3::digest(&input).to_vec(), hex(digest));
        }
    }

    #[test]
    fn one_encoding_of_keys_and_signatures() {
        let secret = [7u8; 32];
        let public = Sm2Suite.public_key_of(&secret).expect("public key");
        assert_eq!(public.len(), 65);
        let signature = Sm2Suite.sign(&secret, b"m").expect("sign");
        let refused = |bytes: &[u8]| Sm2Suite.check_public_key(bytes).is_err();
        assert!(refused(&public[1..]), "x‖y without 04");
        let mut compressed = vec![0x02 | (public[64] & 1)];
        compressed.extend(&public[1..33]);
        assert!(refused(&compressed), "compressed");
        let mut off_curve = public.clone();
        off_curve[64] ^= 1;
        assert!(refused(&off_curve), "off the curve");
        assert!(Sm2Suite.check_public_key(&public).is_ok());
        // r or s of zero, or n and above, never verify.
        let mut zero_r = signature.clone();
        zero_r[..32].fill(0);
        assert!(!Sm2Suite.verify(&public, b"m", &zero_r));
        let mut huge_s = signature.clone();
        huge_s[32..].fill(0xff);
        assert!(!Sm2Suite.verify(&public, b"m", &huge_s));
        // Secret keys: 0 and n − 1 are refused.
        assert!(Sm2Suite.public_key_of(&[0u8; 32]).is_err());
        let n_minus_1 =
            hex("FFFFFFFE FFFFFFFF FFFFFFFF FFFFFFFF 7203DF6B 21C6052B 53BBF409 39D54122");
        assert!(Sm2Suite.public_key_of(&n_minus_1).is_err());
    }
}
