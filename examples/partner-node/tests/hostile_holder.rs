//! The fetching side of the file exchange (PROTOCOL §23.4) against a holder that lies:
//! `Client::download` from the SDK, over loopback HTTP, from a server that serves other
//! bytes, more bytes, another media type, breaks off, or answers a range wrongly. Bytes
//! that do not match the reference are never kept; an interrupted fetch resumes where
//! it stopped, across attempts and across calls; every request the client sends is a
//! valid signed request.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tongban::client::{Client, ClientError, RetryPolicy};
use tongban::file::{FileHasher, FileRequest, RequestTarget, REQUEST_HEADER};
use tongban::registry::Registry;
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

/// How the holder answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Honest,
    OtherBytes,
    MoreBytes,
    WrongMediaType,
    /// Half the file, then the connection breaks, on the first request only.
    BreaksOffOnce,
    NotFound,
    /// A 206 that starts at 0 whatever was asked.
    WrongRangeStart,
    /// (§24.6) The file sealed: its sealed bytes as `application/octet-stream`.
    Sealed,
    /// The file in clear for a sealed reference, as a holder of revision 1.1.4 would.
    ClearForSealed,
}

#[derive(Debug)]
struct Holder {
    mode: Mode,
    file: Vec<u8>,
    registry: Arc<Registry>,
    seen: MemoryReplayGuard,
    /// Each request's `Range` header, and whether its signed request verified.
    requests: Vec<(Option<String>, bool)>,
}

type Shared = Arc<Mutex<Holder>>;

async fn serve(State(holder): State<Shared>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let mut h = holder.lock().expect("holder");
    let sha256 = Sha256Digest::of(&h.file);
    let target = RequestTarget {
        method: "GET",
        path: uri.path(),
        sha256: &sha256,
        holder: &NodeId::parse(HUANGSHI).expect("node"),
    };
    let header = headers.get(REQUEST_HEADER).and_then(|v| v.to_str().ok());
    let verified =
        FileRequest::verify(header, &target, &*h.registry, &h.seen, &Timestamp::now()).is_ok();
    let range = headers
        .get("range")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    h.requests.push((range.clone(), verified));
    let first_request = h.requests.len() == 1;
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
        .unwrap_or(0);
    let media_type = match h.mode {
        Mode::Sealed => tongban::file::SEALED_MEDIA_TYPE,
        _ => "application/pdf",
    };
    let pdf = [("content-type", media_type)];
    let whole = h.file.clone();
    match h.mode {
        Mode::NotFound => (
            StatusCode::NOT_FOUND,
            [("content-type", "application/json")],
            r#"{"code":"file.not_found","message":"no such file for this requester"}"#,
        )
            .into_response(),
        Mode::OtherBytes => {
            let mut other = whole;
            other[10] ^= 0xFF;
            (StatusCode::OK, pdf, other).into_response()
        }
        Mode::MoreBytes => {
            let mut more = whole;
            more.extend_from_slice(b"and a little more");
            (StatusCode::OK, pdf, more).into_response()
        }
        Mode::WrongMediaType => {
            (StatusCode::OK, [("content-type", "text/html")], whole).into_response()
        }
        Mode::WrongRangeStart if start > 0 => (
            StatusCode::PARTIAL_CONTENT,
            [
                ("content-type", "application/pdf"),
                ("content-range", "bytes 0-9/100"),
            ],
            whole,
        )
            .into_response(),
        Mode::BreaksOffOnce if first_request => {
            // Half the file, flushed, then the connection breaks a moment later.
            let half = Bytes::copy_from_slice(&whole[..whole.len() / 2]);
            let chunks = futures_util::stream::unfold(Some(half), |half| async move {
                match half {
                    Some(half) => Some((Ok(half), None)),
                    None => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        Some((Err(std::io::Error::other("the line dropped")), None))
                    }
                }
            });
            let mut response = Response::new(Body::from_stream(chunks));
            response
                .headers_mut()
                .insert("content-type", "application/pdf".parse().expect("header"));
            response
        }
        _ if start > 0 => {
            let range = format!("bytes {start}-{}/{}", whole.len() - 1, whole.len());
            (
                StatusCode::PARTIAL_CONTENT,
                [
                    ("content-type", media_type.to_string()),
                    ("content-range", range),
                ],
                whole[start..].to_vec(),
            )
                .into_response()
        }
        _ => (StatusCode::OK, pdf, whole).into_response(),
    }
}

