//! Record streams: the pagination loop (written once) and the public [`ResourceStream`];
//! parent-child fan-out is in `parent.rs`.
//!
//! Streams are lazy (nothing is sent before the first poll) and bounded: a root resource holds
//! one page at a time plus, for page numbers and offsets with a known total, up to
//! `concurrency` prefetched pages (`lookahead.rs`); a child resource holds at most `concurrency` first pages of upcoming
//! parents (fetched by spawned tasks, so they progress while the current parent is consumed)
//! plus the page being read. Later pages of a parent are fetched when the consumer reaches
//! them. Dropping the stream aborts the spawned tasks and the request in flight.

use std::collections::HashSet;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt, TryStreamExt};
use serde_json::Value;
use tracing::Instrument;

use crate::client::Header;
use crate::connector::Engine;
use crate::decode::{Direct, Json, RecordType};
use crate::incremental::{Decision, Window};
use crate::lookahead::{Ahead, Fetched, Fetcher, Response};
use crate::paginate::{self, Flow, Page, Paginator, Request};
use crate::parent::AbortOnDrop;
use crate::plan::{Bindings, ResourcePlan};
use crate::select::{detect, Records, Selector};
use crate::stats::StatsHandle;
use crate::template::{encode_segment, value_text};
use connector_spec::resolved::ParamSource;
use connector_spec::template::Placeholder;
use crate::{Error, RunOptions};

pub(crate) type PageStream<R> = BoxStream<'static, Result<Vec<R>, Error>>;
pub(crate) type RecordStream<R> = BoxStream<'static, Result<R, Error>>;

/// The records of one resource: `impl Stream<Item = Result<T, Error>> + Send + Unpin`.
///
/// Lazy: no request is sent until it is polled. Dropping it cancels the run. Progress and
/// the new incremental state are read through [`ResourceStream::stats`].
pub struct ResourceStream<T> {
    inner: BoxStream<'static, Result<T, Error>>,
    pub(crate) stats: StatsHandle,
    _marker: PhantomData<fn() -> T>,
}

impl<T> ResourceStream<T> {
    /// A handle on this stream's counters and incremental state; usable after the stream is
    /// dropped.
    pub fn stats(&self) -> StatsHandle {
        self.stats.clone()
    }
}

impl<T> std::fmt::Debug for ResourceStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceStream")
            .field("stats", &self.stats)
            .finish()
    }
}

impl<T> Stream for ResourceStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<T> ResourceStream<T> {
    pub(crate) fn new(inner: RecordStream<T>, stats: StatsHandle) -> ResourceStream<T> {
        ResourceStream {
            inner,
            stats,
            _marker: PhantomData,
        }
    }
}

/// One request sequence: one resource, at most one parent record, one paginator.
pub(crate) struct Sequence {
    pub(crate) engine: Arc<Engine>,
    pub(crate) plan: Arc<ResourcePlan>,
    pub(crate) parent: Option<Arc<Value>>,
    pub(crate) parent_key: Option<String>,
    pub(crate) window: Option<Window>,
    pub(crate) stats: StatsHandle,
    pub(crate) span: tracing::Span,
}

struct Started {
    paginator: Box<dyn Paginator>,
    request: Request,
    headers: Vec<Header>,
    form: Option<Vec<(String, String)>>,
}

struct PageState<K: RecordType> {
    seq: Sequence,
    started: Option<Started>,
    selector: Option<Selector>,
    seen: HashSet<String>,
    pages: u64,
    done: bool,
    pending: Option<Error>,
    ahead: Ahead<K::Record>,
    /// Records on the last page, the room made for the next one.
    last_count: usize,
}

