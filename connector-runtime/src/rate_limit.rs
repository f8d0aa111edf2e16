//! Proactive rate limiting: one token bucket per connector, shared by every request (token
//! requests included), so a well-configured connector never provokes a 429.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use connector_spec::RateLimit;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// A shared limiter, or nothing when the spec sets no rate.
#[derive(Clone, Default)]
pub(crate) struct Limiter {
    inner: Option<Arc<DefaultDirectRateLimiter>>,
}

impl Limiter {
    /// The limiter for `client.rate_limit`; `Err` explains an unusable setting.
    pub(crate) fn new(config: Option<&RateLimit>) -> Result<Limiter, String> {
        let Some(config) = config else {
            return Ok(Limiter::default());
        };
        let per_second = match (config.requests_per_second, config.requests_per_minute) {
            (Some(rps), _) => rps,
            (None, Some(rpm)) => rpm / 60.0,
            (None, None) => return Ok(Limiter::default()),
        };
        if !per_second.is_finite() || per_second <= 0.0 {
            return Err(format!(
                "client.rate_limit must be a positive rate, got {per_second} requests per second"
            ));
        }
        let period = Duration::from_secs_f64(1.0 / per_second);
        let burst = NonZeroU32::new(config.burst.unwrap_or(1).max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .ok_or_else(|| "client.rate_limit: rate too high".to_owned())?
            .allow_burst(burst);
        Ok(Limiter {
            inner: Some(Arc::new(RateLimiter::direct(quota))),
        })
    }

    /// Waits until the next request may go.
    pub(crate) async fn acquire(&self) {
        if let Some(limiter) = &self.inner {
            limiter.until_ready().await;
        }
    }
}
