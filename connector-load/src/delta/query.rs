//! SQL over a Delta destination, for `Destination::query_rows`: DataFusion over the
//! connectors' tables, with the SQL destinations' bookkeeping tables as views of the load
//! log (`_connector_loads`, `_connector_state`) and listings of the tables' schemas
//! (`_connector_columns`) and the lock objects (`_connector_locks`).

use std::sync::Arc;

use deltalake::arrow::array::{Array, RecordBatch};
use deltalake::arrow::util::display::{ArrayFormatter, FormatOptions};
use deltalake::datafusion::catalog::{MemorySchemaProvider, SchemaProvider, TableProvider};
use deltalake::datafusion::common::TableReference;
use deltalake::datafusion::datasource::MemTable;
use serde_json::Value;

use super::tables::existing_schema;
use super::{book, fail, lock, session, Shared};
use crate::engine::{COLUMNS_TABLE, LOCKS_TABLE};
use crate::error::Result;

/// Runs `sql` over the tables of every connector (as `"connector"."table"`), and by bare
/// name over those of `connector` (or of the only connector there is).
pub(super) async fn query(
    shared: &Shared,
    connector: Option<&str>,
    sql: &str,
) -> Result<Vec<Vec<Value>>> {
    let own = connector.map(str::to_owned);
    let ctx = session();
    let connectors = shared.connector_names().await?;
    let bare = own.or_else(|| (connectors.len() == 1).then(|| connectors[0].clone()));
    let catalog = ctx
        .catalog("datafusion")
        .ok_or_else(|| fail("reading tables", "DataFusion has no default catalog"))?;
    for connector in &connectors {
        let schema = Arc::new(MemorySchemaProvider::new());
        let mut names = shared.table_names(connector).await?;
        names.push(book::LOG.to_owned());
        for name in names {
            let table = shared.open(connector, &name).await?;
            if table.version().is_none() {
                continue;
            }
            table
                .update_datafusion_session(&ctx.state())
                .map_err(|e| fail("reading a table", e))?;
            let provider = table
                .table_provider()
                .await
                .map_err(|e| fail("reading a table", e))?;
            if bare.as_ref() == Some(connector) && name != book::LOG {
                ctx.register_table(TableReference::bare(name.clone()), Arc::clone(&provider))
                    .map_err(|e| fail("reading a table", e))?;
            }
            schema
                .register_table(name, provider)
                .map_err(|e| fail("reading a table", e))?;
        }
        let listings = [
            (COLUMNS_TABLE, columns_table(shared, connector).await?),
            (LOCKS_TABLE, locks_table(shared, connector).await?),
        ];
        for (name, listing) in listings {
            if bare.as_ref() == Some(connector) {
                ctx.register_table(TableReference::bare(name), Arc::clone(&listing))
                    .map_err(|e| fail("reading a table", e))?;
            }
            schema
                .register_table(name.to_owned(), listing)
                .map_err(|e| fail("reading a table", e))?;
        }
        catalog
            .register_schema(connector, schema)
            .map_err(|e| fail("reading tables", e))?;
    }
    let with_log: Vec<&String> = connectors
        .iter()
        .filter(|c| {
            catalog
                .schema(c)
                .is_some_and(|schema| schema.table_exist(book::LOG))
        })
        .collect();
    for view in book::views(&with_log) {
        ctx.sql(&view)
            .await
            .map_err(|e| fail("creating a view", e))?;
    }
    let frame = ctx.sql(sql).await.map_err(|e| fail(sql, e))?;
    let batches = frame.collect().await.map_err(|e| fail(sql, e))?;
    batches
        .iter()
        .map(json_rows)
        .collect::<Result<Vec<_>>>()
        .map(|v| v.concat())
}

/// One row of `_connector_columns`.
struct ColumnRow {
    table: String,
    column: String,
    ty: &'static str,
    precision: Option<i64>,
    scale: Option<i64>,
    nullable: bool,
}

