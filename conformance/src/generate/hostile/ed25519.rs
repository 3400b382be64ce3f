//! Ed25519 edge cases built from the descriptions published by ed25519-speccheck
//! ("Taming the many EdDSAs") and C2SP's CCTV vectors: points of small and of mixed
//! order, non-canonical encodings, and signatures with a chosen R and S.

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use sha2::{Digest, Sha512};

/// p = 2^255 − 19, little-endian.
const P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// A signer: a secret scalar and the encoding of its public point.
pub(super) struct Signer {
    scalar: Scalar,
    /// The encoded public key.
    pub(super) public: [u8; 32],
}

impl Signer {
    /// The signer of an RFC 8032 seed (the clamped first half of SHA-512(seed)).
    pub(super) fn from_seed(seed: &[u8; 32]) -> Signer {
        let hash = Sha512::digest(seed);
        let mut clamped = [0u8; 32];
        clamped.copy_from_slice(&hash[..32]);
        clamped[0] &= 248;
        clamped[31] &= 127;
        clamped[31] |= 64;
        let scalar = Scalar::from_bytes_mod_order(clamped);
        Signer {
            scalar,
            public: EdwardsPoint::mul_base(&scalar).compress().to_bytes(),
        }
    }

    /// The same secret with `torsion` added to its public point: a key of mixed order.
    pub(super) fn with_torsion(&self, torsion: &EdwardsPoint) -> Signer {
        Signer {
            scalar: self.scalar,
            public: (EdwardsPoint::mul_base(&self.scalar) + torsion)
                .compress()
                .to_bytes(),
        }
    }

    /// A signature whose R is encoded as `r`, with S = `nonce` + k·a, where k hashes
    /// that encoding: valid for the cofactorless equation when `r` encodes nonce·B.
    pub(super) fn sign_with(&self, r: [u8; 32], nonce: Scalar, message: &[u8]) -> [u8; 64] {
        let k = hash_scalar(&[&r, &self.public, message]);
        signature(r, &(nonce + k * self.scalar))
    }

    /// A signature with R = nonce·B + `torsion`: what a cofactored verifier accepts and a
    /// cofactorless one refuses unless the torsion vanishes.
    pub(super) fn sign_with_torsion(&self, torsion: &EdwardsPoint, message: &[u8]) -> [u8; 64] {
        let nonce = hash_scalar(&[b"tongban hostile nonce", &self.public, message]);
        let r = (EdwardsPoint::mul_base(&nonce) + torsion)
            .compress()
            .to_bytes();
        self.sign_with(r, nonce, message)
    }
}

/// SHA-512 of the parts, reduced modulo the group order.
fn hash_scalar(parts: &[&[u8]]) -> Scalar {
    let mut hash = Sha512::new();
    for part in parts {
        hash.update(part);
    }
    Scalar::from_bytes_mod_order_wide(&hash.finalize().into())
}

/// The 64 bytes R ‖ S.
pub(super) fn signature(r: [u8; 32], s: &Scalar) -> [u8; 64] {
    let mut bytes = [0u8; 64];
    bytes[..32].copy_from_slice(&r);
    bytes[32..].copy_from_slice(s.as_bytes());
    bytes
}

/// The eight points of small order, named by their order (`order-8-1`, …).
pub(super) fn small_order_points() -> Vec<(String, EdwardsPoint)> {
    EIGHT_TORSION
        .iter()
        .enumerate()
        .map(|(i, point)| {
            let mut multiple = *point;
            let mut order = 1;
            while !multiple.is_identity() {
                multiple += point;
                order += 1;
            }
            (format!("order-{order}-{i}"), *point)
        })
        .collect()
}

/// The first point of order `order` (1, 2, 4 or 8) among the small-order points.
pub(super) fn torsion_of_order(order: u32) -> EdwardsPoint {
    small_order_points()
        .into_iter()
        .find(|(name, _)| name.starts_with(&format!("order-{order}-")))
        .map(|(_, point)| point)
        .unwrap_or_else(|| panic!("generator: no point of order {order}"))
}

/// Encodings that decode although they are not the canonical encoding of their point:
/// y = p + 0 … p + 18 (either sign), and x = 0 with the sign bit set.
pub(super) fn non_canonical_encodings() -> Vec<(String, [u8; 32])> {
    let mut found = Vec::new();
    for y in 0u8..19 {
        for negative in [false, true] {
            let mut bytes = P;
            bytes[0] += y;
            if negative {
                bytes[31] |= 0x80;
            }
            let decodes = CompressedEdwardsY(bytes).decompress();
            if decodes.is_some_and(|point| point.compress().to_bytes() != bytes) {
                let sign = if negative { "-negative-x" } else { "" };
                found.push((format!("y-is-p-plus-{y}{sign}"), bytes));
            }
        }
    }
    let mut identity = [0u8; 32];
    identity[0] = 1;
    identity[31] = 0x80;
    found.push(("identity-negative-zero-x".into(), identity));
    let mut minus_one = P;
    minus_one[0] -= 1;
    minus_one[31] |= 0x80;
    found.push(("order-2-negative-zero-x".into(), minus_one));
    found
}

/// The first y (2, 3, …) that is not the y coordinate of any curve point.
pub(super) fn off_curve() -> [u8; 32] {
    (2u8..=255)
        .map(|y| {
            let mut bytes = [0u8; 32];
            bytes[0] = y;
            bytes
        })
        .find(|bytes| CompressedEdwardsY(*bytes).decompress().is_none())
        .unwrap_or_else(|| panic!("generator: every small y is on the curve"))
}

/// A canonical encoding of `point`.
pub(super) fn encode(point: &EdwardsPoint) -> [u8; 32] {
    point.compress().to_bytes()
}
