//! Parsing and verification: bytes → [`Unverified`] → [`Verified`].
//!
//! [`Unverified::parse`] applies the strict JSON parser, the version check and the
//! message structure. Only [`Verifier::verify`] turns an [`Unverified`] into a
//! [`Verified`]: it checks every signature, that one is by a key of the sender, the
//! validity window against the verifier's clock with a clock-skew allowance, and that
//! the message id was not accepted before.

use crate::canonical::to_canonical_bytes_locating;
use crate::crypto::{Algorithm, KeyPair, KeyResolver, PublicKey};
use crate::digest::{Sha256Digest, Sm3Digest};
use crate::error::{Error, MessageError, ReplayError, SignatureError, TimeError};
use crate::id::{CreditCode, CreditCodePolicy, KeyId, MessageId, NodeId};
use crate::json::{self, MemberSpan};
use crate::message::decode_error::{from_serde_error, invalid};
use crate::message::{
    Applicant, Body, Envelope, Licence, MessageType, Rectification, Shipment, WireEnvelope,
};
use crate::shape::Strict;
use crate::signing::{check_numbers, signing_input_from_parts, SignatureEntry};
use crate::time::Timestamp;
use crate::version::{ProtocolVersion, VersionRules};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, OnceLock};

const NANOS: i128 = 1_000_000_000;

/// Options for [`Unverified::parse_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Whether credit codes with a wrong check character are refused (the default) or
    /// accepted with a warning.
    pub credit_codes: CreditCodePolicy,
}

/// Something acceptable but noteworthy, reported with the same code an error would have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The code, e.g. `id.credit_checksum`.
    pub code: &'static str,
    /// What was tolerated.
    pub message: String,
}

/// A parsed message whose signatures have not been checked. Read it with
/// [`Unverified::envelope`] only to route or display it, never to act on it.
#[derive(Debug, Clone)]
pub struct Unverified {
    canonical: Canonical,
    /// The parsed document, built when first asked for (verifying does not need it).
    document: OnceLock<Value>,
    envelope: Envelope,
    rules: &'static VersionRules,
    warnings: Vec<Warning>,
    /// How it was parsed: also how the body inside a sealed one is read (§24.5).
    options: ParseOptions,
}

/// A message whose signatures, sender, validity window and freshness were verified.
#[derive(Debug, Clone)]
pub struct Verified {
    canonical: Canonical,
    document: OnceLock<Value>,
    envelope: Envelope,
    signers: Vec<KeyId>,
    warnings: Vec<Warning>,
    /// (1.1) The receiver's sealing key its body was opened with; `None` for a body in
    /// clear or not opened.
    opened_with: Option<KeyId>,
}

impl Unverified {
    /// Parses message bytes with the default [`ParseOptions`].
    pub fn parse(bytes: &[u8]) -> Result<Unverified, Error> {
        Unverified::parse_with(bytes, ParseOptions::default())
    }

    /// Parses message bytes: strict JSON, a supported major version, a known message
    /// type, safe integers only, and the structure of that type.
    pub fn parse_with(bytes: &[u8], options: ParseOptions) -> Result<Unverified, Error> {
        // Fast path: bytes already canonical (as tongban and every careful sender writes
        // them) are checked in one pass and decoded straight from the bytes. Anything
        // else, and every error, goes through the strict parser.
        let text = std::str::from_utf8(bytes).ok();
        let spans = text
            .and_then(|text| Some((text, json::canonical_spans(text, ["body", "signatures"])?)));
        let decoded = spans.and_then(|(text, [body, signatures])| {
            let canonical = Canonical {
                text: text.to_owned(),
                body,
                signatures,
                digest: OnceLock::new(),
            };
            let (envelope, rules) = decode_canonical(&canonical)?;
            Some((canonical, OnceLock::new(), envelope, rules))
        });
        let (canonical, document, envelope, rules) = match decoded {
            Some(decoded) => decoded,
            None => parse_any(bytes)?,
        };
        let message_type = envelope.message_type();
        if envelope.protocol < message_type.since() {
            return Err(MessageError::TypeNotInVersion {
                message_type: message_type.to_string(),
                since: message_type.since().to_string(),
                protocol: envelope.protocol.to_string(),
            }
            .into());
        }
        check_body(&envelope, false)?;
        if envelope.from == envelope.to {
            return Err(invalid("to: a node does not send messages to itself"));
        }
        if envelope.message_type().requires_in_reply_to() && envelope.in_reply_to.is_none() {
            return Err(invalid("in_reply_to: required for this message type"));
        }
        let window = envelope.expires.unix_nanos() - envelope.created.unix_nanos();
        if window <= 0 || window > i128::from(rules.max_validity_seconds) * NANOS {
            return Err(TimeError::BadWindow {
                created: envelope.created.to_string(),
                expires: envelope.expires.to_string(),
                max_seconds: rules.max_validity_seconds,
            }
            .into());
        }
        let warnings = check_credit_codes(&envelope, options.credit_codes)?;
        Ok(Unverified {
            canonical,
            document,
            envelope,
            rules,
            warnings,
            options,
        })
    }

    /// The parsed, **unverified** message.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The parsed document, unknown members included.
    pub fn document(&self) -> &Value {
        self.canonical.document(&self.document)
    }

    /// The canonical bytes of the whole message, signatures included.
    pub fn canonical_bytes(&self) -> &[u8] {
        self.canonical.text.as_bytes()
    }

    /// SHA-256 of the canonical bytes, the digest a receipt binds to; computed once and
    /// kept by the [`Verified`] message.
    pub fn digest(&self) -> &Sha256Digest {
        self.canonical.digest()
    }

