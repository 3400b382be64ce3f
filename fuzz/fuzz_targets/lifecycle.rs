//! `lifecycle`: a sequence of up to 12 messages about one case, built and signed with
//! the SDK (sample bodies and keys), each verified against the sample registry and then
//! applied to a `lifecycle::Case` (PROTOCOL.md §18).
//!
//! Each step picks a message type (every `Body` variant; a receipt accepted or refused;
//! any reported status) or resends an earlier message's exact bytes; a sender (by
//! default the side §18 names; else the Huangshi window, the Jiujiang authority — both
//! may also transfer, since the sample members are `both` — or Wuhan, a member that is
//! no party to their agreement); the earlier message it answers; minutes since the
//! previous step; and maybe a twist: the receiver's key signs, a receipt binds a wrong
//! digest, the receiver's clock is off (hours ahead or behind, also behind the previous
//! step's), or the message travels under another agreement.
//!
//! Properties:
//! - nothing panics, and every refusal has a stable code listed in `ERROR_CODES`;
//! - no (sender, id) is verified twice, whatever the clock does (a resent message is a
//!   replay);
//! - a message the case refuses leaves it unchanged;
//! - an accepted transfer appends one track in `transferred`, for its sender (window),
//!   receiver (authority), agreement, item and digest, and no open track had that item
//!   at that authority;
//! - any other accepted message moves exactly one track, by an edge of the §18 diagram
//!   (copied into `DIAGRAM` below, independently of the SDK's own table), or leaves its
//!   state alone if it is a `protocol_error` or a receipt for another message; it was
//!   sent by the side §18 names; a receipt answers a message of the track and carries
//!   its digest, and no receipt, protocol error or files_received answers a message of
//!   its own sender;
//! - the aggregate status is the one §18 defines, and the case survives a JSON round trip.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use tongban::calendar::CalendarDate;
use tongban::lifecycle::{Case, CaseStatus, ItemState, Track};
use tongban::sample;
use tongban::*;
use tongban_fuzz::{check_error, node, registry, HUANGSHI, JIUJIANG, WUHAN};

const MAX_STEPS: usize = 12;
/// How long each message is valid, as in the conformance vectors.
const VALIDITY_SECONDS: i64 = 3600;

