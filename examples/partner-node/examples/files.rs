//! Measures the file exchange (PROTOCOL §23) between two reference node processes on
//! loopback: how fast the receiving node fetches a case's files, against the rate at
//! which this machine computes SHA-256 (measured in the same run: the receiver must
//! hash every byte, so it can go no faster), and how much memory the receiver holds
//! while it fetches (files are streamed, never held whole).
//!
//! 1. `partner-node demo-setup` (Huangshi and Jiujiang speak 1.1), both nodes started as
//!    processes of their own;
//! 2. the SHA-256 rate: `tongban::file::FileHasher` over a buffer of one file's size, the
//!    fastest of three passes; and the disk's rate: as many files as will be fetched,
//!    of the same size, written in 1 MiB pieces and each synced, in the same directory
//!    (the receiver must write and sync every byte too);
//! 3. `--transfers` transfers, each with its item's two materials: scans of `--size-mib`
//!    MiB each (at most 50, the protocol's limit) uploaded to Huangshi through its
//!    operator API;
//! 4. Jiujiang's resident memory at rest, then the transfers sent, and the clock runs
//!    until Jiujiang holds every file, fetched and verified, while its resident memory
//!    is sampled every 10 ms;
//! 5. every file in Jiujiang's store hashed again against its reference;
//! 6. both nodes stopped with SIGTERM; the results, then a `JSON {...}` line.
//!
//! ```text
//! cargo build --release -p partner-node --bin partner-node
//! cargo run --release -p partner-node --example files -- [--transfers 5] [--size-mib 50] [--dir DIR]
//! ```

mod common;

use clap::Parser;
use common::{demo_setup, node_binary, Context, Failure, NodeProcess, WorkDir};
use partner_node::demo::{self, OperatorClient};
use partner_node::Config;
use serde_json::{json, Value};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tongban::file::{FileHasher, MAX_FILE_BYTES};
use tongban::sample::{self, AGREEMENT, HUANGSHI, JIUJIANG};
use tongban::{FileRef, Sha256Digest};

/// How long all the files may take to arrive.
const FETCH_TIMEOUT: Duration = Duration::from_secs(600);

