//! Request assembly, in one place: a resource's first request with every placeholder, param,
//! header and body filled from the parent record and the incremental window (the paginator
//! then writes its own values into it), and how a request is shown in logs and errors.

use connector_spec::resolved::{
    BodySource, ParamSource, ParentPlan, RequestField, TemplateOrSecret,
};
use connector_spec::template::{value_text, Placeholder, PlaceholderKind};
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;
use url::Url;

use crate::incremental::Window;
use crate::plan::ResourcePlan;
use crate::redact::Redactor;
use crate::secrets::Secrets;
use crate::select::set_path;
use crate::urls::{encode_segment, join_url};
use crate::Error;

/// The parts of a page request a paginator may change: the URL, the query and the JSON body
/// (re-exported as `PageRequest`).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub(crate) url: Url,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) json: Option<Value>,
}

impl Request {
    /// The URL, without the query parameters of [`Request::query`].
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// Replaces the URL (a next link); a URL to another origin is sent without credentials.
    pub fn set_url(&mut self, url: reqwest::Url) {
        self.url = url;
    }

    /// The query parameters, in order.
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// Removes every query parameter (a next link carries its own).
    pub fn clear_query(&mut self) {
        self.query.clear();
    }

    /// The JSON body, if any.
    pub fn json(&self) -> Option<&Value> {
        self.json.as_ref()
    }

    /// Sets a query parameter, replacing an earlier value of the same name.
    pub fn set_query(&mut self, name: &str, value: String) {
        self.query.retain(|(k, _)| k != name);
        self.query.push((name.to_owned(), value));
    }

    /// Sets a value at a key path of the JSON body, creating the body if needed.
    pub fn set_body(&mut self, path: &[String], value: Value) {
        let body = self
            .json
            .get_or_insert_with(|| Value::Object(Default::default()));
        set_path(body, path, value);
    }

    /// Writes a paginator value where the spec says it goes.
    pub(crate) fn set(&mut self, field: &RequestField, value: Value) {
        match field {
            RequestField::Query(name) => self.set_query(name, value_text(&value)),
            RequestField::Body(path) => self.set_body(path, value),
        }
    }

    /// The URL with its query, secrets redacted: how a request is shown in logs and errors.
    pub(crate) fn shown(&self, redactor: &Redactor) -> String {
        let mut url = self.url.clone();
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(self.query.iter());
        }
        redactor.url(&url)
    }
}

/// A header to send; `secret` ones are never sent to another origin.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
    pub(crate) secret: bool,
}

/// A resource's first request, its headers and its form or raw body.
pub(crate) struct Assembled {
    pub(crate) request: Request,
    pub(crate) headers: Vec<Header>,
    pub(crate) body: Option<Body>,
}

/// The first request of one request sequence (one parent record at most), every placeholder,
/// param and header filled.
pub(crate) fn assemble(
    base_url: &Url,
    redactor: &Redactor,
    secrets: &Secrets,
    plan: &ResourcePlan,
    parent: Option<&Value>,
    window: Option<&Window>,
) -> Result<Assembled, Error> {
    let bindings = Bindings {
        parent: plan.parent.as_ref().zip(parent),
        window,
    };
    let lookup = |p: &Placeholder| bindings.lookup(p);
    let path = plan
        .path
        .render(&lookup, encode_segment)
        .map_err(|p| unbound(plan, &p.text))?;
    let url = join_url(base_url, &path).map_err(|e| Error::Config {
        resource: plan.name.clone(),
        message: format!(
            "endpoint path `{}` does not make a URL: {e}",
            redactor.text(&path)
        ),
    })?;
    let mut query = Vec::new();
    for (name, param) in &plan.params {
        let value = match param {
            ParamSource::Template(t) => Some(
                t.render(&lookup, |s| s.to_owned())
                    .map_err(|p| unbound(plan, &p.text))?,
            ),
            ParamSource::Secret(s) => Some(
                secrets
                    .get(s)
                    .map(|v| v.expose().to_owned())
                    .ok_or_else(|| unbound(plan, s))?,
            ),
            ParamSource::ParentField(field) => {
                let parent = parent.ok_or_else(|| unbound(plan, name))?;
                Some(
                    field
                        .first(parent)
                        .map(value_text)
                        .ok_or_else(|| unbound(plan, name))?,
                )
            }
            ParamSource::IncrementalStart => {
                window.and_then(|w| w.start_value.as_ref()).map(value_text)
            }
        };
        if let Some(v) = value {
            query.push((name.clone(), v));
        }
    }
    if let (Some(inc), Some(window)) = (&plan.incremental, window) {
        if let (Some(param), Some(start)) = (&inc.config.start_param, &window.start_value) {
            query.push((param.clone(), value_text(start)));
        }
        if let (Some(param), Some(end)) = (&inc.config.end_param, &window.end_value) {
            query.push((param.clone(), value_text(end)));
        }
    }
    let json = plan
        .json
        .as_ref()
        .map(|j| j.render(&lookup))
        .transpose()
        .map_err(|p| unbound(plan, &p.text))?;
    Ok(Assembled {
        request: Request { url, query, json },
        headers: headers(plan, &bindings, secrets)?,
        body: body(plan, &bindings, secrets)?,
    })
}

