//! Values between the engine and PostgreSQL's binary formats: parameters out, result cells
//! in, and Arrow batches as binary `COPY` rows.

use std::error::Error as StdError;
use std::fmt::Write as _;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use bytes::{BufMut, BytesMut};
use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, TimeDelta};
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, Kind, ToSql, Type};

use crate::types::{LoadType, SqlValue};

type BoxError = Box<dyn StdError + Sync + Send>;

/// The type a parameter is declared with when the statement is prepared: the server then
/// converts (`CAST($1 AS TIMESTAMPTZ)` of a text), and a NULL's type is inferred.
pub(super) fn param_type(value: &SqlValue) -> Type {
    match value {
        SqlValue::Null => Type::UNKNOWN,
        SqlValue::Int(_) => Type::INT8,
        SqlValue::Real(_) => Type::FLOAT8,
        SqlValue::Bool(_) => Type::BOOL,
        SqlValue::Text(_) => Type::TEXT,
    }
}

/// A parameter in the binary format of the type [`param_type`] declared.
#[derive(Debug)]
pub(super) struct Param<'a>(pub(super) &'a SqlValue);

impl ToSql for Param<'_> {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self.0 {
            SqlValue::Null => return Ok(IsNull::Yes),
            SqlValue::Int(i) => out.put_i64(*i),
            SqlValue::Real(f) => out.put_f64(*f),
            SqlValue::Bool(b) => out.put_u8(u8::from(*b)),
            SqlValue::Text(s) => out.put_slice(s.as_bytes()),
        }
        Ok(IsNull::No)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// One result cell, read from any column type.
pub(super) struct Cell(pub(super) SqlValue);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(Cell(decode(ty, raw)?))
    }

    fn from_sql_null(_ty: &Type) -> Result<Self, BoxError> {
        Ok(Cell(SqlValue::Null))
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

fn be<const N: usize>(raw: &[u8]) -> Result<[u8; N], BoxError> {
    raw.get(..N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| "short binary value".into())
}

/// Microseconds since 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

fn decode(ty: &Type, raw: &[u8]) -> Result<SqlValue, BoxError> {
    if let Kind::Domain(inner) = ty.kind() {
        return decode(inner, raw);
    }
    let text = |raw: &[u8]| SqlValue::Text(String::from_utf8_lossy(raw).into_owned());
    // Matched by OID: `Type` constants cannot be patterns.
    Ok(match ty.oid() {
        16 => SqlValue::Bool(raw.first().is_some_and(|b| *b != 0)),
        21 => SqlValue::Int(i16::from_be_bytes(be(raw)?).into()),
        23 => SqlValue::Int(i32::from_be_bytes(be(raw)?).into()),
        26 => SqlValue::Int(u32::from_be_bytes(be(raw)?).into()),
        20 => SqlValue::Int(i64::from_be_bytes(be(raw)?)),
        700 => SqlValue::Real(f32::from_be_bytes(be(raw)?).into()),
        701 => SqlValue::Real(f64::from_be_bytes(be(raw)?)),
        3802 => text(raw.get(1..).unwrap_or_default()),
        1184 | 1114 => {
            let micros = i64::from_be_bytes(be(raw)?);
            match micros {
                i64::MAX => SqlValue::Text("infinity".into()),
                i64::MIN => SqlValue::Text("-infinity".into()),
                m => DateTime::from_timestamp_micros(m.saturating_add(PG_EPOCH_MICROS))
                    .map_or(SqlValue::Null, |t| {
                        SqlValue::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                    }),
            }
        }
        1082 => {
            let days = i32::from_be_bytes(be(raw)?);
            NaiveDate::from_ymd_opt(2000, 1, 1)
                .and_then(|epoch| epoch.checked_add_signed(TimeDelta::days(days.into())))
                .map_or(SqlValue::Null, |d| {
                    SqlValue::Text(d.format("%Y-%m-%d").to_string())
                })
        }
        1083 => {
            let micros = i64::from_be_bytes(be(raw)?);
            let secs = u32::try_from(micros.div_euclid(1_000_000)).unwrap_or(0);
            let nanos = u32::try_from(micros.rem_euclid(1_000_000) * 1_000).unwrap_or(0);
            NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos).map_or(SqlValue::Null, |t| {
                SqlValue::Text(t.format("%H:%M:%S%.f").to_string())
            })
        }
        1700 => SqlValue::Text(numeric(raw)?),
        17 => SqlValue::Text(raw.iter().map(|b| format!("{b:02x}")).collect()),
        2278 => SqlValue::Null,
        // Text-like types (text, varchar, bpchar, name, json, unknown) and enums are UTF-8
        // in binary too.
        25 | 1043 | 1042 | 19 | 114 | 705 => text(raw),
        _ if matches!(ty.kind(), Kind::Enum(_)) => text(raw),
        _ => SqlValue::Text(format!("<{} value>", ty.name())),
    })
}

