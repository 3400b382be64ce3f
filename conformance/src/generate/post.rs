//! Protocol 1.1's post (PROTOCOL §6 `shipment`, `shipment_received`, `delivery`; §18):
//! originals to the authority, results to the applicant, each shipment confirmed once by
//! its receiver, and the delivery that closes a decided track. Generated after the other
//! 1.1 vectors, so that earlier vectors keep their ids.

use super::lifecycle::{
    barber, decided, other, push_scenarios_in, received, state, status, Script, Talk,
};
use super::*;

pub(super) fn post(g: &mut Gen, keys: &str, registry: &str) {
    bodies(g, keys);
    lifecycle(g, registry);
}

fn shipment(contents: ShipmentContents) -> Body {
    Body::Shipment(sample::shipment(contents))
}

fn shipment_received() -> Body {
    other(MessageType::ShipmentReceived)
}

fn delivery(method: DeliveryMethod) -> Body {
    Body::Delivery(sample::delivery(method, ts(T0)))
}

/// The rules of each body that a parser checks (§2 step 8), one vector each.
fn bodies(g: &mut Gen, keys: &str) {
    let originals = answer_1_1(g, HUANGSHI, shipment(ShipmentContents::Originals));
    let confirmation = answer_1_1(g, HUANGSHI, shipment_received());
    let handed_over = answer_1_1(g, HUANGSHI, delivery(DeliveryMethod::AtWindow));
    let cases: Vec<(&str, &str, &Value, Edit, Value)> = vec![
        (
            "shipment-of-originals",
            "a 1.1 shipment of originals, with a waybill of 13 letters and digits",
            &originals,
            Box::new(|_| {}),
            json!({"outcome": "accepted", "type": "shipment"}),
        ),
        (
            "shipment-in-a-1.0-message",
            "a shipment in a message that says 1.0: the type exists since 1.1",
            &originals,
            Box::new(|d| d["protocol"] = json!("1.0")),
            refused("message.unknown_type"),
        ),
        (
            "shipment-waybill-with-a-hyphen",
            "a waybill number with a hyphen: only ASCII letters and digits",
            &originals,
            Box::new(|d| d["body"]["waybill"] = json!("EK-12345678")),
            refused("message.invalid"),
        ),
        (
            "shipment-waybill-of-5",
            "a waybill number of 5 characters: 6 to 32",
            &originals,
            Box::new(|d| d["body"]["waybill"] = json!("EK123")),
            refused("message.invalid"),
        ),
        (
            "shipment-waybill-of-32",
            "a waybill number of 32 characters, the longest",
            &originals,
            Box::new(|d| d["body"]["waybill"] = json!("9".repeat(32))),
            json!({"outcome": "accepted", "type": "shipment"}),
        ),
        (
            "shipment-without-items",
            "a shipment that lists nothing inside",
            &originals,
            Box::new(|d| d["body"]["items"] = json!([])),
            refused("message.invalid"),
        ),
        (
            "shipment-contents-unknown",
            "a shipment of `documents`: the contents are `originals` or `results`",
            &originals,
            Box::new(|d| d["body"]["contents"] = json!("documents")),
            refused("message.invalid"),
        ),
        (
            "shipment-received-without-in-reply-to",
            "a shipment_received that names no shipment: in_reply_to is required",
            &confirmation,
            Box::new(|d| {
                d.as_object_mut().map(|d| d.remove("in_reply_to"));
            }),
            refused("message.invalid"),
        ),
        (
            "delivery-at-created",
            "a delivery whose delivered_at is its message's created: not after it, so accepted",
            &handed_over,
            Box::new(|_| {}),
            json!({"outcome": "accepted", "type": "delivery"}),
        ),
        (
            "delivery-after-created",
            "a delivery whose delivered_at is a second after its message's created",
            &handed_over,
            Box::new(|d| d["body"]["delivered_at"] = json!("2026-11-28T10:00:01+08:00")),
            refused("message.invalid"),
        ),
        (
            "delivery-method-unknown",
            "a delivery by `courier`: the methods are those of result_delivery",
            &handed_over,
            Box::new(|d| d["body"]["method"] = json!("courier")),
            refused("message.invalid"),
        ),
    ];
    let by_the_window = cases.into_iter();
    let cases = by_the_window.map(|(n, d, base, e, x)| (n, d, HUANGSHI, base, e, x));
    edited_envelope_vectors(g, keys, cases.collect());
}

/// The 1.1 barber-shop case, received by the authority, and its id.
fn received_1_1(t: &mut Talk) -> MessageId {
    t.protocol = ProtocolVersion::V1_1;
    received(t).id
}

/// The 1.1 barber-shop case, decided.
fn decided_1_1(t: &mut Talk) {
    t.protocol = ProtocolVersion::V1_1;
    decided(t);
}

