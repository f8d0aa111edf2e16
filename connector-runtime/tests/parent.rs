//! Parent-child fan-out: counts, `_parent_field` keys, every placeholder style, a child 404
//! handled per spec, the concurrency bound (the server counts requests in flight), parent
//! order, fresh paginators, laziness and cancellation.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use common::{collect, connector, field, queries, records};
use connector_runtime::futures::StreamExt;
use connector_runtime::{Options, RunOptions, Secrets};
use serde_json::{json, Value};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Users u0..u{n-1} (two per page, cursor paged); user `uK` has K+1 meetings, except that
/// `missing` users answer 404.
async fn users_and_meetings(n: usize) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/v1/users$"))
        .respond_with(move |req: &Request| {
            let at: usize = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "next_page_token")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let users: Vec<Value> = (at..(at + 2).min(n))
                .map(|i| json!({"id": format!("u{i}"), "email": format!("u{i}@example.com")}))
                .collect();
            let next = if at + 2 < n {
                json!((at + 2).to_string())
            } else {
                json!("")
            };
            ResponseTemplate::new(200)
                .set_body_json(json!({"users": users, "next_page_token": next}))
        })
        .mount(&server)
        .await;
    Mock::given(path_regex("^/v1/meetings/u[0-9]+$"))
        .respond_with(|req: &Request| {
            let user = req
                .url
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let k: usize = user.trim_start_matches('u').parse().unwrap_or(0);
            if k == 3 {
                return ResponseTemplate::new(404).set_body_string("no such user");
            }
            let meetings: Vec<Value> = (0..=k)
                .map(|j| json!({"id": k * 100 + j, "topic": format!("{user}-{j}")}))
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({ "meetings": meetings }))
        })
        .mount(&server)
        .await;
    server
}

const USERS: &str = "  - name: users\n    endpoint:\n      path: /v1/users\n      data_selector: users\n      paginator: { type: cursor, limit: 2, cursor_param: next_page_token, cursor_path: next_page_token }\n";

fn meetings_spec(child_endpoint: &str) -> String {
    format!(
        "name: t\nclient: {{ base_url: http://unused }}\nresources:\n{USERS}  - name: meetings\n    include_from_parent: [id, email]\n    endpoint:\n{child_endpoint}      data_selector: meetings\n      paginator: single_page\n      response_actions:\n        - {{ status_code: 404, action: ignore }}\n"
    )
}

#[tokio::test]
async fn seed_style_parent_id_fans_out_with_parent_fields() {
    let server = users_and_meetings(5).await;
    let c = connector(
        &meetings_spec("      path: /v1/meetings/{parent_id}\n"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(c.parent_of("meetings"), Some("users"));
    assert_eq!(c.resources(), ["users", "meetings"]);
    let got = records(&c, "meetings").await;
    // u0..u4 have 1..5 meetings; u3 answers 404 and is ignored: 1 + 2 + 3 + 5.
    assert_eq!(got.len(), 11);
    assert_eq!(
        got[0],
        json!({"id": 0, "topic": "u0-0", "_users_id": "u0", "_users_email": "u0@example.com"})
    );
    let parents: Vec<Value> = field(&got, "_users_id");
    let mut expected = Vec::new();
    for (k, count) in [(0, 1), (1, 2), (2, 3), (4, 5)] {
        expected.extend(std::iter::repeat_n(json!(format!("u{k}")), count));
    }
    assert_eq!(parents, expected, "children arrive in parent order");
    assert_eq!(records(&c, "users").await.len(), 5);
}

#[tokio::test]
async fn resources_placeholder_and_resolve_params() {
    let server = users_and_meetings(3).await;
    let c = connector(
        &meetings_spec("      path: \"/v1/meetings/{resources.users.id}\"\n"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(records(&c, "meetings").await.len(), 6);

    let server = users_and_meetings(3).await;
    let legacy = "      path: /v1/meetings/{user_id}\n      params:\n        user_id: { type: resolve, resource: users, field: id }\n";
    let c = connector(&meetings_spec(legacy), Secrets::new(), &server.uri());
    assert_eq!(records(&c, "meetings").await.len(), 6);
    // A resolve param bound into the path is not also sent as a query parameter.
    assert!(queries(&server, "/v1/meetings/u1")
        .await
        .iter()
        .all(String::is_empty));
}

#[tokio::test]
async fn parent_fields_in_query_headers_and_body() {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/parents$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!([{"id": 7, "org": {"slug": "acme"}}, {"id": 8, "org": {"slug": "beta"}}]),
        ))
        .mount(&server)
        .await;
    Mock::given(path_regex("^/search$"))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({"hits": [{"echo": body}]}))
        })
        .mount(&server)
        .await;
    let yaml = r#"
