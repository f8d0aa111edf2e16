//! Incremental runs end to end: a real HTTP server on 127.0.0.1 (wiremock) whose answers
//! change between runs, real SQLite (and DuckDB with the feature), through `sync`.
//!
//! The server answers like real APIs do to `since=<last value>`: the records at the last
//! value come back (the window is closed, as in dlt), and the loader must not load them twice.

use std::sync::{Arc, Mutex};

use connector_load::sync::{sync, Sink, SyncOptions, SyncReport};
use connector_load::{open_destination, Destination};
use connector_runtime::{record_hash, Connector, Options, Secrets};
use serde_json::{json, Value};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// What the server answers, per path; replaced between runs.
type Answers = Arc<Mutex<Vec<(String, Vec<Value>)>>>;

/// A server answering `GET <path>` with `{"data": [...]}` from `answers`, and the `since`
/// parameters it was sent.
async fn server() -> (MockServer, Answers, Arc<Mutex<Vec<String>>>) {
    let server = MockServer::start().await;
    let answers: Answers = Arc::default();
    let since: Arc<Mutex<Vec<String>>> = Arc::default();
    let (a, s) = (answers.clone(), since.clone());
    Mock::given(path_regex(".*"))
        .respond_with(move |request: &Request| {
            if let Some((_, v)) = request.url.query_pairs().find(|(k, _)| k == "since") {
                s.lock()
                    .unwrap()
                    .push(format!("{} {v}", request.url.path()));
            }
            let path = request.url.path().to_owned();
            let data = a
                .lock()
                .unwrap()
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, d)| d.clone())
                .unwrap_or_default();
            ResponseTemplate::new(200).set_body_json(json!({ "data": data }))
        })
        .mount(&server)
        .await;
    (server, answers, since)
}

fn answer(answers: &Answers, path: &str, data: Vec<Value>) {
    let mut answers = answers.lock().unwrap();
    answers.retain(|(p, _)| p != path);
    answers.push((path.to_owned(), data));
}

/// A spec of one `events` resource appending, `since` bound to the start value.
fn spec(extra: &str, incremental: &str) -> String {
    format!(
        "name: inc\nclient: {{ base_url: http://unused }}\nresources:\n  - name: events\n    write_disposition: append\n{extra}    endpoint:\n      path: /events\n      data_selector: data\n      paginator: single_page\n      params: {{ since: \"{{incremental.start_value}}\" }}\n      incremental: {{ cursor_path: at, initial_value: \"2024-01-01T00:00:00Z\"{incremental} }}\n"
    )
}

fn connector(yaml: &str, server: &MockServer) -> Connector {
    let spec = connector_spec::parse_str(yaml, "inc.yaml")
        .unwrap()
        .resolved;
    let options = Options::new().with_base_url(server.uri());
    Connector::new(spec, Secrets::new(), options).unwrap()
}

fn destinations(dir: &std::path::Path) -> Vec<Arc<dyn Destination>> {
    let mut urls = vec![format!("sqlite:{}", dir.join("inc.db").display())];
    if cfg!(feature = "duckdb") {
        urls.push(format!("duckdb:{}", dir.join("inc.duckdb").display()));
    }
    if cfg!(feature = "delta") {
        urls.push(format!("delta:{}", dir.join("inc-lake").display()));
    }
    urls.iter()
        .map(|u| Arc::from(open_destination(u).unwrap()))
        .collect()
}

async fn run(connector: &Connector, destination: &Arc<dyn Destination>) -> SyncReport {
    let sink = Sink::Destination(Arc::clone(destination));
    let report = sync(connector, sink, &SyncOptions::default())
        .await
        .unwrap();
    assert!(report.ok, "{report:#?}");
    report
}

/// Every row of `table` as `[id, at]` (and `v` when asked), in a stable order.
fn rows(destination: &Arc<dyn Destination>, sql: &str) -> Vec<Vec<Value>> {
    destination.query_rows(sql).unwrap()
}

