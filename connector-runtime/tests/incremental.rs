//! Incremental loading: start/end params and `{incremental.*}` placeholders, client-side
//! window filtering, the new high-water mark in stats, per-parent marks for children.

mod common;

use common::{collect_run, connector, field, queries};
use connector_runtime::futures::StreamExt;
use connector_runtime::{record_hash, Boundary, IncrementalState, RunOptions, Secrets};
use serde_json::{json, Value};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Items with `updated_at` 1..=10 (the server ignores filters; the runtime filters).
async fn items_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/items$"))
        .respond_with(|_: &Request| {
            let items: Vec<Value> = (1..=10)
                .map(|i| json!({"id": i, "updated_at": i}))
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({ "data": items }))
        })
        .mount(&server)
        .await;
    server
}

fn spec(incremental: &str, params: &str) -> String {
    format!(
        "name: t\nclient: {{ base_url: http://unused }}\nresources:\n  - name: items\n    endpoint:\n      path: /items\n      data_selector: data\n      paginator: single_page\n{params}      incremental: {incremental}\n"
    )
}

async fn run(
    c: &connector_runtime::Connector,
    state: Option<IncrementalState>,
) -> (Vec<Value>, Option<IncrementalState>) {
    let mut stream = c.stream(
        "items",
        RunOptions {
            incremental: state,
            ..RunOptions::default()
        },
    );
    let stats = stream.stats();
    let mut got = Vec::new();
    while let Some(r) = stream.next().await {
        got.push(r.unwrap());
    }
    (got, stats.incremental_state())
}

#[tokio::test]
async fn first_run_starts_at_initial_value_and_reports_the_mark() {
    let server = items_server().await;
    let c = connector(
        &spec(
            "{ cursor_path: updated_at, initial_value: 3, start_param: since }",
            "",
        ),
        Secrets::new(),
        &server.uri(),
    );
    let (got, state) = run(&c, None).await;
    assert_eq!(
        field(&got, "id"),
        (3..=10).map(Value::from).collect::<Vec<_>>()
    );
    assert_eq!(
        state,
        Some(IncrementalState {
            last_value: Some(json!(10)),
            // No primary key: the record at the mark is remembered by its hash.
            boundary: Boundary {
                unique_hashes: vec![record_hash(&json!({"id": 10, "updated_at": 10}))],
                ..Default::default()
            },
            ..Default::default()
        })
    );
    assert_eq!(queries(&server, "/items").await, ["since=3"]);
}

#[tokio::test]
async fn resumes_from_saved_state_through_placeholders() {
    let server = items_server().await;
    let c = connector(
        &spec("{ cursor_path: updated_at, initial_value: 1 }", "      params: { from: \"{incremental.start_value}\", first: \"{incremental.initial_value}\" }\n"),
        Secrets::new(),
        &server.uri(),
    );
    let saved = IncrementalState {
        last_value: Some(json!(7)),
        ..Default::default()
    };
    let (got, state) = run(&c, Some(saved)).await;
    assert_eq!(got.len(), 4);
    assert_eq!(state.unwrap().last_value, Some(json!(10)));
    assert_eq!(queries(&server, "/items").await, ["from=7&first=1"]);
}

#[tokio::test]
async fn end_value_bounds_the_window_and_min_moves_down() {
    let server = items_server().await;
    let c = connector(
        &spec("{ cursor_path: updated_at, initial_value: 2, end_value: 5, start_param: from, end_param: to }", ""),
        Secrets::new(),
        &server.uri(),
    );
    let (got, state) = run(&c, None).await;
    assert_eq!(field(&got, "id"), [json!(2), json!(3), json!(4)]);
    assert_eq!(
        state, None,
        "a window with end_value reports no state (dlt: stateless)"
    );
    assert_eq!(queries(&server, "/items").await, ["from=2&to=5"]);
    // A stored state does not move the window: it starts at initial_value.
    let saved = IncrementalState {
        last_value: Some(json!(9)),
        ..Default::default()
    };
    let (got, state) = run(&c, Some(saved)).await;
    assert_eq!(field(&got, "id"), [json!(2), json!(3), json!(4)]);
    assert_eq!(state, None);
    assert_eq!(
        queries(&server, "/items").await,
        ["from=2&to=5", "from=2&to=5"]
    );

    let server = items_server().await;
    let c = connector(
        &spec(
            "{ cursor_path: updated_at, initial_value: 4, last_value_func: min }",
            "",
        ),
        Secrets::new(),
        &server.uri(),
    );
    let (got, state) = run(&c, None).await;
    assert_eq!(got.len(), 4);
    assert_eq!(state.unwrap().last_value, Some(json!(1)));
}

