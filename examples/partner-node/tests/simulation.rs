//! The deterministic simulation (feature `simulation`): three reference nodes exchange
//! whole case lifecycles under crashes, restarts, partitions, held and slow links; the
//! set checker finds nothing lost, duplicated or unexpected. `TONGBAN_SIM_SEEDS` sets
//! how many seeds the main test runs (CI runs 500 in a release build; the
//! `simulate` example runs thousands).

use partner_node::simulation::{run, FaultCounts, Settings};

fn seeds() -> u64 {
    std::env::var("TONGBAN_SIM_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
}

#[test]
fn every_seed_keeps_the_delivery_guarantees() {
    let settings = Settings::default();
    let runs = seeds();
    let mut faults = FaultCounts::default();
    let (mut messages, mut posts, mut replayed, mut pending) = (0, 0, 0, 0);
    let mut failing = Vec::new();
    for seed in 1..=runs {
        let report = run(seed, &settings).expect("the simulation runs");
        if !report.check.is_valid() {
            eprintln!("seed {seed}: {}", report.check);
            failing.push(seed);
        }
        faults.add(&report.faults);
        messages += report.messages;
        posts += report.posts;
        replayed += report.replayed;
        pending += report
            .refused
            .get("lifecycle.receipt_pending")
            .copied()
            .unwrap_or(0);
        assert_eq!(
            report.messages,
            settings.cases * 5,
            "seed {seed}: every case has its five messages"
        );
    }
    eprintln!(
        "{runs} runs: {} faults (crashes {}, partitions {}, holds {}, slow links {}); \
         {messages} messages, {posts} posts, {replayed} duplicates answered with the first \
         receipt, {pending} answered receipt_pending; failing seeds {failing:?}",
        faults.total(),
        faults.crashes,
        faults.partitions,
        faults.holds,
        faults.slow_links
    );
    assert!(
        failing.is_empty(),
        "failing seeds {failing:?}; replay one with the simulate example: --seed N --trace"
    );
    // The runs did meet the faults they are meant to survive.
    assert!(faults.crashes >= runs as usize && faults.partitions > 0 && faults.holds > 0);
    assert!(replayed > 0, "no resend ever met a stored message");
    assert!(posts > messages, "no message was ever posted twice");
}

#[test]
fn a_seed_replays_exactly() {
    let settings = Settings::default();
    let mut eleven = None;
    for seed in [3, 11, 29] {
        let first = run(seed, &settings).expect("runs");
        let second = run(seed, &settings).expect("runs");
        assert_eq!(first.trace, second.trace, "seed {seed}");
        assert_eq!(first.faults, second.faults);
        assert_eq!(first.virtual_time, second.virtual_time);
        assert_eq!(first.check, second.check);
        assert_eq!(
            (first.messages, first.posts, first.replayed),
            (second.messages, second.posts, second.replayed)
        );
        if seed == 11 {
            eleven = Some(first);
        }
    }
    let first = eleven.expect("seed 11 ran");
    assert!(first.faults.total() > 5, "{:?}", first.faults);
    assert!(first.trace.iter().any(|line| line.contains("fault: Crash")));
    // Huangshi's second replica ran beside the first, on the same database.
    assert!(first
        .trace
        .iter()
        .any(|line| line.contains("huangshi.420200/b started")));
    assert_eq!(
        first
            .trace
            .iter()
            .filter(|line| line.contains(" accepted "))
            .count(),
        first.messages
    );
    let other = run(12, &settings).expect("runs");
    assert_ne!(first.trace, other.trace, "another seed, another run");
}

#[test]
fn without_faults_each_message_is_posted_and_accepted_once() {
    let settings = Settings {
        faults: false,
        ..Settings::default()
    };
    let report = run(1, &settings).expect("runs");
    assert!(report.check.is_valid(), "{}", report.check);
    assert_eq!(report.faults, FaultCounts::default());
    assert_eq!(report.messages, settings.cases * 5);
    assert_eq!(report.posts, report.messages);
    assert_eq!(report.replayed, 0);
    assert!(report.refused.is_empty(), "{:?}", report.refused);
}

/// The control: nodes that forget their database in a crash must be caught.
#[test]
fn the_checker_catches_a_node_that_forgets() {
    let settings = Settings {
        amnesia: true,
        ..Settings::default()
    };
    let mut caught = 0;
    for seed in 1..=3 {
        let check = run(seed, &settings).expect("runs").check;
        if !check.lost.is_empty() || !check.unexpected.is_empty() {
            caught += 1;
        }
        assert!(!check.is_valid(), "seed {seed}: amnesia went unnoticed");
    }
    assert!(caught > 0);
}
