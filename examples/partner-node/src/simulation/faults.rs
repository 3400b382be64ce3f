//! The fault plan of a run, drawn from its seed, and its injection into the running
//! simulation: crashes and restarts of nodes, partitions between nodes and between the
//! operator desk and a node, held links (messages delayed, then delivered in a burst)
//! and slow links (up to 1.5 s per message, so messages on different connections
//! overtake each other). Faults overlap freely; a link is partitioned while any
//! partition on it lasts, held while any hold lasts, and a node is down while any
//! crash of it lasts. Every fault ends within the chaos window plus 4 s.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The latency of a healthy link: up to this, drawn per message.
pub const NORMAL_LATENCY: Duration = Duration::from_millis(30);
/// The longest a fault lasts.
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
    /// The link's latency is normal again.
    Restore(String, String),
}

/// Faults injected in a run, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Crashes of a node (each followed by a restart).
    pub crashes: usize,
    /// Partitions.
    pub partitions: usize,
    /// Holds.
    pub holds: usize,
    /// Slow links.
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

/// The fault plan of `seed`: faults starting every 0.3–2.5 s of the chaos window,
/// each lasting 0.2–4 s, sorted by time.
pub fn plan(
    seed: u64,
    chaos: Duration,
    hosts: &BTreeMap<&str, String>,
    desk: &str,
) -> Vec<(Duration, Fault)> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let nodes: Vec<&String> = hosts.values().collect();
    let mut events = Vec::new();
    let mut at = Duration::from_millis(rng.random_range(100..1_500));
    while at < chaos && !nodes.is_empty() {
        let end = at + Duration::from_millis(rng.random_range(200..=LONGEST));
        // Two different nodes (the same one if there is only one).
        let first = rng.random_range(0..nodes.len());
        let second = (first + rng.random_range(1..nodes.len().max(2))) % nodes.len();
        let (node, other) = (nodes[first].clone(), nodes[second].clone());
        let (start, stop) = match rng.random_range(0..10) {
            0..=3 => (Fault::Crash(node.clone()), Fault::Restart(node)),
            4 | 5 => (
                Fault::Partition(node.clone(), other.clone()),
                Fault::Repair(node, other),
            ),
            6 => (
                Fault::Partition(desk.to_string(), node.clone()),
                Fault::Repair(desk.to_string(), node),
            ),
            7 => (
                Fault::Hold(node.clone(), other.clone()),
                Fault::Release(node, other),
            ),
            _ => (
                Fault::Slow(
                    node.clone(),
                    other.clone(),
                    Duration::from_millis(rng.random_range(100..1_500)),
                ),
                Fault::Restore(node, other),
            ),
        };
        events.push((at, start));
        events.push((end, stop));
        at += Duration::from_millis(rng.random_range(300..2_500));
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

/// Runs the simulation to its end while injecting `plan`, and counts the faults. With
/// `amnesia`, a crashed node's database files are deleted before it restarts (a
/// control for the checker).
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
                Fault::Crash(node) | Fault::Restart(node) => {
                    let crash = matches!(fault, Fault::Crash(_));
                    let count = down.entry(node.clone()).or_default();
                    if crash {
                        counts.crashes += 1;
                        *count += 1;
                        if *count == 1 {
                            sim.crash(node.as_str());
                            if amnesia {
                                forget(node, data_dirs);
                            }
                        }
                    } else {
                        *count = count.saturating_sub(1);
                        if *count == 0 {
                            sim.bounce(node.as_str());
                        }
                    }
                }
                Fault::Partition(a, b)
                | Fault::Repair(a, b)
                | Fault::Hold(a, b)
                | Fault::Release(a, b)
                | Fault::Slow(a, b, _)
                | Fault::Restore(a, b) => {
                    let link = links.entry((a.clone(), b.clone())).or_default();
                    match &fault {
                        Fault::Partition(..) => {
                            counts.partitions += 1;
                            link.partitions += 1;
                        }
                        Fault::Repair(..) => link.partitions = link.partitions.saturating_sub(1),
                        Fault::Hold(..) => {
                            counts.holds += 1;
                            link.holds += 1;
                        }
                        Fault::Release(..) => link.holds = link.holds.saturating_sub(1),
                        Fault::Slow(_, _, latency) => {
                            counts.slow_links += 1;
                            link.slow.push(*latency);
                        }
                        _ => {
                            link.slow.pop();
                        }
                    }
                    if link.partitions > 0 {
                        sim.partition(a.as_str(), b.as_str());
                    } else if link.holds > 0 {
                        sim.hold(a.as_str(), b.as_str());
                    } else {
                        sim.release(a.as_str(), b.as_str());
                        sim.repair(a.as_str(), b.as_str());
                    }
                    let latency = link.slow.iter().max().copied().unwrap_or(NORMAL_LATENCY);
                    sim.set_link_max_message_latency(a.as_str(), b.as_str(), latency);
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

    fn hosts() -> BTreeMap<&'static str, String> {
        BTreeMap::from([("a", "host-a".to_string()), ("b", "host-b".to_string())])
    }

    #[test]
    fn a_plan_repeats_for_its_seed_and_every_fault_ends() {
        let chaos = Duration::from_secs(20);
        let plan = plan(7, chaos, &hosts(), "desk");
        assert_eq!(plan, super::plan(7, chaos, &hosts(), "desk"));
        assert_ne!(plan, super::plan(8, chaos, &hosts(), "desk"));
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
    }
}
