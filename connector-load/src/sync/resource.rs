//! One resource of a sync run: its records from the runtime (a root's own fetch, or a child's
//! fan-out over the records its parent sends), each sent on to its children and, when the
//! resource is loaded, written in batches and committed with its state in one transaction.
//! When a parent fails, its children fail too (the rule is in the [`super`] module docs).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use connector_runtime::{Connector, IncrementalState, ResourceStream, RunOptions, StatsHandle};
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::observer::{SyncEvent, SyncObserver};
use super::report::{Backfill, ChildTable, ResourceReport, ResourceStatus};
use super::tree::{Feed, Node, ParentCheck, ParentCounts, Share};
use super::{blocking, Sink, SyncOptions};
use crate::destination::{Destination, ResourceWriter};
use crate::plan::{LoadSummary, ResourceLoadPlan};

/// What every resource of a run shares.
#[derive(Clone, Copy)]
pub(super) struct Context<'a> {
    pub(super) connector: &'a Connector,
    pub(super) sink: &'a Sink,
    pub(super) options: &'a SyncOptions,
    pub(super) load_id: &'a str,
    pub(super) observer: &'a dyn SyncObserver,
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

/// Runs one resource of a tree; its report, unless it was fetched only to feed its children.
pub(super) async fn run_node(context: Context<'_>, node: Node) -> Option<ResourceReport> {
    let Node {
        name,
        loaded,
        share,
        keeps_state,
        input,
        mut feeds,
    } = node;
    let started = Instant::now();
    if loaded {
        context
            .observer
            .on_event(SyncEvent::ResourceStarted { resource: &name });
    }
    let counts = input.as_ref().and_then(|i| i.counts.clone());
    let (parents, parent_check) = match input {
        Some(input) => {
            let (records, check) = input.split();
            (Some(records), Some(check))
        }
        None => (None, None),
    };
    let mut state_before = None;
    let mut run = RunOptions::new();
    let target = match (loaded, keeps_state) {
        (true, _) => Some(Target::Rows),
        (false, true) => Some(Target::StateOnly),
        (false, false) => None,
    };
    let prepared = match (target, context.sink) {
        (Some(target), Sink::Destination(destination)) => {
            prepare_table(
                context,
                destination,
                &name,
                target,
                &mut state_before,
                &mut run,
            )
            .await
        }
        (Some(Target::Rows), Sink::JsonLines(out)) => Ok(Output::Lines(Lines {
            resource: name.clone(),
            out: Arc::clone(out),
            buffer: Vec::new(),
        })),
        // JSON lines keep no state.
        (Some(Target::StateOnly) | None, _) => Ok(Output::Nothing),
    };
    let mut output = match prepared {
        Ok(output) => output,
        Err(error) => {
            fail_children(feeds, &error);
            let stats = StatsHandle::default();
            let ended = Ended {
                started,
                state_before,
                share: describe_share(context, &share, None),
            };
            return loaded.then(|| report(context, name, &stats, ended, Err(error)));
        }
    };
    if share == Share::Pages {
        run = run.with_pages_of(context.options.partition);
    }

    let mut stream = match parents {
        None => context.connector.stream(&name, run),
        Some(records) => context.connector.stream_from_parents(&name, records, run),
    };
    let stats = stream.stats();
    let pumped = pump(
        context,
        &name,
        &mut stream,
        &mut output,
        &mut feeds,
        parent_check.as_ref(),
    )
    .await;
    // Dropping the stream stops fetching (prefetched pages and children are abandoned).
    drop(stream);
    let outcome = match pumped {
        Ok(limited) => {
            // The children's input is complete: they need not wait for this commit.
            drop(feeds);
            output
                .finish(&stats, limited)
                .await
                .map(|summary| (summary, limited))
        }
        Err(error) => {
            fail_children(feeds, &error);
            output.abandon().await;
            Err(error)
        }
    };
    if !loaded {
        return None;
    }
    context.fetched(&name, &stats);
    let ended = Ended {
        started,
        state_before,
        share: describe_share(context, &share, counts.as_deref()),
    };
    Some(report(context, name, &stats, ended, outcome))
}

