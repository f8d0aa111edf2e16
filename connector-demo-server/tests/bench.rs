//! The bench API: page-number and offset modes, parents and children.

mod common;

use common::{client, message, send};
use connector_demo_server::{data, DemoConfig, DemoServer};

fn config(records: u64) -> DemoConfig {
    DemoConfig {
        bench_records: records,
        bench_parents: 7,
        bench_children_per_parent: 3,
        ..DemoConfig::default()
    }
}

#[tokio::test]
async fn page_mode_reports_pages_as_total_and_serves_every_record_once() {
    let server = DemoServer::start(config(2_500)).await;
    let mut ids = Vec::new();
    for page in 0..3 {
        let request = client()
            .get(server.url("/bench/items"))
            .query(&[("page", page), ("page_size", 1000)]);
        let (status, body) = send(request).await;
        assert_eq!(status, 200);
        assert_eq!(body["total"], 3);
        assert_eq!(body["total_records"], 2500);
        let items = body["items"].as_array().unwrap();
        ids.extend(items.iter().map(|item| item["id"].as_u64().unwrap()));
    }
    assert_eq!(ids, (1..=2500).collect::<Vec<_>>());

    let request = client()
        .get(server.url("/bench/items"))
        .query(&[("page", "3"), ("page_size", "1000")]);
    let (_, body) = send(request).await;
    assert_eq!(body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn items_match_the_generator_and_look_like_seed_records() {
    let server = DemoServer::start(config(20)).await;
    let (_, body) = send(client().get(server.url("/bench/items"))).await;
    assert_eq!(body["page_size"], 100, "the configured default page size");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    for (n, item) in items.iter().enumerate() {
        assert_eq!(item, &data::bench_item(n as u64 + 1));
    }
    let third = &items[2];
    assert!(third["email"].is_null(), "every 3rd email is null");
    assert!(items[4]["score"].is_null(), "every 5th score is null");
    assert_eq!(third["owner"]["name"], "owner-4");
    assert_eq!(third["tags"], serde_json::json!(["tag-3", "group-3"]));
    assert_eq!(third["created_at"], "2024-01-01T00:00:03Z");
}

#[tokio::test]
async fn offset_mode_reports_records_as_total() {
    let server = DemoServer::start(config(250)).await;
    let request = client()
        .get(server.url("/bench/items"))
        .query(&[("offset", "200"), ("limit", "100")]);
    let (status, body) = send(request).await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 250);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert_eq!(items[0]["id"], 201);
}

#[tokio::test]
async fn parents_and_their_children() {
    let server = DemoServer::start(config(0)).await;
    let request = client()
        .get(server.url("/bench/parents"))
        .query(&[("page_size", "5")]);
    let (_, body) = send(request).await;
    assert_eq!(body["total"], 2);
    assert_eq!(body["parents"][0], data::bench_parent(1));

    let (status, body) = send(client().get(server.url("/bench/parents/7/children"))).await;
    assert_eq!(status, 200);
    let children = body["children"].as_array().unwrap();
    assert_eq!(children.len(), 3);
    assert_eq!(children[2], data::bench_child(7, 3));
    assert_eq!(children[2]["parent_id"], 7);

    let (status, body) = send(client().get(server.url("/bench/parents/8/children"))).await;
    assert_eq!(status, 404);
    assert_eq!(message(&body), "parent `8` does not exist");
}

#[tokio::test]
async fn page_sizes_are_capped_and_zero_is_refused() {
    let server = DemoServer::start(config(20_000)).await;
    let request = client()
        .get(server.url("/bench/items"))
        .query(&[("page_size", "50000")]);
    let (_, body) = send(request).await;
    assert_eq!(body["page_size"], 10_000);
    assert_eq!(body["items"].as_array().unwrap().len(), 10_000);
    let request = client()
        .get(server.url("/bench/items"))
        .query(&[("page_size", "0")]);
    let (status, body) = send(request).await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&body),
        "query parameter `page_size` must be between 1 and 10000, got 0"
    );
}
