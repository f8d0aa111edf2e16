//! A next URL read from the response body; relative URLs are joined to the request URL, and
//! the previous query parameters are dropped (the link carries its own), as in dlt.

use connector_spec::resolved::JsonLinkPlan;

use super::{token_at, Flow, Page, Paginator, Request, StopRules};
use crate::select::Selector;

pub(crate) struct JsonLink {
    path: Selector,
    rules: StopRules,
}

impl JsonLink {
    pub(crate) fn new(plan: &JsonLinkPlan) -> JsonLink {
        JsonLink {
            path: plan.next_url_path.clone(),
            rules: StopRules::new(&plan.stop),
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

    fn init(&mut self, _request: &mut Request) {}

    fn next(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String> {
        if self.rules.stop(page) {
            return Ok(Flow::Stop);
        }
        match token_at(&self.path, page.body) {
            Some(link) => follow(request, &link),
            None => Ok(Flow::Stop),
        }
    }
}
