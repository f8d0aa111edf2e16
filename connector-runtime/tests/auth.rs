//! Each auth scheme against a local server: the right header / query / cookie arrives, wrong
//! credentials give a clear error, OAuth2 tokens are fetched once, shared, and refreshed once
//! on a 401, and no credential reaches another origin.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{collect, connector, queries, records};
use connector_runtime::Secrets;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn one_item() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": 1}]}))
}

fn spec_with_auth(auth: &str) -> String {
    format!(
        "name: t\nclient:\n  base_url: http://unused\n  auth: {auth}\nresources:\n  - name: items\n    endpoint: {{ path: /items, data_selector: data, paginator: single_page }}\n  - name: others\n    endpoint: {{ path: /others, data_selector: data, paginator: single_page }}\n"
    )
}

fn header_of(req: &Request, name: &str) -> Option<String> {
    req.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn api_key_in_header_query_and_cookie() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .and(header("X-Api-Key", "k-123"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let c = connector(
        &spec_with_auth(
            "{ type: api_key, name: X-Api-Key, api_key: { secret: key }, location: header }",
        ),
        Secrets::new().with("key", "k-123"),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 1);

    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .and(query_param("api_key", "k-123"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let c = connector(
        &spec_with_auth(
            "{ type: api_key, name: api_key, api_key: { secret: key }, location: query }",
        ),
        Secrets::new().with("key", "k-123"),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 1);

    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .and(header("cookie", "session=k-123"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let c = connector(
        &spec_with_auth(
            "{ type: api_key, name: session, api_key: { secret: key }, location: cookie }",
        ),
        Secrets::new().with("key", "k-123"),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 1);
}

#[tokio::test]
async fn bearer_and_basic() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer tok-9"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let c = connector(
        &spec_with_auth("{ type: bearer, token: { secret: token } }"),
        Secrets::new().with("token", "tok-9"),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 1);

    let server = MockServer::start().await;
    // base64("user:pa55") = dXNlcjpwYTU1
    Mock::given(path("/items"))
        .and(header("authorization", "Basic dXNlcjpwYTU1"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let c = connector(
        &spec_with_auth("{ type: http_basic, username: user, password: { secret: pw } }"),
        Secrets::new().with("pw", "pa55"),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 1);
}

#[tokio::test]
async fn wrong_api_key_is_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid key"})))
        .expect(1)
        .mount(&server)
        .await;
    let c = connector(
        &spec_with_auth(
            "{ type: api_key, name: api_key, api_key: { secret: key }, location: query }",
        ),
        Secrets::new().with("key", "wrong-key-42"),
        &server.uri(),
    );
    let (_, err) = collect(&c, "items").await;
    let err = err.expect("401").to_string();
    assert!(err.starts_with("resource `items`: GET http://"), "{err}");
    assert!(err.contains("/items failed with status 401"), "{err}");
    assert!(
        err.contains("invalid key") && !err.contains("wrong-key-42"),
        "{err}"
    );
}

/// A token endpoint handing out `t1`, `t2`, ... and counting requests.
fn token_server(count: Arc<AtomicUsize>, expires_in: u64) -> impl Fn(&Request) -> ResponseTemplate {
    move |_req| {
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200)
            .set_body_json(json!({"access_token": format!("t{n}"), "token_type": "bearer", "expires_in": expires_in}))
            .set_delay(Duration::from_millis(50))
    }
}

const OAUTH: &str = "{ type: oauth2, client_id: { secret: id }, client_secret: { secret: secret }, token_url: /oauth/token }";

fn oauth_secrets() -> Secrets {
    Secrets::new()
        .with("id", "cid")
        .with("secret", "csecret-xyz")
}

#[tokio::test]
async fn client_credentials_form_one_token_for_concurrent_streams() {
    let server = MockServer::start().await;
    let count = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_server(count.clone(), 3600))
        .mount(&server)
        .await;
    for p in ["/items", "/others"] {
        Mock::given(path(p))
            .and(header("authorization", "Bearer t1"))
            .respond_with(one_item())
            .mount(&server)
            .await;
    }
    let c = connector(&spec_with_auth(OAUTH), oauth_secrets(), &server.uri());
    let runs: Vec<_> = (0..8)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                records(&c, if i % 2 == 0 { "items" } else { "others" })
                    .await
                    .len()
            })
        })
        .collect();
    for r in runs {
        assert_eq!(r.await.unwrap(), 1);
    }
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "one token request for 8 concurrent streams"
    );
    let token_requests: Vec<Request> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/oauth/token")
        .collect();
    let form = String::from_utf8_lossy(&token_requests[0].body).into_owned();
    assert!(form.contains("grant_type=client_credentials"), "{form}");
    assert!(
        form.contains("client_id=cid") && form.contains("client_secret=csecret-xyz"),
        "{form}"
    );
    assert_eq!(header_of(&token_requests[0], "authorization"), None);
}

