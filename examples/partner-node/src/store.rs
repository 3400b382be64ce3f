//! The durable store: one SQLite file in WAL mode with `synchronous = FULL`, so that a
//! committed transaction survives a crash or power loss before a receipt leaves.
//!
//! - `messages`: every message received or sent, keyed by (sender, id), with the
//!   receipt given (inbound) or received (outbound). It is also the durable replay
//!   record: ids are never forgotten.
//! - `cases`: each case's tracks and states, as the SDK's `Case` in JSON, keyed by its
//!   window and case id (a case belongs to the window that opened it, §18).
//! - `outbox`: outbound messages and their delivery state, retried until receipted.
//! - `registry`: every trust registry the node accepted, by version; the highest is the
//!   pin that a registry file or an installed registry must update (never roll back).

use crate::error::NodeError;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use tongban::lifecycle::Case;
use tongban::{CaseId, MessageId, NodeId, Timestamp};

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "node.sqlite3";

/// The schema's version, kept in SQLite's `user_version`: 0 is the first layout (cases
/// keyed by case id alone), 1 keys cases by window and case id and pins the registry,
/// 2 adds the file exchange's tables ([`crate::files::records::SCHEMA`]), 3 gives the
/// outbox its own queue order and leases ([`MIGRATE_TO_3`]).
const SCHEMA_VERSION: i64 = 3;

/// To version 3: the outbox's queue order is its own column (`seq`), not SQLite's
/// `rowid`, and an entry being delivered is leased (`leased_by` a replica, until
/// `leased_until`, Unix milliseconds), so that several node processes sharing the
/// database never deliver one message at the same time, and an entry whose replica died
/// is taken up again when its lease ends.
const MIGRATE_TO_3: &str = "
ALTER TABLE outbox ADD COLUMN seq INTEGER;
UPDATE outbox SET seq = rowid;
ALTER TABLE outbox ADD COLUMN leased_by TEXT;
ALTER TABLE outbox ADD COLUMN leased_until INTEGER;
CREATE UNIQUE INDEX outbox_by_seq ON outbox (seq);
";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    sender      TEXT NOT NULL,
    id          TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    receiver    TEXT NOT NULL,
    case_window TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    type        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    receipt     BLOB,
    stored_at   TEXT NOT NULL,
    PRIMARY KEY (sender, id)
);
CREATE INDEX IF NOT EXISTS messages_by_window_case ON messages (case_window, case_id, stored_at);
CREATE TABLE IF NOT EXISTS cases (
    window     TEXT NOT NULL,
    id         TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (window, id)
);
CREATE TABLE IF NOT EXISTS outbox (
    sender       TEXT NOT NULL,
    id           TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    last_error   TEXT,
    PRIMARY KEY (sender, id),
    FOREIGN KEY (sender, id) REFERENCES messages (sender, id)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt);
CREATE TABLE IF NOT EXISTS registry (
    version      INTEGER PRIMARY KEY,
    sha256       TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    installed_at TEXT NOT NULL
);
";

/// From version 0: cases are keyed by their window (the window of their first track)
/// and id, and each message records its case's window. Version 0 kept one case per id,
/// so every message of a case id belongs to that case.
const MIGRATE_0_TO_1: &str = "
CREATE TABLE cases_v1 (
    window     TEXT NOT NULL,
    id         TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (window, id)
);
INSERT INTO cases_v1 (window, id, state, updated_at)
    SELECT json_extract(state, '$.tracks[0].window'), id, state, updated_at FROM cases
    WHERE json_extract(state, '$.tracks[0].window') IS NOT NULL;
DROP TABLE cases;
ALTER TABLE cases_v1 RENAME TO cases;
ALTER TABLE messages ADD COLUMN case_window TEXT NOT NULL DEFAULT '';
UPDATE messages SET case_window = COALESCE(
    (SELECT c.window FROM cases c WHERE c.id = messages.case_id), '');
DROP INDEX IF EXISTS messages_by_case;
CREATE INDEX messages_by_window_case ON messages (case_window, case_id, stored_at);
CREATE TABLE IF NOT EXISTS registry (
    version      INTEGER PRIMARY KEY,
    sha256       TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    installed_at TEXT NOT NULL
);
";

/// Runs a statement, prepared once per connection and then taken from its cache.
pub(crate) fn execute(
    db: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    db.prepare_cached(sql)?.execute(params)
}

