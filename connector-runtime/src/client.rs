//! One HTTP client per connector: URL joining, credentials for base_url's origin only, the
//! shared rate limit, retries and response actions, and a tracing span per request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use connector_spec::{ResponseAction, ResponseActionKind};
use reqwest::header::HeaderMap;
use tracing::Instrument;
use url::Url;

use crate::auth::Authenticator;
use crate::rate_limit::Limiter;
use crate::redact::Redactor;
use crate::request::{Body, Header, Request};
use crate::retry::RetryPolicy;
use crate::stats::StatsHandle;
use crate::Error;

/// Characters of a response body kept in an error.
const BODY_EXCERPT: usize = 500;

/// The connector's HTTP side, shared by every stream.
pub(crate) struct Http {
    pub(crate) client: reqwest::Client,
    pub(crate) base_url: Url,
    pub(crate) limiter: Limiter,
    pub(crate) redactor: Redactor,
    /// Largest response body, bytes after decompression.
    pub(crate) max_body_bytes: u64,
}

/// Everything one logical request needs (its retries included).
pub(crate) struct Call<'a> {
    pub(crate) resource: &'a str,
    pub(crate) method: reqwest::Method,
    pub(crate) request: &'a Request,
    pub(crate) headers: &'a [Header],
    pub(crate) body: Option<&'a Body>,
    pub(crate) auth: Option<&'a Arc<dyn Authenticator>>,
    pub(crate) policy: &'a RetryPolicy,
    pub(crate) actions: &'a [ResponseAction],
    pub(crate) stats: &'a StatsHandle,
    /// What to check when the API answers 401 or 403 (the secrets behind the credentials).
    pub(crate) credential_hint: &'a str,
}

/// A successful response, or one a response action said to ignore.
pub(crate) enum Outcome {
    Page {
        status: u16,
        headers: HeaderMap,
        body: Bytes,
    },
    Ignored,
}

/// Why an attempt is being retried.
enum RetryReason {
    Status {
        status: u16,
        headers: HeaderMap,
        body: Bytes,
    },
    Transport {
        message: String,
        /// The connection could not be made (refused, unknown host).
        connect: bool,
    },
}

impl Http {
    /// Whether credentials may go to `url`.
    pub(crate) fn same_origin(&self, url: &Url) -> bool {
        url.origin() == self.base_url.origin()
    }

