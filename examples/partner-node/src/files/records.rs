//! The database's side of the file exchange: which message references which file (and
//! so which partner may fetch it), the fetches in progress, and the file requests seen
//! (their replay record).

use crate::database::{params, Db, Dialect, Row};
use crate::error::NodeError;
use crate::node::Node;
use crate::store::CaseKey;
use std::cell::RefCell;
use tongban::error::ReplayError;
use tongban::verify::ReplayGuard;
use tongban::{Envelope, FileRef, MessageId, NodeId, Sha256Digest, Timestamp};

/// The tables of schema version 2.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS message_files (
    sender     TEXT NOT NULL,
    id         TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    name       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    direction  TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    peer       TEXT NOT NULL,
    PRIMARY KEY (sender, id, sha256),
    FOREIGN KEY (sender, id) REFERENCES messages (sender, id)
);
CREATE INDEX IF NOT EXISTS message_files_by_file ON message_files (sha256, direction, peer);
CREATE TABLE IF NOT EXISTS fetches (
    sha256       TEXT NOT NULL,
    holder       TEXT NOT NULL,
    name         TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    size         INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'complete')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    last_error   TEXT,
    PRIMARY KEY (sha256, holder)
);
CREATE INDEX IF NOT EXISTS fetches_due ON fetches (status, next_attempt);
CREATE TABLE IF NOT EXISTS file_requests (
    requester  TEXT NOT NULL,
    id         TEXT NOT NULL,
    keep_until INTEGER NOT NULL,
    PRIMARY KEY (requester, id)
);
CREATE INDEX IF NOT EXISTS file_requests_by_expiry ON file_requests (keep_until);
CREATE TABLE IF NOT EXISTS acknowledgements (
    sender TEXT NOT NULL,
    id     TEXT NOT NULL,
    PRIMARY KEY (sender, id),
    FOREIGN KEY (sender, id) REFERENCES messages (sender, id)
);
";

