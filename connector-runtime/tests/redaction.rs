//! No secret value appears in any error, Debug output, or captured log line, whatever fails.

mod common;

use common::{collect, connector, Captured};
use connector_runtime::Secrets;
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRETS: [&str; 4] = ["key-AAA111", "acct-BBB222", "cid-CCC333", "csecret-DDD444"];

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS.iter().chain(["tok-EEE555"].iter()) {
        assert!(!text.contains(s), "{what} leaks {s}:\n{text}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn secrets_never_reach_errors_debug_or_logs() {
    let (captured, _guard) = Captured::start();

    let server = MockServer::start().await;
    // The API echoes the key back in its error body, as some do.
    Mock::given(path("/items"))
        .respond_with(|req: &Request| {
            ResponseTemplate::new(503).set_body_string(format!(
                "bad request {} {:?}",
                req.url,
                req.headers.get("x-account")
            ))
        })
        .mount(&server)
        .await;
    let yaml = "name: t\nclient:\n  base_url: http://unused\n  headers: { X-Account: { secret: account } }\n  auth: { type: api_key, name: api_key, api_key: { secret: key }, location: query }\nresources:\n  - name: items\n    endpoint: { path: /items, data_selector: data, paginator: single_page, error_handler: { max_retries: 1 } }\n";
    let secrets = Secrets::new()
        .with("key", SECRETS[0])
        .with("account", SECRETS[1]);
    assert_clean("Secrets Debug", &format!("{secrets:?}"));
    let c = connector(yaml, secrets, &server.uri());
    assert_clean("Connector Debug", &format!("{c:?}"));
    let err = collect(&c, "items").await.1.expect("503");
    assert!(err.to_string().contains("bad request"), "{err}");
    assert_clean("error Display", &err.to_string());
    assert_clean("error Debug", &format!("{err:?}"));

    // OAuth2: the client secret and the access token stay hidden too.
    let server = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "tok-EEE555", "expires_in": 3600})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .respond_with(|req: &Request| {
            ResponseTemplate::new(400)
                .set_body_string(format!("rejected {:?}", req.headers.get("authorization")))
        })
        .mount(&server)
        .await;
    let yaml = "name: t\nclient:\n  base_url: http://unused\n  auth: { type: oauth2, client_id: { secret: id }, client_secret: { secret: secret }, token_url: /token }\nresources:\n  - name: items\n    endpoint: { path: /items, paginator: single_page }\n";
    let c = connector(
        yaml,
        Secrets::new()
            .with("id", SECRETS[2])
            .with("secret", SECRETS[3]),
        &server.uri(),
    );
    let err = collect(&c, "items").await.1.expect("400");
    assert!(err.to_string().contains("rejected"), "{err}");
    assert_clean("oauth error", &format!("{err} {err:?}"));

    let logs = captured.text();
    for expected in [
        "resource{resource=items}",
        "request{method=GET",
        "status=503",
        "retrying (1 of 1) in",
        "attempt=2",
    ] {
        assert!(logs.contains(expected), "logs have `{expected}`: {logs}");
    }
    assert_clean("logs", &logs);
}
