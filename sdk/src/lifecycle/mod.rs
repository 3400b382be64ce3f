//! The case lifecycle both sides follow, with deadlines in working days.
//!
//! A [`Case`] applies [`Verified`] messages. A case belongs to the window that opened
//! it: its identity is that window and its case id, so two windows may use the same case
//! id and a message of one never moves the other's case (`lifecycle.other_window`).
//! Each transfer opens a [`Track`]: one service item at one competent authority. Joint handling (一事联办, 多地联办) is a case with
//! several tracks, each with its own state and deadline; [`Case::status`] aggregates
//! them. An illegal message is refused with a code and changes nothing.
//!
//! ```text
//! transferred ──receipt accepted──▶ received ──status in_review──▶ in_review ──decision──▶ decided ──status closed──▶ closed
//!      │                                                            │   ▲                   ▲
//!      └──receipt refused──▶ refused                 supplement_request   status in_review / decision
//!                                                                   ▼   │
//!                                            supplement_requested ──supplement──▶ supplemented
//! withdrawal (by the window) from any state that is not final ──▶ withdrawn
//! (1.1) decided ──delivery──▶ closed; shipments and their confirmations, evaluations and
//! rectifications change no state; a supplement that hands in a material the transfer
//! deferred (容缺) is taken in every pending state, and no approving decision comes
//! while one is outstanding
//! ```

mod clock;
mod deferral;
mod evaluation;
mod files;
mod post;
mod theme;

pub use clock::SupplementPause;
pub use evaluation::{EvaluationRecord, DEFAULT_RECTIFICATION_WORKING_DAYS};
pub use files::MessageFiles;
pub use post::ShipmentRecord;
pub use theme::ThemeTrack;

use crate::calendar::CalendarDate;
use crate::digest::{Sha256Digest, Sm3Digest};
use crate::error::{Error, LifecycleError, MessageError, RouteError};
use crate::id::{AgreementId, CaseId, ItemCode, MessageId, NodeId};
use crate::message::{
    Body, DeferredMaterial, DeliveryMethod, Envelope, Receipt, ReceiptOutcome, ReportedStatus,
    ShipmentContents, Supplement, Transfer,
};
use crate::registry::Registry;
use crate::verify::Verified;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

crate::shape::string_enum! {
    /// The state of one item of a case.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
    pub enum ItemState {
        /// Sent, not yet acknowledged.
        Transferred = "transferred",
        /// Acknowledged by the competent authority; the time limit runs from here.
        Received = "received",
        /// Refused by the competent authority's receipt (final).
        Refused = "refused",
        /// Under review.
        InReview = "in_review",
        /// The authority asked for missing or corrected materials (补正).
        SupplementRequested = "supplement_requested",
        /// The applicant supplied them.
        Supplemented = "supplemented",
        /// Decided; the result travels back.
        Decided = "decided",
        /// Closed (final).
        Closed = "closed",
        /// Withdrawn (final).
        Withdrawn = "withdrawn",
    }
}

impl ItemState {
    /// Every state.
    pub const ALL: [ItemState; 9] = [
        ItemState::Transferred,
        ItemState::Received,
        ItemState::Refused,
        ItemState::InReview,
        ItemState::SupplementRequested,
        ItemState::Supplemented,
        ItemState::Decided,
        ItemState::Closed,
        ItemState::Withdrawn,
    ];

    /// Whether nothing more can happen.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemState::Refused | ItemState::Closed | ItemState::Withdrawn
        )
    }

    /// Whether the statutory clock still runs (received, not yet decided).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            ItemState::Received
                | ItemState::InReview
                | ItemState::SupplementRequested
                | ItemState::Supplemented
        )
    }
}

/// Which side of a track sends a message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The service window that received the case and transferred it.
    Window,
    /// The competent authority handling it.
    Authority,
    /// Either side.
    Either,
}

