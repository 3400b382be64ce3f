//! The file exchange's HTTP side: `GET <endpoint>/files/<sha256>` for partners (§23.4),
//! and the operator API's upload (`POST /operator/v1/files`) and download
//! (`GET /operator/v1/files/{sha256}`).

use super::records::{self, RequestLog};
use super::UploadError;
use crate::node::{Node, Refusal};
use crate::server::refusal;
use crate::tls::ClientKey;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http_body_util::BodyExt;
use serde::Deserialize;
use std::sync::Arc;

/// The bytes of a file read (on a blocking thread) and sent at a time.
const READ_PIECE: u64 = 256 * 1024;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tongban::error::FileError;
use tongban::file::{file_path, FileRequest, RequestTarget, MAX_FILE_BYTES, REQUEST_HEADER};
use tongban::{Error, FileRef, Sha256Digest};

/// The answer to anyone who may not have a file, whether or not it exists.
fn not_found(sha256: &str) -> Refusal {
    refusal(
        "file.not_found",
        format!("no file {sha256} for this requester"),
    )
}

/// Checks a partner's file request (§23.3) and whether this node sent the requester a
/// message referencing the file (§23.2); the file's reference if so. The store's lock
/// is taken only to record the request's id, after its signature verified.
fn authorize(
    node: &Node,
    client: Option<&ClientKey>,
    header: Option<&str>,
    sha256: &Sha256Digest,
) -> Result<FileRef, Refusal> {
    let registry = node.registry();
    let path = format!("{}{}", node.config().endpoint_path(), file_path(sha256));
    let target = RequestTarget {
        method: "GET",
        path: &path,
        sha256,
        holder: &node.config().node,
    };
    let log = RequestLog::new(node);
    let verified = FileRequest::verify(header, &target, &*registry, &log, &node.now());
    if let Some(failure) = log.failure.take() {
        return Err(Refusal::from(failure));
    }
    let request = verified?;
    node.check_client(client, &request.from, "the file request's requester")?;
    let granted = node.read(|db| records::sent_to(db, sha256, &request.from))?;
    match granted {
        Some(reference) if node.files().holds(&reference) => Ok(reference),
        _ => {
            tracing::warn!(requester = %request.from, %sha256, "file request refused: not a file sent to this requester, or not held");
            Err(not_found(sha256.as_str()))
        }
    }
}

/// `GET <endpoint>/files/{sha256}`: the file, whole or from a `Range`, to a partner this
/// node sent a message referencing it.
pub async fn serve(
    State(node): State<Arc<Node>>,
    client: Option<Extension<ClientKey>>,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Response {
    let client = client.map(|Extension(key)| key);
    let Ok(sha256) = Sha256Digest::parse(&sha256) else {
        return not_found(&sha256).into_response();
    };
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let request = text(REQUEST_HEADER);
    let range = text(header::RANGE.as_str());
    let checker = node.clone();
    let checked = sha256.clone();
    let granted = node
        .storage_work(move || authorize(&checker, client.as_ref(), request.as_deref(), &checked))
        .await;
    match granted {
        Ok(reference) => file_response(&node, &reference, range.as_deref()).await,
        Err(refused) => refused.into_response(),
    }
}

/// `GET /operator/v1/files/{sha256}`: a file this node holds, for its own staff. A
/// sealed file received (§24.6), asked for at its address, is opened with this node's
/// sealing key and checked against its reference first, then given in clear, whole
/// (`Range` is not honoured); one that does not open or is not its reference's file is
/// refused with that code (`seal.*`, `file.*`).
pub async fn download(
    State(node): State<Arc<Node>>,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(sha256) = Sha256Digest::parse(&sha256) else {
        return not_found(&sha256).into_response();
    };
    let Some(size) = node.files().size_of(&sha256) else {
        return not_found(sha256.as_str()).into_response();
    };
    let looker = node.clone();
    let address = sha256.clone();
    let sealed = node
        .storage_work(move || looker.sealed_received(&address))
        .await;
    match sealed {
        Ok(Some((message, reference))) => return opened_response(node, sha256, message, reference),
        Ok(None) => {}
        Err(refused) => return Refusal::from(refused).into_response(),
    }
    let reader = node.clone();
    let digest = sha256.clone();
    let media_type = node
        .storage_work(move || reader.read(|db| records::media_type_of(db, &digest)))
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| "application/octet-stream".into());
    let reference = FileRef {
        name: String::new(),
        sha256,
        sm3: None,
        media_type,
        size,
        sealed: None,
    };
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    file_response(&node, &reference, range).await
}

