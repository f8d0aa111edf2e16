//! The spec model: a YAML superset of dlt's `rest_api_source` configuration.
//!
//! Every struct denies unknown keys. Field names are dlt's; where the seed documents use another
//! name for the same thing (`token_url`, `oauth2`, `start_from_page`) it is accepted as an alias.
//! Defaults follow dlt and are applied by the accessor methods (`page_param()`, ...), so the model
//! keeps what the user wrote and a round trip through YAML gives the same model.
//! The either/or types (`StringOrSecret`, `Paginator`, ...) deserialize by hand in `de.rs`, so
//! a mistake gets a real message instead of serde's "did not match any variant".

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::vocabulary::*;

mod paginator;

pub use paginator::*;

/// A whole connector spec: one REST API source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Connector name: the generated module and type prefix, and the secrets section
    /// (`<NAME>__<SECRET>` environment variables). Lower snake case.
    pub name: String,
    /// What this API is; copied into generated documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How to reach and authenticate with the API.
    pub client: Client,
    /// Settings merged into every resource (dlt's deep merge: endpoint, params and headers key
    /// by key; everything else replaced by the resource's own value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_defaults: Option<ResourceDefaults>,
    /// The resources (tables) this API offers. A bare string is a resource whose name is also
    /// its path.
    pub resources: Vec<ResourceEntry>,
    /// Treat every warning of a run about a stop that looks wrong (a full page then no next
    /// cursor, a next signal the paginator does not read, a selector that matched nothing, an
    /// empty body) as an error that fails the resource. Default false (`connector sync
    /// --strict` turns it on too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// How table and column names are made from the API's names: `snake_case` (dlt's
    /// default) or `direct` (as sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub naming: Option<Naming>,
    /// The columns read from schema documents (`columns_from`), by resource name: filled by
    /// the loader, and merged under each resource's own `columns`. Not written in a spec.
    #[serde(skip)]
    #[schemars(skip)]
    pub document_columns: IndexMap<String, IndexMap<String, Column>>,
}

/// The HTTP client shared by every resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// Base URL every relative endpoint path is joined to.
    pub base_url: String,
    /// Headers sent with every request; values may be secrets.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, StringOrSecret>,
    /// Authentication for every request to base_url's origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    /// Paginator used when neither the endpoint nor resource_defaults names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paginator: Option<Paginator>,
    /// Request timeout in seconds (dlt's `request_timeout`, default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<f64>,
    /// Proactive rate limit shared by every request of the connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Upper bound on concurrent requests of one resource (child fan-out, page prefetch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Whether a next link to another origin may be followed (without credentials). When false
    /// such a link is an error. Default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_cross_origin_links: Option<bool>,
    /// Largest response body accepted, in bytes after decompression (default 256 MiB); a
    /// larger body fails the resource instead of filling memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<u64>,
}

/// A value that is either written in the spec or names a secret resolved at run time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum StringOrSecret {
    /// `{ secret: NAME }`: the value comes from the secrets store.
    Secret(SecretRef),
    /// A literal value.
    Literal(String),
}

/// `{ secret: NAME }`: a reference to a secret; the spec never holds the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    /// Secret name: lower snake case, looked up as `<CONNECTOR>__<NAME>` in the environment or
    /// `sources.<connector>.<name>` in secrets.toml.
    pub secret: String,
}

/// Authentication. dlt's types plus the seeds' `oauth2` and the refresh-token grant.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: StringOrSecret,
    },
    /// An API key in a header, query parameter or cookie.
    ApiKey {
        /// Header, query parameter or cookie name (default `Authorization`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The key.
        api_key: StringOrSecret,
        /// Where the key goes (default `header`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<ApiKeyLocation>,
    },
    /// HTTP basic authentication.
    HttpBasic {
        /// User name.
        username: StringOrSecret,
        /// Password.
        password: StringOrSecret,
    },
    /// OAuth2: client credentials grant, or refresh-token grant when `refresh_token` is given.
    /// The seeds' `oauth2` is an alias.
    #[serde(alias = "oauth2")]
    Oauth2ClientCredentials(OAuth2),
    /// OAuth2 refresh-token grant, named explicitly (`refresh_token` required).
    Oauth2RefreshToken(OAuth2),
}

/// OAuth2 token endpoint settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    /// Token endpoint (dlt's `access_token_url`; the seeds call it `token_url`). May be a secret.
    #[serde(alias = "token_url")]
    pub access_token_url: StringOrSecret,
    /// Client id.
    pub client_id: StringOrSecret,
    /// Client secret.
    pub client_secret: StringOrSecret,
    /// Refresh token: when given, the refresh-token grant is used instead of client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<StringOrSecret>,
    /// A token already obtained (dlt's `access_token`): sent first, until the API answers
    /// 401 or `default_token_expiration` passes; then the grant fetches a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<StringOrSecret>,
    /// Scopes requested, joined by spaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Extra form fields sent to the token endpoint.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub access_token_request_data: IndexMap<String, StringOrSecret>,
    /// Token lifetime assumed when the response has no `expires_in` (default 3600 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_token_expiration: Option<u64>,
    /// How client credentials reach the token endpoint (default `form`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<OAuth2ClientAuth>,
}

