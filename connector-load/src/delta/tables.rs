//! The Delta tables themselves: reading them, giving them a load's columns, and retrying an
//! operation that lost a race with another writer's commit (Delta's optimistic concurrency:
//! shards of a partitioned run commit to the same tables).

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use deltalake::datafusion::logical_expr::{cast, ident};
use deltalake::datafusion::prelude::{DataFrame, SessionContext};
use deltalake::kernel::transaction::CommitProperties;
use deltalake::kernel::{DataType, MetadataValue, PrimitiveType, StructField};
use deltalake::operations::write::SchemaMode;
use deltalake::protocol::SaveMode;
use deltalake::{DeltaResult, DeltaTable, DeltaTableError};
use serde_json::json;
use url::Url;

use super::columns::{arrow_type, schema_of};
use super::{fail, Shared};
use crate::error::{Error, Result};
use crate::normalize::schema::{ColumnDef, Schema};
use crate::plan::ResourceLoadPlan;
use crate::types::LoadType;

/// The description of every table connector creates; a table without it is not connector's.
pub(super) const MARKER: &str = "made by connector";
/// The commit metadata key naming the load a commit belongs to.
pub(super) const LOAD_KEY: &str = "connector.load_id";
/// How often an operation is tried when other writers' commits keep conflicting with it.
const ATTEMPTS: u32 = 25;

/// The metadata every commit of one load carries.
#[derive(Clone)]
pub(super) struct Tagged {
    metadata: Vec<(String, serde_json::Value)>,
}

impl Tagged {
    pub(super) fn new(plan: &ResourceLoadPlan, load_id: &str) -> Tagged {
        Tagged::of(&plan.connector, &plan.resource, load_id)
    }

    pub(super) fn of(connector: &str, resource: &str, load_id: &str) -> Tagged {
        Tagged {
            metadata: vec![
                (LOAD_KEY.to_owned(), json!(load_id)),
                ("connector.connector".to_owned(), json!(connector)),
                ("connector.resource".to_owned(), json!(resource)),
            ],
        }
    }

    pub(super) fn properties(&self) -> CommitProperties {
        CommitProperties::default().with_metadata(self.metadata.clone())
    }
}

/// A frame over the table's current rows.
pub(super) async fn frame_of(ctx: &SessionContext, table: &DeltaTable) -> Result<DataFrame> {
    table
        .update_datafusion_session(&ctx.state())
        .map_err(|e| fail("reading a table", e))?;
    let provider = table
        .table_provider()
        .await
        .map_err(|e| fail("reading a table", e))?;
    ctx.read_table(provider)
        .map_err(|e| fail("reading a table", e))
}

/// Rows in a table (0 when it does not exist).
pub(super) async fn count_rows(ctx: &SessionContext, table: &DeltaTable) -> Result<u64> {
    if table.version().is_none() {
        return Ok(0);
    }
    let rows = frame_of(ctx, table)
        .await?
        .count()
        .await
        .map_err(|e| fail("counting rows", e))?;
    Ok(rows as u64)
}

/// The Delta field of column `c`, its loader type in its metadata.
fn struct_field(c: &ColumnDef) -> Result<StructField> {
    let ty = match c.ty {
        LoadType::Bigint => DataType::Primitive(PrimitiveType::Long),
        LoadType::Double => DataType::Primitive(PrimitiveType::Double),
        LoadType::Bool => DataType::Primitive(PrimitiveType::Boolean),
        LoadType::Timestamp => DataType::Primitive(PrimitiveType::Timestamp),
        LoadType::Date => DataType::Primitive(PrimitiveType::Date),
        LoadType::Decimal { precision, scale } => DataType::decimal(
            u8::try_from(precision.min(38)).unwrap_or(38),
            u8::try_from(scale.min(38)).unwrap_or(9),
        )
        .map_err(|e| fail("a decimal column", e))?,
        _ => DataType::Primitive(PrimitiveType::String),
    };
    Ok(StructField::new(&c.name, ty, true).with_metadata([(
        "connector.type",
        MetadataValue::String(c.ty.name().to_owned()),
    )]))
}

/// Whether a failed operation lost a race with another writer's commit and is worth
/// running again on the table's new version.
fn conflicted(e: &DeltaTableError) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    matches!(
        e,
        DeltaTableError::Transaction { .. } | DeltaTableError::VersionAlreadyExists(_)
    ) || text.contains("conflict")
        || text.contains("concurrent")
        || text.contains("already exists")
}

/// Runs `op` on the table at `url`, opened afresh for every attempt; an attempt that lost a
/// race with another writer is retried (with a warning) on the table's new version.
pub(super) async fn retrying<F, Fut>(
    shared: &Shared,
    url: &Url,
    what: &str,
    mut op: F,
) -> Result<()>
where
    F: FnMut(DeltaTable) -> Fut,
    Fut: Future<Output = DeltaResult<()>>,
{
    let mut attempt = 1;
    loop {
        let table = shared.open_url(url).await?;
        match op(table).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < ATTEMPTS && conflicted(&e) => {
                tracing::warn!(
                    table = %url,
                    "{what}: another writer committed first ({e}); retrying (attempt {} of \
                     {ATTEMPTS})",
                    attempt + 1
                );
                let pause = 20 * u64::from(attempt) + u64::from(rand_jitter());
                tokio::time::sleep(Duration::from_millis(pause)).await;
                attempt += 1;
            }
            Err(e) => {
                return Err(Error::db(
                    "delta",
                    format!("{what} of table {url}"),
                    e.to_string(),
                ))
            }
        }
    }
}

