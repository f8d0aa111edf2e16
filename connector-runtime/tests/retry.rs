//! Retries, Retry-After, response actions, connection failures and the rate limit, against
//! local servers. Waits are scaled down through `Options::retry_delay_scale`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::{collect, queries};
use connector_runtime::futures::TryStreamExt;
use connector_runtime::{Connector, Options, RunOptions, Secrets};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn spec(endpoint_extra: &str) -> String {
    format!(
        "name: t\nclient: {{ base_url: http://unused }}\nresources:\n  - name: items\n    endpoint:\n      path: /items\n      data_selector: data\n      paginator: single_page\n{endpoint_extra}"
    )
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": 1}, {"id": 2}]}))
}

/// Responds with `first` for the first `n` requests, then with `then`.
fn sequence(
    responses: Vec<ResponseTemplate>,
    then: ResponseTemplate,
) -> impl Fn(&Request) -> ResponseTemplate {
    let count = AtomicUsize::new(0);
    move |_| {
        let i = count.fetch_add(1, Ordering::SeqCst);
        responses.get(i).cloned().unwrap_or_else(|| then.clone())
    }
}

fn connector_scaled(yaml: &str, base: &str, scale: f64) -> Connector {
    Connector::new(
        common::spec(yaml),
        Secrets::new(),
        Options::new()
            .with_base_url(base)
            .with_retry_delay_scale(scale),
    )
    .unwrap()
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(sequence(
            vec![ResponseTemplate::new(429).insert_header("Retry-After", "5")],
            ok(),
        ))
        .mount(&server)
        .await;
    // backoff 0.001 s; Retry-After 5 s scaled by 0.01 => 50 ms.
    let c = connector_scaled(
        &spec("      error_handler: { backoff_factor: 0.001 }\n"),
        &server.uri(),
        0.01,
    );
    let started = Instant::now();
    let mut stream = c.stream("items", RunOptions::default());
    let stats = stream.stats();
    let mut n = 0;
    while stream.try_next().await.unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 2);
    assert!(
        started.elapsed() >= Duration::from_millis(45),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (
            stats.requests(),
            stats.retries(),
            stats.pages(),
            stats.records()
        ),
        (2, 1, 1, 2)
    );
}

#[tokio::test]
async fn retry_after_zero_waits_the_backoff_floor() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(sequence(
            vec![ResponseTemplate::new(429).insert_header("Retry-After", "0")],
            ok(),
        ))
        .mount(&server)
        .await;
    // backoff floor 2 s scaled by 0.02 => 40 ms, although Retry-After says 0.
    let c = connector_scaled(
        &spec("      error_handler: { backoff_factor: 2 }\n"),
        &server.uri(),
        0.02,
    );
    let started = Instant::now();
    let (got, err) = collect(&c, "items").await;
    assert!(err.is_none() && got.len() == 2);
    assert!(
        started.elapsed() >= Duration::from_millis(38),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_http_date_and_min_wait() {
    let server = MockServer::start().await;
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
    Mock::given(path("/items"))
        .respond_with(sequence(
            vec![ResponseTemplate::new(429).insert_header("Retry-After", date.as_str())],
            ok(),
        ))
        .mount(&server)
        .await;
    let c = connector_scaled(
        &spec("      error_handler: { backoff_factor: 0.001 }\n"),
        &server.uri(),
        0.02,
    );
    let started = Instant::now();
    let (got, err) = collect(&c, "items").await;
    assert!(err.is_none() && got.len() == 2);
    // 2-3 s (the date has one-second resolution) scaled by 0.02.
    assert!(
        started.elapsed() >= Duration::from_millis(35),
        "{:?}",
        started.elapsed()
    );

    // retry_after_min_wait lifts a short Retry-After: 60 s * 0.001 = 60 ms.
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(sequence(
            vec![ResponseTemplate::new(429).insert_header("Retry-After", "1")],
            ok(),
        ))
        .mount(&server)
        .await;
    let c = connector_scaled(
        &spec("      error_handler: { backoff_factor: 0.001, retry_after_min_wait: 60 }\n"),
        &server.uri(),
        0.001,
    );
    let started = Instant::now();
    assert_eq!(collect(&c, "items").await.0.len(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(58),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn server_errors_that_recover() {
    let server = MockServer::start().await;
    let errors = [500, 502, 503, 504].map(ResponseTemplate::new).to_vec();
    Mock::given(path("/items"))
        .respond_with(sequence(errors, ok()))
        .mount(&server)
        .await;
    let c = common::connector(&spec(""), Secrets::new(), &server.uri());
    let mut stream = c.stream("items", RunOptions::default());
    let stats = stream.stats();
    let mut n = 0;
    while stream.try_next().await.unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 2);
    assert_eq!((stats.requests(), stats.retries()), (5, 4));
}

#[tokio::test]
async fn exhausted_retries_name_everything() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream down"))
        .mount(&server)
        .await;
    let c = common::connector(
        &spec("      params: { q: x }\n      error_handler: { max_retries: 2 }\n"),
        Secrets::new(),
        &server.uri(),
    );
    let (_, err) = collect(&c, "items").await;
    let err = err.expect("exhausted");
    assert_eq!(
        err.to_string(),
        format!("resource `items`: GET {}/items?q=x failed with status 503 after 3 attempts; body: upstream down", server.uri())
    );
    assert_eq!(queries(&server, "/items").await.len(), 3);
}

#[tokio::test]
async fn client_error_fails_at_once() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"message": "bad filter"})))
        .mount(&server)
        .await;
    let c = common::connector(&spec(""), Secrets::new(), &server.uri());
    let (_, err) = collect(&c, "items").await;
    let err = err.expect("400");
    assert_eq!(err.status(), Some(400));
    assert_eq!(
        err.to_string(),
        format!("resource `items`: GET {}/items failed with status 400; body: {{\"message\":\"bad filter\"}}", server.uri())
    );
    assert_eq!(queries(&server, "/items").await.len(), 1);
}

