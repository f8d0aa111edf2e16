//! Staging: the normalizer's batches go into the run's staging tables (one per table of the
//! load), one transaction per batch, so nothing reaches a final table before the commit. A
//! staging table follows its table's schema as it grows: new columns are added, widened ones
//! change type.

use arrow_array::RecordBatch;

use super::connection::in_transaction;
use crate::backend::Backend;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::normalize::schema::Schema;
use crate::normalize::{Shape, SEQ_COLUMN};
use crate::types::{LoadType, SqlValue};

/// The staging table of one run's load of a table. The load id makes it the run's own: two
/// runs of the same resource never share (and so never empty) each other's staging.
/// A name longer than the dialect keeps whole becomes `_cstg_<hash of connector and
/// table>__<load id>`.
pub(super) fn staging_table_name(
    d: &dyn Dialect,
    connector: &str,
    table: &str,
    load_id: &str,
) -> String {
    let full = format!("_connector_staging__{connector}__{table}__{load_id}");
    match d.max_identifier_len() {
        Some(max) if full.len() > max => {
            let hash = xxhash_rust::xxh3::xxh3_64(format!("{connector}\0{table}").as_bytes());
            format!("{SHORT_STAGING_PREFIX}{hash:016x}__{load_id}")
        }
        _ => full,
    }
}

/// The start of shortened staging table names.
const SHORT_STAGING_PREFIX: &str = "_cstg_";

/// Whether `name` is a staging table of `connector`'s load `load_id` (either form).
pub(super) fn is_staging_of(name: &str, connector: &str, load_id: &str) -> bool {
    name.ends_with(&format!("__{load_id}"))
        && (name.starts_with(&format!("_connector_staging__{connector}__"))
            || name.starts_with(SHORT_STAGING_PREFIX))
}

/// One table's staging.
pub(super) struct Staged {
    /// Unquoted staging table name.
    pub(super) name: String,
    /// The column types the staging table has, in order (after `SEQ_COLUMN`).
    types: Vec<LoadType>,
    /// Rows staged.
    pub(super) rows: u64,
    /// Whether it may become its table (see [`Dialect::staging_becomes_table`]): an ordinary
    /// table, staging a table the load creates.
    may_become_table: bool,
    /// Whether it has the staging order column (else the order is its rowid; see
    /// [`Dialect::staging_seq_is_rowid`]).
    seq_column: bool,
}

/// The staging tables of one load, parallel to the normalizer's tables (`None`: nothing
/// staged for that table yet).
#[derive(Default)]
pub(super) struct Staging {
    pub(super) tables: Vec<Option<Staged>>,
}

impl Staging {
    /// Stages `batches` (table index, batch) in one transaction, creating and altering
    /// staging tables to the tables' current columns first. `may_become`: whether a staging
    /// table created now for a table the load creates may become that table.
    pub(super) fn stage<B: Backend>(
        &mut self,
        b: &mut B,
        connector: &str,
        load_id: &str,
        tables: &[Shape],
        batches: Vec<(usize, RecordBatch)>,
        may_become: bool,
    ) -> Result<()> {
        if self.tables.len() < tables.len() {
            self.tables.resize_with(tables.len(), || None);
        }
        in_transaction(b, |b| {
            for (index, batch) in &batches {
                let table = &tables[*index];
                let staged = match &mut self.tables[*index] {
                    Some(staged) => staged,
                    slot => {
                        let name = staging_table_name(b.dialect(), connector, &table.name, load_id);
                        let may_become_table =
                            may_become && !table.existed && b.dialect().staging_becomes_table();
                        slot.insert(Staged::create(b, name, table, may_become_table)?)
                    }
                };
                staged.follow(b, table)?;
                let types: Vec<Option<LoadType>> = batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| {
                        table
                            .schema
                            .find(f.name())
                            .map(|i| table.schema.columns[i].ty)
                    })
                    .collect();
                b.insert_batch(&staged.name, batch, &types)?;
                staged.rows += batch.num_rows() as u64;
            }
            Ok(())
        })
    }

    /// Whether nothing is staged yet.
    pub(super) fn is_empty(&self) -> bool {
        self.tables.iter().all(Option::is_none)
    }

    /// Drops every staging table.
    pub(super) fn drop_tables<B: Backend>(&self, b: &mut B) -> Result<()> {
        for staged in self.tables.iter().flatten() {
            let name = b.dialect().quote(&staged.name);
            b.execute_batch(&format!("DROP TABLE IF EXISTS {name}"))?;
        }
        Ok(())
    }
}

