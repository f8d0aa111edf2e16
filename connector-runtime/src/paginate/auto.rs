//! dlt's detection from the first response, in dlt's order: a `Link: rel=next` header
//! (header_link); a `next` value that is a URL (json_link); a total-pages key (page_number);
//! a `next` value that is not a URL (cursor); else single_page. The choice is logged.

use connector_spec::resolved::{CursorPlan, HeaderLinkPlan, JsonLinkPlan, PageNumberPlan};
use serde_json::Value;

use super::cursor::Cursor;
use super::header_link::{find_link, HeaderLink};
use super::json_link::JsonLink;
use super::page_number::PageNumber;
use super::single::SinglePage;
use super::{is_blank, Flow, Page, Paginator, Request, StopReason};
use crate::select::Selector;

#[derive(Default)]
pub(crate) struct Auto {
    chosen: Option<Box<dyn Paginator>>,
}

const NEXT_KEYS: &[&str] = &[
    "next",
    "next_url",
    "nextUrl",
    "next_page",
    "nextPage",
    "next_page_url",
];
const TOTAL_PAGES_KEYS: &[&str] = &[
    "total_pages",
    "totalPages",
    "pages",
    "totalpages",
    "page_count",
    "pageCount",
];

/// Paths (dot form) of `next`-like values: top level, one level down (`links.next`,
/// `pagination.next`), and `next.href` / `next.url`.
fn next_candidates(body: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    let Value::Object(map) = body else {
        return found;
    };
    let mut visit = |prefix: &str, map: &serde_json::Map<String, Value>| {
        for key in NEXT_KEYS {
            if let Some(v) = map.get(*key) {
                let path = if prefix.is_empty() {
                    (*key).to_owned()
                } else {
                    format!("{prefix}.{key}")
                };
                match v {
                    Value::Object(inner) => {
                        for sub in ["href", "url"] {
                            if let Some(s) = inner.get(sub) {
                                found.push((format!("{path}.{sub}"), s.clone()));
                            }
                        }
                    }
                    other => found.push((path, other.clone())),
                }
            }
        }
    };
    visit("", map);
    for (key, value) in map {
        if let Value::Object(inner) = value {
            visit(key, inner);
        }
    }
    found
}

/// A detected path (plain keys joined by dots) as a selector.
fn dotted(path: &str) -> Selector {
    Selector::from_keys(path.split('.'))
}

fn is_url(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        s.starts_with("http://") || s.starts_with("https://") || s.starts_with('/')
    })
}

fn detect(page: &Page<'_>) -> Result<(Box<dyn Paginator>, String), String> {
    if find_link(page.headers, "next").is_some() {
        return Ok((
            Box::new(HeaderLink::new(&HeaderLinkPlan::default())),
            "header_link".into(),
        ));
    }
    let nexts = next_candidates(page.body);
    if let Some((path, _)) = nexts.iter().find(|(_, v)| is_url(v)) {
        let p = JsonLink::new(&JsonLinkPlan::detected(dotted(path)));
        return Ok((Box::new(p), format!("json_link (next_url_path: {path})")));
    }
    if let Value::Object(map) = page.body {
        for key in TOTAL_PAGES_KEYS {
            if map.get(*key).is_some_and(|v| v.is_number()) {
                return Ok((
                    Box::new(PageNumber::new(&PageNumberPlan::detected(dotted(key)))),
                    format!("page_number (total_path: {key})"),
                ));
            }
        }
    }
    if let Some((path, _)) = nexts
        .iter()
        .find(|(_, v)| !is_blank(v) && (v.is_string() || v.is_number()))
    {
        return Ok((
            Box::new(Cursor::new(&CursorPlan::detected(dotted(path)))),
            format!("cursor (cursor_path: {path})"),
        ));
    }
    Ok((Box::new(SinglePage), "single_page".into()))
}

impl Paginator for Auto {
    fn init(&mut self, _request: &mut Request) {}

    fn body_paths(&self) -> Option<Vec<&Selector>> {
        self.chosen.as_ref().and_then(|p| p.body_paths())
    }

    fn stop_reason(&self) -> StopReason {
        self.chosen
            .as_ref()
            .map_or(StopReason::Unknown, |p| p.stop_reason())
    }

    fn page_size(&self) -> Option<u64> {
        self.chosen.as_ref().and_then(|p| p.page_size())
    }

    fn next(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String> {
        if self.chosen.is_none() {
            let (chosen, what) = detect(page)?;
            tracing::info!(paginator = %what, "no paginator in the spec; detected from the first response");
            self.chosen = Some(chosen);
        }
        match self.chosen.as_mut() {
            Some(p) => p.next(page, request),
            None => Ok(Flow::Stop),
        }
    }
}