/// The legal transitions: the state after `body` arrives in `state`, or `None`.
/// `answers_transfer` says whether a receipt answers the track's transfer.
pub fn next_state(state: ItemState, body: &Body, answers_transfer: bool) -> Option<ItemState> {
    use ItemState::*;
    match (body, state) {
        (Body::Receipt(receipt), Transferred) if answers_transfer => Some(match receipt.outcome {
            ReceiptOutcome::Accepted { .. } => Received,
            ReceiptOutcome::Refused { .. } => Refused,
        }),
        (Body::Receipt(_), _) if answers_transfer => None,
        (Body::Receipt(_) | Body::ProtocolError(_), s) => Some(s),
        // Allowed in every state once the transfer's receipt is in (so in
        // `transferred` it overtook that receipt, which is transient), and bounded by
        // one per message that references files (§23.5).
        (Body::FilesReceived(_), Transferred) => None,
        (Body::FilesReceived(_), s) => Some(s),
        // (1.1) Originals travel while the case is pending, results once it is decided;
        // a confirmation like files_received, bounded by one per shipment.
        (Body::Shipment(shipment), s) => match (shipment.contents, s) {
            (ShipmentContents::Originals, s) if s.is_pending() => Some(s),
            (ShipmentContents::Results, Decided) => Some(Decided),
            _ => None,
        },
        (Body::ShipmentReceived(_), Transferred) => None,
        (Body::ShipmentReceived(_), s) => Some(s),
        (Body::Delivery(_), Decided) => Some(Closed),
        // (1.1) 好差评: once the handling is done; a rectification answers a poor grade.
        (Body::Evaluation(_), Decided | Closed | Refused) => Some(state),
        (Body::Rectification(_), Transferred) => None,
        (Body::Rectification(_), s) => Some(s),
        (Body::StatusUpdate(update), s) => match (update.status, s) {
            (ReportedStatus::InReview, Received | Supplemented) => Some(InReview),
            (ReportedStatus::Suspended | ReportedStatus::Resumed, InReview) => Some(InReview),
            (ReportedStatus::Closed, Decided) => Some(Closed),
            _ => None,
        },
        (Body::SupplementRequest(_), InReview | Supplemented) => Some(SupplementRequested),
        (Body::Supplement(_), SupplementRequested) => Some(Supplemented),
        (Body::Decision(_), InReview | Supplemented) => Some(Decided),
        (Body::Withdrawal(_), s) if !s.is_final() => Some(Withdrawn),
        _ => None,
    }
}

fn side_of(body: &Body) -> Side {
    match body {
        Body::Transfer(_) | Body::Supplement(_) | Body::Withdrawal(_) | Body::Evaluation(_) => {
            Side::Window
        }
        Body::StatusUpdate(_)
        | Body::SupplementRequest(_)
        | Body::Decision(_)
        | Body::Rectification(_) => Side::Authority,
        Body::Receipt(_)
        | Body::ProtocolError(_)
        | Body::FilesReceived(_)
        | Body::ShipmentReceived(_)
        // Not applied before it is opened (`Case::apply`).
        | Body::Sealed(_) => Side::Either,
        Body::Shipment(shipment) => match shipment.contents {
            ShipmentContents::Originals => Side::Window,
            ShipmentContents::Results => Side::Authority,
        },
        Body::Delivery(delivery) => match delivery.method {
            DeliveryMethod::AtWindow => Side::Window,
            DeliveryMethod::Electronic | DeliveryMethod::Post => Side::Authority,
        },
    }
}

/// Whether the window of a track sends `body` (`Some(true)`), its authority
/// (`Some(false)`), or either side, answering the other (`None`): a receiver that holds
/// two cases with one id finds the message's case by it (§18).
pub fn sent_by_window(body: &Body) -> Option<bool> {
    match side_of(body) {
        Side::Window => Some(true),
        Side::Authority => Some(false),
        Side::Either => None,
    }
}

