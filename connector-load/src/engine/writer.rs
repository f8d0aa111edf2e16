//! The writer of one resource's load: stages each batch, and at commit applies the staged
//! rows, the schema, the state and the load record in one transaction. Dropped uncommitted,
//! it removes its staging and marks the load failed.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use connector_spec::Disposition;
use serde_json::Value;

use super::bookkeeping::{
    read_state, record_columns, record_load_completed, record_load_failed, write_state,
};
use super::connection::{in_transaction, lock, now_rfc3339};
use super::disposition::{apply_disposition, effective_disposition, refuse_emptying};
use super::evolve::prepare_table;
use super::staging::Staging;
use crate::backend::Backend;
use crate::destination::ResourceWriter;
use crate::error::{Error, Result};
use crate::plan::{LoadSummary, ResourceLoadPlan};
use crate::types::SqlValue;

/// The writer of one resource's load.
pub(super) struct SqlWriter<B: Backend> {
    conn: Arc<Mutex<B>>,
    plan: ResourceLoadPlan,
    load_id: String,
    loaded_at: String,
    started: Instant,
    staging: Staging,
    records: u64,
    failed: bool,
    finished: bool,
    /// Why a replace must not empty the table (see `refuse_emptying_replace`).
    untrusted: Option<String>,
}

impl<B: Backend> SqlWriter<B> {
    /// A writer for a load whose staging (unless the disposition is skip) and `running` load
    /// record exist already.
    pub(super) fn new(
        conn: Arc<Mutex<B>>,
        plan: ResourceLoadPlan,
        load_id: String,
        loaded_at: String,
        staging: Staging,
    ) -> Self {
        SqlWriter {
            conn,
            plan,
            load_id,
            loaded_at,
            started: Instant::now(),
            staging,
            records: 0,
            failed: false,
            finished: false,
            untrusted: None,
        }
    }

    /// The commit transaction's work: final table, disposition, schema, state, load record.
    fn apply(&self, b: &mut B, state: Option<Value>) -> Result<LoadSummary> {
        let plan = &self.plan;
        let disposition = effective_disposition(plan);
        let mut new_columns = Vec::new();
        let mut table_rows = 0;
        if disposition != Disposition::Skip {
            new_columns = prepare_table(b, plan, &self.staging.schema)?;
            record_columns(b, &plan.table, &self.staging.schema)?;
            self.staging.check_count(b, self.records)?;
            if let (Disposition::Replace, 0, Some(why)) =
                (disposition, self.records, &self.untrusted)
            {
                refuse_emptying(plan, count_rows(b, &plan.table)?, why)?;
            }
            apply_disposition(b, plan, disposition, &self.staging, self.records)?;
            self.staging.drop_table(b)?;
            table_rows = count_rows(b, &plan.table)?;
        }
        let state = match state {
            Some(value) => Some(value.to_string()),
            None => read_state(b, &plan.connector, &plan.resource)?,
        };
        let finished_at = now_rfc3339();
        write_state(
            b,
            plan,
            state,
            &finished_at,
            &self.load_id,
            self.records,
            table_rows,
        )?;
        record_load_completed(
            b,
            plan,
            &self.load_id,
            &finished_at,
            disposition,
            self.records,
            table_rows,
        )?;
        Ok(LoadSummary {
            connector: plan.connector.clone(),
            resource: plan.resource.clone(),
            table: plan.table.clone(),
            load_id: self.load_id.clone(),
            disposition: disposition.as_str().to_owned(),
            records: self.records,
            table_rows,
            new_columns,
            seconds: self.started.elapsed().as_secs_f64(),
        })
    }
}

/// How many rows `table` has.
fn count_rows<B: Backend>(b: &mut B, table: &str) -> Result<u64> {
    let table = b.dialect().quote(table);
    Ok(
        match b
            .query(&format!("SELECT COUNT(*) FROM {table}"), &[])?
            .first()
            .and_then(|r| r.first())
        {
            Some(SqlValue::Int(n)) => u64::try_from(*n).unwrap_or(0),
            _ => 0,
        },
    )
}

impl<B: Backend> ResourceWriter for SqlWriter<B> {
    fn write_batch(&mut self, records: &[Value]) -> Result<()> {
        if self.failed {
            return Err(Error::WriterFailed {
                table: self.plan.table.clone(),
            });
        }
        if records.is_empty() {
            return Ok(());
        }
        let result = if self.plan.disposition == Disposition::Skip {
            Ok(())
        } else {
            self.staging
                .convert(&self.plan, &self.load_id, &self.loaded_at, records)
                .and_then(|rows| self.staging.stage(&mut *lock(&self.conn), &rows))
        };
        match result {
            Ok(()) => {
                self.records += records.len() as u64;
                Ok(())
            }
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    fn records(&self) -> u64 {
        self.records
    }

    fn refuse_emptying_replace(&mut self, why: String) {
        self.untrusted = Some(why);
    }

    fn commit(mut self: Box<Self>, state: Option<Value>) -> Result<LoadSummary> {
        if self.failed {
            return Err(Error::WriterFailed {
                table: self.plan.table.clone(),
            });
        }
        let conn = Arc::clone(&self.conn);
        let mut guard = lock(&conn);
        let result = in_transaction(&mut *guard, |b| self.apply(b, state));
        drop(guard);
        match result {
            Ok(summary) => {
                self.finished = true;
                Ok(summary)
            }
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }
}

impl<B: Backend> Drop for SqlWriter<B> {
    /// An abandoned load: its staged records go, the load is marked `failed`; the final table
    /// and state were never touched.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut conn = lock(&self.conn);
        let _ = in_transaction(&mut *conn, |b| {
            self.staging.drop_table_if_exists(b)?;
            record_load_failed(b, &self.plan, &self.load_id, self.records)
        });
    }
}
