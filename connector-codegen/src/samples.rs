//! The compile-time sample check: recorded responses named by a resource's `samples:` must fit
//! its declared columns, as sqlx's offline data must fit the queries.
//!
//! A sample file is a JSON list of records, or a whole response body from which the resource's
//! `data_selector` picks the records (as the runtime does). Each record must be an object; each
//! declared column must have the declared type, and a column with `nullable: false` must be
//! present and not null. Undeclared fields are fine: they land in the `extra` map.

use std::path::{Path, PathBuf};

use connector_spec::{Column, DataType, ResolvedResource};
use serde_json::Value;

use crate::describe::type_name;
use crate::error::Problem;

/// Every sample file of the resources, resolved against `dir` (the spec's directory), in spec
/// order. The macro reads these so that editing a sample rebuilds the crate.
pub fn sample_paths(resources: &[ResolvedResource], dir: &Path) -> Vec<PathBuf> {
    resources
        .iter()
        .flat_map(|r| r.samples.iter().map(|s| dir.join(s)))
        .collect()
}

/// Checks every sample of every resource, pushing one problem per mismatch.
pub(crate) fn check(resources: &[ResolvedResource], dir: &Path, problems: &mut Vec<Problem>) {
    for resource in resources {
        for (index, sample) in resource.samples.iter().enumerate() {
            let key = format!("resources.{}.samples[{index}]", resource.name);
            check_file(resource, sample, &dir.join(sample), &key, problems);
        }
    }
}

fn check_file(
    resource: &ResolvedResource,
    sample: &str,
    path: &Path,
    key: &str,
    problems: &mut Vec<Problem>,
) {
    let fail = |message: String| Problem::new(key, message).anchor(sample);
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            problems.push(
                fail(format!("cannot read sample `{sample}`: {err}"))
                    .help("sample paths are relative to the spec file's directory"),
            );
            return;
        }
    };
    let body: Value = match serde_json::from_slice(&text) {
        Ok(body) => body,
        Err(err) => {
            problems.push(fail(format!("sample `{sample}` is not JSON: {err}")));
            return;
        }
    };
    let records = match &body {
        Value::Array(items) => items.clone(),
        _ => {
            let root = connector_spec::selector::Selector::root();
            let selector = resource.data_selector.as_ref().unwrap_or(&root);
            match selector.records(&body) {
                Some(records) => records,
                None => {
                    problems.push(
                        fail(format!(
                            "sample `{sample}`: data_selector `{selector}` finds nothing in it"
                        ))
                        .help("record the whole response body, or a JSON list of records"),
                    );
                    return;
                }
            }
        }
    };
    for (index, record) in records.iter().enumerate() {
        let Value::Object(fields) = record else {
            problems.push(fail(format!(
                "sample `{sample}`, record {index}: expected a JSON object, found {}",
                preview(record)
            )));
            continue;
        };
        for (name, column) in &resource.columns {
            let mut found = Vec::new();
            check_value(fields.get(name), column, name, &mut found);
            for (field, message) in found {
                problems.push(fail(format!(
                    "sample `{sample}`, record {index}, field `{field}`: {message}"
                )));
            }
        }
    }
}

/// Checks one value against its column; pushes `(field path, what is wrong)`.
fn check_value(
    value: Option<&Value>,
    column: &Column,
    path: &str,
    found: &mut Vec<(String, String)>,
) {
    let nullable = column.nullable.unwrap_or(true);
    let value = match value {
        None if nullable => return,
        None => {
            found.push((
                path.to_owned(),
                "missing, but the column has `nullable: false`".to_owned(),
            ));
            return;
        }
        Some(Value::Null) if nullable => return,
        Some(Value::Null) => {
            found.push((
                path.to_owned(),
                "null, but the column has `nullable: false`".to_owned(),
            ));
            return;
        }
        Some(value) => value,
    };
    let data_type = column.data_type.unwrap_or(DataType::Text);
    let fits = match data_type {
        DataType::Bigint => value.is_i64(),
        DataType::Double => value.is_number(),
        DataType::Bool => value.is_boolean(),
        DataType::Json => {
            if let Some(items) = &column.items {
                let Value::Array(elements) = value else {
                    found.push((path.to_owned(), mismatch(column, value)));
                    return;
                };
                // List elements are present unless the spec says they may be null.
                let mut element = (**items).clone();
                element.nullable = Some(items.nullable == Some(true));
                for (i, e) in elements.iter().enumerate() {
                    check_value(Some(e), &element, &format!("{path}[{i}]"), found);
                }
                return;
            }
            if !column.fields.is_empty() {
                let Value::Object(map) = value else {
                    found.push((path.to_owned(), mismatch(column, value)));
                    return;
                };
                for (name, field) in &column.fields {
                    check_value(map.get(name), field, &format!("{path}.{name}"), found);
                }
                return;
            }
            true
        }
        _ => value.is_string(),
    };
    if !fits {
        found.push((path.to_owned(), mismatch(column, value)));
    }
}

fn mismatch(column: &Column, value: &Value) -> String {
    let json = match column.data_type.unwrap_or(DataType::Text) {
        DataType::Bigint => "a JSON integer",
        DataType::Double => "a JSON number",
        DataType::Bool => "true or false",
        DataType::Json if column.items.is_some() => "a JSON list",
        DataType::Json => "a JSON object",
        _ => "a JSON string",
    };
    format!(
        "expected {} ({json}), found {}",
        type_name(column),
        preview(value)
    )
}

fn preview(value: &Value) -> String {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    };
    let mut text = value.to_string();
    if text.chars().count() > 40 {
        text = text.chars().take(37).collect::<String>() + "...";
    }
    format!("{kind} `{text}`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn value_checks_name_the_field() {
        let column: Column = serde_json::from_value(json!({
            "data_type": "json",
            "fields": {"n": {"data_type": "bigint", "nullable": false}, "tags": {"data_type": "json", "items": {"data_type": "text"}}}
        }))
        .unwrap();
        let mut found = Vec::new();
        check_value(
            Some(&json!({"n": "x", "tags": ["a", 2, null]})),
            &column,
            "o",
            &mut found,
        );
        let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["o.n", "o.tags[1]", "o.tags[2]"]);
        assert_eq!(
            found[0].1,
            "expected bigint (a JSON integer), found string `\"x\"`"
        );
        assert_eq!(found[2].1, "null, but the column has `nullable: false`");
    }
}
