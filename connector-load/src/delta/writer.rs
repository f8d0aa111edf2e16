//! One resource's load into Delta tables: batches are normalized and spooled; the commit
//! applies them table by table (child tables first, the root last), each as Delta commits
//! tagged with the load id, and then appends the load's `completed` row, with its state, to
//! `_connector_loads`. That row is the load's commit point: a run killed before it leaves
//! tagged commits that the next run reverts ([`super::book`]), so the state is never ahead
//! of the tables, nor the tables ahead of the state.

use std::sync::Arc;
use std::time::Instant;

use connector_spec::{Disposition, MergeStrategy};
use deltalake::datafusion::common::{Column, JoinType};
use deltalake::datafusion::functions_aggregate::expr_fn::max;
use deltalake::datafusion::logical_expr::{col, ident, Expr};
use deltalake::datafusion::prelude::{DataFrame, SessionContext};
use deltalake::protocol::SaveMode;
use deltalake::DeltaTable;
use serde_json::Value;

use super::book::{self, LoadRow};
use super::spool::{without_seq, Files, Spool};
use super::tables::{count_rows, frame_of, prepare, retrying, Tagged};
use super::{fail, Shared};
use crate::destination::ResourceWriter;
use crate::error::{Error, Result};
use crate::normalize::{Normalizer, Table, ID_COLUMN, ROOT_ID_COLUMN, SEQ_COLUMN};
use crate::plan::{LoadSummary, ResourceLoadPlan};

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
    pub(super) records: u64,
    pub(super) failed: bool,
    pub(super) finished: bool,
    pub(super) untrusted: Option<String>,
}

/// Which child rows a merge loads: those of every staged root row, of the root rows it
/// inserts, or none.
enum Kept {
    All,
    Roots(DataFrame),
    None,
}

/// What the commit needs of a normalized table.
struct Shape {
    name: String,
    schema: crate::normalize::schema::Schema,
}

/// `name` of the merge's source or target side.
fn side(alias: &str, name: &str) -> Expr {
    Expr::Column(Column::new(Some(alias), name))
}

/// `a.k = b.k AND ...` over `keys`.
fn keys_equal(a: &str, b: &str, keys: &[String]) -> Expr {
    keys.iter()
        .map(|k| side(a, k).eq(side(b, k)))
        .reduce(Expr::and)
        .expect("at least one key")
}

impl DeltaWriter {
    fn tag(&self) -> Tagged {
        Tagged::new(&self.plan, &self.load_id)
    }

    /// The root's staged rows, one per primary key (the last received wins): the rows
    /// whose staging order is the greatest of their key's. A hash aggregate of the keys and a
    /// semi-join, so only the keys are held in memory, never the rows (a window function
    /// would sort them all).
    fn deduplicated(&self, root: DataFrame) -> Result<DataFrame> {
        if self.primary_key.is_empty() {
            return Ok(root);
        }
        let err = |e| fail("deduplicating the staged rows", e);
        let last = "_connector_last";
        let latest = root
            .clone()
            .aggregate(
                self.primary_key.iter().map(ident).collect(),
                vec![max(ident(SEQ_COLUMN)).alias(last)],
            )
            .and_then(|df| df.alias("l"))
            .map_err(err)?;
        let on =
            keys_equal("r", "l", &self.primary_key).and(side("r", SEQ_COLUMN).eq(side("l", last)));
        root.alias("r")
            .and_then(|r| r.join_on(latest, JoinType::LeftSemi, [on]))
            .and_then(|df| df.select(root_columns(&self.normalizer.tables()[0], true)))
            .map_err(err)
    }

    /// The ids of the root rows this merge replaces (their child rows go), materialized
    /// before any table changes.
    async fn replaced_ids(
        &self,
        ctx: &SessionContext,
        target: &DeltaTable,
        source: &DataFrame,
    ) -> Result<Option<DataFrame>> {
        let strategy = self.plan.merge_strategy;
        if strategy == MergeStrategy::InsertOnly || target.version().is_none() {
            return Ok(None);
        }
        let target_rows = frame_of(ctx, target).await?;
        let mut ids: Option<DataFrame> = None;
        let mut key_sets = vec![self.primary_key.clone()];
        if strategy == MergeStrategy::DeleteInsert && !self.merge_key.is_empty() {
            key_sets.push(self.merge_key.clone());
        }
        for keys in key_sets.into_iter().filter(|k| !k.is_empty()) {
            let staged_keys = source
                .clone()
                .select(keys.iter().map(ident).collect::<Vec<_>>())
                .and_then(|df| df.distinct())
                .and_then(|df| df.alias("s"))
                .map_err(|e| fail("finding the rows a merge replaces", e))?;
            let matched = target_rows
                .clone()
                .alias("t")
                .and_then(|t| {
                    t.join_on(
                        staged_keys,
                        JoinType::LeftSemi,
                        [keys_equal("t", "s", &keys)],
                    )
                })
                .and_then(|df| df.select(vec![side("t", ID_COLUMN).alias(ID_COLUMN)]))
                .map_err(|e| fail("finding the rows a merge replaces", e))?;
            ids = Some(match ids {
                None => matched,
                Some(ids) => ids
                    .union(matched)
                    .map_err(|e| fail("finding the rows a merge replaces", e))?,
            });
        }
        let Some(ids) = ids else { return Ok(None) };
        materialized(ctx, ids, "finding the rows a merge replaces").await
    }

