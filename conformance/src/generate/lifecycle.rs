//! Case sequences and deadlines over the sample calendar.

use super::*;

/// A conversation between Huangshi (window) and Jiujiang (authority), one message a
/// minute from T0, with the outcome each message must get.
pub(super) struct Talk<'a> {
    g: &'a mut Gen,
    /// Minutes after T0 of the next message.
    pub(super) minute: i64,
    /// The version the messages say (1.0 unless a vector of 1.1 sets it).
    pub(super) protocol: ProtocolVersion,
    /// Whether the nodes sign with their SM2 keys (an agreement on sm2-sm3) rather than
    /// the keys of the agreement's sample suite.
    pub(super) sm2: bool,
    /// (1.1) What seals a message's body, if the conversation's bodies travel sealed
    /// (§24.5), called on each message before it is signed.
    pub(super) seal: Option<fn(&mut Envelope)>,
    /// The messages, as vector input.
    pub(super) messages: Vec<Value>,
    /// The outcome each must get.
    pub(super) results: Vec<Value>,
}

impl Talk<'_> {
    /// A conversation that starts at T0.
    pub(super) fn new(g: &mut Gen) -> Talk<'_> {
        Talk {
            g,
            minute: 0,
            protocol: ProtocolVersion::V1_0,
            sm2: false,
            seal: None,
            messages: Vec::new(),
            results: Vec::new(),
        }
    }

    /// Sends `body` from `from` to the other node, answering `in_reply_to`.
    pub(super) fn send(
        &mut self,
        from: &str,
        body: Body,
        in_reply_to: Option<&MessageId>,
        expected: Value,
    ) -> Envelope {
        let to = if from == HUANGSHI { JIUJIANG } else { HUANGSHI };
        self.send_between((from, to, sample::AGREEMENT), body, in_reply_to, expected)
    }

    /// Sends `body` from `from` to `to` under `agreement`, answering `in_reply_to`.
    pub(super) fn send_between(
        &mut self,
        (from, to, agreement): (&str, &str, &str),
        body: Body,
        in_reply_to: Option<&MessageId>,
        expected: Value,
    ) -> Envelope {
        let created = must("time", ts(T0).plus_seconds(60 * self.minute));
        self.minute += 1;
        let mut envelope = self.g.envelope(from, to, agreement, body, created.as_str());
        envelope.in_reply_to = in_reply_to.cloned();
        envelope.protocol = self.protocol;
        if let Some(seal) = self.seal {
            seal(&mut envelope);
        }
        let key = match self.sm2 {
            true => sample::sm2_key(from),
            false => sample::key_for(from, agreement),
        };
        must("sign", envelope.sign(&must("key", key)));
        let text = text(&must("value", envelope.to_value()));
        self.messages
            .push(json!({"text": text, "now": created.as_str()}));
        self.results.push(expected);
        envelope
    }

    /// Sends the bytes of the `index`-th message again, a minute after the last one.
    pub(super) fn resend(&mut self, index: usize, expected: Value) {
        let now = must("time", ts(T0).plus_seconds(60 * self.minute));
        self.minute += 1;
        let text = self.messages[index]["text"].clone();
        self.messages
            .push(json!({"text": text, "now": now.as_str()}));
        self.results.push(expected);
    }
}

/// An accepted lifecycle outcome in `state`.
pub(super) fn state(name: &str) -> Value {
    json!({"outcome": "accepted", "state": name})
}

/// A status update.
pub(super) fn status(status: ReportedStatus) -> Body {
    Body::StatusUpdate(StatusUpdate { status, note: None })
}

/// The sample body of `message_type`; a receipt among them answers other bytes.
pub(super) fn other(message_type: MessageType) -> Body {
    must(
        "body",
        sample::body(message_type, &Sha256Digest::of(b"other")),
    )
}

/// The receipt of `transfer`, accepting or refusing it.
pub(super) fn receipt(transfer: &Envelope, accepted: bool) -> Body {
    let digest = Sha256Digest::of(&must("bytes", transfer.to_canonical_bytes()));
    Body::Receipt(Receipt {
        answers_sha256: digest,
        answers_sm3: None,
        outcome: if accepted {
            ReceiptOutcome::Accepted { reference: None }
        } else {
            ReceiptOutcome::Refused {
                code: "item.form_invalid".into(),
                reason: "表单不完整".into(),
            }
        },
    })
}

/// The sample transfer body.
pub(super) fn barber() -> Body {
    Body::Transfer(must("transfer", sample::transfer_body()))
}

