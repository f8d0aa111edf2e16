//! Logical column types (dlt's data types) and how JSON values become column values.
//!
//! Conversion is strict where it would lose information and lenient where it would not:
//! `42` fits a text column as `"42"`, `"42"` fits a bigint column as `42`, `1.0` fits bigint as
//! `1`, but `1.5` does not fit bigint and an object does not fit text. A value that does not fit
//! is a [`crate::Error::TypeConflict`] naming the table, the column and both types.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};
use connector_spec::{Column, DataType};
use serde_json::Value;

/// The type of a destination column, as the loader reasons about it (dialects map it to
/// their own type names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadType {
    /// UTF-8 text.
    Text,
    /// 64-bit signed integer.
    Bigint,
    /// 64-bit float.
    Double,
    /// Boolean.
    Bool,
    /// Timestamp with time zone, normalised to UTC.
    Timestamp,
    /// Calendar date.
    Date,
    /// Time of day.
    Time,
    /// Exact decimal number with precision and scale.
    Decimal {
        /// Total digits.
        precision: u32,
        /// Digits after the point.
        scale: u32,
    },
    /// Any JSON value (nested objects and lists), stored as JSON text.
    Json,
    /// 256-bit integer kept as text.
    Wei,
    /// Bytes, kept as the base64 text the API sent.
    Binary,
}

/// Decimal precision and scale when a spec gives none (dlt's defaults).
const DEFAULT_DECIMAL: (u32, u32) = (38, 9);

impl LoadType {
    /// The column type for a spec column hint. No `data_type` means text, unless the hint
    /// describes a nested shape (`items` or `fields`), which means JSON.
    pub fn from_column(column: &Column) -> LoadType {
        match column.data_type {
            Some(data_type) => LoadType::from_data_type(data_type, column.precision, column.scale),
            None if column.items.is_some() || !column.fields.is_empty() => LoadType::Json,
            None => LoadType::Text,
        }
    }

    /// The column type for a dlt data type name.
    pub fn from_data_type(data_type: DataType, precision: Option<u32>, scale: Option<u32>) -> Self {
        match data_type {
            DataType::Text => LoadType::Text,
            DataType::Bigint => LoadType::Bigint,
            DataType::Double => LoadType::Double,
            DataType::Bool => LoadType::Bool,
            DataType::Timestamp => LoadType::Timestamp,
            DataType::Date => LoadType::Date,
            DataType::Time => LoadType::Time,
            DataType::Decimal => LoadType::Decimal {
                precision: precision.unwrap_or(DEFAULT_DECIMAL.0),
                scale: scale.unwrap_or(DEFAULT_DECIMAL.1),
            },
            DataType::Wei => LoadType::Wei,
            DataType::Binary => LoadType::Binary,
            DataType::Json => LoadType::Json,
        }
    }

    /// The type a new column gets when an undeclared field first appears with this value
    /// (dlt's inference). `None` for null: a column is created only once a value is seen.
    /// Strings that are ISO 8601 date-times become timestamps (dlt's default `iso_timestamp`
    /// detection; a date alone stays text, as in dlt); integers beyond 64 bits are `wei`.
    pub fn infer(value: &Value) -> Option<LoadType> {
        match value {
            Value::Null => None,
            Value::Bool(_) => Some(LoadType::Bool),
            Value::Number(n) if n.is_i64() => Some(LoadType::Bigint),
            Value::Number(n) if n.is_u64() => Some(LoadType::Wei),
            Value::Number(_) => Some(LoadType::Double),
            Value::String(s) if looks_like_timestamp(s) => Some(LoadType::Timestamp),
            Value::String(_) => Some(LoadType::Text),
            Value::Array(_) | Value::Object(_) => Some(LoadType::Json),
        }
    }

    /// The type a column widens to so that a value of type `incoming` fits without losing
    /// what it holds already: bigint to double, date to timestamp. `None`: no such widening
    /// (the value goes to a variant column).
    pub fn widened(self, incoming: LoadType) -> Option<LoadType> {
        match (self, incoming) {
            (LoadType::Bigint, LoadType::Double) => Some(LoadType::Double),
            (LoadType::Date, LoadType::Timestamp) => Some(LoadType::Timestamp),
            _ => None,
        }
    }

    /// The physical kind values of this type travel as (in the loader's Arrow batches).
    pub(crate) fn physical(&self) -> Physical {
        match self {
            LoadType::Bigint => Physical::Int,
            LoadType::Double => Physical::Real,
            LoadType::Bool => Physical::Bool,
            _ => Physical::Text,
        }
    }