    /// Warnings from parsing (e.g. a tolerated credit-code check character).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// A message's canonical bytes and where its body and signatures sit in them.
#[derive(Debug, Clone)]
struct Canonical {
    /// The canonical text (valid UTF-8, so decoding need not check it again).
    text: String,
    body: Option<MemberSpan>,
    signatures: Option<MemberSpan>,
    /// SHA-256 of `text`, computed when first asked for (verifying needs no digest) and
    /// kept from the unverified message to the verified one.
    digest: OnceLock<Sha256Digest>,
}

impl Canonical {
    /// The bytes without the `signatures` member, in two pieces.
    fn unsigned(&self) -> [&[u8]; 2] {
        match &self.signatures {
            Some(span) => [
                &self.text.as_bytes()[..span.member.start],
                &self.text.as_bytes()[span.member.end..],
            ],
            None => [self.text.as_bytes(), &[]],
        }
    }

    /// SHA-256 of the canonical text, computed once.
    fn digest(&self) -> &Sha256Digest {
        self.digest
            .get_or_init(|| Sha256Digest::of(self.text.as_bytes()))
    }

    /// The parsed document, from `cache` or parsed from the canonical bytes.
    fn document<'a>(&self, cache: &'a OnceLock<Value>) -> &'a Value {
        // The bytes are canonical JSON the strict parser accepted or wrote, so parsing
        // them again cannot fail.
        cache.get_or_init(|| crate::json::parse(self.text.as_bytes()).unwrap_or_default())
    }
}

/// The strict path, for bytes that are not known to be canonical: the full parser, the
/// version, the type, safe numbers, canonicalization, then the typed decode, with an
/// error that names the field at fault.
fn parse_any(
    bytes: &[u8],
) -> Result<(Canonical, OnceLock<Value>, Envelope, &'static VersionRules), Error> {
    let document = crate::json::parse(bytes)?;
    let Value::Object(members) = &document else {
        return Err(invalid("a message must be a JSON object"));
    };
    let Some(Value::String(version)) = members.get("protocol") else {
        return Err(invalid("protocol: a string MAJOR.MINOR is required"));
    };
    let rules = ProtocolVersion::parse(version)?.major_version()?.rules();
    let Some(Value::String(type_name)) = members.get("type") else {
        return Err(invalid("type: a string is required"));
    };
    let message_type = rules
        .message_type(type_name)
        .ok_or_else(|| MessageError::UnknownType {
            message_type: type_name.clone(),
        })?;
    check_numbers(&document)?;
    let (text, [body, signatures]) =
        to_canonical_bytes_locating(&document, ["body", "signatures"], bytes.len());
    let canonical = Canonical {
        text,
        body,
        signatures,
        digest: OnceLock::new(),
    };
    let envelope = match decode_canonical(&canonical) {
        Some((envelope, _)) => envelope,
        None => return Err(envelope_error(&document, message_type)),
    };
    Ok((canonical, OnceLock::from(document), envelope, rules))
}

/// Decodes the typed envelope straight from canonical bytes: the members, then the
/// body by its type from its own span. `None` when anything is amiss;
/// [`envelope_error`] then finds and explains the fault.
fn decode_canonical(canonical: &Canonical) -> Option<(Envelope, &'static VersionRules)> {
    // The body is read by its type from its own span, so the envelope is read with
    // `null` in its place rather than parsed twice.
    let body_span = canonical.body.as_ref()?.value.clone();
    let text = &canonical.text;
    let envelope = [
        text.get(..body_span.start)?,
        "null",
        text.get(body_span.end..)?,
    ]
    .concat();
    let mut deserializer = serde_json::Deserializer::from_str(&envelope);
    let wire = WireEnvelope::<IgnoredAny>::deserialize(Strict(&mut deserializer)).ok()?;
    deserializer.end().ok()?;
    let rules = wire.protocol.major_version().ok()?.rules();
    let message_type = rules.message_type(&wire.message_type)?;
    let body = text.get(body_span)?;
    let body = Body::from_canonical_text(message_type, body)?;
    Some((wire.with_body(body), rules))
}

/// Why a document is not an envelope of `message_type`, naming the field at fault: the
/// body first, then the other members in document order (as a derived deserializer
/// meets them), then the first missing member.
fn envelope_error(document: &Value, message_type: MessageType) -> Error {
    if let Some(Some(Err(err))) = document
        .get("body")
        .map(|body| Body::read_sealed(message_type, body))
    {
        return err;
    }
    if let Some(Err(err)) = document
        .get("body")
        .filter(|body| body.get("sealed").is_none())
        .map(|body| Body::from_value(message_type, body))
    {
        return from_serde_error(err, document, "body");
    }
    fn check<T: serde::de::DeserializeOwned>(document: &Value, name: &str) -> Option<Error> {
        let value = document.get(name)?;
        let err = crate::shape::from_value_tracked::<T>(value).err()?;
        Some(from_serde_error(err, document, name))
    }
    type Check = fn(&Value, &str) -> Option<Error>;
    let members: [(&str, Check); 10] = [
        ("agreement", check::<crate::id::AgreementId>),
        ("case", check::<crate::id::CaseId>),
        ("created", check::<Timestamp>),
        ("expires", check::<Timestamp>),
        ("from", check::<NodeId>),
        ("id", check::<MessageId>),
        ("in_reply_to", check::<Option<MessageId>>),
        ("protocol", check::<ProtocolVersion>),
        ("signatures", check::<Vec<crate::signing::SignatureEntry>>),
        ("to", check::<NodeId>),
    ];
    if let Some(err) = members
        .iter()
        .find_map(|(name, check)| check(document, name))
    {
        return err;
    }
    let required = [
        "protocol",
        "id",
        "case",
        "from",
        "to",
        "agreement",
        "created",
        "expires",
        "body",
    ];
    match required.iter().find(|name| document.get(**name).is_none()) {
        Some(name) => invalid(&format!("envelope: missing field `{name}`")),
        None => invalid("envelope: not a message of this type"),
    }
}

