//! The deterministic simulation (feature `simulation`): the reference nodes of
//! Huangshi, Jiujiang and Wuhan and an operator desk run whole case lifecycles (from
//! Huangshi's window to the other two) over a simulated network (turmoil) in virtual
//! time, in one thread, while a fault plan drawn from the run's seed crashes and
//! restarts nodes, partitions and holds links and slows them down. Huangshi runs as two
//! replicas on one database, each draining the shared outbox under its leases, and
//! the plan crashes and cuts off either. Each node is the real node — the same endpoint, outbox, operator API and
//! SQLite database (a real file) — with a simulated clock, network and storage work
//! inline.
//!
//! Afterwards a set checker, in Jepsen's vocabulary, compares what was sent with what
//! each receiving application accepted (observed at its endpoint) and stored:
//! nothing **lost**, nothing **duplicated**, nothing **unexpected**, and every case
//! decided on both sides. The same seed gives the same run: the same faults at the
//! same virtual instants and the same trace of events.
//!
//! ```no_run
//! use partner_node::simulation::{run, Settings};
//! let report = run(42, &Settings::default()).expect("the simulation runs");
//! assert!(report.check.is_valid(), "{}", report.check);
//! ```
//!
//! What it does not simulate: TLS (an `https://` endpoint is plain HTTP on port 443),
//! power loss (a crash loses the process, not the operating system's page cache),
//! disk faults (the storage-fault tests use a real database for those), and the file
//! exchange of protocol 1.1: its nodes speak 1.0 (the crash tests kill real processes
//! while they fetch files).

mod checker;
mod faults;
mod net;
mod workload;

pub use checker::{Check, Observations};
pub use faults::{Fault, FaultCounts};
pub use net::SimTransport;

use crate::auth::{OperatorGuard, OperatorToken};
use crate::config::Config;
use crate::node::{Environment, Node};
use crate::{operator, outbox, server};
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};
use tongban::client::{Client, RetryPolicy, SeededRandom};
use tongban::http::{ErrorBody, REPLAYED_HEADER};
use tongban::registry::Registry;
use tongban::{sample, Clock, KeyPair, NodeId};

/// When every simulation starts: 2026-12-01T01:00:00Z, 09:00 on a working Tuesday in
/// China, inside the sample registry's and calendar's validity.
pub const EPOCH_UNIX_SECONDS: u64 = 1_796_086_800;
/// The port of each node's operator API.
const OPERATOR_PORT: u16 = 9001;
/// The simulated host of the operator desk that drives the cases.
const DESK: &str = "operator-desk";
/// The operator token every simulated node gives its desk (the simulation's own, like
/// its sample keys).
const DESK_TOKEN: &str = "simulation-operator-desk-token-0123456789";
/// The nodes of the simulation: Huangshi's window, and two competent authorities.
const NODES: [&str; 3] = [sample::HUANGSHI, sample::JIUJIANG, workload::WUHAN];
/// The name of Huangshi's second replica, which shares its database and outbox.
const HUANGSHI_REPLICA: &str = "huangshi.420200/b";

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Cases, each a whole lifecycle: transfer, review, supplement request, supplement,
    /// decision, every message with its receipt. They start one after the other, spread
    /// over the chaos window.
    pub cases: usize,
    /// How long (virtual time) faults are injected, from the start.
    pub chaos: Duration,
    /// How long after the chaos the cases may take to complete before the run counts
    /// as stuck.
    pub patience: Duration,
    /// Whether to inject faults at all.
    pub faults: bool,
    /// A control, not the node's behaviour: a crashed node comes back with an empty
    /// database, so that the checker has something to find.
    pub amnesia: bool,
}

impl Default for Settings {
    /// 6 cases (3 to Jiujiang, 3 to Wuhan), 20 s of faults, 120 s of patience.
    fn default() -> Self {
        Settings {
            cases: 6,
            chaos: Duration::from_secs(20),
            patience: Duration::from_secs(120),
            faults: true,
            amnesia: false,
        }
    }
}

/// What one run did and what the checker found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Virtual time the run took.
    pub virtual_time: Duration,
    /// Faults injected, by kind.
    pub faults: FaultCounts,
    /// Protocol messages sent (each answered by a receipt when delivered).
    pub messages: usize,
    /// Posts that reached a receiving endpoint and were answered.
    pub posts: usize,
    /// Of those, duplicates answered with the first receipt.
    pub replayed: usize,
    /// Of those, refusals, by code.
    pub refused: BTreeMap<String, usize>,
    /// The checker's verdict.
    pub check: Check,
    /// Every event, with its virtual time; equal for equal seeds.
    pub trace: Vec<String>,
}

