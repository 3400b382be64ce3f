//! What the node keeps of what a peer sends: the canonical bytes its receipt binds,
//! never a sender's padding, and a bounded number of messages on a finished case.

use partner_node::database::Param;
use partner_node::demo;
use partner_node::{start, Config, RunningNode};
use serde_json::Value;
use tongban::sample::{self, CASE, HUANGSHI, JIUJIANG};
use tongban::*;

async fn jiujiang(dir: &std::path::Path) -> RunningNode {
    let nodes = demo::prepare(dir, &[HUANGSHI, JIUJIANG]).expect("prepare");
    start(Config::load(&nodes[JIUJIANG].config).expect("config"))
        .await
        .expect("node starts")
}

/// Posts `body` to the node's endpoint; the status and the answer.
async fn post(node: &RunningNode, body: Vec<u8>) -> (u16, Vec<u8>) {
    let response = reqwest::Client::new()
        .post(format!("http://{}/tongban/v1/messages", node.address))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answer");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

/// A message from `from` on the sample case, signed now; its canonical bytes.
fn signed(from: &str, body: Body, in_reply_to: Option<&MessageId>) -> Vec<u8> {
    let mut message = Envelope::new(
        sample::route(from).expect("route"),
        body,
        Timestamp::now(),
        3600,
    )
    .expect("envelope");
    message.in_reply_to = in_reply_to.cloned();
    message
        .sign(&sample::key(from).expect("key"))
        .expect("sign");
    message.to_canonical_bytes().expect("bytes")
}

fn stored_bytes(node: &RunningNode, id: &str) -> Option<Vec<u8>> {
    node.node()
        .store()
        .run(|db| {
            db.query_first(
                "SELECT bytes FROM messages WHERE id = ?1",
                &[Param::Text(id)],
            )?
            .map(|row| row.blob(0))
            .transpose()
        })
        .expect("read")
}

#[tokio::test]
async fn the_node_stores_the_canonical_bytes_its_receipt_binds_not_the_padding() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let node = jiujiang(dir.path()).await;
    let canonical = signed(
        HUANGSHI,
        Body::Transfer(sample::transfer_body().expect("body")),
        None,
    );
    // The same message, pretty-printed and padded with 512 KiB of whitespace: still the
    // same message (§2), so it is accepted.
    let value: Value = serde_json::from_slice(&canonical).expect("json");
    let mut padded = serde_json::to_vec_pretty(&value).expect("json");
    padded.extend(std::iter::repeat_n(b' ', 512 * 1024));
    let (status, answer) = post(&node, padded.clone()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let receipt = Unverified::parse(&answer).expect("a receipt");
    let Body::Receipt(receipt) = &receipt.envelope().body else {
        panic!("not a receipt");
    };
    let id = value["id"].as_str().expect("id");
    let stored = stored_bytes(&node, id).expect("stored");
    assert_eq!(
        stored, canonical,
        "the canonical bytes, not the body as posted"
    );
    assert_eq!(Sha256Digest::of(&stored), receipt.answers_sha256);
    assert!(stored.len() * 10 < padded.len());
    node.stop().await;
}

#[tokio::test]
async fn a_finished_case_takes_a_bounded_number_of_further_messages() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let node = jiujiang(dir.path()).await;
    let transfer = signed(
        HUANGSHI,
        Body::Transfer(sample::transfer_body().expect("body")),
        None,
    );
    assert_eq!(post(&node, transfer.clone()).await.0, 200);
    let transfer_id = Unverified::parse(&transfer)
        .expect("parse")
        .envelope()
        .id
        .clone();
    // Jiujiang starts its review: the protocol errors below are Huangshi's answers to
    // it (an error comes from the receiver of the message it answers, §18).
    let review = node
        .operator_client()
        .send(&serde_json::json!({
            "type": "status_update", "case": CASE, "to": HUANGSHI,
            "agreement": sample::AGREEMENT, "body": {"status": "in_review"},
        }))
        .await
        .expect("review");
    let review_id = MessageId::parse(review["id"].as_str().expect("id")).expect("id");
    let withdrawal = Body::Withdrawal(Withdrawal {
        requested_by: WithdrawnBy::Applicant,
        reason: "申请人撤回".into(),
    });
    assert_eq!(
        post(&node, signed(HUANGSHI, withdrawal, Some(&transfer_id)))
            .await
            .0,
        200
    );
    let error = || {
        let body = sample::body(MessageType::ProtocolError, &Sha256Digest::of(b"x")).expect("body");
        signed(HUANGSHI, body, Some(&review_id))
    };
    for _ in 0..tongban::lifecycle::FINAL_ALLOWANCE {
        assert_eq!(post(&node, error()).await.0, 200);
    }
    let one_more = error();
    let (status, answer) = post(&node, one_more.clone()).await;
    let code = tongban::http::ErrorBody::parse(&answer).map(|b| b.code);
    assert_eq!(
        (status, code.as_deref()),
        (409, Some("lifecycle.illegal_transition"))
    );
    let id = Unverified::parse(&one_more)
        .expect("parse")
        .envelope()
        .id
        .to_string();
    assert_eq!(stored_bytes(&node, &id), None, "nothing stored");
    let view = node
        .operator_client()
        .case(CASE)
        .await
        .expect("view")
        .expect("case");
    assert_eq!(view["messages"].as_array().map(Vec::len), Some(3 + 4));
    node.stop().await;
}