/// What a track keeps of a message applied to it, to check what answers it (§18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedMessage {
    /// Its id.
    pub id: MessageId,
    /// Its message digest (§9), which a receipt answering it must bind.
    pub sha256: Sha256Digest,
    /// (1.1) Its SM3 digest, which a receipt's `answers_sm3` must be (absent for a
    /// message kept before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sm3: Option<Sm3Digest>,
    /// Its sender; a receipt or protocol error answering it comes from the other end.
    pub from: NodeId,
}

impl AppliedMessage {
    /// What a track keeps of `message`.
    pub fn of(message: &Verified) -> AppliedMessage {
        let envelope = message.envelope();
        AppliedMessage {
            id: envelope.id.clone(),
            sha256: message.digest().clone(),
            sm3: Some(message.sm3_digest()),
            from: envelope.from.clone(),
        }
    }
}

/// One service item of a case at one competent authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    /// The transfer that opened the track.
    pub transfer: MessageId,
    /// SHA-256 of the transfer's canonical bytes, which its receipt must bind.
    pub transfer_sha256: Sha256Digest,
    /// (1.1) SM3 of the same bytes, which its receipt's `answers_sm3` must be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_sm3: Option<Sm3Digest>,
    /// The agreement the transfer travelled under; every message of the track does.
    pub agreement: AgreementId,
    /// The service item.
    pub item: ItemCode,
    /// The window that transferred the case.
    pub window: NodeId,
    /// The competent authority.
    pub authority: NodeId,
    /// Current state.
    pub state: ItemState,
    /// The item's statutory time limit in working days.
    pub time_limit_working_days: u32,
    /// (1.1) The item's committed time limit (承诺时限) in working days, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_working_days: Option<u32>,
    /// The day (China time) the authority's accepting receipt was created; the time
    /// limit runs from the next working day.
    pub received_on: Option<CalendarDate>,
    /// Ids of every message applied to this track.
    pub messages: BTreeSet<MessageId>,
    /// The id, digest and sender of every message applied to this track, in order, so
    /// that a receipt or protocol error answering one is checked against it. (A track
    /// stored before revision 1.0.1 of the specification lacks its earlier messages
    /// here: answers to those are checked only for their direction, and only when they
    /// answer the transfer.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<AppliedMessage>,
    /// Protocol errors applied after the track reached a final state; at most
    /// [`FINAL_ALLOWANCE`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub after_final: u32,
    /// Messages of the track answered by a receipt after it reached a final state; each
    /// is answered once.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub answered_after_final: BTreeSet<MessageId>,
    /// The files each message of the track references, for messages of protocol 1.1
    /// or later (§23).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<MessageFiles>,
    /// Whether the time limit waits for the authority's `files_received` for the
    /// transfer's materials (a 1.1 transfer with materials, §19).
    #[serde(default, skip_serializing_if = "is_false")]
    pub awaits_files: bool,
    /// The day (China time) the authority's `files_received` for the transfer was
    /// created; for a track that [`Track::awaits_files`], the time limit runs from the
    /// next working day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_received_on: Option<CalendarDate>,
    /// (1.1) The shipments of originals and results announced on the track.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipments: Vec<ShipmentRecord>,
    /// (1.1) The applicant's evaluation (好差评), and its rectification for a poor grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<EvaluationRecord>,
    /// (1.1) Whether a 补正 stops the clock: the transfer says 1.1 or later (§19).
    #[serde(default, skip_serializing_if = "is_false")]
    pub pauses_clock: bool,
    /// (1.1) Each 补正 that stopped the clock, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supplement_pauses: Vec<SupplementPause>,
    /// (1.1) The materials the transfer deferred (容缺受理) that no supplement has
    /// handed in yet; the track is not approved while any is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outstanding_materials: Vec<DeferredMaterial>,
    /// (1.1) The theme (一事联办) the track's transfer named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<ThemeTrack>,
}

