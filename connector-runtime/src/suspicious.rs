//! Responses that look wrong, and what to set about them: the texts of the runtime's
//! warnings (a stop that may have lost pages, a selector that matched nothing, an empty body)
//! and of its loop error. The page loop (`pages.rs`) decides when to check; this module says
//! what was seen and names the spec key to fix.
//!
//! A stop looks wrong when the paginator stopped because the next cursor or link was not where
//! it looks (not because a rule said stop) and either the page was full (as many records as
//! the `limit`, or the first page had records and the key is absent altogether), or the
//! response carries a next signal the paginator does not read: a `Link: rel="next"` header,
//! `has_more`/`hasMore` true, a `next`-like key, at the top level or under
//! `links`/`meta`/`pagination`.

use connector_spec::resolved::PaginatorPlan;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::paginate::{find_link, is_blank, StopReason};
use crate::redact::Redactor;
use crate::select::{detect, Selector};

/// Objects one level down where APIs put their paging metadata.
const CONTAINERS: &[&str] = &["links", "meta", "pagination"];
/// Keys holding the next page's cursor or link.
const NEXT_KEYS: &[&str] = &[
    "next",
    "next_page",
    "nextPage",
    "next_url",
    "next_cursor",
    "nextCursor",
    "next_page_token",
    "nextPageToken",
    "cursor",
];
/// Keys saying whether there are more pages.
const HAS_MORE_KEYS: &[&str] = &["has_more", "hasMore"];
/// Characters of a cursor or link quoted in a warning.
const QUOTED: usize = 80;

/// A sign in a response that there is another page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Signal {
    /// A `Link` header with rel="next".
    LinkHeader,
    /// `has_more: true` at this path.
    HasMore(String),
    /// A non-blank next cursor or link at this path; `url` when it looks like a link.
    Next {
        path: String,
        value: String,
        url: bool,
    },
}

impl Signal {
    fn describe(&self) -> String {
        match self {
            Signal::LinkHeader => "a `Link` header with rel=\"next\"".to_owned(),
            Signal::HasMore(path) => format!("`{path}: true`"),
            Signal::Next { path, value, .. } => format!("`{path}` = {value}"),
        }
    }
}

/// The next signals in a response, except those at a path the paginator reads (`reads`).
pub(crate) fn next_signals(
    headers: &HeaderMap,
    body: &Value,
    reads: &[&Selector],
    redactor: &Redactor,
) -> Vec<Signal> {
    let mut found = Vec::new();
    if find_link(headers, "next").is_some() {
        found.push(Signal::LinkHeader);
    }
    let read: Vec<Vec<&str>> = reads.iter().filter_map(|s| s.keys()).collect();
    let is_read = |path: &[&str]| read.iter().any(|r| r.as_slice() == path);
    let Value::Object(root) = body else {
        return found;
    };
    let mut places: Vec<(Option<&str>, &serde_json::Map<String, Value>)> = vec![(None, root)];
    for key in CONTAINERS {
        if let Some(Value::Object(inner)) = root.get(*key) {
            places.push((Some(key), inner));
        }
    }
    for (prefix, map) in places {
        let path_of = |key: &'static str| -> (Vec<&str>, String) {
            let keys: Vec<&str> = prefix.into_iter().chain([key]).collect();
            let text = keys.join(".");
            (keys, text)
        };
        for key in HAS_MORE_KEYS {
            let (keys, text) = path_of(key);
            let more = match map.get(*key) {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
                _ => false,
            };
            if more && !is_read(&keys) {
                found.push(Signal::HasMore(text));
            }
        }
        for key in NEXT_KEYS {
            let Some(value) = map.get(*key) else { continue };
            let (mut keys, mut text) = path_of(key);
            // `next: {href: ...}` (HAL and friends).
            let value = match value {
                Value::Object(inner) => {
                    match ["href", "url"].iter().find(|k| inner.contains_key(**k)) {
                        Some(sub) => {
                            keys.push(sub);
                            text = format!("{text}.{sub}");
                            &inner[*sub]
                        }
                        None => continue,
                    }
                }
                other => other,
            };
            if is_blank(value) || !(value.is_string() || value.is_number()) || is_read(&keys) {
                continue;
            }
            let raw = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            let url =
                raw.starts_with("http://") || raw.starts_with("https://") || raw.starts_with('/');
            found.push(Signal::Next {
                path: text,
                value: quote(&redactor.text(&raw)),
                url,
            });
        }
    }
    found
}

fn quote(text: &str) -> String {
    let mut cut: String = text.chars().take(QUOTED).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("\"{cut}\"")
}

