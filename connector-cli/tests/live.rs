//! `connector check --live` and `connector samples` against an API on 127.0.0.1 whose answers
//! a test changes: a field that changed type, a required field gone, undeclared fields, a
//! failing endpoint, an unreachable host, a token echoed back, and samples that the offline
//! sample check (`connector generate`) then reads.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use assert_cmd::Command;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};

/// What `/users` answers.
const FITS: u8 = 0;
/// `id` is a string.
const ID_AS_STRING: u8 = 1;
/// `email` (declared `nullable: false`) is gone from the second record.
const NO_EMAIL: u8 = 2;
/// Two fields the spec does not declare, one nested in a declared object.
const EXTRA_FIELDS: u8 = 3;

/// A token with characters that percent-encoding changes.
const TOKEN: &str = "s3cr3t/t0k+en=99";

struct Api {
    url: String,
    mode: Arc<AtomicU8>,
}

fn api(mode: u8) -> Api {
    let mode = Arc::new(AtomicU8::new(mode));
    let state = mode.clone();
    let app = Router::new()
        .route("/users", get(users))
        .route("/users/{id}/meetings", get(meetings))
        .route(
            "/broken",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route("/empty", get(|| async { Json(json!({"data": []})) }))
        .route("/echo", get(echo))
        .route("/paged", get(paged))
        .with_state(state);
    let url = connector_demo_server::serve_in_thread(app);
    Api { url, mode }
}

async fn users(State(mode): State<Arc<AtomicU8>>) -> Json<Value> {
    let mode = mode.load(Ordering::SeqCst);
    let records: Vec<Value> = (1..=3)
        .map(|i| {
            let mut user = json!({
                "id": if mode == ID_AS_STRING { json!(i.to_string()) } else { json!(i) },
                "email": format!("u{i}@example.com"),
                "address": {"city": "Lyon"},
            });
            if mode == NO_EMAIL && i == 2 {
                user.as_object_mut().unwrap().remove("email");
            }
            if mode == EXTRA_FIELDS {
                user["nickname"] = json!(format!("n{i}"));
                user["address"]["zip"] = json!(69000);
            }
            user
        })
        .collect();
    Json(json!({"data": records}))
}

async fn meetings(UrlPath(id): UrlPath<String>) -> Json<Value> {
    // The first user has no meetings: the check moves on to the second.
    if id == "1" {
        return Json(json!([]));
    }
    Json(json!([{"topic": format!("meeting of {id}"), "minutes": 30}]))
}

/// Three pages of two records (`?page=1..3`), then an empty page.
async fn paged(
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    let page: u64 = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let records: Vec<Value> = if page <= 3 {
        (0..2).map(|i| json!({"id": page * 10 + i})).collect()
    } else {
        Vec::new()
    };
    Json(json!({"data": records}))
}

/// Echoes the bearer token in the body: raw, percent-encoded, base64, and inside a text.
async fn echo(headers: HeaderMap) -> Json<Value> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    Json(json!([{
        "id": 1,
        "raw": token,
        "percent": percent(&token),
        "base64": base64::engine::general_purpose::STANDARD.encode(&token),
        "said": format!("your token is {token}, ok?"),
    }]))
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const USERS: &str = r#"  - name: users
    endpoint: { path: /users, data_selector: data, paginator: single_page }
    columns:
      id: { data_type: bigint, nullable: false }
      email: { data_type: text, nullable: false }
      address: { data_type: json, fields: { city: { data_type: text } } }
"#;

const MEETINGS: &str = r#"  - name: meetings
    endpoint: { path: "/users/{resources.users.id}/meetings", paginator: single_page }
    columns:
      topic: { data_type: text, nullable: false }
      minutes: { data_type: bigint }
"#;

fn write_spec(dir: &Path, resources: &str) -> PathBuf {
    let path = dir.join("drift.yaml");
    std::fs::write(
        &path,
        format!(
            "name: drift\nclient:\n  base_url: http://unused.invalid\n  auth: {{ type: bearer, token: {{ secret: token }} }}\nresources:\n{resources}"
        ),
    )
    .unwrap();
    path
}

/// The 1-based line of the first line of `spec` containing `text`.
fn line_of(spec: &Path, text: &str) -> usize {
    std::fs::read_to_string(spec)
        .unwrap()
        .lines()
        .position(|l| l.contains(text))
        .unwrap()
        + 1
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::cargo_bin("connector")
        .unwrap()
        .current_dir(dir)
        .env("DRIFT__TOKEN", TOKEN)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check_live(dir: &Path, spec: &Path, api: &Api, extra: &[&str]) -> (Option<i32>, String, String) {
    let spec = spec.to_str().unwrap();
    let mut args = vec!["check", "--live", spec, "--base-url", &api.url];
    args.extend(extra);
    run(dir, &args)
}

fn no_token(text: &str) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(TOKEN);
    for form in [TOKEN.to_owned(), percent(TOKEN), b64] {
        assert!(!text.contains(&form), "`{form}` in {text}");
    }
}

#[test]
fn a_live_api_that_fits_passes_and_says_how_children_were_read() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), &format!("{USERS}{MEETINGS}"));
    let api = api(FITS);
    let (code, stdout, stderr) = check_live(dir.path(), &spec, &api, &[]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "resource `users`: the first page, 3 records\n  ok: every declared column fits"
        ),
        "{stdout}"
    );
    // The first user's page is empty; the second one's is checked, and the output says so.
    assert!(
        stdout.contains(
            "resource `meetings`: the first page for records 0, 1 of parent `users` (from its first page), 1 record\n  ok"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok: every resource's first page fits its columns"),
        "{stdout}"
    );
}

