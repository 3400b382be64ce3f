//! SHA-256 digests of documents and messages.

use crate::error::{IdError, IdRule};

/// A SHA-256 digest, written as 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256Digest(String);

fn validate(value: &str) -> Result<(), IdError> {
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
            reason: "SHA-256 digest must be 64 lower-case hex digits".into(),
            field: None,
        })
    }
}

crate::id::string_id!(
    Sha256Digest,
    validate,
    "^[0-9a-f]{64}$",
    "SHA-256 digest, 64 lower-case hex digits"
);

impl Sha256Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256Digest {
        let mut hasher = crate::file::FileHasher::new();
        hasher.update(bytes);
        hasher.digest()
    }

    /// The digest whose 32 bytes a SHA-256 hasher gave.
    pub fn from_bytes(hash: &[u8]) -> Sha256Digest {
        Sha256Digest(hash.iter().map(|b| format!("{b:02x}")).collect())
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
}
