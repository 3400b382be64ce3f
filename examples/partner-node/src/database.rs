//! The two databases a node keeps its state in, behind one small interface: SQLite, a
//! file in the data directory (the default, embedded), and PostgreSQL, a server that
//! several replicas of one node share (`database_url` in the configuration).
//!
//! The store ([`crate::store`], [`crate::files::records`]) writes each statement once,
//! with SQLite's numbered parameters (`?1`), and [`Db`] runs it on either database; the
//! few statements the two dialects spell differently ask [`Db::dialect`]. Statements are
//! prepared once per connection and then taken from its cache.
//!
//! PostgreSQL is reached through the synchronous `postgres` client (of rust-postgres, a
//! maintained driver): the store's work runs on blocking threads in short transactions,
//! as SQLite's does, so an asynchronous driver (`sqlx`, `tokio-postgres` itself) would
//! only add a second way of calling it.

use crate::error::NodeError;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The SQL dialect of a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A statement's parameter.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    /// SQL `NULL`.
    Null,
    /// An integer.
    Integer(i64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Param::Text(value)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(value: &'a String) -> Self {
        Param::Text(value)
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(value: &'a [u8]) -> Self {
        Param::Blob(value)
    }
}

impl<'a> From<&'a Vec<u8>> for Param<'a> {
    fn from(value: &'a Vec<u8>) -> Self {
        Param::Blob(value)
    }
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Param::Integer(value)
    }
}

impl From<u32> for Param<'_> {
    fn from(value: u32) -> Self {
        Param::Integer(i64::from(value))
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Param::Null, Into::into)
    }
}

/// A statement's parameters: `params![a, b]` is `&[Param::from(a), Param::from(b)]`.
macro_rules! params {
    ($($param:expr),* $(,)?) => {
        &[$($crate::database::Param::from($param)),*] as &[$crate::database::Param<'_>]
    };
}
pub(crate) use params;

/// A value read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// An integer (or PostgreSQL's boolean, as 0 or 1).
    Integer(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// A row read, its columns in the order the statement selected them.
#[derive(Debug, Clone)]
pub struct Row(Vec<Value>);

impl Row {
    fn column(&self, index: usize) -> Result<&Value, NodeError> {
        self.0.get(index).ok_or_else(|| NodeError::Storage {
            reason: format!("a row read back has no column {index}"),
        })
    }

    fn unexpected(&self, index: usize, wanted: &str) -> NodeError {
        NodeError::Storage {
            reason: format!(
                "column {index} of a row read back is {:?}, not {wanted}",
                self.0.get(index)
            ),
        }
    }

    /// Column `index` as text, or `None` when it is `NULL`.
    pub fn optional_text(&self, index: usize) -> Result<Option<String>, NodeError> {
        match self.column(index)? {
            Value::Null => Ok(None),
            Value::Text(text) => Ok(Some(text.clone())),
            _ => Err(self.unexpected(index, "text")),
        }
    }

    /// Column `index` as text.
    pub fn text(&self, index: usize) -> Result<String, NodeError> {
        self.optional_text(index)?
            .ok_or_else(|| self.unexpected(index, "text"))
    }

    /// Column `index` as an integer, or `None` when it is `NULL`.
    pub fn optional_integer(&self, index: usize) -> Result<Option<i64>, NodeError> {
        match self.column(index)? {
            Value::Null => Ok(None),
            Value::Integer(value) => Ok(Some(*value)),
            _ => Err(self.unexpected(index, "an integer")),
        }
    }

    /// Column `index` as an integer.
    pub fn integer(&self, index: usize) -> Result<i64, NodeError> {
        self.optional_integer(index)?
            .ok_or_else(|| self.unexpected(index, "an integer"))
    }

    /// Column `index` as an integer of type `T`.
    pub fn number<T: TryFrom<i64>>(&self, index: usize) -> Result<T, NodeError> {
        T::try_from(self.integer(index)?).map_err(|_| self.unexpected(index, "in range"))
    }

    /// Column `index` as bytes, or `None` when it is `NULL`.
    pub fn optional_blob(&self, index: usize) -> Result<Option<Vec<u8>>, NodeError> {
        match self.column(index)? {
            Value::Null => Ok(None),
            Value::Blob(bytes) => Ok(Some(bytes.clone())),
            _ => Err(self.unexpected(index, "bytes")),
        }
    }

    /// Column `index` as bytes.
    pub fn blob(&self, index: usize) -> Result<Vec<u8>, NodeError> {
        self.optional_blob(index)?
            .ok_or_else(|| self.unexpected(index, "bytes"))
    }

    /// Column `index` as a truth value (SQLite's 0 or 1, PostgreSQL's boolean).
    pub fn flag(&self, index: usize) -> Result<bool, NodeError> {
        Ok(self.integer(index)? != 0)
    }
}

/// A connection to one of the two databases, or a transaction or savepoint on it: what
/// the store's functions run their statements on.
pub struct Db<'a> {
    backend: Backend<'a>,
}

enum Backend<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(RefCell<PgSession<'a>>),
}

/// A PostgreSQL client or transaction, with its connection's prepared statements.
struct PgSession<'a> {
    client: &'a mut dyn PgClient,
    statements: &'a mut PgStatements,
}

