//! A generic resource of any size for benchmarks; no auth.
//!
//! - `GET /bench/items?page=N&page_size=M` (pages from 0):
//!   `{"page": N, "page_size": M, "total": pages, "total_records": n, "items": [...]}`.
//! - `GET /bench/items?offset=N&limit=M`: `{"offset": N, "limit": M, "total": n, "items": [...]}`
//!   (`total` counts pages in page mode and records in offset mode, as each paginator's default
//!   `total_path` expects).
//! - `GET /bench/parents?page=N&page_size=M`: like items, key `parents`;
//!   `GET /bench/parents/{id}/children`: `{"children": [...]}`.
//!
//! Pages are generated on the fly and serialized straight into one pre-sized buffer: the server
//! never holds more than the page being written.

use std::ops::RangeInclusive;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::data::{civil_from_days, Rfc3339, BASE_EPOCH};
use crate::error::ApiError;
use crate::paging::{page_count, page_size, param_u64, Params};
use crate::state::AppState;

const MAX_PAGE_SIZE: u64 = 10_000;
/// A generous estimate of one serialized item, to size the buffer once.
const ITEM_BYTES: usize = 320;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/items", get(items))
        .route("/parents", get(parents))
        .route("/parents/{id}/children", get(children))
}

/// A short string built on the stack without `core::fmt` (the bench's hot path), serialized
/// as a JSON string. Text past its capacity is dropped; every bench string fits.
struct Short {
    bytes: [u8; 48],
    len: usize,
}

impl Short {
    fn new() -> Self {
        Short {
            bytes: [0; 48],
            len: 0,
        }
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    fn text(mut self, text: &str) -> Self {
        text.bytes().for_each(|b| self.push(b));
        self
    }

    fn num(mut self, mut n: u64) -> Self {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        digits[start..].iter().for_each(|&b| self.push(b));
        self
    }

    /// Two digits, zero-padded.
    fn two(mut self, n: u64) -> Self {
        self.push(b'0' + (n / 10 % 10) as u8);
        self.push(b'0' + (n % 10) as u8);
        self
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds `secs` (years 1000 to 9999).
    fn timestamp(self, secs: i64) -> Self {
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let time = secs.rem_euclid(86_400) as u64;
        self.num(year.max(0) as u64)
            .text("-")
            .two(u64::from(month))
            .text("-")
            .two(u64::from(day))
            .text("T")
            .two(time / 3600)
            .text(":")
            .two(time / 60 % 60)
            .text(":")
            .two(time % 60)
            .text("Z")
    }

    fn as_str(&self) -> &str {
        // Only ASCII is ever pushed, so this cannot fail.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl Serialize for Short {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

fn pick(options: &'static [&'static str], i: u64) -> &'static str {
    options[(i % options.len() as u64) as usize]
}

/// Bench item `i`, shaped like the seeds' records: scalars, nullable fields, a nested object
/// and an array.
pub(crate) struct Item(pub(crate) u64);

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let i = self.0;
        let mut item = serializer.serialize_struct("Item", 9)?;
        item.serialize_field("id", &i)?;
        item.serialize_field("name", &Short::new().text("item-").num(i))?;
        item.serialize_field("status", pick(&["active", "inactive", "pending"], i))?;
        item.serialize_field("score", &(i % 5 != 0).then_some((i % 1000) as f64 / 10.0))?;
        if i % 3 == 0 {
            item.serialize_field("email", &None::<&str>)?;
        } else {
            let email = Short::new().text("user").num(i).text("@example.com");
            item.serialize_field("email", &email)?;
        }
        item.serialize_field("active", &(i % 2 == 0))?;
        let created_at = Short::new().timestamp(BASE_EPOCH + i as i64);
        item.serialize_field("created_at", &created_at)?;
        item.serialize_field("owner", &Owner(i % 1000 + 1))?;
        item.serialize_field("tags", &Tags(i))?;
        item.end()
    }
}

struct Owner(u64);

impl Serialize for Owner {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let k = self.0;
        let mut owner = serializer.serialize_struct("Owner", 3)?;
        owner.serialize_field("id", &k)?;
        owner.serialize_field("name", &Short::new().text("owner-").num(k))?;
        if k % 4 == 0 {
            owner.serialize_field("team", &None::<&str>)?;
        } else {
            owner.serialize_field("team", &Short::new().text("team-").num(k % 7))?;
        }
        owner.end()
    }
}

struct Tags(u64);

impl Serialize for Tags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let i = self.0;
        let mut tags = serializer.serialize_seq(Some(2))?;
        tags.serialize_element(&Short::new().text("tag-").num(i % 7))?;
        tags.serialize_element(&Short::new().text("group-").num(i % 11))?;
        tags.end()
    }
}

/// A run of consecutive items, serialized as a JSON array.
struct Items(RangeInclusive<u64>);

impl Serialize for Items {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for i in self.0.clone() {
            seq.serialize_element(&Item(i))?;
        }
        seq.end()
    }
}

