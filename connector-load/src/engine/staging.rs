//! Staging: records become rows of the run's staging table, one transaction per batch, so
//! nothing reaches the final table before the commit. A field seen for the first time gets a
//! column here (typed from its first non-null value).

use serde_json::Value;

use super::bookkeeping::{LOADED_AT_COLUMN, LOAD_ID_COLUMN};
use super::columns::{ColumnDef, Schema};
use super::connection::{in_transaction, text};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::plan::ResourceLoadPlan;
use crate::types::{json_type_name, LoadType, SqlValue};

/// Staging column ordering records, so duplicates resolve last-wins.
pub(super) const SEQ_COLUMN: &str = "_connector_seq";

/// The staging table of one run's load of a resource. The load id makes it the run's own: two
/// runs of the same resource never share (and so never empty) each other's staging.
pub(super) fn staging_table_name(connector: &str, resource: &str, load_id: &str) -> String {
    format!("_connector_staging__{connector}__{resource}__{load_id}")
}

/// One load's staging table and the columns its rows have.
pub(super) struct Staging {
    /// Unquoted staging table name.
    pub(super) name: String,
    /// Every column of the load: the table's, the declared, the evolved and the metadata.
    pub(super) schema: Schema,
    /// How many of `schema`'s columns the staging table has.
    staged_columns: usize,
    /// The last `_connector_seq` given.
    seq: i64,
}

impl Staging {
    /// The staging of `plan`'s load, starting with `schema`'s columns (no table is made yet).
    pub(super) fn new(plan: &ResourceLoadPlan, load_id: &str, schema: Schema) -> Staging {
        Staging {
            name: staging_table_name(&plan.connector, &plan.resource, load_id),
            staged_columns: schema.columns.len(),
            schema,
            seq: 0,
        }
    }

    /// (Re)creates the staging table, empty, with `_connector_seq` and every column so far.
    pub(super) fn create_table<B: Backend>(&self, b: &mut B) -> Result<()> {
        let d = b.dialect();
        let mut columns = vec![format!(
            "{} {}",
            d.quote(SEQ_COLUMN),
            d.column_type(LoadType::Bigint)
        )];
        columns.extend(
            self.schema
                .columns
                .iter()
                .map(|c| format!("{} {}", d.quote(&c.name), d.staging_type(c.ty))),
        );
        let staging = d.quote(&self.name);
        b.execute_batch(&format!(
            "DROP TABLE IF EXISTS {staging}; CREATE TABLE {staging} ({});",
            columns.join(", ")
        ))
    }

    /// Fails unless the staging table holds exactly `records` rows: a commit never applies a
    /// partial load silently (e.g. a staging table emptied by something else).
    pub(super) fn check_count<B: Backend>(&self, b: &mut B, records: u64) -> Result<()> {
        let staging = b.dialect().quote(&self.name);
        let staged = match b
            .query(&format!("SELECT COUNT(*) FROM {staging}"), &[])?
            .first()
            .and_then(|r| r.first())
        {
            Some(SqlValue::Int(n)) => u64::try_from(*n).unwrap_or(0),
            _ => 0,
        };
        if staged == records {
            Ok(())
        } else {
            Err(Error::StagingMismatch {
                table: self.name.clone(),
                records,
                staged,
            })
        }
    }

    /// Drops the staging table.
    pub(super) fn drop_table<B: Backend>(&self, b: &mut B) -> Result<()> {
        let staging = b.dialect().quote(&self.name);
        b.execute_batch(&format!("DROP TABLE {staging}"))
    }

    /// Drops the staging table when there is one.
    pub(super) fn drop_table_if_exists<B: Backend>(&self, b: &mut B) -> Result<()> {
        let staging = b.dialect().quote(&self.name);
        b.execute_batch(&format!("DROP TABLE IF EXISTS {staging}"))
    }

    /// Turns records into staging rows (`_connector_seq` first, then `schema` order), adding
    /// columns for fields seen for the first time.
    pub(super) fn convert(
        &mut self,
        plan: &ResourceLoadPlan,
        load_id: &str,
        loaded_at: &str,
        records: &[Value],
    ) -> Result<Vec<Vec<SqlValue>>> {
        let table = &plan.table;
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
                row[1 + i] = text(load_id);
            }
            if let Some(i) = loaded_at_at {
                row[1 + i] = text(loaded_at);
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
            self.check_required(plan, &row)?;
            rows.push(row);
        }
        let width = 1 + self.schema.columns.len();
        for row in &mut rows {
            row.resize(width, SqlValue::Null);
        }
        Ok(rows)
    }

    /// Fails on a null primary key column, or a null column the spec declares not nullable.
    fn check_required(&self, plan: &ResourceLoadPlan, row: &[SqlValue]) -> Result<()> {
        let is_null = |name: &str| {
            self.schema
                .find(name)
                .and_then(|i| row.get(1 + i))
                .is_none_or(|v| *v == SqlValue::Null)
        };
        let null = |column: &str, reason| Error::NullValue {
            table: plan.table.clone(),
            column: column.to_owned(),
            reason,
        };
        if let Some(key) = plan.primary_key.iter().find(|k| is_null(k)) {
            return Err(null(key, "it is part of the primary key"));
        }
        if let Some((name, _)) = plan
            .columns
            .iter()
            .find(|(name, c)| c.nullable == Some(false) && is_null(name))
        {
            return Err(null(name, "the spec declares it `nullable: false`"));
        }
        Ok(())
    }

    /// Inserts rows from [`Staging::convert`] in one transaction, first adding the staging
    /// columns they brought.
    pub(super) fn stage<B: Backend>(&mut self, b: &mut B, rows: &[Vec<SqlValue>]) -> Result<()> {
        let d = b.dialect();
        let staging = d.quote(&self.name);
        let added = &self.schema.columns[self.staged_columns..];
        let mut names = vec![SEQ_COLUMN.to_owned()];
        names.extend(self.schema.names());
        in_transaction(b, |b| {
            for column in added {
                b.execute_batch(&format!(
                    "ALTER TABLE {staging} ADD COLUMN {} {}",
                    d.quote(&column.name),
                    d.staging_type(column.ty)
                ))?;
            }
            b.insert_rows(&self.name, &names, rows)
        })?;
        self.staged_columns = self.schema.columns.len();
        Ok(())
    }
}

/// A value shortened for an error message.
fn excerpt(value: &Value) -> String {
    let full = value.to_string();
    match full.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &full[..cut]),
        None => full,
    }
}
