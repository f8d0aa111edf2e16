//! Helpers shared by the integration tests: a client, token requests, JSON GETs.

#![allow(dead_code)] // each test file uses a different subset

use connector_demo_server::{
    DemoServer, Seed, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN,
};
use serde_json::Value;

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// A client-credentials token for `seed` (device_inventory or meetings).
pub async fn client_credentials_token(server: &DemoServer, seed: Seed) -> String {
    let url = server.token_url(seed).expect("seed has a token endpoint");
    let response = client()
        .post(url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", DEMO_CLIENT_ID),
            ("client_secret", DEMO_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// A refresh-token grant token for crm_analytics.
pub async fn refresh_token(server: &DemoServer) -> String {
    let url = server.token_url(Seed::CrmAnalytics).unwrap();
    let response = client()
        .post(url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", DEMO_REFRESH_TOKEN),
            ("client_id", DEMO_CLIENT_ID),
            ("client_secret", DEMO_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Status and JSON body of a request.
pub async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"));
    (status, body)
}

/// The `message` of an error body.
pub fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}