/// What a shard of a partitioned run loaded of a resource, for its report.
fn describe_share(
    context: Context<'_>,
    share: &Share,
    counts: Option<&ParentCounts>,
) -> Option<String> {
    let partition = context.options.partition;
    if partition.is_whole() {
        return None;
    }
    Some(match share {
        Share::All => format!("shard {partition}: every record its parent got in this shard"),
        Share::Pages => format!("shard {partition}: its share of the pages"),
        Share::Parents => {
            let (taken, seen) = counts.map_or((0, 0), ParentCounts::get);
            format!(
                "shard {partition}: the parents whose key hashes to {} ({taken} of {seen})",
                partition.index()
            )
        }
        Share::ShardZero(why) => format!("whole, in shard 0 only: {why}"),
    })
}

fn fail_children(feeds: Vec<Feed>, error: &str) {
    for feed in feeds {
        feed.fail(error);
    }
}

/// Reads the stream until it ends, or until nobody wants more records (this resource has its
/// `--limit` or is not loaded, and no child reads on). Returns whether the limit was reached.
async fn pump(
    context: Context<'_>,
    name: &str,
    stream: &mut ResourceStream<Value>,
    output: &mut Output,
    feeds: &mut Vec<Feed>,
    parent: Option<&ParentCheck>,
) -> Result<bool, String> {
    let stats = stream.stats();
    let limit = context.options.limit.unwrap_or(u64::MAX);
    let mut kept: u64 = 0;
    let mut limited = false;
    loop {
        // A parent at its limit keeps fetching while a child reads on, so its limit does
        // not starve the child; it loads no more.
        let own = !limited && !matches!(output, Output::Nothing);
        feeds.retain(Feed::is_open);
        if !own && feeds.is_empty() {
            break;
        }
        let Some(item) = stream.next().await else {
            break;
        };
        let record = item.map_err(|e| e.to_string())?;
        if let Some(failure) = parent.and_then(ParentCheck::failure) {
            return Err(failure);
        }
        for feed in feeds.iter() {
            feed.send(record.clone()).await;
        }
        if own {
            kept += 1;
            limited = kept >= limit;
            if output.push(record).await? {
                context.fetched(name, &stats);
            }
        }
    }
    // The input ended: completely, or because the parent failed.
    match parent.and_then(ParentCheck::failure) {
        Some(failure) => Err(failure),
        None => Ok(limited),
    }
}

/// What a resource's report needs besides its stats and outcome.
struct Ended {
    started: Instant,
    state_before: Option<Value>,
    share: Option<String>,
}

