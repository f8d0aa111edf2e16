//! Parent-child resources in one sync: each parent is fetched once, its records loaded into
//! its own table and fed to its children as they arrive. Real HTTP on 127.0.0.1 (the demo
//! server, or wiremock for generated chains), real SQLite files (and DuckDB with the feature).

#[path = "support/sync.rs"]
mod support;
use support::{destinations, run};

use std::sync::{Arc, Mutex};

use connector_demo_server::{DemoConfig, DemoServer, Fault, Seed};
use connector_load::sync::{
    sync, sync_observed, ResourceStatus, Sink, SyncEvent, SyncOptions, SyncReport,
};
use connector_load::Destination;
use connector_runtime::{Connector, Options, Secrets};
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const MEETINGS: &str = include_str!("../../specs/meetings.yaml");
const USERS_PATH: &str = "/meetings/v1/users";
const MEETINGS_ROUTE: &str = "/meetings/v1/meetings/{user_id}";

fn meetings_connector(spec_yaml: &str, server: &DemoServer, concurrency: usize) -> Connector {
    let spec = connector_spec::parse_str(spec_yaml, "meetings.yaml")
        .unwrap()
        .resolved;
    let mut secrets = Secrets::new();
    for (name, value) in server.secrets(Seed::Meetings) {
        secrets = secrets.with(name, value);
    }
    let options = Options::new()
        .with_base_url(server.seed_url(Seed::Meetings))
        .with_token_url(server.token_url(Seed::Meetings).unwrap())
        .with_concurrency(concurrency)
        .with_retry_delay_scale(0.001);
    Connector::new(spec, secrets, options).unwrap()
}

/// Rows of `table`; `None` when the table does not exist.
fn rows(destination: &Arc<dyn Destination>, table: &str) -> Option<u64> {
    destination
        .query_rows(&format!("SELECT COUNT(*) FROM \"{table}\""))
        .ok()
        .map(|r| r[0][0].as_u64().unwrap())
}

fn names(report: &SyncReport) -> Vec<&str> {
    report
        .resources
        .iter()
        .map(|r| r.resource.as_str())
        .collect()
}