impl Staged {
    /// Creates the staging table `name` of `table`. One that may become its table is an
    /// ordinary table; where the dialect's staging order is the rowid, it declares no order
    /// column and starts with the table's columns, so that their `NOT NULL` is part of it
    /// (SQLite cannot add that later).
    fn create<B: Backend>(
        b: &mut B,
        name: String,
        table: &Shape,
        may_become_table: bool,
    ) -> Result<Staged> {
        let d = b.dialect();
        let staging = d.quote(&name);
        // SQLite's staging lives in the connection's temporary tables; the others' in the
        // file (PostgreSQL's unlogged). One that may become its table lives where the table
        // will.
        let create = if may_become_table {
            "CREATE TABLE"
        } else if d.temporary_staging() {
            "CREATE TEMP TABLE"
        } else {
            d.create_staging_sql()
        };
        let seq_column = !(may_become_table && d.staging_seq_is_rowid());
        let mut columns = Vec::new();
        let mut types = Vec::new();
        if seq_column {
            columns.push(format!("{} {}", d.quote(SEQ_COLUMN), d.staging_seq_sql()));
        } else {
            for column in &table.schema.columns {
                let not_null = if column.nullable { "" } else { " NOT NULL" };
                columns.push(format!(
                    "{} {}{not_null}",
                    d.quote(&column.name),
                    d.staging_type(column.ty)
                ));
                types.push(column.ty);
            }
        }
        b.execute_batch(&format!(
            "DROP TABLE IF EXISTS {staging}; {create} {staging} ({});",
            columns.join(", ")
        ))?;
        Ok(Staged {
            name,
            types,
            rows: 0,
            may_become_table,
            seq_column,
        })
    }

    /// Adds the columns `table` has and the staging lacks, and changes the types of the
    /// ones widened since.
    fn follow<B: Backend>(&mut self, b: &mut B, table: &Shape) -> Result<()> {
        let d = b.dialect();
        let staging = d.quote(&self.name);
        for (i, column) in table.schema.columns.iter().enumerate() {
            let staging_type = d.staging_type(column.ty);
            match self.types.get(i) {
                None => {
                    b.execute_batch(&format!(
                        "ALTER TABLE {staging} ADD COLUMN {} {staging_type}",
                        d.quote(&column.name)
                    ))?;
                    self.types.push(column.ty);
                    // Where `NOT NULL` is only had from the start, a later required column
                    // keeps this staging from becoming its table.
                    if !self.seq_column && !column.nullable {
                        self.may_become_table = false;
                    }
                }
                Some(ty) if *ty != column.ty => {
                    if d.staging_type(*ty) != staging_type {
                        match d.alter_type_sql(&staging, &d.quote(&column.name), &staging_type) {
                            Some(sql) => b.execute_batch(&sql)?,
                            // The column keeps its declared type (SQLite's hold any value):
                            // as the table it would have the wrong one.
                            None => self.may_become_table = false,
                        }
                    }
                    self.types[i] = column.ty;
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Whether this staging table may become its table, of `schema`'s columns (as the
    /// commit sees them): created for that, and every column staged in the table's own type.
    pub(super) fn may_become(&self, d: &dyn Dialect, schema: &Schema) -> bool {
        self.may_become_table
            && self.types.len() == schema.columns.len()
            && self
                .types
                .iter()
                .zip(&schema.columns)
                .all(|(t, c)| *t == c.ty && d.staging_type(c.ty) == d.column_type(c.ty))
    }

    /// Makes this staging table the table `table` of `schema`'s columns: the staging order
    /// column goes, the columns that must have a value say so, and it takes the name. The
    /// caller checked [`Staged::may_become`] and that no table `table` exists.
    pub(super) fn become_table<B: Backend>(
        &self,
        b: &mut B,
        table: &str,
        schema: &Schema,
    ) -> Result<()> {
        let d = b.dialect();
        let staging = d.quote(&self.name);
        if self.seq_column {
            let mut changes = vec![format!("DROP COLUMN {}", d.quote(SEQ_COLUMN))];
            changes.extend(
                schema
                    .columns
                    .iter()
                    .filter(|c| !c.nullable)
                    .map(|c| format!("ALTER COLUMN {} SET NOT NULL", d.quote(&c.name))),
            );
            b.execute_batch(&format!("ALTER TABLE {staging} {}", changes.join(", ")))?;
        }
        b.execute_batch(&format!(
            "ALTER TABLE {staging} RENAME TO {}",
            d.quote(table)
        ))
    }

    /// Gives a staging table whose order is its rowid the order column the dispositions'
    /// statements read, for a commit that copies its rows after all (its keys repeat, or
    /// another load made the table meanwhile).
    pub(super) fn add_seq_column<B: Backend>(&self, b: &mut B) -> Result<()> {
        if self.seq_column {
            return Ok(());
        }
        let d = b.dialect();
        let (staging, seq) = (d.quote(&self.name), d.quote(SEQ_COLUMN));
        b.execute_batch(&format!(
            "ALTER TABLE {staging} ADD COLUMN {seq} {}; UPDATE {staging} SET {seq} = rowid",
            d.column_type(LoadType::Bigint)
        ))
    }

    /// Fails unless the staging table holds exactly the rows staged: a commit never applies
    /// a partial load silently (e.g. a staging table emptied by something else).
    pub(super) fn check_count<B: Backend>(&self, b: &mut B) -> Result<()> {
        let staging = b.dialect().quote(&self.name);
        let staged = match b
            .query(&format!("SELECT COUNT(*) FROM {staging}"), &[])?
            .first()
            .and_then(|r| r.first())
        {
            Some(SqlValue::Int(n)) => u64::try_from(*n).unwrap_or(0),
            _ => 0,
        };
        if staged == self.rows {
            Ok(())
        } else {
            Err(Error::StagingMismatch {
                table: self.name.clone(),
                records: self.rows,
                staged,
            })
        }
    }
}
