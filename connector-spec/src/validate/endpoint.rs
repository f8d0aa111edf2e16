//! Each endpoint as written (in `resource_defaults` or a resource): selector, retries,
//! response actions, paginator and auth; and each resource's request body.

use crate::model::*;
use crate::selector;
use crate::vocabulary::*;

use super::auth::{auth_rules, literal_secret_headers};
use super::paginator::paginator_rules;
use super::{header_names, is_incremental_param, Problems, Res};

/// Rules on each endpoint as written: paginator, selector, retries, response actions, auth.
pub(super) fn written_endpoints(spec: &Spec, p: &mut Problems) {
    let mut endpoints: Vec<(String, &Endpoint)> = Vec::new();
    if let Some(Some(e)) = spec.resource_defaults.as_ref().map(|d| d.endpoint.as_ref()) {
        endpoints.push(("resource_defaults.endpoint".to_owned(), e));
    }
    for (i, entry) in spec.resources.iter().enumerate() {
        if let ResourceEntry::Full(r) = entry {
            if let Some(EndpointEntry::Full(e)) = &r.endpoint {
                endpoints.push((format!("resources[{i}].endpoint"), e));
            }
        }
    }
    for (base, endpoint) in endpoints {
        if let Some(paginator) = &endpoint.paginator {
            paginator_rules(paginator, &format!("{base}.paginator"), p);
        }
        if let Some(selector) = &endpoint.data_selector {
            if let Err(err) = selector::parse(selector) {
                p.error(
                    format!("{base}.data_selector"),
                    format!("data_selector `{selector}` is not valid: {err}"),
                )
                .help("use a JSONPath subset: `$`, `a.b`, `a[*].b`, `a.*`, `a[0]`, `['odd.key']`");
            }
        }
        if let Some(handler) = &endpoint.error_handler {
            error_handler(handler, &format!("{base}.error_handler"), p);
        }
        if endpoint.max_pages == Some(0) {
            p.error(format!("{base}.max_pages"), "max_pages must be at least 1");
        }
        for (i, action) in endpoint.response_actions.iter().enumerate() {
            let path = format!("{base}.response_actions[{i}]");
            if action.status_code.is_none() && action.content.is_none() {
                p.error(
                    path.clone(),
                    "a response action must match something: add `status_code`, `content` or both",
                );
            }
            if let Some(code) = action.status_code {
                if !(100..=599).contains(&code) {
                    p.error(
                        format!("{path}.status_code"),
                        format!("status code {code} is not an HTTP status (100-599)"),
                    );
                }
            }
        }
        if let Some(auth) = &endpoint.auth {
            auth_rules(auth, &format!("{base}.auth"), p);
        }
        literal_secret_headers(&endpoint.headers, &format!("{base}.headers"), p);
        header_names(&endpoint.headers, &format!("{base}.headers"), p);
        if endpoint
            .params
            .values()
            .filter(|v| is_incremental_param(v))
            .count()
            > 0
            && endpoint.incremental.is_some()
        {
            p.error(
                format!("{base}.incremental"),
                "incremental is set twice: as `incremental:` and as a `{ type: incremental }` \
                 parameter; keep one",
            )
            .at_key();
        }
    }
}

fn error_handler(handler: &ErrorHandler, base: &str, p: &mut Problems) {
    for (i, code) in handler.retry_on_status_codes.iter().flatten().enumerate() {
        if !(100..=599).contains(code) {
            p.error(
                format!("{base}.retry_on_status_codes[{i}]"),
                format!("status code {code} is not an HTTP status (100-599)"),
            );
        }
    }
    for (key, value) in [
        ("backoff_factor", handler.backoff_factor),
        ("max_retry_delay", handler.max_retry_delay),
        ("retry_after_min_wait", handler.retry_after_min_wait),
    ] {
        if let Some(v) = value {
            if v.is_nan() || v < 0.0 {
                p.error(format!("{base}.{key}"), format!("{key} cannot be negative"));
            }
        }
    }
}

pub(super) fn body_exclusive(res: &Res, p: &mut Problems) {
    let e = &res.resolved.endpoint;
    if e.json.is_some() && e.data.is_some() {
        p.error(
            res.endpoint_origin("data", |e| e.data.is_some()),
            "`json` and `data` are both set; a request has one body",
        )
        .at_key()
        .help("keep `json` for a JSON body or `data` for a form body");
    }
    if e.json.is_some() && res.resolved.method() == Method::Get {
        p.warning(
            res.endpoint_origin("json", |e| e.json.is_some()),
            "a JSON body on a GET request is ignored by many servers",
        )
        .at_key()
        .help("add `method: POST`");
    }
}
