//! Throughput against the demo server's bench API, in release builds:
//! `cargo test -p connector-runtime --release --test throughput -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use connector_demo_server::{DemoConfig, DemoServer};
use connector_runtime::futures::StreamExt;
use connector_runtime::{Connector, Options, RunOptions, Secrets};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check; run in release"]
async fn bench_items_and_fan_out() {
    let config = DemoConfig {
        bench_records: 100_000,
        bench_parents: 1000,
        ..DemoConfig::default()
    };
    let server = DemoServer::start(config).await;
    let yaml = "name: bench\nclient: { base_url: http://unused }\nresources:\n  - name: items\n    endpoint: { path: /items, data_selector: items, paginator: { type: page_number, limit: 1000, limit_param: page_size } }\n  - name: parents\n    endpoint: { path: /parents, data_selector: parents, paginator: { type: page_number, limit: 1000, limit_param: page_size } }\n  - name: children\n    endpoint: { path: \"/parents/{resources.parents.id}/children\", data_selector: children, paginator: single_page }\n";
    let c = Connector::new(
        common::spec(yaml),
        Secrets::new(),
        Options::new()
            .with_base_url(server.url("/bench"))
            .with_concurrency(16),
    )
    .unwrap();
    for resource in ["items", "children"] {
        let started = Instant::now();
        let mut stream = c.stream(resource, RunOptions::default());
        let mut n = 0u64;
        while let Some(r) = stream.next().await {
            r.unwrap();
            n += 1;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{resource}: {n} records in {secs:.2} s = {:.0} records/s; server max in flight {}",
            n as f64 / secs,
            server.stats().max_in_flight
        );
    }

    // With 5 ms of server latency the fan-out keeps `concurrency` requests in flight.
    let config = DemoConfig {
        bench_parents: 400,
        latency: std::time::Duration::from_millis(5),
        ..DemoConfig::default()
    };
    let server = DemoServer::start(config).await;
    let c = Connector::new(
        common::spec(yaml),
        Secrets::new(),
        Options::new()
            .with_base_url(server.url("/bench"))
            .with_concurrency(16),
    )
    .unwrap();
    let started = Instant::now();
    let n = c.stream("children", RunOptions::default()).count().await;
    println!(
        "children with 5 ms latency: {n} records in {:.2} s; server max in flight {}",
        started.elapsed().as_secs_f64(),
        server.stats().max_in_flight
    );
}
