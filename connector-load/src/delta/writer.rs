//! One resource's load into Delta tables: batches are normalized and spooled; the commit
//! applies them table by table (child tables first, the root last), each as Delta commits
//! tagged with the load id, and then appends the load's `completed` row, with its state, to
//! `_connector_loads`. That row is the load's commit point: a run killed before it leaves
//! tagged commits that the next run reverts ([`super::book`]), so the state is never ahead
//! of the tables, nor the tables ahead of the state.

use std::sync::Arc;
use std::time::Instant;

use connector_spec::Disposition;
use deltalake::datafusion::common::JoinType;
use deltalake::protocol::SaveMode;
use serde_json::Value;

use super::book::{self, LoadRow};
use super::merge::{delete_children, side, write, Kept};
use super::spool::{without_seq, Files, Spool};
use super::tables::{count_rows, prepare, Tagged};
use super::{fail, Shared};
use crate::destination::ResourceWriter;
use crate::error::Result;
use crate::normalize::{Normalizer, ID_COLUMN, ROOT_ID_COLUMN};
use crate::plan::{LoadSummary, ResourceLoadPlan};
use crate::progress::Progress;

/// The load of one resource into Delta tables.
pub(super) struct DeltaWriter {
    pub(super) shared: Arc<Shared>,
    pub(super) plan: ResourceLoadPlan,
    /// The root table's name, after naming.
    pub(super) root: String,
    pub(super) load_id: String,
    pub(super) started: Instant,
    pub(super) started_at: String,
    pub(super) normalizer: Normalizer,
    pub(super) spool: Spool,
    /// The primary and merge key columns, after naming.
    pub(super) primary_key: Vec<String>,
    pub(super) merge_key: Vec<String>,
    pub(super) progress: Progress,
    pub(super) untrusted: Option<String>,
}

impl DeltaWriter {
    fn tag(&self) -> Tagged {
        Tagged::new(&self.plan, &self.load_id)
    }