/// Retry policy for failed requests (the seeds' `error_handler`; dlt's runtime retry settings).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorHandler {
    /// Statuses that are retried (default 429 and 500-599).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_on_status_codes: Option<Vec<u16>>,
    /// Retries after the first attempt (default 4: dlt's 5 attempts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// Exponential backoff multiplier in seconds: wait = factor * 2^attempt (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_factor: Option<f64>,
    /// Longest wait between attempts in seconds (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retry_delay: Option<f64>,
    /// Honour `Retry-After` (seconds or HTTP date) on retried responses (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respect_retry_after: Option<bool>,
    /// Shortest wait in seconds when a `Retry-After` header is honoured (seed: 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_min_wait: Option<f64>,
}

/// A query parameter value.
// Boxing would change the public shape every helper matches on; specs are small.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ParamValue {
    /// `{ secret: NAME }`.
    Secret(SecretRef),
    /// `{ type: resolve, ... }` or `{ type: incremental, ... }`.
    Special(SpecialParam),
    /// A literal scalar; strings may hold `{resources.x.y}` / `{incremental.x}` placeholders.
    Literal(Scalar),
    /// `null`: the parameter is not sent (dlt drops it); over a `resource_defaults` param it
    /// removes that param for this resource.
    Null,
}

/// A scalar parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    String(String),
}

/// Legacy dlt parameter forms tagged by `type`.
// Boxing would change the public shape every helper matches on; specs are small.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SpecialParam {
    /// The parameter takes a field of each record of a parent resource.
    Resolve(ResolveParam),
    /// The parameter carries the incremental cursor's start value.
    Incremental(Incremental),
}

/// `{ type: resolve, resource, field }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveParam {
    /// Parent resource name.
    pub resource: String,
    /// Field of the parent record (a dot path).
    pub field: String,
}

/// Incremental loading settings (dlt's `incremental`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Incremental {
    /// Path of the cursor field in each record.
    pub cursor_path: String,
    /// Cursor value used on the first run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_value: Option<Value>,
    /// Upper bound of the window, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_value: Option<Value>,
    /// Query parameter that carries the start value (legacy style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_param: Option<String>,
    /// Query parameter that carries the end value (legacy style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_param: Option<String>,
    /// `max` (default) or `min`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_value_func: Option<LastValueFunc>,
    /// What to do with a record that has no cursor value (default `raise`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_cursor_value_missing: Option<OnCursorValueMissing>,
    /// Re-read this much before the last value (seconds for timestamps, units for numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag: Option<f64>,
    /// The order the API returns records in, by cursor. When set, paging stops at the first
    /// record past the window in that direction (`asc`: at or after `end_value`; `desc`:
    /// before the start value), as every later record would be dropped anyway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_order: Option<RowOrder>,
    /// Whether a record equal to the start value is loaded (default `closed`: it is, as in
    /// dlt; `open` skips it, so a record at the saved last value is not loaded twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_start: Option<RangeBound>,
    /// Whether a record equal to `end_value` is loaded (default `open`: it is not, as in dlt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_end: Option<RangeBound>,
    /// dlt's deduplication key for records at the saved last value (default: the resource's
    /// `primary_key`, else a hash of the whole record; `[]` turns deduplication off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<Keys>,
    /// dlt's hand-over of the window to Airflow; accepted, with a warning that it has no
    /// effect here (`connector sync` takes no window from a scheduler).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_external_schedulers: Option<bool>,
}

/// An endpoint: how to request one resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Path joined to base_url (default: the resource name). An absolute URL ignores base_url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// HTTP method (default GET).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    /// Query parameters.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub params: IndexMap<String, ParamValue>,
    /// JSON request body; string values may hold placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// Request body other than JSON (exclusive with `json`): a form as a mapping or a list
    /// of `[key, value]` pairs (repeated keys kept), or a raw string sent as it is (dlt's
    /// `data`). String values may hold placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<RequestData>,
    /// Headers for this endpoint, merged over the client's.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, StringOrSecret>,
    /// Authentication for this endpoint, replacing the client's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    /// Paginator (endpoint > resource_defaults > client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paginator: Option<Paginator>,
    /// Where the records are in the response: a JSONPath subset (`a.b`, `a[*].b`, `$`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_selector: Option<String>,
    /// Incremental loading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<Incremental>,
    /// Responses to ignore, retry or fail by status and body.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_actions: Vec<ResponseAction>,
    /// Retry policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_handler: Option<ErrorHandler>,
    /// Most pages one request sequence may fetch (default 10000); reaching it while the API
    /// still reports more pages fails the resource instead of stopping silently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<u64>,
}

