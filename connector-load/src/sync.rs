//! The generic loader: drives any connector (generated or built from a spec at run time) into
//! a destination, or out as JSON lines.
//!
//! - Each root resource runs together with its descendants (a tree), fetching every parent
//!   once: each parent record goes to the parent's own table and to each child's input as it
//!   arrives, and the child fans out over them with the runtime's bounded concurrency
//!   ([`Connector::stream_from_parents`]). Bounded channels between them give back-pressure,
//!   so memory stays bounded. A parent not asked for (`selected: false`, or not in
//!   [`SyncOptions::resources`]) is fetched only to feed the children that were, and loads
//!   nothing (the log says so at info level).
//! - Trees run concurrently, at most [`SyncOptions::concurrency`] at once.
//! - Each resource reads its incremental state from the destination, passes it to the runtime
//!   and commits the new state in the same transaction as its rows (see the crate docs); it
//!   reports its own records, pages, requests and retries. A child of an incremental parent
//!   fans out over the parent records of this run's window, as in dlt.
//! - Records are written in batches of [`SyncOptions::batch_size`]; one batch is written on a
//!   blocking thread while the next is fetched.
//! - A failed resource is rolled back and reported; the others still run, with one rule
//!   between a parent and its children: a child commits only when every record of its parent
//!   reached it. A parent that stops early (its fetch failed, or its own load did) fails its
//!   children with ``parent `users` failed: <the parent's error>``, and they commit nothing
//!   (nor do theirs). A parent whose records all went out but whose own commit then fails
//!   does not fail its children: their input was complete. A failed child does not stop its
//!   parent or its siblings.
//! - A partitioned run ([`SyncOptions::partition`], shard K of N) loads one of N disjoint
//!   shards: each resource's share is decided in `tree` from [`Partition`]'s rules; its
//!   state is kept under `resource#K/N` (a shard without one starts from the unpartitioned
//!   state, when there is one); its lock is `connector#K/N`, so shards of one N run at once
//!   while a whole run, or a shard of another N, waits for them. A resource split across
//!   shards cannot be `replace`d, nor can a run be both partitioned and `full_refresh`: each
//!   shard would delete the rows of the others.
//! - [`sync_observed`] reports what happens as it happens ([`SyncEvent`]s to a
//!   [`SyncObserver`]), for a caller to draw progress; the library draws nothing.

mod observer;
mod report;
mod resource;
mod tree;

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use connector_runtime::{Connector, Partition};
use connector_spec::Disposition;
use futures::StreamExt;

pub use observer::{SyncEvent, SyncObserver};
pub use report::{
    cursor_text, Backfill, ChildTable, ResourceReport, ResourceStatus, SkippedResource, SyncReport,
};

use crate::destination::{Destination, RunLock};
use crate::error::{Error, Result};
use crate::plan::{new_load_id, ResourceLoadPlan};
use resource::{run_node, Context};

/// Settings of one sync run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Resources to load (`None`: every resource not marked `selected: false`).
    pub resources: Option<Vec<String>>,
    /// Ignore stored incremental state and replace every table's contents.
    pub full_refresh: bool,
    /// Root resources loaded at once, each with its children (default 4). The resources of
    /// one tree always run together, since a parent feeds its children as it goes; how many
    /// parents a child fans out over at once is the connector's `concurrency`.
    pub concurrency: usize,
    /// Records per staged batch (default 1000).
    pub batch_size: usize,
    /// How long to wait for another run of the same connector to release the destination's
    /// lock (default 0: fail at once with [`Error::Locked`]).
    pub lock_wait: Duration,
    /// Load into tables that exist but were not made by connector (default false: such a
    /// table is [`Error::ForeignTable`] and the run does not start).
    pub adopt_tables: bool,
    /// At most this many records per resource (the CLI's `--limit`; dlt's `add_limit` limits
    /// each resource too), for trying a spec: fetching stops once they are in. A parent at
    /// its limit loads no more but keeps fetching while a child still wants records, so a
    /// child is not starved by its parent's limit; a parent fetched only to feed stops when
    /// its children do. A limited resource commits its records but not its incremental
    /// state (the stored state stays), since the pages fetched ran ahead of what was loaded;
    /// its report says `limited_to`.
    pub limit: Option<u64>,
    /// Load only shard K of N (default [`Partition::WHOLE`]: everything); see the module docs.
    pub partition: Partition,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            resources: None,
            full_refresh: false,
            concurrency: 4,
            batch_size: 1000,
            lock_wait: Duration::ZERO,
            adopt_tables: false,
            limit: None,
            partition: Partition::WHOLE,
        }
    }
}

