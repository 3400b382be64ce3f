//! Every message in every state of a track (§18): the diagram's transitions are
//! accepted, everything else refused with the code §18 gives.

use super::super::lifecycle::{barber, other, receipt, state, status, Talk};
use super::*;

/// A message a track can receive, from the side that may send it.
#[derive(Clone, Copy, PartialEq)]
enum Step {
    Transfer,
    ReceiptAccepted,
    ReceiptRefused,
    Status(ReportedStatus),
    SupplementRequest,
    Supplement,
    Decision,
    Withdrawal,
}

const STEPS: [Step; 11] = [
    Step::Transfer,
    Step::ReceiptAccepted,
    Step::ReceiptRefused,
    Step::Status(ReportedStatus::InReview),
    Step::Status(ReportedStatus::Suspended),
    Step::Status(ReportedStatus::Resumed),
    Step::Status(ReportedStatus::Closed),
    Step::SupplementRequest,
    Step::Supplement,
    Step::Decision,
    Step::Withdrawal,
];

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Transfer => "transfer",
            Step::ReceiptAccepted => "receipt-accepted",
            Step::ReceiptRefused => "receipt-refused",
            Step::Status(ReportedStatus::InReview) => "status-in-review",
            Step::Status(ReportedStatus::Suspended) => "status-suspended",
            Step::Status(ReportedStatus::Resumed) => "status-resumed",
            Step::Status(_) => "status-closed",
            Step::SupplementRequest => "supplement-request",
            Step::Supplement => "supplement",
            Step::Decision => "decision",
            Step::Withdrawal => "withdrawal",
        }
    }

    /// The window sends transfers, supplements and withdrawals; the authority the rest.
    fn sender(self) -> &'static str {
        match self {
            Step::Transfer | Step::Supplement | Step::Withdrawal => HUANGSHI,
            _ => JIUJIANG,
        }
    }

    /// The state after this step in `from`, if the diagram of §18 has that transition.
    fn transition(self, from: &str) -> Option<&'static str> {
        use ReportedStatus::*;
        Some(match (from, self) {
            ("refused" | "closed" | "withdrawn", Step::Transfer) => "transferred",
            ("transferred", Step::ReceiptAccepted) => "received",
            ("transferred", Step::ReceiptRefused) => "refused",
            ("received" | "supplemented", Step::Status(InReview)) => "in_review",
            ("in_review", Step::Status(Suspended | Resumed)) => "in_review",
            ("in_review" | "supplemented", Step::SupplementRequest) => "supplement_requested",
            ("supplement_requested", Step::Supplement) => "supplemented",
            ("in_review" | "supplemented", Step::Decision) => "decided",
            ("decided", Step::Status(Closed)) => "closed",
            (
                "transferred"
                | "received"
                | "in_review"
                | "supplement_requested"
                | "supplemented"
                | "decided",
                Step::Withdrawal,
            ) => "withdrawn",
            _ => return None,
        })
    }

    /// The refusal of this step in `from` when the diagram has no such transition (the
    /// step answers the transfer, so it reaches the track even when that is final).
    fn refusal(self, from: &str) -> &'static str {
        if from == "transferred"
            && self.sender() == JIUJIANG
            && self.transition("received").is_some()
        {
            "lifecycle.receipt_pending"
        } else {
            "lifecycle.illegal_transition"
        }
    }
}

/// The steps after the transfer that lead its track to `state`.
fn path_to(state: &str) -> &'static [Step] {
    use ReportedStatus::*;
    match state {
        "received" => &[Step::ReceiptAccepted],
        "refused" => &[Step::ReceiptRefused],
        "in_review" => &[Step::ReceiptAccepted, Step::Status(InReview)],
        "supplement_requested" => &[
            Step::ReceiptAccepted,
            Step::Status(InReview),
            Step::SupplementRequest,
        ],
        "supplemented" => &[
            Step::ReceiptAccepted,
            Step::Status(InReview),
            Step::SupplementRequest,
            Step::Supplement,
        ],
        "decided" => &[
            Step::ReceiptAccepted,
            Step::Status(InReview),
            Step::Decision,
        ],
        "closed" => &[
            Step::ReceiptAccepted,
            Step::Status(InReview),
            Step::Decision,
            Step::Status(Closed),
        ],
        "withdrawn" => &[Step::Withdrawal],
        _ => &[],
    }
}

const STATES: [&str; 9] = [
    "transferred",
    "received",
    "refused",
    "in_review",
    "supplement_requested",
    "supplemented",
    "decided",
    "closed",
    "withdrawn",
];