fn is_false(flag: &bool) -> bool {
    !flag
}

fn is_zero(count: &u32) -> bool {
    *count == 0
}

/// How many protocol errors a track in a final state still takes, so that what a peer
/// can add to a finished case is bounded; later ones are `lifecycle.illegal_transition`.
/// (A receipt is taken only if it answers a message of the track not answered since.)
pub const FINAL_ALLOWANCE: u32 = 4;

/// Where a track stands against its deadline on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The last working day of the time limit.
    pub due: CalendarDate,
    /// Working days left after `today` up to `due` (negative once overdue).
    pub remaining_working_days: i64,
    /// Whether `today` is past `due` while the item is still pending.
    pub overdue: bool,
    /// (1.1) Whether a 补正 stops the clock on `today` before the limit is used up:
    /// `due` is then the day it would be if the supplement came `today`.
    pub paused: bool,
}

impl Track {
    /// `message_type` is not allowed on the track as it stands.
    fn illegal(&self, message_type: &str) -> Error {
        LifecycleError::IllegalTransition {
            state: self.state.as_str(),
            message_type: message_type.to_string(),
        }
        .into()
    }

    /// A message that answers `answered`, which is not what the message's type
    /// answers (`message.not_an_answer`).
    fn not_an_answer(answered: Option<&MessageId>, reason: &'static str) -> Error {
        MessageError::NotAnAnswer {
            message_id: answered.map(ToString::to_string).unwrap_or_default(),
            reason,
        }
        .into()
    }

    /// What the track keeps of its message `id`, if it keeps it.
    pub fn applied_message(&self, id: &MessageId) -> Option<&AppliedMessage> {
        self.applied.iter().find(|applied| &applied.id == id)
    }
}

/// The aggregate status of a case over its tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// No transfer applied yet.
    Empty,
    /// At least one item is still on its way or under review.
    InProgress,
    /// Every item is decided or final, at least one decided and not closed.
    Decided,
    /// Every item is final (closed, refused or withdrawn).
    Completed,
}

/// A case: its tracks and their states. It serializes to JSON and back, so a node can
/// store it between messages and go on applying messages to it after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    id: CaseId,
    tracks: Vec<Track>,
}

impl Case {
    /// An empty case.
    pub fn new(id: CaseId) -> Case {
        Case {
            id,
            tracks: Vec::new(),
        }
    }

    /// The case id.
    pub fn id(&self) -> &CaseId {
        &self.id
    }

    /// The tracks, in the order their transfers were applied.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// The window that opened the case (the sender of its transfers), once one did.
    /// With the case id it is the case's identity.
    pub fn window(&self) -> Option<&NodeId> {
        self.tracks.first().map(|t| &t.window)
    }

    /// Refuses a message of another window's case with the same id: a transfer from
    /// another node than the window, or any other message that is not between the
    /// window and another node.
    fn check_window(&self, envelope: &Envelope, message_type: &str) -> Result<(), Error> {
        let Some(window) = self.window() else {
            return Ok(());
        };
        let belongs = match envelope.body {
            Body::Transfer(_) => &envelope.from == window,
            _ => &envelope.from == window || &envelope.to == window,
        };
        if belongs {
            return Ok(());
        }
        Err(LifecycleError::OtherWindow {
            case: self.id.to_string(),
            window: window.to_string(),
            message_type: message_type.to_string(),
            sender: envelope.from.to_string(),
            receiver: envelope.to.to_string(),
        }
        .into())
    }

    /// The aggregate status.
    pub fn status(&self) -> CaseStatus {
        if self.tracks.is_empty() {
            CaseStatus::Empty
        } else if self.tracks.iter().all(|t| t.state.is_final()) {
            CaseStatus::Completed
        } else if self
            .tracks
            .iter()
            .all(|t| t.state.is_final() || t.state == ItemState::Decided)
        {
            CaseStatus::Decided
        } else {
            CaseStatus::InProgress
        }
    }

