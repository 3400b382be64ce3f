//! The envelope and the message bodies of protocol version 1.
//!
//! Every message is one [`Envelope`]: protocol version, message type, message id, case
//! id and the message it answers, sender, receiver, agreement, validity window, a
//! [`Body`] and detached signatures. On the wire the type is the envelope's `type`
//! member and the body its `body` member.

pub(crate) mod decode_error;
mod evaluation;
mod post;
mod receipt;
mod sealed;
mod steps;
mod transfer;

pub use crate::message_type::MessageType;
pub use evaluation::{Evaluation, Grade, Rectification};
pub use post::{Delivery, Shipment, ShipmentContents, ShipmentItem, ShipmentReceived};
pub use receipt::{Receipt, ReceiptOutcome};
pub use sealed::{readable_members, SealedBody, BODY_PART};
pub use steps::{
    Decision, DecisionOutcome, FilesReceived, Licence, ProtocolError, ReportedStatus,
    ResultDocument, ResultKind, StatusUpdate, Supplement, SupplementItem, SupplementRequest,
    Withdrawal, WithdrawnBy,
};
pub use transfer::{
    Agent, Applicant, Channel, Commitment, DeferredMaterial, DeliveryMethod, FileRef, FormData,
    HandlingMode, PostalAddress, ReceivingWindow, ResultDelivery, Transfer,
};

use crate::crypto::DocumentSigner;
use crate::error::{Error, MessageError};
use crate::id::{AgreementId, CaseId, MessageId, NodeId};
use crate::shape::Strict;
use crate::signing::{sign_unsigned, SignatureEntry};
use crate::time::Timestamp;
use crate::version::ProtocolVersion;
use schemars::JsonSchema;
use serde::de::{self, Deserializer};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

/// A protocol message: routing, validity, body and signatures.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Envelope {
    /// The protocol version, e.g. `1.0`.
    pub protocol: ProtocolVersion,
    /// This message's id, unique for the sender.
    pub id: MessageId,
    /// The case the message belongs to.
    pub case: CaseId,
    /// The message this one answers (required for receipts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<MessageId>,
    /// The sending node.
    pub from: NodeId,
    /// The receiving node.
    pub to: NodeId,
    /// The agreement under which the case travels.
    pub agreement: AgreementId,
    /// When the message was created.
    pub created: Timestamp,
    /// When the message stops being valid.
    pub expires: Timestamp,
    /// The message type (`type`) and body (`body`).
    #[serde(flatten)]
    pub body: Body,
    /// Detached signatures over the canonical form of everything else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<SignatureEntry>,
}

/// The envelope's members as they are on the wire, with the body as `B` (skipped, or
/// kept as JSON) until its type is known.
#[derive(Deserialize)]
pub(crate) struct WireEnvelope<B> {
    pub(crate) protocol: ProtocolVersion,
    id: MessageId,
    case: CaseId,
    #[serde(default)]
    in_reply_to: Option<MessageId>,
    from: NodeId,
    to: NodeId,
    agreement: AgreementId,
    created: Timestamp,
    expires: Timestamp,
    #[serde(rename = "type")]
    pub(crate) message_type: String,
    body: B,
    #[serde(default)]
    signatures: Vec<SignatureEntry>,
}

impl<B> WireEnvelope<B> {
    /// The envelope with its body read.
    pub(crate) fn with_body(self, body: Body) -> Envelope {
        Envelope {
            protocol: self.protocol,
            id: self.id,
            case: self.case,
            in_reply_to: self.in_reply_to,
            from: self.from,
            to: self.to,
            agreement: self.agreement,
            created: self.created,
            expires: self.expires,
            body,
            signatures: self.signatures,
        }
    }
}

