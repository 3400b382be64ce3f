//! What travels by post (1.1): the shipments of a track, each confirmed at most once by
//! a `shipment_received` from its receiver.

use super::Track;
use crate::error::Error;
use crate::id::MessageId;
use crate::message::{Body, Envelope, ShipmentContents};
use serde::{Deserialize, Serialize};

/// A shipment announced on a track, and whether its receiver confirmed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentRecord {
    /// The `shipment` message.
    pub message: MessageId,
    /// What the parcel holds.
    pub contents: ShipmentContents,
    /// Whether a `shipment_received` answered it.
    #[serde(default)]
    pub received: bool,
}

impl Track {
    /// Checks a `shipment_received` against the track: it answers a shipment of the
    /// track (`message.not_an_answer`; that it comes from the shipment's receiver is
    /// checked with every answer) and is the first for that shipment
    /// (`lifecycle.illegal_transition`).
    pub(super) fn check_shipment_received(
        &self,
        envelope: &Envelope,
        message_type: &str,
    ) -> Result<(), Error> {
        let answered = envelope.in_reply_to.as_ref();
        let shipment = answered.and_then(|id| self.shipments.iter().find(|s| &s.message == id));
        match shipment {
            None => Err(Track::not_an_answer(
                answered,
                "it names no shipment of its track",
            )),
            Some(shipment) if shipment.received => Err(self.illegal(message_type)),
            Some(_) => Ok(()),
        }
    }

    /// Records an applied `shipment`, or the confirmation of one.
    pub(super) fn record_shipment(&mut self, envelope: &Envelope) {
        match &envelope.body {
            Body::Shipment(shipment) => self.shipments.push(ShipmentRecord {
                message: envelope.id.clone(),
                contents: shipment.contents,
                received: false,
            }),
            Body::ShipmentReceived(_) => {
                let answered = envelope.in_reply_to.as_ref();
                let record = self
                    .shipments
                    .iter_mut()
                    .find(|s| Some(&s.message) == answered);
                if let Some(record) = record {
                    record.received = true;
                }
            }
            _ => {}
        }
    }
}
