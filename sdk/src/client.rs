//! The HTTP client (feature `client`): delivers a signed message to the receiver's
//! endpoint from the trust registry and returns its verified receipt.
//!
//! Transient failures (connection errors, timeouts, 5xx, 429) are retried with
//! exponential backoff and jitter, honouring `Retry-After`, always with the same bytes
//! and so the same message id; the receiver's duplicate elimination makes the retries
//! safe. A refusal (any other 4xx) is final and never retried. Success means a signed
//! receipt that verifies against the registry and answers exactly the message sent.
//!
//! [`Client::new`] speaks HTTP through [`HttpTransport`] with the system clock. A
//! simulation hands the client its own network ([`Transport`]), clock ([`Clock`]) and
//! jitter seed, and gets the same retry and verification logic.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tongban::client::ClientError> {
//! use tongban::client::{Client, RetryPolicy};
//! let registry = tongban::sample::registry()?;
//! let transfer = tongban::sample::signed_transfer()?.to_canonical_bytes()?;
//! let client = Client::new(RetryPolicy::default())?;
//! let delivery = client.deliver(&registry, &transfer).await?;
//! println!("receipt {} after {} attempt(s)", delivery.receipt.envelope().id, delivery.attempts);
//! # Ok(()) }
//! ```

mod download;
mod pinned;

pub use download::Download;
pub use pinned::{endpoint_keys, key_pin, EndpointKeys};

