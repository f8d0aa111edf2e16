//! Settings a caller gives on top of the spec.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::Authenticator;
use crate::incremental::IncrementalState;
use crate::paginate::{Paginator, PaginatorFactory};
use crate::Partition;

/// Run-time settings that override or complete the spec. Every field is optional.
#[derive(Clone, Default)]
pub struct Options {
    /// Replaces the spec's `client.base_url` (e.g. a local test server).
    pub base_url: Option<String>,
    /// Replaces the OAuth2 token URL of the spec (relative URLs are joined to base_url).
    pub token_url: Option<String>,
    /// Concurrent child requests (one per parent record); default `client.concurrency`, else 8.
    /// Above 1, a root resource's next page is also fetched while the current one is read,
    /// and page_number / offset paginators, once the response gave a total, keep up to this
    /// many page requests in flight (records still come in page order); 1 makes every
    /// resource strictly sequential.
    pub concurrency: Option<usize>,
    /// Most pages one paginated request sequence may fetch, replacing the spec's `max_pages`
    /// (default [`connector_spec::resolved::DEFAULT_MAX_PAGES`]); passing it is an error, not
    /// a silent stop (a guard against a paginator that never ends).
    pub max_pages: Option<u64>,
    /// Largest response body, bytes after decompression, replacing the spec's
    /// `client.max_body_bytes` (default [`connector_spec::resolved::DEFAULT_MAX_BODY_BYTES`]).
    /// A larger body is an error, found while it streams in.
    pub max_body_bytes: Option<u64>,
    /// Makes every warning about a stop that looks wrong an error that fails the resource,
    /// as the spec's `strict: true` does (either one is enough).
    pub strict: bool,
    /// Per-request timeout; default `client.timeout_seconds`, else 60 s.
    pub timeout: Option<Duration>,
    /// Multiplies every retry wait (backoff and Retry-After); `0.001` makes a test's
    /// 60-second wait take 60 ms. Default 1.
    pub retry_delay_scale: Option<f64>,
    /// Replaces the User-Agent header (default `connector/<version>`).
    pub user_agent: Option<String>,
    /// Paginators of your own, by resource, replacing the spec's (see
    /// [`Options::with_paginator`]).
    pub(crate) paginators: BTreeMap<String, PaginatorFactory>,
    /// Authenticators of your own, by resource, replacing the spec's auth.
    pub(crate) authenticators: BTreeMap<String, Arc<dyn Authenticator>>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field("concurrency", &self.concurrency)
            .field("max_pages", &self.max_pages)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("strict", &self.strict)
            .field("timeout", &self.timeout)
            .field("retry_delay_scale", &self.retry_delay_scale)
            .field("user_agent", &self.user_agent)
            .field("paginators", &self.paginators.keys().collect::<Vec<_>>())
            .field(
                "authenticators",
                &self.authenticators.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Options {
    /// Default options.
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets [`Options::base_url`].
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Options {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sets [`Options::token_url`].
    pub fn with_token_url(mut self, token_url: impl Into<String>) -> Options {
        self.token_url = Some(token_url.into());
        self
    }

    /// Sets [`Options::concurrency`].
    pub fn with_concurrency(mut self, concurrency: usize) -> Options {
        self.concurrency = Some(concurrency);
        self
    }

    /// Sets [`Options::max_pages`].
    pub fn with_max_pages(mut self, max_pages: u64) -> Options {
        self.max_pages = Some(max_pages);
        self
    }

    /// Sets [`Options::max_body_bytes`].
    pub fn with_max_body_bytes(mut self, max_body_bytes: u64) -> Options {
        self.max_body_bytes = Some(max_body_bytes);
        self
    }

    /// Sets [`Options::strict`].
    pub fn with_strict(mut self, strict: bool) -> Options {
        self.strict = strict;
        self
    }

    /// Sets [`Options::timeout`].
    pub fn with_timeout(mut self, timeout: Duration) -> Options {
        self.timeout = Some(timeout);
        self
    }

    /// Sets [`Options::retry_delay_scale`].
    pub fn with_retry_delay_scale(mut self, scale: f64) -> Options {
        self.retry_delay_scale = Some(scale);
        self
    }

    /// Pages `resource` with a paginator of your own instead of the spec's; `make` is called
    /// once per request sequence (once per parent record for a child). See [`Paginator`] for
    /// an example. Naming a resource the spec does not have fails [`crate::Connector::new`].
    pub fn with_paginator(
        mut self,
        resource: impl Into<String>,
        make: impl Fn() -> Box<dyn Paginator> + Send + Sync + 'static,
    ) -> Options {
        self.paginators.insert(resource.into(), Arc::new(make));
        self
    }

    /// Authenticates `resource`'s requests with an authenticator of your own instead of the
    /// spec's auth. See [`Authenticator`] for an example. Naming a resource the spec does not
    /// have fails [`crate::Connector::new`].
    pub fn with_authenticator(
        mut self,
        resource: impl Into<String>,
        authenticator: impl Authenticator + 'static,
    ) -> Options {
        self.authenticators
            .insert(resource.into(), Arc::new(authenticator));
        self
    }
}

/// Settings of one run of one resource.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Incremental state saved by the previous run (the loader keeps it); `None` starts from
    /// the spec's `initial_value`.
    pub incremental: Option<IncrementalState>,
    /// Read only this shard's share of the pages (a root resource with a page_number or
    /// offset paginator that knows its total: see [`Connector::can_split_pages`]); `None`
    /// reads them all.
    ///
    /// [`Connector::can_split_pages`]: crate::Connector::can_split_pages
    pub pages_of: Option<Partition>,
}

impl RunOptions {
    /// No state: a first run.
    pub fn new() -> RunOptions {
        RunOptions::default()
    }

    /// Resumes from saved incremental state.
    pub fn with_incremental(mut self, state: IncrementalState) -> RunOptions {
        self.incremental = Some(state);
        self
    }

    /// Reads only `partition`'s share of the pages ([`Partition::page_range`]).
    pub fn with_pages_of(mut self, partition: Partition) -> RunOptions {
        self.pages_of = Some(partition);
        self
    }
}
