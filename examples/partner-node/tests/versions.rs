//! Versioning between running nodes (PROTOCOL §10, §20): a window whose registry entry
//! speaks 1.0 only and an authority that speaks 1.0 and 1.1 handle a whole case on 1.0;
//! the 1.1 node never writes 1.1 to the 1.0 one (no 1.1 type, no 1.1 member, no file
//! exchange), and a 1.1 message signed for the 1.0 node is refused at its door.

use partner_node::demo::{self, track_state};
use partner_node::{start, Config};
use serde_json::{json, Value};
use std::time::Duration;
use tongban::registry::RegistryDocument;
use tongban::sample::{self, AGREEMENT, CASE, HUANGSHI, JIUJIANG};
use tongban::*;

const WAIT: Duration = Duration::from_secs(30);

/// Every message of a case view, as it travelled.
fn messages(view: &Value) -> Vec<&Value> {
    let messages = view["messages"].as_array().into_iter().flatten();
    messages.map(|m| &m["message"]).collect()
}

#[tokio::test]
async fn a_1_0_only_window_and_a_1_1_authority_handle_a_case_on_1_0() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let both = [ProtocolVersion::V1_0, ProtocolVersion::V1_1];
    let nodes = demo::prepare_speaking(dir.path(), &[HUANGSHI, JIUJIANG], &both).expect("prepare");
    // Huangshi runs as a member that has not upgraded: its entry lists 1.0 only.
    let registry_file = dir.path().join("registry.json");
    let bytes = std::fs::read(&registry_file).expect("registry");
    let mut document: RegistryDocument = serde_json::from_slice(&bytes).expect("document");
    for member in &mut document.members {
        if member.node.as_str() == HUANGSHI {
            member.protocols = vec![ProtocolVersion::V1_0];
        }
    }
    document.signatures.clear();
    let signed = sample::signed_registry(&document, &[0, 1]).expect("signed");
    std::fs::write(&registry_file, signed).expect("written");
    let load = |node: &str| Config::load(&nodes[node].config).expect("config");
    let jiujiang = start(load(JIUJIANG)).await.expect("Jiujiang starts");
    let huangshi = start(load(HUANGSHI)).await.expect("Huangshi starts");
    let (hs, jj) = (huangshi.operator_client(), jiujiang.operator_client());
    let send = |message_type: &str, to: &str, reply: Option<&str>, body: Value| {
        json!({"type": message_type, "case": CASE, "to": to, "agreement": AGREEMENT,
            "in_reply_to": reply, "body": body})
    };

    let transfer = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");
    let queued = hs
        .send(&send("transfer", JIUJIANG, None, transfer))
        .await
        .expect("queued");
    let transfer_id = queued["id"].as_str().expect("id").to_string();
    jj.wait_for_case(CASE, WAIT, |v| track_state(v) == Some("received"))
        .await
        .expect("received at Jiujiang");

    // The 1.1 node writes nothing of 1.1 to the 1.0 one: not a type of 1.1 ...
    let mut results = demo::step_body("shipment").expect("body");
    results["contents"] = json!("results");
    let refused = jj
        .send(&send("shipment", HUANGSHI, Some(&transfer_id), results))
        .await
        .expect_err("a 1.1 type to a 1.0 peer");
    assert_eq!(
        (refused.status, refused.code().as_deref()),
        (400, Some("message.unknown_type"))
    );
    // ... and the 1.0 node writes none either.
    let evaluation = demo::step_body("evaluation").expect("body");
    let refused = hs
        .send(&send(
            "evaluation",
            JIUJIANG,
            Some(&transfer_id),
            evaluation,
        ))
        .await
        .expect_err("a 1.1 type from a 1.0 member");
    assert_eq!(refused.code().as_deref(), Some("message.unknown_type"));

    for step in ["status_update", "decision"] {
        let body = demo::step_body(step).expect("body");
        jj.send(&send(step, HUANGSHI, Some(&transfer_id), body))
            .await
            .expect("queued");
    }
    let closed = json!({"status": "closed"});
    hs.wait_for_case(CASE, WAIT, |v| track_state(v) == Some("decided"))
        .await
        .expect("decided at Huangshi");
    jj.send(&send("status_update", HUANGSHI, Some(&transfer_id), closed))
        .await
        .expect("queued");
    let done = |v: &Value| {
        let mut all = v["messages"].as_array().into_iter().flatten();
        track_state(v) == Some("closed")
            && all.all(|m| m["direction"] != "out" || m["receipted"] == true)
    };
    let hs_view = hs
        .wait_for_case(CASE, WAIT, done)
        .await
        .expect("closed at Huangshi");
    let jj_view = jj
        .wait_for_case(CASE, WAIT, done)
        .await
        .expect("closed at Jiujiang");

    // Every message of the case, both ways, says 1.0; no file was exchanged or
    // acknowledged, and the clock ran from the receipt.
    for view in [&hs_view, &jj_view] {
        let all = messages(view);
        assert_eq!(all.len(), 4, "transfer, review, decision, closure: {all:?}");
        assert!(all.iter().all(|m| m["protocol"] == "1.0"), "{all:?}");
        assert!(all.iter().all(|m| m["type"] != "files_received"));
        assert!(view["tracks"][0]["received_on"].is_string());
        assert!(view["tracks"][0].get("awaits_files").is_none());
    }
    assert_eq!(demo::files_fetched(&jj_view), 0);

    // A 1.1 message that Jiujiang's key signs for Huangshi is refused at Huangshi's
    // door: Huangshi does not speak 1.1 (§17).
    let route = Route {
        from: NodeId::parse(JIUJIANG).expect("node"),
        to: NodeId::parse(HUANGSHI).expect("node"),
        agreement: AgreementId::parse(AGREEMENT).expect("agreement"),
        case: CaseId::parse(CASE).expect("case"),
    };
    let review = Body::StatusUpdate(StatusUpdate {
        status: ReportedStatus::InReview,
        note: None,
    });
    let mut message = Envelope::new(route, review, Timestamp::now(), 3600)
        .expect("envelope")
        .with_protocol(ProtocolVersion::V1_1);
    let bytes = message
        .sign_to_bytes(&sample::key(JIUJIANG).expect("key"))
        .expect("signed");
    let url = format!("{}/messages", nodes[HUANGSHI].endpoint);
    let answer = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(bytes)
        .send()
        .await
        .expect("answered");
    let status = answer.status().as_u16();
    let text = answer.text().await.expect("body");
    assert!(text.contains("version.not_negotiated"), "{status} {text}");
    huangshi.stop().await;
    jiujiang.stop().await;
}