/// Reads `{"type": …, "body": …}`, as a body is serialized, in the shapes the schemas
/// allow.
impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Body, D::Error> {
        #[derive(Deserialize)]
        struct Typed {
            #[serde(rename = "type")]
            message_type: String,
            body: serde_json::Value,
        }
        let typed = Typed::deserialize(Strict(deserializer))?;
        Body::of_type(&typed.message_type, &typed.body)
    }
}

/// Reads the shapes the schemas allow (see [`crate::shape`]), the body by its `type`. A
/// received message is read with [`crate::Unverified::parse`], which also applies the
/// protocol's limits and checks and refuses duplicate keys (serde_json keeps the last).
impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Envelope, D::Error> {
        let wire = WireEnvelope::<serde_json::Value>::deserialize(Strict(deserializer))?;
        let body = Body::of_type(&wire.message_type, &wire.body)?;
        Ok(wire.with_body(body))
    }
}

/// Who sends a message to whom, about which case, under which agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The sending node.
    pub from: NodeId,
    /// The receiving node.
    pub to: NodeId,
    /// The agreement.
    pub agreement: AgreementId,
    /// The case.
    pub case: CaseId,
}

/// The body of a message, tagged by its type: in clear, or (1.1) sealed to the receiver
/// ([`Body::Sealed`], §24.5).
#[derive(Debug, Clone, PartialEq, JsonSchema)]
// A transfer is some 200 bytes larger than the other bodies; a body is built once per
// message, and boxing it would change every construction and match of the public API.
#[allow(clippy::large_enum_variant)]
#[serde(tag = "type", content = "body", rename_all = "snake_case")]
pub enum Body {
    /// A case handed in at one window, sent to the competent authority.
    Transfer(Transfer),
    /// The receiver's signed acknowledgement or refusal of one message.
    Receipt(Receipt),
    /// A change of the case's status.
    StatusUpdate(StatusUpdate),
    /// The competent authority asks for missing or corrected materials (补正).
    SupplementRequest(SupplementRequest),
    /// The materials the applicant supplied.
    Supplement(Supplement),
    /// The competent authority's decision.
    Decision(Decision),
    /// The case is withdrawn.
    Withdrawal(Withdrawal),
    /// A message could not be processed.
    ProtocolError(ProtocolError),
    /// The receiver holds every file a message references (1.1).
    FilesReceived(FilesReceived),
    /// A parcel of originals or results is on its way (1.1).
    Shipment(Shipment),
    /// The parcel a shipment announced arrived (1.1).
    ShipmentReceived(ShipmentReceived),
    /// The result reached the applicant (送达, 1.1).
    Delivery(Delivery),
    /// The applicant's grade of the handling (好差评, 1.1).
    Evaluation(Evaluation),
    /// The authority's answer to a poor grade (整改, 1.1).
    Rectification(Rectification),
    /// (1.1) A body of the type [`SealedBody::message_type`] sealed to the receiver:
    /// its readable members and a box that [`crate::Verifier::verify_and_open`] opens with the
    /// receiver's sealing key. On the wire its `type` is that type's.
    Sealed(SealedBody),
}