/// Reads one row with a statement prepared once per connection.
pub(crate) fn query_row<T>(
    db: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    db.prepare_cached(sql)?.query_row(params, row)
}

/// Statements each connection keeps prepared: every statement of the store.
const STATEMENT_CACHE: usize = 64;

/// A case's identity: the window that opened it and its case id (§18).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CaseKey {
    /// The window that opened the case.
    pub window: NodeId,
    /// Its case id.
    pub case: CaseId,
}

impl CaseKey {
    /// The key of a case that a transfer opened; `None` for an empty case.
    pub fn of(case: &Case) -> Option<CaseKey> {
        Some(CaseKey {
            window: case.window()?.clone(),
            case: case.id().clone(),
        })
    }
}

impl std::fmt::Display for CaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.window, self.case)
    }
}

/// A stored message.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    /// `in` or `out`.
    pub direction: String,
    /// The sender.
    pub sender: String,
    /// The receiver.
    pub receiver: String,
    /// The message id.
    pub id: String,
    /// The message type.
    pub message_type: String,
    /// SHA-256 of its canonical bytes.
    pub sha256: String,
    /// Its canonical bytes.
    pub bytes: Vec<u8>,
    /// The receipt given (inbound) or received (outbound), once there is one.
    pub receipt: Option<Vec<u8>>,
    /// When it was stored.
    pub stored_at: String,
}

/// An outbound message waiting for delivery.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// The sender (this node).
    pub sender: String,
    /// The message id.
    pub id: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Delivery rounds tried.
    pub attempts: u32,
    /// When the next round is due (Unix milliseconds).
    pub next_attempt: i64,
    /// The last failure, with its code.
    pub last_error: Option<String>,
    /// The message's bytes.
    pub bytes: Vec<u8>,
    /// Its case's id.
    pub case_id: String,
}

/// The open database.
#[derive(Debug)]
pub struct Store {
    connection: Connection,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, NodeError> {
        std::fs::create_dir_all(data_dir).map_err(|e| NodeError::Storage {
            reason: format!("cannot create {}: {e}", data_dir.display()),
        })?;
        let connection = Connection::open(data_dir.join(DATABASE_FILE))?;
        let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(NodeError::Storage {
                reason: format!("the database refused WAL mode ({mode})"),
            });
        }
        connection.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&connection)?;
        Ok(Store { connection })
    }

    /// Runs `work` in one immediate transaction, committed only if it returns `Ok`.
    pub fn transaction<T, E: From<NodeError>>(
        &mut self,
        work: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(NodeError::from)?;
        let value = work(&tx)?;
        tx.commit().map_err(NodeError::from)?;
        Ok(value)
    }

    /// Runs each of `works` in its own savepoint of one immediate transaction, in
    /// order, and commits once (one fsync for all): a work that fails is rolled back
    /// alone, and its failure is its result. If the transaction cannot begin or commit,
    /// every result is that storage failure and nothing is kept.
    pub fn group_transaction<T, E: From<NodeError>>(
        &mut self,
        works: Vec<impl FnOnce(&Connection) -> Result<T, E>>,
    ) -> Vec<Result<T, E>> {
        // Every work fails with `reason`: nothing of the group is kept.
        let all_failed = |count: usize, reason: String| {
            (0..count)
                .map(|_| {
                    Err(E::from(NodeError::Storage {
                        reason: reason.clone(),
                    }))
                })
                .collect()
        };
        let count = works.len();
        let mut tx = match self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        {
            Ok(tx) => tx,
            Err(e) => return all_failed(count, e.to_string()),
        };
        let rolled_back = "the transaction was rolled back by the database";
        let mut results = Vec::with_capacity(count);
        for work in works {
            // SQLite rolls the whole transaction back on some errors (a full disk, an
            // I/O error): a savepoint would then begin a transaction of its own, and
            // nothing of this group is kept.
            if tx.is_autocommit() {
                return all_failed(count, rolled_back.into());
            }
            // A savepoint dropped without `commit` is rolled back.
            let result = match tx.savepoint() {
                Ok(savepoint) => work(&savepoint).and_then(|value| {
                    savepoint
                        .commit()
                        .map_err(|e| E::from(NodeError::from(e)))?;
                    Ok(value)
                }),
                Err(e) => Err(E::from(NodeError::from(e))),
            };
            results.push(result);
        }
        if tx.is_autocommit() {
            return all_failed(count, rolled_back.into());
        }
        match tx.commit() {
            Ok(()) => results,
            Err(e) => all_failed(count, e.to_string()),
        }
    }

    /// The connection, for reads.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