/// The file in clear that the sealed bytes at `address` hold (§24.6), of `message`'s
/// `reference`, opened and checked whole already ([`Node::sealed_received`]): opened
/// again on a blocking thread as it is sent. Should the bytes turn out otherwise now
/// (altered on disk meanwhile), the body ends early, so that the client sees a broken
/// response rather than a file that is not its reference's.
fn opened_response(
    node: Arc<Node>,
    address: Sha256Digest,
    message: crate::node::Readable,
    reference: FileRef,
) -> Response {
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let response = {
        let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|piece| (piece, receiver))
        });
        file_body(chunks, &reference, reference.size)
    };
    tokio::task::spawn_blocking(move || {
        let path = node.files().path(&address);
        let opened = node.file_opener(&message, &reference).and_then(|opener| {
            node.files()
                .open_sealed(&path, opener, &reference, |piece| {
                    let piece = Ok(Bytes::copy_from_slice(piece));
                    sender
                        .blocking_send(piece)
                        .map_err(|_| crate::NodeError::Storage {
                            reason: "the download was abandoned".into(),
                        })
                })
        });
        match opened {
            Ok(()) => {}
            // The operator went away: nothing is wrong with the file.
            Err(_) if sender.is_closed() => {}
            Err(e) => {
                tracing::error!(%address, "a sealed file did not open again for the operator: {e}");
                let _ = sender.blocking_send(Err(std::io::Error::other(e.to_string())));
            }
        }
    });
    response
}

/// A response streaming `chunks`, `length` bytes of the file `reference` names: its
/// media type, length and digest (`ETag`).
fn file_body(
    chunks: impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    reference: &FileRef,
    length: u64,
) -> Response {
    let mut response = Response::new(Body::from_stream(chunks));
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&reference.media_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", reference.sha256)) {
        headers.insert(header::ETAG, etag);
    }
    response
}

/// What a `Range` header asks for, in a file of `size` bytes (§23.4: one range,
/// `bytes=first-`, `bytes=first-last` or `bytes=-suffix`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    Whole,
    Part { start: u64, end: u64 },
    Unsatisfiable,
}

fn wanted(range: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let number = |text: &str| text.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), number(first), number(last)) {
        (true, _, Some(suffix)) if suffix > 0 && size > 0 => Wanted::Part {
            start: size.saturating_sub(suffix),
            end: size,
        },
        (true, _, _) => Wanted::Unsatisfiable,
        (false, Some(start), _) if start >= size => Wanted::Unsatisfiable,
        (false, Some(start), None) if last.trim().is_empty() => Wanted::Part { start, end: size },
        (false, Some(start), Some(last)) if last >= start => Wanted::Part {
            start,
            end: last.saturating_add(1).min(size),
        },
        _ => Wanted::Whole,
    }
}

/// The file's bytes as a streamed response: 200 whole, 206 with `Content-Range`, or
/// 416 with the file's size.
async fn file_response(node: &Node, reference: &FileRef, range: Option<&str>) -> Response {
    let size = reference.size;
    let (status, start, end) = match wanted(range, size) {
        Wanted::Whole => (StatusCode::OK, 0, size),
        Wanted::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        Wanted::Unsatisfiable => {
            let refused = refusal(
                "file.range_not_satisfiable",
                format!(
                    "the range {:?} starts at or beyond the end of the file ({size} bytes)",
                    range.unwrap_or("")
                ),
            );
            let mut response = refused.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
    };
    let path = node.files().path(&reference.sha256);
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(e) => {
            return Refusal::from(crate::NodeError::Storage {
                reason: format!("cannot open {}: {e}", path.display()),
            })
            .into_response()
        }
    };
    if let Err(e) = file.seek(std::io::SeekFrom::Start(start)).await {
        return Refusal::from(crate::NodeError::Storage {
            reason: format!("cannot read {}: {e}", path.display()),
        })
        .into_response();
    }
    let served = node.metrics().file_bytes("served");
    let chunks = futures_util::stream::unfold((file, end - start), move |(mut file, left)| {
        let served = served.clone();
        async move {
            if left == 0 {
                return None;
            }
            let mut buffer = vec![0u8; left.min(READ_PIECE) as usize];
            match file.read(&mut buffer).await {
                Ok(0) => None,
                Ok(read) => {
                    served.inc_by(read as u64);
                    buffer.truncate(read);
                    Some((
                        Ok::<_, std::io::Error>(Bytes::from(buffer)),
                        (file, left - read as u64),
                    ))
                }
                Err(e) => Some((Err(e), (file, 0))),
            }
        }
    });
    let mut response = file_body(chunks, reference, end - start);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end - 1)) {
            headers.insert(header::CONTENT_RANGE, value);
        }
    }
    response
}

