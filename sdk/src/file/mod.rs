//! File exchange (`docs/PROTOCOL.md` §23): the files that verified messages reference
//! by digest — the materials of a transfer or supplement, the documents of a decision —
//! travel between the two parties, checked against the reference while they stream.
//!
//! A message names a file by a [`FileRef`] (name, SHA-256, media type, size). The party
//! that needs the file fetches it from the party that sent the message
//! (`GET <endpoint>/files/<sha256>`, resumable with `Range`), with a request signed by
//! its registry key ([`FileRequest`]). The reference is the authority: bytes that do not
//! match it are refused and never kept ([`FileCheck`]).
//!
//! ```
//! use tongban::file::{FileCheck, FileHasher};
//! let scan = b"%PDF-1.7 ... the lease contract";
//! let mut hasher = FileHasher::new();
//! for chunk in scan.chunks(8) {
//!     hasher.update(chunk);
//! }
//! let reference = hasher.into_reference("租赁合同", "application/pdf");
//! assert_eq!(reference.size, scan.len() as u64);
//!
//! // The receiving side checks the bytes as they arrive.
//! let mut check = FileCheck::new(&reference);
//! check.update(&scan[..10])?;
//! check.update(&scan[10..])?;
//! check.finish()?;
//!
//! let mut forged = FileCheck::new(&reference);
//! forged.update(b"%PDF-1.7 ... another contract")?;
//! assert_eq!(forged.finish().unwrap_err().code(), "file.size_mismatch");
//! # Ok::<(), tongban::error::FileError>(())
//! ```

mod request;

pub use request::{FileRequest, RequestTarget, MAX_REQUEST_VALIDITY_SECONDS, REQUEST_HEADER};

use crate::digest::{Sha256Digest, Sm3Digest};
use crate::error::FileError;
use crate::message::{Body, FileRef};
use sha2::{Digest, Sha256};

/// The first protocol version with the file exchange: two members exchange files when
/// the version they negotiate (§20) is this or later.
pub const SINCE: crate::version::ProtocolVersion = crate::version::ProtocolVersion::V1_1;

/// The largest file a reference may name under file exchange: 50 MiB.
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

/// The most bytes the distinct files of one case may add up to: 200 MiB.
pub const MAX_CASE_BYTES: u64 = 200 * 1024 * 1024;

/// The path, under a member's registry endpoint, of the file with a digest:
/// `/files/<sha256>`.
pub fn file_path(sha256: &Sha256Digest) -> String {
    format!("{FILES_PATH}/{sha256}")
}

/// The path, under a member's registry endpoint, under which it serves files.
pub const FILES_PATH: &str = "/files";

/// SHA-256 (and, for the national suite, SM3) and size of bytes fed in pieces, for a
/// file too large to hold whole.
#[derive(Debug, Clone, Default)]
pub struct FileHasher {
    hasher: Sha256,
    sm3: Option<sm3::Sm3>,
    size: u64,
}

impl FileHasher {
    /// A hasher that has seen no bytes.
    pub fn new() -> FileHasher {
        FileHasher::default()
    }

    /// A hasher that also computes the SM3 digest, for a reference under an agreement
    /// on `sm2-sm3` (1.1, §6).
    pub fn with_sm3() -> FileHasher {
        FileHasher {
            sm3: Some(sm3::Sm3::new()),
            ..FileHasher::default()
        }
    }

    /// Feeds the next piece of the file.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        if let Some(sm3) = &mut self.sm3 {
            sm3.update(bytes);
        }
        self.size += bytes.len() as u64;
    }

    /// The bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digest of the bytes fed.
    pub fn digest(self) -> Sha256Digest {
        self.digests().0
    }

    /// The SHA-256 and (for a hasher [`FileHasher::with_sm3`]) SM3 digests of the
    /// bytes fed.
    pub fn digests(self) -> (Sha256Digest, Option<Sm3Digest>) {
        let sm3 = self.sm3.map(|sm3| Sm3Digest::from_bytes(&sm3.finalize()));
        (Sha256Digest::from_bytes(&self.hasher.finalize()), sm3)
    }

    /// The reference to the file fed: its digests and size, with `name` and
    /// `media_type`.
    pub fn into_reference(self, name: &str, media_type: &str) -> FileRef {
        let size = self.size;
        let (sha256, sm3) = self.digests();
        FileRef {
            name: name.to_string(),
            sha256,
            sm3,
            media_type: media_type.to_string(),
            size,
            sealed: None,
        }
    }
}

/// Checks a file's bytes against its reference while they stream in: more bytes than
/// the reference's size are refused at once (`file.size_mismatch`), and at the end the
/// size and the digest must match (`file.digest_mismatch`), and the SM3 digest too when
/// the reference has one.
#[derive(Debug, Clone)]
pub struct FileCheck {
    expected: FileRef,
    hasher: FileHasher,
}

