//! Runs one case in this process: starts the demo server in-process on 127.0.0.1, runs the
//! client side, and measures it.

use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connector_demo_server::{DemoConfig, DemoServer};
use connector_load::sync::{sync, Sink, SyncOptions};
use connector_runtime::futures::StreamExt;
use connector_runtime::{Connector, Options, RunOptions, Secrets};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::api::{Child, Item};
use crate::cases::{Case, Kind};

/// What a case measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub case: Case,
    /// Records the client received (or loaded).
    pub records: u64,
    /// HTTP requests the client sent.
    pub requests: u64,
    pub wall_s: f64,
    /// VmHWM of the child process at its end, in KiB.
    pub peak_rss_kib: Option<u64>,
    /// Why the case did not run, when it did not.
    pub skipped: Option<String>,
}

impl Outcome {
    pub fn records_per_s(&self) -> f64 {
        self.records as f64 / self.wall_s.max(1e-9)
    }

    pub fn requests_per_s(&self) -> f64 {
        self.requests as f64 / self.wall_s.max(1e-9)
    }
}

/// Runs `case` to the end; `Err` when the client failed or received the wrong record count.
pub fn run(case: &Case) -> Result<Outcome, String> {
    let server = DemoServer::start_in_thread(DemoConfig {
        bench_records: match case.kind {
            Kind::CSequential | Kind::CConcurrent => 0,
            _ => case.records,
        },
        bench_parents: match case.kind {
            Kind::CSequential | Kind::CConcurrent => case.records,
            _ => 0,
        },
        bench_children_per_parent: 5,
        bench_page_size: case.page_size,
        latency: Duration::from_millis(case.latency_ms),
        recent_requests: 0,
        ..DemoConfig::default()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start tokio: {e}"))?;
    let base_url = server.url("/bench");
    let result = runtime.block_on(client_side(case, &base_url));
    let (records, requests, wall_s) = match result {
        Ok(r) => r,
        Err(Skip(reason)) if reason.starts_with("skipped:") => {
            return Ok(Outcome {
                case: case.clone(),
                records: 0,
                requests: 0,
                wall_s: 0.0,
                peak_rss_kib: None,
                skipped: Some(reason.trim_start_matches("skipped:").trim().to_owned()),
            })
        }
        Err(Skip(reason)) => return Err(reason),
    };
    let expected = expected_records(case);
    if records != expected {
        return Err(format!(
            "{}: received {records} records, expected {expected}",
            case.kind.name()
        ));
    }
    Ok(Outcome {
        case: case.clone(),
        records,
        requests,
        wall_s,
        peak_rss_kib: crate::rss::peak_kib(),
        skipped: None,
    })
}

fn expected_records(case: &Case) -> u64 {
    match case.kind {
        Kind::CSequential | Kind::CConcurrent => case.records * 5,
        _ => case.records,
    }
}

/// An error, or a `skipped: why` message.
struct Skip(String);

impl From<String> for Skip {
    fn from(s: String) -> Skip {
        Skip(s)
    }
}

/// The bench spec with `page_size` records per page.
pub fn bench_spec(page_size: u64) -> Result<connector_spec::ResolvedSpec, String> {
    let yaml = include_str!("../specs/bench.yaml")
        .replace("limit: 100\n", &format!("limit: {page_size}\n"));
    connector_spec::parse_str(&yaml, "bench/specs/bench.yaml")
        .map(|loaded| loaded.resolved)
        .map_err(|d| {
            d.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        })
}

fn connector(case: &Case, base_url: &str) -> Result<Connector, String> {
    let mut options = Options::new().with_base_url(base_url);
    options.concurrency = case.concurrency;
    let mut spec = bench_spec(case.page_size)?;
    if matches!(
        case.kind,
        Kind::ASqlite | Kind::ADuckdb | Kind::APostgres | Kind::ADelta
    ) {
        // The loader cases load the tables dlt makes of the same data (the comparison's
        // other side declares no columns): `owner` flattened into `owner__*` columns and
        // `tags` a child table, instead of the two JSON columns the typed structs declare.
        for resource in &mut spec.resources {
            resource.columns.shift_remove("owner");
            resource.columns.shift_remove("tags");
        }
    }
    Connector::new(spec, Secrets::new(), options).map_err(|e| e.to_string())
}

/// (records, requests, seconds)
async fn client_side(case: &Case, base_url: &str) -> Result<(u64, u64, f64), Skip> {
    match case.kind {
        Kind::ATyped | Kind::BSequential | Kind::BPrefetch => {
            let c = connector(case, base_url)?;
            Ok(typed::<Item>(&c, "items").await?)
        }
        Kind::CSequential | Kind::CConcurrent => {
            let c = connector(case, base_url)?;
            Ok(typed::<Child>(&c, "children").await?)
        }
        Kind::DRaw => Ok(raw(case, base_url).await?),
        Kind::AJsonl => {
            let c = connector(case, base_url)?;
            let null = std::fs::File::create("/dev/null").map_err(|e| format!("/dev/null: {e}"))?;
            let out: Arc<Mutex<dyn Write + Send>> = Arc::new(Mutex::new(BufWriter::new(null)));
            Ok(load(&c, Sink::JsonLines(out)).await?)
        }
        Kind::ASqlite => {
            let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
            let url = format!("sqlite:{}", dir.path().join("bench.db").display());
            let c = connector(case, base_url)?;
            let destination = connector_load::open_destination(&url).map_err(|e| e.to_string())?;
            Ok(load(&c, Sink::Destination(Arc::from(destination))).await?)
        }
        Kind::ADuckdb => duckdb(case, base_url).await,
        Kind::APostgres => postgres(case, base_url).await,
        Kind::ADelta => delta(case, base_url).await,
    }
}

/// Into Delta tables in a temporary directory on local disk.
#[cfg(feature = "delta")]
async fn delta(case: &Case, base_url: &str) -> Result<(u64, u64, f64), Skip> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let url = format!("delta:{}", dir.path().join("lake").display());
    let c = connector(case, base_url)?;
    let opened = tokio::task::spawn_blocking(move || connector_load::open_destination(&url))
        .await
        .map_err(|e| format!("opening the lake: {e}"))?;
    let destination = opened.map_err(|e| e.to_string())?;
    Ok(load(&c, Sink::Destination(Arc::from(destination))).await?)
}

#[cfg(not(feature = "delta"))]
async fn delta(_case: &Case, _base_url: &str) -> Result<(u64, u64, f64), Skip> {
    Err(Skip(
        "skipped: built without the `delta` feature".to_owned(),
    ))
}

/// Into `BENCH_POSTGRES_URL` (a schema of its own is created for the run), or into a
/// throwaway local cluster started as the tests start theirs (`fsync=off`; see
/// bench/README.md).
#[cfg(feature = "postgres")]
async fn postgres(case: &Case, base_url: &str) -> Result<(u64, u64, f64), Skip> {
    let schema = format!("bench_{}", std::process::id());
    let url = match std::env::var("BENCH_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}schema={schema}")
        }
        _ => tokio::task::spawn_blocking(move || crate::pg::cluster().url(&schema))
            .await
            .map_err(|e| format!("starting PostgreSQL: {e}"))?,
    };
    let c = connector(case, base_url)?;
    let opened = tokio::task::spawn_blocking(move || connector_load::open_destination(&url))
        .await
        .map_err(|e| format!("opening PostgreSQL: {e}"))?;
    let destination = opened.map_err(|e| e.to_string())?;
    Ok(load(&c, Sink::Destination(Arc::from(destination))).await?)
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_case: &Case, _base_url: &str) -> Result<(u64, u64, f64), Skip> {
    Err(Skip(
        "skipped: built without the `postgres` feature".to_owned(),
    ))
}

