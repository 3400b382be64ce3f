//! Fetching a file from the party that referenced it (§23): a signed request per
//! attempt, `Range` to resume from what an earlier attempt (or an earlier process)
//! left in the partial file, and every byte checked against the reference as it
//! arrives. The partial file never looks complete: the caller moves it into place only
//! after [`Client::download`] returned `Ok`.

use super::{retry_after_of, Client, ClientError, ErrorBody, FileAnswer};
use crate::crypto::DocumentSigner;
use crate::error::Error;
use crate::file::{check_media_type, file_path, FileCheck, FileRequest, REQUEST_HEADER};
use crate::http::is_transient;
use crate::id::NodeId;
use crate::message::FileRef;
use crate::registry::Registry;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A fetched file: it is whole in the partial file, and matches its reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// Attempts it took.
    pub attempts: u32,
    /// Bytes the partial file held already when this call began (resumed from).
    pub resumed_from: u64,
    /// Bytes received by this call.
    pub received: u64,
}

/// One attempt's outcome.
enum Attempt {
    /// The partial file holds every byte; the check has seen them all (boxed: with
    /// its SM3 state it is far larger than the other outcomes).
    Complete(Box<FileCheck>),
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    Fail(ClientError),
}

/// The bytes a download gathers before it writes them to the partial file.
const WRITE_BUFFER: usize = 1 << 20;

fn storage(path: &Path, error: std::io::Error) -> ClientError {
    ClientError::Storage(format!("{}: {error}", path.display()))
}

/// Reads what the partial file holds through a check of `reference`; a partial file
/// longer than the reference, or one that cannot be read, is started again.
async fn resume(part: &Path, reference: &FileRef) -> Result<FileCheck, ClientError> {
    let mut check = FileCheck::new(reference);
    let mut file = match tokio::fs::File::open(part).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(check),
        Err(e) => return Err(storage(part, e)),
    };
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).await.map_err(|e| storage(part, e))?;
        if read == 0 {
            return Ok(check);
        }
        if check.update(&buffer[..read]).is_err() {
            drop(file);
            truncate(part).await?;
            return Ok(FileCheck::new(reference));
        }
    }
}

/// Empties the partial file.
async fn truncate(part: &Path) -> Result<(), ClientError> {
    tokio::fs::File::create(part)
        .await
        .map(drop)
        .map_err(|e| storage(part, e))
}

impl Client {
    /// Fetches the file of `reference` from `holder` (its endpoint in `registry`) into
    /// the partial file `part`, with a request signed by `key` (§23.3), and returns
    /// once `part` holds exactly the referenced bytes, synced to disk.
    ///
    /// What `part` already holds is kept and the rest asked for with `Range`, so an
    /// interrupted fetch resumes where it stopped, across attempts and across
    /// processes. Transient failures are retried as [`Client::deliver`] retries them.
    /// Bytes that do not match the reference (too many, another digest, another media
    /// type) end the call with [`ClientError::File`] and `part` deleted: they are never
    /// kept. A refusal (`file.not_found`, a request that does not authenticate) is
    /// [`ClientError::Refused`].
    ///
    /// (1.1) For a sealed file (§24.6) it fetches what [`crate::file::fetched`] names:
    /// the sealed bytes, at their own digest, served as `application/octet-stream`;
    /// `part` then holds them, to be opened with [`crate::Verified::file_opener`] or
    /// [`Envelope::file_opener`](crate::Envelope::file_opener).
    pub async fn download(
        &self,
        registry: &Registry,
        key: &(impl DocumentSigner + Sync + ?Sized),
        holder: &NodeId,
        reference: &FileRef,
        part: &Path,
    ) -> Result<Download, ClientError> {
        let member = registry.member(holder).ok_or_else(|| {
            Error::from(crate::error::RegistryError::UnknownMember {
                field: "holder".into(),
                node: holder.to_string(),
            })
        })?;
        let fetched = crate::file::fetched(reference);
        let reference = &fetched;
        let endpoint = member.endpoint.trim_end_matches('/');
        let endpoint_path = reqwest::Url::parse(endpoint)
            .map(|url| url.path().trim_end_matches('/').to_string())
            .map_err(|e| ClientError::BadResponse {
                reason: format!("the holder's endpoint {endpoint:?} is not a URL: {e}"),
            })?;
        let path = format!("{endpoint_path}{}", file_path(&reference.sha256));
        let url = format!("{endpoint}{}", file_path(&reference.sha256));
        // The partial file is read once before the first attempt; a later attempt reads
        // what the one before it left.
        let mut first = Some(resume(part, reference).await?);
        let resumed_from = first.as_ref().map_or(0, FileCheck::received);
        let attempts = self.policy.attempts.max(1);
        let mut last = String::new();
        let mut last_retry_after = None;
        let mut received = 0u64;
        for attempt in 1..=attempts {
            let check = match first.take() {
                Some(check) => check,
                None => resume(part, reference).await?,
            };
            let outcome = if check.is_complete() {
                Attempt::Complete(Box::new(check))
            } else {
                let header =
                    FileRequest::sign(key, holder, &path, &reference.sha256, &self.clock.now())?;
                self.fetch_rest(&url, header, reference, check, part, &mut received)
                    .await
            };
            match outcome {
                Attempt::Complete(check) => {
                    if let Err(e) = check.finish() {
                        let _ = tokio::fs::remove_file(part).await;
                        return Err(ClientError::File(e.into()));
                    }
                    return Ok(Download {
                        attempts: attempt,
                        resumed_from,
                        received,
                    });
                }
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { reason, after } => {
                    last = reason;
                    last_retry_after = after;
                    if attempt < attempts {
                        self.pause(attempt, after).await;
                    }
                }
            }
        }
        Err(ClientError::Unreachable {
            attempts,
            last,
            retry_after: last_retry_after,
        })
    }

