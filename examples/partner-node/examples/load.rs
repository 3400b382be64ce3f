//! A load generator that measures the reference node's **durable acceptance rate**:
//! how many signed transfers per second one node verifies, applies to their cases,
//! commits to its database (SQLite's file in WAL mode with `synchronous = FULL`, or
//! PostgreSQL with `--postgres`) with a signed receipt, and answers, and how that
//! compares with the rate that Ed25519 verification alone would allow.
//!
//! It runs Jiujiang's reference node (the receiver of the demo setup written by
//! `partner-node demo-setup`) as separate processes (`--replicas`, one by default,
//! sharing the database, the load going to each in turn), then, in this process:
//!
//! 1. measures the single-core Ed25519 floor: `ed25519_dalek::VerifyingKey::verify_strict`
//!    over the signing input of the benchmark transfer
//!    ([`tongban::sample::benchmark_transfer`], about 3 KB), as `sdk/benches/verify.rs`
//!    does; the *verify-bound rate* is the available cores × 1 s / floor, what a
//!    receiver could reach if checking one signature were all it did;
//! 2. signs all transfers before the clock starts, each in a case of its own;
//! 3. sends a short warm-up, then the measured transfers, with at most `--concurrency`
//!    requests in flight over keep-alive HTTP/1.1 connections, timing each request;
//! 4. checks every answer once the clock has stopped: HTTP 200 with a receipt that
//!    verifies against the trust registry, answers exactly the transfer sent, and
//!    accepts it (the check runs after the timed window so that this process does not
//!    take CPU from the node while it is being measured);
//! 5. opens the node's database, while the node still runs, and checks that every
//!    transfer sent is stored, with the very receipt that came back;
//! 6. stops the node with SIGTERM and prints the results, then a `JSON {...}` line.
//!
//! Any failed request, refused or unverifiable receipt, or missing row makes it exit
//! with a non-zero status after printing the failures by error code.
//!
//! Build the node first (the example runs `target/<profile>/partner-node`, next to the
//! directory of its own executable), then run the example:
//!
//! ```text
//! cargo build --release -p partner-node --bin partner-node
//! cargo run --release -p partner-node --example load -- [--transfers 2000] [--concurrency 8] [--dir DIR]
//!     [--postgres postgres://user@host/postgres] [--replicas 1]
//! ```
//!
//! Without `--dir` everything goes to a temporary directory, removed at the end (kept
//! when the run fails, for the node's log). The keys are the published sample keys.

mod common;

use clap::Parser;
use common::{demo_setup, node_binary, Context, Failure, NodeProcess, WorkDir};
use partner_node::database::Param;
use partner_node::store::{Location, Store, DATABASE_FILE};
use partner_node::Config;
use serde_json::json;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tongban::client::describe;
use tongban::http::{ErrorBody, MEDIA_TYPE, MESSAGES_PATH, REPLAYED_HEADER};
use tongban::registry::Registry;
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::{Body, Receipt, ReceiptOutcome, Timestamp, Unverified, Verified, Verifier};

/// Transfers sent before the measured ones, not counted: they open the connections and
/// warm the node's caches and the database file.
const WARM_UP: u32 = 50;
/// Batches of the Ed25519 floor measurement; the fastest batch is the floor.
const FLOOR_BATCHES: u32 = 5;
/// Verifications per batch of the floor measurement.
const FLOOR_ROUNDS: u32 = 1_000;
/// Time allowed for one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// At most this many transfers a run (warm-up included): a bound that keeps a run to
/// minutes and the benchmark transfers' case numbers to six digits.
const MAX_TRANSFERS: u32 = 100_000;