name: t
client: { base_url: "http://unused" }
resources:
  - name: parents
    endpoint: { path: /parents, paginator: single_page }
  - name: hits
    endpoint:
      path: /search
      method: POST
      params: { parent: "p-{resources.parents.id}", q: "{resources.parents.org.slug}" }
      headers: { X-Org: "{resources.parents.org.slug}" }
      json: { parent_id: "{resources.parents.id}", label: "id {resources.parents.id}" }
      data_selector: hits
      paginator: single_page
"#;
    let c = connector(yaml, Secrets::new(), &server.uri());
    let got = records(&c, "hits").await;
    assert_eq!(got[0]["echo"], json!({"parent_id": 7, "label": "id 7"}));
    assert_eq!(got[1]["echo"], json!({"parent_id": 8, "label": "id 8"}));
    let reqs = server.received_requests().await.unwrap();
    let search: Vec<&Request> = reqs.iter().filter(|r| r.url.path() == "/search").collect();
    assert_eq!(search[0].url.query(), Some("parent=p-7&q=acme"));
    assert_eq!(search[1].headers.get("x-org").unwrap(), "beta");
}

#[tokio::test]
async fn child_stream_for_one_parent() {
    let server = users_and_meetings(3).await;
    let c = connector(
        &meetings_spec("      path: /v1/meetings/{parent_id}\n"),
        Secrets::new(),
        &server.uri(),
    );
    let parent = json!({"id": "u2", "email": "x@example.com"});
    let mut stream = c.child_stream("meetings", &parent, RunOptions::default());
    let mut got = Vec::new();
    while let Some(r) = stream.next().await {
        got.push(r.unwrap());
    }
    assert_eq!(got.len(), 3);
    assert_eq!(got[0]["_users_email"], "x@example.com");
    assert!(
        queries(&server, "/v1/users").await.is_empty(),
        "no parent request for child_stream"
    );

    let err = c
        .child_stream("users", &parent, RunOptions::default())
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "resource `users`: not a child resource: it binds no parent field"
    );
}

#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
    child_pages: std::sync::Mutex<Vec<String>>,
}

async fn children(
    State(s): State<Arc<InFlight>>,
    Path(id): Path<u32>,
    q: axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    let now = s.now.fetch_add(1, Ordering::SeqCst) + 1;
    s.max.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(30)).await;
    s.now.fetch_sub(1, Ordering::SeqCst);
    let page: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    s.child_pages.lock().unwrap().push(format!("{id}:{page}"));
    let data = if page < 2 {
        json!([{"n": page, "parent": id}])
    } else {
        json!([])
    };
    Json(json!({ "data": data }))
}