/// A read-only connection to the database in `data_dir` (opened by [`Store::open`]
/// before), for lookups that must not wait for the writer.
pub fn open_reader(data_dir: &Path) -> Result<Connection, NodeError> {
    let connection = Connection::open_with_flags(
        data_dir.join(DATABASE_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.execute_batch("PRAGMA busy_timeout = 5000;")?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(connection)
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction: a new database gets it
/// whole, an older one is migrated step by step; a newer one is refused.
fn migrate(connection: &Connection) -> Result<(), NodeError> {
    let version: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(NodeError::Storage {
            reason: format!(
                "the database has schema version {version}, newer than this node's {SCHEMA_VERSION}"
            ),
        });
    }
    let has_tables: bool = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cases')",
        [],
        |r| r.get(0),
    )?;
    let migration = connection.unchecked_transaction()?;
    if !has_tables {
        migration.execute_batch(SCHEMA)?;
    } else if version == 0 {
        tracing::info!("migrating the database from schema version 0 to 1 (cases keyed by window)");
        migration.execute_batch(MIGRATE_0_TO_1)?;
        split_mixed_cases(&migration)?;
    }
    if version < 2 {
        // From version 1 (or a new database): the file exchange's tables.
        migration.execute_batch(crate::files::records::SCHEMA)?;
    }
    if version < 3 {
        migration.execute_batch(MIGRATE_TO_3)?;
    }
    migration.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))?;
    migration.commit()?;
    Ok(())
}

/// Schema version 0 let another window add a track to a case id it did not open; such
/// a case becomes one case per window, each with its own tracks and messages (a
/// message goes to the window it was sent by or to).
fn split_mixed_cases(db: &Connection) -> Result<(), NodeError> {
    let mut statement = db.prepare_cached("SELECT window, id, state, updated_at FROM cases")?;
    let cases: Vec<(String, String, String, String)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (first, id, state, updated_at) in cases {
        let mut document: serde_json::Value =
            serde_json::from_str(&state).map_err(|e| NodeError::Storage {
                reason: format!("case {id} cannot be read back: {e}"),
            })?;
        let tracks = document["tracks"].as_array().cloned().unwrap_or_default();
        let mut by_window: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
            std::collections::BTreeMap::new();
        for track in tracks {
            let window = track["window"].as_str().unwrap_or_default().to_string();
            by_window.entry(window).or_default().push(track);
        }
        if by_window.len() < 2 {
            continue;
        }
        tracing::warn!(
            case = %id,
            windows = ?by_window.keys().collect::<Vec<_>>(),
            "a case of schema version 0 held tracks of several windows; it becomes one case per window"
        );
        for (window, tracks) in by_window {
            document["tracks"] = serde_json::Value::Array(tracks);
            let state = document.to_string();
            if window == first {
                execute(
                    db,
                    "UPDATE cases SET state = ?3 WHERE window = ?1 AND id = ?2",
                    params![window, id, state],
                )?;
            } else {
                execute(
                    db,
                    "INSERT INTO cases (window, id, state, updated_at) VALUES (?1, ?2, ?3, ?4)",
                    params![window, id, state, updated_at],
                )?;
                execute(
                    db,
                    "UPDATE messages SET case_window = ?1
                     WHERE case_id = ?2 AND (sender = ?1 OR receiver = ?1)",
                    params![window, id],
                )?;
            }
        }
    }
    Ok(())
}

fn row_to_message(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        direction: row.get(0)?,
        sender: row.get(1)?,
        receiver: row.get(2)?,
        id: row.get(3)?,
        message_type: row.get(4)?,
        sha256: row.get(5)?,
        bytes: row.get(6)?,
        receipt: row.get(7)?,
        stored_at: row.get(8)?,
    })
}

const MESSAGE_COLUMNS: &str =
    "direction, sender, receiver, id, type, sha256, bytes, receipt, stored_at";

/// The message `id` of `sender`, if stored.
pub fn find_message(
    db: &Connection,
    sender: &NodeId,
    id: &MessageId,
) -> Result<Option<StoredMessage>, NodeError> {
    Ok(query_row(
        db,
        &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE sender = ?1 AND id = ?2"),
        params![sender.as_str(), id.as_str()],
        row_to_message,
    )
    .optional()?)
}