    /// The ids of the root rows this load inserts: their children are the ones to load
    /// (`None`: no root row is inserted).
    async fn kept_ids(
        &self,
        ctx: &SessionContext,
        target: &DeltaTable,
        source: &DataFrame,
    ) -> Result<Option<DataFrame>> {
        let mut kept = source.clone();
        if self.plan.merge_strategy == MergeStrategy::InsertOnly && target.version().is_some() {
            let target_keys = frame_of(ctx, target)
                .await?
                .select(self.primary_key.iter().map(ident).collect::<Vec<_>>())
                .and_then(|df| df.alias("t"))
                .map_err(|e| fail("finding the new rows", e))?;
            kept = kept
                .alias("s")
                .and_then(|s| {
                    s.join_on(
                        target_keys,
                        JoinType::LeftAnti,
                        [keys_equal("s", "t", &self.primary_key)],
                    )
                })
                .map_err(|e| fail("finding the new rows", e))?;
        }
        let ids = kept
            .select(vec![col(ID_COLUMN)])
            .map_err(|e| fail("finding the new rows", e))?;
        materialized(ctx, ids, "finding the new rows").await
    }

    /// The commit: every table, then the completion row.
    async fn apply(&self, files: Files, state: Option<Value>) -> Result<LoadSummary> {
        let plan = self.plan.clone();
        let disposition = plan.effective_disposition();
        let ctx = super::session();
        let shared = Arc::clone(&self.shared);
        let tables: Vec<Shape> = self
            .normalizer
            .tables()
            .iter()
            .map(|t| Shape {
                name: t.name.clone(),
                schema: t.schema.clone(),
            })
            .collect();
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
                (disposition, self.records, &self.untrusted)
            {
                if opened[0].version().is_some() {
                    plan.refuse_emptying(count_rows(&ctx, &opened[0]).await?, why)?;
                }
            }
            let mut staged = Vec::with_capacity(tables.len());
            for (i, table) in tables.iter().enumerate() {
                staged.push(files.frame(&ctx, i, &table.schema).await?);
            }
            if keyed && !self.primary_key.is_empty() {
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
                records: self.records,
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
            records: self.records,
            table_rows,
            child_tables,
            new_columns,
            discarded_rows,
            discarded_values,
            warnings: self.normalizer.warnings(),
            seconds: self.started.elapsed().as_secs_f64(),
        })
    }

    /// The root table's merge: delete-insert deletes the rows matching a staged primary key
    /// (or merge key) and appends the staged rows; upsert updates matching rows and inserts
    /// the rest (Delta MERGE); insert-only inserts rows whose key is new.
    async fn merge_root(
        &self,
        shared: &Shared,
        ctx: &SessionContext,
        url: &url::Url,
        rows: Option<DataFrame>,
        tag: &Tagged,
    ) -> Result<()> {
        let Some(rows) = rows else { return Ok(()) };
        let strategy = self.plan.merge_strategy;
        let columns: Vec<String> = self.normalizer.tables()[0]
            .schema
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect();
        if strategy == MergeStrategy::DeleteInsert || self.primary_key.is_empty() {
            for keys in [&self.primary_key, &self.merge_key] {
                if keys.is_empty() {
                    continue;
                }
                let source = rows
                    .clone()
                    .select(keys.iter().map(ident).collect::<Vec<_>>())
                    .and_then(DataFrame::distinct)
                    .map_err(|e| fail("merging", e))?;
                let predicate = keys_equal("target", "source", keys);
                retrying(shared, url, "deleting the rows a merge replaces", |table| {
                    let (source, predicate) = (source.clone(), predicate.clone());
                    async move {
                        table
                            .merge(source, predicate)
                            .with_source_alias("source")
                            .with_target_alias("target")
                            .with_commit_properties(tag.properties())
                            .when_matched_delete(|d| d)?
                            .await
                            .map(|_| ())
                    }
                })
                .await?;
            }
            return write(shared, ctx, url, Some(rows), SaveMode::Append, tag).await;
        }
        let predicate = keys_equal("target", "source", &self.primary_key);
        retrying(shared, url, "merging", |table| {
            let (source, predicate, columns) = (rows.clone(), predicate.clone(), columns.clone());
            async move {
                let mut merge = table
                    .merge(source, predicate)
                    .with_source_alias("source")
                    .with_target_alias("target")
                    .with_commit_properties(tag.properties());
                if strategy == MergeStrategy::Upsert {
                    let columns = columns.clone();
                    merge = merge.when_matched_update(move |u| {
                        columns.iter().fold(u, |u, c| {
                            u.update(Column::new_unqualified(c), side("source", c))
                        })
                    })?;
                }
                merge
                    .when_not_matched_insert(move |i| {
                        columns.iter().fold(i, |i, c| {
                            i.set(Column::new_unqualified(c), side("source", c))
                        })
                    })?
                    .await
                    .map(|_| ())
            }
        })
        .await
    }
}

