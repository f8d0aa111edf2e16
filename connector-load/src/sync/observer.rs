//! What a sync run reports while it runs, for the caller to show: the library draws nothing
//! itself (the `connector` command line draws bars or log lines from these events).

use super::report::ResourceReport;

/// One thing that happened during a [`sync_observed`](super::sync_observed) run.
///
/// Events of one resource come in order: `ResourceStarted`, any number of `Fetched`, then
/// `ResourceFinished`. Events of resources running at the same time interleave.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SyncEvent<'a> {
    /// A resource starts: its tree (its root resource and the root's descendants in the
    /// run) got a concurrency slot. A parent and its children start together and run at the
    /// same time, the children fed as the parent's records arrive. A parent fetched only to
    /// feed its children (not asked for) has no events.
    ResourceStarted {
        /// Resource name.
        resource: &'a str,
    },
    /// Records came in. The counts are the resource's running totals (not increments), sent
    /// now and then while records arrive (into a database: every 100 records and with each
    /// batch; as JSON lines: with each 64 KiB written) and once more at the end.
    Fetched {
        /// Resource name.
        resource: &'a str,
        /// Records received so far.
        records: u64,
        /// Pages received so far.
        pages: u64,
        /// Requests retried so far (after an error status or a failed connection).
        retries: u64,
    },
    /// A resource ended, committed ([`ResourceStatus::Ok`](super::ResourceStatus::Ok)) or
    /// rolled back ([`ResourceStatus::Failed`](super::ResourceStatus::Failed), with the
    /// error); the same report is in the run's [`SyncReport`](super::SyncReport).
    ResourceFinished {
        /// What happened to the resource.
        report: &'a ResourceReport,
    },
}

impl<'a> SyncEvent<'a> {
    /// The resource the event is about.
    pub fn resource(&self) -> &'a str {
        match self {
            SyncEvent::ResourceStarted { resource } | SyncEvent::Fetched { resource, .. } => {
                resource
            }
            SyncEvent::ResourceFinished { report } => &report.resource,
        }
    }
}

/// Receives a run's [`SyncEvent`]s, e.g. to draw progress.
///
/// Called on the run's async tasks, between fetching records: keep it quick (print, update
/// a bar, send on a channel), never block. Any `Fn(SyncEvent<'_>) + Send + Sync` closure is
/// an observer.
///
/// ```no_run
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// use connector_load::sync::{sync_observed, Sink, SyncEvent, SyncOptions};
/// use connector_runtime::Connector;
///
/// async fn run(connector: &Connector, sink: Sink) -> connector_load::Result<()> {
///     let finished = AtomicU64::new(0);
///     let observer = |event: SyncEvent<'_>| match event {
///         SyncEvent::ResourceStarted { resource } => eprintln!("{resource}: started"),
///         SyncEvent::Fetched { resource, records, .. } => eprintln!("{resource}: {records} records"),
///         SyncEvent::ResourceFinished { report } => {
///             finished.fetch_add(1, Ordering::Relaxed);
///             eprintln!("{}: {:?}", report.resource, report.status);
///         }
///         _ => {} // events added later
///     };
///     let report = sync_observed(connector, sink, &SyncOptions::default(), &observer).await?;
///     assert_eq!(finished.into_inner(), report.resources.len() as u64);
///     Ok(())
/// }
/// ```
pub trait SyncObserver: Send + Sync {
    /// Called for each event, in the order they happen.
    fn on_event(&self, event: SyncEvent<'_>);
}

impl<F> SyncObserver for F
where
    F: Fn(SyncEvent<'_>) + Send + Sync,
{
    fn on_event(&self, event: SyncEvent<'_>) {
        self(event)
    }
}
