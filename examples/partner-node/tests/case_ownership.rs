//! A case belongs to the window that opened it (PROTOCOL §18): another member that uses
//! the same case id, first or later, opens a case of its own at the receiver and never
//! blocks, joins or changes the genuine one. Over real loopback HTTP between running
//! nodes.

use partner_node::demo::{self, track_state};
use partner_node::{start, Config, RunningNode};
use serde_json::{json, Value};
use std::time::Duration;
use tongban::client::{Client, RetryPolicy};
use tongban::registry::Registry;
use tongban::sample::{self, AGREEMENT, CASE, HUANGSHI, JIUJIANG};
use tongban::*;

const WUHAN: &str = "wuhan.420100";
const CROSS_PROVINCE: &str = "yunshangban.cross-province";
/// The applicant of Wuhan's case (Huangshi's is 陈丽华).
const WUHAN_APPLICANT: &str = "周建国";

/// A message from Wuhan to Jiujiang under the cross-province agreement, with Huangshi's
/// case id, signed with Wuhan's sample key.
fn from_wuhan(body: Body) -> Vec<u8> {
    let route = Route {
        from: NodeId::parse(WUHAN).expect("node"),
        to: NodeId::parse(JIUJIANG).expect("node"),
        agreement: AgreementId::parse(CROSS_PROVINCE).expect("agreement"),
        case: CaseId::parse(CASE).expect("case"),
    };
    let mut message = Envelope::new(route, body, Timestamp::now(), 3600).expect("envelope");
    message
        .sign(&sample::key(WUHAN).expect("key"))
        .expect("sign");
    message.to_canonical_bytes().expect("bytes")
}

fn transport_transfer() -> Body {
    let mut transfer = sample::transfer_body().expect("body");
    transfer.applicant = serde_json::from_value(json!({
        "kind": "natural_person", "name": WUHAN_APPLICANT, "citizen_id": "420102198506150018"
    }))
    .expect("applicant");
    transfer.item = ItemCode::parse("YSB-0101").expect("item");
    transfer.item_name = "道路运输从业人员从业资格证换证".into();
    transfer.materials[0].name = "身份证".into();
    transfer.materials[1].name = "原从业资格证".into();
    transfer.form = serde_json::from_value(json!({
        "holder_name": WUHAN_APPLICANT, "certificate_no": "420100123456", "category": "道路货物运输驾驶员"
    }))
    .expect("form");
    Body::Transfer(transfer)
}

async fn running(config: &std::path::Path) -> RunningNode {
    start(Config::load(config).expect("config"))
        .await
        .expect("node starts")
}

fn client() -> Client {
    Client::new(RetryPolicy {
        attempts: 1,
        ..RetryPolicy::default()
    })
    .expect("client")
}

fn text(view: &Value) -> String {
    view.to_string()
}

#[tokio::test]
async fn another_window_using_the_same_case_id_first_neither_blocks_nor_joins_the_case() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let registry_bytes = std::fs::read(dir.path().join("registry.json")).expect("registry");
    let registry = Registry::bootstrap(&registry_bytes, &Timestamp::now()).expect("registry");
    let jiujiang = running(&nodes[JIUJIANG].config).await;
    let huangshi = running(&nodes[HUANGSHI].config).await;

    // Wuhan squats Huangshi's next case id at Jiujiang before Huangshi sends it.
    let squat = client()
        .deliver(&registry, &from_wuhan(transport_transfer()))
        .await
        .expect("Wuhan's transfer is receipted: it opens Wuhan's own case");
    assert_eq!(squat.receipt.envelope().case.as_str(), CASE);

    // Huangshi's genuine transfer of the same case id is received all the same.
    let transfer = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");
    let hs = huangshi.operator_client();
    hs.send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": transfer}))
        .await
        .expect("queued");
    hs.wait_for_case(CASE, Duration::from_secs(20), |v| {
        track_state(v) == Some("received")
    })
    .await
    .expect("Huangshi's transfer was received");

    // Jiujiang holds two cases with this id, one per window, each with its own data.
    let jj = jiujiang.operator_client();
    let ambiguous = jj
        .case(CASE)
        .await
        .expect_err("two windows have this case id");
    assert_eq!(
        (ambiguous.status, ambiguous.code().as_deref()),
        (409, Some("operator.ambiguous_case"))
    );
    let genuine = jj
        .case_of(HUANGSHI, CASE)
        .await
        .expect("view")
        .expect("Huangshi's case");
    let squatted = jj
        .case_of(WUHAN, CASE)
        .await
        .expect("view")
        .expect("Wuhan's case");
    assert_eq!(genuine["window"], HUANGSHI);
    assert_eq!(genuine["tracks"].as_array().map(Vec::len), Some(1));
    assert_eq!(track_state(&genuine), Some("received"));
    assert!(text(&genuine).contains("陈丽华") && !text(&genuine).contains(WUHAN_APPLICANT));
    assert!(text(&squatted).contains(WUHAN_APPLICANT) && !text(&squatted).contains("陈丽华"));
    let listed = jj.cases().await.expect("cases");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.contains(&json!({"window": WUHAN, "case": CASE})));

    // Wuhan withdraws "the case": its own, never Huangshi's.
    let withdrawal = Body::Withdrawal(Withdrawal {
        requested_by: WithdrawnBy::Applicant,
        reason: "申请人撤回".into(),
    });
    client()
        .deliver(&registry, &from_wuhan(withdrawal))
        .await
        .expect("Wuhan's withdrawal of its own case");
    let squatted = jj
        .case_of(WUHAN, CASE)
        .await
        .expect("view")
        .expect("Wuhan's case");
    assert_eq!(track_state(&squatted), Some("withdrawn"));
    let genuine = jj
        .case_of(HUANGSHI, CASE)
        .await
        .expect("view")
        .expect("Huangshi's case");
    assert_eq!(
        track_state(&genuine),
        Some("received"),
        "Huangshi's case did not move"
    );

    // And Huangshi's case goes on: Jiujiang's review reaches it.
    let transfer_id = genuine["tracks"][0]["transfer"]
        .as_str()
        .expect("transfer id")
        .to_string();
    jj.send(&json!({"type": "status_update", "case": CASE, "to": HUANGSHI, "agreement": AGREEMENT, "in_reply_to": transfer_id, "body": {"status": "in_review"}}))
        .await
        .expect("the review is queued on Huangshi's case");
    hs.wait_for_case(CASE, Duration::from_secs(20), |v| {
        track_state(v) == Some("in_review")
    })
    .await
    .expect("Huangshi's case is in review");
    huangshi.stop().await;
    jiujiang.stop().await;
}