/// dlt's `data`: a form, or a raw body.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RequestData {
    /// A form body as a mapping.
    Fields(IndexMap<String, StringOrSecret>),
    /// A form body as `[key, value]` pairs, in order, keys possibly repeated.
    Pairs(Vec<(String, StringOrSecret)>),
    /// A raw body, sent as it is.
    Raw(String),
}

impl RequestData {
    /// The form fields, in order (none for a raw body).
    pub fn fields(&self) -> Vec<(&str, &StringOrSecret)> {
        match self {
            RequestData::Fields(map) => map.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            RequestData::Pairs(pairs) => pairs.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            RequestData::Raw(_) => Vec::new(),
        }
    }
}

/// An endpoint written as a path alone, or in full.
// Boxing would change the public shape every helper matches on; specs are small.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum EndpointEntry {
    /// Just the path.
    Path(String),
    /// The full form.
    Full(Endpoint),
}

/// A list entry of `resources`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ResourceEntry {
    /// A bare name: name and path alike.
    Name(String),
    /// The full form.
    Full(Box<Resource>),
}

/// A resource: one table of records from one endpoint.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Resource name (unique within the spec).
    pub name: String,
    /// The endpoint; a string is the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<EndpointEntry>,
    /// Destination table (default: the resource name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// Primary key column(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<Keys>,
    /// Merge key column(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_key: Option<Keys>,
    /// append | replace | merge, or dlt's dict form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_disposition: Option<WriteDisposition>,
    /// Column hints; they drive the generated record struct and the table. A mapping by
    /// column name, or dlt's list of columns each with a `name`.
    #[serde(
        default,
        skip_serializing_if = "IndexMap::is_empty",
        deserialize_with = "crate::de::columns"
    )]
    #[schemars(schema_with = "crate::schema::columns")]
    pub columns: IndexMap<String, Column>,
    /// Columns from a schema document (an OpenAPI 3.0 / 3.1 document or a JSON Schema file,
    /// relative to the spec): `openapi.yaml#/components/schemas/Device` names a schema by
    /// JSON pointer; `openapi.yaml` alone takes the success response of the operation with
    /// this resource's endpoint path and method, through `data_selector`. `columns` entries
    /// override single fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns_from: Option<ColumnsFrom>,
    /// Parent resource for the seeds' bare `{parent_id}` placeholder, when it cannot be inferred
    /// (dlt's `{resources.<parent>.<field>}` and `resolve` params name the parent themselves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Parent fields copied into each child record as `_<parent>_<field>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_from_parent: Vec<String>,
    /// Whether the resource is loaded (default true); unselected parents still feed children.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<bool>,
    /// Fetch children of several parents concurrently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelized: Option<bool>,
    /// Depth to which nested objects are flattened into `parent__child` columns and lists
    /// become child tables (dlt's default 1000 when absent; 0 keeps them as JSON columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_table_nesting: Option<u32>,
    /// Recorded sample responses (JSON files beside the spec) checked against `columns` at
    /// compile time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<String>,
    /// dlt's `schema_contract`: what a load does with new tables, new columns and values of
    /// a new type (`evolve`, the default; `freeze`; `discard_row`; `discard_value`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_contract: Option<SchemaContractSpec>,
    /// dlt's `table_format` (`delta`, `iceberg`); accepted, with a warning that it has no
    /// effect on the destinations here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_format: Option<Value>,
    /// dlt's `file_format` of its loader files; accepted, with a warning that it has no
    /// effect here (no loader files are written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_format: Option<Value>,
    /// dlt's table `references`; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Value>,
    /// dlt's `nested_hints` for child tables; accepted, with a warning that it has no effect
    /// here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nested_hints: Option<Value>,
    /// dlt's `parent_table_name`; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_table_name: Option<Value>,
}