#[tokio::test]
async fn client_credentials_with_basic_client_auth() {
    let server = MockServer::start().await;
    let count = Arc::new(AtomicUsize::new(0));
    // base64("cid:csecret-xyz") = Y2lkOmNzZWNyZXQteHl6
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("authorization", "Basic Y2lkOmNzZWNyZXQteHl6"))
        .respond_with(token_server(count.clone(), 3600))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer t1"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let auth = "{ type: oauth2_client_credentials, client_id: { secret: id }, client_secret: { secret: secret }, access_token_url: /oauth/token, client_auth: basic, scopes: [read, write] }";
    let c = connector(&spec_with_auth(auth), oauth_secrets(), &server.uri());
    assert_eq!(records(&c, "items").await.len(), 1);
    let reqs = server.received_requests().await.unwrap();
    let form = String::from_utf8_lossy(&reqs[0].body).into_owned();
    assert!(
        !form.contains("csecret"),
        "secret not in the form with basic client auth: {form}"
    );
    assert!(form.contains("scope=read+write"), "{form}");
}

#[tokio::test]
async fn expired_token_refreshed_once_and_request_replayed() {
    let server = MockServer::start().await;
    let count = Arc::new(AtomicUsize::new(0));
    Mock::given(path("/oauth/token"))
        .respond_with(token_server(count.clone(), 3600))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer t1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer t2"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let c = connector(&spec_with_auth(OAUTH), oauth_secrets(), &server.uri());
    assert_eq!(records(&c, "items").await.len(), 1);
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert_eq!(queries(&server, "/items").await.len(), 2);
}

#[tokio::test]
async fn second_401_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    let count = Arc::new(AtomicUsize::new(0));
    Mock::given(path("/oauth/token"))
        .respond_with(token_server(count.clone(), 3600))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(401).set_body_string("token revoked"))
        .mount(&server)
        .await;
    let c = connector(&spec_with_auth(OAUTH), oauth_secrets(), &server.uri());
    let (_, err) = collect(&c, "items").await;
    let err = err.expect("auth error");
    assert_eq!(err.status(), Some(401));
    let text = err.to_string();
    assert!(
        text.contains("authentication failed: the API answered 401 again after a fresh token"),
        "{text}"
    );
    assert!(text.contains("token revoked"), "{text}");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert_eq!(queries(&server, "/items").await.len(), 2);
}

#[tokio::test]
async fn token_endpoint_refusal_is_a_clear_error() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"})))
        .mount(&server)
        .await;
    let c = connector(&spec_with_auth(OAUTH), oauth_secrets(), &server.uri());
    let (_, err) = collect(&c, "items").await;
    let text = err.expect("error").to_string();
    assert!(text.starts_with("resource `items`: authentication failed: the token endpoint refused the client credentials"), "{text}");
    assert!(
        text.contains("/oauth/token, status 401") && text.contains("invalid_client"),
        "{text}"
    );
    assert!(!text.contains("csecret-xyz"), "{text}");
    assert!(queries(&server, "/items").await.is_empty());
}