/// Records the files `envelope` (its body in clear, or opened) references as they
/// travel (a sealed file as its sealed bytes at their address, §24.6:
/// [`tongban::file::fetched`]), as a message received (`in`) or sent (`out`); `peer` is
/// the other party. A file sent to a partner is one it may fetch. (1.1) The file in
/// clear of a sealed file sent is recorded too, with this node itself as the peer: kept
/// as this node's own (garbage collection), fetched by no partner (no partner is this
/// node), as §24.6 asks.
///
/// Up to sixteen references go in one statement: on PostgreSQL
/// each statement is a round trip made while the writer lock is held, and a transfer
/// with its materials has several.
pub fn record_references(
    db: &Db<'_>,
    envelope: &Envelope,
    direction: &str,
) -> Result<(), NodeError> {
    let peer = if direction == "out" {
        &envelope.to
    } else {
        &envelope.from
    };
    let mut references: Vec<(FileRef, &NodeId)> = Vec::new();
    for reference in tongban::file::references(&envelope.body) {
        references.push((tongban::file::fetched(reference), peer));
        if direction == "out" && reference.sealed.is_some() {
            let mut own = reference.clone();
            own.sealed = None;
            references.push((own, &envelope.from));
        }
    }
    for chunk in references.chunks(REFERENCES_PER_STATEMENT) {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut params = Vec::with_capacity(chunk.len() * 8);
        for (reference, peer) in chunk {
            let first = params.len() + 1;
            rows.push(format!(
                "({})",
                (first..first + 8)
                    .map(|n| format!("?{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            params.extend(params![
                envelope.from.as_str(),
                envelope.id.as_str(),
                reference.sha256.as_str(),
                &reference.name,
                &reference.media_type,
                size(reference)?,
                direction,
                peer.as_str()
            ]);
        }
        db.execute(
            &format!(
                "INSERT INTO message_files (sender, id, sha256, name, media_type, size, direction, peer)
                 VALUES {} ON CONFLICT DO NOTHING",
                rows.join(", ")
            ),
            &params,
        )?;
    }
    Ok(())
}

/// How many file references [`record_references`] inserts with one statement (each
/// count is a statement of its own, prepared once per connection).
const REFERENCES_PER_STATEMENT: usize = 16;

/// A reference's size as the database keeps it.
fn size(reference: &FileRef) -> Result<i64, NodeError> {
    i64::try_from(reference.size).map_err(|_| NodeError::Storage {
        reason: format!("file size {} is too large to store", reference.size),
    })
}

/// A value read back that does not parse.
fn unreadable(what: &str, error: impl std::fmt::Display) -> NodeError {
    NodeError::Storage {
        reason: format!("a stored {what} cannot be read back: {error}"),
    }
}

fn row_to_reference(row: &Row) -> Result<FileRef, NodeError> {
    Ok(FileRef {
        sha256: Sha256Digest::parse(&row.text(0)?).map_err(|e| unreadable("file digest", e))?,
        sm3: None,
        name: row.text(1)?,
        media_type: row.text(2)?,
        size: row.number(3)?,
        sealed: None,
    })
}

/// The messages received that reference a file at the address `sha256`, as their
/// senders and ids, oldest first: for a sealed file, one of them is the message whose
/// context its sealed bytes are bound to (§24.6).
pub fn received_at(
    db: &Db<'_>,
    sha256: &Sha256Digest,
) -> Result<Vec<(NodeId, MessageId)>, NodeError> {
    db.query(
        "SELECT f.sender, f.id FROM message_files f JOIN messages m USING (sender, id)
         WHERE f.sha256 = ?1 AND f.direction = 'in' ORDER BY m.stored_at, f.sender, f.id",
        params![sha256.as_str()],
    )?
    .iter()
    .map(|row| {
        let sender = NodeId::parse(row.text(0)?.as_str()).map_err(|e| unreadable("node id", e))?;
        let id =
            MessageId::parse(row.text(1)?.as_str()).map_err(|e| unreadable("message id", e))?;
        Ok((sender, id))
    })
    .collect()
}

/// Every file the messages of case `key` reference, received or sent.
pub fn case_references(db: &Db<'_>, key: &CaseKey) -> Result<Vec<FileRef>, NodeError> {
    db.query(
        "SELECT f.sha256, f.name, f.media_type, f.size FROM message_files f
         JOIN messages m USING (sender, id)
         WHERE m.case_window = ?1 AND m.case_id = ?2",
        params![key.window.as_str(), key.case.as_str()],
    )?
    .iter()
    .map(row_to_reference)
    .collect()
}

/// The reference under which this node sent `requester` the file `sha256`, if it did:
/// the only grant to fetch a file (§23.2).
pub fn sent_to(
    db: &Db<'_>,
    sha256: &Sha256Digest,
    requester: &NodeId,
) -> Result<Option<FileRef>, NodeError> {
    db.query_first(
        "SELECT sha256, name, media_type, size FROM message_files
             WHERE sha256 = ?1 AND direction = 'out' AND peer = ?2 LIMIT 1",
        params![sha256.as_str(), requester.as_str()],
    )?
    .as_ref()
    .map(row_to_reference)
    .transpose()
}

/// The media type under which a message references `sha256`, if one does.
pub fn media_type_of(db: &Db<'_>, sha256: &Sha256Digest) -> Result<Option<String>, NodeError> {
    db.query_first(
        "SELECT media_type FROM message_files WHERE sha256 = ?1 LIMIT 1",
        params![sha256.as_str()],
    )?
    .map(|row| row.text(0))
    .transpose()
}

/// Whether any message references `sha256`.
pub fn is_referenced(db: &Db<'_>, sha256: &Sha256Digest) -> Result<bool, NodeError> {
    db.query_one(
        "SELECT EXISTS (SELECT 1 FROM message_files WHERE sha256 = ?1)",
        params![sha256.as_str()],
    )?
    .flag(0)
}

/// A file to fetch from the partner that referenced it.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// The file.
    pub reference: FileRef,
    /// The partner that sent the message referencing it.
    pub holder: NodeId,
    /// `pending` or `complete`.
    pub status: String,
    /// Rounds tried.
    pub attempts: u32,
    /// When the next round is due (Unix milliseconds).
    pub next_attempt: i64,
    /// The last failure, with its code.
    pub last_error: Option<String>,
}

fn row_to_fetch(row: &Row) -> Result<Fetch, NodeError> {
    Ok(Fetch {
        reference: row_to_reference(row)?,
        holder: NodeId::parse(&row.text(4)?).map_err(|e| unreadable("holder", e))?,
        status: row.text(5)?,
        attempts: row.number(6)?,
        next_attempt: row.integer(7)?,
        last_error: row.optional_text(8)?,
    })
}

const FETCH_COLUMNS: &str =
    "sha256, name, media_type, size, holder, status, attempts, next_attempt, last_error";

/// Queues a fetch of `reference` from `holder`, due at `now_ms`, unless one is queued.
pub fn enqueue_fetch(
    db: &Db<'_>,
    reference: &FileRef,
    holder: &NodeId,
    now_ms: i64,
) -> Result<(), NodeError> {
    db.execute(
        "INSERT INTO fetches (sha256, holder, name, media_type, size, status, next_attempt)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6) ON CONFLICT DO NOTHING",
        params![
            reference.sha256.as_str(),
            holder.as_str(),
            &reference.name,
            &reference.media_type,
            size(reference)?,
            now_ms
        ],
    )?;
    Ok(())
}

/// Pending fetches due at `now_ms`, oldest first, at most `limit`.
pub fn due_fetches(db: &Db<'_>, now_ms: i64, limit: u32) -> Result<Vec<Fetch>, NodeError> {
    db.query(
        &format!(
            "SELECT {FETCH_COLUMNS} FROM fetches WHERE status = 'pending' AND next_attempt <= ?1
             ORDER BY next_attempt LIMIT ?2"
        ),
        params![now_ms, limit],
    )?
    .iter()
    .map(row_to_fetch)
    .collect()
}

/// When the earliest pending fetch is due, if any.
pub fn next_fetch_due(db: &Db<'_>) -> Result<Option<i64>, NodeError> {
    db.query_one(
        "SELECT MIN(next_attempt) FROM fetches WHERE status = 'pending'",
        params![],
    )?
    .optional_integer(0)
}

/// Every fetch of a file that case `key`'s received messages reference.
pub fn case_fetches(db: &Db<'_>, key: &CaseKey) -> Result<Vec<Fetch>, NodeError> {
    db.query(
        &format!(
            "SELECT {FETCH_COLUMNS} FROM fetches WHERE (sha256, holder) IN (
                SELECT f.sha256, f.peer FROM message_files f JOIN messages m USING (sender, id)
                WHERE f.direction = 'in' AND m.case_window = ?1 AND m.case_id = ?2)"
        ),
        params![key.window.as_str(), key.case.as_str()],
    )?
    .iter()
    .map(row_to_fetch)
    .collect()
}

