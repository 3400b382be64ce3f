//! Files beside the database (§23): a content-addressed store under
//! `<data_dir>/files/`, where a file's name is its SHA-256.
//!
//! A file appears under its name only once it is whole and verified: its bytes are
//! written to a partial file (`partial/<sha256>.part` while fetched from a partner,
//! `incoming/` while an operator uploads it), synced, checked against the digest, and
//! only then renamed into place and the directory synced. A crash at any point leaves
//! either no file or a partial file that never looks complete, and a fetch resumes from
//! the partial file after a restart.
//!
//! - [`records`]: which messages reference which files, the fetches in progress and the
//!   file requests seen (the database's side);
//! - [`fetcher`]: the task that fetches the files of received messages;
//! - [`routes`]: `GET <endpoint>/files/<sha256>` for partners and the operator API's
//!   upload and download.

pub mod fetcher;
pub mod records;
pub mod routes;

use crate::error::NodeError;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tongban::file::FileHasher;
use tongban::{FileRef, Sha256Digest, Sm3Digest};

/// Whether the file exchange applies to a message: its protocol is 1.1 or later (the
/// version its two parties negotiated, §20). Under 1.0, references are names only.
pub fn exchanges(envelope: &tongban::Envelope) -> bool {
    envelope.protocol >= tongban::file::SINCE
}

/// How long a file no message references is kept (an upload waiting to be sent, a
/// partial fetch given up): 7 days, the longest a message stays valid (§11).
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

fn storage(what: &str, path: &Path, error: std::io::Error) -> NodeError {
    NodeError::Storage {
        reason: format!("cannot {what} {}: {error}", path.display()),
    }
}

/// The store's directories.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// Why an upload was not stored; nothing of it is kept.
#[derive(Debug)]
pub enum UploadError {
    /// More bytes than the limit.
    TooLarge,
    /// The body broke off before its end.
    BrokenOff,
    /// The store failed.
    Storage(NodeError),
}

/// Why sealed bytes were not opened ([`FileStore::open_sealed`]).
#[derive(Debug)]
pub enum OpenError {
    /// They do not open, or are not the file their reference names.
    Refused(tongban::Error),
    /// The store (or the sink) failed.
    Storage(NodeError),
}

impl std::fmt::Display for OpenError {
    /// The error with its code in brackets, as a fetch records it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Refused(e) => write!(f, "[{}] {e}", e.code()),
            OpenError::Storage(e) => write!(f, "[{}] {e}", e.code()),
        }
    }
}

impl From<NodeError> for OpenError {
    fn from(error: NodeError) -> Self {
        OpenError::Storage(error)
    }
}

/// Reads the file at `path` a piece at a time (1 MiB), giving each to `each`.
fn read_pieces<E: From<NodeError>>(
    path: &Path,
    mut each: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut file = std::fs::File::open(path).map_err(|e| E::from(storage("open", path, e)))?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|e| E::from(storage("read", path, e)))?;
        if read == 0 {
            return Ok(());
        }
        each(&buffer[..read])?;
    }
}

/// What a garbage collection removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    /// Whole files no message references, older than the retention period.
    pub files: usize,
    /// Partial files untouched for the retention period.
    pub partial: usize,
    /// Bytes freed.
    pub bytes: u64,
}

impl std::ops::AddAssign for Collected {
    fn add_assign(&mut self, other: Collected) {
        self.files += other.files;
        self.partial += other.partial;
        self.bytes += other.bytes;
    }
}

impl FileStore {
    /// Opens (creating if needed) the store under `data_dir`.
    pub fn open(data_dir: &Path) -> Result<FileStore, NodeError> {
        let root = data_dir.join("files");
        for dir in [root.clone(), root.join("partial"), root.join("incoming")] {
            std::fs::create_dir_all(&dir).map_err(|e| storage("create", &dir, e))?;
        }
        Ok(FileStore { root })
    }

    /// Where the whole file with digest `sha256` is (or would be).
    pub fn path(&self, sha256: &Sha256Digest) -> PathBuf {
        self.root.join(&sha256.as_str()[..2]).join(sha256.as_str())
    }