    /// Applies a verified message, using `registry` for the item's time limit and a
    /// supplement's form schema. Returns the state of the track it moved. An illegal
    /// message changes nothing.
    pub fn apply(&mut self, message: &Verified, registry: &Registry) -> Result<ItemState, Error> {
        let envelope = message.envelope();
        if envelope.case != self.id {
            return Err(LifecycleError::WrongCase {
                case: envelope.case.to_string(),
                expected: self.id.to_string(),
            }
            .into());
        }
        if envelope.body.sealed().is_some() {
            return Err(crate::error::MessageError::Invalid {
                reason: "/body: sealed; a case applies a message once it is opened \
                         (Verifier::verify_and_open)"
                    .to_string(),
            }
            .into());
        }
        let message_type = describe(&envelope.body);
        self.check_window(envelope, &message_type)?;
        if let Body::Transfer(transfer) = &envelope.body {
            return self.open_track(message, transfer, registry, message_type);
        }
        let index = self.track_for(envelope)?;
        let track = &self.tracks[index];
        let sender_side = if envelope.from == track.window {
            Side::Window
        } else {
            Side::Authority
        };
        let side = side_of(&envelope.body);
        let answers_transfer = envelope.in_reply_to.as_ref() == Some(&track.transfer);
        let receipt_for_transfer = answers_transfer && matches!(envelope.body, Body::Receipt(_));
        // A receipt, protocol error or files_received comes from the receiver of the
        // message it answers (the transfer's receipt from the authority).
        // (The transfer's sender is the track's window, also in tracks stored before
        // revision 1.0.1, which kept no senders.)
        let answered_by =
            envelope
                .in_reply_to
                .as_ref()
                .and_then(|id| match track.applied_message(id) {
                    Some(applied) => Some(&applied.from),
                    None => (id == &track.transfer).then_some(&track.window),
                });
        let answers_itself = answered_by == Some(&envelope.from) && side == Side::Either;
        let wrong_side = (side != Side::Either && side != sender_side) || answers_itself;
        if wrong_side {
            return Err(LifecycleError::WrongParty {
                message_type,
                sender: envelope.from.to_string(),
            }
            .into());
        }
        if let Body::Receipt(receipt) = &envelope.body {
            check_receipt_digest(track, envelope, receipt)?;
        }
        match &envelope.body {
            Body::FilesReceived(body) => {
                track.check_files_received(envelope, body, &message_type)?
            }
            Body::ShipmentReceived(_) => track.check_shipment_received(envelope, &message_type)?,
            Body::Evaluation(_) => track.check_evaluation(&message_type)?,
            Body::Rectification(_) => track.check_rectification(envelope, &message_type)?,
            _ => {}
        }
        let next = match next_state(track.state, &envelope.body, receipt_for_transfer) {
            Some(_) if track.state.is_final() && !takes_after_final(track, envelope) => {
                return Err(LifecycleError::IllegalTransition {
                    state: track.state.as_str(),
                    message_type,
                }
                .into())
            }
            Some(next) => next,
            // (1.1) A supplement that hands in a material accepted as missing.
            None if track.hands_in_outstanding(&envelope.body) => track.state,
            // The authority answered the transfer, so it accepted it; its receipt has
            // not reached this side yet (it travels separately and may be delayed).
            None if track.state == ItemState::Transferred
                && sender_side == Side::Authority
                && next_state(ItemState::Received, &envelope.body, false).is_some() =>
            {
                return Err(LifecycleError::ReceiptPending { message_type }.into());
            }
            None => {
                return Err(LifecycleError::IllegalTransition {
                    state: track.state.as_str(),
                    message_type,
                }
                .into())
            }
        };
        track.check_outstanding(&envelope.body)?;
        // A supplement's form is the item's whole corrected form data, checked like a
        // transfer's against the item's form schema (the item is the track's).
        if let Body::Supplement(Supplement {
            form: Some(form), ..
        }) = &envelope.body
        {
            registry.check_form(&track.agreement, &track.item, form)?;
        }
        self.check_file_limits(envelope)?;
        let track = &mut self.tracks[index];
        if track.state == ItemState::Transferred && next == ItemState::Received {
            track.received_on = Some(CalendarDate::in_china(&envelope.created));
        }
        if track.state.is_final() {
            match (&envelope.body, &envelope.in_reply_to) {
                (Body::Receipt(_), Some(answered)) => {
                    track.answered_after_final.insert(answered.clone());
                }
                _ => track.after_final += 1,
            }
        }
        track.state = next;
        track.messages.insert(envelope.id.clone());
        track.applied.push(AppliedMessage::of(message));
        track.record_files(envelope);
        track.record_shipment(envelope);
        track.record_evaluation(envelope, registry);
        track.record_pause(envelope);
        track.record_handed_in(envelope);
        if let Body::FilesReceived(_) = &envelope.body {
            track.apply_files_received(envelope);
        }
        Ok(next)
    }

