//! The fault plan of a run, drawn from its seed, and its injection into the running
//! simulation: crashes and restarts of nodes, partitions of the links that carry
//! messages (between a window and an authority, and between the operator desk and a
//! node), held links (messages delayed, then delivered in a burst) and slow links (up
//! to 1.5 s per message, so that messages on different connections overtake each
//! other). Faults overlap freely; a link is partitioned while any partition of it
//! lasts, held while any hold lasts, as slow as its slowest slow-down, and a node is
//! down while any crash of it lasts. Every fault ends within the chaos window plus 4 s.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use tongban::client::SeededRandom;

/// The latency of a healthy link: up to this, drawn per message.
pub const NORMAL_LATENCY: Duration = Duration::from_millis(30);
/// The longest a fault lasts, in milliseconds.
const LONGEST: u64 = 4_000;

/// One step of a fault plan. Hosts are simulated host names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The node's process dies: tasks, connections and memory are gone.
    Crash(String),
    /// The node's process starts again on its database.
    Restart(String),
    /// Nothing passes between the two hosts; messages on the way are lost.
    Partition(String, String),
    /// The partition ends.
    Repair(String, String),
    /// Messages between the two hosts wait on the link.
    Hold(String, String),
    /// Held messages go on, all at once.
    Release(String, String),
    /// Messages between the two hosts take up to the given time.
    Slow(String, String, Duration),
    /// That slow-down ends.
    Restore(String, String, Duration),
}

/// Faults that took effect in a run, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Crashes of a running node (each followed by a restart).
    pub crashes: usize,
    /// Partitions of a link that was not partitioned.
    pub partitions: usize,
    /// Holds of a link that was not held.
    pub holds: usize,
    /// Slow-downs that made a link slower.
    pub slow_links: usize,
}

impl FaultCounts {
    /// All faults.
    pub fn total(&self) -> usize {
        self.crashes + self.partitions + self.holds + self.slow_links
    }

    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &FaultCounts) {
        self.crashes += other.crashes;
        self.partitions += other.partitions;
        self.holds += other.holds;
        self.slow_links += other.slow_links;
    }
}

/// The fault plan of `seed` over `nodes` and the `links` between them that carry
/// messages: faults starting every 0.3–2.5 s of the chaos window, each lasting
/// 0.2–4 s, sorted by time.
pub fn plan(
    seed: u64,
    chaos: Duration,
    nodes: &[String],
    links: &[(String, String)],
    desk: &str,
) -> Vec<(Duration, Fault)> {
    let mut random = SeededRandom::new(seed);
    let mut events = Vec::new();
    let mut at = Duration::from_millis(random.in_range(100..1_500));
    while at < chaos && !nodes.is_empty() && !links.is_empty() {
        let end = at + Duration::from_millis(random.in_range(200..LONGEST + 1));
        let pick = |random: &mut SeededRandom, n: usize| {
            usize::try_from(random.in_range(0..n as u64)).unwrap_or(0)
        };
        let node = nodes[pick(&mut random, nodes.len())].clone();
        let (a, b) = links[pick(&mut random, links.len())].clone();
        let (start, stop) = match random.in_range(0..10) {
            0..=3 => (Fault::Crash(node.clone()), Fault::Restart(node)),
            4 | 5 => (Fault::Partition(a.clone(), b.clone()), Fault::Repair(a, b)),
            6 => (
                Fault::Partition(desk.to_string(), node.clone()),
                Fault::Repair(desk.to_string(), node),
            ),
            7 => (Fault::Hold(a.clone(), b.clone()), Fault::Release(a, b)),
            _ => {
                let latency = Duration::from_millis(random.in_range(100..1_500));
                (
                    Fault::Slow(a.clone(), b.clone(), latency),
                    Fault::Restore(a, b, latency),
                )
            }
        };
        events.push((at, start));
        events.push((end, stop));
        at += Duration::from_millis(random.in_range(300..2_500));
    }
    // Stable: events at the same instant keep their order of drawing.
    events.sort_by_key(|(at, _)| *at);
    events
}

/// What is in force on a link.
#[derive(Debug, Default)]
struct LinkFaults {
    partitions: usize,
    holds: usize,
    slow: Vec<Duration>,
}

/// What a link does now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkState {
    Partitioned,
    Held,
    Healthy,
}

impl LinkFaults {
    /// Applies a link fault; whether it took effect (for the counts).
    fn apply(&mut self, fault: &Fault) -> bool {
        match fault {
            Fault::Partition(..) => {
                self.partitions += 1;
                self.partitions == 1
            }
            Fault::Repair(..) => {
                self.partitions = self.partitions.saturating_sub(1);
                false
            }
            Fault::Hold(..) => {
                self.holds += 1;
                self.holds == 1
            }
            Fault::Release(..) => {
                self.holds = self.holds.saturating_sub(1);
                false
            }
            Fault::Slow(_, _, latency) => {
                let slower = *latency > self.latency();
                self.slow.push(*latency);
                slower
            }
            Fault::Restore(_, _, latency) => {
                if let Some(index) = self.slow.iter().position(|l| l == latency) {
                    self.slow.remove(index);
                }
                false
            }
            Fault::Crash(_) | Fault::Restart(_) => false,
        }
    }

    fn state(&self) -> LinkState {
        if self.partitions > 0 {
            LinkState::Partitioned
        } else if self.holds > 0 {
            LinkState::Held
        } else {
            LinkState::Healthy
        }
    }

    fn latency(&self) -> Duration {
        self.slow.iter().max().copied().unwrap_or(NORMAL_LATENCY)
    }
}

