//! `connector check` and `connector schema` as a user runs them.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn connector() -> Command {
    let mut cmd = Command::cargo_bin("connector").expect("binary builds");
    cmd.current_dir(root());
    cmd
}

const SEEDS: [&str; 5] = [
    "specs/asset_management.yaml",
    "specs/crm_analytics.yaml",
    "specs/device_inventory.yaml",
    "specs/meetings.yaml",
    "specs/rmm.yaml",
];

#[test]
fn seeds_pass_with_one_summary_line_each() {
    let out = connector().arg("check").args(SEEDS).output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    let meetings = lines
        .iter()
        .find(|l| l.starts_with("ok specs/meetings.yaml"))
        .expect("meetings summary");
    for part in [
        "2 resources (users, meetings)",
        "auth: oauth2 (client credentials)",
        "paginators: cursor, single_page",
        "secrets: authorization_endpoint, client_id, client_secret",
    ] {
        assert!(meetings.contains(part), "{meetings} lacks {part}");
    }
    let rmm = lines.iter().find(|l| l.contains("rmm.yaml")).expect("rmm");
    assert!(
        rmm.contains("auth: api_key in query") && rmm.contains("paginators: offset"),
        "{rmm}"
    );
}

#[test]
fn invalid_spec_exits_1_with_rustc_style_diagnostic() {
    let file = "tests/specs/invalid/unknown_paginator_type.yaml";
    let out = connector().args(["check", file]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // file:line:col, the offending line, the key underlined, the fix.
    assert!(stderr.contains(&format!("{file}:18:15")), "{stderr}");
    assert!(stderr.contains("type: page_numbr"), "{stderr}");
    assert!(stderr.contains("──┬"), "no underline in {stderr}");
    assert!(
        stderr.contains("paginator type `page_numbr` is unknown"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `page_number`?"), "{stderr}");
    assert!(stderr.contains("is invalid: 1 error"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn the_dlt_style_corpus_checks_clean() {
    let dir = root().join("tests/specs/dlt");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    files.sort();
    let out = connector()
        .arg("check")
        .args(&files)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), files.len(), "{stdout}");
    assert!(
        stderr.contains("`table_format` has no effect here"),
        "warnings are shown: {stderr}"
    );
}

#[test]
fn a_secondary_place_is_drawn_with_its_message() {
    // A warning (dlt allows the key), drawn with both places.
    let file = "tests/specs/invalid/primary_key_not_a_column.yaml";
    let out = connector().args(["check", file]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{file}:29:5")), "{stderr}");
    assert!(
        stderr.contains("the columns of `orders` are declared here"),
        "the columns' label is drawn too: {stderr}"
    );
}

#[test]
fn warnings_are_shown_but_the_spec_passes() {
    let file = "tests/specs/invalid/http_base_url_with_credentials.yaml";
    let out = connector().args(["check", file]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plain http://"), "{stderr}");
    assert!(stderr.contains(&format!("{file}:4:13")), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 warning"));
}

#[test]
fn literal_credentials_are_not_echoed() {
    let file = "tests/specs/invalid/literal_secret_in_auth.yaml";
    let out = connector().args(["check", file]).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("credentials belong in the secrets store"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("sk_live_abcdef0123456789"),
        "secret echoed: {stderr}"
    );
}

#[test]
fn unreadable_file_exits_2_even_beside_invalid_ones() {
    let out = connector()
        .args([
            "check",
            "specs/meetings.yaml",
            "no/such/spec.yaml",
            "tests/specs/invalid/zero_limit.yaml",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read `no/such/spec.yaml`"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok specs/meetings.yaml"));
}

#[test]
fn binary_file_cannot_be_read_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("logo.yaml");
    std::fs::write(&path, [0x89, b'P', b'N', b'G', 0, 0xff, 0xfe]).expect("write");
    let out = connector().arg("check").arg(&path).output().expect("runs");
    // Not text: "cannot read", exit 2, like a missing file (main.rs's exit codes).
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("not UTF-8 (invalid byte at offset 0); a spec is a YAML text file"));
}

#[test]
fn json_format_is_machine_readable() {
    let out = connector()
        .args([
            "check",
            "--format",
            "json",
            "specs/meetings.yaml",
            "tests/specs/invalid/zero_limit.yaml",
            "missing.yaml",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let files = doc["files"].as_array().expect("files");
    assert_eq!(files.len(), 3);
    assert_eq!(files[0]["status"], "valid");
    assert_eq!(
        files[0]["summary"]["secrets"],
        serde_json::json!(["authorization_endpoint", "client_id", "client_secret"])
    );
    assert_eq!(files[1]["status"], "invalid");
    let d = &files[1]["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(18), Some(16))
    );
    assert_eq!(d["key_path"], "resources[0].endpoint.paginator.limit");
    assert_eq!(files[2]["status"], "unreadable");
}

#[test]
fn schema_goes_to_stdout_or_a_file_and_matches_the_checked_in_copy() {
    let out = connector().arg("schema").output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let checked_in =
        std::fs::read_to_string(root().join("specs/connector-spec.schema.json")).expect("schema");
    assert_eq!(String::from_utf8_lossy(&out.stdout), checked_in);

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("schema.json");
    let out = connector()
        .args(["schema", "--out"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&path).expect("written"), checked_in);

    let out = connector()
        .args(["schema", "--out", "/nonexistent-dir/x.json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
}

#[test]
fn check_without_files_is_a_usage_error() {
    let out = connector().arg("check").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
