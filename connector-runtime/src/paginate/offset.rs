//! Offset and limit (dlt's OffsetPaginator).

use connector_spec::OffsetPaginator;
use serde_json::Value;

use super::{number_at, Flow, Page, Paginator, Request, StopRules};
use crate::select::Selector;

pub(crate) struct Offset {
    offset: u64,
    limit: u64,
    offset_param: String,
    limit_param: String,
    offset_body_path: Option<String>,
    limit_body_path: Option<String>,
    total_path: Option<Selector>,
    total: Option<f64>,
    maximum: Option<u64>,
    rules: StopRules,
}

impl Offset {
    pub(crate) fn new(c: &OffsetPaginator) -> Result<Offset, String> {
        if c.limit == 0 {
            return Err("offset paginator: `limit` must be at least 1".to_owned());
        }
        Ok(Offset {
            offset: c.offset.unwrap_or(0),
            limit: c.limit,
            offset_param: c
                .offset_param
                .clone()
                .unwrap_or_else(|| "offset".to_owned()),
            limit_param: c.limit_param.clone().unwrap_or_else(|| "limit".to_owned()),
            offset_body_path: c.offset_body_path.clone(),
            limit_body_path: c.limit_body_path.clone(),
            total_path: c
                .total_path
                .or_default_value("total".to_owned())
                .map(|p| Selector::parse(&p))
                .transpose()?,
            total: None,
            maximum: c.maximum_offset,
            rules: StopRules::new(
                c.stop_condition.as_ref(),
                c.has_more_path.as_deref(),
                c.stop_after_empty_page.unwrap_or(true),
            )?,
        })
    }

    fn write(&self, request: &mut Request) {
        self.write_offset(request, self.offset);
    }

    fn write_offset(&self, request: &mut Request, offset: u64) {
        match &self.offset_body_path {
            Some(path) => request.set_body(path, Value::from(offset)),
            None => request.set_query(&self.offset_param, offset.to_string()),
        }
        match &self.limit_body_path {
            Some(path) => request.set_body(path, Value::from(self.limit)),
            None => request.set_query(&self.limit_param, self.limit.to_string()),
        }
    }
}

impl Paginator for Offset {
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
                     (set total_path, has_more_path, maximum_offset or stop_after_empty_page)"
                ));
            }
        }
        self.offset += self.limit;
        if let Some(total) = self.total {
            if self.offset as f64 >= total {
                return Ok(Flow::Stop);
            }
        }
        if let Some(max) = self.maximum {
            if self.offset >= max {
                return Ok(Flow::Stop);
            }
        }
        self.write(request);
        Ok(Flow::Next {
            token: format!("offset {}", self.offset),
        })
    }

    fn lookahead(&self, next: &Request, count: usize) -> Vec<Request> {
        let Some(total) = self.total else {
            return Vec::new();
        };
        (1..)
            .map_while(|k: u64| k.checked_mul(self.limit)?.checked_add(self.offset))
            .take_while(|offset| (*offset as f64) < total)
            .take_while(|offset| self.maximum.is_none_or(|max| *offset < max))
            .take(count)
            .map(|offset| {
                let mut request = next.clone();
                self.write_offset(&mut request, offset);
                request
            })
            .collect()
    }
}
