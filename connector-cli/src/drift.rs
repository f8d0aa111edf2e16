//! `connector check --live`: the first page of every resource, read from the API, against the
//! declared columns ([`connector_spec::fit`], the compile-time sample check's rule).
//!
//! Per resource: contradictions (a declared type the data does not have, a `nullable: false`
//! column missing or null, a record that is not an object), grouped by field and problem with
//! the first record and an example value; the fields the API sends that the spec does not
//! declare, by name as sent (the names `columns` match); or why nothing was checked. Example
//! values and field names pass through the connector's redactor: an API that echoes a token
//! shows `***`. Raw bodies are never printed.

use connector_runtime::Connector;
use connector_spec::fit::{fit, json_type, Problem};
use connector_spec::{ResolvedResource, ResolvedSpec};
use serde_json::{json, Value};

use crate::live::{self, Read, Via};

/// A contradiction, over every record of the page that has it.
#[derive(Debug)]
struct Contradiction {
    column: String,
    path: String,
    /// `type`, `missing`, `null` or `not_object`.
    problem: &'static str,
    declared_type: Option<String>,
    json_type: Option<&'static str>,
    /// The first value found, as a cut JSON text (redacted).
    example: Option<String>,
    /// The first record (0-based), the last one counted, and how many have it.
    record: usize,
    last: usize,
    records: usize,
    /// The spec line of the column.
    line: Option<usize>,
}

/// A field the spec does not declare.
#[derive(Debug)]
struct Undeclared {
    field: String,
    json_types: Vec<&'static str>,
    records: usize,
}

/// What the check found for one resource.
pub struct Report {
    read: Read,
    status: &'static str,
    contradictions: Vec<Contradiction>,
    undeclared: Vec<Undeclared>,
}

/// What a whole spec's check gives.
pub struct Outcome {
    pub reports: Vec<Report>,
    pub strict: bool,
}

impl Outcome {
    /// Whether the check fails: a contradiction or a resource that could not be read; with
    /// `strict`, also an undeclared field or a resource with nothing to check.
    pub fn failed(&self) -> bool {
        self.reports.iter().any(|r| {
            matches!(r.status, "contradicts" | "failed")
                || (self.strict && (!r.undeclared.is_empty() || r.status == "empty"))
        })
    }

    /// The JSON form (documented in docs/src/cli.md).
    pub fn json(&self) -> Value {
        let resources: Vec<Value> = self.reports.iter().map(Report::json).collect();
        json!({
            "ok": !self.failed(),
            "strict": self.strict,
            "resources": resources,
        })
    }

    /// The text form: a group per resource, then a verdict line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for report in &self.reports {
            report.text(&mut out);
        }
        let names = |status: &str| -> Vec<String> {
            self.reports
                .iter()
                .filter(|r| r.status == status)
                .map(|r| format!("`{}`", r.read.resource))
                .collect()
        };
        let mut parts = Vec::new();
        for (status, one, many) in [
            ("contradicts", "contradicts the spec", "contradict the spec"),
            ("failed", "could not be read", "could not be read"),
            (
                "empty",
                "had no records to check",
                "had no records to check",
            ),
        ] {
            let list = names(status);
            match list.len() {
                0 => {}
                1 => parts.push(format!("1 resource {one} ({})", list[0])),
                n => parts.push(format!("{n} resources {many} ({})", list.join(", "))),
            }
        }
        let undeclared: usize = self.reports.iter().map(|r| r.undeclared.len()).sum();
        if undeclared > 0 {
            parts.push(format!(
                "{undeclared} undeclared field{}{}",
                if undeclared == 1 { "" } else { "s" },
                if self.strict { " (--strict)" } else { "" }
            ));
        }
        let verdict = if self.failed() { "FAILED" } else { "ok" };
        if parts.is_empty() {
            out.push_str(&format!(
                "{verdict}: every resource's first page fits its columns\n"
            ));
        } else {
            out.push_str(&format!("{verdict}: {}\n", parts.join("; ")));
        }
        out
    }
}

/// Reads the first page of every resource of `spec` and checks it.
pub async fn check(connector: &Connector, spec: &ResolvedSpec, strict: bool) -> Outcome {
    let reads = live::read(connector, &spec.dependency_order, &|_| 1).await;
    let reports = reads
        .into_iter()
        .filter_map(|read| {
            let resource = spec.resources.iter().find(|r| r.name == read.resource)?;
            Some(report(connector, resource, read))
        })
        .collect();
    Outcome { reports, strict }
}

