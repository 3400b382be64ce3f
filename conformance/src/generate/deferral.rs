//! Protocol 1.1's 容缺受理 and 告知承诺 (PROTOCOL §6 `transfer`, §15, §17, §18): a
//! required material accepted as missing with a promised date, or replaced by the
//! applicant's signed commitment, where the catalogue allows it; the track keeps what
//! is outstanding and is not approved before a supplement hands it in. Generated after
//! the other 1.1 vectors, so that earlier vectors keep their ids.

use super::files::{clock, digests, files_received};
use super::lifecycle::{other, push_scenarios_in, receipt, state, status, Script, Talk};
use super::registry::registry_vector;
use super::settled::edited_registry;
use super::*;

pub(super) fn deferral(g: &mut Gen, keys: &str, registry: &str) {
    bodies(g, keys);
    checks(g, registry);
    catalogue(g);
    lifecycle(g, registry);
}

fn deferred() -> Body {
    Body::Transfer(must("transfer", sample::deferred_transfer_body()))
}

fn committed() -> Body {
    Body::Transfer(must("transfer", sample::committed_transfer_body()))
}

/// A 1.1 transfer from Huangshi to Jiujiang created at T0, as a JSON document.
pub(super) fn transfer_1_1(g: &mut Gen, body: Body) -> Value {
    let mut envelope = g.envelope(HUANGSHI, JIUJIANG, sample::AGREEMENT, body, T0);
    envelope.protocol = ProtocolVersion::V1_1;
    must("value", envelope.to_value())
}

/// The lease as the sample transfer hands it in.
fn lease() -> Value {
    let transfer = must("transfer", sample::transfer_body());
    let lease = transfer.materials.iter().find(|m| m.name == sample::LEASE);
    must("lease", serde_json::to_value(lease))
}

