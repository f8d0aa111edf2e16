//! The `client` section: base URL, timeouts, rate limits, concurrency, and plain-http
//! credentials.

use crate::model::*;

use super::auth::{auth_rules, literal_secret_headers};
use super::paginator::paginator_rules;
use super::{header_names, Problems};

pub(super) fn client(client: &Client, p: &mut Problems) {
    let url = client.base_url.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let host = url.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    if !scheme_ok || host.is_empty() || host.starts_with('/') {
        p.error(
            "client.base_url",
            format!("base_url `{url}` is not an absolute http(s) URL"),
        )
        .help("write it like `https://api.example.com/v1`");
    }
    if let Some(t) = client.timeout_seconds {
        if t.is_nan() || t <= 0.0 {
            p.error(
                "client.timeout_seconds",
                "timeout_seconds must be greater than 0",
            );
        }
    }
    if client.max_body_bytes == Some(0) {
        p.error("client.max_body_bytes", "max_body_bytes must be at least 1");
    }
    if let Some(rate) = &client.rate_limit {
        let rates = [
            ("requests_per_second", rate.requests_per_second),
            ("requests_per_minute", rate.requests_per_minute),
        ];
        if rates.iter().all(|(_, r)| r.is_none()) {
            p.error("client.rate_limit", "rate_limit sets no rate")
                .at_key()
                .help("add `requests_per_second` or `requests_per_minute`");
        }
        if rates.iter().all(|(_, r)| r.is_some()) {
            p.error(
                "client.rate_limit.requests_per_minute",
                "rate_limit sets both `requests_per_second` and `requests_per_minute`; keep one",
            )
            .at_key();
        }
        for (key, r) in rates {
            if let Some(r) = r {
                if r.is_nan() || r <= 0.0 {
                    p.error(
                        format!("client.rate_limit.{key}"),
                        format!("{key} must be greater than 0"),
                    );
                }
            }
        }
        if rate.burst == Some(0) {
            p.error("client.rate_limit.burst", "burst must be at least 1");
        }
    }
    if client.concurrency == Some(0) {
        p.error("client.concurrency", "concurrency must be at least 1")
            .help("remove it for the default, or set 1 for one request at a time");
    }
    if let Some(paginator) = &client.paginator {
        paginator_rules(paginator, "client.paginator", p);
    }
    if let Some(auth) = &client.auth {
        auth_rules(auth, "client.auth", p);
    }
    literal_secret_headers(&client.headers, "client.headers", p);
    header_names(&client.headers, "client.headers", p);
}

pub(super) fn insecure_base_url(spec: &Spec, p: &mut Problems) {
    if !spec.client.base_url.trim().starts_with("http://") {
        return;
    }
    let host = spec.client.base_url.trim()["http://".len()..]
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    if matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
        return;
    }
    let has_auth = spec.client.auth.is_some()
        || spec
            .resource_defaults
            .as_ref()
            .and_then(|d| d.endpoint.as_ref())
            .is_some_and(|e| e.auth.is_some())
        || spec.resources.iter().any(|e| match e {
            ResourceEntry::Full(r) => {
                matches!(&r.endpoint, Some(EndpointEntry::Full(e)) if e.auth.is_some())
            }
            _ => false,
        });
    let has_secrets = !spec.secret_refs().is_empty();
    if has_auth || has_secrets {
        p.warning(
            "client.base_url",
            "base_url is plain http:// but requests carry credentials; they would travel unencrypted",
        )
        .help("use https://");
    }
}