/// The body of `step`; a receipt answers `transfer`.
fn body(step: Step, transfer: &Envelope) -> Body {
    match step {
        Step::Transfer => barber(),
        Step::ReceiptAccepted => receipt(transfer, true),
        Step::ReceiptRefused => receipt(transfer, false),
        Step::Status(s) => status(s),
        Step::SupplementRequest => other(MessageType::SupplementRequest),
        Step::Supplement => other(MessageType::Supplement),
        Step::Decision => other(MessageType::Decision),
        Step::Withdrawal => other(MessageType::Withdrawal),
    }
}

/// A new track led to `state`: the conversation so far, its transfer and its last
/// message.
fn track_in<'g>(g: &'g mut Gen, target: &str) -> (Talk<'g>, Envelope, Envelope) {
    let mut talk = Talk::new(g);
    let transfer = talk.send(HUANGSHI, barber(), None, state("transferred"));
    let mut current = "transferred";
    let mut last = transfer.clone();
    for &step in path_to(target) {
        current = step
            .transition(current)
            .unwrap_or_else(|| panic!("generator: the path to {target} leaves the diagram"));
        let answers =
            matches!(step, Step::ReceiptAccepted | Step::ReceiptRefused).then_some(&transfer.id);
        last = talk.send(
            step.sender(),
            body(step, &transfer),
            answers,
            state(current),
        );
    }
    (talk, transfer, last)
}

/// Pushes the vector `hostile/lifecycle/<name>` of a conversation's messages and results.
fn push_track(
    g: &mut Gen,
    registry: &str,
    name: &str,
    description: &str,
    talk: (Vec<Value>, Vec<Value>),
) {
    let (messages, results) = talk;
    g.push(
        &format!("hostile/lifecycle/{name}"),
        description,
        "lifecycle",
        json!({"registry": registry, "case": sample::CASE, "messages": messages}),
        json!({"outcome": "accepted", "results": results}),
    );
}

pub(super) fn transitions(g: &mut Gen, registry: &str) {
    for from in STATES {
        let state_name = from.replace('_', "-");
        // Every step, from its own side, answering the transfer: the diagram decides.
        for step in STEPS {
            let (mut talk, transfer, _) = track_in(g, from);
            let (expected, outcome) = match step.transition(from) {
                Some(next) => (state(next), format!("accepted, now {next}")),
                None => {
                    let code = step.refusal(from);
                    (refused(code), format!("refused with {code}"))
                }
            };
            let answers = (step != Step::Transfer).then_some(&transfer.id);
            talk.send(step.sender(), body(step, &transfer), answers, expected);
            let description = format!(
                "{} in state {from}: {outcome}",
                step.name().replace('-', " ")
            );
            let parts = (talk.messages, talk.results);

            push_track(
                g,
                registry,
                &format!("{state_name}-{}", step.name()),
                &description,
                parts,
            );
        }
        // A receipt of the last message, from the side that received it: allowed in every
        // state, and it changes nothing.
        if from != "transferred" {
            let (mut talk, _, last) = track_in(g, from);
            let sender = if last.from.as_str() == HUANGSHI {
                JIUJIANG
            } else {
                HUANGSHI
            };
            talk.send(sender, receipt(&last, true), Some(&last.id), state(from));
            let description =
                format!("a receipt of the last message in state {from}: accepted, still {from}");
            let parts = (talk.messages, talk.results);

            push_track(
                g,
                registry,
                &format!("{state_name}-receipt-of-last-message"),
                &description,
                parts,
            );
        }
        if matches!(from, "refused" | "closed" | "withdrawn") {
            // Without in_reply_to a message goes to the only open track: there is none.
            let (mut talk, _, _) = track_in(g, from);
            talk.send(
                HUANGSHI,
                other(MessageType::Withdrawal),
                None,
                refused("lifecycle.no_track"),
            );
            let description =
                format!("a withdrawal that answers nothing in state {from}: no open track");
            let parts = (talk.messages, talk.results);

            push_track(
                g,
                registry,
                &format!("{state_name}-no-open-track"),
                &description,
                parts,
            );
        } else {
            // The window's message from the authority: its side is checked before the table.
            let (mut talk, transfer, _) = track_in(g, from);
            talk.send(
                JIUJIANG,
                other(MessageType::Withdrawal),
                Some(&transfer.id),
                refused("lifecycle.wrong_party"),
            );
            let description =
                format!("a withdrawal by the authority in state {from}: the window's message");
            let parts = (talk.messages, talk.results);

            push_track(
                g,
                registry,
                &format!("{state_name}-withdrawal-by-authority"),
                &description,
                parts,
            );
        }
    }
}