/// `{"type": …, "body": …}`, the type being the sealed body's for [`Body::Sealed`].
impl Serialize for Body {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut typed = serializer.serialize_struct("Body", 2)?;
        typed.serialize_field("type", self.message_type().as_str())?;
        match self {
            Body::Transfer(body) => typed.serialize_field("body", body),
            Body::Receipt(body) => typed.serialize_field("body", body),
            Body::StatusUpdate(body) => typed.serialize_field("body", body),
            Body::SupplementRequest(body) => typed.serialize_field("body", body),
            Body::Supplement(body) => typed.serialize_field("body", body),
            Body::Decision(body) => typed.serialize_field("body", body),
            Body::Withdrawal(body) => typed.serialize_field("body", body),
            Body::ProtocolError(body) => typed.serialize_field("body", body),
            Body::FilesReceived(body) => typed.serialize_field("body", body),
            Body::Shipment(body) => typed.serialize_field("body", body),
            Body::ShipmentReceived(body) => typed.serialize_field("body", body),
            Body::Delivery(body) => typed.serialize_field("body", body),
            Body::Evaluation(body) => typed.serialize_field("body", body),
            Body::Rectification(body) => typed.serialize_field("body", body),
            Body::Sealed(body) => typed.serialize_field("body", body),
        }?;
        typed.end()
    }
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Body {
    /// The type of this body.
    pub fn message_type(&self) -> MessageType {
        match self {
            Body::Transfer(_) => MessageType::Transfer,
            Body::Receipt(_) => MessageType::Receipt,
            Body::StatusUpdate(_) => MessageType::StatusUpdate,
            Body::SupplementRequest(_) => MessageType::SupplementRequest,
            Body::Supplement(_) => MessageType::Supplement,
            Body::Decision(_) => MessageType::Decision,
            Body::Withdrawal(_) => MessageType::Withdrawal,
            Body::ProtocolError(_) => MessageType::ProtocolError,
            Body::FilesReceived(_) => MessageType::FilesReceived,
            Body::Shipment(_) => MessageType::Shipment,
            Body::ShipmentReceived(_) => MessageType::ShipmentReceived,
            Body::Delivery(_) => MessageType::Delivery,
            Body::Evaluation(_) => MessageType::Evaluation,
            Body::Rectification(_) => MessageType::Rectification,
            Body::Sealed(sealed) => sealed.message_type,
        }
    }

    /// The box of a sealed body (§24.5), `None` for a body in clear.
    pub fn sealed(&self) -> Option<&SealedBody> {
        match self {
            Body::Sealed(sealed) => Some(sealed),
            _ => None,
        }
    }
}

impl Body {
    /// Reads the body of a message of type `message_type` from JSON, with the same
    /// checks and error codes as a received message's body (`message.invalid` naming
    /// the field at fault under `/body`).
    pub fn from_json(message_type: MessageType, value: &serde_json::Value) -> Result<Body, Error> {
        crate::signing::check_numbers(value).map_err(|err| match err {
            MessageError::UnsafeNumber { path } => MessageError::UnsafeNumber {
                path: format!("/body{path}"),
            },
            other => other,
        })?;
        if let Some(sealed) = Body::read_sealed(message_type, value) {
            return sealed;
        }
        Body::from_value(message_type, value).map_err(|err| decode_error::body_error(err, value))
    }

    /// (1.1) A body with a member `sealed` read as a sealed body (§24.5); `None` for
    /// any other.
    pub(crate) fn read_sealed(
        message_type: MessageType,
        value: &serde_json::Value,
    ) -> Option<Result<Body, Error>> {
        value.get("sealed")?;
        Some(sealed::sealed_from_value(message_type, value).map(Body::Sealed))
    }

    /// Reads a body of the type named `type_name` from its JSON, for `Deserialize`:
    /// an error names the field at fault under `/body`.
    fn of_type<E: de::Error>(type_name: &str, body: &serde_json::Value) -> Result<Body, E> {
        let message_type = MessageType::try_from(type_name).map_err(E::custom)?;
        if let Some(sealed) = Body::read_sealed(message_type, body) {
            return sealed.map_err(E::custom);
        }
        Body::from_value(message_type, body).map_err(|err| {
            let field = decode_error::serde_pointer(err.path());
            E::custom(format_args!("/body{field}: {}", err.inner()))
        })
    }

    /// Deserializes the body of a message of type `message_type` alone from its
    /// canonical text ([`Body::from_text`]), keeping the path of any error.
    pub(crate) fn from_value(
        message_type: MessageType,
        value: &serde_json::Value,
    ) -> Result<Body, serde_path_to_error::Error<serde_json::Error>> {
        let text = crate::canonical::to_canonical_bytes(value);
        Body::from_text(message_type, &String::from_utf8_lossy(&text))
    }