#[test]
fn a_field_that_changed_type_fails_with_column_line_and_example() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), USERS);
    let api = api(ID_AS_STRING);
    let line = line_of(&spec, "id: { data_type: bigint");
    let (code, stdout, stderr) = check_live(dir.path(), &spec, &api, &[]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "  error: column `id` (spec line {line}) is declared bigint but the API sends string (e.g. `\"1\"`) in record 0 and 2 more of 3\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAILED: 1 resource contradicts the spec (`users`)"),
        "{stdout}"
    );

    let (code, stdout, _) = check_live(dir.path(), &spec, &api, &["--format", "json"]);
    assert_eq!(code, Some(1));
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let live = &doc["files"][0]["live"];
    assert_eq!(live["ok"], json!(false));
    let users = &live["resources"][0];
    assert_eq!(users["resource"], "users");
    assert_eq!(users["status"], "contradicts");
    assert_eq!(users["records"], 3);
    assert_eq!(
        users["contradictions"],
        json!([{
            "column": "id",
            "path": "id",
            "line": line,
            "problem": "type",
            "declared_type": "bigint",
            "json_type": "string",
            "example": "\"1\"",
            "record": 0,
            "records": 3,
        }])
    );
    assert_eq!(doc["files"][0]["status"], "valid");
}

#[test]
fn a_missing_non_nullable_field_fails() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), USERS);
    let api = api(NO_EMAIL);
    let line = line_of(&spec, "email:");
    let (code, stdout, stderr) = check_live(dir.path(), &spec, &api, &[]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "  error: column `email` (spec line {line}) is `nullable: false` but missing in record 1\n"
        )),
        "{stdout}"
    );
}

