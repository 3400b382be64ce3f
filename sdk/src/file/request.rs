//! The signed file request (§23.3): who asks the holder for which file, when, signed
//! with the requester's registry key, carried in the `tongban-file-request` header.
//!
//! The document is signed exactly as a message is (§7: canonical JSON, `alg` and `kid`
//! bound in) and checked by the same signature procedure (§8 step 2), so an
//! implementation of the messages needs no second canonicalization. It binds the
//! method, the path, the digest, the holder and a short validity window, and its id is
//! recorded so that it is used once.

use crate::crypto::{base64url, from_base64url, DocumentSigner, KeyResolver};
use crate::digest::Sha256Digest;
use crate::error::{Error, FileError, ReplayError};
use crate::id::{KeyId, MessageId, NodeId};
use crate::json::Limits;
use crate::signing::{sign_document, unsigned_bytes, SignatureEntry};
use crate::time::Timestamp;
use crate::verify::{check_signatures, ReplayGuard};
use crate::version::MajorVersion;
use serde::{Deserialize, Serialize};

/// The request header that carries the signed request document: unpadded base64url of
/// its canonical bytes.
pub const REQUEST_HEADER: &str = "tongban-file-request";

/// The longest validity window of a request document, `expires` − `created`: 300 s.
pub const MAX_REQUEST_VALIDITY_SECONDS: i64 = 300;

/// The largest header value read, in characters (a document with one Ed25519
/// signature takes about 700).
const MAX_HEADER_CHARS: usize = 4096;

/// A signed request for one file (§23.3). Members of newer minor versions are kept in
/// the document and covered by its signatures, as a message's are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRequest {
    /// The HTTP method: `GET`.
    pub method: String,
    /// The request's path: the path of the holder's registry endpoint followed by
    /// `/files/<sha256>`.
    pub path: String,
    /// The file asked for.
    pub sha256: Sha256Digest,
    /// The requester.
    pub from: NodeId,
    /// The holder asked.
    pub to: NodeId,
    /// A fresh id (ULID or UUIDv7), used once.
    pub id: MessageId,
    /// When the request was signed.
    pub created: Timestamp,
    /// When it stops being valid: at most [`MAX_REQUEST_VALIDITY_SECONDS`] after
    /// `created`.
    pub expires: Timestamp,
    /// The requester's signatures.
    #[serde(default)]
    pub signatures: Vec<SignatureEntry>,
}

/// The request a holder received, against which the document is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTarget<'a> {
    /// The HTTP method received.
    pub method: &'a str,
    /// The path the holder serves the file at: its registry endpoint's path followed by
    /// `/files/<sha256>` (not the path a proxy in front of it may have rewritten).
    pub path: &'a str,
    /// The file asked for.
    pub sha256: &'a Sha256Digest,
    /// The holder itself.
    pub holder: &'a NodeId,
}

fn invalid(reason: impl Into<String>) -> Error {
    FileError::RequestInvalid {
        reason: reason.into(),
    }
    .into()
}

fn stale(reason: String) -> Error {
    FileError::RequestStale { reason }.into()
}

impl FileRequest {
    /// Signs a request by `key`'s owner to `holder` for the file `sha256` at `path`
    /// (the holder's endpoint path followed by `/files/<sha256>`), valid for
    /// [`MAX_REQUEST_VALIDITY_SECONDS`] from `now`, and returns the header value.
    pub fn sign(
        key: &(impl DocumentSigner + ?Sized),
        holder: &NodeId,
        path: &str,
        sha256: &Sha256Digest,
        now: &Timestamp,
    ) -> Result<String, Error> {
        let request = FileRequest {
            method: "GET".into(),
            path: path.to_string(),
            sha256: sha256.clone(),
            from: key.owner().clone(),
            to: holder.clone(),
            id: MessageId::new_v7(now),
            created: now.clone(),
            expires: now.plus_seconds(MAX_REQUEST_VALIDITY_SECONDS)?,
            signatures: Vec::new(),
        };
        request.sign_with(key)
    }

    /// Signs this request with `key` (its signatures are replaced) and returns the
    /// header value: unpadded base64url of the canonical document.
    pub fn sign_with(mut self, key: &(impl DocumentSigner + ?Sized)) -> Result<String, Error> {
        self.signatures.clear();
        let mut document = serde_json::to_value(&self).map_err(|e| invalid(e.to_string()))?;
        if let Some(members) = document.as_object_mut() {
            members.remove("signatures");
        }
        sign_document(&mut document, key)?;
        Ok(base64url(&crate::canonical::to_canonical_bytes(&document)))
    }

