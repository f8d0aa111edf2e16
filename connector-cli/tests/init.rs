//! `connector init --from-openapi`: specs made from OpenAPI documents of the demo server's
//! APIs pass `connector check` and sync every record from the running demo server; what was
//! guessed and what could not be done is said on stderr with the operation's pointer.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use connector_demo_server::{
    DemoConfig, DemoServer, Seed, DEMO_API_KEY, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
};
use connector_load::open_destination;
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/openapi/{name}.yaml"))
}

fn connector() -> Command {
    Command::cargo_bin("connector").expect("binary builds")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `init -o DIR/spec.yaml` from the fixture; the spec and stderr.
fn init(dir: &Path, name: &str) -> (PathBuf, String) {
    init_from(dir, &fixture(name), name)
}

/// `init -o DIR/<name>.yaml` from `document`; the spec and stderr.
fn init_from(dir: &Path, document: &Path, name: &str) -> (PathBuf, String) {
    let spec = dir.join(format!("{name}.yaml"));
    let out = connector()
        .arg("init")
        .arg("--from-openapi")
        .arg(document)
        .arg("-o")
        .arg(&spec)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(out.stdout.is_empty());
    (spec, stderr)
}

#[test]
fn specs_from_the_demo_documents_check_and_sync_every_record() {
    let server = DemoServer::start_in_thread(DemoConfig::default());
    let config = DemoConfig::default();
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(Seed, &[(&str, u64)])] = &[
        (Seed::Rmm, &[("resource", config.rmm_resources)]),
        (
            Seed::AssetManagement,
            &[
                ("inventory", config.asset_inventories),
                ("assets", config.asset_assets),
                ("members", config.asset_members),
            ],
        ),
        (Seed::Meetings, &[("users", config.meeting_users)]),
        (
            Seed::DeviceInventory,
            &[("computers_inventory", config.computers)],
        ),
    ];
    for (seed, tables) in cases {
        let name = seed.name();
        let (spec, _) = init(dir.path(), name);
        let check = connector().arg("check").arg(&spec).output().unwrap();
        assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));

        let db = dir.path().join(format!("{name}.db"));
        let prefix = name.to_uppercase();
        let mut sync = connector();
        sync.current_dir(dir.path())
            .arg("sync")
            .arg(&spec)
            .arg("--base-url")
            .arg(server.seed_url(*seed))
            .arg("--destination")
            .arg(format!("sqlite:{}", db.display()))
            .env(format!("{prefix}__API_KEY"), DEMO_API_KEY)
            .env(format!("{prefix}__CLIENT_ID"), DEMO_CLIENT_ID)
            .env(format!("{prefix}__CLIENT_SECRET"), DEMO_CLIENT_SECRET);
        if let Some(token_url) = server.token_url(*seed) {
            sync.arg("--token-url").arg(token_url);
        }
        let out = sync.output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}\n{stderr}");
        assert!(!stderr.contains("warning: resource"), "{name}\n{stderr}");
        let destination = open_destination(&format!("sqlite:{}", db.display())).unwrap();
        for (table, count) in *tables {
            let rows = destination
                .query_rows(&format!("SELECT COUNT(*) FROM \"{table}\""))
                .unwrap();
            assert_eq!(rows[0][0], json!(count), "{name}.{table}");
        }
    }
    // The columns came from the document: the enum column is text, `value` a double.
    let assets = open_destination(&format!(
        "sqlite:{}",
        dir.path().join("asset_management.db").display()
    ))
    .unwrap();
    let value = assets
        .query_rows("SELECT value FROM assets WHERE id = 2")
        .unwrap();
    assert_eq!(value[0][0], json!(25.0));
}

