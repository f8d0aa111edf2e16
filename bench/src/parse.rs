//! The `parse` scenario: where a typed fetch spends its CPU, without HTTP. One bench page is
//! parsed over and over in the ways the runtime and generated code could do it, so the cost
//! of each step (JSON tree, selector copy, `#[serde(flatten)]`) is measured alone.
//!
//! `ItemFlatten` is the record struct as codegen emitted it before: derived `Deserialize` with
//! `#[serde(flatten)] extra`. The generated `Item` now reads each object once (see
//! `connector_runtime::record`).

use std::time::Instant;

use connector_demo_server::{DemoConfig, DemoServer};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::api::Item;

/// The generated struct's fields without the flattened `extra` (what plain derive costs).
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // fields are only read through Debug/black_box.
pub struct ItemPlain {
    id: i64,
    name: String,
    status: String,
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    email: Option<String>,
    active: bool,
    created_at: String,
    owner: Value,
    tags: Vec<String>,
}

/// The generated struct's fields plus `extra` through `#[serde(flatten)]` (the previous codegen).
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // fields are only read through Debug/black_box.
pub struct ItemFlatten {
    id: i64,
    name: String,
    status: String,
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    email: Option<String>,
    active: bool,
    created_at: String,
    owner: Value,
    tags: Vec<String>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// A page with its records straight in a `Vec<T>` (other keys skipped).
#[derive(Deserialize)]
struct Page<T> {
    items: Vec<T>,
}

/// One bench page of `page_size` records, as the demo server sends it.
fn page_body(page_size: u64) -> Result<Vec<u8>, String> {
    let server = DemoServer::start_in_thread(DemoConfig {
        bench_records: page_size,
        bench_page_size: page_size,
        recent_requests: 0,
        ..DemoConfig::default()
    });
    let url = server.url("/bench/items");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let response = reqwest::get(format!("{url}?page=0&page_size={page_size}"))
            .await
            .map_err(|e| e.to_string())?;
        response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| e.to_string())
    })
}

/// Records per second of `parse` over `body` (best of 3 runs of ~0.5 s).
fn measure(body: &[u8], records: usize, parse: impl Fn(&[u8]) -> usize) -> f64 {
    let mut best = 0f64;
    for _ in 0..3 {
        let started = Instant::now();
        let mut parsed = 0usize;
        while started.elapsed().as_secs_f64() < 0.5 {
            parsed += std::hint::black_box(parse(std::hint::black_box(body)));
        }
        best = best.max(parsed as f64 / started.elapsed().as_secs_f64());
    }
    debug_assert!(records > 0);
    best
}

fn via_value<T: DeserializeOwned>(body: &[u8], clone_page: bool) -> usize {
    let Ok(mut json) = serde_json::from_slice::<Value>(body) else {
        return 0;
    };
    let items = if clone_page {
        // What `Selector::records` does: a deep copy of the selected array.
        json.get("items").cloned()
    } else {
        json.get_mut("items").map(Value::take)
    };
    let Some(Value::Array(items)) = items else {
        return 0;
    };
    items.iter().filter(|v| T::deserialize(*v).is_ok()).count()
}

/// Like `via_value` without the copy, deserializing from owned values (strings moved).
fn via_owned_value<T: DeserializeOwned>(body: &[u8]) -> usize {
    let Ok(mut json) = serde_json::from_slice::<Value>(body) else {
        return 0;
    };
    let Some(Value::Array(items)) = json.get_mut("items").map(Value::take) else {
        return 0;
    };
    items
        .into_iter()
        .filter_map(|v| T::deserialize(v).ok())
        .count()
}

fn direct<T: DeserializeOwned>(body: &[u8]) -> usize {
    serde_json::from_slice::<Page<T>>(body).map_or(0, |p| p.items.len())
}

/// One way of parsing a page; returns the records it got.
type ParseFn<'a> = Box<dyn Fn(&[u8]) -> usize + 'a>;

/// Runs the comparison on a page of `page_size` records; one line per variant.
pub fn run(page_size: u64) -> Result<Vec<String>, String> {
    let body = page_body(page_size)?;
    let n = page_size as usize;
    if direct::<Item>(&body) != n {
        return Err("the page does not parse into the generated Item".to_owned());
    }
    let variants: Vec<(&str, ParseFn<'_>)> = vec![
        (
            "JSON tree, selector copies the page, flatten struct from &Value (the first runtime)",
            Box::new(|b| via_value::<ItemFlatten>(b, true)),
        ),
        (
            "Value tree, page moved out (no copy), flatten struct from &Value",
            Box::new(|b| via_value::<ItemFlatten>(b, false)),
        ),
        (
            "Value tree, page moved out, flatten struct from owned Value",
            Box::new(via_owned_value::<ItemFlatten>),
        ),
        (
            "Value tree, page moved out, generated Item from &Value",
            Box::new(|b| via_value::<Item>(b, false)),
        ),
        (
            "Value tree only (untyped stream)",
            Box::new(|b| serde_json::from_slice::<Value>(b).map_or(0, |_| n)),
        ),
        (
            "bytes -> Vec<T> directly, flatten struct (the previous codegen)",
            Box::new(direct::<ItemFlatten>),
        ),
        (
            "bytes -> Vec<T> directly, no extra map (drops unknown keys)",
            Box::new(direct::<ItemPlain>),
        ),
        (
            "bytes -> Vec<Item> directly, generated one-pass Deserialize (the typed path now)",
            Box::new(direct::<Item>),
        ),
    ];
    let mut lines = Vec::new();
    let mut baseline = None;
    for (label, parse) in variants {
        let rate = measure(&body, n, parse);
        let base = *baseline.get_or_insert(rate);
        lines.push(format!(
            "parse, page size {page_size}: {label}: {rate:.0} records/s ({:.2}x)",
            rate / base
        ));
    }
    Ok(lines)
}
