//! The national sealing suite `sm2-sm4-gcm` (国密 digital envelope): a fresh SM4 key and
//! GCM nonce are encrypted to the receiver with SM2 public-key encryption (GB/T 32918.4,
//! with SM3, ciphertext order C1‖C3‖C2 of GB/T 35276), and the plaintext is encrypted
//! with SM4 (GB/T 32907) in GCM mode (RFC 8998's AEAD_SM4_GCM: 16-byte key, 12-byte
//! nonce, 16-byte tag) with the context as associated data. SM2 encryption is RustCrypto's
//! `sm2` 0.14, SM4 is RustCrypto's `sm4`, and GCM is `aes-gcm`'s generic mode over SM4;
//! no primitive is written here.
//!
//! - A public key is the uncompressed point `04‖x‖y`, 65 bytes, on the curve, as for
//!   signatures; a secret key is the 32-byte scalar `d`, 1 ≤ d ≤ n − 1.
//! - `enc` is the SM2 ciphertext of `key‖nonce` (28 bytes): C1 uncompressed (65 bytes),
//!   C3 (32), C2 (28): 125 bytes. A compressed C1 is malformed.
//! - `ct` is the SM4-GCM ciphertext followed by its 16-byte tag.
//! - The ephemeral secret is `key‖nonce‖k`, 60 bytes: the SM4 key, the nonce and the SM2
//!   encryption's random `k` (1 ≤ k ≤ n − 1, big-endian), in that order.

use super::ephemeral::Ephemeral;
use crate::crypto::array;
use crate::crypto::sm2::PUBLIC_KEY_LENGTH;
use crate::error::KeyError;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::AesGcm;
use sm2_pke::pke::{DecryptingKey, EncryptingKey};
use zeroize::Zeroizing;

/// SM4 in GCM mode with a 12-byte nonce and a 16-byte tag.
pub(super) type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

/// The length of the SM4 key.
const SM4_KEY_LENGTH: usize = 16;
/// The length of the GCM nonce.
const NONCE_LENGTH: usize = 12;
/// The length of SM2's random `k`.
const K_LENGTH: usize = 32;
/// The length of the ephemeral secret: key, nonce and `k`.
pub(super) const EPHEMERAL_LENGTH: usize = SM4_KEY_LENGTH + NONCE_LENGTH + K_LENGTH;
/// The length of `enc`: C1 (65), C3 (32) and C2 (28).
pub(super) const ENC_LENGTH: usize = PUBLIC_KEY_LENGTH + 32 + SM4_KEY_LENGTH + NONCE_LENGTH;

/// Checks an SM2 public key for encryption as for signatures: the uncompressed point
/// `04‖x‖y` on the curve. The check is the signatures' (RustCrypto's `sm2` 0.13, already
/// in every build): a point is a point, whichever operation uses it, and a registry is
/// checked without linking the second generation's arithmetic.
pub(super) fn check_public_key(bytes: &[u8]) -> Result<(), KeyError> {
    crate::crypto::sm2::sm2_point(bytes).map(|_| ())
}

/// The encryption key of a checked public key.
fn encrypting_key(bytes: &[u8]) -> Option<EncryptingKey> {
    EncryptingKey::from_sec1_bytes(bytes).ok()
}

/// Decodes a secret key and gives it with its public key.
pub(super) fn secret_key(bytes: &[u8]) -> Result<(DecryptingKey, Vec<u8>), KeyError> {
    let scalar = Zeroizing::new(array::<32>(bytes, "an SM2 secret key")?);
    let key = DecryptingKey::from_slice(scalar.as_ref()).map_err(|_| KeyError::Malformed {
        reason: "an SM2 secret key is a scalar from 1 to n - 1".into(),
    })?;
    let public = key.encrypting_key().to_sec1_bytes().to_vec();
    Ok((key, public))
}

/// Whether the 32 bytes `k` are a scalar SM2 may encrypt with, or a secret key
/// (1 ≤ k ≤ n − 1): a range check, without the scalar multiplication that making a key
/// would cost.
pub(super) fn valid_k(k: &[u8]) -> bool {
    k.len() == 32 && sm2::SecretKey::from_slice(k).is_ok()
}

