//! A cursor read from the response body (dlt's JSONResponseCursorPaginator), sent back as a
//! query parameter or inside the JSON body.

use connector_spec::resolved::CursorPlan;
use serde_json::Value;

use super::{missing_in_body, token_at, Flow, Page, Paginator, Request, StopReason, StopRules};
use crate::select::Selector;

pub(crate) struct Cursor {
    plan: CursorPlan,
    rules: StopRules,
    stopped: StopReason,
}

impl Cursor {
    pub(crate) fn new(plan: &CursorPlan) -> Cursor {
        Cursor {
            rules: StopRules::new(&plan.stop),
            plan: plan.clone(),
            stopped: StopReason::Unknown,
        }
    }
}

impl Paginator for Cursor {
    fn body_paths(&self) -> Option<Vec<&Selector>> {
        Some(
            std::iter::once(&self.plan.cursor_path)
                .chain(self.rules.body_paths())
                .collect(),
        )
    }

    fn stop_reason(&self) -> StopReason {
        self.stopped.clone()
    }

    fn page_size(&self) -> Option<u64> {
        self.plan.limit.as_ref().map(|l| l.value)
    }

    fn init(&mut self, request: &mut Request) {
        if let Some(limit) = &self.plan.limit {
            request.set(&limit.at, Value::from(limit.value));
        }
    }

    fn next(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String> {
        if self.rules.stop(page) {
            self.stopped = StopReason::Rule;
            return Ok(Flow::Stop);
        }
        let Some(cursor) = token_at(&self.plan.cursor_path, page.body) else {
            self.stopped = missing_in_body("cursor_path", &self.plan.cursor_path, page.body);
            return Ok(Flow::Stop);
        };
        request.set(&self.plan.cursor_at, Value::String(cursor.clone()));
        Ok(Flow::Next {
            token: format!("cursor `{cursor}`"),
        })
    }
}