/// Measures the reference node's durable acceptance rate against the Ed25519 floor.
#[derive(Parser, Debug)]
struct Args {
    /// Measured transfers (after a warm-up of 50 more; 99950 at most).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_TRANSFERS - WARM_UP)))]
    transfers: u32,
    /// Requests in flight at most (one keep-alive connection each).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    concurrency: u32,
    /// Directory for the demo setup, the node's database and its log (default: a
    /// temporary directory). It must not hold a database from an earlier run.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Keep the node's database in a new database on this PostgreSQL server (a URL
    /// whose user may create databases; `scripts/postgres.sh` starts one) instead of
    /// SQLite's file.
    #[arg(long)]
    postgres: Option<String>,
    /// Node processes sharing the database, each with addresses of its own; the load
    /// goes to each in turn.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=8))]
    replicas: u32,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Sets up the working directory and runs the measurement; keeps a temporary
/// directory when the run fails, so that the node's log can be read. Returns whether
/// every transfer was accepted and stored.
async fn run(args: &Args) -> Result<bool, Failure> {
    let work = WorkDir::new(args.dir.as_deref(), "tongban-load-")?;
    let result = measure(args, work.path()).await;
    work.finish(matches!(result, Ok(true)));
    result
}

/// One measured run in `dir`: set up, measure the floor, sign, start the node, load,
/// check, stop, report.
async fn measure(args: &Args, dir: &Path) -> Result<bool, Failure> {
    let binary = node_binary()?;
    if dir.join(JIUJIANG).exists() {
        return Err(format!(
            "{} holds a setup from an earlier run; choose an empty --dir",
            dir.display()
        )
        .into());
    }
    let config_path = demo_setup(&binary, dir, &[JIUJIANG], args.postgres.as_deref())?.remove(0);
    let config = Config::load(&config_path).context(|| {
        format!(
            "cannot load Jiujiang's configuration {}",
            config_path.display()
        )
    })?;
    let database = match &config.database {
        Location::Sqlite(data_dir) => {
            let file = data_dir.join(DATABASE_FILE);
            if file.exists() {
                return Err(format!(
                    "{} holds a database from an earlier run; choose an empty --dir",
                    file.display()
                )
                .into());
            }
            format!("SQLite {}", file.display())
        }
        Location::Postgres(_) => "PostgreSQL, a new database".to_string(),
    };
    // The node's own configuration, then one more per replica.
    let mut processes = vec![(config_path.clone(), config.listen, config.operator_listen)];
    for n in 1..args.replicas {
        let replica = partner_node::demo::prepare_replica(&config_path, &format!("jiujiang-{n}"))
            .context(|| format!("cannot configure replica {n}"))?;
        processes.push((replica.config, replica.listen, replica.operator_listen));
    }
    let endpoints: Vec<String> = processes
        .iter()
        .map(|(_, listen, _)| format!("http://{listen}{}{MESSAGES_PATH}", config.endpoint_path()))
        .collect();

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let created = Timestamp::now();
    eprintln!("measuring the Ed25519 floor ({FLOOR_BATCHES} × {FLOOR_ROUNDS} verify_strict) …");
    let floor_ns = verify_floor(&created)?;
    let total = WARM_UP + args.transfers;
    eprintln!(
        "signing {total} transfers ({WARM_UP} warm-up + {}) …",
        args.transfers
    );
    let transfers = Arc::new(sign_transfers(total, &created, &config.registry)?);

    let mut nodes = Vec::new();
    for (n, (replica_config, listen, operator_listen)) in processes.iter().enumerate() {
        let log = dir.join(format!("jiujiang-{n}.log"));
        let node =
            NodeProcess::start(&binary, replica_config, &log, [*listen, *operator_listen]).await?;
        eprintln!(
            "Jiujiang's node runs as process {} (log {}), endpoint {}, database: {database}",
            node.pid(),
            log.display(),
            endpoints[n]
        );
        nodes.push(node);
    }
    let http = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(args.concurrency as usize)
        .pool_idle_timeout(None)
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context(|| "cannot build the HTTP client".into())?;
    let load = Load {
        http,
        endpoints,
        transfers: transfers.clone(),
        concurrency: args.concurrency as usize,
    };
    let warm_up_range = 0..WARM_UP as usize;
    let measured_range = WARM_UP as usize..total as usize;
    let sent = tokio::select! {
        sent = async {
            let warm_up = load.send(warm_up_range, false).await?;
            eprintln!(
                "sending {} transfers, at most {} in flight …",
                args.transfers, args.concurrency
            );
            let started = Instant::now();
            let measured = load.send(measured_range.clone(), true).await?;
            Ok::<_, Failure>((warm_up, measured, started.elapsed()))
        } => sent,
        _ = tokio::signal::ctrl_c() => Err("interrupted".into()),
    };
    let (warm_up, measured, elapsed) = sent?;

    // The clock has stopped: check every answer, then the database, with the node
    // still running (what another process sees is what was committed).
    let mut failures = Failures::default();
    let mut receipts = vec![None; transfers.len()];
    let verifier = Verifier::new(&config.registry).any_receiver();
    let now = Timestamp::now();
    let mut accepted = 0usize;
    for answer in warm_up.iter().chain(&measured) {
        match check_answer(&verifier, &transfers[answer.index].sent, answer, &now) {
            Ok(receipt) => {
                receipts[answer.index] = Some(receipt);
                if measured_range.contains(&answer.index) {
                    accepted += 1;
                }
            }
            Err((code, detail)) => failures.add(code, &transfers[answer.index].id, detail),
        }
    }
    let stored = check_stored(&config.database, &transfers, &receipts, &mut failures)?;
    for node in &mut nodes {
        let status = node.stop()?;
        if !status.success() {
            failures.add(
                "node.exit".into(),
                "-",
                format!("the node exited with {status} after SIGTERM"),
            );
        }
    }

    let mut latencies: Vec<Duration> = measured.iter().map(|a| a.latency).collect();
    latencies.sort_unstable();
    let report = Report {
        database: match config.database {
            Location::Sqlite(_) => "SQLite WAL, synchronous=FULL",
            Location::Postgres(_) => "PostgreSQL",
        },
        replicas: args.replicas,
        transfers: args.transfers,
        warm_up: WARM_UP,
        concurrency: args.concurrency,
        elapsed,
        accepted,
        stored,
        latencies,
        floor_ns,
        cores,
    };
    report.print();
    if failures.is_empty() {
        Ok(true)
    } else {
        failures.print();
        Ok(false)
    }
}

/// The single-core Ed25519 floor in nanoseconds per verification: `verify_strict` over
/// the signing input and signature of the benchmark transfer, as `sdk/benches/verify.rs`
/// measures it; the fastest of a few batches.
fn verify_floor(created: &Timestamp) -> Result<f64, Failure> {
    let message = sample::benchmark_transfer(0, created)
        .context(|| "cannot sign the benchmark transfer".into())?;
    let document = message
        .to_value()
        .context(|| "cannot write the benchmark transfer".into())?;
    let entry = message
        .signatures
        .first()
        .ok_or("the benchmark transfer has no signature")?;
    let input = tongban::signing::signing_input(&document, &entry.algorithm, entry.key_id.as_str());
    let signature_bytes = tongban::crypto::from_base64url(&entry.signature)
        .ok_or("the benchmark transfer's signature is not base64url")?;
    let signature = ed25519_dalek::Signature::from_slice(&signature_bytes)
        .context(|| "the benchmark transfer's signature".into())?;
    let key = sample::key(HUANGSHI).context(|| "the sample key".into())?;
    let public: [u8; 32] = key
        .public_key()
        .as_bytes()
        .try_into()
        .context(|| "the sample public key is not 32 bytes".into())?;
    let verifying_key = ed25519_dalek::VerifyingKey::from_bytes(&public)
        .context(|| "the sample public key".into())?;
    verifying_key
        .verify_strict(&input, &signature)
        .context(|| "the benchmark transfer's signature does not verify".into())?;
    let mut best = f64::INFINITY;
    for _ in 0..FLOOR_BATCHES {
        let started = Instant::now();
        for _ in 0..FLOOR_ROUNDS {
            let checked = verifying_key.verify_strict(
                std::hint::black_box(&input),
                std::hint::black_box(&signature),
            );
            std::hint::black_box(checked.is_ok());
        }
        let ns = started.elapsed().as_nanos() as f64 / f64::from(FLOOR_ROUNDS);
        best = best.min(ns);
    }
    Ok(best)
}

/// A transfer signed before the load.
struct Transfer {
    /// Its message id, to find it in the database.
    id: String,
    /// Its canonical bytes, as sent.
    bytes: Vec<u8>,
    /// It, verified here: what its receipt must answer.
    sent: Verified,
}

/// Signs `count` benchmark transfers created at `created`, each in a case of its own
/// with a message id of its own, and verifies each against `registry` (so that a
/// refusal can only be the node's doing, and each receipt can be matched to it).
fn sign_transfers(
    count: u32,
    created: &Timestamp,
    registry: &Registry,
) -> Result<Vec<Transfer>, Failure> {
    let verifier = Verifier::new(registry).any_receiver();
    (0..count)
        .map(|index| {
            let message = sample::benchmark_transfer(index, created)
                .context(|| format!("cannot sign benchmark transfer {index}"))?;
            let bytes = message
                .to_canonical_bytes()
                .context(|| format!("cannot write benchmark transfer {index}"))?;
            let sent = Unverified::parse(&bytes)
                .and_then(|unverified| verifier.verify(unverified, created))
                .context(|| format!("benchmark transfer {index} does not verify here"))?;
            Ok(Transfer {
                id: message.id.to_string(),
                bytes,
                sent,
            })
        })
        .collect()
}

/// Sends transfers to the node.
struct Load {
    http: reqwest::Client,
    /// `<endpoint>/messages` of each process; worker `w` sends to the `w`-th in turn.
    endpoints: Vec<String>,
    transfers: Arc<Vec<Transfer>>,
    concurrency: usize,
}

/// What came back for one transfer.
#[derive(Debug)]
struct Answer {
    /// The transfer's index.
    index: usize,
    /// From sending the request to having read the whole answer.
    latency: Duration,
    /// The answer, or why there was none.
    reply: Result<Reply, String>,
}

/// An HTTP answer.
#[derive(Debug)]
struct Reply {
    status: u16,
    /// Whether the node said it had the message already (`tongban-replayed: true`).
    replayed: bool,
    body: Vec<u8>,
}

impl Load {
    /// Sends the transfers in `range` with at most `self.concurrency` in flight: that
    /// many workers, each sending the next unsent transfer as soon as its previous one
    /// is answered (a closed loop; each worker keeps its keep-alive connection).
    /// Prints progress every 10 % when `progress` is set.
    async fn send(&self, range: Range<usize>, progress: bool) -> Result<Vec<Answer>, Failure> {
        let next = Arc::new(AtomicUsize::new(range.start));
        let done = Arc::new(AtomicUsize::new(0));
        let count = range.len();
        let step = (count / 10).max(1);
        let started = Instant::now();
        let mut workers = Vec::new();
        for worker in 0..self.concurrency.min(count) {
            let (next, done) = (next.clone(), done.clone());
            let endpoint = self.endpoints[worker % self.endpoints.len()].clone();
            let http = self.http.clone();
            let transfers = self.transfers.clone();
            let end = range.end;
            workers.push(tokio::spawn(async move {
                let mut answers = Vec::new();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(transfer) = transfers.get(index).filter(|_| index < end) else {
                        break;
                    };
                    let sent_at = Instant::now();
                    let reply = post(&http, &endpoint, transfer.bytes.clone()).await;
                    answers.push(Answer {
                        index,
                        latency: sent_at.elapsed(),
                        reply,
                    });
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if progress && (finished % step == 0 || finished == count) {
                        let seconds = started.elapsed().as_secs_f64();
                        eprintln!(
                            "  {:>3} %  {finished}/{count} answered in {seconds:.1} s ({:.0}/s)",
                            finished * 100 / count,
                            finished as f64 / seconds.max(1e-9)
                        );
                    }
                }
                answers
            }));
        }
        let mut answers = Vec::with_capacity(count);
        for worker in workers {
            answers.extend(worker.await.context(|| "a sending task failed".into())?);
        }
        answers.sort_unstable_by_key(|a| a.index);
        Ok(answers)
    }
}

