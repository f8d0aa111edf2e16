//! The write dispositions as SQL: how the staged rows reach the final tables (append,
//! replace, merge by delete-insert or upsert, skip), the root table and its child tables
//! together: a replace empties every table of the family, a merge replaces the child rows of
//! each root row it replaces (found through `_dlt_root_id`).

use connector_spec::{Disposition, MergeOptions, MergeStrategy};

use super::staging::Staging;
use crate::backend::Backend;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::normalize::naming::Convention;
use crate::normalize::schema::{ColumnDef, Schema};
use crate::normalize::{
    Table, ID_COLUMN, ROOT_ID_COLUMN, SEQ_COLUMN, VALID_FROM_COLUMN, VALID_TO_COLUMN,
};
use crate::plan::ResourceLoadPlan;
use crate::types::LoadType;

/// The SQL pieces for moving one table's staged rows into it.
struct Moves<'a> {
    d: &'static dyn Dialect,
    table: String,
    staging: String,
    schema: &'a Schema,
}

impl Moves<'_> {
    fn list(&self) -> String {
        self.schema
            .columns
            .iter()
            .map(|c| self.d.quote(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Staged text cast to the final column types.
    fn typed(&self, columns: &[ColumnDef]) -> String {
        columns
            .iter()
            .map(|c| {
                format!(
                    "{} AS {}",
                    self.d
                        .staged_as_column(&format!("s.{}", self.d.quote(&c.name)), c.ty),
                    self.d.quote(&c.name)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `INSERT` of the rows of `source` (the staging table or a subquery over it), in the
    /// order they came, with an optional `WHERE` over `s`.
    fn insert_from(&self, source: &str, filter: &str) -> String {
        let in_order = if source == self.staging && filter.is_empty() {
            self.d.plain_insert_keeps_order()
        } else {
            self.d.inserts_in_scan_order()
        };
        let order = if in_order {
            String::new()
        } else {
            format!(" ORDER BY s.{}", self.d.quote(SEQ_COLUMN))
        };
        format!(
            "INSERT INTO {} ({}) SELECT {} FROM {source} AS s{filter}{order}",
            self.table,
            self.list(),
            self.typed(&self.schema.columns)
        )
    }

    /// The last staged row of each key, found from (key, seq) pairs alone: a window over
    /// whole rows would hold every staged row in the database's memory at once.
    fn deduplicated(&self, keys: &[String]) -> String {
        let seq = self.d.quote(SEQ_COLUMN);
        let group = keys
            .iter()
            .map(|k| self.d.quote(k))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "(SELECT * FROM {staging} WHERE {seq} IN \
             (SELECT max({seq}) FROM {staging} GROUP BY {group}))",
            staging = self.staging
        )
    }

    /// Whether two staged rows share their `keys`.
    fn has_duplicates<B: Backend>(&self, b: &mut B, keys: &[String]) -> Result<bool> {
        let group = keys
            .iter()
            .map(|k| self.d.quote(k))
            .collect::<Vec<_>>()
            .join(", ");
        let found = b.query(
            &format!(
                "SELECT 1 FROM {} GROUP BY {group} HAVING COUNT(*) > 1 LIMIT 1",
                self.staging
            ),
            &[],
        )?;
        Ok(!found.is_empty())
    }

    /// The staged values of `keys`, typed.
    fn key_source(&self, keys: &[String]) -> String {
        let columns: Vec<ColumnDef> = keys
            .iter()
            .filter_map(|k| self.schema.find(k).map(|i| self.schema.columns[i].clone()))
            .collect();
        format!(
            "(SELECT {} FROM {} AS s)",
            self.typed(&columns),
            self.staging
        )
    }
}

/// scd2's validity columns and moments, from a plan's merge options with dlt's defaults.
pub(super) struct Scd2Plan {
    /// The validity columns (after naming).
    pub(super) from: String,
    pub(super) to: String,
    /// The `to` of current rows (RFC 3339); `None`: null.
    active: Option<String>,
    /// When this load's changes take effect (RFC 3339): the boundary timestamp, or the
    /// load's start.
    boundary: String,
}

impl Scd2Plan {
    /// The plan of `options`; `Err` says which setting is unusable.
    pub(super) fn new(
        options: &MergeOptions,
        naming: Convention,
        loaded_at: &str,
    ) -> std::result::Result<Scd2Plan, String> {
        let (from, to) = match &options.validity_column_names {
            Some([from, to]) => (naming.identifier(from), naming.identifier(to)),
            None => (VALID_FROM_COLUMN.to_owned(), VALID_TO_COLUMN.to_owned()),
        };
        if from == to {
            return Err(format!(
                "scd2's validity columns must differ; both are `{from}`"
            ));
        }
        let moment = |key: &str, value: &Option<String>| match value {
            None => Ok(None),
            Some(v) => timestamp_literal(v)
                .map(Some)
                .ok_or_else(|| format!("scd2's `{key}` is not an ISO date or date-time: `{v}`")),
        };
        Ok(Scd2Plan {
            from,
            to,
            active: moment("active_record_timestamp", &options.active_record_timestamp)?,
            boundary: moment("boundary_timestamp", &options.boundary_timestamp)?
                .unwrap_or_else(|| loaded_at.to_owned()),
        })
    }
}

/// An ISO date (midnight UTC) or date-time as RFC 3339 in UTC.
fn timestamp_literal(value: &str) -> Option<String> {
    let value = value.trim();
    if let Ok(date) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Some(format!("{date}T00:00:00Z"));
    }
    match LoadType::Timestamp.convert(&serde_json::Value::String(value.to_owned())) {
        Ok(crate::types::Cell::Str(text)) => Some(text.into_owned()),
        _ => None,
    }
}

/// scd2: the current rows (`_dlt_valid_to` null) whose record is not in the load are retired
/// at `loaded_at` (only those whose merge key is in the load, when there is one); the load's
/// records that have no current row get one, valid from `loaded_at`. A row's `_dlt_id` is the
/// hash of its record, so an unchanged record keeps its row. Child rows are inserted when the
/// table does not have their id yet (a new version's children).
fn scd2<'a, B: Backend>(
    b: &mut B,
    tables: &[Table],
    present: &[usize],
    root: Option<Moves<'a>>,
    merge_key: &[String],
    plan: &Scd2Plan,
    moves: &dyn Fn(usize) -> Option<Moves<'a>>,
) -> Result<()> {
    let d = b.dialect();
    let id = d.quote(ID_COLUMN);
    let (from, to) = (d.quote(&plan.from), d.quote(&plan.to));
    // Literals made by `timestamp_literal` (RFC 3339: no quotes in them).
    let literal = |at: &str| d.cast(&format!("'{at}'"), LoadType::Timestamp);
    let at = literal(&plan.boundary);
    let (active, is_active) = match &plan.active {
        None => ("NULL".to_owned(), format!("{to} IS NULL")),
        Some(active) => (literal(active), format!("{to} = {}", literal(active))),
    };
    let table = d.quote(&tables[0].name);
    let staged_ids = match &root {
        Some(root) => format!("SELECT {id} FROM {}", root.staging),
        None => format!("SELECT {id} FROM {table} WHERE 1 = 0"),
    };
    let in_load = match (&root, merge_key.is_empty()) {
        (Some(root), false) => {
            let matches = merge_key
                .iter()
                .map(|k| format!("s.{k} = {table}.{k}", k = d.quote(k)))
                .collect::<Vec<_>>()
                .join(" AND ");
            format!(
                " AND EXISTS (SELECT 1 FROM {} AS s WHERE {matches})",
                root.key_source(merge_key)
            )
        }
        (None, false) => " AND 1 = 0".to_owned(),
        _ => String::new(),
    };
    b.execute_batch(&format!(
        "UPDATE {table} SET {to} = {at} WHERE {is_active} AND {id} NOT IN ({staged_ids}){in_load}"
    ))?;
    let Some(root) = root else {
        return Ok(());
    };
    let columns: Vec<_> = root
        .schema
        .columns
        .iter()
        .filter(|c| c.name != plan.from && c.name != plan.to)
        .cloned()
        .collect();
    let list = columns
        .iter()
        .map(|c| d.quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let once = root.deduplicated(&[ID_COLUMN.to_owned()]);
    b.execute_batch(&format!(
        "INSERT INTO {table} ({list}, {from}, {to}) SELECT {}, {at}, {active} FROM {once} AS s \
         WHERE s.{id} NOT IN (SELECT {id} FROM {table} WHERE {is_active}) ORDER BY s.{}",
        root.typed(&columns),
        d.quote(SEQ_COLUMN)
    ))?;
    for i in present.iter().copied().filter(|&i| i != 0) {
        if let Some(m) = moves(i) {
            let filter = format!(" WHERE s.{id} NOT IN (SELECT {id} FROM {})", m.table);
            b.execute_batch(&m.insert_from(&m.staging, &filter))?;
        }
    }
    Ok(())
}

/// A load's keys, as column names after naming.
pub(super) struct Keys<'a> {
    pub(super) primary: &'a [String],
    pub(super) merge: &'a [String],
    /// No two staged root rows share their primary key (the normalizer saw the keys only
    /// increase), so a merge need not look.
    pub(super) unique: bool,
}

/// Whether the plan's disposition puts every staged row into tables the load creates as it
/// is: none left out, none changed, nothing else written (so a staging table may become its
/// table).
pub(super) fn lands_as_staged(plan: &ResourceLoadPlan, tables: &[Table], keys: &Keys<'_>) -> bool {
    let known = |keys: &[String]| keys.iter().all(|k| tables[0].schema.find(k).is_some());
    may_land_as_staged(plan)
        && (plan.effective_disposition() != Disposition::Merge
            || known(keys.primary)
                && known(keys.merge)
                && (keys.primary.is_empty()
                    || keys.unique
                    || (plan.merge_options.deduplicated
                        && plan.merge_strategy == MergeStrategy::DeleteInsert)))
}

/// Whether the plan's disposition can put the staged rows in as they are at all, whatever
/// the rows: `skip` puts none, scd2 writes validity columns; a merge keeps one row per key,
/// which every staged row is when the keys are unique ([`lands_as_staged`] looks).
pub(super) fn may_land_as_staged(plan: &ResourceLoadPlan) -> bool {
    match plan.effective_disposition() {
        Disposition::Skip => false,
        Disposition::Append | Disposition::Replace => true,
        Disposition::Merge => plan.merge_strategy != MergeStrategy::Scd2,
    }
}

/// Applies the staged rows of every table of the load as the plan's disposition says.
/// `existed[i]`: whether table `i` is there at this commit with rows a merge must reach (as
/// the load began, or made since by another load). Those and the staged ones exist now (the
/// caller prepared them).
pub(super) fn apply_disposition<B: Backend>(
    b: &mut B,
    plan: &ResourceLoadPlan,
    existed: &[bool],
    tables: &[Table],
    staging: &Staging,
    keys: &Keys<'_>,
    scd2_plan: Option<&Scd2Plan>,
) -> Result<()> {
    let d = b.dialect();
    let disposition = plan.effective_disposition();
    let moves = |i: usize| {
        staging
            .tables
            .get(i)
            .and_then(Option::as_ref)
            .map(|staged| Moves {
                d,
                table: d.quote(&tables[i].name),
                staging: d.quote(&staged.name),
                schema: &tables[i].schema,
            })
    };
    let present: Vec<usize> = (0..tables.len())
        .filter(|&i| existed[i] || moves(i).is_some())
        .collect();
    let children = || present.iter().copied().filter(|&i| i != 0);
    let root = moves(0);
    let keys_known = |keys: &[String]| keys.iter().all(|k| tables[0].schema.find(k).is_some());
    let append_all = |b: &mut B, filter_children: Option<&str>| -> Result<()> {
        for i in present.iter().copied() {
            if let Some(m) = moves(i) {
                let filter = match filter_children {
                    Some(filter) if i != 0 => filter.to_owned(),
                    _ => String::new(),
                };
                b.execute_batch(&m.insert_from(&m.staging, &filter))?;
            }
        }
        Ok(())
    };
    let (pk, mk) = (keys.primary, keys.merge);
    match disposition {
        Disposition::Skip => {}
        Disposition::Replace => {
            for i in present.iter().copied() {
                b.execute_batch(&format!("DELETE FROM {}", d.quote(&tables[i].name)))?;
            }
            append_all(b, None)?;
        }
        Disposition::Append => append_all(b, None)?,
        // scd2 needs no key: a row is identified by its record.
        Disposition::Merge if plan.merge_strategy == MergeStrategy::Scd2 => {
            let Some(scd2_plan) = scd2_plan else {
                return Err(Error::InvalidPlan {
                    table: plan.table.clone(),
                    reason: "an scd2 merge began as another disposition".to_owned(),
                });
            };
            scd2(b, tables, &present, root, mk, scd2_plan, &moves)?;
        }
        Disposition::Merge if pk.is_empty() && mk.is_empty() => append_all(b, None)?,
        Disposition::Merge if !keys_known(pk) || !keys_known(mk) => {
            // A key column never seen means no staged record (every record needs its primary
            // key), so there is nothing to merge.
            if root.is_some() {
                return Err(Error::InvalidPlan {
                    table: plan.table.clone(),
                    reason: "a merge key column is in no record".to_owned(),
                });
            }
        }
        Disposition::Merge if plan.merge_strategy == MergeStrategy::InsertOnly => {
            let Some(root) = root else {
                return Ok(());
            };
            let id = d.quote(ID_COLUMN);
            let root_id = d.quote(ROOT_ID_COLUMN);
            let matches = pk
                .iter()
                .map(|k| format!("t.{k} = s.{k}", k = d.quote(k)))
                .collect::<Vec<_>>()
                .join(" AND ");
            // The first staged row of each new key; the table's rows stay as they are.
            let seq = d.quote(SEQ_COLUMN);
            let group = pk.iter().map(|k| d.quote(k)).collect::<Vec<_>>().join(", ");
            let first = format!(
                "(SELECT * FROM {staging} WHERE {seq} IN \
                 (SELECT min({seq}) FROM {staging} GROUP BY {group}))",
                staging = root.staging
            );
            let new_rows = format!(
                "(SELECT * FROM {first} AS s WHERE NOT EXISTS \
                 (SELECT 1 FROM {} AS t WHERE {matches}))",
                root.table
            );
            // Children first: once the root rows are in, they are no longer new.
            let filter = format!(" WHERE s.{root_id} IN (SELECT {id} FROM {new_rows} AS k)");
            for i in children() {
                if let Some(m) = moves(i) {
                    b.execute_batch(&m.insert_from(&m.staging, &filter))?;
                }
            }
            b.execute_batch(&root.insert_from(&new_rows, ""))?;
        }
        Disposition::Merge => {
            let Some(root) = root else {
                return Ok(()); // nothing staged: nothing to merge
            };
            let id = d.quote(ID_COLUMN);
            let root_id = d.quote(ROOT_ID_COLUMN);
            // Every staged root row is kept when no key repeats: `deduplicated` (the user says
            // so), keys that only increased, or one look at the staged keys. Most loads have
            // no duplicates, and finding the last row of each key again for the child rows
            // costs more than that look.
            let unique = pk.is_empty()
                || plan.merge_options.deduplicated
                || keys.unique
                || !root.has_duplicates(b, pk)?;
            let kept = if unique {
                root.staging.clone()
            } else {
                root.deduplicated(pk)
            };
            // Child rows of the root rows this merge replaces go first (their root rows
            // are found through the final root table, before it changes).
            // A table made by this load is empty: nothing in it to replace.
            for i in children().filter(|&i| existed[i]) {
                if tables[i].schema.find(ROOT_ID_COLUMN).is_none() {
                    continue;
                }
                let child = d.quote(&tables[i].name);
                for keys in [pk, mk] {
                    if keys.is_empty() {
                        continue;
                    }
                    let matches = keys
                        .iter()
                        .map(|k| format!("s.{k} = t.{k}", k = d.quote(k)))
                        .collect::<Vec<_>>()
                        .join(" AND ");
                    b.execute_batch(&format!(
                        "DELETE FROM {child} WHERE {root_id} IN (SELECT t.{id} FROM {} AS t \
                         WHERE EXISTS (SELECT 1 FROM {} AS s WHERE {matches}))",
                        root.table,
                        root.key_source(keys)
                    ))?;
                }
            }
            // An upsert updates `_dlt_id` too, so the new child rows link to the row.
            let upsert = plan.merge_strategy == MergeStrategy::Upsert;
            if upsert {
                let names = root.schema.names();
                let seq = d.quote(SEQ_COLUMN);
                let source = format!(
                    "(SELECT s.{seq}, {} FROM {} AS s)",
                    root.typed(&root.schema.columns),
                    kept
                );
                for statement in d.upsert_sql(&root.table, &source, pk, &names, SEQ_COLUMN) {
                    b.execute_batch(&statement)?;
                }
            } else {
                for keys in [pk, mk] {
                    if !keys.is_empty() && existed[0] {
                        b.execute_batch(&d.delete_matching_sql(
                            &root.table,
                            &root.key_source(keys),
                            keys,
                        ))?;
                    }
                }
                b.execute_batch(&root.insert_from(&kept, ""))?;
            }
            // The children of the root rows kept (a duplicate's children go with it).
            let filter = if unique {
                String::new()
            } else {
                format!(" WHERE s.{root_id} IN (SELECT {id} FROM {kept} AS k)")
            };
            for i in children() {
                if let Some(m) = moves(i) {
                    b.execute_batch(&m.insert_from(&m.staging, &filter))?;
                }
            }
        }
    }
    Ok(())
}
