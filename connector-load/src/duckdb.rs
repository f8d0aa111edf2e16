//! DuckDB through the `duckdb` crate (bundled, with the json extension): behind the cargo
//! feature `duckdb`.

use std::path::Path;

use arrow_array::RecordBatch;
use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, TimeDelta};
use duckdb::types::{TimeUnit, ToSqlOutput, Value as DuckValue, ValueRef};
use duckdb::{Connection, ToSql};

use crate::backend::Backend;
use crate::dialect::{Dialect, DuckDb};
use crate::engine::SqlDestination;
use crate::error::{Error, Result};
use crate::types::{LoadType, SqlValue};

pub(crate) struct DuckDbBackend {
    conn: Connection,
}

fn db_error(context: &str, e: duckdb::Error) -> Error {
    Error::db("duckdb", context, e)
}

/// Opens (creating when missing) the DuckDB database at `path`, with `settings` (checked
/// names, plain values) applied.
pub(crate) fn open(
    path: &Path,
    url: &str,
    settings: &[(String, String)],
) -> Result<SqlDestination<DuckDbBackend>> {
    let open_error = |reason: String| Error::Open {
        kind: "duckdb",
        path: path.to_owned(),
        reason,
    };
    let conn = Connection::open(path).map_err(|e| {
        let message = e.to_string();
        if message.contains("Could not set lock on file") {
            Error::InUse {
                kind: "duckdb",
                path: path.to_owned(),
                holder: lock_holder(&message),
                waited_secs: 0,
            }
        } else {
            open_error(message)
        }
    })?;
    for (name, value) in settings {
        conn.execute_batch(&format!("SET {name} = '{value}'"))
            .map_err(|e| open_error(format!("setting {name}={value}: {e}")))?;
    }
    SqlDestination::new(DuckDbBackend { conn }, url.to_owned()).map_err(|e| match e {
        Error::Database { message, .. } => open_error(message),
        other => other,
    })
}

/// ` (PID n)` from DuckDB's "Conflicting lock is held in PROGRAM (PID n) by user U" message
/// (`PID n` alone when it cannot read the program's name).
fn lock_holder(message: &str) -> String {
    message
        .split_once("PID ")
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|pid| !pid.is_empty())
        .map(|pid| format!(" (PID {pid})"))
        .unwrap_or_default()
}

/// `SqlValue` bound as a DuckDB parameter (a newtype: both traits and types are foreign to
/// the `duckdb` crate's coherence rules otherwise).
struct Param<'a>(&'a SqlValue);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            SqlValue::Null => ToSqlOutput::Owned(DuckValue::Null),
            SqlValue::Int(i) => ToSqlOutput::Owned(DuckValue::BigInt(*i)),
            SqlValue::Real(f) => ToSqlOutput::Owned(DuckValue::Double(*f)),
            SqlValue::Bool(b) => ToSqlOutput::Owned(DuckValue::Boolean(*b)),
            SqlValue::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn micros(unit: TimeUnit, value: i64) -> i64 {
    match unit {
        TimeUnit::Second => value.saturating_mul(1_000_000),
        TimeUnit::Millisecond => value.saturating_mul(1_000),
        TimeUnit::Microsecond => value,
        TimeUnit::Nanosecond => value / 1_000,
    }
}

/// Query results as the loader reports them: timestamps as RFC 3339 UTC, dates and times as
/// ISO text, decimals as exact text (as SQLite stores them).
fn from_duckdb(value: ValueRef<'_>) -> SqlValue {
    match value {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Boolean(b) => SqlValue::Bool(b),
        ValueRef::TinyInt(i) => SqlValue::Int(i.into()),
        ValueRef::SmallInt(i) => SqlValue::Int(i.into()),
        ValueRef::Int(i) => SqlValue::Int(i.into()),
        ValueRef::BigInt(i) => SqlValue::Int(i),
        ValueRef::UTinyInt(i) => SqlValue::Int(i.into()),
        ValueRef::USmallInt(i) => SqlValue::Int(i.into()),
        ValueRef::UInt(i) => SqlValue::Int(i.into()),
        ValueRef::UBigInt(i) => {
            i64::try_from(i).map_or_else(|_| SqlValue::Text(i.to_string()), SqlValue::Int)
        }
        ValueRef::HugeInt(i) => {
            i64::try_from(i).map_or_else(|_| SqlValue::Text(i.to_string()), SqlValue::Int)
        }
        ValueRef::Float(f) => SqlValue::Real(f.into()),
        ValueRef::Double(f) => SqlValue::Real(f),
        ValueRef::Decimal(d) => SqlValue::Text(d.to_string()),
        ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => SqlValue::Text(b.iter().map(|byte| format!("{byte:02x}")).collect()),
        ValueRef::Timestamp(unit, v) => DateTime::from_timestamp_micros(micros(unit, v))
            .map_or(SqlValue::Null, |t| {
                SqlValue::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            }),
        ValueRef::Date32(days) => NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|epoch| epoch.checked_add_signed(TimeDelta::days(days.into())))
            .map_or(SqlValue::Null, |d| {
                SqlValue::Text(d.format("%Y-%m-%d").to_string())
            }),
        ValueRef::Time64(unit, v) => {
            let us = micros(unit, v);
            let secs = u32::try_from(us.div_euclid(1_000_000)).unwrap_or(0);
            let nanos = u32::try_from(us.rem_euclid(1_000_000) * 1_000).unwrap_or(0);
            NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).map_or(SqlValue::Null, |t| {
                SqlValue::Text(t.format("%H:%M:%S%.f").to_string())
            })
        }
        other => SqlValue::Text(format!("{:?}", other.to_owned())),
    }
}

impl Backend for DuckDbBackend {
    fn dialect(&self) -> &'static dyn Dialect {
        &DuckDb
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| db_error(sql, e))
    }

    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize> {
        self.conn
            .execute(sql, duckdb::params_from_iter(params.iter().map(Param)))
            .map_err(|e| db_error(sql, e))
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>> {
        let mut statement = self.conn.prepare(sql).map_err(|e| db_error(sql, e))?;
        let mut rows = statement
            .query(duckdb::params_from_iter(params.iter().map(Param)))
            .map_err(|e| db_error(sql, e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| db_error(sql, e))? {
            let width = row.as_ref().column_count();
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(from_duckdb(row.get_ref(i).map_err(|e| db_error(sql, e))?));
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
        let context = format!("appending to {table}");
        let mut appender = self
            .conn
            .appender(table)
            .map_err(|e| db_error(&context, e))?;
        appender
            .append_record_batch(batch.clone())
            .map_err(|e| db_error(&context, e))?;
        appender.flush().map_err(|e| db_error(&context, e))
    }
}
