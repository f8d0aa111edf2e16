//! Starting, observing and stopping the server.

use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::apis;
use crate::config::DemoConfig;
use crate::error::ApiError;
use crate::faults::Fault;
use crate::state::{AppState, Shared};
use crate::stats::{RecordedRequest, ServerStats};
use crate::Seed;

/// A running demo server. Dropping it stops it (gracefully, in the background);
/// [`DemoServer::shutdown`] stops it and waits.
///
/// ```
/// use connector_demo_server::{DemoConfig, DemoServer, Seed};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = DemoServer::start(DemoConfig::default()).await;
/// assert_eq!(
///     server.token_url(Seed::Meetings).unwrap(),
///     format!("{}/meetings/oauth/token", server.base_url())
/// );
/// assert_eq!(server.url("/bench/items"), format!("{}/bench/items", server.base_url()));
/// server.shutdown().await;
/// # }
/// ```
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    shared: AppState,
    stop: Option<oneshot::Sender<()>>,
    stopped: Option<oneshot::Receiver<()>>,
}

impl DemoServer {
    /// Binds 127.0.0.1 (port `config.port`, 0 = any free one) and serves on the current tokio
    /// runtime.
    ///
    /// # Panics
    /// If the port cannot be bound; [`DemoServer::try_start`] returns the error instead.
    pub async fn start(config: DemoConfig) -> DemoServer {
        let port = config.port;
        match Self::try_start(config).await {
            Ok(server) => server,
            Err(e) => panic!("demo server: cannot bind 127.0.0.1:{port}: {e}"),
        }
    }

    /// Like [`DemoServer::start`], returning the bind error.
    pub async fn try_start(config: DemoConfig) -> io::Result<DemoServer> {
        let (server, run) = Self::prepare(config)?;
        let listener = TcpListener::from_std(run.listener)?;
        tokio::spawn(serve(listener, run.shared, run.stop, run.stopped));
        Ok(server)
    }

    /// Starts the server on a thread of its own with its own 2-worker tokio runtime, so it can
    /// be used from synchronous code and does not compete with the client's runtime (benches).
    ///
    /// # Panics
    /// If the runtime cannot be built or the port cannot be bound.
    pub fn start_in_thread(config: DemoConfig) -> DemoServer {
        let port = config.port;
        let (server, run) = Self::prepare(config)
            .unwrap_or_else(|e| panic!("demo server: cannot bind 127.0.0.1:{port}: {e}"));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("demo-server")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("demo server: cannot build its runtime: {e}"));
        std::thread::Builder::new()
            .name("demo-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(run.listener) {
                        Ok(listener) => serve(listener, run.shared, run.stop, run.stopped).await,
                        Err(e) => eprintln!("demo server: cannot listen: {e}"),
                    }
                });
            })
            .unwrap_or_else(|e| panic!("demo server: cannot spawn its thread: {e}"));
        server
    }

    /// Binds the port and builds the handle; the caller runs [`serve`] on a runtime.
    fn prepare(config: DemoConfig) -> io::Result<(DemoServer, Run)> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let (stop_tx, stop) = oneshot::channel();
        let (stopped, stopped_rx) = oneshot::channel();
        let server = DemoServer {
            addr,
            shared: Arc::clone(&shared),
            stop: Some(stop_tx),
            stopped: Some(stopped_rx),
        };
        let run = Run {
            listener,
            shared,
            stop,
            stopped,
        };
        Ok((server, run))
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `base_url() + path` (a missing leading `/` is added).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{path}", self.base_url())
        } else {
            format!("{}/{path}", self.base_url())
        }
    }

    /// The base_url a seed's spec should use: `base_url() + seed.prefix()`.
    pub fn seed_url(&self, seed: Seed) -> String {
        self.url(seed.prefix())
    }

    /// The absolute OAuth2 token URL of a seed (`None` for the API-key seeds).
    pub fn token_url(&self, seed: Seed) -> Option<String> {
        seed.token_path()
            .map(|path| format!("{}{path}", self.seed_url(seed)))
    }

    /// The secrets `seed`'s spec names, each with the value this server accepts (from the live
    /// [`crate::Credentials`]); `meetings`' `authorization_endpoint` is this server's token URL.
    /// Sorted by name, like `Spec::secret_names()`.
    ///
    /// ```
    /// # use connector_demo_server::{DemoConfig, DemoServer, Seed, DEMO_CLIENT_ID};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = DemoServer::start(DemoConfig::default()).await;
    /// let secrets = server.secrets(Seed::DeviceInventory);
    /// assert_eq!(secrets[1], ("username", DEMO_CLIENT_ID.to_owned()));
    /// # }
    /// ```
    pub fn secrets(&self, seed: Seed) -> Vec<(&'static str, String)> {
        let c = self.shared.config().credentials.clone();
        let mut secrets = match seed {
            Seed::DeviceInventory => vec![("username", c.client_id), ("password", c.client_secret)],
            Seed::Rmm | Seed::AssetManagement => vec![("api_key", c.api_key)],
            Seed::CrmAnalytics => vec![
                ("client_id", c.client_id),
                ("client_secret", c.client_secret),
                ("refresh_token", c.refresh_token),
                ("account_id", c.account_id),
            ],
            Seed::Meetings => vec![
                ("client_id", c.client_id),
                ("client_secret", c.client_secret),
                (
                    "authorization_endpoint",
                    self.token_url(seed).unwrap_or_default(),
                ),
            ],
        };
        secrets.sort();
        secrets
    }

    /// [`DemoServer::secrets`] as environment variables named `<CONNECTOR>__<SECRET>`
    /// upper-cased (e.g. `MEETINGS__CLIENT_ID`), the runtime's naming, for CLI tests.
    pub fn secret_env_vars(&self, seed: Seed) -> Vec<(String, String)> {
        self.secrets(seed)
            .into_iter()
            .map(|(name, value)| {
                let var = format!("{}__{}", seed.name(), name).to_ascii_uppercase();
                (var, value)
            })
            .collect()
    }

    /// What the server has seen so far.
    pub fn stats(&self) -> ServerStats {
        self.shared.stats()
    }

    /// Forgets every count and recorded request (max in-flight restarts from the current one).
    pub fn reset_stats(&self) {
        self.shared.reset_stats();
    }

    /// A copy of the live configuration.
    pub fn config(&self) -> DemoConfig {
        self.shared.config().clone()
    }

    /// Changes the live configuration: record counts, revision, latency, credentials... take
    /// effect from the next request. A changed `faults` list restarts fault counting.
    ///
    /// ```
    /// # use connector_demo_server::{DemoConfig, DemoServer};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = DemoServer::start(DemoConfig::default()).await;
    /// // Between two syncs: 10 new records and updates to every 4th existing one.
    /// server.configure(|c| {
    ///     c.rmm_resources += 10;
    ///     c.revision = 1;
    /// });
    /// assert_eq!(server.config().rmm_resources, 260);
    /// # }
    /// ```
    pub fn configure(&self, change: impl FnOnce(&mut DemoConfig)) {
        self.shared.configure(change);
    }

    /// Replaces the injected faults (their counters start from zero).
    pub fn set_faults(&self, faults: Vec<Fault>) {
        self.shared.configure(|config| config.faults = faults);
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.set_faults(Vec::new());
    }

    /// Revokes every access token issued so far: the next data request with one gets a 401,
    /// as after a token expiry.
    pub fn expire_tokens(&self) {
        self.shared.expire_tokens();
    }

    /// Stops accepting connections, lets requests in progress finish, and waits until the
    /// server has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(stopped) = self.stopped.take() {
            let _ = stopped.await;
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What the serving task needs.
struct Run {
    listener: std::net::TcpListener,
    shared: AppState,
    stop: oneshot::Receiver<()>,
    stopped: oneshot::Sender<()>,
}

