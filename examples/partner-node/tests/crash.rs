//! Crashes over real processes: Huangshi's node sends a bounded load of transfers to
//! Jiujiang's node while Jiujiang is killed with SIGKILL and restarted, again and again.
//!
//! After every kill, Jiujiang's database holds each message complete (message, case and
//! receipt together) and every transfer Huangshi holds a receipt for, exactly once. In
//! the end the outbox has delivered everything, each transfer is stored once with the
//! very receipt the sender holds, and re-sending every message delivers nothing twice.
//!
//! Files (§23): Jiujiang is killed while it fetches a transfer's large scans; no file
//! ever looks complete that is not, and after each restart the fetch resumes from its
//! partial file and ends with the very bytes Huangshi holds. On a disk that fills up
//! (a file size limit, with writes past it failing as on a full disk), fetches and
//! uploads fail with `node.storage` and keep nothing that looks complete, the node goes
//! on receiving and fetching what fits, and once there is room the fetches end.

use partner_node::database::Param;
use partner_node::demo::{self, DemoNode, OperatorClient};
use partner_node::store::Store;
use partner_node::Config;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tongban::client::{Client, RetryPolicy};
use tongban::registry::Registry;
use tongban::sample::{self, AGREEMENT, HUANGSHI, JIUJIANG};
use tongban::{ProtocolVersion, Sha256Digest, Timestamp};

const TRANSFERS: usize = 60;
const KILL_EVERY: usize = 10;

/// Starts a node process and waits until it serves.
fn spawn(node: &DemoNode, log: &Path) -> Child {
    spawn_limited(node, log, None).unwrap_or_else(|e| panic!("{e}"))
}

/// Starts a node process that can write files of at most `blocks` × 512 bytes, if
/// given (the shell's `ulimit -f`, with SIGXFSZ ignored, so that a write past it
/// fails as on a full disk instead of killing the process), and waits until it serves.
fn spawn_limited(
    node: &DemoNode,
    log: &Path,
    blocks: Option<u64>,
) -> Result<Child, demo::NotServing> {
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log");
    let mut command = match blocks {
        None => Command::new(env!("CARGO_BIN_EXE_partner-node")),
        Some(blocks) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!(
                    "trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\""
                ))
                .arg(env!("CARGO_BIN_EXE_partner-node"));
            sh
        }
    };
    let mut child = command
        .arg("--config")
        .arg(&node.config)
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("partner-node starts");
    let addresses = [node.listen, node.operator_listen];
    demo::wait_until_serving(&mut child, &addresses, log, Duration::from_secs(60))?;
    Ok(child)
}

/// Huangshi's and Jiujiang's nodes as processes of their own, in a temporary directory.
struct Processes {
    dir: tempfile::TempDir,
    nodes: BTreeMap<String, DemoNode>,
    huangshi: Child,
    jiujiang: Child,
    jiujiang_log: PathBuf,
}

