//! Fault injection, latency, statistics, live reconfiguration and the incremental mode.

mod common;

use std::time::{Duration, Instant};

use common::{client, message, send};
use connector_demo_server::{data, DemoConfig, DemoServer, Fault, FaultResponse, DEMO_API_KEY};

const RMM: &str = "/rmm/v1/resource";

fn rmm_page(server: &DemoServer, offset: u64) -> reqwest::RequestBuilder {
    client().get(server.url(RMM)).query(&[
        ("offset", offset.to_string()),
        ("limit", "100".to_owned()),
        ("api_key", DEMO_API_KEY.to_owned()),
    ])
}

#[tokio::test]
async fn fail_after_pages_stays_down_until_faults_are_cleared() {
    let server = DemoServer::start(DemoConfig {
        faults: vec![Fault::fail_after(RMM, 2, 503)],
        ..DemoConfig::default()
    })
    .await;
    assert_eq!(send(rmm_page(&server, 0)).await.0, 200);
    assert_eq!(send(rmm_page(&server, 100)).await.0, 200);
    let (status, body) = send(rmm_page(&server, 200)).await;
    assert_eq!(status, 503);
    assert_eq!(message(&body), "injected fault: 503 Service Unavailable");
    assert_eq!(send(rmm_page(&server, 200)).await.0, 503, "sticky");
    server.clear_faults();
    assert_eq!(send(rmm_page(&server, 200)).await.0, 200);
    let stats = server.stats();
    assert_eq!(stats.faults_served, 2);
    let statuses: Vec<u16> = stats.recent_to(RMM).map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 503, 503, 200]);
}

#[tokio::test]
async fn a_status_sequence_is_served_once_then_the_path_recovers() {
    let server = DemoServer::start(DemoConfig::default()).await;
    server.set_faults(vec![Fault::statuses(RMM, &[500, 502, 504])]);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(send(rmm_page(&server, 0)).await.0);
    }
    assert_eq!(statuses, [500, 502, 504, 200]);
    // Other paths are untouched.
    let other = client()
        .get(server.url("/asset_management/members.api"))
        .header("api_key", DEMO_API_KEY);
    assert_eq!(send(other).await.0, 200);
}

#[tokio::test]
async fn a_prefix_fault_and_a_scripted_body() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let body = r#"{"error": "temporarily unavailable", "data": []}"#;
    server.set_faults(vec![Fault::new(
        "/rmm/*",
        vec![FaultResponse::Body {
            status: 200,
            body: body.to_owned(),
        }],
    )]);
    let response = rmm_page(&server, 0).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), body);
}

#[tokio::test]
async fn a_reset_mid_body_fails_the_body_read_once() {
    let server = DemoServer::start(DemoConfig {
        faults: vec![Fault::reset_mid_body(RMM)],
        ..DemoConfig::default()
    })
    .await;
    let response = rmm_page(&server, 0).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.is_err(), "the body is cut off");
    assert_eq!(send(rmm_page(&server, 0)).await.0, 200);
}

#[tokio::test]
async fn latency_delays_each_request_and_in_flight_requests_are_counted() {
    let server = DemoServer::start(DemoConfig {
        latency: Duration::from_millis(300),
        ..DemoConfig::default()
    })
    .await;
    let started = Instant::now();
    let requests = (0..5).map(|_| {
        client()
            .get(server.url("/bench/items"))
            .query(&[("page_size", "1")])
            .send()
    });
    for response in futures_join_all(requests).await {
        assert_eq!(response.unwrap().status(), 200);
    }
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    // Five requests one after another would take 1500 ms; the bound leaves a loaded machine
    // room (a run beside a release build once took 652 ms) while `max_in_flight` below says
    // they overlapped.
    assert!(
        elapsed < Duration::from_millis(1400),
        "concurrent: {elapsed:?}"
    );
    let stats = server.stats();
    assert_eq!(stats.max_in_flight, 5);
    assert_eq!(
        stats.route("/bench/items"),
        connector_demo_server::RouteStats {
            requests: 5,
            max_in_flight: 5
        }
    );
    assert_eq!(stats.route("/bench/parents").max_in_flight, 0);
    server.reset_stats();
    assert_eq!(server.stats().route("/bench/items").requests, 0);
    assert_eq!(server.stats().max_in_flight, 0);
    assert_eq!(server.stats().total_requests, 0);
}

