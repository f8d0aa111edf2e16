//! A resource made ready to run: the resolved spec turned into parsed templates, selectors,
//! retry policy and authenticator, so every spec problem the runtime can see is reported
//! when the connector is built, not in the middle of a run.

use std::sync::Arc;

use connector_spec::{
    Method, Paginator as PaginatorSpec, ParamValue, ResolvedResource, ResponseAction, Scalar,
    SpecialParam, StringOrSecret, Where,
};
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::auth::Authenticator;
use crate::client::Header;
use crate::incremental::{IncrementalPlan, Window};
use crate::retry::RetryPolicy;
use crate::secrets::{value_of, Secrets};
use crate::select::Selector;
use crate::template::{json_holes, Template};
use crate::Error;

/// A query parameter's source.
#[derive(Debug)]
pub(crate) enum ParamPlan {
    /// A literal or a template (`{resources.p.f}`, `{incremental.start_value}`).
    Template(Template),
    /// A secret's value.
    Secret(String),
    /// A legacy resolve param sent as a query parameter: the parent's field.
    Resolve(Selector),
    /// A legacy `{ type: incremental }` param: the window's start value.
    IncrementalStart,
}

/// A header's source.
#[derive(Debug)]
pub(crate) enum HeaderPlan {
    Template(Template),
    Secret(String),
}

/// How a child binds to its parent.
#[derive(Debug)]
pub(crate) struct ParentPlan {
    pub(crate) parent: String,
    /// Legacy resolve params bound into `{name}` of the path: name and parent field.
    pub(crate) path_resolves: Vec<(String, Selector)>,
    /// Parent fields identifying the parent, for per-parent incremental state.
    pub(crate) key_fields: Vec<Selector>,
}

pub(crate) struct ResourcePlan {
    pub(crate) name: String,
    pub(crate) method: reqwest::Method,
    pub(crate) path: Template,
    pub(crate) params: Vec<(String, ParamPlan)>,
    pub(crate) headers: Vec<(HeaderName, HeaderPlan)>,
    pub(crate) json: Option<Value>,
    pub(crate) form: Option<Vec<(String, StringOrSecret)>>,
    pub(crate) selector: Option<Selector>,
    pub(crate) paginator: Option<PaginatorSpec>,
    pub(crate) policy: RetryPolicy,
    pub(crate) actions: Vec<ResponseAction>,
    pub(crate) auth: Option<Arc<dyn Authenticator>>,
    pub(crate) incremental: Option<IncrementalPlan>,
    pub(crate) parent: Option<ParentPlan>,
    pub(crate) include_from_parent: Vec<(String, Selector)>,
}

/// What a placeholder may be bound to for one request sequence.
pub(crate) struct Bindings<'a> {
    pub(crate) parent: Option<(&'a ParentPlan, &'a Value)>,
    pub(crate) window: Option<&'a Window>,
}