#[cfg(feature = "duckdb")]
async fn duckdb(case: &Case, base_url: &str) -> Result<(u64, u64, f64), Skip> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    // DuckDB settings for the destination URL, e.g. `memory_limit=128MB` (see bench/README.md).
    let settings = std::env::var("BENCH_DUCKDB_SETTINGS").unwrap_or_default();
    let query = if settings.is_empty() {
        String::new()
    } else {
        format!("?{settings}")
    };
    let url = format!(
        "duckdb:{}{query}",
        dir.path().join("bench.duckdb").display()
    );
    let c = connector(case, base_url)?;
    let destination = connector_load::open_destination(&url).map_err(|e| e.to_string())?;
    Ok(load(&c, Sink::Destination(Arc::from(destination))).await?)
}

#[cfg(not(feature = "duckdb"))]
async fn duckdb(_case: &Case, _base_url: &str) -> Result<(u64, u64, f64), Skip> {
    Err(Skip(
        "skipped: built without the `duckdb` feature".to_owned(),
    ))
}

/// Every record of `resource` as the generated type, dropped at once.
async fn typed<T: DeserializeOwned + Send + 'static>(
    connector: &Connector,
    resource: &str,
) -> Result<(u64, u64, f64), String> {
    let started = Instant::now();
    let mut stream = connector.stream_typed::<T>(resource, RunOptions::default());
    let mut records = 0u64;
    while let Some(record) = stream.next().await {
        let record = record.map_err(|e| e.to_string())?;
        drop(std::hint::black_box(record));
        records += 1;
    }
    let wall = started.elapsed().as_secs_f64();
    Ok((records, stream.stats().requests(), wall))
}

/// The generic loader (as `connector sync` runs it) on resource `items`.
async fn load(connector: &Connector, sink: Sink) -> Result<(u64, u64, f64), String> {
    let options = SyncOptions {
        resources: Some(vec!["items".to_owned()]),
        ..SyncOptions::default()
    };
    let started = Instant::now();
    let report = sync(connector, sink, &options)
        .await
        .map_err(|e| e.to_string())?;
    let wall = started.elapsed().as_secs_f64();
    let items = report
        .resources
        .iter()
        .find(|r| r.resource == "items")
        .ok_or_else(|| "the sync report has no `items`".to_owned())?;
    if let Some(error) = &items.error {
        return Err(format!("sync failed: {error}"));
    }
    Ok((items.records, items.requests, wall))
}

/// The ceiling: the same pages with plain reqwest, one at a time, bodies read and dropped.
async fn raw(case: &Case, base_url: &str) -> Result<(u64, u64, f64), String> {
    let client = reqwest::Client::new();
    let url = format!("{base_url}/items");
    let pages = case.records.div_ceil(case.page_size);
    let started = Instant::now();
    let mut bytes = 0usize;
    for page in 0..pages {
        let body = client
            .get(&url)
            .query(&[("page", page), ("page_size", case.page_size)])
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("page {page}: {e}"))?
            .bytes()
            .await
            .map_err(|e| format!("page {page}: {e}"))?;
        bytes += body.len();
    }
    let wall = started.elapsed().as_secs_f64();
    std::hint::black_box(bytes);
    Ok((case.records, pages, wall))
}
