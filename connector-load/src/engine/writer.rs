//! The writer of one resource's load: normalizes and stages each batch, and at commit
//! applies the staged rows of every table, the schema, the state and the load record in one
//! transaction. Dropped uncommitted, it removes its staging and marks the load failed.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use connector_spec::Disposition;
use serde_json::Value;

use super::bookkeeping::{
    read_state, record_columns, record_load_completed, record_load_failed, register_table,
    write_state,
};
use super::connection::{in_transaction, lock, now_rfc3339};
use super::disposition::{apply_disposition, lands_as_staged, Keys, Scd2Plan};
use super::evolve::{check_owned_table, existing_columns, index_key, prepare_table};
use super::stager::Stager;
use super::staging::Staging;
use crate::backend::Backend;
use crate::destination::ResourceWriter;
use crate::error::Result;
use crate::normalize::Normalizer;
use crate::plan::{LoadSummary, ResourceLoadPlan};
use crate::progress::Progress;
use crate::types::SqlValue;

/// The writer of one resource's load.
pub(super) struct SqlWriter<B: Backend> {
    pub(super) conn: Arc<Mutex<B>>,
    pub(super) plan: ResourceLoadPlan,
    pub(super) load_id: String,
    pub(super) started: Instant,
    pub(super) normalizer: Normalizer,
    pub(super) stager: Stager<B>,
    /// The primary and merge key columns, after naming.
    pub(super) primary_key: Vec<String>,
    pub(super) merge_key: Vec<String>,
    pub(super) progress: Progress,
    /// Why a replace must not empty the table (see `refuse_emptying_replace`).
    pub(super) untrusted: Option<String>,
    /// scd2's validity columns and moments (scd2 loads only).
    pub(super) scd2: Option<Scd2Plan>,
}

impl<B: Backend> SqlWriter<B> {
    /// The commit transaction's work: final tables, disposition, schema, state, load record.
    fn apply(&self, b: &mut B, staging: &Staging, state: Option<Value>) -> Result<LoadSummary> {
        let plan = &self.plan;
        let disposition = plan.effective_disposition();
        if let Some(ddl_lock) = b.ddl_lock_sql() {
            b.execute_batch(&ddl_lock)?;
        }
        let mut new_columns = Vec::new();
        let mut table_rows = 0;
        let mut child_tables = Vec::new();
        let tables = self.normalizer.tables();
        let keys = Keys {
            primary: &self.primary_key,
            merge: &self.merge_key,
            unique: self.normalizer.keys_unique(),
        };
        if disposition != Disposition::Skip {
            // Whether each table is there now: as the load began, or made since by another
            // load's commit (another shard of the run), whose rows a merge must then reach.
            let mut existed = Vec::with_capacity(tables.len());
            for table in tables {
                existed
                    .push(table.existed || !existing_columns(b, &table.name)?.columns.is_empty());
            }
            let whole = self.takes_staging_whole(b, staging, &keys, &existed);
            for (i, table) in tables.iter().enumerate() {
                let staged = staging.tables.get(i).and_then(Option::as_ref);
                if !existed[i] && staged.is_none() {
                    continue;
                }
                if !table.existed {
                    check_owned_table(b, plan, &table.name)?;
                }
                if let Some(staged) = staged {
                    staged.check_count(b)?;
                }
                let added = match staged.filter(|_| whole) {
                    Some(staged) => {
                        staged.become_table(b, &table.name, &table.schema)?;
                        Vec::new()
                    }
                    None => prepare_table(b, &table.name, &table.schema)?,
                };
                new_columns.extend(added.into_iter().map(|c| {
                    if i == 0 {
                        c
                    } else {
                        format!("{}.{c}", table.name)
                    }
                }));
                record_columns(b, &table.name, &table.schema)?;
                let parent = table.parent.map(|p| tables[p].name.as_str());
                register_table(b, &table.name, parent, &tables[0].name)?;
            }
            if let (Disposition::Replace, 0, Some(why)) =
                (disposition, self.progress.records(), &self.untrusted)
            {
                if existed[0] {
                    plan.refuse_emptying(count_rows(b, &tables[0].name)?, why)?;
                }
            }
            if !whole {
                for staged in staging.tables.iter().flatten() {
                    staged.add_seq_column(b)?;
                }
                apply_disposition(
                    b,
                    plan,
                    &existed,
                    tables,
                    staging,
                    &keys,
                    self.scd2.as_ref(),
                )?;
            }
            staging.drop_tables(b)?;
            if existed[0] || staging.tables.first().is_some_and(Option::is_some) {
                index_key(b, &tables[0].name, &self.primary_key)?;
                table_rows = count_rows(b, &tables[0].name)?;
            }
            for (i, table) in tables.iter().enumerate().skip(1) {
                if existed[i] || staging.tables.get(i).is_some_and(Option::is_some) {
                    child_tables.push((table.name.clone(), count_rows(b, &table.name)?));
                }
            }
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
            self.progress.records(),
            table_rows,
        )?;
        record_load_completed(
            b,
            plan,
            &self.load_id,
            &finished_at,
            disposition,
            self.progress.records(),
            table_rows,
        )?;
        let (discarded_rows, discarded_values) = self.normalizer.discarded();
        Ok(LoadSummary {
            connector: plan.connector.clone(),
            resource: plan.resource.clone(),
            table: tables[0].name.clone(),
            load_id: self.load_id.clone(),
            disposition: disposition.as_str().to_owned(),
            records: self.progress.records(),
            table_rows,
            child_tables,
            new_columns,
            discarded_rows,
            discarded_values,
            warnings: self.normalizer.warnings(),
            seconds: self.started.elapsed().as_secs_f64(),
        })
    }
}