use crate::error::Error;
use crate::http::{is_transient, ErrorBody, MEDIA_TYPE, MESSAGES_PATH, REPLAYED_HEADER};
use crate::json::Limits;
use crate::message::{Body, ReceiptOutcome};
use crate::registry::Registry;
use crate::time::Clock;
use crate::verify::{Unverified, Verified, Verifier};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often and how patiently to send.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// Backoff before the second attempt; it doubles with each further attempt.
    pub first_backoff: Duration,
    /// Upper bound of one backoff, and of a `Retry-After` (in seconds) the client
    /// honours between its attempts; a longer one is reported in
    /// [`ClientError::retry_after`] for the caller's own schedule.
    pub max_backoff: Duration,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, response included.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, backoff 200 ms doubling up to 10 s, 5 s to connect, 30 s per request.
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1` (`attempt` ≥ 1): the exponential delay
    /// with "equal jitter", uniformly drawn from its upper half, so that senders that
    /// failed together do not retry together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        self.backoff_at(attempt, Jitter::Os.fraction())
    }

    /// The backoff before attempt `attempt + 1` at the point `fraction` (0 to 1) of its
    /// jitter range: the exponential delay times `0.5 + 0.5 × fraction`.
    pub fn backoff_at(&self, attempt: u32, fraction: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let full = self
            .first_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let fraction = fraction.clamp(0.0, 1.0);
        Duration::try_from_secs_f64(full.as_secs_f64() * (0.5 + 0.5 * fraction)).unwrap_or(full)
    }
}

/// A seeded sequence of random numbers (SplitMix64): the same seed gives the same
/// numbers on every platform. Not for secrets; for runs that must repeat exactly
/// (backoff jitter, message ids and fault plans in a simulation).
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// The sequence of `seed`.
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom { state: seed }
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `range` (`start..end`, not empty), nearly uniform.
    pub fn in_range(&mut self, range: std::ops::Range<u64>) -> u64 {
        let span = range.end.saturating_sub(range.start).max(1);
        range.start + self.next_u64() % span
    }

    /// A number from 0 to 1.
    pub fn fraction(&mut self) -> f64 {
        // The high 32 bits.
        f64::from(u32::try_from(self.next_u64() >> 32).unwrap_or(u32::MAX)) / f64::from(u32::MAX)
    }
}

/// Where the jitter of backoffs comes from.
#[derive(Debug, Clone)]
enum Jitter {
    /// The operating system's random numbers.
    Os,
    /// A seeded sequence, shared by the clones of a client.
    Seeded(Arc<Mutex<SeededRandom>>),
}

impl Jitter {
    /// A number from 0 to 1.
    fn fraction(&self) -> f64 {
        match self {
            Jitter::Os => {
                let mut random = [0u8; 4];
                let bits = match getrandom::getrandom(&mut random) {
                    Ok(()) => u32::from_le_bytes(random),
                    Err(_) => u32::MAX,
                };
                f64::from(bits) / f64::from(u32::MAX)
            }
            Jitter::Seeded(random) => random.lock().unwrap_or_else(|p| p.into_inner()).fraction(),
        }
    }
}

/// A receiver's answer to a POST, as a [`Transport`] hands it over.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The response headers the client reads, by lower-case name (`retry-after`,
    /// `tongban-replayed`); others may be left out.
    pub headers: BTreeMap<String, String>,
    /// The response body, at most the protocol's size limit.
    pub body: Vec<u8>,
}

impl Answer {
    /// The headers a client reads (`tongban-replayed`, `retry-after`) from an HTTP
    /// response's header map, by lower-case name.
    pub fn headers_of(headers: &reqwest::header::HeaderMap) -> BTreeMap<String, String> {
        [REPLAYED_HEADER, "retry-after"]
            .into_iter()
            .filter_map(|name| {
                let value = headers.get(name)?.to_str().ok()?;
                Some((name.to_string(), value.to_string()))
            })
            .collect()
    }
}

/// A POST in progress.
pub type Posting<'a> = Pin<Box<dyn Future<Output = Result<Answer, String>> + Send + 'a>>;

/// How a [`Client`] carries a message to a receiver's endpoint: [`HttpTransport`] over
/// real HTTP, or a simulated network. One call is one attempt; the client does the
/// retrying, the verification and the timing between attempts.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// POSTs `body` to `url` as `application/json` and returns the answer. An `Err`
    /// (with a description) is a failure to get an answer at all: no connection, a
    /// timeout, a body larger than the protocol's size limit. It must not follow
    /// redirects, which would send the message to a host the registry does not name.
    fn post<'a>(&'a self, url: &'a str, body: &'a [u8]) -> Posting<'a>;

    /// GETs a file from `url` with `headers` (the signed request, a `Range`) and
    /// returns the answer with its body still streaming (§23). It must not follow
    /// redirects. A transport that cannot fetch files answers with an `Err`.
    fn get<'a>(&'a self, url: &'a str, headers: &'a [(&'static str, String)]) -> Getting<'a> {
        let _ = (url, headers);
        Box::pin(async { Err("this transport does not fetch files".to_string()) })
    }
}

/// A file holder's answer, its body still streaming.
pub struct FileAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The response headers the client reads (`content-type`, `content-range`,
    /// `retry-after`), by lower-case name.
    pub headers: BTreeMap<String, String>,
    /// The body, chunk by chunk.
    pub body: Box<dyn ChunkStream>,
}

impl std::fmt::Debug for FileAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileAnswer")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// The next chunk of a body in progress.
pub type NextChunk<'a> = Pin<Box<dyn Future<Output = Result<Option<Vec<u8>>, String>> + Send + 'a>>;

/// A response body read chunk by chunk, so that a file is never held whole.
pub trait ChunkStream: Send {
    /// The next chunk; `None` at the end, an `Err` if the body broke off.
    fn next_chunk(&mut self) -> NextChunk<'_>;
}

/// A GET in progress.
pub type Getting<'a> = Pin<Box<dyn Future<Output = Result<FileAnswer, String>> + Send + 'a>>;

/// reqwest's body as a [`ChunkStream`].
struct ReqwestBody(reqwest::Response);

impl ChunkStream for ReqwestBody {
    fn next_chunk(&mut self) -> NextChunk<'_> {
        Box::pin(async move {
            let chunk = self.0.chunk().await.map_err(|e| describe(&e))?;
            Ok(chunk.map(|bytes| bytes.to_vec()))
        })
    }
}

/// The HTTP transport: reqwest with rustls, the policy's timeouts, one connection
/// pool, no redirects.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    http: reqwest::Client,
    /// For files: no limit on the whole request (50 MiB take a while on a slow link),
    /// but on the wait for each chunk.
    files: reqwest::Client,
}

/// What a client trusts and presents over `https://`.
#[derive(Clone, Default)]
pub struct ClientTls {
    /// The only certificate authorities trusted for endpoints' certificates (PEM, one
    /// or more); `None` for the usual web roots.
    pub roots_pem: Option<Vec<u8>>,
    /// The certificate chain and private key (PEM) presented to an endpoint that asks
    /// for a client certificate (mutual TLS).
    pub identity_pem: Option<Vec<u8>>,
    /// (1.1, §21.5) The keys the registry lists for each endpoint's host: an endpoint
    /// whose certificate key is not among them is refused in the handshake. `None`
    /// checks certificates as usual only.
    pub endpoint_keys: Option<EndpointKeys>,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls")
            .field("own_roots", &self.roots_pem.is_some())
            .field("identity", &self.identity_pem.as_ref().map(|_| "<secret>"))
            .field("endpoint_keys", &self.endpoint_keys.is_some())
            .finish()
    }
}

