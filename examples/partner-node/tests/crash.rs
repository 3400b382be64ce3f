//! Crashes over real processes: Huangshi's node sends a bounded load of transfers to
//! Jiujiang's node while Jiujiang is killed with SIGKILL and restarted, again and again.
//!
//! After every kill, Jiujiang's database holds each message complete (message, case and
//! receipt together) and every transfer Huangshi holds a receipt for, exactly once. In
//! the end the outbox has delivered everything, each transfer is stored once with the
//! very receipt the sender holds, and re-sending every message delivers nothing twice.

use partner_node::demo::{self, DemoNode, OperatorClient};
use partner_node::store::DATABASE_FILE;
use rusqlite::{Connection, OpenFlags};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tongban::client::{Client, RetryPolicy};
use tongban::registry::Registry;
use tongban::sample::{self, AGREEMENT, HUANGSHI, JIUJIANG};
use tongban::Timestamp;

const TRANSFERS: usize = 60;
const KILL_EVERY: usize = 10;

/// Starts a node process and waits until it serves.
fn spawn(node: &DemoNode, log: &Path) -> Child {
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log");
    let child = Command::new(env!("CARGO_BIN_EXE_partner-node"))
        .arg("--config")
        .arg(&node.config)
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("partner-node starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(node.listen).is_err()
        || std::net::TcpStream::connect(node.operator_listen).is_err()
    {
        assert!(
            Instant::now() < deadline,
            "the node does not listen: see {}",
            log.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn open(data: &Path) -> Connection {
    Connection::open_with_flags(data.join(DATABASE_FILE), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("database")
}

/// (sender, id) → receipt, for the messages of `direction` that have one.
fn receipts(db: &Connection, direction: &str) -> BTreeMap<(String, String), Vec<u8>> {
    let mut statement = db
        .prepare(
            "SELECT sender, id, receipt FROM messages WHERE direction = ?1 AND receipt IS NOT NULL",
        )
        .expect("query");
    statement
        .query_map([direction], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// Every inbound message of Jiujiang is complete: it has its receipt and its case
/// holds a track opened by it. Returns how many there are.
fn check_complete(receiver: &Connection) -> usize {
    let mut statement = receiver
        .prepare("SELECT m.id, m.receipt IS NOT NULL, c.state FROM messages m LEFT JOIN cases c ON c.id = m.case_id WHERE m.direction = 'in'")
        .expect("query");
    let rows: Vec<(String, bool, Option<String>)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (id, receipted, case) in &rows {
        assert!(receipted, "message {id} stored without its receipt");
        let case = case
            .as_deref()
            .unwrap_or_else(|| panic!("message {id} stored without its case"));
        assert!(
            case.contains(id.as_str()),
            "message {id} is not in its case: {case}"
        );
    }
    rows.len()
}

/// Every transfer the sender holds a receipt for is at the receiver exactly once, with
/// that very receipt.
fn check_receipted_are_stored(sender: &Connection, receiver: &Connection) -> usize {
    let sent = receipts(sender, "out");
    let stored = receipts(receiver, "in");
    for (key, receipt) in &sent {
        let held = stored
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} has a receipt but is not stored"));
        assert_eq!(
            held, receipt,
            "{key:?}: the receiver holds another receipt than the sender"
        );
    }
    sent.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_lost_nothing_twice_while_the_receiver_is_killed_and_restarted() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let data = |node: &str| {
        nodes[node]
            .config
            .parent()
            .expect("node folder")
            .join("data")
    };
    let (hs_log, jj_log) = (
        dir.path().join("huangshi.log"),
        dir.path().join("jiujiang.log"),
    );
    let mut huangshi = spawn(&nodes[HUANGSHI], &hs_log);
    let mut jiujiang = spawn(&nodes[JIUJIANG], &jj_log);
    let operator = OperatorClient::of_demo(&nodes[HUANGSHI]).expect("operator token");
    let body = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");

    let mut kills = 0;
    let mut receipted_at_kills = Vec::new();
    for n in 0..TRANSFERS {
        let case = format!("CRASH-{n:04}");
        operator
            .send(&json!({"type": "transfer", "case": case, "to": JIUJIANG, "agreement": AGREEMENT, "body": body}))
            .await
            .unwrap_or_else(|e| panic!("transfer {n}: {e}"));
        if n % KILL_EVERY == KILL_EVERY - 1 {
            // SIGKILL, with deliveries in flight: no shutdown, no flush.
            tokio::time::sleep(Duration::from_millis(5 * (n as u64 % 7))).await;
            jiujiang.kill().expect("SIGKILL");
            jiujiang.wait().expect("reaped");
            kills += 1;
            let receiver = open(&data(JIUJIANG));
            check_complete(&receiver);
            receipted_at_kills.push(check_receipted_are_stored(
                &open(&data(HUANGSHI)),
                &receiver,
            ));
            tokio::time::sleep(Duration::from_millis(100)).await;
            jiujiang = spawn(&nodes[JIUJIANG], &jj_log);
        }
    }

    // The outbox delivers the rest.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let outbox = operator.outbox().await.expect("outbox");
        let entries = outbox["outbox"].as_array().expect("entries");
        let delivered = entries
            .iter()
            .filter(|e| e["status"] == "delivered")
            .count();
        assert!(
            entries.iter().all(|e| e["status"] != "failed"),
            "a delivery failed for good: {outbox}"
        );
        if delivered == TRANSFERS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{delivered} of {TRANSFERS} delivered: {outbox}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (sender, receiver) = (open(&data(HUANGSHI)), open(&data(JIUJIANG)));
    assert_eq!(
        check_complete(&receiver),
        TRANSFERS,
        "each transfer stored once"
    );
    assert_eq!(check_receipted_are_stored(&sender, &receiver), TRANSFERS);
    let cases: i64 = receiver
        .query_row("SELECT COUNT(*) FROM cases", [], |r| r.get(0))
        .expect("count");
    assert_eq!(cases, TRANSFERS as i64);

    // Re-sending every accepted message delivers nothing twice.
    let registry_bytes = std::fs::read(dir.path().join("registry.json")).expect("registry");
    let registry = Registry::bootstrap(&registry_bytes, &Timestamp::now()).expect("registry");
    let client = Client::new(RetryPolicy::default()).expect("client");
    let mut statement = sender
        .prepare("SELECT bytes, receipt FROM messages WHERE direction = 'out'")
        .expect("query");
    let sent: Vec<(Vec<u8>, Vec<u8>)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (bytes, receipt) in &sent {
        let again = client.deliver(&registry, bytes).await.expect("re-sent");
        assert!(again.replayed, "a re-sent message was taken as new");
        assert_eq!(
            &again.receipt_bytes, receipt,
            "a re-sent message got another receipt"
        );
    }
    assert_eq!(
        check_complete(&open(&data(JIUJIANG))),
        TRANSFERS,
        "nothing twice after re-sending"
    );
    let redeliveries: usize = operator.outbox().await.expect("outbox")["outbox"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["attempts"].as_u64().unwrap_or(0) as usize)
        .sum();
    println!(
        "{TRANSFERS} transfers, {kills} SIGKILLs of the receiver, {redeliveries} delivery rounds in all; \
         receipted at each kill: {receipted_at_kills:?}; lost 0, duplicated 0"
    );
    jiujiang.kill().expect("stop Jiujiang");
    huangshi.kill().expect("stop Huangshi");
    let _ = (jiujiang.wait(), huangshi.wait());
}
