//! The resolved spec: the one trusted, normalized model every consumer reads.
//!
//! [`crate::Spec`] is what the user wrote (with positions for diagnostics, behind the `yaml`
//! feature); [`ResolvedSpec`] is what it means: `resource_defaults` merged, every default
//! filled, each paginator in one form, selectors, templates and placeholders parsed once in
//! one grammar, parent links settled and `include_from_parent` columns named. The runtime
//! runs it and the code generator describes it; neither re-parses a string or validates again.
//!
//! Plain serde derives only: generated code embeds a resolved spec as JSON and the runtime
//! reads it back without a YAML library.

mod auth;
pub mod paginator;

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use auth::{AuthPlan, OAuth2Plan, TextSource};
pub use paginator::{
    CursorPlan, HeaderCursorPlan, HeaderLinkPlan, JsonLinkPlan, OffsetPlan, PageNumberPlan,
    PageSize, PaginatorPlan, RequestField, StopRule, StopRules,
};

use crate::selector::Selector;
use crate::template::{JsonTemplate, Template};
use crate::vocabulary::*;

/// A whole connector, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedSpec {
    /// Connector name (lower snake case): module name and secrets section.
    pub name: String,
    /// What the API is.
    pub description: Option<String>,
    /// The HTTP client shared by every resource.
    pub client: ResolvedClient,
    /// The resources in spec order.
    pub resources: Vec<ResolvedResource>,
    /// Resource names with every parent before its children, otherwise in spec order.
    pub dependency_order: Vec<String>,
    /// Every secret the spec references, sorted, each once.
    pub secrets: Vec<String>,
    /// Whether warnings about stops that look wrong fail the resource (default false).
    #[serde(default)]
    pub strict: bool,
}

impl ResolvedSpec {
    /// Reads a resolved spec written as JSON (what generated code embeds). Not generic, so the
    /// deserializer is compiled once, here, not in every crate that embeds a connector.
    pub fn from_json(json: &str) -> Result<ResolvedSpec, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// One resource by name.
    pub fn resource(&self, name: &str) -> Option<&ResolvedResource> {
        self.resources.iter().find(|r| r.name == name)
    }
}

/// The HTTP client settings, defaults filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedClient {
    /// Base URL relative paths are joined to.
    pub base_url: String,
    /// The client-level authentication (resources may replace it).
    pub auth: Option<AuthPlan>,
    /// Request timeout in seconds (default 60).
    pub timeout_seconds: f64,
    /// Proactive rate limit shared by every request.
    pub rate_limit: Option<RateLimit>,
    /// Concurrent requests of one resource: child fan-out and page prefetch (default 8).
    pub concurrency: usize,
    /// Whether next links to another origin are followed, without credentials (default true).
    pub follow_cross_origin_links: bool,
    /// Largest response body accepted, bytes after decompression
    /// (default [`DEFAULT_MAX_BODY_BYTES`]).
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
}

/// Default request timeout, seconds (dlt's `request_timeout`).
pub const DEFAULT_TIMEOUT_SECONDS: f64 = 60.0;
/// Default number of requests of one resource in flight.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default cap on one response body, bytes after decompression (256 MiB): far above any page
/// of records, far below what takes a machine down (a small gzip body can expand to GiBs).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;
/// Default cap on the pages of one request sequence: generous for real APIs, yet it ends a
/// paginator that never stops (an API ignoring the cursor) within minutes.
pub const DEFAULT_MAX_PAGES: u64 = 10_000;

/// dlt's nesting depth when a resource sets no `max_table_nesting`.
pub const DEFAULT_MAX_TABLE_NESTING: u32 = 1000;

fn default_max_body_bytes() -> u64 {
    DEFAULT_MAX_BODY_BYTES
}

fn default_max_pages() -> u64 {
    DEFAULT_MAX_PAGES
}