/// The rules of §2 step 8 for the two lists, one vector each.
fn bodies(g: &mut Gen, keys: &str) {
    let deferred = transfer_1_1(g, deferred());
    let committed = transfer_1_1(g, committed());
    let accepted_transfer = json!({"outcome": "accepted", "type": "transfer"});
    let cases: Vec<(&str, &str, &Value, Edit, Value)> = vec![
        (
            "1.1-transfer-with-a-deferred-material",
            "a 1.1 transfer without the lease, which the applicant promised to hand in by Friday 2026-12-04 (容缺受理)",
            &deferred,
            Box::new(|_| {}),
            accepted_transfer.clone(),
        ),
        (
            "1.1-transfer-with-a-commitment",
            "a 1.1 transfer whose lease is replaced by the applicant's signed commitment (告知承诺制)",
            &committed,
            Box::new(|_| {}),
            accepted_transfer.clone(),
        ),
        (
            "deferred-materials-in-a-1.0-transfer",
            "a transfer that says 1.0 with `deferred_materials`, a member of 1.1",
            &deferred,
            Box::new(|d| {
                d["protocol"] = json!("1.0");
                d["body"].as_object_mut().map(|b| b.remove("channel"));
            }),
            refused("message.invalid"),
        ),
        (
            "commitments-in-a-1.0-transfer",
            "a transfer that says 1.0 with `commitments`, a member of 1.1",
            &committed,
            Box::new(|d| {
                d["protocol"] = json!("1.0");
                d["body"].as_object_mut().map(|b| b.remove("channel"));
            }),
            refused("message.invalid"),
        ),
        (
            "1.1-members-null-in-a-1.0-transfer",
            "a transfer that says 1.0 with `channel`, `deferred_materials` and `commitments` null: null is absent (§1), so no member of 1.1 is there and the transfer is accepted",
            &deferred,
            Box::new(|d| {
                d["protocol"] = json!("1.0");
                d["body"]["channel"] = Value::Null;
                d["body"]["deferred_materials"] = Value::Null;
                d["body"]["commitments"] = Value::Null;
            }),
            accepted_transfer.clone(),
        ),
        (
            "deferred-materials-empty",
            "`deferred_materials` present with no material: absent, or at least one",
            &deferred,
            Box::new(|d| d["body"]["deferred_materials"] = json!([])),
            refused("message.invalid"),
        ),
        (
            "commitments-empty",
            "`commitments` present with no commitment: absent, or at least one",
            &committed,
            Box::new(|d| d["body"]["commitments"] = json!([])),
            refused("message.invalid"),
        ),
        (
            "deferred-material-handed-in-as-well",
            "the lease deferred and handed in as well",
            &deferred,
            Box::new(|d| push_entry(d, "materials", lease())),
            refused("message.invalid"),
        ),
        (
            "committed-material-handed-in-as-well",
            "the lease replaced by a commitment and handed in as well",
            &committed,
            Box::new(|d| push_entry(d, "materials", lease())),
            refused("message.invalid"),
        ),
        (
            "material-deferred-and-committed",
            "the lease both deferred and replaced by a commitment: one or the other",
            &deferred,
            Box::new(|d| {
                let commitments = committed_members()["commitments"].clone();
                d["body"]["commitments"] = commitments;
            }),
            refused("message.invalid"),
        ),
        (
            "material-deferred-twice",
            "the lease deferred twice, with two promised dates",
            &deferred,
            Box::new(|d| {
                let again = json!({"material": sample::LEASE, "promised_by": "2026-12-11"});
                push_entry(d, "deferred_materials", again);
            }),
            refused("message.invalid"),
        ),
        (
            "deferred-material-promised-the-day-before",
            "the lease promised by Friday 2026-11-27, the day before the transfer's (China time)",
            &deferred,
            Box::new(|d| d["body"]["deferred_materials"][0]["promised_by"] = json!("2026-11-27")),
            refused("message.invalid"),
        ),
        (
            "deferred-material-promised-the-same-day",
            "the lease promised by Saturday 2026-11-28, the transfer's own day: not before it, so accepted",
            &deferred,
            Box::new(|d| d["body"]["deferred_materials"][0]["promised_by"] = json!("2026-11-28")),
            accepted_transfer.clone(),
        ),
        (
            "deferred-material-promised-the-day-before-in-china-time",
            "a transfer created at 2026-11-27T16:30:00Z, which is 00:30 on 2026-11-28 in China, with the lease promised by 2026-11-27: the day before the transfer's in China time (a reader that takes the day in UTC accepts it)",
            &deferred,
            Box::new(|d| {
                d["created"] = json!("2026-11-27T16:30:00Z");
                d["body"]["deferred_materials"][0]["promised_by"] = json!("2026-11-27");
            }),
            refused("message.invalid"),
        ),
        (
            "deferred-material-promised-on-no-day",
            "the lease promised by 2026-02-30, a day no calendar has",
            &deferred,
            Box::new(|d| d["body"]["deferred_materials"][0]["promised_by"] = json!("2026-02-30")),
            refused("message.invalid"),
        ),
        (
            "deferred-material-promised-date-with-a-time",
            "a promised date written with a time of day: a date is YYYY-MM-DD",
            &deferred,
            Box::new(|d| {
                d["body"]["deferred_materials"][0]["promised_by"] = json!("2026-12-04T17:00:00+08:00")
            }),
            refused("message.invalid"),
        ),
        (
            "commitment-without-statement",
            "a commitment that references no signed statement",
            &committed,
            Box::new(|d| {
                d["body"]["commitments"][0]
                    .as_object_mut()
                    .map(|c| c.remove("statement"));
            }),
            refused("message.invalid"),
        ),
    ];
    let by_the_window = cases.into_iter();
    let cases = by_the_window.map(|(n, d, base, e, x)| (n, d, HUANGSHI, base, e, x));
    edited_envelope_vectors(g, keys, cases.collect());
}

/// Appends `entry` to the list `member` of a transfer document's body.
fn push_entry(document: &mut Value, member: &str, entry: Value) {
    if let Some(list) = document["body"][member].as_array_mut() {
        list.push(entry);
    }
}

/// The members of the sample transfer with a commitment.
fn committed_members() -> Value {
    let transfer = must("transfer", sample::committed_transfer_body());
    must("value", serde_json::to_value(transfer))
}

