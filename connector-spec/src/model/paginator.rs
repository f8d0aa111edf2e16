//! The paginator as written: a type name alone or a table with `type` and dlt's parameters.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::nullable::Nullable;

/// A paginator: a type name alone (`single_page`) or a table with `type` and parameters.
// Boxing would change the public shape every helper matches on; specs are small.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Paginator {
    /// Shorthand: only the type, every parameter at its default.
    Name(PaginatorKind),
    /// The full form.
    Config(PaginatorConfig),
}

/// Paginator type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaginatorKind {
    /// One request.
    SinglePage,
    /// `page=N`.
    PageNumber,
    /// `offset=N&limit=M`.
    Offset,
    /// A cursor read from the response body.
    #[serde(alias = "json_response_cursor")]
    Cursor,
    /// A next URL read from the response body.
    #[serde(alias = "json_response")]
    JsonLink,
    /// A next URL from the RFC 8288 `Link` header.
    HeaderLink,
    /// A cursor read from a response header.
    HeaderCursor,
    /// Detected from the first response.
    Auto,
}

/// A paginator with its parameters, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PaginatorConfig {
    /// One request, no pagination.
    SinglePage {},
    /// Page numbers.
    PageNumber(PageNumberPaginator),
    /// Offset and limit.
    Offset(OffsetPaginator),
    /// A cursor from the response body (dlt's JSONResponseCursorPaginator).
    #[serde(alias = "json_response_cursor")]
    Cursor(CursorPaginator),
    /// A next URL from the response body.
    #[serde(alias = "json_response")]
    JsonLink(JsonLinkPaginator),
    /// A next URL from the `Link` header.
    HeaderLink(HeaderLinkPaginator),
    /// A cursor from a response header.
    HeaderCursor(HeaderCursorPaginator),
    /// Detect from the first response (as dlt does), logging the choice.
    Auto {},
}

/// Page-number pagination (dlt's PageNumberPaginator, plus the seeds' `limit` and
/// `start_from_page`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageNumberPaginator {
    /// Number of the first page in the API's numbering (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_page: Option<i64>,
    /// First page requested (default: base_page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
    /// The seeds' name for the first page requested; same meaning as `page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_from_page: Option<i64>,
    /// Query parameter carrying the page number (default `page`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_param: Option<String>,
    /// Dot path in a JSON request body carrying the page number, instead of `page_param`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_body_path: Option<String>,
    /// Page size sent with each request (the seeds' `limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Query parameter carrying the page size (default `limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_param: Option<String>,
    /// Path of the total number of pages in the response (default `total`; `null` disables).
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub total_path: Nullable<String>,
    /// Stop before requesting this page (dlt's semantics: with `base_page: 1, maximum_page: 3`
    /// pages 1 and 2 are fetched). The first page is always requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_page: Option<i64>,
    /// Stop on a page with no records (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_after_empty_page: Option<bool>,
    /// Path of a boolean in the response: false means no more pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more_path: Option<String>,
    /// A declarative stop rule checked on every response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_condition: Option<StopCondition>,
}

/// Offset/limit pagination (dlt's OffsetPaginator).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OffsetPaginator {
    /// Records per request (required).
    pub limit: u64,
    /// First offset (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Query parameter carrying the offset (default `offset`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_param: Option<String>,
    /// Query parameter carrying the limit (default `limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_param: Option<String>,
    /// Dot path in a JSON request body carrying the offset, instead of `offset_param`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_body_path: Option<String>,
    /// Dot path in a JSON request body carrying the limit, instead of `limit_param`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_body_path: Option<String>,
    /// Path of the total number of records in the response (default `total`; `null` disables).
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub total_path: Nullable<String>,
    /// Stop before requesting this offset (dlt's semantics: with `limit: 10, maximum_offset: 30`
    /// offsets 0, 10 and 20 are fetched). The first page is always requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_offset: Option<u64>,
    /// Stop on a page with no records (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_after_empty_page: Option<bool>,
    /// Path of a boolean in the response: false means no more pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more_path: Option<String>,
    /// A declarative stop rule checked on every response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_condition: Option<StopCondition>,
}

/// Cursor pagination: the next cursor read from the response body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CursorPaginator {
    /// Path of the next cursor in the response (default `cursors.next`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_path: Option<String>,
    /// Query parameter carrying the cursor (default `cursor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_param: Option<String>,
    /// Dot path in a JSON request body carrying the cursor, instead of `cursor_param`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_body_path: Option<String>,
    /// Page size sent with each request (the seeds' `limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Query parameter carrying the page size (default `limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_param: Option<String>,
    /// Stop on a page with no records (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_after_empty_page: Option<bool>,
    /// Path of a boolean in the response: false means no more pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more_path: Option<String>,
    /// A declarative stop rule checked on every response (the seeds' Python `stop_condition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_condition: Option<StopCondition>,
}

/// A next URL read from the response body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonLinkPaginator {
    /// Path of the next URL in the response (default `next`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_url_path: Option<String>,
    /// A declarative stop rule checked on every response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_condition: Option<StopCondition>,
}

/// A next URL from the RFC 8288 `Link` header.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderLinkPaginator {
    /// The `rel` of the next link (default `next`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links_next_key: Option<String>,
}

/// A cursor read from a response header.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderCursorPaginator {
    /// Response header carrying the next cursor (default `next`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_key: Option<String>,
    /// Query parameter carrying the cursor (default `cursor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_param: Option<String>,
}

/// A declarative stop rule, the replacement for the seeds' Python `stop_condition`.
/// `not response.get('links', {}).get('next', {})` is `{ path_missing: links.next }`.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StopCondition {
    /// Stop when the path is absent, null, false, or an empty string, list or object.
    PathMissing(String),
    /// Stop when the value at `path` equals `value`.
    PathEquals {
        /// Dot path into the response body.
        path: String,
        /// The value that means "last page".
        value: Value,
    },
}