#[tokio::test]
async fn missing_cursor_raises_unless_told_otherwise() {
    let server = items_server().await;
    let c = connector(
        &spec("{ cursor_path: changed }", ""),
        Secrets::new(),
        &server.uri(),
    );
    let (_, err) = collect_run(&c, "items", RunOptions::default()).await;
    assert_eq!(
        err.unwrap().to_string(),
        "resource `items`: record has no incremental cursor `changed` (set incremental.on_cursor_value_missing to include or exclude to accept such records)"
    );
    let c = connector(
        &spec(
            "{ cursor_path: changed, on_cursor_value_missing: include }",
            "",
        ),
        Secrets::new(),
        &server.uri(),
    );
    let (got, state) = run(&c, None).await;
    assert_eq!(got.len(), 10);
    assert_eq!(state.unwrap().last_value, None);
}

#[tokio::test]
async fn child_marks_are_kept_per_parent() {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/users$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": "a"}, {"id": "b"}])))
        .mount(&server)
        .await;
    Mock::given(path_regex("^/events/[ab]$"))
        .respond_with(|req: &Request| {
            let user = req
                .url
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let top = if user == "a" { 5 } else { 9 };
            let events: Vec<Value> = (1..=top).map(|i| json!({"seq": i})).collect();
            ResponseTemplate::new(200).set_body_json(json!({ "events": events }))
        })
        .mount(&server)
        .await;
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: users\n    endpoint: { path: /users, paginator: single_page }\n  - name: events\n    endpoint:\n      path: \"/events/{resources.users.id}\"\n      params: { after: \"{incremental.start_value}\" }\n      data_selector: events\n      paginator: single_page\n      incremental: { cursor_path: seq, initial_value: 0 }\n";
    let c = connector(yaml, Secrets::new(), &server.uri());
    let mut stream = c.stream("events", RunOptions::default());
    let stats = stream.stats();
    let mut n = 0;
    while let Some(r) = stream.next().await {
        r.unwrap();
        n += 1;
    }
    assert_eq!(n, 14);
    let state = stats.incremental_state().unwrap();
    assert_eq!(state.last_value, Some(json!(9)));
    assert_eq!(
        state.per_parent,
        [("a".to_owned(), json!(5)), ("b".to_owned(), json!(9))]
            .into_iter()
            .collect()
    );
    // JSON round trip, as the loader stores it: each parent's record at its mark remembered.
    let text = serde_json::to_string(&state).unwrap();
    assert_eq!(
        text,
        format!(
            r#"{{"last_value":9,"per_parent":{{"a":5,"b":9}},"per_parent_boundary":{{"a":{{"unique_hashes":["{}"]}},"b":{{"unique_hashes":["{}"]}}}}}}"#,
            record_hash(&json!({"seq": 5})),
            record_hash(&json!({"seq": 9}))
        )
    );

    // The next run resumes each parent from its own mark; the records at the marks come
    // back (the window is closed) and are dropped as loaded.
    let mut stream = c.stream(
        "events",
        RunOptions::with_incremental(RunOptions::new(), state),
    );
    let stats = stream.stats();
    let mut got = Vec::new();
    while let Some(r) = stream.next().await {
        got.push(r.unwrap());
    }
    assert_eq!(got, Vec::<Value>::new(), "a: 5, b: 9 were loaded last run");
    assert_eq!(stats.deduplicated(), 2);
    assert_eq!(stats.records(), 0);
    let mut seen = queries(&server, "/events/a").await;
    seen.extend(queries(&server, "/events/b").await);
    assert_eq!(seen, ["after=0", "after=5", "after=0", "after=9"]);
}

/// Five pages of three records with cursor values in `order` (1..=15 ascending, or
/// descending), then an empty page.
async fn ordered_server(descending: bool) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/ordered$"))
        .respond_with(move |request: &Request| {
            let page: i64 = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(1);
            let items: Vec<Value> = (1..=3)
                .map(|i| (page - 1) * 3 + i)
                .filter(|n| *n <= 15)
                .map(|n| if descending { 16 - n } else { n })
                .map(|n| json!({"id": n, "updated_at": n}))
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({ "data": items }))
        })
        .mount(&server)
        .await;
    server
}