/// The query of an upload: the reference's name and media type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// What the file is, e.g. `身份证复印件`.
    pub name: String,
    /// Its media type, e.g. `application/pdf`.
    pub media_type: String,
}

/// `POST /operator/v1/files?name=…&media_type=…` with the file as the body
/// (`application/octet-stream`): stored under its digest, at most 50 MiB, and answered
/// with its reference (201), ready to put in a message.
pub async fn upload(
    State(node): State<Arc<Node>>,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Response {
    let Ok(Query(query)) = query else {
        return refusal(
            "message.invalid",
            "name the file: ?name=…&media_type=… (both required)",
        )
        .into_response();
    };
    if tongban::file::media_type_essence(&query.media_type)
        .split('/')
        .count()
        != 2
        || HeaderValue::from_str(&query.media_type).is_err()
    {
        return refusal(
            "message.invalid",
            "media_type must be type/subtype, e.g. application/pdf",
        )
        .into_response();
    }
    // The body is read chunk by chunk on this task and written on a blocking thread; a
    // body that breaks off is passed on as such, and nothing of it is kept.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Result<Vec<u8>, UploadError>>(8);
    let writer = node.clone();
    let writing =
        tokio::task::spawn_blocking(move || writer.files().write_upload(receiver, MAX_FILE_BYTES));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let chunk = match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => Ok(data.to_vec()),
                Err(_) => continue,
            },
            Err(_) => Err(UploadError::BrokenOff),
        };
        let broken = chunk.is_err();
        if sender.send(chunk).is_err() || broken {
            break;
        }
    }
    drop(sender);
    let written = writing.await.unwrap_or_else(|e| {
        Err(UploadError::Storage(crate::NodeError::Storage {
            reason: format!("the upload task failed: {e}"),
        }))
    });
    match written {
        Ok((sha256, size)) => {
            let reference = FileRef {
                name: query.name,
                sha256,
                sm3: None,
                media_type: query.media_type,
                size,
                sealed: None,
            };
            node.metrics().file_bytes("uploaded").inc_by(size);
            tracing::info!(sha256 = %reference.sha256, size, "file uploaded by the operator");
            (StatusCode::CREATED, axum::Json(reference)).into_response()
        }
        Err(UploadError::TooLarge) => {
            let mut response = Refusal::from(Error::from(FileError::TooLarge {
                name: query.name,
                size: MAX_FILE_BYTES + 1,
                limit: MAX_FILE_BYTES,
            }))
            .into_response();
            *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            response
        }
        Err(UploadError::BrokenOff) => {
            refusal("http.timeout", "the upload broke off; send it again").into_response()
        }
        Err(UploadError::Storage(e)) => Refusal::from(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says_for_one_range() {
        let part = |start, end| Wanted::Part { start, end };
        assert_eq!(wanted(None, 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=10-"), 100), part(10, 100));
        assert_eq!(wanted(Some("bytes=10-19"), 100), part(10, 20));
        assert_eq!(wanted(Some("bytes=90-500"), 100), part(90, 100));
        assert_eq!(wanted(Some("bytes=-30"), 100), part(70, 100));
        assert_eq!(wanted(Some("bytes=-300"), 100), part(0, 100));
        assert_eq!(wanted(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        // Forms this holder does not serve as a part: the whole file.
        assert_eq!(wanted(Some("bytes=0-1,5-6"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=20-10"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("items=1-2"), 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=x-"), 100), Wanted::Whole);
    }
}
