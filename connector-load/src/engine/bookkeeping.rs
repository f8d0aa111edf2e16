//! The loader's own tables: every load (`_connector_loads`), each resource's incremental state
//! (`_connector_state`), each loaded table's column types (`_connector_columns`) and which
//! tables are child tables of which (`_connector_tables`).

use std::collections::HashMap;

use connector_spec::Disposition;

use super::connection::{now_rfc3339, text};
use crate::backend::Backend;
use crate::error::Result;
use crate::normalize::schema::Schema;
use crate::plan::ResourceLoadPlan;
use crate::types::{LoadType, SqlValue};

/// Table recording every load: id, connector, resource, times, counts, status.
pub const LOADS_TABLE: &str = "_connector_loads";
/// Table holding each resource's incremental state and last run counts.
pub const STATE_TABLE: &str = "_connector_state";
/// Table recording each loaded table's column types.
pub const COLUMNS_TABLE: &str = "_connector_columns";
/// Table holding each connector's run lock: who loads into this destination now.
pub const LOCKS_TABLE: &str = "_connector_locks";
/// Table recording each loaded table's parent and root table (child tables of nested lists).
pub const TABLES_TABLE: &str = "_connector_tables";

/// Creates the bookkeeping tables when missing.
pub(super) fn create_meta_tables<B: Backend>(b: &mut B) -> Result<()> {
    let d = b.dialect();
    let text = d.column_type(LoadType::Text);
    let int = d.column_type(LoadType::Bigint);
    let ts = d.column_type(LoadType::Timestamp);
    let boolean = d.column_type(LoadType::Bool);
    let json = d.json_type();
    b.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {LOADS_TABLE} (load_id {text}, connector {text}, resource {text}, \
         table_name {text}, disposition {text}, status {text}, started_at {ts}, finished_at {ts}, \
         records {int}, table_rows {int});
         CREATE TABLE IF NOT EXISTS {STATE_TABLE} (connector {text}, resource {text}, state {json}, \
         updated_at {ts}, last_load_id {text}, last_records {int}, table_rows {int});
         CREATE TABLE IF NOT EXISTS {COLUMNS_TABLE} (table_name {text}, column_name {text}, \
         data_type {text}, \"precision\" {int}, scale {int}, nullable {boolean});
         CREATE TABLE IF NOT EXISTS {LOCKS_TABLE} (connector {text}, load_id {text}, pid {int}, \
         host {text}, started_at {ts});
         CREATE TABLE IF NOT EXISTS {TABLES_TABLE} (table_name {text}, parent_table {text}, \
         root_table {text});"
    ))
}

/// The stored state of one resource, as JSON text.
pub(super) fn read_state<B: Backend>(
    b: &mut B,
    connector: &str,
    resource: &str,
) -> Result<Option<String>> {
    let rows = b.query(
        &format!("SELECT state FROM {STATE_TABLE} WHERE connector = ? AND resource = ?"),
        &[text(connector), text(resource)],
    )?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|row| match row.into_iter().next() {
            Some(SqlValue::Text(s)) => Some(s),
            _ => None,
        }))
}

/// Replaces one resource's state row: its state (JSON text), when, and the load's counts.
pub(super) fn write_state<B: Backend>(
    b: &mut B,
    plan: &ResourceLoadPlan,
    state: Option<String>,
    updated_at: &str,
    load_id: &str,
    records: u64,
    table_rows: u64,
) -> Result<()> {
    let d = b.dialect();
    let keys = [text(&plan.connector), text(&plan.resource)];
    b.execute(
        &format!("DELETE FROM {STATE_TABLE} WHERE connector = ? AND resource = ?"),
        &keys,
    )?;
    b.execute(
        &format!(
            "INSERT INTO {STATE_TABLE} (connector, resource, state, updated_at, last_load_id, last_records, \
             table_rows) VALUES (?, ?, {}, {}, ?, ?, ?)",
            d.cast("?", LoadType::Json),
            d.cast("?", LoadType::Timestamp)
        ),
        &[
            text(&plan.connector),
            text(&plan.resource),
            state.map_or(SqlValue::Null, SqlValue::Text),
            text(updated_at),
            text(load_id),
            SqlValue::Int(clamp(records)),
            SqlValue::Int(clamp(table_rows)),
        ],
    )?;
    Ok(())
}

/// The column types `table`'s last commit recorded, by lowercase column name.
pub(super) fn recorded_columns<B: Backend>(
    b: &mut B,
    table: &str,
) -> Result<HashMap<String, LoadType>> {
    Ok(b
        .query(
            &format!("SELECT column_name, data_type, \"precision\", scale FROM {COLUMNS_TABLE} WHERE table_name = ?"),
            &[text(table)],
        )?
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [SqlValue::Text(name), SqlValue::Text(ty), precision, scale] => {
                let num = |v: &SqlValue| match v {
                    SqlValue::Int(i) => u32::try_from(*i).ok(),
                    _ => None,
                };
                LoadType::from_name(ty, num(precision), num(scale)).map(|t| (name.to_lowercase(), t))
            }
            _ => None,
        })
        .collect())
}