fn ordered_spec(incremental: &str) -> String {
    format!(
        "name: t\nclient: {{ base_url: http://unused }}\nresources:\n  - name: items\n    endpoint:\n      path: /ordered\n      data_selector: data\n      paginator: {{ type: page_number, base_page: 1, total_path: null }}\n      incremental: {incremental}\n"
    )
}

/// The ids a run of `incremental` over the ordered server yields, the new mark, and the pages
/// requested.
async fn ordered_run(
    descending: bool,
    incremental: &str,
    state: Option<IncrementalState>,
) -> (Vec<i64>, Option<Value>, Vec<String>) {
    let server = ordered_server(descending).await;
    let c = connector(&ordered_spec(incremental), Secrets::new(), &server.uri());
    let (got, state) = run(&c, state).await;
    let ids = got.iter().filter_map(|r| r["id"].as_i64()).collect();
    (
        ids,
        state.and_then(|s| s.last_value),
        queries(&server, "/ordered").await,
    )
}

fn pages(n: usize) -> Vec<String> {
    (1..=n).map(|p| format!("page={p}")).collect()
}

#[tokio::test]
async fn row_order_stops_paging_at_the_first_record_past_the_window() {
    // Ascending toward end_value: page 3 holds 7, the end (exclusive); no page after it.
    let (ids, _, requested) = ordered_run(
        false,
        "{ cursor_path: updated_at, initial_value: 2, end_value: 7, row_order: asc }",
        None,
    )
    .await;
    assert_eq!(ids, (2..=6).collect::<Vec<_>>());
    assert_eq!(requested, pages(3));

    // Without row_order every page is read (and the records past the end dropped).
    let (ids, _, requested) = ordered_run(
        false,
        "{ cursor_path: updated_at, initial_value: 2, end_value: 7 }",
        None,
    )
    .await;
    assert_eq!(ids, (2..=6).collect::<Vec<_>>());
    assert_eq!(requested, pages(6));
}

#[tokio::test]
async fn descending_rows_stop_below_the_saved_mark() {
    let saved = IncrementalState {
        last_value: Some(json!(10)),
        ..Default::default()
    };
    let (ids, mark, requested) = ordered_run(
        true,
        "{ cursor_path: updated_at, initial_value: 0, row_order: desc }",
        Some(saved),
    )
    .await;
    assert_eq!(ids, (10..=15).rev().collect::<Vec<_>>());
    assert_eq!(mark, Some(json!(15)));
    // 15-13, 12-10, then 9-7: 9 is below the mark, so page 3 is the last one requested.
    assert_eq!(requested, pages(3));
}

#[tokio::test]
async fn min_cursor_reverses_what_past_means() {
    // last_value_func min: the window runs down from the start; ascending rows move away from
    // the end, so the first record above the start is past it.
    let (ids, _, requested) = ordered_run(
        false,
        "{ cursor_path: updated_at, initial_value: 5, last_value_func: min, row_order: asc }",
        None,
    )
    .await;
    assert_eq!(ids, (1..=5).collect::<Vec<_>>());
    assert_eq!(requested, pages(2));
}

#[tokio::test]
async fn every_incremental_setting_is_a_placeholder() {
    // dlt binds the incremental object's attributes: `{incremental.lag}` and the rest.
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/events"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(serde_json::json!([{"id": 1, "at": 5}])),
        )
        .mount(&server)
        .await;
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: events\n    endpoint:\n      path: /events\n      paginator: single_page\n      params: { since: '{incremental.start_value}', lag: '{incremental.lag}', by: '{incremental.cursor_path}', f: '{incremental.last_value_func}', bounds: '{incremental.range_start}-{incremental.range_end}' }\n      incremental: { cursor_path: at, initial_value: 1, lag: 2 }\n";
    let c = common::connector(yaml, connector_runtime::Secrets::new(), &server.uri());
    let (got, err) = common::collect(&c, "events").await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 1);
    assert_eq!(
        common::queries(&server, "/events").await,
        ["since=1&lag=2&by=at&f=max&bounds=closed-open"]
    );
}
