//! The international sealing suite `hpke-x25519-sha256-aes128gcm`: HPKE (RFC 9180) in
//! base mode with DHKEM(X25519, HKDF-SHA256) (KEM 0x0020), HKDF-SHA256 (KDF 0x0001) and
//! AES-128-GCM (AEAD 0x0001), single-shot, by rust-hpke; no primitive is written here.
//!
//! - A public key is the 32-byte X25519 u-coordinate, canonical (below 2²⁵⁵ − 19) and not
//!   of small order (its multiple by the cofactor 8 is not the identity): such a key would
//!   give every sender the same, public, shared secret (`key.weak`).
//! - A secret key is 32 bytes (RFC 7748 clamps it when used).
//! - `enc` is the sender's ephemeral public key, 32 bytes; `ct` is the AEAD output, the
//!   ciphertext followed by its 16-byte tag.
//! - The ephemeral secret is HPKE's `ikmE`, 32 bytes, from which `DeriveKeyPair` makes the
//!   ephemeral key pair (RFC 9180 §7.1.3): RFC 9180's own test vectors are reproduced
//!   from it.

use super::ephemeral::Ephemeral;
use super::TAG_LENGTH;
use crate::crypto::array;
use crate::error::KeyError;
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::scalar::Scalar;
use hpke::aead::{AeadTag, AesGcm128};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};

type PrivateKey = <X25519HkdfSha256 as hpke::Kem>::PrivateKey;
type PublicKey = <X25519HkdfSha256 as hpke::Kem>::PublicKey;
type EncappedKey = <X25519HkdfSha256 as hpke::Kem>::EncappedKey;

/// The length of a public key, of a secret key, of `enc` and of the ephemeral secret.
pub(super) const KEY_LENGTH: usize = 32;

/// 2²⁵⁵ − 19, little-endian: the field's modulus; a u-coordinate at or above it is not
/// canonical.
const P: [u8; 32] = [
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
];

/// Whether the little-endian number `bytes` is below `P`.
fn canonical(bytes: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        if bytes[i] != P[i] {
            return bytes[i] < P[i];
        }
    }
    false
}

/// Checks an X25519 public key: 32 bytes, canonical, not of small order.
pub(super) fn check_public_key(bytes: &[u8]) -> Result<(), KeyError> {
    let u = array::<KEY_LENGTH>(bytes, "an X25519 public key")?;
    if !canonical(&u) {
        return Err(KeyError::Malformed {
            reason: "an X25519 public key must be below 2^255 - 19".into(),
        });
    }
    if (MontgomeryPoint(u) * Scalar::from(8u8)).to_bytes() == [0u8; 32] {
        return Err(KeyError::Weak);
    }
    Ok(())
}

/// Decodes a secret key and gives it with its public key.
pub(super) fn secret_key(bytes: &[u8]) -> Result<(PrivateKey, Vec<u8>), KeyError> {
    let secret = PrivateKey::from_bytes(&array::<KEY_LENGTH>(bytes, "an X25519 secret key")?)
        .map_err(|e| KeyError::Malformed {
            reason: e.to_string(),
        })?;
    let public = X25519HkdfSha256::sk_to_pk(&secret).to_bytes().to_vec();
    Ok((secret, public))
}

/// Seals `plaintext` to `recipient` (a checked public key) under `info` (aad empty):
/// `(enc, ct)`. `None` when the ephemeral secret is not the 32 bytes HPKE draws, or the
/// sealing fails. The ciphertext is made in place in a buffer with room for its tag, so
/// that a large plaintext is copied once.
pub(super) fn seal(
    recipient: &[u8],
    info: &[u8],
    plaintext: &[u8],
    ephemeral: &mut Ephemeral,
) -> Option<(Vec<u8>, Vec<u8>)> {
    let recipient = PublicKey::from_bytes(recipient).ok()?;
    let mut ct = Vec::with_capacity(plaintext.len() + TAG_LENGTH);
    ct.extend_from_slice(plaintext);
    let sealed = hpke::single_shot_seal_in_place_detached::<
        AesGcm128,
        HkdfSha256,
        X25519HkdfSha256,
        _,
    >(&OpModeS::Base, &recipient, info, &mut ct, b"", ephemeral);
    match sealed {
        Ok((enc, tag)) if !ephemeral.misused() => {
            ct.extend_from_slice(&tag.to_bytes());
            Some((enc.to_bytes().to_vec(), ct))
        }
        _ => None,
    }
}