async fn serve(
    listener: TcpListener,
    shared: AppState,
    stop: oneshot::Receiver<()>,
    stopped: oneshot::Sender<()>,
) {
    let app = router(shared);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = stop.await;
        })
        .await;
    if let Err(e) = result {
        eprintln!("demo server stopped with an error: {e}");
    }
    let _ = stopped.send(());
}

fn router(shared: AppState) -> Router {
    Router::new()
        .nest(
            Seed::DeviceInventory.prefix(),
            apis::device_inventory::router(),
        )
        .nest(Seed::Rmm.prefix(), apis::rmm::router())
        .nest(
            Seed::AssetManagement.prefix(),
            apis::asset_management::router(),
        )
        .nest(Seed::CrmAnalytics.prefix(), apis::crm_analytics::router())
        .nest(Seed::Meetings.prefix(), apis::meetings::router())
        .nest("/bench", apis::bench::router())
        .fallback(no_route)
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), observe))
        .with_state(shared)
}

async fn no_route(request: Request) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no route for {} {}: see the connector-demo-server docs for the URL layout",
            request.method(),
            request.uri().path()
        ),
    )
    .into_response()
}

/// Wraps every request: in-flight count, latency, fault injection, statistics.
async fn observe(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str)
        .to_owned();
    let _in_flight = shared.enter(route);
    let latency = shared.config().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = request.uri().path().to_owned();
    let keep_recent = shared.config().recent_requests > 0;
    let mut recorded = keep_recent.then(|| record_of(&request));
    let response = match shared.take_fault(&path) {
        Some(fault) => fault.into_response(),
        None => next.run(request).await,
    };
    if let Some(recorded) = recorded.as_mut() {
        recorded.status = response.status().as_u16();
    }
    shared.record(&path, recorded);
    response
}

fn record_of(request: &Request) -> RecordedRequest {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in request.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    RecordedRequest {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().unwrap_or_default().to_owned(),
        headers,
        status: 0,
    }
}

/// Serves `app` (a test's API of its own) on a free port of 127.0.0.1, from a thread with its
/// own tokio runtime so synchronous tests can use it; its base URL (`http://127.0.0.1:PORT`).
/// It runs until the process ends.
///
/// # Panics
/// If the port cannot be bound or the runtime built.
///
/// ```
/// use axum::{routing::get, Router};
///
/// let url = connector_demo_server::serve_in_thread(Router::new().route("/", get(|| async { "hi" })));
/// assert!(url.starts_with("http://127.0.0.1:"));
/// ```
pub fn serve_in_thread(app: Router) -> String {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1: {e}"));
    let url = format!(
        "http://{}",
        listener
            .local_addr()
            .expect("a bound socket has an address")
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot build the server's runtime: {e}"));
    std::thread::spawn(move || {
        runtime.block_on(async move {
            match TcpListener::from_std(listener) {
                Ok(listener) => {
                    if let Err(e) = axum::serve(listener, app).await {
                        eprintln!("test server: {e}");
                    }
                }
                Err(e) => eprintln!("test server: cannot listen: {e}"),
            }
        });
    });
    url
}
