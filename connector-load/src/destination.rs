//! The public traits: a [`Destination`] opens per-resource [`ResourceWriter`]s.

use serde_json::Value;

use crate::error::Result;
use crate::plan::{LoadSummary, ResourceLoadPlan};

/// A database that connector records are loaded into.
///
/// One destination may be shared by several threads (it is `Send + Sync`); writers of
/// different resources may run at once and their database work is serialised.
pub trait Destination: Send + Sync {
    /// `sqlite` or `duckdb`.
    fn kind(&self) -> &'static str;

    /// The destination as the user named it (`sqlite:demo.db`).
    fn url(&self) -> &str;

    /// Starts loading one resource: creates (or empties, after a crash) its staging table and
    /// records the load as `running` in `_connector_loads`. Fails early when the spec's column
    /// types contradict the existing table.
    fn begin(&self, plan: &ResourceLoadPlan) -> Result<Box<dyn ResourceWriter>>;

    /// The incremental state last committed for `connector`'s `resource`, if any.
    fn state(&self, connector: &str, resource: &str) -> Result<Option<Value>>;

    /// Runs a read query and returns its rows as JSON values (integers, floats, booleans,
    /// text; other types as the database prints them). For tests, reports and the curious.
    fn query_rows(&self, sql: &str) -> Result<Vec<Vec<Value>>>;
}

/// The load of one resource in progress.
///
/// Each [`write_batch`](ResourceWriter::write_batch) commits its records to the resource's
/// staging table; [`commit`](ResourceWriter::commit) applies them to the final table per the
/// write disposition and stores the incremental state, in one transaction. Dropping a writer
/// without committing discards the staged records; a killed process leaves them behind, and
/// the next `begin` of the same resource discards them. Either way the final table and the
/// state stay exactly as the last commit left them.
pub trait ResourceWriter: Send {
    /// Converts and stages a batch of records (JSON objects) in one transaction. New fields
    /// become new columns; a value that does not fit its column's type is an error, after
    /// which the writer refuses further work and must be dropped.
    fn write_batch(&mut self, records: &[Value]) -> Result<()>;

    /// Records staged so far.
    fn records(&self) -> u64;

    /// Makes [`commit`](ResourceWriter::commit) refuse a replace that would leave a table
    /// holding rows empty (no record staged): `why` says why the fetched data is not trusted
    /// (the first of the runtime's warnings). The loader calls it when the fetch gave
    /// warnings; the default ignores it, a destination that can count its rows should not.
    fn refuse_emptying_replace(&mut self, why: String) {
        let _ = why;
    }

    /// Applies the staged records and stores `state` atomically. `None` keeps the state
    /// stored before (for resources without incremental loading).
    fn commit(self: Box<Self>, state: Option<Value>) -> Result<LoadSummary>;
}