#[test]
fn undeclared_fields_are_information_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), USERS);
    let api = api(EXTRA_FIELDS);
    let (code, stdout, stderr) = check_live(dir.path(), &spec, &api, &[]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "  note: fields the spec does not declare (names as sent): nickname (string, 3 of 3), address.zip (integer, 3 of 3)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("ok: 2 undeclared fields\n"), "{stdout}");

    let (code, stdout, _) = check_live(dir.path(), &spec, &api, &["--strict"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("FAILED: 2 undeclared fields (--strict)"),
        "{stdout}"
    );
    let (_, stdout, _) = check_live(dir.path(), &spec, &api, &["--strict", "--format", "json"]);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let users = &doc["files"][0]["live"]["resources"][0];
    assert_eq!(users["status"], "fits");
    assert_eq!(
        users["undeclared"],
        json!([
            {"field": "nickname", "json_types": ["string"], "records": 3},
            {"field": "address.zip", "json_types": ["integer"], "records": 3},
        ])
    );
    assert_eq!(doc["files"][0]["live"]["strict"], json!(true));
}

#[test]
fn failing_and_empty_resources_are_reported_each() {
    let dir = tempfile::tempdir().unwrap();
    let resources = format!(
        "{USERS}  - name: broken\n    endpoint: {{ path: /broken, paginator: single_page, error_handler: {{ max_retries: 0 }} }}\n  - name: broken_child\n    endpoint: {{ path: \"/b/{{resources.broken.id}}\", paginator: single_page }}\n  - name: empty\n    endpoint: {{ path: /empty, data_selector: data, paginator: single_page }}\n"
    );
    let spec = write_spec(dir.path(), &resources);
    let api = api(FITS);
    let (code, stdout, stderr) = check_live(dir.path(), &spec, &api, &[]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("resource `users`: the first page, 3 records"),
        "{stdout}"
    );
    assert!(
        stdout.contains("resource `broken`: not checked\n  error: "),
        "{stdout}"
    );
    assert!(stdout.contains("500"), "{stdout}");
    assert!(
        stdout.contains(
            "resource `broken_child`: not checked\n  error: parent `broken` could not be read: "
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("resource `empty`: nothing to check: the first page was empty"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAILED: 2 resources could not be read (`broken`, `broken_child`); 1 resource had no records to check (`empty`)"),
        "{stdout}"
    );

    // An empty first page alone passes, and fails with --strict.
    let spec = write_spec(
        dir.path(),
        "  - name: empty\n    endpoint: { path: /empty, data_selector: data, paginator: single_page }\n",
    );
    assert_eq!(check_live(dir.path(), &spec, &api, &[]).0, Some(0));
    assert_eq!(
        check_live(dir.path(), &spec, &api, &["--strict"]).0,
        Some(1)
    );
}

#[test]
fn an_unreachable_api_is_reported_per_resource() {
    let dir = tempfile::tempdir().unwrap();
    let users = USERS.replace(
        "paginator: single_page }",
        "paginator: single_page, error_handler: { max_retries: 0 } }",
    );
    let spec = write_spec(dir.path(), &users);
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let api = Api {
        url,
        mode: Arc::new(AtomicU8::new(0)),
    };
    let (code, stdout, stderr) = check_live(dir.path(), &spec, &api, &["--format", "json"]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let users = &doc["files"][0]["live"]["resources"][0];
    assert_eq!(users["status"], "failed");
    let error = users["error"].as_str().unwrap();
    assert!(error.contains("users"), "{error}");
    assert!(error.to_lowercase().contains("connect"), "{error}");
}

#[test]
fn live_flags_and_secrets_are_checked_before_anything_is_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path(), USERS);
    let spec = spec.to_str().unwrap();
    let (code, _, stderr) = run(dir.path(), &["check", spec, "--base-url", "http://x"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--base-url, --token-url and --secrets go with --live"),
        "{stderr}"
    );
    let out = Command::cargo_bin("connector")
        .unwrap()
        .current_dir(dir.path())
        .env_remove("DRIFT__TOKEN")
        .args(["check", "--live", spec])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("DRIFT__TOKEN"), "{stderr}");
}

#[test]
fn samples_are_scrubbed_of_the_token_in_every_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(
        dir.path(),
        "  - name: echo\n    endpoint: { path: /echo, paginator: single_page }\n    samples: [recorded/echo.json]\n",
    );
    let api = api(FITS);
    let (code, stdout, stderr) = run(
        dir.path(),
        &["samples", spec.to_str().unwrap(), "--base-url", &api.url],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("wrote recorded/echo.json: 1 record of `echo` (the first page), 4 secret value(s) replaced by `***`"),
        "{stdout}"
    );
    let stored = std::fs::read_to_string(dir.path().join("recorded/echo.json")).unwrap();
    no_token(&stored);
    no_token(&stdout);
    no_token(&stderr);
    let records: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(records[0]["raw"], "***");
    assert_eq!(records[0]["percent"], "***");
    // The runtime's redactor hides the base64 letters; the padding (`==`) is no secret.
    assert!(
        records[0]["base64"].as_str().unwrap().starts_with("***"),
        "{stored}"
    );
    assert_eq!(records[0]["said"], "your token is ***, ok?");
    assert_eq!(records[0]["id"], 1);
}

#[test]
fn recorded_samples_pass_the_offline_check_until_the_api_changes() {
    let dir = tempfile::tempdir().unwrap();
    let users = USERS.replace(
        "paginator: single_page }\n",
        "paginator: single_page }\n    samples: [samples/users.json]\n",
    );
    let spec = write_spec(dir.path(), &format!("{users}{MEETINGS}"));
    let spec_arg = spec.to_str().unwrap();
    let api = api(FITS);
    let (code, stdout, stderr) = run(dir.path(), &["samples", spec_arg, "--base-url", &api.url]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("wrote samples/users.json: 3 records of `users` (the first page)"),
        "{stdout}"
    );
    // `meetings` names no samples: the default path, and the key to add.
    assert!(
        stdout.contains("wrote samples/meetings.json: 1 record of `meetings` (the first page for records 0, 1 of parent `users` (from its first page))"),
        "{stdout}"
    );
    assert!(
        stdout.contains("note: add `samples: [samples/meetings.json]` to resource `meetings` so the build checks it"),
        "{stdout}"
    );
    let meetings: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("samples/meetings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meetings[0]["topic"], "meeting of 2");

    // Offline, the compile-time sample check reads them and passes.
    let (code, _, stderr) = run(dir.path(), &["generate", spec_arg, "--stdout"]);
    assert_eq!(code, Some(0), "{stderr}");

    // The API changes a field's type: check --live says so, and samples recorded again make
    // the offline check fail too.
    api.mode.store(ID_AS_STRING, Ordering::SeqCst);
    let (code, stdout, _) = check_live(dir.path(), &spec, &api, &[]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("column `id`"), "{stdout}");
    let (code, _, stderr) = run(
        dir.path(),
        &[
            "samples",
            spec_arg,
            "--base-url",
            &api.url,
            "--resource",
            "users",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "warning: `users`: the recorded records contradict its columns in 3 place(s)"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run(dir.path(), &["generate", spec_arg, "--stdout"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("sample `samples/users.json`, record 0, field `id`: expected bigint (a JSON integer), found string `\"1\"`"),
        "{stderr}"
    );
}

#[test]
fn samples_name_unknown_resources_and_keep_files_of_failed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(
        dir.path(),
        "  - name: broken\n    endpoint: { path: /broken, paginator: single_page, error_handler: { max_retries: 0 } }\n    samples: [b.json]\n  - name: empty\n    endpoint: { path: /empty, data_selector: data, paginator: single_page }\n    samples: [e.json]\n",
    );
    let spec_arg = spec.to_str().unwrap();
    let api = api(FITS);
    let (code, _, stderr) = run(
        dir.path(),
        &[
            "samples",
            spec_arg,
            "--base-url",
            &api.url,
            "--resource",
            "nope",
        ],
    );
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("unknown resource `nope`; the spec has: broken, empty"),
        "{stderr}"
    );
    std::fs::write(dir.path().join("b.json"), "[]").unwrap();
    let (code, stdout, stderr) = run(dir.path(), &["samples", spec_arg, "--base-url", &api.url]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: `broken` not recorded (its sample files are kept): "),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: `empty` not recorded: the first page had no records"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.json")).unwrap(),
        "[]"
    );
    assert!(!dir.path().join("e.json").exists());
}

#[test]
fn several_sample_files_get_successive_pages() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(
        dir.path(),
        "  - name: paged\n    endpoint: { path: /paged, data_selector: data, paginator: { type: page_number, base_page: 1, total_path: null } }\n    samples: [p/a.json, p/b.json, p/c.json]\n",
    );
    let api = api(FITS);
    let (code, stdout, stderr) = run(
        dir.path(),
        &[
            "samples",
            spec.to_str().unwrap(),
            "--base-url",
            &api.url,
            "--pages",
            "2",
        ],
    );
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let ids = |file: &str| -> Vec<u64> {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let records: Vec<Value> = serde_json::from_str(&text).unwrap();
        records.iter().map(|r| r["id"].as_u64().unwrap()).collect()
    };
    assert_eq!(ids("p/a.json"), [10, 11, 20, 21]);
    assert_eq!(ids("p/b.json"), [30, 31]);
    assert!(
        stdout.contains(
            "wrote p/a.json: 4 records of `paged` (the first 3 pages, 2 of them in this file)"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "warning: `paged`: 3 page(s) with records, too few for `p/c.json` (kept as it was)"
        ),
        "{stderr}"
    );
    assert!(!dir.path().join("p/c.json").exists());
}