/// `resource_defaults`: any resource setting except the name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceDefaults {
    /// Endpoint settings deep-merged into each resource's endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
    /// Default destination table name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// Default primary key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<Keys>,
    /// Default merge key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_key: Option<Keys>,
    /// Default write disposition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_disposition: Option<WriteDisposition>,
    /// Default column hints, merged column by column (a mapping, or a list with names).
    #[serde(
        default,
        skip_serializing_if = "IndexMap::is_empty",
        deserialize_with = "crate::de::columns"
    )]
    #[schemars(schema_with = "crate::schema::columns")]
    pub columns: IndexMap<String, Column>,
    /// Default columns_from: a schema document whose operations give each resource its
    /// columns (a resource's own `columns_from` replaces it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns_from: Option<ColumnsFrom>,
    /// Default include_from_parent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_from_parent: Vec<String>,
    /// Default selected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<bool>,
    /// Default parallelized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelized: Option<bool>,
    /// Default max_table_nesting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_table_nesting: Option<u32>,
    /// dlt's `schema_contract`: what a load does with new tables, new columns and values of
    /// a new type (`evolve`, the default; `freeze`; `discard_row`; `discard_value`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_contract: Option<SchemaContractSpec>,
    /// dlt's `table_format` (`delta`, `iceberg`); accepted, with a warning that it has no
    /// effect on the destinations here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_format: Option<Value>,
    /// dlt's `file_format` of its loader files; accepted, with a warning that it has no
    /// effect here (no loader files are written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_format: Option<Value>,
    /// dlt's table `references`; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Value>,
    /// dlt's `nested_hints` for child tables; accepted, with a warning that it has no effect
    /// here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nested_hints: Option<Value>,
    /// dlt's `parent_table_name`; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_table_name: Option<Value>,
}

/// `columns_from`: a schema document the columns come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ColumnsFrom {
    /// `document#/json/pointer` (a schema by JSON pointer), or `document` alone (the
    /// operation of the resource's endpoint in an OpenAPI document; a JSON Schema file's root).
    Reference(String),
    /// The long form.
    Document(ColumnsFromDocument),
}

/// The long form of `columns_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnsFromDocument {
    /// The document: an OpenAPI 3.0 / 3.1 document or a JSON Schema file (YAML or JSON),
    /// relative to the spec file's directory.
    pub document: String,
    /// A JSON pointer to the record schema in the document (`/components/schemas/Device`;
    /// a leading `#` is allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The `operationId` whose success response holds the records (default: the operation
    /// with the endpoint's path and method); `data_selector` leads to the records in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
}

impl ColumnsFrom {
    /// The document, as written (relative to the spec's directory).
    pub fn document(&self) -> &str {
        match self {
            ColumnsFrom::Reference(text) => text.split_once('#').map_or(text.as_str(), |(d, _)| d),
            ColumnsFrom::Document(d) => &d.document,
        }
    }

    /// The JSON pointer to the record schema, without its `#` (`None`: found by operation,
    /// or a JSON Schema file's root).
    pub fn pointer(&self) -> Option<&str> {
        match self {
            ColumnsFrom::Reference(text) => text.split_once('#').map(|(_, p)| p),
            ColumnsFrom::Document(d) => d
                .schema
                .as_deref()
                .map(|p| p.strip_prefix('#').unwrap_or(p)),
        }
    }

    /// The `operationId` named.
    pub fn operation(&self) -> Option<&str> {
        match self {
            ColumnsFrom::Reference(_) => None,
            ColumnsFrom::Document(d) => d.operation.as_deref(),
        }
    }
}

/// One key column or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Keys {
    /// One column.
    One(String),
    /// A compound key.
    Many(Vec<String>),
}

impl Keys {
    /// The key columns in order.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Keys::One(k) => vec![k.as_str()],
            Keys::Many(ks) => ks.iter().map(String::as_str).collect(),
        }
    }
}

/// How records are written to the destination table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum WriteDisposition {
    /// `append`, `replace`, `merge` or `skip`.
    Word(Disposition),
    /// dlt's dict form `{ disposition: merge, strategy: upsert }`.
    Config(WriteDispositionConfig),
}

/// dlt's dict form of write_disposition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteDispositionConfig {
    /// The disposition.
    pub disposition: Disposition,
    /// Merge strategy (merge only; default delete-insert).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<MergeStrategy>,
    /// scd2: the names of the validity columns, `[from, to]` (default `[_dlt_valid_from,
    /// _dlt_valid_to]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity_column_names: Option<Vec<String>>,
    /// scd2: the `to` of current rows instead of null, an ISO date or date-time
    /// (`9999-12-31`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_record_timestamp: Option<String>,
    /// scd2: when a load's changes take effect instead of the load's start, an ISO date or
    /// date-time (for loading history in order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary_timestamp: Option<String>,
    /// scd2: a column of the records holding their version, compared instead of a hash of
    /// the whole record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_version_column_name: Option<String>,
    /// delete-insert: the records are unique per key already; the load skips
    /// deduplicating them (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deduplicated: Option<bool>,
}

impl WriteDispositionConfig {
    /// The strategy's settings, as the loader takes them.
    pub fn options(&self) -> MergeOptions {
        MergeOptions {
            validity_column_names: self.validity_column_names.as_deref().and_then(|names| {
                match names {
                    [from, to] => Some([from.clone(), to.clone()]),
                    _ => None,
                }
            }),
            active_record_timestamp: self.active_record_timestamp.clone(),
            boundary_timestamp: self.boundary_timestamp.clone(),
            row_version_column_name: self.row_version_column_name.clone(),
            deduplicated: self.deduplicated.unwrap_or(false),
        }
    }
}