/// Every message of a case, oldest first.
pub fn case_messages(db: &Connection, key: &CaseKey) -> Result<Vec<StoredMessage>, NodeError> {
    let mut statement = db.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE case_window = ?1 AND case_id = ?2
         ORDER BY stored_at, rowid"
    ))?;
    let rows = statement.query_map(
        params![key.window.as_str(), key.case.as_str()],
        row_to_message,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every stored message with its case id, oldest first.
pub fn all_messages(db: &Connection) -> Result<Vec<(String, StoredMessage)>, NodeError> {
    let mut statement = db.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS}, case_id FROM messages ORDER BY rowid"
    ))?;
    let rows = statement.query_map([], |row| Ok((row.get(9)?, row_to_message(row)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores a message of case `key` with its receipt, if any.
pub fn insert_message(
    db: &Connection,
    message: &StoredMessage,
    key: &CaseKey,
) -> Result<(), NodeError> {
    execute(
        db,
        "INSERT INTO messages (direction, sender, receiver, id, type, sha256, bytes, receipt, stored_at, case_id, case_window)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            message.direction,
            message.sender,
            message.receiver,
            message.id,
            message.message_type,
            message.sha256,
            message.bytes,
            message.receipt,
            message.stored_at,
            key.case.as_str(),
            key.window.as_str()
        ],
    )?;
    Ok(())
}

/// The stored case `key`, if any.
pub fn load_case(db: &Connection, key: &CaseKey) -> Result<Option<Case>, NodeError> {
    let state: Option<String> = query_row(
        db,
        "SELECT state FROM cases WHERE window = ?1 AND id = ?2",
        params![key.window.as_str(), key.case.as_str()],
        |r| r.get(0),
    )
    .optional()?;
    state
        .map(|text| {
            serde_json::from_str(&text).map_err(|e| NodeError::Storage {
                reason: format!("case {key} cannot be read back: {e}"),
            })
        })
        .transpose()
}

/// Every stored case, newest first; only those with case id `case` when given.
pub fn case_keys(db: &Connection, case: Option<&CaseId>) -> Result<Vec<CaseKey>, NodeError> {
    let mut statement = db.prepare_cached(
        "SELECT window, id FROM cases WHERE ?1 IS NULL OR id = ?1
         ORDER BY updated_at DESC, window, id",
    )?;
    let rows = statement.query_map(params![case.map(CaseId::as_str)], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut keys = Vec::new();
    for row in rows {
        let (window, case) = row?;
        let unreadable = |e: tongban::error::IdError| NodeError::Storage {
            reason: format!("a stored case key {window}/{case} cannot be read back: {e}"),
        };
        keys.push(CaseKey {
            window: NodeId::parse(window.as_str()).map_err(unreadable)?,
            case: CaseId::parse(case.as_str()).map_err(unreadable)?,
        });
    }
    Ok(keys)
}

/// Stores a case's new state; a case is stored once a transfer opened it. Returns the
/// key it is stored under.
pub fn save_case(db: &Connection, case: &Case, now: &Timestamp) -> Result<CaseKey, NodeError> {
    let key = CaseKey::of(case).ok_or_else(|| NodeError::Storage {
        reason: format!(
            "case {} has no track, so no window, and is not stored",
            case.id()
        ),
    })?;
    let state = serde_json::to_string(case).map_err(|e| NodeError::Storage {
        reason: format!("case {key} cannot be written: {e}"),
    })?;
    execute(
        db,
        "INSERT INTO cases (window, id, state, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (window, id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        params![key.window.as_str(), key.case.as_str(), state, now.as_str()],
    )?;
    Ok(key)
}

/// The pinned registry: the highest version accepted, with its bytes.
pub fn pinned_registry(db: &Connection) -> Result<Option<(u64, Vec<u8>)>, NodeError> {
    Ok(query_row(
        db,
        "SELECT version, bytes FROM registry ORDER BY version DESC LIMIT 1",
        [],
        |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)),
    )
    .optional()?
    .map(|(version, bytes)| (u64::try_from(version).unwrap_or(0), bytes)))
}

/// Records an accepted registry, which becomes the pin if its version is the highest;
/// the same registry again changes nothing, another of a pinned version is refused.
pub fn pin_registry(
    db: &Connection,
    registry: &tongban::registry::Registry,
    bytes: &[u8],
    now: &Timestamp,
) -> Result<(), NodeError> {
    let version = i64::try_from(registry.version()).map_err(|_| NodeError::Storage {
        reason: format!("registry version {} is too large", registry.version()),
    })?;
    let pinned: Option<String> = query_row(
        db,
        "SELECT sha256 FROM registry WHERE version = ?1",
        params![version],
        |r| r.get(0),
    )
    .optional()?;
    match pinned {
        // The same registry again (a retried installation): nothing to do.
        Some(sha256) if sha256 == registry.digest().as_str() => Ok(()),
        Some(sha256) => Err(NodeError::Storage {
            reason: format!(
                "another registry of version {version} is pinned already (sha256 {sha256})"
            ),
        }),
        None => {
            execute(
                db,
                "INSERT INTO registry (version, sha256, bytes, installed_at) VALUES (?1, ?2, ?3, ?4)",
                params![version, registry.digest().as_str(), bytes, now.as_str()],
            )?;
            Ok(())
        }
    }
}

/// Queues an outbound message (already in `messages`) for delivery now.
pub fn enqueue(db: &Connection, sender: &str, id: &str, now_ms: i64) -> Result<(), NodeError> {
    execute(
        db,
        "INSERT INTO outbox (sender, id, status, next_attempt, seq)
         VALUES (?1, ?2, 'pending', ?3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox))",
        params![sender, id, now_ms],
    )?;
    Ok(())
}