impl Sequence {
    fn bindings(&self) -> Bindings<'_> {
        Bindings {
            parent: match (&self.plan.parent, &self.parent) {
                (Some(p), Some(r)) => Some((p, r.as_ref())),
                _ => None,
            },
            window: self.window.as_ref(),
        }
    }

    /// The first request with every placeholder, param and header filled.
    fn start(&self) -> Result<Started, Error> {
        let plan = &self.plan;
        let engine = &self.engine;
        let bindings = self.bindings();
        let lookup = |p: &Placeholder| bindings.lookup(p);
        let path = plan
            .path
            .render(&lookup, encode_segment)
            .map_err(|p| plan.unbound(&p.text))?;
        let url =
            crate::client::join_url(&engine.http.base_url, &path).map_err(|e| Error::Config {
                resource: plan.name.clone(),
                message: format!(
                    "endpoint path `{}` does not make a URL: {e}",
                    engine.http.redactor.text(&path)
                ),
            })?;
        let mut query = Vec::new();
        for (name, param) in &plan.params {
            let value = match param {
                ParamSource::Template(t) => Some(
                    t.render(&lookup, |s| s.to_owned())
                        .map_err(|p| plan.unbound(&p.text))?,
                ),
                ParamSource::Secret(s) => Some(
                    engine
                        .secrets
                        .get(s)
                        .map(|v| v.expose().to_owned())
                        .ok_or_else(|| plan.unbound(s))?,
                ),
                ParamSource::ParentField(field) => {
                    let parent = self.parent.as_deref().ok_or_else(|| plan.unbound(name))?;
                    Some(
                        field
                            .first(parent)
                            .map(value_text)
                            .ok_or_else(|| plan.unbound(name))?,
                    )
                }
                ParamSource::IncrementalStart => self
                    .window
                    .as_ref()
                    .and_then(|w| w.start_value.as_ref())
                    .map(value_text),
            };
            if let Some(v) = value {
                query.push((name.clone(), v));
            }
        }
        if let (Some(inc), Some(window)) = (&plan.incremental, &self.window) {
            if let (Some(param), Some(start)) = (&inc.config.start_param, &window.start_value) {
                query.push((param.clone(), value_text(start)));
            }
            if let (Some(param), Some(end)) = (&inc.config.end_param, &window.end_value) {
                query.push((param.clone(), value_text(end)));
            }
        }
        let json = plan
            .json
            .as_ref()
            .map(|j| j.render(&lookup))
            .transpose()
            .map_err(|p| plan.unbound(&p.text))?;
        let mut request = Request { url, query, json };
        let mut paginator = paginate::build(&plan.paginator);
        paginator.init(&mut request);
        Ok(Started {
            paginator,
            request,
            headers: plan.render_headers(&bindings, &engine.secrets)?,
            form: plan.render_form(&engine.secrets)?,
        })
    }

    /// Applies incremental filtering and `include_from_parent` to one page's records; the
    /// flag says a record was past the window in `row_order` (request no further page).
    fn shape(&self, records: Vec<Value>) -> Result<(Vec<Value>, bool), Error> {
        let mut out = Vec::with_capacity(records.len());
        let mut past = false;
        for mut record in records {
            if let (Some(inc), Some(window)) = (&self.plan.incremental, &self.window) {
                match inc.check(&record, window, &self.plan.name)? {
                    Decision::Drop => continue,
                    Decision::Past => {
                        past = true;
                        continue;
                    }
                    Decision::Keep(Some(cursor)) => {
                        let key = self.parent_key.as_deref();
                        self.stats
                            .update_incremental(|state| inc.advance(state, key, &cursor));
                    }
                    Decision::Keep(None) => {}
                }
            }
            if let (Some(parent), Value::Object(map)) = (&self.parent, &mut record) {
                for included in &self.plan.include_from_parent {
                    map.insert(
                        included.column.clone(),
                        included.field.first(parent).cloned().unwrap_or(Value::Null),
                    );
                }
            }
            self.stats.add_record();
            out.push(record);
        }
        Ok((out, past))
    }
}

/// The pages of one request sequence, each as its (shaped) records.
pub(crate) fn pages<K: RecordType>(seq: Sequence) -> PageStream<K::Record> {
    let state = PageState::<K> {
        seq,
        started: None,
        selector: None,
        seen: HashSet::new(),
        pages: 0,
        done: false,
        pending: None,
        ahead: Ahead::default(),
        last_count: 0,
    };
    stream::try_unfold(state, |mut st| async move {
        if let Some(e) = st.pending.take() {
            return Err(e);
        }
        if st.done {
            return Ok(None);
        }
        let span = st.seq.span.clone();
        let records = st.next_page().instrument(span).await?;
        Ok(Some((records, st)))
    })
    .boxed()
}

