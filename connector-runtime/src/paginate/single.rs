//! One request, no pagination.

use super::{Flow, Page, Paginator, Request};

pub(crate) struct SinglePage;

impl Paginator for SinglePage {
    fn init(&mut self, _request: &mut Request) {}

    fn next(&mut self, _page: &Page<'_>, _request: &mut Request) -> Result<Flow, String> {
        Ok(Flow::Stop)
    }
}
