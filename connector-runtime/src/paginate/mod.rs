//! Paginators: each type behind [`Paginator`], with dlt's parameters and defaults.
//!
//! # Stop rules and their precedence
//! After every response the paginator checks, in this order, and the first rule that says
//! "stop" ends pagination (a rule can only stop, never force another page):
//! 1. the declarative `stop_condition` (`path_missing` / `path_equals`);
//! 2. `has_more_path` holding false (`false`, `"false"`, `0`);
//! 3. an empty page, when `stop_after_empty_page` (default true for page_number and offset,
//!    false for cursor);
//! 4. the total reached (`total_path`: total pages for page_number, total records for offset);
//! 5. the maximum reached: as in dlt, the next page or offset would be `maximum_page` /
//!    `maximum_offset` or more (the maximum itself is never requested; the first page always is);
//! 6. no next cursor / next link in the response.
//!
//! So `has_more: true` never overrides a maximum (dlt#4225), and a missing `total` is not an
//! error while another rule can stop (dlt#4429); a total seen on an earlier page is kept
//! (dlt#1414). A page shorter than `limit` does not stop pagination by itself: APIs that cap
//! the page size below the requested limit would otherwise lose data.
//!
//! The page loop (in `pages.rs`) adds guards for every paginator: a cursor, link or page
//! token seen twice is an error naming it; a page with the same records as the one before is
//! a loop error (pages read as JSON); the page cap (the endpoint's `max_pages`, default
//! 10000, or `Options::max_pages`) is a hard cap that errors. After a stop it checks
//! [`Paginator::stop_reason`] and warns about a stop that looks wrong (see `suspicious.rs`).

mod auto;
mod cursor;
mod header_cursor;
mod header_link;
mod json_link;
mod offset;
mod page_number;
mod share;
mod single;

pub(crate) use header_link::find_link;

use connector_spec::resolved::{PaginatorPlan, StopRule, StopRules as StopRulesPlan};
use connector_spec::template::value_text;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::request::Request;
use crate::select::Selector;
use crate::Partition;

/// What a paginator sees of a response.
#[derive(Debug)]
#[non_exhaustive]
pub struct Page<'a> {
    /// The response headers.
    pub headers: &'a HeaderMap,
    /// The response body as JSON (`null` for an empty body).
    pub body: &'a Value,
    /// How many records the data selector found in it.
    pub records: usize,
}

/// A paginator's verdict after a response.
#[derive(Debug, PartialEq)]
pub enum Flow {
    /// No more pages.
    Stop,
    /// Another page; `token` identifies it (cursor, link, page number): a token seen twice in
    /// one sequence ends pagination with an error instead of looping.
    Next {
        /// What identifies the next page.
        token: String,
    },
}

/// Why a paginator's last [`Paginator::next`] said [`Flow::Stop`]. The runtime reads it to
/// warn about a stop that may have lost pages (a full page, then no next cursor where the
/// paginator looks for one; a next signal in the response the paginator does not read).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// A rule said there are no more pages: `stop_condition`, `has_more_path` false, an empty
    /// page, the total or the maximum reached. Nothing is checked.
    Rule,
    /// The next cursor or link was not in the response.
    Missing {
        /// The paginator setting that says where it is looked for (`cursor_path`,
        /// `next_url_path`, `links_next_key`, `cursor_key`).
        key: &'static str,
        /// Where that is, for a message: `` `cursors.next` `` or
        /// ``a `Link` header with rel="next"``.
        looked_for: String,
        /// True when the response has no such key or header at all; false when it is there
        /// but blank (`null`, `""`): the API said "no more" in the expected place.
        absent: bool,
    },
    /// The paginator never pages (single_page).
    OnePage,
    /// Not known (the default: a paginator of your own); nothing is checked.
    Unknown,
}

