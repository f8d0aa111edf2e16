//! What the server saw: request counts, token requests, concurrency, recent requests.

use std::collections::{BTreeMap, VecDeque};

/// A snapshot of what the server has seen since it started (or since
/// [`crate::DemoServer::reset_stats`]).
///
/// ```no_run
/// # async fn demo() {
/// use connector_demo_server::{DemoConfig, DemoServer};
///
/// let server = DemoServer::start(DemoConfig::default()).await;
/// // ... run a connector against it ...
/// let stats = server.stats();
/// assert_eq!(stats.requests("/rmm/v1/resource"), 3);
/// assert_eq!(stats.params("/rmm/v1/resource", "offset"), ["0", "100", "200"]);
/// assert_eq!(stats.token_requests, 0);
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Requests per request path (query string excluded), faults and auth failures included.
    pub requests_by_path: BTreeMap<String, u64>,
    /// All requests.
    pub total_requests: u64,
    /// Requests to any token endpoint, successful or not.
    pub token_requests: u64,
    /// Responses replaced by an injected fault.
    pub faults_served: u64,
    /// Most requests in progress at the same time (latency included).
    pub max_in_flight: usize,
    /// Per route template (`/meetings/v1/meetings/{user_id}`, `/rmm/v1/resource`; unknown paths
    /// under `(no route)`): requests and most requests in progress at once, so a test can check
    /// a fan-out's concurrency bound without counting parent or token requests.
    pub routes: BTreeMap<String, RouteStats>,
    /// The most recent requests, oldest first (at most `DemoConfig::recent_requests`).
    pub recent: Vec<RecordedRequest>,
}

/// Requests of one route template.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteStats {
    /// Requests to the route.
    pub requests: u64,
    /// Most requests to the route in progress at the same time.
    pub max_in_flight: usize,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    /// Headers, names lower-case; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The status the server answered with.
    pub status: u16,
}

impl RecordedRequest {
    /// A header's value (`name` in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

impl ServerStats {
    /// Requests to exactly `path`.
    pub fn requests(&self, path: &str) -> u64 {
        self.requests_by_path.get(path).copied().unwrap_or(0)
    }

    /// Requests to every path starting with `prefix` (e.g. a seed's prefix).
    pub fn requests_under(&self, prefix: &str) -> u64 {
        self.requests_by_path
            .iter()
            .filter(|(path, _)| path.starts_with(prefix))
            .map(|(_, count)| count)
            .sum()
    }

    /// The counters of a route template (zero when it saw no request).
    pub fn route(&self, template: &str) -> RouteStats {
        self.routes.get(template).copied().unwrap_or_default()
    }

    /// Recent requests to exactly `path`, oldest first.
    pub fn recent_to<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a RecordedRequest> {
        self.recent.iter().filter(move |r| r.path == path)
    }

    /// Raw query strings of recent requests to `path`, oldest first.
    pub fn queries(&self, path: &str) -> Vec<String> {
        self.recent_to(path).map(|r| r.query.clone()).collect()
    }

    /// Values of query parameter `name` in recent requests to `path` that carried it.
    pub fn params(&self, path: &str, name: &str) -> Vec<String> {
        self.recent_to(path).filter_map(|r| r.param(name)).collect()
    }

    /// The most recent request to `path`.
    pub fn last_request(&self, path: &str) -> Option<&RecordedRequest> {
        self.recent.iter().rev().find(|r| r.path == path)
    }
}

/// The mutable counters behind [`ServerStats`].
#[derive(Debug, Default)]
pub(crate) struct StatsRecorder {
    pub(crate) requests_by_path: BTreeMap<String, u64>,
    pub(crate) total_requests: u64,
    pub(crate) token_requests: u64,
    pub(crate) faults_served: u64,
    pub(crate) recent: VecDeque<RecordedRequest>,
    routes: BTreeMap<String, RouteCounters>,
}

#[derive(Debug, Default)]
struct RouteCounters {
    stats: RouteStats,
    in_flight: usize,
}

impl StatsRecorder {
    pub(crate) fn record(&mut self, path: &str, request: Option<RecordedRequest>, keep: usize) {
        match self.requests_by_path.get_mut(path) {
            Some(count) => *count += 1,
            None => {
                self.requests_by_path.insert(path.to_owned(), 1);
            }
        }
        self.total_requests += 1;
        if let Some(request) = request {
            while self.recent.len() >= keep.max(1) {
                self.recent.pop_front();
            }
            self.recent.push_back(request);
        }
    }

    /// A request to `route` starts.
    pub(crate) fn enter_route(&mut self, route: &str) {
        let counters = match self.routes.get_mut(route) {
            Some(counters) => counters,
            None => self.routes.entry(route.to_owned()).or_default(),
        };
        counters.in_flight += 1;
        counters.stats.requests += 1;
        counters.stats.max_in_flight = counters.stats.max_in_flight.max(counters.in_flight);
    }

    /// A request to `route` ends.
    pub(crate) fn leave_route(&mut self, route: &str) {
        if let Some(counters) = self.routes.get_mut(route) {
            counters.in_flight = counters.in_flight.saturating_sub(1);
        }
    }

    /// Forgets everything but the requests still in progress.
    pub(crate) fn reset(&mut self) {
        let routes = std::mem::take(&mut self.routes);
        *self = StatsRecorder::default();
        for (route, counters) in routes {
            if counters.in_flight > 0 {
                let stats = RouteStats {
                    requests: 0,
                    max_in_flight: counters.in_flight,
                };
                let in_flight = counters.in_flight;
                self.routes
                    .insert(route, RouteCounters { stats, in_flight });
            }
        }
    }

    pub(crate) fn snapshot(&self, max_in_flight: usize) -> ServerStats {
        ServerStats {
            requests_by_path: self.requests_by_path.clone(),
            total_requests: self.total_requests,
            token_requests: self.token_requests,
            faults_served: self.faults_served,
            max_in_flight,
            routes: self
                .routes
                .iter()
                .map(|(route, counters)| (route.clone(), counters.stats))
                .collect(),
            recent: self.recent.iter().cloned().collect(),
        }
    }
}