impl HttpTransport {
    /// A transport with the connect and request timeouts of `policy`.
    pub fn new(policy: &RetryPolicy) -> Result<HttpTransport, ClientError> {
        HttpTransport::with_tls(policy, &ClientTls::default())
    }

    /// A transport with the timeouts of `policy` that trusts and presents what `tls`
    /// says over `https://`.
    pub fn with_tls(policy: &RetryPolicy, tls: &ClientTls) -> Result<HttpTransport, ClientError> {
        let configured = |mut builder: reqwest::ClientBuilder| {
            // Never follow a redirect: it would send the signed message to a host the
            // registry does not name.
            builder = builder
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(policy.connect_timeout);
            if let Some(keys) = &tls.endpoint_keys {
                let config = pinned::config(
                    tls.roots_pem.as_deref(),
                    tls.identity_pem.as_deref(),
                    keys.clone(),
                )
                .map_err(cannot_build_because)?;
                return Ok(builder.use_preconfigured_tls(config));
            }
            if let Some(pem) = &tls.roots_pem {
                builder = builder.tls_built_in_root_certs(false);
                for root in reqwest::Certificate::from_pem_bundle(pem).map_err(cannot_build)? {
                    builder = builder.add_root_certificate(root);
                }
            }
            if let Some(pem) = &tls.identity_pem {
                builder = builder.identity(reqwest::Identity::from_pem(pem).map_err(cannot_build)?);
            }
            Ok::<_, ClientError>(builder)
        };
        let http = configured(reqwest::Client::builder())?
            .timeout(policy.request_timeout)
            .build()
            .map_err(cannot_build)?;
        let files = configured(reqwest::Client::builder())?
            .read_timeout(policy.request_timeout)
            .build()
            .map_err(cannot_build)?;
        Ok(HttpTransport { http, files })
    }

    async fn fetch(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
    ) -> Result<FileAnswer, String> {
        let mut request = self.files.get(url);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.map_err(|e| describe(&e))?;
        let headers = ["content-type", "content-range", "retry-after"]
            .into_iter()
            .filter_map(|name| {
                let value = response.headers().get(name)?.to_str().ok()?;
                Some((name.to_string(), value.to_string()))
            })
            .collect();
        Ok(FileAnswer {
            status: response.status().as_u16(),
            headers,
            body: Box::new(ReqwestBody(response)),
        })
    }

    async fn send(&self, url: &str, body: &[u8]) -> Result<Answer, String> {
        let mut response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, MEDIA_TYPE)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let headers = Answer::headers_of(response.headers());
        let limit = Limits::PROTOCOL.max_bytes;
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
            if bytes.len() + chunk.len() > limit {
                return Err(format!("response larger than {limit} bytes"));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status: response.status().as_u16(),
            headers,
            body: bytes,
        })
    }
}