/// What the page loop knows about a stop.
pub(crate) struct Stop<'a> {
    /// The page just read (1-based).
    pub(crate) page: u64,
    /// Its records.
    pub(crate) records: usize,
    pub(crate) reason: &'a StopReason,
    pub(crate) page_size: Option<u64>,
    pub(crate) signals: Vec<Signal>,
}

/// The warning about a stop that may have lost pages (without the `resource` prefix), or
/// `None` when the stop looks right.
pub(crate) fn stop_warning(stop: Stop<'_>) -> Option<String> {
    let Stop {
        page,
        records,
        reason,
        page_size,
        mut signals,
    } = stop;
    let (because, key) = match reason {
        StopReason::Rule | StopReason::Unknown => return None,
        StopReason::OnePage => ("the paginator is single_page".to_owned(), None),
        StopReason::Missing {
            key,
            looked_for,
            absent,
        } => {
            if !absent {
                // The API answered "no more" where the paginator looks: only a signal that
                // contradicts it counts, not another key that merely exists.
                signals.retain(|s| !matches!(s, Signal::Next { .. }));
            }
            (
                format!("the response has no {looked_for} (paginator `{key}`)"),
                Some((*key, *absent)),
            )
        }
    };
    let full_by_size = page_size.is_some_and(|size| size > 0 && records as u64 >= size);
    let full = match key {
        Some((_, true)) => full_by_size || (page == 1 && records > 0),
        _ => false,
    };
    if signals.is_empty() && !full {
        return None;
    }
    let size_note = if full_by_size { ", a full page" } else { "" };
    let mut text = format!(
        "pagination stopped after page {page} ({records} records{size_note}) because {because}"
    );
    if !signals.is_empty() {
        let list: Vec<String> = signals.iter().map(Signal::describe).collect();
        text.push_str(&format!(", but the response has {}", list.join(" and ")));
    }
    text.push_str("; ");
    text.push_str(&fix(key.map(|(k, _)| k), &signals));
    Some(text)
}

/// The spec change that follows the first signal, or where to look when there is none.
fn fix(key: Option<&'static str>, signals: &[Signal]) -> String {
    let next = |want_url: bool| {
        signals.iter().find_map(|s| match s {
            Signal::Next { path, url, .. } if *url == want_url => Some(path.clone()),
            _ => None,
        })
    };
    if signals.contains(&Signal::LinkHeader) {
        return if key == Some("links_next_key") {
            "to load the rest, set `links_next_key: next`".to_owned()
        } else {
            "to load the rest, use `paginator: header_link`".to_owned()
        };
    }
    if let Some(path) = next(true) {
        return if key == Some("next_url_path") {
            format!("to load the rest, set `next_url_path: {path}`")
        } else {
            format!("to load the rest, use `paginator: {{type: json_link, next_url_path: {path}}}`")
        };
    }
    if let Some(path) = next(false) {
        return if key == Some("cursor_path") {
            format!("to load the rest, set `cursor_path: {path}`")
        } else {
            format!("to load the rest, use `paginator: {{type: cursor, cursor_path: {path}}}`")
        };
    }
    if let Some(Signal::HasMore(path)) = signals.first() {
        return format!(
            "the API says there are more pages (`{path}: true`): set the paginator to how this \
             API names the next page"
        );
    }
    match key {
        Some(key) => {
            let what = if key.contains("cursor") {
                "cursor"
            } else {
                "link"
            };
            format!(
                "if the API has more pages, set `{key}` to where the response has the next {what}"
            )
        }
        None => "if the API has more pages, set a paginator".to_owned(),
    }
}

/// The warning for a selector that matched nothing in a non-empty body.
pub(crate) fn selector_unmatched(page: u64, selector: Option<&Selector>, body: &Value) -> String {
    let shown = selector.map_or_else(|| "(detected)".to_owned(), ToString::to_string);
    let keys = match body {
        Value::Object(map) => {
            let mut keys: Vec<&str> = map.keys().map(String::as_str).take(10).collect();
            if map.len() > keys.len() {
                keys.push("…");
            }
            format!(" (its top-level keys: {})", keys.join(", "))
        }
        _ => String::new(),
    };
    let detected = detect(body);
    let hint = if !detected.is_root() && Some(&detected) != selector {
        format!("the records look to be at `{detected}`: set `data_selector: {detected}`")
    } else {
        "set `data_selector` to the path of the records list".to_owned()
    };
    format!(
        "page {page}: data_selector `{shown}` matched nothing in the response{keys}, read as no \
         records; {hint}"
    )
}

