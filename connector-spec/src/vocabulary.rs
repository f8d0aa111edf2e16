//! The spec's vocabulary: the enums and small structs that the written spec ([`crate::model`])
//! and the resolved model ([`crate::resolved`]) share. Plain serde derives only, so the runtime
//! can read them without a YAML library.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A proactive request budget: a token bucket shared by every request of the connector.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Sustained requests per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<f64>,
    /// Sustained requests per minute (for APIs that state their budget per minute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_minute: Option<f64>,
    /// How many requests may go at once before the rate applies (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
}

/// Where an API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyLocation {
    /// A request header.
    Header,
    /// A query-string parameter (dlt also calls it `param`).
    #[serde(alias = "param")]
    Query,
    /// A cookie.
    Cookie,
}

/// How OAuth2 client credentials are sent to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OAuth2ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    Form,
    /// HTTP basic authentication with client id and secret.
    Basic,
}

/// What to do with a response that matches (dlt's `response_actions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ResponseAction {
    /// Status to match: a number, or dlt's string form (`"404"`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "status_code"
    )]
    #[cfg_attr(feature = "yaml", schemars(schema_with = "status_code_schema"))]
    pub status_code: Option<u16>,
    /// Substring of the body to match (ANDed with status_code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The action.
    pub action: ResponseActionKind,
}

/// A status code written as a number or as a string of digits (dlt configs write both).
fn status_code<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u16>, D::Error> {
    struct Code;
    impl serde::de::Visitor<'_> for Code {
        type Value = Option<u16>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an HTTP status code like 404 or \"404\"")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
            u16::try_from(n)
                .map(Some)
                .map_err(|_| E::custom(format!("status code {n} is not an HTTP status (100-599)")))
        }

        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
            u64::try_from(n)
                .map_err(|_| E::custom(format!("status code {n} is not an HTTP status (100-599)")))
                .and_then(|n| self.visit_u64(n))
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            match text.trim().parse::<u64>() {
                Ok(n) => self.visit_u64(n),
                Err(_) => Err(E::custom(format!(
                    "status code `{text}` is not a number; write it like 404"
                ))),
            }
        }
    }
    deserializer.deserialize_any(Code)
}

#[cfg(feature = "yaml")]
fn status_code_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "Status to match: a number, or dlt's string form (`\"404\"`).",
        "anyOf": [
            { "type": "integer", "minimum": 100, "maximum": 599 },
            { "type": "string", "pattern": "^\\s*[1-5][0-9][0-9]\\s*$" },
            { "type": "null" }
        ]
    })
}

/// Response actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResponseActionKind {
    /// Treat as success with no records.
    Ignore,
    /// Retry under the error handler's policy.
    Retry,
    /// Fail at once.
    Fail,
}

/// HTTP methods an endpoint may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET (the default).
    #[serde(alias = "get")]
    Get,
    /// POST, for search endpoints with a JSON body.
    #[serde(alias = "post")]
    Post,
    /// PUT.
    #[serde(alias = "put")]
    Put,
    /// PATCH.
    #[serde(alias = "patch")]
    Patch,
    /// DELETE.
    #[serde(alias = "delete")]
    Delete,
}

/// Whether a window bound itself is inside the window (dlt's `range_start` / `range_end`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RangeBound {
    /// The bound is excluded: `open` start skips records equal to the last value.
    Open,
    /// The bound is included.
    Closed,
}

/// The order of records by their incremental cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RowOrder {
    /// Ascending cursor values.
    Asc,
    /// Descending cursor values.
    Desc,
}

/// How the incremental high-water mark moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LastValueFunc {
    /// Keep the largest cursor seen.
    Max,
    /// Keep the smallest cursor seen.
    Min,
}

/// What to do with a record missing its incremental cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnCursorValueMissing {
    /// Fail the resource.
    Raise,
    /// Keep the record.
    Include,
    /// Drop the record.
    Exclude,
}

/// The write disposition words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Add rows.
    Append,
    /// Replace the table's contents each run.
    Replace,
    /// Upsert on the primary key.
    Merge,
    /// Fetch but do not load.
    Skip,
}

impl Disposition {
    /// The word the spec writes (dlt's name).
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Append => "append",
            Disposition::Replace => "replace",
            Disposition::Merge => "merge",
            Disposition::Skip => "skip",
        }
    }
}

/// Merge strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum MergeStrategy {
    /// Delete rows whose key is in the load, then insert (dlt's default).
    DeleteInsert,
    /// Update or insert row by row on the primary key.
    Upsert,
    /// Insert the records whose primary key the table does not have; leave the rest.
    InsertOnly,
    /// Keep history (slowly changing dimension type 2): a changed record retires its current
    /// row (`_dlt_valid_to` set) and gets a new one; a record absent from the load is retired.
    Scd2,
}