/// POSTs one message as the HTTP binding wants it and reads the whole answer.
async fn post(http: &reqwest::Client, endpoint: &str, body: Vec<u8>) -> Result<Reply, String> {
    let response = http
        .post(endpoint)
        .header(reqwest::header::CONTENT_TYPE, MEDIA_TYPE)
        .body(body)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get(REPLAYED_HEADER)
        .is_some_and(|v| v.as_bytes() == b"true");
    let body = response.bytes().await.map_err(|e| describe(&e))?;
    Ok(Reply {
        status,
        replayed,
        body: body.to_vec(),
    })
}

/// Checks that `answer` is HTTP 200 with a receipt that verifies against the registry
/// at `now`, answers exactly `sent` and accepts it. Returns the receipt's bytes, or the
/// error code and a description.
fn check_answer(
    verifier: &Verifier<&Registry>,
    sent: &Verified,
    answer: &Answer,
    now: &Timestamp,
) -> Result<Vec<u8>, (String, String)> {
    let sdk = |e: tongban::Error| (e.code().to_string(), e.to_string());
    let reply = answer
        .reply
        .as_ref()
        .map_err(|e| ("transport.error".to_string(), e.clone()))?;
    if reply.status != 200 {
        let (code, message) = match ErrorBody::parse(&reply.body) {
            Some(body) => (body.code, body.message),
            None => (
                format!("http.{}", reply.status),
                String::from_utf8_lossy(&reply.body).into_owned(),
            ),
        };
        return Err((code, format!("HTTP {}: {message}", reply.status)));
    }
    if reply.replayed {
        return Err((
            "load.replayed".into(),
            "the node answered a new transfer with an earlier receipt".into(),
        ));
    }
    let receipt = verifier
        .verify(Unverified::parse(&reply.body).map_err(sdk)?, now)
        .map_err(sdk)?;
    receipt.check_receipt_for(sent).map_err(sdk)?;
    match &receipt.envelope().body {
        Body::Receipt(Receipt {
            outcome: ReceiptOutcome::Accepted { .. },
            ..
        }) => Ok(reply.body.clone()),
        Body::Receipt(Receipt {
            outcome: ReceiptOutcome::Refused { code, reason },
            ..
        }) => Err((format!("receipt.refused.{code}"), reason.clone())),
        _ => Err((
            "load.not_a_receipt".into(),
            "the answer is not a receipt".into(),
        )),
    }
}

