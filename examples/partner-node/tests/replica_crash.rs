//! Replicas killed under load, over real processes: three replicas of Huangshi share
//! one database and drain its outbox; three replicas of Jiujiang share another behind a
//! round-robin balancer on the address the registry names. One sender replica is killed
//! with SIGKILL while it holds the leases of deliveries on their way, then receiver
//! replicas and another sender while transfers flow. Afterwards nothing receipted is
//! missing, nothing is stored twice, and every queued transfer is delivered, once in
//! effect, with the very receipt Jiujiang stored: the dead replica's entries by the
//! others once its leases end.
//!
//! The replicas of a node share one SQLite file on this one machine; PostgreSQL, for
//! replicas on several machines, is the next step of the storage work.

use partner_node::database::Param;
use partner_node::demo::{self, DemoNode, OperatorClient};
use partner_node::store::Store;
use partner_node::Config;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tongban::sample::{HUANGSHI, JIUJIANG};

const TRANSFERS: usize = 60;
const REPLICAS: [&str; 3] = ["a", "b", "c"];

/// One replica process: its configuration, addresses and log.
struct Replica {
    name: String,
    config: PathBuf,
    listen: SocketAddr,
    operator_listen: SocketAddr,
    log: PathBuf,
    child: Option<Child>,
}

impl Replica {
    /// Writes the configuration of replica `name` of `node` beside the node's own:
    /// the same key, registry, token and database, its own addresses, and a short
    /// delivery timeout, so that a dead replica's leases end within seconds.
    fn prepare(node: &DemoNode, node_id: &str, name: &str) -> Replica {
        let name = format!("{node_id}-{name}");
        let replica = demo::prepare_replica(&node.config, &name).expect("replica");
        let text = std::fs::read_to_string(&replica.config)
            .expect("config")
            .replace("request_timeout_ms = 5000", "request_timeout_ms = 1000");
        std::fs::write(&replica.config, text).expect("config");
        Replica {
            log: replica.config.with_extension("log"),
            name,
            config: replica.config,
            listen: replica.listen,
            operator_listen: replica.operator_listen,
            child: None,
        }
    }

    /// Starts the replica's process; on other free ports if another process (or
    /// another replica, which drew the same random port) took one of its own first.
    fn start(&mut self) {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.try_start() {
                Ok(child) => {
                    self.child = Some(child);
                    return;
                }
                Err(e) if e.address_taken() && attempts < 4 => {
                    eprintln!("{}: {e}; again on other ports", self.name);
                    self.move_to_free_addresses();
                }
                Err(e) => panic!("{}: {e}", self.name),
            }
        }
    }

    fn try_start(&self) -> Result<Child, demo::NotServing> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_partner-node"))
            .arg("--config")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("partner-node starts");
        demo::wait_until_serving(
            &mut child,
            &[self.listen, self.operator_listen],
            &self.log,
            Duration::from_secs(60),
        )?;
        Ok(child)
    }

    /// Gives the replica new addresses, in its configuration too.
    fn move_to_free_addresses(&mut self) {
        let listen = demo::free_address().expect("a free address");
        let operator_listen = demo::free_address().expect("a free address");
        let text = std::fs::read_to_string(&self.config)
            .expect("config")
            .replace(&format!("\"{}\"", self.listen), &format!("\"{listen}\""))
            .replace(
                &format!("\"{}\"", self.operator_listen),
                &format!("\"{operator_listen}\""),
            );
        std::fs::write(&self.config, text).expect("config");
        self.listen = listen;
        self.operator_listen = operator_listen;
    }

    /// SIGKILL: no shutdown, no flush, leases left behind.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A round-robin TCP balancer on `address` in front of `backends`, skipping those that
/// refuse connections (a killed replica). While `held`, it forwards nothing, on new
/// connections or open ones: the requests hang, as behind a stalled network.
async fn balance(address: SocketAddr, backends: Vec<SocketAddr>, held: Arc<AtomicBool>) {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .expect("balancer binds");
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let (backends, next, held) = (backends.clone(), next.clone(), held.clone());
        tokio::spawn(async move {
            while held.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            for _ in 0..backends.len() {
                let backend = backends[next.fetch_add(1, Ordering::SeqCst) % backends.len()];
                if let Ok(server) = tokio::net::TcpStream::connect(backend).await {
                    let (client_in, client_out) = client.into_split();
                    let (server_in, server_out) = server.into_split();
                    tokio::join!(
                        relay(client_in, server_out, held.clone()),
                        relay(server_in, client_out, held),
                    );
                    return;
                }
            }
        });
    }
}

/// Copies what `from` sends to `to`, holding each piece while `held`.
async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    held: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(read) = from.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        while held.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// The database of the node configured in `config`, SQLite's file or PostgreSQL.
fn open(config: &Path) -> Store {
    Store::open_reader(&Config::load(config).expect("config").database).expect("database")
}

/// The leases of pending entries in Huangshi's outbox, by holder.
fn leases_held(config: &Path) -> BTreeMap<String, i64> {
    open(config)
        .run(|db| {
            db.query(
                "SELECT leased_by, COUNT(*) FROM outbox
                 WHERE leased_by IS NOT NULL AND status = 'pending' GROUP BY leased_by",
                &[],
            )?
            .iter()
            .map(|row| Ok((row.text(0)?, row.integer(1)?)))
            .collect()
        })
        .expect("leases")
}

