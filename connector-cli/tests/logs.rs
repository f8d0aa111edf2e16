//! `connector sync`'s log on stderr (`-q`, `-v`, `-vv`, `RUST_LOG`, `--log-format json`), from
//! a real process against the demo server, with no secret in it.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use base64::Engine as _;
use connector_demo_server::{
    DemoConfig, DemoServer, Fault, Seed, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
};
use serde_json::Value;

const SEED: Seed = Seed::DeviceInventory;
const RESOURCE_PATH: &str = "/device_inventory/api/v1/computers-inventory";

/// `connector sync` of the device inventory spec (OAuth2 client credentials) into a fresh
/// SQLite file, with `args` after the others (the log flags are global: they go anywhere).
fn sync(server: &DemoServer, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let spec: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "specs",
        "device_inventory.yaml",
    ]
    .iter()
    .collect();
    let token_url = server.token_url(SEED).expect("the seed uses OAuth2");
    let mut cmd = Command::cargo_bin("connector").expect("binary builds");
    cmd.current_dir(dir)
        .env_remove("RUST_LOG")
        .arg("sync")
        .arg(spec)
        .arg("--base-url")
        .arg(server.seed_url(SEED))
        .arg("--token-url")
        .arg(token_url)
        .arg("--destination")
        .arg(format!("sqlite:{}", dir.join("logs.db").display()))
        .args(["--progress", "lines"])
        .env("DEVICE_INVENTORY__USERNAME", DEMO_CLIENT_ID)
        .env("DEVICE_INVENTORY__PASSWORD", DEMO_CLIENT_SECRET)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_no_secret(&stderr);
    stderr
}

/// Neither credential appears raw, as Basic auth, or percent-encoded.
fn assert_no_secret(text: &str) {
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}"));
    for secret in [DEMO_CLIENT_SECRET, basic.as_str()] {
        assert!(!text.contains(secret), "a secret in the log:\n{text}");
    }
}

fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn default_shows_warnings_only_and_v_shows_the_plan_and_the_token() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();

    let quiet_by_default = stderr(&sync(&server, dir.path(), &[], &[]));
    assert!(
        lines_with(&quiet_by_default, "info: ").is_empty(),
        "{quiet_by_default}"
    );

    // One 500 on the first page: retried at once after a short wait, said at `-v`.
    server.set_faults(vec![Fault::statuses(RESOURCE_PATH, &[500])]);
    let v = stderr(&sync(&server, dir.path(), &["-v"], &[]));
    let retries = lines_with(&v, "retrying (1 of 3) in");
    assert_eq!(retries.len(), 1, "{v}");
    assert!(
        retries[0].starts_with("info: resource `computers`: GET ")
            && retries[0].contains(RESOURCE_PATH)
            && retries[0].contains(": status 500; retrying"),
        "{v}"
    );
    let plan = lines_with(&v, "starting");
    assert!(
        plan.iter().any(|l| l.contains("paginator=\"page_number\"")
            || l.contains("paginator=page_number")),
        "{v}"
    );
    assert!(
        plan.iter()
            .any(|l| l.contains("auth=\"oauth2_client_credentials\"")
                || l.contains("auth=oauth2_client_credentials")),
        "{v}"
    );
    assert!(plan.iter().any(|l| l.contains(RESOURCE_PATH)), "{v}");
    assert_eq!(
        lines_with(&v, "fetched an OAuth2 access token").len(),
        1,
        "one token for the whole run:\n{v}"
    );
    assert!(lines_with(&v, "debug: ").is_empty(), "{v}");
}

#[test]
fn vv_and_rust_log_show_every_request() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let vv = stderr(&sync(&server, dir.path(), &["-vv"], &[]));
    let responses = lines_with(&vv, "response");
    // 250 computers in pages of 100: three pages.
    let pages: Vec<_> = responses
        .iter()
        .filter(|l| l.contains(RESOURCE_PATH) && l.contains("status=200"))
        .collect();
    assert_eq!(pages.len(), 3, "{vv}");
    assert!(
        pages
            .iter()
            .all(|l| l.contains("bytes=") && l.contains("ms=") && l.contains("method=GET")),
        "{vv}"
    );

    let rust_log = stderr(&sync(
        &server,
        dir.path(),
        &[],
        &[("RUST_LOG", "connector_runtime=debug")],
    ));
    assert_eq!(
        lines_with(&rust_log, "status=200")
            .iter()
            .filter(|l| l.contains(RESOURCE_PATH))
            .count(),
        3,
        "{rust_log}"
    );
}

#[test]
fn json_log_lines_are_objects() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let json = stderr(&sync(
        &server,
        dir.path(),
        &["-v", "--log-format", "json"],
        &[],
    ));
    let events: Vec<Value> = json
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let starting = events
        .iter()
        .find(|e| e["message"] == "starting")
        .unwrap_or_else(|| panic!("no plan event:\n{json}"));
    assert_eq!(starting["level"], "INFO");
    assert_eq!(starting["paginator"], "page_number");
    assert_eq!(starting["span"]["resource"], "computers");
}

#[test]
fn a_long_wait_is_a_warning_a_401_refresh_is_a_retry_and_q_hides_both() {
    let server = DemoServer::start_in_thread(DemoConfig {
        faults: vec![Fault::rate_limited(RESOURCE_PATH, "5")],
        ..DemoConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = sync(&server, dir.path(), &[], &[]);
    let text = stderr(&out);
    let waits = lines_with(&text, "warning: ");
    assert_eq!(waits.len(), 1, "{text}");
    assert!(
        waits[0].contains("status 429, Retry-After: 5; retrying (1 of 3) in 5.0 s")
            && waits[0].contains("`error_handler.max_retry_delay` caps the wait"),
        "{text}"
    );

    // A 401 to the cached token: a new token, the request sent again, counted as a retry.
    server.set_faults(vec![Fault::status(RESOURCE_PATH, 401)]);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let report_arg = report.display().to_string();
    let out = sync(&server, dir.path(), &["-q", "--report", &report_arg], &[]);
    let quiet = stderr(&out);
    assert!(
        quiet.trim().is_empty(),
        "-q prints nothing on success:\n{quiet}"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report["resources"][0]["retries"], 1,
        "the replay after the 401 is a retry:\n{report:#}"
    );
}
