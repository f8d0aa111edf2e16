//! Semantic validation: the rules serde cannot check, each a function, all problems collected.
//!
//! Problems carry a key path; the loader turns it into a line and column. A rule about a
//! merged setting (a primary key from `resource_defaults`, say) points at the place the value
//! was written.

use std::collections::BTreeMap;

use crate::diagnostic::Severity;
use crate::model::*;
use crate::vocabulary::*;
use crate::nullable::Nullable;
use crate::placeholder::{json_strings, placeholders, PlaceholderKind, INCREMENTAL_PLACEHOLDERS};
use crate::relations::{auth_fields, parent_refs};
use crate::merge::MergedResource;
use crate::selector;
use crate::suggest::{did_you_mean, list};

/// One problem, located by key path; the loader adds line and column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub severity: Severity,
    pub path: String,
    /// Point at the key (true) or at its value.
    pub at_key: bool,
    pub message: String,
    pub help: Option<String>,
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) -> &mut Problem {
        self.push(Severity::Error, path.into(), message.into())
    }

    fn warning(&mut self, path: impl Into<String>, message: impl Into<String>) -> &mut Problem {
        self.push(Severity::Warning, path.into(), message.into())
    }

    fn push(&mut self, severity: Severity, path: String, message: String) -> &mut Problem {
        self.0.push(Problem {
            severity,
            path,
            at_key: false,
            message,
            help: None,
        });
        let last = self.0.len() - 1;
        &mut self.0[last]
    }
}

impl Problem {
    fn help(&mut self, help: impl Into<String>) -> &mut Problem {
        self.help = Some(help.into());
        self
    }

    fn maybe_help(&mut self, help: Option<String>) -> &mut Problem {
        self.help = help;
        self
    }

    fn at_key(&mut self) -> &mut Problem {
        self.at_key = true;
        self
    }
}

/// One resource seen three ways: as written, merged, and where it sits in the file.
struct Res<'a> {
    index: usize,
    raw: std::borrow::Cow<'a, Resource>,
    resolved: MergedResource,
}

impl Res<'_> {
    fn path(&self) -> String {
        format!("resources[{}]", self.index)
    }

    fn own_endpoint(&self) -> Option<&Endpoint> {
        match &self.raw.endpoint {
            Some(EndpointEntry::Full(e)) => Some(e),
            _ => None,
        }
    }

    /// Where an endpoint setting of this resource was written: its own endpoint, else
    /// `resource_defaults.endpoint`.
    fn endpoint_origin(&self, field: &str, own_has: impl Fn(&Endpoint) -> bool) -> String {
        if self.own_endpoint().is_some_and(own_has) {
            format!("{}.endpoint.{field}", self.path())
        } else {
            format!("resource_defaults.endpoint.{field}")
        }
    }

    /// Where a resource setting was written: the resource, else `resource_defaults`.
    fn origin(&self, field: &str, own_has: bool) -> String {
        if own_has {
            format!("{}.{field}", self.path())
        } else {
            format!("resource_defaults.{field}")
        }
    }
}

/// Every semantic problem of a deserialized spec.
pub(crate) fn validate(spec: &Spec) -> Vec<Problem> {
    let mut p = Problems::default();
    let resources: Vec<Res> = spec
        .resources
        .iter()
        .enumerate()
        .map(|(index, entry)| Res {
            index,
            raw: match entry {
                ResourceEntry::Full(r) => std::borrow::Cow::Borrowed(r.as_ref()),
                ResourceEntry::Name(name) => std::borrow::Cow::Owned(Resource {
                    name: name.clone(),
                    ..Resource::default()
                }),
            },
            resolved: spec.merge_entry(entry),
        })
        .collect();

    connector_name(spec, &mut p);
    client(&spec.client, &mut p);
    written_endpoints(spec, &mut p);
    resource_names(&resources, &mut p);
    for res in &resources {
        keys_among_columns(res, &mut p);
        merge_needs_keys(res, &mut p);
        incremental(res, &mut p);
        placeholders_bound(spec, res, &resources, &mut p);
        body_exclusive(res, &mut p);
        columns(res, &mut p);
    }
    parents(spec, &resources, &mut p);
    secrets(spec, &mut p);
    insecure_base_url(spec, &mut p);
    p.0
}

