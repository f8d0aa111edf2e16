//! The shared runtime of connectors: it turns a resource of a [`connector_spec::Spec`] into an
//! async stream of records, with the behaviour a dlt `rest_api` user expects.
//!
//! - HTTP: one reqwest client per connector (rustls, gzip, timeouts), base_url joining,
//!   params and headers from the spec, `User-Agent: connector/<version>`.
//! - Auth: api_key (header, query, cookie), bearer, http_basic, OAuth2 client credentials and
//!   refresh-token grant; tokens shared and refreshed once on 401; credentials only ever go to
//!   base_url's origin.
//! - Pagination: every dlt paginator with one documented stop precedence (see `paginate`),
//!   loop detection and a page cap.
//! - Retries with exponential backoff and jitter, Retry-After honoured and clamped;
//!   `response_actions`; a shared token-bucket rate limit.
//! - Parent-child fan-out with bounded concurrency in parent order; incremental windows with
//!   per-parent high-water marks reported through [`StatsHandle`].
//! - Secrets from the environment or a dlt-style secrets.toml, redacted everywhere.
//!
//! Generated code names only `::connector_runtime::...`, hence the re-exports below.

mod auth;
mod client;
mod connector;
mod error;
mod incremental;
mod options;
mod paginate;
mod plan;
mod rate_limit;
mod redact;
mod retry;
mod secrets;
mod select;
mod stats;
mod stream;
mod template;

pub use connector::Connector;
pub use error::Error;
pub use incremental::IncrementalState;
pub use options::{Options, RunOptions};
pub use secrets::{SecretString, Secrets};
pub use stats::StatsHandle;
pub use stream::ResourceStream;

pub use connector_spec;
pub use futures;
pub use serde;
pub use serde_json;