/// Every fetch, pending first.
pub fn fetches(db: &Db<'_>) -> Result<Vec<Fetch>, NodeError> {
    db.query(
        &format!("SELECT {FETCH_COLUMNS} FROM fetches ORDER BY status DESC, next_attempt"),
        params![],
    )?
    .iter()
    .map(row_to_fetch)
    .collect()
}

/// Records a fetch's outcome: complete, or failed with `error` and due again at
/// `next_ms`.
pub fn record_fetch(
    db: &Db<'_>,
    sha256: &Sha256Digest,
    holder: &NodeId,
    failure: Option<(&str, i64)>,
) -> Result<(), NodeError> {
    match failure {
        None => db.execute(
            "UPDATE fetches SET status = 'complete', attempts = attempts + 1, last_error = NULL
             WHERE sha256 = ?1 AND holder = ?2",
            params![sha256.as_str(), holder.as_str()],
        )?,
        Some((error, next_ms)) => db.execute(
            "UPDATE fetches SET attempts = attempts + 1, last_error = ?3, next_attempt = ?4
             WHERE sha256 = ?1 AND holder = ?2",
            params![sha256.as_str(), holder.as_str(), error, next_ms],
        )?,
    };
    Ok(())
}

/// Makes the fetch of `sha256` from `holder` pending again, due at `now_ms` (its
/// bytes went: altered on disk since they were fetched).
pub fn fetch_again(
    db: &Db<'_>,
    sha256: &Sha256Digest,
    holder: &NodeId,
    now_ms: i64,
) -> Result<(), NodeError> {
    db.execute(
        "UPDATE fetches SET status = 'pending', next_attempt = ?3 WHERE sha256 = ?1 AND holder = ?2",
        params![sha256.as_str(), holder.as_str(), now_ms],
    )?;
    Ok(())
}