/// `_connector_columns` as the SQL destinations have it, read off the tables' Delta schemas:
/// each column's table, name, loader type (with precision and scale) and nullability.
async fn columns_table(shared: &Shared, connector: &str) -> Result<Arc<dyn TableProvider>> {
    use deltalake::arrow::array::{BooleanArray, Int64Array, StringArray};
    use deltalake::arrow::datatypes::{DataType, Field, Schema as ArrowSchema};
    let mut rows: Vec<ColumnRow> = Vec::new();
    for name in shared.table_names(connector).await? {
        let table = shared.open(connector, &name).await?;
        if table.version().is_none() {
            continue;
        }
        for c in existing_schema(&table)?.columns {
            let (precision, scale) = match c.ty {
                crate::LoadType::Decimal { precision, scale } => {
                    (Some(i64::from(precision)), Some(i64::from(scale)))
                }
                _ => (None, None),
            };
            rows.push(ColumnRow {
                table: name.clone(),
                column: c.name,
                ty: c.ty.name(),
                precision,
                scale,
                nullable: c.nullable,
            });
        }
    }
    let schema = Arc::new(ArrowSchema::new(vec![
        Field::new("table_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, false),
        Field::new("data_type", DataType::Utf8, false),
        Field::new("precision", DataType::Int64, true),
        Field::new("scale", DataType::Int64, true),
        Field::new("nullable", DataType::Boolean, false),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.table.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.column.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.ty))),
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.precision).collect::<Vec<_>>(),
            )),
            Arc::new(Int64Array::from(
                rows.iter().map(|r| r.scale).collect::<Vec<_>>(),
            )),
            Arc::new(BooleanArray::from(
                rows.iter().map(|r| r.nullable).collect::<Vec<_>>(),
            )),
        ],
    )
    .map_err(|e| fail("listing columns", e))?;
    let table =
        MemTable::try_new(schema, vec![vec![batch]]).map_err(|e| fail("listing columns", e))?;
    Ok(Arc::new(table))
}

/// `_connector_locks` as the SQL destinations have it, read off the lock objects: each
/// lock's key (in `connector`) and holder.
async fn locks_table(shared: &Shared, connector: &str) -> Result<Arc<dyn TableProvider>> {
    use deltalake::arrow::array::{Int64Array, StringArray};
    use deltalake::arrow::datatypes::{DataType, Field, Schema as ArrowSchema};
    let held = lock::holders(shared, connector).await?;
    let schema = Arc::new(ArrowSchema::new(vec![
        Field::new("connector", DataType::Utf8, false),
        Field::new("load_id", DataType::Utf8, false),
        Field::new("pid", DataType::Int64, false),
        Field::new("host", DataType::Utf8, false),
        Field::new("started_at", DataType::Utf8, false),
    ]));
    let text = |f: fn(&(String, crate::LockHolder)) -> &str| {
        Arc::new(StringArray::from_iter_values(held.iter().map(f))) as Arc<dyn Array>
    };
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            text(|(key, _)| key),
            text(|(_, h)| &h.load_id),
            Arc::new(Int64Array::from_iter_values(
                held.iter().map(|(_, h)| i64::from(h.pid)),
            )),
            text(|(_, h)| &h.host),
            text(|(_, h)| &h.started_at),
        ],
    )
    .map_err(|e| fail("listing locks", e))?;
    let table =
        MemTable::try_new(schema, vec![vec![batch]]).map_err(|e| fail("listing locks", e))?;
    Ok(Arc::new(table))
}

/// A result batch as JSON rows: numbers, booleans and text as such, other types as arrow
/// prints them.
fn json_rows(batch: &RecordBatch) -> Result<Vec<Vec<Value>>> {
    use deltalake::arrow::array::AsArray;
    use deltalake::arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type};
    let options = FormatOptions::default();
    let mut rows = vec![Vec::with_capacity(batch.num_columns()); batch.num_rows()];
    for column in batch.columns() {
        let formatter =
            ArrayFormatter::try_new(column.as_ref(), &options).map_err(|e| fail("a result", e))?;
        for (i, row) in rows.iter_mut().enumerate() {
            let value = if column.is_null(i) {
                Value::Null
            } else {
                match column.data_type() {
                    DataType::Int64 => Value::from(column.as_primitive::<Int64Type>().value(i)),
                    DataType::Int32 => Value::from(column.as_primitive::<Int32Type>().value(i)),
                    DataType::Float64 => Value::from(column.as_primitive::<Float64Type>().value(i)),
                    DataType::Boolean => Value::from(column.as_boolean().value(i)),
                    _ => Value::String(formatter.value(i).to_string()),
                }
            };
            row.push(value);
        }
    }
    Ok(rows)
}
