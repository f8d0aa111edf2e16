//! Page prefetch (the root-side prefetch): once a paginator knows the requests ahead (page numbers or offsets with a
//! total), up to `concurrency` of them are in flight at once, each in a spawned task that goes
//! through the same retries, rate limit, Retry-After and auth as any request.
//!
//! The pagination loop still reads every response in order with the one paginator, so the
//! records, their order and every stop rule are exactly those of the sequential loop; a
//! prefetched response the loop never reaches (after a stop) is dropped unread. With
//! concurrency 1 nothing is prefetched.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use tracing::Instrument;

use crate::client::{Call, Outcome};
use crate::decode::{Direct, RecordType, Split};
use crate::engine::Engine;
use crate::paginate::Paginator;
use crate::plan::ResourcePlan;
use crate::request::{Body, Header, Request};
use crate::stats::StatsHandle;
use crate::task::AbortOnDrop;
use crate::Error;

/// A page request's result, or nothing when a response action ignored it.
pub(crate) enum Fetched<R> {
    Ignored,
    Page(Box<Response<R>>),
}

/// A page response.
pub(crate) struct Response<R> {
    pub(crate) headers: HeaderMap,
    pub(crate) status: u16,
    pub(crate) body: Bytes,
    /// The body already split into envelope and records, when the fetcher was asked to and
    /// it worked (`None`: decode `body` through a JSON tree).
    pub(crate) split: Option<Split<R>>,
}

/// What a page request needs besides the request itself.
pub(crate) struct Fetcher<'a> {
    pub(crate) engine: &'a Arc<Engine>,
    pub(crate) plan: &'a Arc<ResourcePlan>,
    pub(crate) headers: &'a [Header],
    pub(crate) body: Option<&'a Body>,
    pub(crate) stats: &'a StatsHandle,
    /// Set when pages may be parsed straight into records (`decode::split`); done here so
    /// prefetched pages are parsed in parallel.
    pub(crate) direct: Option<&'a Direct>,
}

impl Fetcher<'_> {
    /// Sends `request` (with retries); splits the body when `direct` says so.
    pub(crate) async fn fetch<K: RecordType>(
        &self,
        request: &Request,
    ) -> Result<Fetched<K::Record>, Error> {
        let (engine, plan) = (self.engine, self.plan);
        let outcome = engine
            .http
            .execute(Call {
                resource: &plan.name,
                method: plan.method.clone(),
                request,
                headers: self.headers,
                body: self.body,
                auth: plan.auth.as_ref(),
                policy: &plan.policy,
                actions: &plan.actions,
                stats: self.stats,
                credential_hint: &plan.credential_hint,
            })
            .await?;
        let (status, headers, body) = match outcome {
            Outcome::Ignored => return Ok(Fetched::Ignored),
            Outcome::Page {
                status,
                headers,
                body,
            } => (status, headers, body),
        };
        let split = self.direct.and_then(|direct| K::split(&body, direct).ok());
        Ok(Fetched::Page(Box::new(Response {
            headers,
            status,
            body,
            split,
        })))
    }

    /// [`Fetcher::fetch`] in a task of its own (aborted when the handle is dropped).
    fn spawn<K: RecordType>(&self, request: Request, span: &tracing::Span) -> InFlight<K::Record> {
        let engine = Arc::clone(self.engine);
        let plan = Arc::clone(self.plan);
        let headers = self.headers.to_vec();
        let body = self.body.cloned();
        let stats = self.stats.clone();
        let direct = self.direct.cloned();
        AbortOnDrop(tokio::spawn(
            async move {
                let fetcher = Fetcher {
                    engine: &engine,
                    plan: &plan,
                    headers: &headers,
                    body: body.as_ref(),
                    stats: &stats,
                    direct: direct.as_ref(),
                };
                fetcher.fetch::<K>(&request).await
            }
            .instrument(span.clone()),
        ))
    }
}

/// A page request running in its own task.
pub(crate) type InFlight<R> = AbortOnDrop<Result<Fetched<R>, Error>>;

/// Requests in flight ahead of the pagination loop, oldest (next to be read) first.
pub(crate) struct Ahead<R> {
    queue: VecDeque<(Request, InFlight<R>)>,
}

impl<R> Default for Ahead<R> {
    fn default() -> Self {
        Ahead {
            queue: VecDeque::new(),
        }
    }
}

impl<R: Send + 'static> Ahead<R> {
    /// The in-flight request for `request` if it is the oldest one; otherwise every request in
    /// flight is dropped (they no longer match what the paginator asks for) and `None`.
    pub(crate) fn take(&mut self, request: &Request) -> Option<InFlight<R>> {
        match self.queue.front() {
            Some((first, _)) if first == request => self.queue.pop_front().map(|(_, task)| task),
            _ => {
                self.queue.clear();
                None
            }
        }
    }

    /// Puts `next` and the requests the paginator knows after it in flight, at most `width`
    /// in all and at most `budget` (what the page cap still allows). Requests already in
    /// flight are kept when they still match. Does nothing while the paginator knows nothing
    /// ahead, so those sequences stay strictly sequential; a request already in flight for
    /// `next` is kept even when nothing is known after it (the last pages, the page cap).
    pub(crate) fn fill<K: RecordType<Record = R>>(
        &mut self,
        fetcher: &Fetcher<'_>,
        paginator: &dyn Paginator,
        next: &Request,
        width: usize,
        budget: u64,
        span: &tracing::Span,
    ) {
        let width = width
            .min(usize::try_from(budget).unwrap_or(usize::MAX))
            .max(1);
        let after = if width > 1 {
            paginator.lookahead(next, width - 1)
        } else {
            Vec::new()
        };
        let wanted: Vec<Request> = std::iter::once(next.clone()).chain(after).collect();
        let keep = self
            .queue
            .iter()
            .zip(&wanted)
            .take_while(|((in_flight, _), want)| in_flight == *want)
            .count();
        self.queue.truncate(keep);
        if keep == 0 && wanted.len() == 1 {
            // Nothing known ahead and nothing in flight: the loop fetches `next` itself.
            return;
        }
        for request in wanted.into_iter().skip(keep) {
            let task = fetcher.spawn::<K>(request.clone(), span);
            self.queue.push_back((request, task));
        }
    }

    /// Drops every request in flight.
    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }
}
