//! The message types, by their names on the wire; below [`crate::version`], whose
//! rules list the types each major version defines, and [`crate::message`], whose
//! bodies they name.

use crate::error::MessageError;
use crate::version::ProtocolVersion;

/// The message types of protocol version 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum MessageType {
    /// `transfer`
    Transfer,
    /// `receipt`
    Receipt,
    /// `status_update`
    StatusUpdate,
    /// `supplement_request`
    SupplementRequest,
    /// `supplement`
    Supplement,
    /// `decision`
    Decision,
    /// `withdrawal`
    Withdrawal,
    /// `protocol_error`
    ProtocolError,
    /// `files_received` (1.1, §23.5)
    FilesReceived,
    /// `shipment` (1.1)
    Shipment,
    /// `shipment_received` (1.1)
    ShipmentReceived,
    /// `delivery` (1.1)
    Delivery,
    /// `evaluation` (1.1)
    Evaluation,
    /// `rectification` (1.1)
    Rectification,
}

impl MessageType {
    /// Every message type of version 1, 1.0's first. A slice, not an array, so that a
    /// minor version can add a type without changing this constant's type.
    pub const ALL: &'static [MessageType] = &[
        MessageType::Transfer,
        MessageType::Receipt,
        MessageType::StatusUpdate,
        MessageType::SupplementRequest,
        MessageType::Supplement,
        MessageType::Decision,
        MessageType::Withdrawal,
        MessageType::ProtocolError,
        MessageType::FilesReceived,
        MessageType::Shipment,
        MessageType::ShipmentReceived,
        MessageType::Delivery,
        MessageType::Evaluation,
        MessageType::Rectification,
    ];

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Transfer => "transfer",
            MessageType::Receipt => "receipt",
            MessageType::StatusUpdate => "status_update",
            MessageType::SupplementRequest => "supplement_request",
            MessageType::Supplement => "supplement",
            MessageType::Decision => "decision",
            MessageType::Withdrawal => "withdrawal",
            MessageType::ProtocolError => "protocol_error",
            MessageType::FilesReceived => "files_received",
            MessageType::Shipment => "shipment",
            MessageType::ShipmentReceived => "shipment_received",
            MessageType::Delivery => "delivery",
            MessageType::Evaluation => "evaluation",
            MessageType::Rectification => "rectification",
        }
    }

    /// The first protocol version with this type: a message that says an older version
    /// (in which the type does not exist) is `message.unknown_type`.
    pub fn since(self) -> ProtocolVersion {
        match self {
            MessageType::FilesReceived
            | MessageType::Shipment
            | MessageType::ShipmentReceived
            | MessageType::Delivery
            | MessageType::Evaluation
            | MessageType::Rectification => ProtocolVersion::V1_1,
            _ => ProtocolVersion::V1_0,
        }
    }

    /// Whether a message of this type must name the message it answers.
    pub fn requires_in_reply_to(self) -> bool {
        matches!(
            self,
            MessageType::Receipt
                | MessageType::FilesReceived
                | MessageType::ShipmentReceived
                | MessageType::Rectification
        )
    }

    /// (1.1) Whether a body of this type is sealed to a receiver that publishes a
    /// sealing key (§24.5): every type but the receipt, `files_received` and
    /// `protocol_error`, which say nothing about a person and which hops read.
    pub fn is_sealable(self) -> bool {
        !matches!(
            self,
            MessageType::Receipt | MessageType::FilesReceived | MessageType::ProtocolError
        )
    }
}

impl TryFrom<&str> for MessageType {
    type Error = MessageError;
    fn try_from(name: &str) -> Result<Self, Self::Error> {
        MessageType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| MessageError::UnknownType {
                message_type: name.to_string(),
            })
    }
}
