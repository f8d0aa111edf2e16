//! `connector sync` as a user runs it, against the in-repo demo server on 127.0.0.1.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use connector_demo_server::{
    DemoConfig, DemoServer, Seed, DEMO_ACCOUNT_ID, DEMO_API_KEY, DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN,
};
use connector_load::open_destination;
use serde_json::{json, Value};

fn spec(seed: Seed) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("specs")
        .join(format!("{}.yaml", seed.name()))
}

/// The command in an empty directory (no stray secrets.toml), secrets set for `seed`.
fn sync(dir: &Path, server: &DemoServer, seed: Seed) -> Command {
    let mut cmd = Command::cargo_bin("connector").expect("binary builds");
    cmd.current_dir(dir).arg("sync").arg(spec(seed));
    cmd.arg("--base-url").arg(server.seed_url(seed));
    if let Some(token_url) = server.token_url(seed) {
        cmd.arg("--token-url").arg(&token_url);
        cmd.env(
            format!("{}__AUTHORIZATION_ENDPOINT", seed.name().to_uppercase()),
            &token_url,
        );
    }
    let prefix = seed.name().to_uppercase();
    for (name, value) in [
        ("API_KEY", DEMO_API_KEY),
        ("CLIENT_ID", DEMO_CLIENT_ID),
        ("CLIENT_SECRET", DEMO_CLIENT_SECRET),
        ("USERNAME", DEMO_CLIENT_ID),
        ("PASSWORD", DEMO_CLIENT_SECRET),
        ("REFRESH_TOKEN", DEMO_REFRESH_TOKEN),
        ("ACCOUNT_ID", DEMO_ACCOUNT_ID),
    ] {
        cmd.env(format!("{prefix}__{name}"), value);
    }
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_seed_syncs_into_sqlite_with_a_summary_and_a_report() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    for seed in Seed::ALL {
        let db = dir.path().join(format!("{}.db", seed.name()));
        let report = dir.path().join(format!("{}.json", seed.name()));
        let out = sync(dir.path(), &server, seed)
            .arg("--destination")
            .arg(format!("sqlite:{}", db.display()))
            .arg("--report")
            .arg(&report)
            .args(["--progress", "lines"])
            .output()
            .unwrap();
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{seed:?}\n{stdout}\n{stderr}");
        assert!(stdout.starts_with("resource"), "{stdout}");
        assert!(stdout.contains("query it: sqlite3"), "{stdout}");
        assert!(stderr.contains("started"), "{stderr}");
        // Correct specs on a correct API: no stop, selector or body looks wrong.
        assert!(!stderr.contains("warning: resource"), "{seed:?}\n{stderr}");

        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(report["ok"], json!(true));
        let destination = open_destination(&format!("sqlite:{}", db.display())).unwrap();
        for resource in report["resources"].as_array().unwrap() {
            let table = resource["table"].as_str().unwrap();
            let rows = destination
                .query_rows(&format!("SELECT COUNT(*) FROM \"{table}\""))
                .unwrap();
            assert_eq!(rows[0][0], resource["table_rows"], "{seed:?} {table}");
            assert!(
                resource["records"].as_u64().unwrap() > 0,
                "{seed:?} {resource}"
            );
        }
    }
    let rmm = open_destination(&format!("sqlite:{}", dir.path().join("rmm.db").display())).unwrap();
    assert_eq!(
        rmm.query_rows("SELECT COUNT(*) FROM resource_name")
            .unwrap()[0][0],
        json!(250)
    );
    let meetings = open_destination(&format!(
        "sqlite:{}",
        dir.path().join("meetings.db").display()
    ))
    .unwrap();
    let config = DemoConfig::default();
    assert_eq!(
        meetings
            .query_rows("SELECT COUNT(*) FROM meetings")
            .unwrap()[0][0],
        json!(config.total_meetings())
    );
}

#[test]
fn second_run_merges_and_default_destination_is_named_after_the_connector() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = sync(dir.path(), &server, Seed::Rmm).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let destination =
        open_destination(&format!("sqlite:{}", dir.path().join("rmm.db").display())).unwrap();
    assert_eq!(
        destination
            .query_rows("SELECT COUNT(*) FROM resource_name")
            .unwrap()[0][0],
        json!(250)
    );
}

#[test]
fn jsonl_prints_records_that_parse_back() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let out = sync(dir.path(), &server, Seed::AssetManagement)
        .arg("--jsonl")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let config = DemoConfig::default();
    let count = |name: &str| {
        lines
            .iter()
            .filter(|l| l["resource"] == json!(name))
            .count() as u64
    };
    assert_eq!(
        count("inventories"),
        config.asset_inventories,
        "{:?}",
        &lines[..1]
    );
    assert_eq!(count("assets"), config.asset_assets);
    assert_eq!(count("members"), config.asset_members);
    assert!(lines.iter().all(|l| l["record"]["id"].is_number()));
    // The summary goes to stderr so stdout stays pipeable; no database is written.
    assert!(text(&out.stderr).contains("total"));
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}