fn report(connector: &Connector, resource: &ResolvedResource, read: Read) -> Report {
    let mut contradictions: Vec<Contradiction> = Vec::new();
    let mut undeclared: Vec<Undeclared> = Vec::new();
    // Fields the runtime adds to a child's records (`include_from_parent`) are not sent.
    let added: Vec<&str> = resource
        .include_from_parent
        .iter()
        .map(|f| f.column.as_str())
        .collect();
    for (index, record) in read.records().enumerate() {
        if !record.is_object() {
            let kind = json_type(record);
            group(
                &mut contradictions,
                index,
                Contradiction {
                    column: String::new(),
                    path: String::new(),
                    problem: "not_object",
                    declared_type: None,
                    json_type: Some(kind),
                    example: Some(cut(&connector.redact(&record.to_string()))),
                    record: index,
                    last: index,
                    records: 1,
                    line: None,
                },
            );
            continue;
        }
        let found = fit(&resource.columns, record);
        for misfit in found.misfits {
            let (problem, declared_type, kind, example) = match &misfit.problem {
                Problem::Missing => ("missing", None, None, None),
                Problem::Null => ("null", None, Some("null"), None),
                Problem::Type {
                    declared, found, ..
                } => (
                    "type",
                    Some(declared.clone()),
                    Some(json_type(found)),
                    Some(connector.redact(&found.to_string())),
                ),
            };
            let line = resource.lines.get(&misfit.column).copied();
            group(
                &mut contradictions,
                index,
                Contradiction {
                    column: misfit.column,
                    path: misfit.path,
                    problem,
                    declared_type,
                    json_type: kind,
                    example: example.map(|e| cut(&e)),
                    record: index,
                    last: index,
                    records: 1,
                    line,
                },
            );
        }
        for field in found.undeclared {
            if added.contains(&field.path.as_str()) {
                continue;
            }
            let kind = field.json_type;
            let name = connector.redact(&field.path);
            match undeclared.iter_mut().find(|u| u.field == name) {
                Some(u) => {
                    u.records += 1;
                    if !u.json_types.contains(&kind) {
                        u.json_types.push(kind);
                    }
                }
                None => undeclared.push(Undeclared {
                    field: name,
                    json_types: vec![kind],
                    records: 1,
                }),
            }
        }
    }
    let status = if read.error.is_some() {
        "failed"
    } else if read.pages.is_empty() {
        "empty"
    } else if !contradictions.is_empty() {
        "contradicts"
    } else {
        "fits"
    };
    Report {
        read,
        status,
        contradictions,
        undeclared,
    }
}

/// Adds `c` to the group of its path (list indices aside: `tags[1]` and `tags[4]` are one
/// field), problem and JSON type, or starts one (shown with its first path).
fn group(groups: &mut Vec<Contradiction>, index: usize, c: Contradiction) {
    let shape = field_shape(&c.path);
    match groups.iter_mut().find(|g| {
        field_shape(&g.path) == shape && g.problem == c.problem && g.json_type == c.json_type
    }) {
        Some(g) if g.last != index => {
            g.last = index;
            g.records += 1;
        }
        Some(_) => {}
        None => groups.push(c),
    }
}

