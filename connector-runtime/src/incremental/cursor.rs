//! Ordering cursor values: what "later" means for an incremental cursor.
//!
//! A cursor is a JSON value, classified once per comparison:
//! - a string that parses as a timestamp is an **instant**: RFC 3339 with any offset
//!   (`2024-01-01T10:00:00+02:00` is before `2024-01-01T09:00:00Z`), a naive ISO date-time
//!   (`2024-01-01T10:00:00`, `2024-01-01 10:00:00`, read as UTC), or a date (`2024-01-01`,
//!   midnight UTC), so an `initial_value` written as a date bounds timestamp cursors;
//! - a JSON number is a **number**, compared by value (`9` before `10`);
//! - any other string is **text**, compared byte by byte (ids like `a-0009`);
//! - `true`/`false` compare as booleans.
//!
//! Two values of different kinds (a number and a timestamp, a timestamp and free text) do not
//! compare: the caller turns that into an error naming both values, never a silent guess.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Number, Value};

/// One cursor value, classified.
#[derive(Debug, Clone, PartialEq)]
enum Key<'a> {
    Instant(DateTime<Utc>),
    Number(&'a Number),
    Text(&'a str),
    Bool(bool),
    /// An object, a list or null: never a cursor.
    Other(&'static str),
}

impl Key<'_> {
    fn of(value: &Value) -> Key<'_> {
        match value {
            Value::String(s) => instant(s).map_or(Key::Text(s), Key::Instant),
            Value::Number(n) => Key::Number(n),
            Value::Bool(b) => Key::Bool(*b),
            Value::Null => Key::Other("null"),
            Value::Array(_) => Key::Other("a list"),
            Value::Object(_) => Key::Other("an object"),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Key::Instant(_) => "a timestamp",
            Key::Number(_) => "a number",
            Key::Text(_) => "text",
            Key::Bool(_) => "a boolean",
            Key::Other(kind) => kind,
        }
    }
}

/// The kinds of two cursor values that do not compare (`"a number"`, `"a timestamp"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mismatch {
    pub(crate) left: &'static str,
    pub(crate) right: &'static str,
}

/// Orders two cursor values (see the module docs); values of different kinds are a
/// [`Mismatch`].
pub(crate) fn compare(a: &Value, b: &Value) -> Result<Ordering, Mismatch> {
    let (x, y) = (Key::of(a), Key::of(b));
    let ordering = match (&x, &y) {
        (Key::Instant(x), Key::Instant(y)) => Some(x.cmp(y)),
        (Key::Number(x), Key::Number(y)) => numbers(x, y),
        (Key::Text(x), Key::Text(y)) => Some(x.cmp(y)),
        (Key::Bool(x), Key::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    };
    ordering.ok_or(Mismatch {
        left: x.kind(),
        right: y.kind(),
    })
}

fn numbers(x: &Number, y: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
        return Some(x.cmp(&y));
    }
    x.as_f64()?.partial_cmp(&y.as_f64()?)
}

/// The instant a string names, when it is a timestamp or a date.
pub(crate) fn instant(s: &str) -> Option<DateTime<Utc>> {
    // Cheap shape check first: most text cursors are not dates, and parsing is not free.
    let b = s.as_bytes();
    let shaped = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit);
    if !shaped {
        return None;
    }
    if b.len() == 10 {
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        return Some(date.and_hms_opt(0, 0, 0)?.and_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // ISO 8601 offsets without a colon (`+0200`), and naive date-times (read as UTC).
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cmp(a: Value, b: Value) -> Result<Ordering, Mismatch> {
        compare(&a, &b)
    }

    #[test]
    fn timestamps_compare_as_instants_whatever_their_offset() {
        // As text, "10:00+02:00" sorts after "09:00Z"; as instants it is an hour before.
        assert_eq!(
            cmp(
                json!("2024-01-01T10:00:00+02:00"),
                json!("2024-01-01T09:00:00Z")
            ),
            Ok(Ordering::Less)
        );
        assert_eq!(
            cmp(
                json!("2024-01-01T10:00:00+02:00"),
                json!("2024-01-01T08:00:00Z")
            ),
            Ok(Ordering::Equal)
        );
        assert_eq!(
            cmp(
                json!("2024-01-01T08:00:00.5Z"),
                json!("2024-01-01T08:00:00Z")
            ),
            Ok(Ordering::Greater),
            "fractions"
        );
        assert_eq!(
            cmp(
                json!("2024-01-01T10:00:00+0200"),
                json!("2024-01-01T08:00:00Z")
            ),
            Ok(Ordering::Equal),
            "an offset without a colon"
        );
        assert_eq!(
            cmp(json!("2024-01-01 08:00:00"), json!("2024-01-01T08:00:00Z")),
            Ok(Ordering::Equal),
            "a naive date-time is UTC"
        );
        assert_eq!(
            cmp(json!("2024-01-02"), json!("2024-01-01T23:59:59Z")),
            Ok(Ordering::Greater),
            "a date is midnight UTC"
        );
        assert_eq!(
            cmp(json!("2024-01-09"), json!("2024-01-10")),
            Ok(Ordering::Less)
        );
    }

    #[test]
    fn numbers_compare_by_value_and_text_byte_by_byte() {
        assert_eq!(cmp(json!(9), json!(10)), Ok(Ordering::Less));
        assert_eq!(cmp(json!(9.5), json!(10)), Ok(Ordering::Less));
        assert_eq!(cmp(json!(u64::MAX), json!(1)), Ok(Ordering::Greater));
        assert_eq!(cmp(json!(-1), json!(u64::MAX)), Ok(Ordering::Less));
        assert_eq!(cmp(json!("a-0009"), json!("a-0010")), Ok(Ordering::Less));
        assert_eq!(cmp(json!("b"), json!("a")), Ok(Ordering::Greater));
        assert_eq!(
            cmp(json!("2024-13-45"), json!("2024-99-01")),
            Ok(Ordering::Less),
            "not real dates: text"
        );
        assert_eq!(cmp(json!(false), json!(true)), Ok(Ordering::Less));
    }

    #[test]
    fn values_of_different_kinds_do_not_compare() {
        assert_eq!(
            cmp(json!(17), json!("2024-01-01T00:00:00Z")),
            Err(Mismatch {
                left: "a number",
                right: "a timestamp"
            })
        );
        assert_eq!(
            cmp(json!("2024-01-01"), json!("yesterday")),
            Err(Mismatch {
                left: "a timestamp",
                right: "text"
            })
        );
        assert_eq!(
            cmp(json!("1"), json!(1)),
            Err(Mismatch {
                left: "text",
                right: "a number"
            })
        );
        assert_eq!(
            cmp(json!({"a": 1}), json!(1)),
            Err(Mismatch {
                left: "an object",
                right: "a number"
            })
        );
    }
}