/// Runs futures concurrently on spawned tasks.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

#[tokio::test]
async fn recent_requests_keep_query_headers_and_status() {
    let server = DemoServer::start(DemoConfig {
        recent_requests: 2,
        ..DemoConfig::default()
    })
    .await;
    send(rmm_page(&server, 0)).await;
    send(rmm_page(&server, 100)).await;
    let request = client()
        .get(server.url("/asset_management/assets.api?page=1&limit=25"))
        .header("api_key", DEMO_API_KEY)
        .header("X-Trace", "abc");
    send(request).await;
    let stats = server.stats();
    assert_eq!(stats.recent.len(), 2, "only the last two are kept");
    assert_eq!(stats.total_requests, 3);
    let last = stats.last_request("/asset_management/assets.api").unwrap();
    assert_eq!(last.method, "GET");
    assert_eq!(last.query, "page=1&limit=25");
    assert_eq!(last.param("page").as_deref(), Some("1"));
    assert_eq!(last.header("X-TRACE"), Some("abc"));
    assert_eq!(last.header("api_key"), Some(DEMO_API_KEY));
    assert_eq!(last.status, 200);
    assert_eq!(stats.params(RMM, "offset"), ["100"]);
    assert_eq!(stats.requests(RMM), 2);
    assert_eq!(stats.requests_under("/rmm"), 2);
}

#[tokio::test]
async fn updated_since_selects_new_and_revised_records() {
    let server = DemoServer::start(DemoConfig {
        rmm_resources: 100,
        ..DemoConfig::default()
    })
    .await;
    let since = data::updated_at(100, 0);
    let request = rmm_page(&server, 0).query(&[("updated_since", since.as_str())]);
    let (_, body) = send(request).await;
    assert_eq!(
        body["total"], 1,
        "only the last record is at or after its own time"
    );

    // Ten new records and a revision that changes every 4th record.
    server.configure(|c| {
        c.rmm_resources = 110;
        c.revision = 1;
    });
    let request = rmm_page(&server, 0).query(&[("updated_since", since.as_str())]);
    let (_, body) = send(request).await;
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut expected: Vec<String> = (1..=110)
        .filter(|i| i % 4 == 0 || *i >= 100)
        .map(|i| format!("res-{i}"))
        .collect();
    expected.dedup();
    assert_eq!(ids, expected);
    assert_eq!(body["data"][0]["name"], "Device 4 (rev 1)");

    let request = rmm_page(&server, 0).query(&[
        ("updated_since", "2024-01-01T00:00:00Z"),
        ("updated_until", "2024-01-01T00:03:00Z"),
    ]);
    let (_, body) = send(request).await;
    assert_eq!(body["total"], 2, "the window is [since, until)");

    let request = rmm_page(&server, 0).query(&[("updated_since", "yesterday")]);
    let (status, body) = send(request).await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&body),
        "query parameter `updated_since` must be an RFC 3339 timestamp like \
         2024-01-01T00:00:00Z, got `yesterday`"
    );
}

#[tokio::test]
async fn unknown_paths_say_so() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let (status, body) = send(client().get(server.url("/rmm/v2/resource"))).await;
    assert_eq!(status, 404);
    assert_eq!(server.stats().route("(no route)").requests, 1);
    assert_eq!(
        message(&body),
        "no route for GET /rmm/v2/resource: see the connector-demo-server docs for the URL layout"
    );
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let url = server.url("/bench/items");
    assert_eq!(send(client().get(&url)).await.0, 200);
    server.shutdown().await;
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
}

#[test]
fn a_server_on_its_own_thread_serves_synchronous_callers() {
    let server = DemoServer::start_in_thread(DemoConfig {
        bench_records: 3,
        ..DemoConfig::default()
    });
    let url = server.url("/bench/items");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, body) = runtime.block_on(send(client().get(&url)));
    assert_eq!(status, 200);
    assert_eq!(body["items"].as_array().unwrap().len(), 3);
    drop(server);
    // The server stops in the background; poll until connections are refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let refused = runtime
            .block_on(reqwest::Client::new().get(&url).send())
            .is_err();
        if refused {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server still answers after drop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
