//! Counters of a running stream, readable while it runs and after it ends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::incremental::IncrementalState;

/// A shared view of one stream's progress. Cheap to clone.
///
/// Counts cover the resource's own requests; for a child resource the parent's requests are
/// not included.
#[derive(Debug, Clone, Default)]
pub struct StatsHandle {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    pages: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
    records: AtomicU64,
    deduplicated: AtomicU64,
    incremental: Mutex<Option<IncrementalState>>,
    warnings: Mutex<Vec<String>>,
    warnings_dropped: AtomicU64,
}

/// Warnings kept per stream: a child resource can repeat one warning for every parent, and
/// the report needs the first few, not thousands.
const KEPT_WARNINGS: usize = 20;

impl StatsHandle {
    /// Pages received (responses whose records were read).
    pub fn pages(&self) -> u64 {
        self.inner.pages.load(Ordering::Relaxed)
    }

    /// HTTP requests sent to the API, retries included, token requests excluded.
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Requests that were retries of an earlier attempt, including requests sent again with
    /// fresh credentials after a 401.
    pub fn retries(&self) -> u64 {
        self.inner.retries.load(Ordering::Relaxed)
    }

    /// Records yielded.
    pub fn records(&self) -> u64 {
        self.inner.records.load(Ordering::Relaxed)
    }

    /// Records dropped because the last run loaded them already: at the saved incremental
    /// last value, with a primary key (or record hash) the state remembers there. Not in
    /// [`StatsHandle::records`].
    pub fn deduplicated(&self) -> u64 {
        self.inner.deduplicated.load(Ordering::Relaxed)
    }

    /// The new incremental high-water mark, when the resource is incremental. Complete once
    /// the stream has ended; the caller persists it together with the data. `None` also for
    /// an incremental with `end_value`: a fixed window (a backfill) leaves the state as it was.
    pub fn incremental_state(&self) -> Option<IncrementalState> {
        self.inner.incremental.lock().ok().and_then(|s| s.clone())
    }

    /// What looked wrong while fetching (a stop that may have lost pages, a selector that
    /// matched nothing, an empty body), in the order seen: the first 20, then a line saying
    /// how many more there were. Each is also logged with `tracing::warn!`. With
    /// `strict` (spec) or [`crate::Options::strict`] each is an error instead.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self
            .inner
            .warnings
            .lock()
            .map(|w| w.clone())
            .unwrap_or_default();
        let dropped = self.inner.warnings_dropped.load(Ordering::Relaxed);
        if dropped > 0 {
            out.push(format!("{dropped} more warnings like these not shown"));
        }
        out
    }

    /// Logs `message` and keeps it for [`StatsHandle::warnings`].
    pub(crate) fn warn(&self, message: String) {
        tracing::warn!("{message}");
        if let Ok(mut kept) = self.inner.warnings.lock() {
            if kept.len() < KEPT_WARNINGS {
                kept.push(message);
                return;
            }
        }
        self.inner.warnings_dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_page(&self) {
        self.inner.pages.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_request(&self, retry: bool) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        if retry {
            self.inner.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A request is sent again with fresh credentials after a 401.
    pub(crate) fn add_refresh(&self) {
        self.inner.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_record(&self) {
        self.add_records(1);
    }

    pub(crate) fn add_records(&self, count: u64) {
        self.inner.records.fetch_add(count, Ordering::Relaxed);
    }

    pub(crate) fn add_deduplicated(&self) {
        self.inner.deduplicated.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `f` on the state being built (`None`: the lock was poisoned).
    pub(crate) fn update_incremental<R>(
        &self,
        f: impl FnOnce(&mut IncrementalState) -> R,
    ) -> Option<R> {
        let mut guard = self.inner.incremental.lock().ok()?;
        Some(f(guard.get_or_insert_with(IncrementalState::default)))
    }

    pub(crate) fn set_incremental(&self, state: IncrementalState) {
        if let Ok(mut guard) = self.inner.incremental.lock() {
            *guard = Some(state);
        }
    }
}