#[test]
fn the_guesses_are_said_with_their_pointers() {
    let dir = tempfile::tempdir().unwrap();
    let (spec, stderr) = init(dir.path(), "meetings");
    let file = fixture("meetings").display().to_string();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[..5],
        [
            format!("{file}:49: guessed: #/components/securitySchemes/oauth: auth `oauth2_client_credentials` with secrets `client_id` and `client_secret`"),
            format!("{file}:13: guessed: #/paths/~1v1~1users/get: data_selector `users`: the response's one list property"),
            format!("{file}:13: guessed: #/paths/~1v1~1users/get: paginator `cursor`: parameter `next_page_token`, next cursor at `next_page_token` in the response, page size `limit`"),
            format!("{file}:13: guessed: #/paths/~1v1~1users/get: primary_key `id`: the records have an `id` property"),
            format!("{file}:33: could not: #/paths/~1v1~1meetings~1{{userId}}/get: make a resource of `GET /v1/meetings/{{userId}}`: its path parameters come from a parent resource; add it by hand with `{{resources.<parent>.<field>}}`"),
        ]
    );
    let yaml = std::fs::read_to_string(&spec).unwrap();
    // Secrets are references, never values; columns come from the document by reference.
    assert!(
        yaml.contains("client_secret: { secret: client_secret }"),
        "{yaml}"
    );
    assert!(yaml.contains("columns_from: "), "{yaml}");
    assert!(yaml.contains("cursor_param: next_page_token"), "{yaml}");

    // Without -o the spec goes to stdout, the document named from the current directory.
    let out = connector()
        .current_dir(fixture("meetings").parent().unwrap())
        .args(["init", "--from-openapi", "meetings.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("resource_defaults: { columns_from: meetings.yaml }\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn what_it_could_not_do_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let doc = write(
        "odd.yaml",
        "openapi: 3.1.0\ninfo: { title: Odd, version: '1' }\n\
         components:\n  securitySchemes:\n    oidc: { type: openIdConnect, openIdConnectUrl: https://id.example.com/.well-known/openid-configuration }\n\
         paths:\n  /things:\n    get:\n      parameters: [{ name: cursor, in: query, schema: { type: string } }]\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  items: { type: array, items: { type: object, properties: { id: { type: integer } } } }\n\
         \x20 /two:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  a: { type: array, items: { type: object } }\n                  b: { type: array, items: { type: object } }\n\
         \x20 /me:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: { type: object, properties: { id: { type: string } } }\n",
    );
    let out = connector()
        .arg("init")
        .arg("--from-openapi")
        .arg(&doc)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let said = |needle: &str| assert!(stderr.contains(needle), "missing `{needle}` in\n{stderr}");
    said(":8: could not: #/paths/~1things/get: guess the paginator: parameter `cursor` looks like a cursor, but no response field carries the next one; set `paginator` by hand");
    said(": could not: #/paths/~1two/get: choose the records: the response has several list properties (a, b); add the resource by hand with the `data_selector` of the right one");
    said(": could not: #/paths/~1me/get: make a resource: not a list operation");
    said(": could not: #/components/securitySchemes/oidc: translate security scheme `oidc`; set `auth` by hand");
    said(": could not: #/servers: find an absolute server URL; `base_url` is `https://api.example.com`");
    let yaml = text(&out.stdout);
    assert!(yaml.contains("- name: things"), "{yaml}");
    assert!(
        !yaml.contains("name: two") && !yaml.contains("name: me"),
        "{yaml}"
    );

    let none = write(
        "none.yaml",
        "openapi: 3.0.0\ninfo: { title: None, version: '1' }\npaths: {}\n",
    );
    let out = connector()
        .args(["init", "--from-openapi"])
        .arg(&none)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error: #/paths: no list operation found"),
        "{}",
        text(&out.stderr)
    );

    let out = connector()
        .args(["init", "--from-openapi", "missing.yaml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .starts_with("missing.yaml:1: error: cannot read schema document `missing.yaml`"),
        "{}",
        text(&out.stderr)
    );

    let schema = write("plain.json", r#"{"type": "object"}"#);
    let out = connector()
        .args(["init", "--from-openapi"])
        .arg(&schema)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not an OpenAPI document: it has no `openapi` version"),
        "{}",
        text(&out.stderr)
    );

    let taken = write("taken.yaml", "");
    let out = connector()
        .args(["init", "--from-openapi"])
        .arg(fixture("rmm"))
        .arg("-o")
        .arg(&taken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("exists; pass --force to overwrite it"));
}

const TOKEN: &str = "t0ken/with+chars";
const EVENTS: usize = 5;

/// An API on 127.0.0.1 for the `links` fixture: `EVENTS` records on every endpoint, two a
/// page, behind a bearer token or basic credentials (`u5er` / `pa:ss`); 401 otherwise.
fn links_api() -> String {
    use axum::extract::Query;
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use axum::{Json, Router};
    use std::collections::HashMap;

    type Params = Query<HashMap<String, String>>;
    fn allowed(headers: &HeaderMap) -> bool {
        use base64::Engine as _;
        let basic = base64::engine::general_purpose::STANDARD.encode("u5er:pa:ss");
        let auth = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        auth == Some(&format!("Bearer {TOKEN}")) || auth == Some(&format!("Basic {basic}"))
    }
    fn events(from: usize) -> Vec<serde_json::Value> {
        (from..EVENTS.min(from + 2))
            .map(|i| json!({"id": i, "at": "2024-05-01T12:00:00Z"}))
            .collect()
    }
    fn page(q: &Params) -> usize {
        q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0)
    }
    fn next(headers: &HeaderMap, path: &str, page: usize) -> Option<String> {
        let host = headers.get(header::HOST)?.to_str().ok()?;
        (2 * (page + 1) < EVENTS).then(|| format!("http://{host}{path}?page={}", page + 1))
    }
    async fn by_link(headers: HeaderMap, q: Params) -> Response {
        if !allowed(&headers) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let page = page(&q);
        let mut response = Json(events(2 * page)).into_response();
        if let Some(url) = next(&headers, "/events", page) {
            let link = format!("<{url}>; rel=\"next\"");
            response
                .headers_mut()
                .insert(header::LINK, link.parse().unwrap());
        }
        response
    }
    async fn by_body(headers: HeaderMap, q: Params) -> Response {
        if !allowed(&headers) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let page = page(&q);
        let next = next(&headers, "/logs", page);
        Json(json!({"lines": events(2 * page), "next_page": next})).into_response()
    }
    async fn by_offset(headers: HeaderMap, q: Params) -> Response {
        if !allowed(&headers) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        let offset = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
        assert_eq!(q.get("limit").map(String::as_str), Some("2"));
        Json(json!({"things": events(offset), "total": EVENTS})).into_response()
    }

    connector_demo_server::serve_in_thread(
        Router::new()
            .route("/events", get(by_link))
            .route("/logs", get(by_body))
            .route("/things", get(by_offset)),
    )
}

