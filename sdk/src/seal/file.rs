//! (1.1) Sealed files (§24.6): a file that a sealed body references travels, and rests,
//! encrypted under a fresh key that only the sealed body carries.
//!
//! - A [`FileKey`] is 16 random bytes, drawn afresh for every sealed file. It travels in
//!   the file's reference inside the sealed body, as [`SealedFile::key`], with the SHA-256
//!   of the sealed bytes, which is the address the receiver fetches (§23).
//! - The file is cut into records of [`FILE_RECORD_SIZE`] bytes (the last one shorter,
//!   and one empty record for an empty file), each sealed with the AEAD of the
//!   agreement's sealing suite (AES-128-GCM or SM4-GCM) under a nonce that numbers the
//!   record and marks the last one, with the file's context (§24.3, part `file/<sha256>`)
//!   as associated data: records cannot be reordered, dropped, cut short or moved into
//!   another file or message.
//! - [`FileSealer`] and [`FileOpener`] stream: neither holds more than a record.

use super::{gm::Sm4Gcm, SealContext, SealingSuite, TAG_LENGTH};
use crate::crypto::{base64url, from_base64url};
use crate::digest::Sha256Digest;
use crate::error::SealError;
use crate::id::KeyId;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes128Gcm;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The plaintext bytes of every record of a sealed file but the last: 16 KiB, the
/// largest TLS record. A reader holds at most one record (and its 16-byte tag) before
/// it is authenticated.
pub const FILE_RECORD_SIZE: usize = 16_384;

/// The length of a file key: 16 bytes, for AES-128-GCM and SM4-GCM alike.
pub const FILE_KEY_LENGTH: usize = 16;

/// The `part` of a sealed file's context (§24.3): `file/` and the SHA-256 of the file
/// (the reference's `sha256`, of the bytes in clear).
pub fn file_part(sha256: &Sha256Digest) -> String {
    format!("file/{sha256}")
}

/// How many records a file of `size` bytes is sealed in: one per started
/// [`FILE_RECORD_SIZE`] bytes, and one for an empty file.
fn record_count(size: u64) -> u64 {
    size.div_ceil(FILE_RECORD_SIZE as u64).max(1)
}

/// The length of the sealed form of a file of `size` bytes: the file and a 16-byte tag
/// per record.
pub fn sealed_size(size: u64) -> u64 {
    // No protocol size comes near u64::MAX (2^53 − 1 at most); a caller's may.
    size.saturating_add(record_count(size) * TAG_LENGTH as u64)
}

/// The nonce of record `index`: the index as 11 bytes big-endian, then `1` for the last
/// record and `0` for the others.
fn record_nonce(index: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&index.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}

/// A sealed file's reference members (§24.6), inside a sealed body only: the file key
/// and the address of the sealed bytes. On the wire exactly these
/// two strings.
#[derive(Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SealedFile {
    /// The file key, 16 bytes in unpadded base64url (22 characters, the last of which
    /// carries 2 bits and 4 zero bits).
    #[schemars(regex(pattern = r"^[A-Za-z0-9_-]{21}[AQgw]$"))]
    pub key: String,
    /// SHA-256 of the sealed bytes: the address the receiver fetches them from (§23).
    pub sha256: Sha256Digest,
}

impl std::fmt::Debug for SealedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedFile")
            .field("key", &"..")
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// Reads a file reference's `sealed` (`null` is absent, §1): an object of exactly the
/// strings `key` and `sha256` (a digest). Read through a JSON object, which every
/// deserializer already reads (form data), rather than a derived visitor: the WASM
/// package's size.
pub(crate) fn read_sealed_file<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SealedFile>, D::Error> {
    let members = Option::<serde_json::Map<String, serde_json::Value>>::deserialize(deserializer)?;
    members
        .map(|members| sealed_file_from_members(&members))
        .transpose()
        .map_err(serde::de::Error::custom)
}

fn sealed_file_from_members(
    members: &serde_json::Map<String, serde_json::Value>,
) -> Result<SealedFile, &'static str> {
    let string = |name: &str| members.get(name).and_then(serde_json::Value::as_str);
    match (string("key"), string("sha256").map(Sha256Digest::parse)) {
        (Some(key), Some(Ok(sha256))) if members.len() == 2 => Ok(SealedFile {
            key: key.to_string(),
            sha256,
        }),
        _ => Err("sealed: exactly a key and a sha256"),
    }
}

