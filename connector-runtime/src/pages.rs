//! The page loop, written once: one request sequence (one resource, at most one parent
//! record, one paginator) read page by page, with the loop guards (a token seen twice, the
//! page cap, a cross-origin next link) and the records shaped (incremental window,
//! `include_from_parent`) or parsed straight into their type.

use std::collections::HashSet;
use std::sync::Arc;

use futures::stream::{self, BoxStream};
use futures::StreamExt;
use serde_json::Value;
use tracing::Instrument;

use crate::decode::{Direct, RecordType};
use crate::engine::Engine;
use crate::incremental::{Decision, Window};
use crate::page_prefetch::{Ahead, Fetched, Fetcher, Response};
use crate::paginate::{Flow, Page, Paginator, StopReason};
use crate::plan::ResourcePlan;
use crate::request::{self, Assembled, Body, Header, Request};
use crate::select::{detect, Records, Selector};
use crate::stats::StatsHandle;
use crate::suspicious::{self, next_signals, stop_warning, Stop};
use crate::{Error, Partition};

/// A stream of pages, each its records.
pub(crate) type PageStream<R> = BoxStream<'static, Result<Vec<R>, Error>>;
/// A stream of records.
pub(crate) type RecordStream<R> = BoxStream<'static, Result<R, Error>>;
/// One request sequence: one resource, at most one parent record, one paginator.
pub(crate) struct Sequence {
    pub(crate) engine: Arc<Engine>,
    pub(crate) plan: Arc<ResourcePlan>,
    pub(crate) parent: Option<Arc<Value>>,
    pub(crate) parent_key: Option<String>,
    pub(crate) window: Option<Window>,
    /// A partitioned run's shard, when this sequence reads only its share of the pages.
    pub(crate) pages_of: Option<Partition>,
    pub(crate) stats: StatsHandle,
    pub(crate) span: tracing::Span,
}

struct Started {
    paginator: Box<dyn Paginator>,
    request: Request,
    headers: Vec<Header>,
    body: Option<Body>,
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
    /// The last page's record count, first and last record (pages read as JSON): a page
    /// equal to the one before is a loop.
    last_page: Option<(usize, Value, Value)>,
    /// Kinds of page warnings given in this sequence: each once, not once per page.
    warned: Vec<&'static str>,
}

