//! Query-parameter parsing and the record window of one page, shared by the seed APIs.

use std::collections::HashMap;

use crate::data::updated_at_secs;
use crate::error::ApiError;

/// Query parameters of a request.
pub(crate) type Params = HashMap<String, String>;

/// A non-negative integer parameter, `default` when absent or empty.
pub(crate) fn param_u64(params: &Params, name: &str, default: u64) -> Result<u64, ApiError> {
    match params.get(name).map(|v| v.trim()) {
        None | Some("") => Ok(default),
        Some(value) => value.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "query parameter `{name}` must be a non-negative integer, got `{value}`"
            ))
        }),
    }
}

/// A page size parameter: at least 1, capped at `max` as many real APIs do.
pub(crate) fn page_size(
    params: &Params,
    name: &str,
    default: u64,
    max: u64,
) -> Result<u64, ApiError> {
    match param_u64(params, name, default)? {
        0 => Err(ApiError::bad_request(format!(
            "query parameter `{name}` must be between 1 and {max}, got 0"
        ))),
        size => Ok(size.min(max)),
    }
}

/// Number of pages of `size` needed for `records`.
pub(crate) fn page_count(records: u64, size: u64) -> u64 {
    records.div_ceil(size.max(1))
}

/// An RFC 3339 timestamp (or Unix seconds) parameter, as Unix seconds.
fn param_time(params: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(value) = params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(secs) = value.parse::<i64>() {
        return Ok(Some(secs));
    }
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|time| Some(time.timestamp()))
        .map_err(|_| {
            ApiError::bad_request(format!(
                "query parameter `{name}` must be an RFC 3339 timestamp like \
                 2024-01-01T00:00:00Z, got `{value}`"
            ))
        })
}

/// The records of a list resource a request asks for: all `count` of them, or those whose
/// `updated_at` falls in `[updated_since, updated_until)` (the incremental mode).
pub(crate) enum Selection {
    All(u64),
    Filtered(Vec<u64>),
}

impl Selection {
    pub(crate) fn new(count: u64, revision: u32, params: &Params) -> Result<Self, ApiError> {
        let since = param_time(params, "updated_since")?;
        let until = param_time(params, "updated_until")?;
        if since.is_none() && until.is_none() {
            return Ok(Selection::All(count));
        }
        let matching = (1..=count)
            .filter(|&i| {
                let time = updated_at_secs(i, revision);
                since.is_none_or(|s| time >= s) && until.is_none_or(|u| time < u)
            })
            .collect();
        Ok(Selection::Filtered(matching))
    }

    pub(crate) fn len(&self) -> u64 {
        match self {
            Selection::All(count) => *count,
            Selection::Filtered(indices) => indices.len() as u64,
        }
    }

    /// Record indices `offset..offset + limit` of the selection (fewer at the end).
    pub(crate) fn window(&self, offset: u64, limit: u64) -> Vec<u64> {
        let end = offset.saturating_add(limit).min(self.len());
        if offset >= end {
            return Vec::new();
        }
        match self {
            Selection::All(_) => (offset + 1..=end).collect(),
            Selection::Filtered(indices) => indices[offset as usize..end as usize].to_vec(),
        }
    }
}
