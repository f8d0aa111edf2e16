//! The generic loader: drives any connector (generated or built from a spec at run time) into
//! a destination, or out as JSON lines.
//!
//! - Resources run in dependency order: every parent's level before its children's; the
//!   resources of one level run concurrently, at most [`SyncOptions::concurrency`] at once.
//! - Each resource reads its incremental state from the destination, passes it to the runtime
//!   and commits the new state in the same transaction as its rows (see the crate docs).
//! - Records are written in batches of [`SyncOptions::batch_size`]; one batch is written on a
//!   blocking thread while the next is fetched.
//! - A failed resource is rolled back and reported; the others still run.
//! - [`sync_observed`] reports what happens as it happens ([`SyncEvent`]s to a
//!   [`SyncObserver`]), for a caller to draw progress; the library draws nothing.

mod observer;
mod report;

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use connector_runtime::{Connector, IncrementalState, RunOptions, StatsHandle};
use futures::StreamExt;
use serde_json::json;
use tokio::task::JoinHandle;

pub use observer::{SyncEvent, SyncObserver};
pub use report::{cursor_text, Backfill, ChildTable, ResourceReport, ResourceStatus, SyncReport};

use crate::destination::{Destination, ResourceWriter, RunLock};
use crate::error::{Error, Result};
use crate::plan::{new_load_id, LoadSummary, ResourceLoadPlan};

/// Settings of one sync run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Resources to load (`None`: every resource not marked `selected: false`).
    pub resources: Option<Vec<String>>,
    /// Ignore stored incremental state and replace every table's contents.
    pub full_refresh: bool,
    /// Resources loaded at once (default 4).
    pub concurrency: usize,
    /// Records per staged batch (default 1000).
    pub batch_size: usize,
    /// How long to wait for another run of the same connector to release the destination's
    /// lock (default 0: fail at once with [`Error::Locked`]).
    pub lock_wait: Duration,
    /// Load into tables that exist but were not made by connector (default false: such a
    /// table is [`Error::ForeignTable`] and the run does not start).
    pub adopt_tables: bool,
    /// At most this many records per resource (the CLI's `--limit`, dlt's `add_limit`), for
    /// trying a spec: fetching stops once they are in. A limited resource commits its records
    /// but not its incremental state (the stored state stays), since the pages fetched ran
    /// ahead of what was loaded; its report says `limited_to`.
    pub limit: Option<u64>,
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

    // Level = number of ancestors: a level starts once the one above has finished, so parents
    // are committed before their children.
    let mut levels: Vec<Vec<String>> = Vec::new();
    for name in &names {
        let level = depth(connector, name);
        if levels.len() <= level {
            levels.resize(level + 1, Vec::new());
        }
        levels[level].push(name.clone());
    }
    let mut reports: HashMap<String, ResourceReport> = HashMap::new();
    for level in levels {
        let results: Vec<ResourceReport> = futures::stream::iter(level)
            .map(|name| {
                let context = Context {
                    connector,
                    sink: &sink,
                    options,
                    load_id: &load_id,
                    observer,
                };
                observer.on_event(SyncEvent::ResourceStarted { resource: &name });
                async move { run_resource(context, name).await }
            })
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        for report in results {
            reports.insert(report.resource.clone(), report);
        }
    }
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
    })
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
        spec.name.clone(),
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

fn depth(connector: &Connector, name: &str) -> usize {
    let mut depth = 0;
    let mut current = name;
    while let Some(parent) = connector.parent_of(current) {
        depth += 1;
        current = parent;
        if depth > 64 {
            break; // a cycle: validation reports it; don't loop here.
        }
    }
    depth
}

#[derive(Clone, Copy)]
struct Context<'a> {
    connector: &'a Connector,
    sink: &'a Sink,
    options: &'a SyncOptions,
    load_id: &'a str,
    observer: &'a dyn SyncObserver,
}

impl Context<'_> {
    /// Tells the observer `resource`'s running counts.
    fn fetched(&self, resource: &str, stats: &StatsHandle) {
        self.observer.on_event(SyncEvent::Fetched {
            resource,
            records: stats.records(),
            pages: stats.pages(),
            retries: stats.retries(),
        });
    }
}

