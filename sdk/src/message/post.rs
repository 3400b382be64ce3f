//! The bodies of what travels by post (1.1): a `shipment` of originals to the authority
//! (异地代收代办) or of results to the applicant, its `shipment_received`, and the
//! `delivery` (送达) that hands the result to the applicant and closes the track.

use super::transfer::DeliveryMethod;
use crate::digest::Sha256Digest;
use crate::time::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The body of a `shipment` message (1.1): a parcel on its way, announced to the side
/// that receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Shipment {
    /// What the parcel holds: the originals, sent by the window; or the results, sent by
    /// the authority.
    pub contents: ShipmentContents,
    /// The carrier, e.g. `中国邮政EMS`.
    pub carrier: String,
    /// The carrier's waybill number: 6 to 32 ASCII letters and digits.
    #[schemars(regex(pattern = r"^[A-Za-z0-9]{6,32}$"))]
    pub waybill: String,
    /// What is inside, at least one piece.
    #[schemars(length(min = 1))]
    pub items: Vec<ShipmentItem>,
    /// A note for the receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Shipment {
    /// Whether `waybill` is a waybill number: 6 to 32 ASCII letters and digits.
    pub fn is_waybill(waybill: &str) -> bool {
        (6..=32).contains(&waybill.len()) && waybill.bytes().all(|b| b.is_ascii_alphanumeric())
    }
}

crate::shape::string_enum! {
    /// What a parcel holds.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum ShipmentContents {
        /// Original paper materials, from the window to the authority (异地代收代办).
        Originals = "originals",
        /// Result documents (a licence, a decision letter), from the authority.
        Results = "results",
    }
}

/// One piece of a parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShipmentItem {
    /// The material or document, by the name the case gives it, e.g. `房屋租赁合同`.
    pub name: String,
    /// The digest of the file that the case references for it (its scan, or the
    /// electronic result), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256Digest>,
}

/// The body of a `shipment_received` message (1.1): the receiver of the shipment named
/// by `in_reply_to` has the parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShipmentReceived {
    /// Whether every piece the shipment lists arrived.
    pub complete: bool,
    /// What is missing or damaged, when something is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The body of a `delivery` message (送达, 1.1): the result reached the applicant; the
/// track is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Delivery {
    /// How: handed over at the window (sent by the window), or electronically or by post
    /// (sent by the authority).
    pub method: DeliveryMethod,
    /// When the applicant got it; not after the message's `created`.
    pub delivered_at: Timestamp,
    /// Who took it: the applicant, their agent, or whoever signed for the parcel.
    pub recipient: String,
    /// A note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::Shipment;

    #[test]
    fn a_waybill_is_6_to_32_ascii_letters_and_digits() {
        for good in ["EK1234", "1234567890", "SF1234567890123", &"9".repeat(32)] {
            assert!(Shipment::is_waybill(good), "{good}");
        }
        for bad in [
            "",
            "EK123",
            "EK 123456",
            "EK-123456",
            "单号123456",
            &"9".repeat(33),
        ] {
            assert!(!Shipment::is_waybill(bad), "{bad}");
        }
    }
}