/// A path with its list indices left out: `tags[3].id` -> `tags[].id`.
fn field_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push(c);
            }
            ']' => {
                in_index = false;
                out.push(c);
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

fn cut(text: &str) -> String {
    if text.chars().count() > 60 {
        text.chars().take(57).collect::<String>() + "..."
    } else {
        text.to_owned()
    }
}

impl Report {
    fn json(&self) -> Value {
        let (parent, parent_records) = match &self.read.via {
            Via::Own => (Value::Null, Value::Null),
            Via::Parent { parent, records } => (json!(parent), json!(records)),
        };
        let contradictions: Vec<Value> = self
            .contradictions
            .iter()
            .map(|c| {
                json!({
                    "column": c.column,
                    "path": c.path,
                    "line": c.line,
                    "problem": c.problem,
                    "declared_type": c.declared_type,
                    "json_type": c.json_type,
                    "example": c.example,
                    "record": c.record,
                    "records": c.records,
                })
            })
            .collect();
        let undeclared: Vec<Value> = self
            .undeclared
            .iter()
            .map(|u| json!({"field": u.field, "json_types": u.json_types, "records": u.records}))
            .collect();
        json!({
            "resource": self.read.resource,
            "status": self.status,
            "page": self.read.describe(),
            "parent": parent,
            "parent_records": parent_records,
            "records": self.read.records().count(),
            "contradictions": contradictions,
            "undeclared": undeclared,
            "error": self.read.error,
            "warnings": self.read.warnings,
        })
    }

    fn text(&self, out: &mut String) {
        let name = &self.read.resource;
        let records = self.read.records().count();
        match self.status {
            "failed" => {
                out.push_str(&format!("resource `{name}`: not checked\n"));
                if let Some(error) = &self.read.error {
                    out.push_str(&format!("  error: {error}\n"));
                }
            }
            "empty" => {
                let why = match &self.read.via {
                    Via::Parent { parent, records } if records.is_empty() => {
                        format!("parent `{parent}` had no records on its first page")
                    }
                    Via::Parent { parent, records } => format!(
                        "the first page was empty for each of the first {} records of `{parent}`",
                        records.len()
                    ),
                    Via::Own => "the first page was empty".to_owned(),
                };
                out.push_str(&format!("resource `{name}`: nothing to check: {why}\n"));
            }
            _ => out.push_str(&format!(
                "resource `{name}`: {}, {records} record{}\n",
                self.read.describe(),
                if records == 1 { "" } else { "s" }
            )),
        }
        for warning in &self.read.warnings {
            out.push_str(&format!("  warning: {warning}\n"));
        }
        for c in &self.contradictions {
            out.push_str(&format!("  error: {}\n", c.describe(records)));
        }
        if self.status == "fits" {
            out.push_str("  ok: every declared column fits\n");
        }
        if !self.undeclared.is_empty() {
            let list: Vec<String> = self
                .undeclared
                .iter()
                .map(|u| {
                    format!(
                        "{} ({}, {} of {records})",
                        u.field,
                        u.json_types.join("/"),
                        u.records
                    )
                })
                .collect();
            out.push_str(&format!(
                "  note: fields the spec does not declare (names as sent): {}\n",
                list.join(", ")
            ));
        }
    }
}

impl Contradiction {
    fn describe(&self, total: usize) -> String {
        let field = if self.path == self.column {
            format!("column `{}`", self.column)
        } else {
            format!("column `{}`, field `{}`", self.column, self.path)
        };
        let at = self
            .line
            .map(|l| format!(" (spec line {l})"))
            .unwrap_or_default();
        let seen = format!(
            "record {}{}",
            self.record,
            if self.records > 1 {
                format!(" and {} more of {total}", self.records - 1)
            } else {
                String::new()
            }
        );
        match self.problem {
            "missing" => {
                format!("{field}{at} is `nullable: false` but missing in {seen}")
            }
            "null" => format!("{field}{at} is `nullable: false` but null in {seen}"),
            "not_object" => format!(
                "{seen} is not a JSON object but {} `{}`",
                self.json_type.unwrap_or_default(),
                self.example.as_deref().unwrap_or_default()
            ),
            _ => format!(
                "{field}{at} is declared {} but the API sends {} (e.g. `{}`) in {seen}",
                self.declared_type.as_deref().unwrap_or_default(),
                self.json_type.unwrap_or_default(),
                self.example.as_deref().unwrap_or_default()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_elements_are_one_field_counted_once_per_record() {
        let spec = connector_spec::parse_str(
            "name: t\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: r\n    columns:\n      tags: { data_type: json, items: { data_type: text } }\n",
            "t.yaml",
        )
        .unwrap()
        .resolved;
        let resource = spec.resources[0].clone();
        let connector =
            Connector::new(spec, connector_runtime::Secrets::new(), Default::default()).unwrap();
        let read = Read {
            resource: "r".into(),
            via: Via::Own,
            pages: vec![vec![
                json!({"tags": ["a", 1, 2]}),
                json!({"tags": [3, 4]}),
                json!({"tags": ["ok"]}),
                json!({"tags": [true]}),
            ]],
            error: None,
            warnings: Vec::new(),
        };
        let report = report(&connector, &resource, read);
        let groups: Vec<(&str, Option<&str>, usize, usize)> = report
            .contradictions
            .iter()
            .map(|c| (c.path.as_str(), c.json_type, c.record, c.records))
            .collect();
        assert_eq!(
            groups,
            [
                ("tags[1]", Some("integer"), 0, 2),
                ("tags[0]", Some("boolean"), 3, 1)
            ]
        );
        assert_eq!(field_shape("a[12].b[3]"), "a[].b[]");
    }
}
