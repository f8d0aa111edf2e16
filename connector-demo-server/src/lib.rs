//! An in-process HTTP server on 127.0.0.1 that behaves like the five seed APIs (and a scalable
//! bench API), for the tests, examples and benchmarks of the `connector` crates.
//!
//! Each seed API lives under its own path prefix ([`Seed::prefix`]), so one server serves all
//! five at once: point a spec at it with `base_url = server.seed_url(seed)` and, for the OAuth2
//! seeds, `token_url = server.token_url(seed)`. Records are deterministic ([`data`]), counts,
//! latency and faults are configurable ([`DemoConfig`], [`Fault`]), and [`ServerStats`] tells a
//! test what the server saw.
//!
//! ```
//! use connector_demo_server::{DemoConfig, DemoServer, Seed, DEMO_API_KEY};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = DemoServer::start(DemoConfig { rmm_resources: 120, ..DemoConfig::default() }).await;
//! let base_url = server.seed_url(Seed::Rmm); // http://127.0.0.1:PORT/rmm
//! assert!(base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/rmm"));
//! // A connector built from specs/rmm.yaml with this base_url and api_key = DEMO_API_KEY
//! // fetches 120 records in two requests: offset=0 and offset=100.
//! # let _ = DEMO_API_KEY;
//! assert_eq!(server.stats().total_requests, 0);
//! server.shutdown().await;
//! # }
//! ```
//!
//! URL layout (every path below is under `server.base_url()`):
//!
//! | seed | base_url suffix | token path | data paths |
//! |---|---|---|---|
//! | device_inventory | `/device_inventory` | `/api/v1/auth/token` (client credentials) | `/api/v1/computers-inventory` |
//! | rmm | `/rmm` | - (query `api_key`) | `/v1/resource` |
//! | asset_management | `/asset_management` | - (header `api_key`) | `/inventory.api`, `/assets.api`, `/members.api` |
//! | crm_analytics | `/crm_analytics` | `/api/v2/oauth2/token` (refresh token) | `/v1/clients`, `/v1/contacts`, `/v1/company` |
//! | meetings | `/meetings` | `/oauth/token` (client credentials) | `/v1/users`, `/v1/meetings/{user_id}` |
//! | bench | `/bench` | - (no auth) | `/items`, `/parents`, `/parents/{id}/children` |
//!
//! Pointing a seed spec at the server (the runtime's `Options`):
//!
//! | seed | `base_url` | `token_url` | secrets ([`DemoServer::secrets`]) |
//! |---|---|---|---|
//! | device_inventory | `seed_url(DeviceInventory)` | spec's relative `/api/v1/auth/token` works as is; or `token_url(DeviceInventory)` | `username` = [`DEMO_CLIENT_ID`], `password` = [`DEMO_CLIENT_SECRET`] |
//! | rmm | `seed_url(Rmm)` | - | `api_key` = [`DEMO_API_KEY`] |
//! | asset_management | `seed_url(AssetManagement)` | - | `api_key` = [`DEMO_API_KEY`] |
//! | crm_analytics | `seed_url(CrmAnalytics)` | must override: `token_url(CrmAnalytics)` (the spec's is on another host) | `client_id`, `client_secret`, `refresh_token` = [`DEMO_REFRESH_TOKEN`], `account_id` = [`DEMO_ACCOUNT_ID`] |
//! | meetings | `seed_url(Meetings)` | the secret `authorization_endpoint` = `token_url(Meetings)` (or override) | `client_id`, `client_secret`, `authorization_endpoint` |
//! | bench ([`BENCH_SPEC`]) | `url("/bench")` | - | none |
//!
//! Every seed list resource also accepts `updated_since` / `updated_until` (RFC 3339) and then
//! serves only records whose `updated_at` lies in that window, for incremental tests.

mod apis;
mod auth;
mod config;
pub mod data;
mod error;
mod faults;
mod paging;
mod server;
mod state;
mod stats;

pub use config::{
    Credentials, DemoConfig, DEMO_ACCOUNT_ID, DEMO_API_KEY, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
};
pub use faults::{Fault, FaultResponse};
pub use server::{serve_in_thread, DemoServer};
pub use stats::{RecordedRequest, RouteStats, ServerStats};

/// The bench API as a spec (this crate's `specs/bench.yaml`): `items` (page numbers, `total`
/// pages), `items_by_offset` (the same records by offset), `parents`, and `children` (one
/// request per parent). Its base_url must be set to `server.url("/bench")`.
pub const BENCH_SPEC: &str = include_str!("../specs/bench.yaml");

/// [`BENCH_SPEC`] with every paginated resource asking for `page_size` records per request.
///
/// ```
/// let yaml = connector_demo_server::bench_spec(1000);
/// assert!(yaml.contains("limit: 1000\n") && !yaml.contains("limit: 100\n"));
/// ```
pub fn bench_spec(page_size: u64) -> String {
    BENCH_SPEC.replace("limit: 100\n", &format!("limit: {page_size}\n"))
}

/// The five seed APIs the server imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Seed {
    /// `specs/device_inventory.yaml`: OAuth2 client credentials, page numbers from 0.
    DeviceInventory,
    /// `specs/rmm.yaml`: API key in the query string, offset/limit.
    Rmm,
    /// `specs/asset_management.yaml`: API key header, page numbers, three resources.
    AssetManagement,
    /// `specs/crm_analytics.yaml`: OAuth2 refresh token, `Account-Id` header, cursor.
    CrmAnalytics,
    /// `specs/meetings.yaml`: OAuth2 client credentials, cursor, a child resource per user.
    Meetings,
}

impl Seed {
    /// All five, in seed order.
    pub const ALL: [Seed; 5] = [
        Seed::DeviceInventory,
        Seed::Rmm,
        Seed::AssetManagement,
        Seed::CrmAnalytics,
        Seed::Meetings,
    ];

    /// The spec's `name` (and file stem under `specs/`).
    pub fn name(self) -> &'static str {
        match self {
            Seed::DeviceInventory => "device_inventory",
            Seed::Rmm => "rmm",
            Seed::AssetManagement => "asset_management",
            Seed::CrmAnalytics => "crm_analytics",
            Seed::Meetings => "meetings",
        }
    }

    /// Path prefix of this API on the server: `/` + [`Seed::name`].
    pub fn prefix(self) -> &'static str {
        match self {
            Seed::DeviceInventory => "/device_inventory",
            Seed::Rmm => "/rmm",
            Seed::AssetManagement => "/asset_management",
            Seed::CrmAnalytics => "/crm_analytics",
            Seed::Meetings => "/meetings",
        }
    }

    /// Path of the OAuth2 token endpoint below the prefix, for the seeds that have one.
    pub fn token_path(self) -> Option<&'static str> {
        match self {
            Seed::DeviceInventory => Some("/api/v1/auth/token"),
            Seed::CrmAnalytics => Some("/api/v2/oauth2/token"),
            Seed::Meetings => Some("/oauth/token"),
            Seed::Rmm | Seed::AssetManagement => None,
        }
    }

    /// The seed whose spec is named `name`.
    pub fn from_name(name: &str) -> Option<Seed> {
        Seed::ALL.into_iter().find(|seed| seed.name() == name)
    }
}
