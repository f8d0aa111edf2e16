//! The write path both databases share: staging tables, schema evolution, dispositions,
//! state and load bookkeeping. Only the [`Backend`] (driver calls) and its [`Dialect`] (SQL
//! spelling) differ per database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use chrono::{SecondsFormat, Utc};
use connector_spec::{Disposition, MergeStrategy};
use serde_json::Value;

use crate::backend::Backend;
use crate::destination::{Destination, ResourceWriter};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::plan::{disposition_name, new_load_id, LoadSummary, ResourceLoadPlan};
use crate::types::{json_type_name, LoadType, SqlValue};

/// Column holding the load id of each row (dlt's `_dlt_load_id`).
pub const LOAD_ID_COLUMN: &str = "_connector_load_id";
/// Column holding when each row was loaded.
pub const LOADED_AT_COLUMN: &str = "_connector_loaded_at";
/// Table recording every load: id, connector, resource, times, counts, status.
pub const LOADS_TABLE: &str = "_connector_loads";
/// Table holding each resource's incremental state and last run counts.
pub const STATE_TABLE: &str = "_connector_state";
/// Table recording each loaded table's column types.
pub const COLUMNS_TABLE: &str = "_connector_columns";
/// Staging column ordering records, so duplicates resolve last-wins.
const SEQ_COLUMN: &str = "_connector_seq";

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

fn create_meta_tables<B: Backend>(b: &mut B) -> Result<()> {
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
         data_type {text}, \"precision\" {int}, scale {int}, nullable {boolean});"
    ))
}

/// Locks the connection; after a panic elsewhere, rolls back whatever transaction the
/// panicking thread left open.
fn lock<B: Backend>(conn: &Mutex<B>) -> MutexGuard<'_, B> {
    match conn.lock() {
        Ok(guard) => guard,
        Err(poisoned) => {
            conn.clear_poison();
            let mut guard = poisoned.into_inner();
            let _ = guard.execute_batch("ROLLBACK");
            guard
        }
    }
}