/// Runs the simulation to its end while injecting `plan`, and counts the faults that
/// took effect. With `amnesia`, a crashed node's database files are deleted before it
/// restarts (a control for the checker).
pub fn inject(
    sim: &mut turmoil::Sim<'_>,
    plan: Vec<(Duration, Fault)>,
    amnesia: bool,
    data_dirs: &BTreeMap<String, PathBuf>,
    mut note: impl FnMut(Duration, String),
) -> turmoil::Result<FaultCounts> {
    let mut counts = FaultCounts::default();
    let mut down: BTreeMap<String, usize> = BTreeMap::new();
    let mut links: BTreeMap<(String, String), LinkFaults> = BTreeMap::new();
    let mut plan = plan.into_iter().peekable();
    loop {
        while let Some((_, fault)) = plan.next_if(|(at, _)| *at <= sim.elapsed()) {
            match &fault {
                Fault::Crash(node) => {
                    let count = down.entry(node.clone()).or_default();
                    *count += 1;
                    if *count == 1 {
                        counts.crashes += 1;
                        sim.crash(node.as_str());
                        if amnesia {
                            forget(node, data_dirs);
                        }
                    }
                }
                Fault::Restart(node) => {
                    let count = down.entry(node.clone()).or_default();
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        sim.bounce(node.as_str());
                    }
                }
                Fault::Partition(a, b)
                | Fault::Repair(a, b)
                | Fault::Hold(a, b)
                | Fault::Release(a, b)
                | Fault::Slow(a, b, _)
                | Fault::Restore(a, b, _) => {
                    // turmoil's links have no direction.
                    let key = if a <= b {
                        (a.clone(), b.clone())
                    } else {
                        (b.clone(), a.clone())
                    };
                    let link = links.entry(key).or_default();
                    if link.apply(&fault) {
                        match fault {
                            Fault::Partition(..) => counts.partitions += 1,
                            Fault::Hold(..) => counts.holds += 1,
                            _ => counts.slow_links += 1,
                        }
                    }
                    match link.state() {
                        LinkState::Partitioned => sim.partition(a.as_str(), b.as_str()),
                        LinkState::Held => sim.hold(a.as_str(), b.as_str()),
                        LinkState::Healthy => {
                            sim.release(a.as_str(), b.as_str());
                            sim.repair(a.as_str(), b.as_str());
                        }
                    }
                    sim.set_link_max_message_latency(a.as_str(), b.as_str(), link.latency());
                }
            }
            note(sim.elapsed(), format!("fault: {fault:?}"));
        }
        if sim.step()? {
            return Ok(counts);
        }
    }
}

/// Deletes a node's database files: the amnesia control.
fn forget(host: &str, data_dirs: &BTreeMap<String, PathBuf>) {
    for (node, dir) in data_dirs {
        if host.starts_with(node.as_str()) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> Vec<String> {
        vec!["host-a".into(), "host-b".into(), "host-c".into()]
    }

    fn links() -> Vec<(String, String)> {
        vec![
            ("host-a".into(), "host-b".into()),
            ("host-a".into(), "host-c".into()),
        ]
    }

    #[test]
    fn a_plan_repeats_for_its_seed_and_every_fault_ends() {
        let chaos = Duration::from_secs(20);
        let plan = plan(7, chaos, &nodes(), &links(), "desk");
        assert_eq!(plan, super::plan(7, chaos, &nodes(), &links(), "desk"));
        assert_ne!(plan, super::plan(8, chaos, &nodes(), &links(), "desk"));
        assert!(plan.windows(2).all(|w| w[0].0 <= w[1].0));
        let starts = plan
            .iter()
            .filter(|(_, f)| {
                matches!(
                    f,
                    Fault::Crash(_) | Fault::Partition(..) | Fault::Hold(..) | Fault::Slow(..)
                )
            })
            .count();
        assert_eq!(starts * 2, plan.len());
        assert!(starts >= 8, "{starts} faults in 20 s");
        let last = plan.last().map(|(at, _)| *at).unwrap_or_default();
        assert!(last <= chaos + Duration::from_millis(LONGEST));
        // Only links that carry messages are cut: never b–c.
        assert!(plan.iter().all(|(_, f)| !matches!(
            f,
            Fault::Partition(a, b) | Fault::Hold(a, b) if a.ends_with('b') && b.ends_with('c')
        )));
    }

    #[test]
    fn overlapping_faults_end_one_by_one() {
        let (a, b) = ("a".to_string(), "b".to_string());
        let slow = |ms| Fault::Slow(a.clone(), b.clone(), Duration::from_millis(ms));
        let restore = |ms| Fault::Restore(a.clone(), b.clone(), Duration::from_millis(ms));
        let mut link = LinkFaults::default();
        assert!(link.apply(&Fault::Hold(a.clone(), b.clone())));
        assert!(link.apply(&Fault::Partition(b.clone(), a.clone())));
        assert!(
            !link.apply(&Fault::Partition(a.clone(), b.clone())),
            "already cut"
        );
        assert_eq!(link.state(), LinkState::Partitioned);
        link.apply(&Fault::Repair(a.clone(), b.clone()));
        assert_eq!(
            link.state(),
            LinkState::Partitioned,
            "one partition still lasts"
        );
        link.apply(&Fault::Repair(b.clone(), a.clone()));
        assert_eq!(
            link.state(),
            LinkState::Held,
            "the hold outlasts the partitions"
        );
        link.apply(&Fault::Release(a.clone(), b.clone()));
        assert_eq!(link.state(), LinkState::Healthy);
        assert!(link.apply(&slow(500)));
        assert!(link.apply(&slow(1_000)));
        assert!(!link.apply(&slow(700)), "not slower than 1 s");
        link.apply(&restore(1_000));
        assert_eq!(link.latency(), Duration::from_millis(700));
        link.apply(&restore(500));
        link.apply(&restore(700));
        assert_eq!(link.latency(), NORMAL_LATENCY);
    }
}
