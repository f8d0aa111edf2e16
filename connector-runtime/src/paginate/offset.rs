//! Offset and limit (dlt's OffsetPaginator).

use connector_spec::resolved::OffsetPlan;
use serde_json::Value;

use super::share::{self, PageShare};
use super::{number_at, Flow, Page, Paginator, Request, StopReason, StopRules};
use crate::select::Selector;
use crate::Partition;

pub(crate) struct Offset {
    plan: OffsetPlan,
    offset: u64,
    total: Option<f64>,
    rules: StopRules,
    share: Option<PageShare>,
}

impl Offset {
    pub(crate) fn new(plan: &OffsetPlan) -> Offset {
        Offset {
            offset: plan.offset,
            total: None,
            rules: StopRules::new(&plan.stop),
            share: None,
            plan: plan.clone(),
        }
    }

    fn write(&self, request: &mut Request) {
        self.write_offset(request, self.offset);
    }

    fn write_offset(&self, request: &mut Request, offset: u64) {
        request.set(&self.plan.offset_at, Value::from(offset));
        request.set(&self.plan.limit_at, Value::from(self.plan.limit));
    }

    /// Offset `offset`'s page index from the first.
    fn index(&self, offset: u64) -> u64 {
        offset.saturating_sub(self.plan.offset) / self.plan.limit.max(1)
    }
}

impl share::Indexed for Offset {
    fn share(&mut self) -> &mut Option<PageShare> {
        &mut self.share
    }

    fn next_index(&self) -> u64 {
        self.index(self.offset)
    }

    fn go_to(&mut self, index: u64, request: &mut Request) -> Flow {
        self.offset = index
            .saturating_mul(self.plan.limit)
            .saturating_add(self.plan.offset);
        self.write(request);
        Flow::Next {
            token: format!("offset {}", self.offset),
        }
    }

    /// Pages in all from the first offset, when the total or the maximum says.
    fn pages(&self) -> Option<u64> {
        let by_max = self.plan.maximum_offset.map(|m| m as f64);
        let end = match (self.total, by_max) {
            (Some(t), Some(m)) => t.min(m),
            (t, m) => t.or(m)?,
        };
        let items = (end - self.plan.offset as f64).max(0.0);
        Some((items / self.plan.limit.max(1) as f64).ceil() as u64)
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
                && self.plan.maximum_offset.is_none()
            {
                return Err(format!(
                    "total_path `{path}` is not in the response and no other stop rule is set \
                     (set total_path, has_more_path, maximum_offset or stop_after_empty_page)"
                ));
            }
        }
        self.offset += self.plan.limit;
        if let Some(total) = self.total {
            if self.offset as f64 >= total {
                return Ok(Flow::Stop);
            }
        }
        if let Some(max) = self.plan.maximum_offset {
            if self.offset >= max {
                return Ok(Flow::Stop);
            }
        }
        self.write(request);
        Ok(Flow::Next {
            token: format!("offset {}", self.offset),
        })
    }
}

impl Paginator for Offset {
    fn body_paths(&self) -> Option<Vec<&Selector>> {
        super::total_and_rule_paths(&self.plan.total_path, &self.rules)
    }

    fn stop_reason(&self) -> StopReason {
        // Every stop of these paginators is a rule: an empty page, a total, a maximum.
        StopReason::Rule
    }

    fn page_size(&self) -> Option<u64> {
        Some(self.plan.limit)
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
        (1..)
            .map_while(|k: u64| k.checked_mul(self.plan.limit)?.checked_add(self.offset))
            .take_while(|offset| (*offset as f64) < total)
            .take_while(|offset| self.plan.maximum_offset.is_none_or(|max| *offset < max))
            .take_while(|offset| {
                !self
                    .share
                    .as_ref()
                    .is_some_and(|s| s.past(self.index(*offset)))
            })
            .take(count)
            .map(|offset| {
                let mut request = next.clone();
                self.write_offset(&mut request, offset);
                request
            })
            .collect()
    }

    fn share_pages(&mut self, partition: Partition) -> bool {
        let known = self.plan.total_path.is_some() || self.plan.maximum_offset.is_some();
        share::offer(&mut self.share, known, partition)
    }

    fn foreign_page(&self) -> bool {
        share::foreign(&self.share)
    }
}