/// The barber-shop transfer, and the authority's accepting receipt of it.
pub(super) fn received(t: &mut Talk) -> Envelope {
    let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
    t.send(
        JIUJIANG,
        receipt(&transfer, true),
        Some(&transfer.id),
        state("received"),
    );
    transfer
}

/// The barber-shop case received, reviewed and decided; returns its transfer.
pub(super) fn decided(t: &mut Talk) -> Envelope {
    let transfer = received(t);
    t.send(
        JIUJIANG,
        status(ReportedStatus::InReview),
        None,
        state("in_review"),
    );
    t.send(
        JIUJIANG,
        other(MessageType::Decision),
        None,
        state("decided"),
    );
    transfer
}

/// A conversation of a lifecycle vector.
pub(super) type Script = Box<dyn Fn(&mut Talk)>;

/// Writes one `lifecycle/<name>` vector per scenario: its conversation and outcomes.
fn push_scenarios(g: &mut Gen, registry: &str, scenarios: Vec<(&str, &str, Script)>) {
    push_scenarios_in(g, "lifecycle", registry, scenarios);
}

/// Writes one `<category>/<name>` lifecycle vector per scenario.
pub(super) fn push_scenarios_in(
    g: &mut Gen,
    category: &str,
    registry: &str,
    scenarios: Vec<(&str, &str, Script)>,
) {
    push_scenarios_with(g, category, json!({"registry": registry}), scenarios);
}

/// [`push_scenarios_in`] with the input's other members given: the registry, and (1.1)
/// the receivers' `sealing_keys`.
pub(super) fn push_scenarios_with(
    g: &mut Gen,
    category: &str,
    input: Value,
    scenarios: Vec<(&str, &str, Script)>,
) {
    for (name, description, script) in scenarios {
        let mut talk = Talk::new(g);
        script(&mut talk);
        let (messages, results) = (talk.messages, talk.results);
        let mut input = input.clone();
        input["case"] = json!(sample::CASE);
        input["messages"] = json!(messages);
        g.push(
            &format!("{category}/{name}"),
            description,
            "lifecycle",
            input,
            json!({"outcome": "accepted", "results": results}),
        );
    }
}

pub(super) fn lifecycle(g: &mut Gen, registry: &str) {
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "whole-case",
            "transfer, receipt, review, two supplement rounds, decision, closure",
            Box::new(move |t: &mut Talk| {
                received(t);
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    state("in_review"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::SupplementRequest),
                    None,
                    state("supplement_requested"),
                );
                t.send(
                    HUANGSHI,
                    other(MessageType::Supplement),
                    None,
                    state("supplemented"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::SupplementRequest),
                    None,
                    state("supplement_requested"),
                );
                t.send(
                    HUANGSHI,
                    other(MessageType::Supplement),
                    None,
                    state("supplemented"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::Decision),
                    None,
                    state("decided"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::Closed),
                    None,
                    state("closed"),
                );
            }),
        ),
        (
            "refused-at-receipt",
            "the authority refuses the transfer in its receipt",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    receipt(&transfer, false),
                    Some(&transfer.id),
                    state("refused"),
                );
                t.send(
                    HUANGSHI,
                    other(MessageType::Withdrawal),
                    None,
                    refused("lifecycle.no_track"),
                );
            }),
        ),
        (
            "decision-before-review",
            "a decision while the case is only transferred",
            Box::new(move |t: &mut Talk| {
                t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    other(MessageType::Decision),
                    None,
                    refused("lifecycle.illegal_transition"),
                );
            }),
        ),
        (
            "supplement-by-authority",
            "the authority may not send a supplement, even while one is awaited",
            Box::new(move |t: &mut Talk| {
                received(t);
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    state("in_review"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::SupplementRequest),
                    None,
                    state("supplement_requested"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::Supplement),
                    None,
                    refused("lifecycle.wrong_party"),
                );
            }),
        ),
        (
            "receipt-by-window",
            "the window may not acknowledge its own transfer",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    HUANGSHI,
                    receipt(&transfer, true),
                    Some(&transfer.id),
                    refused("lifecycle.wrong_party"),
                );
            }),
        ),
        (
            "receipt-wrong-digest",
            "a receipt for the transfer that binds other bytes",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                let mut wrong = receipt(&transfer, true);
                if let Body::Receipt(r) = &mut wrong {
                    r.answers_sha256 = Sha256Digest::of(b"another transfer");
                }
                t.send(
                    JIUJIANG,
                    wrong,
                    Some(&transfer.id),
                    refused("message.not_an_answer"),
                );
            }),
        ),
        (
            "withdrawal-after-decision",
            "withdrawal is possible until the case is closed",
            Box::new(move |t: &mut Talk| {
                let transfer = decided(t);
                t.send(
                    HUANGSHI,
                    other(MessageType::Withdrawal),
                    Some(&transfer.id),
                    state("withdrawn"),
                );
            }),
        ),
        (
            "no-track",
            "a status update for a case with no transfer",
            Box::new(move |t: &mut Talk| {
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    refused("lifecycle.no_track"),
                );
            }),
        ),
        (
            "second-transfer-while-open",
            "the same item again while the first is open",
            Box::new(move |t: &mut Talk| {
                t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    HUANGSHI,
                    barber(),
                    None,
                    refused("lifecycle.illegal_transition"),
                );
            }),
        ),
        (
            "suspend-and-resume",
            "suspension and resumption keep the case in review; protocol errors change nothing",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    other(MessageType::ProtocolError),
                    Some(&transfer.id),
                    state("transferred"),
                );
                t.send(
                    JIUJIANG,
                    receipt(&transfer, true),
                    Some(&transfer.id),
                    state("received"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::Suspended),
                    None,
                    refused("lifecycle.illegal_transition"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    state("in_review"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::Suspended),
                    None,
                    state("in_review"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::Resumed),
                    None,
                    state("in_review"),
                );
            }),
        ),
        (
            "review-before-receipt",
            "a review that overtakes the transfer's receipt waits for it (transient), then applies",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    refused("lifecycle.receipt_pending"),
                );
                t.send(
                    JIUJIANG,
                    receipt(&transfer, true),
                    Some(&transfer.id),
                    state("received"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    state("in_review"),
                );
            }),
        ),
    ];
    push_scenarios(g, registry, scenarios);
    // A message of another case.
    let mut talk = Talk::new(g);
    talk.send(HUANGSHI, barber(), None, refused("lifecycle.wrong_case"));
    let messages = talk.messages;
    g.push(
        "lifecycle/wrong-case",
        "a transfer of case HS-2026-000123 applied to case HS-2026-000999",
        "lifecycle",
        json!({"registry": registry, "case": "HS-2026-000999", "messages": messages}),
        json!({"outcome": "accepted", "results": [refused("lifecycle.wrong_case")]}),
    );
}

