//! Seed 003: OAuth2 refresh-token grant, Account-Id header, cursor in links.next.

mod common;

use common::{client, message, refresh_token, send};
use connector_demo_server::{
    data, DemoConfig, DemoServer, Seed, DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
};
use serde_json::Value;

async fn fetch_all(server: &DemoServer, token: &str, path: &str, key: &str) -> (Vec<Value>, u64) {
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    let mut requests = 0;
    loop {
        let mut request = client()
            .get(server.url(path))
            .bearer_auth(token)
            .header("Account-Id", DEMO_ACCOUNT_ID)
            .query(&[("per_page", "50")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("next", cursor)]);
        }
        let (status, body) = send(request).await;
        requests += 1;
        assert_eq!(status, 200, "{body}");
        records.extend(body[key].as_array().unwrap().iter().cloned());
        match body["links"].get("next") {
            Some(Value::String(next)) => {
                assert_ne!(Some(next), cursor.as_ref(), "cursors never repeat");
                cursor = Some(next.clone());
            }
            Some(other) => panic!("links.next is a string when present, got {other}"),
            None => break,
        }
    }
    (records, requests)
}

#[tokio::test]
async fn clients_and_contacts_follow_links_next_until_it_is_absent() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let token = refresh_token(&server).await;

    let (clients, requests) =
        fetch_all(&server, &token, "/crm_analytics/v1/clients", "clients").await;
    assert_eq!((clients.len(), requests), (120, 3));
    assert_eq!(clients[0], data::crm_client(1, 0));
    assert_eq!(clients[119]["id"], "client-0120");

    let (contacts, requests) =
        fetch_all(&server, &token, "/crm_analytics/v1/contacts", "contacts").await;
    assert_eq!((contacts.len(), requests), (130, 3));
    assert_eq!(contacts[6]["client_id"], "client-0007");
    assert!(
        contacts[5]["client_id"].is_null(),
        "every 6th contact has no client"
    );
    assert_eq!(
        server
            .stats()
            .params("/crm_analytics/v1/clients", "per_page"),
        ["50", "50", "50"]
    );
}

#[tokio::test]
async fn a_page_size_that_divides_the_total_ends_without_an_empty_page() {
    let server = DemoServer::start(DemoConfig {
        crm_clients: 100,
        ..DemoConfig::default()
    })
    .await;
    let token = refresh_token(&server).await;
    let (clients, requests) =
        fetch_all(&server, &token, "/crm_analytics/v1/clients", "clients").await;
    assert_eq!((clients.len(), requests), (100, 2));
}

#[tokio::test]
async fn company_is_one_object_under_data() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let token = refresh_token(&server).await;
    let request = client()
        .get(server.url("/crm_analytics/v1/company"))
        .bearer_auth(&token)
        .header("Account-Id", DEMO_ACCOUNT_ID);
    let (status, body) = send(request).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], data::crm_company(DEMO_ACCOUNT_ID));
    assert_eq!(body["data"]["id"], "company-0001");
}

#[tokio::test]
async fn the_account_id_header_is_required() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let token = refresh_token(&server).await;
    let url = server.url("/crm_analytics/v1/clients");
    let (status, body) = send(client().get(&url).bearer_auth(&token)).await;
    assert_eq!(status, 403);
    assert_eq!(message(&body), "the Account-Id header is required");
    let request = client()
        .get(&url)
        .bearer_auth(&token)
        .header("Account-Id", "other");
    let (status, body) = send(request).await;
    assert_eq!(status, 403);
    assert_eq!(message(&body), "the token has no access to this Account-Id");
    let request = client().get(&url).header("Account-Id", DEMO_ACCOUNT_ID);
    let (status, _) = send(request).await;
    assert_eq!(status, 401, "no token");
}

#[tokio::test]
async fn the_refresh_grant_checks_the_refresh_token_and_the_client() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let url = server.token_url(Seed::CrmAnalytics).unwrap();
    assert!(url.ends_with("/crm_analytics/api/v2/oauth2/token"));
    let bad_refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "revoked"),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
    ];
    let (status, body) = send(client().post(&url).form(&bad_refresh)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        message(&body),
        "the refresh_token is missing, unknown or revoked"
    );

    let client_credentials = [
        ("grant_type", "client_credentials"),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
    ];
    let (status, body) = send(client().post(&url).form(&client_credentials)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn a_forged_cursor_is_a_client_error() {
    let server = DemoServer::start(DemoConfig::default()).await;
    let token = refresh_token(&server).await;
    let request = client()
        .get(server.url("/crm_analytics/v1/clients"))
        .bearer_auth(&token)
        .header("Account-Id", DEMO_ACCOUNT_ID)
        .query(&[("next", "not-a-cursor")]);
    let (status, body) = send(request).await;
    assert_eq!(status, 400);
    assert_eq!(message(&body), "invalid cursor `not-a-cursor` for clients");
}
