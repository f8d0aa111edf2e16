//! Pipelining: a resource's page loop runs in its own task, one page ahead of the consumer,
//! so the next request is in flight while the caller handles the current page. (The other
//! prefetch, `page_prefetch`, sends several known page requests at once.)

use futures::stream;
use futures::StreamExt;

use crate::pages::PageStream;
use crate::task::AbortOnDrop;
use crate::Error;

/// Runs a page stream in its own task, one page ahead of the consumer: the next request is
/// in flight while the caller handles the current page (e.g. writes it to a database). Memory
/// stays at a few pages. Started on first poll; dropping the stream aborts the task.
pub(crate) fn one_page_ahead<R: Send + 'static>(pages: PageStream<R>) -> PageStream<R> {
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
