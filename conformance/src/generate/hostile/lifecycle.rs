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

    /// The refusal of this step in `from` when the diagram has no such transition.
    fn refusal(self, from: &str) -> &'static str {
        let is_receipt = matches!(self, Step::ReceiptAccepted | Step::ReceiptRefused);
        if matches!(from, "refused" | "closed" | "withdrawn") && !is_receipt {
            // No open track between the two nodes; a receipt finds the transfer's.
            "lifecycle.no_track"
        } else if from == "transferred"
            && self.sender() == JIUJIANG
            && self.transition("received").is_some()
        {
            "lifecycle.receipt_pending"
        } else {
            "lifecycle.illegal_transition"
        }
    }
}

/// The steps that lead a new track to `state`.
fn path_to(state: &str) -> Vec<Step> {
    use ReportedStatus::*;
    let mut path = vec![Step::Transfer];
    let rest: &[Step] = match state {
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
    };
    path.extend_from_slice(rest);
    path
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

/// Sends `step` in `talk`; receipts answer `transfer`.
fn send(talk: &mut Talk, step: Step, transfer: Option<&Envelope>, expected: Value) -> Envelope {
    let (body, answers) = match (step, transfer) {
        (Step::Transfer, _) => (barber(), None),
        (Step::ReceiptAccepted, Some(t)) => (receipt(t, true), Some(&t.id)),
        (Step::ReceiptRefused, Some(t)) => (receipt(t, false), Some(&t.id)),
        (Step::Status(s), _) => (status(s), None),
        (Step::SupplementRequest, _) => (other(MessageType::SupplementRequest), None),
        (Step::Supplement, _) => (other(MessageType::Supplement), None),
        (Step::Decision, _) => (other(MessageType::Decision), None),
        _ => (other(MessageType::Withdrawal), None),
    };
    talk.send(step.sender(), body, answers, expected)
}

pub(super) fn transitions(g: &mut Gen, registry: &str) {
    for from in STATES {
        for step in STEPS {
            let mut talk = Talk::new(g);
            let mut transfer: Option<Envelope> = None;
            let mut current = "";
            for earlier in path_to(from) {
                current = earlier.transition(current).unwrap_or("transferred");
                let sent = send(&mut talk, earlier, transfer.as_ref(), state(current));
                if earlier == Step::Transfer {
                    transfer = Some(sent);
                }
            }
            let (expected, outcome) = match step.transition(from) {
                Some(next) => (state(next), format!("accepted, now {next}")),
                None => {
                    let code = step.refusal(from);
                    (refused(code), format!("refused with {code}"))
                }
            };
            send(&mut talk, step, transfer.as_ref(), expected);
            let (messages, results) = (talk.messages, talk.results);
            g.push(
                &format!(
                    "hostile/lifecycle/{}-{}",
                    from.replace('_', "-"),
                    step.name()
                ),
                &format!(
                    "{} in state {from}: {outcome}",
                    step.name().replace('-', " ")
                ),
                "lifecycle",
                json!({"registry": registry, "case": sample::CASE, "messages": messages}),
                json!({"outcome": "accepted", "results": results}),
            );
        }
    }
}