struct Setup {
    holder: Shared,
    registry: Arc<Registry>,
    reference: FileRef,
    dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Setup {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn setup(mode: Mode) -> Setup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!(
        "http://{}/tongban/v1",
        listener.local_addr().expect("address")
    );
    let endpoints = [(HUANGSHI.to_string(), endpoint)].into_iter().collect();
    let bytes = sample::registry_with_endpoints_speaking(
        &endpoints,
        &[ProtocolVersion::V1_0, ProtocolVersion::V1_1],
    )
    .expect("registry");
    let registry = Arc::new(Registry::bootstrap(&bytes, &Timestamp::now()).expect("registry"));
    let file = partner_node::demo::pdf(&["Lease contract", "Cihu Road 88"], 300_000);
    let mut hasher = FileHasher::new();
    hasher.update(&file);
    let mut reference = hasher.into_reference("营业场所租赁合同", "application/pdf");
    let file = match mode {
        Mode::Sealed | Mode::ClearForSealed => {
            let (sealed, members) = seal(&reference, &file);
            reference.sealed = Some(members);
            if mode == Mode::Sealed {
                sealed
            } else {
                file
            }
        }
        _ => file,
    };
    let holder = Arc::new(Mutex::new(Holder {
        mode,
        file,
        registry: registry.clone(),
        seen: MemoryReplayGuard::new(),
        requests: Vec::new(),
    }));
    let app = Router::new()
        .fallback(axum::routing::get(serve))
        .with_state(holder.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Setup {
        holder,
        registry,
        reference,
        dir: tempfile::tempdir().expect("dir"),
        server,
    }
}

/// The transfer from Huangshi to Jiujiang whose material `reference` names, sealed to
/// Jiujiang (§24.6): the same message whenever it is made.
fn message_of(reference: &FileRef) -> Envelope {
    let mut body = sample::transfer_body().expect("body");
    body.materials = vec![reference.clone()];
    let created = Timestamp::parse(sample::CREATED).expect("time");
    let route = sample::route(HUANGSHI).expect("route");
    let mut message = Envelope::new(route, tongban::Body::Transfer(body), created, 3600)
        .expect("message")
        .with_protocol(ProtocolVersion::V1_1);
    message.id = MessageId::parse("01KB5A7X000000000000000009").expect("id");
    message
}

/// `file` sealed to Jiujiang's sample HPKE key in that message: the sealed bytes and
/// the reference's `sealed`.
fn seal(reference: &FileRef, file: &[u8]) -> (Vec<u8>, tongban::seal::SealedFile) {
    let key = sample::sealing_key(JIUJIANG, SUITE).expect("sealing key");
    let mut sealer = message_of(reference).file_sealer(key.key_id(), key.public_key(), reference);
    let mut sealed = sealer.update(file).expect("sealed");
    let (last, members) = sealer.finish().expect("sealed");
    sealed.extend(last);
    (sealed, members)
}

const SUITE: tongban::seal::SealingSuite = tongban::seal::SealingSuite::HpkeX25519Aes128Gcm;

fn client() -> Client {
    Client::new(RetryPolicy {
        attempts: 3,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    })
    .expect("client")
}

impl Setup {
    fn part(&self) -> std::path::PathBuf {
        self.dir.path().join("lease.part")
    }

    async fn download(&self) -> Result<tongban::client::Download, ClientError> {
        client()
            .download(
                &self.registry,
                &sample::key(JIUJIANG).expect("key"),
                &NodeId::parse(HUANGSHI).expect("node"),
                &self.reference,
                &self.part(),
            )
            .await
    }

    fn file(&self) -> Vec<u8> {
        self.holder.lock().expect("holder").file.clone()
    }

    fn requests(&self) -> Vec<(Option<String>, bool)> {
        self.holder.lock().expect("holder").requests.clone()
    }
}

#[tokio::test]
async fn an_honest_holder_gives_the_file_to_a_signed_request() {
    let s = setup(Mode::Honest).await;
    let fetched = s.download().await.expect("fetched");
    assert_eq!((fetched.attempts, fetched.resumed_from), (1, 0));
    assert_eq!(std::fs::read(s.part()).expect("part"), s.file());
    assert_eq!(
        s.requests(),
        vec![(None, true)],
        "one request, and it verified at the holder"
    );
}

#[tokio::test]
async fn bytes_that_do_not_match_the_reference_are_refused_and_never_kept() {
    for (mode, code) in [
        (Mode::OtherBytes, "file.digest_mismatch"),
        (Mode::MoreBytes, "file.size_mismatch"),
        (Mode::WrongMediaType, "file.media_type_mismatch"),
    ] {
        let s = setup(mode).await;
        let error = s.download().await.expect_err("refused");
        assert!(matches!(error, ClientError::File(_)), "{mode:?}: {error}");
        assert_eq!(error.code(), code, "{mode:?}");
        assert!(!s.part().exists(), "{mode:?}: nothing of the file is kept");
        assert_eq!(
            s.requests().len(),
            1,
            "{mode:?}: a mismatch is not retried at once"
        );
    }
}

#[tokio::test]
async fn a_fetch_that_breaks_off_resumes_where_it_stopped() {
    let s = setup(Mode::BreaksOffOnce).await;
    let fetched = s.download().await.expect("fetched on the second attempt");
    assert_eq!(fetched.attempts, 2);
    assert_eq!(std::fs::read(s.part()).expect("part"), s.file());
    let requests = s.requests();
    let half = s.file().len() / 2;
    assert_eq!(requests[1], (Some(format!("bytes={half}-")), true));
    assert!(
        requests.iter().all(|(_, verified)| *verified),
        "a new signed request per attempt"
    );
    assert!(fetched.received < s.file().len() as u64 + 1);
}

#[tokio::test]
async fn a_partial_file_left_by_an_earlier_process_is_resumed_and_checked_whole() {
    let s = setup(Mode::Honest).await;
    std::fs::write(s.part(), &s.file()[..1000]).expect("partial");
    let fetched = s.download().await.expect("fetched");
    assert_eq!(
        (fetched.resumed_from, fetched.received),
        (1000, s.file().len() as u64 - 1000)
    );
    assert_eq!(s.requests()[0].0.as_deref(), Some("bytes=1000-"));
    assert_eq!(std::fs::read(s.part()).expect("part"), s.file());

    // A partial file whose bytes were corrupted meanwhile: the whole does not hash to
    // the reference, everything is discarded, and the next fetch starts again.
    let mut corrupt = s.file()[..1000].to_vec();
    corrupt[5] ^= 1;
    std::fs::write(s.part(), corrupt).expect("partial");
    let error = s.download().await.expect_err("refused");
    assert_eq!(error.code(), "file.digest_mismatch");
    assert!(!s.part().exists());
    s.download().await.expect("fetched again from the start");
    assert_eq!(std::fs::read(s.part()).expect("part"), s.file());
}

#[tokio::test]
async fn a_refusal_is_final_and_a_wrong_range_is_not_taken() {
    let s = setup(Mode::NotFound).await;
    let error = s.download().await.expect_err("refused");
    assert!(
        matches!(error, ClientError::Refused { status: 404, .. }),
        "{error}"
    );
    assert_eq!(error.code(), "file.not_found");
    assert_eq!(s.requests().len(), 1, "a refusal is not retried");

    let s = setup(Mode::WrongRangeStart).await;
    std::fs::write(s.part(), &s.file()[..1000]).expect("partial");
    let error = s.download().await.expect_err("refused");
    assert_eq!(error.code(), "transport.bad_response");
    assert_eq!(
        std::fs::read(s.part()).expect("part"),
        &s.file()[..1000],
        "the partial file is untouched"
    );
}

#[tokio::test]
async fn a_sealed_file_is_fetched_as_its_sealed_bytes_and_opened_by_its_receiver() {
    let s = setup(Mode::Sealed).await;
    let fetched = s.download().await.expect("fetched");
    assert_eq!(fetched.attempts, 1);
    let sealed = std::fs::read(s.part()).expect("part");
    let members = s.reference.sealed.clone().expect("sealed");
    assert_eq!(
        Sha256Digest::of(&sealed),
        members.sha256,
        "the sealed bytes, kept as they came"
    );
    assert_eq!(
        s.requests(),
        vec![(None, true)],
        "asked for at its address, and verified"
    );
    // Opened with the receiver's key under the message's context: the file.
    let key = sample::sealing_key(JIUJIANG, SUITE).expect("sealing key");
    let mut opener = message_of(&s.reference)
        .file_opener(&s.reference, &key)
        .expect("the receiver's key");
    let mut check = tongban::file::FileCheck::new(&s.reference);
    check
        .update(&opener.update(&sealed).expect("opens"))
        .expect("the file");
    opener.finish().expect("whole");
    check.finish().expect("the file's digest");
}

#[tokio::test]
async fn the_file_in_clear_for_a_sealed_reference_is_refused_and_never_kept() {
    let s = setup(Mode::ClearForSealed).await;
    let error = s.download().await.expect_err("refused");
    assert_eq!(error.code(), "file.media_type_mismatch", "{error}");
    assert!(!s.part().exists(), "nothing of the file in clear is kept");
}