/// The users listing has 3 pages (70 users, 30 a page).
const USER_PAGES: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_meetings_load_with_users_fetched_once() {
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path(), "tree") {
        let server = DemoServer::start(DemoConfig::default()).await;
        let connector = meetings_connector(MEETINGS, &server, 3);
        let report = run(&connector, &destination, &SyncOptions::default()).await;
        assert!(report.ok, "{report:#?}");
        assert_eq!(names(&report), ["users", "meetings"]);
        let config = DemoConfig::default();
        assert_eq!(rows(&destination, "users"), Some(config.meeting_users));
        assert_eq!(
            rows(&destination, "meetings"),
            Some(config.total_meetings())
        );

        let stats = server.stats();
        assert_eq!(stats.requests(USERS_PATH), USER_PAGES, "{stats:#?}");
        assert_eq!(stats.route(MEETINGS_ROUTE).requests, config.meeting_users);
        // The fan-out keeps its bound.
        assert!(stats.route(MEETINGS_ROUTE).max_in_flight <= 3, "{stats:#?}");
        // Each resource reports its own requests.
        assert_eq!(report.resources[0].requests, USER_PAGES);
        assert_eq!(report.resources[0].records, config.meeting_users);
        assert_eq!(report.resources[1].requests, config.meeting_users);
        assert_eq!(report.resources[1].records, config.total_meetings());
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonl_writes_both_resources_with_users_fetched_once() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let connector = meetings_connector(MEETINGS, &server, 4);
    let out = Arc::new(Mutex::new(Vec::<u8>::new()));
    let report = sync(
        &connector,
        Sink::JsonLines(out.clone()),
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert!(report.ok, "{report:#?}");
    let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    let count = |resource: &str| {
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|l| l["resource"] == resource)
            .count() as u64
    };
    let config = DemoConfig::default();
    assert_eq!(count("users"), config.meeting_users);
    assert_eq!(count("meetings"), config.total_meetings());
    assert_eq!(server.stats().requests(USERS_PATH), USER_PAGES);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_asked_for_alone_fetches_its_parent_once_and_loads_only_itself() {
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path(), "tree") {
        let server = DemoServer::start(DemoConfig::default()).await;
        let connector = meetings_connector(MEETINGS, &server, 4);
        let options = SyncOptions {
            resources: Some(vec!["meetings".to_owned()]),
            ..SyncOptions::default()
        };
        let report = run(&connector, &destination, &options).await;
        assert!(report.ok, "{report:#?}");
        assert_eq!(names(&report), ["meetings"]);
        assert_eq!(rows(&destination, "users"), None, "users is not loaded");
        assert_eq!(
            rows(&destination, "meetings"),
            Some(DemoConfig::default().total_meetings())
        );
        assert_eq!(server.stats().requests(USERS_PATH), USER_PAGES);
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unselected_parent_feeds_its_child_and_loads_nothing() {
    let unselected = MEETINGS.replace(
        "  - name: users\n",
        "  - name: users\n    selected: false\n",
    );
    assert_ne!(unselected, MEETINGS);
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path(), "tree") {
        let server = DemoServer::start(DemoConfig::default()).await;
        let connector = meetings_connector(&unselected, &server, 4);
        let report = run(&connector, &destination, &SyncOptions::default()).await;
        assert!(report.ok, "{report:#?}");
        assert_eq!(names(&report), ["meetings"]);
        assert_eq!(rows(&destination, "users"), None);
        assert_eq!(
            rows(&destination, "meetings"),
            Some(DemoConfig::default().total_meetings())
        );
        assert_eq!(server.stats().requests(USERS_PATH), USER_PAGES);
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_parent_fails_its_child_and_neither_commits() {
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path(), "tree") {
        let server = DemoServer::start(DemoConfig::default()).await;
        // The first users page comes; every later one is a 500 (retries included).
        server.set_faults(vec![Fault::fail_after(USERS_PATH, 1, 500)]);
        let connector = meetings_connector(MEETINGS, &server, 4);
        let report = run(&connector, &destination, &SyncOptions::default()).await;
        assert!(!report.ok);
        let (users, meetings) = (&report.resources[0], &report.resources[1]);
        assert_eq!(users.status, ResourceStatus::Failed);
        assert!(
            users.error.as_deref().unwrap().contains("status 500"),
            "{users:#?}"
        );
        assert_eq!(meetings.status, ResourceStatus::Failed);
        let error = meetings.error.as_deref().unwrap();
        assert!(
            error.starts_with("parent `users` failed: resource `users`: GET "),
            "{error}"
        );
        assert!(error.contains("status 500"), "{error}");
        // The meetings of the first page's users were fetched, but none is committed.
        assert_eq!(rows(&destination, "users").unwrap_or(0), 0);
        assert_eq!(rows(&destination, "meetings").unwrap_or(0), 0);
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_parent_fed_only_is_named_in_the_child_error() {
    let server = DemoServer::start(DemoConfig::default()).await;
    server.set_faults(vec![Fault::fail_after(USERS_PATH, 1, 500)]);
    let connector = meetings_connector(MEETINGS, &server, 4);
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "tree").remove(0);
    let options = SyncOptions {
        resources: Some(vec!["meetings".to_owned()]),
        ..SyncOptions::default()
    };
    let report = run(&connector, &destination, &options).await;
    assert_eq!(names(&report), ["meetings"]);
    let meetings = &report.resources[0];
    assert_eq!(meetings.status, ResourceStatus::Failed);
    let error = meetings.error.as_deref().unwrap();
    assert!(error.starts_with("parent `users` failed: "), "{error}");
    assert_eq!(rows(&destination, "meetings").unwrap_or(0), 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_applies_to_each_resource_and_the_parent_still_feeds_the_child() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let connector = meetings_connector(MEETINGS, &server, 2);
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "tree").remove(0);
    // Users 1..4 have 1, 2, 3, 0 meetings: 5 meetings need more than the 2 users loaded.
    let options = SyncOptions {
        limit: Some(2),
        ..SyncOptions::default()
    };
    let report = run(&connector, &destination, &options).await;
    assert!(report.ok, "{report:#?}");
    assert_eq!(rows(&destination, "users"), Some(2));
    assert_eq!(rows(&destination, "meetings"), Some(2));
    assert_eq!(report.resources[0].limited_to, Some(2));
    assert_eq!(report.resources[1].limited_to, Some(2));

    let options = SyncOptions {
        limit: Some(5),
        full_refresh: true,
        ..SyncOptions::default()
    };
    let report = run(&connector, &destination, &options).await;
    assert!(report.ok, "{report:#?}");
    assert_eq!(rows(&destination, "users"), Some(5));
    assert_eq!(rows(&destination, "meetings"), Some(5));
    // Fetching stopped once both had their records: not the whole users listing.
    assert!(server.stats().route(MEETINGS_ROUTE).requests < 20);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observer_sees_each_resource_of_a_tree_in_order() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let connector = meetings_connector(MEETINGS, &server, 4);
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "tree").remove(0);
    let events = Mutex::new(Vec::new());
    let observer = |event: SyncEvent<'_>| {
        let kind = match event {
            SyncEvent::ResourceStarted { .. } => "started".to_owned(),
            SyncEvent::Fetched { records, .. } => format!("fetched {records}"),
            SyncEvent::ResourceFinished { report } => {
                format!("finished {:?} {}", report.status, report.records)
            }
            _ => "other".to_owned(),
        };
        events
            .lock()
            .unwrap()
            .push((event.resource().to_owned(), kind));
    };
    let sink = Sink::Destination(Arc::clone(&destination));
    let report = sync_observed(&connector, sink, &SyncOptions::default(), &observer)
        .await
        .unwrap();
    assert!(report.ok, "{report:#?}");
    let events = events.into_inner().unwrap();
    let config = DemoConfig::default();
    for (resource, total) in [
        ("users", config.meeting_users),
        ("meetings", config.total_meetings()),
    ] {
        let own: Vec<&str> = events
            .iter()
            .filter(|(r, _)| r == resource)
            .map(|(_, kind)| kind.as_str())
            .collect();
        assert_eq!(own.first(), Some(&"started"), "{resource}: {own:?}");
        assert_eq!(
            own.last().copied(),
            Some(format!("finished Ok {total}").as_str()),
            "{resource}: {own:?}"
        );
        assert_eq!(own[own.len() - 2], format!("fetched {total}"), "{own:?}");
        assert!(own[1..own.len() - 1]
            .iter()
            .all(|k| k.starts_with("fetched ")));
    }
    server.shutdown().await;
}

/// A spec of a chain `l0 -> l1 -> ... -> l{depth-1}`: each level's path names its parent's id.
fn chain_spec(depth: usize) -> String {
    let mut yaml = String::from(
        "name: chain\nclient: { base_url: https://api.example.com }\n\
         resource_defaults: { write_disposition: append, endpoint: { paginator: single_page } }\n\
         resources:\n  - name: l0\n    endpoint: { path: /l0 }\n",
    );
    for level in 1..depth {
        yaml.push_str(&format!(
            "  - name: l{level}\n    endpoint: {{ path: \"/l{level}/{{resources.l{}.id}}\" }}\n",
            level - 1
        ));
    }
    yaml
}

fn chain_connector(yaml: &str, base_url: &str) -> Connector {
    let spec = connector_spec::parse_str(yaml, "chain.yaml")
        .unwrap_or_else(|d| panic!("{d:?}"))
        .resolved;
    Connector::new(spec, Secrets::new(), Options::new().with_base_url(base_url)).unwrap()
}

async fn request_paths(server: &MockServer) -> Vec<String> {
    let mut paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    paths.sort();
    paths
}

/// Three levels: `a`, its `b`s, their `c`s.
const ABC: &str = "name: abc\nclient: { base_url: https://api.example.com }\n\
    resource_defaults: { write_disposition: append, endpoint: { paginator: single_page } }\n\
    resources:\n  - name: a\n    endpoint: { path: /a }\n\
    \x20 - name: b\n    endpoint: { path: \"/a/{resources.a.id}/b\" }\n\
    \x20 - name: c\n    endpoint: { path: \"/b/{resources.b.id}/c\" }\n";

/// [`ABC`]'s API: a: ids 1..=`parents`; b of a N: ids N1, N2; c of b M: one record.
async fn abc_server(parents: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(move |request: &Request| {
            let parts: Vec<&str> = request.url.path().trim_matches('/').split('/').collect();
            let body = match parts.as_slice() {
                ["a"] => (1..=parents).map(|id| json!({"id": id})).collect(),
                ["a", id, "b"] => json!([{"id": format!("{id}1")}, {"id": format!("{id}2")}]),
                ["b", id, "c"] => json!([{"id": format!("{id}-c")}]),
                _ => return ResponseTemplate::new(404),
            };
            ResponseTemplate::new(200).set_body_json(body)
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_level_chain_makes_one_request_sequence_per_parent_record() {
    let server = abc_server(3).await;
    let connector = chain_connector(ABC, &server.uri());
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "tree").remove(0);
    let report = run(&connector, &destination, &SyncOptions::default()).await;
    assert!(report.ok, "{report:#?}");
    assert_eq!(rows(&destination, "a"), Some(3));
    assert_eq!(rows(&destination, "b"), Some(6));
    assert_eq!(rows(&destination, "c"), Some(6));
    let mut expected = vec!["/a".to_owned()];
    for a in 1..=3 {
        expected.push(format!("/a/{a}/b"));
        for b in 1..=2 {
            expected.push(format!("/b/{a}{b}/c"));
        }
    }
    expected.sort();
    assert_eq!(request_paths(&server).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifty_level_chain_makes_fifty_requests() {
    const DEPTH: usize = 50;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 7}])))
        .mount(&server)
        .await;
    let connector = chain_connector(&chain_spec(DEPTH), &server.uri());
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "tree").remove(0);
    let report = run(&connector, &destination, &SyncOptions::default()).await;
    assert!(report.ok, "{report:#?}");
    assert_eq!(report.resources.len(), DEPTH);
    assert!(report
        .resources
        .iter()
        .all(|r| r.requests == 1 && r.records == 1));
    assert_eq!(rows(&destination, &format!("l{}", DEPTH - 1)), Some(1));
    // One request per level: linear in the depth (re-running each chain made 1,275).
    assert_eq!(request_paths(&server).await.len(), DEPTH);
}

