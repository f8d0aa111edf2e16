//! The few operations the shared write path needs from a database connection.

use arrow_array::RecordBatch;

use crate::dialect::Dialect;
use crate::error::Result;
use crate::types::{LoadType, SqlValue};

/// A database connection as the engine drives it. Implemented for SQLite, DuckDB and
/// PostgreSQL; each method maps driver errors to [`crate::Error::Database`] with `context`.
pub(crate) trait Backend: Send + 'static {
    /// The connection's SQL dialect.
    fn dialect(&self) -> &'static dyn Dialect;

    /// Runs one or more statements without parameters.
    fn execute_batch(&mut self, sql: &str) -> Result<()>;

    /// Runs one statement with positional `?` parameters (PostgreSQL's backend numbers them
    /// `$1`, `$2`, ... itself, outside quotes); returns the rows changed.
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize>;

    /// Runs a query with positional `?` parameters and returns every row.
    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>>;

    /// Inserts a batch into `table`, whose columns are exactly the batch's in order, the
    /// fastest way the driver offers (a prepared statement over the columns, DuckDB's Arrow
    /// appender, PostgreSQL's binary `COPY`). `types` holds each batch column's load type
    /// (`None` for the staging order column), for a backend whose encoding depends on the
    /// staging column's type ([`Dialect::stages_typed`]). Called inside a transaction.
    fn insert_batch(
        &mut self,
        table: &str,
        batch: &RecordBatch,
        types: &[Option<LoadType>],
    ) -> Result<()>;

    /// Takes the session-scoped lock `name` without waiting, when the database has such
    /// locks (PostgreSQL's advisory locks, which the server releases when the session ends):
    /// `Some(true)` taken, `Some(false)` held by another session (or already by this one).
    /// `None`: no session locks; the lock row in `_connector_locks` alone decides.
    ///
    /// `name` is what is locked: a connector's name today; a partitioned run's shards would
    /// each lock `connector` plus their shard, so they never wait on each other.
    fn try_session_lock(&mut self, name: &str) -> Result<Option<bool>> {
        let _ = name;
        Ok(None)
    }

    /// Releases the session lock `name` taken by [`Backend::try_session_lock`].
    fn release_session_lock(&mut self, name: &str) -> Result<()> {
        let _ = name;
        Ok(())
    }

    /// A statement that, run first in a transaction, serialises it with every other
    /// session's transactions that create tables in the same place (PostgreSQL's
    /// `CREATE TABLE IF NOT EXISTS` of one name in two sessions at once fails in one).
    /// `None`: the database needs none (SQLite and DuckDB lock the whole file).
    fn ddl_lock_sql(&self) -> Option<String> {
        None
    }
}