    /// A transfer opens a track, unless the same item is still open at the same
    /// authority.
    fn open_track(
        &mut self,
        message: &Verified,
        transfer: &Transfer,
        registry: &Registry,
        message_type: String,
    ) -> Result<ItemState, Error> {
        let envelope = message.envelope();
        let open_twice = self
            .tracks
            .iter()
            .any(|t| !t.state.is_final() && t.item == transfer.item && t.authority == envelope.to);
        if open_twice {
            return Err(LifecycleError::IllegalTransition {
                state: "open",
                message_type,
            }
            .into());
        }
        let item = registry
            .item(&envelope.agreement, &transfer.item)
            .ok_or_else(|| RouteError::UnknownItem {
                item: transfer.item.to_string(),
                agreement: envelope.agreement.to_string(),
            })?;
        let theme = self.theme_of(transfer, &envelope.agreement, registry)?;
        self.check_file_limits(envelope)?;
        let mut track = Track {
            transfer: envelope.id.clone(),
            transfer_sha256: message.digest().clone(),
            transfer_sm3: Some(message.sm3_digest()),
            agreement: envelope.agreement.clone(),
            item: transfer.item.clone(),
            window: envelope.from.clone(),
            authority: envelope.to.clone(),
            state: ItemState::Transferred,
            time_limit_working_days: item.time_limit_working_days,
            committed_working_days: item.committed_working_days,
            received_on: None,
            messages: BTreeSet::from([envelope.id.clone()]),
            applied: vec![AppliedMessage::of(message)],
            after_final: 0,
            answered_after_final: BTreeSet::new(),
            files: Vec::new(),
            awaits_files: files::exchanges_files(envelope)
                && !crate::file::references(&envelope.body).is_empty(),
            files_received_on: None,
            shipments: Vec::new(),
            evaluation: None,
            pauses_clock: envelope.protocol >= crate::version::ProtocolVersion::V1_1,
            supplement_pauses: Vec::new(),
            outstanding_materials: Track::deferred_by(transfer),
            theme,
        };
        track.record_files(envelope);
        self.tracks.push(track);
        Ok(ItemState::Transferred)
    }

