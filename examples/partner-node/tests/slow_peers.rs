//! Resource exhaustion over real sockets against a real node process: a thousand
//! connections that send their headers or bodies slowly, from 63 loopback addresses,
//! neither keep a valid transfer from another address from its receipt nor grow the
//! node's memory past a bound; one address cannot open more than its share; and the
//! node closes them all once their time is up.

use partner_node::demo::{self, DemoNode};
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpSocket;
use tongban::client::{Client, RetryPolicy};
use tongban::registry::Registry;
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

/// Slow connections, spread over this many source addresses (127.0.0.2 …), each within
/// the per-peer limit of 16.
const SLOW: usize = 1000;
const PEERS: usize = 63;
/// Generous: the node's own bound is its body budget (64 MiB) plus a few KiB per
/// connection; slow senders hold almost nothing.
const MEMORY_BOUND_KIB: u64 = 96 * 1024;

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Jiujiang's node process with short timeouts and waits until it serves.
fn spawn(node: &DemoNode, log: &Path) -> Node {
    let mut config = std::fs::read_to_string(&node.config).expect("config");
    config.push_str(
        "\n[limits]\nheader_timeout_ms = 4000\nbody_timeout_ms = 4000\nmax_connection_age_ms = 5000\n",
    );
    std::fs::write(&node.config, config).expect("config");
    let log_file = std::fs::File::create(log).expect("log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_partner-node"))
        .arg("--config")
        .arg(&node.config)
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("partner-node starts");
    let addresses = [node.listen, node.operator_listen];
    if let Err(e) = demo::wait_until_serving(&mut child, &addresses, log, Duration::from_secs(60)) {
        let _ = child.kill();
        panic!("{e}");
    }
    Node(child)
}

/// A connection from `source` to `to` that sent `prefix` and then nothing.
async fn stalled(
    source: IpAddr,
    to: SocketAddr,
    prefix: &[u8],
) -> std::io::Result<tokio::net::TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    let mut stream = socket.connect(to).await?;
    stream.write_all(prefix).await?;
    Ok(stream)
}

/// Huangshi's transfer, created now, signed by `key`; its canonical bytes.
fn transfer_signed_by(key: &KeyPair) -> Vec<u8> {
    let body = Body::Transfer(sample::transfer_body().expect("body"));
    let mut message = Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        body,
        Timestamp::now(),
        3600,
    )
    .expect("envelope");
    message.sign(key).expect("sign");
    message.to_canonical_bytes().expect("bytes")
}

/// Whether the node closed `stream` (its end reads as end of file or an error).
fn closed_by_node(stream: tokio::net::TcpStream) -> bool {
    let mut stream = stream.into_std().expect("std stream");
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            // An answer (408 to a slow body) before the close.
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_connections_neither_block_a_transfer_nor_grow_memory_past_a_bound() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let registry_bytes = std::fs::read(dir.path().join("registry.json")).expect("registry");
    let registry = Registry::bootstrap(&registry_bytes, &Timestamp::now()).expect("registry");
    let node = spawn(&nodes[JIUJIANG], &dir.path().join("jiujiang.log"));
    let to = nodes[JIUJIANG].listen;
    let baseline = rss_kib(node.0.id());

    // Half stall in their headers (12 KiB of them, near the node's 16 KiB buffer), half
    // in a body they announced as 1 MiB.
    let mut slow_head = b"POST /tongban/v1/messages HTTP/1.1\r\nHost: jiujiang\r\n".to_vec();
    for line in 0..100 {
        slow_head.extend(format!("X-Padding-{line:03}: {}\r\n", "a".repeat(100)).as_bytes());
    }
    let slow_body = b"POST /tongban/v1/messages HTTP/1.1\r\nHost: jiujiang\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{\"protocol\":".to_vec();
    let mut slow = Vec::with_capacity(SLOW);
    for i in 0..SLOW {
        let source = IpAddr::from([127, 0, 0, 2 + (i % PEERS) as u8]);
        let prefix = if i % 2 == 0 { &slow_head } else { &slow_body };
        slow.push(
            stalled(source, to, prefix)
                .await
                .expect("a slow connection"),
        );
    }
    let last_opened = Instant::now();
    // Let the node accept and start reading them all.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let with_slow = rss_kib(node.0.id());

    // A valid transfer from another address gets its receipt, at the first attempt.
    let client = Client::new(RetryPolicy {
        attempts: 1,
        connect_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(3),
        ..RetryPolicy::default()
    })
    .expect("client");
    let sent = Instant::now();
    let delivery = client
        .deliver(
            &registry,
            &transfer_signed_by(&sample::key(HUANGSHI).expect("key")),
        )
        .await
        .expect("the transfer is receipted while 1000 slow connections are open");
    let latency = sent.elapsed();
    assert_eq!(delivery.receipt.envelope().from.as_str(), JIUJIANG);
    let after = rss_kib(node.0.id());
    println!(
        "{SLOW} slow connections from {PEERS} addresses: node RSS {baseline} KiB before, {with_slow} KiB with them open (+{} KiB, {:.1} KiB per connection), {after} KiB after the transfer; the transfer's receipt came in {:.1} ms",
        with_slow.saturating_sub(baseline),
        with_slow.saturating_sub(baseline) as f64 / SLOW as f64,
        latency.as_secs_f64() * 1000.0
    );
    assert!(
        after.saturating_sub(baseline) < MEMORY_BOUND_KIB,
        "the node grew by {} KiB",
        after.saturating_sub(baseline)
    );

    // Once their time is up (4 s here, from the last one's start), the node has closed
    // every slow connection.
    let wait = Duration::from_millis(6000).saturating_sub(last_opened.elapsed());
    tokio::time::sleep(wait).await;
    let still_open = slow
        .into_iter()
        .map(closed_by_node)
        .filter(|closed| !closed)
        .count();
    assert_eq!(
        still_open, 0,
        "slow connections the node kept past its timeouts"
    );

    // A client that pipelines requests and never reads the answers is closed too (by
    // the header timeout, which keeps running while the node cannot write, or else at
    // the connection's maximum age, 5 s here).
    let mut pipelined = Vec::new();
    for _ in 0..2000 {
        pipelined.extend_from_slice(b"GET /tongban/v1/nowhere HTTP/1.1\r\nHost: jiujiang\r\n\r\n");
    }
    let reader = stalled(IpAddr::from([127, 0, 0, 100]), to, &pipelined)
        .await
        .expect("pipelined");
    tokio::time::sleep(Duration::from_millis(6500)).await;
    assert!(
        closed_by_node(reader),
        "a client that never reads is closed"
    );
}

