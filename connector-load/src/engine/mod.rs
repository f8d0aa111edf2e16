//! The write path every database shares: staging tables, schema evolution, dispositions,
//! state and load bookkeeping. Only the [`Backend`] (driver calls) and its
//! [`Dialect`](crate::dialect::Dialect) (SQL spelling) differ per database.
//!
//! - [`connection`]: locking the shared connection, transactions;
//! - [`bookkeeping`]: the loads, state, columns and tables tables;
//! - [`evolve`]: schema evolution (the tables a load starts with; creating and widening the
//!   final tables);
//! - [`staging`]: the normalizer's batches into the run's staging tables;
//! - [`stager`]: staging on a thread of its own, beside the normalizer;
//! - [`disposition`]: append / replace / merge / skip as SQL, over a table and its children;
//! - [`writer`]: one resource's load, from first batch to commit or abandonment;
//! - here: the [`Destination`] over one connection.
//!
//! Each module uses only those listed before it.

mod bookkeeping;
mod connection;
mod disposition;
mod evolve;
mod inspect;
mod lock;
mod stager;
mod staging;
mod writer;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use connector_spec::{Disposition, MergeStrategy};
use serde_json::Value;

pub use bookkeeping::{COLUMNS_TABLE, LOADS_TABLE, LOCKS_TABLE, STATE_TABLE, TABLES_TABLE};
pub use inspect::{LoadRecord, StoredResource};
#[cfg(feature = "delta")]
pub(crate) use lock::holder_alive;
pub use lock::{host_name, LockHolder, RecoveredLoad};

use crate::backend::Backend;
use crate::destination::{Destination, ResourceWriter, RunLock};
use crate::error::{Error, Result};
use crate::normalize::{LoadNames, RowId};
use crate::plan::{new_load_id, ResourceLoadPlan};
use crate::progress::Progress;
use crate::types::LoadType;
use crate::types::SqlValue;
use bookkeeping::{create_meta_tables, read_state, record_load_started};
pub(crate) use connection::now_rfc3339;
use connection::{in_transaction, lock};
use disposition::{may_land_as_staged, Scd2Plan};
use evolve::{check_owned, starting_tables};
use stager::Stager;
use writer::SqlWriter;

/// A destination over one connection, serialised by a mutex.
pub(crate) struct SqlDestination<B: Backend> {
    conn: Arc<Mutex<B>>,
    url: String,
    kind: &'static str,
}

impl<B: Backend> SqlDestination<B> {
    /// Wraps a connection, creating the bookkeeping tables when missing.
    pub(crate) fn new(mut backend: B, url: String) -> Result<Self> {
        match backend.ddl_lock_sql() {
            Some(ddl_lock) => in_transaction(&mut backend, |b| {
                b.execute_batch(&ddl_lock)?;
                create_meta_tables(b)
            })?,
            None => create_meta_tables(&mut backend)?,
        }
        Ok(SqlDestination {
            kind: backend.dialect().name(),
            conn: Arc::new(Mutex::new(backend)),
            url,
        })
    }
}

impl<B: Backend> Destination for SqlDestination<B> {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn begin(&self, plan: &ResourceLoadPlan) -> Result<Box<dyn ResourceWriter>> {
        let names = LoadNames::of(plan)?;
        let root = names.root.clone();
        let mut conn = lock(&self.conn);
        check_owned(&mut *conn, &plan.clone().with_table(root.clone()))?;
        let mut tables =
            starting_tables(&mut *conn, &root, &names.declared_root, &names.primary_key)?;
        names.shape_root(&mut tables[0]);
        let load_id = plan.load_id.clone().unwrap_or_else(new_load_id);
        let merging = plan.disposition == Disposition::Merge;
        let scd2 = merging && plan.merge_strategy == MergeStrategy::Scd2;
        let loaded_at = now_rfc3339();
        let scd2_plan = if scd2 {
            let scd2 =
                Scd2Plan::new(&plan.merge_options, names.naming, &loaded_at).map_err(|reason| {
                    Error::InvalidPlan {
                        table: plan.table.clone(),
                        reason,
                    }
                })?;
            for column in [&scd2.from, &scd2.to] {
                if tables[0].schema.find(column).is_none() {
                    tables[0].add_column(column.clone(), LoadType::Timestamp, true);
                }
            }
            Some(scd2)
        } else {
            None
        };
        let row_id = match (&scd2_plan, &plan.merge_options.row_version_column_name) {
            (None, _) => RowId::PerLoad,
            (Some(_), None) => RowId::RecordHash,
            (Some(_), Some(field)) => RowId::Version(field.clone()),
        };
        let (primary_key, merge_key) = (names.primary_key.clone(), names.merge_key.clone());
        let replace_nul = !conn.dialect().text_holds_nul();
        let normalizer = names.normalizer(plan, tables, &load_id, row_id, replace_nul);
        in_transaction(&mut *conn, |b| {
            record_load_started(b, plan, &load_id, &loaded_at)
        })?;
        let gather = conn.dialect().stage_rows();
        drop(conn);
        let stager = Stager::new(
            Arc::clone(&self.conn),
            &plan.connector,
            &load_id,
            gather,
            may_land_as_staged(plan),
        );
        Ok(Box::new(SqlWriter {
            conn: Arc::clone(&self.conn),
            plan: plan.clone(),
            load_id,
            started: std::time::Instant::now(),
            normalizer,
            stager,
            primary_key,
            merge_key,
            progress: Progress::default(),
            untrusted: None,
            scd2: scd2_plan,
        }))
    }

    fn state(&self, connector: &str, resource: &str) -> Result<Option<Value>> {
        let mut conn = lock(&self.conn);
        read_state(&mut *conn, connector, resource)?
            .map(|raw| {
                serde_json::from_str(&raw).map_err(|e| Error::CorruptState {
                    connector: connector.to_owned(),
                    resource: resource.to_owned(),
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    fn lock(&self, connector: &str, load_id: &str, wait: Duration) -> Result<RunLock> {
        let holder = LockHolder::this_process(load_id);
        let recovered = lock::acquire(&self.conn, connector, &holder, wait)?;
        let conn = Arc::clone(&self.conn);
        let (connector, load_id) = (connector.to_owned(), load_id.to_owned());
        Ok(RunLock::new(
            recovered,
            Box::new(move || {
                // Failing to delete the row only leaves a lock the next run takes over (its
                // holder is no longer alive by then).
                let _ = lock::release(&mut *lock(&conn), &connector, &load_id);
            }),
        ))
    }

    fn check_table(&self, plan: &ResourceLoadPlan) -> Result<()> {
        check_owned(&mut *lock(&self.conn), plan)
    }

    fn stored_state(&self, connector: &str) -> Result<Vec<StoredResource>> {
        inspect::stored_state(&mut *lock(&self.conn), connector)
    }

    fn reset_state(&self, connector: &str, resources: Option<&[String]>) -> Result<Vec<String>> {
        let mut conn = lock(&self.conn);
        in_transaction(&mut *conn, |b| {
            inspect::reset_state(b, connector, resources)
        })
    }

    fn query_rows(&self, sql: &str) -> Result<Vec<Vec<Value>>> {
        let rows = lock(&self.conn).query(sql, &[])?;
        Ok(rows
            .into_iter()
            .map(|row| row.iter().map(SqlValue::to_json).collect())
            .collect())
    }
}
