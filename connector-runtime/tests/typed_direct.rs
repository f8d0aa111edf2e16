//! Typed streams parse pages straight into the record type when nothing needs the records as
//! JSON first. These tests check that this path gives exactly what the JSON path gives, that
//! it is taken when it can be, and that it steps aside when the paginator reads inside the
//! records or the selector is not yet known.

mod common;

use common::{collect, connector, Captured};
use connector_runtime::futures::StreamExt;
use connector_runtime::{Connector, Error, RunOptions, Secrets};
use serde::Deserialize;
use serde_json::{json, Value};
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The typed records of `resource` (or the first error), and how many pages were parsed
/// straight into the type, read off the runtime's trace log.
async fn typed<T: serde::de::DeserializeOwned + Send + 'static>(
    c: &Connector,
    resource: &str,
) -> (Vec<T>, Option<Error>, usize) {
    let (captured, _guard) = Captured::start();
    let mut stream = c.stream_typed::<T>(resource, RunOptions::default());
    let mut records = Vec::new();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(r) => records.push(r),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let log = captured.text();
    let direct = log.matches("parsed_into_type=true").count();
    (records, error, direct)
}

/// Typed as `Value` (straight from bytes where possible) equals the JSON stream's records.
async fn same_both_ways(c: &Connector, resource: &str) -> (Vec<Value>, usize) {
    let (tree, tree_error) = collect(c, resource).await;
    assert!(tree_error.is_none(), "{resource}: {tree_error:?}");
    let (direct, error, direct_pages) = typed::<Value>(c, resource).await;
    assert!(error.is_none(), "{resource}: {error:?}");
    assert_eq!(
        direct, tree,
        "{resource}: typed records differ from JSON records"
    );
    (direct, direct_pages)
}

fn body(value: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(value)
}

async fn page(server: &MockServer, at: &str, param: (&str, &str), response: ResponseTemplate) {
    Mock::given(path(at))
        .and(query_param(param.0, param.1))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test(flavor = "current_thread")]
async fn nested_selector_with_a_total_beside_it_is_parsed_straight() {
    let server = MockServer::start().await;
    page(
        &server,
        "/a",
        ("page", "1"),
        body(json!({"result": {"total_pages": 2,
        "items": [{"id": 1, "n": "x", "extra": {"k": [1, 2]}}, {"id": 2, "n": null}]}})),
    )
    .await;
    page(
        &server,
        "/a",
        ("page", "2"),
        body(json!({"result": {"items": [{"id": 3}],
        "total_pages": 2}})),
    )
    .await;
    let spec = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: a\n    endpoint: { path: /a, data_selector: result.items, paginator: { type: page_number, base_page: 1, total_path: result.total_pages } }\n";
    let c = connector(spec, Secrets::new(), &server.uri());
    let (records, direct_pages) = same_both_ways(&c, "a").await;
    assert_eq!(
        common::field(&records, "id"),
        [json!(1), json!(2), json!(3)]
    );
    assert_eq!(records[0]["extra"], json!({"k": [1, 2]}));
    assert_eq!(direct_pages, 2);
}

