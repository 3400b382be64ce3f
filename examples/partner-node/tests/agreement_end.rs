//! When an agreement ends and a node's key is retired (PROTOCOL §17): new cases stop,
//! open cases finish within the wind-down, and a node never stores an effect it cannot
//! answer with a receipt the sender accepts.

use partner_node::database::Param;
use partner_node::demo::{self, track_state, DemoNode};
use partner_node::node::{Environment, Node};
use partner_node::{start, Config, RunningNode};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tongban::client::Client;
use tongban::registry::{MemberKey, Registry, RegistryDocument, AGREEMENT_WIND_DOWN_SECONDS};
use tongban::sample::{self, AGREEMENT, CASE, HUANGSHI, JIUJIANG};
use tongban::*;

const WAIT: Duration = Duration::from_secs(20);

/// The demo registry's document, as `demo::prepare` wrote it, without its signatures.
fn demo_document(dir: &Path) -> RegistryDocument {
    let bytes = std::fs::read(dir.join("registry.json")).expect("registry file");
    let mut document = Registry::bootstrap(&bytes, &Timestamp::now())
        .expect("registry")
        .document()
        .clone();
    document.signatures.clear();
    document
}

/// Writes `document`, signed by the sample operator keys, as the demo registry.
fn write_registry(dir: &Path, document: &RegistryDocument) {
    let bytes = sample::signed_registry(document, &[0, 1]).expect("signed registry");
    std::fs::write(dir.join("registry.json"), bytes).expect("write registry");
}

fn agreement_ends(document: &mut RegistryDocument, at: &Timestamp) {
    let agreement = document
        .agreements
        .iter_mut()
        .find(|a| a.id.as_str() == AGREEMENT)
        .expect("the sample agreement");
    agreement.valid_until = at.clone();
}

/// A message from Huangshi to Jiujiang on the sample case, created at `created`.
fn from_huangshi(body: Body, created: &Timestamp) -> Vec<u8> {
    let route = sample::route(HUANGSHI).expect("route");
    let mut message = Envelope::new(route, body, created.clone(), 7 * 24 * 3600).expect("envelope");
    message
        .sign(&sample::key(HUANGSHI).expect("key"))
        .expect("sign");
    message.to_canonical_bytes().expect("bytes")
}

fn stored(node: &Node, sender: &str) -> i64 {
    node.store()
        .run(|db| {
            db.query_one(
                "SELECT COUNT(*) FROM messages WHERE sender = ?1",
                &[Param::Text(sender)],
            )?
            .integer(0)
        })
        .expect("count")
}

#[test]
fn a_message_whose_receipt_would_be_refused_is_refused_and_not_stored() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let end = Timestamp::parse("2026-12-31T23:59:59+08:00").expect("time");
    let mut document = demo_document(dir.path());
    agreement_ends(&mut document, &end);
    write_registry(dir.path(), &document);
    // Jiujiang's clock is set by the test.
    let clock_ms = Arc::new(AtomicI64::new(0));
    let set = |at: &Timestamp| clock_ms.store(at.unix_millis() as i64, Ordering::SeqCst);
    let reading = clock_ms.clone();
    let config = Config::load(&nodes[JIUJIANG].config).expect("config");
    let environment = Environment {
        clock: Clock::from_fn(move || reading.load(Ordering::SeqCst)),
        client: Client::new(config.retry.clone()).expect("client"),
        blocking_threads: false,
        id_seed: None,
    };
    let jiujiang = Node::open_in(config, environment).expect("node");

    // The case opens an hour before the agreement ends.
    let before_end = end.plus_seconds(-3600).expect("time");
    set(&before_end);
    let transfer = Body::Transfer(sample::transfer_body().expect("body"));
    jiujiang
        .receive(&from_huangshi(transfer, &before_end))
        .expect("the transfer is received while the agreement is in force");

    // A withdrawal created an hour before the wind-down ends arrives two hours later:
    // the message verifies (it was created within the wind-down), but a receipt dated
    // now would not, so the node refuses it for good and stores nothing.
    let wind_down_end = end.plus_seconds(AGREEMENT_WIND_DOWN_SECONDS).expect("time");
    let created = wind_down_end.plus_seconds(-3600).expect("time");
    let withdrawal = Body::Withdrawal(Withdrawal {
        requested_by: WithdrawnBy::Applicant,
        reason: "申请人撤回".into(),
    });
    let late = from_huangshi(withdrawal, &created);
    set(&wind_down_end.plus_seconds(3600).expect("time"));
    let refused = jiujiang
        .receive(&late)
        .expect_err("a receipt now would be refused");
    assert_eq!(
        (refused.status, refused.body.code.as_str()),
        (422, "agreement.inactive")
    );
    assert_eq!(
        stored(&jiujiang, HUANGSHI),
        1,
        "only the transfer is stored"
    );
    let key = partner_node::store::CaseKey {
        window: NodeId::parse(HUANGSHI).expect("node"),
        case: CaseId::parse(CASE).expect("case"),
    };
    let view = jiujiang.case_view(&key).ok().flatten().expect("case");
    assert_eq!(
        track_state(&view),
        Some("received"),
        "the case did not move"
    );

    // The same withdrawal arriving in time is applied.
    set(&created.plus_seconds(60).expect("time"));
    jiujiang.receive(&late).expect("within the wind-down");
    let view = jiujiang.case_view(&key).ok().flatten().expect("case");
    assert_eq!(track_state(&view), Some("withdrawn"));
}

