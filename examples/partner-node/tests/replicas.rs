//! Two replicas of one node (Huangshi: the same identity, key and database, each with
//! its own name and addresses) drain one outbox together, over real loopback HTTP:
//! every message is delivered, and none twice, because each replica leases what it
//! delivers. And the same message posted to two replicas of the receiver at once is
//! stored once, both answering with the same receipt. On SQLite the replicas share one
//! file on one machine; the test script runs these tests again with each node's
//! database in PostgreSQL (`TONGBAN_DEMO_POSTGRES`), as replicas on several machines
//! would share it.

use partner_node::database::Param;
use partner_node::demo::{self, free_address};
use partner_node::{start, Config, RunningNode};
use std::time::Duration;
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::{Body, CaseId, Envelope, Timestamp};

const TRANSFERS: usize = 40;
const WAIT: Duration = Duration::from_secs(30);

async fn metric(node: &RunningNode, series: &str) -> f64 {
    let text = reqwest::Client::new()
        .get(format!(
            "http://{}/operator/v1/metrics",
            node.operator_address
        ))
        .bearer_auth(node.node().config().operator_token.secret())
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn two_replicas_deliver_every_message_once() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare nodes");
    let jiujiang = start(Config::load(&nodes[JIUJIANG].config).expect("config"))
        .await
        .expect("Jiujiang starts");
    let replica = |name: &str, second: bool| {
        let mut config = Config::load(&nodes[HUANGSHI].config).expect("config");
        config.replica = name.to_string();
        if second {
            config.listen = free_address().expect("address");
            config.operator_listen = free_address().expect("address");
        }
        config
    };
    let a = start(replica("huangshi-a", false))
        .await
        .expect("replica a");
    let b = start(replica("huangshi-b", true)).await.expect("replica b");

    // Forty cases, queued through either replica's operator API.
    for n in 0..TRANSFERS {
        let via = if n % 2 == 0 { &a } else { &b };
        let case = format!("HS-2026-{:06}", 500 + n);
        via.operator_client()
            .send(&demo::sample_transfer(&case).expect("transfer"))
            .await
            .expect("queued");
    }
    let accepted = r#"messaging_client_consumed_messages_total{messaging_system="tongban",messaging_operation_name="receive",outcome="accepted",error_type=""}"#;
    let replayed = r#"messaging_client_consumed_messages_total{messaging_system="tongban",messaging_operation_name="receive",outcome="replayed",error_type=""}"#;
    let deadline = tokio::time::Instant::now() + WAIT;
    while metric(&jiujiang, accepted).await < TRANSFERS as f64 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all delivered in {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every message reached Jiujiang once: none was sent again while on its way.
    assert_eq!(metric(&jiujiang, accepted).await, TRANSFERS as f64);
    assert_eq!(metric(&jiujiang, replayed).await, 0.0);
    // The replicas' own counts add up to the forty deliveries, and the shared outbox
    // holds every message as delivered.
    let delivered = r#"messaging_client_sent_messages_total{messaging_system="tongban",messaging_operation_name="send",outcome="delivered",error_type=""}"#;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (by_a, by_b) = (metric(&a, delivered).await, metric(&b, delivered).await);
        if by_a + by_b >= TRANSFERS as f64 {
            assert_eq!(by_a + by_b, TRANSFERS as f64, "a {by_a}, b {by_b}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "a {by_a}, b {by_b}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let outbox = a.operator_client().outbox().await.expect("outbox");
    let entries = outbox["outbox"].as_array().expect("entries");
    assert_eq!(entries.len(), TRANSFERS);
    assert!(
        entries.iter().all(|e| e["status"] == "delivered"),
        "{outbox}"
    );
    a.stop().await;
    b.stop().await;
    jiujiang.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_message_at_two_replicas_at_once_is_stored_once_with_one_receipt() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare nodes");
    let replica = |name: &str, second: bool| {
        let mut config = Config::load(&nodes[JIUJIANG].config).expect("config");
        config.replica = name.to_string();
        if second {
            config.listen = free_address().expect("address");
            config.operator_listen = free_address().expect("address");
        }
        config
    };
    let x = start(replica("jiujiang-x", false))
        .await
        .expect("replica x");
    let y = start(replica("jiujiang-y", true)).await.expect("replica y");
    for n in 0..TRANSFERS {
        let mut route = sample::route(HUANGSHI).expect("route");
        route.case = CaseId::parse(format!("HS-2026-{:06}", 600 + n)).expect("case id");
        let body = Body::Transfer(sample::transfer_body().expect("body"));
        let mut message = Envelope::new(route, body, Timestamp::now(), 3600).expect("envelope");
        message
            .sign(&sample::key(HUANGSHI).expect("key"))
            .expect("sign");
        let bytes = message.to_canonical_bytes().expect("bytes");
        // Two copies at each replica, all at once.
        let answers = futures_util::future::join_all(
            [&x, &y, &x, &y].map(|replica| demo::post_raw(replica, bytes.clone())),
        )
        .await;
        let answers: Vec<demo::Posted> = answers
            .into_iter()
            .map(|answer| answer.expect("an answer"))
            .collect();
        for answer in &answers {
            assert_eq!(answer.status, 200, "transfer {n}: {answer:?}");
            assert_eq!(
                answer.body, answers[0].body,
                "transfer {n}: two receipts for one message"
            );
        }
        let stored = x
            .node()
            .store()
            .run(|db| {
                db.query_one(
                    "SELECT COUNT(*) FROM messages WHERE id = ?1",
                    &[Param::Text(message.id.as_str())],
                )?
                .integer(0)
            })
            .expect("count");
        assert_eq!(stored, 1, "transfer {n}");
    }
    let cases = x.operator_client().cases().await.expect("cases");
    assert_eq!(cases.len(), TRANSFERS, "one case per transfer, each once");
    x.stop().await;
    y.stop().await;
}

#[tokio::test]
async fn a_registry_installed_at_one_replica_is_in_force_at_the_other() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare nodes");
    let a = start(Config::load(&nodes[JIUJIANG].config).expect("config"))
        .await
        .expect("replica a");
    let second = demo::prepare_replica(&nodes[JIUJIANG].config, "jiujiang-b").expect("replica b");
    let b = start(Config::load(&second.config).expect("config"))
        .await
        .expect("replica b");
    assert_eq!(b.node().registry().version(), 1);

    // Version 2 of the same registry, installed through replica a's operator API.
    let mut document: tongban::registry::RegistryDocument =
        serde_json::from_slice(&std::fs::read(dir.path().join("registry.json")).expect("registry"))
            .expect("registry document");
    document.version = 2;
    document.signatures.clear();
    let update = sample::signed_registry(&document, &[0, 1]).expect("sign");
    a.operator_client()
        .install_registry(update)
        .await
        .expect("installed at a");
    assert_eq!(a.node().registry().version(), 2);
    // Replica b takes it up from the database they share, without a restart.
    let deadline = tokio::time::Instant::now() + WAIT;
    while b.node().registry().version() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "replica b still has version {}",
            b.node().registry().version()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Offering version 2 again at b: it is in force there, so it is no update.
    let again = sample::signed_registry(&document, &[0, 1]).expect("sign");
    let refused = b
        .operator_client()
        .install_registry(again)
        .await
        .expect_err("the same version again");
    assert_eq!(
        refused.code().as_deref(),
        Some("registry.rollback"),
        "{refused:?}"
    );

    // A version 4 pinned in the database that version 2's operators did not sign (a
    // forged row, say): neither replica takes it up, and the reason is given.
    let forged = {
        let mut forged = document.clone();
        forged.version = 4;
        forged.operator = sample::registry_document(3, &[3, 4], 2)
            .expect("operators 3 and 4")
            .operator;
        sample::signed_registry(&forged, &[3, 4]).expect("sign")
    };
    let digest = tongban::Sha256Digest::of(&forged);
    b.node()
        .store()
        .run(|db| {
            db.execute(
                "INSERT INTO registry (version, sha256, bytes, installed_at) VALUES (?1, ?2, ?3, ?4)",
                &[
                    Param::Integer(4),
                    Param::Text(digest.as_str()),
                    Param::Blob(&forged),
                    Param::Text(Timestamp::now().as_str()),
                ],
            )
        })
        .expect("forged row");
    for replica in [&a, &b] {
        let refused = replica.node().follow_registry().expect_err("not an update");
        assert!(
            refused
                .to_string()
                .contains("is not an update of version 2"),
            "{refused}"
        );
        assert_eq!(replica.node().registry().version(), 2);
        // Its health says so, for the operator who installed it.
        let health = replica.node().health();
        let warned = health["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str())
            .any(|w| w.contains("version 4 is pinned"));
        assert!(warned, "{health}");
        // And it is not ready: it would accept what a replica that took it up refuses.
        let readiness = replica.node().readiness();
        assert!(!readiness.is_ready(), "{readiness:?}");
        assert!(
            readiness
                .registry
                .as_deref()
                .is_some_and(|r| r.contains("registry version 4")),
            "{readiness:?}"
        );
    }
    // Nor is a version 3 pinned below it: what a replica installs never goes under
    // the pin, whoever put it there.
    document.version = 3;
    let below = sample::signed_registry(&document, &[0, 1]).expect("sign");
    let refused = b
        .operator_client()
        .install_registry(below)
        .await
        .expect_err("below the pin");
    assert_eq!(refused.status, 409, "{refused:?}");
    assert_eq!(refused.code().as_deref(), Some("registry.rollback"));
    assert_eq!(b.node().registry().version(), 2);
    // Nothing staged is left beside the registry file.
    let staged: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(".registry-installing-"))
        .collect();
    assert!(staged.is_empty(), "{staged:?}");
    a.stop().await;
    b.stop().await;
}