/// One pagination scheme: the spec's paginators implement it, and so can yours (dlt's
/// `register_paginator`), attached to a resource with [`crate::Options::with_paginator`].
///
/// A fresh instance serves one request sequence (one parent record of a child resource), so
/// state like the current page lives in `self`. After every response the runtime still
/// applies its own guards: a token seen twice and [`crate::Options::max_pages`] are errors.
///
/// ```
/// use connector_runtime::{futures::TryStreamExt, Connector, Flow, Options, Page, PageRequest};
/// use connector_runtime::{Paginator, RunOptions, Secrets};
/// # use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// /// An API that says `"more": "<opaque>"` and wants it back as `?after=<opaque>`.
/// struct After;
///
/// impl Paginator for After {
///     fn next(&mut self, page: &Page<'_>, request: &mut PageRequest) -> Result<Flow, String> {
///         match page.body["more"].as_str() {
///             Some(after) => {
///                 request.set_query("after", after.to_owned());
///                 Ok(Flow::Next { token: after.to_owned() })
///             }
///             None => Ok(Flow::Stop),
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // A two-page API on 127.0.0.1.
/// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// # let base_url = format!("http://{}", listener.local_addr()?);
/// # tokio::spawn(async move {
/// #     loop {
/// #         let (mut socket, _) = listener.accept().await.unwrap();
/// #         let mut buf = [0u8; 4096];
/// #         let n = socket.read(&mut buf).await.unwrap();
/// #         let head = String::from_utf8_lossy(&buf[..n]);
/// #         let body = if head.contains("after=x1") { r#"{"items": [{"id": 2}]}"# } else { r#"{"items": [{"id": 1}], "more": "x1"}"# };
/// #         let reply = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
/// #         socket.write_all(reply.as_bytes()).await.unwrap();
/// #     }
/// # });
/// let spec = connector_runtime::connector_spec::parse_str(
///     "name: demo\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: items\n    endpoint: { path: /items, data_selector: items }\n",
///     "demo.yaml",
/// )
/// .map_err(|d| format!("{d:?}"))?
/// .resolved;
/// let options = Options::new()
///     .with_base_url(base_url)
///     .with_paginator("items", || Box::new(After));
/// let connector = Connector::new(spec, Secrets::new(), options)?;
/// let items: Vec<serde_json::Value> = connector
///     .stream("items", RunOptions::default())
///     .try_collect()
///     .await?;
/// assert_eq!(items, [serde_json::json!({"id": 1}), serde_json::json!({"id": 2})]);
/// # Ok(())
/// # }
/// ```
pub trait Paginator: Send {
    /// Prepares the first request (default: leaves it as the spec built it).
    fn init(&mut self, request: &mut Request) {
        let _ = request;
    }

    /// Reads a response and prepares the next request, or says stop. `Err` explains why
    /// pagination cannot continue (the resource fails with it).
    fn next(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String>;

    /// Up to `count` requests that follow `next` (the request [`Paginator::next`] prepared),
    /// in order, when they are already known without seeing another response: page numbers
    /// and offsets once a total was read. Empty when they are not known (the default). The
    /// page prefetch sends them ahead; every response is still read by `next` in order, so a
    /// stop rule ends pagination exactly where it would without prefetch.
    fn lookahead(&self, next: &Request, count: usize) -> Vec<Request> {
        let _ = (next, count);
        Vec::new()
    }

    /// The body paths [`Paginator::next`] reads; `None` (the default) when it may read any.
    /// The records are parsed straight into their type only when none of these reaches into
    /// them.
    fn body_paths(&self) -> Option<Vec<&Selector>> {
        None
    }

    /// Why the last [`Paginator::next`] said stop (default [`StopReason::Unknown`]: the
    /// runtime then checks nothing about the stop).
    fn stop_reason(&self) -> StopReason {
        StopReason::Unknown
    }

    /// The page size the requests ask for (`limit`), when known: a stop right after a page
    /// this full looks like lost pages.
    fn page_size(&self) -> Option<u64> {
        None
    }

    /// Restricts this request sequence to `partition`'s share of the pages
    /// ([`Partition::page_range`]), for a partitioned run. Returns false (the default) when
    /// the paginator cannot know how many pages there are: page_number and offset can, with
    /// a `total_path` or a maximum.
    fn share_pages(&mut self, partition: Partition) -> bool {
        let _ = partition;
        false
    }

    /// True when the page [`Paginator::next`] just read is another shard's, read only for
    /// its total: its records are dropped (default false).
    fn foreign_page(&self) -> bool {
        false
    }
}

/// [`StopReason::Missing`] for a cursor or link looked for at `path` in `body`.
pub(crate) fn missing_in_body(key: &'static str, path: &Selector, body: &Value) -> StopReason {
    StopReason::Missing {
        key,
        looked_for: format!("`{path}`"),
        absent: path.first(body).is_none(),
    }
}

/// Makes a fresh paginator for each request sequence.
pub(crate) type PaginatorFactory = std::sync::Arc<dyn Fn() -> Box<dyn Paginator> + Send + Sync>;

/// Builds the paginator of a resolved spec for one request sequence.
pub(crate) fn build(plan: &PaginatorPlan) -> Box<dyn Paginator> {
    match plan {
        PaginatorPlan::SinglePage => Box::new(single::SinglePage),
        PaginatorPlan::PageNumber(c) => Box::new(page_number::PageNumber::new(c)),
        PaginatorPlan::Offset(c) => Box::new(offset::Offset::new(c)),
        PaginatorPlan::Cursor(c) => Box::new(cursor::Cursor::new(c)),
        PaginatorPlan::JsonLink(c) => Box::new(json_link::JsonLink::new(c)),
        PaginatorPlan::HeaderLink(c) => Box::new(header_link::HeaderLink::new(c)),
        PaginatorPlan::HeaderCursor(c) => Box::new(header_cursor::HeaderCursor::new(c)),
        PaginatorPlan::Auto => Box::new(auto::Auto::default()),
    }
}

/// Rules 1-3 of the precedence, shared by every paginator that has them.
#[derive(Debug, Clone, Default)]
pub(crate) struct StopRules {
    plan: StopRulesPlan,
}

impl StopRules {
    pub(crate) fn new(plan: &StopRulesPlan) -> StopRules {
        StopRules { plan: plan.clone() }
    }

