//! Protocol 1.1's 好差评 (PROTOCOL §6 `evaluation`, `rectification`; §18, §19): one
//! evaluation per track once the handling is done, and the rectification (整改) that a
//! poor grade calls for, due within the item's limit. Generated after the other 1.1
//! vectors, so that earlier vectors keep their ids.

use super::lifecycle::{
    barber, decided, other, push_scenarios_in, receipt, received, state, status, Script, Talk,
};
use super::registry::registry_vector;
use super::settled::{edited_registry, social_card};
use super::*;

pub(super) fn evaluation(g: &mut Gen, keys: &str, registry: &str) {
    bodies(g, keys);
    lifecycle(g, registry);
    limits(g);
}

/// The catalogue's `rectification_working_days` is 0 to 1,000, like the time limit (§15).
fn limits(g: &mut Gen) {
    let limit = |days: u64| {
        edited_registry(&|d| {
            d["agreements"][2]["items"][0]["rectification_working_days"] = json!(days)
        })
    };
    let cases = [
        (
            "rectification-limit-too-long",
            "an item that gives the authority 1,001 working days to rectify a poor grade (at most 1,000)",
            limit(1001),
            refused("registry.invalid"),
        ),
        (
            "rectification-limit-longest",
            "an item that gives the authority 1,000 working days to rectify a poor grade, the most there is",
            limit(1000),
            json!({"outcome": "accepted", "version": 1}),
        ),
    ];
    for (name, description, offered, expected) in cases {
        let id = format!("registry/{name}");
        registry_vector(g, &id, description, None, offered, T0, expected);
    }
}

fn graded(grade: Grade) -> Body {
    Body::Evaluation(sample::evaluation(grade, ts(T0)))
}

fn rectification() -> Body {
    other(MessageType::Rectification)
}

/// The rules of each body that a parser checks (§2 step 8), one vector each.
fn bodies(g: &mut Gen, keys: &str) {
    let poor = answer_1_1(g, HUANGSHI, graded(Grade::Dissatisfied));
    let answer = answer_1_1(g, JIUJIANG, rectification());
    let cases: Vec<EditedCase> = vec![
        (
            "evaluation-in-a-1.0-message",
            "an evaluation in a message that says 1.0: the type exists since 1.1",
            HUANGSHI,
            &poor,
            Box::new(|d| d["protocol"] = json!("1.0")),
            refused("message.unknown_type"),
        ),
        (
            "evaluation-grade-unknown",
            "a grade outside the national five (`excellent`)",
            HUANGSHI,
            &poor,
            Box::new(|d| d["body"]["grade"] = json!("excellent")),
            refused("message.invalid"),
        ),
        (
            "evaluation-grade-as-a-number",
            "a grade written as a number of stars (5): the grades are names",
            HUANGSHI,
            &poor,
            Box::new(|d| d["body"]["grade"] = json!(5)),
            refused("message.invalid"),
        ),
        (
            "evaluation-at-created",
            "an evaluation given at its message's created: not after it, so accepted",
            HUANGSHI,
            &poor,
            Box::new(|_| {}),
            json!({"outcome": "accepted", "type": "evaluation"}),
        ),
        (
            "evaluation-after-created",
            "an evaluation given a second after its message's created",
            HUANGSHI,
            &poor,
            Box::new(|d| d["body"]["evaluated_at"] = json!("2026-11-28T10:00:01+08:00")),
            refused("message.invalid"),
        ),
        (
            "rectification-without-in-reply-to",
            "a rectification that names no evaluation: in_reply_to is required",
            JIUJIANG,
            &answer,
            Box::new(|d| {
                d.as_object_mut().map(|d| d.remove("in_reply_to"));
            }),
            refused("message.invalid"),
        ),
        (
            "rectification-called-back-after-created",
            "a rectification whose call back is a second after its message's created",
            JIUJIANG,
            &answer,
            Box::new(|d| d["body"]["called_back_at"] = json!("2026-11-28T10:00:01+08:00")),
            refused("message.invalid"),
        ),
    ];
    edited_envelope_vectors(g, keys, cases);
}

/// An accepted outcome in `state`, with the last day of the rectification (§19).
fn rectification_due(state: &str, due: &str) -> Value {
    json!({"outcome": "accepted", "state": state, "rectification_due": due})
}

/// The 1.1 barber-shop case, decided; returns its transfer.
fn decided_1_1(t: &mut Talk) -> Envelope {
    t.protocol = ProtocolVersion::V1_1;
    decided(t)
}

