//! `_connector_load_log`, the append-only Delta table of a connector's loads and states, and
//! the revert of a load that never completed.
//!
//! A Delta commit covers one table, and a load writes several (the root, its child tables).
//! So every commit of a load is tagged with its load id, and the load's `completed` row,
//! holding the incremental state, is appended to the log last: the state a run
//! starts from is always the one committed with the data it describes. A load that stopped
//! between its first tagged commit and that row (an error, a kill) is reverted: each tagged
//! commit is undone by a commit that removes the files it added and restores the files it
//! removed, newest first. Delta keeps removed files until a vacuum, so this is exact.

use std::collections::HashMap;
use std::sync::Arc;

use deltalake::arrow::array::{Array, Int64Array, RecordBatch, StringArray};
use deltalake::arrow::datatypes::{DataType, Field, Schema as ArrowSchema};
use deltalake::kernel::transaction::CommitBuilder;
use deltalake::kernel::{Action, Add, Remove};
use deltalake::protocol::{DeltaOperation, SaveMode};
use serde_json::{json, Value};

use super::tables::{frame_of, retrying, Tagged, LOAD_KEY};
use super::{fail, Shared};
use crate::engine::{LOADS_TABLE, STATE_TABLE};
use crate::error::Result;

/// The load log's table. A row is appended when a load starts, ends or has its state reset;
/// `_connector_loads` and `_connector_state` are views of it ([`views`]).
pub(super) const LOG: &str = "_connector_load_log";

/// The commit metadata key of a revert: the version it undoes.
const REVERTS_KEY: &str = "connector.reverts";

/// Commits looked at, newest first, for the commits of a load to revert.
const HISTORY_DEPTH: usize = 1000;

/// One row of `_connector_loads`: a load of one resource starting, or how it ended, or a
/// state reset (`state_reset`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LoadRow {
    pub(super) resource: String,
    pub(super) table_name: String,
    pub(super) load_id: String,
    /// `running`, `completed`, `failed`, `abandoned` or `state_reset`.
    pub(super) status: String,
    /// The incremental state (JSON text) from this load on, for `completed` rows.
    pub(super) state: Option<String>,
    pub(super) records: u64,
    pub(super) table_rows: u64,
    pub(super) started_at: String,
    pub(super) finished_at: Option<String>,
}

impl LoadRow {
    /// When the row was written: rows of one resource sort by it.
    pub(super) fn at(&self) -> &str {
        self.finished_at.as_deref().unwrap_or(&self.started_at)
    }
}

const TEXT: [&str; 7] = [
    "resource",
    "table_name",
    "load_id",
    "status",
    "state",
    "started_at",
    "finished_at",
];

fn schema() -> Arc<ArrowSchema> {
    let mut fields: Vec<Field> = TEXT
        .iter()
        .map(|name| Field::new(*name, DataType::Utf8, true))
        .collect();
    fields.push(Field::new("records", DataType::Int64, true));
    fields.push(Field::new("table_rows", DataType::Int64, true));
    Arc::new(ArrowSchema::new(fields))
}

/// Appends `rows` to `connector`'s load log (created by the first append).
pub(super) async fn append(shared: &Shared, connector: &str, rows: &[LoadRow]) -> Result<()> {
    let text = |f: fn(&LoadRow) -> Option<&str>| -> Arc<dyn Array> {
        Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>()))
    };
    let count = |f: fn(&LoadRow) -> u64| -> Arc<dyn Array> {
        Arc::new(Int64Array::from(
            rows.iter()
                .map(|r| i64::try_from(f(r)).unwrap_or(i64::MAX))
                .collect::<Vec<_>>(),
        ))
    };
    let batch = RecordBatch::try_new(
        schema(),
        vec![
            text(|r| Some(&r.resource)),
            text(|r| Some(&r.table_name)),
            text(|r| Some(&r.load_id)),
            text(|r| Some(&r.status)),
            text(|r| r.state.as_deref()),
            text(|r| Some(&r.started_at)),
            text(|r| r.finished_at.as_deref()),
            count(|r| r.records),
            count(|r| r.table_rows),
        ],
    )
    .map_err(|e| fail("recording a load", e))?;
    let url = shared.lake.table(connector, LOG);
    let tag = rows
        .first()
        .map(|r| Tagged::of(connector, &r.resource, &r.load_id));
    retrying(shared, &url, "recording a load", |table| {
        let (batch, tag) = (batch.clone(), tag.clone());
        async move {
            let mut write = table.write(vec![batch]).with_save_mode(SaveMode::Append);
            if let Some(tag) = tag {
                write = write.with_commit_properties(tag.properties());
            }
            write.await.map(|_| ())
        }
    })
    .await
}