/// Syncs `spec` from `url` into a fresh SQLite file with the secrets `env`; each table's count.
fn sync_counts(dir: &Path, spec: &Path, url: &str, env: &[(&str, &str)]) -> Vec<serde_json::Value> {
    let db = dir.join(format!(
        "{}.db",
        spec.file_stem().unwrap().to_string_lossy()
    ));
    let mut sync = connector();
    sync.arg("sync")
        .arg(spec)
        .arg("--base-url")
        .arg(url)
        .arg("--destination")
        .arg(format!("sqlite:{}", db.display()))
        .envs(env.iter().copied());
    let out = sync.output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning: resource"), "{stderr}");
    for (_, secret) in env {
        assert!(!stderr.contains(secret), "a secret in the log:\n{stderr}");
    }
    let destination = open_destination(&format!("sqlite:{}", db.display())).unwrap();
    ["events", "logs", "things"]
        .iter()
        .map(|table| {
            destination
                .query_rows(&format!("SELECT COUNT(*) FROM \"{table}\""))
                .unwrap()[0][0]
                .clone()
        })
        .collect()
}

#[test]
fn link_headers_next_urls_and_http_auth_are_guessed_and_sync_every_record() {
    let url = links_api();
    let dir = tempfile::tempdir().unwrap();
    let (spec, stderr) = init(dir.path(), "links");
    let file = fixture("links").display().to_string();
    for said in [
        format!("{file}:50: guessed: #/components/securitySchemes/token: auth `bearer` with secret `token`"),
        format!("{file}:9: guessed: #/paths/~1events/get: paginator `header_link`: the response declares a `Link` header"),
        format!("{file}:21: guessed: #/paths/~1logs/get: paginator `json_link`: the next page's URL at `next_page`"),
        format!("{file}:33: guessed: #/paths/~1things/get: paginator `offset`: parameters `offset` and `limit`, record count at `total`"),
    ] {
        assert!(stderr.lines().any(|l| l == said), "missing `{said}` in\n{stderr}");
    }
    let all = vec![json!(EVENTS); 3];
    assert_eq!(
        sync_counts(dir.path(), &spec, &url, &[("LINKS__TOKEN", TOKEN)]),
        all
    );

    // The same document with `security` naming the basic scheme.
    let document = std::fs::read_to_string(fixture("links"))
        .unwrap()
        .replace("security: [{ token: [] }]", "security: [{ basic: [] }]");
    let basic_doc = dir.path().join("basic.openapi.yaml");
    std::fs::write(&basic_doc, document).unwrap();
    let (spec, stderr) = init_from(dir.path(), &basic_doc, "basic");
    assert!(
        stderr.contains("guessed: #/components/securitySchemes/basic: auth `http_basic` with secrets `username` and `password`"),
        "{stderr}"
    );
    let secrets = [("LINKS__USERNAME", "u5er"), ("LINKS__PASSWORD", "pa:ss")];
    assert_eq!(sync_counts(dir.path(), &spec, &url, &secrets), all);
}
