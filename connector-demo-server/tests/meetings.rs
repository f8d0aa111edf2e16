//! Seed 004: OAuth2 client credentials, next_page_token cursor, meetings per user.

mod common;

use common::{client, client_credentials_token, message, send};
use connector_demo_server::{data, DemoConfig, DemoServer, Seed};
use serde_json::Value;

async fn all_users(server: &DemoServer, token: &str) -> (Vec<Value>, Vec<Value>) {
    let mut users = Vec::new();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client()
            .get(server.url("/meetings/v1/users"))
            .bearer_auth(token)
            .query(&[("limit", "30")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("next_page_token", cursor)]);
        }
        let (status, body) = send(request).await;
        assert_eq!(status, 200, "{body}");
        users.extend(body["users"].as_array().unwrap().iter().cloned());
        cursor = body
            .get("next_page_token")
            .map(|t| t.as_str().unwrap().to_owned())
            .filter(|t| !t.is_empty());
        pages.push(body);
        if cursor.is_none() {
            return (users, pages);
        }
    }
}

#[tokio::test]
async fn users_page_by_next_page_token_which_is_absent_on_the_last_page() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let token = client_credentials_token(&server, Seed::Meetings).await;
    let (users, pages) = all_users(&server, &token).await;
    assert_eq!(users.len(), 70);
    assert_eq!(pages.len(), 3);
    assert!(pages[2].get("next_page_token").is_none());
    assert_eq!(users[0], data::user(1, 0));
    assert_eq!(users[69]["id"], "user-0070");
    for user in &users {
        for column in [
            "id",
            "email",
            "first_name",
            "last_name",
            "status",
            "created_at",
        ] {
            assert!(user[column].is_string(), "{column} of {user}");
        }
    }
}

#[tokio::test]
async fn each_user_has_a_deterministic_number_of_meetings() {
    let config = DemoConfig::default();
    let expected_total = config.total_meetings();
    let server = DemoServer::start(config).await;
    let token = client_credentials_token(&server, Seed::Meetings).await;
    let (users, _) = all_users(&server, &token).await;
    let mut total = 0;
    for (n, user) in users.iter().enumerate() {
        let i = n as u64 + 1;
        let id = user["id"].as_str().unwrap();
        let request = client()
            .get(server.url(&format!("/meetings/v1/meetings/{id}")))
            .bearer_auth(&token);
        let (status, body) = send(request).await;
        assert_eq!(status, 200);
        let meetings = body["meetings"].as_array().unwrap();
        assert_eq!(meetings.len() as u64, data::meetings_of_user(i));
        for (k, meeting) in meetings.iter().enumerate() {
            assert_eq!(meeting, &data::meeting(i, k as u64 + 1));
            assert!(meeting["id"].is_u64() && meeting["duration"].is_u64());
        }
        total += meetings.len() as u64;
    }
    assert_eq!(total, expected_total);
    assert_eq!(total, 105);
    let stats = server.stats();
    assert_eq!(stats.requests_under("/meetings/v1/meetings/"), 70);
    let route = stats.route("/meetings/v1/meetings/{user_id}");
    assert_eq!(route.requests, 70);
    assert_eq!(route.max_in_flight, 1, "one at a time");
    assert_eq!(stats.route("/meetings/v1/users").requests, 3);
}

#[tokio::test]
async fn a_configured_user_and_unknown_users_are_not_found() {
    let server = DemoServer::start(DemoConfig {
        missing_meetings_user: Some("user-0005".into()),
        ..DemoConfig::default()
    })
    .await;
    let token = client_credentials_token(&server, Seed::Meetings).await;
    for id in ["user-0005", "user-0071", "nobody"] {
        let request = client()
            .get(server.url(&format!("/meetings/v1/meetings/{id}")))
            .bearer_auth(&token);
        let (status, body) = send(request).await;
        assert_eq!(status, 404, "{id}");
        assert_eq!(message(&body), format!("user `{id}` does not exist"));
    }
    let request = client()
        .get(server.url("/meetings/v1/meetings/user-0006"))
        .bearer_auth(&token);
    assert_eq!(send(request).await.0, 200);
}

#[tokio::test]
async fn meetings_need_a_token() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let (status, _) = send(client().get(server.url("/meetings/v1/meetings/user-0001"))).await;
    assert_eq!(status, 401);
    let (status, _) = send(client().get(server.url("/meetings/v1/users"))).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_last_page_can_carry_an_empty_token_instead() {
    let server = DemoServer::start(DemoConfig {
        empty_last_page_token: true,
        ..DemoConfig::default()
    })
    .await;
    let token = client_credentials_token(&server, Seed::Meetings).await;
    let (users, pages) = all_users(&server, &token).await;
    assert_eq!(users.len(), 70);
    assert_eq!(pages[2]["next_page_token"], "");
    assert_ne!(pages[1]["next_page_token"], "");
}