    /// The body paths rules 1 and 2 read.
    pub(crate) fn body_paths(&self) -> impl Iterator<Item = &Selector> {
        self.plan
            .condition
            .iter()
            .map(|rule| match rule {
                StopRule::PathMissing(path) | StopRule::PathEquals(path, _) => path,
            })
            .chain(self.plan.has_more_path.iter())
    }

    /// Whether any rule other than the empty page can stop pagination.
    pub(crate) fn has_explicit_rule(&self) -> bool {
        self.plan.condition.is_some()
            || self.plan.has_more_path.is_some()
            || self.plan.stop_after_empty_page
    }

    /// True when one of rules 1-3 says stop.
    pub(crate) fn stop(&self, page: &Page<'_>) -> bool {
        if let Some(rule) = &self.plan.condition {
            let stop = match rule {
                StopRule::PathMissing(path) => path.first(page.body).is_none_or(is_blank),
                StopRule::PathEquals(path, v) => path.first(page.body) == Some(v),
            };
            if stop {
                return true;
            }
        }
        if let Some(path) = &self.plan.has_more_path {
            if let Some(v) = path.first(page.body) {
                if is_false(v) {
                    return true;
                }
            }
        }
        self.plan.stop_after_empty_page && page.records == 0
    }
}

/// Absent-like: null, false, empty string, list or object.
pub(crate) fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(_) | Value::Bool(true) => false,
    }
}

/// dlt accepts string booleans for has_more.
fn is_false(value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b,
        Value::String(s) => matches!(s.to_ascii_lowercase().as_str(), "false" | "0" | "no"),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Null => true,
        _ => false,
    }
}

/// The body paths of a paginator that reads a total and the stop rules (page_number, offset).
pub(crate) fn total_and_rule_paths<'a>(
    total_path: &'a Option<Selector>,
    rules: &'a StopRules,
) -> Option<Vec<&'a Selector>> {
    Some(total_path.iter().chain(rules.body_paths()).collect())
}

/// A number at `path`, also from a numeric string.
pub(crate) fn number_at(path: &Selector, body: &Value) -> Option<f64> {
    path.first(body).and_then(|v| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A cursor or link at `path` as text; `None` when absent or blank.
pub(crate) fn token_at(path: &Selector, body: &Value) -> Option<String> {
    path.first(body).filter(|v| !is_blank(v)).map(value_text)
}

#[cfg(test)]
mod tests;