    /// dlt's name of the type, as stored in the schema table.
    pub fn name(&self) -> &'static str {
        match self {
            LoadType::Text => "text",
            LoadType::Bigint => "bigint",
            LoadType::Double => "double",
            LoadType::Bool => "bool",
            LoadType::Timestamp => "timestamp",
            LoadType::Date => "date",
            LoadType::Time => "time",
            LoadType::Decimal { .. } => "decimal",
            LoadType::Json => "json",
            LoadType::Wei => "wei",
            LoadType::Binary => "binary",
        }
    }

    /// The inverse of [`LoadType::name`], with precision and scale for decimals.
    pub fn from_name(name: &str, precision: Option<u32>, scale: Option<u32>) -> Option<Self> {
        let data_type = match name {
            "text" => DataType::Text,
            "bigint" => DataType::Bigint,
            "double" => DataType::Double,
            "bool" => DataType::Bool,
            "timestamp" => DataType::Timestamp,
            "date" => DataType::Date,
            "time" => DataType::Time,
            "decimal" => DataType::Decimal,
            "json" => DataType::Json,
            "wei" => DataType::Wei,
            "binary" => DataType::Binary,
            _ => return None,
        };
        Some(LoadType::from_data_type(data_type, precision, scale))
    }

    /// Whether values of this type are carried as text between the loader and the database
    /// (the database casts them to the column type).
    pub fn is_textual(&self) -> bool {
        !matches!(self, LoadType::Bigint | LoadType::Double | LoadType::Bool)
    }

    /// Converts one JSON value to a value of this column type; `Err` carries the JSON type
    /// name of the value that did not fit. Text borrows from the value where it can.
    pub(crate) fn convert<'a>(&self, value: &'a Value) -> Result<Cell<'a>, &'static str> {
        let converted = match (self, value) {
            (_, Value::Null) => Some(Cell::Null),
            (LoadType::Json, v) => serde_json::to_string(v).ok().map(Cell::owned),
            (LoadType::Text | LoadType::Wei | LoadType::Binary, Value::String(s)) => {
                Some(Cell::Str(Cow::Borrowed(s)))
            }
            (LoadType::Text | LoadType::Wei | LoadType::Binary, v) => {
                scalar_text(v).map(Cell::owned)
            }
            (LoadType::Bigint, Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| is_exact_i64(*f)).map(|f| f as i64))
                .map(Cell::Int),
            (LoadType::Bigint, Value::String(s)) => s.trim().parse::<i64>().ok().map(Cell::Int),
            (LoadType::Double, Value::Number(n)) => n.as_f64().map(Cell::Real),
            (LoadType::Double, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Cell::Real),
            (LoadType::Bool, Value::Bool(b)) => Some(Cell::Bool(*b)),
            (LoadType::Decimal { .. }, Value::Number(n)) => Some(Cell::owned(n.to_string())),
            (LoadType::Decimal { .. }, Value::String(s)) => {
                is_decimal_literal(s.trim()).then(|| Cell::owned(s.trim().to_owned()))
            }
            (LoadType::Timestamp, Value::String(s)) if is_canonical_timestamp(s) => {
                Some(Cell::Str(Cow::Borrowed(s)))
            }
            (LoadType::Timestamp, Value::String(s)) => parse_timestamp(s).map(Cell::owned),
            (LoadType::Timestamp, Value::Number(n)) => {
                n.as_f64().and_then(epoch_to_rfc3339).map(Cell::owned)
            }
            (LoadType::Date, Value::String(s)) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .ok()
                .map(|d| Cell::owned(d.format("%Y-%m-%d").to_string())),
            (LoadType::Time, Value::String(s)) => parse_time(s).map(Cell::owned),
            _ => None,
        };
        converted.ok_or_else(|| json_type_name(value))
    }
}

/// How a column's values are carried: the four Arrow types the loader's batches use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Physical {
    /// 64-bit integers.
    Int,
    /// 64-bit floats.
    Real,
    /// Booleans.
    Bool,
    /// UTF-8 text (also timestamps, dates, decimals and JSON, cast by the database).
    Text,
}

/// One converted value on its way into a batch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    /// No value.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// A boolean.
    Bool(bool),
    /// Text, borrowed from the record where possible.
    Str(Cow<'a, str>),
}

impl Cell<'_> {
    fn owned(text: String) -> Cell<'static> {
        Cell::Str(Cow::Owned(text))
    }
}

impl fmt::Display for LoadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            other => f.write_str(other.name()),
        }
    }
}

/// A value on its way into a database column.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Real(f64),
    /// A boolean.
    Bool(bool),
    /// Text (also timestamps, dates, decimals and JSON, which the database casts).
    Text(String),
}

