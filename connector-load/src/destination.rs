//! The public traits: a [`Destination`] opens per-resource [`ResourceWriter`]s.

use std::time::Duration;

use serde_json::Value;

use crate::engine::{RecoveredLoad, StoredResource};
use crate::error::Result;
use crate::plan::{LoadSummary, ResourceLoadPlan};

/// A database that connector records are loaded into.
///
/// One destination may be shared by several threads (it is `Send + Sync`); writers of
/// different resources may run at once and their database work is serialised.
pub trait Destination: Send + Sync {
    /// `sqlite`, `duckdb` or `postgres`.
    fn kind(&self) -> &'static str;

    /// The destination as the user named it (`sqlite:demo.db`), any password redacted
    /// (`postgres://user:***@host/db`).
    fn url(&self) -> &str;

    /// Starts loading one resource: creates its staging table (the load's own, named after its
    /// load id) and records the load as `running` in `_connector_loads`. Fails early when the
    /// spec's column types contradict the existing table, or the table was not made by
    /// connector ([`crate::Error::ForeignTable`]).
    fn begin(&self, plan: &ResourceLoadPlan) -> Result<Box<dyn ResourceWriter>>;

    /// The incremental state last committed for `connector`'s `resource`, if any.
    fn state(&self, connector: &str, resource: &str) -> Result<Option<Value>>;

    /// Takes `connector`'s run lock for the run `load_id`, waiting up to `wait` for another
    /// run to release it; [`crate::Error::Locked`] names the holder when it does not. One run
    /// of a connector loads into a destination at a time; the lock is released when the
    /// returned [`RunLock`] is dropped, and by the next run when its holder's process died.
    /// Taking it cleans up after runs that never finished ([`RunLock::recovered`]), never
    /// after a run that still holds a lock.
    ///
    /// `connector` is the lock key: the connector's name, or `name#K/N` for shard K of N of
    /// a partitioned run ([`connector_runtime::Partition::key`]). The shards of one N hold
    /// different keys and run at once; keys that overlap
    /// ([`connector_runtime::Partition::overlaps`]: a whole run and any shard, shards of
    /// different N, the same shard) exclude each other.
    ///
    /// SQLite and DuckDB keep the lock as a row of `_connector_locks`; PostgreSQL takes a
    /// session advisory lock (`pg_try_advisory_lock`, freed by the server when the session
    /// ends) and keeps the row only to name the holder.
    fn lock(&self, connector: &str, load_id: &str, wait: Duration) -> Result<RunLock>;

    /// Fails with [`crate::Error::ForeignTable`] when `plan`'s table exists but was not made
    /// by connector and the plan does not adopt it. [`Destination::begin`] checks the same;
    /// this lets a run refuse before fetching anything.
    fn check_table(&self, plan: &ResourceLoadPlan) -> Result<()>;

    /// What is stored about `connector`'s resources: each one's last load and incremental
    /// state, by resource name.
    fn stored_state(&self, connector: &str) -> Result<Vec<StoredResource>>;

    /// Clears the stored incremental state of `connector`'s `resources` (all when `None`), so
    /// their next load starts from the spec's `initial_value`. Returns the resources that had
    /// a state. Tables and load records stay.
    fn reset_state(&self, connector: &str, resources: Option<&[String]>) -> Result<Vec<String>>;

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
/// the next run's [`Destination::lock`] drops them. Either way the final table and the
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

/// A connector's run lock in a destination, from [`Destination::lock`]; released on drop.
pub struct RunLock {
    recovered: Vec<RecoveredLoad>,
    release: Option<Box<dyn FnOnce() + Send>>,
}

impl RunLock {
    /// A lock that `release` gives back.
    pub(crate) fn new(recovered: Vec<RecoveredLoad>, release: Box<dyn FnOnce() + Send>) -> Self {
        RunLock {
            recovered,
            release: Some(release),
        }
    }

    /// The runs found unfinished when the lock was taken: their loads are now `abandoned`
    /// and their staging tables dropped.
    pub fn recovered(&self) -> &[RecoveredLoad] {
        &self.recovered
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

impl std::fmt::Debug for RunLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunLock")
            .field("recovered", &self.recovered)
            .finish_non_exhaustive()
    }
}