/// The simulation could not run (as opposed to a run whose check fails).
#[derive(Debug, thiserror::Error)]
#[error("the simulation of seed {seed} could not run: {reason}")]
pub struct SimulationError {
    /// The seed.
    pub seed: u64,
    /// Why.
    pub reason: String,
}

/// The record of a run, shared by the hosts, the fault injector and the checker.
#[derive(Debug, Default)]
struct History {
    /// Events with their virtual time.
    trace: Vec<String>,
    /// Acceptances, acknowledged operator steps and refused ones, for the checker.
    observed: Observations,
    /// Duplicates answered with the first receipt.
    replayed: usize,
    /// Refusals by code.
    refused: BTreeMap<String, usize>,
    /// Short labels for message ids, in order of first appearance, so that traces of
    /// runs with the same seed compare equal although ids carry random bits.
    labels: BTreeMap<String, String>,
}

/// The history, shared.
type Shared = Arc<Mutex<History>>;

fn lock(history: &Shared) -> MutexGuard<'_, History> {
    history.lock().unwrap_or_else(|p| p.into_inner())
}

impl History {
    /// Notes an event of the host running now.
    fn note(&mut self, line: impl std::fmt::Display) {
        self.note_at(turmoil::sim_elapsed().unwrap_or_default(), line);
    }

    /// Notes an event at virtual time `at`.
    fn note_at(&mut self, at: Duration, line: impl std::fmt::Display) {
        self.trace.push(format!("{:>7} ms  {line}", at.as_millis()));
    }

    fn label(&mut self, id: &str) -> String {
        let next = format!("m{}", self.labels.len() + 1);
        self.labels.entry(id.to_string()).or_insert(next).clone()
    }
}

/// The simulated clock: the epoch plus the virtual time elapsed.
fn clock() -> Clock {
    Clock::from_fn(|| {
        let since = turmoil::since_epoch()
            .unwrap_or(Duration::from_secs(EPOCH_UNIX_SECONDS))
            .as_millis();
        i64::try_from(since).unwrap_or(i64::MAX)
    })
}

/// The simulated host of a node: the host of its endpoint in the registry.
fn host_of(registry: &Registry, node: &str) -> Result<String, String> {
    let id = NodeId::parse(node).map_err(|e| e.to_string())?;
    let member = registry
        .member(&id)
        .ok_or_else(|| format!("{node} is not in the sample registry"))?;
    let (host, _, _) = net::split_url(&member.endpoint)?;
    Ok(host)
}

/// The sample registry with the simulation's nodes speaking protocol 1.0 only: the
/// simulation runs the exchanges of messages, not of files (§23), which its network
/// does not carry. Returns it loaded and as bytes.
fn simulation_registry() -> Result<(Registry, Vec<u8>), String> {
    let sample = sample::registry().map_err(|e| e.to_string())?;
    let endpoints = NODES
        .iter()
        .map(|node| {
            let member = sample
                .member(&NodeId::parse(*node).map_err(|e| e.to_string())?)
                .ok_or_else(|| format!("{node} is not in the sample registry"))?;
            Ok((node.to_string(), member.endpoint.clone()))
        })
        .collect::<Result<BTreeMap<_, _>, String>>()?;
    let bytes =
        sample::registry_with_endpoints_speaking(&endpoints, &[tongban::ProtocolVersion::V1_0])
            .map_err(|e| e.to_string())?;
    let registry = Registry::load_trusted(&bytes).map_err(|e| e.to_string())?;
    Ok((registry, bytes))
}