    /// Reads and checks the request document of a request to a holder, in the order
    /// of §23.3: present, readable, for this request, valid now, signed by the
    /// requester with a key `keys` trusts, not used before (recorded in `replay`).
    /// Whether the requester may have the file is the holder's next question.
    pub fn verify<R: KeyResolver, G: ReplayGuard>(
        header: Option<&str>,
        target: &RequestTarget<'_>,
        keys: &R,
        replay: &G,
        now: &Timestamp,
    ) -> Result<FileRequest, Error> {
        let header = header.ok_or(FileError::RequestMissing {
            header: REQUEST_HEADER,
        })?;
        if header.len() > MAX_HEADER_CHARS {
            return Err(invalid(format!(
                "{} characters, more than {MAX_HEADER_CHARS}",
                header.len()
            )));
        }
        let bytes = from_base64url(header.trim())
            .ok_or_else(|| invalid("the header is not unpadded base64url"))?;
        let limits = Limits {
            max_bytes: MAX_HEADER_CHARS,
            max_depth: 4,
        };
        let document = crate::json::parse_with_limits(&bytes, limits)
            .map_err(|e| invalid(format!("[{}] {e}", e.code())))?;
        if !document.is_object() {
            return Err(invalid("not a JSON object"));
        }
        crate::signing::check_numbers(&document).map_err(|e| invalid(e.to_string()))?;
        let request: FileRequest =
            crate::shape::from_value(&document).map_err(|e| invalid(format!("{e}")))?;
        request.check_target(target)?;
        let rules = MajorVersion::V1.rules();
        request.check_time(now, rules.clock_skew_seconds)?;
        let unsigned = unsigned_bytes(&document);
        let _signers: Vec<KeyId> = check_signatures(
            keys,
            &[&unsigned],
            &request.signatures,
            &request.from,
            &request.created,
            now,
        )?;
        let keep_until = request.expires.plus_seconds(rules.clock_skew_seconds + 1)?;
        replay
            .check_and_record(&request.from, &request.id, &keep_until, now)
            .map_err(|err| match err {
                ReplayError::Duplicate { .. } => Error::from(FileError::RequestReplayed {
                    requester: request.from.to_string(),
                    id: request.id.to_string(),
                }),
                ReplayError::Forgotten { forgotten_at, .. } => stale(format!(
                    "expired by the holder's latest clock {forgotten_at}"
                )),
            })?;
        Ok(request)
    }