/// Opens the node's database (SQLite's read-only), as another process, and checks that
/// every transfer is stored as an inbound transfer from Huangshi with the receipt that
/// came back for it. Returns how many are stored.
fn check_stored(
    database: &Location,
    transfers: &[Transfer],
    receipts: &[Option<Vec<u8>>],
    failures: &mut Failures,
) -> Result<usize, Failure> {
    let stored: BTreeMap<String, Option<Vec<u8>>> = Store::open_reader(database)
        .and_then(|mut db| {
            db.run(|db| {
                db.query(
                    "SELECT id, receipt FROM messages
                     WHERE direction = 'in' AND sender = ?1 AND type = 'transfer'",
                    &[Param::Text(HUANGSHI)],
                )?
                .iter()
                .map(|row| Ok((row.text(0)?, row.optional_blob(1)?)))
                .collect()
            })
        })
        .context(|| "cannot read the node's database".into())?;
    let mut found = 0;
    for (transfer, receipt) in transfers.iter().zip(receipts) {
        match stored.get(&transfer.id) {
            None => failures.add(
                "load.not_stored".into(),
                &transfer.id,
                "not in the node's database".into(),
            ),
            Some(held) => {
                found += 1;
                if receipt.is_some() && held != receipt {
                    failures.add(
                        "load.other_receipt".into(),
                        &transfer.id,
                        "the database holds another receipt than the one sent back".into(),
                    );
                }
            }
        }
    }
    Ok(found)
}