    /// Where a fetch of `sha256` keeps what it received so far.
    pub fn partial(&self, sha256: &Sha256Digest) -> PathBuf {
        self.root.join("partial").join(format!("{sha256}.part"))
    }

    /// The size of the whole file with digest `sha256`, if the store holds it. The file
    /// is opened, not only looked up: on a shared file system (NFS) an open asks the
    /// server again, where a lookup may be answered from a cache that has not seen
    /// another machine's replica remove the file.
    pub fn size_of(&self, sha256: &Sha256Digest) -> Option<u64> {
        std::fs::File::open(self.path(sha256))
            .and_then(|file| file.metadata())
            .ok()
            .map(|m| m.len())
    }

    /// Whether the store holds the file `reference` names as it travels (its size is
    /// checked; the digest was checked when it came in): a sealed file's sealed bytes at
    /// their address (§24.6, [`tongban::file::fetched`]), which is how it is kept.
    pub fn holds(&self, reference: &FileRef) -> bool {
        let travelling = tongban::file::fetched(reference);
        self.size_of(&travelling.sha256) == Some(travelling.size)
    }

    /// (1.1) Seals the held file that `reference` (in clear, one of `envelope`'s) names,
    /// for a body sealed to the receiver's key `key` (id `kid`) (§24.6), and stores the
    /// sealed bytes under their digest, the address the receiver fetches them at. Gives
    /// the reference's `sealed` member. The file in clear must still be its reference's
    /// (`file.*`: it was altered in the store since it was uploaded).
    pub fn seal(
        &self,
        envelope: &tongban::Envelope,
        kid: &tongban::KeyId,
        key: &tongban::seal::SealingPublicKey,
        reference: &FileRef,
    ) -> Result<tongban::seal::SealedFile, OpenError> {
        let path = self.path(&reference.sha256);
        let incoming = self.root.join("incoming");
        let mut sealed_file = tempfile::NamedTempFile::new_in(&incoming)
            .map_err(|e| storage("create a file in", &incoming, e))?;
        let mut sealer = envelope.file_sealer(kid, key, reference);
        let mut check = tongban::file::FileCheck::new(reference);
        let write = |file: &mut tempfile::NamedTempFile, bytes: &[u8]| {
            file.write_all(bytes)
                .map_err(|e| storage("write", file.path(), e))
        };
        let refused = |e: tongban::Error| OpenError::Refused(e);
        read_pieces(&path, |piece| {
            check.update(piece).map_err(|e| refused(e.into()))?;
            let sealed = sealer.update(piece).map_err(|e| refused(e.into()))?;
            Ok::<_, OpenError>(write(&mut sealed_file, &sealed)?)
        })?;
        check.finish().map_err(|e| refused(e.into()))?;
        let (last, sealed) = sealer.finish().map_err(|e| refused(e.into()))?;
        write(&mut sealed_file, &last)?;
        sealed_file
            .as_file()
            .sync_all()
            .map_err(|e| storage("sync", sealed_file.path(), e))?;
        let (_, written) = sealed_file
            .keep()
            .map_err(|e| storage("keep", &incoming, e.error))?;
        self.commit(&written, &sealed.sha256)?;
        Ok(sealed)
    }

    /// (1.1) Opens the sealed bytes at `path` with `opener` (§24.6) and checks what they
    /// hold against `reference`, the file in clear (size, SHA-256, SM3), giving each
    /// piece opened to `sink` as it goes: the whole file is known good only once this
    /// returns `Ok`. Refused: bytes that do not open, or that are not the file
    /// (`seal.*`, `file.*`).
    pub fn open_sealed(
        &self,
        path: &Path,
        mut opener: tongban::seal::FileOpener,
        reference: &FileRef,
        mut sink: impl FnMut(&[u8]) -> Result<(), NodeError>,
    ) -> Result<(), OpenError> {
        let mut check = tongban::file::FileCheck::new(reference);
        let refused = |e: tongban::Error| OpenError::Refused(e);
        read_pieces(path, |piece| {
            let opened = opener.update(piece).map_err(|e| refused(e.into()))?;
            check.update(&opened).map_err(|e| refused(e.into()))?;
            sink(&opened).map_err(OpenError::Storage)
        })?;
        opener
            .finish()
            .map_err(tongban::Error::from)
            .and_then(|()| check.finish().map_err(tongban::Error::from))
            .map_err(OpenError::Refused)
    }