/// Records that received message (`sender`, `id`) is to be answered with
/// `files_received` once every file it references is held (§23.5).
pub fn await_acknowledgement(
    db: &Db<'_>,
    sender: &NodeId,
    id: &MessageId,
) -> Result<(), NodeError> {
    db.execute(
        "INSERT INTO acknowledgements (sender, id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![sender.as_str(), id.as_str()],
    )?;
    Ok(())
}

/// The messages awaiting `files_received`, in SQLite's spelling. CROSS JOIN keeps
/// acknowledgements (a few rows) the outer loop, each message found by its key: a plain
/// join let SQLite scan every stored message instead, at every look of the fetcher,
/// which made accepting a message slower the more messages were stored. PostgreSQL
/// allows no condition on a CROSS JOIN, and its planner needs no such hint.
const AWAITING_ACKNOWLEDGEMENT: &str =
    "SELECT a.sender, a.id FROM acknowledgements a CROSS JOIN messages m
     ON m.sender = a.sender AND m.id = a.id ORDER BY m.stored_at";

/// The received messages still to be answered with `files_received`, oldest first.
pub fn awaiting_acknowledgement(db: &Db<'_>) -> Result<Vec<(String, String)>, NodeError> {
    let statement = match db.dialect() {
        Dialect::Sqlite => AWAITING_ACKNOWLEDGEMENT.to_string(),
        Dialect::Postgres => AWAITING_ACKNOWLEDGEMENT.replace("CROSS JOIN", "JOIN"),
    };
    db.query(&statement, params![])?
        .iter()
        .map(|row| Ok((row.text(0)?, row.text(1)?)))
        .collect()
}

/// Removes a message from those to be answered with `files_received`.
pub fn acknowledged(db: &Db<'_>, sender: &str, id: &str) -> Result<(), NodeError> {
    db.execute(
        "DELETE FROM acknowledgements WHERE sender = ?1 AND id = ?2",
        params![sender, id],
    )?;
    Ok(())
}

/// The replay record of file requests (§23.3) in the node's database, so that a request
/// is used once, across restarts too. The store is locked only when an id is recorded,
/// which is after the request's signature verified. A failure of the database is kept
/// in `failure` and the request refused; the caller reports it as `node.storage`.
pub struct RequestLog<'a> {
    node: &'a Node,
    /// The database error met, if any.
    pub failure: RefCell<Option<NodeError>>,
}