/// The catalogue decides which material may be absent, and how (§17 step 6).
fn checks(g: &mut Gen, registry: &str) {
    let deferred = transfer_1_1(g, deferred());
    let committed = transfer_1_1(g, committed());
    let lease_only = edited_registry(&|d| {
        for agreement in d["agreements"].as_array_mut().into_iter().flatten() {
            for item in agreement["items"].as_array_mut().into_iter().flatten() {
                item.as_object_mut()
                    .map(|i| i.remove("deferrable_materials"));
            }
        }
    });
    let identity_card = |member: &'static str| {
        move |d: &mut Value| {
            let card = d["body"]["materials"][0].clone();
            d["body"]["materials"] = json!([]);
            d["body"][member][0]["material"] = card["name"].clone();
            let lease = match member {
                "commitments" => committed_members()["commitments"][0].clone(),
                _ => json!({"material": sample::LEASE, "promised_by": "2026-12-04"}),
            };
            push_entry(d, member, lease);
        }
    };
    let cases: Vec<(&str, &str, &str, &Value, Edit, Value)> = vec![
        (
            "deferred-lease",
            "the barber shop's lease deferred, as its catalogue entry allows",
            registry,
            &deferred,
            Box::new(|_| {}),
            json!({"outcome": "accepted", "type": "transfer"}),
        ),
        (
            "committed-lease",
            "the barber shop's lease replaced by a commitment, as its catalogue entry allows",
            registry,
            &committed,
            Box::new(|_| {}),
            json!({"outcome": "accepted", "type": "transfer"}),
        ),
        (
            "deferred-identity-card",
            "the identity card deferred with the lease: the catalogue lets only the lease be deferred",
            registry,
            &deferred,
            Box::new(identity_card("deferred_materials")),
            refused("item.deferral_not_allowed"),
        ),
        (
            "committed-identity-card",
            "the identity card replaced by a commitment with the lease: the catalogue lets only the lease be",
            registry,
            &committed,
            Box::new(identity_card("commitments")),
            refused("item.deferral_not_allowed"),
        ),
        (
            "deferred-material-not-required",
            "a material the item does not require (营业执照) deferred: nothing to defer",
            registry,
            &deferred,
            Box::new(|d| {
                let licence = json!({"material": "营业执照", "promised_by": "2026-12-04"});
                push_entry(d, "deferred_materials", licence);
            }),
            refused("item.deferral_not_allowed"),
        ),
        (
            "deferral-the-catalogue-does-not-offer",
            "the lease deferred under a catalogue that lets it be replaced by a commitment, not deferred",
            &lease_only,
            &deferred,
            Box::new(|_| {}),
            refused("item.deferral_not_allowed"),
        ),
        (
            "committed-lease-where-only-deferral-is-offered",
            "the same catalogue: a commitment for the lease is accepted",
            &lease_only,
            &committed,
            Box::new(|_| {}),
            json!({"outcome": "accepted", "type": "transfer"}),
        ),
        (
            "lease-neither-handed-in-nor-deferred",
            "a 1.1 transfer without the lease that neither defers it nor commits to it",
            registry,
            &deferred,
            Box::new(|d| {
                d["body"].as_object_mut().map(|b| b.remove("deferred_materials"));
            }),
            refused("item.material_missing"),
        ),
    ];
    for (name, description, trusted, base, edit, expected) in cases {
        let mut edited = base.clone();
        edit(&mut edited);
        verify_vector(
            g,
            &format!("checks/{name}"),
            description,
            ("registry", trusted),
            vec![at(signed_value(edited, HUANGSHI), T1)],
            vec![expected],
        );
    }
}

/// A catalogue lets only required materials be deferred or committed (§15).
fn catalogue(g: &mut Gen) {
    let listing = |member: &'static str| {
        edited_registry(&move |d| {
            for agreement in d["agreements"].as_array_mut().into_iter().flatten() {
                for item in agreement["items"].as_array_mut().into_iter().flatten() {
                    if item["code"] == json!("HB-JX-0042") {
                        item[member] = json!([sample::LEASE, "营业执照"]);
                    }
                }
            }
        })
    };
    let cases = [
        (
            "deferrable-material-not-required",
            "an item that lets a material it does not require (营业执照) be deferred",
            listing("deferrable_materials"),
        ),
        (
            "commitment-material-not-required",
            "an item that lets a material it does not require (营业执照) be replaced by a commitment",
            listing("commitment_materials"),
        ),
    ];
    for (name, description, offered) in cases {
        let id = format!("registry/{name}");
        registry_vector(
            g,
            &id,
            description,
            None,
            offered,
            T0,
            refused("registry.invalid"),
        );
    }
}

/// An accepted outcome in `state` with the materials still outstanding.
fn outstanding(state: &str, materials: &[&str]) -> Value {
    json!({"outcome": "accepted", "state": state, "outstanding": materials})
}

fn supplement() -> Body {
    Body::Supplement(must("supplement", sample::deferred_supplement()))
}

fn decision(outcome: DecisionOutcome) -> Body {
    match other(MessageType::Decision) {
        Body::Decision(decision) => Body::Decision(Decision {
            outcome,
            reason: (outcome == DecisionOutcome::Refused).then(|| "经营场所不符合要求".into()),
            ..decision
        }),
        body => body,
    }
}

/// The deferred transfer received and in review.
fn in_review(t: &mut Talk) -> Envelope {
    t.protocol = ProtocolVersion::V1_1;
    let lease = [sample::LEASE];
    let transfer = t.send(
        HUANGSHI,
        deferred(),
        None,
        outstanding("transferred", &lease),
    );
    let accepted = outstanding("received", &lease);
    t.send(
        JIUJIANG,
        receipt(&transfer, true),
        Some(&transfer.id),
        accepted,
    );
    let review = status(ReportedStatus::InReview);
    t.send(JIUJIANG, review, None, outstanding("in_review", &lease));
    transfer
}

