//! `connector sync` of an incremental resource run twice, as the incremental guide shows it,
//! against the in-repo demo server on 127.0.0.1: the record at the saved last value comes back
//! and is not loaded twice, and says so; an `end_value` backfill says it kept the state.

use std::path::Path;

use assert_cmd::Command;
use connector_demo_server::{DemoConfig, DemoServer, Seed, DEMO_API_KEY};
use connector_load::open_destination;
use serde_json::{json, Value};

/// The guide's spec (docs/src/incremental.md), with `extra` added to its incremental.
fn spec(dir: &Path, extra: &str) -> std::path::PathBuf {
    let yaml = format!(
        "name: rmm\nclient:\n  base_url: https://api.example.com\n  auth: {{ type: api_key, name: api_key, api_key: {{ secret: api_key }}, location: query }}\nresources:\n  - name: devices\n    primary_key: id\n    write_disposition: append\n    endpoint:\n      path: /v1/resource\n      data_selector: data\n      paginator: {{ type: offset, limit: 100 }}\n      params:\n        updated_since: \"{{incremental.start_value}}\"\n      incremental:\n        cursor_path: updated_at\n        initial_value: \"2024-01-01T00:00:00Z\"\n{extra}    columns:\n      id: {{ data_type: text, nullable: false }}\n      updated_at: {{ data_type: timestamp }}\n"
    );
    let path = dir.join("rmm_devices.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn sync(dir: &Path, spec: &Path, server: &DemoServer) -> (Option<i32>, String, String, Value) {
    let report = dir.join("report.json");
    let out = Command::cargo_bin("connector")
        .expect("binary builds")
        .current_dir(dir)
        .arg("sync")
        .arg(spec)
        .arg("--base-url")
        .arg(server.seed_url(Seed::Rmm))
        .arg("--destination")
        .arg(format!("sqlite:{}", dir.join("rmm.db").display()))
        .arg("--report")
        .arg(&report)
        .env("RMM__API_KEY", DEMO_API_KEY)
        .output()
        .unwrap();
    let report = std::fs::read_to_string(&report)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        report,
    )
}

fn rows(dir: &Path) -> Value {
    let destination =
        open_destination(&format!("sqlite:{}", dir.join("rmm.db").display())).unwrap();
    let row = destination
        .query_rows("SELECT COUNT(*), COUNT(DISTINCT id) FROM devices")
        .unwrap();
    Value::Array(row[0].clone())
}

#[test]
fn a_second_run_skips_the_boundary_record_and_says_so() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path(), "");
    let (code, stdout, stderr, _) = sync(dir.path(), &spec, &server);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(!stderr.contains("deduplicated"), "{stderr}");
    assert_eq!(rows(dir.path()), json!([250, 250]));

    // The API answers `updated_since=<last value>` with the record at that instant again.
    let (code, stdout, stderr, report) = sync(dir.path(), &spec, &server);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "note: `devices` skipped 1 record the last run loaded at the incremental last value \
             (deduplicated, not loaded twice)\n"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("warning"), "not a warning: {stderr}");
    assert_eq!(report["resources"][0]["records"], json!(0));
    assert_eq!(report["resources"][0]["deduplicated"], json!(1));
    assert_eq!(
        rows(dir.path()),
        json!([250, 250]),
        "appended nothing twice"
    );
    // What the guide shows is stored.
    assert_eq!(
        report["resources"][0]["state"],
        json!({"last_value": "2024-01-01T04:10:00Z", "unique_keys": ["res-250"]})
    );
}

#[test]
fn an_end_value_backfill_keeps_the_state_and_says_so() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr, first) = sync(dir.path(), &spec(dir.path(), ""), &server);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let saved = first["resources"][0]["state"].clone();

    let backfill = spec(dir.path(), "        end_value: \"2024-01-01T01:00:00Z\"\n");
    let (code, stdout, stderr, report) = sync(dir.path(), &backfill, &server);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "note: `devices` loaded the end_value window [2024-01-01T00:00:00Z, \
             2024-01-01T01:00:00Z) (a backfill); its incremental state was not moved\n"
        ),
        "{stderr}"
    );
    assert!(stdout.contains("(kept: end_value)"), "{stdout}");
    assert_eq!(report["resources"][0]["state"], Value::Null);
    let destination =
        open_destination(&format!("sqlite:{}", dir.path().join("rmm.db").display())).unwrap();
    assert_eq!(destination.state("rmm", "devices").unwrap().unwrap(), saved);
}