fn cannot_build(e: reqwest::Error) -> ClientError {
    cannot_build_because(describe(&e))
}

fn cannot_build_because(reason: String) -> ClientError {
    ClientError::Unreachable {
        attempts: 0,
        last: format!("cannot build the HTTP client: {reason}"),
        retry_after: None,
    }
}

impl Transport for HttpTransport {
    fn post<'a>(&'a self, url: &'a str, body: &'a [u8]) -> Posting<'a> {
        Box::pin(self.send(url, body))
    }

    fn get<'a>(&'a self, url: &'a str, headers: &'a [(&'static str, String)]) -> Getting<'a> {
        Box::pin(self.fetch(url, headers))
    }
}

/// A delivered message: the receipt that proves the receiver stored it.
#[derive(Debug)]
pub struct Delivery {
    /// The verified receipt, which answers the message sent.
    pub receipt: Verified,
    /// The receipt's bytes as received.
    pub receipt_bytes: Vec<u8>,
    /// Attempts it took.
    pub attempts: u32,
    /// Whether the receiver had the message already and answered with its first receipt.
    pub replayed: bool,
}

/// Why a delivery failed. [`ClientError::code`] gives the stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The message to send is invalid here: it does not parse or verify against the
    /// registry, or its receiver has no endpoint. Nothing was sent.
    #[error("the message cannot be sent: {0}")]
    Message(Error),
    /// The receiver refused the message; final, never retried.
    #[error("refused by the receiver with HTTP {status} [{}]: {}", body.code, body.message)]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The receiver's error body, with its code.
        body: ErrorBody,
    },
    /// Every attempt failed transiently (`transport.unreachable`).
    #[error("no receipt after {attempts} attempt(s); last failure: {last}")]
    Unreachable {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
        /// The `Retry-After` (in seconds) of the last answer, if any.
        retry_after: Option<Duration>,
    },
    /// The receiver answered outside the binding (`transport.bad_response`).
    #[error("the receiver's answer is not allowed by the binding: {reason}")]
    BadResponse {
        /// What was wrong.
        reason: String,
    },
    /// The receiver's receipt does not verify or does not answer the message sent; the
    /// message is not delivered.
    #[error("the receipt is not valid: {0}")]
    Receipt(Error),
    /// The holder served a file that does not match its reference (`file.*_mismatch`);
    /// what was received of it is deleted. Fetch it again later.
    #[error("the file served does not match its reference: {0}")]
    File(Error),
    /// The file could not be written where it was to go (`node.storage`).
    #[error("cannot write the file: {0}")]
    Storage(String),
}

impl ClientError {
    /// The stable code: the receiver's code for a refusal, the SDK's code for an
    /// invalid message or receipt, `transport.*` for the rest.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Message(e) | ClientError::Receipt(e) | ClientError::File(e) => e.code(),
            ClientError::Storage(_) => "node.storage",
            ClientError::Refused { body, .. } => &body.code,
            ClientError::Unreachable { .. } => "transport.unreachable",
            ClientError::BadResponse { .. } => "transport.bad_response",
        }
    }

    /// Whether sending the same message again later may succeed, so that a sender
    /// keeps it (until it expires): no receipt yet (`transport.unreachable`), an answer
    /// outside the binding or a receipt that does not verify here yet (the receiver may
    /// hold the message; a resend returns its receipt again), or this sender's registry
    /// has expired. A refusal and an invalid message are final.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable { .. }
            | ClientError::BadResponse { .. }
            | ClientError::Receipt(_) => true,
            ClientError::Message(e) => e.code() == "registry.expired",
            ClientError::Refused { .. } | ClientError::File(_) | ClientError::Storage(_) => false,
        }
    }

    /// The receiver's `Retry-After` on the last attempt, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::Unreachable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl From<Error> for ClientError {
    fn from(error: Error) -> Self {
        ClientError::Message(error)
    }
}