const OUTBOX_COLUMNS: &str =
    "o.sender, o.id, o.status, o.attempts, o.next_attempt, o.last_error, m.bytes, m.case_id";

fn row_to_outbox(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    Ok(OutboxEntry {
        sender: row.get(0)?,
        id: row.get(1)?,
        status: row.get(2)?,
        attempts: row.get(3)?,
        next_attempt: row.get(4)?,
        last_error: row.get(5)?,
        bytes: row.get(6)?,
        case_id: row.get(7)?,
    })
}

/// The condition that makes outbox entry `o` (joined with its message `m`) the next
/// to deliver of its case: no older entry for the same receiver and case is pending.
/// Messages of one case are delivered in the order they were queued, because the
/// receiver's lifecycle would refuse them out of order.
const HEAD_OF_CASE: &str = "o.status = 'pending' AND NOT EXISTS (
    SELECT 1 FROM outbox p JOIN messages pm USING (sender, id)
    WHERE p.status = 'pending' AND pm.receiver = m.receiver
      AND pm.case_window = m.case_window AND pm.case_id = m.case_id AND p.seq < o.seq)";

/// Leases to `replica`, until `until_ms`, the entries due at `now_ms` that are next of
/// their case and that no live lease holds, oldest first, at most `limit`, and returns
/// them: no other replica takes them until the lease ends or the delivery is recorded.
/// Run it in a write transaction, so that the look and the lease are one step.
pub fn lease_due(
    db: &Connection,
    replica: &str,
    now_ms: i64,
    until_ms: i64,
    limit: u32,
) -> Result<Vec<OutboxEntry>, NodeError> {
    let due: Vec<OutboxEntry> = {
        let mut statement = db.prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox o JOIN messages m USING (sender, id)
             WHERE {HEAD_OF_CASE} AND o.next_attempt <= ?1
               AND (o.leased_until IS NULL OR o.leased_until <= ?1)
             ORDER BY o.next_attempt, o.seq LIMIT ?2"
        ))?;
        let rows = statement.query_map(params![now_ms, limit], row_to_outbox)?;
        rows.collect::<Result<_, _>>()?
    };
    for entry in &due {
        execute(
            db,
            "UPDATE outbox SET leased_by = ?3, leased_until = ?4 WHERE sender = ?1 AND id = ?2",
            params![entry.sender, entry.id, replica, until_ms],
        )?;
    }
    Ok(due)
}

/// Gives back every lease `replica` holds: at its start, when none of its deliveries
/// can be in flight. Returns how many it held.
pub fn release_leases(db: &Connection, replica: &str) -> Result<usize, NodeError> {
    Ok(execute(
        db,
        "UPDATE outbox SET leased_by = NULL, leased_until = NULL WHERE leased_by = ?1",
        params![replica],
    )?)
}