impl FileCheck {
    /// A check of `reference`'s file from its first byte.
    pub fn new(reference: &FileRef) -> FileCheck {
        FileCheck {
            expected: reference.clone(),
            hasher: match reference.sm3 {
                Some(_) => FileHasher::with_sm3(),
                None => FileHasher::new(),
            },
        }
    }

    /// Feeds the next piece; refuses it if the file would then be longer than the
    /// reference says.
    pub fn update(&mut self, bytes: &[u8]) -> Result<(), FileError> {
        let size = self.hasher.size() + bytes.len() as u64;
        if size > self.expected.size {
            return Err(FileError::SizeMismatch {
                sha256: self.expected.sha256.to_string(),
                expected: self.expected.size,
                actual: size,
            });
        }
        self.hasher.update(bytes);
        Ok(())
    }

    /// The bytes fed so far.
    pub fn received(&self) -> u64 {
        self.hasher.size()
    }

    /// Whether every byte the reference announces has been fed.
    pub fn is_complete(&self) -> bool {
        self.hasher.size() == self.expected.size
    }

    /// Checks the size and the digest of the whole file.
    pub fn finish(self) -> Result<(), FileError> {
        if self.hasher.size() != self.expected.size {
            return Err(FileError::SizeMismatch {
                sha256: self.expected.sha256.to_string(),
                expected: self.expected.size,
                actual: self.hasher.size(),
            });
        }
        let (actual, actual_sm3) = self.hasher.digests();
        if actual != self.expected.sha256 {
            return Err(FileError::DigestMismatch {
                expected: self.expected.sha256.to_string(),
                actual: actual.to_string(),
            });
        }
        match (&self.expected.sm3, actual_sm3) {
            (Some(expected), Some(actual)) if expected != &actual => {
                Err(FileError::DigestMismatch {
                    expected: format!("SM3 {expected}"),
                    actual: format!("SM3 {actual}"),
                })
            }
            _ => Ok(()),
        }
    }
}

/// (1.1) The media type a sealed file's bytes are served as (§24.6).
pub const SEALED_MEDIA_TYPE: &str = "application/octet-stream";

/// What a receiver fetches for `reference` and checks as it arrives (§23.4, with
/// [`FileCheck`] and [`check_media_type`]): the file itself, or for a sealed file (§24.6)
/// its sealed bytes, at the digest of the sealed bytes, of the sealed length, served as
/// [`SEALED_MEDIA_TYPE`], which are opened afterwards
/// ([`crate::Verified::file_opener`]) and the file read checked against `reference`.
pub fn fetched(reference: &FileRef) -> FileRef {
    match &reference.sealed {
        None => reference.clone(),
        Some(sealed) => FileRef {
            name: reference.name.clone(),
            sha256: sealed.sha256.clone(),
            sm3: None,
            media_type: SEALED_MEDIA_TYPE.to_string(),
            size: crate::seal::sealed_size(reference.size),
            sealed: None,
        },
    }
}

/// A media type's essence, compared between a reference and a `Content-Type`: the part
/// before any parameter, without surrounding spaces, in lower case (media types are
/// case-insensitive, RFC 9110 §8.3.1).
pub fn media_type_essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Checks that a file served as `content_type` has its reference's media type (equal
/// essences, [`media_type_essence`]).
pub fn check_media_type(reference: &FileRef, content_type: &str) -> Result<(), FileError> {
    if media_type_essence(content_type) == media_type_essence(&reference.media_type) {
        Ok(())
    } else {
        Err(FileError::MediaTypeMismatch {
            sha256: reference.sha256.to_string(),
            expected: reference.media_type.clone(),
            actual: content_type.to_string(),
        })
    }
}

/// The files a message body references, in the order it lists them: a transfer's
/// materials and (1.1) its agent's power of attorney and its commitments' statements, a
/// supplement's materials, a decision's documents.
pub fn references(body: &Body) -> Vec<&FileRef> {
    match body {
        Body::Transfer(transfer) => {
            let power_of_attorney = transfer.agent.as_ref().map(|a| &a.power_of_attorney);
            let statements = transfer.commitments.iter().flatten().map(|c| &c.statement);
            let materials = transfer.materials.iter().chain(power_of_attorney);
            materials.chain(statements).collect()
        }
        Body::Supplement(supplement) => supplement.materials.iter().collect(),
        Body::Decision(decision) => decision.documents.iter().map(|d| &d.file).collect(),
        _ => Vec::new(),
    }
}

