//! Runs the deterministic simulation over many seeds and sums up: faults injected,
//! messages exchanged, and what the set checker found. A failing seed is printed with
//! the command that replays it, event by event.
//!
//! ```text
//! cargo run --release -p partner-node --features simulation --example simulate -- --runs 5000
//! cargo run --release -p partner-node --features simulation --example simulate -- --seed 1234 --trace
//! ```

use clap::Parser;
use partner_node::simulation::{run, FaultCounts, Settings};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The deterministic simulation of three reference nodes under faults.
#[derive(Parser)]
struct Args {
    /// Seeds to run, from --first on.
    #[arg(long, default_value_t = 1000)]
    runs: u64,
    /// The first seed.
    #[arg(long, default_value_t = 1)]
    first: u64,
    /// Run this one seed only (same as --first SEED --runs 1).
    #[arg(long)]
    seed: Option<u64>,
    /// Print every event of each run.
    #[arg(long)]
    trace: bool,
    /// Cases per run.
    #[arg(long, default_value_t = Settings::default().cases)]
    cases: usize,
    /// Seconds of virtual time with faults.
    #[arg(long, default_value_t = Settings::default().chaos.as_secs())]
    chaos_secs: u64,
    /// No faults at all (a baseline).
    #[arg(long)]
    no_faults: bool,
    /// The checker's control: crashed nodes come back with an empty database. Expect
    /// failures.
    #[arg(long)]
    amnesia: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (first, runs) = match args.seed {
        Some(seed) => (seed, 1),
        None => (args.first, args.runs),
    };
    let Some(last) = first
        .checked_add(runs.saturating_sub(1))
        .filter(|_| runs > 0)
    else {
        eprintln!("error: --runs must be at least 1 and the seeds must fit in 64 bits");
        return ExitCode::from(2);
    };
    if args.chaos_secs > 3_600 {
        eprintln!("error: --chaos-secs is at most 3600 (an hour of virtual time)");
        return ExitCode::from(2);
    }
    let settings = Settings {
        cases: args.cases,
        chaos: Duration::from_secs(args.chaos_secs),
        faults: !args.no_faults,
        amnesia: args.amnesia,
        ..Settings::default()
    };
    println!(
        "simulating seeds {first}..={last} with {} case(s) each, {} s of faults",
        settings.cases,
        if settings.faults { args.chaos_secs } else { 0 }
    );
    let started = Instant::now();
    let mut faults = FaultCounts::default();
    let (mut messages, mut posts, mut replayed, mut virtual_time) = (0, 0, 0, Duration::ZERO);
    let (mut lost, mut duplicated, mut unexpected, mut incomplete) = (0, 0, 0, 0);
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let mut failing = Vec::new();
    for seed in first..=last {
        let report = match run(seed, &settings) {
            Ok(report) => report,
            Err(e) => {
                eprintln!("{e}");
                failing.push(seed);
                continue;
            }
        };
        if args.trace {
            for line in &report.trace {
                println!("  {line}");
            }
        }
        faults.add(&report.faults);
        messages += report.messages;
        posts += report.posts;
        replayed += report.replayed;
        virtual_time += report.virtual_time;
        for (code, count) in &report.refused {
            *refused.entry(code.clone()).or_default() += count;
        }
        let check = &report.check;
        lost += check.lost.len();
        duplicated += check.duplicated.len();
        unexpected += check.unexpected.len();
        incomplete += check.incomplete.len();
        if !check.is_valid() {
            println!("seed {seed} FAILED: {check}");
            failing.push(seed);
        }
        let done = seed - first + 1;
        if done % 50 == 0 || done == runs {
            println!(
                "  {done}/{runs} runs, {} failing, {:.0} s",
                failing.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    println!("runs: {runs}, passed {}", runs - failing.len() as u64);
    println!(
        "faults injected: {} (crashes and restarts {}, partitions {}, holds {}, slow links {})",
        faults.total(),
        faults.crashes,
        faults.partitions,
        faults.holds,
        faults.slow_links
    );
    println!(
        "messages exchanged: {messages} sent and receipted; {posts} posts answered by endpoints, \
         {replayed} of them duplicates answered with the first receipt, refusals {refused:?}"
    );
    println!(
        "lost {lost}, duplicated {duplicated}, unexpected {unexpected}, incomplete {incomplete}"
    );
    println!(
        "virtual time {:.0} s in {:.0} s of wall time",
        virtual_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    if failing.is_empty() {
        ExitCode::SUCCESS
    } else {
        let shown: Vec<String> = failing.iter().take(20).map(u64::to_string).collect();
        println!("failing seeds: {}", shown.join(", "));
        println!(
            "replay one with: cargo run -p partner-node --features simulation --example simulate -- --seed {} --trace",
            failing[0]
        );
        ExitCode::FAILURE
    }
}