/// Failures by error code: how many, and the first one's message id and description.
#[derive(Default)]
struct Failures(BTreeMap<String, (usize, String)>);

impl Failures {
    fn add(&mut self, code: String, id: &str, detail: String) {
        self.0
            .entry(code)
            .or_insert_with(|| (0, format!("{id}: {detail}")))
            .0 += 1;
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn print(&self) {
        let total: usize = self.0.values().map(|(n, _)| n).sum();
        println!("FAILED: {total} failures");
        for (code, (count, first)) in &self.0 {
            println!("  {count:>6} × {code}   (first: {first})");
        }
    }
}

/// The figures of a run.
struct Report {
    /// The database, as the report names it.
    database: &'static str,
    /// Node processes sharing it.
    replicas: u32,
    transfers: u32,
    warm_up: u32,
    concurrency: u32,
    elapsed: Duration,
    /// Measured transfers answered with a verified accepting receipt.
    accepted: usize,
    /// Transfers (warm-up included) found in the database.
    stored: usize,
    /// Latencies of the measured requests, sorted.
    latencies: Vec<Duration>,
    floor_ns: f64,
    cores: usize,
}

impl Report {
    /// The latency at quantile `q` (nearest rank), in milliseconds.
    fn latency_ms(&self, q: f64) -> f64 {
        let n = self.latencies.len();
        if n == 0 {
            return 0.0;
        }
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        self.latencies[rank - 1].as_secs_f64() * 1e3
    }