/// What a placeholder may be bound to for one request sequence.
struct Bindings<'a> {
    parent: Option<(&'a ParentPlan, &'a Value)>,
    window: Option<&'a Window>,
}

impl Bindings<'_> {
    fn lookup(&self, placeholder: &Placeholder) -> Option<Value> {
        if let PlaceholderKind::Incremental(which) = &placeholder.kind {
            return self.window.and_then(|w| w.get(which)).cloned();
        }
        let (plan, record) = self.parent?;
        plan.field_for(&placeholder.text)?.first(record).cloned()
    }
}

/// The headers of one request sequence, placeholders filled.
fn headers(
    plan: &ResourcePlan,
    bindings: &Bindings<'_>,
    secrets: &Secrets,
) -> Result<Vec<Header>, Error> {
    plan.headers
        .iter()
        .map(|(name, source)| {
            let (text, secret) = match source {
                TemplateOrSecret::Secret(s) => (
                    secrets
                        .get(s)
                        .map(|v| v.expose().to_owned())
                        .ok_or_else(|| unbound(plan, s))?,
                    true,
                ),
                TemplateOrSecret::Template(t) => (
                    t.render(&|p| bindings.lookup(p), |s| s.to_owned())
                        .map_err(|p| unbound(plan, &p.text))?,
                    false,
                ),
            };
            let mut value = HeaderValue::from_str(&text).map_err(|_| Error::Config {
                resource: plan.name.clone(),
                message: format!("header `{name}` has a value that is not a valid header value"),
            })?;
            value.set_sensitive(secret);
            Ok(Header {
                name: name.clone(),
                value,
                secret,
            })
        })
        .collect()
}

/// A request body other than JSON, placeholders and secrets filled.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// Form fields, sent `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
    /// A raw body, sent as it is.
    Raw(String),
}

/// The form or raw body of one request sequence.
fn body(
    plan: &ResourcePlan,
    bindings: &Bindings<'_>,
    secrets: &Secrets,
) -> Result<Option<Body>, Error> {
    let lookup = |p: &Placeholder| bindings.lookup(p);
    Ok(match &plan.body {
        None => None,
        Some(BodySource::Raw(template)) => Some(Body::Raw(
            template
                .render(&lookup, |s| s.to_owned())
                .map_err(|p| unbound(plan, &p.text))?,
        )),
        Some(BodySource::Form(fields)) => Some(Body::Form(
            fields
                .iter()
                .map(|(key, source)| {
                    let value = match source {
                        TemplateOrSecret::Secret(s) => secrets
                            .get(s)
                            .map(|v| v.expose().to_owned())
                            .ok_or_else(|| unbound(plan, s))?,
                        TemplateOrSecret::Template(t) => t
                            .render(&lookup, |s| s.to_owned())
                            .map_err(|p| unbound(plan, &p.text))?,
                    };
                    Ok((key.clone(), value))
                })
                .collect::<Result<_, Error>>()?,
        )),
    })
}

fn unbound(plan: &ResourcePlan, placeholder: &str) -> Error {
    if matches!(
        placeholder,
        "incremental.start_value" | "incremental.initial_value" | "incremental.last_value"
    ) {
        // No saved cursor yet and nothing to start from (`connector check` says so too).
        return Error::Config {
            resource: plan.name.clone(),
            message: format!(
                "placeholder `{{{placeholder}}}` has no value: no cursor is saved yet and \
                 `incremental.initial_value` is not set; set `initial_value` in the endpoint's \
                 `incremental`"
            ),
        };
    }
    Error::Config {
        resource: plan.name.clone(),
        message: format!(
            "placeholder `{{{placeholder}}}` has no value: it is not a known placeholder \
             (resources.<parent>.<field>, incremental.start_value|initial_value|last_value|end_value, \
             parent_id, or a resolve param), or the parent record lacks that field"
        ),
    }
}
