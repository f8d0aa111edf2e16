//! Whether a record fits a resource's declared columns: the one rule behind the compile-time
//! sample check (`samples:`, in connector-codegen) and `connector check --live`.
//!
//! Columns are matched by the field names as the API sends them, the names the generated
//! record structs read (a column `createdAt` reads field `createdAt`). A declared column must
//! hold its type (`bigint` a JSON integer, `double` any number, `bool` true or false, `json`
//! anything unless `items` or `fields` say a list or an object, every other type a string,
//! an RFC 3339 one where a schema document's `format` promises it: [`TextFormat::accepts`]);
//! `nullable: false` means present and not null. Fields the columns do not declare fit (they
//! land in a record's `extra` map) and are listed in [`Fit::undeclared`], nested ones inside a
//! declared object with `fields` too.
//!
//! ```
//! use connector_spec::fit::{fit, Problem};
//! use connector_spec::Column;
//! use indexmap::IndexMap;
//! use serde_json::json;
//!
//! let mut columns: IndexMap<String, Column> = IndexMap::new();
//! columns.insert("id".into(), serde_json::from_value(json!({"data_type": "bigint", "nullable": false})).unwrap());
//! let fit = fit(&columns, &json!({"id": "7", "name": "Ada"}));
//! assert_eq!(fit.misfits[0].path, "id");
//! assert!(matches!(fit.misfits[0].problem, Problem::Type { .. }));
//! assert_eq!(fit.misfits[0].to_string(), "expected bigint (a JSON integer), found string `\"7\"`");
//! assert_eq!(fit.undeclared[0].path, "name");
//! assert_eq!(fit.undeclared[0].json_type, "string");
//! ```

use std::fmt;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::{Column, DataType, TextFormat};

/// What one record's fields say about the declared columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fit {
    /// Declared columns the record contradicts, in column order.
    pub misfits: Vec<Misfit>,
    /// Fields the record has and the columns do not declare, in record order.
    pub undeclared: Vec<Undeclared>,
}

/// A field the columns do not declare.
#[derive(Debug, Clone, PartialEq)]
pub struct Undeclared {
    /// Its path: `extra`, or `owner.nickname` inside a declared object with `fields`.
    pub path: String,
    /// Its value's JSON type ([`json_type`]).
    pub json_type: &'static str,
}

/// A declared column the record contradicts.
#[derive(Debug, Clone, PartialEq)]
pub struct Misfit {
    /// The declared (top-level) column, as the spec names it.
    pub column: String,
    /// Where in the record: the column, or a path into it (`owner.id`, `tags[1]`).
    pub path: String,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Absent, but declared `nullable: false`.
    Missing,
    /// Null, but declared `nullable: false`.
    Null,
    /// A value the declared type does not allow.
    Type {
        /// The declared type, as the spec writes it ([`type_name`]).
        declared: String,
        /// The JSON the declared type needs (`a JSON integer`).
        expected: &'static str,
        /// The value found.
        found: Value,
    },
}

impl fmt::Display for Misfit {
    /// What is wrong, without the path: `expected bigint (a JSON integer), found string
    /// `"7"``, `missing, but the column has `nullable: false``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::Missing => f.write_str("missing, but the column has `nullable: false`"),
            Problem::Null => f.write_str("null, but the column has `nullable: false`"),
            Problem::Type {
                declared,
                expected,
                found,
            } => write!(
                f,
                "expected {declared} ({expected}), found {}",
                preview(found)
            ),
        }
    }
}

/// How `record` fits `columns`. A record that is not a JSON object fits nothing: callers say
/// so themselves (see [`json_type`]).
pub fn fit(columns: &IndexMap<String, Column>, record: &Value) -> Fit {
    let mut out = Fit::default();
    let Value::Object(fields) = record else {
        return out;
    };
    undeclared(fields, columns, "", &mut out.undeclared);
    for (name, column) in columns {
        let mut found = Vec::new();
        check_value(
            fields.get(name),
            column,
            name,
            &mut found,
            &mut out.undeclared,
        );
        out.misfits
            .extend(found.into_iter().map(|(path, problem)| Misfit {
                column: name.clone(),
                path,
                problem,
            }));
    }
    out
}

fn undeclared(
    fields: &Map<String, Value>,
    declared: &IndexMap<String, Column>,
    prefix: &str,
    out: &mut Vec<Undeclared>,
) {
    for (name, value) in fields {
        if !declared.contains_key(name) {
            out.push(Undeclared {
                path: format!("{prefix}{name}"),
                json_type: json_type(value),
            });
        }
    }
}

/// Checks one value against its column; pushes `(field path, problem)`.
fn check_value(
    value: Option<&Value>,
    column: &Column,
    path: &str,
    found: &mut Vec<(String, Problem)>,
    extra: &mut Vec<Undeclared>,
) {
    let nullable = column.nullable.unwrap_or(true);
    let value = match value {
        None if nullable => return,
        None => return found.push((path.to_owned(), Problem::Missing)),
        Some(Value::Null) if nullable => return,
        Some(Value::Null) => return found.push((path.to_owned(), Problem::Null)),
        Some(value) => value,
    };
    let fits = match column.data_type.unwrap_or(DataType::Text) {
        DataType::Bigint => value.is_i64(),
        DataType::Double => value.is_number(),
        DataType::Bool => value.is_boolean(),
        DataType::Json => {
            if let Some(items) = &column.items {
                let Value::Array(elements) = value else {
                    return found.push((path.to_owned(), mismatch(column, value)));
                };
                // List elements are present unless the spec says they may be null.
                let mut element = (**items).clone();
                element.nullable = Some(items.nullable == Some(true));
                for (i, e) in elements.iter().enumerate() {
                    check_value(Some(e), &element, &format!("{path}[{i}]"), found, extra);
                }
                return;
            }
            if !column.fields.is_empty() {
                let Value::Object(map) = value else {
                    return found.push((path.to_owned(), mismatch(column, value)));
                };
                undeclared(map, &column.fields, &format!("{path}."), extra);
                for (name, field) in &column.fields {
                    check_value(
                        map.get(name),
                        field,
                        &format!("{path}.{name}"),
                        found,
                        extra,
                    );
                }
                return;
            }
            true
        }
        _ => match (column.format, value) {
            (Some(format), Value::String(text)) => format.accepts(text),
            (None, value) => value.is_string(),
            (Some(_), _) => false,
        },
    };
    if !fits {
        found.push((path.to_owned(), mismatch(column, value)));
    }
}

