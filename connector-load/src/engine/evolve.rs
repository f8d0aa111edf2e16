//! Schema evolution: the columns a load starts with (the table's, the spec's, the metadata
//! columns), checked against each other, and the final table created or widened to them at
//! commit. Columns for fields first seen in records are added while staging.

use super::bookkeeping::{recorded_columns, LOADED_AT_COLUMN, LOAD_ID_COLUMN};
use super::columns::{ColumnDef, Schema};
use super::connection::text;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::plan::ResourceLoadPlan;
use crate::types::{LoadType, SqlValue};

/// The columns `table` has in the database, typed from the schema table when it records them.
pub(super) fn existing_columns<B: Backend>(b: &mut B, table: &str) -> Result<Schema> {
    let d = b.dialect();
    let physical = b.query(d.list_columns_sql(), &[text(table)])?;
    let mut schema = Schema::default();
    if physical.is_empty() {
        return Ok(schema);
    }
    let recorded = recorded_columns(b, table)?;
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

/// Fails with [`Error::ForeignTable`] when `plan`'s table exists but connector never recorded
/// its columns (it was made by someone else), unless the plan adopts it.
pub(super) fn check_owned<B: Backend>(b: &mut B, plan: &ResourceLoadPlan) -> Result<()> {
    if plan.adopt_table || plan.disposition == connector_spec::Disposition::Skip {
        return Ok(());
    }
    let physical = b.query(b.dialect().list_columns_sql(), &[text(&plan.table)])?;
    if physical.is_empty() || !recorded_columns(b, &plan.table)?.is_empty() {
        return Ok(());
    }
    Err(Error::ForeignTable {
        table: plan.table.clone(),
    })
}

/// The columns a load of `plan` starts with: the table's existing ones, then the declared
/// ones it lacks, then the metadata columns. A declared column whose type differs from the
/// table's is [`Error::SchemaConflict`]; primary key columns are `NOT NULL`.
pub(super) fn starting_schema<B: Backend>(b: &mut B, plan: &ResourceLoadPlan) -> Result<Schema> {
    let mut schema = existing_columns(b, &plan.table)?;
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
    Ok(schema)
}

/// Creates the final table with `schema`'s columns, or adds the columns it lacks; returns
/// the added columns. Indexes the primary key where the dialect wants it.
pub(super) fn prepare_table<B: Backend>(
    b: &mut B,
    plan: &ResourceLoadPlan,
    schema: &Schema,
) -> Result<Vec<String>> {
    let d = b.dialect();
    let table = d.quote(&plan.table);
    let existing = existing_columns(b, &plan.table)?;
    let mut added = Vec::new();
    if existing.columns.is_empty() {
        let columns = schema
            .columns
            .iter()
            .map(|c| {
                let not_null = if c.nullable { "" } else { " NOT NULL" };
                format!("{} {}{not_null}", d.quote(&c.name), d.column_type(c.ty))
            })
            .collect::<Vec<_>>();
        b.execute_batch(&format!("CREATE TABLE {table} ({})", columns.join(", ")))?;
    } else {
        for column in &schema.columns {
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
    if d.key_index() && !plan.primary_key.is_empty() {
        let keys = plan
            .primary_key
            .iter()
            .map(|k| d.quote(k))
            .collect::<Vec<_>>();
        b.execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS {} ON {table} ({})",
            d.quote(&format!("_connector_pk__{}", plan.table)),
            keys.join(", ")
        ))?;
    }
    Ok(added)
}