    /// Whether the whole file at `sha256`'s name still hashes to it (`false` when it is
    /// not there).
    pub fn hashes_to(&self, sha256: &Sha256Digest) -> Result<bool, NodeError> {
        if !self.path(sha256).exists() {
            return Ok(false);
        }
        let (digest, _) = self.digests_of(sha256, FileHasher::new())?;
        Ok(&digest == sha256)
    }

    /// The digests `hasher` gives of the whole file stored under `sha256`'s name, read
    /// again from the store.
    fn digests_of(
        &self,
        sha256: &Sha256Digest,
        mut hasher: FileHasher,
    ) -> Result<(Sha256Digest, Option<Sm3Digest>), NodeError> {
        read_pieces(&self.path(sha256), |piece| {
            hasher.update(piece);
            Ok::<_, NodeError>(())
        })?;
        Ok(hasher.digests())
    }

    /// (1.1) The SM3 digest of the held file `reference` names, read again from the
    /// store (whose bytes must still hash to its SHA-256).
    pub fn sm3_of(&self, reference: &FileRef) -> Result<Sm3Digest, NodeError> {
        let path = self.path(&reference.sha256);
        match self.digests_of(&reference.sha256, FileHasher::with_sm3())? {
            (sha256, Some(sm3)) if sha256 == reference.sha256 => Ok(sm3),
            _ => Err(NodeError::Storage {
                reason: format!(
                    "{}: the stored bytes no longer hash to their name",
                    path.display()
                ),
            }),
        }
    }

