//! The write path every database shares: staging tables, schema evolution, dispositions,
//! state and load bookkeeping. Only the [`Backend`] (driver calls) and its
//! [`Dialect`](crate::dialect::Dialect) (SQL spelling) differ per database.
//!
//! - [`connection`]: locking the shared connection, transactions;
//! - [`bookkeeping`]: the loads, state, columns and tables tables;
//! - [`evolve`]: schema evolution (the tables a load starts with; creating and widening the
//!   final tables);
//! - [`staging`]: the normalizer's batches into the run's staging tables;
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
mod staging;
mod writer;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use connector_spec::{Disposition, MergeStrategy};
use serde_json::Value;

pub use bookkeeping::{COLUMNS_TABLE, LOADS_TABLE, LOCKS_TABLE, STATE_TABLE, TABLES_TABLE};
pub use inspect::{LoadRecord, StoredResource};
pub use lock::{host_name, LockHolder, RecoveredLoad};

use crate::backend::Backend;
use crate::destination::{Destination, ResourceWriter, RunLock};
use crate::error::{Error, Result};
use crate::normalize::naming::Convention;
use crate::normalize::{declared_columns, Normalizer, RowId, Settings};
use crate::plan::{new_load_id, ResourceLoadPlan};
use crate::types::LoadType;
use crate::types::SqlValue;
use bookkeeping::{create_meta_tables, read_state, record_load_started};
use connection::{in_transaction, lock, now_rfc3339};
use disposition::Scd2Plan;
use evolve::{check_owned, starting_tables};
use staging::Staging;
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
        let invalid = |reason: &str| Error::InvalidPlan {
            table: plan.table.clone(),
            reason: reason.to_owned(),
        };
        if plan.table.trim().is_empty() {
            return Err(invalid("the table name is empty"));
        }
        if plan.disposition == Disposition::Merge
            && matches!(
                plan.merge_strategy,
                MergeStrategy::Upsert | MergeStrategy::InsertOnly
            )
            && plan.primary_key.is_empty()
        {
            return Err(invalid(&format!(
                "merge strategy `{}` needs a primary_key",
                plan.merge_strategy.as_str()
            )));
        }
        let naming = Convention(plan.naming);
        let root = naming.identifier(&plan.table);
        let keys = |names: &[String]| -> Vec<String> {
            names.iter().map(|k| naming.identifier(k)).collect()
        };
        let (primary_key, merge_key) = (keys(&plan.primary_key), keys(&plan.merge_key));
        let mut declared = declared_columns(naming, &root, &plan.columns, &plan.lines);
        let declared_root = declared.remove(&root).unwrap_or_default();
        let mut conn = lock(&self.conn);
        check_owned(&mut *conn, &plan.clone().with_table(root.clone()))?;
        let mut tables = starting_tables(&mut *conn, &root, &declared_root, &primary_key)?;
        for (name, d) in &declared_root {
            let root_table = &mut tables[0];
            if root_table.schema.find(name).is_none() {
                let nullable = d.nullable && !primary_key.contains(name);
                root_table.add_column(name.clone(), d.ty, nullable);
            }
        }
        tables[0].declared = declared_root;
        tables[0].not_null = primary_key.clone();
        let load_id = plan.load_id.clone().unwrap_or_else(new_load_id);
        let mut required: Vec<(String, &'static str)> = primary_key
            .iter()
            .map(|k| (k.clone(), "it is part of the primary key"))
            .collect();
        for (name, d) in &tables[0].declared {
            if !d.nullable && !primary_key.contains(name) {
                required.push((name.clone(), "the spec declares it `nullable: false`"));
            }
        }
        let merging = plan.disposition == Disposition::Merge;
        let scd2 = merging && plan.merge_strategy == MergeStrategy::Scd2;
        let loaded_at = now_rfc3339();
        let scd2_plan = if scd2 {
            let scd2 =
                Scd2Plan::new(&plan.merge_options, naming, &loaded_at).map_err(|e| invalid(&e))?;
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
        let settings = Settings {
            naming,
            row_id,
            max_nesting: plan
                .max_table_nesting
                .unwrap_or(connector_spec::resolved::DEFAULT_MAX_TABLE_NESTING),
            root_key: merging && !scd2,
            contract: plan.schema_contract,
            contract_line: plan.lines.get("schema_contract").copied(),
            load_id: load_id.clone(),
            required,
            replace_nul: !conn.dialect().text_holds_nul(),
        };
        let normalizer = Normalizer::new(settings, tables, declared);
        in_transaction(&mut *conn, |b| {
            record_load_started(b, plan, &load_id, &loaded_at)
        })?;
        drop(conn);
        Ok(Box::new(SqlWriter {
            conn: Arc::clone(&self.conn),
            plan: plan.clone(),
            load_id,
            started: std::time::Instant::now(),
            normalizer,
            staging: Staging::default(),
            primary_key,
            merge_key,
            records: 0,
            failed: false,
            finished: false,
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