fn lifecycle(g: &mut Gen, registry: &str) {
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "evaluation-poor-and-rectified",
            "a poor grade after the decision on Saturday 2026-11-28, answered by the authority's rectification: due on the 15th working day after (the default, the item sets none), Friday 2026-12-18",
            Box::new(|t| {
                decided_1_1(t);
                let due = rectification_due("decided", "2026-12-18");
                let poor = t.send(HUANGSHI, graded(Grade::VeryDissatisfied), None, due.clone());
                t.send(JIUJIANG, rectification(), Some(&poor.id), due);
            }),
        ),
        (
            "evaluation-catalogue-limit-over-national-day",
            "a poor grade of a social-security card replacement (rectified within 5 working days, as its item says) on Wednesday 2026-09-30: 1–7 October are holidays and Saturday 10 October a working day, so due Tuesday 2026-10-13",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                t.minute = -59 * 24 * 60;
                let transfer = t.send(HUANGSHI, social_card(), None, state("transferred"));
                t.send(JIUJIANG, receipt(&transfer, true), Some(&transfer.id), state("received"));
                t.send(JIUJIANG, status(ReportedStatus::InReview), None, state("in_review"));
                t.send(JIUJIANG, other(MessageType::Decision), None, state("decided"));
                let due = rectification_due("decided", "2026-10-13");
                let at = ts("2026-09-30T10:00:00+08:00");
                let poor = Body::Evaluation(sample::evaluation(Grade::Dissatisfied, at));
                t.send(HUANGSHI, poor, None, due);
            }),
        ),
        (
            "evaluation-good-opens-nothing",
            "a basically satisfied grade opens no rectification: no rectification_due",
            Box::new(|t| {
                decided_1_1(t);
                let good = json!({"outcome": "accepted", "state": "decided", "rectification_due": null});
                t.send(HUANGSHI, graded(Grade::BasicallySatisfied), None, good);
            }),
        ),
        (
            "evaluation-before-decision",
            "an evaluation while the case is in review: the handling is not done",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                received(t);
                t.send(HUANGSHI, graded(Grade::Satisfied), None, refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "evaluation-by-the-authority",
            "the authority sends an evaluation: the window sends the applicant's",
            Box::new(|t| {
                decided_1_1(t);
                t.send(JIUJIANG, graded(Grade::VerySatisfied), None, refused("lifecycle.wrong_party"));
            }),
        ),
        (
            "evaluation-twice",
            "a second evaluation of one track",
            Box::new(|t| {
                decided_1_1(t);
                t.send(HUANGSHI, graded(Grade::Satisfied), None, state("decided"));
                t.send(HUANGSHI, graded(Grade::Dissatisfied), None, refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "evaluation-after-close",
            "an evaluation once the track is closed, naming its transfer so that it finds the track",
            Box::new(|t| {
                let transfer = decided_1_1(t);
                t.send(JIUJIANG, status(ReportedStatus::Closed), None, state("closed"));
                t.send(HUANGSHI, graded(Grade::BasicallySatisfied), Some(&transfer.id), state("closed"));
            }),
        ),
        (
            "evaluation-after-refusal",
            "an evaluation of a transfer the authority refused",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(JIUJIANG, receipt(&transfer, false), Some(&transfer.id), state("refused"));
                t.send(HUANGSHI, graded(Grade::Dissatisfied), Some(&transfer.id), state("refused"));
            }),
        ),
        (
            "rectification-of-a-good-grade",
            "a rectification answering a satisfied grade: only a poor grade calls for one",
            Box::new(|t| {
                decided_1_1(t);
                let good = t.send(HUANGSHI, graded(Grade::Satisfied), None, state("decided"));
                t.send(JIUJIANG, rectification(), Some(&good.id), refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "rectification-of-no-evaluation",
            "a rectification answering the transfer, which is no evaluation",
            Box::new(|t| {
                let transfer = decided_1_1(t);
                t.send(JIUJIANG, rectification(), Some(&transfer.id), refused("message.not_an_answer"));
            }),
        ),
        (
            "rectification-twice",
            "a second rectification of one poor grade",
            Box::new(|t| {
                decided_1_1(t);
                let poor = t.send(HUANGSHI, graded(Grade::Dissatisfied), None, state("decided"));
                t.send(JIUJIANG, rectification(), Some(&poor.id), state("decided"));
                t.send(JIUJIANG, rectification(), Some(&poor.id), refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "rectification-by-the-window",
            "the window sends a rectification: the authority owes it",
            Box::new(|t| {
                decided_1_1(t);
                let poor = t.send(HUANGSHI, graded(Grade::Dissatisfied), None, state("decided"));
                t.send(HUANGSHI, rectification(), Some(&poor.id), refused("lifecycle.wrong_party"));
            }),
        ),
    ];
    push_scenarios_in(g, "lifecycle", registry, scenarios);
}
