//! One request, no pagination.

use super::{Flow, Page, Paginator, Request, StopReason};
use crate::select::Selector;

pub(crate) struct SinglePage;

impl Paginator for SinglePage {
    fn body_paths(&self) -> Option<Vec<&Selector>> {
        Some(Vec::new())
    }

    fn stop_reason(&self) -> StopReason {
        StopReason::OnePage
    }

    fn init(&mut self, _request: &mut Request) {}

    fn next(&mut self, _page: &Page<'_>, _request: &mut Request) -> Result<Flow, String> {
        Ok(Flow::Stop)
    }
}