    fn print(&self) {
        let seconds = self.elapsed.as_secs_f64().max(1e-9);
        let rate = self.accepted as f64 / seconds;
        let verify_bound = self.cores as f64 * 1e9 / self.floor_ns;
        let ratio = 100.0 * rate / verify_bound;
        let (p50, p99, max) = (
            self.latency_ms(0.50),
            self.latency_ms(0.99),
            self.latency_ms(1.0),
        );
        let floor_us = self.floor_ns / 1e3;
        let stored_of = self.transfers + self.warm_up;
        println!(
            "== durable acceptance: Jiujiang's reference node ({}, {} process{}) ==",
            self.database,
            self.replicas,
            if self.replicas == 1 { "" } else { "es" }
        );
        println!(
            "transfers          {} accepted of {} (+{} warm-up), {} of {} stored",
            self.accepted, self.transfers, self.warm_up, self.stored, stored_of
        );
        println!("concurrency        {}", self.concurrency);
        println!("elapsed            {seconds:.3} s");
        println!("accepted rate      {rate:.1} transfers/s");
        println!("latency            p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms");
        println!("Ed25519 floor      {floor_us:.2} µs per verify_strict (one core)");
        println!("cores              {}", self.cores);
        println!("verify-bound rate  {verify_bound:.0} verifications/s");
        println!("accepted / bound   {ratio:.2} %");
        println!(
            "JSON {}",
            json!({
                "database": self.database,
                "replicas": self.replicas,
                "transfers": self.transfers,
                "warm_up": self.warm_up,
                "accepted": self.accepted,
                "stored": self.stored,
                "concurrency": self.concurrency,
                "elapsed_s": round(seconds, 3),
                "accepted_per_s": round(rate, 1),
                "latency_ms": {"p50": round(p50, 3), "p99": round(p99, 3), "max": round(max, 3)},
                "verify_floor_us": round(floor_us, 3),
                "cores": self.cores,
                "verify_bound_per_s": round(verify_bound, 0),
                "ratio_percent": round(ratio, 2),
            })
        );
    }
}

/// `value` rounded to `digits` decimals, for the JSON line.
fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}