impl Processes {
    /// Prepares the two nodes speaking `protocols` and starts both; on other free ports
    /// if another process took one of theirs first.
    fn start(protocols: &[ProtocolVersion]) -> Processes {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match Processes::try_start(protocols) {
                Ok(processes) => return processes,
                Err(e) if e.address_taken() && attempts < 3 => eprintln!("{e}; again"),
                Err(e) => panic!("{e}"),
            }
        }
    }

    fn try_start(protocols: &[ProtocolVersion]) -> Result<Processes, demo::NotServing> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let nodes =
            demo::prepare_speaking(dir.path(), &[HUANGSHI, JIUJIANG], protocols).expect("prepare");
        let jiujiang_log = dir.path().join("jiujiang.log");
        let mut huangshi = spawn_limited(&nodes[HUANGSHI], &dir.path().join("huangshi.log"), None)?;
        let jiujiang = spawn_limited(&nodes[JIUJIANG], &jiujiang_log, None).inspect_err(|_| {
            let _ = huangshi.kill();
            let _ = huangshi.wait();
        })?;
        Ok(Processes {
            dir,
            nodes,
            huangshi,
            jiujiang,
            jiujiang_log,
        })
    }

    /// A node's database.
    fn database(&self, node: &str) -> Store {
        open(&self.nodes[node].config)
    }

    /// A node's data directory.
    fn data(&self, node: &str) -> PathBuf {
        self.nodes[node]
            .config
            .parent()
            .expect("node folder")
            .join("data")
    }

    /// A client of a node's operator API.
    fn operator(&self, node: &str) -> OperatorClient {
        OperatorClient::of_demo(&self.nodes[node]).expect("operator token")
    }

    /// Kills Jiujiang with SIGKILL: no shutdown, no flush.
    fn kill_jiujiang(&mut self) {
        self.jiujiang.kill().expect("SIGKILL");
        self.jiujiang.wait().expect("reaped");
    }

    /// Starts Jiujiang again.
    fn restart_jiujiang(&mut self) {
        self.jiujiang = spawn(&self.nodes[JIUJIANG], &self.jiujiang_log);
    }

    /// Starts Jiujiang again on a disk that holds files of at most 16 MiB (32 MiB for a
    /// shell that counts `ulimit -f` in KiB): less than a 40 MiB scan.
    fn restart_jiujiang_on_a_small_disk(&mut self) {
        self.jiujiang = spawn_limited(&self.nodes[JIUJIANG], &self.jiujiang_log, Some(32_768))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Kills both.
    fn stop(mut self) {
        self.kill_jiujiang();
        self.huangshi.kill().expect("stop Huangshi");
        let _ = self.huangshi.wait();
    }
}

/// The database of the node configured in `config`, SQLite's file or PostgreSQL.
fn open(config: &Path) -> Store {
    Store::open_reader(&Config::load(config).expect("config").database).expect("database")
}

/// (sender, id) → receipt, for the messages of `direction` that have one.
fn receipts(db: &mut Store, direction: &str) -> BTreeMap<(String, String), Vec<u8>> {
    db.run(|db| {
        db.query(
            "SELECT sender, id, receipt FROM messages WHERE direction = ?1 AND receipt IS NOT NULL",
            &[Param::Text(direction)],
        )?
        .iter()
        .map(|row| Ok(((row.text(0)?, row.text(1)?), row.blob(2)?)))
        .collect()
    })
    .expect("rows")
}