/// One resource, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedResource {
    /// Resource name.
    pub name: String,
    /// Destination table (default: the resource name).
    pub table_name: String,
    /// HTTP method (default GET).
    pub method: Method,
    /// Endpoint path or absolute URL (default: the resource name).
    pub path: Template,
    /// Query parameters in spec order.
    pub params: Vec<(String, ParamSource)>,
    /// Request headers: the client's, then the endpoint's over them.
    pub headers: Vec<(String, TemplateOrSecret)>,
    /// JSON request body.
    pub json: Option<JsonTemplate>,
    /// A form or raw request body (dlt's `data`).
    pub body: Option<BodySource>,
    /// Effective authentication: the endpoint's, else the client's.
    pub auth: Option<AuthPlan>,
    /// The paginator (endpoint > resource_defaults > client > single-entity rule > auto).
    pub paginator: PaginatorPlan,
    /// Where the records are; `None`: detected from the first response.
    pub data_selector: Option<Selector>,
    /// Incremental loading.
    pub incremental: Option<IncrementalPlan>,
    /// Responses to ignore, retry or fail.
    pub response_actions: Vec<ResponseAction>,
    /// Retry policy.
    pub retry: RetryPlan,
    /// Primary key columns (empty: none).
    pub primary_key: Vec<String>,
    /// Merge key columns (empty: none).
    pub merge_key: Vec<String>,
    /// Write disposition (default append).
    pub disposition: Disposition,
    /// Merge strategy for `merge` (default delete-insert).
    pub merge_strategy: MergeStrategy,
    /// The merge strategy's settings (scd2's validity columns, delete-insert's
    /// `deduplicated`).
    #[serde(default, skip_serializing_if = "MergeOptions::is_default")]
    pub merge_options: MergeOptions,
    /// Column hints, resource_defaults' first.
    pub columns: IndexMap<String, Column>,
    /// The parent this resource fans out over.
    pub parent: Option<ParentPlan>,
    /// Parent fields copied into each record.
    pub include_from_parent: Vec<IncludedField>,
    /// Whether the resource is loaded (unselected parents still feed children).
    pub selected: bool,
    /// Whether children of several parents are fetched concurrently.
    pub parallelized: bool,
    /// Depth to which nested objects are flattened and lists become child tables (`None`:
    /// dlt's default, [`DEFAULT_MAX_TABLE_NESTING`]).
    pub max_table_nesting: Option<u32>,
    /// How table and column names are made (the spec's `naming`; default snake_case, as dlt).
    #[serde(default)]
    pub naming: Naming,
    /// What a load does with new tables, columns and types (default: everything evolves).
    #[serde(default)]
    pub schema_contract: SchemaContract,
    /// The spec line of each declared column (by column name) and of `schema_contract`
    /// (key `schema_contract`), so load errors can point at them; empty for a spec built
    /// without a file.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lines: BTreeMap<String, usize>,
    /// Sample response files, relative to the spec.
    pub samples: Vec<String>,
    /// Most pages one request sequence may fetch (default [`DEFAULT_MAX_PAGES`]).
    #[serde(default = "default_max_pages")]
    pub max_pages: u64,
}

/// Where a query parameter's value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamSource {
    /// A literal, or a template over parent fields and incremental values.
    Template(Template),
    /// A secret's value.
    Secret(String),
    /// A legacy resolve param not used in the path: the parent field, sent as a query
    /// parameter.
    ParentField(Selector),
    /// A legacy `{ type: incremental }` param: the window's start value.
    IncrementalStart,
}

/// Where a header's or form field's value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateOrSecret {
    /// A literal or a template.
    Template(Template),
    /// A secret's value (sent marked sensitive).
    Secret(String),
}

/// A request body other than JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodySource {
    /// Form fields in order (keys may repeat).
    Form(Vec<(String, TemplateOrSecret)>),
    /// A raw body, placeholders filled.
    Raw(Template),
}

