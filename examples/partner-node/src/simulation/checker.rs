//! The set checker. After a run it reads every node's database and compares three
//! sets: the messages sent (each sender's outbound messages), the messages each
//! receiving application accepted (observed at its endpoint during the run), and the
//! messages each receiver stored.
//!
//! - **lost**: acknowledged by an operator API but never stored; sent but neither
//!   accepted nor stored by its receiver; or not receipted at its sender;
//! - **duplicated**: accepted by its receiver more than once;
//! - **unexpected**: accepted or stored but never sent, stored but never accepted, or
//!   accepted but not stored (a receipt without the case);
//! - **incomplete**: a case not held and decided by both its window and its authority,
//!   or an operator step refused.

use crate::store::{self, Store, StoredMessage};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The checker's findings; all empty when the run kept the guarantees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Check {
    /// Messages sent and not delivered.
    pub lost: Vec<String>,
    /// Messages accepted more than once.
    pub duplicated: Vec<String>,
    /// Acceptances and stored messages that do not match a send or each other.
    pub unexpected: Vec<String>,
    /// Cases that did not complete, and operator steps that were refused.
    pub incomplete: Vec<String>,
}

impl Check {
    /// Whether nothing was lost, duplicated or unexpected, and every case completed.
    pub fn is_valid(&self) -> bool {
        self.lost.is_empty()
            && self.duplicated.is_empty()
            && self.unexpected.is_empty()
            && self.incomplete.is_empty()
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lost {}, duplicated {}, unexpected {}, incomplete {}",
            self.lost.len(),
            self.duplicated.len(),
            self.unexpected.len(),
            self.incomplete.len()
        )?;
        for (name, items) in [
            ("lost", &self.lost),
            ("duplicated", &self.duplicated),
            ("unexpected", &self.unexpected),
            ("incomplete", &self.incomplete),
        ] {
            for item in items {
                write!(f, "\n  {name}: {item}")?;
            }
        }
        Ok(())
    }
}

/// A message's key: (sender, id).
type Key = (String, String);

/// What one node's database holds.
struct Stored {
    /// Every message with its case.
    messages: Vec<(String, StoredMessage)>,
    /// Outbox status by message.
    outbox: BTreeMap<Key, String>,
    /// Whether each case is decided on every track (else its track states).
    states: BTreeMap<String, String>,
}

fn read(dir: &std::path::Path) -> Result<Stored, crate::NodeError> {
    let mut db = Store::open(dir)?;
    db.run(read_stored)
}

fn read_stored(connection: &crate::database::Db<'_>) -> Result<Stored, crate::NodeError> {
    let messages = store::all_messages(connection)?;
    let mut states = BTreeMap::new();
    for key in store::case_keys(connection, None)? {
        let case = key.case.to_string();
        if let Some(stored) = store::load_case(connection, &key)? {
            let tracks: Vec<&str> = stored.tracks().iter().map(|t| t.state.as_str()).collect();
            let state = if !tracks.is_empty() && tracks.iter().all(|s| *s == "decided") {
                "decided".to_string()
            } else {
                tracks.join(",")
            };
            states.insert(case, state);
        }
    }
    let outbox = store::outbox(connection)?
        .into_iter()
        .map(|entry| ((entry.sender, entry.id), entry.status))
        .collect();
    Ok(Stored {
        messages,
        outbox,
        states,
    })
}

/// What was observed during a run, outside the databases.
#[derive(Debug, Default)]
pub struct Observations {
    /// Acceptances at receiving endpoints: (receiver, sender, message id).
    pub accepted: Vec<(String, String, String)>,
    /// Messages the operator API answered 202 for: (sender, message id).
    pub acknowledged: Vec<(String, String)>,
    /// Operator steps the nodes refused.
    pub desk_refusals: Vec<String>,
}

/// The message types of a whole case, each once, on both sides.
const LIFECYCLE: [&str; 5] = [
    "decision",
    "status_update",
    "supplement",
    "supplement_request",
    "transfer",
];

/// A message sent: its type, receiver, digest, case and description.
struct Sent {
    message_type: String,
    receiver: String,
    sha256: String,
    case: String,
    label: String,
}

