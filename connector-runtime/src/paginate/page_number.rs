//! Page numbers (dlt's PageNumberPaginator, plus the seeds' `limit` and `start_from_page`).

use connector_spec::resolved::PageNumberPlan;
use serde_json::Value;

use super::share::{self, PageShare};
use super::{number_at, Flow, Page, Paginator, Request, StopReason, StopRules};
use crate::select::Selector;
use crate::Partition;

pub(crate) struct PageNumber {
    plan: PageNumberPlan,
    current: i64,
    total: Option<f64>,
    rules: StopRules,
    share: Option<PageShare>,
}

impl PageNumber {
    pub(crate) fn new(plan: &PageNumberPlan) -> PageNumber {
        PageNumber {
            current: plan.first_page,
            total: None,
            rules: StopRules::new(&plan.stop),
            share: None,
            plan: plan.clone(),
        }
    }

    fn write(&self, request: &mut Request) {
        self.write_page(request, self.current);
    }

    fn write_page(&self, request: &mut Request, page: i64) {
        request.set(&self.plan.page_at, Value::from(page));
        if let Some(limit) = &self.plan.limit {
            request.set(&limit.at, Value::from(limit.value));
        }
    }

    /// Page `page`'s index from the first.
    fn index(&self, page: i64) -> u64 {
        page.saturating_sub(self.plan.first_page).max(0) as u64
    }
}

impl share::Indexed for PageNumber {
    fn share(&mut self) -> &mut Option<PageShare> {
        &mut self.share
    }

    fn next_index(&self) -> u64 {
        self.index(self.current)
    }

    fn go_to(&mut self, index: u64, request: &mut Request) -> Flow {
        self.current = self.plan.first_page.saturating_add(index as i64);
        self.write(request);
        Flow::Next {
            token: format!("page {}", self.current),
        }
    }

    /// Pages in all from the first, when the total or the maximum says (both exclusive ends).
    fn pages(&self) -> Option<u64> {
        let by_total = self.total.map(|t| t + self.plan.base_page as f64);
        let by_max = self.plan.maximum_page.map(|m| m as f64);
        let end = match (by_total, by_max) {
            (Some(t), Some(m)) => t.min(m),
            (t, m) => t.or(m)?,
        };
        Some((end.ceil() - self.plan.first_page as f64).max(0.0) as u64)
    }

    fn next_unshared(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String> {
        if self.rules.stop(page) {
            return Ok(Flow::Stop);
        }
        if let Some(path) = &self.plan.total_path {
            if let Some(total) = number_at(path, page.body) {
                self.total = Some(total);
            } else if self.total.is_none()
                && !self.rules.has_explicit_rule()
                && self.plan.maximum_page.is_none()
            {
                return Err(format!(
                    "total_path `{path}` is not in the response and no other stop rule is set \
                     (set total_path, has_more_path, maximum_page or stop_after_empty_page)"
                ));
            }
        }
        self.current += 1;
        if let Some(total) = self.total {
            if self.current as f64 >= total + self.plan.base_page as f64 {
                return Ok(Flow::Stop);
            }
        }
        if let Some(max) = self.plan.maximum_page {
            if self.current >= max {
                return Ok(Flow::Stop);
            }
        }
        self.write(request);
        Ok(Flow::Next {
            token: format!("page {}", self.current),
        })
    }
}

impl Paginator for PageNumber {
    fn body_paths(&self) -> Option<Vec<&Selector>> {
        super::total_and_rule_paths(&self.plan.total_path, &self.rules)
    }

    fn stop_reason(&self) -> StopReason {
        // Every stop of these paginators is a rule: an empty page, a total, a maximum.
        StopReason::Rule
    }

    fn page_size(&self) -> Option<u64> {
        self.plan.limit.as_ref().map(|l| l.value)
    }

    fn init(&mut self, request: &mut Request) {
        self.write(request);
    }

    fn next(&mut self, page: &Page<'_>, request: &mut Request) -> Result<Flow, String> {
        share::next(self, page, request)
    }

    fn lookahead(&self, next: &Request, count: usize) -> Vec<Request> {
        let Some(total) = self.total else {
            return Vec::new();
        };
        (self.current + 1..)
            .take_while(|page| (*page as f64) < total + self.plan.base_page as f64)
            .take_while(|page| self.plan.maximum_page.is_none_or(|max| *page < max))
            .take_while(|page| {
                !self
                    .share
                    .as_ref()
                    .is_some_and(|s| s.past(self.index(*page)))
            })
            .take(count)
            .map(|page| {
                let mut request = next.clone();
                self.write_page(&mut request, page);
                request
            })
            .collect()
    }

    fn share_pages(&mut self, partition: Partition) -> bool {
        let known = self.plan.total_path.is_some() || self.plan.maximum_page.is_some();
        share::offer(&mut self.share, known, partition)
    }

    fn foreign_page(&self) -> bool {
        share::foreign(&self.share)
    }
}
