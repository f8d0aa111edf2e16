//! The text of the errors and warnings a user sees when a request fails, against real local
//! servers: what failed, and what to check.

mod common;

use common::{collect, connector, Captured};
use connector_runtime::Secrets;
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn items_spec(auth: &str) -> String {
    format!(
        "name: msg\nclient:\n  base_url: http://unused\n{auth}resources:\n  - name: items\n    endpoint: {{ path: /items, paginator: single_page, error_handler: {{ max_retries: 2 }} }}\n"
    )
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_connection_names_the_url_suggests_base_url_and_logs_each_retry() {
    let (captured, _guard) = Captured::start();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let yaml = items_spec(
        "  auth: { type: api_key, name: api_key, api_key: { secret: key }, location: query }\n",
    );
    let c = connector(&yaml, Secrets::new().with("key", "k3y+Ab/Cd==&x y"), &base);
    let err = collect(&c, "items").await.1.expect("refused").to_string();
    let expected_start = format!("resource `items`: GET {base}/items: could not connect");
    assert!(err.starts_with(&expected_start), "{err}");
    assert!(
        err.ends_with(" after 3 attempts; is the API running there? Check `base_url` in the spec, or `--base-url`"),
        "{err}"
    );
    let logs = captured.text();
    let retries: Vec<&str> = logs.lines().filter(|l| l.contains("retrying")).collect();
    assert_eq!(retries.len(), 2, "{logs}");
    for (n, line) in retries.iter().enumerate() {
        assert!(line.contains("WARN"), "{line}");
        assert!(
            line.contains(&format!(
                "resource `items`: GET {base}/items: could not connect"
            )),
            "{line}"
        );
        assert!(
            line.contains(&format!("; retrying ({} of 2) in ", n + 1)),
            "{line}"
        );
    }
    assert!(!logs.contains("k3y"), "{logs}");
}

#[tokio::test]
async fn a_401_names_the_secret_behind_the_credential_and_its_variable() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(401).set_body_string("bad key"))
        .mount(&server)
        .await;
    let yaml = items_spec("  auth: { type: api_key, name: X-Key, api_key: { secret: api_key } }\n");
    let c = connector(
        &yaml,
        Secrets::new().with("api_key", "k-401-secret"),
        &server.uri(),
    );
    let err = collect(&c, "items").await.1.expect("401").to_string();
    assert_eq!(
        err,
        format!("resource `items`: GET {}/items failed with status 401; check secret `api_key` (environment variable MSG__API_KEY, or `api_key` in [sources.msg] of the secrets.toml); body: bad key", server.uri())
    );

    // Basic auth, both parts secrets; 403 too.
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let yaml = items_spec("  auth: { type: http_basic, username: { secret: user }, password: { secret: password } }\n");
    let c = connector(
        &yaml,
        Secrets::new()
            .with("user", "u-name")
            .with("password", "p-word"),
        &server.uri(),
    );
    let err = collect(&c, "items").await.1.expect("403").to_string();
    assert!(err.ends_with("failed with status 403; check secrets `user`, `password` (environment variables MSG__USER, MSG__PASSWORD, or the same names in [sources.msg] of the secrets.toml)"), "{err}");

    // No auth at all.
    let c = connector(&items_spec(""), Secrets::new(), &server.uri());
    let err = collect(&c, "items").await.1.expect("403").to_string();
    assert!(err.ends_with("failed with status 403; the request carries no credentials: does the API need an `auth` in the spec's client or endpoint?"), "{err}");
}

#[tokio::test]
async fn a_token_url_that_is_not_found_is_not_a_refusal_of_the_credentials() {
    let server = MockServer::start().await;
    let yaml = items_spec("  auth: { type: oauth2, client_id: { secret: client_id }, client_secret: { secret: client_secret }, token_url: /oauth/tokn }\n");
    let secrets = Secrets::new()
        .with("client_id", "cid-1")
        .with("client_secret", "cs+cr/t x");
    let c = connector(&yaml, secrets.clone(), &server.uri());
    let err = collect(&c, "items").await.1.expect("404").to_string();
    assert_eq!(
        err,
        format!("resource `items`: authentication failed: the token URL was not found: check `auth.token_url` in the spec, or `--token-url` ({}/oauth/tokn, status 404)", server.uri())
    );

    let server = MockServer::start().await;
    Mock::given(path("/oauth/tokn"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    let c = connector(&yaml, secrets, &server.uri());
    let err = collect(&c, "items").await.1.expect("401").to_string();
    assert!(err.starts_with("resource `items`: authentication failed: the token endpoint refused the client credentials; check secrets `client_id`, `client_secret` (environment variables MSG__CLIENT_ID, MSG__CLIENT_SECRET, or the same names in [sources.msg] of the secrets.toml) ("), "{err}");
}

#[tokio::test]
async fn a_redirect_to_another_origin_says_it_was_not_followed_and_where_it_went() {
    let api = MockServer::start().await;
    let other = MockServer::start().await;
    let away = format!("{}/v2/items?api_key=leaked-key-value&page=1", other.uri());
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .mount(&api)
        .await;
    let c = connector(&items_spec(""), Secrets::new(), &api.uri());
    let err = collect(&c, "items").await.1.expect("redirect");
    assert_eq!(err.status(), Some(302));
    assert_eq!(
        err.to_string(),
        format!("resource `items`: GET {}/items redirected (status 302) to another origin, {}/v2/items?api_key=***&page=1; the redirect was not followed, as credentials are sent to base_url's origin only (if the API has moved, point `base_url` in the spec, or `--base-url`, at the new origin)", api.uri(), other.uri())
    );
    assert!(other.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_start_value_with_no_initial_value_and_no_state_says_to_set_initial_value() {
    let server = MockServer::start().await;
    let yaml = "name: msg\nclient:\n  base_url: http://unused\nresources:\n  - name: items\n    endpoint:\n      path: /items\n      paginator: single_page\n      incremental: { cursor_path: updated_at }\n      params: { since: '{incremental.start_value}' }\n";
    let c = connector(yaml, Secrets::new(), &server.uri());
    let err = collect(&c, "items")
        .await
        .1
        .expect("no start value")
        .to_string();
    assert_eq!(
        err,
        "resource `items`: placeholder `{incremental.start_value}` has no value: no cursor is saved yet and `incremental.initial_value` is not set; set `initial_value` in the endpoint's `incremental`"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