    /// One GET for the bytes `part` does not hold yet, appended to it as they come.
    async fn fetch_rest(
        &self,
        url: &str,
        header: String,
        reference: &FileRef,
        mut check: FileCheck,
        part: &Path,
        received: &mut u64,
    ) -> Attempt {
        let offset = check.received();
        let mut headers = vec![(REQUEST_HEADER, header)];
        if offset > 0 {
            headers.push(("range", format!("bytes={offset}-")));
        }
        let answer = match self.transport.get(url, &headers).await {
            Ok(answer) => answer,
            Err(reason) => {
                return Attempt::Retry {
                    reason,
                    after: None,
                }
            }
        };
        let FileAnswer {
            status,
            headers,
            mut body,
        } = answer;
        let retry_after = retry_after_of(&headers);
        match status {
            200 | 206 => {}
            _ if is_transient(status) => {
                return Attempt::Retry {
                    reason: format!("HTTP {status}"),
                    after: retry_after,
                }
            }
            _ => return Attempt::Fail(refusal(status, body.next_chunk().await)),
        }
        if let Err(e) = check_media_type(
            reference,
            headers.get("content-type").map_or("", String::as_str),
        ) {
            let _ = tokio::fs::remove_file(part).await;
            return Attempt::Fail(ClientError::File(e.into()));
        }
        let append = if status == 206 {
            let expected = format!("bytes {offset}-");
            let starts_right = headers
                .get("content-range")
                .is_some_and(|range| range.trim().starts_with(&expected));
            if !starts_right {
                return Attempt::Fail(ClientError::BadResponse {
                    reason: format!("206 without Content-Range {expected}…"),
                });
            }
            true
        } else {
            // The whole file: what the partial file held is replaced.
            check = FileCheck::new(reference);
            false
        };
        let file = match tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(part)
            .await
        {
            Ok(file) => file,
            Err(e) => return Attempt::Fail(storage(part, e)),
        };
        // Written in pieces of 1 MiB: one system call each, not one per network chunk.
        let mut file = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        loop {
            let chunk = match body.next_chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(reason) => {
                    // Keep what arrived; the next attempt resumes after it.
                    let _ = file.flush().await;
                    let _ = file.get_ref().sync_all().await;
                    return Attempt::Retry {
                        reason,
                        after: None,
                    };
                }
            };
            if let Err(e) = check.update(&chunk) {
                drop(file);
                let _ = tokio::fs::remove_file(part).await;
                return Attempt::Fail(ClientError::File(e.into()));
            }
            if let Err(e) = file.write_all(&chunk).await {
                return Attempt::Fail(storage(part, e));
            }
            *received += chunk.len() as u64;
        }
        if let Err(e) = file.flush().await {
            return Attempt::Fail(storage(part, e));
        }
        if let Err(e) = file.get_ref().sync_all().await {
            return Attempt::Fail(storage(part, e));
        }
        if check.is_complete() {
            Attempt::Complete(Box::new(check))
        } else {
            Attempt::Retry {
                reason: format!(
                    "the body ended after {} of {} bytes",
                    check.received(),
                    reference.size
                ),
                after: None,
            }
        }
    }
}

/// A final refusal from its error body (the first chunk: error bodies are small).
fn refusal(status: u16, first: Result<Option<Vec<u8>>, String>) -> ClientError {
    match first.ok().flatten().as_deref().and_then(ErrorBody::parse) {
        Some(body) if (400..500).contains(&status) => ClientError::Refused { status, body },
        _ => ClientError::BadResponse {
            reason: format!("HTTP {status} without an error body"),
        },
    }
}