/// The rules of §2 step 8 within a body that its structure alone does not express
/// (`message.invalid`, naming the member under `/body`): no member of a later version
/// than the message's, a transfer's members agree, lists that hold at least one entry,
/// a waybill number's form, a delivery, evaluation or call back not after its message, a
/// deferred material not promised before the transfer's day (China time); (1.1) no file
/// reference of a body that arrived in clear carries `sealed` (§24.6).
fn check_body(envelope: &Envelope, arrived_sealed: bool) -> Result<(), Error> {
    if let Body::Sealed(sealed) = &envelope.body {
        return sealed.check(envelope.protocol);
    }
    let references = crate::file::references(&envelope.body);
    // (1.1) §24.6; a body opened has had its files checked by `check_opened_files`.
    if !arrived_sealed
        && references
            .iter()
            .any(|reference| reference.sealed.is_some())
    {
        return Err(invalid(
            "/body/…/sealed: a file is sealed only in a sealed body",
        ));
    }
    let mut later = match &envelope.body {
        Body::Transfer(transfer) => transfer.members_since(),
        Body::Decision(decision) => decision.members_since(),
        Body::Receipt(receipt) => receipt.members_since(),
        _ => Vec::new(),
    };
    // (1.1) A file reference's SM3 digest, wherever the reference is.
    if references.iter().any(|reference| reference.sm3.is_some()) {
        later.push(("…/sm3", ProtocolVersion::V1_1));
    }
    if let Some((member, since)) = later.into_iter().find(|(_, v)| envelope.protocol < *v) {
        return Err(invalid(&format!(
            "/body/{member}: a member of protocol {since}; this message says {}",
            envelope.protocol
        )));
    }
    let fault = match &envelope.body {
        Body::Transfer(transfer) => {
            let day = crate::calendar::CalendarDate::in_china(&envelope.created);
            let mut deferred = transfer.deferred_materials.iter().flatten();
            match transfer.check_consistency() {
                Err(fault) => Some(fault),
                Ok(()) if deferred.any(|d| d.promised_by < day) => {
                    Some(("deferred_materials", "promised before the transfer's day"))
                }
                Ok(()) => None,
            }
        }
        Body::Decision(decision) => decision.check_consistency().err(),
        Body::FilesReceived(received) if received.files.is_empty() => {
            Some(("files", "at least one file"))
        }
        Body::Shipment(shipment) if !Shipment::is_waybill(&shipment.waybill) => {
            Some(("waybill", "6 to 32 ASCII letters and digits"))
        }
        Body::Shipment(shipment) if shipment.items.is_empty() => {
            Some(("items", "at least one piece"))
        }
        Body::Delivery(delivery) if delivery.delivered_at > envelope.created => {
            Some(("delivered_at", "after the message's created"))
        }
        Body::Evaluation(evaluation) if evaluation.evaluated_at > envelope.created => {
            Some(("evaluated_at", "after the message's created"))
        }
        Body::Rectification(Rectification {
            called_back_at: Some(at),
            ..
        }) if at > &envelope.created => Some(("called_back_at", "after the message's created")),
        _ => None,
    };
    match fault {
        Some((member, why)) => Err(invalid(&format!("/body/{member}: {why}"))),
        None => Ok(()),
    }
}

fn check_credit_codes(
    envelope: &Envelope,
    policy: CreditCodePolicy,
) -> Result<Vec<Warning>, Error> {
    let mut warnings = Vec::new();
    let codes: Vec<&CreditCode> = match &envelope.body {
        Body::Transfer(transfer) => match &transfer.applicant {
            Applicant::LegalEntity { credit_code, .. } => vec![credit_code],
            Applicant::NaturalPerson { .. } => Vec::new(),
        },
        // (1.1) An electronic licence's issuer and holder.
        Body::Decision(decision) => (decision.documents.iter())
            .filter_map(|d| d.licence.as_deref())
            .flat_map(Licence::credit_codes)
            .collect(),
        _ => Vec::new(),
    };
    for credit_code in codes {
        if let Some(err) = credit_code.checksum_error() {
            match policy {
                CreditCodePolicy::Strict => return Err(err.into()),
                CreditCodePolicy::Lenient => warnings.push(Warning {
                    code: err.code(),
                    message: format!("tolerated: {err}"),
                }),
            }
        }
    }
    Ok(warnings)
}

/// Remembers accepted message ids so that a replay is refused.
///
/// An id enters the record only when the receiver accepts the message, that is, applies
/// it to its case (§8 step 5): a durable guard checks and records the id in the
/// transaction that stores the message, and a message refused after verification is
/// not recorded ([`Verifier::verify_and_apply`] does this for [`MemoryReplayGuard`]).
///
/// An id must be kept at least until the message's expiry plus the clock-skew
/// allowance; after that the time check refuses the message anyway. A guard that
/// forgets ids must refuse, as expired, a message whose id it may have forgotten at a
/// later `now` than the one given (the clock went back; [`ReplayError::Forgotten`]).
pub trait ReplayGuard {
    /// Records message `id` of `sender` as accepted, keeping it until `keep_until`;
    /// refuses with `replay.duplicate` if it is already recorded. `now` lets the guard
    /// forget ids whose `keep_until` has passed; a guard that forgets refuses with
    /// [`ReplayError::Forgotten`] (`time.expired`) an id it may have forgotten by a
    /// later `now`.
    fn check_and_record(
        &self,
        sender: &NodeId,
        id: &MessageId,
        keep_until: &Timestamp,
        now: &Timestamp,
    ) -> Result<(), ReplayError>;
}