impl Bindings<'_> {
    pub(crate) fn lookup(&self, name: &str) -> Option<Value> {
        if let Some(rest) = name.strip_prefix("incremental.") {
            return self.window.and_then(|w| w.get(rest)).cloned();
        }
        let (plan, record) = self.parent?;
        if let Some(rest) = name.strip_prefix("resources.") {
            let (resource, field) = rest.split_once('.')?;
            if resource != plan.parent {
                return None;
            }
            return Selector::parse(field).ok()?.first(record).cloned();
        }
        if name == "parent_id" {
            return record.get("id").cloned();
        }
        plan.path_resolves
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, field)| field.first(record).cloned())
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
        spec: &connector_spec::Spec,
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
        let endpoint = &resolved.endpoint;
        let path =
            Template::parse(resolved.path()).map_err(|e| config(format!("endpoint.path {e}")))?;

        let link = spec.parent_of(&name);
        if link.is_none() && path.holes().any(|h| h == "parent_id") {
            return Err(config(
                "`{parent_id}` needs a parent resource, and none can be inferred (it is inferred only \
                 when exactly one other resource has no parent): add `parent: <resource>`"
                    .to_owned(),
            ));
        }
        let parent = link.as_ref().map(|link| {
            let mut path_resolves = Vec::new();
            let mut key_fields = Vec::new();
            for b in &link.bindings {
                let field = Selector::parse(&b.parent_field)
                    .map_err(|e| config(format!("parent field: {e}")))?;
                if let Where::ResolveParam {
                    name,
                    in_path: true,
                } = &b.placeholder_or_param
                {
                    path_resolves.push((name.clone(), field.clone()));
                }
                if !key_fields.contains(&field) {
                    key_fields.push(field);
                }
            }
            Ok::<_, Error>(ParentPlan {
                parent: link.parent.clone(),
                path_resolves,
                key_fields,
            })
        });
        let parent = parent.transpose()?;

        let mut params = Vec::new();
        for (key, value) in &endpoint.params {
            let plan = match value {
                ParamValue::Secret(s) => ParamPlan::Secret(s.secret.clone()),
                ParamValue::Special(SpecialParam::Resolve(r)) => {
                    if parent
                        .as_ref()
                        .is_some_and(|p| p.path_resolves.iter().any(|(n, _)| n == key))
                    {
                        continue;
                    }
                    ParamPlan::Resolve(
                        Selector::parse(&r.field)
                            .map_err(|e| config(format!("params.{key}: {e}")))?,
                    )
                }
                ParamValue::Special(SpecialParam::Incremental(_)) => ParamPlan::IncrementalStart,
                ParamValue::Literal(scalar) => {
                    let text = match scalar {
                        Scalar::Bool(b) => b.to_string(),
                        Scalar::Int(i) => i.to_string(),
                        Scalar::Float(f) => f.to_string(),
                        Scalar::String(s) => s.clone(),
                    };
                    ParamPlan::Template(
                        Template::parse(&text).map_err(|e| config(format!("params.{key} {e}")))?,
                    )
                }
            };
            params.push((key.clone(), plan));
        }

        let mut headers = Vec::new();
        let mut merged = indexmap::IndexMap::new();
        for map in [&spec.client.headers, &endpoint.headers] {
            for (k, v) in map {
                merged.insert(k.clone(), v.clone());
            }
        }
        for (key, value) in merged {
            let header = HeaderName::from_bytes(key.as_bytes())
                .map_err(|_| config(format!("headers: `{key}` is not a valid header name")))?;
            let plan = match value {
                StringOrSecret::Secret(s) => HeaderPlan::Secret(s.secret),
                StringOrSecret::Literal(s) => HeaderPlan::Template(
                    Template::parse(&s).map_err(|e| config(format!("headers.{key} {e}")))?,
                ),
            };
            headers.push((header, plan));
        }

        if let Some(json) = &endpoint.json {
            let mut holes = Vec::new();
            json_holes(json, &mut holes);
            for h in holes {
                Template::parse(&format!("{{{h}}}")).map_err(|e| config(format!("json {e}")))?;
            }
        }

        let selector = endpoint
            .data_selector
            .as_deref()
            .map(Selector::parse)
            .transpose()
            .map_err(|e| config(format!("data_selector: {e}")))?;

        // Fail now on an unusable paginator rather than on the first page.
        crate::paginate::build(resolved.paginator.as_ref())
            .map_err(|e| config(format!("paginator: {e}")))?;

        let incremental = endpoint
            .incremental
            .as_ref()
            .or_else(|| {
                endpoint.params.values().find_map(|p| match p {
                    ParamValue::Special(SpecialParam::Incremental(i)) => Some(i),
                    _ => None,
                })
            })
            .map(|i| IncrementalPlan::new(i, &name))
            .transpose()?;

        let include_from_parent = resolved
            .include_from_parent
            .iter()
            .map(|field| {
                let parent_name = parent.as_ref().map(|p| p.parent.clone()).ok_or_else(|| {
                    config("include_from_parent needs a parent resource (a `{resources.<parent>.<field>}` placeholder, a resolve param, or `parent:`)".to_owned())
                })?;
                let selector = Selector::parse(field).map_err(|e| config(format!("include_from_parent: {e}")))?;
                Ok((format!("_{}_{}", parent_name, field.replace('.', "_")), selector))
            })
            .collect::<Result<Vec<_>, Error>>()?;

        // Secrets were checked by the connector; a literal with a bad header value is caught here.
        for (name_, plan) in &headers {
            if let HeaderPlan::Secret(s) = plan {
                if secrets.get(s).is_none() {
                    return Err(config(format!("header {name_}: secret `{s}` is not set")));
                }
            }
        }

        Ok(ResourcePlan {
            method: method(resolved.method()),
            path,
            params,
            headers,
            json: endpoint.json.clone(),
            form: endpoint
                .data
                .as_ref()
                .map(|d| d.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            selector,
            paginator: resolved.paginator.clone(),
            policy: RetryPolicy::new(endpoint.error_handler.as_ref(), retry_scale),
            actions: endpoint.response_actions.clone(),
            auth,
            incremental,
            parent,
            include_from_parent,
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
                    HeaderPlan::Secret(s) => (
                        secrets
                            .get(s)
                            .map(|v| v.expose().to_owned())
                            .ok_or_else(|| self.unbound(s))?,
                        true,
                    ),
                    HeaderPlan::Template(t) => (
                        t.render(&|h| bindings.lookup(h), |s| s.to_owned())
                            .map_err(|h| self.unbound(&h))?,
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
