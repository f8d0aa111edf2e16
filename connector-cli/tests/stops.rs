//! `connector sync` on APIs that used to give silent partial loads: the warnings on stderr,
//! `--strict`, `--limit`, `--max-pages`, and a replace refused when untrusted responses would
//! empty a table. Against a small HTTP server on 127.0.0.1 whose answer a test switches.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use assert_cmd::Command;
use connector_load::open_destination;
use serde_json::{json, Value};

/// What the server answers to `GET /items[?cursor=N]`.
const ROWS_30: u8 = 0;
const EMPTY_BODY: u8 = 1;
/// 300 records, 50 a page, the cursor at `links.next`.
const LINKS_NEXT: u8 = 2;

struct Server {
    url: String,
    mode: Arc<AtomicU8>,
    requests: Arc<AtomicU64>,
}

fn server(mode: u8) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mode = Arc::new(AtomicU8::new(mode));
    let requests = Arc::new(AtomicU64::new(0));
    let (m, r) = (mode.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            r.fetch_add(1, Ordering::SeqCst);
            let at: u64 = head
                .split_once("cursor=")
                .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let body = match m.load(Ordering::SeqCst) {
                ROWS_30 => json!({"data": (0..30).map(|i| json!({"id": i})).collect::<Vec<_>>()})
                    .to_string(),
                EMPTY_BODY => String::new(),
                _ => {
                    let next = if at + 50 < 300 {
                        json!((at + 50).to_string())
                    } else {
                        Value::Null
                    };
                    json!({"data": (at..at + 50).map(|i| json!({"id": i})).collect::<Vec<_>>(), "links": {"next": next}}).to_string()
                }
            };
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    Server {
        url,
        mode,
        requests,
    }
}

fn write_spec(dir: &Path, endpoint: &str) -> std::path::PathBuf {
    let path = dir.join("t.yaml");
    std::fs::write(
        &path,
        format!(
            "name: t\nclient: {{ base_url: http://unused }}\nresources:\n  - name: items\n    write_disposition: replace\n    endpoint:\n      path: /items\n      data_selector: data\n{endpoint}"
        ),
    )
    .unwrap();
    path
}

fn sync(dir: &Path, spec: &Path, server: &Server, extra: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("connector")
        .unwrap()
        .current_dir(dir)
        .arg("sync")
        .arg(spec)
        .args(["--base-url", &server.url, "--progress", "quiet"])
        .arg("--destination")
        .arg(format!("sqlite:{}", dir.join("t.db").display()))
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rows(dir: &Path) -> Value {
    let destination = open_destination(&format!("sqlite:{}", dir.join("t.db").display())).unwrap();
    destination
        .query_rows("SELECT COUNT(*) FROM items")
        .unwrap()[0][0]
        .clone()
}

#[test]
fn an_empty_body_does_not_replace_a_table_of_rows_with_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(ROWS_30);
    let spec = write_spec(dir.path(), "      paginator: single_page\n");
    let (code, stdout, stderr) = sync(dir.path(), &spec, &server, &[]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(rows(dir.path()), json!(30));

    server.mode.store(EMPTY_BODY, Ordering::SeqCst);
    let (code, stdout, stderr) = sync(dir.path(), &spec, &server, &[]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let warning = "resource `items`: page 1: the response (status 200) has an empty body, read \
                   as no records; if this endpoint should return records, check its path and \
                   params (a `response_actions` entry `{status_code: 200, action: ignore}` says \
                   an empty answer is expected)";
    assert!(
        stderr.contains(&format!("warning: {warning}\n")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "error: table `items`: refusing to replace its 30 rows with none, because the \
             responses looked wrong ({warning}); the table and its state are unchanged\n"
        )),
        "{stderr}"
    );
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert_eq!(rows(dir.path()), json!(30), "the table is kept");
}

#[test]
fn warnings_are_shown_and_strict_fails_the_resource() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(LINKS_NEXT);
    let spec = write_spec(dir.path(), "      paginator: { type: cursor, limit: 50 }\n");
    let warning = "resource `items`: pagination stopped after page 1 (50 records, a full page) \
                   because the response has no `cursors.next` (paginator `cursor_path`), but the \
                   response has `links.next` = \"50\"; to load the rest, set `cursor_path: \
                   links.next`";
    let report = dir.path().join("report.json");
    let (code, stdout, stderr) = sync(
        dir.path(),
        &spec,
        &server,
        &["--report", report.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!("warning: {warning}\n")),
        "{stderr}"
    );
    assert!(stdout.contains("ok, 1 warning"), "{stdout}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["resources"][0]["warnings"], json!([warning]));

    let (code, stdout, stderr) = sync(dir.path(), &spec, &server, &["--strict"]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: {warning} (strict mode makes this warning an error: `strict: true` in the \
             spec, or `connector sync --strict`)\n"
        )),
        "{stderr}"
    );
    assert_eq!(
        rows(dir.path()),
        json!(50),
        "the strict run committed nothing"
    );
}

#[test]
fn limit_loads_that_many_records_and_stops_fetching() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(LINKS_NEXT);
    let spec = write_spec(
        dir.path(),
        "      paginator: { type: cursor, cursor_path: links.next, limit: 50 }\n",
    );
    let (code, stdout, stderr) = sync(dir.path(), &spec, &server, &["--limit", "5"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(rows(dir.path()), json!(5));
    assert!(stdout.contains("ok (--limit 5)"), "{stdout}");
    assert!(
        stderr.contains(
            "note: `items` stopped at --limit 5 records; its incremental state was not saved"
        ),
        "{stderr}"
    );
    assert!(
        server.requests.load(Ordering::SeqCst) <= 2,
        "stopped fetching early"
    );
}

#[test]
fn max_pages_on_the_command_line_is_an_error_when_reached() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(LINKS_NEXT);
    let spec = write_spec(
        dir.path(),
        "      paginator: { type: cursor, cursor_path: links.next }\n",
    );
    let (code, stdout, stderr) = sync(dir.path(), &spec, &server, &["--max-pages", "2"]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "reached the page cap of 2 pages and the API still reports more pages; if it really \
             has more, raise `max_pages` on the endpoint (or in resource_defaults.endpoint) or \
             pass `connector sync --max-pages N`"
        ),
        "{stderr}"
    );
}