#[tokio::test(flavor = "current_thread")]
async fn a_stop_rule_inside_the_records_keeps_the_json_path() {
    let server = MockServer::start().await;
    page(
        &server,
        "/c",
        ("cursor", "c1"),
        body(json!({"data": [{"id": 1}], "next": "c2"})),
    )
    .await;
    page(
        &server,
        "/c",
        ("cursor", "c2"),
        body(json!({"data": [{"id": 2}], "next": "c3"})),
    )
    .await;
    page(
        &server,
        "/c",
        ("cursor", "c3"),
        body(json!({"data": [], "next": "c4"})),
    )
    .await;
    Mock::given(path("/c"))
        .respond_with(body(json!({"data": [{"id": 0}], "next": "c1"})))
        .with_priority(10)
        .mount(&server)
        .await;
    // `data[0]` is inside the records: parsed straight, the paginator would see no records
    // there and stop after the first page.
    let spec = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: c\n    endpoint: { path: /c, data_selector: data, paginator: { type: cursor, cursor_path: next, cursor_param: cursor, stop_condition: { path_missing: \"data[0]\" } } }\n";
    let c = connector(spec, Secrets::new(), &server.uri());
    let (records, direct_pages) = same_both_ways(&c, "c").await;
    assert_eq!(
        common::field(&records, "id"),
        [json!(0), json!(1), json!(2)]
    );
    assert_eq!(direct_pages, 0);
}

#[tokio::test(flavor = "current_thread")]
async fn a_body_that_is_the_list_with_header_links() {
    let server = MockServer::start().await;
    let next = format!("<{}/r?page=2>; rel=\"next\"", server.uri());
    page(
        &server,
        "/r",
        ("page", "2"),
        body(json!([{"id": 2}, {"id": 3}])),
    )
    .await;
    Mock::given(path("/r"))
        .respond_with(body(json!([{"id": 1}])).insert_header("Link", next.as_str()))
        .with_priority(10)
        .mount(&server)
        .await;
    let spec = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: r\n    endpoint: { path: /r, data_selector: $, paginator: header_link }\n";
    let c = connector(spec, Secrets::new(), &server.uri());
    let (records, direct_pages) = same_both_ways(&c, "r").await;
    assert_eq!(
        common::field(&records, "id"),
        [json!(1), json!(2), json!(3)]
    );
    assert_eq!(direct_pages, 2);
}

#[tokio::test(flavor = "current_thread")]
async fn one_object_null_and_a_missing_path() {
    let server = MockServer::start().await;
    for (at, value) in [
        ("/one", json!({"data": {"id": 9, "name": "solo"}})),
        ("/none", json!({"data": null})),
        ("/missing", json!({"other": [1, 2]})),
    ] {
        Mock::given(path(at))
            .respond_with(body(value))
            .mount(&server)
            .await;
    }
    let spec = "name: t\nclient: { base_url: http://unused }\nresource_defaults: { endpoint: { data_selector: data, paginator: single_page } }\nresources:\n  - { name: one, endpoint: { path: /one } }\n  - { name: none, endpoint: { path: /none } }\n  - { name: missing, endpoint: { path: /missing } }\n";
    let c = connector(spec, Secrets::new(), &server.uri());
    let (one, direct_pages) = same_both_ways(&c, "one").await;
    assert_eq!(one, [json!({"id": 9, "name": "solo"})]);
    assert_eq!(direct_pages, 1);
    assert_eq!(same_both_ways(&c, "none").await, (vec![], 1));
    assert_eq!(same_both_ways(&c, "missing").await, (vec![], 1));
}

#[tokio::test(flavor = "current_thread")]
async fn a_detected_selector_is_used_straight_from_the_second_page() {
    let server = MockServer::start().await;
    let second = format!("{}/d?p=2", server.uri());
    page(
        &server,
        "/d",
        ("p", "2"),
        body(json!({"items": [{"id": 2}], "next": null})),
    )
    .await;
    Mock::given(path("/d"))
        .respond_with(body(json!({"items": [{"id": 1}], "next": second})))
        .with_priority(10)
        .mount(&server)
        .await;
    let spec = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: d\n    endpoint: { path: /d, paginator: { type: json_link, next_url_path: next } }\n";
    let c = connector(spec, Secrets::new(), &server.uri());
    let (records, direct_pages) = same_both_ways(&c, "d").await;
    assert_eq!(common::field(&records, "id"), [json!(1), json!(2)]);
    assert_eq!(direct_pages, 1, "the first page detects the selector");
}

#[derive(Debug, Deserialize, PartialEq)]
struct Strict {
    id: u64,
}

#[tokio::test(flavor = "current_thread")]
async fn a_record_that_does_not_fit_fails_after_the_records_before_it() {
    let server = MockServer::start().await;
    page(
        &server,
        "/s",
        ("page", "2"),
        body(json!({"data": [{"id": 2}, {"id": "x", "secretish": "no"}, {"id": 4}], "total": 2})),
    )
    .await;
    Mock::given(path("/s"))
        .respond_with(body(json!({"data": [{"id": 1}], "total": 2})))
        .with_priority(10)
        .mount(&server)
        .await;
    let spec = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: s\n    endpoint: { path: /s, data_selector: data, paginator: { type: page_number, base_page: 1 } }\n";
    let c = connector(spec, Secrets::new(), &server.uri());
    let (records, error, direct_pages) = typed::<Strict>(&c, "s").await;
    assert_eq!(records, [Strict { id: 1 }, Strict { id: 2 }]);
    assert_eq!(direct_pages, 1, "page 2 falls back to the JSON path");
    let text = error.expect("the bad record is an error").to_string();
    assert!(text.starts_with("resource `s`: "), "{text}");
    assert!(text.contains("/s?page=2 (status 200)"), "{text}");
    assert!(
        text.contains(
            "record does not match the generated type: field `id`: invalid type: string \"x\", expected u64"
        ),
        "{text}"
    );
    assert!(text.contains(r#"body: {"id":"x""#), "{text}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_body_that_is_not_json_reads_the_same_typed_or_not() {
    let server = MockServer::start().await;
    Mock::given(path("/b"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"data\": [1, 2"))
        .mount(&server)
        .await;
    let spec = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: b\n    endpoint: { path: /b, data_selector: data, paginator: single_page }\n";
    let c = connector(spec, Secrets::new(), &server.uri());
    let (_, tree_error) = collect(&c, "b").await;
    let (_, typed_error, _) = typed::<Value>(&c, "b").await;
    let (tree_error, typed_error) = (tree_error.unwrap(), typed_error.unwrap());
    assert_eq!(typed_error.to_string(), tree_error.to_string());
    assert!(
        typed_error
            .to_string()
            .contains("response is not JSON: EOF while parsing a list"),
        "{typed_error}"
    );
}
