#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! # tongban — signed, versioned case-transfer messages
//!
//! A citizen hands in a case at the window nearest them; the case is signed, transferred
//! to the competent authority in another city or province, handled there, and the result
//! comes back. Every step is a signed, versioned [`Envelope`] that both sides verify.
//!
//! Data flows one way: bytes → [`Unverified::parse`] (strict JSON, limits, structure) →
//! [`Verifier::verify`] (signatures, sender, validity window, replay) → [`Verified`].
//! Only canonical bytes (RFC 8785, [`canonical`]) are signed. Every error has a stable
//! code ([`Error::code`], listed in [`ERROR_CODES`]).
//!
//! The default build has no network dependency and compiles for
//! `wasm32-unknown-unknown`. [`http`] describes the HTTP binding (paths, error body,
//! status per code) without one; the feature `client` adds `client`, which delivers
//! messages over it with retries and checks the receipt.
//!
//! ```
//! use tongban::*;
//!
//! let huangshi = NodeId::parse("huangshi.420200")?;
//! let jiujiang = NodeId::parse("jiujiang.360400")?;
//! let key = KeyPair::generate(huangshi.clone(), None)?;
//!
//! let body = Body::StatusUpdate(StatusUpdate { status: ReportedStatus::InReview, note: None });
//! let route = Route {
//!     from: huangshi,
//!     to: jiujiang,
//!     agreement: AgreementId::parse("hs-jj.cross-river")?,
//!     case: CaseId::parse("HS-2026-000123")?,
//! };
//! let now = Timestamp::parse("2026-11-28T09:30:00+08:00")?;
//! let mut message = Envelope::new(route, body, now.clone(), 3600)?;
//! message.sign(&key)?;
//! let bytes = message.to_canonical_bytes()?;
//!
//! let mut keys = KeySet::new();
//! keys.insert(key.trusted_key());
//! let verifier = Verifier::new(keys).for_receiver(NodeId::parse("jiujiang.360400")?);
//! let verified = verifier.verify(Unverified::parse(&bytes)?, &now)?;
//! assert_eq!(verified.envelope(), &message);
//!
//! // The same bytes again are a replay.
//! let replay = verifier.verify(Unverified::parse(&bytes)?, &now).unwrap_err();
//! assert_eq!(replay.code(), "replay.duplicate");
//! # Ok::<(), tongban::Error>(())
//! ```

/// The README's Rust examples, compiled and run as doctests (with the `client` feature,
/// which one of them uses; `cargo test --workspace` enables it).
#[cfg(all(doctest, feature = "client"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub mod calendar;
pub mod canonical;
#[cfg(feature = "client")]
pub mod client;
pub mod crypto;
pub mod digest;
pub mod error;
pub mod file;
pub mod http;
pub mod id;
pub mod json;
pub mod lifecycle;
pub mod mask;
pub mod message;
mod message_type;
mod random;
pub mod registry;
pub mod sample;
pub mod schema;
pub mod seal;
pub mod shape;
pub mod signing;
pub mod time;
pub mod verify;
pub mod version;

pub use crypto::{Algorithm, DocumentSigner, KeyPair, KeyResolver, KeySet, PublicKey, TrustedKey};
pub use digest::{DigestAlgorithm, Sha256Digest, Sm3Digest};
pub use error::{Error, ERROR_CODES};
pub use id::{
    AgreementId, CaseId, CitizenId, CreditCode, CreditCodePolicy, ItemCode, KeyId, MessageId,
    NodeId, RegionCode,
};
pub use message::*;
pub use time::{Clock, Timestamp};
pub use verify::{
    MemoryReplayGuard, ParseOptions, ReplayGuard, Unverified, Verified, VerifiedSummary, Verifier,
    VerifierBuilder, Warning,
};
pub use version::{MajorVersion, ProtocolVersion};
