//! Protocol 1.1's clock (PROTOCOL §19): a 补正 stops the clock of a track whose transfer
//! says 1.1 (the working days after the request's day, up to and including the
//! supplement's, are the applicant's), the committed limit (承诺时限) runs beside the
//! statutory one, and a 1.0 track's clock does not stop. Over the real 2026 calendar.
//! Generated after the other 1.1 vectors, so that earlier vectors keep their ids.

use super::files::{digests, files_received};
use super::lifecycle::{barber, other, push_scenarios_in, receipt, state, status, Script, Talk};
use super::registry::registry_vector;
use super::settled::{edited_registry, social_card};
use super::*;

pub(super) fn clock(g: &mut Gen, registry: &str) {
    lifecycle(g, registry);
    limits(g);
}

/// An accepted outcome in `state` with the statutory and committed due days (`null`:
/// none, or the clock is stopped).
fn due(state: &str, due: Option<&str>, committed: Option<&str>) -> Value {
    json!({"outcome": "accepted", "state": state, "due": due, "committed_due": committed})
}

/// Moves the conversation to 10:00 on the day `days` after its first day.
fn on_day(t: &mut Talk, first_minute: i64, days: i64) {
    t.minute = first_minute + days * 24 * 60;
}

fn lifecycle(g: &mut Gen, registry: &str) {
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "clock-stopped-by-a-supplement-request",
            "a 1.1 barber's licence (3 working days by law, 1 promised) whose clock starts on Saturday 2026-11-28 (files held): due Wednesday 2 December, promised Monday 30 November; the 补正 of Tuesday 1 December stops it with 1 day left (no due day while the supplement is outstanding; the promise had already passed), and the supplement of Monday 7 December restarts it: due Tuesday 8 December",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(JIUJIANG, receipt(&transfer, true), Some(&transfer.id), due("received", None, None));
                let held = files_received(digests(&transfer));
                let promised = Some("2026-11-30");
                t.send(JIUJIANG, held, Some(&transfer.id), due("received", Some("2026-12-02"), promised));
                on_day(t, 0, 2);
                t.send(JIUJIANG, status(ReportedStatus::InReview), None, due("in_review", Some("2026-12-02"), promised));
                on_day(t, 0, 3);
                t.send(JIUJIANG, other(MessageType::SupplementRequest), None, due("supplement_requested", None, promised));
                on_day(t, 0, 9);
                t.send(HUANGSHI, other(MessageType::Supplement), None, due("supplemented", Some("2026-12-08"), promised));
            }),
        ),
        (
            "clock-of-1.0-not-stopped",
            "the same case in 1.0: the clock starts at the receipt on Saturday 2026-11-28 and does not stop for the 补正 of Tuesday 1 December: due Wednesday 2 December throughout",
            Box::new(|t| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                let promised = Some("2026-11-30");
                t.send(JIUJIANG, receipt(&transfer, true), Some(&transfer.id), due("received", Some("2026-12-02"), promised));
                on_day(t, 0, 2);
                t.send(JIUJIANG, status(ReportedStatus::InReview), None, due("in_review", Some("2026-12-02"), promised));
                on_day(t, 0, 3);
                t.send(JIUJIANG, other(MessageType::SupplementRequest), None, due("supplement_requested", Some("2026-12-02"), promised));
                on_day(t, 0, 9);
                t.send(HUANGSHI, other(MessageType::Supplement), None, due("supplemented", Some("2026-12-02"), promised));
            }),
        ),
        (
            "clock-stopped-twice-over-national-day",
            "a 1.1 social-security card replacement (5 working days, none promised) held on Tuesday 2026-09-22: due Wednesday 30 September (25–27 September are holidays); 补正 on Thursday 24 September (2 days used), supplement on Tuesday 29 September: due Friday 9 October (1–7 October are holidays); 补正 again on Thursday 8 October (2 more used), supplement on Monday 12 October: the working Saturday 10 October fell inside the stop, so due Tuesday 13 October",
            Box::new(|t| {
                const SEPTEMBER_22: i64 = -67 * 24 * 60;
                t.protocol = ProtocolVersion::V1_1;
                t.minute = SEPTEMBER_22;
                let transfer = t.send(HUANGSHI, social_card(), None, state("transferred"));
                t.send(JIUJIANG, receipt(&transfer, true), Some(&transfer.id), state("received"));
                let held = files_received(digests(&transfer));
                t.send(JIUJIANG, held, Some(&transfer.id), due("received", Some("2026-09-30"), None));
                t.send(JIUJIANG, status(ReportedStatus::InReview), None, due("in_review", Some("2026-09-30"), None));
                let rounds = [(2, 7, "2026-10-09"), (16, 20, "2026-10-13")];
                for (requested, supplied, then) in rounds {
                    on_day(t, SEPTEMBER_22, requested);
                    t.send(JIUJIANG, other(MessageType::SupplementRequest), None, due("supplement_requested", None, None));
                    on_day(t, SEPTEMBER_22, supplied);
                    t.send(HUANGSHI, other(MessageType::Supplement), None, due("supplemented", Some(then), None));
                }
            }),
        ),
    ];
    push_scenarios_in(g, "lifecycle", registry, scenarios);
}

/// The catalogue's `committed_working_days` is at most the statutory limit (§15).
fn limits(g: &mut Gen) {
    let committed = |days: u64| {
        edited_registry(&|d| {
            d["agreements"][2]["items"][0]["time_limit_working_days"] = json!(10);
            d["agreements"][2]["items"][0]["committed_working_days"] = json!(days)
        })
    };
    let cases = [
        (
            "committed-limit-over-statutory",
            "an item that promises 11 working days where the law allows 10: a promise is at most the statutory limit",
            committed(11),
            refused("registry.invalid"),
        ),
        (
            "committed-limit-equal-to-statutory",
            "an item that promises the 10 working days the law allows",
            committed(10),
            json!({"outcome": "accepted", "version": 1}),
        ),
    ];
    for (name, description, offered, expected) in cases {
        let id = format!("registry/{name}");
        registry_vector(g, &id, description, None, offered, T0, expected);
    }
}