fn report(
    context: Context<'_>,
    resource: String,
    stats: &StatsHandle,
    ended: Ended,
    outcome: Result<(Option<LoadSummary>, bool), String>,
) -> ResourceReport {
    let Ended {
        started,
        state_before,
        share,
    } = ended;
    let table = match context.sink {
        Sink::JsonLines(_) => "-".to_owned(),
        Sink::Destination(_) => context
            .connector
            .spec()
            .resource(&resource)
            .map_or_else(|| resource.clone(), |r| r.table_name.clone()),
    };
    let (status, summary, limited, error) = match outcome {
        Ok((summary, limited)) => (ResourceStatus::Ok, summary, limited, None),
        Err(error) => (ResourceStatus::Failed, None, false, Some(error)),
    };
    let limited_to = context.options.limit.filter(|_| limited);
    let backfill = context
        .connector
        .spec()
        .resource(&resource)
        .and_then(Backfill::of);
    let report = ResourceReport {
        resource,
        table,
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
        share,
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

/// What a resource's writer commits.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    /// Its rows, per its disposition, and its state.
    Rows,
    /// Its state only (a `skip` load: no table is touched).
    StateOnly,
}

/// Reads the stored incremental state into `run` and opens the resource's writer.
async fn prepare_table(
    context: Context<'_>,
    destination: &Arc<dyn Destination>,
    name: &str,
    target: Target,
    state_before: &mut Option<Value>,
    run: &mut RunOptions,
) -> Result<Output, String> {
    let spec = context.connector.spec();
    let resolved = spec
        .resource(name)
        .ok_or_else(|| format!("unknown resource `{name}`"))?;
    let partition = context.options.partition;
    let mut plan = ResourceLoadPlan::from_resource(&spec.name, resolved)
        .with_load_id(context.load_id)
        .with_full_refresh(context.options.full_refresh)
        .with_adopt_table(context.options.adopt_tables);
    // Each shard's own state (and load records): `name#K/N`.
    plan.resource = partition.key(name);
    if target == Target::StateOnly {
        // `skip` touches no table: the load commits its state only.
        plan.disposition = connector_spec::Disposition::Skip;
    }
    if !context.options.full_refresh {
        let (dest, connector_name, key, resource) = (
            Arc::clone(destination),
            spec.name.clone(),
            plan.resource.clone(),
            name.to_owned(),
        );
        // A shard without a state of its own starts from the whole run's, which covers
        // every shard's records.
        let stored = blocking(move || match dest.state(&connector_name, &key)? {
            None if key != resource => dest.state(&connector_name, &resource),
            stored => Ok(stored),
        })
        .await?
        .map_err(|e| e.to_string())?;
        if let Some(stored) = stored.filter(|v| !v.is_null()) {
            *state_before = Some(stored.clone());
            let state: IncrementalState = serde_json::from_value(stored).map_err(|e| {
                format!("the stored state is not incremental state ({e}); run with --full-refresh")
            })?;
            *run = RunOptions::new().with_incremental(state);
        }
    }
    let dest = Arc::clone(destination);
    let writer = blocking(move || dest.begin(&plan))
        .await?
        .map_err(|e| e.to_string())?;
    let batch_size = context.options.batch_size.max(1);
    let table = Table {
        idle: Some(writer),
        busy: None,
        batch: Vec::with_capacity(batch_size),
        batch_size,
    };
    Ok(match target {
        Target::Rows => Output::Table(table),
        Target::StateOnly => Output::StateOnly(table),
    })
}

/// Where a resource's own records go.
enum Output {
    /// Nowhere: it is fetched only to feed its children.
    Nothing,
    Table(Table),
    /// Nowhere, but its incremental state is committed (a root a shard of a partitioned
    /// run fetches for its children, loaded in shard 0): a `skip` load.
    StateOnly(Table),
    Lines(Lines),
}

impl Output {
    /// Takes one record; true when a batch or a block of lines just went out (a moment to
    /// report progress), or every 100 records into a table.
    async fn push(&mut self, record: Value) -> Result<bool, String> {
        match self {
            Output::Nothing | Output::StateOnly(_) => Ok(false),
            Output::Table(table) => table.push(record).await,
            Output::Lines(lines) => lines.push(record),
        }
    }

    /// Writes what is left and commits.
    async fn finish(
        self,
        stats: &StatsHandle,
        limited: bool,
    ) -> Result<Option<LoadSummary>, String> {
        match self {
            Output::Nothing => Ok(None),
            Output::Table(table) | Output::StateOnly(table) => {
                table.finish(stats, limited).await.map(Some)
            }
            Output::Lines(mut lines) => lines.flush().map(|()| None),
        }
    }

    /// Drops what was staged (the writer rolls back).
    async fn abandon(self) {
        if let Output::Table(table) | Output::StateOnly(table) = self {
            abandon(table.idle, table.busy).await;
        }
    }
}

/// A batch being written: the writer and the records come back when it is done.
type Write_ = JoinHandle<(Box<dyn ResourceWriter>, crate::Result<()>, Vec<Value>)>;

/// A resource's writer: one batch written on a blocking thread while the next is fetched.
struct Table {
    idle: Option<Box<dyn ResourceWriter>>,
    busy: Option<Write_>,
    batch: Vec<Value>,
    batch_size: usize,
}

/// Records written come back to the fetching side to be dropped there: the writer's
/// thread is a load's critical path, and the allocator frees fastest on the thread that
/// allocated. The emptied vector is the next batch.
fn recycle(mut records: Vec<Value>) -> Vec<Value> {
    records.clear();
    records
}

impl Table {
    async fn push(&mut self, record: Value) -> Result<bool, String> {
        self.batch.push(record);
        if self.batch.len() < self.batch_size {
            return Ok(self.batch.len() % 100 == 0);
        }
        let (mut writer, spent) = settle(&mut self.idle, &mut self.busy).await?;
        let next = spent.unwrap_or_else(|| Vec::with_capacity(self.batch_size));
        let records = std::mem::replace(&mut self.batch, next);
        self.busy = Some(tokio::task::spawn_blocking(move || {
            let result = writer.write_batch(&records);
            (writer, result, records)
        }));
        Ok(true)
    }

    async fn finish(mut self, stats: &StatsHandle, limited: bool) -> Result<LoadSummary, String> {
        let (mut writer, _) = settle(&mut self.idle, &mut self.busy).await?;
        if let Some(first) = stats.warnings().into_iter().next() {
            writer.refuse_emptying_replace(first);
        }
        // A limited run keeps the stored state: its pages ran ahead of the records loaded.
        let state = stats
            .incremental_state()
            .filter(|_| !limited)
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| format!("incremental state is not JSON: {e}"))?;
        let batch = self.batch;
        blocking(move || {
            writer.write_batch(&batch)?;
            writer.commit(state)
        })
        .await?
        .map_err(|e| e.to_string())
    }
}

