//! Runs that overlap, get killed, cannot start, or meet tables and files they must not touch:
//! real `connector` processes against the demo server's bench API (slowed down so runs
//! overlap) and real SQLite / DuckDB files, and a real PostgreSQL server (a throwaway cluster
//! this test binary starts, a database per test, the schema the connector's name).

#[cfg(feature = "postgres")]
#[path = "../../connector-load/tests/support/postgres.rs"]
mod pg;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use connector_demo_server::{DemoConfig, DemoServer, Seed, DEMO_API_KEY};
use connector_load::{open_destination, open_destination_for};
use serde_json::{json, Value};

const RECORDS: u64 = 3000;

/// Incremental merge on `id` over the bench items, 30 pages of 100.
const SPEC: &str = "
name: overlap
client:
  base_url: http://127.0.0.1:1/bench
resources:
  - name: items
    primary_key: id
    write_disposition: merge
    endpoint:
      path: /items
      data_selector: items
      paginator:
        type: page_number
        page_param: page
        limit: 100
        limit_param: page_size
        total_path: total
      incremental:
        cursor_path: id
        initial_value: 0
    columns:
      id: { data_type: bigint, nullable: false }
      name: { data_type: text }
";

struct Setup {
    dir: tempfile::TempDir,
    server: DemoServer,
    spec: PathBuf,
}