fn lifecycle(g: &mut Gen, registry: &str) {
    let lease = [sample::LEASE];
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "deferred-material-handed-in-then-approved",
            "the lease, deferred, comes in a supplement while the case is in review (the state stays in_review), then the authority approves",
            Box::new(|t| {
                in_review(t);
                t.send(HUANGSHI, supplement(), None, outstanding("in_review", &[]));
                let approved = decision(DecisionOutcome::Approved);
                t.send(JIUJIANG, approved, None, outstanding("decided", &[]));
            }),
        ),
        (
            "approval-while-material-outstanding",
            "the authority approves while the deferred lease is outstanding: refused, and the case stays in review",
            Box::new(|t| {
                in_review(t);
                let approved = decision(DecisionOutcome::Approved);
                t.send(JIUJIANG, approved, None, refused("lifecycle.materials_outstanding"));
                t.send(HUANGSHI, supplement(), None, outstanding("in_review", &[]));
            }),
        ),
        (
            "refusal-while-material-outstanding",
            "the authority refuses while the deferred lease is outstanding: a refusal needs nothing more",
            Box::new(move |t| {
                in_review(t);
                let refusal = decision(DecisionOutcome::Refused);
                t.send(JIUJIANG, refusal, None, outstanding("decided", &lease));
            }),
        ),
        (
            "deferred-material-handed-in-before-review",
            "the lease comes as soon as the transfer is received: the state stays received",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                let transfer = t.send(HUANGSHI, deferred(), None, state("transferred"));
                t.send(JIUJIANG, receipt(&transfer, true), Some(&transfer.id), state("received"));
                t.send(HUANGSHI, supplement(), None, outstanding("received", &[]));
            }),
        ),
        (
            "supplement-without-the-outstanding-material",
            "a supplement in review that does not hand in the deferred lease (another material): no 补正 asked for it",
            Box::new(|t| {
                in_review(t);
                let unasked = other(MessageType::Supplement);
                t.send(HUANGSHI, unasked, None, refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "deferred-material-handed-in-twice",
            "the lease handed in, then again: nothing is outstanding any more, so no 补正 asked for the second",
            Box::new(|t| {
                in_review(t);
                t.send(HUANGSHI, supplement(), None, outstanding("in_review", &[]));
                t.send(HUANGSHI, supplement(), None, refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "deferred-material-handed-in-answering-a-supplement-request",
            "a 补正 asks for the lease, and the supplement that answers it hands it in: supplemented, nothing outstanding",
            Box::new(|t| {
                in_review(t);
                let request = other(MessageType::SupplementRequest);
                t.send(JIUJIANG, request, None, outstanding("supplement_requested", &[sample::LEASE]));
                t.send(HUANGSHI, supplement(), None, outstanding("supplemented", &[]));
                let approved = decision(DecisionOutcome::Approved);
                t.send(JIUJIANG, approved, None, outstanding("decided", &[]));
            }),
        ),
        (
            "committed-material-approved",
            "a transfer whose lease a commitment replaced has nothing outstanding: approved after review",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                let transfer = t.send(HUANGSHI, committed(), None, outstanding("transferred", &[]));
                t.send(JIUJIANG, receipt(&transfer, true), Some(&transfer.id), state("received"));
                t.send(JIUJIANG, status(ReportedStatus::InReview), None, state("in_review"));
                let approved = decision(DecisionOutcome::Approved);
                t.send(JIUJIANG, approved, None, outstanding("decided", &[]));
            }),
        ),
    ];
    push_scenarios_in(g, "lifecycle", registry, scenarios);
    // The commitment's statement is a file the transfer references (§23.5).
    let statement: Script = Box::new(|t| {
        t.protocol = ProtocolVersion::V1_1;
        let transfer = t.send(HUANGSHI, committed(), None, clock("transferred", None));
        let accepted = clock("received", None);
        t.send(
            JIUJIANG,
            receipt(&transfer, true),
            Some(&transfer.id),
            accepted,
        );
        let every = digests(&transfer);
        let materials = every[..every.len() - 1].to_vec();
        let short = refused("message.not_an_answer");
        t.send(
            JIUJIANG,
            files_received(materials),
            Some(&transfer.id),
            short,
        );
        let all = clock("received", Some("2026-11-28"));
        t.send(JIUJIANG, files_received(every), Some(&transfer.id), all);
    });
    push_scenarios_in(
        g,
        "files/lifecycle",
        registry,
        vec![(
            "commitment-statement-is-a-file",
            "a 1.1 transfer with a commitment: files_received must name the signed statement as well as the materials, and the clock starts only then",
            statement,
        )],
    );
}