/// NUMERIC's binary form (base-10000 digits) as decimal text with its scale.
fn numeric(raw: &[u8]) -> Result<String, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        Ok(i16::from_be_bytes(be(raw
            .get(i * 2..)
            .unwrap_or_default())?))
    };
    let ndigits = usize::try_from(word(0)?).unwrap_or(0);
    let weight = i64::from(word(1)?);
    let sign = word(2)? as u16;
    let dscale = usize::try_from(word(3)?).unwrap_or(0);
    match sign {
        0xC000 => return Ok("NaN".into()),
        0xD000 => return Ok("Infinity".into()),
        0xF000 => return Ok("-Infinity".into()),
        _ => {}
    }
    let mut digits = Vec::with_capacity(ndigits);
    for i in 0..ndigits {
        digits.push(word(4 + i)?);
    }
    let digit = |k: i64| -> i16 {
        usize::try_from(k)
            .ok()
            .and_then(|k| digits.get(k).copied())
            .unwrap_or(0)
    };
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if weight < 0 {
        out.push('0');
    } else {
        for k in 0..=weight {
            if k == 0 {
                write!(out, "{}", digit(k))?;
            } else {
                write!(out, "{:04}", digit(k))?;
            }
        }
    }
    if dscale > 0 {
        let mut frac = String::with_capacity(dscale + 4);
        let mut k = weight + 1;
        while frac.len() < dscale {
            write!(frac, "{:04}", digit(k))?;
            k += 1;
        }
        frac.truncate(dscale);
        out.push('.');
        out.push_str(&frac);
    }
    Ok(out)
}

/// The binary `COPY` header: signature, flags, no extension.
pub(super) const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The binary `COPY` trailer.
pub(super) const COPY_TRAILER: &[u8] = &[0xff, 0xff];

