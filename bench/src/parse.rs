//! The `parse` scenario: where a typed fetch spends its CPU, without HTTP. One bench page is
//! parsed over and over in the ways the runtime and generated code could do it, so the cost
//! of each step (JSON tree, selector copy, `#[serde(flatten)]`) is measured alone.
//!
//! `ItemVisitor` is the prototype of what codegen can emit instead of `#[serde(flatten)]`:
//! a hand-written `Deserialize` whose map visitor matches declared keys and moves every
//! other key into `extra`, with no buffering.

use std::fmt;
use std::time::Instant;

use connector_demo_server::{DemoConfig, DemoServer};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
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

/// The generated struct's fields plus `extra`, filled by a visitor instead of flatten.
#[derive(Debug, PartialEq)]
pub struct ItemVisitor {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub score: Option<f64>,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: String,
    pub owner: Value,
    pub tags: Vec<String>,
    pub extra: Map<String, Value>,
}

enum Field {
    Id,
    Name,
    Status,
    Score,
    Email,
    Active,
    CreatedAt,
    Owner,
    Tags,
    Other(String),
}

impl Field {
    fn of(key: &str) -> Option<Field> {
        Some(match key {
            "id" => Field::Id,
            "name" => Field::Name,
            "status" => Field::Status,
            "score" => Field::Score,
            "email" => Field::Email,
            "active" => Field::Active,
            "created_at" => Field::CreatedAt,
            "owner" => Field::Owner,
            "tags" => Field::Tags,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Field, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
                Ok(Field::of(key).unwrap_or_else(|| Field::Other(key.to_owned())))
            }
            fn visit_string<E: de::Error>(self, key: String) -> Result<Field, E> {
                Ok(Field::of(&key).unwrap_or(Field::Other(key)))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    slot: &mut Option<T>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Deserialize<'de> for ItemVisitor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ItemVisitor, D::Error> {
        struct RecordVisitor;
        impl<'de> Visitor<'de> for RecordVisitor {
            type Value = ItemVisitor;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a bench item object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ItemVisitor, A::Error> {
                let (mut id, mut name, mut status, mut score, mut email) =
                    (None, None, None, None, None);
                let (mut active, mut created_at, mut owner, mut tags) = (None, None, None, None);
                let mut extra = Map::new();
                while let Some(key) = map.next_key::<Field>()? {
                    match key {
                        Field::Id => once(&mut id, &mut map, "id")?,
                        Field::Name => once(&mut name, &mut map, "name")?,
                        Field::Status => once(&mut status, &mut map, "status")?,
                        Field::Score => once::<_, Option<f64>>(&mut score, &mut map, "score")?,
                        Field::Email => once::<_, Option<String>>(&mut email, &mut map, "email")?,
                        Field::Active => once(&mut active, &mut map, "active")?,
                        Field::CreatedAt => once(&mut created_at, &mut map, "created_at")?,
                        Field::Owner => once(&mut owner, &mut map, "owner")?,
                        Field::Tags => once(&mut tags, &mut map, "tags")?,
                        Field::Other(key) => {
                            let value = map.next_value()?;
                            extra.insert(key, value);
                        }
                    }
                }
                Ok(ItemVisitor {
                    id: id.ok_or_else(|| de::Error::missing_field("id"))?,
                    name: name.ok_or_else(|| de::Error::missing_field("name"))?,
                    status: status.ok_or_else(|| de::Error::missing_field("status"))?,
                    score: score.flatten(),
                    email: email.flatten(),
                    active: active.ok_or_else(|| de::Error::missing_field("active"))?,
                    created_at: created_at.ok_or_else(|| de::Error::missing_field("created_at"))?,
                    owner: owner.ok_or_else(|| de::Error::missing_field("owner"))?,
                    tags: tags.ok_or_else(|| de::Error::missing_field("tags"))?,
                    extra,
                })
            }
        }
        deserializer.deserialize_map(RecordVisitor)
    }
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
            "JSON tree, selector copies the page, Item (flatten) from &Value (the first runtime)",
            Box::new(|b| via_value::<Item>(b, true)),
        ),
        (
            "Value tree, page moved out (no copy), Item (flatten) from &Value",
            Box::new(|b| via_value::<Item>(b, false)),
        ),
        (
            "Value tree, page moved out, Item (flatten) from owned Value",
            Box::new(via_owned_value::<Item>),
        ),
        (
            "Value tree, page moved out, visitor Item from &Value",
            Box::new(|b| via_value::<ItemVisitor>(b, false)),
        ),
        (
            "Value tree only (untyped stream)",
            Box::new(|b| serde_json::from_slice::<Value>(b).map_or(0, |_| n)),
        ),
        (
            "bytes -> Vec<Item> directly, flatten (the runtime's typed path now)",
            Box::new(direct::<Item>),
        ),
        (
            "bytes -> Vec<Item> directly, no extra map (drops unknown keys)",
            Box::new(direct::<ItemPlain>),
        ),
        (
            "bytes -> Vec<Item> directly, visitor collecting extra",
            Box::new(direct::<ItemVisitor>),
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_visitor_keeps_unknown_keys_and_checks_required_ones() {
        let record = json!({"id": 7, "name": "n", "status": "s", "score": null, "active": true,
            "created_at": "2024-01-01T00:00:00Z", "owner": {"id": 1}, "tags": ["a"],
            "new_field": {"x": 1}, "other": 3});
        let v: ItemVisitor = serde_json::from_value(record.clone()).unwrap();
        assert_eq!(v.extra.len(), 2);
        assert_eq!(v.extra["new_field"], json!({"x": 1}));
        assert_eq!(v.score, None);
        assert_eq!(v.email, None);
        let generated: Item = serde_json::from_value(record.clone()).unwrap();
        assert_eq!(generated.extra, v.extra);
        let from_text: ItemVisitor = serde_json::from_str(&record.to_string()).unwrap();
        assert_eq!(from_text, v);

        let mut missing = record.clone();
        missing.as_object_mut().unwrap().remove("id");
        let err = serde_json::from_value::<ItemVisitor>(missing).unwrap_err();
        assert!(err.to_string().contains("missing field `id`"), "{err}");
        let err = serde_json::from_str::<ItemVisitor>(r#"{"id": 1, "id": 2}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate field `id`"), "{err}");
    }
}
