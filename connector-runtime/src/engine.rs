//! The shared engine of one connector: the resolved spec, the HTTP client, the secrets and
//! one plan per resource, built once and shared (behind an `Arc`) by every stream.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use connector_spec::resolved::{AuthPlan, ResolvedSpec};

use crate::auth::{self, AuthEnv, Authenticator};
use crate::client::Http;
use crate::plan::{Custom, ResourcePlan};
use crate::rate_limit::Limiter;
use crate::redact::Redactor;
use crate::{Error, Options, Secrets};

/// Shared state of one connector.
pub(crate) struct Engine {
    pub(crate) spec: ResolvedSpec,
    pub(crate) http: Http,
    pub(crate) secrets: Secrets,
    pub(crate) plans: BTreeMap<String, Arc<ResourcePlan>>,
    pub(crate) concurrency: usize,
    /// The caller's page cap, over each resource's `max_pages`.
    pub(crate) max_pages: Option<u64>,
    pub(crate) follow_cross_origin: bool,
    /// Warnings about stops that look wrong are errors.
    pub(crate) strict: bool,
}

fn client_error(message: String) -> Error {
    Error::Config {
        resource: "client".to_owned(),
        message,
    }
}

impl Engine {
    /// Builds the engine; see [`crate::Connector::new`] for what can fail.
    pub(crate) fn new(
        spec: ResolvedSpec,
        secrets: Secrets,
        options: Options,
    ) -> Result<Engine, Error> {
        let name_refs: Vec<&str> = spec.secrets.iter().map(String::as_str).collect();
        secrets.require(&spec.name, &name_refs, None)?;

        let redactor = Redactor::default();
        for value in secrets.values() {
            redactor.add_value(value.expose());
        }
        let base_text = options
            .base_url
            .clone()
            .unwrap_or_else(|| spec.client.base_url.clone());
        let base_url = url::Url::parse(base_text.trim()).map_err(|e| {
            client_error(format!(
                "base_url `{}` is not a URL: {e}",
                redactor.text(&base_text)
            ))
        })?;

        let timeout = options
            .timeout
            .unwrap_or_else(|| Duration::from_secs_f64(spec.client.timeout_seconds));
        let user_agent = options
            .user_agent
            .clone()
            .unwrap_or_else(|| format!("connector/{}", env!("CARGO_PKG_VERSION")));
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .gzip(true)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(30)))
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                // Same-origin redirects only: a redirect elsewhere would carry credentials
                // (an API key header) to a host they were not meant for.
                let same = attempt
                    .previous()
                    .first()
                    .is_some_and(|first| first.origin() == attempt.url().origin());
                if attempt.previous().len() > 10 {
                    attempt.error("too many redirects")
                } else if same {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
            .map_err(|e| client_error(format!("cannot build the HTTP client: {e}")))?;

        let limiter = Limiter::new(spec.client.rate_limit.as_ref()).map_err(client_error)?;
        let env = AuthEnv {
            connector_name: &spec.name,
            secrets: &secrets,
            http: &client,
            base_url: &base_url,
            token_url_override: options.token_url.as_deref(),
            redactor: &redactor,
            limiter: &limiter,
            retry_scale: options.retry_delay_scale.unwrap_or(1.0),
        };
        let client_auth: Option<Arc<dyn Authenticator>> = spec
            .client
            .auth
            .as_ref()
            .map(|a| auth::build(a, &env))
            .transpose()
            .map_err(|m| client_error(format!("auth: {m}")))?;

        // A paginator or authenticator of the caller's own must name a resource of the spec.
        for name in options
            .paginators
            .keys()
            .chain(options.authenticators.keys())
        {
            if spec.resource(name).is_none() {
                return Err(Error::UnknownResource {
                    resource: name.clone(),
                    known: spec.resources.iter().map(|r| r.name.clone()).collect(),
                });
            }
        }

        let scale = options.retry_delay_scale.unwrap_or(1.0);
        let mut plans = BTreeMap::new();
        // Endpoint-level auth blocks that are equal share one authenticator (and its token).
        let mut endpoint_auths: Vec<(AuthPlan, Arc<dyn Authenticator>)> = Vec::new();
        for resolved in &spec.resources {
            let auth = match (options.authenticators.get(&resolved.name), &resolved.auth) {
                (Some(custom), _) => Some(custom.clone()),
                (None, None) => None,
                (None, Some(a)) if Some(a) == spec.client.auth.as_ref() => client_auth.clone(),
                (None, Some(a)) => match endpoint_auths.iter().find(|(k, _)| k == a) {
                    Some((_, existing)) => Some(existing.clone()),
                    None => {
                        let built = auth::build(a, &env).map_err(|m| Error::Config {
                            resource: resolved.name.clone(),
                            message: format!("auth: {m}"),
                        })?;
                        endpoint_auths.push((a.clone(), built.clone()));
                        Some(built)
                    }
                },
            };
            let paginator = options.paginators.get(&resolved.name).cloned();
            let custom = Custom {
                connector_name: &spec.name,
                paginator,
                authenticator: options.authenticators.contains_key(&resolved.name),
            };
            let plan = ResourcePlan::new(resolved, auth, custom, &secrets, scale)?;
            plans.insert(resolved.name.clone(), Arc::new(plan));
        }

        check_parents(&plans)?;

        let concurrency = options
            .concurrency
            .unwrap_or(spec.client.concurrency)
            .max(1);
        let max_body_bytes = options.max_body_bytes.unwrap_or(spec.client.max_body_bytes);
        Ok(Engine {
            follow_cross_origin: spec.client.follow_cross_origin_links,
            strict: options.strict || spec.strict,
            spec,
            http: Http {
                client,
                base_url,
                limiter,
                redactor,
                max_body_bytes,
            },
            secrets,
            plans,
            concurrency,
            max_pages: options.max_pages,
        })
    }
}

/// Every parent exists and no resource is its own ancestor (a cycle would recurse forever).
fn check_parents(plans: &BTreeMap<String, Arc<ResourcePlan>>) -> Result<(), Error> {
    for (name, plan) in plans {
        let mut chain = vec![name.as_str()];
        let mut current = plan;
        while let Some(link) = &current.parent {
            let Some(parent) = plans.get(&link.resource) else {
                return Err(Error::Config {
                    resource: current.name.clone(),
                    message: format!("parent resource `{}` is not in the spec", link.resource),
                });
            };
            if chain.contains(&link.resource.as_str()) {
                chain.push(&link.resource);
                return Err(Error::Config {
                    resource: name.clone(),
                    message: format!("parent cycle: {}", chain.join(" -> ")),
                });
            }
            chain.push(&link.resource);
            current = parent;
        }
    }
    Ok(())
}