    /// The commit: every table, then the completion row.
    async fn apply(&self, files: Files, state: Option<Value>) -> Result<LoadSummary> {
        let plan = self.plan.clone();
        let disposition = plan.effective_disposition();
        let ctx = super::session();
        let shared = Arc::clone(&self.shared);
        let tables = self.normalizer.shapes();
        let mut new_columns = Vec::new();
        let mut table_rows = 0;
        let mut child_tables = Vec::new();
        let keyed = disposition == Disposition::Merge
            && !(self.primary_key.is_empty() && self.merge_key.is_empty());
        if disposition != Disposition::Skip {
            let mut opened = Vec::with_capacity(tables.len());
            for table in &tables {
                opened.push(shared.open(&plan.connector, &table.name).await?);
            }
            if let (Disposition::Replace, 0, Some(why)) =
                (disposition, self.progress.records(), &self.untrusted)
            {
                if opened[0].version().is_some() {
                    plan.refuse_emptying(count_rows(&ctx, &opened[0]).await?, why)?;
                }
            }
            let mut staged = Vec::with_capacity(tables.len());
            for (i, table) in tables.iter().enumerate() {
                staged.push(files.frame(&ctx, i, &table.schema).await?);
            }
            // Keys that only increased need no "last row per key" (see `normalize::keys`).
            if keyed && !self.primary_key.is_empty() && !self.normalizer.keys_unique() {
                if let Some(root) = staged[0].take() {
                    staged[0] = Some(self.deduplicated(root)?);
                }
            }
            let (replaced, kept) = match (&staged[0], keyed) {
                (Some(root), true) => (
                    self.replaced_ids(&ctx, &opened[0], root).await?,
                    if self.primary_key.is_empty() {
                        Kept::All
                    } else {
                        match self.kept_ids(&ctx, &opened[0], root).await? {
                            Some(ids) => Kept::Roots(ids),
                            None => Kept::None,
                        }
                    },
                ),
                _ => (None, Kept::All),
            };
            let tag = self.tag();
            for i in (0..tables.len()).rev() {
                let table = &tables[i];
                let exists = opened[i].version().is_some();
                let rows = staged[i].take();
                if !exists && rows.is_none() {
                    continue;
                }
                let url = shared.lake.table(&plan.connector, &table.name);
                let added =
                    prepare(&shared, &ctx, &url, &table.schema, &tag, plan.adopt_table).await?;
                new_columns.extend(added.into_iter().map(|c| {
                    if i == 0 {
                        c
                    } else {
                        format!("{}.{c}", table.name)
                    }
                }));
                let rows = match rows {
                    Some(rows) => Some(without_seq(rows, &table.schema)?),
                    None => None,
                };
                if i == 0 {
                    abort_point("root");
                }
                match (disposition, keyed, i) {
                    (Disposition::Replace, _, _) => {
                        write(&shared, &ctx, &url, rows, SaveMode::Overwrite, &tag).await?;
                    }
                    (Disposition::Merge, true, 0) => {
                        self.merge_root(&shared, &ctx, &url, rows, &tag).await?;
                    }
                    (Disposition::Merge, true, _) => {
                        if let Some(ids) = &replaced {
                            delete_children(&shared, &url, ids.clone(), &tag).await?;
                        }
                        let rows = match (rows, &kept) {
                            (_, Kept::None) => None,
                            (Some(rows), Kept::Roots(kept)) => Some(
                                rows.alias("c")
                                    .and_then(|c| {
                                        c.join_on(
                                            kept.clone().alias("k")?,
                                            JoinType::LeftSemi,
                                            [side("c", ROOT_ID_COLUMN).eq(side("k", ID_COLUMN))],
                                        )
                                    })
                                    .map_err(|e| fail("selecting the child rows to load", e))?,
                            ),
                            (rows, _) => rows,
                        };
                        write(&shared, &ctx, &url, rows, SaveMode::Append, &tag).await?;
                    }
                    _ => write(&shared, &ctx, &url, rows, SaveMode::Append, &tag).await?,
                }
                let after = shared.open(&plan.connector, &table.name).await?;
                let count = count_rows(&ctx, &after).await?;
                if i == 0 {
                    table_rows = count;
                } else {
                    child_tables.push((table.name.clone(), count));
                }
            }
            child_tables.reverse();
        }
        let state = match state {
            Some(value) => Some(value.to_string()),
            None => book::state_text(&shared, &plan.connector, &plan.resource).await?,
        };
        let finished_at = crate::engine::now_rfc3339();
        book::append(
            &shared,
            &plan.connector,
            &[LoadRow {
                resource: plan.resource.clone(),
                table_name: tables[0].name.clone(),
                load_id: self.load_id.clone(),
                status: "completed".to_owned(),
                state,
                records: self.progress.records(),
                table_rows,
                started_at: self.started_at.clone(),
                finished_at: Some(finished_at),
            }],
        )
        .await?;
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

/// A test hook: a debug build aborts the process at `step` when `CONNECTOR_DELTA_ABORT`
/// names it (`root`: after the child tables' commits, before the root table's), so a test
/// can kill a commit half way at a known point. Release builds have no such hook.
fn abort_point(step: &str) {
    if cfg!(debug_assertions) && std::env::var("CONNECTOR_DELTA_ABORT").as_deref() == Ok(step) {
        std::process::abort();
    }
}

impl ResourceWriter for DeltaWriter {
    fn write_batch(&mut self, records: &[Value]) -> Result<()> {
        self.progress.write_batch(&self.plan, records, || {
            self.normalizer.push(records)?;
            for (index, batch) in self.normalizer.take_batches()? {
                self.spool
                    .stage(index, &super::columns::to_delta(&batch)?)?;
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
        let shared = Arc::clone(&self.shared);
        let result = self
            .spool
            .finish()
            .and_then(|files| shared.run(self.apply(files, state)));
        self.progress.committed(result)
    }
}

impl Drop for DeltaWriter {
    /// An abandoned load: its spool goes with it, the load is marked `failed`. A commit that
    /// failed part way left tagged commits: those are reverted first, so the tables are as
    /// the last completed load left them.
    fn drop(&mut self) {
        if self.progress.finished() {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let (plan, load_id, records) = (
            self.plan.clone(),
            self.load_id.clone(),
            self.progress.records(),
        );
        let (started_at, root) = (self.started_at.clone(), self.root.clone());
        let _ = shared.run(async {
            book::revert_load(&shared, &plan.connector, &root, &load_id).await?;
            book::append(
                &shared,
                &plan.connector,
                &[LoadRow {
                    resource: plan.resource.clone(),
                    table_name: root.clone(),
                    load_id: load_id.clone(),
                    status: "failed".to_owned(),
                    state: None,
                    records,
                    table_rows: 0,
                    started_at,
                    finished_at: Some(crate::engine::now_rfc3339()),
                }],
            )
            .await
        });
    }
}