const TREE: &str = "name: tree\nclient: { base_url: https://api.example.com }\n\
    resource_defaults: { write_disposition: append, endpoint: { paginator: single_page } }\n\
    resources:\n  - name: a\n    endpoint: { path: /a }\n\
    \x20 - name: b\n    endpoint: { path: \"/a/{resources.a.id}/b\" }\n\
    \x20 - name: c\n    endpoint: { path: \"/b/{resources.b.id}/c\" }\n\
    \x20 - name: d\n    endpoint: { path: \"/a/{resources.a.id}/d\" }\n";

/// `/a` answers `a_status`; `b` of a fails with 404; `c` and `d` have one record each.
async fn tree_server(a_status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(move |request: &Request| {
            let parts: Vec<&str> = request.url.path().trim_matches('/').split('/').collect();
            match parts.as_slice() {
                ["a"] => {
                    ResponseTemplate::new(a_status).set_body_json(json!([{"id": 1}, {"id": 2}]))
                }
                ["a", _, "d"] | ["b", _, "c"] => {
                    ResponseTemplate::new(200).set_body_json(json!([{"id": 9}]))
                }
                _ => ResponseTemplate::new(404),
            }
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_child_stops_neither_its_parent_nor_its_siblings() {
    let server = tree_server(200).await;
    let connector = chain_connector(TREE, &server.uri());
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "tree").remove(0);
    let report = run(&connector, &destination, &SyncOptions::default()).await;
    let status: Vec<(&str, ResourceStatus)> = report
        .resources
        .iter()
        .map(|r| (r.resource.as_str(), r.status))
        .collect();
    let (ok, failed) = (ResourceStatus::Ok, ResourceStatus::Failed);
    assert_eq!(status, [("a", ok), ("b", failed), ("c", failed), ("d", ok)]);
    assert!(report.resources[1]
        .error
        .as_deref()
        .unwrap()
        .contains("status 404"));
    assert!(report.resources[2]
        .error
        .as_deref()
        .unwrap()
        .starts_with("parent `b` failed: resource `b`: GET "));
    assert_eq!(rows(&destination, "a"), Some(2));
    assert_eq!(rows(&destination, "d"), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_root_fails_its_whole_tree_each_naming_its_parent() {
    let server = tree_server(404).await;
    let connector = chain_connector(TREE, &server.uri());
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "tree").remove(0);
    let report = run(&connector, &destination, &SyncOptions::default()).await;
    let errors: Vec<&str> = report
        .resources
        .iter()
        .map(|r| r.error.as_deref().unwrap())
        .collect();
    assert!(errors[0].starts_with("resource `a`: GET "), "{errors:?}");
    assert!(errors[1].starts_with("parent `a` failed: resource `a`: GET "));
    assert!(errors[2].starts_with("parent `b` failed: parent `a` failed: resource `a`: GET "));
    assert!(errors[3].starts_with("parent `a` failed: resource `a`: GET "));
    // Only the root was asked for.
    assert_eq!(request_paths(&server).await, ["/a"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fed_child_keeps_one_incremental_window_per_parent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            let parts: Vec<&str> = request.url.path().trim_matches('/').split('/').collect();
            let body = match parts.as_slice() {
                ["a"] => json!([{"id": 1}, {"id": 2}]),
                ["a", id, "b"] => {
                    json!([{"id": format!("{id}-x"), "updated_at": format!("2024-01-0{id}T00:00:00Z")}])
                }
                _ => return ResponseTemplate::new(404),
            };
            ResponseTemplate::new(200).set_body_json(body)
        })
        .mount(&server)
        .await;
    let yaml = "name: inc\nclient: { base_url: https://api.example.com }\n\
        resource_defaults: { primary_key: id, write_disposition: merge, endpoint: { paginator: single_page } }\n\
        resources:\n  - name: a\n    endpoint: { path: /a }\n\
        \x20 - name: b\n    endpoint:\n      path: \"/a/{resources.a.id}/b\"\n      incremental:\n\
        \x20       cursor_path: updated_at\n        start_param: since\n\
        \x20       initial_value: \"2000-01-01T00:00:00Z\"\n";
    let connector = chain_connector(yaml, &server.uri());
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "tree").remove(0);
    let since = |requests: &[Request]| -> Vec<(String, String)> {
        let mut seen: Vec<(String, String)> = requests
            .iter()
            .filter(|r| r.url.path().ends_with("/b"))
            .map(|r| {
                let since = r.url.query_pairs().find(|(k, _)| k == "since");
                (r.url.path().to_owned(), since.unwrap().1.into_owned())
            })
            .collect();
        seen.sort();
        seen
    };
    for expected in [
        [
            ("/a/1/b", "2000-01-01T00:00:00Z"),
            ("/a/2/b", "2000-01-01T00:00:00Z"),
        ],
        [
            ("/a/1/b", "2024-01-01T00:00:00Z"),
            ("/a/2/b", "2024-01-02T00:00:00Z"),
        ],
    ] {
        let before = server.received_requests().await.unwrap().len();
        let report = run(&connector, &destination, &SyncOptions::default()).await;
        assert!(report.ok, "{report:#?}");
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(p, s)| (p.to_string(), s.to_string()))
            .collect();
        let requests = server.received_requests().await.unwrap();
        assert_eq!(since(&requests[before..]), expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_split_a_tree_by_the_roots_children_and_grandchildren_follow() {
    let server = abc_server(20).await;
    let connector = chain_connector(ABC, &server.uri());
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "tree").remove(0);
    let mut b_per_shard = Vec::new();
    for k in 0..4 {
        let options = SyncOptions {
            partition: connector_runtime::Partition::new(k, 4).unwrap(),
            ..SyncOptions::default()
        };
        let report = run(&connector, &destination, &options).await;
        assert!(report.ok, "{report:#?}");
        let loaded: Vec<&str> = names(&report);
        assert_eq!(
            loaded,
            if k == 0 {
                vec!["a", "b", "c"]
            } else {
                vec!["b", "c"]
            }
        );
        let b = report.resources.iter().find(|r| r.resource == "b").unwrap();
        let c = report.resources.iter().find(|r| r.resource == "c").unwrap();
        // Every b of this shard has its c here: the grandchild is not split again.
        assert_eq!(c.records, b.records, "shard {k}");
        assert_eq!(
            c.share.as_deref(),
            Some(format!("shard {k}/4: every record its parent got in this shard").as_str())
        );
        b_per_shard.push(b.records);
    }
    assert!(b_per_shard.iter().all(|n| *n > 0), "{b_per_shard:?}");
    assert_eq!(rows(&destination, "a"), Some(20));
    let distinct = |table: &str| {
        destination
            .query_rows(&format!("SELECT COUNT(*), COUNT(DISTINCT id) FROM {table}"))
            .unwrap()[0]
            .clone()
    };
    assert_eq!(distinct("b"), [json!(40), json!(40)]);
    assert_eq!(distinct("c"), [json!(40), json!(40)]);
    // `a` was fetched by every shard (each child needs all parents), each b and c once.
    let paths = request_paths(&server).await;
    assert_eq!(paths.iter().filter(|p| *p == "/a").count(), 4);
    assert_eq!(paths.len(), 4 + 20 + 40);
}