    /// Moves a partial file whose bytes were checked against `sha256` into place, and
    /// syncs the directory so that the rename survives a crash.
    pub fn commit(&self, partial: &Path, sha256: &Sha256Digest) -> Result<(), NodeError> {
        let target = self.path(sha256);
        let dir = target.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| storage("create", &dir, e))?;
        std::fs::rename(partial, &target).map_err(|e| storage("move into place", &target, e))?;
        sync_dir(&dir)
    }

    /// Moves a fetched file's partial file into place as `reference`'s file, if it holds
    /// exactly the reference's size: a partial file that the garbage collection of a
    /// replica sharing the directory removed while it was being resumed comes back
    /// shorter (its bytes were checked as they arrived, but not all landed in it). Such a
    /// file is removed, and the fetch starts over.
    pub fn commit_fetched(&self, partial: &Path, reference: &FileRef) -> Result<(), NodeError> {
        let held = std::fs::metadata(partial)
            .map_err(|e| storage("inspect", partial, e))?
            .len();
        if held != reference.size {
            let _ = std::fs::remove_file(partial);
            return Err(NodeError::Storage {
                reason: format!(
                    "{} holds {held} bytes, not the {} of {}: fetched again from the start",
                    partial.display(),
                    reference.size,
                    reference.sha256
                ),
            });
        }
        self.commit(partial, &reference.sha256)
    }

    /// Writes an upload to the store from `chunks`, at most `limit` bytes, and returns
    /// its digest and size. The bytes go to a temporary file in `incoming/`, synced, then
    /// renamed to their digest. More than `limit` bytes, or a chunk that is an error (the
    /// upload broke off), leave nothing behind.
    pub fn write_upload(
        &self,
        chunks: impl IntoIterator<Item = Result<Vec<u8>, UploadError>>,
        limit: u64,
    ) -> Result<(Sha256Digest, u64), UploadError> {
        let incoming = self.root.join("incoming");
        let failed = |what: &str, path: &Path, e| UploadError::Storage(storage(what, path, e));
        let mut file = tempfile::NamedTempFile::new_in(&incoming)
            .map_err(|e| failed("create a file in", &incoming, e))?;
        let mut hasher = FileHasher::new();
        for chunk in chunks {
            let chunk = chunk?;
            if hasher.size() + chunk.len() as u64 > limit {
                return Err(UploadError::TooLarge);
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .map_err(|e| failed("write", file.path(), e))?;
        }
        file.as_file()
            .sync_all()
            .map_err(|e| failed("sync", file.path(), e))?;
        let size = hasher.size();
        let sha256 = hasher.digest();
        let (_, path) = file
            .keep()
            .map_err(|e| failed("keep", &incoming, e.error))?;
        self.commit(&path, &sha256).map_err(UploadError::Storage)?;
        Ok((sha256, size))
    }

    /// The files older than `retention` that may go: partial files untouched for as
    /// long, and whole files that `referenced` does not name. Nothing is removed yet.
    pub fn find_garbage(
        &self,
        referenced: impl Fn(&Sha256Digest) -> bool,
        retention: Duration,
    ) -> Result<Vec<Garbage>, NodeError> {
        let cutoff = SystemTime::now()
            .checked_sub(retention)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let old = |path: &Path| -> Option<(u64, SystemTime)> {
            let meta = std::fs::metadata(path).ok()?;
            let modified = meta.modified().ok()?;
            (modified < cutoff).then_some((meta.len(), modified))
        };
        let mut garbage = Vec::new();
        for dir in [self.root.join("partial"), self.root.join("incoming")] {
            for path in read_dir(&dir)? {
                if let Some((size, modified)) = old(&path) {
                    garbage.push(Garbage {
                        path,
                        size,
                        modified,
                        sha256: None,
                    });
                }
            }
        }
        for shard in read_dir(&self.root)? {
            let is_shard = shard
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.len() == 2);
            if !is_shard {
                continue;
            }
            for path in read_dir(&shard)? {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let Ok(sha256) = Sha256Digest::parse(name) else {
                    continue;
                };
                if referenced(&sha256) {
                    continue;
                }
                if let Some((size, modified)) = old(&path) {
                    garbage.push(Garbage {
                        path,
                        size,
                        modified,
                        sha256: Some(sha256),
                    });
                }
            }
        }
        Ok(garbage)
    }

    /// Removes `garbage` but the whole files that `referenced` names now (a message may
    /// have come to reference one since it was found) and the files written since (an
    /// upload of the same bytes again, a fetch resuming a partial file). The caller
    /// holds what keeps a message from coming to reference a file meanwhile (the
    /// database's writer lock, which a send takes to check that its files are held). A
    /// file already gone (a replica sharing the directory removed it) is skipped.
    pub fn remove_garbage(
        &self,
        garbage: &[Garbage],
        referenced: impl Fn(&Sha256Digest) -> bool,
    ) -> Result<Collected, NodeError> {
        let mut collected = Collected::default();
        for item in garbage {
            if item.sha256.as_ref().is_some_and(&referenced) {
                continue;
            }
            let unchanged = std::fs::metadata(&item.path)
                .and_then(|meta| meta.modified())
                .is_ok_and(|modified| modified == item.modified);
            if !unchanged {
                continue; // written since it was found, or gone already
            }
            match std::fs::remove_file(&item.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(storage("remove", &item.path, e)),
            }
            match item.sha256 {
                Some(_) => collected.files += 1,
                None => collected.partial += 1,
            }
            collected.bytes += item.size;
        }
        Ok(collected)
    }
}

/// A file the garbage collection found old enough to go: a partial file, or a whole one
/// that no message referenced when it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Garbage {
    path: PathBuf,
    size: u64,
    /// When it was last written, as found: it goes only if it has not been since.
    modified: SystemTime,
    /// The whole file's digest; `None` for a partial file.
    sha256: Option<Sha256Digest>,
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, NodeError> {
    let entries = std::fs::read_dir(dir).map_err(|e| storage("list", dir, e))?;
    Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
}