async fn run_resource(context: Context<'_>, name: String) -> ResourceReport {
    let started = Instant::now();
    let table = context
        .connector
        .spec()
        .resource(&name)
        .map_or_else(|| name.clone(), |r| r.table_name.clone());
    let mut stats = None;
    let mut state_before = None;
    let mut limited = false;
    let outcome = match context.sink {
        Sink::Destination(destination) => {
            load_resource(
                context,
                Arc::clone(destination),
                &name,
                &mut stats,
                &mut state_before,
                &mut limited,
            )
            .await
        }
        Sink::JsonLines(out) => {
            write_lines(context, Arc::clone(out), &name, &mut stats, &mut limited)
                .await
                .map(|()| None)
        }
    };
    let limited_to = context.options.limit.filter(|_| limited);
    let stats = stats.unwrap_or_default();
    let (status, summary, error) = match outcome {
        Ok(summary) => (ResourceStatus::Ok, summary, None),
        Err(error) => (ResourceStatus::Failed, None, Some(error)),
    };
    let backfill = context
        .connector
        .spec()
        .resource(&name)
        .and_then(Backfill::of);
    let report = ResourceReport {
        resource: name,
        table: if matches!(context.sink, Sink::JsonLines(_)) {
            "-".to_owned()
        } else {
            table
        },
        status,
        // A limited resource read whole pages, but loaded `limit` records.
        records: limited_to.unwrap_or_else(|| stats.records()),
        deduplicated: stats.deduplicated(),
        table_rows: summary.as_ref().map_or(0, |s| s.table_rows),
        pages: stats.pages(),
        requests: stats.requests(),
        retries: stats.retries(),
        seconds: started.elapsed().as_secs_f64(),
        new_columns: summary
            .as_ref()
            .map(|s| s.new_columns.clone())
            .unwrap_or_default(),
        child_tables: summary
            .as_ref()
            .map(|s| {
                s.child_tables
                    .iter()
                    .map(|(table, table_rows)| ChildTable {
                        table: table.clone(),
                        table_rows: *table_rows,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        discarded_rows: summary.as_ref().map_or(0, |s| s.discarded_rows),
        discarded_values: summary.as_ref().map_or(0, |s| s.discarded_values),
        state: stats
            .incremental_state()
            .and_then(|s| serde_json::to_value(s).ok())
            .filter(|_| error.is_none() && limited_to.is_none()),
        state_before,
        warnings: stats
            .warnings()
            .into_iter()
            .chain(summary.iter().flat_map(load_warnings))
            .collect(),
        backfill,
        limited_to,
        error,
    };
    context
        .observer
        .on_event(SyncEvent::ResourceFinished { report: &report });
    report
}

/// What the load itself noticed: naming collisions, and what the schema contract discarded.
fn load_warnings(summary: &LoadSummary) -> Vec<String> {
    let mut warnings = summary.warnings.clone();
    if summary.discarded_rows > 0 || summary.discarded_values > 0 {
        warnings.push(format!(
            "table `{}`: the schema contract discarded {} record(s) and {} value(s) that did \
             not fit the table",
            summary.table, summary.discarded_rows, summary.discarded_values
        ));
    }
    warnings
}

/// Runs blocking database work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::result::Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("loader task failed: {e}"))
}

type Write_ = JoinHandle<(Box<dyn ResourceWriter>, Result<()>)>;

/// The writer back from its batch in flight, or the batch's error (the writer is then dropped,
/// which rolls the staging back).
async fn settle(
    idle: &mut Option<Box<dyn ResourceWriter>>,
    busy: &mut Option<Write_>,
) -> std::result::Result<Box<dyn ResourceWriter>, String> {
    if let Some(handle) = busy.take() {
        let (writer, result) = handle
            .await
            .map_err(|e| format!("loader task failed: {e}"))?;
        if let Err(e) = result {
            let _ = blocking(move || drop(writer)).await;
            return Err(e.to_string());
        }
        return Ok(writer);
    }
    idle.take()
        .ok_or_else(|| "internal error: no writer".to_owned())
}

async fn abandon(idle: Option<Box<dyn ResourceWriter>>, busy: Option<Write_>) {
    if let Some(handle) = busy {
        if let Ok((writer, _)) = handle.await {
            let _ = blocking(move || drop(writer)).await;
        }
    }
    if let Some(writer) = idle {
        let _ = blocking(move || drop(writer)).await;
    }
}

async fn load_resource(
    context: Context<'_>,
    destination: Arc<dyn Destination>,
    name: &str,
    stats_out: &mut Option<StatsHandle>,
    state_before: &mut Option<serde_json::Value>,
    limited: &mut bool,
) -> std::result::Result<Option<LoadSummary>, String> {
    let connector = context.connector;
    let spec = connector.spec();
    let resolved = spec
        .resource(name)
        .ok_or_else(|| format!("unknown resource `{name}`"))?;
    let plan = ResourceLoadPlan::from_resource(&spec.name, resolved)
        .with_load_id(context.load_id)
        .with_full_refresh(context.options.full_refresh)
        .with_adopt_table(context.options.adopt_tables);

    let mut run = RunOptions::new();
    if !context.options.full_refresh {
        let (dest, connector_name, resource) =
            (Arc::clone(&destination), spec.name.clone(), name.to_owned());
        let stored = blocking(move || dest.state(&connector_name, &resource))
            .await?
            .map_err(|e| e.to_string())?;
        if let Some(stored) = stored.filter(|v| !v.is_null()) {
            *state_before = Some(stored.clone());
            let state: IncrementalState = serde_json::from_value(stored).map_err(|e| {
                format!("the stored state is not incremental state ({e}); run with --full-refresh")
            })?;
            run = run.with_incremental(state);
        }
    }
    let dest = Arc::clone(&destination);
    let writer = blocking(move || dest.begin(&plan))
        .await?
        .map_err(|e| e.to_string())?;

    let mut stream = connector.stream(name, run);
    let stats = stream.stats();
    *stats_out = Some(stats.clone());
    let batch_size = context.options.batch_size.max(1);
    let mut batch = Vec::with_capacity(batch_size);
    let mut idle = Some(writer);
    let mut busy: Option<Write_> = None;
    let limit = context.options.limit.unwrap_or(u64::MAX);
    let mut received: u64 = 0;
    loop {
        match stream.next().await {
            Some(Ok(record)) => {
                batch.push(record);
                received += 1;
                *limited = received >= limit;
                if batch.len() % 100 == 0 {
                    context.fetched(name, &stats);
                }
                if batch.len() < batch_size && !*limited {
                    continue;
                }
            }
            Some(Err(e)) => {
                drop(stream);
                abandon(idle, busy).await;
                return Err(e.to_string());
            }
            None => break,
        }
        let mut writer = settle(&mut idle, &mut busy).await?;
        let records = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
        busy = Some(tokio::task::spawn_blocking(move || {
            let result = writer.write_batch(&records);
            (writer, result)
        }));
        context.fetched(name, &stats);
        if *limited {
            // Dropping the stream stops fetching (prefetched pages are abandoned).
            break;
        }
    }
    drop(stream);
    let mut writer = settle(&mut idle, &mut busy).await?;
    if let Some(first) = stats.warnings().into_iter().next() {
        writer.refuse_emptying_replace(first);
    }
    // A limited run keeps the stored state: its pages ran ahead of the records loaded.
    let state = stats
        .incremental_state()
        .filter(|_| !*limited)
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| format!("incremental state is not JSON: {e}"))?;
    let summary = blocking(move || {
        writer.write_batch(&batch)?;
        writer.commit(state)
    })
    .await?
    .map_err(|e| e.to_string())?;
    context.fetched(name, &stats);
    Ok(Some(summary))
}

async fn write_lines(
    context: Context<'_>,
    out: Arc<Mutex<dyn Write + Send>>,
    name: &str,
    stats_out: &mut Option<StatsHandle>,
    limited: &mut bool,
) -> std::result::Result<(), String> {
    let mut stream = context.connector.stream(name, RunOptions::new());
    let stats = stream.stats();
    *stats_out = Some(stats.clone());
    let mut buffer = Vec::new();
    let limit = context.options.limit.unwrap_or(u64::MAX);
    let mut written: u64 = 0;
    while !*limited {
        let Some(item) = stream.next().await else {
            break;
        };
        written += 1;
        *limited = written >= limit;
        let record = item.map_err(|e| e.to_string())?;
        let line = json!({"resource": name, "record": record});
        serde_json::to_writer(&mut buffer, &line).map_err(|e| e.to_string())?;
        buffer.push(b'\n');
        if buffer.len() >= 64 * 1024 {
            flush_lines(&out, &mut buffer)?;
            context.fetched(name, &stats);
        }
    }
    flush_lines(&out, &mut buffer)?;
    context.fetched(name, &stats);
    Ok(())
}

/// Whole lines only, so concurrent resources never interleave within a line.
fn flush_lines(
    out: &Mutex<dyn Write + Send>,
    buffer: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    let mut out = out.lock().map_err(|_| "output lock poisoned".to_owned())?;
    out.write_all(buffer)
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write output: {e}"))?;
    buffer.clear();
    Ok(())
}
