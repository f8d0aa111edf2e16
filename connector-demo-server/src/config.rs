//! What the server serves: record counts, latency, accepted credentials and faults.

use std::time::Duration;

use crate::faults::Fault;

/// OAuth2 client id accepted by every token endpoint (`device_inventory`'s `username` secret).
pub const DEMO_CLIENT_ID: &str = "demo-client-id";
/// OAuth2 client secret accepted by every token endpoint (`device_inventory`'s `password` secret).
pub const DEMO_CLIENT_SECRET: &str = "demo-client-secret";
/// API key accepted by `rmm` (query `api_key`) and `asset_management` (header `api_key`).
pub const DEMO_API_KEY: &str = "demo-api-key";
/// Refresh token accepted by `crm_analytics`' refresh-token grant.
pub const DEMO_REFRESH_TOKEN: &str = "demo-refresh-token";
/// Value `crm_analytics` requires in the `Account-Id` header.
pub const DEMO_ACCOUNT_ID: &str = "demo-account-42";

/// Credentials the server accepts. Defaults are the `DEMO_*` constants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// OAuth2 client id (client-credentials and refresh-token grants).
    pub client_id: String,
    /// OAuth2 client secret.
    pub client_secret: String,
    /// API key for `rmm` and `asset_management`.
    pub api_key: String,
    /// Refresh token for `crm_analytics`.
    pub refresh_token: String,
    /// Required `Account-Id` header of `crm_analytics`.
    pub account_id: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: DEMO_CLIENT_SECRET.into(),
            api_key: DEMO_API_KEY.into(),
            refresh_token: DEMO_REFRESH_TOKEN.into(),
            account_id: DEMO_ACCOUNT_ID.into(),
        }
    }
}

/// Server configuration. Build it with struct update syntax:
///
/// ```
/// use connector_demo_server::DemoConfig;
/// use std::time::Duration;
///
/// let config = DemoConfig {
///     computers: 10,
///     latency: Duration::from_millis(5),
///     ..DemoConfig::default()
/// };
/// assert_eq!(config.rmm_resources, 250);
/// ```
///
/// Record `i` (1-based) of every resource has fixed field values; the generators in
/// [`crate::data`] say which, so tests can compare exact records.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Port to bind on 127.0.0.1; 0 (default) picks a free one.
    pub port: u16,
    /// `device_inventory` computers (default 250: pages of 100, 100, 50).
    pub computers: u64,
    /// `rmm` resources (default 250).
    pub rmm_resources: u64,
    /// `asset_management` inventories (default 60).
    pub asset_inventories: u64,
    /// `asset_management` assets (default 110).
    pub asset_assets: u64,
    /// `asset_management` members (default 35).
    pub asset_members: u64,
    /// `crm_analytics` clients (default 120).
    pub crm_clients: u64,
    /// `crm_analytics` contacts (default 130).
    pub crm_contacts: u64,
    /// `meetings` users (default 70). User `i` has `i % 4` meetings
    /// ([`crate::data::meetings_of_user`]).
    pub meeting_users: u64,
    /// End the `meetings` users listing with `"next_page_token": ""` (as many real APIs do)
    /// instead of leaving the key out (default false).
    pub empty_last_page_token: bool,
    /// A user id (e.g. `"user-0005"`) whose `/v1/meetings/{id}` answers 404, as a user deleted
    /// between the two requests would.
    pub missing_meetings_user: Option<String>,
    /// Records served by `/bench/items` (default 10,000).
    pub bench_records: u64,
    /// Page size of `/bench/items` and `/bench/parents` when the request names none (default 100).
    pub bench_page_size: u64,
    /// Records served by `/bench/parents` (default 100).
    pub bench_parents: u64,
    /// Children of each bench parent (default 5).
    pub bench_children_per_parent: u64,
    /// Added to every request, token requests included (a tokio sleep before the handler runs).
    pub latency: Duration,
    /// Lifetime of issued access tokens, sent as `expires_in` (default 1 hour).
    pub token_lifetime: Duration,
    /// Credentials the server accepts.
    pub credentials: Credentials,
    /// Data revision. At revision `r > 0` every 4th record of the seed list resources is changed:
    /// its name gets a ` (rev r)` suffix and its `updated_at` moves `r * 30` days later, so merge
    /// and incremental tests can see updates to existing keys.
    pub revision: u32,
    /// Faults injected from the start ([`crate::DemoServer::set_faults`] replaces them later).
    pub faults: Vec<Fault>,
    /// How many recent requests [`crate::ServerStats::recent`] keeps (default 1,000; 0 = none).
    pub recent_requests: usize,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            port: 0,
            computers: 250,
            rmm_resources: 250,
            asset_inventories: 60,
            asset_assets: 110,
            asset_members: 35,
            crm_clients: 120,
            crm_contacts: 130,
            meeting_users: 70,
            empty_last_page_token: false,
            missing_meetings_user: None,
            bench_records: 10_000,
            bench_page_size: 100,
            bench_parents: 100,
            bench_children_per_parent: 5,
            latency: Duration::ZERO,
            token_lifetime: Duration::from_secs(3600),
            credentials: Credentials::default(),
            revision: 0,
            faults: Vec::new(),
            recent_requests: 1000,
        }
    }
}

impl DemoConfig {
    /// Total meetings over all users (the `meetings` resource's record count).
    pub fn total_meetings(&self) -> u64 {
        (1..=self.meeting_users)
            .map(crate::data::meetings_of_user)
            .sum()
    }
}
