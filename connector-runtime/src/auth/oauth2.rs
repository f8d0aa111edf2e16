//! OAuth2: the client-credentials grant, or the refresh-token grant when the spec gives a
//! refresh token.
//!
//! One token per connector, fetched on first use behind an async mutex (concurrent requests
//! wait for the one token request instead of each making their own), reused until shortly
//! before `expires_in` runs out, and dropped when the API answers 401 to it. A rotated
//! refresh token in the token response replaces the old one for the next refresh.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use connector_spec::resolved::{OAuth2Plan, TextSource};
use connector_spec::OAuth2ClientAuth;
use futures::future::BoxFuture;
use reqwest::header::AUTHORIZATION;
use reqwest::RequestBuilder;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::bearer::sensitive;
use super::{AuthEnv, Authenticator};
use crate::rate_limit::Limiter;
use crate::redact::Redactor;
use crate::urls::join_url;
use crate::{Error, SecretString};

/// Attempts at the token endpoint before giving up.
const TOKEN_ATTEMPTS: u32 = 3;

struct Token {
    value: SecretString,
    refresh_at: Instant,
    generation: u64,
}

struct State {
    token: Option<Token>,
    refresh_token: Option<SecretString>,
}

pub(crate) struct OAuth2Auth {
    http: reqwest::Client,
    token_url: Url,
    client_id: SecretString,
    client_secret: SecretString,
    scopes: Vec<String>,
    extra: Vec<(String, SecretString)>,
    default_lifetime: u64,
    client_auth: OAuth2ClientAuth,
    redactor: Redactor,
    limiter: Limiter,
    retry_scale: f64,
    /// Which secrets to check when the token endpoint refuses them.
    hint: String,
    state: Mutex<State>,
    generations: AtomicU64,
}

impl OAuth2Auth {
    pub(crate) fn new(
        config: &OAuth2Plan,
        env: &AuthEnv<'_>,
        value: &dyn Fn(&TextSource) -> Result<SecretString, String>,
        hint: String,
    ) -> Result<OAuth2Auth, String> {
        let url_text = match env.token_url_override {
            Some(u) => u.to_owned(),
            None => value(&config.token_url)?.expose().to_owned(),
        };
        let token_url = join_url(env.base_url, &url_text).map_err(|e| {
            format!(
                "auth.token_url `{}` is not a URL: {e}",
                env.redactor.text(&url_text)
            )
        })?;
        let extra = config
            .access_token_request_data
            .iter()
            .map(|(k, v)| Ok((k.clone(), value(v)?)))
            .collect::<Result<_, String>>()?;
        let refresh_token = config.refresh_token.as_ref().map(value).transpose()?;
        // A token the spec already holds is used first, as if just fetched; a 401 or its
        // lifetime ends it like any other.
        let first_token = config
            .access_token
            .as_ref()
            .map(value)
            .transpose()?
            .map(|token| Token {
                value: token,
                refresh_at: Instant::now() + Duration::from_secs(config.default_token_expiration),
                generation: 0,
            });
        let client_id = value(&config.client_id)?;
        let client_secret = value(&config.client_secret)?;
        if config.client_auth == OAuth2ClientAuth::Basic {
            env.redactor
                .add_basic_pair(client_id.expose(), client_secret.expose());
        }
        Ok(OAuth2Auth {
            http: env.http.clone(),
            token_url,
            client_id,
            client_secret,
            scopes: config.scopes.clone(),
            extra,
            default_lifetime: config.default_token_expiration,
            client_auth: config.client_auth,
            redactor: env.redactor.clone(),
            limiter: env.limiter.clone(),
            retry_scale: env.retry_scale,
            hint,
            state: Mutex::new(State {
                token: first_token,
                refresh_token,
            }),
            generations: AtomicU64::new(0),
        })
    }