/// The key one file is sealed under. Its `Debug` form hides it; it is wiped when
/// dropped.
#[derive(Clone)]
pub struct FileKey(Zeroizing<[u8; FILE_KEY_LENGTH]>);

impl FileKey {
    /// A fresh key from the system's random source.
    pub fn generate() -> FileKey {
        let mut key = Zeroizing::new([0u8; FILE_KEY_LENGTH]);
        crate::random::fill_random(key.as_mut());
        FileKey(key)
    }

    /// The key of a reference's [`SealedFile::key`]: 16 bytes in unpadded base64url, or
    /// `seal.malformed`.
    pub fn from_base64url(text: &str) -> Result<FileKey, SealError> {
        let bytes = Zeroizing::new(from_base64url(text).unwrap_or_default());
        let key = <[u8; FILE_KEY_LENGTH]>::try_from(bytes.as_slice()).map_err(|_| {
            SealError::Malformed {
                member: "key".into(),
                reason: "a file key is 16 bytes in unpadded base64url".into(),
            }
        })?;
        Ok(FileKey(Zeroizing::new(key)))
    }

    /// The key in unpadded base64url, as a reference carries it.
    pub fn to_base64url(&self) -> String {
        base64url(self.0.as_ref())
    }
}

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileKey(..)")
    }
}

/// The AEAD of a sealing suite, keyed with a file key.
enum RecordCipher {
    Aes(Box<Aes128Gcm>),
    Sm4(Box<Sm4Gcm>),
}

impl RecordCipher {
    fn new(suite: SealingSuite, key: &FileKey) -> RecordCipher {
        let key = key.0.as_ref().into();
        match suite {
            SealingSuite::HpkeX25519Aes128Gcm => RecordCipher::Aes(Box::new(Aes128Gcm::new(key))),
            SealingSuite::Sm2Sm4Gcm => RecordCipher::Sm4(Box::new(Sm4Gcm::new(key))),
        }
    }

    fn seal(&self, nonce: &[u8; 12], aad: &[u8], msg: &[u8]) -> Option<Vec<u8>> {
        let payload = Payload { msg, aad };
        match self {
            RecordCipher::Aes(aead) => aead.encrypt(nonce.into(), payload),
            RecordCipher::Sm4(aead) => aead.encrypt(nonce.into(), payload),
        }
        .ok()
    }

    fn open(&self, nonce: &[u8; 12], aad: &[u8], msg: &[u8]) -> Option<Vec<u8>> {
        let payload = Payload { msg, aad };
        match self {
            RecordCipher::Aes(aead) => aead.decrypt(nonce.into(), payload),
            RecordCipher::Sm4(aead) => aead.decrypt(nonce.into(), payload),
        }
        .ok()
    }
}

/// Seals a file as it streams, record by record: feed it the file with
/// [`FileSealer::update`], write out what each call gives, then [`FileSealer::finish`]
/// for the last record and the reference's [`SealedFile`].
pub struct FileSealer {
    cipher: RecordCipher,
    key: FileKey,
    aad: Vec<u8>,
    index: u64,
    pending: Zeroizing<Vec<u8>>,
    hasher: Sha256,
}

impl FileSealer {
    /// A sealer of one file, under a fresh [`FileKey`], bound to `context` (the sealed
    /// body's, with part [`file_part`]) of a box of `suite` to the receiver's key `kid`.
    pub fn new(suite: SealingSuite, kid: &KeyId, context: &SealContext<'_>) -> FileSealer {
        FileSealer::with_key(suite, kid, context, FileKey::generate())
    }

    /// A sealer under the given key instead of a fresh one. For reproducing test vectors
    /// only: a key seals one file, once; two files under one key give each other away.
    #[doc(hidden)]
    pub fn with_key(
        suite: SealingSuite,
        kid: &KeyId,
        context: &SealContext<'_>,
        key: FileKey,
    ) -> FileSealer {
        FileSealer {
            cipher: RecordCipher::new(suite, &key),
            key,
            aad: context.bytes(suite, kid),
            index: 0,
            pending: Zeroizing::new(Vec::with_capacity(FILE_RECORD_SIZE)),
            hasher: Sha256::new(),
        }
    }

    /// Takes the next bytes of the file and gives the sealed bytes they complete (often
    /// none: a record is sealed once the next one has begun, so that the last is known).
    pub fn update(&mut self, mut plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut sealed = Vec::new();
        while !plaintext.is_empty() {
            if self.pending.len() == FILE_RECORD_SIZE {
                sealed.extend(self.seal_pending(false)?);
            }
            let take = (FILE_RECORD_SIZE - self.pending.len()).min(plaintext.len());
            self.pending.extend_from_slice(&plaintext[..take]);
            plaintext = &plaintext[take..];
        }
        Ok(sealed)
    }