fn mismatch(column: &Column, value: &Value) -> Problem {
    let expected = match column.data_type.unwrap_or(DataType::Text) {
        DataType::Bigint => "a JSON integer",
        DataType::Double => "a JSON number",
        DataType::Bool => "true or false",
        DataType::Json if column.items.is_some() => "a JSON list",
        DataType::Json => "a JSON object",
        _ => match column.format {
            Some(TextFormat::DateTime) => "an RFC 3339 date-time string",
            Some(TextFormat::Date) => "an RFC 3339 date string",
            None => "a JSON string",
        },
    };
    Problem::Type {
        declared: type_name(column),
        expected,
        found: value.clone(),
    }
}

/// The spec's name of a column type (`json` with items or fields spelled out: `json list of
/// text`, `json object`).
pub fn type_name(column: &Column) -> String {
    let base = column.data_type.unwrap_or(DataType::Text).as_str();
    if let Some(items) = &column.items {
        format!("{base} list of {}", type_name(items))
    } else if !column.fields.is_empty() {
        format!("{base} object")
    } else {
        base.to_owned()
    }
}

/// The JSON type of a value, as messages name it: `null`, `boolean`, `integer`, `number`,
/// `string`, `array`, `object` (JSON Schema's names).
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The value's JSON type and its JSON text, cut at 40 characters: string `"7"`.
pub fn preview(value: &Value) -> String {
    let mut text = value.to_string();
    if text.chars().count() > 40 {
        text = text.chars().take(37).collect::<String>() + "...";
    }
    format!("{} `{text}`", json_type(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn value_checks_name_the_field() {
        let columns: IndexMap<String, Column> = serde_json::from_value(json!({"o": {
            "data_type": "json",
            "fields": {"n": {"data_type": "bigint", "nullable": false}, "tags": {"data_type": "json", "items": {"data_type": "text"}}}
        }}))
        .unwrap();
        let fit = fit(
            &columns,
            &json!({"o": {"n": "x", "tags": ["a", 2, null], "more": 1}, "top": true}),
        );
        let fields: Vec<&str> = fit.misfits.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(fields, ["o.n", "o.tags[1]", "o.tags[2]"]);
        assert!(fit.misfits.iter().all(|m| m.column == "o"));
        assert_eq!(
            fit.misfits[0].to_string(),
            "expected bigint (a JSON integer), found string `\"x\"`"
        );
        assert_eq!(
            fit.misfits[1].to_string(),
            "expected text (a JSON string), found integer `2`"
        );
        assert_eq!(
            fit.misfits[2].to_string(),
            "null, but the column has `nullable: false`"
        );
        let undeclared: Vec<(&str, &str)> = fit
            .undeclared
            .iter()
            .map(|u| (u.path.as_str(), u.json_type))
            .collect();
        assert_eq!(undeclared, [("top", "boolean"), ("o.more", "integer")]);
    }

    #[test]
    fn document_formats_need_the_text_the_chrono_types_read() {
        let mut columns: IndexMap<String, Column> = serde_json::from_value(
            json!({"at": {"data_type": "timestamp"}, "on": {"data_type": "date"}}),
        )
        .unwrap();
        let record = json!({"at": "2024-05-01 12:00", "on": "2024-05-01T00:00:00Z"});
        // Written hints take any text: the generated fields are `String`.
        assert_eq!(fit(&columns, &record).misfits, []);
        columns["at"].format = Some(TextFormat::DateTime);
        columns["on"].format = Some(TextFormat::Date);
        let messages: Vec<String> = fit(&columns, &record)
            .misfits
            .iter()
            .map(|m| format!("{}: {m}", m.path))
            .collect();
        assert_eq!(
            messages,
            [
                "at: expected timestamp (an RFC 3339 date-time string), found string `\"2024-05-01 12:00\"`",
                "on: expected date (an RFC 3339 date string), found string `\"2024-05-01T00:00:00Z\"`",
            ]
        );
        let good = json!({"at": "2024-05-01T12:00:00+02:00", "on": "2024-05-01"});
        assert_eq!(fit(&columns, &good).misfits, []);
    }

    #[test]
    fn absent_nullable_columns_fit_and_long_values_are_cut() {
        let columns: IndexMap<String, Column> = serde_json::from_value(
            json!({"id": {"nullable": false}, "n": {"data_type": "double"}}),
        )
        .unwrap();
        let long = "x".repeat(50);
        let fit = fit(&columns, &json!({"id": long, "n": 1}));
        assert_eq!(fit, Fit::default());
        assert_eq!(
            preview(&json!(long)),
            format!("string `\"{}...`", "x".repeat(36))
        );
        assert_eq!(
            super::fit(&columns, &json!({})).misfits[0].problem,
            Problem::Missing
        );
    }
}
