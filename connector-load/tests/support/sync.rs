//! What the loader's sync tests share: the destinations they run on and one sync run.

use std::path::Path;
use std::sync::Arc;

use connector_load::sync::{sync, Sink, SyncOptions, SyncReport};
use connector_load::{open_destination, Destination};
use connector_runtime::Connector;

/// A SQLite file `<stem>.db` in `dir`, and beside it, with the `duckdb` feature a DuckDB
/// file, with the `delta` feature a Delta lake.
pub fn destinations(dir: &Path, stem: &str) -> Vec<Arc<dyn Destination>> {
    let mut urls = vec![format!(
        "sqlite:{}",
        dir.join(format!("{stem}.db")).display()
    )];
    if cfg!(feature = "duckdb") {
        urls.push(format!(
            "duckdb:{}",
            dir.join(format!("{stem}.duckdb")).display()
        ));
    }
    if cfg!(feature = "delta") {
        urls.push(format!(
            "delta:{}",
            dir.join(format!("{stem}-lake")).display()
        ));
    }
    urls.iter()
        .map(|u| Arc::from(open_destination(u).unwrap()))
        .collect()
}

/// One sync of `connector` into `destination`, which must succeed.
pub async fn run(
    connector: &Connector,
    destination: &Arc<dyn Destination>,
    options: &SyncOptions,
) -> SyncReport {
    sync(
        connector,
        Sink::Destination(Arc::clone(destination)),
        options,
    )
    .await
    .unwrap()
}