/// Where the records go.
#[derive(Clone)]
pub enum Sink {
    /// Into a database, with state.
    Destination(Arc<dyn Destination>),
    /// As JSON lines `{"resource": NAME, "record": {...}}` (no state is read or kept).
    JsonLines(Arc<Mutex<dyn Write + Send>>),
}

impl Sink {
    fn label(&self) -> String {
        match self {
            Sink::Destination(d) => d.url().to_owned(),
            Sink::JsonLines(_) => "jsonl".to_owned(),
        }
    }
}

/// The resources a run loads, in dependency order. Fails on a name the spec does not have.
pub fn resources_to_sync(connector: &Connector, wanted: Option<&[String]>) -> Result<Vec<String>> {
    let spec = connector.spec();
    let order = spec.dependency_order.clone();
    match wanted {
        Some(wanted) => {
            if let Some(unknown) = wanted.iter().find(|w| !order.contains(w)) {
                return Err(Error::UnknownResource {
                    resource: unknown.clone(),
                    known: order,
                });
            }
            Ok(order
                .into_iter()
                .filter(|name| wanted.contains(name))
                .collect())
        }
        None => Ok(order
            .into_iter()
            .filter(|name| spec.resource(name).is_some_and(|r| r.selected))
            .collect()),
    }
}

