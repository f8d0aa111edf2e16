//! The merge side of a Delta commit: the staged root rows one per key, the root rows a merge
//! replaces (their child rows go) or inserts (their child rows come), and the Delta
//! operations that apply them: delete-insert as a MERGE that deletes and an append, upsert as
//! a MERGE that updates and inserts, insert-only as one that only inserts.

use std::sync::Arc;

use connector_spec::MergeStrategy;
use deltalake::datafusion::common::{Column, JoinType};
use deltalake::datafusion::functions_aggregate::expr_fn::max;
use deltalake::datafusion::logical_expr::{col, ident, Expr};
use deltalake::datafusion::prelude::{DataFrame, SessionContext};
use deltalake::parquet::basic::Compression;
use deltalake::parquet::file::properties::WriterProperties;
use deltalake::protocol::SaveMode;
use deltalake::DeltaTable;

use super::spool::ROW_GROUP_ROWS;
use super::tables::{frame_of, retrying, Tagged};
use super::writer::DeltaWriter;
use super::{fail, Shared};
use crate::error::Result;
use crate::normalize::{Table, ID_COLUMN, ROOT_ID_COLUMN, SEQ_COLUMN};

/// Which child rows a merge loads: those of every staged root row, of the root rows it
/// inserts, or none.
pub(super) enum Kept {
    All,
    Roots(DataFrame),
    None,
}

/// `name` of the merge's source or target side.
pub(super) fn side(alias: &str, name: &str) -> Expr {
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
    /// The root's staged rows, one per primary key (the last received wins): the rows
    /// whose staging order is the greatest of their key's. A hash aggregate of the keys and a
    /// semi-join, so only the keys are held in memory, never the rows (a window function
    /// would sort them all).
    pub(super) fn deduplicated(&self, root: DataFrame) -> Result<DataFrame> {
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
        // The keys are the build side (held in memory), the rows the probe side (streamed).
        root.alias("r")
            .and_then(|r| latest.join_on(r, JoinType::RightSemi, [on]))
            .and_then(|df| df.select(root_columns(&self.normalizer.tables()[0], true)))
            .map_err(err)
    }

    /// The ids of the root rows this merge replaces (their child rows go), materialized
    /// before any table changes.
    pub(super) async fn replaced_ids(
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
    pub(super) async fn kept_ids(
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

    /// The root table's merge: delete-insert deletes the rows matching a staged primary key
    /// (or merge key) and appends the staged rows; upsert updates matching rows and inserts
    /// the rest (Delta MERGE); insert-only inserts rows whose key is new.
    pub(super) async fn merge_root(
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
pub(super) async fn write(
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
    // delta-rs's default is Parquet's: row groups of a million rows, each buffered whole
    // before it is written, so a file's memory grew with the load.
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    retrying(shared, url, "writing the rows", |table| {
        let (rows, state, properties) = (rows.clone(), Arc::clone(&state), properties.clone());
        async move {
            let schema = table.snapshot()?.snapshot().arrow_schema();
            let mut write = table
                .write(Vec::new())
                .with_save_mode(mode)
                .with_session_state(state)
                .with_writer_properties(properties)
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
pub(super) async fn delete_children(
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