/// One attempt's outcome.
enum Attempt {
    Receipt {
        bytes: Vec<u8>,
        replayed: bool,
    },
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    Fail(ClientError),
}

/// Sends messages over the HTTP binding.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Arc<dyn Transport>,
    policy: RetryPolicy,
    clock: Clock,
    jitter: Jitter,
}

impl Client {
    /// An HTTP client with its own connection pool and the system clock.
    pub fn new(policy: RetryPolicy) -> Result<Client, ClientError> {
        let transport = HttpTransport::new(&policy)?;
        Ok(Client::with_transport(policy, Arc::new(transport)))
    }

    /// An HTTP client that trusts and presents what `tls` says over `https://`.
    pub fn with_tls(policy: RetryPolicy, tls: &ClientTls) -> Result<Client, ClientError> {
        let transport = HttpTransport::with_tls(&policy, tls)?;
        Ok(Client::with_transport(policy, Arc::new(transport)))
    }

    /// A client over `transport`, with the system clock and random jitter.
    pub fn with_transport(policy: RetryPolicy, transport: Arc<dyn Transport>) -> Client {
        Client {
            transport,
            policy,
            clock: Clock::system(),
            jitter: Jitter::Os,
        }
    }

    /// The same client reading the time from `clock`: the time against which the
    /// message and its receipt are verified.
    pub fn with_clock(mut self, clock: Clock) -> Client {
        self.clock = clock;
        self
    }

    /// The same client drawing the jitter of its backoffs from a sequence seeded with
    /// `seed`, so that a run repeats exactly (simulations, tests).
    pub fn with_jitter_seed(mut self, seed: u64) -> Client {
        self.jitter = Jitter::Seeded(Arc::new(Mutex::new(SeededRandom::new(seed))));
        self
    }