impl Sequence {
    /// The first request, every placeholder, param and header filled, and its paginator.
    fn start(&self) -> Result<Started, Error> {
        let Assembled {
            mut request,
            headers,
            body,
        } = request::assemble(
            &self.engine.http.base_url,
            &self.engine.http.redactor,
            &self.engine.secrets,
            &self.plan,
            self.parent.as_deref(),
            self.window.as_ref(),
        )?;
        let mut paginator = self.plan.paginator();
        if let Some(partition) = self.pages_of {
            if !paginator.share_pages(partition) {
                return Err(Error::Config {
                    resource: self.plan.name.clone(),
                    message: format!(
                        "shard {partition}: this paginator cannot split its pages (it needs a \
                         page_number or offset paginator with a total_path or a maximum)"
                    ),
                });
            }
        }
        paginator.init(&mut request);
        Ok(Started {
            paginator,
            request,
            headers,
            body,
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
                    Decision::Keep(Some(cursor)) if inc.stateful() => {
                        let key = self.parent_key.as_deref();
                        let keep = self.stats.update_incremental(|state| {
                            inc.accept(state, window, key, &cursor, &record, &self.plan.name)
                        });
                        if keep.transpose()? == Some(false) {
                            self.stats.add_deduplicated();
                            continue;
                        }
                    }
                    Decision::Keep(_) => {}
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
        last_page: None,
        warned: Vec::new(),
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
        let url = started.request.shown(&engine.http.redactor);
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
        let concerns = self.page_concerns(&body, status, &envelope, count, parsed.is_some());
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
        let mut concerns = concerns;
        let flow = started
            .paginator
            .next(&page, &mut started.request)
            .map_err(pagination_error)?;
        let foreign = started.paginator.foreign_page();
        match flow {
            Flow::Stop => {
                self.done = true;
                self.ahead.clear();
                let reason = started.paginator.stop_reason();
                if !matches!(reason, StopReason::Rule | StopReason::Unknown) {
                    let reads = started.paginator.body_paths().unwrap_or_default();
                    let signals = next_signals(&headers, &envelope, &reads, &engine.http.redactor);
                    concerns.extend(stop_warning(Stop {
                        page: self.pages,
                        records: count.unwrap_or(0),
                        reason: &reason,
                        page_size: started.paginator.page_size(),
                        signals,
                    }));
                }
            }
            Flow::Next { token } => {
                self.pending = self
                    .guard(&engine, &token, &started.request)
                    .map(pagination_error);
                if self.pending.is_none() {
                    let budget = self.max_pages().saturating_sub(self.pages);
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
        for concern in concerns {
            self.suspicious(concern);
        }
        if foreign {
            tracing::debug!("page read for its total only: its records are another shard's");
            return Ok(Vec::new());
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
        // A token seen twice (in `pending`) already ends the sequence with its own message.
        if let Some(message) = self
            .pending
            .is_none()
            .then(|| self.repeated(&records))
            .flatten()
        {
            self.done = true;
            self.pending = None;
            self.ahead.clear();
            return Err(pagination_error(message));
        }
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

    /// The page cap: the caller's, else the resource's `max_pages`.
    fn max_pages(&self) -> u64 {
        self.seq.engine.max_pages.unwrap_or(self.seq.plan.max_pages)
    }

    /// What looks wrong about the page just read, before the paginator sees it: an empty
    /// body or a 204 on the first page, a selector that matched nothing in a body that is not
    /// empty, a selector holding `null` on the first page. Each kind once per sequence.
    fn page_concerns(
        &mut self,
        body: &[u8],
        status: u16,
        envelope: &Value,
        count: Option<usize>,
        parsed: bool,
    ) -> Vec<String> {
        let page = self.pages + 1;
        let blank = body.iter().all(u8::is_ascii_whitespace);
        let selector = self.known_selector().cloned();
        let (kind, message) = if page == 1 && (blank || status == 204) {
            ("empty body", suspicious::empty_body(page, status))
        } else if count.is_none() && !envelope.is_null() {
            (
                "selector unmatched",
                suspicious::selector_unmatched(page, selector.as_ref(), envelope),
            )
        } else if let (1, false, Some(0), Some(selector)) = (page, parsed, count, &selector) {
            if !selector.is_root() && selector.first(envelope).is_some_and(Value::is_null) {
                ("selector null", suspicious::selector_null(page, selector))
            } else {
                return Vec::new();
            }
        } else {
            return Vec::new();
        };
        if self.warned.contains(&kind) {
            return Vec::new();
        }
        self.warned.push(kind);
        vec![message]
    }

    /// A warning about this sequence; with strict mode the error that ends it (after this
    /// page's records).
    fn suspicious(&mut self, message: String) {
        let resource = self.seq.plan.name.clone();
        if self.seq.engine.strict {
            if self.pending.is_none() {
                self.pending = Some(Error::Strict { resource, message });
            }
            self.done = true;
            self.ahead.clear();
        } else {
            self.seq
                .stats
                .warn(format!("resource `{resource}`: {message}"));
        }
    }

    /// The loop error when `records` are the previous page's again (same count, same first
    /// and last record); remembers this page for the next check.
    fn repeated(&mut self, records: &[Value]) -> Option<String> {
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            self.last_page = None;
            return None;
        };
        let same = self
            .last_page
            .as_ref()
            .is_some_and(|(n, f, l)| *n == records.len() && f == first && l == last);
        if same {
            let plan = &self.seq.plan;
            let paginator = plan.custom_paginator.is_none().then_some(&plan.paginator);
            return Some(suspicious::same_records(
                self.pages,
                records.len(),
                paginator,
            ));
        }
        self.last_page = Some((records.len(), first.clone(), last.clone()));
        None
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
        let max = self.max_pages();
        if self.pages >= max {
            return Some(format!(
                "reached the page cap of {max} pages and the API still reports more pages; if \
                 it really has more, raise `max_pages` on the endpoint (or in \
                 resource_defaults.endpoint) or pass `connector sync --max-pages N`; if not, \
                 the paginator is not moving on: check its settings"
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
        body: started.body.as_ref(),
        stats,
        direct,
    }
}
