//! The durable store: one SQLite file in WAL mode with `synchronous = FULL` (the
//! default), or a PostgreSQL database that replicas share ([`Location`]), so that a
//! committed transaction survives a crash or power loss before a receipt leaves. The
//! same statements run on both ([`crate::database`]); every write transaction holds the
//! database's one writer lock (SQLite's, or a transaction-level advisory lock on PostgreSQL).
//!
//! - `messages`: every message received or sent, keyed by (sender, id), with the
//!   receipt given (inbound) or received (outbound). It is also the durable replay
//!   record: ids are never forgotten.
//! - `cases`: each case's tracks and states, as the SDK's `Case` in JSON, keyed by its
//!   window and case id (a case belongs to the window that opened it, §18).
//! - `outbox`: outbound messages and their delivery state, retried until receipted.
//! - `registry`: every trust registry the node accepted, by version; the highest is the
//!   pin that a registry file or an installed registry must update (never roll back).

use crate::database::{params, Db, Dialect, PgStatements, Row};
use crate::error::NodeError;
use postgres::error::SqlState;
use rusqlite::Connection;
use std::path::Path;
use tongban::lifecycle::Case;
use tongban::{CaseId, MessageId, NodeId, Timestamp};

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "node.sqlite3";

/// The schema's version, kept in SQLite's `user_version`: 0 is the first layout (cases
/// keyed by case id alone), 1 keys cases by window and case id and pins the registry,
/// 2 adds the file exchange's tables ([`crate::files::records::SCHEMA`]), 3 gives the
/// outbox its own queue order and leases ([`MIGRATE_TO_3`]). A PostgreSQL database
/// begins at version 3 ([`POSTGRES_MIGRATIONS`]).
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

/// The tables of version 1, in the SQL that SQLite and PostgreSQL share (PostgreSQL's
/// copy is [`postgres_types`]' translation). `window` is quoted: PostgreSQL reserves it.
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
    \"window\" TEXT NOT NULL,
    id         TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (\"window\", id)
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

/// PostgreSQL's steps to version 3 after [`SCHEMA`] and the file exchange's tables: the
/// outbox's queue order and leases, as [`MIGRATE_TO_3`] gives SQLite, and the messages'
/// own order of storing (SQLite's `rowid`). Identity columns take their values in the
/// order rows are inserted, which is the order of commits: a write transaction holds
/// [`WRITER_LOCK`].
const POSTGRES_TO_3: &str = "
ALTER TABLE outbox ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE;
ALTER TABLE outbox ADD COLUMN leased_by TEXT;
ALTER TABLE outbox ADD COLUMN leased_until BIGINT;
ALTER TABLE messages ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE;
";

/// A PostgreSQL database's migrations, by the version each brings it to, applied in
/// order at start by the first replica to take the lock (the others wait, then find
/// nothing to do). Version 3 is the first: no node kept PostgreSQL before.
const POSTGRES_MIGRATIONS: &[(i64, &[&str])] =
    &[(3, &[SCHEMA, crate::files::records::SCHEMA, POSTGRES_TO_3])];

/// The key of the PostgreSQL advisory lock that every write transaction holds (and the
/// migration at start): one writer at a time across the replicas, as SQLite's one
/// writer, so that each transaction's reads and writes (the replay record, a case's
/// state, the outbox's order) see no other's half done. The replicas verify and sign in
/// parallel; only the commit is one at a time, and group commit gathers what arrives
/// meanwhile into it.
const WRITER_LOCK: i64 = 0x746f_6e67_6261_6e01;

/// [`SCHEMA`]'s SQL in PostgreSQL's types: 64-bit integers, bytes as `BYTEA`.
fn postgres_types(sql: &str) -> String {
    sql.replace("INTEGER", "BIGINT").replace("BLOB", "BYTEA")
}

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

/// Statements each SQLite connection keeps prepared: every statement of the store
/// (about fifty), with each size of the insert of a message's file references (sixteen).
const STATEMENT_CACHE: usize = 96;

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

/// Where a node keeps its state: the SQLite file in its data directory, or a PostgreSQL
/// server that its replicas share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// [`DATABASE_FILE`] in this directory.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL server.
    Postgres(PostgresServer),
}

/// A PostgreSQL server: its connection URL (`postgres://user@host/database`) and, for a
/// server across a network, the certificate authorities its certificate must chain to.
/// With them the node speaks TLS to it and verifies its certificate and name, whatever
/// the URL's `sslmode` says; without them it connects in clear, which the
/// configuration allows only to a loopback address or a Unix socket.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresServer {
    /// The connection URL.
    pub url: String,
    /// The authorities (PEM) of the server's certificate, for TLS.
    pub ca_pem: Option<Vec<u8>>,
}

impl PostgresServer {
    /// The server at `url`, in clear (a loopback address or a Unix socket).
    pub fn plain(url: impl Into<String>) -> PostgresServer {
        PostgresServer {
            url: url.into(),
            ca_pem: None,
        }
    }
}

impl std::fmt::Debug for PostgresServer {
    /// The URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresServer")
            .field("url", &redacted(&self.url))
            .field("tls", &self.ca_pem.is_some())
            .finish()
    }
}

/// The open database: a connection, read-write or read-only.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
}

enum Backend {
    Sqlite(Connection),
    Postgres(Box<Postgres>),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Sqlite(connection) => f.debug_tuple("Sqlite").field(connection).finish(),
            Backend::Postgres(postgres) => f
                .debug_struct("Postgres")
                .field("statements", &postgres.statements.len())
                .finish(),
        }
    }
}

/// A PostgreSQL connection with its prepared statements, reconnected when it was lost.
///
/// The synchronous client blocks on a runtime of its own, which must not happen on a
/// thread that drives asynchronous tasks (tokio refuses it with a panic), and the node
/// and its tests may call the store from one. So everything the client does (connect,
/// run, close) happens on a thread of its own: [`on_own_thread`].
struct Postgres {
    server: PostgresServer,
    /// `None` only while it is being closed or connected again.
    client: Option<postgres::Client>,
    statements: PgStatements,
}