    /// Deserializes the body of a message of type `message_type` from JSON text,
    /// through [`Strict`], keeping the path of any error. Every body is read through
    /// this one deserializer (a received message's body from its canonical span, a value
    /// from its canonical text), so the WASM build holds one reader per body type.
    pub(crate) fn from_text(
        message_type: MessageType,
        text: &str,
    ) -> Result<Body, serde_path_to_error::Error<serde_json::Error>> {
        let mut track = serde_path_to_error::Track::new();
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let tracked = serde_path_to_error::Deserializer::new(Strict(&mut deserializer), &mut track);
        let body = Body::deserialize_as(message_type, tracked)
            .and_then(|body| deserializer.end().map(|()| body));
        body.map_err(|err| serde_path_to_error::Error::new(track.path(), err))
    }

    /// Deserializes the body of a message of type `message_type` from canonical text
    /// without tracking the path: the verify path's decode, `None` on any fault (which
    /// [`Body::from_text`] then explains). The WASM build, whose size counts more than
    /// this saving, reads through the tracking deserializer, its only one.
    pub(crate) fn from_canonical_text(message_type: MessageType, text: &str) -> Option<Body> {
        // (1.1) A body with a member `sealed` at its top level, whatever its value, is
        // sealed; form data may have one deeper down, so the top level is looked at
        // whenever the bytes occur.
        if text.contains("\"sealed\":") {
            let value = crate::json::parse(text.as_bytes()).ok()?;
            if let Some(sealed) = Body::read_sealed(message_type, &value) {
                return sealed.ok();
            }
        }
        #[cfg(target_arch = "wasm32")]
        return Body::from_text(message_type, text).ok();
        #[cfg(not(target_arch = "wasm32"))]
        {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            let body = Body::deserialize_as(message_type, Strict(&mut deserializer)).ok()?;
            deserializer.end().ok()?;
            Some(body)
        }
    }

    /// Deserializes the body of a message of type `message_type` from any
    /// deserializer: the one dispatch by type, for canonical text and for values.
    pub(crate) fn deserialize_as<'de, D: serde::Deserializer<'de>>(
        message_type: MessageType,
        deserializer: D,
    ) -> Result<Body, D::Error> {
        Ok(match message_type {
            MessageType::Transfer => Body::Transfer(Deserialize::deserialize(deserializer)?),
            MessageType::Receipt => Body::Receipt(Deserialize::deserialize(deserializer)?),
            MessageType::StatusUpdate => {
                Body::StatusUpdate(Deserialize::deserialize(deserializer)?)
            }
            MessageType::SupplementRequest => {
                Body::SupplementRequest(Deserialize::deserialize(deserializer)?)
            }
            MessageType::Supplement => Body::Supplement(Deserialize::deserialize(deserializer)?),
            MessageType::Decision => Body::Decision(Deserialize::deserialize(deserializer)?),
            MessageType::Withdrawal => Body::Withdrawal(Deserialize::deserialize(deserializer)?),
            MessageType::ProtocolError => {
                Body::ProtocolError(Deserialize::deserialize(deserializer)?)
            }
            MessageType::FilesReceived => {
                Body::FilesReceived(Deserialize::deserialize(deserializer)?)
            }
            MessageType::Shipment => Body::Shipment(Deserialize::deserialize(deserializer)?),
            MessageType::ShipmentReceived => {
                Body::ShipmentReceived(Deserialize::deserialize(deserializer)?)
            }
            MessageType::Delivery => Body::Delivery(Deserialize::deserialize(deserializer)?),
            MessageType::Evaluation => Body::Evaluation(Deserialize::deserialize(deserializer)?),
            MessageType::Rectification => {
                Body::Rectification(Deserialize::deserialize(deserializer)?)
            }
        })
    }
}

