//! The few operations the shared write path needs from a database connection.

use crate::dialect::Dialect;
use crate::error::Result;
use crate::types::SqlValue;

/// A database connection as the engine drives it. Implemented for SQLite and DuckDB; each
/// method maps driver errors to [`crate::Error::Database`] with `context`.
pub(crate) trait Backend: Send + 'static {
    /// The connection's SQL dialect.
    fn dialect(&self) -> &'static dyn Dialect;

    /// Runs one or more statements without parameters.
    fn execute_batch(&mut self, sql: &str) -> Result<()>;

    /// Runs one statement with positional `?` parameters; returns the rows changed.
    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize>;

    /// Runs a query with positional `?` parameters and returns every row.
    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>>;

    /// Inserts rows into `table`, whose columns are exactly `columns` in order, the fastest
    /// way the driver offers (a prepared statement, DuckDB's appender). Called inside a
    /// transaction.
    fn insert_rows(
        &mut self,
        table: &str,
        columns: &[String],
        rows: &[Vec<SqlValue>],
    ) -> Result<()>;
}
