//! Authentication, one type per scheme behind [`Authenticator`].
//!
//! Credentials are attached only to requests whose origin is base_url's (the client decides);
//! token requests go to the token URL. Token-based schemes cache their token for the whole
//! connector and refresh it once when the API answers 401.

mod api_key;
mod basic;
mod bearer;
mod oauth2;

use std::sync::Arc;

use connector_spec::resolved::{AuthPlan, TextSource};
use futures::future::BoxFuture;
use reqwest::RequestBuilder;
use url::Url;

use crate::rate_limit::Limiter;
use crate::redact::Redactor;
use crate::secrets::{value_of, Secrets};
use crate::Error;

pub(crate) use oauth2::OAuth2Auth;

/// Adds credentials to an API request.
pub(crate) trait Authenticator: Send + Sync {
    /// Adds credentials; returns the builder and the credential generation used (for
    /// [`Authenticator::invalidate`]).
    fn apply<'a>(
        &'a self,
        request: RequestBuilder,
        resource: &'a str,
    ) -> BoxFuture<'a, Result<(RequestBuilder, u64), Error>>;

    /// The API answered 401 to credentials of `generation`: drop them if they are still the
    /// cached ones. Returns true when a retry with fresh credentials can help.
    fn invalidate(&self, _generation: u64) -> BoxFuture<'_, bool> {
        Box::pin(async { false })
    }
}

/// What an authenticator needs from the connector.
pub(crate) struct AuthEnv<'a> {
    pub(crate) secrets: &'a Secrets,
    pub(crate) http: &'a reqwest::Client,
    pub(crate) base_url: &'a Url,
    pub(crate) token_url_override: Option<&'a str>,
    pub(crate) redactor: &'a Redactor,
    pub(crate) limiter: &'a Limiter,
    /// `Options::retry_delay_scale`, for token request retries.
    pub(crate) retry_scale: f64,
}

/// Builds the authenticator of a resolved `auth`.
pub(crate) fn build(auth: &AuthPlan, env: &AuthEnv<'_>) -> Result<Arc<dyn Authenticator>, String> {
    // Secret values are already known to the redactor; literals (a token URL) are not secret.
    let value = |v: &TextSource| value_of(v, env.secrets);
    Ok(match auth {
        AuthPlan::Bearer { token } => Arc::new(bearer::BearerAuth::new(value(token)?)),
        AuthPlan::ApiKey {
            name,
            api_key,
            location,
        } => {
            let auth = api_key::ApiKeyAuth::new(name.clone(), value(api_key)?, *location)?;
            if auth.in_query() {
                env.redactor.add_param(auth.name());
            }
            Arc::new(auth)
        }
        AuthPlan::HttpBasic { username, password } => {
            Arc::new(basic::BasicAuth::new(value(username)?, value(password)?))
        }
        AuthPlan::OAuth2(o) => Arc::new(OAuth2Auth::new(o, env, &value)?),
    })
}
