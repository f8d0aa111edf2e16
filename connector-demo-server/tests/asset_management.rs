//! Seed 002: API key header, page numbers with 25 per page, no total, integer ids.

mod common;

use common::{client, message, send};
use connector_demo_server::{data, DemoConfig, DemoServer, Fault, DEMO_API_KEY};
use serde_json::Value;

/// Pages until the first empty page, as the spec's paginator does; returns records and requests.
async fn fetch_all(server: &DemoServer, path: &str, key: &str) -> (Vec<Value>, u64) {
    let mut records = Vec::new();
    let mut requests = 0;
    for page in 0.. {
        let request = client()
            .get(server.url(path))
            .header("api_key", DEMO_API_KEY)
            .query(&[("page", page), ("limit", 25)]);
        let (status, body) = send(request).await;
        requests += 1;
        assert_eq!(status, 200, "{path} page {page}: {body}");
        assert!(body.get("total").is_none(), "like the seed, no total");
        let page_records = body[key].as_array().unwrap();
        if page_records.is_empty() {
            break;
        }
        assert!(page_records.len() <= 25);
        records.extend(page_records.iter().cloned());
    }
    (records, requests)
}

#[tokio::test]
async fn three_resources_page_until_an_empty_page() {
    let server = DemoServer::start(DemoConfig::default()).await;

    let (inventories, requests) =
        fetch_all(&server, "/asset_management/inventory.api", "assets").await;
    assert_eq!((inventories.len(), requests), (60, 4));
    assert_eq!(inventories[0], data::inventory(1, 0));

    let (assets, requests) = fetch_all(&server, "/asset_management/assets.api", "assets").await;
    assert_eq!((assets.len(), requests), (110, 6));
    assert_eq!(
        assets[8]["name"],
        Value::Null,
        "every 9th asset has no name"
    );
    assert_eq!(
        assets[60]["inventory_id"], 1,
        "asset 61 wraps to inventory 1 of 60"
    );

    let (members, requests) = fetch_all(&server, "/asset_management/members.api", "members").await;
    assert_eq!((members.len(), requests), (35, 3));
    assert!(members.iter().all(|m| m["id"].is_u64()), "ids are integers");
    let ids: Vec<u64> = members.iter().map(|m| m["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=35).collect::<Vec<_>>());
}

#[tokio::test]
async fn the_key_must_be_in_the_api_key_header() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let url = server.url("/asset_management/assets.api");
    let (status, body) = send(client().get(&url)).await;
    assert_eq!(status, 401);
    assert_eq!(message(&body), "no api_key header");
    let (status, body) = send(client().get(&url).header("api_key", "stolen")).await;
    assert_eq!(status, 401);
    assert_eq!(message(&body), "the api_key header is not valid");
    let (status, _) = send(client().get(&url).query(&[("api_key", DEMO_API_KEY)])).await;
    assert_eq!(status, 401, "a query parameter is not the header");
}

#[tokio::test]
async fn a_configured_429_carries_retry_after_then_recovers() {
    let path = "/asset_management/assets.api";
    let server = DemoServer::start(DemoConfig {
        faults: vec![Fault::rate_limited(path, "2").after(1)],
        ..DemoConfig::default()
    })
    .await;
    let get = || {
        client()
            .get(server.url(path))
            .header("api_key", DEMO_API_KEY)
    };
    assert_eq!(get().send().await.unwrap().status(), 200);
    let throttled = get().send().await.unwrap();
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["retry-after"], "2");
    assert_eq!(get().send().await.unwrap().status(), 200);
    let stats = server.stats();
    assert_eq!(stats.faults_served, 1);
    assert_eq!(stats.requests(path), 3);
}
