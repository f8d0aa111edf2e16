//! Parent-child fan-out (the child-side prefetch): the child runs once per parent record, with a fresh paginator each
//! time (dlt has had bugs from a paginator shared across parents), up to `concurrency` parents
//! at once, children yielded in parent order.
//!
//! Each parent's first page is fetched by a spawned task, so upcoming parents progress while the
//! consumer reads the current one; later pages of a parent are fetched when reached. Memory is
//! thus bounded by `concurrency` pages. Dropping the stream aborts the tasks.

use std::sync::Arc;

use futures::stream;
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use crate::decode::RecordType;
use crate::engine::Engine;
use crate::pages::{pages, PageStream, RecordStream, Sequence};
use crate::plan::ResourcePlan;
use crate::stats::StatsHandle;
use crate::task::AbortOnDrop;
use crate::{Error, IncrementalState, RunOptions};

pub(crate) fn child_sequence(
    engine: Arc<Engine>,
    plan: Arc<ResourcePlan>,
    parent: Arc<Value>,
    state: Option<&IncrementalState>,
    stats: StatsHandle,
    span: tracing::Span,
) -> Sequence {
    let parent_key = plan.parent.as_ref().and_then(|link| link.key_of(&parent));
    let window = plan
        .incremental
        .as_ref()
        .map(|i| i.window(state, parent_key.as_deref()));
    Sequence {
        engine,
        plan,
        parent: Some(parent),
        parent_key,
        window,
        pages_of: None,
        stats,
        span,
    }
}

/// Runs the child once per parent record, up to `concurrency` parents at a time, yielding
/// children in parent order (`buffered`, not `buffer_unordered`). Each parent gets a fresh
/// paginator.
pub(crate) fn fan_out<K: RecordType>(
    engine: Arc<Engine>,
    plan: Arc<ResourcePlan>,
    parents: RecordStream<Value>,
    run: RunOptions,
    stats: StatsHandle,
    span: tracing::Span,
) -> RecordStream<K::Record> {
    let concurrency = engine.concurrency.max(1);
    let state = Arc::new(run.incremental);
    parents
        .map(move |parent| {
            let engine = engine.clone();
            let plan = plan.clone();
            let stats = stats.clone();
            let state = state.clone();
            let span = span.clone();
            async move {
                let parent = parent?;
                let seq = child_sequence(
                    engine,
                    plan.clone(),
                    Arc::new(parent),
                    state.as_ref().as_ref(),
                    stats,
                    span,
                );
                let task = AbortOnDrop(tokio::spawn(async move {
                    let mut pages = pages::<K>(seq);
                    let first = pages.next().await;
                    (first, pages)
                }));
                let (first, rest) = task.await.map_err(|e| Error::Config {
                    resource: plan.name.clone(),
                    message: format!("child request task failed: {e}"),
                })?;
                Ok::<PageStream<K::Record>, Error>(stream::iter(first).chain(rest).boxed())
            }
        })
        .buffered(concurrency)
        .map(|item| match item {
            Ok(pages) => pages,
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        })
        .flatten()
        .map_ok(|records| stream::iter(records.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}