/// A node's configuration in the simulation: its sample keys, the sample registry,
/// short timeouts and pauses (virtual time is cheap, but not free).
fn node_config(node: &str, replica: &str, data_dir: &Path) -> Result<Config, String> {
    let id = NodeId::parse(node).map_err(|e| e.to_string())?;
    let key: KeyPair = sample::key(node).map_err(|e| e.to_string())?;
    let (registry, registry_bytes) = simulation_registry()?;
    let host = host_of(&registry, node)?;
    // The members of the Wuhan circle also sign with SM2 (its agreement's suite).
    let mut other_keys = Vec::new();
    if sample::circle_members().any(|member| member == node) {
        other_keys.push(sample::sm2_key(node).map_err(|e| e.to_string())?);
    }
    Ok(Config {
        node: id,
        key,
        other_keys,
        sealing_keys: Vec::new(),
        registry,
        registry_bytes,
        registry_file: None,
        // Not bound: the simulated hosts listen on their own ports.
        listen: ([0, 0, 0, 0], 443).into(),
        operator_listen: ([0, 0, 0, 0], OPERATOR_PORT).into(),
        operator_token: OperatorToken::from_secret(DESK_TOKEN).map_err(|e| e.to_string())?,
        metrics_token: None,
        tls: None,
        replica: replica.to_string(),
        // The desk names the node's host, as a person would its DNS name.
        operator_hosts: vec![host],
        data_dir: data_dir.to_path_buf(),
        database: crate::store::Location::Sqlite(data_dir.to_path_buf()),
        limits: Default::default(),
        retry: RetryPolicy {
            attempts: 3,
            first_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(400),
            connect_timeout: Duration::from_millis(500),
            request_timeout: Duration::from_secs(2),
        },
        retry_interval: Duration::from_millis(250),
        max_retry_interval: Duration::from_secs(2),
    })
}