/// A transfer of the cross-province transport item (YSB-0101) with the sample case id.
pub(super) fn transport() -> Body {
    let mut transfer = must("transfer", sample::transfer_body());
    transfer.item = must("item", ItemCode::parse("YSB-0101"));
    transfer.item_name = "道路运输从业人员从业资格证换证".into();
    transfer.materials[0].name = "身份证".into();
    transfer.materials[1].name = "原从业资格证".into();
    transfer.form = must(
        "form",
        serde_json::from_value(json!({
            "holder_name": "周建国", "certificate_no": "420100123456", "category": "道路货物运输驾驶员"
        })),
    );
    Body::Transfer(transfer)
}

/// A supplement carrying `form` as its form data.
fn supplement_with(form: Value) -> Body {
    Body::Supplement(Supplement {
        materials: Vec::new(),
        form: Some(must("form", serde_json::from_value(form))),
        note: None,
    })
}

/// Who a case belongs to (§18: a case is its window and its id), a supplement's form
/// (the whole corrected form, checked against the item's schema) and what a finished
/// track still takes. Generated after the rest, so that the earlier vectors keep their
/// ids.
pub(super) fn case_ownership(g: &mut Gen, registry: &str) {
    const WUHAN: &str = "wuhan.420100";
    const CROSS_PROVINCE: &str = "yunshangban.cross-province";
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "other-window-transfer",
            "Wuhan sends Jiujiang a transfer with Huangshi's case id under another agreement: it belongs to Wuhan's own case (lifecycle.other_window), and Huangshi's case goes on",
            Box::new(move |t: &mut Talk| {
                let transfer = received(t);
                t.send_between(
                    (WUHAN, JIUJIANG, CROSS_PROVINCE),
                    transport(),
                    None,
                    refused("lifecycle.other_window"),
                );
                t.send_between(
                    (WUHAN, JIUJIANG, CROSS_PROVINCE),
                    status(ReportedStatus::InReview),
                    None,
                    refused("lifecycle.other_window"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    Some(&transfer.id),
                    state("in_review"),
                );
            }),
        ),
        (
            "other-window-reverse",
            "Jiujiang (a member of both roles) sends Huangshi a transfer with Huangshi's case id: it opens Jiujiang's own case, not a track of Huangshi's (lifecycle.other_window)",
            Box::new(move |t: &mut Talk| {
                let transfer = received(t);
                t.send(JIUJIANG, barber(), None, refused("lifecycle.other_window"));
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    Some(&transfer.id),
                    state("in_review"),
                );
            }),
        ),
        (
            "final-allowance",
            "a withdrawn track takes one receipt per message of the track (a second answer to the withdrawal is refused) and 4 protocol errors (the fifth is refused): lifecycle.illegal_transition",
            Box::new(move |t: &mut Talk| {
                let transfer = received(t);
                let withdrawal = t.send(
                    HUANGSHI,
                    other(MessageType::Withdrawal),
                    Some(&transfer.id),
                    state("withdrawn"),
                );
                t.send(
                    JIUJIANG,
                    receipt(&withdrawal, true),
                    Some(&withdrawal.id),
                    state("withdrawn"),
                );
                t.send(
                    JIUJIANG,
                    receipt(&withdrawal, true),
                    Some(&withdrawal.id),
                    refused("lifecycle.illegal_transition"),
                );
                for _ in 0..4 {
                    t.send(
                        JIUJIANG,
                        other(MessageType::ProtocolError),
                        Some(&transfer.id),
                        state("withdrawn"),
                    );
                }
                t.send(
                    JIUJIANG,
                    other(MessageType::ProtocolError),
                    Some(&transfer.id),
                    refused("lifecycle.illegal_transition"),
                );
            }),
        ),
        (
            "supplement-form",
            "a supplement's form is the item's whole corrected form, checked against its schema: too many employees and a patch of one field are item.form_invalid, the whole valid form is applied",
            Box::new(move |t: &mut Talk| {
                let transfer = received(t);
                let answer = Some(&transfer.id);
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    answer,
                    state("in_review"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::SupplementRequest),
                    answer,
                    state("supplement_requested"),
                );
                let whole = |employees: u32| {
                    json!({
                        "shop_name": "黄石市磁湖理发店九江分店", "business_address": "九江市浔阳区庐山北路88号",
                        "business_scope": "理发服务", "employees": employees
                    })
                };
                t.send(
                    HUANGSHI,
                    supplement_with(whole(5000)),
                    answer,
                    refused("item.form_invalid"),
                );
                t.send(
                    HUANGSHI,
                    supplement_with(json!({"employees": 3})),
                    answer,
                    refused("item.form_invalid"),
                );
                t.send(
                    HUANGSHI,
                    supplement_with(whole(3)),
                    answer,
                    state("supplemented"),
                );
            }),
        ),
    ];
    push_scenarios(g, registry, scenarios);
}