impl MergeStrategy {
    /// The word the spec writes (dlt's name).
    pub fn as_str(self) -> &'static str {
        match self {
            MergeStrategy::DeleteInsert => "delete-insert",
            MergeStrategy::Upsert => "upsert",
            MergeStrategy::InsertOnly => "insert-only",
            MergeStrategy::Scd2 => "scd2",
        }
    }
}

/// The settings of a merge strategy beyond its name (dlt's `write_disposition` dict keys).
/// `None` is dlt's default; the loader knows what each default is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MergeOptions {
    /// scd2: the names of the validity columns, `[from, to]` (default `_dlt_valid_from`,
    /// `_dlt_valid_to`).
    pub validity_column_names: Option<[String; 2]>,
    /// scd2: the `to` of current rows (default null), an ISO date or date-time such as
    /// `9999-12-31`.
    pub active_record_timestamp: Option<String>,
    /// scd2: the moment a load's changes take effect (default the load's start), an ISO date
    /// or date-time.
    pub boundary_timestamp: Option<String>,
    /// scd2: a column of the records that holds their version (default a hash of the whole
    /// record).
    pub row_version_column_name: Option<String>,
    /// delete-insert: the records are unique per key already, so the load skips finding
    /// the last of each key (dlt's `deduplicated`; default false).
    pub deduplicated: bool,
}

impl MergeOptions {
    /// Whether every setting is dlt's default (the model leaves such options out).
    pub fn is_default(&self) -> bool {
        *self == MergeOptions::default()
    }
}

/// How table and column names are made from the names an API sends (dlt's naming
/// conventions). The rules themselves live in the loader's normalizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Naming {
    /// dlt's default: `lastContactTime` becomes `last_contact_time`, nested names are joined
    /// with `__`.
    #[default]
    SnakeCase,
    /// Names as sent, only quotes and line breaks replaced (dlt's `direct`; nested names are
    /// joined with `▶`, as dlt joins them).
    Direct,
}

/// What a load does with data the destination's schema does not have yet (dlt's schema
/// contract modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContractMode {
    /// Add it (a new table, a new column, a variant column).
    #[default]
    Evolve,
    /// Fail the load, naming the table, the column and the value.
    Freeze,
    /// Drop the whole record, counted in the summary.
    DiscardRow,
    /// Drop the value (the record loads without it), counted in the summary.
    DiscardValue,
}

impl ContractMode {
    /// The word the spec writes.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractMode::Evolve => "evolve",
            ContractMode::Freeze => "freeze",
            ContractMode::DiscardRow => "discard_row",
            ContractMode::DiscardValue => "discard_value",
        }
    }
}

/// dlt's schema contract, per entity: new `tables`, new `columns` of existing tables, and
/// `data_type` changes (a value that fits no existing column type and would need a variant
/// column or a wider type). Every entity defaults to `evolve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SchemaContract {
    /// Tables the destination does not have yet.
    #[serde(default)]
    pub tables: ContractMode,
    /// Columns an existing table does not have yet.
    #[serde(default)]
    pub columns: ContractMode,
    /// Values whose type fits no existing column.
    #[serde(default)]
    pub data_type: ContractMode,
}

/// `schema_contract` as written: one mode for every entity (`freeze`) or one per entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum SchemaContractSpec {
    /// The same mode for tables, columns and data types.
    All(ContractMode),
    /// A mode per entity (absent ones evolve).
    PerEntity(SchemaContract),
}

impl SchemaContractSpec {
    /// The contract per entity.
    pub fn resolve(self) -> SchemaContract {
        match self {
            SchemaContractSpec::All(mode) => SchemaContract {
                tables: mode,
                columns: mode,
                data_type: mode,
            },
            SchemaContractSpec::PerEntity(contract) => contract,
        }
    }
}