impl<K: RecordType> PageState<K> {
    /// Fetches one page, moves the paginator on, and returns the page's records. A problem
    /// found after the records were read (a loop, the page cap, a record that does not fit
    /// the type) is kept in `pending`, so the records before it still arrive.
    async fn next_page(&mut self) -> Result<Vec<K::Record>, Error> {
        let mut started = match self.started.take() {
            Some(s) => s,
            None => self.seq.start()?,
        };
        let engine = self.seq.engine.clone();
        let plan = self.seq.plan.clone();
        let direct = self.direct_path(started.paginator.as_ref());
        let fetched = match self.ahead.take(&started.request) {
            Some(task) => task.await.map_err(|e| Error::Config {
                resource: plan.name.clone(),
                message: format!("page request task failed: {e}"),
            })??,
            None => {
                let fetcher = fetcher(&engine, &plan, &started, &self.seq.stats, direct.as_ref());
                fetcher.fetch::<K>(&started.request).await?
            }
        };
        let (headers, status, body, split) = match fetched {
            Fetched::Ignored => {
                self.done = true;
                self.ahead.clear();
                return Ok(Vec::new());
            }
            Fetched::Page(response) => {
                let Response {
                    headers,
                    status,
                    body,
                    split,
                } = *response;
                (headers, status, body, split)
            }
        };
        let url = shown_url(&engine, &started.request);
        // Either the records are already parsed (and `envelope` is the rest of the body), or
        // the whole body is a JSON tree the selector takes them from after the paginator ran.
        let (mut envelope, parsed, selector) = match split {
            Some(split) => (split.envelope, Some(split.records), None),
            None => {
                let json = self.parse(&body, status, &url)?;
                let selector = self.selector(&json);
                (json, None, selector)
            }
        };
        let count = match (&parsed, &selector) {
            (Some(records), _) => records.as_ref().map(Vec::len),
            (None, Some(selector)) => selector.count(&envelope),
            (None, None) => Some(0),
        };
        if count.is_none() {
            let selector = self.known_selector().map(ToString::to_string);
            tracing::warn!(data_selector = ?selector, "data_selector matched nothing; page has no records");
        }
        self.seq.stats.add_page();
        self.pages += 1;
        self.last_count = count.unwrap_or(0);
        tracing::trace!(
            page = self.pages,
            records = count,
            parsed_into_type = parsed.is_some(),
            "page read"
        );

        let page = Page {
            headers: &headers,
            body: &envelope,
            records: count.unwrap_or(0),
        };
        let pagination_error = |message: String| Error::Pagination {
            resource: plan.name.clone(),
            url: url.clone(),
            message,
        };
        match started
            .paginator
            .next(&page, &mut started.request)
            .map_err(pagination_error)?
        {
            Flow::Stop => {
                self.done = true;
                self.ahead.clear();
            }
            Flow::Next { token } => {
                self.pending = self
                    .guard(&engine, &token, &started.request)
                    .map(pagination_error);
                if self.pending.is_none() {
                    let budget = engine
                        .max_pages
                        .map_or(u64::MAX, |max| max.saturating_sub(self.pages));
                    let direct = self.direct_path(started.paginator.as_ref());
                    self.ahead.fill::<K>(
                        &fetcher(&engine, &plan, &started, &self.seq.stats, direct.as_ref()),
                        started.paginator.as_ref(),
                        &started.request,
                        engine.concurrency,
                        budget,
                        &self.seq.span,
                    );
                } else {
                    self.ahead.clear();
                }
                self.started = Some(started);
            }
        }
        if let Some(records) = parsed {
            let records = records.unwrap_or_default();
            self.seq.stats.add_records(records.len() as u64);
            return Ok(records);
        }
        // Moved out only now: the paginator may read anything in the body.
        let records = selector
            .and_then(|s| s.take_records(&mut envelope))
            .unwrap_or_default();
        let (records, past) = self.seq.shape(records)?;
        if past && !self.done {
            tracing::debug!(
                "a record is past the incremental window in row_order; no further page"
            );
            self.done = true;
            self.pending = None;
            self.ahead.clear();
        }
        Ok(self.convert(records, &url, status))
    }