    /// The document must name the request received: method, path, file and holder.
    fn check_target(&self, target: &RequestTarget<'_>) -> Result<(), FileError> {
        let pairs = [
            ("method", self.method.as_str(), target.method),
            ("path", self.path.as_str(), target.path),
            ("sha256", self.sha256.as_str(), target.sha256.as_str()),
            ("to", self.to.as_str(), target.holder.as_str()),
        ];
        match pairs
            .into_iter()
            .find(|(_, signed, actual)| signed != actual)
        {
            Some((member, signed, actual)) => Err(FileError::RequestMismatch {
                member,
                signed: signed.to_string(),
                actual: actual.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Valid now: created no later than `now` plus the skew, expired no earlier than
    /// `now` minus the skew, and a window of (0, 300] seconds.
    fn check_time(&self, now: &Timestamp, skew: i64) -> Result<(), Error> {
        let window = self.expires.unix_seconds() - self.created.unix_seconds();
        if self.expires <= self.created || window > MAX_REQUEST_VALIDITY_SECONDS {
            return Err(stale(format!(
                "from {} to {} is not a window of at most {MAX_REQUEST_VALIDITY_SECONDS} s",
                self.created, self.expires
            )));
        }
        if self.created.unix_seconds() > now.unix_seconds() + skew {
            return Err(stale(format!(
                "created {} is after now ({now})",
                self.created
            )));
        }
        if self.expires.unix_seconds() + skew < now.unix_seconds() {
            return Err(stale(format!("expired at {}, now is {now}", self.expires)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{KeyPair, KeySet};
    use crate::verify::MemoryReplayGuard;

    const HUANGSHI: &str = "huangshi.420200";
    const JIUJIANG: &str = "jiujiang.360400";
    const PATH: &str = "/tongban/files/";

    struct Setup {
        key: KeyPair,
        keys: KeySet,
        holder: NodeId,
        sha256: Sha256Digest,
        path: String,
        now: Timestamp,
    }

    fn setup() -> Setup {
        let key = KeyPair::generate(NodeId::parse(JIUJIANG).expect("id"), None).expect("key");
        let mut keys = KeySet::new();
        keys.insert(key.trusted_key());
        let sha256 = Sha256Digest::of(b"the lease contract");
        Setup {
            path: format!("{PATH}{sha256}"),
            sha256,
            key,
            keys,
            holder: NodeId::parse(HUANGSHI).expect("id"),
            now: Timestamp::parse("2026-12-05T09:30:00+08:00").expect("time"),
        }
    }

    fn check(
        s: &Setup,
        header: Option<&str>,
        replay: &MemoryReplayGuard,
        now: &Timestamp,
    ) -> Result<FileRequest, &'static str> {
        let target = RequestTarget {
            method: "GET",
            path: &s.path,
            sha256: &s.sha256,
            holder: &s.holder,
        };
        FileRequest::verify(header, &target, &s.keys, replay, now).map_err(|e| e.code())
    }

    #[test]
    fn a_signed_request_verifies_once() {
        let s = setup();
        let header =
            FileRequest::sign(&s.key, &s.holder, &s.path, &s.sha256, &s.now).expect("sign");
        let replay = MemoryReplayGuard::new();
        let request = check(&s, Some(&header), &replay, &s.now).expect("verifies");
        assert_eq!(request.from.as_str(), JIUJIANG);
        assert_eq!(
            check(&s, Some(&header), &replay, &s.now),
            Err("file.request_replayed")
        );
        assert_eq!(
            check(&s, None, &replay, &s.now),
            Err("file.request_missing")
        );
    }

    #[test]
    fn a_request_is_bound_to_its_method_path_file_holder_and_time() {
        let s = setup();
        let replay = MemoryReplayGuard::new();
        let other = Sha256Digest::of(b"another file");
        let signed = |path: &str, sha256: &Sha256Digest, holder: &str| {
            FileRequest::sign(
                &s.key,
                &NodeId::parse(holder).expect("id"),
                path,
                sha256,
                &s.now,
            )
            .expect("sign")
        };
        let other_path = format!("{PATH}{other}");
        assert_eq!(
            check(
                &s,
                Some(&signed(&other_path, &s.sha256, HUANGSHI)),
                &replay,
                &s.now
            ),
            Err("file.request_mismatch")
        );
        assert_eq!(
            check(
                &s,
                Some(&signed(&s.path, &other, HUANGSHI)),
                &replay,
                &s.now
            ),
            Err("file.request_mismatch")
        );
        assert_eq!(
            check(
                &s,
                Some(&signed(&s.path, &s.sha256, "wuhan.420100")),
                &replay,
                &s.now
            ),
            Err("file.request_mismatch")
        );
        let header = signed(&s.path, &s.sha256, HUANGSHI);
        let late = s
            .now
            .plus_seconds(MAX_REQUEST_VALIDITY_SECONDS + 301)
            .expect("time");
        assert_eq!(
            check(&s, Some(&header), &replay, &late),
            Err("file.request_stale")
        );
        let early = s.now.plus_seconds(-301).expect("time");
        assert_eq!(
            check(&s, Some(&header), &replay, &early),
            Err("file.request_stale")
        );
        // A window longer than 300 s is refused even when signed.
        let long = FileRequest {
            method: "GET".into(),
            path: s.path.clone(),
            sha256: s.sha256.clone(),
            from: s.key.owner().clone(),
            to: s.holder.clone(),
            id: MessageId::new_v7(&s.now),
            created: s.now.clone(),
            expires: s.now.plus_seconds(301).expect("time"),
            signatures: Vec::new(),
        };
        let header = long.sign_with(&s.key).expect("sign");
        assert_eq!(
            check(&s, Some(&header), &replay, &s.now),
            Err("file.request_stale")
        );
    }

    #[test]
    fn tampered_unknown_and_garbled_documents_are_refused() {
        let s = setup();
        let replay = MemoryReplayGuard::new();
        let header =
            FileRequest::sign(&s.key, &s.holder, &s.path, &s.sha256, &s.now).expect("sign");
        let mut document: serde_json::Value =
            serde_json::from_slice(&from_base64url(&header).expect("base64url")).expect("JSON");
        document["id"] = serde_json::Value::String(MessageId::new_v7(&s.now).to_string());
        let tampered = base64url(&crate::canonical::to_canonical_bytes(&document));
        assert_eq!(
            check(&s, Some(&tampered), &replay, &s.now),
            Err("signature.invalid")
        );
        // Signed by a key of another node.
        let stranger =
            KeyPair::generate(NodeId::parse("wuhan.420100").expect("id"), None).expect("key");
        let header =
            FileRequest::sign(&stranger, &s.holder, &s.path, &s.sha256, &s.now).expect("sign");
        assert_eq!(
            check(&s, Some(&header), &replay, &s.now),
            Err("signature.unknown_key")
        );
        for garbled in ["", "not base64!", "e30", "W10", &"A".repeat(5000)] {
            assert_eq!(
                check(&s, Some(garbled), &replay, &s.now),
                Err("file.request_invalid"),
                "{garbled:.20}"
            );
        }
        // A member of a newer minor version is kept and signed over.
        let mut document: serde_json::Value = serde_json::from_slice(
            &from_base64url(
                &FileRequest::sign(&s.key, &s.holder, &s.path, &s.sha256, &s.now).expect("sign"),
            )
            .expect("b64"),
        )
        .expect("JSON");
        document
            .as_object_mut()
            .expect("object")
            .remove("signatures");
        document["purpose"] = serde_json::Value::String("review".into());
        sign_document(&mut document, &s.key).expect("sign");
        let extended = base64url(&crate::canonical::to_canonical_bytes(&document));
        assert!(check(&s, Some(&extended), &replay, &s.now).is_ok());
    }
}