/// Lower snake case: `[a-z][a-z0-9_]*`.
fn is_lower_snake(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A name as generated code spells it: snake case, runs of other characters as one `_`.
pub(crate) fn sanitize(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            prev_lower = false;
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
    }
    out.trim_end_matches('_').to_owned()
}

fn connector_name(spec: &Spec, p: &mut Problems) {
    if !is_lower_snake(&spec.name) {
        let fixed = sanitize(&spec.name);
        let e = p.error(
            "name",
            format!(
                "connector name `{}` must be lower snake case (a-z, 0-9, _; starting with a \
                 letter): it names the generated module and the secrets' environment variables",
                spec.name
            ),
        );
        if is_lower_snake(&fixed) {
            e.help(format!("use `{fixed}`"));
        }
    }
}

fn client(client: &Client, p: &mut Problems) {
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
}

/// Rules on each endpoint as written: paginator, selector, retries, response actions, auth.
fn written_endpoints(spec: &Spec, p: &mut Problems) {
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
                .help("use a JSONPath subset: `$`, `a.b`, `a[*].b`, `a[0]`, `['odd.key']`");
            }
        }
        if let Some(handler) = &endpoint.error_handler {
            error_handler(handler, &format!("{base}.error_handler"), p);
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

fn is_incremental_param(value: &ParamValue) -> bool {
    matches!(value, ParamValue::Special(SpecialParam::Incremental(_)))
}

fn paginator_rules(paginator: &Paginator, base: &str, p: &mut Problems) {
    let Paginator::Config(config) = paginator else {
        if let Paginator::Name(PaginatorKind::Offset) = paginator {
            p.error(
                base,
                "paginator `offset` needs `limit`; write it as a mapping",
            )
            .help("`paginator: { type: offset, limit: 100 }`");
        }
        return;
    };
    let both = |p: &mut Problems, a: (&str, bool), b: (&str, bool)| {
        if a.1 && b.1 {
            p.error(
                format!("{base}.{}", b.0),
                format!(
                    "`{}` and `{}` both set; the value goes in the query or in the body, not both",
                    a.0, b.0
                ),
            )
            .at_key();
        }
    };
    match config {
        PaginatorConfig::PageNumber(pn) => {
            both(
                p,
                ("page_param", pn.page_param.is_some()),
                ("page_body_path", pn.page_body_path.is_some()),
            );
            if pn.page.is_some() && pn.start_from_page.is_some() {
                p.error(
                    format!("{base}.start_from_page"),
                    "`page` and `start_from_page` mean the same; keep one",
                )
                .at_key();
            }
            if pn.limit == Some(0) {
                p.error(format!("{base}.limit"), "limit must be at least 1");
            }
            let no_stop = matches!(pn.total_path, Nullable::Null)
                && pn.maximum_page.is_none()
                && pn.has_more_path.is_none()
                && pn.stop_condition.is_none()
                && pn.stop_after_empty_page == Some(false);
            if no_stop {
                p.error(
                    base,
                    "this page_number paginator can never stop: total_path is null, no \
                     maximum_page, no has_more_path, no stop_condition, and \
                     stop_after_empty_page is false (dlt raises here too)",
                )
                .at_key()
                .help("set one of `total_path`, `maximum_page`, `has_more_path`, `stop_condition`, or `stop_after_empty_page: true`");
            }
            if let (Some(max), Some(base_page)) = (pn.maximum_page, pn.base_page) {
                if max < base_page {
                    p.error(
                        format!("{base}.maximum_page"),
                        format!("maximum_page {max} is below base_page {base_page}"),
                    );
                }
            }
        }
        PaginatorConfig::Offset(o) => {
            both(
                p,
                ("offset_param", o.offset_param.is_some()),
                ("offset_body_path", o.offset_body_path.is_some()),
            );
            both(
                p,
                ("limit_param", o.limit_param.is_some()),
                ("limit_body_path", o.limit_body_path.is_some()),
            );
            if o.limit == 0 {
                p.error(format!("{base}.limit"), "limit must be at least 1");
            }
            let no_stop = matches!(o.total_path, Nullable::Null)
                && o.maximum_offset.is_none()
                && o.has_more_path.is_none()
                && o.stop_condition.is_none()
                && o.stop_after_empty_page == Some(false);
            if no_stop {
                p.error(
                    base,
                    "this offset paginator can never stop: total_path is null, no \
                     maximum_offset, no has_more_path, no stop_condition, and \
                     stop_after_empty_page is false (dlt raises here too)",
                )
                .at_key()
                .help("set one of `total_path`, `maximum_offset`, `has_more_path`, `stop_condition`, or `stop_after_empty_page: true`");
            }
        }
        PaginatorConfig::Cursor(c) => {
            both(
                p,
                ("cursor_param", c.cursor_param.is_some()),
                ("cursor_body_path", c.cursor_body_path.is_some()),
            );
            if c.limit == Some(0) {
                p.error(format!("{base}.limit"), "limit must be at least 1");
            }
        }
        _ => {}
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

/// A literal that looks like a credential rather than a placeholder or a made-up example.
fn looks_secret(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty() && !v.contains('{') && !v.contains(' ')
}

fn auth_rules(auth: &Auth, base: &str, p: &mut Problems) {
    for (key, value) in auth_fields(auth) {
        let credential = matches!(
            key,
            "token" | "api_key" | "password" | "client_secret" | "refresh_token"
        );
        if let StringOrSecret::Literal(text) = value {
            if credential && looks_secret(text) {
                p.warning(
                    format!("{base}.{key}"),
                    format!("`{key}` is written in the spec as a literal; credentials belong in the secrets store"),
                )
                .help(format!("write `{key}: {{ secret: {key} }}` and provide the value via the environment or secrets.toml"));
            }
        }
    }
    match auth {
        Auth::Oauth2RefreshToken(o) if o.refresh_token.is_none() => {
            p.error(
                format!("{base}.type"),
                "auth type `oauth2_refresh_token` needs `refresh_token`",
            )
            .help("add `refresh_token: { secret: refresh_token }`");
        }
        Auth::Oauth2ClientCredentials(o) | Auth::Oauth2RefreshToken(o) => {
            if let StringOrSecret::Literal(url) = &o.access_token_url {
                if url.starts_with("http://") {
                    p.warning(
                        format!("{base}.access_token_url"),
                        "the token URL is plain http://: client credentials would travel unencrypted",
                    )
                    .help("use https://");
                }
            }
        }
        Auth::ApiKey {
            name: None,
            location: Some(ApiKeyLocation::Query | ApiKeyLocation::Cookie),
            ..
        } => {
            p.warning(
                format!("{base}.location"),
                "an api_key in the query string or a cookie without `name` is sent as `Authorization`",
            )
            .help("add `name:` with the parameter or cookie name the API expects");
        }
        _ => {}
    }
}

fn literal_secret_headers(
    headers: &indexmap::IndexMap<String, StringOrSecret>,
    base: &str,
    p: &mut Problems,
) {
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let sensitive = lower == "authorization"
            || lower.contains("api-key")
            || lower.contains("apikey")
            || lower.contains("token")
            || lower.contains("secret");
        if let StringOrSecret::Literal(text) = value {
            if sensitive && looks_secret(text) {
                p.warning(
                    format!("{base}.{name}"),
                    format!("header `{name}` holds a literal credential"),
                )
                .help(format!("write `{name}: {{ secret: ... }}`"));
            }
        }
    }
}

fn resource_names(resources: &[Res], p: &mut Problems) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut sanitized: BTreeMap<String, usize> = BTreeMap::new();
    for res in resources {
        let name = &res.raw.name;
        // A bare-string entry has no `name` key; the locator then points at the entry.
        let name_path = format!("{}.name", res.path());
        if let Some(first) = seen.get(name) {
            p.error(
                name_path.clone(),
                format!("duplicate resource name `{name}` (first defined as resources[{first}])"),
            )
            .help("resource names must be unique; rename one");
            continue;
        }
        seen.insert(name.clone(), res.index);
        let clean = sanitize(name);
        if clean.is_empty() {
            p.error(
                name_path.clone(),
                format!(
                    "resource name `{name}` has no letters or digits to make an identifier from"
                ),
            );
            continue;
        }
        if let Some(first) = sanitized.get(&clean) {
            let other = &resources[*first].raw.name;
            p.error(
                name_path.clone(),
                format!(
                    "resource name `{name}` collides with `{other}`: both become `{clean}` in generated code"
                ),
            )
            .help("rename one of them");
            continue;
        }
        sanitized.insert(clean, res.index);
    }
}

fn declared(columns: &indexmap::IndexMap<String, Column>, field: &str) -> bool {
    // A dot path names a nested field; its first segment must be a column.
    let field = field.trim_start_matches("$.");
    let first = field.split(['.', '[']).next().unwrap_or(field);
    columns.contains_key(first)
}

fn column_names(columns: &indexmap::IndexMap<String, Column>) -> Vec<&str> {
    columns.keys().map(String::as_str).collect()
}

fn keys_among_columns(res: &Res, p: &mut Problems) {
    let r = &res.resolved;
    if r.columns.is_empty() {
        return;
    }
    let names = column_names(&r.columns);
    for (field, keys, own) in [
        ("primary_key", &r.primary_key, res.raw.primary_key.is_some()),
        ("merge_key", &r.merge_key, res.raw.merge_key.is_some()),
    ] {
        for key in keys {
            if !declared(&r.columns, key) {
                let origin = res.origin(field, own);
                let from = if own {
                    String::new()
                } else {
                    " (from resource_defaults)".to_owned()
                };
                p.error(
                    if own {
                        origin
                    } else {
                        format!("{}.columns", res.path())
                    },
                    format!(
                        "{field} `{key}`{from} is not a declared column of `{}`; columns: {}",
                        r.name,
                        list(&names)
                    ),
                )
                .at_key()
                .maybe_help(
                    did_you_mean(key, &names)
                        .or_else(|| Some(format!("declare column `{key}` or fix the key"))),
                );
            }
        }
    }
}

fn merge_needs_keys(res: &Res, p: &mut Problems) {
    let r = &res.resolved;
    if r.disposition == Disposition::Merge && r.primary_key.is_empty() && r.merge_key.is_empty() {
        let own = res.raw.write_disposition.is_some();
        p.warning(
            if own {
                format!("{}.write_disposition", res.path())
            } else {
                format!("{}.name", res.path())
            },
            format!(
                "resource `{}` merges but has no primary_key or merge_key, so every run appends",
                r.name
            ),
        )
        .help("add `primary_key:` (or `merge_key:`)");
    }
}

fn incremental(res: &Res, p: &mut Problems) {
    let r = &res.resolved;
    let mut incs: Vec<(String, &Incremental)> = Vec::new();
    if let Some(inc) = &r.endpoint.incremental {
        incs.push((
            res.endpoint_origin("incremental", |e| e.incremental.is_some()),
            inc,
        ));
    }
    for (name, value) in &r.endpoint.params {
        if let ParamValue::Special(SpecialParam::Incremental(inc)) = value {
            let field = format!("params.{name}");
            incs.push((
                res.endpoint_origin(&field, |e| e.params.contains_key(name)),
                inc,
            ));
        }
    }
    for (path, inc) in incs {
        if inc.cursor_path.trim().is_empty() {
            p.error(format!("{path}.cursor_path"), "cursor_path is empty");
        } else if !r.columns.is_empty() && !declared(&r.columns, &inc.cursor_path) {
            let names = column_names(&r.columns);
            p.error(
                format!("{path}.cursor_path"),
                format!(
                    "incremental cursor_path `{}` is not a declared column of `{}`; columns: {}",
                    inc.cursor_path,
                    r.name,
                    list(&names)
                ),
            )
            .maybe_help(did_you_mean(&inc.cursor_path, &names));
        }
        // Toward end_value is ascending for `max`, descending for `min`.
        let toward_end = match (inc.row_order, inc.last_value_func) {
            (None, _) => false,
            (Some(order), func) => (order == RowOrder::Asc) != (func == Some(LastValueFunc::Min)),
        };
        if toward_end && inc.end_value.is_none() {
            p.warning(
                format!("{path}.row_order"),
                "this row_order stops paging only at end_value, and end_value is not set",
            )
            .help("set `end_value`, or use the opposite row_order if the API returns records the other way");
        }
    }
}

/// Every `{placeholder}` in a resource's request is one the runtime can fill.
fn placeholders_bound(spec: &Spec, res: &Res, all: &[Res], p: &mut Problems) {
    let r = &res.resolved;
    let names: Vec<&str> = all.iter().map(|x| x.raw.name.as_str()).collect();
    let resolve_params: Vec<&str> = r
        .endpoint
        .params
        .iter()
        .filter(|(_, v)| matches!(v, ParamValue::Special(SpecialParam::Resolve(_))))
        .map(|(k, _)| k.as_str())
        .collect();
    let has_incremental =
        r.endpoint.incremental.is_some() || r.endpoint.params.values().any(is_incremental_param);

    let mut strings: Vec<(String, String, bool)> = Vec::new(); // (path, text, is_path)
    let path_origin = res.endpoint_origin("path", |e| e.path.is_some());
    let path_origin = if res.own_endpoint().is_none() && res.raw.endpoint.is_some() {
        format!("{}.endpoint", res.path())
    } else if res.raw.endpoint.is_none()
        && spec
            .resource_defaults
            .as_ref()
            .and_then(|d| d.endpoint.as_ref())
            .and_then(|e| e.path.as_ref())
            .is_none()
    {
        res.path()
    } else {
        path_origin
    };
    strings.push((path_origin, r.path().to_owned(), true));
    for (name, value) in &r.endpoint.params {
        if let ParamValue::Literal(Scalar::String(s)) = value {
            let field = format!("params.{name}");
            strings.push((
                res.endpoint_origin(&field, |e| e.params.contains_key(name)),
                s.clone(),
                false,
            ));
        }
    }
    for (name, value) in &r.endpoint.headers {
        if let StringOrSecret::Literal(s) = value {
            let field = format!("headers.{name}");
            strings.push((
                res.endpoint_origin(&field, |e| e.headers.contains_key(name)),
                s.clone(),
                false,
            ));
        }
    }
    if let Some(json) = &r.endpoint.json {
        let base = res.endpoint_origin("json", |e| e.json.is_some());
        let mut found = Vec::new();
        json_strings(json, "", &mut found);
        for (sub, s) in found {
            strings.push((crate::de::join_paths(&base, &sub), s.to_owned(), false));
        }
    }

    for (path, text, is_path) in strings {
        for ph in placeholders(&text) {
            match &ph.kind {
                PlaceholderKind::ParentField { resource, field } => {
                    if !names.contains(&resource.as_str()) {
                        p.error(
                            path.clone(),
                            format!(
                                "`{{{}}}` refers to resource `{resource}`, which does not exist",
                                ph.text
                            ),
                        )
                        .maybe_help(did_you_mean(resource, &names));
                    } else if resource == &r.name {
                        p.error(
                            path.clone(),
                            format!("`{{{}}}`: a resource cannot be its own parent", ph.text),
                        );
                    } else if field.is_empty() {
                        p.error(
                            path.clone(),
                            format!(
                                "`{{{}}}` names no field; write `{{resources.{resource}.<field>}}`",
                                ph.text
                            ),
                        );
                    } else if let Some(parent) = all.iter().find(|x| &x.raw.name == resource) {
                        parent_field_declared(
                            &parent.resolved,
                            field,
                            &path,
                            &format!("`{{{}}}`", ph.text),
                            p,
                        );
                    }
                }
                PlaceholderKind::Incremental(which) => {
                    if !INCREMENTAL_PLACEHOLDERS.contains(&which.as_str()) {
                        p.error(
                            path.clone(),
                            format!(
                                "`{{incremental.{which}}}` is not an incremental value; valid: {}",
                                list(INCREMENTAL_PLACEHOLDERS)
                            ),
                        )
                        .maybe_help(did_you_mean(which, INCREMENTAL_PLACEHOLDERS));
                    } else if !has_incremental {
                        p.error(
                            path.clone(),
                            format!("`{{{}}}` is used but resource `{}` has no `incremental`", ph.text, r.name),
                        )
                        .help("add `incremental: { cursor_path: ..., initial_value: ... }` to the endpoint");
                    }
                }
                PlaceholderKind::ParentId => {}
                PlaceholderKind::Name(name) if is_path => {
                    if !resolve_params.contains(&name.as_str()) {
                        let help = if resolve_params.is_empty() {
                            format!(
                                "bind it with a param `{name}: {{ type: resolve, resource: <parent>, field: <field> }}`, or write `{{resources.<parent>.<field>}}`"
                            )
                        } else {
                            format!("resolve params here: {}", list(&resolve_params))
                        };
                        p.error(
                            path.clone(),
                            format!("placeholder `{{{name}}}` in path `{text}` is not bound"),
                        )
                        .help(help);
                    }
                }
                PlaceholderKind::Name(_) => {}
            }
        }
    }

    // Legacy resolve params.
    for (name, value) in &r.endpoint.params {
        if let ParamValue::Special(SpecialParam::Resolve(resolve)) = value {
            let field = format!("params.{name}");
            let path = res.endpoint_origin(&field, |e| e.params.contains_key(name));
            match all.iter().find(|x| x.raw.name == resolve.resource) {
                None => {
                    p.error(
                        format!("{path}.resource"),
                        format!(
                            "resolve param `{name}` refers to resource `{}`, which does not exist",
                            resolve.resource
                        ),
                    )
                    .maybe_help(did_you_mean(&resolve.resource, &names));
                }
                Some(parent) if parent.raw.name == r.name => {
                    p.error(
                        format!("{path}.resource"),
                        "a resource cannot resolve from itself",
                    );
                }
                Some(parent) => parent_field_declared(
                    &parent.resolved,
                    &resolve.field,
                    &format!("{path}.field"),
                    &format!("resolve param `{name}`"),
                    p,
                ),
            }
        }
    }

    // include_from_parent needs a parent with those columns.
    if !r.include_from_parent.is_empty() {
        let own = !res.raw.include_from_parent.is_empty();
        let path = res.origin("include_from_parent", own);
        match spec
            .parent_of(&r.name)
            .and_then(|l| all.iter().find(|x| x.raw.name == l.parent))
        {
            None => {
                // A broken parent reference is reported where it is written.
                let names_parent = res.raw.parent.is_some() || !parent_refs(r).is_empty();
                if own && !names_parent {
                    p.error(
                        path,
                        format!(
                            "include_from_parent is set but resource `{}` has no parent",
                            r.name
                        ),
                    )
                    .at_key();
                }
            }
            Some(parent) => {
                for (i, field) in r.include_from_parent.iter().enumerate() {
                    let at = if own {
                        format!("{path}[{i}]")
                    } else {
                        format!("{}.name", res.path())
                    };
                    parent_field_declared(&parent.resolved, field, &at, "include_from_parent", p);
                }
            }
        }
    }
}

fn parent_field_declared(
    parent: &MergedResource,
    field: &str,
    path: &str,
    what: &str,
    p: &mut Problems,
) {
    if field.trim().is_empty() {
        p.error(path, format!("{what}: the parent field is empty"));
        return;
    }
    if parent.columns.is_empty() || declared(&parent.columns, field) {
        return;
    }
    let names = column_names(&parent.columns);
    p.error(
        path,
        format!(
            "{what}: field `{field}` is not a declared column of parent `{}`; its columns: {}",
            parent.name,
            list(&names)
        ),
    )
    .maybe_help(did_you_mean(field, &names));
}

fn body_exclusive(res: &Res, p: &mut Problems) {
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

fn columns(res: &Res, p: &mut Problems) {
    for (name, column) in &res.raw.columns {
        column_rules(column, &format!("{}.columns.{name}", res.path()), p);
    }
}

fn column_rules(column: &Column, path: &str, p: &mut Problems) {
    let is_json = matches!(column.data_type, Some(DataType::Json));
    if !is_json && (column.items.is_some() || !column.fields.is_empty()) {
        p.error(
            format!("{path}.data_type"),
            "`items` and `fields` describe a JSON value; this column needs `data_type: json`",
        )
        .at_key();
    }
    if column.items.is_some() && !column.fields.is_empty() {
        p.error(
            format!("{path}.fields"),
            "a column is a list (`items`) or an object (`fields`), not both",
        )
        .at_key();
    }
    if column.scale.is_some() && !matches!(column.data_type, Some(DataType::Decimal)) {
        p.error(
            format!("{path}.scale"),
            "`scale` applies to `data_type: decimal` only",
        )
        .at_key();
    }
    if let Some(items) = &column.items {
        column_rules(items, &format!("{path}.items"), p);
    }
    for (name, field) in &column.fields {
        column_rules(field, &format!("{path}.fields.{name}"), p);
    }
}

/// Parent links: targets exist, one parent per child, no cycles, `{parent_id}` attributable.
fn parents(spec: &Spec, all: &[Res], p: &mut Problems) {
    let names: Vec<&str> = all.iter().map(|x| x.raw.name.as_str()).collect();
    for res in all {
        let r = &res.resolved;
        let refs = parent_refs(r);
        if let Some(parent) = &res.raw.parent {
            let path = format!("{}.parent", res.path());
            if !names.contains(&parent.as_str()) {
                p.error(
                    path.clone(),
                    format!("parent `{parent}` is not a resource of this spec"),
                )
                .maybe_help(did_you_mean(parent, &names));
            } else if parent == &r.name {
                p.error(path.clone(), "a resource cannot be its own parent");
            }
        }
        // Only parents that exist: a missing one is reported where it is named.
        let mut named: Vec<&str> = refs
            .iter()
            .filter_map(|x| x.resource.as_deref())
            .filter(|n| names.contains(n))
            .collect();
        if let Some(parent) = res.raw.parent.as_deref().filter(|n| names.contains(n)) {
            named.insert(0, parent);
        }
        named.dedup();
        let mut distinct: Vec<&str> = Vec::new();
        for n in named {
            if !distinct.contains(&n) {
                distinct.push(n);
            }
        }
        if distinct.len() > 1 {
            p.error(
                res.path() + ".endpoint",
                format!(
                    "resource `{}` has more than one parent ({}); a child fans out over one parent",
                    r.name,
                    list(&distinct)
                ),
            )
            .at_key()
            .help("bind every placeholder to the same parent, or split the resource");
        }
        let bare = refs.iter().any(|x| x.resource.is_none());
        if bare && distinct.is_empty() && spec.inferred_parent(&r.name).is_none() {
            let candidates: Vec<&str> = all
                .iter()
                .filter(|x| x.raw.name != r.name)
                .map(|x| x.raw.name.as_str())
                .collect();
            let help = match candidates.as_slice() {
                [] => {
                    "`{parent_id}` needs a parent resource; add one, or write the path without it"
                        .to_owned()
                }
                _ => format!(
                    "add `parent: <name>` to resource `{}` (one of: {})",
                    r.name,
                    list(&candidates)
                ),
            };
            let at = if res.own_endpoint().is_some_and(|e| e.path.is_some())
                || matches!(res.raw.endpoint, Some(EndpointEntry::Path(_)))
            {
                path_of_endpoint_path(res)
            } else {
                res.endpoint_origin("path", |e| e.path.is_some())
            };
            p.error(
                at,
                format!(
                    "cannot tell which resource `{{parent_id}}` in `{}` refers to: no single resource without a parent of its own",
                    r.name
                ),
            )
            .help(help);
        }
    }
    // Cycles: follow parents from each resource.
    let mut reported: Vec<String> = Vec::new();
    for res in all {
        let mut chain = vec![res.raw.name.clone()];
        let mut current = res.raw.name.clone();
        while let Some(link) = spec.parent_of(&current) {
            if link.parent == res.raw.name {
                if !chain.iter().any(|n| reported.contains(n)) && chain.len() > 1 {
                    chain.push(link.parent.clone());
                    p.error(
                        format!("{}.name", res.path()),
                        format!("parent cycle: {}", chain.join(" -> ")),
                    )
                    .help("a parent must be fetched before its children; break the cycle");
                    reported.extend(chain.iter().cloned());
                }
                break;
            }
            if chain.contains(&link.parent) || !names.contains(&link.parent.as_str()) {
                break;
            }
            chain.push(link.parent.clone());
            current = link.parent;
        }
    }
}

fn path_of_endpoint_path(res: &Res) -> String {
    match &res.raw.endpoint {
        Some(EndpointEntry::Path(_)) => format!("{}.endpoint", res.path()),
        _ => format!("{}.endpoint.path", res.path()),
    }
}

/// Secret names: lower snake case, one meaning each.
fn secrets(spec: &Spec, p: &mut Problems) {
    let mut roles: BTreeMap<&str, (String, &'static str)> = BTreeMap::new();
    for (path, name) in spec.secret_refs() {
        let secret_path = format!("{path}.secret");
        if !is_lower_snake(name) {
            let fixed = sanitize(name);
            let e = p.error(
                secret_path.clone(),
                format!(
                    "secret name `{name}` must be lower snake case: it becomes the environment variable `{}__{}`",
                    spec.name.to_uppercase(),
                    name.to_uppercase()
                ),
            );
            if is_lower_snake(&fixed) {
                e.help(format!("use `{fixed}`"));
            }
        }
        let role = secret_role(&path);
        if let Some(role) = role {
            match roles.get(name) {
                Some((first_path, first_role)) if *first_role != role => {
                    p.error(
                        secret_path,
                        format!(
                            "secret `{name}` is used as the {role} here but as the {first_role} at `{first_path}`; one secret name must mean one thing"
                        ),
                    )
                    .help("give each credential its own secret name");
                }
                Some(_) => {}
                None => {
                    roles.insert(name, (path.clone(), role));
                }
            }
        }
    }
}

/// What an auth field's secret is, for the one-meaning rule (headers and params have no role).
fn secret_role(path: &str) -> Option<&'static str> {
    if !path.contains(".auth.") {
        return None;
    }
    let key = path.rsplit('.').next().unwrap_or_default();
    Some(match key {
        "access_token_url" | "token_url" => "token URL",
        "client_id" => "client id",
        "client_secret" => "client secret",
        "refresh_token" => "refresh token",
        "username" => "user name",
        "password" => "password",
        "token" | "api_key" => "token",
        _ => return None,
    })
}

fn insecure_base_url(spec: &Spec, p: &mut Problems) {
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
