//! The few operations the shared write path needs from a database connection.

use arrow_array::RecordBatch;

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

    /// Inserts a batch into `table`, whose columns are exactly the batch's in order, the
    /// fastest way the driver offers (a prepared statement over the columns, DuckDB's Arrow
    /// appender). Called inside a transaction.
    fn insert_batch(&mut self, table: &str, batch: &RecordBatch) -> Result<()>;
}