    /// The records' key path when pages can be parsed straight into the record type: typed
    /// records, nothing that must see them as JSON first (incremental cursors,
    /// `include_from_parent`), a known selector of plain keys, and a paginator that reads
    /// nothing inside the records.
    fn direct_path(&self, paginator: &dyn Paginator) -> Option<Direct> {
        let plan = &self.seq.plan;
        if !K::DIRECT || plan.incremental.is_some() || !plan.include_from_parent.is_empty() {
            return None;
        }
        let selector = self.known_selector()?;
        let keys = selector.keys()?;
        let reads = paginator.body_paths()?;
        if reads.iter().any(|path| path.overlaps(selector)) {
            return None;
        }
        Some(Direct {
            path: keys.into_iter().map(str::to_owned).collect(),
            expected: self.last_count,
        })
    }

    /// The selector from the spec, or the one detected on the first page.
    fn known_selector(&self) -> Option<&Selector> {
        self.seq.plan.selector.as_ref().or(self.selector.as_ref())
    }

    /// A response body as JSON (a blank body is `null`).
    fn parse(&self, body: &[u8], status: u16, url: &str) -> Result<Value, Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(body).map_err(|e| Error::Decode {
            resource: self.seq.plan.name.clone(),
            url: url.to_owned(),
            status,
            message: format!("response is not JSON: {e}"),
            body: self.seq.engine.http.redactor.excerpt(body, 300),
        })
    }

    /// Records of the stream's type; the first record that does not fit becomes the
    /// pending error, after the records before it.
    fn convert(&mut self, records: Vec<Value>, url: &str, status: u16) -> Vec<K::Record> {
        let mut out = Vec::with_capacity(records.len());
        for record in records {
            match K::from_value(record) {
                Ok(record) => out.push(record),
                Err((e, record)) => {
                    let redactor = &self.seq.engine.http.redactor;
                    self.pending = Some(Error::Decode {
                        resource: self.seq.plan.name.clone(),
                        url: url.to_owned(),
                        status,
                        message: format!("record does not match the generated type: {e}"),
                        body: redactor.excerpt(record.to_string().as_bytes(), 300),
                    });
                    self.done = true;
                    self.ahead.clear();
                    break;
                }
            }
        }
        out
    }

    /// The selector for a response body, detected on the first page when the spec names
    /// none; `None` for a blank body.
    fn selector(&mut self, json: &Value) -> Option<Selector> {
        if json.is_null() {
            return None;
        }
        Some(match (&self.seq.plan.selector, &self.selector) {
            (Some(s), _) | (None, Some(s)) => s.clone(),
            (None, None) => {
                let s = detect(json);
                tracing::info!(data_selector = %s, "no data_selector in the spec; detected from the first response");
                self.selector = Some(s.clone());
                s
            }
        })
    }

    /// Why the next request must not be sent: a token seen before, the page cap, or a next
    /// link to another origin when those may not be followed.
    fn guard(&mut self, engine: &Engine, token: &str, next: &Request) -> Option<String> {
        if !self.seen.insert(token.to_owned()) {
            return Some(format!(
                "the API returned {} twice; stopping instead of looping",
                engine.http.redactor.text(token)
            ));
        }
        if let Some(max) = engine.max_pages.filter(|max| self.pages >= *max) {
            return Some(format!(
                "reached Options.max_pages ({max}) and the API still reports more pages"
            ));
        }
        if !engine.follow_cross_origin && !engine.http.same_origin(&next.url) {
            return Some(format!(
                "the next link points to another origin ({}) and client.follow_cross_origin_links is false",
                next.url.origin().ascii_serialization()
            ));
        }
        None
    }
}