fn lifecycle(g: &mut Gen, registry: &str) {
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "post-whole-case",
            "originals posted to the authority and confirmed, the licence posted back and confirmed by the window, the delivery by post closes the track",
            Box::new(|t| {
                received_1_1(t);
                let originals = t.send(HUANGSHI, shipment(ShipmentContents::Originals), None, state("received"));
                t.send(JIUJIANG, shipment_received(), Some(&originals.id), state("received"));
                t.send(JIUJIANG, status(ReportedStatus::InReview), None, state("in_review"));
                t.send(JIUJIANG, other(MessageType::Decision), None, state("decided"));
                let results = t.send(JIUJIANG, shipment(ShipmentContents::Results), None, state("decided"));
                t.send(HUANGSHI, shipment_received(), Some(&results.id), state("decided"));
                t.send(JIUJIANG, delivery(DeliveryMethod::Post), None, state("closed"));
            }),
        ),
        (
            "post-originals-before-receipt",
            "the window posts originals before the authority accepted the transfer",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(HUANGSHI, shipment(ShipmentContents::Originals), None, refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "post-originals-by-the-authority",
            "the authority announces a shipment of originals: only the window sends originals",
            Box::new(|t| {
                received_1_1(t);
                t.send(JIUJIANG, shipment(ShipmentContents::Originals), None, refused("lifecycle.wrong_party"));
            }),
        ),
        (
            "post-originals-after-decision",
            "the window posts originals once the case is decided: originals travel while it is pending",
            Box::new(|t| {
                decided_1_1(t);
                t.send(HUANGSHI, shipment(ShipmentContents::Originals), None, refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "post-results-by-the-window",
            "the window announces a shipment of results: only the authority sends results",
            Box::new(|t| {
                decided_1_1(t);
                t.send(HUANGSHI, shipment(ShipmentContents::Results), None, refused("lifecycle.wrong_party"));
            }),
        ),
        (
            "post-results-before-decision",
            "the authority posts results while the case is in review",
            Box::new(|t| {
                received_1_1(t);
                t.send(JIUJIANG, status(ReportedStatus::InReview), None, state("in_review"));
                t.send(JIUJIANG, shipment(ShipmentContents::Results), None, refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "post-confirmed-by-its-sender",
            "the window confirms its own shipment of originals: the receiver confirms",
            Box::new(|t| {
                received_1_1(t);
                let originals = t.send(HUANGSHI, shipment(ShipmentContents::Originals), None, state("received"));
                t.send(HUANGSHI, shipment_received(), Some(&originals.id), refused("lifecycle.wrong_party"));
            }),
        ),
        (
            "post-confirmation-of-no-shipment",
            "a shipment_received that answers the transfer, which is no shipment",
            Box::new(|t| {
                let transfer = received_1_1(t);
                t.send(JIUJIANG, shipment_received(), Some(&transfer), refused("message.not_an_answer"));
            }),
        ),
        (
            "post-confirmed-twice",
            "a second shipment_received for one shipment",
            Box::new(|t| {
                received_1_1(t);
                let originals = t.send(HUANGSHI, shipment(ShipmentContents::Originals), None, state("received"));
                t.send(JIUJIANG, shipment_received(), Some(&originals.id), state("received"));
                t.send(JIUJIANG, shipment_received(), Some(&originals.id), refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "post-delivery-before-decision",
            "a delivery while the case is in review: only a decided track is delivered",
            Box::new(|t| {
                received_1_1(t);
                t.send(JIUJIANG, status(ReportedStatus::InReview), None, state("in_review"));
                t.send(JIUJIANG, delivery(DeliveryMethod::Electronic), None, refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "post-delivery-at-window-by-the-authority",
            "the authority says the result was handed over at the window: the window says that",
            Box::new(|t| {
                decided_1_1(t);
                t.send(JIUJIANG, delivery(DeliveryMethod::AtWindow), None, refused("lifecycle.wrong_party"));
            }),
        ),
        (
            "post-delivery-by-post-by-the-window",
            "the window says the result was posted: the authority, which posts it, says that",
            Box::new(|t| {
                decided_1_1(t);
                t.send(HUANGSHI, delivery(DeliveryMethod::Post), None, refused("lifecycle.wrong_party"));
            }),
        ),
        (
            "post-delivery-at-window-closes",
            "the window hands the licence over and says so: the track is closed, and a later status closed (answering the delivery, so that it finds the track) is illegal",
            Box::new(|t| {
                decided_1_1(t);
                let handed_over = t.send(HUANGSHI, delivery(DeliveryMethod::AtWindow), None, state("closed"));
                t.send(JIUJIANG, status(ReportedStatus::Closed), Some(&handed_over.id), refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "post-confirmation-after-close",
            "the window confirms the parcel of results after the delivery closed the track: once",
            Box::new(|t| {
                decided_1_1(t);
                let results = t.send(JIUJIANG, shipment(ShipmentContents::Results), None, state("decided"));
                t.send(JIUJIANG, delivery(DeliveryMethod::Post), None, state("closed"));
                t.send(HUANGSHI, shipment_received(), Some(&results.id), state("closed"));
                t.send(HUANGSHI, shipment_received(), Some(&results.id), refused("lifecycle.illegal_transition"));
            }),
        ),
    ];
    push_scenarios_in(g, "lifecycle", registry, scenarios);
}