/// Opens `(enc, ct)` with `secret` under `info`. `None` when `enc` is not 32 bytes, `ct`
/// is shorter than its tag, the shared secret is all zeros, or the AEAD refuses.
pub(super) fn open(secret: &PrivateKey, info: &[u8], enc: &[u8], ct: &[u8]) -> Option<Vec<u8>> {
    let enc = EncappedKey::from_bytes(enc).ok()?;
    let (body, tag) = ct.split_at(ct.len().checked_sub(TAG_LENGTH)?);
    let tag = AeadTag::<AesGcm128>::from_bytes(tag).ok()?;
    let mut plaintext = body.to_vec();
    hpke::single_shot_open_in_place_detached::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        secret,
        &enc,
        info,
        &mut plaintext,
        b"",
        &tag,
    )
    .ok()?;
    Some(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::from_hex as hex;

    /// RFC 9180, Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM,
    /// base mode, sequence number 0 (the single-shot API's only one).
    #[test]
    fn reproduces_rfc_9180_a_1_1() {
        let ikm_e = hex("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234");
        let pk_r = hex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d");
        let sk_r = hex("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8");
        let info = hex("4f6465206f6e2061204772656369616e2055726e");
        let pt = hex("4265617574792069732074727574682c20747275746820626561757479");
        let aad = hex("436f756e742d30");
        let enc = hex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
        let ct = hex("f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a");

        let (secret, public) = secret_key(&sk_r).expect("valid in this test");
        assert_eq!(public, pk_r);
        check_public_key(&pk_r).expect("valid in this test");
        let recipient = PublicKey::from_bytes(&pk_r).expect("valid in this test");
        // The RFC's vector has an aad; tongban's boxes have none, so the vector is
        // checked through rust-hpke with the same ephemeral source tongban uses.
        let (got_enc, got_ct) =
            hpke::single_shot_seal::<AesGcm128, HkdfSha256, X25519HkdfSha256, _>(
                &OpModeS::Base,
                &recipient,
                &info,
                &pt,
                &aad,
                &mut Ephemeral::new(&ikm_e),
            )
            .expect("valid in this test");
        assert_eq!(got_enc.to_bytes().to_vec(), enc);
        assert_eq!(got_ct, ct);
        let opened = hpke::single_shot_open::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &secret,
            &EncappedKey::from_bytes(&enc).expect("valid in this test"),
            &info,
            &ct,
            &aad,
        )
        .expect("valid in this test");
        assert_eq!(opened, pt);
    }

    #[test]
    fn refuses_small_order_and_non_canonical_keys() {
        // The u-coordinates of points of order 1, 2, 4 and 8 (RFC 7748's "low order
        // points", as listed by libsodium), and their non-canonical twins u + p.
        for weak in [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ] {
            assert_eq!(
                check_public_key(&hex(weak)).err(),
                Some(KeyError::Weak),
                "{weak}"
            );
        }
        for non_canonical in [
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0000000000000000000000000000000000000000000000000000000000000080",
        ] {
            assert!(
                matches!(
                    check_public_key(&hex(non_canonical)),
                    Err(KeyError::Malformed { .. })
                ),
                "{non_canonical}"
            );
        }
        assert!(matches!(
            check_public_key(&[9u8; 31]),
            Err(KeyError::Malformed { .. })
        ));
        // The base point (u = 9) is an honest key.
        let mut nine = [0u8; 32];
        nine[0] = 9;
        assert!(check_public_key(&nine).is_ok());
    }
}