impl<B: Backend> SqlWriter<B> {
    /// Whether every table of this load is new and its staging table may become it: the
    /// disposition puts the staged rows in as they are, the dialect allows it, each staging
    /// table was made for it, and no table is there at this commit (`existed`: not even one
    /// another shard's commit made since the load began).
    fn takes_staging_whole(
        &self,
        b: &B,
        staging: &Staging,
        keys: &Keys<'_>,
        existed: &[bool],
    ) -> bool {
        let d = b.dialect();
        let tables = self.normalizer.tables();
        d.staging_becomes_table()
            && staging.tables.first().is_some_and(Option::is_some)
            && lands_as_staged(&self.plan, tables, keys)
            && tables.iter().enumerate().all(|(i, t)| {
                !existed[i]
                    && staging
                        .tables
                        .get(i)
                        .and_then(Option::as_ref)
                        .is_none_or(|s| s.may_become(d, &t.schema))
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

/// Stages the rows `normalizer` has gathered.
fn stage_gathered<B: Backend>(normalizer: &mut Normalizer, stager: &mut Stager<B>) -> Result<()> {
    let batches = normalizer.take_batches()?;
    stager.stage(normalizer.shapes(), batches, normalizer.keys_unique())
}

impl<B: Backend> ResourceWriter for SqlWriter<B> {
    fn write_batch(&mut self, records: &[Value]) -> Result<()> {
        let (normalizer, stager) = (&mut self.normalizer, &mut self.stager);
        self.progress.write_batch(&self.plan, records, || {
            normalizer.push(records)?;
            if stager.wants(normalizer.gathered_rows()) {
                stage_gathered(normalizer, stager)?;
            }
            Ok(())
        })
    }

    fn records(&self) -> u64 {
        self.progress.records()
    }

    fn refuse_emptying_replace(&mut self, why: String) {
        self.untrusted = Some(why);
    }

    fn commit(mut self: Box<Self>, state: Option<Value>) -> Result<LoadSummary> {
        self.progress.usable(&self.plan)?;
        let staged = stage_gathered(&mut self.normalizer, &mut self.stager);
        let result = staged.and_then(|()| self.stager.settle()).and_then(|()| {
            let staging = self.stager.staging();
            let conn = Arc::clone(&self.conn);
            let mut guard = lock(&conn);
            in_transaction(&mut *guard, |b| self.apply(b, staging, state))
        });
        self.progress.committed(result)
    }
}

impl<B: Backend> Drop for SqlWriter<B> {
    /// An abandoned load: its staged rows go, the load is marked `failed`; the final tables
    /// and state were never touched.
    fn drop(&mut self) {
        if self.progress.finished() {
            return;
        }
        let staging = self.stager.abandon();
        let mut conn = lock(&self.conn);
        let _ = in_transaction(&mut *conn, |b| {
            staging.drop_tables(b)?;
            record_load_failed(b, &self.plan, &self.load_id, self.progress.records())
        });
    }
}