pub(super) fn deadlines(g: &mut Gen, registry: &str) {
    /// Name, receipt date, working days, due date or refusal code, why.
    type Case<'a> = (&'a str, &'a str, u32, Result<&'a str, &'a str>, &'a str);
    let cases: &[Case] = &[
        (
            "before-national-day-2025",
            "2025-09-30",
            3,
            Ok("2025-10-11"),
            "1–8 October off; Saturday 11 October worked",
        ),
        (
            "spring-festival-2026",
            "2026-02-12",
            3,
            Ok("2026-02-24"),
            "worked Saturday 14 February, then 15–23 February off",
        ),
        (
            "worked-saturday",
            "2026-02-12",
            2,
            Ok("2026-02-14"),
            "the second working day is the worked Saturday",
        ),
        (
            "new-year-2026",
            "2025-12-30",
            5,
            Ok("2026-01-07"),
            "31 December, worked Sunday 4 January, 5–7 January",
        ),
        (
            "fifteen-days-across-new-year",
            "2025-12-29",
            15,
            Ok("2026-01-20"),
            "a 15-day limit across New Year",
        ),
        (
            "received-on-saturday",
            "2026-11-28",
            3,
            Ok("2026-12-02"),
            "received on a Saturday: Monday, Tuesday, Wednesday",
        ),
        (
            "zero-days",
            "2026-11-30",
            0,
            Ok("2026-11-30"),
            "a zero-day limit is due the day of receipt",
        ),
        (
            "labour-day-2026",
            "2026-04-30",
            2,
            Ok("2026-05-07"),
            "1–5 May off; 6 and 7 May",
        ),
        (
            "unknown-year",
            "2026-12-30",
            5,
            Err("calendar.unknown_year"),
            "2027 is not in the calendar: an error, not a guess",
        ),
        (
            "bad-date",
            "2026-02-30",
            1,
            Err("calendar.bad_date"),
            "30 February is not a date",
        ),
    ];
    for (name, received, days, due, why) in cases {
        g.push(
            &format!("deadlines/{name}"),
            &format!("received {received}, {days} working days: {why}"),
            "deadline",
            json!({"registry": registry, "received_on": received, "working_days": days}),
            match due {
                Ok(due) => json!({"outcome": "accepted", "due": due}),
                Err(code) => refused(code),
            },
        );
    }
}
