//! The run report: one entry per resource, as JSON and as a table for people.

use connector_spec::resolved::ResolvedResource;
use connector_spec::RangeBound;
use serde::Serialize;
use serde_json::Value;

use crate::engine::RecoveredLoad;

/// How a resource's load ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    /// Loaded and committed with its state.
    Ok,
    /// Failed; the destination holds what the previous run committed.
    Failed,
}

/// What happened to one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceReport {
    /// Resource name.
    pub resource: String,
    /// Destination table (`-` for JSON lines output).
    pub table: String,
    /// How it ended.
    pub status: ResourceStatus,
    /// Records received from the API and loaded (not counting `deduplicated`).
    pub records: u64,
    /// Records the API sent again at the saved incremental last value that the last run had
    /// loaded (the state remembers their primary keys or hashes): dropped, not loaded twice.
    pub deduplicated: u64,
    /// Rows in the table after the commit.
    pub table_rows: u64,
    /// Pages received.
    pub pages: u64,
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// Retried requests.
    pub retries: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Columns this run added to the table (a child table's as `table.column`).
    pub new_columns: Vec<String>,
    /// The resource's child tables (its nested lists) with the rows each has after the
    /// commit, in table order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub child_tables: Vec<ChildTable>,
    /// Records the schema contract discarded (`discard_row`).
    #[serde(skip_serializing_if = "is_zero")]
    pub discarded_rows: u64,
    /// Values the schema contract discarded (`discard_value`).
    #[serde(skip_serializing_if = "is_zero")]
    pub discarded_values: u64,
    /// The incremental state committed with the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// The incremental state the run started from (what the previous run committed; `None`
    /// on a first run, a full refresh, or without incremental loading).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_before: Option<Value>,
    /// What looked wrong while fetching (the runtime's warnings: a stop that may have lost
    /// pages, a selector that matched nothing, an empty body), in the order seen.
    pub warnings: Vec<String>,
    /// Set when the resource's incremental has `end_value`: the fixed window it loaded (a
    /// backfill). Its stored state is left as it was, as dlt does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfill: Option<Backfill>,
    /// Set when `--limit` cut the resource short: the limit. Its incremental state was then
    /// not saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limited_to: Option<u64>,
    /// In a partitioned run: which part of the resource this shard loaded (its share of the
    /// pages, the parents whose key hashes to it and how many, or the whole in shard 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A resource asked for that a shard of a partitioned run leaves to shard 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedResource {
    /// Resource name.
    pub resource: String,
    /// Why it cannot be split.
    pub reason: String,
}

/// A child table of a resource and the rows it has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChildTable {
    /// Table name (`users__tags`).
    pub table: String,
    /// Rows in the table after the commit.
    pub table_rows: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The window of an incremental with `end_value` (a backfill): from `initial_value` to
/// `end_value`, bounds as the spec's `range_start`/`range_end` say; such a run reads and
/// moves no state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backfill {
    /// Where the window starts: `initial_value` (none: no lower bound).
    pub start_value: Option<Value>,
    /// Where it ends.
    pub end_value: Value,
    /// Whether a record at `start_value` is in the window (`closed`) or not (`open`).
    pub range_start: RangeBound,
    /// Whether a record at `end_value` is in the window (`closed`) or not (`open`).
    pub range_end: RangeBound,
}

impl Backfill {
    /// The backfill window of `resource`, when its incremental has `end_value`.
    pub fn of(resource: &ResolvedResource) -> Option<Backfill> {
        let incremental = resource.incremental.as_ref()?;
        Some(Backfill {
            start_value: incremental.initial_value.clone(),
            end_value: incremental.end_value.clone()?,
            range_start: incremental.range_start,
            range_end: incremental.range_end,
        })
    }

    /// `[2024-01-01, 2024-02-01)` for people.
    pub fn describe(&self) -> String {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let open = if self.range_start == RangeBound::Open {
            "("
        } else {
            "["
        };
        let close = if self.range_end == RangeBound::Open {
            ")"
        } else {
            "]"
        };
        let start = self
            .start_value
            .as_ref()
            .map_or_else(|| "start".to_owned(), text);
        format!("{open}{start}, {}{close}", text(&self.end_value))
    }
}

/// The machine-readable report of a whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncReport {
    /// Connector name.
    pub connector: String,
    /// Destination URL, or `jsonl:stdout`.
    pub destination: String,
    /// The load id every table's rows of this run carry.
    pub load_id: String,
    /// Start time (RFC 3339, UTC).
    pub started_at: String,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// Whether every resource succeeded.
    pub ok: bool,
    /// One entry per resource, in dependency order.
    pub resources: Vec<ResourceReport>,
    /// Runs found unfinished (killed) when this one took the lock, and cleaned up.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recovered: Vec<RecoveredLoad>,
    /// The shard of a partitioned run (`K/N`); `None` for a whole run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// Resources asked for that this shard left to shard 0 (they cannot be split).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedResource>,
}