/// [`references`], to change: a sender fills in (1.1) the SM3 digests of the files it
/// holds.
pub fn references_mut(body: &mut Body) -> Vec<&mut FileRef> {
    match body {
        Body::Transfer(transfer) => {
            let power_of_attorney = transfer.agent.as_mut().map(|a| &mut a.power_of_attorney);
            let statements = transfer
                .commitments
                .iter_mut()
                .flatten()
                .map(|c| &mut c.statement);
            let materials = transfer.materials.iter_mut().chain(power_of_attorney);
            materials.chain(statements).collect()
        }
        Body::Supplement(supplement) => supplement.materials.iter_mut().collect(),
        Body::Decision(decision) => decision.documents.iter_mut().map(|d| &mut d.file).collect(),
        _ => Vec::new(),
    }
}

/// Checks the limits of §23.6 for the files of one case: every reference at most
/// [`MAX_FILE_BYTES`], and the distinct files (by digest) at most [`MAX_CASE_BYTES`]
/// together. Pass every reference of the case's messages, those already held and the
/// new message's.
pub fn check_limits<'a>(
    references: impl IntoIterator<Item = &'a FileRef>,
) -> Result<(), FileError> {
    // A list, not a map: a case has few files, and the WASM build stays small.
    let mut distinct: Vec<&FileRef> = Vec::new();
    for reference in references {
        if reference.size > MAX_FILE_BYTES {
            return Err(FileError::TooLarge {
                name: reference.name.clone(),
                size: reference.size,
                limit: MAX_FILE_BYTES,
            });
        }
        if !distinct
            .iter()
            .any(|known| known.sha256 == reference.sha256)
        {
            distinct.push(reference);
        }
    }
    let total = distinct.iter().map(|r| r.size).sum::<u64>();
    if total > MAX_CASE_BYTES {
        return Err(FileError::CaseTooLarge {
            total,
            limit: MAX_CASE_BYTES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(bytes: &[u8]) -> FileRef {
        let mut hasher = FileHasher::new();
        hasher.update(bytes);
        hasher.into_reference("身份证复印件", "application/pdf")
    }

    #[test]
    fn the_digest_is_sha256_of_the_whole_file_however_it_is_cut() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let whole = reference(&bytes);
        assert_eq!(whole.sha256, Sha256Digest::of(&bytes));
        for piece in [1, 7, 4096, 65_536] {
            let mut hasher = FileHasher::new();
            bytes.chunks(piece).for_each(|chunk| hasher.update(chunk));
            assert_eq!(
                hasher.into_reference("身份证复印件", "application/pdf"),
                whole
            );
        }
    }

    #[test]
    fn bytes_that_differ_from_the_reference_are_refused_with_their_own_code() {
        let good = reference(b"the lease contract");
        let code = |bytes: &[u8]| {
            let mut check = FileCheck::new(&good);
            check
                .update(bytes)
                .and_then(|()| check.finish())
                .map_err(|e| e.code())
        };
        assert_eq!(code(b"the lease contract"), Ok(()));
        assert_eq!(code(b"the lease contrac"), Err("file.size_mismatch"));
        assert_eq!(code(b"the lease contract!"), Err("file.size_mismatch"));
        assert_eq!(code(b"the lease CONTRACT"), Err("file.digest_mismatch"));
        // Too many bytes are refused as they arrive, before the end.
        let mut check = FileCheck::new(&good);
        assert!(check.update(b"the lease contract").is_ok());
        assert!(check.is_complete());
        assert_eq!(
            check.update(b"x").map_err(|e| e.code()),
            Err("file.size_mismatch")
        );
        assert_eq!(check.received(), 18);
    }

    #[test]
    fn media_types_compare_by_essence() {
        let pdf = reference(b"x");
        assert!(check_media_type(&pdf, "application/pdf").is_ok());
        assert!(check_media_type(&pdf, "Application/PDF; charset=binary").is_ok());
        assert_eq!(
            check_media_type(&pdf, "image/jpeg").map_err(|e| e.code()),
            Err("file.media_type_mismatch")
        );
        assert!(check_media_type(&pdf, "").is_err());
    }

    #[test]
    fn limits_count_each_file_once_per_case() {
        let file = |size, digit: char| FileRef {
            name: "扫描件".into(),
            sha256: Sha256Digest::parse(digit.to_string().repeat(64)).expect("digest"),
            sm3: None,
            media_type: "application/pdf".into(),
            size,
            sealed: None,
        };
        let largest = file(MAX_FILE_BYTES, 'a');
        assert!(check_limits([&largest]).is_ok());
        let over = file(MAX_FILE_BYTES + 1, 'b');
        assert_eq!(
            check_limits([&over]).map_err(|e| e.code()),
            Err("file.too_large")
        );
        // Four files of 50 MiB are exactly 200 MiB; the same file twice counts once.
        let four: Vec<FileRef> = "abcd".chars().map(|d| file(MAX_FILE_BYTES, d)).collect();
        assert!(check_limits(four.iter().chain([&four[0]])).is_ok());
        let fifth = file(1, 'e');
        assert_eq!(
            check_limits(four.iter().chain([&fifth])).map_err(|e| e.code()),
            Err("file.case_too_large")
        );
    }
}