    async fn fetch(&self, state: &mut State, resource: &str) -> Result<Token, Error> {
        let mut form: Vec<(String, String)> = Vec::new();
        match &state.refresh_token {
            Some(rt) => {
                form.push(("grant_type".into(), "refresh_token".into()));
                form.push(("refresh_token".into(), rt.expose().to_owned()));
            }
            None => form.push(("grant_type".into(), "client_credentials".into())),
        }
        if !self.scopes.is_empty() {
            form.push(("scope".into(), self.scopes.join(" ")));
        }
        for (k, v) in &self.extra {
            form.push((k.clone(), v.expose().to_owned()));
        }
        let mut client_auth: Option<(&str, &str)> = None;
        match self.client_auth {
            OAuth2ClientAuth::Form => {
                form.push(("client_id".into(), self.client_id.expose().to_owned()));
                form.push((
                    "client_secret".into(),
                    self.client_secret.expose().to_owned(),
                ));
            }
            OAuth2ClientAuth::Basic => {
                client_auth = Some((self.client_id.expose(), self.client_secret.expose()));
            }
        }
        let url = self.redactor.url(&self.token_url);
        let fail = |status: Option<u16>, message: String, body: &[u8]| Error::Auth {
            resource: resource.to_owned(),
            url: url.clone(),
            status,
            message,
            body: self.redactor.excerpt(body, 300),
        };
        // A token endpoint that is briefly down (connection error, 429, 5xx) is tried again;
        // a refusal (4xx) is final.
        let mut attempt = 0u32;
        let (status, body) = loop {
            attempt += 1;
            let mut request = self.http.post(self.token_url.clone()).form(&form);
            if let Some((id, secret)) = client_auth {
                request = request.basic_auth(id, Some(secret));
            }
            self.limiter.acquire().await;
            let started = Instant::now();
            let result = async {
                let response = request.send().await?;
                let status = response.status().as_u16();
                Ok::<_, reqwest::Error>((status, response.bytes().await?))
            }
            .await;
            tracing::debug!(url = %url, attempt, elapsed_ms = started.elapsed().as_millis() as u64, "oauth2 token request");
            let transient = match &result {
                Ok((status, _)) => *status == 429 || *status >= 500,
                Err(_) => true,
            };
            if !transient || attempt >= TOKEN_ATTEMPTS {
                match result {
                    Ok(done) => break done,
                    Err(e) => {
                        return Err(fail(
                            None,
                            format!(
                                "token request failed after {attempt} attempts: {}{}",
                                crate::error::describe_transport(&e),
                                if e.is_connect() {
                                    "; is the token endpoint running there? Check `auth.token_url` in the spec, or `--token-url`"
                                } else {
                                    ""
                                }
                            ),
                            b"",
                        ))
                    }
                }
            }
            let wait = 0.5 * 2f64.powi(attempt as i32 - 1) * self.retry_scale;
            let why = match &result {
                Ok((status, _)) => format!("status {status}"),
                Err(e) => crate::error::describe_transport(e),
            };
            tracing::warn!(
                "resource `{resource}`: oauth2 token request to {url}: {why}; retrying ({attempt} of {}) in {wait:.1} s",
                TOKEN_ATTEMPTS - 1
            );
            tokio::time::sleep(Duration::from_secs_f64(wait.max(0.0))).await;
        };
        if !(200..300).contains(&status) {
            let message = if status == 429 || status >= 500 {
                format!("the token endpoint kept failing after {attempt} attempts")
            } else if matches!(status, 404 | 405 | 410) {
                // Not a refusal of the credentials: nothing answers token requests there.
                "the token URL was not found: check `auth.token_url` in the spec, or `--token-url`"
                    .to_owned()
            } else if self.hint.is_empty() {
                "the token endpoint refused the client credentials".to_owned()
            } else {
                format!(
                    "the token endpoint refused the client credentials; {}",
                    self.hint
                )
            };
            return Err(fail(Some(status), message, &body));
        }
        let json: Value = serde_json::from_slice(&body).map_err(|_| {
            fail(
                Some(status),
                "the token response is not JSON".to_owned(),
                b"",
            )
        })?;
        let access = json
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                fail(
                    Some(status),
                    "the token response has no `access_token`".to_owned(),
                    b"",
                )
            })?;
        self.redactor.add_value(access);
        if let Some(rotated) = json.get("refresh_token").and_then(Value::as_str) {
            self.redactor.add_value(rotated);
            if state.refresh_token.is_some() {
                state.refresh_token = Some(SecretString::new(rotated));
            }
        }
        let lifetime = json
            .get("expires_in")
            .and_then(|v| {
                v.as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(self.default_lifetime as f64);
        tracing::info!(url = %url, expires_in_s = lifetime, "fetched an OAuth2 access token");
        // Refresh a little early: 10 % of the lifetime, at most a minute.
        let margin = (lifetime * 0.1).min(60.0);
        Ok(Token {
            value: SecretString::new(access),
            refresh_at: Instant::now() + Duration::from_secs_f64((lifetime - margin).max(0.0)),
            generation: self.generations.fetch_add(1, Ordering::Relaxed) + 1,
        })
    }
}

impl Authenticator for OAuth2Auth {
    fn apply<'a>(
        &'a self,
        request: RequestBuilder,
        resource: &'a str,
    ) -> BoxFuture<'a, Result<(RequestBuilder, u64), Error>> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            let fresh = matches!(&state.token, Some(t) if Instant::now() < t.refresh_at);
            if !fresh {
                let token = self.fetch(&mut state, resource).await?;
                state.token = Some(token);
            }
            let Some(token) = state.token.as_ref() else {
                return Err(Error::Config {
                    resource: resource.to_owned(),
                    message: "no OAuth2 token".to_owned(),
                });
            };
            let header = sensitive(&format!("Bearer {}", token.value.expose()));
            Ok((request.header(AUTHORIZATION, header), token.generation))
        })
    }

    fn invalidate(&self, generation: u64) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            if matches!(&state.token, Some(t) if t.generation == generation) {
                state.token = None;
            }
            true
        })
    }
}