impl SyncReport {
    /// `(resource, error)` of every failed resource.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.resources
            .iter()
            .filter_map(|r| r.error.as_deref().map(|e| (r.resource.as_str(), e)))
    }

    /// The summary table: resource, records fetched, rows in the table after the run, pages,
    /// requests, retries, seconds, status, and (when a resource loads incrementally) its
    /// cursor before and after the run.
    pub fn summary_table(&self) -> String {
        let to_table = self.destination != "jsonl";
        let with_cursor = self
            .resources
            .iter()
            .any(|r| r.state.is_some() || r.state_before.is_some() || r.backfill.is_some());
        let mut header = vec![
            "resource", "fetched", "in table", "pages", "requests", "retries", "seconds", "status",
        ];
        if with_cursor {
            header.push("cursor");
        }
        // Names, status and cursor left-aligned, numbers right-aligned.
        let left = |i: usize| i == 0 || i >= 7;
        let status = |ok: bool| if ok { "ok" } else { "FAILED" }.to_owned();
        let mut lines: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
        for r in &self.resources {
            let mut line = vec![
                r.resource.clone(),
                r.records.to_string(),
                if to_table {
                    r.table_rows.to_string()
                } else {
                    "-".to_owned()
                },
                r.pages.to_string(),
                r.requests.to_string(),
                r.retries.to_string(),
                format!("{:.2}", r.seconds),
                match (r.status, r.limited_to, r.warnings.len()) {
                    (ResourceStatus::Failed, _, _) => "FAILED".to_owned(),
                    (ResourceStatus::Ok, Some(limit), _) => format!("ok (--limit {limit})"),
                    (ResourceStatus::Ok, None, 0) => "ok".to_owned(),
                    (ResourceStatus::Ok, None, 1) => "ok, 1 warning".to_owned(),
                    (ResourceStatus::Ok, None, n) => format!("ok, {n} warnings"),
                },
            ];
            if with_cursor {
                line.push(r.cursor_change());
            }
            lines.push(line);
            // Child tables under their resource: rows in table, nothing fetched of their own.
            for child in &r.child_tables {
                let mut line = vec![String::new(); header.len()];
                line[0] = format!("  {}", child.table);
                line[1] = "-".to_owned();
                line[2] = child.table_rows.to_string();
                line[7] = "child table".to_owned();
                lines.push(line);
            }
        }
        let totals =
            |f: fn(&ResourceReport) -> u64| self.resources.iter().map(f).sum::<u64>().to_string();
        let mut total = vec![
            "total".to_owned(),
            totals(|r| r.records),
            if to_table {
                totals(|r| r.table_rows)
            } else {
                "-".to_owned()
            },
            totals(|r| r.pages),
            totals(|r| r.requests),
            totals(|r| r.retries),
            format!("{:.2}", self.seconds),
            status(self.ok),
        ];
        if with_cursor {
            total.push(String::new());
        }
        lines.push(total);
        let mut widths = vec![0usize; header.len()];
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let render = |line: &[String]| {
            line.iter()
                .enumerate()
                .map(|(i, cell)| {
                    if left(i) {
                        format!("{cell:<width$}", width = widths[i])
                    } else {
                        format!("{cell:>width$}", width = widths[i])
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        let rule = widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ");
        let mut out = Vec::new();
        out.push(render(&lines[0]));
        out.push(rule.clone());
        for line in &lines[1..lines.len() - 1] {
            out.push(render(line));
        }
        out.push(rule);
        out.push(render(&lines[lines.len() - 1]));
        let mut text = out.join("\n");
        text.push('\n');
        text
    }
}

impl ResourceReport {
    /// The cursor before and after the run, for the summary: `2024-01-01 -> 2024-02-01`,
    /// `start -> 250` on a first run, `250 (kept: failed)` when the run failed,
    /// `250 (kept: end_value)` for a backfill window, `-` without incremental loading.
    pub fn cursor_change(&self) -> String {
        let before = self.state_before.as_ref().map(cursor_text);
        if self.backfill.is_some() {
            return format!("{} (kept: end_value)", before.as_deref().unwrap_or("none"));
        }
        match (&self.state, before) {
            (Some(after), before) => format!(
                "{} -> {}",
                before.unwrap_or_else(|| "start".to_owned()),
                cursor_text(after)
            ),
            (None, Some(before)) if self.status == ResourceStatus::Failed => {
                format!("{before} (kept: failed)")
            }
            (None, Some(before)) => before,
            (None, None) => "-".to_owned(),
        }
    }
}

/// An incremental state's cursor (`last_value`) for people: strings unquoted, long values
/// shortened, and a child resource's count of per-parent marks.
pub fn cursor_text(state: &Value) -> String {
    let mut text = match state.get("last_value") {
        None | Some(Value::Null) => "none".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    if let Some((cut, _)) = text.char_indices().nth(40) {
        text.truncate(cut);
        text.push_str("...");
    }
    if let Some(marks) = state.get("per_parent").and_then(Value::as_object) {
        if !marks.is_empty() {
            text.push_str(&format!(" ({} parent marks)", marks.len()));
        }
    }
    text
}