impl Envelope {
    /// A new, unsigned message with a fresh UUIDv7 id, valid from `created` for
    /// `valid_for_seconds`, of version 1.0, the first version. A sender writes
    /// the version it negotiated with the receiver (§20): set it with
    /// [`Envelope::with_protocol`] and [`crate::registry::Registry::negotiate`].
    pub fn new(
        route: Route,
        body: Body,
        created: Timestamp,
        valid_for_seconds: i64,
    ) -> Result<Envelope, Error> {
        Ok(Envelope {
            protocol: ProtocolVersion::V1_0,
            id: MessageId::new_v7(&created),
            case: route.case,
            in_reply_to: None,
            from: route.from,
            to: route.to,
            agreement: route.agreement,
            expires: created.plus_seconds(valid_for_seconds)?,
            created,
            body,
            signatures: Vec::new(),
        })
    }

    /// This message, of protocol version `protocol` (e.g. the one
    /// [`crate::registry::Registry::negotiate`] gives for its sender and receiver).
    pub fn with_protocol(mut self, protocol: ProtocolVersion) -> Envelope {
        self.protocol = protocol;
        self
    }

    /// A new, unsigned answer to this message: same case and agreement, sender and
    /// receiver swapped, `in_reply_to` set to this message's id.
    pub fn reply(
        &self,
        body: Body,
        created: Timestamp,
        valid_for_seconds: i64,
    ) -> Result<Envelope, Error> {
        let route = Route {
            from: self.to.clone(),
            to: self.from.clone(),
            agreement: self.agreement.clone(),
            case: self.case.clone(),
        };
        let mut reply = Envelope::new(route, body, created, valid_for_seconds)?;
        reply.in_reply_to = Some(self.id.clone());
        Ok(reply)
    }

    /// The message type.
    pub fn message_type(&self) -> MessageType {
        self.body.message_type()
    }

    /// The message as a JSON value.
    pub fn to_value(&self) -> Result<serde_json::Value, Error> {
        serde_json::to_value(self).map_err(|e| {
            MessageError::Invalid {
                reason: e.to_string(),
            }
            .into()
        })
    }

    /// Adds a signature by `key` over the canonical form of this typed message without
    /// its signatures. Call once per signer. To sign a parsed document that may carry
    /// members of a newer minor version, sign the document itself with
    /// [`crate::signing::sign_document`]: a typed `Envelope` holds only the members it
    /// knows.
    pub fn sign(&mut self, key: &(impl DocumentSigner + ?Sized)) -> Result<(), Error> {
        self.add_signature(key).map(|_| ())
    }

    /// Signs as [`Envelope::sign`] does and returns the canonical bytes of the signed
    /// message, the form to send. The typed message is written as canonical JSON once,
    /// without its signatures; the signatures are then put in their place.
    pub fn sign_to_bytes(
        &mut self,
        key: &(impl DocumentSigner + ?Sized),
    ) -> Result<Vec<u8>, Error> {
        let unsigned = self.add_signature(key)?;
        let signatures = crate::canonical::typed::to_canonical_bytes(&self.signatures)?;
        Ok(unsigned.with_member(&signatures))
    }

    /// Signs the canonical form of the message without its signatures, adds the
    /// signature, and gives that form back for the wire bytes.
    fn add_signature(
        &mut self,
        key: &(impl DocumentSigner + ?Sized),
    ) -> Result<crate::canonical::typed::Without, Error> {
        let unsigned = crate::canonical::typed::without_member(self, "signatures")?;
        self.signatures
            .push(sign_unsigned(unsigned.text.as_bytes(), key)?);
        Ok(unsigned)
    }

    /// The canonical (RFC 8785) bytes of the message, signatures included: the form to
    /// send and to hash. A number no peer may read (a fraction, or an integer beyond
    /// ±(2^53−1)) is refused as `message.unsafe_number`, naming the first.
    pub fn to_canonical_bytes(&self) -> Result<Vec<u8>, Error> {
        Ok(crate::canonical::typed::to_canonical_bytes(self)?)
    }
}
