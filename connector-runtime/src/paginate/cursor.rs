//! A cursor read from the response body (dlt's JSONResponseCursorPaginator), sent back as a
//! query parameter or inside the JSON body.

use connector_spec::CursorPaginator;
use serde_json::Value;

use super::{token_at, Flow, Page, Paginator, Request, StopRules};
use crate::select::Selector;

pub(crate) struct Cursor {
    path: Selector,
    param: String,
    body_path: Option<String>,
    limit: Option<(u64, String)>,
    rules: StopRules,
}

impl Cursor {
    pub(crate) fn new(c: &CursorPaginator) -> Result<Cursor, String> {
        Ok(Cursor {
            path: Selector::parse(c.cursor_path.as_deref().unwrap_or("cursors.next"))?,
            param: c
                .cursor_param
                .clone()
                .unwrap_or_else(|| "cursor".to_owned()),
            body_path: c.cursor_body_path.clone(),
            limit: c.limit.map(|l| {
                (
                    l,
                    c.limit_param.clone().unwrap_or_else(|| "limit".to_owned()),
                )
            }),
            rules: StopRules::new(
                c.stop_condition.as_ref(),
                c.has_more_path.as_deref(),
                c.stop_after_empty_page.unwrap_or(false),
            )?,
        })
    }

    /// A cursor paginator chosen by auto-detection.
    pub(crate) fn detected(path: &str) -> Result<Cursor, String> {
        Cursor::new(&CursorPaginator {
            cursor_path: Some(path.to_owned()),
            ..CursorPaginator::default()
        })
    }
}

impl Paginator for Cursor {
    fn body_paths(&self) -> Option<Vec<&Selector>> {
        Some(
            std::iter::once(&self.path)
                .chain(self.rules.body_paths())
                .collect(),
        )
    }

    fn init(&mut self, request: &mut Request) {
        if let Some((limit, param)) = &self.limit {
            request.set_query(param, limit.to_string());
        }
    }

    fn next(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String> {
        if self.rules.stop(page) {
            return Ok(Flow::Stop);
        }
        let Some(cursor) = token_at(&self.path, page.body) else {
            return Ok(Flow::Stop);
        };
        match &self.body_path {
            Some(path) => request.set_body(path, Value::String(cursor.clone())),
            None => request.set_query(&self.param, cursor.clone()),
        }
        Ok(Flow::Next {
            token: format!("cursor `{cursor}`"),
        })
    }
}
