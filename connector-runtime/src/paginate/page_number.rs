//! Page numbers (dlt's PageNumberPaginator, plus the seeds' `limit` and `start_from_page`).

use connector_spec::PageNumberPaginator;
use serde_json::Value;

use super::{number_at, Flow, Page, Paginator, Request, StopRules};
use crate::select::Selector;

pub(crate) struct PageNumber {
    base: i64,
    current: i64,
    page_param: String,
    page_body_path: Option<String>,
    limit: Option<(u64, String)>,
    total_path: Option<Selector>,
    total: Option<f64>,
    maximum: Option<i64>,
    rules: StopRules,
}

impl PageNumber {
    pub(crate) fn new(c: &PageNumberPaginator) -> Result<PageNumber, String> {
        let base = c.base_page.unwrap_or(0);
        Ok(PageNumber {
            base,
            current: c.page.or(c.start_from_page).unwrap_or(base),
            page_param: c.page_param.clone().unwrap_or_else(|| "page".to_owned()),
            page_body_path: c.page_body_path.clone(),
            limit: c.limit.map(|l| {
                (
                    l,
                    c.limit_param.clone().unwrap_or_else(|| "limit".to_owned()),
                )
            }),
            total_path: c
                .total_path
                .or_default_value("total".to_owned())
                .map(|p| Selector::parse(&p))
                .transpose()?,
            total: None,
            maximum: c.maximum_page,
            rules: StopRules::new(
                c.stop_condition.as_ref(),
                c.has_more_path.as_deref(),
                c.stop_after_empty_page.unwrap_or(true),
            )?,
        })
    }

    /// A page-number paginator chosen by auto-detection: 1-based, stopping at `total_path`.
    pub(crate) fn detected(total_path: &str) -> Result<PageNumber, String> {
        let mut p = PageNumber::new(&PageNumberPaginator {
            base_page: Some(1),
            total_path: connector_spec::Nullable::Value(total_path.to_owned()),
            ..PageNumberPaginator::default()
        })?;
        p.current = 1;
        Ok(p)
    }

    fn write(&self, request: &mut Request) {
        self.write_page(request, self.current);
    }

    fn write_page(&self, request: &mut Request, page: i64) {
        match &self.page_body_path {
            Some(path) => request.set_body(path, Value::from(page)),
            None => request.set_query(&self.page_param, page.to_string()),
        }
        if let Some((limit, param)) = &self.limit {
            request.set_query(param, limit.to_string());
        }
    }
}

impl Paginator for PageNumber {
    fn body_paths(&self) -> Option<Vec<&Selector>> {
        Some(
            self.total_path
                .iter()
                .chain(self.rules.body_paths())
                .collect(),
        )
    }

    fn init(&mut self, request: &mut Request) {
        self.write(request);
    }

    fn next(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String> {
        if self.rules.stop(page) {
            return Ok(Flow::Stop);
        }
        if let Some(path) = &self.total_path {
            if let Some(total) = number_at(path, page.body) {
                self.total = Some(total);
            } else if self.total.is_none()
                && !self.rules.has_explicit_rule()
                && self.maximum.is_none()
            {
                return Err(format!(
                    "total_path `{path}` is not in the response and no other stop rule is set \
                     (set total_path, has_more_path, maximum_page or stop_after_empty_page)"
                ));
            }
        }
        self.current += 1;
        if let Some(total) = self.total {
            if self.current as f64 >= total + self.base as f64 {
                return Ok(Flow::Stop);
            }
        }
        if let Some(max) = self.maximum {
            if self.current >= max {
                return Ok(Flow::Stop);
            }
        }
        self.write(request);
        Ok(Flow::Next {
            token: format!("page {}", self.current),
        })
    }

    fn lookahead(&self, next: &Request, count: usize) -> Vec<Request> {
        let Some(total) = self.total else {
            return Vec::new();
        };
        (self.current + 1..)
            .take_while(|page| (*page as f64) < total + self.base as f64)
            .take_while(|page| self.maximum.is_none_or(|max| *page < max))
            .take(count)
            .map(|page| {
                let mut request = next.clone();
                self.write_page(&mut request, page);
                request
            })
            .collect()
    }
}