/// Runs `connector`'s resources into `sink`. Resource failures are in the report (its `ok` is
/// false); `Err` only for a run that cannot start: an unknown resource name, another run
/// holding the connector's lock ([`Error::Locked`]), a table not made by connector
/// ([`Error::ForeignTable`]). Nothing is fetched then.
///
/// Reports nothing while it runs; [`sync_observed`] does.
pub async fn sync(connector: &Connector, sink: Sink, options: &SyncOptions) -> Result<SyncReport> {
    sync_observed(connector, sink, options, &|_: SyncEvent<'_>| {}).await
}

/// [`sync`], telling `observer` what happens as it happens: each resource's start, its
/// running counts, and its end (see [`SyncEvent`] and the example at [`SyncObserver`]).
pub async fn sync_observed(
    connector: &Connector,
    sink: Sink,
    options: &SyncOptions,
    observer: &dyn SyncObserver,
) -> Result<SyncReport> {
    let started = Instant::now();
    let started_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let names = resources_to_sync(connector, options.resources.as_deref())?;
    let partition = options.partition;
    let (trees, skipped) = tree::plan(connector, &names, partition);
    if let Sink::Destination(_) = &sink {
        check_partition(connector, options, &trees)?;
    }
    for skip in &skipped {
        tracing::warn!(
            resource = %skip.resource,
            "shard {partition} does not load `{}`: it runs in shard 0 only, since {}",
            skip.resource,
            skip.reason
        );
    }
    let load_id = new_load_id();
    // Held until every resource has committed or failed; released on drop.
    let run_lock = match &sink {
        Sink::Destination(destination) => {
            Some(take_lock(connector, destination, options, &names, &load_id).await?)
        }
        Sink::JsonLines(_) => None,
    };
    let recovered = run_lock
        .as_ref()
        .map(|l| l.recovered().to_vec())
        .unwrap_or_default();

    let context = Context {
        connector,
        sink: &sink,
        options,
        load_id: &load_id,
        observer,
    };
    // A tree's resources all run at once: a parent sends its records to its children as they
    // arrive, so none of them can wait for a free slot.
    let mut reports: HashMap<String, ResourceReport> = futures::stream::iter(trees)
        .map(|nodes| futures::future::join_all(nodes.into_iter().map(|n| run_node(context, n))))
        .buffer_unordered(options.concurrency.max(1))
        .flat_map(|reports| futures::stream::iter(reports.into_iter().flatten()))
        .map(|report| (report.resource.clone(), report))
        .collect()
        .await;
    let resources: Vec<ResourceReport> = names.iter().filter_map(|n| reports.remove(n)).collect();
    if let Some(run_lock) = run_lock {
        let _ = blocking(move || drop(run_lock)).await;
    }
    Ok(SyncReport {
        recovered,
        connector: connector.spec().name.clone(),
        destination: sink.label(),
        load_id,
        started_at,
        seconds: started.elapsed().as_secs_f64(),
        ok: resources.iter().all(|r| r.status == ResourceStatus::Ok),
        resources,
        partition: (!partition.is_whole()).then(|| partition.to_string()),
        skipped: skipped
            .into_iter()
            .map(|s| SkippedResource {
                resource: s.resource,
                reason: s.reason,
            })
            .collect(),
    })
}

/// Refuses what a shard must not do to a destination the other shards load too: a
/// `replace` of a resource split across shards, and `full_refresh`.
fn check_partition(
    connector: &Connector,
    options: &SyncOptions,
    trees: &[Vec<tree::Node>],
) -> Result<()> {
    let partition = options.partition;
    if partition.is_whole() {
        return Ok(());
    }
    let refuse = |reason: String| Err(Error::Partition { partition, reason });
    if options.full_refresh {
        return refuse(
            "--full-refresh replaces every table's contents, and each shard would delete the \
             rows the other shards load: run one unpartitioned `connector sync --full-refresh`, \
             or reset the state (`connector state reset`) and run the shards"
                .to_owned(),
        );
    }
    let spec = connector.spec();
    for node in trees.iter().flatten().filter(|n| n.loaded) {
        let split = !matches!(node.share, tree::Share::ShardZero(_));
        let replace = spec
            .resource(&node.name)
            .is_some_and(|r| r.disposition == Disposition::Replace);
        if split && replace {
            return refuse(format!(
                "resource `{}` has write_disposition `replace`, but each shard loads only part \
                 of it, and each shard's replace would delete the rows the other shards loaded: \
                 use `write_disposition: merge` (with a primary_key) or `append` to run it \
                 partitioned, or run it unpartitioned",
                node.name
            ));
        }
    }
    Ok(())
}

/// Takes the connector's lock in `destination` (waiting as the options say), then checks
/// every table the run will load is connector's own, before anything is fetched.
async fn take_lock(
    connector: &Connector,
    destination: &Arc<dyn Destination>,
    options: &SyncOptions,
    names: &[String],
    load_id: &str,
) -> Result<RunLock> {
    let spec = connector.spec();
    let plans: Vec<ResourceLoadPlan> = names
        .iter()
        .filter_map(|name| spec.resource(name))
        .map(|r| {
            ResourceLoadPlan::from_resource(&spec.name, r).with_adopt_table(options.adopt_tables)
        })
        .collect();
    let (dest, connector_name, load_id, wait) = (
        Arc::clone(destination),
        options.partition.key(&spec.name),
        load_id.to_owned(),
        options.lock_wait,
    );
    tokio::task::spawn_blocking(move || {
        let run_lock = dest.lock(&connector_name, &load_id, wait)?;
        for plan in &plans {
            dest.check_table(plan)?;
        }
        Ok(run_lock)
    })
    .await
    .map_err(|e| Error::Database {
        dialect: "loader",
        context: "taking the run lock".to_owned(),
        message: e.to_string(),
    })?
}

/// Runs blocking database work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::result::Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("loader task failed: {e}"))
}
