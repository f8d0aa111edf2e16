//! The generic loader against the in-repo demo server: real HTTP on 127.0.0.1, a real SQLite
//! file (and DuckDB with the feature).

#[path = "support/sync.rs"]
mod support;
use support::{destinations, run};

use std::sync::{Arc, Mutex};

use connector_demo_server::{data, DemoConfig, DemoServer, Fault, Seed, DEMO_API_KEY};
use connector_load::sync::{sync, sync_observed, ResourceStatus, Sink, SyncEvent, SyncOptions};
use connector_load::Destination;
use connector_runtime::{Connector, Options, Secrets};
use serde_json::{json, Value};

const RMM_INCREMENTAL: &str = r#"
name: rmm
client:
  base_url: https://api.example.com
  auth: { type: api_key, name: api_key, api_key: { secret: api_key }, location: query }
resource_defaults:
  primary_key: id
  write_disposition: merge
  endpoint:
    error_handler: { retry_on_status_codes: [500], max_retries: 2, backoff_factor: 1 }
resources:
  - name: resource_name
    endpoint:
      path: /v1/resource
      data_selector: data
      paginator: { type: offset, limit: 100 }
      incremental:
        cursor_path: updated_at
        start_param: updated_since
        initial_value: "2000-01-01T00:00:00Z"
    columns:
      id: { data_type: text, nullable: false }
      name: { data_type: text }
      updated_at: { data_type: timestamp }
"#;

fn connector(spec_yaml: &str, server: &DemoServer, seed: Seed) -> Connector {
    let spec = connector_spec::parse_str(spec_yaml, "test.yaml")
        .unwrap()
        .resolved;
    let options = Options::new()
        .with_base_url(server.seed_url(seed))
        .with_retry_delay_scale(0.001);
    Connector::new(spec, Secrets::new().with("api_key", DEMO_API_KEY), options).unwrap()
}

