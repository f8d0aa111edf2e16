//! Page prefetch: once a paginator knows the requests ahead (page numbers or offsets with a
//! total), up to `concurrency` of them are in flight at once, each in a spawned task that goes
//! through the same retries, rate limit, Retry-After and auth as any request.
//!
//! The pagination loop still reads every response in order with the one paginator, so the
//! records, their order and every stop rule are exactly those of the sequential loop; a
//! prefetched response the loop never reaches (after a stop) is dropped unread. With
//! concurrency 1 nothing is prefetched.

use std::collections::VecDeque;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use serde_json::Value;
use tracing::Instrument;

use crate::client::{Call, Header, Outcome};
use crate::connector::Engine;
use crate::paginate::{Paginator, Request};
use crate::parent::AbortOnDrop;
use crate::plan::ResourcePlan;
use crate::stats::StatsHandle;
use crate::Error;

/// A page request's result: its parsed body, or nothing when a response action ignored it.
pub(crate) enum Fetched {
    Ignored,
    Page { headers: HeaderMap, json: Value },
}

/// What a page request needs besides the request itself.
pub(crate) struct Fetcher<'a> {
    pub(crate) engine: &'a Arc<Engine>,
    pub(crate) plan: &'a Arc<ResourcePlan>,
    pub(crate) headers: &'a [Header],
    pub(crate) form: Option<&'a [(String, String)]>,
    pub(crate) stats: &'a StatsHandle,
}

impl Fetcher<'_> {
    /// Sends `request` (with retries) and parses its body as JSON (blank bodies are `null`).
    pub(crate) async fn fetch(&self, request: &Request) -> Result<Fetched, Error> {
        let (engine, plan) = (self.engine, self.plan);
        let outcome = engine
            .http
            .execute(Call {
                resource: &plan.name,
                method: plan.method.clone(),
                request,
                headers: self.headers,
                form: self.form,
                auth: plan.auth.as_ref(),
                policy: &plan.policy,
                actions: &plan.actions,
                stats: self.stats,
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
        let json = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&body).map_err(|e| Error::Decode {
                resource: plan.name.clone(),
                url: crate::stream::shown_url(engine, request),
                status,
                message: format!("response is not JSON: {e}"),
                body: engine.http.redactor.excerpt(&body, 300),
            })?
        };
        Ok(Fetched::Page { headers, json })
    }

    /// [`Fetcher::fetch`] in a task of its own (aborted when the handle is dropped).
    fn spawn(&self, request: Request, span: &tracing::Span) -> AbortOnDrop<Result<Fetched, Error>> {
        let engine = Arc::clone(self.engine);
        let plan = Arc::clone(self.plan);
        let headers = self.headers.to_vec();
        let form = self.form.map(<[_]>::to_vec);
        let stats = self.stats.clone();
        AbortOnDrop(tokio::spawn(
            async move {
                let fetcher = Fetcher {
                    engine: &engine,
                    plan: &plan,
                    headers: &headers,
                    form: form.as_deref(),
                    stats: &stats,
                };
                fetcher.fetch(&request).await
            }
            .instrument(span.clone()),
        ))
    }
}

/// Requests in flight ahead of the pagination loop, oldest (next to be read) first.
#[derive(Default)]
pub(crate) struct Ahead {
    queue: VecDeque<(Request, AbortOnDrop<Result<Fetched, Error>>)>,
}

impl Ahead {
    /// The in-flight request for `request` if it is the oldest one; otherwise every request in
    /// flight is dropped (they no longer match what the paginator asks for) and `None`.
    pub(crate) fn take(
        &mut self,
        request: &Request,
    ) -> Option<AbortOnDrop<Result<Fetched, Error>>> {
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
    pub(crate) fn fill(
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
            let task = fetcher.spawn(request.clone(), span);
            self.queue.push_back((request, task));
        }
    }

    /// Drops every request in flight.
    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }
}
