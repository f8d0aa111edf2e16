//! A resource made ready to run: the resolved resource plus what only the runtime can make
//! of it (the authenticator, header names, the retry policy with the test time scale).
//! The resolved spec is trusted: nothing here parses or validates it again.

use std::sync::Arc;

use connector_spec::resolved::{
    HeaderSource, IncludedField, ParamSource, ParentPlan, PaginatorPlan, ResolvedResource,
    TextSource,
};
use connector_spec::template::{JsonTemplate, Placeholder, PlaceholderKind, Template};
use connector_spec::{Method, ResponseAction};
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::auth::Authenticator;
use crate::client::Header;
use crate::incremental::{IncrementalPlan, Window};
use crate::retry::RetryPolicy;
use crate::secrets::{value_of, Secrets};
use crate::select::Selector;
use crate::Error;

pub(crate) struct ResourcePlan {
    pub(crate) name: String,
    pub(crate) method: reqwest::Method,
    pub(crate) path: Template,
    pub(crate) params: Vec<(String, ParamSource)>,
    pub(crate) headers: Vec<(HeaderName, HeaderSource)>,
    pub(crate) json: Option<JsonTemplate>,
    pub(crate) form: Option<Vec<(String, TextSource)>>,
    pub(crate) selector: Option<Selector>,
    pub(crate) paginator: PaginatorPlan,
    pub(crate) policy: RetryPolicy,
    pub(crate) actions: Vec<ResponseAction>,
    pub(crate) auth: Option<Arc<dyn Authenticator>>,
    pub(crate) incremental: Option<IncrementalPlan>,
    pub(crate) parent: Option<ParentPlan>,
    pub(crate) include_from_parent: Vec<IncludedField>,
}

/// What a placeholder may be bound to for one request sequence.
pub(crate) struct Bindings<'a> {
    pub(crate) parent: Option<(&'a ParentPlan, &'a Value)>,
    pub(crate) window: Option<&'a Window>,
}

impl Bindings<'_> {
    pub(crate) fn lookup(&self, placeholder: &Placeholder) -> Option<Value> {
        if let PlaceholderKind::Incremental(which) = &placeholder.kind {
            return self.window.and_then(|w| w.get(which)).cloned();
        }
        let (plan, record) = self.parent?;
        plan.field_for(&placeholder.text)?.first(record).cloned()
    }
}

fn method(m: Method) -> reqwest::Method {
    match m {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}

impl ResourcePlan {
    pub(crate) fn new(
        resolved: &ResolvedResource,
        auth: Option<Arc<dyn Authenticator>>,
        secrets: &Secrets,
        retry_scale: f64,
    ) -> Result<ResourcePlan, Error> {
        let name = resolved.name.clone();
        let config = |message: String| Error::Config {
            resource: name.clone(),
            message,
        };
        // Header names and secret values are the two things only the runtime can check.
        let mut headers = Vec::new();
        for (key, source) in &resolved.headers {
            let header = HeaderName::from_bytes(key.as_bytes())
                .map_err(|_| config(format!("headers: `{key}` is not a valid header name")))?;
            if let HeaderSource::Secret(s) = source {
                if secrets.get(s).is_none() {
                    return Err(config(format!("header {header}: secret `{s}` is not set")));
                }
            }
            headers.push((header, source.clone()));
        }
        Ok(ResourcePlan {
            method: method(resolved.method),
            path: resolved.path.clone(),
            params: resolved.params.clone(),
            headers,
            json: resolved.json.clone(),
            form: resolved.form.clone(),
            selector: resolved.data_selector.clone(),
            paginator: resolved.paginator.clone(),
            policy: RetryPolicy::new(&resolved.retry, retry_scale),
            actions: resolved.response_actions.clone(),
            auth,
            incremental: resolved.incremental.clone().map(IncrementalPlan::new),
            parent: resolved.parent.clone(),
            include_from_parent: resolved.include_from_parent.clone(),
            name,
        })
    }

    /// The headers of one request sequence, placeholders filled.
    pub(crate) fn render_headers(
        &self,
        bindings: &Bindings<'_>,
        secrets: &Secrets,
    ) -> Result<Vec<Header>, Error> {
        self.headers
            .iter()
            .map(|(name, plan)| {
                let (text, secret) = match plan {
                    HeaderSource::Secret(s) => (
                        secrets
                            .get(s)
                            .map(|v| v.expose().to_owned())
                            .ok_or_else(|| self.unbound(s))?,
                        true,
                    ),
                    HeaderSource::Template(t) => (
                        t.render(&|p| bindings.lookup(p), |s| s.to_owned())
                            .map_err(|p| self.unbound(&p.text))?,
                        false,
                    ),
                };
                let mut value = HeaderValue::from_str(&text).map_err(|_| Error::Config {
                    resource: self.name.clone(),
                    message: format!(
                        "header `{name}` has a value that is not a valid header value"
                    ),
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

    /// The form body, secrets filled.
    pub(crate) fn render_form(
        &self,
        secrets: &Secrets,
    ) -> Result<Option<Vec<(String, String)>>, Error> {
        self.form
            .as_ref()
            .map(|form| {
                form.iter()
                    .map(|(k, v)| {
                        value_of(v, secrets)
                            .map(|s| (k.clone(), s.expose().to_owned()))
                            .map_err(|m| Error::Config {
                                resource: self.name.clone(),
                                message: m,
                            })
                    })
                    .collect()
            })
            .transpose()
    }

    pub(crate) fn unbound(&self, placeholder: &str) -> Error {
        Error::Config {
            resource: self.name.clone(),
            message: format!(
                "placeholder `{{{placeholder}}}` has no value: it is not a known placeholder \
                 (resources.<parent>.<field>, incremental.start_value|initial_value|last_value|end_value, \
                 parent_id, or a resolve param), or the parent record lacks that field"
            ),
        }
    }
}