/// `frame` computed now, into memory (before the tables it reads change); `None` when it
/// has no rows.
async fn materialized(
    ctx: &SessionContext,
    frame: DataFrame,
    what: &str,
) -> Result<Option<DataFrame>> {
    let batches = frame.collect().await.map_err(|e| fail(what, e))?;
    if batches.iter().all(|b| b.num_rows() == 0) {
        return Ok(None);
    }
    ctx.read_batches(batches)
        .map(Some)
        .map_err(|e| fail(what, e))
}

/// A test hook: a debug build aborts the process at `step` when `CONNECTOR_DELTA_ABORT`
/// names it (`root`: after the child tables' commits, before the root table's), so a test
/// can kill a commit half way at a known point. Release builds have no such hook.
fn abort_point(step: &str) {
    if cfg!(debug_assertions) && std::env::var("CONNECTOR_DELTA_ABORT").as_deref() == Ok(step) {
        std::process::abort();
    }
}

/// The root table's columns as expressions (with the staging order column first when
/// `seq`).
fn root_columns(root: &Table, seq: bool) -> Vec<Expr> {
    let mut columns: Vec<Expr> = Vec::new();
    if seq {
        columns.push(ident(SEQ_COLUMN));
    }
    columns.extend(root.schema.columns.iter().map(|c| ident(&c.name)));
    columns
}

/// Appends `rows` to the table at `url`, or replaces its rows with them (`Overwrite`; no
/// rows empties it).
async fn write(
    shared: &Shared,
    ctx: &SessionContext,
    url: &url::Url,
    rows: Option<DataFrame>,
    mode: SaveMode,
    tag: &Tagged,
) -> Result<()> {
    if rows.is_none() && mode == SaveMode::Append {
        return Ok(());
    }
    let state = Arc::new(ctx.state());
    retrying(shared, url, "writing the rows", |table| {
        let (rows, state) = (rows.clone(), Arc::clone(&state));
        async move {
            let schema = table.snapshot()?.snapshot().arrow_schema();
            let mut write = table
                .write(Vec::new())
                .with_save_mode(mode)
                .with_session_state(state)
                .with_commit_properties(tag.properties());
            match rows {
                Some(rows) => write = write.with_input_plan(rows.logical_plan().clone()),
                None => {
                    // Emptying a table: a write needs a source, an empty one will do.
                    let empty = deltalake::arrow::array::RecordBatch::new_empty(schema);
                    write = write.with_input_batches([empty]);
                }
            }
            write.await.map(|_| ())
        }
    })
    .await
}

/// Deletes the child rows whose root row a merge replaces (`ids`: their `_dlt_id`s).
async fn delete_children(
    shared: &Shared,
    url: &url::Url,
    ids: DataFrame,
    tag: &Tagged,
) -> Result<()> {
    retrying(shared, url, "deleting replaced child rows", |table| {
        let ids = ids.clone();
        async move {
            table
                .merge(
                    ids,
                    side("target", ROOT_ID_COLUMN).eq(side("source", ID_COLUMN)),
                )
                .with_source_alias("source")
                .with_target_alias("target")
                .with_commit_properties(tag.properties())
                .when_matched_delete(|d| d)?
                .await
                .map(|_| ())
        }
    })
    .await
}

impl ResourceWriter for DeltaWriter {
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
            self.normalizer.push(records).and_then(|()| {
                for (index, batch) in self.normalizer.take_batches()? {
                    self.spool
                        .stage(index, &super::columns::to_delta(&batch)?)?;
                }
                Ok(())
            })
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
        let shared = Arc::clone(&self.shared);
        let result = self
            .spool
            .finish()
            .and_then(|files| shared.run(self.apply(files, state)));
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

impl Drop for DeltaWriter {
    /// An abandoned load: its spool goes with it, the load is marked `failed`. A commit that
    /// failed part way left tagged commits: those are reverted first, so the tables are as
    /// the last completed load left them.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let (plan, load_id, records) = (self.plan.clone(), self.load_id.clone(), self.records);
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