/// Every row of `connector`'s load log, in no particular order.
pub(super) async fn rows(shared: &Shared, connector: &str) -> Result<Vec<LoadRow>> {
    let table = shared.open(connector, LOG).await?;
    if table.version().is_none() {
        return Ok(Vec::new());
    }
    let ctx = super::session();
    let batches = frame_of(&ctx, &table)
        .await?
        .collect()
        .await
        .map_err(|e| fail("reading _connector_loads", e))?;
    let mut out = Vec::new();
    for batch in batches {
        // DataFusion reads strings as `Utf8View`.
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| deltalake::arrow::compute::cast(c, &DataType::Utf8).ok())
                .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
        };
        let count = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>().cloned())
        };
        let columns: Vec<Option<StringArray>> = TEXT.iter().map(|n| text(n)).collect();
        let (records, table_rows) = (count("records"), count("table_rows"));
        let at = |i: usize, row: usize| -> Option<String> {
            columns[i]
                .as_ref()
                .filter(|c| !c.is_null(row))
                .map(|c| c.value(row).to_owned())
        };
        let number = |c: &Option<Int64Array>, row: usize| {
            c.as_ref()
                .filter(|c| !c.is_null(row))
                .map_or(0, |c| u64::try_from(c.value(row)).unwrap_or(0))
        };
        for row in 0..batch.num_rows() {
            out.push(LoadRow {
                resource: at(0, row).unwrap_or_default(),
                table_name: at(1, row).unwrap_or_default(),
                load_id: at(2, row).unwrap_or_default(),
                status: at(3, row).unwrap_or_default(),
                state: at(4, row),
                started_at: at(5, row).unwrap_or_default(),
                finished_at: at(6, row),
                records: number(&records, row),
                table_rows: number(&table_rows, row),
            });
        }
    }
    Ok(out)
}

/// `CREATE VIEW` statements of `_connector_loads` (each load's latest row) and
/// `_connector_state` (each resource's [`state_row`]) over the logs of `connectors` (each
/// registered as `"connector"."_connector_load_log"`), with the SQL destinations' columns.
pub(super) fn views(connectors: &[&String]) -> Vec<String> {
    if connectors.is_empty() {
        return Vec::new();
    }
    let quote = |c: &str| (c.replace('\'', "''"), c.replace('"', "\"\""));
    let loads: Vec<String> = connectors
        .iter()
        .map(|c| {
            let (text, name) = quote(c);
            format!(
                "SELECT load_id, '{text}' AS connector, resource, table_name, status, \
                 started_at, finished_at, records, table_rows FROM (SELECT *, ROW_NUMBER() \
                 OVER (PARTITION BY load_id, resource ORDER BY COALESCE(finished_at, \
                 started_at) DESC, CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS _rank \
                 FROM \"{name}\".{LOG} WHERE status <> 'state_reset') WHERE _rank = 1"
            )
        })
        .collect();
    let states: Vec<String> = connectors
        .iter()
        .map(|c| {
            let (text, name) = quote(c);
            format!(
                "SELECT '{text}' AS connector, resource, state, finished_at AS updated_at, \
                 load_id AS last_load_id, records AS last_records, table_rows FROM (SELECT *, \
                 ROW_NUMBER() OVER (PARTITION BY resource ORDER BY finished_at DESC) AS _rank \
                 FROM \"{name}\".{LOG} WHERE status IN ('completed', 'state_reset')) \
                 WHERE _rank = 1"
            )
        })
        .collect();
    vec![
        format!("CREATE VIEW {LOADS_TABLE} AS {}", loads.join(" UNION ALL ")),
        format!(
            "CREATE VIEW {STATE_TABLE} AS {}",
            states.join(" UNION ALL ")
        ),
    ]
}

/// The row that decides `resource`'s state: its latest `completed` or `state_reset` row.
pub(super) fn state_row<'a>(rows: &'a [LoadRow], resource: &str) -> Option<&'a LoadRow> {
    rows.iter()
        .filter(|r| {
            r.resource == resource && matches!(r.status.as_str(), "completed" | "state_reset")
        })
        .max_by(|a, b| a.at().cmp(b.at()))
}

/// `resource`'s state as stored (JSON text), if any.
pub(super) async fn state_text(
    shared: &Shared,
    connector: &str,
    resource: &str,
) -> Result<Option<String>> {
    let rows = rows(shared, connector).await?;
    Ok(state_row(&rows, resource).and_then(|r| r.state.clone()))
}