/// How a child binds to its parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParentPlan {
    /// The parent resource.
    pub resource: String,
    /// Each placeholder text the child's request uses for a parent value
    /// (`resources.users.id`, `parent_id`, a resolve param's name), with the parent field.
    pub placeholders: Vec<(String, Selector)>,
    /// Parent fields identifying one parent (for per-parent incremental state), each once.
    pub key_fields: Vec<Selector>,
}

impl ParentPlan {
    /// The key text of one parent record: its [`ParentPlan::key_fields`] values as a request
    /// writes them, joined with `/` (a missing field is empty); `None` without key fields.
    /// Per-parent incremental state and the shards of a partitioned run both use it.
    pub fn key_of(&self, parent: &Value) -> Option<String> {
        let parts: Vec<String> = self
            .key_fields
            .iter()
            .map(|f| {
                f.first(parent)
                    .map(crate::template::value_text)
                    .unwrap_or_default()
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    /// The parent field bound to a placeholder's text.
    pub fn field_for(&self, placeholder: &str) -> Option<&Selector> {
        self.placeholders
            .iter()
            .find(|(p, _)| p == placeholder)
            .map(|(_, f)| f)
    }
}

/// A parent field copied into each child record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncludedField {
    /// The field of the parent record.
    pub field: Selector,
    /// The column it becomes in the child ([`crate::naming::parent_column`]).
    pub column: String,
}

/// Incremental loading, defaults filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncrementalPlan {
    /// Path of the cursor in each record.
    pub cursor_path: Selector,
    /// Cursor value used on the first run.
    pub initial_value: Option<Value>,
    /// Upper bound of the window.
    pub end_value: Option<Value>,
    /// Query parameter carrying the start value (legacy style).
    pub start_param: Option<String>,
    /// Query parameter carrying the end value (legacy style).
    pub end_param: Option<String>,
    /// How the high-water mark moves (default max).
    pub last_value_func: LastValueFunc,
    /// A record without a cursor value (default raise).
    pub on_cursor_value_missing: OnCursorValueMissing,
    /// Re-read this much before the last value.
    pub lag: Option<f64>,
    /// Order of records by cursor, when the API guarantees one.
    pub row_order: Option<RowOrder>,
    /// Whether a record equal to the start value is inside the window (default closed).
    pub range_start: RangeBound,
    /// Whether a record equal to `end_value` is inside the window (default open).
    pub range_end: RangeBound,
    /// How a record at the saved last value is known to be loaded already (dlt's boundary
    /// deduplication): `incremental.primary_key`, else the resource's `primary_key`, else
    /// the whole record.
    #[serde(default)]
    pub boundary_key: BoundaryKey,
}

/// What identifies a record at the incremental boundary, so that a run whose window starts
/// at the saved last value (closed) does not load the records the last run loaded there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundaryKey {
    /// These fields of the record (`incremental.primary_key`, else the resource's).
    PrimaryKey(Vec<String>),
    /// A hash of the whole record (no primary key).
    #[default]
    Record,
    /// No deduplication (`incremental.primary_key: []`, as in dlt).
    Off,
}

/// The retry policy, defaults filled (dlt's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryPlan {
    /// Statuses retried; `None`: 429 and 500-599.
    pub retry_on_status_codes: Option<Vec<u16>>,
    /// Retries after the first attempt (default 4: dlt's 5 attempts).
    pub max_retries: u32,
    /// Backoff multiplier in seconds (default 1).
    pub backoff_factor: f64,
    /// Longest wait in seconds (default 300).
    pub max_retry_delay: f64,
    /// Whether `Retry-After` is honoured (default true).
    pub respect_retry_after: bool,
    /// Shortest wait when `Retry-After` is honoured (default 0).
    pub retry_after_min_wait: f64,
}

impl Default for RetryPlan {
    fn default() -> Self {
        RetryPlan {
            retry_on_status_codes: None,
            max_retries: 4,
            backoff_factor: 1.0,
            max_retry_delay: 300.0,
            respect_retry_after: true,
            retry_after_min_wait: 0.0,
        }
    }
}