    /// Seals the last record: its bytes, and the reference's members.
    pub fn finish(mut self) -> Result<(Vec<u8>, SealedFile), SealError> {
        let last = self.seal_pending(true)?;
        let sealed = SealedFile {
            key: self.key.to_base64url(),
            sha256: Sha256Digest::from_bytes(&self.hasher.finalize()),
        };
        Ok((last, sealed))
    }

    fn seal_pending(&mut self, last: bool) -> Result<Vec<u8>, SealError> {
        let nonce = record_nonce(self.index, last);
        let record = (self.cipher.seal(&nonce, &self.aad, &self.pending)).ok_or_else(|| {
            SealError::Malformed {
                member: "file".into(),
                reason: "a record could not be sealed".into(),
            }
        })?;
        self.pending.clear();
        self.index += 1;
        self.hasher.update(&record);
        Ok(record)
    }
}

/// Opens a sealed file as it streams: feed it the sealed bytes with
/// [`FileOpener::update`], keep what each call gives, and call [`FileOpener::finish`]
/// at the end. Each record is authenticated before any of its bytes is given.
pub struct FileOpener {
    cipher: RecordCipher,
    aad: Vec<u8>,
    kid: KeyId,
    size: u64,
    records: u64,
    index: u64,
    pending: Vec<u8>,
    received: u64,
}

impl FileOpener {
    /// An opener of the sealed form of a file of `size` bytes (the reference's) under
    /// `key`, bound to `context` of a box of `suite` to `kid`.
    pub fn new(
        suite: SealingSuite,
        kid: &KeyId,
        context: &SealContext<'_>,
        key: &FileKey,
        size: u64,
    ) -> FileOpener {
        FileOpener {
            cipher: RecordCipher::new(suite, key),
            aad: context.bytes(suite, kid),
            kid: kid.clone(),
            size,
            records: record_count(size),
            index: 0,
            pending: Vec::with_capacity(FILE_RECORD_SIZE + TAG_LENGTH),
            received: 0,
        }
    }

    /// The sealed length of record `index`.
    fn record_length(&self, index: u64) -> usize {
        let before = index * FILE_RECORD_SIZE as u64;
        let plaintext = self
            .size
            .saturating_sub(before)
            .min(FILE_RECORD_SIZE as u64);
        usize::try_from(plaintext).unwrap_or(FILE_RECORD_SIZE) + TAG_LENGTH
    }

    fn wrong_length(&self, what: &str) -> SealError {
        SealError::Malformed {
            member: "file".into(),
            reason: format!(
                "{what} than the {} sealed bytes of a file of {} bytes",
                sealed_size(self.size),
                self.size
            ),
        }
    }

    /// Takes the next sealed bytes and gives the file's bytes of each record they
    /// complete. Refused: bytes beyond the sealed length (`seal.malformed`, before any
    /// record of them is opened), a record that does not open (`seal.open_failed`:
    /// altered, reordered, from another file or message).
    pub fn update(&mut self, mut sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        // Too long is known before any record of these bytes is opened.
        self.received = self.received.saturating_add(sealed.len() as u64);
        if self.received > sealed_size(self.size) {
            return Err(self.wrong_length("longer"));
        }
        // Sized once, so that no reallocation leaves a copy of the file behind.
        let mut opened = Zeroizing::new(Vec::with_capacity(sealed.len() + self.pending.len()));
        while !sealed.is_empty() {
            let length = self.record_length(self.index);
            let take = (length - self.pending.len()).min(sealed.len());
            self.pending.extend_from_slice(&sealed[..take]);
            sealed = &sealed[take..];
            if self.pending.len() == length {
                let last = self.index + 1 == self.records;
                let nonce = record_nonce(self.index, last);
                let record = self.cipher.open(&nonce, &self.aad, &self.pending);
                let record = Zeroizing::new(record.ok_or_else(|| SealError::OpenFailed {
                    key_id: self.kid.to_string(),
                })?);
                opened.extend_from_slice(&record);
                self.pending.clear();
                self.index += 1;
            }
        }
        Ok(opened)
    }

    /// Checks that the whole sealed file was fed (`seal.malformed` if it is shorter).
    pub fn finish(self) -> Result<(), SealError> {
        if self.index == self.records {
            Ok(())
        } else {
            Err(self.wrong_length("shorter"))
        }
    }
}
