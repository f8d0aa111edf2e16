//! How fast the demo server serves `/bench/items`: downloads every page with plain reqwest
//! (bodies read, not parsed) and prints records/s and MB/s, so a bench can tell whether the
//! server or the client is the bottleneck.
//!
//! `cargo run --release -p connector-demo-server --example throughput -- [records] [page_size] [concurrency]`
//! (defaults 1000000, 1000, 1).

use std::time::Instant;

use connector_demo_server::{DemoConfig, DemoServer};

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let records = arg(1, 1_000_000);
    let page_size = arg(2, 1000).max(1);
    let concurrency = arg(3, 1).max(1);
    let server = DemoServer::start_in_thread(DemoConfig {
        bench_records: records,
        recent_requests: 0,
        ..DemoConfig::default()
    });
    let client = reqwest::Client::new();
    let pages = records.div_ceil(page_size);
    let url = server.url("/bench/items");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut bytes = 0usize;
            let mut page = worker;
            while page < pages {
                let body = client
                    .get(&url)
                    .query(&[("page", page), ("page_size", page_size)])
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .expect("the demo server answers")
                    .bytes()
                    .await
                    .expect("the body arrives");
                bytes += body.len();
                page += concurrency;
            }
            bytes
        }));
    }
    let mut bytes = 0;
    for task in tasks {
        bytes += task.await.expect("worker finished");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{records} records in {pages} pages of {page_size}, concurrency {concurrency}: \
         {seconds:.2} s, {:.0} records/s, {:.1} MB/s, {:.0} requests/s",
        records as f64 / seconds,
        bytes as f64 / seconds / 1e6,
        pages as f64 / seconds
    );
}
