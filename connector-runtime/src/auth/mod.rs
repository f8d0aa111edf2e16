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

/// Adds credentials to an API request: the spec's auth schemes implement it, and so can yours
/// (dlt's `register_auth`), attached to a resource with [`crate::Options::with_authenticator`].
///
/// The runtime calls [`Authenticator::apply`] only for requests to base_url's origin, never
/// for a next link to another host. When the API answers 401 it calls
/// [`Authenticator::invalidate`] with the generation `apply` returned, and replays the request
/// once if that returns true. Values you add should also be registered as secrets (see
/// [`crate::Secrets`]) when they may appear in URLs or errors, so they are redacted.
///
/// ```
/// use connector_runtime::futures::{future::BoxFuture, TryStreamExt};
/// use connector_runtime::reqwest::RequestBuilder;
/// use connector_runtime::{Authenticator, Connector, Error, Options, RunOptions, Secrets};
/// # use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// /// A signature header computed per request (a stand-in for an HMAC scheme).
/// struct Signed {
///     key_id: String,
/// }
///
/// impl Authenticator for Signed {
///     fn apply<'a>(
///         &'a self,
///         request: RequestBuilder,
///         _resource: &'a str,
///     ) -> BoxFuture<'a, Result<(RequestBuilder, u64), Error>> {
///         let signature = format!("keyId={},sig=demo", self.key_id);
///         Box::pin(async move { Ok((request.header("Signature", signature), 0)) })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // An API on 127.0.0.1 that wants the header.
/// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// # let base_url = format!("http://{}", listener.local_addr()?);
/// # tokio::spawn(async move {
/// #     let (mut socket, _) = listener.accept().await.unwrap();
/// #     let mut buf = [0u8; 4096];
/// #     let n = socket.read(&mut buf).await.unwrap();
/// #     let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
/// #     let (status, body) = if head.contains("signature: keyid=k1,sig=demo") { ("200 OK", r#"[{"id": 1}]"#) } else { ("401 Unauthorized", "{}") };
/// #     let reply = format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
/// #     socket.write_all(reply.as_bytes()).await.unwrap();
/// # });
/// let spec = connector_runtime::connector_spec::parse_str(
///     "name: demo\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: items\n    endpoint: { path: /items, paginator: single_page }\n",
///     "demo.yaml",
/// )
/// .map_err(|d| format!("{d:?}"))?
/// .resolved;
/// let options = Options::new()
///     .with_base_url(base_url)
///     .with_authenticator("items", Signed { key_id: "k1".into() });
/// let connector = Connector::new(spec, Secrets::new(), options)?;
/// let items: Vec<serde_json::Value> = connector
///     .stream("items", RunOptions::default())
///     .try_collect()
///     .await?;
/// assert_eq!(items.len(), 1);
/// # Ok(())
/// # }
/// ```
pub trait Authenticator: Send + Sync {
    /// Adds credentials; returns the builder and the credential generation used (for
    /// [`Authenticator::invalidate`]; return 0 when credentials never change).
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
    /// For hints naming where secrets are read from.
    pub(crate) connector_name: &'a str,
    pub(crate) secrets: &'a Secrets,
    pub(crate) http: &'a reqwest::Client,
    pub(crate) base_url: &'a Url,
    pub(crate) token_url_override: Option<&'a str>,
    pub(crate) redactor: &'a Redactor,
    pub(crate) limiter: &'a Limiter,
    /// `Options::retry_delay_scale`, for token request retries.
    pub(crate) retry_scale: f64,
}

/// The secret names behind an `auth`'s credentials, in spec order.
pub(crate) fn secret_names(auth: &AuthPlan) -> Vec<&str> {
    let sources: Vec<&TextSource> = match auth {
        AuthPlan::Bearer { token } => vec![token],
        AuthPlan::ApiKey { api_key, .. } => vec![api_key],
        AuthPlan::HttpBasic { username, password } => vec![username, password],
        AuthPlan::OAuth2(o) => [&o.client_id, &o.client_secret]
            .into_iter()
            .chain(o.refresh_token.as_ref())
            .chain(o.access_token.as_ref())
            .chain(o.access_token_request_data.iter().map(|(_, v)| v))
            .collect(),
    };
    let mut names = Vec::new();
    for source in sources {
        if let TextSource::Secret(name) = source {
            if !names.contains(&name.as_str()) {
                names.push(name.as_str());
            }
        }
    }
    names
}

/// What to check when the API answers 401 or 403: the secrets behind the resource's `auth`
/// and secret headers, else what sends the credentials.
pub(crate) fn credential_hint(
    connector_name: &str,
    auth: Option<&AuthPlan>,
    custom: bool,
    secret_headers: &[&str],
) -> String {
    if custom {
        return "check the credentials of the resource's own authenticator (Options::with_authenticator)".to_owned();
    }
    let mut names = auth.map(secret_names).unwrap_or_default();
    for h in secret_headers {
        if !names.contains(h) {
            names.push(h);
        }
    }
    if !names.is_empty() {
        return crate::secrets::check_hint(connector_name, &names);
    }
    match auth {
        Some(a) => format!("check the credentials of the `{}` auth in the spec", a.type_name()),
        None => "the request carries no credentials: does the API need an `auth` in the spec's client or endpoint?".to_owned(),
    }
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
            let (username, password) = (value(username)?, value(password)?);
            env.redactor
                .add_basic_pair(username.expose(), password.expose());
            Arc::new(basic::BasicAuth::new(username, password))
        }
        AuthPlan::OAuth2(o) => {
            let hint = crate::secrets::check_hint(env.connector_name, &secret_names(auth));
            Arc::new(OAuth2Auth::new(o, env, &value, hint)?)
        }
    })
}
