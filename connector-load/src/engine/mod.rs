//! The write path both databases share: staging tables, schema evolution, dispositions,
//! state and load bookkeeping. Only the [`Backend`] (driver calls) and its
//! [`Dialect`](crate::dialect::Dialect) (SQL spelling) differ per database.
//!
//! - [`connection`]: locking the shared connection, transactions;
//! - [`columns`]: the columns of a load;
//! - [`bookkeeping`]: the loads, state and columns tables, and the per-row metadata columns;
//! - [`evolve`]: schema evolution (the columns a load starts with; creating and widening the
//!   final table);
//! - [`staging`]: records into the run's staging table, batch by batch;
//! - [`disposition`]: append / replace / merge / skip as SQL;
//! - [`writer`]: one resource's load, from first batch to commit or abandonment;
//! - here: the [`Destination`] over one connection.
//!
//! Each module uses only those listed before it.

mod bookkeeping;
mod columns;
mod connection;
mod disposition;
mod evolve;
mod staging;
mod writer;

use std::sync::{Arc, Mutex};

use connector_spec::{Disposition, MergeStrategy};
use serde_json::Value;

pub use bookkeeping::{COLUMNS_TABLE, LOADED_AT_COLUMN, LOADS_TABLE, LOAD_ID_COLUMN, STATE_TABLE};

use crate::backend::Backend;
use crate::destination::{Destination, ResourceWriter};
use crate::error::{Error, Result};
use crate::plan::{new_load_id, ResourceLoadPlan};
use crate::types::SqlValue;
use bookkeeping::{create_meta_tables, read_state, record_load_started};
use connection::{in_transaction, lock, now_rfc3339};
use evolve::starting_schema;
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
        create_meta_tables(&mut backend)?;
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
            && plan.merge_strategy == MergeStrategy::Upsert
            && plan.primary_key.is_empty()
        {
            return Err(invalid("merge strategy `upsert` needs a primary_key"));
        }
        let mut conn = lock(&self.conn);
        let schema = starting_schema(&mut *conn, plan)?;
        let load_id = plan.load_id.clone().unwrap_or_else(new_load_id);
        let loaded_at = now_rfc3339();
        let staging = Staging::new(plan, schema);
        in_transaction(&mut *conn, |b| {
            if plan.disposition != Disposition::Skip {
                staging.create_table(b)?;
            }
            record_load_started(b, plan, &load_id, &loaded_at)
        })?;
        drop(conn);
        Ok(Box::new(SqlWriter::new(
            Arc::clone(&self.conn),
            plan.clone(),
            load_id,
            loaded_at,
            staging,
        )))
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

    fn query_rows(&self, sql: &str) -> Result<Vec<Vec<Value>>> {
        let rows = lock(&self.conn).query(sql, &[])?;
        Ok(rows
            .into_iter()
            .map(|row| row.iter().map(SqlValue::to_json).collect())
            .collect())
    }
}
