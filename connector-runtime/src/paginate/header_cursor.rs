//! A cursor read from a response header, sent back as a query parameter.

use connector_spec::resolved::HeaderCursorPlan;

use super::{Flow, Page, Paginator, Request, StopReason};
use crate::select::Selector;

pub(crate) struct HeaderCursor {
    header: String,
    param: String,
    stopped: StopReason,
}

impl HeaderCursor {
    pub(crate) fn new(plan: &HeaderCursorPlan) -> HeaderCursor {
        HeaderCursor {
            header: plan.cursor_key.clone(),
            param: plan.cursor_param.clone(),
            stopped: StopReason::Unknown,
        }
    }
}

impl Paginator for HeaderCursor {
    fn body_paths(&self) -> Option<Vec<&Selector>> {
        Some(Vec::new())
    }

    fn init(&mut self, _request: &mut Request) {}

    fn next(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String> {
        let cursor = page
            .headers
            .get(self.header.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        match cursor {
            Some(c) => {
                request.set_query(&self.param, c.to_owned());
                Ok(Flow::Next {
                    token: format!("cursor `{c}`"),
                })
            }
            None => {
                self.stopped = StopReason::Missing {
                    key: "cursor_key",
                    looked_for: format!("a `{}` header", self.header),
                    absent: !page.headers.contains_key(self.header.as_str()),
                };
                Ok(Flow::Stop)
            }
        }
    }

    fn stop_reason(&self) -> StopReason {
        self.stopped.clone()
    }
}