#[tokio::test]
async fn response_actions_ignore_retry_and_fail() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let c = common::connector(
        &spec("      response_actions:\n        - { status_code: 404, action: ignore }\n"),
        Secrets::new(),
        &server.uri(),
    );
    let (got, err) = collect(&c, "items").await;
    assert!(got.is_empty() && err.is_none(), "{err:?}");

    // A 200 that carries an error is retried when its body matches.
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(sequence(
            vec![ResponseTemplate::new(200).set_body_json(json!({"error": "busy, try later"}))],
            ok(),
        ))
        .mount(&server)
        .await;
    let c = common::connector(
        &spec("      response_actions:\n        - { status_code: 200, content: try later, action: retry }\n"),
        Secrets::new(),
        &server.uri(),
    );
    assert_eq!(common::records(&c, "items").await.len(), 2);
    assert_eq!(queries(&server, "/items").await.len(), 2);

    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_string("maintenance window"))
        .mount(&server)
        .await;
    let c = common::connector(
        &spec("      response_actions:\n        - { content: maintenance, action: fail }\n"),
        Secrets::new(),
        &server.uri(),
    );
    let err = collect(&c, "items")
        .await
        .1
        .expect("fail action")
        .to_string();
    assert!(
        err.contains("failed with status 200; body: maintenance window"),
        "{err}"
    );
}

/// A raw TCP server: the first connection gets headers announcing 100 bytes and only a few,
/// then a reset; later connections get a full response.
async fn flaky_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                if n == 0 {
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"data\": [")
                        .await;
                    let _ = socket.flush().await;
                    // Dropping the socket mid-body.
                } else {
                    let body = r#"{"data": [{"id": 1}]}"#;
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                }
            });
        }
    });
    (base, connections)
}

#[tokio::test]
async fn connection_reset_mid_body_is_retried() {
    let (base, connections) = flaky_server().await;
    let c = common::connector(&spec(""), Secrets::new(), &base);
    assert_eq!(common::records(&c, "items").await.len(), 1);
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refused_connection_gives_up_with_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = common::connector(
        &spec("      error_handler: { max_retries: 1 }\n"),
        Secrets::new(),
        &base,
    );
    let err = collect(&c, "items").await.1.expect("refused").to_string();
    assert!(
        err.starts_with(&format!(
            "resource `items`: GET {base}/items: could not connect"
        )),
        "{err}"
    );
    assert!(
        err.ends_with("after 2 attempts; is the API running there? Check `base_url` in the spec, or `--base-url`"),
        "{err}"
    );
}

#[tokio::test]
async fn timeouts_are_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(sequence(
            vec![ok().set_delay(Duration::from_millis(800))],
            ok(),
        ))
        .mount(&server)
        .await;
    let c = Connector::new(
        common::spec(&spec("")),
        Secrets::new(),
        common::options(&server.uri()).with_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    assert_eq!(common::records(&c, "items").await.len(), 2);
    assert_eq!(queries(&server, "/items").await.len(), 2);
}

#[tokio::test]
async fn rate_limit_spaces_requests() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(|req: &Request| {
            let page: u64 = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let data = if page < 5 {
                json!([{"id": page}])
            } else {
                json!([])
            };
            ResponseTemplate::new(200).set_body_json(json!({ "data": data }))
        })
        .mount(&server)
        .await;
    let yaml = "name: t\nclient:\n  base_url: http://unused\n  rate_limit: { requests_per_second: 20 }\nresources:\n  - name: items\n    endpoint: { path: /items, data_selector: data, paginator: page_number }\n";
    let c = common::connector(yaml, Secrets::new(), &server.uri());
    let started = Instant::now();
    assert_eq!(common::records(&c, "items").await.len(), 5);
    // Six requests at 20/s: at least five 50 ms gaps.
    assert!(
        started.elapsed() >= Duration::from_millis(240),
        "{:?}",
        started.elapsed()
    );
}