/// An in-memory [`ReplayGuard`]; forgets expired ids as it goes, in O(log n) per
/// message, by the latest `now` it was given, so a clock that goes back does not bring
/// a forgotten id back. Its time only moves forward: after a `now` in the future, it
/// refuses messages that expire before that `now` until the clock catches up, and
/// checking old messages at their own past times needs a new guard. Durable nodes use
/// a database-backed guard instead.
#[derive(Debug, Default)]
pub struct MemoryReplayGuard {
    seen: Mutex<SeenIds>,
}

#[derive(Debug, Default)]
struct SeenIds {
    until: BTreeMap<(NodeId, MessageId), i64>,
    by_expiry: BTreeSet<(i64, NodeId, MessageId)>,
    /// The latest `now` given: ids kept until before it (in seconds) are forgotten.
    latest: Option<Timestamp>,
}

impl MemoryReplayGuard {
    /// An empty guard.
    pub fn new() -> MemoryReplayGuard {
        MemoryReplayGuard::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SeenIds> {
        // A poisoned lock only means another thread panicked; both maps are updated
        // together after every check, so the data is consistent.
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.lock().until.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets message `id` of `sender`, recorded when it verified, because the receiver
    /// then refused it (its case did not take it): a refused message enters no replay
    /// record (§8 step 5), so the same bytes may be sent again.
    pub fn forget(&self, sender: &NodeId, id: &MessageId) {
        let mut seen = self.lock();
        let key = (sender.clone(), id.clone());
        if let Some(until) = seen.until.remove(&key) {
            seen.by_expiry.remove(&(until, key.0, key.1));
        }
    }
}

impl ReplayGuard for MemoryReplayGuard {
    fn check_and_record(
        &self,
        sender: &NodeId,
        id: &MessageId,
        keep_until: &Timestamp,
        now: &Timestamp,
    ) -> Result<(), ReplayError> {
        let mut seen = self.lock();
        let latest = match &seen.latest {
            Some(latest) if latest > now => latest.clone(),
            _ => now.clone(),
        };
        seen.latest = Some(latest.clone());
        let horizon = latest.unix_seconds();
        let until = keep_until.unix_seconds();
        if until < horizon {
            return Err(ReplayError::Forgotten {
                sender: sender.to_string(),
                message_id: id.to_string(),
                keep_until: keep_until.to_string(),
                forgotten_at: latest.to_string(),
            });
        }
        while let Some((until, _, _)) = seen.by_expiry.first() {
            if *until >= horizon {
                break;
            }
            if let Some((_, node, message)) = seen.by_expiry.pop_first() {
                seen.until.remove(&(node, message));
            }
        }
        let key = (sender.clone(), id.clone());
        if seen.until.contains_key(&key) {
            return Err(ReplayError::Duplicate {
                sender: sender.to_string(),
                message_id: id.to_string(),
            });
        }
        seen.by_expiry.insert((until, key.0.clone(), key.1.clone()));
        seen.until.insert(key, until);
        Ok(())
    }
}

/// Verifies messages against trusted keys and a replay guard, for one receiver or,
/// when chosen explicitly, for any.
///
/// [`Verifier::new`] and [`Verifier::with_replay_guard`] give a [`VerifierBuilder`],
/// which cannot verify: say whose mail the verifier accepts first, with
/// [`VerifierBuilder::for_receiver`] (a node verifying its inbox) or
/// [`VerifierBuilder::any_receiver`] (a tool that inspects messages for anyone).
#[derive(Debug)]
pub struct Verifier<R, G = MemoryReplayGuard> {
    keys: R,
    replay: G,
    receiver: Option<NodeId>,
}

/// A [`Verifier`] that does not know yet whose mail it accepts; the choice is
/// required, so that a receiver cannot forget it and accept a message replayed to it
/// from another member's inbox. A builder cannot verify:
///
/// ```compile_fail
/// fn inbox(keys: tongban::KeySet, message: tongban::Unverified, now: &tongban::Timestamp) {
///     let _ = tongban::Verifier::new(keys).verify(message, now); // whose inbox?
/// }
/// ```
///
/// ```
/// fn inbox(keys: tongban::KeySet, message: tongban::Unverified, now: &tongban::Timestamp) {
///     let jiujiang = tongban::NodeId::parse("jiujiang.360400").expect("node id");
///     let _ = tongban::Verifier::new(keys).for_receiver(jiujiang).verify(message, now);
/// }
/// ```
#[derive(Debug)]
#[must_use = "choose the receiver with for_receiver(node) or any_receiver() to get a Verifier"]
pub struct VerifierBuilder<R, G = MemoryReplayGuard> {
    keys: R,
    replay: G,
}

/// (1.1) Every file of a body opened is sealed, under a key of 16 bytes (§24.6,
/// `message.invalid`).
fn check_opened_files(envelope: &Envelope) -> Result<(), Error> {
    for reference in crate::file::references(&envelope.body) {
        let Some(file) = &reference.sealed else {
            return Err(invalid("/body/…/sealed: required in a sealed body"));
        };
        crate::seal::FileKey::from_base64url(&file.key)
            .map_err(|_| invalid("/body/…/sealed/key: 16 bytes in unpadded base64url"))?;
    }
    Ok(())
}

impl<R: KeyResolver> Verifier<R, MemoryReplayGuard> {
    /// A verifier with an in-memory replay guard, once its receiver is chosen.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(keys: R) -> VerifierBuilder<R, MemoryReplayGuard> {
        VerifierBuilder {
            keys,
            replay: MemoryReplayGuard::new(),
        }
    }
}

impl<R: KeyResolver, G: ReplayGuard> Verifier<R, G> {
    /// A verifier with the given replay guard, once its receiver is chosen.
    pub fn with_replay_guard(keys: R, replay: G) -> VerifierBuilder<R, G> {
        VerifierBuilder { keys, replay }
    }
}

impl<R: KeyResolver, G: ReplayGuard> VerifierBuilder<R, G> {
    /// Accept only messages addressed to `node` (`message.wrong_receiver` otherwise):
    /// what a node verifying its own inbox wants, so that a message meant for another
    /// member cannot be replayed to it.
    pub fn for_receiver(self, node: NodeId) -> Verifier<R, G> {
        Verifier {
            keys: self.keys,
            replay: self.replay,
            receiver: Some(node),
        }
    }

