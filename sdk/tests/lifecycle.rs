//! The case lifecycle: the transition table, whole cases, joint handling, deadlines over
//! real calendars, and random message sequences.

use proptest::prelude::*;
use serde_json::json;
use tongban::calendar::CalendarDate;
use tongban::lifecycle::{next_state, Case, CaseStatus, ItemState};
use tongban::registry::Registry;
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

const XIAOGAN: &str = "xiaogan.420900";

fn date(text: &str) -> CalendarDate {
    CalendarDate::parse(text).expect("date")
}

/// Builds, signs and verifies messages of one case against the sample registry, with a
/// clock that advances one minute per message.
struct Flow {
    registry: Registry,
    minutes: i64,
    start: Timestamp,
    /// The least version the messages say.
    protocol: ProtocolVersion,
}

impl Flow {
    fn new(start: &str) -> Flow {
        Flow {
            registry: sample::registry().expect("registry"),
            minutes: 0,
            start: Timestamp::parse(start).expect("time"),
            protocol: ProtocolVersion::V1_0,
        }
    }

    /// Sends `body` under the sample agreement as `protocol` (at least the type's).
    fn send_as(
        &mut self,
        protocol: ProtocolVersion,
        from: &str,
        to: &str,
        body: Body,
        in_reply_to: Option<&MessageId>,
    ) -> Verified {
        self.protocol = protocol;
        let sent = self.send(from, to, sample::AGREEMENT, body, in_reply_to);
        self.protocol = ProtocolVersion::V1_0;
        sent
    }

    fn send(
        &mut self,
        from: &str,
        to: &str,
        agreement: &str,
        body: Body,
        in_reply_to: Option<&MessageId>,
    ) -> Verified {
        self.minutes += 1;
        let created = self.start.plus_seconds(60 * self.minutes).expect("time");
        let route = Route {
            from: NodeId::parse(from).expect("node"),
            to: NodeId::parse(to).expect("node"),
            agreement: AgreementId::parse(agreement).expect("agreement"),
            case: CaseId::parse(sample::CASE).expect("case"),
        };
        // A type of 1.1 (a shipment, a delivery) travels as 1.1.
        let protocol = body.message_type().since().max(self.protocol);
        let mut message = Envelope::new(route, body, created.clone(), 3600)
            .expect("envelope")
            .with_protocol(protocol);
        message.in_reply_to = in_reply_to.cloned();
        message
            .sign(&sample::key_for(from, agreement).expect("key"))
            .expect("sign");
        let bytes = message.to_canonical_bytes().expect("bytes");
        Verifier::new(&self.registry)
            .any_receiver()
            .verify(Unverified::parse(&bytes).expect("parse"), &created)
            .expect("a valid message")
    }
}

fn barber() -> Body {
    Body::Transfer(sample::transfer_body().expect("body"))
}

fn social_card() -> Body {
    let mut transfer = sample::transfer_body().expect("body");
    transfer.item = ItemCode::parse("HB-JX-0007").expect("item");
    transfer.item_name = "社会保障卡补换领".into();
    transfer.materials[0].name = "身份证".into();
    transfer.form =
        serde_json::from_value(json!({"holder_name": "陈丽华", "reason": "遗失"})).expect("form");
    Body::Transfer(transfer)
}

fn medical() -> Body {
    let mut transfer = sample::transfer_body().expect("body");
    transfer.item = ItemCode::parse("WH-0001").expect("item");
    transfer.item_name = "基本医疗保险关系转移接续".into();
    transfer.materials[0].name = "身份证".into();
    transfer.materials[1].name = "参保凭证".into();
    transfer.form = serde_json::from_value(json!({
        "insured_name": "陈丽华", "from_region": "420200", "to_region": "420900",
        "insurance_type": "职工基本医疗保险"
    }))
    .expect("form");
    Body::Transfer(transfer)
}