#[tokio::test]
async fn concurrency_bound_order_and_fresh_paginators() {
    let state = Arc::new(InFlight::default());
    let app = Router::new()
        .route(
            "/parents",
            get(|| async { Json(json!((0..12).map(|i| json!({"id": i})).collect::<Vec<_>>())) }),
        )
        .route("/children/{id}", get(children))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: parents\n    endpoint: { path: /parents, paginator: single_page }\n  - name: children\n    endpoint: { path: \"/children/{resources.parents.id}\", data_selector: data, paginator: page_number }\n";
    let c = connector_runtime::Connector::new(
        common::spec(yaml),
        Secrets::new(),
        Options::new().with_base_url(&base).with_concurrency(3),
    )
    .unwrap();
    let got = records(&c, "children").await;
    assert_eq!(got.len(), 24);
    let order: Vec<(u64, u64)> = got
        .iter()
        .map(|r| (r["parent"].as_u64().unwrap(), r["n"].as_u64().unwrap()))
        .collect();
    let expected: Vec<(u64, u64)> = (0..12).flat_map(|p| [(p, 0), (p, 1)]).collect();
    assert_eq!(order, expected);
    let max = state.max.load(Ordering::SeqCst);
    assert!(
        (2..=3).contains(&max),
        "in flight at most 3 and really concurrent, saw {max}"
    );
    // Every parent's paginator started at page 0 and went to the empty page 2.
    let pages = state.child_pages.lock().unwrap().clone();
    assert_eq!(pages.len(), 36);
    for p in 0..12 {
        for n in 0..3 {
            assert!(pages.contains(&format!("{p}:{n}")), "{p}:{n} in {pages:?}");
        }
    }
}

#[tokio::test]
async fn streams_are_lazy_and_dropping_stops_requests() {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/items$"))
        .respond_with(|req: &Request| {
            let page: u64 = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"page": page}, {"page": page}]}))
        })
        .mount(&server)
        .await;
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: items\n    endpoint: { path: /items, data_selector: data, paginator: page_number }\n";
    let c = connector(yaml, Secrets::new(), &server.uri());
    let mut stream = c.stream("items", RunOptions::default());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing sent before the first poll"
    );
    for _ in 0..5 {
        stream.next().await.unwrap().unwrap();
    }
    drop(stream);
    // A request already on the wire at the drop may reach the server's log a
    // moment later; let it land before counting, so the check below sees
    // only requests started after the drop.
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Three pages were consumed; at most two more were prefetched.
    let sent = server.received_requests().await.unwrap().len();
    assert!(
        (3..=5).contains(&sent),
        "an endless API is read only as far as consumed, saw {sent}"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        sent,
        "nothing after the drop"
    );
}

#[tokio::test]
async fn unknown_resource_is_an_error_item() {
    let server = users_and_meetings(1).await;
    let c = connector(
        &meetings_spec("      path: /v1/meetings/{parent_id}\n"),
        Secrets::new(),
        &server.uri(),
    );
    let (_, err) = collect(&c, "meeting").await;
    assert_eq!(
        err.unwrap().to_string(),
        "unknown resource `meeting`; the spec has: meetings, users"
    );
}

#[tokio::test]
async fn parent_id_without_an_inferable_parent_is_explained() {
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - users\n  - groups\n  - name: meetings\n    endpoint: /v1/meetings/{parent_id}\n";
    let err = common::resolve_error(yaml);
    assert_eq!(
        err,
        "resource `meetings`: `{parent_id}` needs a parent resource, and none can be inferred (it is inferred only when exactly one other resource has no parent): add `parent: <resource>`"
    );
}

#[tokio::test]
async fn dropping_a_fan_out_stream_stops_child_requests() {
    let state = Arc::new(InFlight::default());
    let app = Router::new()
        .route(
            "/parents",
            get(|| async {
                Json(json!((0..200)
                    .map(|i| json!({"id": i}))
                    .collect::<Vec<_>>()))
            }),
        )
        .route("/children/{id}", get(children))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: parents\n    endpoint: { path: /parents, paginator: single_page }\n  - name: children\n    endpoint: { path: \"/children/{resources.parents.id}\", data_selector: data, paginator: single_page }\n";
    let c = connector_runtime::Connector::new(
        common::spec(yaml),
        Secrets::new(),
        Options::new().with_base_url(&base).with_concurrency(4),
    )
    .unwrap();
    let mut stream = c.stream("children", RunOptions::default());
    stream.next().await.unwrap().unwrap();
    drop(stream);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let after_drop = state.child_pages.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let later = state.child_pages.lock().unwrap().len();
    assert!(
        after_drop <= 8,
        "only the prefetch window was requested, saw {after_drop}"
    );
    assert_eq!(
        later, after_drop,
        "no requests after the stream was dropped"
    );
}

#[tokio::test]
async fn unknown_parents_and_cycles_are_refused_up_front() {
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: a\n    endpoint: \"/a/{resources.b.id}\"\n  - name: b\n    endpoint: \"/b/{resources.a.id}\"\n";
    let err = connector_runtime::Connector::new(common::spec(yaml), Secrets::new(), Options::new())
        .unwrap_err();
    assert_eq!(err.to_string(), "resource `a`: parent cycle: a -> b -> a");
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: a\n    endpoint: \"/a/{resources.nope.id}\"\n";
    let err = connector_runtime::Connector::new(common::spec(yaml), Secrets::new(), Options::new())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "resource `a`: parent resource `nope` is not in the spec"
    );
}