impl<'a> RequestLog<'a> {
    /// The log in `node`'s database.
    pub fn new(node: &'a Node) -> RequestLog<'a> {
        RequestLog {
            node,
            failure: RefCell::new(None),
        }
    }

    fn record(
        &self,
        requester: &NodeId,
        id: &MessageId,
        keep_until: i64,
        now: i64,
    ) -> Result<bool, NodeError> {
        self.node.store().transaction(|db| {
            db.execute(
                "DELETE FROM file_requests WHERE keep_until < ?1",
                params![now],
            )?;
            let inserted = db.execute(
                "INSERT INTO file_requests (requester, id, keep_until) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![requester.as_str(), id.as_str(), keep_until],
            )?;
            Ok(inserted == 1)
        })
    }
}

impl ReplayGuard for RequestLog<'_> {
    fn check_and_record(
        &self,
        sender: &NodeId,
        id: &MessageId,
        keep_until: &Timestamp,
        now: &Timestamp,
    ) -> Result<(), ReplayError> {
        let duplicate = || ReplayError::Duplicate {
            sender: sender.to_string(),
            message_id: id.to_string(),
        };
        match self.record(sender, id, keep_until.unix_seconds(), now.unix_seconds()) {
            Ok(true) => Ok(()),
            Ok(false) => Err(duplicate()),
            Err(e) => {
                *self.failure.borrow_mut() = Some(e);
                Err(duplicate())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{self, testing, Store, StoredMessage};
    use tongban::{sample, Body};

    /// A message with more references than one statement takes (one file listed twice)
    /// has each of them recorded once, on both databases.
    #[test]
    fn every_reference_of_a_message_is_recorded_across_statements() {
        let mut transfer = sample::transfer_body().expect("transfer");
        let template = transfer.materials[0].clone();
        let count = REFERENCES_PER_STATEMENT * 2 + 5;
        transfer.materials = (0..count)
            .map(|i| FileRef {
                name: format!("材料 {i}"),
                sha256: Sha256Digest::of(format!("file {i}").as_bytes()),
                size: i as u64 + 1,
                ..template.clone()
            })
            .collect();
        transfer.materials.push(transfer.materials[3].clone());
        let route = tongban::Route {
            from: NodeId::parse(sample::HUANGSHI).expect("node"),
            to: NodeId::parse(sample::JIUJIANG).expect("node"),
            agreement: tongban::AgreementId::parse(sample::AGREEMENT).expect("agreement"),
            case: tongban::CaseId::parse(sample::CASE).expect("case"),
        };
        let now = Timestamp::parse("2026-12-07T10:00:00+08:00").expect("time");
        let envelope =
            Envelope::new(route, Body::Transfer(transfer), now.clone(), 3600).expect("envelope");
        let key = CaseKey {
            window: envelope.from.clone(),
            case: envelope.case.clone(),
        };
        for (location, _dir) in testing::locations() {
            let mut store = Store::open_at(&location).expect("store");
            store
                .transaction(|db| {
                    store::insert_message(
                        db,
                        &StoredMessage {
                            direction: "out".into(),
                            sender: envelope.from.to_string(),
                            receiver: envelope.to.to_string(),
                            id: envelope.id.to_string(),
                            message_type: "transfer".into(),
                            sha256: Sha256Digest::of(b"message").to_string(),
                            bytes: b"{}".to_vec(),
                            receipt: None,
                            stored_at: now.to_string(),
                        },
                        &key,
                    )?;
                    record_references(db, &envelope, "out")
                })
                .expect("recorded");
            let recorded = store
                .run(|db| {
                    db.query_one("SELECT COUNT(*) FROM message_files", &[])?
                        .integer(0)
                })
                .expect("count");
            assert_eq!(recorded, count as i64, "{location:?}");
            for i in [
                0,
                REFERENCES_PER_STATEMENT - 1,
                REFERENCES_PER_STATEMENT,
                count - 1,
            ] {
                let sha256 = Sha256Digest::of(format!("file {i}").as_bytes());
                let sent = store
                    .run(|db| sent_to(db, &sha256, &envelope.to))
                    .expect("lookup")
                    .expect("recorded as sent to Jiujiang");
                assert_eq!((sent.name, sent.size), (format!("材料 {i}"), i as u64 + 1));
            }
        }
    }

    #[test]
    fn the_fetchers_look_at_acknowledgements_never_scans_the_stored_messages() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Store::open(dir.path()).expect("store");
        let mut statement = store
            .sqlite()
            .expect("SQLite")
            .prepare(&format!("EXPLAIN QUERY PLAN {AWAITING_ACKNOWLEDGEMENT}"))
            .expect("plan");
        let plan: Vec<String> = statement
            .query_map([], |r| r.get::<_, String>(3))
            .expect("plan")
            .collect::<Result<_, _>>()
            .expect("plan");
        assert!(
            plan.iter().any(|step| step.starts_with("SEARCH m ")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN m")),
            "{plan:?}"
        );
    }
}
