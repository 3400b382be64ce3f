//! An HPKE box whose shared secret is all zeros (an `enc` of small order), which RFC 9180
//! §7.1.4 requires a receiver to refuse. No HPKE library will make one, so it is made
//! here with RFC 9180's key schedule (§4, §5.1, §7.1) from HKDF-SHA256 and AES-128-GCM:
//! a receiver that skips the check opens it, and fails the vector. The test below checks
//! the schedule against RFC 9180's test vector A.1.1.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use hkdf::Hkdf;
use sha2::Sha256;

/// DHKEM(X25519, HKDF-SHA256): `"KEM"` and 0x0020.
const KEM_SUITE: &[u8] = b"KEM\x00\x20";
/// The HPKE suite: `"HPKE"`, KEM 0x0020, KDF 0x0001, AEAD 0x0001.
const HPKE_SUITE: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x01";

fn labeled_extract(suite: &[u8], salt: &[u8], label: &str, ikm: &[u8]) -> Vec<u8> {
    let input = [b"HPKE-v1", suite, label.as_bytes(), ikm].concat();
    Hkdf::<Sha256>::extract(Some(salt), &input).0.to_vec()
}

fn labeled_expand(suite: &[u8], prk: &[u8], label: &str, info: &[u8], length: u16) -> Vec<u8> {
    let info = [
        &length.to_be_bytes()[..],
        b"HPKE-v1",
        suite,
        label.as_bytes(),
        info,
    ]
    .concat();
    let mut out = vec![0u8; usize::from(length)];
    let hkdf = super::must("HKDF PRK", Hkdf::<Sha256>::from_prk(prk));
    super::must("HKDF-Expand", hkdf.expand(&info, &mut out));
    out
}

/// The base-mode AES-128-GCM ciphertext (with its tag) of `plaintext` under the shared
/// secret the KEM gives for Diffie-Hellman result `dh`, `enc` and the receiver's `pk_r`.
fn seal_with_dh(
    dh: &[u8],
    enc: &[u8],
    pk_r: &[u8],
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let eae_prk = labeled_extract(KEM_SUITE, b"", "eae_prk", dh);
    let shared_secret = labeled_expand(
        KEM_SUITE,
        &eae_prk,
        "shared_secret",
        &[enc, pk_r].concat(),
        32,
    );
    let psk_id_hash = labeled_extract(HPKE_SUITE, b"", "psk_id_hash", b"");
    let info_hash = labeled_extract(HPKE_SUITE, b"", "info_hash", info);
    let context = [&[0u8][..], &psk_id_hash, &info_hash].concat();
    let secret = labeled_extract(HPKE_SUITE, &shared_secret, "secret", b"");
    let key = labeled_expand(HPKE_SUITE, &secret, "key", &context, 16);
    let nonce = labeled_expand(HPKE_SUITE, &secret, "base_nonce", &context, 12);
    let cipher = super::must(
        "AES-128-GCM key",
        aes_gcm::Aes128Gcm::new_from_slice(&key).map_err(|e| e.to_string()),
    );
    super::must(
        "AES-128-GCM",
        cipher
            .encrypt(
                nonce.as_slice().into(),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|e| e.to_string()),
    )
}

/// `(enc, ct)`: `enc` the X25519 point 0, whose product with any key is 0, and `ct` the
/// plaintext sealed under the all-zero shared secret, as tongban seals a box (`aad`
/// empty).
pub(super) fn zero_shared_secret_box(
    pk_r: &[u8],
    info: &[u8],
    plaintext: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let enc = [0u8; 32];
    (
        enc.to_vec(),
        seal_with_dh(&[0u8; 32], &enc, pk_r, info, b"", plaintext),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::sm2::hex;
    use curve25519_dalek::montgomery::MontgomeryPoint;

    /// RFC 9180, A.1.1: the same schedule, with the real Diffie-Hellman result.
    #[test]
    fn the_key_schedule_reproduces_rfc_9180_a_1_1() {
        let sk_e = hex("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736");
        let pk_r = hex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d");
        let enc = hex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431");
        let mut scalar = [0u8; 32];
        scalar.copy_from_slice(&sk_e);
        let mut point = [0u8; 32];
        point.copy_from_slice(&pk_r);
        let dh = MontgomeryPoint(point).mul_clamped(scalar).to_bytes();
        let ct = seal_with_dh(
            &dh,
            &enc,
            &pk_r,
            &hex("4f6465206f6e2061204772656369616e2055726e"),
            &hex("436f756e742d30"),
            &hex("4265617574792069732074727574682c20747275746820626561757479"),
        );
        assert_eq!(
            ct,
            hex("f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a")
        );
    }
}
