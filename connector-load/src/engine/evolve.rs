//! Schema evolution: the tables a load starts with (the destination's root table and child
//! tables, the spec's declared columns), and the final tables created or evolved to the
//! columns the load ended with at commit.

use std::collections::HashMap;

use super::bookkeeping::{child_tables, recorded_columns, COLUMNS_TABLE};
use super::connection::text;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::normalize::schema::{ColumnDef, Schema};
use crate::normalize::{check_declared, Table};
use crate::plan::ResourceLoadPlan;
use crate::types::SqlValue;

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

/// Fails with [`Error::ForeignTable`] when `table` exists but connector never recorded its
/// columns (it was made by someone else), unless the plan adopts it.
pub(super) fn check_owned_table<B: Backend>(
    b: &mut B,
    plan: &ResourceLoadPlan,
    table: &str,
) -> Result<()> {
    if plan.adopt_table || plan.disposition == connector_spec::Disposition::Skip {
        return Ok(());
    }
    let physical = b.query(b.dialect().list_columns_sql(), &[text(table)])?;
    if physical.is_empty() || !recorded_columns(b, table)?.is_empty() {
        return Ok(());
    }
    Err(Error::ForeignTable {
        table: table.to_owned(),
        why: format!("it is not in `{COLUMNS_TABLE}`"),
    })
}

/// [`check_owned_table`] for the plan's root table.
pub(super) fn check_owned<B: Backend>(b: &mut B, plan: &ResourceLoadPlan) -> Result<()> {
    check_owned_table(b, plan, &plan.table)
}

/// The tables a load of `plan` starts with: its root table (named `root`, after naming) with
/// the destination's columns, then the child tables earlier loads made, each after its
/// parent. A declared column whose type differs from the table's is
/// [`Error::SchemaConflict`]; primary key columns are `NOT NULL`.
pub(super) fn starting_tables<B: Backend>(
    b: &mut B,
    root: &str,
    declared_root: &HashMap<String, crate::normalize::Declared>,
    primary_key: &[String],
) -> Result<Vec<Table>> {
    let mut schema = existing_columns(b, root)?;
    let existed = !schema.columns.is_empty();
    check_declared(root, &schema, declared_root)?;
    for key in primary_key {
        if let Some(i) = schema.find(key) {
            schema.columns[i].nullable = false;
        }
    }
    let mut tables = vec![Table::new(root.to_owned(), None, schema, existed)];
    for (child, parent) in child_tables(b, root)? {
        let Some(parent) = tables.iter().position(|t| t.name == parent) else {
            continue;
        };
        let schema = existing_columns(b, &child)?;
        if schema.columns.is_empty() {
            continue; // dropped by hand since
        }
        tables.push(Table::new(child, Some(parent), schema, true));
    }
    Ok(tables)
}

/// Creates the final table with `schema`'s columns, or adds the columns it lacks and widens
/// the ones whose type grew; returns the added columns.
pub(super) fn prepare_table<B: Backend>(
    b: &mut B,
    table_name: &str,
    schema: &Schema,
) -> Result<Vec<String>> {
    let d = b.dialect();
    let table = d.quote(table_name);
    let existing = existing_columns(b, table_name)?;
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
            match existing.find(&column.name) {
                None => {
                    b.execute_batch(&format!(
                        "ALTER TABLE {table} ADD COLUMN {} {}",
                        d.quote(&column.name),
                        d.column_type(column.ty)
                    ))?;
                    added.push(column.name.clone());
                }
                Some(i) if existing.columns[i].ty != column.ty => {
                    if let Some(sql) =
                        d.alter_type_sql(&table, &d.quote(&column.name), &d.column_type(column.ty))
                    {
                        b.execute_batch(&sql)?;
                    }
                }
                Some(_) => {}
            }
        }
    }
    Ok(added)
}

/// Indexes `key` of the final table where the dialect wants it, unless it is indexed
/// already. Called once the load's rows are in: a table this load created gets its index
/// built from all of them at once, which is cheaper than keeping it up to date row by row.
pub(super) fn index_key<B: Backend>(b: &mut B, table_name: &str, key: &[String]) -> Result<()> {
    let d = b.dialect();
    if !d.key_index() || key.is_empty() {
        return Ok(());
    }
    let keys = key.iter().map(|k| d.quote(k)).collect::<Vec<_>>();
    b.execute_batch(&format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
        d.quote(&format!("_connector_pk__{table_name}")),
        d.quote(table_name),
        keys.join(", ")
    ))
}