    /// The retry policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Delivers the signed `message` (its canonical bytes) to its receiver's endpoint
    /// in `registry`, and returns the verified receipt that answers it.
    pub async fn deliver(
        &self,
        registry: &Registry,
        message: &[u8],
    ) -> Result<Delivery, ClientError> {
        let sent = Verifier::new(registry)
            .any_receiver()
            .verify(Unverified::parse(message)?, &self.clock.now())?;
        let receiver = &sent.envelope().to;
        let member = registry.member(receiver).ok_or_else(|| {
            Error::from(crate::error::RegistryError::UnknownMember {
                field: "/to".into(),
                node: receiver.to_string(),
            })
        })?;
        let url = format!("{}{MESSAGES_PATH}", member.endpoint.trim_end_matches('/'));
        let attempts = self.policy.attempts.max(1);
        let mut last = String::new();
        let mut last_retry_after = None;
        for attempt in 1..=attempts {
            match self.attempt(&url, message).await {
                Attempt::Receipt { bytes, replayed } => {
                    let receipt = check_receipt(registry, &sent, &bytes, &self.clock)?;
                    return Ok(Delivery {
                        receipt,
                        receipt_bytes: bytes,
                        attempts: attempt,
                        replayed,
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

    /// Waits before attempt `attempt + 1`: the policy's backoff with jitter, or the
    /// receiver's `Retry-After` if longer (within the policy's maximum).
    async fn pause(&self, attempt: u32, retry_after: Option<Duration>) {
        let backoff = self.policy.backoff_at(attempt, self.jitter.fraction());
        let wait = retry_after.map_or(backoff, |a| a.min(self.policy.max_backoff).max(backoff));
        tokio::time::sleep(wait).await;
    }

    async fn attempt(&self, url: &str, message: &[u8]) -> Attempt {
        let answer = match self.transport.post(url, message).await {
            Ok(answer) => answer,
            Err(reason) => {
                return Attempt::Retry {
                    reason,
                    after: None,
                }
            }
        };
        let Answer {
            status,
            headers,
            body: bytes,
        } = answer;
        let replayed = headers.get(REPLAYED_HEADER).is_some_and(|v| v == "true");
        let retry_after = retry_after_of(&headers);
        if status == 200 {
            return Attempt::Receipt { bytes, replayed };
        }
        if (300..400).contains(&status) {
            return Attempt::Fail(ClientError::BadResponse {
                reason: format!("HTTP {status}: redirects are not followed"),
            });
        }
        if is_transient(status) {
            return Attempt::Retry {
                reason: format!("HTTP {status}{}", error_suffix(&bytes)),
                after: retry_after,
            };
        }
        match ErrorBody::parse(&bytes) {
            Some(body) if (400..500).contains(&status) => {
                Attempt::Fail(ClientError::Refused { status, body })
            }
            _ => Attempt::Fail(ClientError::BadResponse {
                reason: format!("HTTP {status} without an error body"),
            }),
        }
    }
}

/// The `Retry-After` of an answer, in seconds, if it has one.
fn retry_after_of(headers: &BTreeMap<String, String>) -> Option<Duration> {
    headers
        .get("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

fn error_suffix(bytes: &[u8]) -> String {
    match ErrorBody::parse(bytes) {
        Some(body) => format!(" [{}] {}", body.code, body.message),
        None => String::new(),
    }
}

/// An error with its causes, joined by `: ` (a transport error alone often says only
/// "error sending request"); a cause that the text already ends with (some errors
/// print their cause themselves) is not repeated.
pub fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

/// Verifies a receipt against the registry as the sender, and checks that it accepts
/// exactly the message sent (§9).
fn check_receipt(
    registry: &Registry,
    sent: &Verified,
    bytes: &[u8],
    clock: &Clock,
) -> Result<Verified, ClientError> {
    let verifier = Verifier::new(registry).for_receiver(sent.envelope().from.clone());
    let receipt = Unverified::parse(bytes)
        .and_then(|unverified| verifier.verify(unverified, &clock.now()))
        .map_err(ClientError::Receipt)?;
    receipt
        .check_receipt_for(sent)
        .map_err(ClientError::Receipt)?;
    match &receipt.envelope().body {
        Body::Receipt(r) if matches!(r.outcome, ReceiptOutcome::Accepted { .. }) => Ok(receipt),
        _ => Err(ClientError::BadResponse {
            reason: "HTTP 200 with a receipt that does not accept the message".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_jitter_range_and_is_capped() {
        let policy = RetryPolicy {
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.backoff_at(1, 0.0), Duration::from_millis(50));
        assert_eq!(policy.backoff_at(1, 1.0), Duration::from_millis(100));
        assert_eq!(policy.backoff_at(2, 1.0), Duration::from_millis(200));
        assert_eq!(policy.backoff_at(3, 1.0), Duration::from_millis(300));
        assert_eq!(policy.backoff_at(u32::MAX, 7.0), Duration::from_millis(300));
        let drawn = policy.backoff(2);
        assert!(drawn >= Duration::from_millis(100) && drawn <= Duration::from_millis(200));
    }

    #[test]
    fn the_seeded_sequence_is_splitmix64() {
        // The published first outputs of SplitMix64 for seed 0.
        let mut random = SeededRandom::new(0);
        assert_eq!(random.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(random.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        let mut random = SeededRandom::new(42);
        assert!((0..1000).all(|_| (5..9).contains(&random.in_range(5..9))));
        assert_eq!(random.in_range(3..3), 3);
    }

    #[test]
    fn seeded_jitter_repeats_and_spreads() {
        let draw = |seed| {
            let jitter = Jitter::Seeded(Arc::new(Mutex::new(SeededRandom::new(seed))));
            (0..1000).map(|_| jitter.fraction()).collect::<Vec<_>>()
        };
        let first = draw(7);
        assert_eq!(first, draw(7));
        assert_ne!(first, draw(8));
        assert!(first.iter().all(|f| (0.0..=1.0).contains(f)));
        let mean = first.iter().sum::<f64>() / 1000.0;
        assert!((0.45..0.55).contains(&mean), "mean {mean}");
    }
}