fn scalar(destination: &Arc<dyn Destination>, sql: &str) -> Value {
    destination.query_rows(sql).unwrap()[0][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_runs_ask_only_for_new_data_and_merge_updates() {
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path(), "sync") {
        let server = DemoServer::start(DemoConfig::default()).await;
        let connector = connector(RMM_INCREMENTAL, &server, Seed::Rmm);

        let first = run(&connector, &destination, &SyncOptions::default()).await;
        assert!(first.ok, "{first:?}");
        assert_eq!(first.resources[0].records, 250);
        assert_eq!(first.resources[0].table_rows, 250);
        let since = server.stats().params("/rmm/v1/resource", "updated_since");
        assert!(
            since.iter().all(|s| s == "2000-01-01T00:00:00Z"),
            "{since:?}"
        );
        let state = destination.state("rmm", "resource_name").unwrap().unwrap();
        assert_eq!(state["last_value"], json!(data::updated_at(250, 0)));

        // New records: the second run starts at the stored high-water mark.
        server.configure(|c| c.rmm_resources = 300);
        server.reset_stats();
        let second = run(&connector, &destination, &SyncOptions::default()).await;
        assert!(second.ok, "{second:?}");
        let since = server.stats().params("/rmm/v1/resource", "updated_since");
        assert_eq!(since[0], data::updated_at(250, 0));
        assert!(
            second.resources[0].records <= 51,
            "{:?}",
            second.resources[0]
        );
        assert_eq!(
            scalar(&destination, "SELECT COUNT(*) FROM resource_name"),
            json!(300)
        );

        // Updated records replace their keys.
        server.configure(|c| c.revision = 1);
        let third = run(&connector, &destination, &SyncOptions::default()).await;
        assert!(third.ok, "{third:?}");
        assert_eq!(
            scalar(&destination, "SELECT COUNT(*) FROM resource_name"),
            json!(300)
        );
        assert_eq!(
            scalar(&destination, "SELECT COUNT(DISTINCT id) FROM resource_name"),
            json!(300)
        );
        assert_eq!(
            scalar(
                &destination,
                "SELECT name FROM resource_name WHERE id = 'res-8'"
            ),
            json!("Device 8 (rev 1)")
        );
        assert_eq!(
            scalar(
                &destination,
                "SELECT COUNT(*) FROM resource_name WHERE name LIKE '%(rev 1)'"
            ),
            json!(75)
        );
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_mid_resource_keeps_the_last_commit_and_the_rerun_completes() {
    for destination in destinations(tempfile::tempdir().unwrap().keep().as_path(), "sync") {
        let server = DemoServer::start(DemoConfig::default()).await;
        let connector = connector(RMM_INCREMENTAL, &server, Seed::Rmm);
        assert!(
            run(&connector, &destination, &SyncOptions::default())
                .await
                .ok
        );
        let state_before = destination.state("rmm", "resource_name").unwrap();

        // 151 records over two pages (the one at the saved mark is deduplicated); the second
        // page fails for good.
        server.configure(|c| c.rmm_resources = 400);
        server.set_faults(vec![Fault::fail_after("/rmm/v1/resource", 1, 500)]);
        let failed = run(&connector, &destination, &SyncOptions::default()).await;
        assert!(!failed.ok);
        let report = &failed.resources[0];
        assert_eq!(report.status, ResourceStatus::Failed);
        assert!(
            report.error.as_deref().unwrap().contains("500"),
            "{report:?}"
        );
        assert!(
            report.records + report.deduplicated >= 100,
            "the first page was received: {report:?}"
        );
        assert_eq!(
            scalar(&destination, "SELECT COUNT(*) FROM resource_name"),
            json!(250)
        );
        assert_eq!(
            destination.state("rmm", "resource_name").unwrap(),
            state_before
        );

        server.clear_faults();
        let rerun = run(&connector, &destination, &SyncOptions::default()).await;
        assert!(rerun.ok, "{rerun:?}");
        assert_eq!(
            scalar(&destination, "SELECT COUNT(*) FROM resource_name"),
            json!(400)
        );
        assert_eq!(
            scalar(&destination, "SELECT COUNT(DISTINCT id) FROM resource_name"),
            json!(400)
        );
        let state = destination.state("rmm", "resource_name").unwrap().unwrap();
        assert_eq!(state["last_value"], json!(data::updated_at(400, 0)));
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_refresh_ignores_state_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "sync").remove(0);
    let server = DemoServer::start(DemoConfig::default()).await;
    let connector = connector(RMM_INCREMENTAL, &server, Seed::Rmm);
    assert!(
        run(&connector, &destination, &SyncOptions::default())
            .await
            .ok
    );
    server.configure(|c| c.rmm_resources = 120);
    server.reset_stats();
    let options = SyncOptions {
        full_refresh: true,
        ..SyncOptions::default()
    };
    let report = run(&connector, &destination, &options).await;
    assert!(report.ok);
    assert_eq!(
        server.stats().params("/rmm/v1/resource", "updated_since")[0],
        "2000-01-01T00:00:00Z"
    );
    assert_eq!(
        scalar(&destination, "SELECT COUNT(*) FROM resource_name"),
        json!(120)
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonl_sink_writes_one_line_per_record() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let connector = connector(RMM_INCREMENTAL, &server, Seed::Rmm);
    let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    let report = sync(
        &connector,
        Sink::JsonLines(buffer.clone()),
        &SyncOptions::default(),
    )
    .await
    .unwrap();
    assert!(report.ok);
    let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 250);
    assert_eq!(lines[0]["resource"], json!("resource_name"));
    assert_eq!(lines[0]["record"]["id"], json!("res-1"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_resource_is_refused_before_any_request() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let connector = connector(RMM_INCREMENTAL, &server, Seed::Rmm);
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "sync").remove(0);
    let options = SyncOptions {
        resources: Some(vec!["nope".to_owned()]),
        ..SyncOptions::default()
    };
    let err = sync(&connector, Sink::Destination(destination), &options)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown resource `nope`; the spec has: resource_name"
    );
    assert_eq!(server.stats().total_requests, 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_summary_table() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let connector = connector(RMM_INCREMENTAL, &server, Seed::Rmm);
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "sync").remove(0);
    let report = run(&connector, &destination, &SyncOptions::default()).await;
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["connector"], json!("rmm"));
    assert_eq!(json["ok"], json!(true));
    assert_eq!(json["resources"][0]["resource"], json!("resource_name"));
    assert_eq!(json["resources"][0]["records"], json!(250));
    assert_eq!(json["resources"][0]["pages"], json!(3));
    assert_eq!(json["resources"][0]["status"], json!("ok"));
    assert_eq!(json["resources"][0]["table_rows"], json!(250));
    assert!(json["resources"][0].get("state_before").is_none());
    let cursor = "2024-01-01T04:10:00Z";
    assert_eq!(
        json["resources"][0]["state"]["last_value"],
        json!(cursor),
        "{json}"
    );
    let table = report.summary_table();
    let lines: Vec<&str> = table.lines().collect();
    let header: Vec<&str> = lines[0].split("  ").filter(|c| !c.is_empty()).collect();
    let header: Vec<&str> = header.iter().map(|c| c.trim()).collect();
    assert_eq!(
        header,
        [
            "resource", "fetched", "in table", "pages", "requests", "retries", "seconds", "status",
            "cursor"
        ],
        "{table}"
    );
    let cells: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(&cells[..3], ["resource_name", "250", "250"], "{table}");
    assert!(
        lines[2].ends_with(&format!("ok      start -> {cursor}")),
        "{table}"
    );
    assert!(lines[4].starts_with("total"), "{table}");

    // A second run starts from the stored cursor; a new record moves it.
    server.configure(|c| c.rmm_resources += 1);
    let report = run(&connector, &destination, &SyncOptions::default()).await;
    let table = report.summary_table();
    let row = table.lines().nth(2).unwrap();
    assert!(row.contains(&format!("{cursor} -> ")), "{table}");
    assert_eq!(report.resources[0].table_rows, 251, "{table}");
    server.shutdown().await;
}

/// The events of a run, one line each: `started`, `fetched N`, `finished STATUS N`.
fn observed_lines(events: &Mutex<Vec<String>>) -> Vec<String> {
    events.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observer_sees_each_resource_start_fetch_and_finish() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let connector = connector(RMM_INCREMENTAL, &server, Seed::Rmm);
    let dir = tempfile::tempdir().unwrap();
    let destination = destinations(dir.path(), "sync").remove(0);
    let events = Mutex::new(Vec::new());
    let observer = |event: SyncEvent<'_>| {
        let line = match event {
            SyncEvent::ResourceStarted { resource } => format!("{resource} started"),
            SyncEvent::Fetched {
                resource, records, ..
            } => format!("{resource} fetched {records}"),
            SyncEvent::ResourceFinished { report } => format!(
                "{} finished {:?} {}",
                report.resource, report.status, report.records
            ),
            _ => "other".to_owned(),
        };
        assert_eq!(line.split(' ').next(), Some(event.resource()));
        events.lock().unwrap().push(line);
    };
    let sink = Sink::Destination(Arc::clone(&destination));
    let report = sync_observed(&connector, sink, &SyncOptions::default(), &observer)
        .await
        .unwrap();
    assert!(report.ok, "{report:?}");
    let lines = observed_lines(&events);
    assert_eq!(lines.first().unwrap(), "resource_name started", "{lines:?}");
    assert_eq!(
        lines.last().unwrap(),
        "resource_name finished Ok 250",
        "{lines:?}"
    );
    assert_eq!(
        lines[lines.len() - 2],
        "resource_name fetched 250",
        "{lines:?}"
    );
    assert!(lines[1..lines.len() - 1]
        .iter()
        .all(|l| l.starts_with("resource_name fetched ")));

    // A failed resource ends with its failed report.
    events.lock().unwrap().clear();
    server.configure(|c| c.rmm_resources = 400);
    server.set_faults(vec![Fault::fail_after("/rmm/v1/resource", 1, 500)]);
    let sink = Sink::Destination(Arc::clone(&destination));
    let report = sync_observed(&connector, sink, &SyncOptions::default(), &observer)
        .await
        .unwrap();
    assert!(!report.ok);
    let lines = observed_lines(&events);
    assert_eq!(lines.first().unwrap(), "resource_name started", "{lines:?}");
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("resource_name finished Failed"),
        "{lines:?}"
    );
    server.shutdown().await;
}
