//! Seed 000: OAuth2 client credentials and page numbers from 0.

mod common;

use std::time::Duration;

use common::{client, client_credentials_token, message, send};
use connector_demo_server::{data, DemoConfig, DemoServer, Seed, DEMO_CLIENT_ID};
use serde_json::Value;

const PATH: &str = "/device_inventory/api/v1/computers-inventory";

#[tokio::test]
async fn pages_from_zero_carry_the_page_count_as_total() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let token = client_credentials_token(&server, Seed::DeviceInventory).await;
    let mut ids = Vec::new();
    for page in 0..3 {
        let request = client()
            .get(server.url(PATH))
            .bearer_auth(&token)
            .query(&[("page", page), ("limit", 100)]);
        let (status, body) = send(request).await;
        assert_eq!(status, 200);
        assert_eq!(body["total"], 3, "total is the number of pages");
        assert_eq!(body["totalCount"], 250);
        let results = body["results"].as_array().unwrap();
        assert_eq!(results.len(), if page < 2 { 100 } else { 50 });
        ids.extend(results.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
    }
    let expected: Vec<String> = (1..=250).map(|i: u64| i.to_string()).collect();
    assert_eq!(ids, expected);

    // A page past the end is empty, so stop_after_empty_page also ends the run.
    let request = client()
        .get(server.url(PATH))
        .bearer_auth(&token)
        .query(&[("page", 3), ("limit", 100)]);
    let (_, body) = send(request).await;
    assert_eq!(body["results"], Value::Array(vec![]));
    assert_eq!(server.stats().requests(PATH), 4);
    assert_eq!(server.stats().token_requests, 1);
}

#[tokio::test]
async fn records_are_deterministic_with_nulls_where_documented() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let token = client_credentials_token(&server, Seed::DeviceInventory).await;
    let request = client()
        .get(server.url(PATH))
        .bearer_auth(&token)
        .query(&[("page", "0"), ("limit", "15")]);
    let (_, body) = send(request).await;
    let results = body["results"].as_array().unwrap();
    for (n, record) in results.iter().enumerate() {
        let i = n as u64 + 1;
        assert_eq!(record, &data::computer(i, 0));
        assert_eq!(record["name"].is_null(), i % 3 == 0, "computer {i}");
        assert_eq!(record["capableUsers"].is_null(), i % 5 == 0, "computer {i}");
        assert_eq!(record["lastContactTime"].is_null(), i % 7 == 0);
        assert_eq!(record["managementId"].is_null(), i % 4 == 0);
        assert!(record["udid"].is_string(), "an undeclared field is served");
    }
    assert_eq!(results[0]["capableUsers"], serde_json::json!(["user1-0"]));
    assert_eq!(results[0]["lastContactTime"], "2024-01-01T01:00:00Z");
}

#[tokio::test]
async fn data_requests_need_a_live_token_for_this_api() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let (status, body) = send(client().get(server.url(PATH))).await;
    assert_eq!(status, 401);
    assert_eq!(message(&body), "missing Authorization: Bearer header");

    let (status, body) = send(client().get(server.url(PATH)).bearer_auth("forged")).await;
    assert_eq!(status, 401);
    assert_eq!(message(&body), "the access token is unknown or expired");

    // A token of another API is not accepted here.
    let meetings_token = client_credentials_token(&server, Seed::Meetings).await;
    let (status, _) = send(client().get(server.url(PATH)).bearer_auth(&meetings_token)).await;
    assert_eq!(status, 401);

    let token = client_credentials_token(&server, Seed::DeviceInventory).await;
    let (status, _) = send(client().get(server.url(PATH)).bearer_auth(&token)).await;
    assert_eq!(status, 200);
    server.expire_tokens();
    let response = client()
        .get(server.url(PATH))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
}

#[tokio::test]
async fn tokens_expire_after_the_configured_lifetime() {
    let config = DemoConfig {
        token_lifetime: Duration::from_millis(1500),
        ..DemoConfig::default()
    };
    let server = DemoServer::start(config).await;
    let url = server.token_url(Seed::DeviceInventory).unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", connector_demo_server::DEMO_CLIENT_SECRET),
    ];
    let (status, body) = send(client().post(url).form(&form)).await;
    assert_eq!(status, 200);
    assert_eq!(body["expires_in"], 1);
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap();
    let (status, _) = send(client().get(server.url(PATH)).bearer_auth(token)).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let (status, _) = send(client().get(server.url(PATH)).bearer_auth(token)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn token_endpoint_rejects_bad_requests_with_oauth_errors() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let url = server.token_url(Seed::DeviceInventory).unwrap();

    let wrong_secret = [
        ("grant_type", "client_credentials"),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", "nope"),
    ];
    let (status, body) = send(client().post(&url).form(&wrong_secret)).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(message(&body), "unknown client_id or wrong client_secret");

    let wrong_grant = [("grant_type", "password")];
    let (status, body) = send(client().post(&url).form(&wrong_grant)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");
    assert_eq!(
        message(&body),
        "grant_type `password` is not supported here; use `client_credentials`"
    );

    let (status, body) = send(client().post(&url).body("")).await;
    assert_eq!(status, 400);
    assert_eq!(message(&body), "the form body has no grant_type");

    // HTTP basic client authentication works as well as the form body.
    let basic = client()
        .post(&url)
        .basic_auth(
            DEMO_CLIENT_ID,
            Some(connector_demo_server::DEMO_CLIENT_SECRET),
        )
        .form(&[("grant_type", "client_credentials")]);
    let (status, body) = send(basic).await;
    assert_eq!(status, 200);
    assert!(body["access_token"].is_string());
    assert_eq!(server.stats().token_requests, 4);
}

#[tokio::test]
async fn bad_paging_parameters_are_client_errors() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let token = client_credentials_token(&server, Seed::DeviceInventory).await;
    let request = client()
        .get(server.url(PATH))
        .bearer_auth(&token)
        .query(&[("page", "first")]);
    let (status, body) = send(request).await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&body),
        "query parameter `page` must be a non-negative integer, got `first`"
    );
    let request = client()
        .get(server.url(PATH))
        .bearer_auth(&token)
        .query(&[("limit", "0")]);
    let (status, body) = send(request).await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&body),
        "query parameter `limit` must be between 1 and 2000, got 0"
    );
}