/// Checks a finished run: the nodes' databases in `data_dirs` against what was
/// observed, with `cases` cases handed in. Returns the findings and the number of
/// messages sent.
pub fn check(
    data_dirs: &BTreeMap<String, PathBuf>,
    observed: &Observations,
    cases: usize,
) -> Result<(Check, usize), crate::NodeError> {
    let mut findings = Check::default();
    // At most one finding of loss per message.
    let mut lost: BTreeMap<Key, String> = BTreeMap::new();
    let mut sent: BTreeMap<Key, Sent> = BTreeMap::new();
    let mut stored_in: BTreeMap<(String, Key), String> = BTreeMap::new();
    // Per case and holder, the message types it holds.
    let mut types: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut nodes = BTreeMap::new();
    for (node, dir) in data_dirs {
        let stored = read(dir)?;
        for (case, m) in &stored.messages {
            let key = (m.sender.clone(), m.id.clone());
            types
                .entry((case.clone(), node.clone()))
                .or_default()
                .push(m.message_type.clone());
            if m.direction == "out" {
                let label = format!(
                    "{case} {} {} → {} ({})",
                    m.message_type, m.sender, m.receiver, m.id
                );
                let status = stored.outbox.get(&key).map_or("not queued", String::as_str);
                if status != "delivered" || m.receipt.is_none() {
                    lost.insert(key.clone(), format!("{label}: outbox {status}"));
                }
                sent.insert(
                    key,
                    Sent {
                        message_type: m.message_type.clone(),
                        receiver: m.receiver.clone(),
                        sha256: m.sha256.clone(),
                        case: case.clone(),
                        label,
                    },
                );
            } else {
                stored_in.insert((node.clone(), key), m.sha256.clone());
            }
        }
        nodes.insert(node.clone(), stored);
    }
    for (sender, id) in &observed.acknowledged {
        let key = (sender.clone(), id.clone());
        if !sent.contains_key(&key) {
            lost.entry(key)
                .or_insert_with(|| format!("{id} of {sender}: queued, then not stored"));
        }
    }
    let mut acceptances: BTreeMap<(String, Key), usize> = BTreeMap::new();
    for (receiver, sender, id) in &observed.accepted {
        *acceptances
            .entry((receiver.clone(), (sender.clone(), id.clone())))
            .or_default() += 1;
    }
    for (key, message) in &sent {
        let at = (message.receiver.clone(), key.clone());
        let label = &message.label;
        match (acceptances.get(&at), stored_in.get(&at)) {
            (Some(_), Some(stored)) if *stored == message.sha256 => {}
            (Some(_), Some(_)) => findings
                .unexpected
                .push(format!("{label}: stored with another digest")),
            (None, None) => {
                lost.entry(key.clone())
                    .or_insert_with(|| format!("{label}: not at the receiver"));
            }
            (None, Some(_)) => findings
                .unexpected
                .push(format!("{label}: stored, never accepted")),
            (Some(_), None) => findings
                .unexpected
                .push(format!("{label}: accepted, not stored")),
        }
    }
    let addressed_to = |receiver: &str, key: &Key| {
        sent.get(key)
            .is_some_and(|message| message.receiver == receiver)
    };
    for ((receiver, key), count) in &acceptances {
        if *count > 1 {
            findings.duplicated.push(format!(
                "{} from {} accepted {count} times by {receiver}",
                key.1, key.0
            ));
        }
        if !addressed_to(receiver, key) {
            findings.unexpected.push(format!(
                "{} from {} accepted by {receiver}, never sent to it",
                key.1, key.0
            ));
        }
    }
    for (receiver, key) in stored_in.keys() {
        if !addressed_to(receiver, key) {
            findings.unexpected.push(format!(
                "{} from {} stored by {receiver}, never sent to it",
                key.1, key.0
            ));
        }
    }
    // Each holder of a case holds each message type of the lifecycle once.
    for ((case, node), held) in &types {
        for message_type in LIFECYCLE {
            let count = held.iter().filter(|t| *t == message_type).count();
            if count > 1 {
                findings
                    .duplicated
                    .push(format!("{case}: {count} {message_type} messages at {node}"));
            }
        }
    }
    // Every case is held by exactly its window and its authority, decided by both,
    // with every message of the lifecycle.
    let mut holders: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for (node, stored) in &nodes {
        for (case, state) in &stored.states {
            holders
                .entry(case)
                .or_default()
                .push((node.as_str(), state.as_str()));
        }
    }
    if holders.len() != cases {
        findings
            .incomplete
            .push(format!("{} case(s) held, {cases} handed in", holders.len()));
    }
    for (case, held) in &holders {
        let transfer = sent
            .iter()
            .find(|(_, m)| m.case == *case && m.message_type == "transfer");
        let parties = transfer.map(|((window, _), m)| {
            let mut parties = vec![window.as_str(), m.receiver.as_str()];
            parties.sort_unstable();
            parties
        });
        let holding: Vec<&str> = held.iter().map(|(node, _)| *node).collect();
        let complete = |node: &str| {
            types
                .get(&(case.to_string(), node.to_string()))
                .is_some_and(|held| LIFECYCLE.iter().all(|t| held.iter().any(|h| h == t)))
        };
        if parties.as_ref() != Some(&holding)
            || held
                .iter()
                .any(|(node, state)| *state != "decided" || !complete(node))
        {
            findings.incomplete.push(format!("{case}: {held:?}"));
        }
    }
    findings.lost.extend(lost.into_values());
    findings.incomplete.extend(
        observed
            .desk_refusals
            .iter()
            .map(|r| format!("operator step {r}")),
    );
    Ok((findings, sent.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENDER: &str = "huangshi.420200";
    const RECEIVER: &str = "jiujiang.360400";
    const OTHER: &str = "wuhan.420100";

    fn message(direction: &str, id: &str, receiver: &str) -> StoredMessage {
        StoredMessage {
            direction: direction.into(),
            sender: SENDER.into(),
            receiver: receiver.into(),
            id: id.into(),
            message_type: "transfer".into(),
            sha256: "digest".into(),
            bytes: b"{}".to_vec(),
            receipt: Some(b"{}".to_vec()),
            stored_at: "2026-12-01T01:00:00Z".into(),
        }
    }

    /// What the three databases hold: the sender's messages (id, delivered?) and the
    /// messages stored by each receiver.
    struct Scene<'a> {
        sent: &'a [(&'a str, bool)],
        stored: &'a [(&'a str, &'a str)],
    }

    fn check_of(scene: Scene<'_>, accepted: &[(&str, &str)], acknowledged: &[&str]) -> Check {
        let root = tempfile::tempdir().expect("temp dir");
        let case = store::CaseKey {
            window: tongban::NodeId::parse(SENDER).expect("node id"),
            case: tongban::CaseId::parse("HS-2026-000501").expect("case id"),
        };
        let dirs: BTreeMap<String, PathBuf> = [SENDER, RECEIVER, OTHER]
            .into_iter()
            .map(|node| (node.to_string(), root.path().join(node)))
            .collect();
        let mut sender = Store::open(&dirs[SENDER]).expect("open");
        for (id, delivered) in scene.sent {
            sender
                .transaction(|db| {
                    store::insert_message(db, &message("out", id, RECEIVER), &case)?;
                    store::enqueue(db, SENDER, id, 0)?;
                    if *delivered {
                        store::mark_delivered(db, SENDER, id, b"{}")?;
                    }
                    Ok::<_, crate::NodeError>(())
                })
                .expect("sent");
        }
        for (node, id) in scene.stored {
            let mut receiver = Store::open(&dirs[*node]).expect("open");
            receiver
                .run(|db| store::insert_message(db, &message("in", id, node), &case))
                .expect("insert");
        }
        let observed = Observations {
            accepted: accepted
                .iter()
                .map(|(node, id)| (node.to_string(), SENDER.to_string(), id.to_string()))
                .collect(),
            acknowledged: acknowledged
                .iter()
                .map(|id| (SENDER.to_string(), id.to_string()))
                .collect(),
            desk_refusals: Vec::new(),
        };
        check(&dirs, &observed, 0).expect("check").0
    }

    #[test]
    fn each_kind_of_finding_is_found() {
        let delivered = Scene {
            sent: &[("m1", true)],
            stored: &[(RECEIVER, "m1")],
        };
        assert!(check_of(delivered, &[(RECEIVER, "m1")], &["m1"]).is_valid());
        let twice = Scene {
            sent: &[("m1", true)],
            stored: &[(RECEIVER, "m1")],
        };
        let duplicated = check_of(twice, &[(RECEIVER, "m1"), (RECEIVER, "m1")], &[]);
        assert_eq!(duplicated.duplicated.len(), 1, "{duplicated}");
        let nowhere = Scene {
            sent: &[("m1", true)],
            stored: &[],
        };
        let lost = check_of(nowhere, &[], &[]);
        assert_eq!(lost.lost.len(), 1, "one finding per message: {lost}");
        let pending = Scene {
            sent: &[("m1", false)],
            stored: &[(RECEIVER, "m1")],
        };
        let unreceipted = check_of(pending, &[(RECEIVER, "m1")], &[]);
        assert_eq!(unreceipted.lost.len(), 1, "{unreceipted}");
        let forgotten = check_of(
            Scene {
                sent: &[],
                stored: &[],
            },
            &[],
            &["m9"],
        );
        assert_eq!(
            forgotten.lost.len(),
            1,
            "acknowledged, never stored: {forgotten}"
        );
        let silent = Scene {
            sent: &[("m1", true)],
            stored: &[(RECEIVER, "m1")],
        };
        let never_accepted = check_of(silent, &[], &[]);
        assert_eq!(never_accepted.unexpected.len(), 1, "{never_accepted}");
        let empty = Scene {
            sent: &[("m1", true)],
            stored: &[],
        };
        let not_stored = check_of(empty, &[(RECEIVER, "m1")], &[]);
        assert_eq!(not_stored.unexpected.len(), 1, "{not_stored}");
        let astray = Scene {
            sent: &[("m1", true)],
            stored: &[(RECEIVER, "m1"), (OTHER, "m1")],
        };
        let wrong_receiver = check_of(astray, &[(RECEIVER, "m1"), (OTHER, "m1")], &[]);
        assert_eq!(wrong_receiver.unexpected.len(), 2, "{wrong_receiver}");
        let invented = Scene {
            sent: &[],
            stored: &[(RECEIVER, "m2")],
        };
        let never_sent = check_of(invented, &[(RECEIVER, "m2")], &[]);
        assert_eq!(never_sent.unexpected.len(), 2, "{never_sent}");
        let refused_step = check(
            &BTreeMap::new(),
            &Observations {
                desk_refusals: vec!["decision: refused".into()],
                ..Observations::default()
            },
            0,
        )
        .expect("check")
        .0;
        assert_eq!(refused_step.incomplete.len(), 1);
    }
}