/// The page body: metadata first, then the records under `key`.
struct PageBody<'a, R> {
    meta: &'a [(&'static str, u64)],
    key: &'static str,
    records: R,
}

impl<R: Serialize> Serialize for PageBody<'_, R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.meta.len() + 1))?;
        for (name, value) in self.meta {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry(self.key, &self.records)?;
        map.end()
    }
}

fn json_response(body: &impl Serialize, capacity: usize) -> Result<Response, ApiError> {
    let mut buffer = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut buffer, body)
        .map_err(|e| ApiError::bad_request(format!("could not serialize the page: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], buffer).into_response())
}

/// Where a page starts and how long it is, from `page`/`page_size` or `offset`/`limit`.
struct Window {
    offset: u64,
    size: u64,
    meta: Vec<(&'static str, u64)>,
}

fn window(params: &Params, records: u64, default_size: u64) -> Result<Window, ApiError> {
    if params.contains_key("offset") {
        let offset = param_u64(params, "offset", 0)?;
        let size = page_size(params, "limit", default_size, MAX_PAGE_SIZE)?;
        let meta = vec![("offset", offset), ("limit", size), ("total", records)];
        return Ok(Window { offset, size, meta });
    }
    let page = param_u64(params, "page", 0)?;
    let size = page_size(params, "page_size", default_size, MAX_PAGE_SIZE)?;
    let meta = vec![
        ("page", page),
        ("page_size", size),
        ("total", page_count(records, size)),
        ("total_records", records),
    ];
    Ok(Window {
        offset: page.saturating_mul(size),
        size,
        meta,
    })
}

/// 1-based indices of the records in the window.
fn indices(window: &Window, records: u64) -> RangeInclusive<u64> {
    let end = window.offset.saturating_add(window.size).min(records);
    // An empty range (start > end) when the window lies past the end.
    (window.offset + 1)..=end
}

async fn items(
    State(shared): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let (records, default_size) = {
        let config = shared.config();
        (config.bench_records, config.bench_page_size)
    };
    let window = window(&params, records, default_size)?;
    let range = indices(&window, records);
    let len = records.saturating_sub(window.offset).min(window.size) as usize;
    let capacity = 128 + ITEM_BYTES * len;
    let body = PageBody {
        meta: &window.meta,
        key: "items",
        records: Items(range),
    };
    json_response(&body, capacity)
}

/// Bench parent `i`.
pub(crate) fn parent(i: u64) -> serde_json::Value {
    serde_json::json!({
        "id": i,
        "name": format!("parent-{i}"),
        "updated_at": Rfc3339(BASE_EPOCH + i as i64 * 60).to_string(),
    })
}

/// Child `j` (1-based) of bench parent `p`.
pub(crate) fn child(p: u64, j: u64) -> serde_json::Value {
    serde_json::json!({
        "id": p * 1_000_000 + j,
        "parent_id": p,
        "name": format!("child-{p}-{j}"),
        "value": j as f64 * 1.5,
    })
}

async fn parents(
    State(shared): State<AppState>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let (records, default_size) = {
        let config = shared.config();
        (config.bench_parents, config.bench_page_size)
    };
    let window = window(&params, records, default_size)?;
    let parents: Vec<_> = indices(&window, records).map(parent).collect();
    let body = PageBody {
        meta: &window.meta,
        key: "parents",
        records: parents,
    };
    json_response(&body, 128 + 80 * window.size.min(MAX_PAGE_SIZE) as usize)
}

async fn children(
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (parents, per_parent) = {
        let config = shared.config();
        (config.bench_parents, config.bench_children_per_parent)
    };
    let parent = id
        .parse::<u64>()
        .ok()
        .filter(|p| (1..=parents).contains(p))
        .ok_or_else(|| ApiError::not_found(format!("parent `{id}` does not exist")))?;
    let children: Vec<_> = (1..=per_parent).map(|j| child(parent, j)).collect();
    let body = PageBody {
        meta: &[("total", per_parent)],
        key: "children",
        records: children,
    };
    json_response(&body, 128 + 100 * children_capacity(per_parent))
}

fn children_capacity(per_parent: u64) -> usize {
    per_parent.min(MAX_PAGE_SIZE) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_match_their_formatted_form() {
        for secs in [
            0,
            1,
            BASE_EPOCH,
            BASE_EPOCH + 86_399,
            4_102_444_799,
            951_782_400,
        ] {
            let short = Short::new().timestamp(secs);
            assert_eq!(short.as_str(), Rfc3339(secs).to_string());
        }
        assert_eq!(Short::new().text("u").num(0).as_str(), "u0");
        assert_eq!(Short::new().num(u64::MAX).as_str(), u64::MAX.to_string());
        let long = Short::new().text(&"x".repeat(60));
        assert_eq!(
            long.as_str().len(),
            48,
            "overflow is dropped, never a panic"
        );
    }
}
