//! Paginators in one form, every default filled in (dlt's defaults, written here and nowhere
//! else): what the runtime pages with and what generated documentation describes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::selector::Selector;

/// dlt's paginator defaults, written once: the resolver fills them in, and auto-detection
/// builds its paginators with them.
pub mod defaults {
    /// Query parameter of the page number.
    pub const PAGE_PARAM: &str = "page";
    /// Query parameter of the page size.
    pub const LIMIT_PARAM: &str = "limit";
    /// Query parameter of the offset.
    pub const OFFSET_PARAM: &str = "offset";
    /// Path of the total (pages for page_number, records for offset).
    pub const TOTAL_PATH: &str = "total";
    /// Path of the next cursor in the body.
    pub const CURSOR_PATH: &str = "cursors.next";
    /// Query parameter of the cursor.
    pub const CURSOR_PARAM: &str = "cursor";
    /// Path of the next URL in the body.
    pub const NEXT_URL_PATH: &str = "next";
    /// `rel` of the next link in the `Link` header.
    pub const LINKS_NEXT_KEY: &str = "next";
    /// Response header carrying the next cursor.
    pub const CURSOR_HEADER: &str = "next";
}

/// A paginator, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaginatorPlan {
    /// One request.
    SinglePage,
    /// Page numbers.
    PageNumber(PageNumberPlan),
    /// Offset and limit.
    Offset(OffsetPlan),
    /// A cursor from the response body.
    Cursor(CursorPlan),
    /// A next URL from the response body.
    JsonLink(JsonLinkPlan),
    /// A next URL from the `Link` header.
    HeaderLink(HeaderLinkPlan),
    /// A cursor from a response header.
    HeaderCursor(HeaderCursorPlan),
    /// Detected from the first response (dlt's behaviour when no paginator is named).
    Auto,
}

impl PaginatorPlan {
    /// The spec's name of the paginator type.
    pub fn type_name(&self) -> &'static str {
        match self {
            PaginatorPlan::SinglePage => "single_page",
            PaginatorPlan::PageNumber(_) => "page_number",
            PaginatorPlan::Offset(_) => "offset",
            PaginatorPlan::Cursor(_) => "cursor",
            PaginatorPlan::JsonLink(_) => "json_link",
            PaginatorPlan::HeaderLink(_) => "header_link",
            PaginatorPlan::HeaderCursor(_) => "header_cursor",
            PaginatorPlan::Auto => "auto",
        }
    }
}

/// Where a paginator writes a value into the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestField {
    /// A query parameter.
    Query(String),
    /// A key path in the JSON request body (`page.cursor` is `["page", "cursor"]`).
    Body(Vec<String>),
}

/// A page size sent with every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSize {
    /// Records per page.
    pub value: u64,
    /// Where it is sent.
    pub at: RequestField,
}

/// A declarative stop rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopRule {
    /// Stop when the path is absent, null, false, or an empty string, list or object.
    PathMissing(Selector),
    /// Stop when the value at the path equals this one.
    PathEquals(Selector, Value),
}

/// The stop rules every body-reading paginator shares (see the runtime's precedence).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StopRules {
    /// `stop_condition`.
    pub condition: Option<StopRule>,
    /// `has_more_path`.
    pub has_more_path: Option<Selector>,
    /// `stop_after_empty_page`.
    pub stop_after_empty_page: bool,
}

/// Page-number pagination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageNumberPlan {
    /// Number of the first page in the API's numbering (default 0).
    pub base_page: i64,
    /// First page requested (`page`, or the seeds' `start_from_page`; default `base_page`).
    pub first_page: i64,
    /// Where the page number goes (default query parameter `page`).
    pub page_at: RequestField,
    /// The page size, when the spec sets `limit` (default parameter `limit`).
    pub limit: Option<PageSize>,
    /// Path of the total number of pages (default `total`; `null` in the spec: none).
    pub total_path: Option<Selector>,
    /// The first page number not requested.
    pub maximum_page: Option<i64>,
    /// Stop rules (`stop_after_empty_page` default true).
    pub stop: StopRules,
}

impl PageNumberPlan {
    /// What auto-detection picks for a body with a total page count: 1-based pages.
    pub fn detected(total_path: Selector) -> PageNumberPlan {
        PageNumberPlan {
            base_page: 1,
            first_page: 1,
            total_path: Some(total_path),
            ..PageNumberPlan::with_defaults()
        }
    }

    /// dlt's page-number paginator with nothing set.
    pub fn with_defaults() -> PageNumberPlan {
        PageNumberPlan {
            base_page: 0,
            first_page: 0,
            page_at: RequestField::Query(defaults::PAGE_PARAM.to_owned()),
            limit: None,
            total_path: Some(Selector::from_keys([defaults::TOTAL_PATH])),
            maximum_page: None,
            stop: StopRules {
                stop_after_empty_page: true,
                ..StopRules::default()
            },
        }
    }
}

/// Offset and limit pagination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OffsetPlan {
    /// Records per request (at least 1).
    pub limit: u64,
    /// First offset (default 0).
    pub offset: u64,
    /// Where the offset goes (default query parameter `offset`).
    pub offset_at: RequestField,
    /// Where the limit goes (default query parameter `limit`).
    pub limit_at: RequestField,
    /// Path of the total number of records (default `total`; `null` in the spec: none).
    pub total_path: Option<Selector>,
    /// The first offset not requested.
    pub maximum_offset: Option<u64>,
    /// Stop rules (`stop_after_empty_page` default true).
    pub stop: StopRules,
}

/// A cursor read from the response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CursorPlan {
    /// Path of the next cursor (default `cursors.next`).
    pub cursor_path: Selector,
    /// Where the cursor goes (default query parameter `cursor`).
    pub cursor_at: RequestField,
    /// The page size, when the spec sets `limit` (default parameter `limit`).
    pub limit: Option<PageSize>,
    /// Stop rules (`stop_after_empty_page` default false).
    pub stop: StopRules,
}

impl CursorPlan {
    /// What auto-detection picks for a cursor found at `cursor_path`.
    pub fn detected(cursor_path: Selector) -> CursorPlan {
        CursorPlan {
            cursor_path,
            cursor_at: RequestField::Query(defaults::CURSOR_PARAM.to_owned()),
            limit: None,
            stop: StopRules::default(),
        }
    }
}

/// A next URL read from the response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonLinkPlan {
    /// Path of the next URL (default `next`).
    pub next_url_path: Selector,
    /// Stop rules (only `stop_condition` applies).
    pub stop: StopRules,
}

impl JsonLinkPlan {
    /// What auto-detection picks for a next link found at `next_url_path`.
    pub fn detected(next_url_path: Selector) -> JsonLinkPlan {
        JsonLinkPlan {
            next_url_path,
            stop: StopRules::default(),
        }
    }
}

/// A next URL from the RFC 8288 `Link` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderLinkPlan {
    /// The `rel` of the next link (default `next`).
    pub links_next_key: String,
}

impl Default for HeaderLinkPlan {
    fn default() -> Self {
        HeaderLinkPlan {
            links_next_key: defaults::LINKS_NEXT_KEY.to_owned(),
        }
    }
}

/// A cursor read from a response header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderCursorPlan {
    /// Response header carrying the next cursor (default `next`).
    pub cursor_key: String,
    /// Query parameter carrying the cursor (default `cursor`).
    pub cursor_param: String,
}