/// Syncs a directory, so that a rename into it is durable.
fn sync_dir(dir: &Path) -> Result<(), NodeError> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| storage("sync", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_stored_under_its_digest_and_an_oversize_one_leaves_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let store = FileStore::open(dir.path()).expect("store");
        let chunks = vec![b"the lease ".to_vec(), b"contract".to_vec()];
        let (sha256, size) = store
            .write_upload(chunks.into_iter().map(Ok), 100)
            .expect("stored");
        assert_eq!(sha256, Sha256Digest::of(b"the lease contract"));
        assert_eq!(size, 18);
        assert_eq!(
            std::fs::read(store.path(&sha256)).expect("read"),
            b"the lease contract"
        );
        let over = store.write_upload([Ok(vec![0u8; 60]), Ok(vec![0u8; 60])], 100);
        assert!(matches!(over, Err(UploadError::TooLarge)));
        let broken =
            store.write_upload([Ok(b"%PDF-1.7".to_vec()), Err(UploadError::BrokenOff)], 100);
        assert!(matches!(broken, Err(UploadError::BrokenOff)));
        assert_eq!(
            read_dir(&dir.path().join("files/incoming"))
                .expect("list")
                .len(),
            0
        );
    }

    #[test]
    fn a_fetched_file_goes_into_place_only_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let store = FileStore::open(dir.path()).expect("store");
        let bytes = b"a scan of an identity card";
        let reference = FileRef {
            name: "scan.pdf".into(),
            sha256: Sha256Digest::of(bytes),
            sm3: None,
            media_type: "application/pdf".into(),
            size: bytes.len() as u64,
            sealed: None,
        };
        let partial = store.partial(&reference.sha256);
        // Resumed after its first part was removed: only the rest landed.
        std::fs::write(&partial, &bytes[10..]).expect("partial");
        let refused = store
            .commit_fetched(&partial, &reference)
            .expect_err("short file");
        assert!(refused.to_string().contains("fetched again"), "{refused}");
        assert!(!partial.exists() && !store.holds(&reference));
        std::fs::write(&partial, bytes).expect("partial");
        store.commit_fetched(&partial, &reference).expect("whole");
        assert!(store.holds(&reference));
    }

    #[test]
    fn a_sealed_file_opens_only_as_the_file_its_reference_names() {
        use tongban::sample::{self, HUANGSHI, JIUJIANG};
        let dir = tempfile::tempdir().expect("dir");
        let store = FileStore::open(dir.path()).expect("store");
        let scan: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        let (sha256, size) = store
            .write_upload([Ok(scan.clone())], 1 << 20)
            .expect("stored");
        let reference = FileRef {
            name: "身份证复印件".into(),
            sha256,
            sm3: None,
            media_type: "application/pdf".into(),
            size,
            sealed: None,
        };
        let mut body = tongban::Body::Transfer(sample::transfer_body().expect("body"));
        if let tongban::Body::Transfer(transfer) = &mut body {
            transfer.materials = vec![reference.clone()];
        }
        let route = sample::route(HUANGSHI).expect("route");
        let now = tongban::Timestamp::now();
        let envelope = tongban::Envelope::new(route, body, now, 3_600).expect("envelope");
        let suite = tongban::seal::SealingSuite::HpkeX25519Aes128Gcm;
        let key = sample::sealing_key(JIUJIANG, suite).expect("key");
        let (kid, public) = (key.key_id(), key.public_key());
        // Sealed into the store at its address, and opened back whole.
        let sealed = store
            .seal(&envelope, kid, public, &reference)
            .expect("sealed");
        let path = store.path(&sealed.sha256);
        let kept = std::fs::read(&path).expect("kept");
        assert_eq!(Sha256Digest::of(&kept), sealed.sha256);
        assert_eq!(kept.len() as u64, tongban::seal::sealed_size(size));
        let mut with = reference.clone();
        with.sealed = Some(sealed);
        assert!(store.holds(&with), "held as it travels");
        let opener = |r: &FileRef| envelope.file_opener(r, &key).expect("opener");
        let mut opened = Vec::new();
        store
            .open_sealed(&path, opener(&with), &with, |piece| {
                opened.extend_from_slice(piece);
                Ok(())
            })
            .expect("opens");
        assert_eq!(opened, scan);
        // A sender that seals other bytes under the reference: every record opens, and
        // the whole is refused for what it is.
        let mut other = scan.clone();
        other[20_000] ^= 1;
        let mut sealer = envelope.file_sealer(kid, public, &reference);
        let mut lying = sealer.update(&other).expect("sealed");
        let (last, lied) = sealer.finish().expect("sealed");
        lying.extend(last);
        let lying_path = dir.path().join("lying");
        std::fs::write(&lying_path, &lying).expect("written");
        let mut claimed = reference.clone();
        claimed.sealed = Some(lied);
        let refused = store
            .open_sealed(&lying_path, opener(&claimed), &claimed, |_| Ok(()))
            .expect_err("not the file");
        assert!(
            matches!(&refused, OpenError::Refused(e) if e.code() == "file.digest_mismatch"),
            "{refused:?}"
        );
        // An altered byte of the sealed bytes does not open.
        let mut altered = kept.clone();
        altered[100] ^= 1;
        std::fs::write(&lying_path, &altered).expect("written");
        let refused = store
            .open_sealed(&lying_path, opener(&with), &with, |_| Ok(()))
            .expect_err("altered");
        assert!(
            matches!(&refused, OpenError::Refused(e) if e.code() == "seal.open_failed"),
            "{refused:?}"
        );
        // A file in clear that no longer hashes to its name is not sealed.
        std::fs::write(store.path(&reference.sha256), &other).expect("overwritten");
        let failed = store
            .seal(&envelope, kid, public, &reference)
            .expect_err("not the file");
        assert!(
            matches!(&failed, OpenError::Refused(e) if e.code() == "file.digest_mismatch"),
            "{failed}"
        );
    }

    #[test]
    fn garbage_collection_keeps_referenced_and_recent_files() {
        let dir = tempfile::tempdir().expect("dir");
        let store = FileStore::open(dir.path()).expect("store");
        let (kept, _) = store
            .write_upload([Ok(b"referenced".to_vec())], 100)
            .expect("stored");
        let (orphan, _) = store
            .write_upload([Ok(b"orphan".to_vec())], 100)
            .expect("stored");
        let (late, _) = store
            .write_upload([Ok(b"referenced late".to_vec())], 100)
            .expect("stored");
        std::fs::write(store.partial(&orphan), b"half").expect("partial");
        // Nothing is old enough yet.
        let none = store.find_garbage(|_| false, RETENTION).expect("gc");
        assert!(none.is_empty(), "{none:?}");
        // With no retention, the unreferenced files and the partial are found.
        std::thread::sleep(Duration::from_millis(20));
        let found = store
            .find_garbage(|sha| sha == &kept, Duration::ZERO)
            .expect("gc");
        assert_eq!(found.len(), 3, "{found:?}");
        // A message comes to reference one of them before they go: it stays.
        let gone = store
            .remove_garbage(&found, |sha| sha == &kept || sha == &late)
            .expect("gc");
        assert_eq!((gone.files, gone.partial, gone.bytes), (1, 1, 10));
        assert!(store.path(&kept).exists() && store.path(&late).exists());
        assert!(!store.path(&orphan).exists());
        // Removed already (by a replica sharing the directory): skipped, no error.
        let again = store.remove_garbage(&found, |_| false).expect("gc");
        assert_eq!(
            (again.files, again.partial),
            (1, 0),
            "only the late one was left"
        );
        // Uploaded again after it was found: it stays.
        let (again_uploaded, _) = store
            .write_upload([Ok(b"uploaded twice".to_vec())], 100)
            .expect("stored");
        std::thread::sleep(Duration::from_millis(20));
        let found = store
            .find_garbage(|sha| sha == &kept, Duration::ZERO)
            .expect("gc");
        assert_eq!(found.len(), 1, "{found:?}");
        std::thread::sleep(Duration::from_millis(20));
        store
            .write_upload([Ok(b"uploaded twice".to_vec())], 100)
            .expect("stored again");
        let kept = store.remove_garbage(&found, |_| false).expect("gc");
        assert_eq!(kept, Collected::default());
        assert!(store.path(&again_uploaded).exists());
    }
}