fn ev(id: i64, at: &str) -> Value {
    json!({"id": id, "at": at, "v": format!("v{id}")})
}

fn ids(destination: &Arc<dyn Destination>) -> Vec<Value> {
    rows(destination, "SELECT id FROM events ORDER BY id")
        .into_iter()
        .map(|mut r| r.remove(0))
        .collect()
}

/// The first run's records: two at the last value (02:00).
fn first_batch() -> Vec<Value> {
    vec![
        ev(1, "2024-01-01T00:30:00Z"),
        ev(2, "2024-01-01T01:00:00Z"),
        ev(3, "2024-01-01T02:00:00Z"),
        ev(4, "2024-01-01T02:00:00Z"),
    ]
}

/// The second run's answer to `since=02:00`: the boundary records again, one more at the
/// boundary, and a newer one.
fn second_batch() -> Vec<Value> {
    vec![
        ev(3, "2024-01-01T02:00:00Z"),
        ev(4, "2024-01-01T02:00:00Z"),
        ev(5, "2024-01-01T02:00:00Z"),
        ev(6, "2024-01-01T03:00:00Z"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_with_a_primary_key_never_loads_a_boundary_record_twice() {
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path()) {
        let (server, answers, since) = server().await;
        let c = connector(&spec("    primary_key: id\n", ""), &server);
        answer(&answers, "/events", first_batch());
        let first = run(&c, &destination).await;
        assert_eq!(first.resources[0].records, 4);
        assert_eq!(first.resources[0].deduplicated, 0);
        let state = destination.state("inc", "events").unwrap().unwrap();
        assert_eq!(
            state,
            json!({"last_value": "2024-01-01T02:00:00Z", "unique_keys": [3, 4]})
        );

        answer(&answers, "/events", second_batch());
        let second = run(&c, &destination).await;
        assert_eq!(
            since.lock().unwrap().last().unwrap(),
            "/events 2024-01-01T02:00:00Z"
        );
        let r = &second.resources[0];
        assert_eq!((r.records, r.deduplicated), (2, 2), "{r:#?}");
        assert_eq!(
            ids(&destination),
            (1..=6).map(Value::from).collect::<Vec<_>>()
        );
        assert_eq!(
            destination.state("inc", "events").unwrap().unwrap(),
            json!({"last_value": "2024-01-01T03:00:00Z", "unique_keys": [6]})
        );
        let report = serde_json::to_value(&second).unwrap();
        assert_eq!(report["resources"][0]["deduplicated"], json!(2));

        // A third run with nothing new loads nothing.
        answer(&answers, "/events", vec![ev(6, "2024-01-01T03:00:00Z")]);
        let third = run(&c, &destination).await;
        assert_eq!(
            (third.resources[0].records, third.resources[0].deduplicated),
            (0, 1)
        );
        assert_eq!(ids(&destination).len(), 6);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_primary_key_the_same_record_is_known_by_its_hash() {
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path()) {
        let (server, answers, _) = server().await;
        let c = connector(&spec("", ""), &server);
        answer(&answers, "/events", first_batch());
        run(&c, &destination).await;
        let state = destination.state("inc", "events").unwrap().unwrap();
        let hashes: Vec<String> = first_batch()[2..].iter().map(record_hash).collect();
        assert_eq!(
            state,
            json!({"last_value": "2024-01-01T02:00:00Z", "unique_hashes": hashes})
        );

        // Record 4 comes back changed: a different record, so it is loaded; 3 is the same one
        // (keys in another order) and is not.
        let mut again = second_batch();
        again[0] = json!({"v": "v3", "at": "2024-01-01T02:00:00Z", "id": 3});
        again[1]["v"] = json!("v4 changed");
        answer(&answers, "/events", again);
        let second = run(&c, &destination).await;
        assert_eq!(
            (
                second.resources[0].records,
                second.resources[0].deduplicated
            ),
            (3, 1)
        );
        assert_eq!(
            rows(&destination, "SELECT id, v FROM events ORDER BY id, v"),
            [
                vec![json!(1), json!("v1")],
                vec![json!(2), json!("v2")],
                vec![json!(3), json!("v3")],
                vec![json!(4), json!("v4")],
                vec![json!(4), json!("v4 changed")],
                vec![json!(5), json!("v5")],
                vec![json!(6), json!("v6")],
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_with_different_offsets_compare_as_instants() {
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path()) {
        let (server, answers, since) = server().await;
        let c = connector(&spec("    primary_key: id\n", ""), &server);
        answer(
            &answers,
            "/events",
            vec![
                ev(1, "2024-01-01T03:00:00+02:00"), // 01:00Z: text would make it the mark
                ev(2, "2024-01-01T02:00:00Z"),
            ],
        );
        run(&c, &destination).await;
        let state = destination.state("inc", "events").unwrap().unwrap();
        assert_eq!(state["last_value"], json!("2024-01-01T02:00:00Z"));

        answer(
            &answers,
            "/events",
            vec![
                ev(2, "2024-01-01T04:00:00+02:00"), // the boundary record, another offset
                ev(1, "2024-01-01T03:00:00+02:00"), // older than the mark: dropped
                ev(3, "2024-01-01T01:30:00-02:00"), // 03:30Z: newer, though "01:30" < "02:00"
            ],
        );
        let second = run(&c, &destination).await;
        assert_eq!(
            since.lock().unwrap().last().unwrap(),
            "/events 2024-01-01T02:00:00Z",
            "the last value is sent as the API wrote it"
        );
        assert_eq!(
            (
                second.resources[0].records,
                second.resources[0].deduplicated
            ),
            (1, 1)
        );
        assert_eq!(ids(&destination), [json!(1), json!(2), json!(3)]);
        assert_eq!(
            destination.state("inc", "events").unwrap().unwrap()["last_value"],
            json!("2024-01-01T01:30:00-02:00")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_cursor_kinds_fail_the_resource_naming_both_values() {
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path()).remove(0);
    let (server, answers, _) = server().await;
    let c = connector(&spec("    primary_key: id\n", ""), &server);
    answer(
        &answers,
        "/events",
        vec![json!({"id": 1, "at": 1704067200})],
    );
    let sink = Sink::Destination(Arc::clone(&destination));
    let report = sync(&c, sink, &SyncOptions::default()).await.unwrap();
    assert!(!report.ok);
    assert_eq!(
        report.resources[0].error.as_deref(),
        Some(
            "resource `events`: incremental cursor `at`: a record's value 1704067200 is a \
             number, but the window's start \"2024-01-01T00:00:00Z\" is a timestamp; cursor \
             values compare only with their own kind (timestamps, numbers or text), so every \
             record's cursor and initial_value/end_value must be one kind"
        )
    );
    assert_eq!(destination.state("inc", "events").unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_end_value_backfill_loads_its_window_and_leaves_the_state() {
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path()) {
        let (server, answers, since) = server().await;
        let c = connector(&spec("    primary_key: id\n", ""), &server);
        answer(&answers, "/events", first_batch());
        run(&c, &destination).await;
        let saved = destination.state("inc", "events").unwrap().unwrap();

        // The same resource with an end_value: [initial_value, 01:00) whatever is stored.
        let backfill = connector(
            &spec(
                "    primary_key: id\n",
                ", end_value: \"2024-01-01T01:00:00Z\"",
            ),
            &server,
        );
        answer(
            &answers,
            "/events",
            vec![
                ev(10, "2023-12-31T23:00:00Z"),
                ev(11, "2024-01-01T00:00:00Z"),
                ev(12, "2024-01-01T00:59:59Z"),
                ev(13, "2024-01-01T01:00:00Z"),
                ev(14, "2024-01-01T05:00:00Z"),
            ],
        );
        let report = run(&backfill, &destination).await;
        assert_eq!(
            since.lock().unwrap().last().unwrap(),
            "/events 2024-01-01T00:00:00Z",
            "the window starts at initial_value, not the stored mark"
        );
        let r = &report.resources[0];
        assert_eq!(r.records, 2);
        assert_eq!(r.state, None);
        assert_eq!(r.state_before.as_ref(), Some(&saved));
        let window = r.backfill.as_ref().expect("a backfill");
        assert_eq!(
            window.describe(),
            "[2024-01-01T00:00:00Z, 2024-01-01T01:00:00Z)"
        );
        assert_eq!(r.cursor_change(), "2024-01-01T02:00:00Z (kept: end_value)");
        assert_eq!(
            serde_json::to_value(&report).unwrap()["resources"][0]["backfill"],
            json!({
                "start_value": "2024-01-01T00:00:00Z",
                "end_value": "2024-01-01T01:00:00Z",
                "range_start": "closed",
                "range_end": "open"
            })
        );
        assert_eq!(
            destination.state("inc", "events").unwrap().unwrap(),
            saved,
            "the backfill moved no state"
        );
        assert_eq!(
            ids(&destination),
            [1, 2, 3, 4, 11, 12].map(Value::from).to_vec()
        );

        // The incremental run after it resumes where the last one stopped.
        answer(&answers, "/events", second_batch());
        let next = run(&c, &destination).await;
        assert_eq!(
            (next.resources[0].records, next.resources[0].deduplicated),
            (2, 2)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_remembers_its_boundary_per_parent() {
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path()) {
        let (server, answers, since) = server().await;
        let yaml = "name: inc\nclient: { base_url: http://unused }\nresources:\n  - name: users\n    endpoint: { path: /users, data_selector: data, paginator: single_page }\n  - name: events\n    write_disposition: append\n    primary_key: id\n    endpoint:\n      path: \"/users/{resources.users.id}/events\"\n      data_selector: data\n      paginator: single_page\n      params: { since: \"{incremental.start_value}\" }\n      incremental: { cursor_path: at, initial_value: 0 }\n";
        let c = connector(yaml, &server);
        answer(
            &answers,
            "/users",
            vec![json!({"id": "a"}), json!({"id": "b"})],
        );
        let e = |id: &str, at: i64| json!({"id": id, "at": at});
        answer(&answers, "/users/a/events", vec![e("a1", 1), e("a2", 5)]);
        answer(&answers, "/users/b/events", vec![e("b1", 9)]);
        run(&c, &destination).await;
        let state = destination.state("inc", "events").unwrap().unwrap();
        assert_eq!(
            state,
            json!({
                "last_value": 9,
                "per_parent": {"a": 5, "b": 9},
                "per_parent_boundary": {"a": {"unique_keys": ["a2"]}, "b": {"unique_keys": ["b1"]}}
            })
        );

        // Each parent's boundary record comes back with new ones. a2 at 5 is known under a; a
        // record at 5 under b is below b's mark and dropped by the window.
        answer(
            &answers,
            "/users/a/events",
            vec![e("a2", 5), e("a3", 5), e("a4", 7)],
        );
        answer(
            &answers,
            "/users/b/events",
            vec![e("b1", 9), e("b0", 5), e("b2", 10)],
        );
        since.lock().unwrap().clear();
        let second = run(&c, &destination).await;
        let mut seen = since.lock().unwrap().clone();
        seen.sort();
        assert_eq!(seen, ["/users/a/events 5", "/users/b/events 9"]);
        let events = second
            .resources
            .iter()
            .find(|r| r.resource == "events")
            .unwrap();
        assert_eq!((events.records, events.deduplicated), (3, 2));
        assert_eq!(
            ids(&destination),
            ["a1", "a2", "a3", "a4", "b1", "b2"]
                .map(Value::from)
                .to_vec()
        );
    }
}