fn in_transaction<B: Backend, T>(b: &mut B, f: impl FnOnce(&mut B) -> Result<T>) -> Result<T> {
    b.execute_batch(b.dialect().begin_sql())?;
    match f(b).and_then(|value| b.execute_batch("COMMIT").map(|()| value)) {
        Ok(value) => Ok(value),
        Err(e) => {
            let _ = b.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

/// One column as the loader knows it.
#[derive(Debug, Clone)]
struct ColumnDef {
    name: String,
    ty: LoadType,
    nullable: bool,
}

/// Columns by position, found case-insensitively (both databases fold identifier case).
#[derive(Debug, Default, Clone)]
struct Schema {
    columns: Vec<ColumnDef>,
    by_name: HashMap<String, usize>,
}

impl Schema {
    /// The column named `name`, case-insensitively (as both databases compare names).
    fn find(&self, name: &str) -> Option<usize> {
        // Called for every field of every record: most names are lowercase already, and
        // looking them up as they are saves an allocation each.
        if name
            .bytes()
            .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
        {
            self.by_name.get(&name.to_lowercase()).copied()
        } else {
            self.by_name.get(name).copied()
        }
    }

    fn push(&mut self, column: ColumnDef) -> usize {
        let index = self.columns.len();
        self.by_name.insert(column.name.to_lowercase(), index);
        self.columns.push(column);
        index
    }

    fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }
}

/// The columns `table` has in the database, typed from the schema table when it records them.
fn existing_columns<B: Backend>(b: &mut B, table: &str) -> Result<Schema> {
    let d = b.dialect();
    let physical = b.query(d.list_columns_sql(), &[text(table)])?;
    let mut schema = Schema::default();
    if physical.is_empty() {
        return Ok(schema);
    }
    let recorded: HashMap<String, LoadType> = b
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
        .collect();
    for row in physical {
        if let [SqlValue::Text(name), db_type, ..] = row.as_slice() {
            let db_type = match db_type {
                SqlValue::Text(t) => t.as_str(),
                _ => "",
            };
            let ty = recorded
                .get(&name.to_lowercase())
                .copied()
                .unwrap_or_else(|| d.logical_type(db_type));
            schema.push(ColumnDef {
                name: name.clone(),
                ty,
                nullable: true,
            });
        }
    }
    Ok(schema)
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
        let mut schema = existing_columns(&mut *conn, &plan.table)?;
        for (name, column) in &plan.columns {
            let declared = LoadType::from_column(column);
            let nullable = column.nullable.unwrap_or(true);
            match schema.find(name) {
                Some(i) if schema.columns[i].ty != declared => {
                    return Err(Error::SchemaConflict {
                        table: plan.table.clone(),
                        column: name.clone(),
                        declared: declared.to_string(),
                        existing: schema.columns[i].ty.to_string(),
                    })
                }
                Some(i) => schema.columns[i].nullable = nullable,
                None => {
                    schema.push(ColumnDef {
                        name: name.clone(),
                        ty: declared,
                        nullable,
                    });
                }
            }
        }
        for key in &plan.primary_key {
            if let Some(i) = schema.find(key) {
                schema.columns[i].nullable = false;
            }
        }
        for (name, ty) in [
            (LOAD_ID_COLUMN, LoadType::Text),
            (LOADED_AT_COLUMN, LoadType::Timestamp),
        ] {
            if schema.find(name).is_none() {
                schema.push(ColumnDef {
                    name: name.to_owned(),
                    ty,
                    nullable: true,
                });
            }
        }
        let load_id = plan.load_id.clone().unwrap_or_else(new_load_id);
        let loaded_at = now_rfc3339();
        let staging = format!("_connector_staging__{}__{}", plan.connector, plan.resource);
        let d = conn.dialect();
        in_transaction(&mut *conn, |b| {
            if plan.disposition != Disposition::Skip {
                let mut columns = vec![format!(
                    "{} {}",
                    d.quote(SEQ_COLUMN),
                    d.column_type(LoadType::Bigint)
                )];
                columns.extend(
                    schema
                        .columns
                        .iter()
                        .map(|c| format!("{} {}", d.quote(&c.name), d.staging_type(c.ty))),
                );
                let staging = d.quote(&staging);
                b.execute_batch(&format!(
                    "DROP TABLE IF EXISTS {staging}; CREATE TABLE {staging} ({});",
                    columns.join(", ")
                ))?;
            }
            b.execute(
                &format!(
                    "INSERT INTO {LOADS_TABLE} (load_id, connector, resource, table_name, disposition, \
                     status, started_at, records, table_rows) VALUES (?, ?, ?, ?, ?, 'running', {}, 0, 0)",
                    d.cast("?", LoadType::Timestamp)
                ),
                &[
                    text(&load_id),
                    text(&plan.connector),
                    text(&plan.resource),
                    text(&plan.table),
                    text(disposition_name(plan.disposition)),
                    text(&loaded_at),
                ],
            )?;
            Ok(())
        })?;
        drop(conn);
        let staged_columns = schema.columns.len();
        Ok(Box::new(SqlWriter {
            conn: Arc::clone(&self.conn),
            plan: plan.clone(),
            load_id,
            loaded_at,
            started: Instant::now(),
            staging,
            schema,
            staged_columns,
            seq: 0,
            records: 0,
            failed: false,
            finished: false,
        }))
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

fn read_state<B: Backend>(b: &mut B, connector: &str, resource: &str) -> Result<Option<String>> {
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

/// The writer of one resource's load.
struct SqlWriter<B: Backend> {
    conn: Arc<Mutex<B>>,
    plan: ResourceLoadPlan,
    load_id: String,
    loaded_at: String,
    started: Instant,
    /// Unquoted staging table name.
    staging: String,
    /// Every column of the load: the table's, the declared, the evolved and the metadata.
    schema: Schema,
    /// How many of `schema`'s columns the staging table has.
    staged_columns: usize,
    seq: i64,
    records: u64,
    failed: bool,
    finished: bool,
}

/// A value shortened for an error message.
fn excerpt(value: &Value) -> String {
    let full = value.to_string();
    match full.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &full[..cut]),
        None => full,
    }
}

impl<B: Backend> SqlWriter<B> {
    /// Turns records into staging rows (`_connector_seq` first, then `schema` order), adding
    /// columns for fields seen for the first time.
    fn convert(&mut self, records: &[Value]) -> Result<Vec<Vec<SqlValue>>> {
        let table = &self.plan.table;
        let load_id_at = self.schema.find(LOAD_ID_COLUMN);
        let loaded_at_at = self.schema.find(LOADED_AT_COLUMN);
        let mut rows = Vec::with_capacity(records.len());
        for record in records {
            let object = record.as_object().ok_or_else(|| Error::NotAnObject {
                table: table.clone(),
                found: json_type_name(record),
            })?;
            let mut row = vec![SqlValue::Null; 1 + self.schema.columns.len()];
            self.seq += 1;
            row[0] = SqlValue::Int(self.seq);
            if let Some(i) = load_id_at {
                row[1 + i] = text(&self.load_id);
            }
            if let Some(i) = loaded_at_at {
                row[1 + i] = text(&self.loaded_at);
            }
            for (name, value) in object {
                if name == LOAD_ID_COLUMN || name == LOADED_AT_COLUMN {
                    continue;
                }
                let index = match self.schema.find(name) {
                    Some(index) => index,
                    None => match LoadType::infer(value) {
                        None => continue,
                        Some(ty) => {
                            row.push(SqlValue::Null);
                            self.schema.push(ColumnDef {
                                name: name.clone(),
                                ty,
                                nullable: true,
                            })
                        }
                    },
                };
                let column = &self.schema.columns[index];
                row[1 + index] = column
                    .ty
                    .convert(value)
                    .map_err(|found| Error::TypeConflict {
                        table: table.clone(),
                        column: column.name.clone(),
                        column_type: column.ty.to_string(),
                        value_type: found.to_owned(),
                        excerpt: excerpt(value),
                    })?;
            }
            self.check_required(&row)?;
            rows.push(row);
        }
        let width = 1 + self.schema.columns.len();
        for row in &mut rows {
            row.resize(width, SqlValue::Null);
        }
        Ok(rows)
    }

    fn check_required(&self, row: &[SqlValue]) -> Result<()> {
        let is_null = |name: &str| {
            self.schema
                .find(name)
                .and_then(|i| row.get(1 + i))
                .is_none_or(|v| *v == SqlValue::Null)
        };
        let null = |column: &str, reason| Error::NullValue {
            table: self.plan.table.clone(),
            column: column.to_owned(),
            reason,
        };
        if let Some(key) = self.plan.primary_key.iter().find(|k| is_null(k)) {
            return Err(null(key, "it is part of the primary key"));
        }
        if let Some((name, _)) = self
            .plan
            .columns
            .iter()
            .find(|(name, c)| c.nullable == Some(false) && is_null(name))
        {
            return Err(null(name, "the spec declares it `nullable: false`"));
        }
        Ok(())
    }

    fn stage(&mut self, rows: &[Vec<SqlValue>]) -> Result<()> {
        let mut conn = lock(&self.conn);
        let d = conn.dialect();
        let staging = d.quote(&self.staging);
        let added = &self.schema.columns[self.staged_columns..];
        let mut names = vec![SEQ_COLUMN.to_owned()];
        names.extend(self.schema.names());
        in_transaction(&mut *conn, |b| {
            for column in added {
                b.execute_batch(&format!(
                    "ALTER TABLE {staging} ADD COLUMN {} {}",
                    d.quote(&column.name),
                    d.staging_type(column.ty)
                ))?;
            }
            b.insert_rows(&self.staging, &names, rows)
        })?;
        self.staged_columns = self.schema.columns.len();
        Ok(())
    }

    /// The commit transaction's work: final table, disposition, schema, state, load record.
    fn apply(&self, b: &mut B, state: Option<Value>) -> Result<LoadSummary> {
        let d = b.dialect();
        let plan = &self.plan;
        let table = d.quote(&plan.table);
        let staging = d.quote(&self.staging);
        let disposition = if plan.full_refresh && plan.disposition != Disposition::Skip {
            Disposition::Replace
        } else {
            plan.disposition
        };
        let mut new_columns = Vec::new();
        let mut table_rows = 0;
        if disposition != Disposition::Skip {
            new_columns = self.prepare_table(b, &table)?;
            self.record_schema(b)?;
            self.apply_disposition(b, d, disposition, &table, &staging)?;
            b.execute_batch(&format!("DROP TABLE {staging}"))?;
            table_rows = match b
                .query(&format!("SELECT COUNT(*) FROM {table}"), &[])?
                .first()
                .and_then(|r| r.first())
            {
                Some(SqlValue::Int(n)) => u64::try_from(*n).unwrap_or(0),
                _ => 0,
            };
        }
        let state = match state {
            Some(value) => Some(value.to_string()),
            None => read_state(b, &plan.connector, &plan.resource)?,
        };
        let finished_at = now_rfc3339();
        let keys = [text(&plan.connector), text(&plan.resource)];
        b.execute(
            &format!("DELETE FROM {STATE_TABLE} WHERE connector = ? AND resource = ?"),
            &keys,
        )?;
        let records = i64::try_from(self.records).unwrap_or(i64::MAX);
        let rows = i64::try_from(table_rows).unwrap_or(i64::MAX);
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
                text(&finished_at),
                text(&self.load_id),
                SqlValue::Int(records),
                SqlValue::Int(rows),
            ],
        )?;
        b.execute(
            &format!(
                "UPDATE {LOADS_TABLE} SET status = 'completed', finished_at = {}, records = ?, table_rows = ?, \
                 disposition = ? WHERE load_id = ? AND connector = ? AND resource = ?",
                d.cast("?", LoadType::Timestamp)
            ),
            &[
                text(&finished_at),
                SqlValue::Int(records),
                SqlValue::Int(rows),
                text(disposition_name(disposition)),
                text(&self.load_id),
                text(&plan.connector),
                text(&plan.resource),
            ],
        )?;
        Ok(LoadSummary {
            connector: plan.connector.clone(),
            resource: plan.resource.clone(),
            table: plan.table.clone(),
            load_id: self.load_id.clone(),
            disposition: disposition_name(disposition).to_owned(),
            records: self.records,
            table_rows,
            new_columns,
            seconds: self.started.elapsed().as_secs_f64(),
        })
    }

    /// Creates the final table, or adds the columns it lacks; returns the added columns.
    fn prepare_table(&self, b: &mut B, table: &str) -> Result<Vec<String>> {
        let d = b.dialect();
        let existing = existing_columns(b, &self.plan.table)?;
        let mut added = Vec::new();
        if existing.columns.is_empty() {
            let columns = self
                .schema
                .columns
                .iter()
                .map(|c| {
                    let not_null = if c.nullable { "" } else { " NOT NULL" };
                    format!("{} {}{not_null}", d.quote(&c.name), d.column_type(c.ty))
                })
                .collect::<Vec<_>>();
            b.execute_batch(&format!("CREATE TABLE {table} ({})", columns.join(", ")))?;
        } else {
            for column in &self.schema.columns {
                if existing.find(&column.name).is_none() {
                    b.execute_batch(&format!(
                        "ALTER TABLE {table} ADD COLUMN {} {}",
                        d.quote(&column.name),
                        d.column_type(column.ty)
                    ))?;
                    added.push(column.name.clone());
                }
            }
        }
        if d.key_index() && !self.plan.primary_key.is_empty() {
            let keys = self
                .plan
                .primary_key
                .iter()
                .map(|k| d.quote(k))
                .collect::<Vec<_>>();
            b.execute_batch(&format!(
                "CREATE INDEX IF NOT EXISTS {} ON {table} ({})",
                d.quote(&format!("_connector_pk__{}", self.plan.table)),
                keys.join(", ")
            ))?;
        }
        Ok(added)
    }

    fn record_schema(&self, b: &mut B) -> Result<()> {
        let table = text(&self.plan.table);
        b.execute(
            &format!("DELETE FROM {COLUMNS_TABLE} WHERE table_name = ?"),
            std::slice::from_ref(&table),
        )?;
        for column in &self.schema.columns {
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

    fn apply_disposition(
        &self,
        b: &mut B,
        d: &dyn Dialect,
        disposition: Disposition,
        table: &str,
        staging: &str,
    ) -> Result<()> {
        let plan = &self.plan;
        let names = self.schema.names();
        let list = names
            .iter()
            .map(|n| d.quote(n))
            .collect::<Vec<_>>()
            .join(", ");
        let seq = d.quote(SEQ_COLUMN);
        // Staged text cast to the final column types.
        let typed = |columns: &[ColumnDef]| {
            columns
                .iter()
                .map(|c| {
                    format!(
                        "{} AS {}",
                        d.cast(&format!("s.{}", d.quote(&c.name)), c.ty),
                        d.quote(&c.name)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let all_typed = typed(&self.schema.columns);
        // Rows go in in the order they came.
        let order = if d.inserts_in_scan_order() {
            String::new()
        } else {
            format!(" ORDER BY s.{seq}")
        };
        let insert_from = |source: &str| {
            format!("INSERT INTO {table} ({list}) SELECT {all_typed} FROM {source} AS s{order}")
        };
        // The last staged row of each key, found from (key, seq) pairs alone: a window over
        // whole rows would hold every staged row in the database's memory at once.
        let deduplicated = |keys: &[String]| {
            let group = keys
                .iter()
                .map(|k| d.quote(k))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "(SELECT * FROM {staging} WHERE {seq} IN \
                 (SELECT max({seq}) FROM {staging} GROUP BY {group}))"
            )
        };
        let key_source = |keys: &[String]| {
            let columns: Vec<ColumnDef> = keys
                .iter()
                .filter_map(|k| self.schema.find(k).map(|i| self.schema.columns[i].clone()))
                .collect();
            format!("(SELECT {} FROM {staging} AS s)", typed(&columns))
        };
        let keys_known = |keys: &[String]| keys.iter().all(|k| self.schema.find(k).is_some());
        let pk = &plan.primary_key;
        let mk = &plan.merge_key;
        match disposition {
            Disposition::Skip => {}
            Disposition::Replace => {
                b.execute_batch(&format!("DELETE FROM {table}"))?;
                b.execute_batch(&insert_from(staging))?;
            }
            Disposition::Append => b.execute_batch(&insert_from(staging))?,
            Disposition::Merge if pk.is_empty() && mk.is_empty() => {
                b.execute_batch(&insert_from(staging))?
            }
            Disposition::Merge if !keys_known(pk) || !keys_known(mk) => {
                // A key column never seen means no staged record (every record needs its primary
                // key), so there is nothing to merge.
                if self.records > 0 {
                    return Err(Error::InvalidPlan {
                        table: plan.table.clone(),
                        reason: "a merge key column is in no record".to_owned(),
                    });
                }
            }
            Disposition::Merge if plan.merge_strategy == MergeStrategy::Upsert => {
                let source = format!("(SELECT {all_typed} FROM {} AS s)", deduplicated(pk));
                for statement in d.upsert_sql(table, &source, pk, &names) {
                    b.execute_batch(&statement)?;
                }
            }
            Disposition::Merge => {
                for keys in [pk, mk] {
                    if !keys.is_empty() {
                        b.execute_batch(&d.delete_matching_sql(table, &key_source(keys), keys))?;
                    }
                }
                if pk.is_empty() {
                    b.execute_batch(&insert_from(staging))?;
                } else {
                    b.execute_batch(&insert_from(&deduplicated(pk)))?;
                }
            }
        }
        Ok(())
    }
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
            self.convert(records).and_then(|rows| self.stage(&rows))
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
        let d = conn.dialect();
        let staging = d.quote(&self.staging);
        let _ = in_transaction(&mut *conn, |b| {
            b.execute_batch(&format!("DROP TABLE IF EXISTS {staging}"))?;
            b.execute(
                &format!(
                    "UPDATE {LOADS_TABLE} SET status = 'failed', finished_at = {}, records = ? \
                     WHERE load_id = ? AND connector = ? AND resource = ?",
                    d.cast("?", LoadType::Timestamp)
                ),
                &[
                    text(&now_rfc3339()),
                    SqlValue::Int(i64::try_from(self.records).unwrap_or(i64::MAX)),
                    text(&self.load_id),
                    text(&self.plan.connector),
                    text(&self.plan.resource),
                ],
            )?;
            Ok(())
        });
    }
}