/// Records `schema` as `table`'s column types, replacing what was recorded before.
pub(super) fn record_columns<B: Backend>(b: &mut B, table: &str, schema: &Schema) -> Result<()> {
    let table = text(table);
    b.execute(
        &format!("DELETE FROM {COLUMNS_TABLE} WHERE table_name = ?"),
        std::slice::from_ref(&table),
    )?;
    for column in &schema.columns {
        let (precision, scale) = match column.ty {
            LoadType::Decimal { precision, scale } => {
                (SqlValue::Int(precision.into()), SqlValue::Int(scale.into()))
            }
            _ => (SqlValue::Null, SqlValue::Null),
        };
        b.execute(
            &format!(
                "INSERT INTO {COLUMNS_TABLE} (table_name, column_name, data_type, \"precision\", scale, nullable) \
                 VALUES (?, ?, ?, ?, ?, ?)"
            ),
            &[
                table.clone(),
                text(&column.name),
                text(column.ty.name()),
                precision,
                scale,
                SqlValue::Bool(column.nullable),
            ],
        )?;
    }
    Ok(())
}

/// Records that `table` is a table of `root`'s family (`parent`: `None` for the root).
pub(super) fn register_table<B: Backend>(
    b: &mut B,
    table: &str,
    parent: Option<&str>,
    root: &str,
) -> Result<()> {
    b.execute(
        &format!("DELETE FROM {TABLES_TABLE} WHERE table_name = ?"),
        &[text(table)],
    )?;
    b.execute(
        &format!(
            "INSERT INTO {TABLES_TABLE} (table_name, parent_table, root_table) VALUES (?, ?, ?)"
        ),
        &[text(table), parent.map_or(SqlValue::Null, text), text(root)],
    )?;
    Ok(())
}

/// The child tables of `root` recorded by earlier loads, as (table, parent), each after its
/// parent.
pub(super) fn child_tables<B: Backend>(b: &mut B, root: &str) -> Result<Vec<(String, String)>> {
    let mut tables: Vec<(String, String)> = b
        .query(
            &format!(
                "SELECT table_name, parent_table FROM {TABLES_TABLE} \
                 WHERE root_table = ? AND parent_table IS NOT NULL"
            ),
            &[text(root)],
        )?
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [SqlValue::Text(table), SqlValue::Text(parent)] => {
                Some((table.clone(), parent.clone()))
            }
            _ => None,
        })
        .collect();
    // A child's name extends its parent's, so shorter names come first.
    tables.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
    Ok(tables)
}

/// Records a load as `running`, with no records yet.
pub(super) fn record_load_started<B: Backend>(
    b: &mut B,
    plan: &ResourceLoadPlan,
    load_id: &str,
    started_at: &str,
) -> Result<()> {
    let d = b.dialect();
    b.execute(
        &format!(
            "INSERT INTO {LOADS_TABLE} (load_id, connector, resource, table_name, disposition, \
             status, started_at, records, table_rows) VALUES (?, ?, ?, ?, ?, 'running', {}, 0, 0)",
            d.cast("?", LoadType::Timestamp)
        ),
        &[
            text(load_id),
            text(&plan.connector),
            text(&plan.resource),
            text(&plan.table),
            text(plan.disposition.as_str()),
            text(started_at),
        ],
    )?;
    Ok(())
}

/// Marks a load `completed`, with its counts and the disposition it applied.
pub(super) fn record_load_completed<B: Backend>(
    b: &mut B,
    plan: &ResourceLoadPlan,
    load_id: &str,
    finished_at: &str,
    disposition: Disposition,
    records: u64,
    table_rows: u64,
) -> Result<()> {
    let d = b.dialect();
    b.execute(
        &format!(
            "UPDATE {LOADS_TABLE} SET status = 'completed', finished_at = {}, records = ?, table_rows = ?, \
             disposition = ? WHERE load_id = ? AND connector = ? AND resource = ?",
            d.cast("?", LoadType::Timestamp)
        ),
        &[
            text(finished_at),
            SqlValue::Int(clamp(records)),
            SqlValue::Int(clamp(table_rows)),
            text(disposition.as_str()),
            text(load_id),
            text(&plan.connector),
            text(&plan.resource),
        ],
    )?;
    Ok(())
}

/// Marks a load `failed` now, with the records it had staged.
pub(super) fn record_load_failed<B: Backend>(
    b: &mut B,
    plan: &ResourceLoadPlan,
    load_id: &str,
    records: u64,
) -> Result<()> {
    let d = b.dialect();
    b.execute(
        &format!(
            "UPDATE {LOADS_TABLE} SET status = 'failed', finished_at = {}, records = ? \
             WHERE load_id = ? AND connector = ? AND resource = ?",
            d.cast("?", LoadType::Timestamp)
        ),
        &[
            text(&now_rfc3339()),
            SqlValue::Int(clamp(records)),
            text(load_id),
            text(&plan.connector),
            text(&plan.resource),
        ],
    )?;
    Ok(())
}

/// A count as an SQL integer (saturating; no load comes near).
fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
