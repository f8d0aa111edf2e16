//! Reading and resetting what the bookkeeping tables store about a connector: each resource's
//! last load and incremental state (for `connector state`).

use serde::Serialize;
use serde_json::Value;

use super::bookkeeping::{LOADS_TABLE, STATE_TABLE};
use super::connection::text;
use crate::backend::Backend;
use crate::error::Result;
use crate::types::SqlValue;

/// One load of one resource, as `_connector_loads` records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadRecord {
    /// The run's load id.
    pub load_id: String,
    /// `running`, `completed`, `failed` or `abandoned` (a killed run, found by the next one).
    pub status: String,
    /// Destination table.
    pub table: String,
    /// When it began (RFC 3339).
    pub started_at: String,
    /// When it ended, unless running.
    pub finished_at: Option<String>,
    /// Records loaded (staged, for a load that did not complete).
    pub records: u64,
    /// Rows in the table after the load (0 unless completed).
    pub table_rows: u64,
}

/// What is stored about one resource of a connector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredResource {
    /// Resource name.
    pub resource: String,
    /// Its most recent load.
    pub last_load: Option<LoadRecord>,
    /// The incremental state committed with its last completed load: `last_value` (the
    /// cursor) and, for a child resource, `per_parent` marks. `None` when there is none.
    pub state: Option<Value>,
    /// When the state was last written.
    pub state_updated_at: Option<String>,
}

fn as_text(v: Option<&SqlValue>) -> Option<String> {
    match v {
        None | Some(SqlValue::Null) => None,
        Some(SqlValue::Text(s)) => Some(s.clone()),
        Some(other) => Some(other.to_json().to_string()),
    }
}

fn as_count(v: Option<&SqlValue>) -> u64 {
    match v {
        Some(SqlValue::Int(i)) => u64::try_from(*i).unwrap_or(0),
        _ => 0,
    }
}

/// Every resource of `connector` with a load or a state row, by name.
pub(super) fn stored_state<B: Backend>(b: &mut B, connector: &str) -> Result<Vec<StoredResource>> {
    let mut out: Vec<StoredResource> = Vec::new();
    let loads = b.query(
        &format!(
            "SELECT resource, load_id, status, table_name, started_at, finished_at, records, \
             table_rows FROM {LOADS_TABLE} WHERE connector = ? ORDER BY started_at DESC, load_id DESC"
        ),
        &[text(connector)],
    )?;
    for row in loads {
        let resource = as_text(row.first()).unwrap_or_default();
        if out.iter().any(|r| r.resource == resource) {
            continue;
        }
        out.push(StoredResource {
            resource,
            last_load: Some(LoadRecord {
                load_id: as_text(row.get(1)).unwrap_or_default(),
                status: as_text(row.get(2)).unwrap_or_default(),
                table: as_text(row.get(3)).unwrap_or_default(),
                started_at: as_text(row.get(4)).unwrap_or_default(),
                finished_at: as_text(row.get(5)),
                records: as_count(row.get(6)),
                table_rows: as_count(row.get(7)),
            }),
            state: None,
            state_updated_at: None,
        });
    }
    let states = b.query(
        &format!("SELECT resource, state, updated_at FROM {STATE_TABLE} WHERE connector = ?"),
        &[text(connector)],
    )?;
    for row in states {
        let resource = as_text(row.first()).unwrap_or_default();
        let state = as_text(row.get(1))
            .map(|raw| serde_json::from_str(&raw).unwrap_or(Value::String(raw)))
            .filter(|v| !v.is_null());
        let updated_at = as_text(row.get(2));
        match out.iter_mut().find(|r| r.resource == resource) {
            Some(entry) => {
                entry.state = state;
                entry.state_updated_at = updated_at;
            }
            None => out.push(StoredResource {
                resource,
                last_load: None,
                state,
                state_updated_at: updated_at,
            }),
        }
    }
    out.sort_by(|a, b| a.resource.cmp(&b.resource));
    Ok(out)
}

/// Clears the state of `resources` (all of `connector`'s when `None`); returns those that had
/// one.
pub(super) fn reset_state<B: Backend>(
    b: &mut B,
    connector: &str,
    resources: Option<&[String]>,
) -> Result<Vec<String>> {
    let rows = b.query(
        &format!(
            "SELECT resource FROM {STATE_TABLE} WHERE connector = ? AND state IS NOT NULL \
             ORDER BY resource"
        ),
        &[text(connector)],
    )?;
    let mut cleared = Vec::new();
    for resource in rows.iter().filter_map(|r| as_text(r.first())) {
        // A resource's shards of partitioned runs (`name#K/N`) go with it.
        let name = connector_runtime::Partition::split_key(&resource).0;
        if resources.is_some_and(|wanted| !wanted.iter().any(|w| w == name)) {
            continue;
        }
        b.execute(
            &format!("UPDATE {STATE_TABLE} SET state = NULL WHERE connector = ? AND resource = ?"),
            &[text(connector), text(&resource)],
        )?;
        cleared.push(resource);
    }
    Ok(cleared)
}
