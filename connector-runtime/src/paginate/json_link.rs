//! A next URL read from the response body; relative URLs are joined to the request URL, and
//! the previous query parameters are dropped (the link carries its own), as in dlt.

use connector_spec::resolved::JsonLinkPlan;

use super::{missing_in_body, token_at, Flow, Page, Paginator, Request, StopReason, StopRules};
use crate::select::Selector;

pub(crate) struct JsonLink {
    path: Selector,
    rules: StopRules,
    stopped: StopReason,
}

impl JsonLink {
    pub(crate) fn new(plan: &JsonLinkPlan) -> JsonLink {
        JsonLink {
            path: plan.next_url_path.clone(),
            rules: StopRules::new(&plan.stop),
            stopped: StopReason::Unknown,
        }
    }
}

pub(super) fn follow(request: &mut Request, link: &str) -> Result<Flow, String> {
    let next = request
        .url
        .join(link.trim())
        .map_err(|e| format!("next link `{link}` is not a URL: {e}"))?;
    request.url = next;
    request.query.clear();
    Ok(Flow::Next {
        token: format!("next link `{}`", request.url),
    })
}

impl Paginator for JsonLink {
    fn body_paths(&self) -> Option<Vec<&Selector>> {
        Some(
            std::iter::once(&self.path)
                .chain(self.rules.body_paths())
                .collect(),
        )
    }

    fn stop_reason(&self) -> StopReason {
        self.stopped.clone()
    }

    fn init(&mut self, _request: &mut Request) {}

    fn next(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String> {
        if self.rules.stop(page) {
            self.stopped = StopReason::Rule;
            return Ok(Flow::Stop);
        }
        match token_at(&self.path, page.body) {
            Some(link) => follow(request, &link),
            None => {
                self.stopped = missing_in_body("next_url_path", &self.path, page.body);
                Ok(Flow::Stop)
            }
        }
    }
}
