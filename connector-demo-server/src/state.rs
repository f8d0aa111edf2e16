//! State shared by every handler: live configuration, issued tokens, faults and counters.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::time::Instant;

use crate::config::DemoConfig;
use crate::faults::{Fault, FaultResponse, FaultState};
use crate::stats::{RecordedRequest, ServerStats, StatsRecorder};

/// What handlers receive as axum state.
pub(crate) type AppState = Arc<Shared>;

/// An access token the server issued, for one seed API.
#[derive(Debug)]
struct IssuedToken {
    api: &'static str,
    expires_at: Instant,
}

#[derive(Debug)]
pub(crate) struct Shared {
    config: RwLock<DemoConfig>,
    faults: Mutex<Vec<FaultState>>,
    tokens: Mutex<HashMap<String, IssuedToken>>,
    token_serial: AtomicU64,
    stats: Mutex<StatsRecorder>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// A poisoned lock only means another handler panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn new(config: DemoConfig) -> Self {
        let faults = config.faults.iter().cloned().map(FaultState::new).collect();
        Self {
            config: RwLock::new(config),
            faults: Mutex::new(faults),
            tokens: Mutex::new(HashMap::new()),
            token_serial: AtomicU64::new(0),
            stats: Mutex::new(StatsRecorder::default()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    /// The live configuration (read it briefly; never hold it across an await).
    pub(crate) fn config(&self) -> RwLockReadGuard<'_, DemoConfig> {
        self.config
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn configure(&self, change: impl FnOnce(&mut DemoConfig)) {
        let mut config = self
            .config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let before = config.faults.clone();
        change(&mut config);
        if config.faults != before {
            self.set_faults(config.faults.clone());
        }
    }

    pub(crate) fn set_faults(&self, faults: Vec<Fault>) {
        *lock(&self.faults) = faults.iter().cloned().map(FaultState::new).collect();
    }

    /// Counts the request against every fault and returns the first scripted response due.
    pub(crate) fn take_fault(&self, path: &str) -> Option<FaultResponse> {
        let mut faults = lock(&self.faults);
        let mut due = None;
        for fault in faults.iter_mut() {
            let response = fault.next(path);
            if due.is_none() {
                due = response;
            }
        }
        if due.is_some() {
            lock(&self.stats).faults_served += 1;
        }
        due
    }

    pub(crate) fn issue_token(&self, api: &'static str) -> (String, u64) {
        let lifetime = self.config().token_lifetime;
        let serial = self.token_serial.fetch_add(1, Ordering::Relaxed) + 1;
        let token = format!("demo-{api}-token-{serial}");
        let now = Instant::now();
        let mut tokens = lock(&self.tokens);
        tokens.retain(|_, issued| issued.expires_at > now);
        tokens.insert(
            token.clone(),
            IssuedToken {
                api,
                expires_at: now + lifetime,
            },
        );
        (token, lifetime.as_secs())
    }

    /// Whether `token` was issued for `api` and has not expired.
    pub(crate) fn token_valid(&self, token: &str, api: &'static str) -> bool {
        lock(&self.tokens)
            .get(token)
            .is_some_and(|issued| issued.api == api && issued.expires_at > Instant::now())
    }

    pub(crate) fn expire_tokens(&self) {
        lock(&self.tokens).clear();
    }

    pub(crate) fn count_token_request(&self) {
        lock(&self.stats).token_requests += 1;
    }

    pub(crate) fn record(&self, path: &str, request: Option<RecordedRequest>) {
        let keep = self.config().recent_requests;
        lock(&self.stats).record(path, request, keep);
    }

    pub(crate) fn stats(&self) -> ServerStats {
        lock(&self.stats).snapshot(self.max_in_flight.load(Ordering::Relaxed))
    }

    pub(crate) fn reset_stats(&self) {
        lock(&self.stats).reset();
        self.max_in_flight
            .store(self.in_flight.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Marks a request to `route` as in progress until the returned guard drops.
    pub(crate) fn enter(self: &Arc<Self>, route: String) -> InFlight {
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.max_in_flight.fetch_max(now, Ordering::Relaxed);
        lock(&self.stats).enter_route(&route);
        InFlight {
            shared: Arc::clone(self),
            route,
        }
    }
}

/// Decrements the in-flight counts when the request ends, even if the client went away.
pub(crate) struct InFlight {
    shared: Arc<Shared>,
    route: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        lock(&self.shared.stats).leave_route(&self.route);
    }
}
