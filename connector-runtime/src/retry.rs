//! When to retry a request and how long to wait.
//!
//! Wait before retry `n` (0-based): `backoff_factor * 2^n` seconds (the floor), plus up to 50 %
//! random jitter, capped at `max_retry_delay`. A honoured `Retry-After` (seconds or HTTP date)
//! replaces the jittered wait but is clamped to `[max(floor, retry_after_min_wait),
//! max_retry_delay]`: `Retry-After: 0` waits the floor instead of storming the server
//! (dlt#4036). `Options::retry_delay_scale` multiplies the result (tests use 0.001).

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use connector_spec::resolved::RetryPlan;
use reqwest::header::HeaderMap;

/// The retry settings of one endpoint, defaults filled (dlt's).
#[derive(Debug, Clone)]
pub(crate) struct RetryPolicy {
    statuses: Option<Vec<u16>>,
    pub(crate) max_retries: u32,
    backoff_factor: f64,
    max_delay: f64,
    respect_retry_after: bool,
    min_wait: f64,
    scale: f64,
}

impl RetryPolicy {
    pub(crate) fn new(plan: &RetryPlan, scale: f64) -> RetryPolicy {
        RetryPolicy {
            statuses: plan.retry_on_status_codes.clone(),
            max_retries: plan.max_retries,
            backoff_factor: plan.backoff_factor,
            max_delay: plan.max_retry_delay,
            respect_retry_after: plan.respect_retry_after,
            min_wait: plan.retry_after_min_wait,
            scale: if scale.is_finite() && scale >= 0.0 {
                scale
            } else {
                1.0
            },
        }
    }

    /// Whether a response with this status is retried (default: 429 and 5xx).
    pub(crate) fn retries_status(&self, status: u16) -> bool {
        match &self.statuses {
            Some(list) => list.contains(&status),
            None => status == 429 || (500..600).contains(&status),
        }
    }

    /// The wait before retry number `retry` (0-based), given the response's headers if any.
    pub(crate) fn delay(&self, retry: u32, headers: Option<&HeaderMap>) -> Duration {
        let floor = (self.backoff_factor * 2f64.powi(retry.min(30) as i32)).min(self.max_delay);
        let retry_after = headers
            .filter(|_| self.respect_retry_after)
            .and_then(|h| h.get(reqwest::header::RETRY_AFTER))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let seconds = match retry_after {
            Some(ra) => {
                let lo = floor.max(self.min_wait).min(self.max_delay);
                ra.clamp(lo, self.max_delay)
            }
            None => (floor * (1.0 + 0.5 * jitter())).min(self.max_delay),
        };
        Duration::from_secs_f64((seconds * self.scale).max(0.0))
    }
}

/// `Retry-After` as seconds from `now`: delta-seconds or an HTTP date (a past date is 0).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<f64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then_some(seconds);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(now)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0),
    )
}

/// A number in [0, 1) from the standard library's per-process random hasher keys.
fn jitter() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, RETRY_AFTER};

    fn policy(min_wait: f64) -> RetryPolicy {
        RetryPolicy::new(
            &RetryPlan {
                backoff_factor: 2.0,
                max_retry_delay: 100.0,
                retry_after_min_wait: min_wait,
                ..RetryPlan::default()
            },
            1.0,
        )
    }

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let p = policy(0.0);
        for retry in 0..3 {
            let d = p.delay(retry, None).as_secs_f64();
            let floor = 2.0 * 2f64.powi(retry as i32);
            assert!(d >= floor && d <= floor * 1.5, "{retry}: {d}");
        }
        assert_eq!(p.delay(20, None).as_secs_f64(), 100.0);
    }

    #[test]
    fn retry_after_is_clamped() {
        let p = policy(0.0);
        // 0 never goes below the backoff floor.
        assert_eq!(p.delay(1, Some(&headers("0"))).as_secs_f64(), 4.0);
        assert_eq!(p.delay(0, Some(&headers("7"))).as_secs_f64(), 7.0);
        assert_eq!(p.delay(0, Some(&headers("1000"))).as_secs_f64(), 100.0);
        assert_eq!(
            policy(60.0).delay(0, Some(&headers("3"))).as_secs_f64(),
            60.0
        );
    }

    #[test]
    fn retry_after_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&later, now), Some(30.0));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(0.0));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn status_lists() {
        let p = policy(0.0);
        assert!(p.retries_status(429) && p.retries_status(503) && !p.retries_status(404));
        let custom = RetryPolicy::new(
            &RetryPlan {
                retry_on_status_codes: Some(vec![404]),
                ..RetryPlan::default()
            },
            1.0,
        );
        assert!(custom.retries_status(404) && !custom.retries_status(500));
    }
}
