//! The set checker. After a run it reads every node's database and compares three
//! sets: the messages sent (each sender's outbound messages), the messages each
//! receiving application accepted (observed at its endpoint during the run), and the
//! messages each receiver stored.
//!
//! - **lost**: sent, but not accepted and stored by its receiver, or not receipted at
//!   its sender;
//! - **duplicated**: accepted by its receiver more than once;
//! - **unexpected**: accepted or stored but never sent, stored but never accepted, or
//!   accepted but not stored (a receipt without the case);
//! - **incomplete**: a case not held and decided by both its window and its authority,
//!   or an operator step refused.

use crate::store::{self, Store, StoredMessage};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use tongban::CaseId;

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
    messages: Vec<(String, StoredMessage)>,
    delivered: BTreeMap<Key, String>,
    states: BTreeMap<String, String>,
}

fn read(dir: &std::path::Path) -> Result<Stored, crate::NodeError> {
    let db = Store::open(dir)?;
    let connection = db.connection();
    let messages = store::all_messages(connection)?;
    let mut states = BTreeMap::new();
    for case in store::case_ids(connection)? {
        let id = CaseId::parse(case.as_str()).map_err(|e| crate::NodeError::Storage {
            reason: e.to_string(),
        })?;
        if let Some(stored) = store::load_case(connection, &id)? {
            let state = stored
                .tracks()
                .first()
                .map_or("none", |track| track.state.as_str());
            states.insert(case, state.to_string());
        }
    }
    let delivered = store::outbox(connection)?
        .into_iter()
        .map(|entry| ((entry.sender, entry.id), entry.status))
        .collect();
    Ok(Stored {
        messages,
        delivered,
        states,
    })
}