    /// Accept messages addressed to any node. Only for tools that verify messages on
    /// behalf of others (an auditor, a gateway, a test); **never for a node's inbox**,
    /// which must use [`VerifierBuilder::for_receiver`].
    pub fn any_receiver(self) -> Verifier<R, G> {
        Verifier {
            keys: self.keys,
            replay: self.replay,
            receiver: None,
        }
    }

    /// [`for_receiver`](Self::for_receiver) with `Some(node)`,
    /// [`any_receiver`](Self::any_receiver) with `None`: for a binding or tool whose
    /// own caller made the choice explicitly (a `--receiver` or `--any-receiver` flag).
    pub fn for_receiver_or_any(self, receiver: Option<NodeId>) -> Verifier<R, G> {
        match receiver {
            Some(node) => self.for_receiver(node),
            None => self.any_receiver(),
        }
    }
}

impl<R: KeyResolver, G: ReplayGuard> Verifier<R, G> {
    /// The node whose mail this verifier accepts; `None` when it accepts any.
    pub fn receiver(&self) -> Option<&NodeId> {
        self.receiver.as_ref()
    }

    /// The key resolver.
    pub fn keys(&self) -> &R {
        &self.keys
    }

    /// Verifies `message` at time `now`: signatures first, then the validity window,
    /// then freshness, so that only authentic, current messages are recorded.
    pub fn verify(&self, message: Unverified, now: &Timestamp) -> Result<Verified, Error> {
        self.check(message, now, None, |_, _| Ok(None))
    }

    /// (1.1) Verifies `message` as [`Verifier::verify`] does and, when its body is
    /// sealed (§24.5), opens it with the one of the receiver's sealing keys `keys` that
    /// its box names, before the message id enters the replay record: a message whose
    /// box does not open, or whose body inside is refused, is not recorded, so that it
    /// may be sent again (§8 step 5). The box's key is checked against the source of
    /// trust first (§24.2, [`KeyResolver::check_sealed`]); the body inside is checked as
    /// a body received in clear is (§2 step 7 on; §17, the form included), with the
    /// same codes. The message's canonical bytes, digest and document stay those it
    /// arrived with, sealed: a receipt binds them (§9). A message in clear is verified
    /// as [`Verifier::verify`] verifies it.
    pub fn verify_and_open(
        &self,
        message: Unverified,
        keys: &[crate::seal::SealingKeyPair],
        now: &Timestamp,
    ) -> Result<Verified, Error> {
        self.check(message, now, None, |envelope, warnings| {
            open_body(&self.keys, envelope, keys, warnings, now)
        })
    }

    /// Signs `message` (which must carry no signature yet) with `key` and checks the
    /// result as [`Verifier::verify`] checks a message received, but for the signature
    /// just made: instead of verifying it, the key the registry lists under its id must
    /// be `key`'s public key (of the sender, valid now), which is all that verifying a
    /// signature made here with that key would add. One signature verification less for
    /// a party's own messages (a node's receipts, checked as their receiver will check
    /// them). A [`KeyPair`] only: its signature is made in this process; a
    /// [`crate::DocumentSigner`] outside it (a security module) is checked by signing
    /// and then [`Verifier::verify`]. Gives the canonical bytes to send and the checked
    /// message.
    pub fn sign_and_check(
        &self,
        message: &mut Envelope,
        key: &KeyPair,
        now: &Timestamp,
    ) -> Result<(Vec<u8>, Verified), Error> {
        self.sign_then_check(message, key, now, |_, _| Ok(None))
    }