/// Every inbound message of Jiujiang is complete: it has its receipt and its case
/// holds a track opened by it. Returns how many there are.
fn check_complete(receiver: &mut Store) -> usize {
    let rows: Vec<(String, bool, Option<String>)> = receiver
        .run(|db| {
            db.query(
                "SELECT m.id, m.receipt IS NOT NULL, c.state FROM messages m
                 LEFT JOIN cases c ON c.id = m.case_id WHERE m.direction = 'in'",
                &[],
            )?
            .iter()
            .map(|row| Ok((row.text(0)?, row.flag(1)?, row.optional_text(2)?)))
            .collect()
        })
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
fn check_receipted_are_stored(sender: &mut Store, receiver: &mut Store) -> usize {
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
    let mut p = Processes::start(&[ProtocolVersion::V1_0]);
    let operator = p.operator(HUANGSHI);
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
            p.kill_jiujiang();
            kills += 1;
            let mut receiver = p.database(JIUJIANG);
            check_complete(&mut receiver);
            receipted_at_kills.push(check_receipted_are_stored(
                &mut p.database(HUANGSHI),
                &mut receiver,
            ));
            tokio::time::sleep(Duration::from_millis(100)).await;
            p.restart_jiujiang();
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
    let (mut sender, mut receiver) = (p.database(HUANGSHI), p.database(JIUJIANG));
    assert_eq!(
        check_complete(&mut receiver),
        TRANSFERS,
        "each transfer stored once"
    );
    assert_eq!(
        check_receipted_are_stored(&mut sender, &mut receiver),
        TRANSFERS
    );
    let cases: i64 = receiver
        .run(|db| db.query_one("SELECT COUNT(*) FROM cases", &[])?.integer(0))
        .expect("count");
    assert_eq!(cases, TRANSFERS as i64);

    // Re-sending every accepted message delivers nothing twice.
    let registry_bytes = std::fs::read(p.dir.path().join("registry.json")).expect("registry");
    let registry = Registry::bootstrap(&registry_bytes, &Timestamp::now()).expect("registry");
    let client = Client::new(RetryPolicy::default()).expect("client");
    let sent: Vec<(Vec<u8>, Vec<u8>)> = sender
        .run(|db| {
            db.query(
                "SELECT bytes, receipt FROM messages WHERE direction = 'out'",
                &[],
            )?
            .iter()
            .map(|row| Ok((row.blob(0)?, row.blob(1)?)))
            .collect()
        })
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
        check_complete(&mut p.database(JIUJIANG)),
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
    p.stop();
}

/// Every file under a store's content-addressed names hashes to its name: returns them.
fn check_whole_files(data: &Path) -> Vec<String> {
    let mut whole = Vec::new();
    for shard in std::fs::read_dir(data.join("files"))
        .expect("file store")
        .flatten()
    {
        let name = shard.file_name().to_string_lossy().to_string();
        if name.len() != 2 {
            continue;
        }
        for file in std::fs::read_dir(shard.path()).expect("shard").flatten() {
            let name = file.file_name().to_string_lossy().to_string();
            let bytes = std::fs::read(file.path()).expect("file");
            assert_eq!(
                Sha256Digest::of(&bytes).as_str(),
                name,
                "a file under its digest's name holds other bytes"
            );
            whole.push(name);
        }
    }
    whole
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_killed_midway_leaves_no_file_that_looks_complete_and_resumes() {
    const KILLS: usize = 2;
    let mut p = Processes::start(&[ProtocolVersion::V1_0, ProtocolVersion::V1_1]);
    let operator = p.operator(HUANGSHI);
    let authority = p.operator(JIUJIANG);

    // Two scans of 40 MiB each, the transfer's materials.
    let (body, scans) = upload_scans(&operator, 40 << 20).await;
    let jiujiang_data = p.data(JIUJIANG);
    let partial = |n: usize| {
        jiujiang_data
            .join("files/partial")
            .join(format!("{}.part", body.materials[n].sha256))
    };
    let case = "CRASH-FILES";
    operator
        .send(&json!({"type": "transfer", "case": case, "to": JIUJIANG, "agreement": AGREEMENT, "body": body}))
        .await
        .expect("sent");

    // SIGKILL while the first scan is partly fetched, twice.
    let mut killed_at = Vec::new();
    for kill in 0..KILLS {
        let threshold = (kill as u64 + 1) * (12 << 20);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let size = std::fs::metadata(partial(0)).map_or(0, |m| m.len());
            if size >= threshold {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the fetch does not reach {threshold} bytes (at {size}): see {}",
                p.jiujiang_log.display()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        p.kill_jiujiang();
        let kept = std::fs::metadata(partial(0)).map_or(0, |m| m.len());
        assert!(
            kept > 0 && kept < scans[0].len() as u64,
            "a partial file is left: {kept}"
        );
        assert!(
            !check_whole_files(&jiujiang_data).contains(&body.materials[0].sha256.to_string()),
            "the scan being fetched looks complete after the kill"
        );
        killed_at.push(kept);
        p.restart_jiujiang();
    }

    // After the last restart the fetches end, with Huangshi's bytes.
    let view = fetched_as_sent(&authority, case, &body, &scans).await;
    let whole = check_whole_files(&jiujiang_data);
    assert_eq!(whole.len(), 2, "{whole:?}");
    assert!(
        !partial(0).exists() && !partial(1).exists(),
        "the partial files are gone"
    );
    // Each restart resumed from the bytes the killed process had synced or written.
    let log = std::fs::read_to_string(&p.jiujiang_log).expect("log");
    let resumed: Vec<u64> = log
        .lines()
        .filter_map(|l| l.split("resumed_from=").nth(1))
        .filter_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .filter(|&n| n > 0)
        .collect();
    assert!(!resumed.is_empty(), "no fetch resumed: {view}");
    println!(
        "2 scans of 40 MiB, {KILLS} SIGKILLs of the fetching node at {killed_at:?} bytes; \
         resumed from {resumed:?}; both whole and verified"
    );
    p.stop();
}

/// The scans of the sample transfer, `size` bytes each, uploaded to Huangshi; returns
/// the body with their references and the scans.
async fn upload_scans(operator: &OperatorClient, size: usize) -> (tongban::Transfer, Vec<Vec<u8>>) {
    let mut body = sample::transfer_body().expect("body");
    let mut scans = Vec::new();
    for (index, material) in body.materials.iter_mut().enumerate() {
        let scan = demo::pdf(&["Scan", &index.to_string()], size);
        *material = operator
            .upload(&material.name, "application/pdf", scan.clone())
            .await
            .expect("uploaded");
        scans.push(scan);
    }
    (body, scans)
}

/// Waits (two minutes at most) until Jiujiang holds every material of `body`, fetched,
/// and checks that each is the scan Huangshi uploaded; returns the case view.
async fn fetched_as_sent(
    authority: &OperatorClient,
    case: &str,
    body: &tongban::Transfer,
    scans: &[Vec<u8>],
) -> serde_json::Value {
    let view = authority
        .wait_for_case(case, Duration::from_secs(120), |v| {
            demo::files_fetched(v) == body.materials.len()
        })
        .await
        .expect("every material fetched");
    for (material, scan) in body.materials.iter().zip(scans) {
        let (held, _) = authority
            .download(material.sha256.as_str())
            .await
            .expect("held");
        assert!(held == *scan, "{} differs from Huangshi's", material.name);
    }
    view
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_cleanly_keeps_nothing_that_looks_complete_and_recovers() {
    let mut p = Processes::start(&[ProtocolVersion::V1_0, ProtocolVersion::V1_1]);
    p.kill_jiujiang();
    p.restart_jiujiang_on_a_small_disk();
    let operator = p.operator(HUANGSHI);
    let authority = p.operator(JIUJIANG);
    let (body, scans) = upload_scans(&operator, 40 << 20).await;
    let case = "DISK-FULL";
    operator
        .send(&json!({"type": "transfer", "case": case, "to": JIUJIANG, "agreement": AGREEMENT, "body": body}))
        .await
        .expect("sent");

    // The transfer is received (its rows are small); its scans do not fit.
    let failing = |v: &serde_json::Value| {
        v["files"].as_array().into_iter().flatten().any(|f| {
            f["fetch"]["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("[node.storage]"))
        })
    };
    let view = authority
        .wait_for_case(case, Duration::from_secs(60), failing)
        .await
        .expect("a fetch fails with node.storage");
    assert!(
        check_whole_files(&p.data(JIUJIANG)).is_empty(),
        "a file looks complete on a full disk: {view}"
    );
    // An operator upload that does not fit is refused with node.storage and leaves
    // nothing in incoming/.
    let refused = authority
        .upload(
            "决定书",
            "application/pdf",
            demo::pdf(&["decision"], 40 << 20),
        )
        .await
        .expect_err("refused");
    assert_eq!(
        (refused.status, refused.code().as_deref()),
        (500, Some("node.storage")),
        "{}",
        refused.body
    );
    let incoming = std::fs::read_dir(p.data(JIUJIANG).join("files/incoming"))
        .expect("incoming")
        .count();
    assert_eq!(incoming, 0, "nothing of the refused upload is kept");
    // The node still receives messages, and fetches the files that fit.
    assert!(
        p.jiujiang.try_wait().expect("status").is_none(),
        "the node died"
    );
    let (small, _) = upload_scans(&operator, 4096).await;
    operator
        .send(&json!({"type": "transfer", "case": "DISK-FULL-2", "to": JIUJIANG, "agreement": AGREEMENT, "body": small}))
        .await
        .expect("sent");
    authority
        .wait_for_case("DISK-FULL-2", Duration::from_secs(60), |v| {
            v["files"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["held"] == true)
                .count()
                == 2
        })
        .await
        .expect("the small scans are fetched");

    // Room again: after a restart the fetches resume and end with Huangshi's bytes.
    p.kill_jiujiang();
    p.restart_jiujiang();
    fetched_as_sent(&authority, case, &body, &scans).await;
    p.stop();
}