/// Runs `work` on a new thread, in the caller's log span (the lines it logs name the
/// caller's message), and waits for it; a panic goes on in the caller.
fn on_own_thread<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    let span = tracing::Span::current();
    std::thread::scope(|scope| scope.spawn(move || span.in_scope(work)).join())
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// A client connected to `server`, over TLS when it names authorities. Call it on a
/// thread of its own.
pub(crate) fn client_for(server: &PostgresServer) -> Result<postgres::Client, NodeError> {
    let failed = |e: &dyn std::error::Error| NodeError::Storage {
        reason: format!(
            "cannot connect to PostgreSQL at {}: {}",
            redacted(&server.url),
            tongban::client::describe(e)
        ),
    };
    let Some(ca_pem) = &server.ca_pem else {
        return postgres::Client::connect(&server.url, postgres::NoTls).map_err(|e| failed(&e));
    };
    let mut config: postgres::Config = server.url.parse().map_err(|e| failed(&e))?;
    config.ssl_mode(postgres::config::SslMode::Require);
    let roots = crate::tls::authorities(ca_pem).map_err(|reason| NodeError::Storage {
        reason: format!("the database's certificate authorities: {reason}"),
    })?;
    let tls = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config
        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        .map_err(|e| failed(&e))
}

impl Postgres {
    /// Connects to `server`.
    fn connect(server: &PostgresServer) -> Result<Postgres, NodeError> {
        Ok(Postgres {
            server: server.clone(),
            client: Some(on_own_thread(|| client_for(server))?),
            statements: PgStatements::new(),
        })
    }

    /// The client, connected again if the connection was lost (a restarted server, a
    /// network failure): the next statement then runs on the new connection. Call it
    /// on a thread of its own.
    fn connected(&mut self) -> Result<(&mut postgres::Client, &mut PgStatements), NodeError> {
        if self.client.as_ref().is_none_or(postgres::Client::is_closed) {
            tracing::warn!("the connection to PostgreSQL was lost; connecting again");
            self.client = None;
            self.statements.clear();
            self.client = Some(client_for(&self.server)?);
        }
        let client = self.client.as_mut().ok_or_else(|| NodeError::Storage {
            reason: "no connection to PostgreSQL".into(),
        })?;
        Ok((client, &mut self.statements))
    }

    /// After a failure: if the connection no longer answers (the server ended it, say,
    /// and the client has not noticed yet), drops it, so that the next call connects
    /// again instead of failing on it too. Call it on a thread of its own.
    fn forget_if_broken(&mut self) {
        let broken = self
            .client
            .as_mut()
            .is_some_and(|client| client.is_valid(std::time::Duration::from_secs(2)).is_err());
        if broken {
            self.client = None;
            self.statements.clear();
        }
    }
}

impl Drop for Postgres {
    /// Closes the connection on a thread of its own.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            on_own_thread(move || drop(client));
        }
    }
}

