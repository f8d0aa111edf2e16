//! The run report: one entry per resource, as JSON and as a table for people.

use serde::Serialize;
use serde_json::Value;

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
    /// Records received from the API.
    pub records: u64,
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
    /// Columns this run added to the table.
    pub new_columns: Vec<String>,
    /// The incremental state committed with the data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// What looked wrong while fetching (the runtime's warnings: a stop that may have lost
    /// pages, a selector that matched nothing, an empty body), in the order seen.
    pub warnings: Vec<String>,
    /// Set when `--limit` cut the resource short: the limit. Its incremental state was then
    /// not saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limited_to: Option<u64>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
}

impl SyncReport {
    /// `(resource, error)` of every failed resource.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.resources
            .iter()
            .filter_map(|r| r.error.as_deref().map(|e| (r.resource.as_str(), e)))
    }

    /// The summary table: resource, rows, pages, requests, retries, seconds, status.
    pub fn summary_table(&self) -> String {
        let header = [
            "resource", "rows", "pages", "requests", "retries", "seconds", "status",
        ];
        let mut lines: Vec<[String; 7]> = vec![header.map(str::to_owned)];
        for r in &self.resources {
            lines.push([
                r.resource.clone(),
                r.records.to_string(),
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
            ]);
        }
        let totals =
            |f: fn(&ResourceReport) -> u64| self.resources.iter().map(f).sum::<u64>().to_string();
        lines.push([
            "total".to_owned(),
            totals(|r| r.records),
            totals(|r| r.pages),
            totals(|r| r.requests),
            totals(|r| r.retries),
            format!("{:.2}", self.seconds),
            if self.ok {
                "ok".to_owned()
            } else {
                "FAILED".to_owned()
            },
        ]);
        let mut widths = [0usize; 7];
        for line in &lines {
            for (w, cell) in widths.iter_mut().zip(line) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let render = |line: &[String; 7]| {
            line.iter()
                .enumerate()
                .map(|(i, cell)| {
                    // Names and status left-aligned, numbers right-aligned.
                    if i == 0 || i == 6 {
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