/// When the earliest entry that is next of its case is due and not leased, if any.
pub fn next_due(db: &Connection) -> Result<Option<i64>, NodeError> {
    Ok(query_row(
        db,
        &format!(
            "SELECT MIN(MAX(o.next_attempt, COALESCE(o.leased_until, 0)))
             FROM outbox o JOIN messages m USING (sender, id) WHERE {HEAD_OF_CASE}"
        ),
        [],
        |r| r.get(0),
    )?)
}

/// Every outbox entry, newest first.
pub fn outbox(db: &Connection) -> Result<Vec<OutboxEntry>, NodeError> {
    let mut statement = db.prepare_cached(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox o JOIN messages m USING (sender, id) ORDER BY m.stored_at DESC"
    ))?;
    let rows = statement.query_map([], row_to_outbox)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The rows of `table` (`outbox` or `fetches`, never a caller's text) by their
/// `status`.
pub fn status_counts(
    db: &Connection,
    table: &'static str,
) -> Result<std::collections::BTreeMap<String, i64>, NodeError> {
    let mut statement = db.prepare_cached(&format!(
        "SELECT status, COUNT(*) FROM {table} GROUP BY status"
    ))?;
    let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The outbox status (`pending`, `delivered`, `failed`) of message `id` of `sender`.
pub fn outbox_status(db: &Connection, sender: &str, id: &str) -> Result<Option<String>, NodeError> {
    Ok(query_row(
        db,
        "SELECT status FROM outbox WHERE sender = ?1 AND id = ?2",
        params![sender, id],
        |r| r.get(0),
    )
    .optional()?)
}

/// Records the receipt of a delivered message.
pub fn mark_delivered(
    db: &Connection,
    sender: &str,
    id: &str,
    receipt: &[u8],
) -> Result<(), NodeError> {
    execute(
        db,
        "UPDATE messages SET receipt = ?3 WHERE sender = ?1 AND id = ?2",
        params![sender, id, receipt],
    )?;
    execute(
        db,
        "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_error = NULL,
         leased_by = NULL, leased_until = NULL WHERE sender = ?1 AND id = ?2",
        params![sender, id],
    )?;
    Ok(())
}

/// Records a failed round: `final` marks the entry failed, else it is due again at
/// `next_ms`.
pub fn mark_attempt_failed(
    db: &Connection,
    sender: &str,
    id: &str,
    error: &str,
    next_ms: Option<i64>,
) -> Result<(), NodeError> {
    match next_ms {
        Some(next) => execute(
            db,
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, next_attempt = ?4,
             leased_by = NULL, leased_until = NULL WHERE sender = ?1 AND id = ?2",
            params![sender, id, error, next],
        )?,
        None => execute(
            db,
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, status = 'failed',
             leased_by = NULL, leased_until = NULL WHERE sender = ?1 AND id = ?2",
            params![sender, id, error],
        )?,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban::sample;

    /// The layout of schema version 0, as nodes of protocol 1.0 wrote it.
    const SCHEMA_0: &str = "
    CREATE TABLE messages (
        sender TEXT NOT NULL, id TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        receiver TEXT NOT NULL, case_id TEXT NOT NULL, type TEXT NOT NULL,
        sha256 TEXT NOT NULL, bytes BLOB NOT NULL, receipt BLOB, stored_at TEXT NOT NULL,
        PRIMARY KEY (sender, id));
    CREATE INDEX messages_by_case ON messages (case_id, stored_at);
    CREATE TABLE cases (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE outbox (
        sender TEXT NOT NULL, id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL, last_error TEXT,
        PRIMARY KEY (sender, id), FOREIGN KEY (sender, id) REFERENCES messages (sender, id));
    CREATE INDEX outbox_due ON outbox (status, next_attempt);";

    #[test]
    fn a_database_of_schema_version_0_is_migrated_and_keeps_every_case_and_message() {
        let dir = tempfile::tempdir().expect("temporary directory");
        // A version-0 database holding Huangshi's case with its transfer.
        let registry = sample::registry().expect("registry");
        let transfer = sample::signed_transfer().expect("transfer");
        let bytes = transfer.to_canonical_bytes().expect("bytes");
        let now = Timestamp::parse(sample::CREATED).expect("time");
        let verified = tongban::Verifier::new(&registry)
            .any_receiver()
            .verify(tongban::Unverified::parse(&bytes).expect("parse"), &now)
            .expect("verified");
        let mut case = Case::new(transfer.case.clone());
        case.apply(&verified, &registry).expect("transferred");
        {
            let old = Connection::open(dir.path().join(DATABASE_FILE)).expect("open");
            old.execute_batch(SCHEMA_0).expect("schema 0");
            old.execute(
                "INSERT INTO messages (sender, id, direction, receiver, case_id, type, sha256, bytes, stored_at)
                 VALUES (?1, ?2, 'out', ?3, ?4, 'transfer', ?5, ?6, ?7)",
                params![
                    transfer.from.as_str(), transfer.id.as_str(), transfer.to.as_str(),
                    transfer.case.as_str(), verified.digest().as_str(), bytes, now.as_str()
                ],
            )
            .expect("message");
            old.execute(
                "INSERT INTO cases (id, state, updated_at) VALUES (?1, ?2, ?3)",
                params![
                    transfer.case.as_str(),
                    serde_json::to_string(&case).expect("json"),
                    now.as_str()
                ],
            )
            .expect("case");
        }
        let store = Store::open(dir.path()).expect("migrated");
        let db = store.connection();
        let version: i64 = query_row(db, "PRAGMA user_version", [], |r| r.get(0)).expect("version");
        assert_eq!(version, SCHEMA_VERSION);
        let key = CaseKey::of(&case).expect("key");
        assert_eq!(key.window, transfer.from);
        assert_eq!(case_keys(db, None).expect("keys"), vec![key.clone()]);
        assert_eq!(load_case(db, &key).expect("load"), Some(case.clone()));
        let messages = case_messages(db, &key).expect("messages");
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].bytes, bytes);
        drop(store);
        // Opening again changes nothing.
        let again = Store::open(dir.path()).expect("reopened");
        assert_eq!(
            load_case(again.connection(), &key).expect("load"),
            Some(case)
        );
    }

    /// Wuhan's transfer of the cross-province transport item with Huangshi's case id.
    fn wuhan_transfer() -> tongban::Envelope {
        let mut body = sample::transfer_body().expect("body");
        body.item = tongban::ItemCode::parse("YSB-0101").expect("item");
        body.item_name = "道路运输从业人员从业资格证换证".into();
        body.materials[0].name = "身份证".into();
        body.materials[1].name = "原从业资格证".into();
        body.form = serde_json::from_value(serde_json::json!({
            "holder_name": "周建国", "certificate_no": "420100123456", "category": "道路货物运输驾驶员"
        }))
        .expect("form");
        let route = tongban::Route {
            from: NodeId::parse("wuhan.420100").expect("node"),
            to: NodeId::parse(sample::JIUJIANG).expect("node"),
            agreement: tongban::AgreementId::parse("yunshangban.cross-province")
                .expect("agreement"),
            case: CaseId::parse(sample::CASE).expect("case"),
        };
        let created = Timestamp::parse(sample::CREATED).expect("time");
        let mut message =
            tongban::Envelope::new(route, tongban::Body::Transfer(body), created, 3600)
                .expect("envelope");
        message
            .sign(&sample::key("wuhan.420100").expect("key"))
            .expect("sign");
        message
    }

    #[test]
    fn a_case_of_schema_version_0_mixed_by_another_window_becomes_one_case_per_window() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let registry = sample::registry().expect("registry");
        let now = Timestamp::parse(sample::CREATED).expect("time");
        let verify = |message: &tongban::Envelope| {
            let bytes = message.to_canonical_bytes().expect("bytes");
            tongban::Verifier::new(&registry)
                .any_receiver()
                .verify(tongban::Unverified::parse(&bytes).expect("parse"), &now)
                .expect("verified")
        };
        let huangshi = sample::signed_transfer().expect("transfer");
        let wuhan = wuhan_transfer();
        // Version 0 kept both transfers' tracks in one case: Wuhan's first.
        let mut wuhan_case = Case::new(wuhan.case.clone());
        wuhan_case
            .apply(&verify(&wuhan), &registry)
            .expect("Wuhan's track");
        let mut huangshi_case = Case::new(huangshi.case.clone());
        huangshi_case
            .apply(&verify(&huangshi), &registry)
            .expect("Huangshi's track");
        let mut mixed = serde_json::to_value(&wuhan_case).expect("json");
        let huangshi_tracks = serde_json::to_value(&huangshi_case).expect("json")["tracks"].clone();
        mixed["tracks"]
            .as_array_mut()
            .expect("tracks")
            .extend(huangshi_tracks.as_array().expect("tracks").iter().cloned());
        {
            let old = Connection::open(dir.path().join(DATABASE_FILE)).expect("open");
            old.execute_batch(SCHEMA_0).expect("schema 0");
            for message in [&wuhan, &huangshi] {
                old.execute(
                    "INSERT INTO messages (sender, id, direction, receiver, case_id, type, sha256, bytes, stored_at)
                     VALUES (?1, ?2, 'in', ?3, ?4, 'transfer', 'x', ?5, ?6)",
                    params![
                        message.from.as_str(), message.id.as_str(), message.to.as_str(),
                        message.case.as_str(), message.to_canonical_bytes().expect("bytes"), now.as_str()
                    ],
                )
                .expect("message");
            }
            old.execute(
                "INSERT INTO cases (id, state, updated_at) VALUES (?1, ?2, ?3)",
                params![sample::CASE, mixed.to_string(), now.as_str()],
            )
            .expect("case");
        }
        let store = Store::open(dir.path()).expect("migrated");
        let db = store.connection();
        for (case, message) in [(&huangshi_case, &huangshi), (&wuhan_case, &wuhan)] {
            let key = CaseKey::of(case).expect("key");
            assert_eq!(
                load_case(db, &key).expect("load").as_ref(),
                Some(case),
                "{key}"
            );
            let messages = case_messages(db, &key).expect("messages");
            let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
            assert_eq!(ids, vec![message.id.as_str()], "{key}");
        }
        assert_eq!(case_keys(db, None).expect("keys").len(), 2);
    }

    /// Queues message `id` of case `case` from Huangshi to Jiujiang.
    fn queue(db: &Connection, id: &str, case: &str) {
        execute(
            db,
            "INSERT INTO messages (sender, id, direction, receiver, case_window, case_id, type, sha256, bytes, stored_at)
             VALUES ('huangshi.420200', ?1, 'out', 'jiujiang.360400', 'huangshi.420200', ?2, 'transfer', '', x'', '')",
            params![id, case],
        )
        .expect("message");
        enqueue(db, "huangshi.420200", id, 0).expect("queued");
    }

    fn ids(entries: &[OutboxEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn a_leased_entry_goes_to_no_other_replica_until_its_lease_ends_or_is_given_back() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut store = Store::open(dir.path()).expect("store");
        let db = store.connection();
        queue(db, "m1", "CASE-1");
        queue(db, "m2", "CASE-1");
        queue(db, "m3", "CASE-2");
        fn lease(store: &mut Store, replica: &str, now: i64) -> Vec<OutboxEntry> {
            store
                .transaction(|tx| lease_due(tx, replica, now, now + 1_000, 10))
                .expect("lease")
        }
        // Replica a takes the head of each case; m2 waits behind m1, its case's head.
        assert_eq!(ids(&lease(&mut store, "a", 100)), ["m1", "m3"]);
        // Replica b, meanwhile, gets nothing, and is told when a's leases end.
        assert!(lease(&mut store, "b", 200).is_empty());
        assert_eq!(next_due(store.connection()).expect("next"), Some(1_100));
        // Replica a dies; when its leases end, b takes its entries.
        assert_eq!(ids(&lease(&mut store, "b", 1_100)), ["m1", "m3"]);
        // b delivers m1: its lease is cleared with it, and m2 is now its case's head.
        mark_delivered(store.connection(), "huangshi.420200", "m1", b"receipt").expect("done");
        assert_eq!(ids(&lease(&mut store, "a", 1_200)), ["m2"]);
        // a restarts under its name: it takes its leases back, not b's.
        let released = release_leases(store.connection(), "a").expect("release");
        assert_eq!(released, 1);
        assert_eq!(ids(&lease(&mut store, "a", 1_300)), ["m2"]);
    }

    #[test]
    fn a_database_of_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        drop(Store::open(dir.path()).expect("new"));
        let db = Connection::open(dir.path().join(DATABASE_FILE)).expect("open");
        db.execute_batch("PRAGMA user_version = 99")
            .expect("version");
        drop(db);
        let error = Store::open(dir.path()).expect_err("newer schema");
        assert!(error.to_string().contains("schema version 99"), "{error}");
    }
}