/// A column hint (dlt's column schema plus nested types).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// The type (default text when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<DataType>,
    /// Whether the value may be null or absent (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable: Option<bool>,
    /// Documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Decimal / text precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<u32>,
    /// Decimal scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// For `data_type: json` holding a list: the element type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<Column>>,
    /// For `data_type: json` holding an object: its fields.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub fields: IndexMap<String, Column>,
    /// For a text column: the values the API documents. The generated field is a Rust enum
    /// with a variant per value plus `Other(String)` for values not listed; the table column
    /// stays text.
    #[serde(default, rename = "enum", skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<String>,
    /// The column's name (dlt's `name`); required when `columns` is a list, and equal to its
    /// key in the mapping form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Part of the primary key (dlt's column hint), used when the resource sets no `primary_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<bool>,
    /// Part of the merge key (dlt's column hint), used when the resource sets no `merge_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_key: Option<bool>,
    /// dlt's `unique` hint; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<bool>,
    /// dlt's `sort` hint; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<bool>,
    /// dlt's `partition` hint; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<bool>,
    /// dlt's `cluster` hint; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<bool>,
    /// dlt's `timezone` hint; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<bool>,
    /// dlt's `hard_delete` hint; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_delete: Option<bool>,
    /// dlt's `dedup_sort` hint (`asc` / `desc`); accepted, with a warning that it has no
    /// effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_sort: Option<String>,
    /// dlt's `row_key` hint; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_key: Option<bool>,
    /// dlt's `parent_key` hint; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_key: Option<bool>,
    /// dlt's `root_key` hint; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_key: Option<bool>,
    /// dlt's `variant` hint; accepted, with a warning that it has no effect here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<bool>,
    /// The shape a schema document's `format` promises for the text (`date-time`, `date`);
    /// the generated field is then the matching chrono type. Only documents set it: a
    /// written `data_type: timestamp` is a hint for the table, not a promise about the text.
    #[serde(skip)]
    #[cfg_attr(feature = "yaml", schemars(skip))]
    pub format: Option<TextFormat>,
}

/// A text shape a schema document promises (its `format`), read into a chrono type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    /// `format: date-time`: an RFC 3339 date-time (`2024-05-01T12:00:00+02:00`), read as
    /// `chrono::DateTime<chrono::Utc>`.
    DateTime,
    /// `format: date`: an RFC 3339 full-date (`2024-05-01`), read as `chrono::NaiveDate`.
    Date,
}

impl TextFormat {
    /// The format named by a schema's `format` and its column type; `None` for every other
    /// format. `time` is not one: RFC 3339 times carry an offset, which no chrono type holds.
    pub fn from_schema(format: &str) -> Option<(TextFormat, DataType)> {
        match format {
            "date-time" => Some((TextFormat::DateTime, DataType::Timestamp)),
            "date" => Some((TextFormat::Date, DataType::Date)),
            _ => None,
        }
    }

    /// The name the document writes.
    pub fn as_str(self) -> &'static str {
        match self {
            TextFormat::DateTime => "date-time",
            TextFormat::Date => "date",
        }
    }

    /// Whether `text` reads as the generated field's chrono type, exactly as its serde
    /// `Deserialize` reads it (chrono's `FromStr`), so a sample or live check passes exactly
    /// the records the typed stream accepts.
    pub fn accepts(self, text: &str) -> bool {
        match self {
            TextFormat::DateTime => text
                .parse::<chrono::DateTime<chrono::FixedOffset>>()
                .is_ok(),
            TextFormat::Date => text.parse::<chrono::NaiveDate>().is_ok(),
        }
    }
}

impl Column {
    /// dlt's column hints set on this column that have no effect here, by name.
    pub fn hints_without_effect(&self) -> Vec<&'static str> {
        let flags = [
            ("unique", self.unique),
            ("sort", self.sort),
            ("partition", self.partition),
            ("cluster", self.cluster),
            ("timezone", self.timezone),
            ("hard_delete", self.hard_delete),
            ("row_key", self.row_key),
            ("parent_key", self.parent_key),
            ("root_key", self.root_key),
            ("variant", self.variant),
        ];
        let mut found: Vec<&'static str> = flags
            .into_iter()
            .filter(|(_, set)| set.is_some())
            .map(|(name, _)| name)
            .collect();
        if self.dedup_sort.is_some() {
            found.push("dedup_sort");
        }
        found
    }
}

/// dlt data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "yaml", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DataType {
    /// UTF-8 text.
    Text,
    /// 64-bit integer.
    Bigint,
    /// 64-bit float.
    Double,
    /// Boolean.
    Bool,
    /// Timestamp with time zone (RFC 3339).
    Timestamp,
    /// Calendar date.
    Date,
    /// Time of day.
    Time,
    /// Decimal number.
    Decimal,
    /// 256-bit integer (wei), kept as text.
    Wei,
    /// Bytes (base64 in JSON).
    Binary,
    /// Any JSON (object or list); `complex` is dlt's old name.
    #[serde(alias = "complex")]
    Json,
}

impl DataType {
    /// dlt's name of the type, as a spec writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DataType::Text => "text",
            DataType::Bigint => "bigint",
            DataType::Double => "double",
            DataType::Bool => "bool",
            DataType::Timestamp => "timestamp",
            DataType::Date => "date",
            DataType::Time => "time",
            DataType::Decimal => "decimal",
            DataType::Wei => "wei",
            DataType::Binary => "binary",
            DataType::Json => "json",
        }
    }
}