/// A server whose every request takes `latency`.
fn setup(latency: Duration) -> Setup {
    let server = DemoServer::start_in_thread(DemoConfig {
        bench_records: RECORDS,
        latency,
        ..DemoConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("overlap.yaml");
    std::fs::write(&spec, SPEC).unwrap();
    Setup { dir, server, spec }
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("overlap.db").display())
}

/// A new database of its own; no `?schema=`, so the sync loads into schema `overlap`.
#[cfg(feature = "postgres")]
fn postgres_url(_dir: &Path) -> String {
    pg::cluster().new_database_url()
}

#[cfg(feature = "duckdb")]
fn duckdb_url(dir: &Path) -> String {
    format!("duckdb:{}", dir.join("overlap.duckdb").display())
}

fn connector(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_connector"));
    cmd.current_dir(dir);
    cmd
}

impl Setup {
    fn sync(&self, url: &str, extra: &[&str]) -> Command {
        let mut cmd = connector(self.dir.path());
        cmd.arg("sync")
            .arg(&self.spec)
            .args(["--destination", url, "--progress", "quiet"])
            .arg("--base-url")
            .arg(self.server.url("/bench"))
            .args(extra);
        cmd
    }

    fn spawn(&self, url: &str, extra: &[&str]) -> Child {
        self.sync(url, extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Waits until the server has seen `n` requests (a run is then past its start, holding
    /// the lock and fetching).
    fn wait_for_requests(&self, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.server.stats().total_requests < n {
            assert!(Instant::now() < deadline, "no requests came");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// Rows, distinct ids, max id, the stored cursor, and loads by status.
fn check_exact(url: &str) -> Vec<(String, i64)> {
    let dest = open_destination_for(url, Some("overlap"), Duration::ZERO).unwrap();
    let row = &dest
        .query_rows("SELECT COUNT(*), COUNT(DISTINCT id), MAX(id) FROM items")
        .unwrap()[0];
    assert_eq!(
        row,
        &vec![json!(RECORDS), json!(RECORDS), json!(RECORDS)],
        "{url}"
    );
    // The state is never ahead of the data: its cursor is the largest id in the table.
    let state = dest.state("overlap", "items").unwrap().unwrap();
    assert_eq!(state["last_value"], json!(RECORDS), "{url}");
    let staging = dest
        .query_rows(
            // The cluster is shared by tests running at once: only this test's schema.
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name LIKE '_connector_staging%'",
        )
        .or_else(|_| {
            dest.query_rows(
                "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '_connector_staging%'",
            )
        })
        .unwrap();
    assert_eq!(staging[0][0], json!(0), "staging tables left in {url}");
    let locks = dest
        .query_rows("SELECT COUNT(*) FROM _connector_locks")
        .unwrap();
    assert_eq!(locks[0][0], json!(0), "lock left in {url}");
    dest.query_rows("SELECT status, COUNT(*) FROM _connector_loads GROUP BY status ORDER BY status")
        .unwrap()
        .into_iter()
        .map(|r| (r[0].as_str().unwrap().to_owned(), r[1].as_i64().unwrap()))
        .collect()
}

fn second_run_exits_2_naming_the_holder(url: fn(&Path) -> String, holder: fn(u32) -> Vec<String>) {
    let s = setup(Duration::from_millis(60));
    let url = url(s.dir.path());
    let first = s.spawn(&url, &[]);
    s.wait_for_requests(3);
    let second = s.sync(&url, &[]).output().unwrap();
    assert_eq!(second.status.code(), Some(2), "{}", show(&second));
    let stderr = text(&second.stderr);
    for fragment in holder(first.id()) {
        assert!(stderr.contains(&fragment), "{fragment:?} in {stderr}");
    }
    assert!(stderr.contains("--wait-lock SECONDS"), "{stderr}");
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", show(&first));
    assert_eq!(check_exact(&url), [("completed".to_owned(), 1)]);
}

fn second_run_waits_then_loads(url: fn(&Path) -> String) {
    let s = setup(Duration::from_millis(40));
    let url = url(s.dir.path());
    let first = s.spawn(&url, &[]);
    s.wait_for_requests(3);
    let second = s.spawn(&url, &["--wait-lock", "120"]);
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert_eq!(first.status.code(), Some(0), "{}", show(&first));
    assert_eq!(second.status.code(), Some(0), "{}", show(&second));
    // The second started from the state the first committed.
    assert!(
        text(&first.stdout).contains("start -> 3000"),
        "{}",
        show(&first)
    );
    assert!(
        text(&second.stdout).contains("3000 -> 3000"),
        "{}",
        show(&second)
    );
    assert_eq!(check_exact(&url), [("completed".to_owned(), 2)]);
}

fn killed_run_is_marked_and_cleaned(url: fn(&Path) -> String) {
    let s = setup(Duration::from_millis(60));
    let url = url(s.dir.path());
    let mut first = s.spawn(&url, &[]);
    // Past the first staged batch of 1000 records (staging tables appear with it).
    s.wait_for_requests(25);
    first.kill().unwrap();
    first.wait().unwrap();
    s.server.configure(|c| c.latency = Duration::ZERO);
    let rerun = s.sync(&url, &[]).output().unwrap();
    assert_eq!(rerun.status.code(), Some(0), "{}", show(&rerun));
    let stderr = text(&rerun.stderr);
    let note = stderr
        .lines()
        .find(|l| l.starts_with("note: load "))
        .unwrap_or_else(|| panic!("no note about the killed run:\n{stderr}"));
    // Staging tables appear with the first committed batch; a run killed before its first
    // commit left none (DuckDB in a debug build can be that slow).
    assert!(
        note.contains("did not finish (killed?); marked `abandoned` in _connector_loads: items; dropped its staging tables: _connector_staging__overlap__items__")
            // PostgreSQL keeps 63 bytes of a name: longer staging names are shortened.
            || note.contains("did not finish (killed?); marked `abandoned` in _connector_loads: items; dropped its staging tables: _cstg_")
            || note.contains("did not finish (killed?); marked `abandoned` in _connector_loads: items; no staging tables were left"),
        "{note}"
    );
    let mut loads = check_exact(&url);
    loads.sort();
    assert_eq!(
        loads,
        [("abandoned".to_owned(), 1), ("completed".to_owned(), 1)]
    );
    // `state` shows the completed load as the last one.
    let state = connector(s.dir.path())
        .args(["state"])
        .arg(&s.spec)
        .args(["--destination", &url, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(state.status.code(), Some(0), "{}", show(&state));
    let doc: Value = serde_json::from_slice(&state.stdout).unwrap();
    assert_eq!(
        doc["resources"][0]["last_load"]["status"],
        json!("completed")
    );
}

mod sqlite {
    use super::*;

    #[test]
    fn second_run_exits_2_naming_the_holder() {
        super::second_run_exits_2_naming_the_holder(sqlite_url, |pid| {
            vec![
                "error: another run is loading connector `overlap` into this destination: load "
                    .to_owned(),
                format!("(pid {pid} on {}, started ", connector_load::host_name()),
                "; waited 0s".to_owned(),
            ]
        });
    }

    #[test]
    fn second_run_waits_then_loads() {
        super::second_run_waits_then_loads(sqlite_url);
    }

    #[test]
    fn killed_run_is_marked_and_cleaned() {
        super::killed_run_is_marked_and_cleaned(sqlite_url);
    }
}

#[cfg(feature = "duckdb")]
mod duckdb {
    use super::*;

    #[test]
    fn second_run_exits_2_naming_the_holder() {
        super::second_run_exits_2_naming_the_holder(duckdb_url, |pid| {
            vec![format!(
                "is in use by another process (PID {pid}) (another `connector sync`?); waited 0s"
            )]
        });
    }

    #[test]
    fn second_run_waits_then_loads() {
        super::second_run_waits_then_loads(duckdb_url);
    }

    #[test]
    fn killed_run_is_marked_and_cleaned() {
        super::killed_run_is_marked_and_cleaned(duckdb_url);
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;

    #[test]
    fn second_run_exits_2_naming_the_holder() {
        super::second_run_exits_2_naming_the_holder(postgres_url, |pid| {
            vec![
                "error: another run is loading connector `overlap` into this destination: load "
                    .to_owned(),
                format!("(pid {pid} on {}, started ", connector_load::host_name()),
                "; waited 0s".to_owned(),
            ]
        });
    }

    #[test]
    fn second_run_waits_then_loads() {
        super::second_run_waits_then_loads(postgres_url);
    }

    #[test]
    fn killed_run_is_marked_and_cleaned() {
        super::killed_run_is_marked_and_cleaned(postgres_url);
    }

    /// The summary, the report and `state` show the URL with its password redacted; the
    /// password may come from PGPASSWORD; a failed login exits 2 naming the user, not the
    /// password.
    #[test]
    fn passwords_never_show() {
        let s = setup(Duration::ZERO);
        let cluster = pg::cluster();
        let encoded: String = pg::PASSWORD
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let url = format!(
            "postgres://{}:{encoded}@127.0.0.1:{}/postgres?schema={}",
            pg::PASSWORD_USER,
            cluster.port,
            pg::unique("cli")
        );
        let report = s.dir.path().join("report.json");
        let out = s
            .sync(&url, &["--report", &report.display().to_string()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        let report = std::fs::read_to_string(&report).unwrap();
        let everything = format!("{}{}{report}", text(&out.stdout), text(&out.stderr));
        assert!(!everything.contains(&encoded), "{everything}");
        assert!(!everything.contains(pg::PASSWORD), "{everything}");
        assert!(
            report.contains(&format!("{}:***@127.0.0.1", pg::PASSWORD_USER)),
            "{report}"
        );
        assert!(
            text(&out.stdout).contains(&format!(
                "query it: psql 'postgres://{}@127.0.0.1:{}/postgres'",
                pg::PASSWORD_USER,
                cluster.port
            )),
            "{}",
            show(&out)
        );
        let state = connector(s.dir.path())
            .arg("state")
            .arg(&s.spec)
            .args(["--destination", &url])
            .output()
            .unwrap();
        assert_eq!(state.status.code(), Some(0), "{}", show(&state));
        assert!(
            text(&state.stdout).starts_with(&format!(
                "connector `overlap` in postgres://{}:***@127.0.0.1:",
                pg::PASSWORD_USER
            )),
            "{}",
            show(&state)
        );
        // From PGPASSWORD, and a wrong one.
        let bare = format!(
            "postgres://{}@127.0.0.1:{}/postgres?schema={}",
            pg::PASSWORD_USER,
            cluster.port,
            pg::unique("cli")
        );
        let out = s
            .sync(&bare, &[])
            .env("PGPASSWORD", pg::PASSWORD)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", show(&out));
        let out = s
            .sync(&bare, &[])
            .env("PGPASSWORD", "not-the-password")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", show(&out));
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with(&format!("error: cannot connect to destination `{bare}`: ")),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "password authentication failed for user \"{}\"",
                pg::PASSWORD_USER
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains("(the password came from PGPASSWORD)"),
            "{stderr}"
        );
        assert!(!stderr.contains("not-the-password"), "{stderr}");
        // A bad URL exits 2 before anything is fetched, its password redacted.
        s.server.reset_stats();
        let out = s
            .sync("postgres://u:hunter2@127.0.0.1/db?sslmode=allow", &[])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", show(&out));
        assert_eq!(
            text(&out.stderr).trim(),
            "error: bad destination `postgres://u:***@127.0.0.1/db?sslmode=allow`: sslmode \
             `allow` is not supported; supported: disable, prefer, require, verify-ca, \
             verify-full (`require` encrypts without verifying the server's certificate, \
             `verify-full` verifies it and its host name)"
        );
        assert_eq!(s.server.stats().total_requests, 0);
    }
}

#[test]
fn state_lists_and_reset_clears() {
    let s = setup(Duration::ZERO);
    let url = sqlite_url(s.dir.path());
    let state = |extra: &[&str]| {
        let mut cmd = connector(s.dir.path());
        cmd.arg("state").args(extra);
        cmd.arg(&s.spec).args(["--destination", &url]);
        cmd.output().unwrap()
    };
    // Before any sync: nothing stored, and looking creates no file.
    let out = state(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("nothing stored yet"),
        "{}",
        show(&out)
    );
    assert!(!s.dir.path().join("overlap.db").exists());

    let out = s.sync(&url, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = text(&out.stdout);
    let header = stdout.lines().next().unwrap();
    for column in ["resource", "fetched", "in table", "cursor"] {
        assert!(header.contains(column), "{stdout}");
    }
    let line = stdout.lines().find(|l| l.starts_with("items")).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cells[..3], ["items", "3000", "3000"], "{stdout}");
    assert!(line.ends_with("start -> 3000"), "{stdout}");

    let out = state(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let listing = text(&out.stdout);
    assert!(
        listing.starts_with(&format!("connector `overlap` in {url}\n")),
        "{listing}"
    );
    let line = listing.lines().find(|l| l.starts_with("items")).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[2], "completed", "{listing}");
    assert_eq!(&cells[4..], ["3000", "3000", "3000"], "{listing}");

    let out = state(&["--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["connector"], json!("overlap"));
    assert_eq!(doc["resources"][0]["resource"], json!("items"));
    assert_eq!(doc["resources"][0]["state"]["last_value"], json!(3000));
    assert_eq!(doc["resources"][0]["last_load"]["table_rows"], json!(3000));

    let out = state(&["reset", "--resources", "itmes"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: unknown resource `itmes`; the spec has: items"
    );
    let out = state(&["reset"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(
        text(&out.stdout).trim(),
        format!(
            "reset the incremental state of items in {url}: the next sync starts from the \
             spec's initial_value (tables and rows are kept)"
        )
    );
    let out = state(&["reset"]);
    assert_eq!(
        text(&out.stdout).trim(),
        "no incremental state stored for items: nothing reset"
    );
    let out = state(&["--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["resources"][0]["state"], Value::Null);

    // The next run starts from initial_value again; the rows are merged, not doubled.
    let out = s.sync(&url, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("start -> 3000"),
        "{}",
        show(&out)
    );
    assert_eq!(check_exact(&url), [("completed".to_owned(), 2)]);
}

#[test]
fn a_table_not_made_by_connector_is_refused_unless_adopted() {
    let s = setup(Duration::ZERO);
    let url = sqlite_url(s.dir.path());
    {
        let conn = rusqlite::Connection::open(s.dir.path().join("overlap.db")).unwrap();
        conn.execute_batch(
            "CREATE TABLE items (id INTEGER, note TEXT); INSERT INTO items VALUES (1, 'mine');",
        )
        .unwrap();
    }
    let out = s.sync(&url, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: table `items` already exists and was not made by connector (it is not in \
         `_connector_columns`); refusing to add columns to it or replace, merge or append its \
         rows. Pass `--adopt-tables` to load into it anyway, or set the resource's `table_name`"
    );
    assert_eq!(s.server.stats().total_requests, 0);
    let dest = open_destination(&url).unwrap();
    assert_eq!(
        dest.query_rows("SELECT * FROM items").unwrap(),
        vec![vec![json!(1), json!("mine")]]
    );
    drop(dest);

    let out = s.sync(&url, &["--adopt-tables"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let dest = open_destination(&url).unwrap();
    assert_eq!(
        dest.query_rows("SELECT COUNT(*) FROM items").unwrap()[0][0],
        json!(RECORDS)
    );
    drop(dest);
    // Adopted once, it is connector's: later runs need no flag.
    let out = s.sync(&url, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
}

fn rmm_spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../specs")
        .join(format!("{}.yaml", Seed::Rmm.name()))
}

/// Arguments, environment variables, the start of the expected message.
type Case = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static str,
);

#[test]
fn a_run_that_cannot_start_creates_no_database_file() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let base = server.seed_url(Seed::Rmm);
    let cases: [Case; 3] = [
        (&[], &[], "error: missing secrets: api_key"),
        (
            &["--resources", "nope"],
            &[("RMM__API_KEY", DEMO_API_KEY)],
            "error: unknown resource `nope`",
        ),
        (
            &["--destination", "duckdb:rmm.duckdb", "--resources", "nope"],
            &[("RMM__API_KEY", DEMO_API_KEY)],
            if cfg!(feature = "duckdb") {
                "error: unknown resource `nope`"
            } else {
                "error: destination `duckdb:rmm.duckdb` needs"
            },
        ),
    ];
    for (args, env, message) in cases {
        let out = connector(dir.path())
            .arg("sync")
            .arg(rmm_spec())
            .args(["--base-url", &base])
            .args(args)
            .env_remove("RMM__API_KEY")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", show(&out));
        assert!(
            text(&out.stderr).starts_with(message),
            "{args:?}: {}",
            show(&out)
        );
        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(files.is_empty(), "{args:?} left {files:?}");
    }
    assert_eq!(server.stats().total_requests, 0);
}

/// Makes `path` read-only even for root (the immutable attribute); undone on drop. `None`
/// where the file system has no such attribute.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn make(path: &Path) -> Option<ReadOnly> {
        let mut perms = std::fs::metadata(path).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(path, perms).unwrap();
        if std::fs::OpenOptions::new().write(true).open(path).is_err() {
            return Some(ReadOnly(path.to_owned()));
        }
        // Root writes read-only files; an immutable one it does not.
        let status = Command::new("chattr").arg("+i").arg(path).status().ok()?;
        status.success().then(|| ReadOnly(path.to_owned()))
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        if let Ok(meta) = std::fs::metadata(&self.0) {
            let mut perms = meta.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            let _ = std::fs::set_permissions(&self.0, perms);
        }
    }
}

#[test]
fn a_read_only_database_exits_2() {
    let s = setup(Duration::ZERO);
    let url = sqlite_url(s.dir.path());
    let out = s.sync(&url, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let path = s.dir.path().join("overlap.db");
    let Some(_guard) = ReadOnly::make(&path) else {
        eprintln!("skipped: cannot make a file read-only here");
        return;
    };
    s.server.reset_stats();
    let out = s.sync(&url, &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert_eq!(
        text(&out.stderr).trim(),
        format!(
            "error: cannot load into sqlite destination `{}`: the file is read-only (check its \
             permissions and owner, or load into another file)",
            path.display()
        )
    );
    assert_eq!(s.server.stats().total_requests, 0);
}