/// Measures fetching files between two node processes against the SHA-256 rate.
#[derive(Parser, Debug)]
struct Args {
    /// Transfers to send, each with its item's two materials (five: ten files).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    transfers: u32,
    /// The size of each file in MiB (50, the protocol's limit, at most).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=50))]
    size_mib: u64,
    /// Directory for the demo setup, the nodes' data and logs (default: a temporary
    /// directory). It must be empty.
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let work = match WorkDir::new(args.dir.as_deref(), "tongban-files-") {
        Ok(work) => work,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = measure(&args, work.path()).await;
    work.finish(result.is_ok());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One run in `dir`.
async fn measure(args: &Args, dir: &Path) -> Result<(), Failure> {
    let binary = node_binary()?;
    if dir.join(JIUJIANG).exists() {
        return Err(format!("{} is not empty; choose an empty --dir", dir.display()).into());
    }
    let size = usize::try_from((args.size_mib << 20).min(MAX_FILE_BYTES - 1024))?;
    eprintln!("measuring SHA-256 over {} MiB (3 passes) …", args.size_mib);
    let sha256_rate = sha256_rate(size);
    eprintln!(
        "measuring the disk: {} files of {} MiB written and synced …",
        args.transfers * 2,
        args.size_mib
    );
    let disk_rate = disk_rate(dir, args.transfers * 2, size)?;

    let mut nodes = Vec::new();
    let mut operators = Vec::new();
    let configs = demo_setup(&binary, dir, &[JIUJIANG, HUANGSHI], None)?;
    for (node, config_path) in [JIUJIANG, HUANGSHI].into_iter().zip(configs) {
        let config = Config::load(&config_path)
            .context(|| format!("cannot load {}", config_path.display()))?;
        let log = dir.join(format!("{node}.log"));
        let process = NodeProcess::start(
            &binary,
            &config_path,
            &log,
            [config.listen, config.operator_listen],
        )
        .await?;
        operators.push(OperatorClient::new(
            config.operator_listen,
            config.operator_token.secret(),
        ));
        nodes.push((process, config));
    }
    let (jiujiang, huangshi) = (&operators[0], &operators[1]);
    let receiver_pid = nodes[0].0.pid();
    let sender_pid = nodes[1].0.pid();

    eprintln!(
        "uploading {} scans of {} bytes to Huangshi …",
        args.transfers * 2,
        size
    );
    let mut transfers: Vec<(String, Value)> = Vec::new();
    let mut references: Vec<FileRef> = Vec::new();
    let template = sample::transfer_body().context(|| "the sample transfer".into())?;
    for transfer in 0..args.transfers {
        let mut body = template.clone();
        for material in body.materials.iter_mut() {
            let n = references.len();
            let scan = demo::pdf(&["Benchmark scan", &n.to_string()], size);
            *material = huangshi
                .upload(&material.name, "application/pdf", scan)
                .await
                .context(|| format!("uploading scan {n}"))?;
            references.push(material.clone());
        }
        let case = format!("FILES-{transfer:04}");
        transfers.push((case, serde_json::to_value(body)?));
    }

    // Resident memory at rest, then sampled while the files arrive.
    let idle_kib = resident_kib(receiver_pid).ok_or("cannot read the receiver's memory")?;
    let peak_kib = Arc::new(AtomicU64::new(idle_kib));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak_kib, sampling) = (peak_kib.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                if let Some(kib) = resident_kib(receiver_pid) {
                    peak_kib.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    eprintln!(
        "sending {} transfers; Jiujiang fetches {} files …",
        transfers.len(),
        references.len()
    );
    let cpu_before = [cpu_seconds(receiver_pid), cpu_seconds(sender_pid)];
    let started = Instant::now();
    for (case, body) in &transfers {
        huangshi
            .send(&json!({"type": "transfer", "case": case, "to": JIUJIANG, "agreement": AGREEMENT, "body": body}))
            .await
            .context(|| format!("sending the transfer of {case}"))?;
    }
    let mut arrived = 0;
    for (case, body) in &transfers {
        let expected = body["materials"].as_array().map_or(0, Vec::len);
        jiujiang
            .wait_for_case(case, FETCH_TIMEOUT, |view| {
                demo::files_fetched(view) == expected
            })
            .await
            .context(|| format!("the files of {case}"))?;
        arrived += expected;
        eprintln!("  {arrived} of {} files held", references.len());
    }
    let elapsed = started.elapsed();
    let cpu = [
        cpu_seconds(receiver_pid) - cpu_before[0],
        cpu_seconds(sender_pid) - cpu_before[1],
    ];
    sampling.store(false, Ordering::Relaxed);
    sampler.await?;
    let peak_kib = peak_kib.load(Ordering::Relaxed);

    // Every file Jiujiang holds hashes to its reference.
    let store = nodes[0].1.data_dir.join("files");
    for reference in &references {
        let digest = reference.sha256.as_str();
        let path = store.join(&digest[..2]).join(digest);
        let bytes = std::fs::read(&path).context(|| format!("reading {}", path.display()))?;
        if Sha256Digest::of(&bytes) != reference.sha256 || bytes.len() as u64 != reference.size {
            return Err(format!("{} holds other bytes than its reference", path.display()).into());
        }
    }
    for (process, config) in &mut nodes {
        let status = process.stop()?;
        if !status.success() {
            return Err(format!("{} exited with {status} after SIGTERM", config.node).into());
        }
    }

    let bytes = references.iter().map(|r| r.size).sum::<u64>();
    let throughput = bytes as f64 / elapsed.as_secs_f64() / 1e6;
    let ratio = throughput / sha256_rate;
    let above_idle_mib = (peak_kib.saturating_sub(idle_kib)) as f64 / 1024.0;
    println!(
        "files fetched and verified   {} of {} bytes each ({:.1} MB in all)",
        references.len(),
        size,
        bytes as f64 / 1e6
    );
    println!(
        "time, first send to last held {:.2} s",
        elapsed.as_secs_f64()
    );
    println!("fetch throughput             {throughput:.0} MB/s");
    println!("SHA-256, same process        {sha256_rate:.0} MB/s (one core)");
    println!(
        "throughput / SHA-256 rate    {:.1} % (target ≥ 50 %)",
        ratio * 100.0
    );
    println!("disk, write and sync         {disk_rate:.0} MB/s");
    println!(
        "throughput / disk rate       {:.1} %",
        throughput / disk_rate * 100.0
    );
    println!(
        "processor time while fetching receiver {:.2} s, sender {:.2} s, on {} cores",
        cpu[0],
        cpu[1],
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "receiver's resident memory   {:.1} MiB at rest, {:.1} MiB at most, {above_idle_mib:.1} MiB above rest (target < 64 MiB)",
        idle_kib as f64 / 1024.0,
        peak_kib as f64 / 1024.0
    );
    println!(
        "JSON {}",
        json!({
            "files": references.len(), "file_bytes": size, "seconds": elapsed.as_secs_f64(),
            "throughput_mb_s": throughput, "sha256_mb_s": sha256_rate, "ratio": ratio,
            "disk_mb_s": disk_rate,
            "rss_idle_kib": idle_kib, "rss_peak_kib": peak_kib,
            "receiver_cpu_s": cpu[0], "sender_cpu_s": cpu[1],
        })
    );
    Ok(())
}

/// SHA-256 in MB/s on one core: `FileHasher` over `size` bytes in 64 KiB pieces, as a
/// fetch feeds it; the fastest of three passes.
fn sha256_rate(size: usize) -> f64 {
    let data = vec![0x5au8; size];
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let started = Instant::now();
        let mut hasher = FileHasher::new();
        for piece in data.chunks(64 << 10) {
            hasher.update(std::hint::black_box(piece));
        }
        std::hint::black_box(hasher.digest());
        best = best.min(started.elapsed().as_secs_f64());
    }
    size as f64 / best / 1e6
}

/// The disk's rate in MB/s: `files` files of `size` bytes written in 1 MiB pieces
/// under `dir`, each synced, then removed.
fn disk_rate(dir: &Path, files: u32, size: usize) -> Result<f64, Failure> {
    use std::io::Write;
    let piece = vec![0xa5u8; 1 << 20];
    let path = dir.join("disk-rate.bin");
    let started = Instant::now();
    for _ in 0..files {
        let mut file =
            std::fs::File::create(&path).context(|| format!("cannot create {}", path.display()))?;
        let mut left = size;
        while left > 0 {
            let n = left.min(piece.len());
            file.write_all(&piece[..n])
                .context(|| format!("cannot write {}", path.display()))?;
            left -= n;
        }
        file.sync_all()
            .context(|| format!("cannot sync {}", path.display()))?;
    }
    let elapsed = started.elapsed();
    std::fs::remove_file(&path).context(|| format!("cannot remove {}", path.display()))?;
    Ok(f64::from(files) * size as f64 / elapsed.as_secs_f64() / 1e6)
}

/// The processor time a process used so far, user and system, in seconds (Linux:
/// `/proc/<pid>/stat`, in the kernel's fixed 100 ticks a second); 0 elsewhere.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |n: usize| {
        fields
            .get(n)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are the 14th and 15th fields, the 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// A process's resident memory in KiB (Linux: `VmRSS` of `/proc/<pid>/status`).
fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
