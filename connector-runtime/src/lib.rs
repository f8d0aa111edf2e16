//! The shared runtime of connectors: it turns a resource of a
//! [`connector_spec::ResolvedSpec`] into an async stream of records, with the behaviour a dlt
//! `rest_api` user expects. It reads only the resolved model (defaults filled, selectors and
//! templates parsed by `connector-spec`): it parses no spec text and links no YAML library.
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
//! - Page prefetch: page_number and offset paginators, once a total is known, keep up to
//!   `concurrency` page requests in flight, records still in page order (concurrency 1:
//!   strictly sequential).
//! - Parent-child fan-out with bounded concurrency in parent order, over a parent the stream
//!   fetches itself or over parent records the caller supplies
//!   ([`Connector::stream_from_parents`], so a loader fetches each parent once); incremental
//!   windows with per-parent high-water marks reported through [`StatsHandle`]; with
//!   `row_order`, paging stops at the first record past the window. Cursors that parse as
//!   timestamps compare as instants, numbers as numbers; the records at the mark are
//!   remembered (by primary key, or [`record_hash`]) so the next run does not load them twice
//!   ([`StatsHandle::deduplicated`]); with `end_value` the window is fixed and no state moves.
//! - Typed streams ([`Connector::stream_typed`]) parse each page straight into the record
//!   type, without a JSON tree, unless the records must be seen as JSON first (incremental
//!   cursors, `include_from_parent`, wildcard selectors, a paginator reading inside them).
//! - Secrets from the environment or a dlt-style secrets.toml, redacted everywhere.
//! - Looking at what an API sends: [`Connector::pages`] reads one request sequence page by
//!   page (nothing fetched ahead), [`Connector::redact`] hides every known secret in a text
//!   (`connector check --live`, `connector samples`).
//!
//! - Extension points: a [`Paginator`] or an [`Authenticator`] of your own for one resource
//!   ([`Options::with_paginator`], [`Options::with_authenticator`]), for the generated
//!   `Client` and the dynamic [`Connector`] alike; record transforms are stream combinators
//!   on [`ResourceStream`].
//!
//! Generated code names only `::connector_runtime::...`, hence the re-exports below.
//!
//! # Pagination stop rules
//! After each response the first rule that says "stop" ends pagination (a rule never forces
//! another page): 1. `stop_condition`; 2. `has_more_path` false; 3. an empty page when
//! `stop_after_empty_page` (default true for page_number / offset, false for cursor); 4. the
//! total reached (`total_path`, default `total`; a missing total is only an error when no other
//! rule can stop; a total seen once is kept); 5. `maximum_page` / `maximum_offset` (as in dlt,
//! the first value not requested); 6. no next cursor / link. A page shorter than `limit` does not stop by itself. A
//! cursor, link or page seen twice is an [`Error::Pagination`], and so are a page repeating
//! the previous page's records and passing the page cap (`max_pages`, default 10000, or
//! [`Options::max_pages`]). A stop that looks wrong (a full page, then no next cursor where the
//! paginator looks; a `Link: rel="next"`, `has_more: true` or `next` key it does not read), a
//! selector that matched nothing and an empty first body are warnings in
//! [`StatsHandle::warnings`], errors with strict mode. A body past `client.max_body_bytes`
//! (default 256 MiB, after decompression) is an error, found while it streams in.
//!
//! # Retries
//! Statuses in `retry_on_status_codes` (default 429 and 5xx), connection errors, timeouts and
//! bodies cut short are retried up to `max_retries` (default 4) with `backoff_factor * 2^n`
//! seconds plus up to 50 % jitter, at most `max_retry_delay`. `Retry-After` (seconds or HTTP
//! date) replaces the jittered wait, clamped to `[max(backoff, retry_after_min_wait),
//! max_retry_delay]`. `response_actions` are checked first: `ignore` (no records, pagination
//! ends), `retry`, `fail`. A 401 with OAuth2 fetches a new token once and replays the request.
//!
//! # Secrets
//! Secret `api_key` of connector `rmm` comes from `RMM__API_KEY`, `SOURCES__RMM__API_KEY`, or
//! `api_key` under `[sources.rmm]` of a secrets.toml (see [`Secrets`]).
//!
//! # Not (yet) supported
//! JSON-lines / CSV bodies; `parallelized` is ignored (children
//! always run with the connector's concurrency bound).

// Modules in dependency order, leaves first: each uses only modules above it.
mod decode;
mod error;
mod incremental;
mod rate_limit;
pub mod record;
mod redact;
mod retry;
mod secrets;
mod select;
mod stats;
mod task;
mod urls;

mod auth;
mod plan;
mod request;

mod client;
mod paginate;
mod suspicious;

mod options;
mod partition;

mod engine;
mod page_prefetch;

mod pages;
mod pipeline;

mod fan_out;
mod stream;

mod connector;

pub use auth::Authenticator;
pub use connector::Connector;
pub use error::Error;
pub use incremental::{record_hash, Boundary, IncrementalState};
pub use options::{Options, RunOptions};
pub use paginate::{Flow, Page, Paginator, StopReason};
pub use partition::{Partition, PartitionError, INDEX_ENV};
pub use request::Request as PageRequest;
pub use secrets::{destination_credential, SecretString, Secrets};
pub use stats::StatsHandle;
pub use stream::ResourceStream;

pub use chrono;
pub use connector_spec;
pub use futures;
pub use reqwest;
pub use serde;
pub use serde_json;