    /// Sends one logical request with retries; returns the response body or the error.
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<Outcome, Error> {
        let url = call.request.url.clone();
        let shown_url = {
            let mut u = url.clone();
            if !call.request.query.is_empty() {
                u.query_pairs_mut().extend_pairs(call.request.query.iter());
            }
            self.redactor.url(&u)
        };
        let trusted = self.same_origin(&url);
        if !trusted {
            tracing::info!(
                resource = call.resource,
                url = %shown_url,
                base_url = %self.redactor.url(&self.base_url),
                "request to another origin than base_url: sent without the spec's credentials"
            );
        }
        let mut attempt: u32 = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            self.limiter.acquire().await;
            let mut builder = self.client.request(call.method.clone(), url.clone());
            if !call.request.query.is_empty() {
                builder = builder.query(&call.request.query);
            }
            for h in call.headers {
                if trusted || !h.secret {
                    builder = builder.header(h.name.clone(), h.value.clone());
                }
            }
            if let Some(json) = &call.request.json {
                builder = builder.json(json);
            } else {
                match call.body {
                    Some(Body::Form(fields)) => builder = builder.form(fields),
                    Some(Body::Raw(raw)) => builder = builder.body(raw.clone()),
                    None => {}
                }
            }
            let mut generation = 0;
            if let (Some(auth), true) = (call.auth, trusted) {
                let (b, g) = auth.apply(builder, call.resource).await?;
                builder = b;
                generation = g;
            }
            call.stats.add_request(attempt > 1);
            let span = tracing::debug_span!(
                "request",
                method = %call.method,
                url = %shown_url,
                attempt,
                status = tracing::field::Empty,
            );
            let started = Instant::now();
            let result = async {
                let response = builder.send().await?;
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = read_capped(response, self.max_body_bytes).await?;
                Ok::<_, reqwest::Error>((status, headers, body))
            }
            .instrument(span.clone())
            .await;

            let reason = match result {
                Err(e) => {
                    let message = crate::error::describe_transport(&e);
                    tracing::debug!(parent: &span, error = %message, "request failed");
                    RetryReason::Transport {
                        message,
                        connect: e.is_connect(),
                    }
                }
                Ok((status, _, None)) => {
                    return Err(Error::Decode {
                        resource: call.resource.to_owned(),
                        url: shown_url,
                        status,
                        message: format!(
                            "the response body is larger than the cap of {} bytes after \
                             decompression; if that is expected, raise `client.max_body_bytes` \
                             in the spec or `connector sync --max-body-bytes N`",
                            self.max_body_bytes
                        ),
                        body: String::new(),
                    });
                }
                Ok((status, headers, Some(body))) => {
                    span.record("status", status);
                    // Method, URL and status are the span's fields.
                    tracing::debug!(
                        parent: &span,
                        bytes = body.len(),
                        ms = started.elapsed().as_millis() as u64,
                        "response"
                    );
                    // A 401 to a cached token: fetch a new one once and replay the request.
                    if let (401, Some(auth), true) = (status, call.auth, trusted) {
                        if refreshed {
                            return Err(Error::Auth {
                                resource: call.resource.to_owned(),
                                url: shown_url,
                                status: Some(status),
                                message: format!(
                                    "the API answered 401 again after a fresh token; {}",
                                    call.credential_hint
                                ),
                                body: self.redactor.excerpt(&body, BODY_EXCERPT),
                            });
                        }
                        if auth.invalidate(generation).await {
                            tracing::info!(
                                parent: &span,
                                url = %shown_url,
                                "401 to the cached credentials; fetching new ones and sending the request again"
                            );
                            // The replay is a retry in the counts, not an attempt of the policy.
                            call.stats.add_refresh();
                            refreshed = true;
                            attempt -= 1;
                            continue;
                        }
                    }
                    match match_action(call.actions, status, &body) {
                        Some(ResponseActionKind::Ignore) => {
                            tracing::debug!(parent: &span, status, "response ignored by response_actions");
                            return Ok(Outcome::Ignored);
                        }
                        Some(ResponseActionKind::Fail) => {
                            return Err(
                                self.status_error(&call, &shown_url, status, attempt, &body)
                            );
                        }
                        Some(ResponseActionKind::Retry) => RetryReason::Status {
                            status,
                            headers,
                            body,
                        },
                        None if (300..400).contains(&status) => {
                            if let Some(location) = self.foreign_location(&url, &headers) {
                                return Err(Error::Redirect {
                                    resource: call.resource.to_owned(),
                                    method: call.method.to_string(),
                                    url: shown_url,
                                    status,
                                    location,
                                });
                            }
                            return Err(
                                self.status_error(&call, &shown_url, status, attempt, &body)
                            );
                        }
                        None if (200..300).contains(&status) => {
                            return Ok(Outcome::Page {
                                status,
                                headers,
                                body,
                            });
                        }
                        None if call.policy.retries_status(status) => RetryReason::Status {
                            status,
                            headers,
                            body,
                        },
                        None => {
                            return Err(
                                self.status_error(&call, &shown_url, status, attempt, &body)
                            );
                        }
                    }
                }
            };
            let retries_done = attempt - 1;
            if retries_done >= call.policy.max_retries {
                return Err(match reason {
                    RetryReason::Status { status, body, .. } => {
                        self.status_error(&call, &shown_url, status, attempt, &body)
                    }
                    RetryReason::Transport { message, connect } => Error::Transport {
                        resource: call.resource.to_owned(),
                        method: call.method.to_string(),
                        url: shown_url,
                        message,
                        attempts: attempt,
                        hint: if connect {
                            crate::error::CONNECT_HINT.into()
                        } else {
                            "".into()
                        },
                    },
                });
            }
            let wait = match &reason {
                RetryReason::Status { headers, .. } => {
                    call.policy.delay(retries_done, Some(headers))
                }
                RetryReason::Transport { .. } => call.policy.delay(retries_done, None),
            };
            log_retry(&span, &call, &shown_url, &reason, attempt, wait);
            sleep(wait).await;
        }
    }

    /// The redacted `Location` of a redirect to another origin than `url`'s.
    fn foreign_location(&self, url: &Url, headers: &HeaderMap) -> Option<String> {
        let location = headers.get(reqwest::header::LOCATION)?.to_str().ok()?;
        let target = url.join(location).ok()?;
        (target.origin() != url.origin()).then(|| self.redactor.url(&target))
    }

    fn status_error(
        &self,
        call: &Call<'_>,
        url: &str,
        status: u16,
        attempts: u32,
        body: &[u8],
    ) -> Error {
        Error::Status {
            resource: call.resource.to_owned(),
            method: call.method.to_string(),
            url: url.to_owned(),
            status,
            attempts,
            hint: match status {
                401 | 403 => call.credential_hint.into(),
                _ => "".into(),
            },
            body: self.redactor.excerpt(body, BODY_EXCERPT),
        }
    }
}