/// Records what a receiving endpoint answered, then passes the answer on unchanged.
/// It runs in the same poll as the handler that stored the message, so a crash cannot
/// fall between the commit and this record.
async fn observe(State((history, node)): State<(Shared, String)>, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut history = lock(&history);
    if parts.status.as_u16() == 200 {
        let receipt = tongban::json::parse(&bytes).unwrap_or_default();
        let field = |name: &str| receipt[name].as_str().unwrap_or("?").to_string();
        let (sender, id, case) = (field("to"), field("in_reply_to"), field("case"));
        let label = history.label(&id);
        if parts.headers.contains_key(REPLAYED_HEADER) {
            history.replayed += 1;
            history.note(format_args!(
                "{node} answered a duplicate of {label} ({case}) with its first receipt"
            ));
        } else {
            history.note(format_args!(
                "{node} accepted {label} ({case}) from {sender}"
            ));
            history.observed.accepted.push((node, sender, id));
        }
    } else {
        let code = ErrorBody::parse(&bytes).map_or_else(|| "?".into(), |b| b.code);
        history.note(format_args!("{node} refused a post [{code}]"));
        *history.refused.entry(code).or_default() += 1;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// One node's software, as turmoil starts (and restarts) it. `seed` differs per node
/// and per start; it seeds the backoff jitter and the message ids.
async fn node_software(
    node: &'static str,
    replica: &'static str,
    data_dir: PathBuf,
    seed: u64,
    history: Shared,
) -> turmoil::Result {
    let config = node_config(node, replica, &data_dir)?;
    let base = config.endpoint_path();
    let transport = SimTransport {
        connect_timeout: config.retry.connect_timeout,
        request_timeout: config.retry.request_timeout,
    };
    let client = Client::with_transport(config.retry.clone(), Arc::new(transport))
        .with_clock(clock())
        .with_jitter_seed(seed);
    let environment = Environment {
        clock: clock(),
        client,
        blocking_threads: false,
        id_seed: Some(seed.rotate_left(17)),
    };
    let node_state = Arc::new(Node::open_in(config, environment)?);
    lock(&history).note(format_args!("{replica} started"));
    let endpoint = server::router(node_state.clone(), &base).layer(
        axum::middleware::map_response_with_state((history, node.to_string()), observe),
    );
    let (_stop, watcher) = tokio::sync::watch::channel(false);
    tokio::spawn(outbox::run(node_state.clone(), watcher));
    tokio::spawn(net::serve(443, endpoint));
    let guard = OperatorGuard::new(
        node_state.config().operator_token.clone(),
        node_state.config().operator_listen,
        &node_state.config().operator_hosts,
    );
    net::serve(OPERATOR_PORT, operator::router(node_state, guard)).await?;
    Ok(())
}

/// A directory for the run's databases: in memory-backed `/dev/shm` where there is
/// one (durable commits stay real SQLite commits, only cheaper), else the temp dir.
fn data_root() -> Result<tempfile::TempDir, String> {
    let builder = || {
        let mut builder = tempfile::Builder::new();
        builder.prefix("tongban-sim-");
        builder
    };
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        builder().tempdir_in(shm)
    } else {
        builder().tempdir()
    };
    dir.map_err(|e| format!("cannot make a data directory: {e}"))
}

/// Runs the simulation of `seed` and checks it.
pub fn run(seed: u64, settings: &Settings) -> Result<Report, SimulationError> {
    let failed = |reason: String| SimulationError { seed, reason };
    let root = data_root().map_err(failed)?;
    let history: Shared = Arc::default();
    let deadline = settings.chaos + settings.patience;
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .epoch(SystemTime::UNIX_EPOCH + Duration::from_secs(EPOCH_UNIX_SECONDS))
        .tick_duration(Duration::from_millis(5))
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(faults::NORMAL_LATENCY)
        .simulation_duration(deadline + Duration::from_secs(60))
        .build();
    let (registry, _) = simulation_registry().map_err(failed)?;
    let mut hosts = BTreeMap::new();
    let mut data_dirs = BTreeMap::new();
    for (index, node) in NODES.into_iter().enumerate() {
        let host = host_of(&registry, node).map_err(failed)?;
        let data_dir = root.path().join(node);
        let (dir, shared) = (data_dir.clone(), history.clone());
        let last_seed =
            std::cell::Cell::new(SeededRandom::new(seed ^ (index as u64 + 1)).next_u64());
        sim.host(host.as_str(), move || {
            // Each start draws its own seed, the same in every run of this seed.
            let start_seed = SeededRandom::new(last_seed.get()).next_u64();
            last_seed.set(start_seed);
            node_software(node, node, dir.clone(), start_seed, shared.clone())
        });
        hosts.insert(node, host);
        data_dirs.insert(node.to_string(), data_dir);
    }
    // A second replica of Huangshi's node, on a host of its own: the same identity,
    // key and database, draining the same outbox (nothing is sent to it).
    let replica_host = format!("replica-b.{}", hosts[sample::HUANGSHI]);
    {
        let (dir, shared) = (data_dirs[sample::HUANGSHI].clone(), history.clone());
        let last_seed = std::cell::Cell::new(SeededRandom::new(seed ^ 0xb).next_u64());
        sim.host(replica_host.as_str(), move || {
            let start_seed = SeededRandom::new(last_seed.get()).next_u64();
            last_seed.set(start_seed);
            node_software(
                sample::HUANGSHI,
                HUANGSHI_REPLICA,
                dir.clone(),
                start_seed,
                shared.clone(),
            )
        });
    }
    let desk = workload::Desk::new(
        settings.cases,
        settings.chaos,
        &hosts,
        history.clone(),
        deadline,
    )
    .map_err(failed)?;
    sim.client(DESK, desk.run());
    let plan = if settings.faults {
        // Huangshi's window talks to each authority; the authorities never to each other.
        // Huangshi's replicas talk to each authority; the authorities never to each other.
        let windows = [hosts[sample::HUANGSHI].clone(), replica_host.clone()];
        let links: Vec<(String, String)> = windows
            .iter()
            .flat_map(|window| {
                hosts
                    .iter()
                    .filter(|(node, _)| **node != sample::HUANGSHI)
                    .map(|(_, host)| (window.clone(), host.clone()))
            })
            .collect();
        let mut nodes: Vec<String> = hosts.values().cloned().collect();
        nodes.push(replica_host.clone());
        faults::plan(seed, settings.chaos, &nodes, &links, DESK)
    } else {
        Vec::new()
    };
    let counts = faults::inject(&mut sim, plan, settings.amnesia, &data_dirs, |at, line| {
        lock(&history).note_at(at, line)
    })
    .map_err(|e| failed(e.to_string()))?;
    let virtual_time = sim.elapsed();
    drop(sim);
    let history = std::mem::take(&mut *lock(&history));
    let (check, messages) = checker::check(&data_dirs, &history.observed, settings.cases)
        .map_err(|e| failed(e.to_string()))?;
    Ok(Report {
        seed,
        virtual_time,
        faults: counts,
        messages,
        posts: history.observed.accepted.len()
            + history.replayed
            + history.refused.values().sum::<usize>(),
        replayed: history.replayed,
        refused: history.refused,
        check,
        trace: history.trace,
    })
}