async fn running(node: &DemoNode) -> RunningNode {
    start(Config::load(&node.config).expect("config"))
        .await
        .expect("node starts")
}

/// The step `body` from `from` on the sample case, answering the transfer.
fn step(message_type: &str, to: &str, transfer: &str) -> serde_json::Value {
    json!({
        "type": message_type, "case": CASE, "to": to, "agreement": AGREEMENT,
        "in_reply_to": transfer, "body": demo::step_body(message_type).expect("body"),
    })
}

#[tokio::test]
async fn a_case_finishes_after_its_agreement_ends_and_the_authority_rotates_its_key() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes: BTreeMap<String, DemoNode> =
        demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let (huangshi, jiujiang) = (
        running(&nodes[HUANGSHI]).await,
        running(&nodes[JIUJIANG]).await,
    );
    let transfer = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");
    let queued = huangshi
        .operator_client()
        .send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": transfer}))
        .await
        .expect("queued");
    let transfer_id = queued["id"].as_str().expect("id").to_string();
    huangshi
        .operator_client()
        .wait_for_case(CASE, WAIT, |v| track_state(v) == Some("received"))
        .await
        .expect("received");
    let review = step("status_update", HUANGSHI, &transfer_id);
    jiujiang
        .operator_client()
        .send(&review)
        .await
        .expect("review queued");
    huangshi
        .operator_client()
        .wait_for_case(CASE, WAIT, |v| track_state(v) == Some("in_review"))
        .await
        .expect("in review");
    huangshi.stop().await;
    jiujiang.stop().await;

    // Registry version 2: the agreement ends now, and Jiujiang's key is retired now in
    // favour of a new one. Timestamps have whole seconds here: every message so far was
    // created before `now`, every later one after it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let now = Timestamp::now();
    let new_key = KeyPair::generate(
        NodeId::parse(JIUJIANG).expect("node"),
        Some(KeyId::parse("jiujiang.360400#rotated").expect("key id")),
    )
    .expect("new key");
    let mut document = demo_document(dir.path());
    document.version = 2;
    agreement_ends(&mut document, &now);
    let member = document
        .members
        .iter_mut()
        .find(|m| m.node.as_str() == JIUJIANG)
        .expect("Jiujiang");
    let old = member.keys[0].clone();
    member.keys[0].valid_until = now.clone();
    member.keys.push(MemberKey {
        key_id: new_key.key_id().clone(),
        public_key: tongban::crypto::base64url(new_key.public_key().as_bytes()),
        valid_from: now.clone(),
        ..old
    });
    write_registry(dir.path(), &document);
    let key_file = dir.path().join(JIUJIANG).join("key.json");
    std::fs::write(
        &key_file,
        serde_json::to_vec(&new_key.to_file()).expect("json"),
    )
    .expect("new key file");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (huangshi, jiujiang) = (
        running(&nodes[HUANGSHI]).await,
        running(&nodes[JIUJIANG]).await,
    );

    // No new case: a transfer is refused before it is sent.
    let other = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");
    let refused = huangshi
        .operator_client()
        .send(&json!({"type": "transfer", "case": "HS-2026-000124", "to": JIUJIANG, "agreement": AGREEMENT, "body": other}))
        .await
        .expect_err("the agreement has ended");
    assert_eq!(refused.code().as_deref(), Some("agreement.inactive"));

    // The open case finishes, Jiujiang signing with its new key.
    let (hs, jj) = (huangshi.operator_client(), jiujiang.operator_client());
    jj.send(&step("supplement_request", HUANGSHI, &transfer_id))
        .await
        .expect("queued");
    hs.wait_for_case(CASE, WAIT, |v| {
        track_state(v) == Some("supplement_requested")
    })
    .await
    .expect("supplement requested");
    hs.send(&step("supplement", JIUJIANG, &transfer_id))
        .await
        .expect("queued");
    jj.wait_for_case(CASE, WAIT, |v| track_state(v) == Some("supplemented"))
        .await
        .expect("supplemented");
    jj.send(&step("decision", HUANGSHI, &transfer_id))
        .await
        .expect("queued");
    let decided = hs
        .wait_for_case(CASE, WAIT, |v| {
            track_state(v) == Some("decided")
                && v["messages"]
                    .as_array()
                    .is_some_and(|m| m.iter().all(|m| m["receipted"] == true))
        })
        .await
        .expect("decided, every message receipted");
    let signers: Vec<String> = decided["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["from"] == JIUJIANG && m["type"] == "decision")
        .map(|m| {
            m["message"]["signatures"][0]["kid"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(signers, vec!["jiujiang.360400#rotated".to_string()]);
    huangshi.stop().await;
    jiujiang.stop().await;
}