    /// (1.1) [`Verifier::sign_and_check`] for a message whose body `seal` may seal
    /// (§24.5), such as `|m| registry.seal_body(m)`, its files sealed before
    /// ([`Envelope::file_sealer`], §24.6). The bytes to send are the sealed message's,
    /// and so are the checked message's digest and canonical bytes (its receipts bind
    /// them, §9); its body is the one just before sealing, as the sender wrote it, which
    /// it checks as its receiver will once opened (its box against the source of trust,
    /// its files, §2 steps 6 to 10 and §17), so that the sender's own case records what
    /// the receiver's does (the addresses of its sealed files, §23.5).
    /// [`Verified::opened_with`] names the receiver's key it was sealed to. A body that
    /// `seal` leaves in clear is checked as [`Verifier::sign_and_check`] checks it.
    pub fn sign_seal_and_check(
        &self,
        message: &mut Envelope,
        key: &KeyPair,
        now: &Timestamp,
        seal: impl FnOnce(&mut Envelope) -> Result<bool, Error>,
    ) -> Result<(Vec<u8>, Verified), Error> {
        let clear = message.body.clone();
        seal(message)?;
        self.sign_then_check(message, key, now, |envelope, parsed| {
            let Body::Sealed(sealed) = &envelope.body else {
                return Ok(None); // left in clear: checked as such already
            };
            self.keys.check_sealed(envelope, &sealed.sealed, now)?;
            let kid = sealed.sealed.kid.clone();
            envelope.body = clear;
            check_opened(&self.keys, envelope, parsed)?;
            Ok(Some(kid))
        })
    }

    /// Signs `message`, not signed yet, with `key`, and checks it as [`Verifier::check`]
    /// does with `made_with` that key, `adopt` giving the body the sender keeps.
    fn sign_then_check(
        &self,
        message: &mut Envelope,
        key: &KeyPair,
        now: &Timestamp,
        adopt: impl FnOnce(
            &mut Envelope,
            &mut (Vec<Warning>, ParseOptions),
        ) -> Result<Option<KeyId>, Error>,
    ) -> Result<(Vec<u8>, Verified), Error> {
        if !message.signatures.is_empty() {
            return Err(SignatureError::Malformed {
                key_id: key.key_id().to_string(),
                reason: "a message checked as it is signed must not be signed yet".into(),
            }
            .into());
        }
        let bytes = message.sign_to_bytes(key)?;
        let checked = self.check(
            Unverified::parse(&bytes)?,
            now,
            Some(key.public_key()),
            adopt,
        )?;
        Ok((bytes, checked))
    }

    /// [`Verifier::verify`], or [`Verifier::sign_and_check`] when `made_with` is the
    /// public key of the one signature, made here.
    /// `open` opens a sealed body (it is generic, so that a build that never opens one,
    /// the WASM package, links no decryption).
    fn check(
        &self,
        message: Unverified,
        now: &Timestamp,
        made_with: Option<&PublicKey>,
        open: impl FnOnce(
            &mut Envelope,
            &mut (Vec<Warning>, ParseOptions),
        ) -> Result<Option<KeyId>, Error>,
    ) -> Result<Verified, Error> {
        let Unverified {
            canonical,
            document,
            mut envelope,
            rules,
            warnings,
            options,
        } = message;
        if let Some(receiver) = &self.receiver {
            if &envelope.to != receiver {
                return Err(MessageError::WrongReceiver {
                    to: envelope.to.to_string(),
                    receiver: receiver.to_string(),
                }
                .into());
            }
        }
        self.keys.check_parties(&envelope, now)?;
        let signers = match made_with {
            None => check_signatures(
                &self.keys,
                &canonical.unsigned(),
                &envelope.signatures,
                &envelope.from,
                &envelope.created,
                now,
            )?,
            Some(made_with) => check_signers(
                &self.keys,
                &envelope.signatures,
                &envelope.from,
                &envelope.created,
                now,
                |listed, entry| {
                    if listed == made_with {
                        Ok(())
                    } else {
                        Err(SignatureError::UnknownKey {
                            key_id: format!(
                                "{} (the registry lists another key under this id)",
                                entry.key_id
                            ),
                        }
                        .into())
                    }
                },
            )?,
        };
        self.keys.check_owned_message(&mut envelope)?;
        self.keys.check_in_clear(&envelope)?;
        let skew = i128::from(rules.clock_skew_seconds) * NANOS;
        if envelope.created.unix_nanos() > now.unix_nanos() + skew {
            return Err(TimeError::NotYetValid {
                created: envelope.created.to_string(),
                now: now.to_string(),
            }
            .into());
        }
        if envelope.expires.unix_nanos() + skew < now.unix_nanos() {
            return Err(TimeError::Expired {
                expires: envelope.expires.to_string(),
                now: now.to_string(),
            }
            .into());
        }
        let mut parsed = (warnings, options);
        let opened_with = open(&mut envelope, &mut parsed)?;
        let (warnings, _) = parsed;
        let keep_until = envelope
            .expires
            .plus_seconds(rules.clock_skew_seconds + 1)?;
        self.replay
            .check_and_record(&envelope.from, &envelope.id, &keep_until, now)
            .map_err(|err| match err {
                ReplayError::Forgotten { forgotten_at, .. } => TimeError::Expired {
                    expires: envelope.expires.to_string(),
                    now: forgotten_at,
                }
                .into(),
                other => Error::from(other),
            })?;
        Ok(Verified {
            canonical,
            document,
            envelope,
            signers,
            warnings,
            opened_with,
        })
    }
}

/// (1.1) Opens the sealed body of `envelope`, a message verified up to its replay
/// check, with the one of the receiver's sealing keys `keys` that its box names (§24.5):
/// the box's key against the source of trust first (§24.2,
/// [`KeyResolver::check_sealed`]), then the body inside, checked as a body received in
/// clear is (§2 step 7 on, `message.*`; §17, the form included).
fn open_body<R: KeyResolver>(
    resolver: &R,
    envelope: &mut Envelope,
    keys: &[crate::seal::SealingKeyPair],
    parsed: &mut (Vec<Warning>, ParseOptions),
    now: &Timestamp,
) -> Result<Option<KeyId>, Error> {
    let Body::Sealed(sealed) = &envelope.body else {
        return Ok(None);
    };
    resolver.check_sealed(envelope, &sealed.sealed, now)?;
    let opened_with = envelope.reopen_body(keys)?;
    check_opened(resolver, envelope, parsed)?;
    Ok(opened_with)
}

/// (1.1) Checks a body opened (or, on the sender's side, the body just before it was
/// sealed) as a body received in clear is checked, its files sealed (§24.5 step 3,
/// §24.6).
fn check_opened<R: KeyResolver>(
    resolver: &R,
    envelope: &mut Envelope,
    (warnings, options): &mut (Vec<Warning>, ParseOptions),
) -> Result<(), Error> {
    check_opened_files(envelope)?;
    check_body(envelope, true)?;
    warnings.extend(check_credit_codes(envelope, options.credit_codes)?);
    resolver.check_owned_message(envelope)
}

impl<R: KeyResolver> Verifier<R, MemoryReplayGuard> {
    /// Verifies `message` at `now`, then applies it with `apply` (to its case, say); the
    /// message enters the replay record only if `apply` takes it. A message refused at
    /// any step, the lifecycle's included, is not recorded (§8 step 5), so the same
    /// bytes sent again later (after `lifecycle.receipt_pending`) are checked afresh.
    pub fn verify_and_apply<T>(
        &self,
        message: Unverified,
        now: &Timestamp,
        apply: impl FnOnce(&Verified) -> Result<T, Error>,
    ) -> Result<(Verified, T), Error> {
        self.apply_or_forget(self.verify(message, now)?, apply)
    }