#[test]
fn resources_option_selects() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let out = sync(dir.path(), &server, Seed::AssetManagement)
        .args([
            "--resources",
            "members",
            "--report",
            "-",
            "--progress",
            "quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let report: Value = serde_json::from_str(&stdout[stdout.find("\n{").unwrap()..]).unwrap();
    let names: Vec<&str> = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resource"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["members"]);

    let out = sync(dir.path(), &server, Seed::AssetManagement)
        .args(["--resources", "membres"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: unknown resource `membres`; the spec has: inventories, assets, members"
    );
}

#[test]
fn a_child_alone_fetches_its_parent_once_and_the_log_says_why() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let out = sync(dir.path(), &server, Seed::Meetings)
        .env_remove("RUST_LOG")
        .args(["--resources", "meetings", "-v", "--progress", "quiet"])
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let line = "`users` is fetched only to feed `meetings`, and not loaded: it is not among the \
                resources asked for";
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("info: ") && l.contains(line)),
        "{stderr}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("meetings ")),
        "{stdout}"
    );
    assert!(!stdout.lines().any(|l| l.starts_with("users ")), "{stdout}");
    // 70 users, 30 a page: the listing once.
    assert_eq!(server.stats().requests("/meetings/v1/users"), 3);
}

#[test]
fn missing_secret_names_the_variables() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let out = sync(dir.path(), &server, Seed::Rmm)
        .env_remove("RMM__API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: missing secrets: api_key"),
        "{stderr}"
    );
    assert!(stderr.contains("RMM__API_KEY"), "{stderr}");
    assert!(!stderr.contains(DEMO_API_KEY));
    assert_eq!(server.stats().total_requests, 0);
}

#[test]
fn secrets_toml_is_read() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secrets.toml"),
        format!("[sources.rmm]\napi_key = \"{DEMO_API_KEY}\"\n"),
    )
    .unwrap();
    let out = sync(dir.path(), &server, Seed::Rmm)
        .env_remove("RMM__API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn unreachable_host_fails_the_resource() {
    let dir = tempfile::tempdir().unwrap();
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::cargo_bin("connector").unwrap();
    let out = cmd
        .current_dir(dir.path())
        .arg("sync")
        .arg(spec(Seed::Rmm))
        .args([
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--progress",
            "quiet",
        ])
        .env("RMM__API_KEY", DEMO_API_KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: resource `resource_name`: GET http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(
        stderr.contains("error: 1 resource failed: resource_name"),
        "{stderr}"
    );
    assert!(!stderr.contains(DEMO_API_KEY), "{stderr}");
    assert!(text(&out.stdout).contains("FAILED"));
}

#[test]
fn bad_destinations_are_refused_before_any_request() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("postgres://db/x", "error: bad destination `postgres://db/x`: no user: write postgres://USER@HOST/DB".to_owned()),
        (
            "mysql://u:secret@db/x",
            "error: bad destination `mysql://u:***@db/x`: unknown destination kind `mysql`; \
             supported: sqlite:PATH, duckdb:PATH, postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME], \
             delta:DIR|delta:s3://BUCKET/PREFIX"
                .to_owned(),
        ),
        (
            "delta:",
            "error: bad destination `delta:`: no directory or s3:// URL after `delta:`; write \
             `delta:./lake` or `delta:s3://BUCKET/PREFIX`"
                .to_owned(),
        ),
        (
            "sqlite:no/such/dir/x.db",
            "error: cannot open sqlite destination `no/such/dir/x.db`: directory `no/such/dir` does not exist".to_owned(),
        ),
    ];
    for (url, message) in cases {
        let out = sync(dir.path(), &server, Seed::Rmm)
            .args(["--destination", url])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{url}");
        assert_eq!(text(&out.stderr).trim(), message);
    }
    #[cfg(not(feature = "duckdb"))]
    {
        let out = sync(dir.path(), &server, Seed::Rmm)
            .args(["--destination", "duckdb:x.duckdb"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("cargo feature `duckdb`"));
    }
    #[cfg(feature = "delta")]
    {
        let out = sync(dir.path(), &server, Seed::Rmm)
            .args(["--destination", "delta:gs://bucket/lake"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            text(&out.stderr).trim(),
            "error: bad destination `delta:gs://bucket/lake`: `gs://` is not supported for Delta \
             tables; write a local directory (`delta:./lake`) or `delta:s3://BUCKET/PREFIX`"
        );
    }
    #[cfg(not(feature = "delta"))]
    {
        let out = sync(dir.path(), &server, Seed::Rmm)
            .args(["--destination", "delta:lake"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains("cargo feature `delta`"));
    }
    assert_eq!(server.stats().total_requests, 0);
}

#[test]
fn unreadable_and_invalid_specs() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("connector")
        .unwrap()
        .current_dir(dir.path())
        .args(["sync", "nope.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: cannot read spec `nope.yaml`"));
    std::fs::write(
        dir.path().join("bad.yaml"),
        "name: x\nclient: {}\nresources: []\n",
    )
    .unwrap();
    let out = Command::cargo_bin("connector")
        .unwrap()
        .current_dir(dir.path())
        .args(["sync", "bad.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error: `bad.yaml` is not a valid spec"),
        "{}",
        text(&out.stderr)
    );
}