#[derive(Arbitrary, Debug)]
struct Step {
    kind: Kind,
    /// The sender; by default the side §18 names for the kind (the Huangshi window for
    /// transfers, supplements and withdrawals, the Jiujiang authority for the rest).
    sender: Option<Sender>,
    /// Which earlier message (modulo their number) it answers.
    reply_to: Option<u8>,
    /// Minutes after the previous step (the first: after `sample::CREATED`).
    minutes: u8,
    /// Something unusual about the message, if anything.
    twist: Option<Twist>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Twist {
    /// Signed by the receiver's sample key instead of the sender's.
    WrongKey,
    /// A receipt binds a digest other than the answered message's.
    WrongDigest,
    /// The receiver's clock, in seconds after creation (otherwise a minute, as in the
    /// conformance vectors); negative when it is behind. It may go back behind the
    /// previous step's by hours: the replay guard must still refuse every replay.
    Clock(i16),
    /// Under the cross-province agreement, which has Huangshi, Jiujiang and Wuhan as
    /// parties but other items, instead of the Huangshi–Jiujiang one.
    CrossProvince,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    /// The sample barber-shop transfer, or a social-card one (the agreement's other item).
    Transfer {
        social_card: bool,
    },
    Receipt {
        accepted: bool,
    },
    StatusUpdate(Status),
    SupplementRequest,
    Supplement,
    Decision {
        approved: bool,
    },
    Withdrawal,
    ProtocolError,
    /// The exact bytes of an earlier message (modulo their number) again.
    Resend(u8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Status {
    InReview,
    Suspended,
    Resumed,
    Closed,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Sender {
    Huangshi,
    Jiujiang,
    Wuhan,
}

impl Sender {
    /// (from, to).
    fn route(self) -> (&'static str, &'static str) {
        match self {
            Sender::Huangshi => (HUANGSHI, JIUJIANG),
            Sender::Jiujiang => (JIUJIANG, HUANGSHI),
            Sender::Wuhan => (WUHAN, JIUJIANG),
        }
    }
}

/// A message sent so far: its bytes and id.
struct Sent {
    bytes: Vec<u8>,
    id: MessageId,
}

fn must<T>(what: &str, result: Result<T, Error>) -> T {
    result.unwrap_or_else(|e| panic!("building {what}: {e}"))
}

/// The sample transfer for the agreement's other item, social-card replacement.
fn social_card_transfer() -> Transfer {
    let mut transfer = must("transfer", sample::transfer_body());
    transfer.item = must("item", ItemCode::parse("HB-JX-0007").map_err(Error::from));
    transfer.item_name = "社会保障卡补换领".into();
    transfer.form = serde_json::from_value(serde_json::json!({
        "holder_name": "陈丽华",
        "reason": "遗失",
    }))
    .expect("a form");
    transfer.materials.push(FileRef {
        name: "身份证".into(),
        sha256: Sha256Digest::of("身份证 陈丽华".as_bytes()),
        sm3: None,
        media_type: "application/pdf".into(),
        size: 184_320,
        sealed: None,
    });
    transfer
}

/// The body of `kind`; a receipt answers `answered`.
fn body(kind: Kind, answered: &Sha256Digest) -> Body {
    let sample_body = |message_type| must("body", sample::body(message_type, answered));
    match kind {
        Kind::Transfer { social_card: true } => Body::Transfer(social_card_transfer()),
        Kind::Transfer { .. } | Kind::Resend(_) => sample_body(MessageType::Transfer),
        Kind::Receipt { accepted, .. } => Body::Receipt(Receipt {
            answers_sha256: answered.clone(),
            answers_sm3: None,
            outcome: match accepted {
                true => ReceiptOutcome::Accepted { reference: None },
                false => ReceiptOutcome::Refused {
                    code: "item.form_invalid".into(),
                    reason: "表单不完整".into(),
                },
            },
        }),
        Kind::StatusUpdate(status) => Body::StatusUpdate(StatusUpdate {
            status: match status {
                Status::InReview => ReportedStatus::InReview,
                Status::Suspended => ReportedStatus::Suspended,
                Status::Resumed => ReportedStatus::Resumed,
                Status::Closed => ReportedStatus::Closed,
            },
            note: None,
        }),
        Kind::SupplementRequest => sample_body(MessageType::SupplementRequest),
        Kind::Supplement => sample_body(MessageType::Supplement),
        Kind::Decision { approved } => match sample_body(MessageType::Decision) {
            Body::Decision(mut decision) if !approved => {
                decision.outcome = DecisionOutcome::Refused;
                decision.reason = Some("经营场所不符合要求".into());
                Body::Decision(decision)
            }
            other => other,
        },
        Kind::Withdrawal => sample_body(MessageType::Withdrawal),
        Kind::ProtocolError => sample_body(MessageType::ProtocolError),
    }
}

/// The receiver's clock when step `step`, created at `created`, arrives: `lag` seconds
/// later, whatever the previous step's clock was.
fn arrival(step: &Step, created: &Timestamp) -> Timestamp {
    let lag = match step.twist {
        Some(Twist::Clock(seconds)) => i64::from(seconds),
        _ => 60,
    };
    must("time", created.plus_seconds(lag).map_err(Error::from))
}

/// The signed bytes of step `index`, created at `created`.
fn build(index: usize, step: &Step, created: &Timestamp, sent: &[Sent]) -> Option<Vec<u8>> {
    let pick = |i: u8| sent.get(usize::from(i) % sent.len().max(1));
    if let Kind::Resend(i) = step.kind {
        return pick(i).map(|earlier| earlier.bytes.clone());
    }
    let answered = step.reply_to.and_then(pick);
    let digest = match (answered, step.twist) {
        (Some(earlier), None | Some(Twist::Clock(_) | Twist::CrossProvince)) => {
            Sha256Digest::of(&earlier.bytes)
        }
        _ => Sha256Digest::of(b"not the answered message"),
    };
    let sender = step.sender.unwrap_or(match step.kind {
        Kind::Transfer { .. } | Kind::Supplement | Kind::Withdrawal => Sender::Huangshi,
        _ => Sender::Jiujiang,
    });
    let (from, to) = sender.route();
    let agreement = match step.twist {
        Some(Twist::CrossProvince) => "yunshangban.cross-province",
        _ => sample::AGREEMENT,
    };
    let route = Route {
        from: node(from),
        to: node(to),
        agreement: must(
            "agreement",
            AgreementId::parse(agreement).map_err(Error::from),
        ),
        case: must("case", CaseId::parse(sample::CASE).map_err(Error::from)),
    };
    let mut message = must(
        "envelope",
        Envelope::new(
            route,
            body(step.kind, &digest),
            created.clone(),
            VALIDITY_SECONDS,
        ),
    );
    message.id = MessageId::from_parts(created.unix_millis(), [index as u8 + 1; 10]);
    message.in_reply_to = answered.map(|earlier| earlier.id.clone());
    let signer = match step.twist {
        Some(Twist::WrongKey) => to,
        _ => from,
    };
    let signer = must("key", sample::key(signer));
    Some(must("signature", message.sign_to_bytes(&signer)))
}

/// What a message does to a track, as §18 distinguishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    TransferReceipt {
        accepted: bool,
    },
    OtherReceipt,
    ProtocolError,
    Status(ReportedStatus),
    SupplementRequest,
    Supplement,
    Decision,
    Withdrawal,
    /// Not generated here (it needs protocol 1.1 and files): the `files/lifecycle`
    /// vectors pin it. It changes no state.
    FilesReceived,
    /// Not generated here, as the next two (protocol 1.1): the `lifecycle/post-*`
    /// vectors pin them.
    Shipment(ShipmentContents),
    /// Changes no state.
    ShipmentReceived,
    /// Closes a decided track.
    Delivery(DeliveryMethod),
    /// Not generated here either (protocol 1.1): the `lifecycle/evaluation-*` and
    /// `lifecycle/rectification-*` vectors pin them. Neither changes a state.
    Evaluation,
    /// Answers a poor evaluation.
    Rectification,
}

/// The §18 diagram, edge by edge (receipts for other messages and protocol errors, which
/// change nothing in every state, are handled in `allowed`).
const DIAGRAM: &[(ItemState, Event, ItemState)] = {
    use Event::*;
    use ItemState::*;
    &[
        (Transferred, TransferReceipt { accepted: true }, Received),
        (Transferred, TransferReceipt { accepted: false }, Refused),
        (Received, Status(ReportedStatus::InReview), InReview),
        (InReview, Status(ReportedStatus::Suspended), InReview),
        (InReview, Status(ReportedStatus::Resumed), InReview),
        (InReview, SupplementRequest, SupplementRequested),
        (SupplementRequested, Supplement, Supplemented),
        (Supplemented, SupplementRequest, SupplementRequested),
        (Supplemented, Status(ReportedStatus::InReview), InReview),
        (InReview, Decision, Decided),
        (Supplemented, Decision, Decided),
        (Decided, Status(ReportedStatus::Closed), Closed),
        (Transferred, Withdrawal, Withdrawn),
        (Decided, Withdrawal, Withdrawn),
        (Received, Withdrawal, Withdrawn),
        (InReview, Withdrawal, Withdrawn),
        (SupplementRequested, Withdrawal, Withdrawn),
        (Supplemented, Withdrawal, Withdrawn),
        (Received, Shipment(ShipmentContents::Originals), Received),
        (InReview, Shipment(ShipmentContents::Originals), InReview),
        (
            SupplementRequested,
            Shipment(ShipmentContents::Originals),
            SupplementRequested,
        ),
        (
            Supplemented,
            Shipment(ShipmentContents::Originals),
            Supplemented,
        ),
        (Decided, Shipment(ShipmentContents::Results), Decided),
        (Decided, Delivery(DeliveryMethod::AtWindow), Closed),
        (Decided, Delivery(DeliveryMethod::Electronic), Closed),
        (Decided, Delivery(DeliveryMethod::Post), Closed),
        (Decided, Evaluation, Decided),
        (Closed, Evaluation, Closed),
        (Refused, Evaluation, Refused),
    ]
};

fn allowed(state: ItemState, event: Event) -> Option<ItemState> {
    if matches!(
        event,
        Event::OtherReceipt
            | Event::ProtocolError
            | Event::FilesReceived
            | Event::ShipmentReceived
            | Event::Rectification
    ) {
        return Some(state);
    }
    DIAGRAM
        .iter()
        .find(|(from, on, _)| *from == state && *on == event)
        .map(|(_, _, to)| *to)
}

fn event(envelope: &Envelope, track: &Track) -> Event {
    match &envelope.body {
        Body::Receipt(receipt) if envelope.in_reply_to.as_ref() == Some(&track.transfer) => {
            Event::TransferReceipt {
                accepted: matches!(receipt.outcome, ReceiptOutcome::Accepted { .. }),
            }
        }
        Body::Receipt(_) => Event::OtherReceipt,
        Body::ProtocolError(_) => Event::ProtocolError,
        Body::StatusUpdate(update) => Event::Status(update.status),
        Body::SupplementRequest(_) => Event::SupplementRequest,
        Body::Supplement(_) => Event::Supplement,
        Body::Decision(_) => Event::Decision,
        Body::Withdrawal(_) => Event::Withdrawal,
        Body::FilesReceived(_) => Event::FilesReceived,
        Body::Shipment(shipment) => Event::Shipment(shipment.contents),
        Body::ShipmentReceived(_) => Event::ShipmentReceived,
        Body::Delivery(delivery) => Event::Delivery(delivery.method),
        Body::Evaluation(_) => Event::Evaluation,
        Body::Rectification(_) => Event::Rectification,
        Body::Transfer(_) => unreachable!("a transfer opens a track"),
        Body::Sealed(_) => unreachable!("a case applies a sealed body only once it is opened"),
    }
}

/// Who must have sent `event` on `track`, if §18 says.
fn sender_of(event: Event, track: &Track) -> Option<&NodeId> {
    match event {
        Event::Supplement
        | Event::Withdrawal
        | Event::Shipment(ShipmentContents::Originals)
        | Event::Delivery(DeliveryMethod::AtWindow)
        | Event::Evaluation => Some(&track.window),
        Event::TransferReceipt { .. }
        | Event::Status(_)
        | Event::SupplementRequest
        | Event::Decision
        | Event::Shipment(ShipmentContents::Results)
        | Event::Rectification
        | Event::Delivery(DeliveryMethod::Electronic | DeliveryMethod::Post) => {
            Some(&track.authority)
        }
        Event::OtherReceipt
        | Event::ProtocolError
        | Event::FilesReceived
        | Event::ShipmentReceived => None,
    }
}

fn check_transfer(before: &Case, after: &Case, message: &Verified, transfer: &Transfer) {
    let envelope = message.envelope();
    let n = before.tracks().len();
    assert_eq!(after.tracks().len(), n + 1, "a transfer opens one track");
    assert_eq!(&after.tracks()[..n], before.tracks(), "and moves no other");
    let track = &after.tracks()[n];
    assert_eq!(track.state, ItemState::Transferred);
    assert_eq!(
        (&track.window, &track.authority, &track.transfer),
        (&envelope.from, &envelope.to, &envelope.id)
    );
    assert_eq!(
        (&track.agreement, &track.item),
        (&envelope.agreement, &transfer.item)
    );
    assert_eq!(&track.transfer_sha256, message.digest());
    assert!(
        !before
            .tracks()
            .iter()
            .any(|t| !t.state.is_final() && t.item == transfer.item && t.authority == envelope.to),
        "a second transfer of an item its authority still has open"
    );
}

fn check_step(before: &Case, after: &Case, message: &Verified, state: ItemState) {
    let envelope = message.envelope();
    if let Body::Transfer(transfer) = &envelope.body {
        assert_eq!(state, ItemState::Transferred);
        return check_transfer(before, after, message, transfer);
    }
    assert_eq!(after.tracks().len(), before.tracks().len());
    let moved: Vec<usize> = (0..after.tracks().len())
        .filter(|&i| after.tracks()[i] != before.tracks()[i])
        .collect();
    let [i] = moved[..] else {
        panic!("{} tracks changed, not one: {moved:?}", moved.len());
    };
    let (old, new) = (&before.tracks()[i], &after.tracks()[i]);
    assert_eq!(new.state, state, "apply returns the new state");
    let mut messages = old.messages.clone();
    messages.insert(envelope.id.clone());
    let mut applied = old.applied.clone();
    applied.push(tongban::lifecycle::AppliedMessage::of(message));
    assert!(
        new.after_final <= tongban::lifecycle::FINAL_ALLOWANCE,
        "a final track takes a bounded number of messages"
    );
    let expected = Track {
        state,
        messages,
        applied,
        received_on: match (old.state, state) {
            (ItemState::Transferred, ItemState::Received) => {
                Some(CalendarDate::in_china(&envelope.created))
            }
            _ => old.received_on,
        },
        after_final: old.after_final
            + u32::from(old.state.is_final() && !matches!(envelope.body, Body::Receipt(_))),
        answered_after_final: {
            let mut answered = old.answered_after_final.clone();
            if let (true, Body::Receipt(_), Some(id)) =
                (old.state.is_final(), &envelope.body, &envelope.in_reply_to)
            {
                answered.insert(id.clone());
            }
            answered
        },
        ..old.clone()
    };
    assert_eq!(
        new, &expected,
        "only state, messages, what was applied, receipt date and what a final track took change"
    );
    assert_eq!(
        envelope.agreement, old.agreement,
        "the track's own agreement"
    );
    let parties = [&old.window, &old.authority];
    assert!(parties.contains(&&envelope.from) && parties.contains(&&envelope.to));

    let event = event(envelope, old);
    assert_eq!(
        allowed(old.state, event),
        Some(state),
        "{event:?} in {:?} is not an edge of §18",
        old.state
    );
    if let Some(sender) = sender_of(event, old) {
        assert_eq!(&envelope.from, sender, "{event:?} from the wrong side");
    }
    if let (Event::TransferReceipt { .. }, Body::Receipt(receipt)) = (event, &envelope.body) {
        assert_eq!(receipt.answers_sha256, old.transfer_sha256);
    }
    // An answer comes from the receiver of what it answers; a receipt binds its digest
    // and answers a message of the track (§18).
    let answered = envelope
        .in_reply_to
        .as_ref()
        .and_then(|id| old.applied_message(id));
    if matches!(
        envelope.body,
        Body::Receipt(_)
            | Body::ProtocolError(_)
            | Body::FilesReceived(_)
            | Body::ShipmentReceived(_)
    ) {
        if let Some(answered) = answered {
            assert_ne!(
                answered.from, envelope.from,
                "an answer to its own sender's message"
            );
        }
    }
    if let Body::Receipt(receipt) = &envelope.body {
        let answered = answered.expect("a receipt answers a message of its track");
        assert_eq!(receipt.answers_sha256, answered.sha256);
    }
}

fn check_case(case: &Case) {
    let tracks = case.tracks();
    let expected = if tracks.is_empty() {
        CaseStatus::Empty
    } else if tracks.iter().all(|t| t.state.is_final()) {
        CaseStatus::Completed
    } else if tracks
        .iter()
        .all(|t| t.state.is_final() || t.state == ItemState::Decided)
    {
        CaseStatus::Decided
    } else {
        CaseStatus::InProgress
    };
    assert_eq!(case.status(), expected);
    let json = serde_json::to_string(case).expect("a case serializes");
    let back: Case = serde_json::from_str(&json).expect("and deserializes");
    assert_eq!(&back, case);
}

fuzz_target!(|steps: Vec<Step>| {
    let registry = registry();
    let verifier = Verifier::new(registry).any_receiver();
    let mut case = Case::new(must(
        "case",
        CaseId::parse(sample::CASE).map_err(Error::from),
    ));
    let mut sent: Vec<Sent> = Vec::new();
    let mut created = must(
        "time",
        Timestamp::parse(sample::CREATED).map_err(Error::from),
    );
    // Every (sender, id) the verifier accepted: none may be accepted twice, whatever
    // the clock does.
    let mut accepted = BTreeSet::new();
    for (index, step) in steps.iter().take(MAX_STEPS).enumerate() {
        created = must(
            "time",
            created
                .plus_seconds(60 * i64::from(step.minutes))
                .map_err(Error::from),
        );
        let arrived = arrival(step, &created);
        let Some(bytes) = build(index, step, &created, &sent) else {
            continue;
        };
        let parsed = Unverified::parse(&bytes);
        if let Ok(message) = &parsed {
            let id = message.envelope().id.clone();
            sent.push(Sent { bytes, id });
        }
        let message = match parsed.and_then(|m| verifier.verify(m, &arrived)) {
            Ok(message) => message,
            Err(e) => {
                check_error(&e);
                continue;
            }
        };
        let envelope = message.envelope();
        let first = accepted.insert((envelope.from.clone(), envelope.id.clone()));
        assert!(first, "a replay was accepted at {arrived}: {}", envelope.id);
        let before = case.clone();
        match case.apply(&message, registry) {
            Ok(state) => check_step(&before, &case, &message, state),
            Err(e) => {
                check_error(&e);
                assert_eq!(case, before, "a refused message changes nothing");
            }
        }
        check_case(&case);
    }
});