/// The warning for a data selector that holds `null`.
pub(crate) fn selector_null(page: u64, selector: &Selector) -> String {
    format!(
        "page {page}: data_selector `{selector}` is null in the response, read as no records; if \
         this endpoint should return records, check `data_selector`"
    )
}

/// The warning for an empty body (a 204, or a 200 with nothing in it).
pub(crate) fn empty_body(page: u64, status: u16) -> String {
    format!(
        "page {page}: the response (status {status}) has an empty body, read as no records; if \
         this endpoint should return records, check its path and params (a `response_actions` \
         entry `{{status_code: {status}, action: ignore}}` says an empty answer is expected)"
    )
}

/// The loop error: page `page` has the same records as the page before.
pub(crate) fn same_records(page: u64, records: usize, paginator: Option<&PaginatorPlan>) -> String {
    let check = match paginator {
        Some(PaginatorPlan::Cursor(_)) => {
            "check `cursor_param` / `cursor_body_path` (where the cursor is sent) and `cursor_path`"
        }
        Some(PaginatorPlan::PageNumber(_)) => "check `page_param` / `page_body_path`",
        Some(PaginatorPlan::Offset(_)) => "check `offset_param` / `offset_body_path`",
        Some(PaginatorPlan::JsonLink(_)) => "check `next_url_path`",
        Some(PaginatorPlan::HeaderLink(_)) => "check `links_next_key`",
        Some(PaginatorPlan::HeaderCursor(_)) => "check `cursor_param` (where the cursor is sent)",
        Some(PaginatorPlan::Auto) => "name the paginator and its parameters in the spec",
        Some(PaginatorPlan::SinglePage) | None => "check the paginator",
    };
    format!(
        "page {page} has the same {records} records as page {}: the API is not moving to the \
         next page with what the paginator sends; {check}",
        page - 1
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn signals(body: Value, reads: &[&str]) -> Vec<Signal> {
        let reads: Vec<Selector> = reads.iter().map(|r| Selector::parse(r).unwrap()).collect();
        let refs: Vec<&Selector> = reads.iter().collect();
        next_signals(&HeaderMap::new(), &body, &refs, &Redactor::default())
    }

    #[test]
    fn signals_at_the_top_and_one_level_down_except_what_is_read() {
        let body = json!({"data": [], "has_more": true, "links": {"next": "/x?c=2"}, "meta": {"cursor": 5}});
        assert_eq!(
            signals(body.clone(), &["links.next"]),
            vec![
                Signal::HasMore("has_more".into()),
                Signal::Next {
                    path: "meta.cursor".into(),
                    value: "\"5\"".into(),
                    url: false
                }
            ]
        );
        assert!(signals(json!({"next": null, "has_more": false, "cursor": ""}), &[]).is_empty());
        assert_eq!(
            signals(json!({"next": {"href": "https://a/2"}}), &[]),
            vec![Signal::Next {
                path: "next.href".into(),
                value: "\"https://a/2\"".into(),
                url: true
            }]
        );
    }

    #[test]
    fn a_stop_by_rule_or_with_an_explicit_blank_is_fine() {
        let missing = |absent| StopReason::Missing {
            key: "cursor_path",
            looked_for: "`cursors.next`".into(),
            absent,
        };
        let stop = |reason: &StopReason, page, records, signals| {
            stop_warning(Stop {
                page,
                records,
                reason,
                page_size: Some(50),
                signals,
            })
        };
        assert_eq!(
            stop(&StopReason::Rule, 1, 50, vec![Signal::LinkHeader]),
            None
        );
        assert_eq!(stop(&missing(false), 1, 50, vec![]), None);
        assert_eq!(stop(&missing(true), 3, 10, vec![]), None);
        let next = Signal::Next {
            path: "links.next".into(),
            value: "\"c2\"".into(),
            url: false,
        };
        assert_eq!(stop(&missing(false), 1, 50, vec![next.clone()]), None);
        assert_eq!(
            stop(&missing(true), 1, 50, vec![next]).unwrap(),
            "pagination stopped after page 1 (50 records, a full page) because the response has \
             no `cursors.next` (paginator `cursor_path`), but the response has `links.next` = \
             \"c2\"; to load the rest, set `cursor_path: links.next`"
        );
        assert_eq!(
            stop(&missing(true), 4, 50, vec![]).unwrap(),
            "pagination stopped after page 4 (50 records, a full page) because the response has \
             no `cursors.next` (paginator `cursor_path`); if the API has more pages, set \
             `cursor_path` to where the response has the next cursor"
        );
    }
}
