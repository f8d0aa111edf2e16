//! A resource made ready to run: the resolved resource plus what only the runtime can make
//! of it (the authenticator, header names, the retry policy with the test time scale).
//! The resolved spec is trusted: nothing here parses or validates it again.

use std::sync::Arc;

use connector_spec::resolved::{
    BodySource, IncludedField, PaginatorPlan, ParamSource, ParentPlan, ResolvedResource,
    TemplateOrSecret,
};
use connector_spec::template::{JsonTemplate, Template};
use connector_spec::{Method, ResponseAction};
use reqwest::header::HeaderName;

use crate::auth::Authenticator;
use crate::incremental::IncrementalPlan;
use crate::paginate::{Paginator, PaginatorFactory};
use crate::retry::RetryPolicy;
use crate::secrets::Secrets;
use crate::select::Selector;
use crate::Error;

pub(crate) struct ResourcePlan {
    pub(crate) name: String,
    pub(crate) method: reqwest::Method,
    pub(crate) path: Template,
    pub(crate) params: Vec<(String, ParamSource)>,
    pub(crate) headers: Vec<(HeaderName, TemplateOrSecret)>,
    pub(crate) json: Option<JsonTemplate>,
    pub(crate) body: Option<BodySource>,
    pub(crate) selector: Option<Selector>,
    pub(crate) paginator: PaginatorPlan,
    /// A paginator of the caller's own (`Options::with_paginator`), used instead.
    pub(crate) custom_paginator: Option<PaginatorFactory>,
    pub(crate) policy: RetryPolicy,
    pub(crate) actions: Vec<ResponseAction>,
    pub(crate) auth: Option<Arc<dyn Authenticator>>,
    /// The auth scheme's spec name (`none`, or `custom` for `Options::with_authenticator`), for
    /// the log.
    pub(crate) auth_kind: &'static str,
    pub(crate) incremental: Option<IncrementalPlan>,
    pub(crate) parent: Option<ParentPlan>,
    pub(crate) include_from_parent: Vec<IncludedField>,
    /// The spec's page cap of one request sequence.
    pub(crate) max_pages: u64,
    /// What to check when the API answers 401 or 403.
    pub(crate) credential_hint: String,
}

/// What the caller gave of its own for a resource, and the connector's name (for hints).
pub(crate) struct Custom<'a> {
    pub(crate) connector_name: &'a str,
    pub(crate) paginator: Option<PaginatorFactory>,
    /// An authenticator of the caller's own replaces the spec's `auth`.
    pub(crate) authenticator: bool,
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
    /// A fresh paginator for one request sequence.
    pub(crate) fn paginator(&self) -> Box<dyn Paginator> {
        match &self.custom_paginator {
            Some(make) => make(),
            None => crate::paginate::build(&self.paginator),
        }
    }

    pub(crate) fn new(
        resolved: &ResolvedResource,
        auth: Option<Arc<dyn Authenticator>>,
        custom: Custom,
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
            if let TemplateOrSecret::Secret(s) = source {
                if secrets.get(s).is_none() {
                    return Err(config(format!("header {header}: secret `{s}` is not set")));
                }
            }
            headers.push((header, source.clone()));
        }
        let secret_headers: Vec<&str> = resolved
            .headers
            .iter()
            .filter_map(|(_, source)| match source {
                TemplateOrSecret::Secret(s) => Some(s.as_str()),
                TemplateOrSecret::Template(_) => None,
            })
            .collect();
        let credential_hint = crate::auth::credential_hint(
            custom.connector_name,
            resolved.auth.as_ref(),
            custom.authenticator,
            &secret_headers,
        );
        let custom_paginator = custom.paginator;
        Ok(ResourcePlan {
            credential_hint,
            method: method(resolved.method),
            path: resolved.path.clone(),
            params: resolved.params.clone(),
            headers,
            json: resolved.json.clone(),
            body: resolved.body.clone(),
            selector: resolved.data_selector.clone(),
            paginator: resolved.paginator.clone(),
            custom_paginator,
            policy: RetryPolicy::new(&resolved.retry, retry_scale),
            actions: resolved.response_actions.clone(),
            auth_kind: match (&auth, &resolved.auth) {
                (None, _) => "none",
                (Some(_), _) if custom.authenticator => "custom",
                (Some(_), Some(plan)) => plan.type_name(),
                (Some(_), None) => "custom",
            },
            auth,
            incremental: resolved.incremental.clone().map(IncrementalPlan::new),
            parent: resolved.parent.clone(),
            include_from_parent: resolved.include_from_parent.clone(),
            max_pages: resolved.max_pages,
            name,
        })
    }
}
