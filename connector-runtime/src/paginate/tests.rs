use connector_spec::resolved::PaginatorPlan;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use url::Url;

use super::*;

fn request() -> Request {
    Request {
        url: Url::parse("https://api.test/v1/items").unwrap(),
        query: Vec::new(),
        json: None,
    }
}

/// Runs `p` over `bodies` (records counted from `items`), returning the query of each request
/// made and the final verdict.
fn run(mut p: Box<dyn Paginator>, bodies: &[Value]) -> (Vec<String>, Result<Flow, String>) {
    let mut req = request();
    p.init(&mut req);
    let headers = HeaderMap::new();
    let mut seen = Vec::new();
    let mut last = Ok(Flow::Stop);
    for body in bodies {
        seen.push(
            req.query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&"),
        );
        let records = body
            .get("items")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        last = p.next(
            &Page {
                headers: &headers,
                body,
                records,
            },
            &mut req,
        );
        if !matches!(last, Ok(Flow::Next { .. })) {
            break;
        }
    }
    (seen, last)
}

/// The paginator a spec's `paginator:` mapping resolves to (flow YAML).
fn resolved(paginator: &str) -> PaginatorPlan {
    let yaml = format!(
        "name: t\nclient: {{ base_url: 'https://api.test' }}\nresources:\n  - name: items\n    endpoint: {{ path: /v1/items, paginator: {paginator} }}\n"
    );
    connector_spec::parse_str(&yaml, "t.yaml")
        .unwrap_or_else(|d| panic!("{d:?}"))
        .resolved
        .resources
        .remove(0)
        .paginator
}

fn page_number(options: &str) -> Box<dyn Paginator> {
    build(&resolved(&format!("{{ type: page_number{options} }}")))
}

#[test]
fn has_more_true_does_not_override_maximum() {
    let p =
        page_number(", base_page: 1, maximum_page: 3, has_more_path: has_more, total_path: null");
    let body = json!({"items": [1], "has_more": true});
    let (seen, last) = run(p, &[body.clone(), body.clone(), body]);
    assert_eq!(seen, ["page=1", "page=2"]);
    assert_eq!(last, Ok(Flow::Stop));
}

#[test]
fn missing_total_is_fine_with_empty_page_rule_and_an_error_without() {
    let p = page_number("");
    let (seen, last) = run(p, &[json!({"items": [1]}), json!({"items": []})]);
    assert_eq!(seen, ["page=0", "page=1"]);
    assert_eq!(last, Ok(Flow::Stop));

    let p = page_number(", stop_after_empty_page: false");
    let (_, last) = run(p, &[json!({"items": [1]})]);
    let err = last.unwrap_err();
    assert!(err.contains("total_path `total`"), "{err}");
}

#[test]
fn total_seen_once_is_kept() {
    let p = page_number(", base_page: 1, limit: 2");
    let (seen, last) = run(
        p,
        &[
            json!({"items": [1, 2], "total": 3}),
            json!({"items": [3, 4]}),
            json!({"items": [5]}),
            json!({"items": [6]}),
        ],
    );
    assert_eq!(seen, ["page=1&limit=2", "page=2&limit=2", "page=3&limit=2"]);
    assert_eq!(last, Ok(Flow::Stop));
}

#[test]
fn stop_condition_wins() {
    let p = build(&resolved(
        "{ type: offset, limit: 10, stop_condition: { path_equals: { path: meta.last, value: true } } }",
    ));
    let (seen, last) = run(
        p,
        &[
            json!({"items": [1], "total": 100, "meta": {"last": false}}),
            json!({"items": [1], "meta": {"last": true}}),
        ],
    );
    assert_eq!(seen, ["offset=0&limit=10", "offset=10&limit=10"]);
    assert_eq!(last, Ok(Flow::Stop));
}