/// What fetching a page of `started`'s sequence needs.
fn fetcher<'a>(
    engine: &'a Arc<Engine>,
    plan: &'a Arc<ResourcePlan>,
    started: &'a Started,
    stats: &'a StatsHandle,
    direct: Option<&'a Direct>,
) -> Fetcher<'a> {
    Fetcher {
        engine,
        plan,
        headers: &started.headers,
        form: started.form.as_deref(),
        stats,
        direct,
    }
}

/// A request's URL with its query, secrets redacted.
pub(crate) fn shown_url(engine: &Engine, request: &Request) -> String {
    let mut url = request.url.clone();
    if !request.query.is_empty() {
        url.query_pairs_mut().extend_pairs(request.query.iter());
    }
    engine.http.redactor.url(&url)
}

/// Runs a page stream in its own task, one page ahead of the consumer: the next request is
/// in flight while the caller handles the current page (e.g. writes it to a database). Memory
/// stays at a few pages. Started on first poll; dropping the stream aborts the task.
fn prefetch<R: Send + 'static>(pages: PageStream<R>) -> PageStream<R> {
    stream::once(async move {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let task = tokio::spawn(async move {
            let mut pages = pages;
            while let Some(page) = pages.next().await {
                if tx.send(page).await.is_err() {
                    break;
                }
            }
        });
        stream::unfold(Some((rx, AbortOnDrop(task))), |state| async move {
            let (mut rx, mut task) = state?;
            match rx.recv().await {
                Some(page) => Some((page, Some((rx, task)))),
                // The producer ended; a panic in it must not look like the end of the data.
                None => match (&mut task).await {
                    Err(e) if e.is_panic() => Some((
                        Err(Error::Config {
                            resource: String::new(),
                            message: format!("page task failed: {e}"),
                        }),
                        None,
                    )),
                    _ => None,
                },
            }
        })
    })
    .flatten()
    .boxed()
}

fn flatten<R: Send + 'static>(pages: PageStream<R>) -> RecordStream<R> {
    pages
        .map_ok(|records| stream::iter(records.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Every record of a resource; a child resource fans out over its parent's records.
pub(crate) fn resource_records<K: RecordType>(
    engine: Arc<Engine>,
    plan: Arc<ResourcePlan>,
    run: RunOptions,
    stats: StatsHandle,
) -> RecordStream<K::Record> {
    if plan.incremental.is_some() {
        stats.set_incremental(run.incremental.clone().unwrap_or_default());
    }
    let span = tracing::info_span!("resource", name = %plan.name);
    match &plan.parent {
        None => {
            let prefetch_pages = engine.concurrency > 1;
            let window = plan
                .incremental
                .as_ref()
                .map(|i| i.window(run.incremental.as_ref(), None));
            let pages = pages::<K>(Sequence {
                engine,
                plan,
                parent: None,
                parent_key: None,
                window,
                stats,
                span,
            });
            flatten(if prefetch_pages {
                prefetch(pages)
            } else {
                pages
            })
        }
        Some(link) => {
            let Some(parent_plan) = engine.plans.get(&link.resource).cloned() else {
                let error = Error::Config {
                    resource: plan.name.clone(),
                    message: format!("parent resource `{}` is not in the spec", link.resource),
                };
                return stream::once(async move { Err(error) }).boxed();
            };
            let parents = resource_records::<Json>(
                engine.clone(),
                parent_plan,
                RunOptions::default(),
                StatsHandle::default(),
            );
            crate::parent::fan_out::<K>(engine, plan, parents, run, stats, span)
        }
    }
}

/// The records of a child for one parent record.
pub(crate) fn child_records<K: RecordType>(
    engine: Arc<Engine>,
    plan: Arc<ResourcePlan>,
    parent: Value,
    run: RunOptions,
    stats: StatsHandle,
) -> RecordStream<K::Record> {
    if plan.incremental.is_some() {
        stats.set_incremental(run.incremental.clone().unwrap_or_default());
    }
    let span = tracing::info_span!("resource", name = %plan.name);
    flatten(pages::<K>(crate::parent::child_sequence(
        engine,
        plan,
        Arc::new(parent),
        run.incremental.as_ref(),
        stats,
        span,
    )))
}