/// The statements prepared on one PostgreSQL connection, by their SQLite spelling.
pub type PgStatements = BTreeMap<String, postgres::Statement>;

/// What [`Db`] needs of a PostgreSQL client, a transaction or a savepoint: `postgres`'
/// own `GenericClient` is generic in its methods, so not a trait object.
pub trait PgClient {
    /// Prepares a statement.
    fn prepare(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error>;
    /// Runs a statement, giving the rows it changed.
    fn execute(
        &mut self,
        statement: &postgres::Statement,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, postgres::Error>;
    /// Runs a query.
    fn query(
        &mut self,
        statement: &postgres::Statement,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error>;
}

macro_rules! pg_client {
    ($type:ty) => {
        impl PgClient for $type {
            fn prepare(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error> {
                <$type>::prepare(self, sql)
            }
            fn execute(
                &mut self,
                statement: &postgres::Statement,
                params: &[&(dyn postgres::types::ToSql + Sync)],
            ) -> Result<u64, postgres::Error> {
                <$type>::execute(self, statement, params)
            }
            fn query(
                &mut self,
                statement: &postgres::Statement,
                params: &[&(dyn postgres::types::ToSql + Sync)],
            ) -> Result<Vec<postgres::Row>, postgres::Error> {
                <$type>::query(self, statement, params)
            }
        }
    };
}
pg_client!(postgres::Client);
pg_client!(postgres::Transaction<'_>);

impl<'a> Db<'a> {
    /// Statements on a SQLite connection (or transaction, or savepoint).
    pub fn sqlite(connection: &'a rusqlite::Connection) -> Db<'a> {
        Db {
            backend: Backend::Sqlite(connection),
        }
    }

    /// Statements on a PostgreSQL client (or transaction, or savepoint), preparing each
    /// once into `statements`, the cache of its connection.
    pub fn postgres(client: &'a mut dyn PgClient, statements: &'a mut PgStatements) -> Db<'a> {
        Db {
            backend: Backend::Postgres(RefCell::new(PgSession { client, statements })),
        }
    }

    /// The dialect of the database.
    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement; gives the number of rows it changed.
    pub fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64, NodeError> {
        match &self.backend {
            Backend::Sqlite(connection) => {
                let changed = connection
                    .prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(params))?;
                Ok(changed as u64)
            }
            Backend::Postgres(session) => {
                let mut session = session.borrow_mut();
                let statement = session.statement(sql)?;
                let params = pg_params(params);
                Ok(session.client.execute(&statement, &params)?)
            }
        }
    }

    /// Runs a query; gives every row.
    pub fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, NodeError> {
        match &self.backend {
            Backend::Sqlite(connection) => {
                let mut statement = connection.prepare_cached(sql)?;
                let columns = statement.column_count();
                let rows = statement.query_map(rusqlite::params_from_iter(params), |row| {
                    (0..columns)
                        .map(|i| Ok(sqlite_value(row.get_ref(i)?)))
                        .collect::<rusqlite::Result<Vec<Value>>>()
                        .map(Row)
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            }
            Backend::Postgres(session) => {
                let mut session = session.borrow_mut();
                let statement = session.statement(sql)?;
                let params = pg_params(params);
                let rows = session.client.query(&statement, &params)?;
                rows.iter().map(pg_row).collect()
            }
        }
    }

    /// Runs a query; gives its first row, if any.
    pub fn query_first(&self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>, NodeError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs a query that gives one row (an aggregate, say).
    pub fn query_one(&self, sql: &str, params: &[Param<'_>]) -> Result<Row, NodeError> {
        self.query_first(sql, params)?
            .ok_or_else(|| NodeError::Storage {
                reason: "a query that gives one row gave none".into(),
            })
    }
}

impl PgSession<'_> {
    /// The statement `sql` (SQLite's spelling), prepared once on this connection.
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, NodeError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(&postgres_spelling(sql))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

/// `sql` with SQLite's numbered parameters (`?1`) as PostgreSQL's (`$1`). The store's
/// statements hold no `?` in a literal.
fn postgres_spelling(sql: &str) -> String {
    sql.replace('?', "$")
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Null => ValueRef::Null,
            Param::Integer(value) => ValueRef::Integer(*value),
            Param::Text(text) => ValueRef::Text(text.as_bytes()),
            Param::Blob(bytes) => ValueRef::Blob(bytes),
        }))
    }
}

impl postgres::types::ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Param::Null => Ok(postgres::types::IsNull::Yes),
            Param::Integer(value) => value.to_sql(ty, out),
            Param::Text(text) => text.to_sql(ty, out),
            Param::Blob(bytes) => bytes.to_sql(ty, out),
        }
    }

    /// Every column of the store is `BIGINT`, `TEXT` or `BYTEA`; `to_sql_checked` below
    /// refuses a value of the wrong kind for its column.
    fn accepts(ty: &postgres::types::Type) -> bool {
        use postgres::types::Type;
        [Type::INT8, Type::TEXT, Type::VARCHAR, Type::BYTEA].contains(ty)
    }

    fn to_sql_checked(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        let fits = match self {
            Param::Null => true,
            Param::Integer(_) => *ty == Type::INT8,
            Param::Text(_) => *ty == Type::TEXT || *ty == Type::VARCHAR,
            Param::Blob(_) => *ty == Type::BYTEA,
        };
        if !fits {
            return Err(format!("{self:?} given for a parameter of type {ty}").into());
        }
        self.to_sql(ty, out)
    }
}

fn pg_params<'p>(params: &'p [Param<'_>]) -> Vec<&'p (dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

fn sqlite_value(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(value) => Value::Integer(value),
        // The store keeps no real numbers; one would read back as its integer part.
        ValueRef::Real(value) => Value::Integer(value as i64),
        ValueRef::Text(text) => Value::Text(String::from_utf8_lossy(text).into_owned()),
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    }
}

fn pg_row(row: &postgres::Row) -> Result<Row, NodeError> {
    use postgres::types::Type;
    let mut values = Vec::with_capacity(row.len());
    for (index, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(index)?.map(Value::Integer)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(index)?
                .map(|v| Value::Integer(v.into()))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(index)?
                .map(|v| Value::Integer(v.into()))
        } else if *ty == Type::BYTEA {
            row.try_get::<_, Option<Vec<u8>>>(index)?.map(Value::Blob)
        } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
            row.try_get::<_, Option<String>>(index)?.map(Value::Text)
        } else {
            return Err(NodeError::Storage {
                reason: format!(
                    "column {} has type {ty}, which the store never reads",
                    column.name()
                ),
            });
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

/// Creates a new, empty database on the PostgreSQL server `admin` (whose URL's user may
/// create databases, ending in a database's name; over TLS when it names authorities)
/// and gives its URL: the demonstration's nodes and the tests each get their own this
/// way.
pub fn create_database(admin: &crate::store::PostgresServer) -> Result<String, NodeError> {
    let admin_url = admin.url.as_str();
    let Some((server, _)) = admin_url.rsplit_once('/') else {
        return Err(NodeError::Config {
            reason: format!("{admin_url} names no database"),
        });
    };
    let mut random = [0u8; 8];
    getrandom::getrandom(&mut random).map_err(|e| NodeError::Storage {
        reason: format!("no randomness for a database name: {e}"),
    })?;
    let name: String = std::iter::once("tongban_".to_string())
        .chain(random.iter().map(|b| format!("{b:02x}")))
        .collect();
    // On a thread of its own: the synchronous client cannot run on a thread that drives
    // asynchronous tasks.
    std::thread::scope(|scope| {
        scope
            .spawn(|| -> Result<(), NodeError> {
                let mut admin = crate::store::client_for(admin)?;
                admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
                Ok(())
            })
            .join()
    })
    .map_err(|_| NodeError::Storage {
        reason: "creating a database panicked".into(),
    })??;
    Ok(format!("{server}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_are_spelled_for_postgresql() {
        assert_eq!(
            postgres_spelling("SELECT a FROM t WHERE b = ?1 AND c = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = $12"
        );
    }

    #[test]
    fn a_row_gives_its_columns_as_stored_and_refuses_another_kind() {
        let connection = rusqlite::Connection::open_in_memory().expect("memory");
        let db = Db::sqlite(&connection);
        let row = db
            .query_one(
                "SELECT ?1, ?2, ?3, ?4",
                params![7i64, "text", &b"bytes".to_vec(), None::<&str>],
            )
            .expect("row");
        assert_eq!(row.integer(0).expect("integer"), 7);
        assert_eq!(row.number::<u32>(0).expect("u32"), 7);
        assert_eq!(row.text(1).expect("text"), "text");
        assert_eq!(row.blob(2).expect("blob"), b"bytes");
        assert_eq!(row.optional_text(3).expect("null"), None);
        assert!(row.text(0).is_err());
        assert!(row.integer(3).is_err());
        assert!(row.text(4).is_err());
        let negative = db.query_one("SELECT -1", params![]).expect("row");
        assert!(negative.number::<u32>(0).is_err());
    }
}