#[tokio::test]
async fn one_address_gets_no_more_than_its_share_of_connections() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let node = spawn(&nodes[JIUJIANG], &dir.path().join("jiujiang.log"));
    let to = nodes[JIUJIANG].listen;
    let source = IpAddr::from([127, 0, 0, 99]);
    let mut held = Vec::new();
    for _ in 0..80 {
        held.push(
            stalled(source, to, b"POST /tongban/v1/messages HTTP/1.1\r\n")
                .await
                .expect("connected"),
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let closed = held
        .into_iter()
        .map(closed_by_node)
        .filter(|closed| *closed)
        .count();
    assert_eq!(
        closed,
        80 - 16,
        "the node keeps 16 connections of one address and closes the rest"
    );
    drop(node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_does_not_verify_never_waits_for_the_stores_lock() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let config = partner_node::Config::load(&nodes[JIUJIANG].config).expect("config");
    let node = partner_node::start(config).await.expect("node starts");
    // A transfer signed by the wrong key: it cannot verify.
    let impostor = KeyPair::generate(
        NodeId::parse(HUANGSHI).expect("node"),
        Some(sample::key(HUANGSHI).expect("key").key_id().clone()),
    )
    .expect("key");
    let forged = transfer_signed_by(&impostor);
    // The store stays locked (as by a long transaction) while the forgery is posted.
    let held = node.node().clone();
    let (locked, release) = (
        std::sync::mpsc::channel::<()>(),
        std::sync::mpsc::channel::<()>(),
    );
    let holder = std::thread::spawn(move || {
        let _store = held.store();
        locked.0.send(()).expect("locked");
        let _ = release.1.recv();
    });
    locked.1.recv().expect("the store is locked");
    let answer = reqwest::Client::new()
        .post(format!("http://{}/tongban/v1/messages", node.address))
        .header("content-type", "application/json")
        .body(forged)
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    release.0.send(()).expect("release");
    holder.join().expect("holder");
    let answer = answer.expect("answered while the store was locked");
    assert_eq!(answer.status().as_u16(), 401);
    let body = answer.bytes().await.expect("body");
    let code = tongban::http::ErrorBody::parse(&body).map(|b| b.code);
    assert_eq!(code.as_deref(), Some("signature.invalid"));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_held_at_once_stay_within_the_budget_and_the_rest_are_told_to_come_back() {
    use tokio::io::AsyncReadExt;
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let mut text = std::fs::read_to_string(&nodes[JIUJIANG].config).expect("config");
    text.push_str("\n[limits]\nmax_body_bytes_in_flight = 2097152\n");
    std::fs::write(&nodes[JIUJIANG].config, text).expect("config");
    let config = partner_node::Config::load(&nodes[JIUJIANG].config).expect("config");
    let node = partner_node::start(config).await.expect("node starts");
    let head = b"POST /tongban/v1/messages HTTP/1.1\r\nHost: jiujiang\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n";
    let mut part = head.to_vec();
    part.extend(std::iter::repeat_n(b' ', 900 * 1024));
    let local = IpAddr::from([127, 0, 0, 1]);
    // Three bodies of 900 KiB each, then silence: at most two fit in the 2 MiB budget
    // (which of them depends on how their frames interleave), so at least one is told
    // to come back; the others wait for the rest of their bodies.
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(
            stalled(local, node.address, &part)
                .await
                .expect("connected"),
        );
    }
    let mut answers = Vec::new();
    for stream in &mut streams {
        let mut answer = vec![0u8; 4096];
        if let Ok(Ok(read)) =
            tokio::time::timeout(Duration::from_secs(3), stream.read(&mut answer)).await
        {
            answers.push(String::from_utf8_lossy(&answer[..read]).to_string());
        }
    }
    assert!(!answers.is_empty(), "no body was refused");
    assert!(answers.len() < 3, "every body was refused: {answers:?}");
    for answer in &answers {
        assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
        assert!(
            answer.to_ascii_lowercase().contains("retry-after: 1"),
            "{answer}"
        );
        assert!(answer.contains("node.busy"), "{answer}");
    }
    drop(streams);
    node.stop().await;
}
