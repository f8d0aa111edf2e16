//! The public [`ResourceStream`], and the records of a resource: a root resource's pages
//! (`pages`) run one page ahead of the consumer (`pipeline`); a child resource fans out over
//! its parent's records (`fan_out`), fetched here or supplied by the caller.
//!
//! Streams are lazy (nothing is sent before the first poll) and bounded: a root resource holds
//! one page at a time plus, for page numbers and offsets with a known total, up to
//! `concurrency` prefetched pages (`page_prefetch`); a child resource holds at most
//! `concurrency` first pages of upcoming parents (fetched by spawned tasks, so they progress
//! while the current parent is consumed) plus the page being read. Later pages of a parent
//! are fetched when the consumer reaches them. Dropping the stream aborts the spawned tasks
//! and the request in flight.

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt, TryStreamExt};
use serde_json::Value;

use crate::decode::{Json, RecordType};
use crate::engine::Engine;
use crate::fan_out::{child_sequence, fan_out};
use crate::pages::{pages, PageStream, RecordStream, Sequence};
use crate::pipeline::one_page_ahead;
use crate::plan::ResourcePlan;
use crate::stats::StatsHandle;
use crate::{Error, RunOptions};

/// The records of one resource: `impl Stream<Item = Result<T, Error>> + Send + Unpin`.
///
/// Lazy: no request is sent until it is polled. Dropping it cancels the run. Progress and
/// the new incremental state are read through [`ResourceStream::stats`].
///
/// Record transforms (dlt's `processing_steps`: `filter`, `map`, `yield_map`) are stream
/// combinators: [`futures::TryStreamExt`]'s `try_filter`, `map_ok` and `try_filter_map`, or
/// `flat_map` for one record into several. They run as records arrive, so memory stays flat.
///
/// ```
/// use connector_runtime::futures::{future, TryStreamExt};
/// use connector_runtime::{Connector, Options, RunOptions, Secrets};
/// # use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// # let base_url = format!("http://{}", listener.local_addr()?);
/// # tokio::spawn(async move {
/// #     let (mut socket, _) = listener.accept().await.unwrap();
/// #     let mut buf = [0u8; 4096];
/// #     let _ = socket.read(&mut buf).await;
/// #     let body = r#"[{"id": 1, "active": true}, {"id": 2, "active": false}, {"id": 3, "active": true}]"#;
/// #     let reply = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
/// #     socket.write_all(reply.as_bytes()).await.unwrap();
/// # });
/// let spec = connector_runtime::connector_spec::parse_str(
///     "name: demo\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: users\n    endpoint: { path: /users, paginator: single_page }\n",
///     "demo.yaml",
/// )
/// .map_err(|d| format!("{d:?}"))?
/// .resolved;
/// let connector = Connector::new(spec, Secrets::new(), Options::new().with_base_url(base_url))?;
/// let active_ids: Vec<i64> = connector
///     .stream("users", RunOptions::default())
///     .try_filter(|user| future::ready(user["active"] == true)) // dlt's `filter`
///     .map_ok(|user| user["id"].as_i64().unwrap_or_default()) // dlt's `map`
///     .try_collect()
///     .await?;
/// assert_eq!(active_ids, [1, 3]);
/// # Ok(())
/// # }
/// ```
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

fn flatten<R: Send + 'static>(pages: PageStream<R>) -> RecordStream<R> {
    pages
        .map_ok(|records| stream::iter(records.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// What every run of a resource starts with: the incremental state it resumes from, seen
/// in the stats from the first poll, and its tracing span.
fn start_run(plan: &ResourcePlan, run: &RunOptions, stats: &StatsHandle) -> tracing::Span {
    // An incremental with end_value is a fixed window: no state is reported (none moves).
    if plan.incremental.as_ref().is_some_and(|i| i.stateful()) {
        stats.set_incremental(run.incremental.clone().unwrap_or_default());
    }
    tracing::info_span!("resource", resource = %plan.name)
}

/// Says at `-v` what a resource will do: its paginator, selector, auth and first URL.
fn log_plan(engine: &Engine, plan: &ResourcePlan, span: &tracing::Span) {
    let path = plan.path.source();
    let url = crate::urls::join_url(&engine.http.base_url, &path)
        .map(|u| engine.http.redactor.url(&u))
        .unwrap_or(path);
    let paginator = match plan.custom_paginator {
        Some(_) => "custom",
        None => plan.paginator.type_name(),
    };
    let selector = plan
        .selector
        .as_ref()
        .map_or_else(|| "auto".to_owned(), |s| s.to_string());
    tracing::info!(
        parent: span,
        paginator,
        data_selector = %selector,
        auth = plan.auth_kind,
        url = %url,
        parent_resource = plan.parent.as_ref().map(|p| p.resource.as_str()),
        "starting"
    );
}

/// Every record of a resource; a child resource fans out over its parent's records.
pub(crate) fn resource_records<K: RecordType>(
    engine: Arc<Engine>,
    plan: Arc<ResourcePlan>,
    run: RunOptions,
    stats: StatsHandle,
) -> RecordStream<K::Record> {
    let span = start_run(&plan, &run, &stats);
    log_plan(&engine, &plan, &span);
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
                pages_of: run.pages_of,
                stats,
                span,
            });
            flatten(if prefetch_pages {
                one_page_ahead(pages)
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
            fan_out::<K>(engine, plan, parents, run, stats, span)
        }
    }
}

/// The records of a child over parent records the caller supplies (each parent fetched once
/// by whoever feeds them, e.g. a loader that also writes them to the parent's table).
pub(crate) fn records_from_parents<K: RecordType>(
    engine: Arc<Engine>,
    plan: Arc<ResourcePlan>,
    parents: RecordStream<Value>,
    run: RunOptions,
    stats: StatsHandle,
) -> RecordStream<K::Record> {
    let span = start_run(&plan, &run, &stats);
    log_plan(&engine, &plan, &span);
    fan_out::<K>(engine, plan, parents, run, stats, span)
}

/// The records of a child for one parent record.
pub(crate) fn child_records<K: RecordType>(
    engine: Arc<Engine>,
    plan: Arc<ResourcePlan>,
    parent: Value,
    run: RunOptions,
    stats: StatsHandle,
) -> RecordStream<K::Record> {
    let span = start_run(&plan, &run, &stats);
    flatten(pages::<K>(child_sequence(
        engine,
        plan,
        Arc::new(parent),
        run.incremental.as_ref(),
        stats,
        span,
    )))
}

/// The pages of one request sequence as they come (no page fetched ahead of the consumer):
/// a root resource's own, or a child's for one parent record.
pub(crate) fn sequence_pages(
    engine: Arc<Engine>,
    plan: Arc<ResourcePlan>,
    parent: Option<Value>,
    run: RunOptions,
    stats: StatsHandle,
) -> PageStream<Value> {
    let span = start_run(&plan, &run, &stats);
    log_plan(&engine, &plan, &span);
    match parent {
        Some(parent) => pages::<Json>(child_sequence(
            engine,
            plan,
            Arc::new(parent),
            run.incremental.as_ref(),
            stats,
            span,
        )),
        None => {
            let window = plan
                .incremental
                .as_ref()
                .map(|i| i.window(run.incremental.as_ref(), None));
            pages::<Json>(Sequence {
                engine,
                plan,
                parent: None,
                parent_key: None,
                window,
                pages_of: run.pages_of,
                stats,
                span,
            })
        }
    }
}
