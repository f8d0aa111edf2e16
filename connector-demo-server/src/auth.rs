//! Authentication as the seed APIs do it: OAuth2 token endpoints, bearer tokens, API keys.

use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::Shared;

/// Which OAuth2 grant a token endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    ClientCredentials,
    RefreshToken,
}

impl Grant {
    fn name(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::RefreshToken => "refresh_token",
        }
    }
}

fn oauth_error(status: StatusCode, code: &'static str, message: &str) -> ApiError {
    ApiError::new(status, code, message)
}

/// Serves a token request (RFC 6749 section 4.4 / 6): the client authenticates with
/// `client_id` and `client_secret` in the form body or with HTTP basic auth.
pub(crate) fn token_endpoint(
    shared: &Shared,
    api: &'static str,
    grant: Grant,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Json<Value>, ApiError> {
    shared.count_token_request();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let credentials = shared.config().credentials.clone();

    match field("grant_type") {
        Some(grant_type) if grant_type == grant.name() => {}
        Some(other) => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!(
                    "grant_type `{other}` is not supported here; use `{}`",
                    grant.name()
                ),
            ))
        }
        None => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the form body has no grant_type",
            ))
        }
    }

    let (client_id, client_secret) = match basic_credentials(headers) {
        Some(pair) => pair,
        None => (
            field("client_id").unwrap_or_default().to_owned(),
            field("client_secret").unwrap_or_default().to_owned(),
        ),
    };
    if client_id != credentials.client_id || client_secret != credentials.client_secret {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id or wrong client_secret",
        ));
    }
    if grant == Grant::RefreshToken && field("refresh_token") != Some(&credentials.refresh_token) {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the refresh_token is missing, unknown or revoked",
        ));
    }

    let (access_token, expires_in) = shared.issue_token(api);
    Ok(Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
    })))
}

/// `client_id:client_secret` from an `Authorization: Basic ...` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Requires `Authorization: Bearer <token>` with a live token issued for `api`.
pub(crate) fn require_bearer(
    shared: &Shared,
    api: &'static str,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::invalid_token("missing Authorization: Bearer header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .ok_or_else(|| ApiError::invalid_token("the Authorization header is not a Bearer token"))?;
    if shared.token_valid(token.trim(), api) {
        Ok(())
    } else {
        Err(ApiError::invalid_token(
            "the access token is unknown or expired",
        ))
    }
}

/// Requires the configured API key; `found` is where the request carried it, if anywhere.
pub(crate) fn require_api_key(
    shared: &Shared,
    found: Option<&str>,
    location: &str,
) -> Result<(), ApiError> {
    match found {
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_api_key",
            format!("no api_key {location}"),
        )),
        Some(key) if key == shared.config().credentials.api_key => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            format!("the api_key {location} is not valid"),
        )),
    }
}