/// One column of a batch, as binary `COPY` fields.
enum Column<'a> {
    Int(&'a Int64Array),
    Real(&'a Float64Array),
    Bool(&'a BooleanArray),
    Text(&'a StringArray),
    /// RFC 3339 text (the normalizer's UTC form) into a `timestamptz` column.
    Timestamp(&'a StringArray),
    /// JSON text into a `jsonb` column.
    Jsonb(&'a StringArray),
}

impl<'a> Column<'a> {
    /// The column for `array`; `typed` is the load type of a text array staged in its own
    /// type ([`crate::dialect::Dialect::stages_typed`]), `None` for text staged as text.
    fn of(array: &'a ArrayRef, typed: Option<LoadType>) -> Result<Column<'a>, String> {
        let any = array.as_any();
        if let Some(a) = any.downcast_ref::<Int64Array>() {
            Ok(Column::Int(a))
        } else if let Some(a) = any.downcast_ref::<Float64Array>() {
            Ok(Column::Real(a))
        } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
            Ok(Column::Bool(a))
        } else if let Some(a) = any.downcast_ref::<StringArray>() {
            match typed {
                None => Ok(Column::Text(a)),
                Some(LoadType::Timestamp) => Ok(Column::Timestamp(a)),
                Some(LoadType::Json) => Ok(Column::Jsonb(a)),
                Some(other) => Err(format!(
                    "the loader has no binary COPY encoding for {} staged in its own type",
                    other.name()
                )),
            }
        } else {
            Err(format!(
                "the loader has no COPY encoding for Arrow type {}",
                array.data_type()
            ))
        }
    }

    fn put(&self, row: usize, out: &mut BytesMut) -> Result<(), String> {
        let valid = match self {
            Column::Int(a) => a.is_valid(row),
            Column::Real(a) => a.is_valid(row),
            Column::Bool(a) => a.is_valid(row),
            Column::Text(a) | Column::Timestamp(a) | Column::Jsonb(a) => a.is_valid(row),
        };
        if !valid {
            out.put_i32(-1);
            return Ok(());
        }
        match self {
            Column::Int(a) => {
                out.put_i32(8);
                out.put_i64(a.value(row));
            }
            Column::Real(a) => {
                out.put_i32(8);
                out.put_f64(a.value(row));
            }
            Column::Bool(a) => {
                out.put_i32(1);
                out.put_u8(u8::from(a.value(row)));
            }
            Column::Text(a) => put_text(out, &[], a.value(row)),
            Column::Timestamp(a) => {
                out.put_i32(8);
                out.put_i64(timestamptz(a.value(row))?);
            }
            // jsonb's binary form: its version (1), then the JSON text.
            Column::Jsonb(a) => put_text(out, &[1], a.value(row)),
        }
        Ok(())
    }
}

/// A length-prefixed field of `prefix` then `text`.
fn put_text(out: &mut BytesMut, prefix: &[u8], text: &str) {
    // A value over 1 GB is refused by the server anyway.
    let len = prefix.len() + text.len();
    out.put_i32(i32::try_from(len).unwrap_or(i32::MAX));
    out.put_slice(prefix);
    out.put_slice(text.as_bytes());
}

/// An RFC 3339 timestamp as `timestamptz`'s binary form: microseconds since 2000-01-01 UTC
/// (PostgreSQL keeps no finer), rounded to the nearest, halves up.
fn timestamptz(text: &str) -> Result<i64, String> {
    let t = DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("timestamp `{text}` is not RFC 3339: {e}"))?;
    let micros = i64::from(t.timestamp_subsec_nanos()).saturating_add(500) / 1000;
    t.timestamp()
        .checked_mul(1_000_000)
        .and_then(|s| s.checked_add(micros))
        .and_then(|m| m.checked_sub(PG_EPOCH_MICROS))
        .ok_or_else(|| format!("timestamp `{text}` is out of PostgreSQL's range"))
}

/// Appends rows `rows` of `batch` to `out` as binary `COPY` tuples; `typed` as in
/// [`Column::of`], one per batch column.
pub(super) fn copy_rows(
    batch: &RecordBatch,
    typed: &[Option<LoadType>],
    rows: std::ops::Range<usize>,
    out: &mut BytesMut,
) -> Result<(), String> {
    let columns = batch
        .columns()
        .iter()
        .enumerate()
        .map(|(i, array)| Column::of(array, typed.get(i).copied().flatten()))
        .collect::<Result<Vec<_>, _>>()?;
    let width = i16::try_from(columns.len()).map_err(|_| "too many columns for COPY")?;
    for row in rows {
        out.put_i16(width);
        for column in &columns {
            column.put(row, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_bytes(weight: i16, sign: u16, dscale: i16, digits: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        for w in [digits.len() as i16, weight, sign as i16, dscale] {
            out.extend_from_slice(&w.to_be_bytes());
        }
        for d in digits {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out
    }

    #[test]
    fn timestamps_are_microseconds_since_2000_rounded() {
        assert_eq!(timestamptz("2000-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(
            timestamptz("2000-01-01T00:00:01.0000005Z").unwrap(),
            1_000_001
        );
        assert_eq!(timestamptz("1999-12-31T23:59:59.9999996Z").unwrap(), 0);
        assert_eq!(timestamptz("2000-01-01T02:00:00+02:00").unwrap(), 0);
        assert_eq!(
            timestamptz("1970-01-01T00:00:00Z").unwrap(),
            -PG_EPOCH_MICROS
        );
        assert_eq!(
            timestamptz("yesterday").unwrap_err(),
            "timestamp `yesterday` is not RFC 3339: premature end of input"
        );
    }

    #[test]
    fn numeric_text_keeps_its_scale() {
        assert_eq!(
            numeric(&numeric_bytes(0, 0, 2, &[12, 5000])).unwrap(),
            "12.50"
        );
        assert_eq!(
            numeric(&numeric_bytes(1, 0x4000, 0, &[1, 2345])).unwrap(),
            "-12345"
        );
        assert_eq!(
            numeric(&numeric_bytes(-2, 0, 8, &[1])).unwrap(),
            "0.00000001"
        );
        assert_eq!(numeric(&numeric_bytes(0, 0, 0, &[])).unwrap(), "0");
        assert_eq!(numeric(&numeric_bytes(0, 0xC000, 0, &[])).unwrap(), "NaN");
        assert!(numeric(&[0, 1]).is_err());
    }
}
