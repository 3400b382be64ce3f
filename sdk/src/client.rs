//! The HTTP client (feature `client`): delivers a signed message to the receiver's
//! endpoint from the trust registry and returns its verified receipt.
//!
//! Transient failures (connection errors, timeouts, 5xx, 429) are retried with
//! exponential backoff and jitter, honouring `Retry-After`, always with the same bytes
//! and so the same message id; the receiver's duplicate elimination makes the retries
//! safe. A refusal (any other 4xx) is final and never retried. Success means a signed
//! receipt that verifies against the registry and answers exactly the message sent.
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

use crate::error::Error;
use crate::http::{is_transient, ErrorBody, MEDIA_TYPE, MESSAGES_PATH, REPLAYED_HEADER};
use crate::json::Limits;
use crate::message::{Body, ReceiptOutcome};
use crate::registry::Registry;
use crate::time::Timestamp;
use crate::verify::{Unverified, Verified, Verifier};
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
        let exponent = attempt.saturating_sub(1).min(30);
        let full = self
            .first_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let mut random = [0u8; 4];
        let fraction = match getrandom::getrandom(&mut random) {
            Ok(()) => f64::from(u32::from_le_bytes(random)) / f64::from(u32::MAX),
            Err(_) => 1.0,
        };
        Duration::try_from_secs_f64(full.as_secs_f64() * (0.5 + 0.5 * fraction)).unwrap_or(full)
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
}

impl ClientError {
    /// The stable code: the receiver's code for a refusal, the SDK's code for an
    /// invalid message or receipt, `transport.*` for the rest.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Message(e) | ClientError::Receipt(e) => e.code(),
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
            ClientError::Refused { .. } => false,
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
    http: reqwest::Client,
    policy: RetryPolicy,
}

impl Client {
    /// A client with its own connection pool.
    pub fn new(policy: RetryPolicy) -> Result<Client, ClientError> {
        // Never follow a redirect: it would send the signed message to a host the
        // registry does not name.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.request_timeout)
            .build()
            .map_err(|e| ClientError::Unreachable {
                attempts: 0,
                last: format!("cannot build the HTTP client: {e}"),
                retry_after: None,
            })?;
        Ok(Client { http, policy })
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
        let sent =
            Verifier::new(registry).verify(Unverified::parse(message)?, &Timestamp::now())?;
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
                    let receipt = check_receipt(registry, &sent, &bytes)?;
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
                        let backoff = self.policy.backoff(attempt);
                        let wait =
                            after.map_or(backoff, |a| a.min(self.policy.max_backoff).max(backoff));
                        tokio::time::sleep(wait).await;
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

    async fn attempt(&self, url: &str, message: &[u8]) -> Attempt {
        let response = match self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, MEDIA_TYPE)
            .body(message.to_vec())
            .send()
            .await
        {
            Ok(response) => response,
            Err(e) => {
                return Attempt::Retry {
                    reason: describe(&e),
                    after: None,
                }
            }
        };
        let status = response.status().as_u16();
        let replayed = response
            .headers()
            .get(REPLAYED_HEADER)
            .is_some_and(|v| v.as_bytes() == b"true");
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = match read_limited(response).await {
            Ok(bytes) => bytes,
            Err(reason) => {
                return Attempt::Retry {
                    reason,
                    after: None,
                }
            }
        };
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

/// Reads a response body up to the protocol's size limit.
async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let limit = Limits::PROTOCOL.max_bytes;
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        if bytes.len() + chunk.len() > limit {
            return Err(format!("response larger than {limit} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn error_suffix(bytes: &[u8]) -> String {
    match ErrorBody::parse(bytes) {
        Some(body) => format!(" [{}] {}", body.code, body.message),
        None => String::new(),
    }
}

fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
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
) -> Result<Verified, ClientError> {
    let verifier = Verifier::new(registry).for_receiver(sent.envelope().from.clone());
    let receipt = Unverified::parse(bytes)
        .and_then(|unverified| verifier.verify(unverified, &Timestamp::now()))
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