/// Seals `plaintext` to `recipient` (a checked public key) with `aad`: `(enc, ct)`.
/// `None` when the ephemeral secret is not the 60 bytes the suite draws (or its `k` is
/// out of range).
pub(super) fn seal(
    recipient: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    ephemeral: &mut Ephemeral,
) -> Option<(Vec<u8>, Vec<u8>)> {
    let envelope = Zeroizing::new(ephemeral.take(SM4_KEY_LENGTH + NONCE_LENGTH)?.to_vec());
    let (key, nonce) = envelope.split_at(SM4_KEY_LENGTH);
    let ct = Sm4Gcm::new_from_slice(key)
        .ok()?
        .encrypt(
            nonce.into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .ok()?;
    let enc = encrypting_key(recipient)?
        .encrypt(ephemeral, &envelope)
        .ok()?;
    (!ephemeral.misused() && enc.len() == ENC_LENGTH).then_some((enc, ct))
}

/// Opens `(enc, ct)` with `secret` and `aad`. `None` when `enc` is not an SM2 ciphertext
/// of 28 bytes with an uncompressed C1, SM2 refuses it (C3 does not match), or GCM does.
pub(super) fn open(secret: &DecryptingKey, aad: &[u8], enc: &[u8], ct: &[u8]) -> Option<Vec<u8>> {
    if enc.len() != ENC_LENGTH || enc[0] != 0x04 {
        return None;
    }
    let envelope = Zeroizing::new(secret.decrypt(enc).ok()?);
    if envelope.len() != SM4_KEY_LENGTH + NONCE_LENGTH {
        return None;
    }
    let (key, nonce) = envelope.split_at(SM4_KEY_LENGTH);
    Sm4Gcm::new_from_slice(key)
        .ok()?
        .decrypt(nonce.into(), Payload { msg: ct, aad })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::from_hex as hex;

    /// GB/T 32918.5-2017 (GM/T 0003.5), Annex C: SM2 encryption of "encryption standard"
    /// on the recommended curve with the example's key and k, in C1‖C3‖C2 order.
    #[test]
    fn sm2_reproduces_the_standard_example() {
        let d = hex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8");
        let k = hex("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21");
        let expected = hex(concat!(
            "04",
            "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73",
            "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0",
            "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766",
            "21886CA989CA9C7D58087307CA93092D651EFA",
        ));
        let (secret, public) = secret_key(&d).expect("valid in this test");
        check_public_key(&public).expect("valid in this test");
        let recipient = encrypting_key(&public).expect("valid in this test");
        let mut source = Ephemeral::new(&k);
        let cipher = recipient
            .encrypt(&mut source, b"encryption standard")
            .expect("valid in this test");
        assert!(!source.misused());
        assert_eq!(cipher, expected);
        assert_eq!(
            secret.decrypt(&expected).expect("valid in this test"),
            b"encryption standard"
        );
    }

    /// SM4-GCM through `aes-gcm`'s generic mode against RFC 8998, Appendix A.1's
    /// AEAD_SM4_GCM example.
    #[test]
    fn sm4_gcm_reproduces_rfc_8998() {
        let key = hex("0123456789ABCDEFFEDCBA9876543210");
        let nonce = hex("00001234567800000000ABCD");
        let aad = hex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let plaintext = hex(concat!(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD",
            "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        ));
        let expected = hex(concat!(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735",
            "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D",
            "83DE3541E4C2B58177E065A9BF7B62EC",
        ));
        let ct = Sm4Gcm::new_from_slice(&key)
            .expect("valid in this test")
            .encrypt(
                nonce.as_slice().into(),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .expect("valid in this test");
        assert_eq!(ct, expected);
    }

    #[test]
    fn refuses_malformed_keys() {
        let (_, public) = secret_key(&[7u8; 32]).expect("valid in this test");
        assert!(check_public_key(&public).is_ok());
        let mut off_curve = public.clone();
        off_curve[64] ^= 1;
        let mut compressed = vec![0x02 | (public[64] & 1)];
        compressed.extend_from_slice(&public[1..33]);
        for bad in [off_curve, compressed, public[1..].to_vec()] {
            assert!(matches!(
                check_public_key(&bad),
                Err(KeyError::Malformed { .. })
            ));
        }
        let n = hex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123");
        for bad in [vec![0u8; 32], n, vec![1u8; 31]] {
            assert!(matches!(secret_key(&bad), Err(KeyError::Malformed { .. })));
        }
    }
}