    /// The track a non-transfer message belongs to: the one holding the message it
    /// answers, or the only open track between its two nodes. Tracks are matched by
    /// direction: the track's window is one end of the message (the case's window, see
    /// [`Case::check_window`]) and its authority the other.
    fn track_for(&self, envelope: &Envelope) -> Result<usize, Error> {
        let between = |t: &Track| {
            let authority = if envelope.from == t.window {
                &envelope.to
            } else if envelope.to == t.window {
                &envelope.from
            } else {
                return false;
            };
            t.agreement == envelope.agreement && &t.authority == authority
        };
        if let Some(answered) = &envelope.in_reply_to {
            if let Some(i) = self
                .tracks
                .iter()
                .position(|t| between(t) && t.messages.contains(answered))
            {
                return Ok(i);
            }
        }
        let mut candidates = self
            .tracks
            .iter()
            .enumerate()
            .filter(|(_, t)| between(t) && !t.state.is_final());
        match (candidates.next(), candidates.next()) {
            (Some((i, _)), None) => Ok(i),
            _ => Err(LifecycleError::NoTrack {
                message_id: envelope.id.to_string(),
            }
            .into()),
        }
    }
}

/// A receipt binds the digest of the message it answers, which must be a message of its
/// track (§18): `message.not_an_answer` otherwise.
fn check_receipt_digest(
    track: &Track,
    envelope: &Envelope,
    receipt: &Receipt,
) -> Result<(), Error> {
    let Some(answered) = envelope.in_reply_to.as_ref() else {
        return Ok(()); // refused when parsed: a receipt has in_reply_to
    };
    let expected = if answered == &track.transfer {
        Some((&track.transfer_sha256, track.transfer_sm3.as_ref()))
    } else if let Some(applied) = track.applied_message(answered) {
        Some((&applied.sha256, applied.sm3.as_ref()))
    } else if track.messages.contains(answered) {
        None // stored before revision 1.0.1: its digest was not kept
    } else {
        return Err(MessageError::NotAnAnswer {
            message_id: answered.to_string(),
            reason: "it names no message of its track",
        }
        .into());
    };
    let Some((sha256, sm3)) = expected else {
        return Ok(());
    };
    let reason = if sha256 != &receipt.answers_sha256 {
        "answers_sha256 differs from the answered message's digest"
    } else if matches!((sm3, &receipt.answers_sm3), (Some(kept), Some(given)) if kept != given) {
        "answers_sm3 differs from the answered message's SM3 digest"
    } else {
        return Ok(());
    };
    Err(MessageError::NotAnAnswer {
        message_id: answered.to_string(),
        reason,
    }
    .into())
}

/// Whether a track in a final state takes `envelope` (a receipt or a protocol error,
/// the only messages allowed there): a receipt that answers one of its messages not
/// answered since it became final, or one of its first [`FINAL_ALLOWANCE`] protocol
/// errors.
fn takes_after_final(track: &Track, envelope: &Envelope) -> bool {
    match (&envelope.body, &envelope.in_reply_to) {
        // Bounded, as checked before: one files_received per message that references
        // files, one shipment_received per shipment, one evaluation and one
        // rectification per track.
        (
            Body::FilesReceived(_)
            | Body::ShipmentReceived(_)
            | Body::Evaluation(_)
            | Body::Rectification(_),
            _,
        ) => true,
        (Body::Receipt(_), Some(answered)) => {
            track.messages.contains(answered) && !track.answered_after_final.contains(answered)
        }
        (Body::Receipt(_), None) => false,
        _ => track.after_final < FINAL_ALLOWANCE,
    }
}

/// A message's type, with the status or outcome that decides its transition.
fn describe(body: &Body) -> String {
    let detail = match body {
        Body::StatusUpdate(u) => serde_json::to_value(u.status).ok(),
        Body::Receipt(r) => match r.outcome {
            ReceiptOutcome::Accepted { .. } => Some("accepted".into()),
            ReceiptOutcome::Refused { .. } => Some("refused".into()),
        },
        Body::Shipment(s) => Some(s.contents.as_str().into()),
        Body::Delivery(d) => Some(d.method.as_str().into()),
        Body::Evaluation(e) => Some(e.grade.as_str().into()),
        _ => None,
    };
    match detail.as_ref().and_then(|d| d.as_str()) {
        Some(detail) => format!("{} ({detail})", body.message_type()),
        None => body.message_type().to_string(),
    }
}