/// The tables of a root table `root`: itself and its child tables (`root__...`) that exist.
pub(super) async fn table_family(
    shared: &Shared,
    connector: &str,
    root: &str,
) -> Result<Vec<String>> {
    let mut names = vec![root.to_owned()];
    let prefix = format!("{root}__");
    names.extend(
        shared
            .table_names(connector)
            .await?
            .into_iter()
            .filter(|n| n.starts_with(&prefix)),
    );
    Ok(names)
}

/// Reverts every commit of `load_id` in the tables of `root`; returns the tables changed.
pub(super) async fn revert_load(
    shared: &Shared,
    connector: &str,
    root: &str,
    load_id: &str,
) -> Result<Vec<String>> {
    let mut reverted = Vec::new();
    for name in table_family(shared, connector, root).await? {
        let url = shared.lake.table(connector, &name);
        let table = shared.open_url(&url).await?;
        if table.version().is_none() {
            continue;
        }
        let versions = commit_versions(&table, load_id).await?;
        if versions.is_empty() {
            continue;
        }
        for version in versions {
            revert_commit(shared, &url, version, load_id).await?;
        }
        reverted.push(name);
    }
    Ok(reverted)
}

/// The versions of the commits of `load_id` among the last [`HISTORY_DEPTH`], newest first,
/// read from the log itself.
async fn commit_versions(table: &deltalake::DeltaTable, load_id: &str) -> Result<Vec<u64>> {
    let Some(latest) = table.version() else {
        return Ok(Vec::new());
    };
    let store = table.log_store();
    let mut versions = Vec::new();
    // Commits reverted already (by a run that recovered the load before) are left alone.
    let mut reverted = Vec::new();
    let oldest = latest.saturating_sub(HISTORY_DEPTH as u64);
    for version in (oldest..=latest).rev() {
        let Some(bytes) = store
            .read_commit_entry(version)
            .await
            .map_err(|e| fail("reading a table's log", e))?
        else {
            continue;
        };
        for action in actions(&bytes) {
            let Action::CommitInfo(info) = action else {
                continue;
            };
            if info.info.get(LOAD_KEY).and_then(Value::as_str) != Some(load_id) {
                continue;
            }
            match info.info.get(REVERTS_KEY).and_then(Value::as_u64) {
                Some(undone) => reverted.push(undone),
                None => versions.push(version),
            }
        }
    }
    versions.retain(|v| !reverted.contains(v));
    Ok(versions)
}

/// The actions of one commit file.
fn actions(bytes: &[u8]) -> impl Iterator<Item = Action> + '_ {
    bytes
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .filter_map(|line| serde_json::from_slice::<Action>(line).ok())
}

/// Undoes commit `version` of the table at `url` with a new commit.
async fn revert_commit(shared: &Shared, url: &url::Url, version: u64, load_id: &str) -> Result<()> {
    let table = shared.open_url(url).await?;
    let Some(bytes) = table
        .log_store()
        .read_commit_entry(version)
        .await
        .map_err(|e| fail("reading a table's log", e))?
    else {
        return Ok(());
    };
    let now = chrono::Utc::now().timestamp_millis();
    let mut undo = Vec::new();
    for action in actions(&bytes) {
        match action {
            Action::Add(add) => {
                let remove: Remove = serde_json::from_value(json!({
                    "path": add.path,
                    "deletionTimestamp": now,
                    "dataChange": true,
                    "extendedFileMetadata": true,
                    "partitionValues": add.partition_values,
                    "size": add.size,
                }))
                .map_err(|e| fail("reverting a commit", e))?;
                undo.push(Action::Remove(remove));
            }
            Action::Remove(remove) => {
                let add: Add = serde_json::from_value(json!({
                    "path": remove.path,
                    "partitionValues": remove.partition_values.unwrap_or_default(),
                    "size": remove.size.unwrap_or_default(),
                    "modificationTime": now,
                    "dataChange": true,
                }))
                .map_err(|e| fail("reverting a commit", e))?;
                undo.push(Action::Add(add));
            }
            _ => {}
        }
    }
    if undo.is_empty() {
        return Ok(());
    }
    let mut metadata: HashMap<String, Value> = HashMap::new();
    metadata.insert(LOAD_KEY.to_owned(), json!(load_id));
    metadata.insert(REVERTS_KEY.to_owned(), json!(version));
    tracing::warn!(table = %url, "reverting version {version}, a commit of load {load_id}, which did not complete");
    let snapshot = table
        .snapshot()
        .map_err(|e| fail("reverting a commit", e))?;
    CommitBuilder::default()
        .with_actions(undo)
        .with_app_metadata(metadata)
        .build(
            Some(snapshot),
            table.log_store(),
            DeltaOperation::Delete {
                predicate: Some(format!("revert of version {version} (load {load_id})")),
            },
        )
        .await
        .map_err(|e| fail("reverting a commit", e))?;
    Ok(())
}
