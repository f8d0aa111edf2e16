//! The task guard: a spawned task that is aborted when its handle is dropped, so dropping a
//! stream cancels the requests it started.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Aborts a spawned task when dropped, so dropping a stream cancels its prefetches.
pub(crate) struct AbortOnDrop<T>(pub(crate) tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}