/// Waits at least this long are warnings (shown without `-v`): the run looks stuck otherwise.
const LONG_WAIT: Duration = Duration::from_secs(5);

/// Says why a request is retried and how long the wait is: a warning when the API could not
/// be reached (a wrong `base_url` should not retry in silence) or the wait is long, else
/// information (`-v`).
fn log_retry(
    span: &tracing::Span,
    call: &Call<'_>,
    url: &str,
    reason: &RetryReason,
    attempt: u32,
    wait: Duration,
) {
    let (why, unreachable) = match reason {
        RetryReason::Status {
            status, headers, ..
        } => {
            let after = headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok());
            let why = match after {
                Some(after) => format!("status {status}, Retry-After: {after}"),
                None => format!("status {status}"),
            };
            (why, false)
        }
        RetryReason::Transport { message, .. } => (message.clone(), true),
    };
    let (resource, method, max) = (call.resource, &call.method, call.policy.max_retries);
    let wait_s = wait.as_secs_f64();
    if wait >= LONG_WAIT {
        tracing::warn!(
            parent: span,
            "resource `{resource}`: {method} {url}: {why}; retrying ({attempt} of {max}) in \
             {wait_s:.1} s (`error_handler.max_retry_delay` caps the wait)"
        );
    } else if unreachable {
        tracing::warn!(
            parent: span,
            "resource `{resource}`: {method} {url}: {why}; retrying ({attempt} of {max}) in {wait_s:.1} s"
        );
    } else {
        tracing::info!(
            parent: span,
            "resource `{resource}`: {method} {url}: {why}; retrying ({attempt} of {max}) in {wait_s:.1} s"
        );
    }
}

/// The body, read chunk by chunk (decompressed as it arrives), or `None` as soon as it passes
/// `cap` bytes: a small gzip body can expand to gigabytes, so it is never read whole first.
async fn read_capped(
    mut response: reqwest::Response,
    cap: u64,
) -> Result<Option<Bytes>, reqwest::Error> {
    // A body that arrives in one chunk is kept as it is, without a copy.
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut total: u64 = 0;
    while let Some(chunk) = response.chunk().await? {
        total += chunk.len() as u64;
        if total > cap {
            return Ok(None);
        }
        match first.take() {
            None if joined.is_empty() => first = Some(chunk),
            None => joined.extend_from_slice(&chunk),
            Some(earlier) => {
                joined.extend_from_slice(&earlier);
                joined.extend_from_slice(&chunk);
            }
        }
    }
    Ok(Some(first.unwrap_or_else(|| Bytes::from(joined))))
}

async fn sleep(wait: Duration) {
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
}

/// The first response action that matches (status and body substring ANDed; every action
/// is checked, not only the first of a status: dlt#1949).
fn match_action(
    actions: &[ResponseAction],
    status: u16,
    body: &[u8],
) -> Option<ResponseActionKind> {
    let text = || String::from_utf8_lossy(body);
    actions
        .iter()
        .find(|a| {
            if a.status_code.is_none() && a.content.is_none() {
                return false;
            }
            let status_ok = a.status_code.is_none_or(|s| s == status);
            let content_ok = a
                .content
                .as_ref()
                .is_none_or(|c| text().contains(c.as_str()));
            status_ok && content_ok
        })
        .map(|a| a.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_match_status_and_content() {
        let actions = vec![
            ResponseAction {
                status_code: Some(404),
                content: None,
                action: ResponseActionKind::Ignore,
            },
            ResponseAction {
                status_code: Some(200),
                content: Some("try later".into()),
                action: ResponseActionKind::Retry,
            },
            ResponseAction {
                status_code: Some(403),
                content: None,
                action: ResponseActionKind::Ignore,
            },
        ];
        assert_eq!(
            match_action(&actions, 404, b""),
            Some(ResponseActionKind::Ignore)
        );
        assert_eq!(
            match_action(&actions, 403, b""),
            Some(ResponseActionKind::Ignore)
        );
        assert_eq!(
            match_action(&actions, 200, b"{\"e\":\"try later\"}"),
            Some(ResponseActionKind::Retry)
        );
        assert_eq!(match_action(&actions, 200, b"{}"), None);
    }
}