/// (id → receipt) of the messages of `direction`, and how many rows there are.
fn receipts(mut db: Store, direction: &str) -> (BTreeMap<String, Option<Vec<u8>>>, usize) {
    let rows: Vec<(String, Option<Vec<u8>>)> = db
        .run(|db| {
            db.query(
                "SELECT id, receipt FROM messages WHERE direction = ?1 AND type = 'transfer'",
                &[Param::Text(direction)],
            )?
            .iter()
            .map(|row| Ok((row.text(0)?, row.optional_blob(1)?)))
            .collect()
        })
        .expect("rows");
    let count = rows.len();
    (rows.into_iter().collect(), count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_killed_under_load_lose_nothing_and_store_nothing_twice() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let mut senders: Vec<Replica> = REPLICAS
        .iter()
        .map(|name| Replica::prepare(&nodes[HUANGSHI], "huangshi", name))
        .collect();
    let mut receivers: Vec<Replica> = REPLICAS
        .iter()
        .map(|name| Replica::prepare(&nodes[JIUJIANG], "jiujiang", name))
        .collect();
    // The first replica of each node creates its database; the others open it.
    for replica in senders.iter_mut().chain(receivers.iter_mut()) {
        replica.start();
    }
    let held = Arc::new(AtomicBool::new(false));
    tokio::spawn(balance(
        nodes[JIUJIANG].listen,
        receivers.iter().map(|r| r.listen).collect(),
        held.clone(),
    ));
    let token = std::fs::read_to_string(&nodes[HUANGSHI].operator_token_file).expect("token");
    let operator = |replica: &Replica| OperatorClient::new(replica.operator_listen, token.trim());
    let mut queued = Vec::new();
    let mut queue = async |via: &Replica, n: usize| {
        let case = format!("HS-2026-{:06}", 700 + n);
        let answer = operator(via)
            .send(&demo::sample_transfer(&case).expect("transfer"))
            .await
            .unwrap_or_else(|e| panic!("transfer {n} via {}: {e:?}", via.name));
        queued.push(answer["id"].as_str().expect("id").to_string());
    };
    let huangshi_db = &nodes[HUANGSHI].config;
    let third = TRANSFERS / 3;

    // A third flows normally, through every replica.
    for n in 0..third {
        queue(&senders[n % 3], n).await;
    }
    // The network to Jiujiang stalls while a third is queued; the replicas' outboxes
    // lease them and send them into the stall. The replica holding the most leases is
    // killed with them.
    held.store(true, Ordering::SeqCst);
    for n in third..2 * third {
        queue(&senders[n % 3], n).await;
    }
    // The outboxes lease what they send; wait (at most 10 s) until they have.
    let deadline = Instant::now() + Duration::from_secs(10);
    let leases = loop {
        let leases = leases_held(huangshi_db);
        if !leases.is_empty() || Instant::now() >= deadline {
            break leases;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (holder, held_leases) = leases
        .iter()
        .max_by_key(|(_, count)| **count)
        .map(|(holder, count)| (holder.clone(), *count))
        .expect("leases of deliveries on their way");
    assert!(held_leases > 0);
    let victim = senders
        .iter()
        .position(|r| r.name == holder)
        .expect("a replica");
    senders[victim].kill();
    held.store(false, Ordering::SeqCst);
    // The last third through the two others; a receiver is killed in the middle of it,
    // and after it a second sender and a second receiver.
    let living: Vec<usize> = (0..3).filter(|&i| i != victim).collect();
    for n in 2 * third..TRANSFERS {
        if n == 2 * third + third / 2 {
            receivers[0].kill();
        }
        queue(&senders[living[n % 2]], n).await;
    }
    senders[living[0]].kill();
    receivers[1].kill();

    // The last replicas deliver everything, the dead ones' leases included.
    let survivor = &senders[living[1]];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let outbox = operator(survivor).outbox().await.expect("outbox");
        let entries = outbox["outbox"].as_array().expect("entries").clone();
        let delivered = entries
            .iter()
            .filter(|e| e["status"] == "delivered")
            .count();
        if delivered == TRANSFERS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{delivered} of {TRANSFERS} delivered: {outbox}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (sent, sent_rows) = receipts(open(&nodes[HUANGSHI].config), "out");
    let (stored, stored_rows) = receipts(open(&nodes[JIUJIANG].config), "in");
    // Nothing stored twice, on either side; every queued transfer sent and stored.
    assert_eq!((sent_rows, stored_rows), (TRANSFERS, TRANSFERS));
    for id in &queued {
        let receipt = sent[id]
            .as_ref()
            .unwrap_or_else(|| panic!("{id} has no receipt"));
        let held = stored
            .get(id)
            .unwrap_or_else(|| panic!("{id} was receipted but is not stored"));
        assert_eq!(
            held.as_ref(),
            Some(receipt),
            "{id}: another receipt than Jiujiang's"
        );
    }
    for replica in senders.iter_mut().chain(receivers.iter_mut()) {
        replica.kill();
    }
    drop(dir);
}