#[tokio::test]
async fn refresh_token_grant_uses_rotated_tokens() {
    let server = MockServer::start().await;
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    Mock::given(path("/oauth/token"))
        .respond_with(move |_: &Request| {
            let n = c2.fetch_add(1, Ordering::SeqCst) + 1;
            // expires_in 0: every use needs a fresh token, so rotation is exercised.
            ResponseTemplate::new(200).set_body_json(json!({"access_token": format!("t{n}"), "refresh_token": format!("r{}", n + 1), "expires_in": 0}))
        })
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let auth = "{ type: oauth2, client_id: { secret: id }, client_secret: { secret: secret }, refresh_token: { secret: rt }, token_url: /oauth/token }";
    let c = connector(
        &spec_with_auth(auth),
        oauth_secrets().with("rt", "r1"),
        &server.uri(),
    );
    assert_eq!(records(&c, "items").await.len(), 1);
    assert_eq!(records(&c, "items").await.len(), 1);
    let forms: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/oauth/token")
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(forms.len(), 2);
    assert!(
        forms[0].contains("grant_type=refresh_token") && forms[0].contains("refresh_token=r1"),
        "{}",
        forms[0]
    );
    assert!(forms[1].contains("refresh_token=r2"), "{}", forms[1]);
}

#[tokio::test]
async fn token_url_option_overrides_the_spec() {
    let api = MockServer::start().await;
    let idp = MockServer::start().await;
    let count = Arc::new(AtomicUsize::new(0));
    Mock::given(path("/token"))
        .respond_with(token_server(count.clone(), 3600))
        .mount(&idp)
        .await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer t1"))
        .respond_with(one_item())
        .mount(&api)
        .await;
    let yaml = spec_with_auth("{ type: oauth2, client_id: { secret: id }, client_secret: { secret: secret }, token_url: https://id.example.com/token }");
    let options = common::options(&api.uri()).with_token_url(format!("{}/token", idp.uri()));
    let c =
        connector_runtime::Connector::new(common::spec(&yaml), oauth_secrets(), options).unwrap();
    assert_eq!(records(&c, "items").await.len(), 1);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cross_origin_links_get_no_credentials() {
    let api = MockServer::start().await;
    let other = MockServer::start().await;
    let next = format!("{}/elsewhere?page=2", other.uri());
    Mock::given(path("/items"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": 1}], "next": next})),
        )
        .mount(&api)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": 2}]})))
        .mount(&other)
        .await;
    let yaml = "name: t\nclient:\n  base_url: http://unused\n  headers: { X-Account: { secret: account } }\n  auth: { type: api_key, name: api_key, api_key: { secret: key }, location: query }\nresources:\n  - name: items\n    endpoint: { path: /items, data_selector: data, paginator: json_link }\n";
    let secrets = Secrets::new()
        .with("key", "k-secret-1")
        .with("account", "acct-secret-2");
    let c = connector(yaml, secrets.clone(), &api.uri());
    assert_eq!(records(&c, "items").await.len(), 2);
    let first = &api.received_requests().await.unwrap()[0];
    assert_eq!(
        header_of(first, "x-account").as_deref(),
        Some("acct-secret-2")
    );
    assert_eq!(first.url.query(), Some("api_key=k-secret-1"));
    let foreign = &other.received_requests().await.unwrap()[0];
    let seen = format!("{} {:?}", foreign.url, foreign.headers);
    assert!(
        !seen.contains("k-secret-1") && !seen.contains("acct-secret-2"),
        "{seen}"
    );
    assert_eq!(foreign.url.query(), Some("page=2"));

    // With follow_cross_origin_links: false the link is refused.
    let strict = yaml.replace(
        "  headers:",
        "  follow_cross_origin_links: false\n  headers:",
    );
    let c = connector(&strict, secrets, &api.uri());
    let (got, err) = collect(&c, "items").await;
    assert_eq!(got.len(), 1);
    let err = err.expect("refused").to_string();
    assert!(
        err.contains("points to another origin")
            && err.contains("follow_cross_origin_links is false"),
        "{err}"
    );
    assert_eq!(
        other.received_requests().await.unwrap().len(),
        1,
        "no second request to the other origin"
    );
}

#[tokio::test]
async fn missing_secrets_are_listed_at_once() {
    let yaml = spec_with_auth("{ type: oauth2, client_id: { secret: id }, client_secret: { secret: secret }, token_url: /t }");
    let err = connector_runtime::Connector::new(
        common::spec(&yaml),
        Secrets::new(),
        connector_runtime::Options::new(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "missing secrets: id, secret; set the environment variables T__ID, T__SECRET (or SOURCES__<...>), or add them to [sources.t] in a secrets.toml"
    );
}

#[tokio::test]
async fn token_endpoint_outage_is_retried_then_reported() {
    let server = MockServer::start().await;
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    Mock::given(path("/oauth/token"))
        .respond_with(move |_: &Request| {
            if c2.fetch_add(1, Ordering::SeqCst) == 0 {
                ResponseTemplate::new(503)
            } else {
                ResponseTemplate::new(200).set_body_json(json!({"access_token": "t1"}))
            }
        })
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer t1"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let c = connector(&spec_with_auth(OAUTH), oauth_secrets(), &server.uri());
    assert_eq!(records(&c, "items").await.len(), 1);
    assert_eq!(count.load(Ordering::SeqCst), 2);

    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .expect(3)
        .mount(&server)
        .await;
    let c = connector(&spec_with_auth(OAUTH), oauth_secrets(), &server.uri());
    let text = collect(&c, "items").await.1.expect("down").to_string();
    assert!(
        text.contains("authentication failed: the token endpoint kept failing after 3 attempts"),
        "{text}"
    );
    assert!(
        text.contains("status 502") && text.contains("bad gateway"),
        "{text}"
    );
}

#[tokio::test]
async fn redirects_are_followed_only_within_the_origin() {
    let api = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(path("/old"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/items"))
        .mount(&api)
        .await;
    Mock::given(path("/items"))
        .and(header("X-Api-Key", "k-123"))
        .respond_with(one_item())
        .mount(&api)
        .await;
    let away = format!("{}/steal", other.uri());
    Mock::given(path("/away"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", away.as_str()))
        .mount(&api)
        .await;
    Mock::given(path("/steal"))
        .respond_with(one_item())
        .mount(&other)
        .await;
    let yaml = "name: t\nclient:\n  base_url: http://unused\n  auth: { type: api_key, name: X-Api-Key, api_key: { secret: key } }\nresources:\n  - name: moved\n    endpoint: { path: /old, data_selector: data, paginator: single_page }\n  - name: away\n    endpoint: { path: /away, data_selector: data, paginator: single_page }\n";
    let c = connector(yaml, Secrets::new().with("key", "k-123"), &api.uri());
    assert_eq!(records(&c, "moved").await.len(), 1);
    let err = collect(&c, "away")
        .await
        .1
        .expect("cross-origin redirect refused");
    assert_eq!(err.status(), Some(302));
    assert!(
        other.received_requests().await.unwrap().is_empty(),
        "the key never reaches another origin"
    );
}

#[tokio::test]
async fn dlts_bare_auth_type_reads_its_credential_from_dlts_secret_name() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer from-dlt-secrets"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let yaml = spec_with_auth("bearer");
    let c = connector(
        &yaml,
        Secrets::new().with("credentials__token", "from-dlt-secrets"),
        &server.uri(),
    );
    let (got, err) = collect(&c, "items").await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 1);
    let err = connector_runtime::Connector::new(
        common::spec(&yaml),
        Secrets::new(),
        connector_runtime::Options::new(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("missing secrets: credentials__token; set the environment variables T__CREDENTIALS__TOKEN"),
        "{err}"
    );
}

#[tokio::test]
async fn an_oauth2_access_token_in_the_spec_is_sent_first_then_refreshed_on_401() {
    let server = MockServer::start().await;
    let count = Arc::new(AtomicUsize::new(0));
    Mock::given(path("/oauth/token"))
        .respond_with(token_server(count.clone(), 3600))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer given-first"))
        .respond_with(one_item())
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer given-first"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path("/items"))
        .and(header("authorization", "Bearer t1"))
        .respond_with(one_item())
        .mount(&server)
        .await;
    let auth = "{ type: oauth2_client_credentials, client_id: { secret: id }, client_secret: { secret: secret }, access_token_url: /oauth/token, access_token: { secret: token } }";
    let secrets = oauth_secrets().with("token", "given-first");
    let c = connector(&spec_with_auth(auth), secrets, &server.uri());
    assert_eq!(records(&c, "items").await.len(), 1);
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "the given token is used first"
    );
    // The given token is refused now: one token request, the request replayed.
    assert_eq!(records(&c, "items").await.len(), 1);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}