    /// (1.1) [`Verifier::verify_and_apply`] for a receiver with sealing keys: verifies
    /// and opens `message` ([`Verifier::verify_and_open`]), then applies it with
    /// `apply`; a message refused at any step is not recorded.
    pub fn verify_open_and_apply<T>(
        &self,
        message: Unverified,
        keys: &[crate::seal::SealingKeyPair],
        now: &Timestamp,
        apply: impl FnOnce(&Verified) -> Result<T, Error>,
    ) -> Result<(Verified, T), Error> {
        self.apply_or_forget(self.verify_and_open(message, keys, now)?, apply)
    }

    /// Applies `verified` with `apply`, and forgets it if `apply` refuses it.
    fn apply_or_forget<T>(
        &self,
        verified: Verified,
        apply: impl FnOnce(&Verified) -> Result<T, Error>,
    ) -> Result<(Verified, T), Error> {
        match apply(&verified) {
            Ok(applied) => Ok((verified, applied)),
            Err(refusal) => {
                self.forget(&verified);
                Err(refusal)
            }
        }
    }

    /// Forgets a message this verifier accepted and the receiver then refused (§8 step
    /// 5), so that its bytes may be sent again; see [`Verifier::verify_and_apply`].
    pub fn forget(&self, verified: &Verified) {
        let envelope = verified.envelope();
        self.replay.forget(&envelope.from, &envelope.id);
    }
}

/// Every signature over `unsigned` (a document's canonical bytes without its
/// `signatures`, in pieces) whose algorithm this build implements must verify with a
/// key `keys` trusts for a document created at `created`; at least one must be by a key
/// of `from`. A signature of another algorithm (a suite added later) is skipped, never
/// counted, so that a member may sign with two suites while readers upgrade; a document
/// with no signature of a known algorithm is `signature.unsupported_algorithm`. Key ids
/// are unique among all signatures. The ids of the signing keys. Messages (§8 step 2)
/// and file requests (§23.3) are checked by this one procedure.
pub(crate) fn check_signatures<R: KeyResolver>(
    keys: &R,
    unsigned: &[&[u8]],
    signatures: &[SignatureEntry],
    from: &NodeId,
    created: &Timestamp,
    now: &Timestamp,
) -> Result<Vec<KeyId>, Error> {
    check_signers(keys, signatures, from, created, now, |listed, entry| {
        let input = signing_input_from_parts(unsigned, &entry.algorithm, entry.key_id.as_str());
        Ok(listed.check_signature(entry.key_id.as_str(), &input, &entry.signature)?)
    })
}

/// The rules of [`check_signatures`], each signature checked by `check` with the public
/// key the registry lists under its id.
fn check_signers<R: KeyResolver>(
    keys: &R,
    signatures: &[SignatureEntry],
    from: &NodeId,
    created: &Timestamp,
    now: &Timestamp,
    check: impl Fn(&PublicKey, &SignatureEntry) -> Result<(), Error>,
) -> Result<Vec<KeyId>, Error> {
    if signatures.is_empty() {
        return Err(SignatureError::Missing.into());
    }
    let mut signers = Vec::new();
    let mut seen_key_ids = BTreeSet::new();
    let mut by_sender = false;
    for entry in signatures {
        if !seen_key_ids.insert(&entry.key_id) {
            return Err(SignatureError::Malformed {
                key_id: entry.key_id.to_string(),
                reason: "two signatures by the same key".into(),
            }
            .into());
        }
        let Ok(algorithm) = Algorithm::try_from(entry.algorithm.as_str()) else {
            continue; // another suite's: skipped, never counted (§8 step 2.2)
        };
        let key = keys.resolve(&entry.key_id, created, now)?;
        if key.public_key.algorithm() != algorithm {
            return Err(SignatureError::UnknownKey {
                key_id: format!("{} (no {algorithm} key has this id)", entry.key_id),
            }
            .into());
        }
        check(&key.public_key, entry)?;
        by_sender |= &key.owner == from;
        signers.push(entry.key_id.clone());
    }
    if signers.is_empty() {
        return Err(SignatureError::UnsupportedAlgorithm {
            algorithm: signatures
                .iter()
                .map(|entry| entry.algorithm.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into());
    }
    if !by_sender {
        return Err(SignatureError::KeyNotSender {
            sender: from.to_string(),
        }
        .into());
    }
    Ok(signers)
}

/// What a verified message says, for display and logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedSummary {
    /// The message type.
    #[serde(rename = "type")]
    pub message_type: String,
    /// The message id.
    pub id: String,
    /// The case id.
    pub case: String,
    /// The answered message, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// Sender.
    pub from: String,
    /// Receiver.
    pub to: String,
    /// Agreement.
    pub agreement: String,
    /// Creation time.
    pub created: String,
    /// Expiry time.
    pub expires: String,
    /// Key ids whose signatures verified.
    pub signed_by: Vec<String>,
    /// SHA-256 of the canonical message, the value a receipt binds to.
    pub sha256: String,
    /// Warnings from parsing.
    pub warnings: Vec<Warning>,
}

impl Verified {
    /// The verified message.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The verified document, unknown members of newer minor versions included.
    pub fn document(&self) -> &Value {
        self.canonical.document(&self.document)
    }

    /// SHA-256 of the canonical bytes of the whole message, signatures included.
    pub fn digest(&self) -> &Sha256Digest {
        self.canonical.digest()
    }

    /// (1.1) SM3 of the same bytes: the `answers_sm3` of a receipt for it under an
    /// agreement on `sm2-sm3` (§9).
    pub fn sm3_digest(&self) -> Sm3Digest {
        Sm3Digest::of(self.canonical.text.as_bytes())
    }

    /// The canonical bytes of the whole message.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        self.canonical.text.clone().into_bytes()
    }

    /// Ids of the keys whose signatures verified.
    pub fn signers(&self) -> &[KeyId] {
        &self.signers
    }

    /// Warnings from parsing.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// (1.1) Whether the message arrived with its body sealed (§24.5), opened or not.
    pub fn arrived_sealed(&self) -> bool {
        self.opened_with.is_some() || self.envelope.body.sealed().is_some()
    }

    /// (1.1) The id of the receiver's sealing key its body was opened with
    /// ([`Verifier::verify_and_open`], §24.5), which names the context its files are
    /// sealed under (§24.6, [`Verified::file_opener`]). `None` for a body that arrived
    /// in clear or that a hop verified without opening.
    pub fn opened_with(&self) -> Option<&KeyId> {
        self.opened_with.as_ref()
    }

    /// (1.1) An opener of the sealed bytes of the file that `reference` (one of this
    /// message's, opened) names, for the receiver holding `key`, the key the body was
    /// opened with ([`Verified::opened_with`], §24.6): [`Envelope::file_opener`], once
    /// `key` is checked. Refused: a body that was not opened with `key`
    /// (`seal.unknown_key`), and as [`Envelope::file_opener`] refuses.
    pub fn file_opener(
        &self,
        reference: &crate::message::FileRef,
        key: &crate::seal::SealingKeyPair,
    ) -> Result<crate::seal::FileOpener, Error> {
        if self.opened_with.as_ref() != Some(key.key_id()) {
            return Err(crate::error::SealError::UnknownKey {
                key_id: key.key_id().to_string(),
            }
            .into());
        }
        self.envelope.file_opener(reference, key)
    }

    /// Checks that this verified receipt answers `answered`: it is a receipt, it names
    /// `answered`'s id, goes from its receiver back to its sender, concerns the same case
    /// under the same agreement and binds its exact canonical bytes.
    pub fn check_receipt_for(&self, answered: &Verified) -> Result<(), Error> {
        let fail = |reason| MessageError::NotAnAnswer {
            message_id: answered.envelope.id.to_string(),
            reason,
        };
        let Body::Receipt(body) = &self.envelope.body else {
            return Err(fail("not a receipt").into());
        };
        if self.envelope.in_reply_to.as_ref() != Some(&answered.envelope.id) {
            return Err(fail("in_reply_to names another message").into());
        }
        let (receipt, message) = (&self.envelope, &answered.envelope);
        if receipt.from != message.to || receipt.to != message.from {
            return Err(fail("sender and receiver are not swapped").into());
        }
        if receipt.case != message.case || receipt.agreement != message.agreement {
            return Err(fail("case or agreement differs").into());
        }
        if &body.answers_sha256 != answered.digest() {
            return Err(fail("answers_sha256 differs from the message's digest").into());
        }
        if body
            .answers_sm3
            .as_ref()
            .is_some_and(|sm3| sm3 != &answered.sm3_digest())
        {
            return Err(fail("answers_sm3 differs from the message's SM3 digest").into());
        }
        Ok(())
    }

    /// A summary for display.
    pub fn summary(&self) -> VerifiedSummary {
        let e = &self.envelope;
        VerifiedSummary {
            message_type: e.message_type().to_string(),
            id: e.id.to_string(),
            case: e.case.to_string(),
            in_reply_to: e.in_reply_to.as_ref().map(ToString::to_string),
            from: e.from.to_string(),
            to: e.to.to_string(),
            agreement: e.agreement.to_string(),
            created: e.created.to_string(),
            expires: e.expires.to_string(),
            signed_by: self.signers.iter().map(ToString::to_string).collect(),
            sha256: self.digest().to_string(),
            warnings: self.warnings.clone(),
        }
    }
}