/// A few milliseconds that differ between processes, so retrying writers spread out.
fn rand_jitter() -> u8 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    ((nanos ^ std::process::id()) % 50) as u8
}

/// Creates the table at `url` with `schema`'s columns, or adds the columns it lacks and
/// rewrites it when a column's type widened (bigint to double); returns the added columns.
/// A table that exists but was not made by connector is refused.
pub(super) async fn prepare(
    shared: &Shared,
    ctx: &SessionContext,
    url: &Url,
    schema: &Schema,
    tag: &Tagged,
    adopt: bool,
) -> Result<Vec<String>> {
    let table = shared.open_url(url).await?;
    if table.version().is_none() {
        let fields = schema
            .columns
            .iter()
            .map(struct_field)
            .collect::<Result<Vec<_>>>()?;
        let created = table
            .create()
            .with_columns(fields)
            .with_comment(MARKER)
            .with_save_mode(SaveMode::ErrorIfExists)
            .with_commit_properties(tag.properties())
            .await;
        match created {
            // A new table's columns are not "added" (as for every destination).
            Ok(_) => return Ok(Vec::new()),
            // Another shard created it first: go on as with a table that existed.
            Err(e) if conflicted(&e) => {}
            Err(e) => return Err(fail("creating a table", e)),
        }
    }
    let table = shared.open_url(url).await?;
    if !adopt {
        check_marker(&table, &table_name(url))?;
    }
    let existing = existing_schema(&table)?;
    let missing: Vec<&ColumnDef> = schema
        .columns
        .iter()
        .filter(|c| existing.find(&c.name).is_none())
        .collect();
    if !missing.is_empty() {
        let fields = missing
            .iter()
            .map(|c| struct_field(c))
            .collect::<Result<Vec<_>>>()?;
        retrying(shared, url, "adding columns", |table| {
            let fields = fields.clone();
            async move {
                // Another shard may have added some of them since.
                let have =
                    existing_schema(&table).map_err(|e| DeltaTableError::Generic(e.to_string()))?;
                let fields: Vec<StructField> = fields
                    .into_iter()
                    .filter(|f| have.find(f.name()).is_none())
                    .collect();
                if fields.is_empty() {
                    return Ok(());
                }
                table
                    .add_columns()
                    .with_fields(fields)
                    .with_commit_properties(tag.properties())
                    .await
                    .map(|_| ())
            }
        })
        .await?;
    }
    let widened = schema.columns.iter().any(|c| {
        existing
            .find(&c.name)
            .is_some_and(|i| arrow_type(existing.columns[i].ty) != arrow_type(c.ty))
    });
    if widened {
        rewrite(shared, ctx, url, schema, tag).await?;
    }
    Ok(missing.into_iter().map(|c| c.name.clone()).collect())
}

/// The table name a location ends in.
fn table_name(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.rfind(|p| !p.is_empty()))
        .map(|s| {
            url::form_urlencoded::parse(s.as_bytes())
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default()
}

/// The loader's view of an existing table's columns.
pub(super) fn existing_schema(table: &DeltaTable) -> Result<Schema> {
    let snapshot = table
        .snapshot()
        .map_err(|e| fail("reading a table's schema", e))?;
    Ok(schema_of(&snapshot.snapshot().arrow_schema()))
}

/// [`Error::ForeignTable`] for a table connector did not make (`name`: the table's name).
pub(super) fn check_marker(table: &DeltaTable, name: &str) -> Result<()> {
    let Ok(snapshot) = table.snapshot() else {
        return Ok(());
    };
    if snapshot.metadata().description() == Some(MARKER) {
        return Ok(());
    }
    Err(Error::ForeignTable {
        table: name.to_owned(),
        why: format!("its Delta description is not \"{MARKER}\""),
    })
}

/// Rewrites the table with every column cast to `schema`'s types (a widened column: Delta
/// cannot change a column's type in place), keeping each column's loader type.
async fn rewrite(
    shared: &Shared,
    ctx: &SessionContext,
    url: &Url,
    schema: &Schema,
    tag: &Tagged,
) -> Result<()> {
    let state = std::sync::Arc::new(ctx.state());
    let table = shared.open_url(url).await?;
    let existing = existing_schema(&table)?;
    let rows = frame_of(ctx, &table)
        .await?
        .select(
            schema
                .columns
                .iter()
                .filter(|c| existing.find(&c.name).is_some())
                .map(|c| cast(ident(&c.name), arrow_type(c.ty)).alias(&c.name))
                .collect::<Vec<_>>(),
        )
        .map_err(|e| fail("widening a column", e))?;
    table
        .write(Vec::new())
        .with_input_plan(rows.logical_plan().clone())
        .with_session_state(state)
        .with_save_mode(SaveMode::Overwrite)
        .with_schema_mode(SchemaMode::Overwrite)
        .with_commit_properties(tag.properties())
        .await
        .map_err(|e| fail("widening a column", e))?;
    for c in &schema.columns {
        let table = shared.open_url(url).await?;
        if existing_schema(&table)?.find(&c.name).is_none() {
            continue;
        }
        table
            .update_field_metadata()
            .with_field_name(&c.name)
            .with_metadata(HashMap::from([(
                "connector.type".to_owned(),
                MetadataValue::String(c.ty.name().to_owned()),
            )]))
            .with_commit_properties(tag.properties())
            .await
            .map_err(|e| fail("widening a column", e))?;
    }
    Ok(())
}
