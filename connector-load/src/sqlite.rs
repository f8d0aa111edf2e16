//! SQLite through rusqlite (bundled): the default destination.

use std::path::Path;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use crate::backend::Backend;
use crate::dialect::{Dialect, Sqlite};
use crate::engine::SqlDestination;
use crate::error::{Error, Result};
use crate::normalize::SEQ_COLUMN;
use crate::types::{LoadType, SqlValue};

pub(crate) struct SqliteBackend {
    conn: Connection,
}

fn db_error(context: &str, e: rusqlite::Error) -> Error {
    Error::db("sqlite", context, e)
}

/// Opens (creating when missing) the SQLite database at `path`.
pub(crate) fn open(path: &Path, url: &str) -> Result<SqlDestination<SqliteBackend>> {
    let open_error = |reason: String| Error::Open {
        kind: "sqlite",
        path: path.to_owned(),
        reason,
    };
    let conn = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
    // SQLite falls back to read-only when it may not write the file; say so now rather than
    // fail at the first write.
    if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
        return Err(Error::ReadOnly {
            kind: "sqlite",
            path: path.to_owned(),
        });
    }
    // WAL keeps readers working during a load; NORMAL sync is still crash-consistent (a power
    // cut may lose the last commits, never half of one).
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; \
         PRAGMA temp_store = FILE;",
    )
    .map_err(|e| open_error(e.to_string()))?;
    SqlDestination::new(SqliteBackend { conn }, url.to_owned()).map_err(|e| match e {
        Error::Database { message, .. } => open_error(message),
        other => other,
    })
}

impl ToSql for SqlValue {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            SqlValue::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            SqlValue::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            SqlValue::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            SqlValue::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
            SqlValue::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn from_sqlite(value: ValueRef<'_>) -> SqlValue {
    match value {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Int(i),
        ValueRef::Real(f) => SqlValue::Real(f),
        ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => SqlValue::Text(b.iter().map(|byte| format!("{byte:02x}")).collect()),
    }
}

impl Backend for SqliteBackend {
    fn dialect(&self) -> &'static dyn Dialect {
        &Sqlite
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| db_error(sql, e))
    }

    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize> {
        self.conn
            .execute(sql, rusqlite::params_from_iter(params))
            .map_err(|e| db_error(sql, e))
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>> {
        let mut statement = self.conn.prepare(sql).map_err(|e| db_error(sql, e))?;
        let width = statement.column_count();
        let mut rows = statement
            .query(rusqlite::params_from_iter(params))
            .map_err(|e| db_error(sql, e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| db_error(sql, e))? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(from_sqlite(row.get_ref(i).map_err(|e| db_error(sql, e))?));
            }
            out.push(values);
        }
        Ok(out)
    }

    fn insert_batch(
        &mut self,
        table: &str,
        batch: &RecordBatch,
        _types: &[Option<LoadType>],
    ) -> Result<()> {
        let d = self.dialect();
        let schema = batch.schema();
        // The staging order goes into the rowid: the order column, where a staging table has
        // one, is the rowid's alias.
        let list = schema
            .fields()
            .iter()
            .map(|f| match f.name().as_str() {
                SEQ_COLUMN => "rowid".to_owned(),
                name => d.quote(name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let marks = vec!["?"; schema.fields().len()].join(", ");
        let sql = format!("INSERT INTO {} ({list}) VALUES ({marks})", d.quote(table));
        let mut statement = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| db_error(&sql, e))?;
        let columns: Vec<Values<'_>> = batch.columns().iter().map(Values::of).collect();
        for row in 0..batch.num_rows() {
            for (i, column) in columns.iter().enumerate() {
                statement
                    .raw_bind_parameter(i + 1, ToSqlOutput::Borrowed(column.get(row)))
                    .map_err(|e| db_error(&sql, e))?;
            }
            statement.raw_execute().map_err(|e| db_error(&sql, e))?;
        }
        Ok(())
    }
}

/// One column of a batch, read row by row as SQLite values.
enum Values<'a> {
    Int(&'a Int64Array),
    Real(&'a Float64Array),
    Bool(&'a BooleanArray),
    Text(&'a StringArray),
    /// A type the loader never builds: bound as NULL.
    Other,
}

impl<'a> Values<'a> {
    fn of(array: &'a ArrayRef) -> Values<'a> {
        let any = array.as_any();
        if let Some(a) = any.downcast_ref::<Int64Array>() {
            Values::Int(a)
        } else if let Some(a) = any.downcast_ref::<Float64Array>() {
            Values::Real(a)
        } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
            Values::Bool(a)
        } else if let Some(a) = any.downcast_ref::<StringArray>() {
            Values::Text(a)
        } else {
            Values::Other
        }
    }

    fn get(&self, row: usize) -> ValueRef<'a> {
        match self {
            Values::Int(a) if a.is_valid(row) => ValueRef::Integer(a.value(row)),
            Values::Real(a) if a.is_valid(row) => ValueRef::Real(a.value(row)),
            Values::Bool(a) if a.is_valid(row) => ValueRef::Integer(i64::from(a.value(row))),
            Values::Text(a) if a.is_valid(row) => ValueRef::Text(a.value(row).as_bytes()),
            _ => ValueRef::Null,
        }
    }
}