/// Checks a finished run: the nodes' databases in `data_dirs`, the acceptances
/// observed, `cases` cases expected complete and the operator steps refused. Returns
/// the findings and the number of messages sent.
pub fn check(
    data_dirs: &BTreeMap<String, PathBuf>,
    accepted: &[(String, String, String)],
    cases: usize,
    desk_refusals: &[String],
) -> Result<(Check, usize), crate::NodeError> {
    let mut findings = Check::default();
    let mut sent: BTreeMap<Key, (String, String, String)> = BTreeMap::new();
    let mut stored_in: BTreeMap<(String, Key), String> = BTreeMap::new();
    let mut nodes = BTreeMap::new();
    for (node, dir) in data_dirs {
        let stored = read(dir)?;
        for (case, m) in &stored.messages {
            let key = (m.sender.clone(), m.id.clone());
            let label = format!("{} {} {} → {}", case, m.message_type, m.sender, m.receiver);
            if m.direction == "out" {
                let status = stored
                    .delivered
                    .get(&key)
                    .map_or("not queued", String::as_str);
                if status != "delivered" || m.receipt.is_none() {
                    findings
                        .lost
                        .push(format!("{label} ({}): outbox {status}", m.id));
                }
                sent.insert(key, (m.receiver.clone(), m.sha256.clone(), label));
            } else {
                stored_in.insert((node.clone(), key), m.sha256.clone());
            }
        }
        nodes.insert(node.clone(), stored);
    }
    let mut acceptances: BTreeMap<(String, Key), usize> = BTreeMap::new();
    for (receiver, sender, id) in accepted {
        *acceptances
            .entry((receiver.clone(), (sender.clone(), id.clone())))
            .or_default() += 1;
    }
    for (key, (receiver, sha256, label)) in &sent {
        let at = (receiver.clone(), key.clone());
        match (acceptances.get(&at), stored_in.get(&at)) {
            (Some(_), Some(stored)) if stored == sha256 => {}
            (Some(_), Some(_)) => findings
                .unexpected
                .push(format!("{label} ({}): stored with another digest", key.1)),
            (None, None) => findings
                .lost
                .push(format!("{label} ({}): not at the receiver", key.1)),
            (None, Some(_)) => findings
                .unexpected
                .push(format!("{label} ({}): stored, never accepted", key.1)),
            (Some(_), None) => findings
                .unexpected
                .push(format!("{label} ({}): accepted, not stored", key.1)),
        }
    }
    for ((receiver, key), count) in &acceptances {
        if *count > 1 {
            findings.duplicated.push(format!(
                "{} from {} accepted {count} times by {receiver}",
                key.1, key.0
            ));
        }
        if !sent.contains_key(key) {
            findings.unexpected.push(format!(
                "{} from {} accepted by {receiver}, never sent",
                key.1, key.0
            ));
        }
    }
    for (receiver, key) in stored_in.keys() {
        if !sent.contains_key(key) {
            findings.unexpected.push(format!(
                "{} from {} stored by {receiver}, never sent",
                key.1, key.0
            ));
        }
    }
    // Every case is held by its window and its authority, decided on both sides.
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
        if held.len() != 2 || held.iter().any(|(_, state)| *state != "decided") {
            findings.incomplete.push(format!("{case}: {held:?}"));
        }
    }
    findings
        .incomplete
        .extend(desk_refusals.iter().map(|r| format!("operator step {r}")));
    Ok((findings, sent.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENDER: &str = "huangshi.420200";
    const RECEIVER: &str = "jiujiang.360400";

    fn message(direction: &str, id: &str) -> StoredMessage {
        StoredMessage {
            direction: direction.into(),
            sender: SENDER.into(),
            receiver: RECEIVER.into(),
            id: id.into(),
            message_type: "transfer".into(),
            sha256: "digest".into(),
            bytes: b"{}".to_vec(),
            receipt: Some(b"{}".to_vec()),
            stored_at: "2026-12-01T01:00:00Z".into(),
        }
    }

    /// Databases where the sender sent and delivered `sent`, and the receiver stored
    /// `stored`.
    fn databases(
        root: &std::path::Path,
        sent: &[&str],
        stored: &[&str],
    ) -> BTreeMap<String, PathBuf> {
        let case = CaseId::parse("HS-2026-000501").expect("case id");
        let dirs = BTreeMap::from([
            (SENDER.to_string(), root.join("sender")),
            (RECEIVER.to_string(), root.join("receiver")),
        ]);
        let sender = Store::open(&dirs[SENDER]).expect("open");
        for id in sent {
            store::insert_message(sender.connection(), &message("out", id), &case).expect("insert");
            store::enqueue(sender.connection(), SENDER, id, 0).expect("enqueue");
            store::mark_delivered(sender.connection(), SENDER, id, b"{}").expect("deliver");
        }
        let receiver = Store::open(&dirs[RECEIVER]).expect("open");
        for id in stored {
            store::insert_message(receiver.connection(), &message("in", id), &case)
                .expect("insert");
        }
        dirs
    }

    fn check_of(sent: &[&str], stored: &[&str], accepted: &[&str]) -> Check {
        let root = tempfile::tempdir().expect("temp dir");
        let dirs = databases(root.path(), sent, stored);
        let accepted: Vec<(String, String, String)> = accepted
            .iter()
            .map(|id| (RECEIVER.to_string(), SENDER.to_string(), id.to_string()))
            .collect();
        check(&dirs, &accepted, 0, &[]).expect("check").0
    }

    #[test]
    fn each_kind_of_finding_is_found() {
        assert!(check_of(&["m1"], &["m1"], &["m1"]).is_valid());
        let duplicated = check_of(&["m1"], &["m1"], &["m1", "m1"]);
        assert_eq!(duplicated.duplicated.len(), 1, "{duplicated}");
        let lost = check_of(&["m1"], &[], &[]);
        assert_eq!(lost.lost.len(), 1, "{lost}");
        let never_accepted = check_of(&["m1"], &["m1"], &[]);
        assert_eq!(never_accepted.unexpected.len(), 1, "{never_accepted}");
        let not_stored = check_of(&["m1"], &[], &["m1"]);
        assert_eq!(not_stored.unexpected.len(), 1, "{not_stored}");
        let never_sent = check_of(&[], &["m2"], &["m2"]);
        assert_eq!(never_sent.unexpected.len(), 2, "{never_sent}");
        let refused_step = check(&BTreeMap::new(), &[], 0, &["decision: refused".into()])
            .expect("check")
            .0;
        assert_eq!(refused_step.incomplete.len(), 1);
    }
}