fn receipt(answered: &Verified, accepted: bool) -> Body {
    Body::Receipt(Receipt {
        answers_sha256: answered.digest().clone(),
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

fn status(status: ReportedStatus) -> Body {
    Body::StatusUpdate(StatusUpdate { status, note: None })
}

fn shipment(contents: ShipmentContents) -> Body {
    Body::Shipment(sample::shipment(contents))
}

fn shipment_received() -> Body {
    body_of(MessageType::ShipmentReceived, ReportedStatus::InReview)
}

fn delivery(method: DeliveryMethod) -> Body {
    let at = Timestamp::parse("2026-11-28T09:00:00+08:00").expect("time");
    Body::Delivery(sample::delivery(method, at))
}

fn body_of(message_type: MessageType, status_value: ReportedStatus) -> Body {
    let digest = Sha256Digest::of(b"x");
    match message_type {
        MessageType::StatusUpdate => status(status_value),
        other => sample::body(other, &digest).expect("body"),
    }
}

#[test]
fn the_transition_table() {
    let digest = Sha256Digest::of(b"x");
    let refused_receipt = Body::Receipt(Receipt {
        answers_sha256: digest.clone(),
        answers_sm3: None,
        outcome: ReceiptOutcome::Refused {
            code: "item.unknown".into(),
            reason: String::new(),
        },
    });
    let cases: Vec<(&str, Body, bool)> = vec![
        (
            "receipt accepted for the transfer",
            body_of(MessageType::Receipt, ReportedStatus::InReview),
            true,
        ),
        ("receipt refused for the transfer", refused_receipt, true),
        (
            "receipt for another message",
            body_of(MessageType::Receipt, ReportedStatus::InReview),
            false,
        ),
        ("status in_review", status(ReportedStatus::InReview), false),
        ("status suspended", status(ReportedStatus::Suspended), false),
        ("status resumed", status(ReportedStatus::Resumed), false),
        ("status closed", status(ReportedStatus::Closed), false),
        (
            "supplement_request",
            body_of(MessageType::SupplementRequest, ReportedStatus::InReview),
            false,
        ),
        (
            "supplement",
            body_of(MessageType::Supplement, ReportedStatus::InReview),
            false,
        ),
        (
            "decision",
            body_of(MessageType::Decision, ReportedStatus::InReview),
            false,
        ),
        (
            "withdrawal",
            body_of(MessageType::Withdrawal, ReportedStatus::InReview),
            false,
        ),
        (
            "protocol_error",
            body_of(MessageType::ProtocolError, ReportedStatus::InReview),
            false,
        ),
        (
            "shipment originals",
            shipment(ShipmentContents::Originals),
            false,
        ),
        (
            "shipment results",
            shipment(ShipmentContents::Results),
            false,
        ),
        ("shipment_received", shipment_received(), false),
        (
            "delivery at_window",
            delivery(DeliveryMethod::AtWindow),
            false,
        ),
        ("delivery post", delivery(DeliveryMethod::Post), false),
        (
            "evaluation",
            body_of(MessageType::Evaluation, ReportedStatus::InReview),
            false,
        ),
        (
            "rectification",
            body_of(MessageType::Rectification, ReportedStatus::InReview),
            false,
        ),
    ];
    // Every (state, message) pair and its outcome: the documented state machine.
    let mut legal = 0;
    for state in ItemState::ALL {
        for (name, body, answers_transfer) in &cases {
            let actual = next_state(state, body, *answers_transfer);
            assert_eq!(actual, table(state, name), "{} + {name}", state.as_str());
            legal += usize::from(actual.is_some());
        }
    }
    assert_eq!(
        legal,
        9 * 2 + 1 + 1 + 2 + 1 + 2 + 2 + 1 + 2 + 6 + 4 + 1 + 8 + 2 + 3 + 8,
        "legal transitions counted"
    );
}

#[test]
fn a_whole_case_with_two_supplement_rounds() {
    let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
    let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let agreement = sample::AGREEMENT;
    let transfer = flow.send(HUANGSHI, JIUJIANG, agreement, barber(), None);
    assert_eq!(
        case.apply(&transfer, &flow.registry),
        Ok(ItemState::Transferred)
    );
    assert_eq!(case.status(), CaseStatus::InProgress);
    let ack = flow.send(
        JIUJIANG,
        HUANGSHI,
        agreement,
        receipt(&transfer, true),
        Some(&transfer.envelope().id),
    );
    assert_eq!(case.apply(&ack, &flow.registry), Ok(ItemState::Received));
    // Received on Saturday 2026-11-28; three working days: Mon 30, Tue 1, Wed 2.
    let track = &case.tracks()[0];
    assert_eq!(track.received_on, Some(date("2026-11-28")));
    assert_eq!(
        track.due(flow.registry.calendar()),
        Ok(Some(date("2026-12-02")))
    );

    let steps: Vec<(&str, Body, ItemState)> = vec![
        (
            JIUJIANG,
            status(ReportedStatus::InReview),
            ItemState::InReview,
        ),
        (
            JIUJIANG,
            status(ReportedStatus::Suspended),
            ItemState::InReview,
        ),
        (
            JIUJIANG,
            status(ReportedStatus::Resumed),
            ItemState::InReview,
        ),
        (
            JIUJIANG,
            body_of(MessageType::SupplementRequest, ReportedStatus::InReview),
            ItemState::SupplementRequested,
        ),
        (
            HUANGSHI,
            body_of(MessageType::Supplement, ReportedStatus::InReview),
            ItemState::Supplemented,
        ),
        (
            JIUJIANG,
            body_of(MessageType::SupplementRequest, ReportedStatus::InReview),
            ItemState::SupplementRequested,
        ),
        (
            HUANGSHI,
            body_of(MessageType::Supplement, ReportedStatus::InReview),
            ItemState::Supplemented,
        ),
        (
            JIUJIANG,
            status(ReportedStatus::InReview),
            ItemState::InReview,
        ),
        (
            HUANGSHI,
            body_of(MessageType::ProtocolError, ReportedStatus::InReview),
            ItemState::InReview,
        ),
        (
            JIUJIANG,
            body_of(MessageType::Decision, ReportedStatus::InReview),
            ItemState::Decided,
        ),
    ];
    let mut last = None;
    for (from, body, expected) in steps {
        let to = if from == HUANGSHI { JIUJIANG } else { HUANGSHI };
        let message = flow.send(from, to, agreement, body, None);
        assert_eq!(case.apply(&message, &flow.registry), Ok(expected));
        last = Some(message);
    }
    assert_eq!(case.status(), CaseStatus::Decided);
    // Huangshi acknowledges the decision: a receipt for another message changes nothing.
    let decision = last.expect("the decision");
    let ack = flow.send(
        HUANGSHI,
        JIUJIANG,
        agreement,
        receipt(&decision, true),
        Some(&decision.envelope().id),
    );
    assert_eq!(case.apply(&ack, &flow.registry), Ok(ItemState::Decided));
    let close = flow.send(
        JIUJIANG,
        HUANGSHI,
        agreement,
        status(ReportedStatus::Closed),
        None,
    );
    assert_eq!(case.apply(&close, &flow.registry), Ok(ItemState::Closed));
    assert_eq!(case.status(), CaseStatus::Completed);
    // Nothing moves a closed case: a withdrawal finds no open item.
    let withdraw = flow.send(
        HUANGSHI,
        JIUJIANG,
        agreement,
        body_of(MessageType::Withdrawal, ReportedStatus::InReview),
        None,
    );
    assert_eq!(
        case.apply(&withdraw, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.no_track")
    );
}

const WUHAN: &str = "wuhan.420100";
const CROSS_PROVINCE: &str = "yunshangban.cross-province";

/// A transfer of the cross-province transport item (YSB-0101), valid for any window.
fn transport() -> Body {
    let mut transfer = sample::transfer_body().expect("body");
    transfer.item = ItemCode::parse("YSB-0101").expect("item");
    transfer.item_name = "道路运输从业人员从业资格证换证".into();
    transfer.materials[0].name = "身份证".into();
    transfer.materials[1].name = "原从业资格证".into();
    transfer.form = serde_json::from_value(json!({
        "holder_name": "周建国", "certificate_no": "420100123456", "category": "道路货物运输驾驶员"
    }))
    .expect("form");
    Body::Transfer(transfer)
}

/// Huangshi's case, transferred to Jiujiang and received.
fn received_case(flow: &mut Flow) -> (Case, Verified) {
    let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let transfer = flow.send(HUANGSHI, JIUJIANG, sample::AGREEMENT, barber(), None);
    case.apply(&transfer, &flow.registry).expect("transferred");
    let ack = flow.send(
        JIUJIANG,
        HUANGSHI,
        sample::AGREEMENT,
        receipt(&transfer, true),
        Some(&transfer.envelope().id),
    );
    case.apply(&ack, &flow.registry).expect("received");
    (case, transfer)
}

#[test]
fn a_case_belongs_to_its_window_and_a_same_id_from_another_changes_nothing() {
    let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
    let (mut case, transfer) = received_case(&mut flow);
    assert_eq!(case.window().map(NodeId::as_str), Some(HUANGSHI));
    let before = case.clone();
    // Wuhan, a party to another agreement with Jiujiang, uses Huangshi's case id: a
    // transfer of another item (it would open a second track, mixing two applicants'
    // data in one case) or of the same item (it would make Huangshi's case look open
    // twice). Both belong to Wuhan's own case, not to this one.
    let squat = flow.send(WUHAN, JIUJIANG, CROSS_PROVINCE, transport(), None);
    let refused = case
        .apply(&squat, &flow.registry)
        .expect_err("another window");
    assert_eq!(refused.code(), "lifecycle.other_window");
    assert!(refused.to_string().contains(HUANGSHI), "{refused}");
    // Jiujiang (a member of both roles) opening a case of its own with the same id
    // towards Huangshi: also another window's case.
    let reverse = flow.send(JIUJIANG, HUANGSHI, sample::AGREEMENT, barber(), None);
    assert_eq!(
        case.apply(&reverse, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.other_window")
    );
    // A step between two other nodes.
    let elsewhere = flow.send(
        WUHAN,
        JIUJIANG,
        CROSS_PROVINCE,
        status(ReportedStatus::InReview),
        None,
    );
    assert_eq!(
        case.apply(&elsewhere, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.other_window")
    );
    assert_eq!(case, before, "nothing changed");
    // Huangshi's case goes on.
    let review = flow.send(
        JIUJIANG,
        HUANGSHI,
        sample::AGREEMENT,
        status(ReportedStatus::InReview),
        Some(&transfer.envelope().id),
    );
    assert_eq!(case.apply(&review, &flow.registry), Ok(ItemState::InReview));
    // Wuhan's own case with the same id is a case of its own.
    let mut wuhan_case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    assert_eq!(
        wuhan_case.apply(&squat, &flow.registry),
        Ok(ItemState::Transferred)
    );
    assert_eq!(wuhan_case.window().map(NodeId::as_str), Some(WUHAN));
}

#[test]
fn a_final_track_takes_a_bounded_number_of_messages() {
    let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
    let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let transfer = flow.send(HUANGSHI, JIUJIANG, sample::AGREEMENT, barber(), None);
    case.apply(&transfer, &flow.registry).expect("transferred");
    let refusal = flow.send(
        JIUJIANG,
        HUANGSHI,
        sample::AGREEMENT,
        receipt(&transfer, false),
        Some(&transfer.envelope().id),
    );
    assert_eq!(case.apply(&refusal, &flow.registry), Ok(ItemState::Refused));
    let error = || sample::body(MessageType::ProtocolError, &Sha256Digest::of(b"x")).expect("body");
    let answered = Some(&transfer.envelope().id);
    for _ in 0..tongban::lifecycle::FINAL_ALLOWANCE {
        let message = flow.send(JIUJIANG, HUANGSHI, sample::AGREEMENT, error(), answered);
        assert_eq!(case.apply(&message, &flow.registry), Ok(ItemState::Refused));
    }
    // A receipt answering a message of the track, once.
    let answer = receipt(&refusal, true);
    let first = flow.send(
        HUANGSHI,
        JIUJIANG,
        sample::AGREEMENT,
        answer.clone(),
        Some(&refusal.envelope().id),
    );
    assert_eq!(case.apply(&first, &flow.registry), Ok(ItemState::Refused));
    let again = flow.send(
        HUANGSHI,
        JIUJIANG,
        sample::AGREEMENT,
        answer,
        Some(&refusal.envelope().id),
    );
    assert_eq!(
        case.apply(&again, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.illegal_transition")
    );
    let before = case.clone();
    let one_more = flow.send(JIUJIANG, HUANGSHI, sample::AGREEMENT, error(), answered);
    assert_eq!(
        case.apply(&one_more, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.illegal_transition")
    );
    assert_eq!(case, before);
    assert_eq!(case.tracks()[0].messages.len(), 2 + 4 + 1);
}

#[test]
fn a_supplements_form_is_checked_against_the_items_form_schema() {
    let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
    let (mut case, transfer) = received_case(&mut flow);
    let answer = Some(&transfer.envelope().id);
    for (from, to, body) in [
        (JIUJIANG, HUANGSHI, status(ReportedStatus::InReview)),
        (
            JIUJIANG,
            HUANGSHI,
            sample::body(MessageType::SupplementRequest, &Sha256Digest::of(b"x")).expect("body"),
        ),
    ] {
        let message = flow.send(from, to, sample::AGREEMENT, body, answer);
        case.apply(&message, &flow.registry).expect("applied");
    }
    let supplement = |form: serde_json::Value| {
        Body::Supplement(Supplement {
            materials: Vec::new(),
            form: Some(serde_json::from_value(form).expect("form")),
            note: None,
        })
    };
    // The barber item's schema needs shop_name, business_address and business_scope,
    // and at most 1000 employees.
    let too_many = supplement(json!({
        "shop_name": "黄石市磁湖理发店九江分店", "business_address": "九江市浔阳区庐山北路88号",
        "business_scope": "理发服务", "employees": 5000
    }));
    let message = flow.send(HUANGSHI, JIUJIANG, sample::AGREEMENT, too_many, answer);
    let refused = case
        .apply(&message, &flow.registry)
        .expect_err("invalid form");
    assert_eq!(refused.code(), "item.form_invalid");
    assert!(
        refused.to_string().contains("/body/form/employees"),
        "{refused}"
    );
    assert_eq!(case.tracks()[0].state, ItemState::SupplementRequested);
    // A refusal quoting the value refused masks a phone number in it (it is logged and
    // sent back in clear, even for a sealed body).
    let a_phone = supplement(json!({
        "shop_name": "黄石市磁湖理发店九江分店", "business_address": "九江市浔阳区庐山北路88号",
        "business_scope": "理发服务", "employees": "13907140000"
    }));
    let message = flow.send(HUANGSHI, JIUJIANG, sample::AGREEMENT, a_phone, answer);
    let refused = case
        .apply(&message, &flow.registry)
        .expect_err("invalid form");
    assert_eq!(refused.code(), "item.form_invalid");
    let said = refused.to_string();
    assert!(
        !said.contains("13907140000") && said.contains("139****0000"),
        "{said}"
    );
    let fields_only = supplement(json!({"employees": 3}));
    let message = flow.send(HUANGSHI, JIUJIANG, sample::AGREEMENT, fields_only, answer);
    assert_eq!(
        case.apply(&message, &flow.registry).map_err(|e| e.code()),
        Err("item.form_invalid"),
        "the form is the whole corrected form, not a patch"
    );
    let corrected = supplement(json!({
        "shop_name": "黄石市磁湖理发店九江分店", "business_address": "九江市浔阳区庐山北路88号",
        "business_scope": "理发服务", "employees": 3
    }));
    let message = flow.send(HUANGSHI, JIUJIANG, sample::AGREEMENT, corrected, answer);
    assert_eq!(
        case.apply(&message, &flow.registry),
        Ok(ItemState::Supplemented)
    );
}

#[test]
fn the_window_may_address_its_messages_to_the_transfer() {
    let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
    let agreement = sample::AGREEMENT;
    let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let transfer = flow.send(HUANGSHI, JIUJIANG, agreement, barber(), None);
    case.apply(&transfer, &flow.registry).expect("transfer");
    let id = transfer.envelope().id.clone();
    let note = flow.send(
        JIUJIANG,
        HUANGSHI,
        agreement,
        body_of(MessageType::ProtocolError, ReportedStatus::InReview),
        Some(&id),
    );
    assert_eq!(
        case.apply(&note, &flow.registry),
        Ok(ItemState::Transferred)
    );
    // A protocol error about the window's own transfer does not come from the window.
    let own = flow.send(
        HUANGSHI,
        JIUJIANG,
        agreement,
        body_of(MessageType::ProtocolError, ReportedStatus::InReview),
        Some(&id),
    );
    assert_eq!(
        case.apply(&own, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.wrong_party")
    );
    // A receipt for the transfer that binds other bytes does not count.
    let mut wrong = receipt(&transfer, true);
    if let Body::Receipt(r) = &mut wrong {
        r.answers_sha256 = Sha256Digest::of(b"another transfer");
    }
    let wrong = flow.send(JIUJIANG, HUANGSHI, agreement, wrong, Some(&id));
    assert_eq!(
        case.apply(&wrong, &flow.registry).map_err(|e| e.code()),
        Err("message.not_an_answer")
    );
    let withdraw = flow.send(
        HUANGSHI,
        JIUJIANG,
        agreement,
        body_of(MessageType::Withdrawal, ReportedStatus::InReview),
        Some(&id),
    );
    assert_eq!(
        case.apply(&withdraw, &flow.registry),
        Ok(ItemState::Withdrawn)
    );
}

#[test]
fn illegal_messages_are_refused_and_change_nothing() {
    let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
    let agreement = sample::AGREEMENT;
    let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let transfer = flow.send(HUANGSHI, JIUJIANG, agreement, barber(), None);
    case.apply(&transfer, &flow.registry).expect("transfer");
    let before = case.clone();

    let decision = flow.send(
        JIUJIANG,
        HUANGSHI,
        agreement,
        body_of(MessageType::Decision, ReportedStatus::InReview),
        None,
    );
    assert_eq!(
        case.apply(&decision, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.illegal_transition")
    );
    let supplement_by_authority = flow.send(
        JIUJIANG,
        HUANGSHI,
        agreement,
        body_of(MessageType::Supplement, ReportedStatus::InReview),
        None,
    );
    assert_eq!(
        case.apply(&supplement_by_authority, &flow.registry)
            .map_err(|e| e.code()),
        Err("lifecycle.wrong_party")
    );
    let self_receipt = flow.send(
        HUANGSHI,
        JIUJIANG,
        agreement,
        receipt(&transfer, true),
        Some(&transfer.envelope().id),
    );
    assert_eq!(
        case.apply(&self_receipt, &flow.registry)
            .map_err(|e| e.code()),
        Err("lifecycle.wrong_party")
    );
    let again = flow.send(HUANGSHI, JIUJIANG, agreement, barber(), None);
    assert_eq!(
        case.apply(&again, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.illegal_transition")
    );
    let elsewhere = flow.send(
        XIAOGAN,
        HUANGSHI,
        "wuhan-circle.cross-city",
        status(ReportedStatus::InReview),
        None,
    );
    assert_eq!(
        case.apply(&elsewhere, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.no_track")
    );
    let mut other = Case::new(CaseId::parse("HS-2026-999999").expect("case"));
    assert_eq!(
        other.apply(&transfer, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.wrong_case")
    );
    assert_eq!(case, before, "refused messages change nothing");

    let refusal = flow.send(
        JIUJIANG,
        HUANGSHI,
        agreement,
        receipt(&transfer, false),
        Some(&transfer.envelope().id),
    );
    assert_eq!(case.apply(&refusal, &flow.registry), Ok(ItemState::Refused));
    assert_eq!(case.status(), CaseStatus::Completed);
    let late = flow.send(
        HUANGSHI,
        JIUJIANG,
        agreement,
        body_of(MessageType::Withdrawal, ReportedStatus::InReview),
        None,
    );
    assert_eq!(
        case.apply(&late, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.no_track")
    );
}

#[test]
fn withdrawal_from_every_open_state() {
    let agreement = sample::AGREEMENT;
    let path: Vec<(&str, Body)> = vec![
        (JIUJIANG, status(ReportedStatus::InReview)),
        (
            JIUJIANG,
            body_of(MessageType::SupplementRequest, ReportedStatus::InReview),
        ),
        (
            HUANGSHI,
            body_of(MessageType::Supplement, ReportedStatus::InReview),
        ),
    ];
    for depth in 0..=path.len() + 1 {
        let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
        let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
        let transfer = flow.send(HUANGSHI, JIUJIANG, agreement, barber(), None);
        case.apply(&transfer, &flow.registry).expect("transfer");
        if depth > 0 {
            let ack = flow.send(
                JIUJIANG,
                HUANGSHI,
                agreement,
                receipt(&transfer, true),
                Some(&transfer.envelope().id),
            );
            case.apply(&ack, &flow.registry).expect("receipt");
        }
        for (from, body) in path.iter().take(depth.saturating_sub(1)) {
            let to = if *from == HUANGSHI {
                JIUJIANG
            } else {
                HUANGSHI
            };
            let message = flow.send(from, to, agreement, body.clone(), None);
            case.apply(&message, &flow.registry).expect("step");
        }
        let state = case.tracks()[0].state;
        let withdrawal = flow.send(
            HUANGSHI,
            JIUJIANG,
            agreement,
            body_of(MessageType::Withdrawal, ReportedStatus::InReview),
            None,
        );
        assert_eq!(
            case.apply(&withdrawal, &flow.registry),
            Ok(ItemState::Withdrawn),
            "from {}",
            state.as_str()
        );
    }
}

#[test]
fn joint_handling_tracks_each_item_and_aggregates() {
    let mut flow = Flow::new("2025-12-29T09:00:00+08:00");
    let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let bilateral = sample::AGREEMENT;
    let circle = "wuhan-circle.cross-city";
    let shop = flow.send(HUANGSHI, JIUJIANG, bilateral, barber(), None);
    let card = flow.send(HUANGSHI, JIUJIANG, bilateral, social_card(), None);
    let insurance = flow.send(HUANGSHI, XIAOGAN, circle, medical(), None);
    for transfer in [&shop, &card, &insurance] {
        case.apply(transfer, &flow.registry).expect("transfer");
    }
    assert_eq!(case.tracks().len(), 3);
    for (transfer, authority, agreement) in [
        (&shop, JIUJIANG, bilateral),
        (&card, JIUJIANG, bilateral),
        (&insurance, XIAOGAN, circle),
    ] {
        let ack = flow.send(
            authority,
            HUANGSHI,
            agreement,
            receipt(transfer, true),
            Some(&transfer.envelope().id),
        );
        assert_eq!(case.apply(&ack, &flow.registry), Ok(ItemState::Received));
    }
    // Received Monday 2025-12-29: 3, 5 and 15 working days, across New Year 2026
    // (1–3 January off, Sunday 4 January worked).
    let due: Vec<_> = case
        .tracks()
        .iter()
        .map(|t| {
            t.due(flow.registry.calendar())
                .expect("covered")
                .map(|d| d.to_string())
        })
        .collect();
    assert_eq!(
        due,
        vec![
            Some("2026-01-04".to_string()),
            Some("2026-01-06".to_string()),
            Some("2026-01-20".to_string())
        ]
    );
    // Jiujiang has two tracks of this case: its messages must say which one they answer.
    let ambiguous = flow.send(
        JIUJIANG,
        HUANGSHI,
        bilateral,
        status(ReportedStatus::InReview),
        None,
    );
    assert_eq!(
        case.apply(&ambiguous, &flow.registry).map_err(|e| e.code()),
        Err("lifecycle.no_track")
    );
    let review_card = flow.send(
        JIUJIANG,
        HUANGSHI,
        bilateral,
        status(ReportedStatus::InReview),
        Some(&card.envelope().id),
    );
    assert_eq!(
        case.apply(&review_card, &flow.registry),
        Ok(ItemState::InReview)
    );
    let decide_card = flow.send(
        JIUJIANG,
        HUANGSHI,
        bilateral,
        body_of(MessageType::Decision, ReportedStatus::InReview),
        Some(&review_card.envelope().id),
    );
    assert_eq!(
        case.apply(&decide_card, &flow.registry),
        Ok(ItemState::Decided)
    );
    assert_eq!(case.status(), CaseStatus::InProgress);
    assert_eq!(
        case.tracks()[0].state,
        ItemState::Received,
        "the shop track did not move"
    );

    let calendar = flow.registry.calendar();
    let deadline = case.tracks()[0]
        .deadline(date("2026-01-05"), calendar)
        .expect("calendar")
        .expect("received");
    assert_eq!(
        (deadline.remaining_working_days, deadline.overdue),
        (-1, true)
    );
    let deadline = case.tracks()[2]
        .deadline(date("2026-01-05"), calendar)
        .expect("calendar")
        .expect("received");
    assert_eq!(
        (deadline.remaining_working_days, deadline.overdue),
        (11, false)
    );
    let decided = case.tracks()[1]
        .deadline(date("2026-01-30"), calendar)
        .expect("calendar")
        .expect("received");
    assert!(!decided.overdue, "a decided item is not overdue");
}

#[test]
fn deadlines_over_real_calendars() {
    let registry = sample::registry().expect("registry");
    let calendar = registry.calendar();
    let due = |received: &str, days: u32| {
        calendar
            .add_working_days(date(received), days)
            .expect("covered")
            .to_string()
    };
    // Received on the eve of the 2025 National Day and Mid-Autumn holiday (1–8 October):
    // Thursday 9, Friday 10 and the worked Saturday 11 October.
    assert_eq!(due("2025-09-30", 3), "2025-10-11");
    // Spanning the worked Saturday before the 2026 Spring Festival (14 February) and the
    // nine-day holiday (15–23 February).
    assert_eq!(due("2026-02-12", 3), "2026-02-24");
    assert_eq!(due("2026-02-12", 2), "2026-02-14");
    // Crossing the year boundary: 31 December, the worked Sunday 4 January, then 5–7.
    assert_eq!(due("2025-12-30", 5), "2026-01-07");
    // A date outside the calendar is an error, not a guess.
    let err = calendar
        .add_working_days(date("2026-12-30"), 5)
        .expect_err("2027 unknown");
    assert_eq!(err.code(), "calendar.unknown_year");
    assert_eq!(
        calendar.working_days_between(date("2025-09-30"), date("2025-10-11")),
        Ok(3)
    );
}

/// The transition table as this test states it, independently of the code: the state
/// after message `name` in `state`, or `None` when it is illegal. (The random sequences
/// send no shipment_received, evaluation or rectification: each needs a message it
/// answers or a limit per track that the model does not keep.)
fn table(state: ItemState, name: &str) -> Option<ItemState> {
    use ItemState::*;
    match (name, state) {
        ("receipt accepted for the transfer", Transferred) => Some(Received),
        ("receipt refused for the transfer", Transferred) => Some(Refused),
        ("receipt for another message" | "protocol_error", s) => Some(s),
        ("status in_review", Received | Supplemented) => Some(InReview),
        ("status suspended" | "status resumed", InReview) => Some(InReview),
        ("status closed", Decided) => Some(Closed),
        ("supplement_request", InReview | Supplemented) => Some(SupplementRequested),
        ("supplement", SupplementRequested) => Some(Supplemented),
        ("decision", InReview | Supplemented) => Some(Decided),
        ("withdrawal", s) if !matches!(s, Refused | Closed | Withdrawn) => Some(Withdrawn),
        ("shipment originals", s @ (Received | InReview | SupplementRequested | Supplemented)) => {
            Some(s)
        }
        ("shipment results", Decided) => Some(Decided),
        ("delivery at_window" | "delivery post", Decided) => Some(Closed),
        ("shipment_received" | "rectification", s) if s != Transferred => Some(s),
        ("evaluation", s @ (Decided | Closed | Refused)) => Some(s),
        _ => None,
    }
}

/// Message kinds of the random sequences: name, body, and the side that may send it
/// (`Some(true)` the authority, `Some(false)` the window, `None` either).
fn kind(index: usize, transfer: &Verified) -> (&'static str, Body, Option<bool>) {
    match index {
        0 => ("receipt accepted", receipt(transfer, true), None),
        1 => ("receipt refused", receipt(transfer, false), None),
        2 => (
            "status in_review",
            status(ReportedStatus::InReview),
            Some(true),
        ),
        3 => (
            "status suspended",
            status(ReportedStatus::Suspended),
            Some(true),
        ),
        4 => ("status closed", status(ReportedStatus::Closed), Some(true)),
        5 => (
            "supplement_request",
            body_of(MessageType::SupplementRequest, ReportedStatus::InReview),
            Some(true),
        ),
        6 => (
            "supplement",
            body_of(MessageType::Supplement, ReportedStatus::InReview),
            Some(false),
        ),
        7 => (
            "decision",
            body_of(MessageType::Decision, ReportedStatus::InReview),
            Some(true),
        ),
        8 => (
            "withdrawal",
            body_of(MessageType::Withdrawal, ReportedStatus::InReview),
            Some(false),
        ),
        9 => (
            "protocol_error",
            body_of(MessageType::ProtocolError, ReportedStatus::InReview),
            None,
        ),
        10 => (
            "shipment originals",
            shipment(ShipmentContents::Originals),
            Some(false),
        ),
        11 => (
            "shipment results",
            shipment(ShipmentContents::Results),
            Some(true),
        ),
        12 => (
            "delivery at_window",
            delivery(DeliveryMethod::AtWindow),
            Some(false),
        ),
        13 => ("delivery post", delivery(DeliveryMethod::Post), Some(true)),
        _ => ("transfer", barber(), Some(false)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random message sequences never panic, and every message is accepted or refused
    /// exactly as an independent model of the table says; a refused message changes
    /// nothing.
    #[test]
    fn random_sequences_follow_the_table(steps in prop::collection::vec((0usize..15, any::<bool>(), 0u8..3), 1..14)) {
        let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
        let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
        let agreement = sample::AGREEMENT;
        let first = flow.send(HUANGSHI, JIUJIANG, agreement, barber(), None);
        case.apply(&first, &flow.registry).expect("transfer");
        // The model: each track's state and transfer id.
        let mut model: Vec<(ItemState, MessageId)> = vec![(ItemState::Transferred, first.envelope().id.clone())];
        for (index, by_authority, reply_choice) in steps {
            let (name, body, sender) = kind(index, &first);
            let is_transfer = name == "transfer";
            let by_authority = if is_transfer { false } else { by_authority };
            let (from, to) = if by_authority { (JIUJIANG, HUANGSHI) } else { (HUANGSHI, JIUJIANG) };
            let foreign = MessageId::from_parts(1, [7; 10]);
            let reply = match (reply_choice, name.starts_with("receipt")) {
                (1, _) => Some(first.envelope().id.clone()),
                (2, _) | (0, true) => Some(foreign),
                _ => None,
            };
            let message = flow.send(from, to, agreement, body, if is_transfer { None } else { reply.as_ref() });
            let before = case.clone();
            let expected: Result<ItemState, &str> = if is_transfer {
                if model.iter().any(|(s, _)| !s.is_final()) {
                    Err("lifecycle.illegal_transition")
                } else {
                    Ok(ItemState::Transferred)
                }
            } else {
                let by_reply = reply.as_ref().and_then(|r| model.iter().position(|(_, id)| id == r));
                let open: Vec<usize> = (0..model.len()).filter(|&i| !model[i].0.is_final()).collect();
                let track = by_reply.or(if open.len() == 1 { Some(open[0]) } else { None });
                match track {
                    None => Err("lifecycle.no_track"),
                    Some(t) => {
                        let answers = reply.as_ref() == Some(&model[t].1);
                        let receipt_for_transfer = answers && name.starts_with("receipt");
                        // A receipt or protocol error comes from the receiver of the
                        // message it answers: the transfer's from the authority.
                        let wrong_side = sender.is_some_and(|authority| authority != by_authority)
                            || (answers && sender.is_none() && !by_authority);
                        if wrong_side {
                            Err("lifecycle.wrong_party")
                        } else if name.starts_with("receipt") && !answers {
                            // It answers no message of its track.
                            Err("message.not_an_answer")
                        } else {
                            let full = match (name, receipt_for_transfer) {
                                ("receipt accepted", true) => "receipt accepted for the transfer",
                                ("receipt refused", true) => "receipt refused for the transfer",
                                (n, false) if n.starts_with("receipt") => "receipt for another message",
                                (n, _) => n,
                            };
                            match table(model[t].0, full) {
                                Some(next) => Ok(next),
                                // Overtook the transfer's receipt: allowed once it is in.
                                None if model[t].0 == ItemState::Transferred
                                    && by_authority
                                    && table(ItemState::Received, full).is_some() =>
                                {
                                    Err("lifecycle.receipt_pending")
                                }
                                None => Err("lifecycle.illegal_transition"),
                            }
                        }
                    }
                }
            };
            let actual = case.apply(&message, &flow.registry).map_err(|e| e.code());
            prop_assert_eq!(actual, expected, "{} from {}", name, from);
            match actual {
                Ok(state) if is_transfer => model.push((state, message.envelope().id.clone())),
                Ok(state) => {
                    let t = case
                        .tracks()
                        .iter()
                        .position(|t| t.messages.contains(&message.envelope().id))
                        .expect("the message joined a track");
                    model[t].0 = state;
                }
                Err(_) => prop_assert_eq!(&case, &before),
            }
            let states: Vec<ItemState> = case.tracks().iter().map(|t| t.state).collect();
            let modelled: Vec<ItemState> = model.iter().map(|(s, _)| *s).collect();
            prop_assert_eq!(states, modelled);
        }
    }
}

/// (1.1) Originals go by post to the authority and the licence back to the applicant:
/// each shipment is confirmed once, by its receiver, and the delivery closes the track.
#[test]
fn originals_and_results_by_post() {
    let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
    let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let agreement = sample::AGREEMENT;
    let transfer = flow.send(HUANGSHI, JIUJIANG, agreement, barber(), None);
    case.apply(&transfer, &flow.registry).expect("transfer");
    let id = |m: &Verified| m.envelope().id.clone();
    let mut apply = |from: &str, body: Body, reply: Option<&MessageId>| {
        let to = if from == HUANGSHI { JIUJIANG } else { HUANGSHI };
        let message = flow.send(from, to, agreement, body, reply);
        let result = case.apply(&message, &flow.registry).map_err(|e| e.code());
        (message, result)
    };
    // Originals wait for the transfer's receipt.
    let (_, early) = apply(HUANGSHI, shipment(ShipmentContents::Originals), None);
    assert_eq!(early, Err("lifecycle.illegal_transition"));
    let (_, ack) = apply(JIUJIANG, receipt(&transfer, true), Some(&id(&transfer)));
    assert_eq!(ack, Ok(ItemState::Received));
    // The authority posts no originals.
    let (_, wrong) = apply(JIUJIANG, shipment(ShipmentContents::Originals), None);
    assert_eq!(wrong, Err("lifecycle.wrong_party"));
    let (originals, sent) = apply(HUANGSHI, shipment(ShipmentContents::Originals), None);
    assert_eq!(sent, Ok(ItemState::Received));
    // Only the receiver confirms, only a shipment, and only once.
    let (_, own) = apply(HUANGSHI, shipment_received(), Some(&id(&originals)));
    assert_eq!(own, Err("lifecycle.wrong_party"));
    let (_, not_a_shipment) = apply(JIUJIANG, shipment_received(), Some(&id(&transfer)));
    assert_eq!(not_a_shipment, Err("message.not_an_answer"));
    let (_, arrived) = apply(JIUJIANG, shipment_received(), Some(&id(&originals)));
    assert_eq!(arrived, Ok(ItemState::Received));
    let (_, twice) = apply(JIUJIANG, shipment_received(), Some(&id(&originals)));
    assert_eq!(twice, Err("lifecycle.illegal_transition"));
    // Results travel once decided, from the authority; the delivery closes the track.
    let (_, undecided) = apply(JIUJIANG, delivery(DeliveryMethod::Post), None);
    assert_eq!(undecided, Err("lifecycle.illegal_transition"));
    let (_, review) = apply(JIUJIANG, status(ReportedStatus::InReview), None);
    assert_eq!(review, Ok(ItemState::InReview));
    let decision = body_of(MessageType::Decision, ReportedStatus::InReview);
    assert_eq!(apply(JIUJIANG, decision, None).1, Ok(ItemState::Decided));
    let (results, posted) = apply(JIUJIANG, shipment(ShipmentContents::Results), None);
    assert_eq!(posted, Ok(ItemState::Decided));
    let (_, by_window) = apply(HUANGSHI, delivery(DeliveryMethod::Post), None);
    assert_eq!(by_window, Err("lifecycle.wrong_party"));
    let (_, at_window) = apply(JIUJIANG, delivery(DeliveryMethod::AtWindow), None);
    assert_eq!(at_window, Err("lifecycle.wrong_party"));
    let (_, delivered) = apply(JIUJIANG, delivery(DeliveryMethod::Post), None);
    assert_eq!(delivered, Ok(ItemState::Closed));
    // The window's confirmation of the results may come after the track closed, once.
    let (_, late) = apply(HUANGSHI, shipment_received(), Some(&id(&results)));
    assert_eq!(late, Ok(ItemState::Closed));
    let (_, again) = apply(HUANGSHI, shipment_received(), Some(&id(&results)));
    assert_eq!(again, Err("lifecycle.illegal_transition"));
    assert_eq!(case.status(), CaseStatus::Completed);
    let track = &case.tracks()[0];
    assert_eq!(track.shipments.len(), 2);
    assert!(track.shipments.iter().all(|s| s.received));
}

/// Sends `body` from `from` to the other sample node and applies it to `case`: the
/// message's id and the outcome's state or code.
fn step(
    flow: &mut Flow,
    case: &mut Case,
    from: &str,
    body: Body,
    reply: Option<&MessageId>,
) -> (MessageId, Result<ItemState, &'static str>) {
    let to = if from == HUANGSHI { JIUJIANG } else { HUANGSHI };
    let message = flow.send(from, to, sample::AGREEMENT, body, reply);
    let result = case.apply(&message, &flow.registry).map_err(|e| e.code());
    (message.envelope().id.clone(), result)
}

/// (1.1) 好差评: one evaluation per track once it is decided; a poor grade opens a
/// rectification that the authority owes within the item's limit (15 working days when
/// the catalogue sets none), and only the first answers it.
#[test]
fn a_poor_grade_opens_a_rectification_due_within_the_items_limit() {
    let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
    let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let (f, c) = (&mut flow, &mut case);
    let (transfer, _) = step(f, c, HUANGSHI, barber(), None);
    let at = Timestamp::parse("2026-11-28T09:00:00+08:00").expect("time");
    let graded = |grade| Body::Evaluation(sample::evaluation(grade, at.clone()));
    let (_, early) = step(f, c, HUANGSHI, graded(Grade::Dissatisfied), None);
    assert_eq!(early, Err("lifecycle.illegal_transition"));
    let digest = c.tracks()[0].transfer_sha256.clone();
    let accepted = Body::Receipt(Receipt {
        answers_sha256: digest,
        answers_sm3: None,
        outcome: ReceiptOutcome::Accepted { reference: None },
    });
    let received = step(f, c, JIUJIANG, accepted, Some(&transfer)).1;
    assert_eq!(received, Ok(ItemState::Received));
    let review = step(f, c, JIUJIANG, status(ReportedStatus::InReview), None).1;
    assert_eq!(review, Ok(ItemState::InReview));
    let decision = body_of(MessageType::Decision, ReportedStatus::InReview);
    assert_eq!(
        step(f, c, JIUJIANG, decision, None).1,
        Ok(ItemState::Decided)
    );
    let (_, by_authority) = step(f, c, JIUJIANG, graded(Grade::Satisfied), None);
    assert_eq!(by_authority, Err("lifecycle.wrong_party"));
    let (poor, graded_poor) = step(f, c, HUANGSHI, graded(Grade::VeryDissatisfied), None);
    assert_eq!(graded_poor, Ok(ItemState::Decided));
    let (_, twice) = step(f, c, HUANGSHI, graded(Grade::Satisfied), None);
    assert_eq!(twice, Err("lifecycle.illegal_transition"));

    // Evaluated on Saturday 2026-11-28: the 15th working day after is Friday 2026-12-18.
    let calendar = f.registry.calendar().clone();
    let track = c.tracks()[0].clone();
    let record = track.evaluation.as_ref().expect("recorded");
    assert_eq!(record.rectification_working_days, Some(15));
    assert_eq!(
        track.rectification_due(&calendar),
        Ok(Some(date("2026-12-18")))
    );
    let late = track.rectification_deadline(date("2026-12-21"), &calendar);
    let late = late.expect("covered").expect("a deadline");
    assert!(
        late.overdue && late.remaining_working_days == -1,
        "{late:?}"
    );

    let answer = body_of(MessageType::Rectification, ReportedStatus::InReview);
    let (_, by_window) = step(f, c, HUANGSHI, answer.clone(), Some(&poor));
    assert_eq!(by_window, Err("lifecycle.wrong_party"));
    let (_, rectified) = step(f, c, JIUJIANG, answer.clone(), Some(&poor));
    assert_eq!(rectified, Ok(ItemState::Decided));
    let (_, again) = step(f, c, JIUJIANG, answer, Some(&poor));
    assert_eq!(again, Err("lifecycle.illegal_transition"));
    let done = c.tracks()[0].rectification_deadline(date("2026-12-21"), &calendar);
    assert!(!done.expect("covered").expect("a deadline").overdue);
}

/// (1.1) A good grade calls for no rectification, and the catalogue's own limit
/// replaces the default.
#[test]
fn a_good_grade_calls_for_no_rectification_and_the_catalogue_sets_the_limit() {
    let mut document = sample::registry_document(1, &[0, 1, 2], 2).expect("registry");
    for agreement in &mut document.agreements {
        for item in &mut agreement.items {
            item.rectification_working_days = Some(5);
        }
    }
    let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
    let bytes = sample::signed_registry(&document, &[0, 1]).expect("signed");
    let issued = Timestamp::parse("2026-11-01T00:00:00+08:00").expect("time");
    flow.registry = Registry::bootstrap(&bytes, &issued).expect("registry");
    let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let agreement = sample::AGREEMENT;
    let transfer = flow.send(HUANGSHI, JIUJIANG, agreement, barber(), None);
    case.apply(&transfer, &flow.registry).expect("transfer");
    let at = Timestamp::parse("2026-11-28T09:00:00+08:00").expect("time");
    let steps = [
        (JIUJIANG, receipt(&transfer, true)),
        (JIUJIANG, status(ReportedStatus::InReview)),
        (
            JIUJIANG,
            body_of(MessageType::Decision, ReportedStatus::InReview),
        ),
        (
            HUANGSHI,
            Body::Evaluation(sample::evaluation(Grade::Dissatisfied, at.clone())),
        ),
    ];
    for (from, body) in steps {
        let to = if from == HUANGSHI { JIUJIANG } else { HUANGSHI };
        let reply = matches!(body, Body::Receipt(_)).then(|| transfer.envelope().id.clone());
        let message = flow.send(from, to, agreement, body, reply.as_ref());
        case.apply(&message, &flow.registry).expect("applied");
    }
    let calendar = flow.registry.calendar().clone();
    // Five working days after Saturday 2026-11-28: Friday 2026-12-04.
    assert_eq!(
        case.tracks()[0].rectification_due(&calendar),
        Ok(Some(date("2026-12-04")))
    );

    let mut good = Case::new(CaseId::parse(sample::CASE).expect("case"));
    let transfer = flow.send(HUANGSHI, JIUJIANG, agreement, barber(), None);
    good.apply(&transfer, &flow.registry).expect("transfer");
    let refusal = flow.send(
        JIUJIANG,
        HUANGSHI,
        agreement,
        receipt(&transfer, false),
        Some(&transfer.envelope().id),
    );
    assert_eq!(good.apply(&refusal, &flow.registry), Ok(ItemState::Refused));
    let graded = Body::Evaluation(sample::evaluation(Grade::Satisfied, at));
    let evaluation = flow.send(
        HUANGSHI,
        JIUJIANG,
        agreement,
        graded,
        Some(&transfer.envelope().id),
    );
    assert_eq!(
        good.apply(&evaluation, &flow.registry),
        Ok(ItemState::Refused)
    );
    assert_eq!(good.tracks()[0].rectification_due(&calendar), Ok(None));
    let answer = body_of(MessageType::Rectification, ReportedStatus::InReview);
    let id = evaluation.envelope().id.clone();
    let rectification = flow.send(JIUJIANG, HUANGSHI, agreement, answer, Some(&id));
    let refused = good
        .apply(&rectification, &flow.registry)
        .map_err(|e| e.code());
    assert_eq!(refused, Err("lifecycle.illegal_transition"));
}

/// (1.1) A 补正 stops the clock of a 1.1 track: the working days after the request's
/// day, up to and including the supplement's, are the applicant's. The committed limit
/// (1 working day for the barber's licence) runs beside the statutory one (3). A 1.0
/// track's clock does not stop.
#[test]
fn a_supplement_request_stops_the_clock_of_a_1_1_track() {
    for (protocol, due_after_supplement) in [
        (ProtocolVersion::V1_1, "2026-12-08"),
        (ProtocolVersion::V1_0, "2026-12-02"),
    ] {
        let mut flow = Flow::new("2026-11-28T09:00:00+08:00");
        let mut case = Case::new(CaseId::parse(sample::CASE).expect("case"));
        let transfer = sample::transfer_body().expect("body");
        let files: Vec<Sha256Digest> = transfer
            .materials
            .iter()
            .map(|m| m.sha256.clone())
            .collect();
        let calendar = flow.registry.calendar().clone();
        let mut send = |flow: &mut Flow, day: &str, from: &str, body: Body, reply| {
            flow.start = Timestamp::parse(format!("{day}T09:00:00+08:00")).expect("time");
            flow.minutes = 0;
            let to = if from == HUANGSHI { JIUJIANG } else { HUANGSHI };
            let message = flow.send_as(protocol, from, to, body, reply);
            case.apply(&message, &flow.registry).expect("applied");
            (message, case.tracks()[0].clone())
        };
        let (sent, _) = send(
            &mut flow,
            "2026-11-28",
            HUANGSHI,
            Body::Transfer(transfer),
            None,
        );
        let id = sent.envelope().id.clone();
        let (_, mut track) = send(
            &mut flow,
            "2026-11-28",
            JIUJIANG,
            receipt(&sent, true),
            Some(&id),
        );
        if protocol == ProtocolVersion::V1_1 {
            // The clock of a 1.1 transfer with materials starts once they are held.
            let held = Body::FilesReceived(FilesReceived { files });
            track = send(&mut flow, "2026-11-28", JIUJIANG, held, Some(&id)).1;
        }
        // Received on Saturday 28 November: due Wednesday 2 December, promised Monday 30.
        assert_eq!(track.due(&calendar), Ok(Some(date("2026-12-02"))));
        assert_eq!(track.committed_due(&calendar), Ok(Some(date("2026-11-30"))));
        send(
            &mut flow,
            "2026-11-30",
            JIUJIANG,
            status(ReportedStatus::InReview),
            None,
        );
        let request = body_of(MessageType::SupplementRequest, ReportedStatus::InReview);
        let (_, track) = send(&mut flow, "2026-12-01", JIUJIANG, request, None);
        let today = date("2026-12-04");
        let deadline = track
            .deadline(today, &calendar)
            .expect("covered")
            .expect("started");
        if protocol == ProtocolVersion::V1_1 {
            // Two of three days used (30 November, 1 December): while the supplement is
            // outstanding there is no due day, and on Friday 4 December it would be
            // Monday 7 if the supplement came that day.
            assert_eq!(track.due(&calendar), Ok(None));
            assert!(deadline.paused && !deadline.overdue, "{deadline:?}");
            assert_eq!(deadline.due, date("2026-12-07"));
            // The promise was used up before the stop: not paused, and overdue.
            let promise = track.committed_deadline(today, &calendar).expect("covered");
            let promise = promise.expect("promised");
            assert!(!promise.paused && promise.overdue, "{promise:?}");
        } else {
            assert!(!deadline.paused && deadline.overdue, "{deadline:?}");
        }
        // The committed day had passed before the request: it stays passed.
        assert_eq!(track.committed_due(&calendar), Ok(Some(date("2026-11-30"))));
        let supplement = body_of(MessageType::Supplement, ReportedStatus::InReview);
        let (_, track) = send(&mut flow, "2026-12-07", HUANGSHI, supplement, None);
        assert_eq!(track.due(&calendar), Ok(Some(date(due_after_supplement))));
    }
}
