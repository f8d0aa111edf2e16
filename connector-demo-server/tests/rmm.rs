//! Seed 001: API key in the query string, offset/limit paging with a record total.

mod common;

use common::{client, message, send};
use connector_demo_server::{data, DemoConfig, DemoServer, DEMO_API_KEY};

const PATH: &str = "/rmm/v1/resource";

#[tokio::test]
async fn offset_pages_until_total() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let mut records = Vec::new();
    let mut offset = 0;
    loop {
        let request = client().get(server.url(PATH)).query(&[
            ("offset", offset.to_string().as_str()),
            ("limit", "100"),
            ("api_key", DEMO_API_KEY),
        ]);
        let (status, body) = send(request).await;
        assert_eq!(status, 200);
        assert_eq!(body["total"], 250);
        records.extend(body["data"].as_array().unwrap().iter().cloned());
        offset += 100;
        if offset >= body["total"].as_u64().unwrap() {
            break;
        }
    }
    assert_eq!(records.len(), 250);
    assert_eq!(records[0], data::rmm_resource(1, 0));
    assert_eq!(records[249]["id"], "res-250");
    assert!(records[9]["status"].is_null(), "every 10th status is null");
    assert_eq!(records[0]["site"]["name"], "Site 2");
    assert_eq!(
        server.stats().params(PATH, "offset"),
        ["0", "100", "200"],
        "the server saw three pages"
    );
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_rejected() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let (status, body) = send(client().get(server.url(PATH))).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "missing_api_key");
    assert_eq!(message(&body), "no api_key query parameter");

    let (status, body) = send(client().get(server.url(PATH)).query(&[("api_key", "x")])).await;
    assert_eq!(status, 401);
    assert_eq!(message(&body), "the api_key query parameter is not valid");

    // The key in a header does not count for this API.
    let request = client()
        .get(server.url(PATH))
        .header("api_key", DEMO_API_KEY);
    let (status, _) = send(request).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_offset_past_the_end_is_an_empty_page() {
    let server = DemoServer::start(DemoConfig {
        rmm_resources: 5,
        ..DemoConfig::default()
    })
    .await;
    let request = client()
        .get(server.url(PATH))
        .query(&[("offset", "5"), ("api_key", DEMO_API_KEY)]);
    let (status, body) = send(request).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 0);
    assert_eq!(body["total"], 5);
}