impl SqlValue {
    /// The value as JSON (what queries hand back).
    pub fn to_json(&self) -> Value {
        match self {
            SqlValue::Null => Value::Null,
            SqlValue::Int(i) => Value::from(*i),
            SqlValue::Real(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            SqlValue::Bool(b) => Value::Bool(*b),
            SqlValue::Text(s) => Value::String(s.clone()),
        }
    }
}

/// The JSON type of a value, as error messages name it (the spec's rule, shared with the
/// sample check and `connector check --live`).
pub use connector_spec::fit::json_type as json_type_name;

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_exact_i64(f: f64) -> bool {
    f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64
}

fn is_decimal_literal(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let frac = parts.next().unwrap_or_default();
    !(whole.is_empty() && frac.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// RFC 3339 (any offset), or a naive date-time taken as UTC; normalised to RFC 3339 UTC so
/// every destination stores and compares the same text.
/// Whether `s` is a valid UTC date-time to the second (`2024-05-01T12:00:00Z`): exactly what
/// [`parse_timestamp`] would make of it, so it is stored as sent, without a copy.
fn is_canonical_timestamp(s: &str) -> bool {
    s.len() == 20
        && s.as_bytes()[10] == b'T'
        && s.ends_with('Z')
        && DateTime::parse_from_rfc3339(s).is_ok_and(|t| t.timestamp_subsec_nanos() == 0)
}

fn parse_timestamp(s: &str) -> Option<String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(
            t.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        );
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f%:z",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(s, format).ok())
    .map(|naive| naive.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true))
    .or_else(|| {
        DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z")
            .ok()
            .map(|t| {
                t.with_timezone(&Utc)
                    .to_rfc3339_opts(SecondsFormat::AutoSi, true)
            })
    })
}

/// Whether undeclared text is an ISO 8601 date-time (not a date alone, not a time alone), as
/// dlt's `iso_timestamp` detection decides it.
fn looks_like_timestamp(s: &str) -> bool {
    // Cheap shape check first: `YYYY-MM-DD` then `T` or a space; most text fails here.
    let b = s.as_bytes();
    b.len() >= 16
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't' | b' ')
        && parse_timestamp(s).is_some()
}

fn epoch_to_rfc3339(seconds: f64) -> Option<String> {
    if !seconds.is_finite() {
        return None;
    }
    let whole = seconds.floor();
    let nanos = ((seconds - whole) * 1e9).round() as u32;
    DateTime::<Utc>::from_timestamp(whole as i64, nanos.min(999_999_999))
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

fn parse_time(s: &str) -> Option<String> {
    let s = s.trim();
    ["%H:%M:%S%.f", "%H:%M"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(s, format).ok())
        .map(|t| t.format("%H:%M:%S%.f").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lossless_conversions_are_accepted() {
        assert_eq!(LoadType::Bigint.convert(&json!("42")), Ok(Cell::Int(42)));
        assert_eq!(LoadType::Bigint.convert(&json!(3.0)), Ok(Cell::Int(3)));
        assert_eq!(LoadType::Text.convert(&json!(7)), Ok(text("7")));
        assert_eq!(
            LoadType::Timestamp.convert(&json!("2024-05-01T12:00:00+02:00")),
            Ok(text("2024-05-01T10:00:00Z"))
        );
        assert_eq!(
            LoadType::Timestamp.convert(&json!("2024-05-01 10:00:00")),
            Ok(text("2024-05-01T10:00:00Z"))
        );
        assert_eq!(
            LoadType::Timestamp.convert(&json!(0)),
            Ok(text("1970-01-01T00:00:00Z"))
        );
        // Already canonical: kept as sent; an impossible date still fails.
        assert_eq!(
            LoadType::Timestamp.convert(&json!("2024-05-01T12:00:00Z")),
            Ok(text("2024-05-01T12:00:00Z"))
        );
        assert!(LoadType::Timestamp
            .convert(&json!("2024-02-30T12:00:00Z"))
            .is_err());
        assert_eq!(
            LoadType::Timestamp.convert(&json!("2016-12-31T23:59:60Z")),
            Ok(text("2016-12-31T23:59:60Z"))
        );
        assert_eq!(
            LoadType::Time.convert(&json!("10:30")),
            Ok(text("10:30:00"))
        );
    }

    fn text(s: &str) -> Cell<'static> {
        Cell::Str(Cow::Owned(s.to_owned()))
    }

    #[test]
    fn inference_detects_iso_timestamps_only() {
        assert_eq!(
            LoadType::infer(&json!("2024-05-01T12:00:00Z")),
            Some(LoadType::Timestamp)
        );
        assert_eq!(
            LoadType::infer(&json!("2024-05-01 12:00:00")),
            Some(LoadType::Timestamp)
        );
        assert_eq!(LoadType::infer(&json!("2024-05-01")), Some(LoadType::Text));
        assert_eq!(
            LoadType::infer(&json!("2024-05-01T99:00:00Z")),
            Some(LoadType::Text)
        );
        assert_eq!(LoadType::infer(&json!(u64::MAX)), Some(LoadType::Wei));
        assert_eq!(
            LoadType::Bigint.widened(LoadType::Double),
            Some(LoadType::Double)
        );
        assert_eq!(LoadType::Double.widened(LoadType::Text), None);
    }

    #[test]
    fn lossy_conversions_name_the_json_type() {
        assert_eq!(LoadType::Bigint.convert(&json!(1.5)), Err("number"));
        assert_eq!(LoadType::Bigint.convert(&json!("abc")), Err("string"));
        assert_eq!(LoadType::Text.convert(&json!({"a": 1})), Err("object"));
        assert_eq!(LoadType::Bool.convert(&json!(1)), Err("integer"));
        assert_eq!(
            LoadType::Timestamp.convert(&json!("yesterday")),
            Err("string")
        );
        assert_eq!(
            LoadType::Decimal {
                precision: 10,
                scale: 2
            }
            .convert(&json!("1e5")),
            Err("string")
        );
    }
}