/// `url` without its password, for messages: the one before `@`, and a `password`
/// query parameter.
fn redacted(url: &str) -> String {
    let url = match url.split_once('?') {
        Some((base, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                        format!("{name}=…")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("{base}?{}", query.join("&"))
        }
        None => url.to_string(),
    };
    let url = url.as_str();
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:…{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, NodeError> {
        Store::open_at(&Location::Sqlite(data_dir.to_path_buf()))
    }

    /// Opens the database at `location`, bringing its schema to this node's version.
    pub fn open_at(location: &Location) -> Result<Store, NodeError> {
        match location {
            Location::Sqlite(data_dir) => open_sqlite(data_dir),
            Location::Postgres(server) => {
                let mut postgres = Postgres::connect(server)?;
                on_own_thread(|| migrate_postgres(postgres.connected()?.0))?;
                Ok(Store {
                    backend: Backend::Postgres(Box::new(postgres)),
                })
            }
        }
    }

    /// A second connection to the database at `location` (opened by [`Store::open_at`]
    /// before), for lookups that must not wait for the writer: SQLite's is read-only.
    pub fn open_reader(location: &Location) -> Result<Store, NodeError> {
        match location {
            Location::Sqlite(data_dir) => {
                let connection = Connection::open_with_flags(
                    data_dir.join(DATABASE_FILE),
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                connection.execute_batch("PRAGMA busy_timeout = 5000;")?;
                connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                Ok(Store {
                    backend: Backend::Sqlite(connection),
                })
            }
            Location::Postgres(server) => Ok(Store {
                backend: Backend::Postgres(Box::new(Postgres::connect(server)?)),
            }),
        }
    }

    /// The dialect of the database.
    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `work` in one write transaction, committed only if it returns `Ok`.
    pub fn transaction<T: Send, E: From<NodeError> + Send>(
        &mut self,
        work: impl FnOnce(&Db<'_>) -> Result<T, E> + Send,
    ) -> Result<T, E> {
        let mut results = self.group_transaction(vec![work]);
        results.pop().unwrap_or_else(|| {
            Err(E::from(NodeError::Storage {
                reason: "a transaction gave no result".into(),
            }))
        })
    }

    /// Runs each of `works` in its own savepoint of one write transaction, in order,
    /// and commits once (one fsync for all): a work that fails is rolled back alone, and
    /// its failure is its result. If the transaction cannot begin or commit, every
    /// result is that storage failure and nothing is kept.
    pub fn group_transaction<T: Send, E: From<NodeError> + Send>(
        &mut self,
        works: Vec<impl FnOnce(&Db<'_>) -> Result<T, E> + Send>,
    ) -> Vec<Result<T, E>> {
        let count = works.len();
        let outcome = match &mut self.backend {
            Backend::Sqlite(connection) => sqlite_group(connection, works),
            Backend::Postgres(postgres) => on_own_thread(|| {
                let outcome = postgres_group(postgres, works);
                if outcome.is_err() {
                    postgres.forget_if_broken();
                }
                outcome
            }),
        };
        match outcome {
            Ok(results) => results,
            // Every work fails with the reason: nothing of the group is kept.
            Err(reason) => (0..count)
                .map(|_| {
                    Err(E::from(NodeError::Storage {
                        reason: reason.clone(),
                    }))
                })
                .collect(),
        }
    }

    /// Runs `work` (lookups, or a single change) on the connection, outside a
    /// transaction.
    pub fn run<T: Send>(
        &mut self,
        work: impl FnOnce(&Db<'_>) -> Result<T, NodeError> + Send,
    ) -> Result<T, NodeError> {
        match &mut self.backend {
            Backend::Sqlite(connection) => work(&Db::sqlite(connection)),
            Backend::Postgres(postgres) => on_own_thread(|| {
                let (client, statements) = postgres.connected()?;
                let result = work(&Db::postgres(client, statements));
                if result.is_err() {
                    postgres.forget_if_broken();
                }
                result
            }),
        }
    }

    /// SQLite's connection, for tests and tools that look at the file itself; `None`
    /// on PostgreSQL.
    pub fn sqlite(&self) -> Option<&Connection> {
        match &self.backend {
            Backend::Sqlite(connection) => Some(connection),
            Backend::Postgres(_) => None,
        }
    }
}

/// One write transaction of SQLite: immediate, so it holds the database's one writer
/// lock from its start. Gives each work's result, or why nothing was kept.
fn sqlite_group<T, E: From<NodeError>>(
    connection: &mut Connection,
    works: Vec<impl FnOnce(&Db<'_>) -> Result<T, E>>,
) -> Result<Vec<Result<T, E>>, String> {
    let mut tx = connection
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    let rolled_back = "the transaction was rolled back by the database";
    let mut results = Vec::with_capacity(works.len());
    for work in works {
        // SQLite rolls the whole transaction back on some errors (a full disk, an I/O
        // error): a savepoint would then begin a transaction of its own, and nothing of
        // this group is kept.
        if tx.is_autocommit() {
            return Err(rolled_back.into());
        }
        // A savepoint dropped without `commit` is rolled back.
        let result = match tx.savepoint() {
            Ok(savepoint) => work(&Db::sqlite(&savepoint)).and_then(|value| {
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
        return Err(rolled_back.into());
    }
    tx.commit().map_err(|e| e.to_string())?;
    Ok(results)
}

/// One write transaction of PostgreSQL, holding [`WRITER_LOCK`] from its start. Gives
/// each work's result, or why nothing was kept.
///
/// The commit path is one at a time under the lock, so its round trips to the server
/// are what bounds a replica set: the transaction is opened, locked and given the first
/// work's savepoint in one batch; between works one batch releases the savepoint and
/// sets the next (a failed work is rolled back to it, which keeps it for the next);
/// and the last savepoint is released in the batch that commits. Each savepoint is
/// released before its work counts as done: a work whose statement failed but that
/// answered `Ok` (the transaction then aborted) is caught there, where a bare `COMMIT`
/// would roll everything back without an error.
fn postgres_group<T, E: From<NodeError>>(
    postgres: &mut Postgres,
    works: Vec<impl FnOnce(&Db<'_>) -> Result<T, E>>,
) -> Result<Vec<Result<T, E>>, String> {
    let (client, statements) = postgres.connected().map_err(|e| e.to_string())?;
    let mut open = OpenTransaction {
        client,
        ended: false,
    };
    let outcome = postgres_group_on(open.client, statements, works);
    open.ended = outcome.is_ok();
    outcome
}

/// A transaction begun on a connection: rolled back when dropped before it `ended`
/// (committed), so that a group that failed or a work that panicked leaves the
/// connection outside any transaction, its lock released (a broken connection is
/// forgotten by the caller).
struct OpenTransaction<'c> {
    client: &'c mut postgres::Client,
    ended: bool,
}

impl Drop for OpenTransaction<'_> {
    fn drop(&mut self) {
        if !self.ended {
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}

/// [`postgres_group`] on a connected client.
fn postgres_group_on<T, E: From<NodeError>>(
    client: &mut postgres::Client,
    statements: &mut PgStatements,
    works: Vec<impl FnOnce(&Db<'_>) -> Result<T, E>>,
) -> Result<Vec<Result<T, E>>, String> {
    let failed = |e: postgres::Error| e.to_string();
    if works.is_empty() {
        return Ok(Vec::new());
    }
    client
        .batch_execute(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({WRITER_LOCK}); SAVEPOINT work"
        ))
        .map_err(failed)?;
    let count = works.len();
    let mut results = Vec::with_capacity(count);
    for (index, work) in works.into_iter().enumerate() {
        let last = index + 1 == count;
        let result = match work(&Db::postgres(client, statements)) {
            Ok(value) => {
                let next = if last {
                    "RELEASE SAVEPOINT work; COMMIT"
                } else {
                    "RELEASE SAVEPOINT work; SAVEPOINT work"
                };
                match client.batch_execute(next) {
                    Ok(()) if last => {
                        results.push(Ok(value));
                        return Ok(results);
                    }
                    Ok(()) => Ok(value),
                    // Its transaction aborted (a statement failed that the work did
                    // not report): it is rolled back alone.
                    Err(e) if e.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION) => {
                        Err(E::from(NodeError::from(e)))
                    }
                    // The release or the commit itself failed: nothing of the group is
                    // kept, and that is why.
                    Err(e) => return Err(failed(e)),
                }
            }
            Err(refused) => Err(refused),
        };
        if result.is_err() {
            let next = if last {
                "ROLLBACK TO SAVEPOINT work; COMMIT"
            } else {
                "ROLLBACK TO SAVEPOINT work"
            };
            client.batch_execute(next).map_err(failed)?;
        }
        results.push(result);
    }
    Ok(results)
}

/// Opens (creating if needed) the SQLite database in `data_dir`: WAL mode with
/// `synchronous = FULL`.
fn open_sqlite(data_dir: &Path) -> Result<Store, NodeError> {
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
    Ok(Store {
        backend: Backend::Sqlite(connection),
    })
}

/// Brings a PostgreSQL database to [`SCHEMA_VERSION`] in one transaction under
/// [`WRITER_LOCK`], recording each version reached in `schema_versions`; a newer one is
/// refused.
fn migrate_postgres(client: &mut postgres::Client) -> Result<(), NodeError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_versions (
            version    BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )?;
    let version: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_versions", &[])?
        .get(0);
    if version > SCHEMA_VERSION {
        return Err(NodeError::Storage {
            reason: format!(
                "the database has schema version {version}, newer than this node's {SCHEMA_VERSION}"
            ),
        });
    }
    for (target, steps) in POSTGRES_MIGRATIONS {
        if *target <= version {
            continue;
        }
        tracing::info!(version = target, "migrating the PostgreSQL database");
        for step in *steps {
            tx.batch_execute(&postgres_types(step))?;
        }
        tx.execute(
            "INSERT INTO schema_versions (version) VALUES ($1)",
            &[target],
        )?;
    }
    tx.commit()?;
    Ok(())
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
fn split_mixed_cases(connection: &Connection) -> Result<(), NodeError> {
    let db = Db::sqlite(connection);
    let rows = db.query(
        "SELECT \"window\", id, state, updated_at FROM cases",
        params![],
    )?;
    for row in rows {
        let (first, id, state, updated_at) =
            (row.text(0)?, row.text(1)?, row.text(2)?, row.text(3)?);
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
                db.execute(
                    "UPDATE cases SET state = ?3 WHERE \"window\" = ?1 AND id = ?2",
                    params![&window, &id, &state],
                )?;
            } else {
                db.execute(
                    "INSERT INTO cases (\"window\", id, state, updated_at) VALUES (?1, ?2, ?3, ?4)",
                    params![&window, &id, &state, &updated_at],
                )?;
                db.execute(
                    "UPDATE messages SET case_window = ?1
                     WHERE case_id = ?2 AND (sender = ?1 OR receiver = ?1)",
                    params![&window, &id],
                )?;
            }
        }
    }
    Ok(())
}

fn row_to_message(row: &Row) -> Result<StoredMessage, NodeError> {
    Ok(StoredMessage {
        direction: row.text(0)?,
        sender: row.text(1)?,
        receiver: row.text(2)?,
        id: row.text(3)?,
        message_type: row.text(4)?,
        sha256: row.text(5)?,
        bytes: row.blob(6)?,
        receipt: row.optional_blob(7)?,
        stored_at: row.text(8)?,
    })
}

const MESSAGE_COLUMNS: &str =
    "direction, sender, receiver, id, type, sha256, bytes, receipt, stored_at";

/// The column that orders messages as they were stored: SQLite's `rowid`, PostgreSQL's
/// identity column `seq`.
fn storing_order(db: &Db<'_>) -> &'static str {
    match db.dialect() {
        Dialect::Sqlite => "rowid",
        Dialect::Postgres => "seq",
    }
}

/// The message `id` of `sender`, if stored.
pub fn find_message(
    db: &Db<'_>,
    sender: &NodeId,
    id: &MessageId,
) -> Result<Option<StoredMessage>, NodeError> {
    db.query_first(
        &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE sender = ?1 AND id = ?2"),
        params![sender.as_str(), id.as_str()],
    )?
    .as_ref()
    .map(row_to_message)
    .transpose()
}

/// Every message of a case, oldest first.
pub fn case_messages(db: &Db<'_>, key: &CaseKey) -> Result<Vec<StoredMessage>, NodeError> {
    db.query(
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE case_window = ?1 AND case_id = ?2
             ORDER BY stored_at, {}",
            storing_order(db)
        ),
        params![key.window.as_str(), key.case.as_str()],
    )?
    .iter()
    .map(row_to_message)
    .collect()
}

/// Every stored message with its case id, oldest first.
pub fn all_messages(db: &Db<'_>) -> Result<Vec<(String, StoredMessage)>, NodeError> {
    db.query(
        &format!(
            "SELECT {MESSAGE_COLUMNS}, case_id FROM messages ORDER BY {}",
            storing_order(db)
        ),
        params![],
    )?
    .iter()
    .map(|row| Ok((row.text(9)?, row_to_message(row)?)))
    .collect()
}

/// Stores a message of case `key` with its receipt, if any.
pub fn insert_message(
    db: &Db<'_>,
    message: &StoredMessage,
    key: &CaseKey,
) -> Result<(), NodeError> {
    insert(db, message, key, "").map(|_| ())
}

/// Stores a message of case `key` with its receipt unless a message of the same sender
/// and id is stored already; whether it stored it. The replay check of an accepted
/// message, made by the insert itself rather than a lookup before it.
pub fn insert_message_once(
    db: &Db<'_>,
    message: &StoredMessage,
    key: &CaseKey,
) -> Result<bool, NodeError> {
    Ok(insert(db, message, key, " ON CONFLICT (sender, id) DO NOTHING")? == 1)
}

fn insert(
    db: &Db<'_>,
    message: &StoredMessage,
    key: &CaseKey,
    on_conflict: &str,
) -> Result<u64, NodeError> {
    db.execute(
        &format!(
            "INSERT INTO messages (direction, sender, receiver, id, type, sha256, bytes, receipt, stored_at, case_id, case_window)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11){on_conflict}"
        ),
        params![
            &message.direction,
            &message.sender,
            &message.receiver,
            &message.id,
            &message.message_type,
            &message.sha256,
            &message.bytes,
            message.receipt.as_ref(),
            &message.stored_at,
            key.case.as_str(),
            key.window.as_str()
        ],
    )
}

/// The stored case `key`, if any.
pub fn load_case(db: &Db<'_>, key: &CaseKey) -> Result<Option<Case>, NodeError> {
    let row = db.query_first(
        "SELECT state FROM cases WHERE \"window\" = ?1 AND id = ?2",
        params![key.window.as_str(), key.case.as_str()],
    )?;
    row.map(|row| {
        serde_json::from_str(&row.text(0)?).map_err(|e| NodeError::Storage {
            reason: format!("case {key} cannot be read back: {e}"),
        })
    })
    .transpose()
}

/// Every stored case, newest first; only those with case id `case` when given.
pub fn case_keys(db: &Db<'_>, case: Option<&CaseId>) -> Result<Vec<CaseKey>, NodeError> {
    let rows = db.query(
        "SELECT \"window\", id FROM cases WHERE CAST(?1 AS TEXT) IS NULL OR id = ?1
         ORDER BY updated_at DESC, \"window\", id",
        params![case.map(CaseId::as_str)],
    )?;
    let mut keys = Vec::new();
    for row in rows {
        let (window, case) = (row.text(0)?, row.text(1)?);
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
pub fn save_case(db: &Db<'_>, case: &Case, now: &Timestamp) -> Result<CaseKey, NodeError> {
    let key = CaseKey::of(case).ok_or_else(|| NodeError::Storage {
        reason: format!(
            "case {} has no track, so no window, and is not stored",
            case.id()
        ),
    })?;
    // (1.1) Without the keys of sealed files (§24.6): the case is kept beside their
    // sealed bytes, and needs only their addresses.
    let state = serde_json::to_value(case)
        .map(|mut value| {
            tongban::mask::clear_file_keys(&mut value);
            value.to_string()
        })
        .map_err(|e| NodeError::Storage {
            reason: format!("case {key} cannot be written: {e}"),
        })?;
    db.execute(
        "INSERT INTO cases (\"window\", id, state, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (\"window\", id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        params![key.window.as_str(), key.case.as_str(), &state, now.as_str()],
    )?;
    Ok(key)
}

/// The version of the pinned registry, without its bytes: what a replica looks at to
/// learn that another installed a newer one.
pub fn pinned_version(db: &Db<'_>) -> Result<Option<u64>, NodeError> {
    db.query_first(
        "SELECT version FROM registry ORDER BY version DESC LIMIT 1",
        params![],
    )?
    .map(|row| row.number(0))
    .transpose()
}

/// The registries accepted after `version`, in order, each with its bytes and when it
/// was installed: the chain a replica behind the pin checks and takes up.
pub fn registries_after(
    db: &Db<'_>,
    version: u64,
) -> Result<Vec<(u64, Vec<u8>, Timestamp)>, NodeError> {
    let version = i64::try_from(version).map_err(|_| NodeError::Storage {
        reason: format!("registry version {version} is too large"),
    })?;
    db.query(
        "SELECT version, bytes, installed_at FROM registry WHERE version > ?1 ORDER BY version",
        params![version],
    )?
    .into_iter()
    .map(|row| {
        let installed = Timestamp::parse(&row.text(2)?).map_err(|e| NodeError::Storage {
            reason: format!("a pinned registry's installation time cannot be read: {e}"),
        })?;
        Ok((row.number(0)?, row.blob(1)?, installed))
    })
    .collect()
}

/// The pinned registry: the highest version accepted, with its bytes.
pub fn pinned_registry(db: &Db<'_>) -> Result<Option<(u64, Vec<u8>)>, NodeError> {
    db.query_first(
        "SELECT version, bytes FROM registry ORDER BY version DESC LIMIT 1",
        params![],
    )?
    .map(|row| Ok((row.number(0)?, row.blob(1)?)))
    .transpose()
}

/// Records an accepted registry, which becomes the pin if its version is the highest;
/// the same registry again changes nothing, another of a pinned version is refused.
pub fn pin_registry(
    db: &Db<'_>,
    registry: &tongban::registry::Registry,
    bytes: &[u8],
    now: &Timestamp,
) -> Result<(), NodeError> {
    let version = i64::try_from(registry.version()).map_err(|_| NodeError::Storage {
        reason: format!("registry version {} is too large", registry.version()),
    })?;
    let pinned = db.query_first(
        "SELECT sha256 FROM registry WHERE version = ?1",
        params![version],
    )?;
    match pinned.map(|row| row.text(0)).transpose()? {
        // The same registry again (a retried installation): nothing to do.
        Some(sha256) if sha256 == registry.digest().as_str() => Ok(()),
        Some(sha256) => Err(NodeError::Storage {
            reason: format!(
                "another registry of version {version} is pinned already (sha256 {sha256})"
            ),
        }),
        None => {
            db.execute(
                "INSERT INTO registry (version, sha256, bytes, installed_at) VALUES (?1, ?2, ?3, ?4)",
                params![version, registry.digest().as_str(), bytes, now.as_str()],
            )?;
            Ok(())
        }
    }
}

/// Queues an outbound message (already in `messages`) for delivery now, after every
/// entry queued before it.
pub fn enqueue(db: &Db<'_>, sender: &str, id: &str, now_ms: i64) -> Result<(), NodeError> {
    let statement = match db.dialect() {
        Dialect::Sqlite => {
            "INSERT INTO outbox (sender, id, status, next_attempt, seq)
             VALUES (?1, ?2, 'pending', ?3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox))"
        }
        // `seq` is an identity column.
        Dialect::Postgres => {
            "INSERT INTO outbox (sender, id, status, next_attempt) VALUES (?1, ?2, 'pending', ?3)"
        }
    };
    db.execute(statement, params![sender, id, now_ms])?;
    Ok(())
}

const OUTBOX_COLUMNS: &str =
    "o.sender, o.id, o.status, o.attempts, o.next_attempt, o.last_error, m.bytes, m.case_id";

fn row_to_outbox(row: &Row) -> Result<OutboxEntry, NodeError> {
    Ok(OutboxEntry {
        sender: row.text(0)?,
        id: row.text(1)?,
        status: row.text(2)?,
        attempts: row.number(3)?,
        next_attempt: row.integer(4)?,
        last_error: row.optional_text(5)?,
        bytes: row.blob(6)?,
        case_id: row.text(7)?,
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
    db: &Db<'_>,
    replica: &str,
    now_ms: i64,
    until_ms: i64,
    limit: u32,
) -> Result<Vec<OutboxEntry>, NodeError> {
    let due = db
        .query(
            &format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox o JOIN messages m USING (sender, id)
                 WHERE {HEAD_OF_CASE} AND o.next_attempt <= ?1
                   AND (o.leased_until IS NULL OR o.leased_until <= ?1)
                 ORDER BY o.next_attempt, o.seq LIMIT ?2"
            ),
            params![now_ms, limit],
        )?
        .iter()
        .map(row_to_outbox)
        .collect::<Result<Vec<_>, _>>()?;
    for entry in &due {
        db.execute(
            "UPDATE outbox SET leased_by = ?3, leased_until = ?4 WHERE sender = ?1 AND id = ?2",
            params![&entry.sender, &entry.id, replica, until_ms],
        )?;
    }
    Ok(due)
}

/// Gives back every lease `replica` holds: at its start, when none of its deliveries
/// can be in flight. Returns how many it held.
pub fn release_leases(db: &Db<'_>, replica: &str) -> Result<u64, NodeError> {
    db.execute(
        "UPDATE outbox SET leased_by = NULL, leased_until = NULL WHERE leased_by = ?1",
        params![replica],
    )
}

/// When the earliest entry that is next of its case is due and not leased, if any.
pub fn next_due(db: &Db<'_>) -> Result<Option<i64>, NodeError> {
    let greater = match db.dialect() {
        Dialect::Sqlite => "MAX",
        Dialect::Postgres => "GREATEST",
    };
    db.query_one(
        &format!(
            "SELECT MIN({greater}(o.next_attempt, COALESCE(o.leased_until, 0)))
             FROM outbox o JOIN messages m USING (sender, id) WHERE {HEAD_OF_CASE}"
        ),
        params![],
    )?
    .optional_integer(0)
}

/// Every outbox entry, newest first.
pub fn outbox(db: &Db<'_>) -> Result<Vec<OutboxEntry>, NodeError> {
    db.query(
        &format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox o JOIN messages m USING (sender, id)
             ORDER BY m.stored_at DESC"
        ),
        params![],
    )?
    .iter()
    .map(row_to_outbox)
    .collect()
}

/// The rows of `table` (`outbox` or `fetches`, never a caller's text) by their
/// `status`.
pub fn status_counts(
    db: &Db<'_>,
    table: &'static str,
) -> Result<std::collections::BTreeMap<String, i64>, NodeError> {
    db.query(
        &format!("SELECT status, COUNT(*) FROM {table} GROUP BY status"),
        params![],
    )?
    .iter()
    .map(|row| Ok((row.text(0)?, row.integer(1)?)))
    .collect()
}

/// The outbox status (`pending`, `delivered`, `failed`) of message `id` of `sender`.
pub fn outbox_status(db: &Db<'_>, sender: &str, id: &str) -> Result<Option<String>, NodeError> {
    db.query_first(
        "SELECT status FROM outbox WHERE sender = ?1 AND id = ?2",
        params![sender, id],
    )?
    .map(|row| row.text(0))
    .transpose()
}

/// Records the receipt of a delivered message.
pub fn mark_delivered(
    db: &Db<'_>,
    sender: &str,
    id: &str,
    receipt: &[u8],
) -> Result<(), NodeError> {
    db.execute(
        "UPDATE messages SET receipt = ?3 WHERE sender = ?1 AND id = ?2",
        params![sender, id, receipt],
    )?;
    db.execute(
        "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_error = NULL,
         leased_by = NULL, leased_until = NULL WHERE sender = ?1 AND id = ?2",
        params![sender, id],
    )?;
    Ok(())
}

/// Records a failed round: `final` marks the entry failed, else it is due again at
/// `next_ms`.
pub fn mark_attempt_failed(
    db: &Db<'_>,
    sender: &str,
    id: &str,
    error: &str,
    next_ms: Option<i64>,
) -> Result<(), NodeError> {
    match next_ms {
        Some(next) => db.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, next_attempt = ?4,
             leased_by = NULL, leased_until = NULL WHERE sender = ?1 AND id = ?2",
            params![sender, id, error, next],
        )?,
        None => db.execute(
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
    use rusqlite::params;
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
        let mut store = Store::open(dir.path()).expect("migrated");
        let version: i64 = store
            .sqlite()
            .expect("SQLite")
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, SCHEMA_VERSION);
        let key = CaseKey::of(&case).expect("key");
        assert_eq!(key.window, transfer.from);
        assert_eq!(
            store.run(|db| case_keys(db, None)).expect("keys"),
            vec![key.clone()]
        );
        assert_eq!(
            store.run(|db| load_case(db, &key)).expect("load"),
            Some(case.clone())
        );
        let messages = store.run(|db| case_messages(db, &key)).expect("messages");
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].bytes, bytes);
        drop(store);
        // Opening again changes nothing.
        let mut again = Store::open(dir.path()).expect("reopened");
        assert_eq!(
            again.run(|db| load_case(db, &key)).expect("load"),
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
        let mut store = Store::open(dir.path()).expect("migrated");
        for (case, message) in [(&huangshi_case, &huangshi), (&wuhan_case, &wuhan)] {
            let key = CaseKey::of(case).expect("key");
            assert_eq!(
                store.run(|db| load_case(db, &key)).expect("load").as_ref(),
                Some(case),
                "{key}"
            );
            let messages = store.run(|db| case_messages(db, &key)).expect("messages");
            let ids: Vec<&str> = messages.iter().map(|m| m.id.as_str()).collect();
            assert_eq!(ids, vec![message.id.as_str()], "{key}");
        }
        assert_eq!(store.run(|db| case_keys(db, None)).expect("keys").len(), 2);
    }

    /// Queues message `id` of case `case` from Huangshi to Jiujiang.
    fn queue(store: &mut Store, id: &str, case: &str) {
        store
            .transaction(|db| {
                db.execute(
                    "INSERT INTO messages (sender, id, direction, receiver, case_window, case_id, type, sha256, bytes, stored_at)
                     VALUES ('huangshi.420200', ?1, 'out', 'jiujiang.360400', 'huangshi.420200', ?2, 'transfer', '', ?3, '')",
                    crate::database::params![id, case, &b""[..]],
                )?;
                enqueue(db, "huangshi.420200", id, 0)
            })
            .expect("queued");
    }

    fn ids(entries: &[OutboxEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn a_leased_entry_goes_to_no_other_replica_until_its_lease_ends_or_is_given_back() {
        for (location, _dir) in testing::locations() {
            leases_on(&location);
        }
    }

    fn leases_on(location: &Location) {
        let mut store = Store::open_at(location).expect("store");
        queue(&mut store, "m1", "CASE-1");
        queue(&mut store, "m2", "CASE-1");
        queue(&mut store, "m3", "CASE-2");
        fn lease(store: &mut Store, replica: &str, now: i64) -> Vec<OutboxEntry> {
            store
                .transaction(|tx| lease_due(tx, replica, now, now + 1_000, 10))
                .expect("lease")
        }
        // Replica a takes the head of each case; m2 waits behind m1, its case's head.
        assert_eq!(ids(&lease(&mut store, "a", 100)), ["m1", "m3"]);
        // Replica b, meanwhile, gets nothing, and is told when a's leases end.
        assert!(lease(&mut store, "b", 200).is_empty());
        assert_eq!(store.run(next_due).expect("next"), Some(1_100));
        // Replica a dies; when its leases end, b takes its entries.
        assert_eq!(ids(&lease(&mut store, "b", 1_100)), ["m1", "m3"]);
        // b delivers m1: its lease is cleared with it, and m2 is now its case's head.
        store
            .run(|db| mark_delivered(db, "huangshi.420200", "m1", b"receipt"))
            .expect("done");
        assert_eq!(ids(&lease(&mut store, "a", 1_200)), ["m2"]);
        // a restarts under its name: it takes its leases back, not b's.
        let released = store.run(|db| release_leases(db, "a")).expect("release");
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

    #[test]
    fn a_postgresql_database_is_migrated_once_by_concurrent_replicas_and_a_newer_one_refused() {
        let Some(location) = testing::postgres() else {
            return;
        };
        // Three replicas starting at once: one migrates, the others find version 3.
        let stores: Vec<Store> = std::thread::scope(|scope| {
            let opening: Vec<_> = (0..3)
                .map(|_| scope.spawn(|| Store::open_at(&location)))
                .collect();
            opening
                .into_iter()
                .map(|h| h.join().expect("thread").expect("opened"))
                .collect()
        });
        let mut store = stores.into_iter().next().expect("a store");
        let versions = store
            .run(|db| {
                db.query("SELECT version FROM schema_versions", &[])?
                    .iter()
                    .map(|row| row.integer(0))
                    .collect::<Result<Vec<_>, _>>()
            })
            .expect("versions");
        assert_eq!(versions, vec![SCHEMA_VERSION]);
        // Every table of the SQLite schema is there, and the store works on it.
        let key = CaseKey {
            window: NodeId::parse(sample::HUANGSHI).expect("node"),
            case: CaseId::parse(sample::CASE).expect("case"),
        };
        assert_eq!(store.run(|db| load_case(db, &key)).expect("load"), None);
        assert!(store
            .run(|db| status_counts(db, "fetches"))
            .expect("fetches")
            .is_empty());
        store
            .run(|db| db.execute("INSERT INTO schema_versions (version) VALUES (99)", &[]))
            .expect("a newer version");
        let error = Store::open_at(&location).expect_err("newer schema");
        assert!(error.to_string().contains("schema version 99"), "{error}");
    }
}

#[cfg(test)]
mod reconnection {
    use super::*;

    /// In one group a failed work is rolled back alone, a work that answered `Ok`
    /// after a statement of its own failed is refused where that statement aborted the
    /// transaction (PostgreSQL), whether it comes between others or last, and a work that
    /// panics leaves nothing of its group and a connection that goes on.
    #[test]
    fn each_work_of_a_group_is_kept_or_rolled_back_alone_and_a_panic_keeps_nothing() {
        for (location, _dir) in testing::locations() {
            let mut store = Store::open_at(&location).expect("store");
            store
                .run(|db| db.execute("CREATE TABLE t (v BIGINT PRIMARY KEY)", &[]))
                .expect("table");
            type Work = Box<dyn FnOnce(&Db<'_>) -> Result<i64, NodeError> + Send>;
            let insert = |v: i64| -> Work {
                Box::new(move |db: &Db<'_>| {
                    db.execute("INSERT INTO t (v) VALUES (?1)", params![v])?;
                    Ok(v)
                })
            };
            let refused = |v: i64| -> Work {
                Box::new(move |db: &Db<'_>| {
                    db.execute("INSERT INTO t (v) VALUES (?1)", params![v])?;
                    Err(NodeError::Storage {
                        reason: "refused".into(),
                    })
                })
            };
            // Inserts `v`, then a duplicate of 1 whose failure it does not report.
            let swallowing = |v: i64| -> Work {
                Box::new(move |db: &Db<'_>| {
                    db.execute("INSERT INTO t (v) VALUES (?1)", params![v])?;
                    let _ = db.execute("INSERT INTO t (v) VALUES (1)", &[]);
                    Ok(v)
                })
            };
            let postgres = store.dialect() == Dialect::Postgres;
            let results = store.group_transaction(vec![
                insert(1),
                refused(2),
                swallowing(3),
                insert(4),
                swallowing(5),
            ]);
            let kept: Vec<bool> = results.iter().map(Result::is_ok).collect();
            // SQLite undoes the failed statement alone; PostgreSQL aborts the
            // transaction, so the work that went on as if it had not failed is refused.
            let expected = [true, false, !postgres, true, !postgres];
            assert_eq!(kept, expected, "{location:?}: {results:?}");
            let rows = |store: &mut Store| {
                store.run(|db| {
                    db.query("SELECT v FROM t ORDER BY v", &[])?
                        .iter()
                        .map(|row| row.integer(0))
                        .collect::<Result<Vec<i64>, _>>()
                })
            };
            let stored = if postgres {
                vec![1, 4]
            } else {
                vec![1, 3, 4, 5]
            };
            assert_eq!(rows(&mut store).expect("rows"), stored, "{location:?}");

            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                store.group_transaction(vec![
                    insert(6),
                    Box::new(|db: &Db<'_>| -> Result<i64, NodeError> {
                        db.execute("INSERT INTO t (v) VALUES (7)", &[])?;
                        panic!("a work panics")
                    }) as Work,
                ])
            }));
            assert!(panicked.is_err());
            assert_eq!(rows(&mut store).expect("rows"), stored, "{location:?}");
            let after = store.group_transaction(vec![insert(8)]);
            assert!(after[0].is_ok(), "{location:?}: {after:?}");
            assert_eq!(
                rows(&mut store).expect("rows").last(),
                Some(&8),
                "{location:?}"
            );
        }
    }

    #[test]
    fn a_lost_postgresql_connection_fails_one_call_and_the_next_connects_again() {
        let Some(location) = testing::postgres() else {
            return;
        };
        let Location::Postgres(PostgresServer { url, .. }) = &location else {
            unreachable!("testing::postgres gives PostgreSQL");
        };
        let mut store = Store::open_at(&location).expect("store");
        let count = |store: &mut Store| {
            store.run(|db| {
                db.query_one("SELECT COUNT(*) FROM messages", &[])?
                    .integer(0)
            })
        };
        assert_eq!(count(&mut store).expect("count"), 0);
        // The server ends the store's connection (a restart, a failover would).
        let database = url.rsplit('/').next().expect("database name").to_string();
        let mut admin = postgres::Client::connect(url, postgres::NoTls).expect("admin");
        let ended = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&database],
            )
            .expect("terminate");
        assert_eq!(ended.len(), 1, "the store held one connection");
        drop(admin);
        // The call that finds the connection gone fails as a storage error (and finds
        // that it no longer answers); the next one connects again.
        let first = count(&mut store);
        if let Err(error) = &first {
            assert_eq!(error.code(), "node.storage");
        }
        assert_eq!(count(&mut store).expect("connected again"), 0);
    }
}

#[cfg(test)]
mod tls_to_postgres {
    use super::*;

    fn encrypted(store: &mut Store) -> bool {
        store
            .run(|db| {
                db.query_one(
                    "SELECT COUNT(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
                    &[],
                )?
                .flag(0)
            })
            .expect("pg_stat_ssl")
    }

    #[test]
    fn a_postgresql_url_is_shown_without_its_password() {
        assert_eq!(
            redacted("postgres://tongban:s3cret@db.internal/jiujiang"),
            "postgres://tongban:…@db.internal/jiujiang"
        );
        assert_eq!(
            redacted("postgres://tongban@db.internal/jiujiang"),
            "postgres://tongban@db.internal/jiujiang"
        );
        assert_eq!(
            redacted(
                "postgres://db.internal/jiujiang?user=tongban&password=s3cret&sslmode=require"
            ),
            "postgres://db.internal/jiujiang?user=tongban&password=…&sslmode=require"
        );
        assert_eq!(
            redacted("postgres://tongban@db.internal/j?Password=s3cret"),
            "postgres://tongban@db.internal/j?Password=…"
        );
        let server = PostgresServer::plain("postgres://tongban:s3cret@db.internal/jiujiang");
        assert!(!format!("{server:?}").contains("s3cret"), "{server:?}");
    }

    /// With the server's authority the store speaks TLS to it (the server says so), and
    /// the migrations and statements run over it; without, in clear (so the check can
    /// fail); with another authority it refuses to connect and says why.
    #[test]
    fn the_store_speaks_tls_to_postgresql_and_verifies_the_server() {
        let Some(Location::Postgres(server)) = testing::postgres() else {
            return;
        };
        let Ok(ca) = std::env::var("TONGBAN_POSTGRES_CA") else {
            assert!(
                std::env::var("TONGBAN_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "TONGBAN_REQUIRE_POSTGRES=1 but TONGBAN_POSTGRES_CA names no authority"
            );
            return;
        };
        let verified = Location::Postgres(PostgresServer {
            url: server.url.clone(),
            ca_pem: Some(std::fs::read(ca).expect("the server's authority")),
        });
        let mut store = Store::open_at(&verified).expect("over TLS");
        assert!(encrypted(&mut store), "the connection is TLS");
        let mut reader = Store::open_reader(&verified).expect("a reader over TLS");
        assert!(encrypted(&mut reader));
        let mut plain = Store::open_at(&Location::Postgres(server.clone())).expect("in clear");
        assert!(!encrypted(&mut plain), "a plain connection is not");

        let mut params = rcgen::CertificateParams::new(Vec::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().expect("key");
        let foreign = params.self_signed(&key).expect("a foreign authority");
        let error = Store::open_at(&Location::Postgres(PostgresServer {
            url: server.url.clone(),
            ca_pem: Some(foreign.pem().into_bytes()),
        }))
        .expect_err("a server its authority did not certify");
        assert_eq!(error.code(), "node.storage");
        assert!(
            error.to_string().contains("certificate"),
            "the error says why: {error}"
        );
        assert!(
            !format!("{verified:?}").contains("BEGIN CERTIFICATE"),
            "{verified:?}"
        );
    }
}

/// The databases the store's tests run on.
#[cfg(test)]
pub(crate) mod testing {
    use super::Location;

    /// A new PostgreSQL database on the server that `TONGBAN_POSTGRES` names (the test
    /// script starts one), or `None` without it; then `TONGBAN_REQUIRE_POSTGRES=1`
    /// (which the test script sets) makes its absence a failure, not a skip.
    pub(crate) fn postgres() -> Option<Location> {
        match std::env::var("TONGBAN_POSTGRES") {
            Ok(admin_url) => Some(Location::Postgres(super::PostgresServer::plain(
                crate::database::create_database(&super::PostgresServer::plain(admin_url))
                    .expect("a new PostgreSQL database"),
            ))),
            Err(_) => {
                assert!(
                    std::env::var("TONGBAN_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "TONGBAN_REQUIRE_POSTGRES=1 but TONGBAN_POSTGRES names no server"
                );
                eprintln!(
                    "TONGBAN_POSTGRES is not set: the PostgreSQL half of this test is skipped"
                );
                None
            }
        }
    }

    /// SQLite in a temporary directory (kept while the directory lives), then PostgreSQL
    /// as [`postgres`] gives it.
    pub(crate) fn locations() -> Vec<(Location, Option<tempfile::TempDir>)> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut locations = vec![(Location::Sqlite(dir.path().to_path_buf()), Some(dir))];
        locations.extend(postgres().map(|location| (location, None)));
        locations
    }
}
