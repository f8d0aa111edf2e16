//! Page prefetch against real local servers: records exact and in page order, the number of
//! requests in flight bounded by the concurrency, concurrency 1 strictly sequential, stop rules,
//! the page cap and Retry-After unchanged by prefetching.

mod common;

use std::time::Duration;

use connector_demo_server::{DemoConfig, DemoServer, Fault};
use connector_runtime::{Connector, Secrets};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ITEMS: &str = "/bench/items";

fn bench_spec(paginator: &str) -> String {
    format!(
        "name: bench\nclient: {{ base_url: http://unused }}\nresources:\n  - name: items\n    endpoint: {{ path: /items, data_selector: items, paginator: {paginator} }}\n"
    )
}

const PAGE_NUMBER: &str =
    "{ type: page_number, limit: 10, limit_param: page_size, total_path: total }";
const OFFSET: &str = "{ type: offset, limit: 10 }";

async fn server(records: u64, latency_ms: u64) -> DemoServer {
    DemoServer::start(DemoConfig {
        bench_records: records,
        latency: Duration::from_millis(latency_ms),
        ..DemoConfig::default()
    })
    .await
}

fn connector(yaml: &str, server: &DemoServer, concurrency: usize) -> Connector {
    let options = common::options(&server.url("/bench")).with_concurrency(concurrency);
    Connector::new(common::spec(yaml), Secrets::new(), options).expect("connector builds")
}

fn ids(records: &[Value]) -> Vec<u64> {
    records.iter().map(|r| r["id"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn page_numbers_come_in_order_with_at_most_concurrency_requests_in_flight() {
    let server = server(250, 20).await;
    let c = connector(&bench_spec(PAGE_NUMBER), &server, 4);
    let (records, error) = common::collect(&c, "items").await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids(&records), (1..=250).collect::<Vec<_>>());
    let stats = server.stats();
    assert_eq!(
        stats.requests(ITEMS),
        25,
        "one request per page, none past the total"
    );
    let in_flight = stats.route(ITEMS).max_in_flight;
    assert!((2..=4).contains(&in_flight), "max in flight {in_flight}");
}

#[tokio::test]
async fn offsets_come_in_order_with_at_most_concurrency_requests_in_flight() {
    let server = server(95, 20).await;
    let c = connector(&bench_spec(OFFSET), &server, 3);
    let (records, error) = common::collect(&c, "items").await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids(&records), (1..=95).collect::<Vec<_>>());
    let stats = server.stats();
    let mut offsets: Vec<u64> = stats
        .params(ITEMS, "offset")
        .iter()
        .map(|o| o.parse().unwrap())
        .collect();
    offsets.sort_unstable();
    assert_eq!(offsets, (0..10).map(|k| k * 10).collect::<Vec<_>>());
    let in_flight = stats.route(ITEMS).max_in_flight;
    assert!((2..=3).contains(&in_flight), "max in flight {in_flight}");
}

#[tokio::test]
async fn concurrency_one_is_strictly_sequential() {
    let server = server(250, 5).await;
    let c = connector(&bench_spec(PAGE_NUMBER), &server, 1);
    let (records, error) = common::collect(&c, "items").await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids(&records), (1..=250).collect::<Vec<_>>());
    let stats = server.stats();
    assert_eq!(stats.route(ITEMS).max_in_flight, 1);
    let pages: Vec<String> = (0..25).map(|p| p.to_string()).collect();
    assert_eq!(
        stats.params(ITEMS, "page"),
        pages,
        "pages asked for in order, once each"
    );
}

#[tokio::test]
async fn maximum_page_stops_prefetch_too() {
    let server = server(250, 5).await;
    let paginator = "{ type: page_number, limit: 10, limit_param: page_size, total_path: total, maximum_page: 6 }";
    let c = connector(&bench_spec(paginator), &server, 8);
    let (records, error) = common::collect(&c, "items").await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids(&records), (1..=60).collect::<Vec<_>>());
    let mut pages: Vec<u64> = server
        .stats()
        .params(ITEMS, "page")
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    pages.sort_unstable();
    assert_eq!(
        pages,
        (0..=5).collect::<Vec<_>>(),
        "no page past maximum_page is requested"
    );
}

#[tokio::test]
async fn the_page_cap_bounds_prefetched_requests() {
    let server = server(250, 5).await;
    let options = common::options(&server.url("/bench"))
        .with_concurrency(8)
        .with_max_pages(3);
    let c = Connector::new(
        common::spec(&bench_spec(PAGE_NUMBER)),
        Secrets::new(),
        options,
    )
    .unwrap();
    let (records, error) = common::collect(&c, "items").await;
    assert_eq!(ids(&records), (1..=30).collect::<Vec<_>>());
    let error = error.expect("passing max_pages is an error").to_string();
    assert!(error.contains("the page cap of 3 pages"), "{error}");
    assert_eq!(
        server.stats().requests(ITEMS),
        3,
        "no request beyond the cap"
    );
}

#[tokio::test]
async fn a_rate_limited_prefetched_page_is_retried_in_place() {
    let server = server(250, 5).await;
    server.set_faults(vec![Fault::rate_limited(ITEMS, "1").after(4)]);
    let c = connector(&bench_spec(PAGE_NUMBER), &server, 4);
    let (records, error) = common::collect(&c, "items").await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids(&records), (1..=250).collect::<Vec<_>>());
    let stats = server.stats();
    assert_eq!(stats.faults_served, 1);
    assert_eq!(stats.requests(ITEMS), 26, "25 pages and one retry");
}

fn page(ids: std::ops::Range<u64>, total: u64) -> ResponseTemplate {
    let items: Vec<Value> = ids.map(|id| json!({ "id": id })).collect();
    ResponseTemplate::new(200)
        .set_body_json(json!({ "items": items, "total": total }))
        .set_delay(Duration::from_millis(10))
}

#[tokio::test]
async fn an_empty_page_stops_where_the_sequential_loop_stops() {
    let mock = MockServer::start().await;
    for (p, response) in [
        ("0", page(1..3, 5)),
        ("1", page(3..5, 5)),
        ("2", page(0..0, 5)),
        ("3", page(7..9, 5)),
        ("4", page(9..11, 5)),
    ] {
        Mock::given(method("GET"))
            .and(path("/items"))
            .and(query_param("page", p))
            .respond_with(response)
            .mount(&mock)
            .await;
    }
    for concurrency in [1, 4] {
        let options = common::options(&mock.uri()).with_concurrency(concurrency);
        let paginator =
            "{ type: page_number, limit: 2, limit_param: page_size, total_path: total }";
        let c = Connector::new(
            common::spec(&bench_spec(paginator)),
            Secrets::new(),
            options,
        )
        .unwrap();
        let (records, error) = common::collect(&c, "items").await;
        assert!(error.is_none(), "{error:?}");
        assert_eq!(ids(&records), [1, 2, 3, 4], "concurrency {concurrency}");
    }
}
