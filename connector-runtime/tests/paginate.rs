//! Every paginator against a server implementing it; the records AND the requests the server
//! saw are checked.

mod common;

use common::{collect, collect_run, connector, field, queries, records};
use connector_runtime::{Options, Partition, RunOptions, Secrets};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn query(req: &Request, name: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn items(range: std::ops::Range<u64>) -> Vec<Value> {
    range.map(|i| json!({"id": i})).collect()
}

async fn serve(
    server: &MockServer,
    at: &str,
    f: impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
) {
    Mock::given(path(at)).respond_with(f).mount(server).await;
}

fn spec(paginator: &str) -> String {
    format!(
        "name: t\nclient: {{ base_url: http://unused }}\nresources:\n  - name: items\n    endpoint:\n      path: /items\n      data_selector: data\n      paginator: {paginator}\n"
    )
}

/// A page-number API: `n` items, `size` per page, pages numbered from `base`.
fn paged(n: u64, size: u64, base: u64, with_total: bool) -> impl Fn(&Request) -> ResponseTemplate {
    move |req| {
        let page: u64 = query(req, "page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(base);
        let start = (page - base) * size;
        let data = items(start.min(n)..(start + size).min(n));
        let mut body = json!({ "data": data });
        if with_total {
            body["total"] = json!(n.div_ceil(size));
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

#[tokio::test]
async fn single_page_makes_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": items(0..3), "next": "/items?x"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = connector(&spec("single_page"), Secrets::new(), &server.uri());
    assert_eq!(records(&c, "items").await.len(), 3);
}

#[tokio::test]
async fn page_number_stops_at_total_with_a_partial_last_page() {
    let server = MockServer::start().await;
    serve(&server, "/items", paged(7, 3, 1, true)).await;
    let c = connector(
        &spec("{ type: page_number, base_page: 1, limit: 3 }"),
        Secrets::new(),
        &server.uri(),
    );
    let got = records(&c, "items").await;
    assert_eq!(
        field(&got, "id"),
        (0..7).map(Value::from).collect::<Vec<_>>()
    );
    assert_eq!(
        queries(&server, "/items").await,
        ["page=1&limit=3", "page=2&limit=3", "page=3&limit=3"]
    );
}

/// Each of `count` shards of `items` against a fresh `api`: its ids, and the queries the
/// server saw for it.
async fn shards<F>(
    c: &connector_runtime::Connector,
    server: &MockServer,
    count: u32,
    api: impl Fn() -> F,
) -> Vec<(Vec<Value>, Vec<String>)>
where
    F: Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
{
    let mut out = Vec::new();
    for k in 0..count {
        server.reset().await;
        serve(server, "/items", api()).await;
        let run = RunOptions::new().with_pages_of(Partition::new(k, count).unwrap());
        let (got, error) = collect_run(c, "items", run).await;
        assert!(error.is_none(), "shard {k}: {error:?}");
        out.push((field(&got, "id"), queries(server, "/items").await));
    }
    out
}

/// The queries of `pages` with `limit=3`.
fn pages_of_3(pages: &[u64]) -> Vec<String> {
    pages.iter().map(|p| format!("page={p}&limit=3")).collect()
}

fn ids(range: std::ops::Range<u64>) -> Vec<Value> {
    range.map(Value::from).collect()
}

#[tokio::test]
async fn page_number_shards_read_their_page_ranges() {
    let server = MockServer::start().await;
    let c = connector(
        &spec("{ type: page_number, base_page: 1, limit: 3 }"),
        Secrets::new(),
        &server.uri(),
    );
    assert!(c.can_split_pages("items"));
    // 22 items, 8 pages of 3 in 3 shards: pages 1-2, 3-5, 6-8; every shard but 0 reads page
    // 1 for the total and drops its records.
    let got = shards(&c, &server, 3, || paged(22, 3, 1, true)).await;
    assert_eq!(
        got,
        [
            (ids(0..6), pages_of_3(&[1, 2])),
            (ids(6..15), pages_of_3(&[1, 3, 4, 5])),
            (ids(15..22), pages_of_3(&[1, 6, 7, 8])),
        ]
    );
}

#[tokio::test]
async fn more_shards_than_pages_and_a_maximum_instead_of_a_total() {
    let server = MockServer::start().await;
    // No total: `maximum_page: 2` says there are pages 0 and 1.
    let c = connector(
        &spec("{ type: page_number, limit: 3, total_path: null, maximum_page: 2 }"),
        Secrets::new(),
        &server.uri(),
    );
    let got = shards(&c, &server, 4, || paged(5, 3, 0, false)).await;
    // Ranges 0..0, 0..1, 1..1, 1..2: shards 0 and 2 read nothing of their own.
    assert_eq!(
        got,
        [
            (vec![], pages_of_3(&[0])),
            (ids(0..3), pages_of_3(&[0])),
            (vec![], pages_of_3(&[0])),
            (ids(3..5), pages_of_3(&[0, 1])),
        ]
    );
}

#[tokio::test]
async fn a_cursor_cannot_split_its_pages() {
    let c = connector(
        &spec("{ type: cursor, cursor_path: next, cursor_param: after }"),
        Secrets::new(),
        "http://127.0.0.1:1",
    );
    assert!(!c.can_split_pages("items"));
}

#[tokio::test]
async fn page_number_without_total_stops_after_an_empty_page() {
    let server = MockServer::start().await;
    serve(&server, "/items", paged(5, 2, 0, false)).await;
    let c = connector(
        &spec("{ type: page_number, limit: 2, limit_param: per_page }"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 5);
    assert_eq!(
        queries(&server, "/items").await,
        [
            "page=0&per_page=2",
            "page=1&per_page=2",
            "page=2&per_page=2",
            "page=3&per_page=2"
        ]
    );
}

#[tokio::test]
async fn empty_first_page_yields_nothing() {
    let server = MockServer::start().await;
    serve(&server, "/items", paged(0, 2, 1, false)).await;
    let c = connector(
        &spec("{ type: page_number, start_from_page: 1 }"),
        Secrets::new(),
        &server.uri(),
    );
    assert!(records(&c, "items").await.is_empty());
    assert_eq!(queries(&server, "/items").await, ["page=1"]);
}

#[tokio::test]
async fn has_more_false_stops() {
    let server = MockServer::start().await;
    serve(&server, "/items", |req: &Request| {
        let page: u64 = query(req, "page").and_then(|p| p.parse().ok()).unwrap_or(0);
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": items(page..page + 1), "meta": {"more": page < 2}}))
    })
    .await;
    let c = connector(
        &spec("{ type: page_number, has_more_path: meta.more, total_path: null, stop_after_empty_page: false }"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 3);
    assert_eq!(queries(&server, "/items").await.len(), 3);
}

#[tokio::test]
async fn maximum_page_caps_even_when_has_more_is_true() {
    let server = MockServer::start().await;
    serve(&server, "/items", |req: &Request| {
        let id = query(req, "page");
        ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": id}], "has_more": true}))
    })
    .await;
    let c = connector(
        &spec("{ type: page_number, base_page: 1, maximum_page: 4, has_more_path: has_more }"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 3);
    assert_eq!(
        queries(&server, "/items").await,
        ["page=1", "page=2", "page=3"]
    );
}

#[tokio::test]
async fn missing_total_without_another_stop_rule_is_an_error() {
    let server = MockServer::start().await;
    serve(&server, "/items", paged(5, 2, 0, false)).await;
    let c = connector(
        &spec("{ type: page_number, stop_after_empty_page: false }"),
        Secrets::new(),
        &server.uri(),
    );
    let (got, err) = collect(&c, "items").await;
    assert!(got.is_empty());
    let err = err.expect("error").to_string();
    assert!(
        err.contains("resource `items`")
            && err.contains("total_path `total` is not in the response"),
        "{err}"
    );
}

#[tokio::test]
async fn page_number_in_a_post_body() {
    let server = MockServer::start().await;
    serve(&server, "/items", |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let page = body["paging"]["page"].as_u64().unwrap_or(99);
        let data = if page < 2 {
            items(page..page + 1)
        } else {
            vec![]
        };
        ResponseTemplate::new(200).set_body_json(json!({ "data": data }))
    })
    .await;
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: items\n    endpoint:\n      path: /items\n      method: POST\n      json: { filter: open }\n      data_selector: data\n      paginator: { type: page_number, page_body_path: paging.page }\n";
    let c = connector(yaml, Secrets::new(), &server.uri());
    assert_eq!(records(&c, "items").await.len(), 2);
    let bodies: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies[1], json!({"filter": "open", "paging": {"page": 1}}));
    assert_eq!(bodies.len(), 3);
}

#[tokio::test]
async fn offset_stops_at_total_records() {
    let server = MockServer::start().await;
    serve(&server, "/items", |req: &Request| {
        let offset: u64 = query(req, "offset")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let limit: u64 = query(req, "limit")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": items(offset..(offset + limit).min(5)), "total": 5}))
    })
    .await;
    let c = connector(
        &spec("{ type: offset, limit: 2 }"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 5);
    assert_eq!(
        queries(&server, "/items").await,
        ["offset=0&limit=2", "offset=2&limit=2", "offset=4&limit=2"]
    );
}

#[tokio::test]
async fn offset_maximum_is_the_first_offset_not_requested() {
    let server = MockServer::start().await;
    serve(&server, "/items", |req: &Request| {
        let offset: u64 = query(req, "skip").and_then(|p| p.parse().ok()).unwrap_or(0);
        ResponseTemplate::new(200).set_body_json(json!({"data": items(offset..offset + 10)}))
    })
    .await;
    let c = connector(
        &spec("{ type: offset, limit: 10, offset_param: skip, limit_param: take, maximum_offset: 30, total_path: null }"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 30);
    assert_eq!(
        queries(&server, "/items").await,
        ["skip=0&take=10", "skip=10&take=10", "skip=20&take=10"]
    );
}

/// A cursor API: pages of two, cursor `c<n>` in `cursors.next`.
fn cursored(req: &Request) -> ResponseTemplate {
    let at: u64 = query(req, "cursor")
        .and_then(|c| c.trim_start_matches('c').parse().ok())
        .unwrap_or(0);
    let next = if at + 2 < 5 {
        json!(format!("c{}", at + 2))
    } else {
        Value::Null
    };
    ResponseTemplate::new(200)
        .set_body_json(json!({"data": items(at..(at + 2).min(5)), "cursors": {"next": next}}))
}

#[tokio::test]
async fn cursor_follows_until_null() {
    let server = MockServer::start().await;
    serve(&server, "/items", cursored).await;
    let c = connector(
        &spec("{ type: cursor, limit: 2 }"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 5);
    assert_eq!(
        queries(&server, "/items").await,
        ["limit=2", "limit=2&cursor=c2", "limit=2&cursor=c4"]
    );
}

#[tokio::test]
async fn repeated_cursor_is_an_error_naming_it() {
    let server = MockServer::start().await;
    serve(&server, "/items", |_: &Request| {
        ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": 1}], "next": "same"}))
    })
    .await;
    let c = connector(
        &spec("{ type: cursor, cursor_path: next, cursor_param: after }"),
        Secrets::new(),
        &server.uri(),
    );
    let (got, err) = collect(&c, "items").await;
    assert_eq!(got.len(), 2, "both pages' records arrive before the error");
    let err = err.expect("loop detected").to_string();
    assert!(err.contains("cursor `same` twice"), "{err}");
    assert_eq!(queries(&server, "/items").await.len(), 2);
}

#[tokio::test]
async fn cursor_in_a_post_body() {
    let server = MockServer::start().await;
    serve(&server, "/items", |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let data = if body["page"]["after"].is_null() {
            items(0..2)
        } else {
            items(2..3)
        };
        let next = if body["page"]["after"].is_null() {
            json!("x")
        } else {
            Value::Null
        };
        ResponseTemplate::new(200).set_body_json(json!({"data": data, "next": next}))
    })
    .await;
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: items\n    endpoint:\n      path: /items\n      method: POST\n      data_selector: data\n      paginator: { type: cursor, cursor_path: next, cursor_body_path: page.after }\n";
    let c = connector(yaml, Secrets::new(), &server.uri());
    assert_eq!(records(&c, "items").await.len(), 3);
}

#[tokio::test]
async fn declarative_stop_condition() {
    let server = MockServer::start().await;
    serve(&server, "/items", |req: &Request| {
        let second = query(req, "next").is_some();
        let links = if second {
            json!({})
        } else {
            json!({"next": "p2"})
        };
        let id = if second { 2 } else { 1 };
        ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": id}], "links": links}))
    })
    .await;
    let c = connector(
        &spec("{ type: cursor, cursor_param: next, cursor_path: links.next, stop_condition: { path_missing: links.next } }"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 2);
    assert_eq!(queries(&server, "/items").await, ["", "next=p2"]);
}

#[tokio::test]
async fn json_link_relative_and_absolute() {
    let server = MockServer::start().await;
    let uri = server.uri();
    serve(&server, "/items", move |req: &Request| {
        let body = match query(req, "p").as_deref() {
            None => json!({"data": items(0..1), "next": "items?p=2"}),
            Some("2") => json!({"data": items(1..2), "next": format!("{uri}/items?p=3")}),
            _ => json!({"data": items(2..3), "next": null}),
        };
        ResponseTemplate::new(200).set_body_json(body)
    })
    .await;
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: items\n    endpoint:\n      path: /items\n      params: { filter: open }\n      data_selector: data\n      paginator: json_link\n";
    let c = connector(yaml, Secrets::new(), &server.uri());
    assert_eq!(records(&c, "items").await.len(), 3);
    // The first request carries the spec's params; links carry their own query.
    assert_eq!(
        queries(&server, "/items").await,
        ["filter=open", "p=2", "p=3"]
    );
}

#[tokio::test]
async fn header_link_with_several_rels() {
    let server = MockServer::start().await;
    serve(&server, "/items", |req: &Request| {
        let page: u64 = query(req, "page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let mut t =
            ResponseTemplate::new(200).set_body_json(json!({"data": items(page..page + 1)}));
        let mut links = vec![
            r#"</items?page=1>; rel="first""#.to_owned(),
            r#"</items?page=3>; rel="last""#.to_owned(),
        ];
        if page < 3 {
            links.push(format!(
                r#"</items?page={}>; rel="next prefetch""#,
                page + 1
            ));
        }
        t = t.insert_header("link", links.join(", ").as_str());
        t
    })
    .await;
    let c = connector(&spec("header_link"), Secrets::new(), &server.uri());
    assert_eq!(records(&c, "items").await.len(), 3);
    assert_eq!(queries(&server, "/items").await, ["", "page=2", "page=3"]);
}

#[tokio::test]
async fn header_cursor() {
    let server = MockServer::start().await;
    serve(&server, "/items", |req: &Request| {
        let id = query(req, "cursor");
        let t = ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": id}]}));
        match query(req, "cursor") {
            None => t.insert_header("X-Next", "abc"),
            Some(_) => t,
        }
    })
    .await;
    let c = connector(
        &spec("{ type: header_cursor, cursor_key: X-Next }"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 2);
    assert_eq!(queries(&server, "/items").await, ["", "cursor=abc"]);
}

#[tokio::test]
async fn auto_detects_json_link_page_number_and_cursor() {
    let server = MockServer::start().await;
    serve(&server, "/linked", |req: &Request| {
        let body = match query(req, "p") {
            None => json!({"results": items(0..2), "links": {"next": "/linked?p=2"}}),
            Some(_) => json!({"results": items(2..3), "links": {"next": null}}),
        };
        ResponseTemplate::new(200).set_body_json(body)
    })
    .await;
    serve(&server, "/paged", |req: &Request| {
        let page: u64 = query(req, "page").and_then(|p| p.parse().ok()).unwrap_or(1);
        ResponseTemplate::new(200)
            .set_body_json(json!({"items": items(page..page + 1), "total_pages": 3}))
    })
    .await;
    serve(&server, "/cursored", |req: &Request| {
        let body = match query(req, "cursor") {
            None => json!({"data": items(0..1), "next": "tok"}),
            Some(_) => json!({"data": items(1..2), "next": ""}),
        };
        ResponseTemplate::new(200).set_body_json(body)
    })
    .await;
    serve(&server, "/plain", |_: &Request| {
        ResponseTemplate::new(200).set_body_json(json!([{"id": 1}, {"id": 2}]))
    })
    .await;
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - { name: linked, endpoint: /linked }\n  - { name: paged, endpoint: /paged }\n  - { name: cursored, endpoint: /cursored }\n  - { name: plain, endpoint: /plain }\n";
    let c = connector(yaml, Secrets::new(), &server.uri());
    assert_eq!(records(&c, "linked").await.len(), 3);
    assert_eq!(records(&c, "paged").await.len(), 3);
    assert_eq!(queries(&server, "/paged").await, ["", "page=2", "page=3"]);
    assert_eq!(records(&c, "cursored").await.len(), 2);
    assert_eq!(queries(&server, "/cursored").await, ["", "cursor=tok"]);
    assert_eq!(records(&c, "plain").await.len(), 2);
}

#[tokio::test]
async fn max_pages_option_is_an_error_not_a_silent_stop() {
    let server = MockServer::start().await;
    serve(&server, "/items", paged(100, 1, 0, false)).await;
    let c = connector_runtime::Connector::new(
        common::spec(&spec("page_number")),
        Secrets::new(),
        Options::new().with_base_url(server.uri()).with_max_pages(3),
    )
    .unwrap();
    let (got, err) = collect(&c, "items").await;
    assert_eq!(got.len(), 3);
    let err = err.expect("cap").to_string();
    assert!(
        err.contains("reached the page cap of 3 pages and the API still reports more pages; if it really has more, raise `max_pages` on the endpoint (or in resource_defaults.endpoint) or pass `connector sync --max-pages N`"),
        "{err}"
    );
    assert_eq!(queries(&server, "/items").await.len(), 3);
}

#[tokio::test]
async fn offset_without_limit_does_not_resolve() {
    let err = common::resolve_error(&spec("offset"));
    assert_eq!(
        err,
        "resource `items`: paginator: paginator `offset` needs `limit` (write it as { type: offset, limit: N })"
    );
}
