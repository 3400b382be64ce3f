//! SHA-256 and (1.1) SM3 digests of documents and messages, and the digest algorithms
//! of the suites.

use crate::error::{IdError, IdRule};

/// A SHA-256 digest, written as 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Digest(String);

/// An SM3 digest (GB/T 32905), written as 64 lower-case hex digits: (1.1) the digest
/// of the national suite, beside the SHA-256 that addresses a file or a message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sm3Digest(String);

fn validate_hex(value: &str, algorithm: &str) -> Result<(), IdError> {
    if value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(IdError {
            rule: IdRule::DigestFormat,
            value: value.to_string(),
            reason: format!("{algorithm} digest must be 64 lower-case hex digits"),
            field: None,
        })
    }
}

fn validate(value: &str) -> Result<(), IdError> {
    validate_hex(value, "SHA-256")
}

fn validate_sm3(value: &str) -> Result<(), IdError> {
    validate_hex(value, "SM3")
}

crate::id::string_id!(
    Sha256Digest,
    validate,
    "^[0-9a-f]{64}$",
    "SHA-256 digest, 64 lower-case hex digits"
);

crate::id::string_id!(
    Sm3Digest,
    validate_sm3,
    "^[0-9a-f]{64}$",
    "SM3 digest, 64 lower-case hex digits"
);

/// 32 digest bytes as 64 lower-case hex digits.
fn hex(hash: &[u8]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sm3Digest {
    /// The SM3 digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sm3Digest {
        use sm3::Digest;
        Sm3Digest::from_bytes(&sm3::Sm3::digest(bytes))
    }

    /// The digest whose 32 bytes an SM3 hasher gave.
    pub fn from_bytes(hash: &[u8]) -> Sm3Digest {
        Sm3Digest(hex(hash))
    }
}

impl Sha256Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256Digest {
        let mut hasher = crate::file::FileHasher::new();
        hasher.update(bytes);
        hasher.digest()
    }

    /// The digest whose 32 bytes a SHA-256 hasher gave.
    pub fn from_bytes(hash: &[u8]) -> Sha256Digest {
        Sha256Digest(hex(hash))
    }
}

/// A digest algorithm: SHA-256 (FIPS 180-4), or SM3 (GB/T 32905) of the national
/// suite `sm2-sm3`. Both give 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DigestAlgorithm {
    /// SHA-256.
    Sha256,
    /// SM3.
    Sm3,
}

impl DigestAlgorithm {
    /// Its name in the protocol: `sha256` or `sm3`.
    pub fn as_str(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sm3 => "sm3",
        }
    }

    /// The algorithm named `name`, if it is one of the two.
    pub fn from_name(name: &str) -> Option<DigestAlgorithm> {
        match name {
            "sha256" => Some(DigestAlgorithm::Sha256),
            "sm3" => Some(DigestAlgorithm::Sm3),
            _ => None,
        }
    }

    /// The digest of `bytes` as 64 lower-case hex digits.
    pub fn hex_of(self, bytes: &[u8]) -> String {
        match self {
            DigestAlgorithm::Sha256 => Sha256Digest::of(bytes).to_string(),
            DigestAlgorithm::Sm3 => Sm3Digest::of(bytes).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_abc() {
        assert_eq!(
            Sha256Digest::of(b"abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            Sha256Digest::parse("ABC").map_err(|e| e.code()),
            Err("id.digest_format")
        );
    }

    /// GB/T 32905-2016, Annex A.1.
    #[test]
    fn sm3_of_abc() {
        assert_eq!(
            DigestAlgorithm::Sm3.hex_of(b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(DigestAlgorithm::from_name("SM3"), None);
    }
}