/// The writer back from its batch in flight with the batch's emptied vector, or the batch's
/// error (the writer is then dropped, which rolls the staging back).
async fn settle(
    idle: &mut Option<Box<dyn ResourceWriter>>,
    busy: &mut Option<Write_>,
) -> Result<(Box<dyn ResourceWriter>, Option<Vec<Value>>), String> {
    if let Some(handle) = busy.take() {
        let (writer, result, records) = handle
            .await
            .map_err(|e| format!("loader task failed: {e}"))?;
        if let Err(e) = result {
            let _ = blocking(move || drop(writer)).await;
            return Err(e.to_string());
        }
        return Ok((writer, Some(recycle(records))));
    }
    let writer = idle
        .take()
        .ok_or_else(|| "internal error: no writer".to_owned())?;
    Ok((writer, None))
}

async fn abandon(idle: Option<Box<dyn ResourceWriter>>, busy: Option<Write_>) {
    if let Some(handle) = busy {
        if let Ok((writer, _, _)) = handle.await {
            let _ = blocking(move || drop(writer)).await;
        }
    }
    if let Some(writer) = idle {
        let _ = blocking(move || drop(writer)).await;
    }
}

/// JSON lines `{"resource": NAME, "record": {...}}`, written in blocks of whole lines.
struct Lines {
    resource: String,
    out: Arc<Mutex<dyn Write + Send>>,
    buffer: Vec<u8>,
}

impl Lines {
    fn push(&mut self, record: Value) -> Result<bool, String> {
        let line = json!({"resource": self.resource, "record": record});
        serde_json::to_writer(&mut self.buffer, &line).map_err(|e| e.to_string())?;
        self.buffer.push(b'\n');
        if self.buffer.len() < 64 * 1024 {
            return Ok(false);
        }
        self.flush()?;
        Ok(true)
    }

    /// Whole lines only, so concurrent resources never interleave within a line.
    fn flush(&mut self) -> Result<(), String> {
        let mut out = self
            .out
            .lock()
            .map_err(|_| "output lock poisoned".to_owned())?;
        out.write_all(&self.buffer)
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write output: {e}"))?;
        self.buffer.clear();
        Ok(())
    }
}
