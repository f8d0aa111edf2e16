//! Authentication, resolved: one form per scheme, defaults filled.

use serde::{Deserialize, Serialize};

use crate::vocabulary::{ApiKeyLocation, OAuth2ClientAuth};

/// A value written in the spec or named as a secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// Written in the spec.
    Literal(String),
    /// The value of this secret.
    Secret(String),
}

/// An authentication scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthPlan {
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: TextSource,
    },
    /// An API key.
    ApiKey {
        /// Header, query parameter or cookie name (default `Authorization`).
        name: String,
        /// The key.
        api_key: TextSource,
        /// Where it goes (default `header`).
        location: ApiKeyLocation,
    },
    /// HTTP basic authentication.
    HttpBasic {
        /// User name.
        username: TextSource,
        /// Password.
        password: TextSource,
    },
    /// OAuth2 client credentials, or the refresh-token grant when a refresh token is given.
    OAuth2(OAuth2Plan),
}

impl AuthPlan {
    /// The spec's name of the scheme.
    pub fn type_name(&self) -> &'static str {
        match self {
            AuthPlan::Bearer { .. } => "bearer",
            AuthPlan::ApiKey { .. } => "api_key",
            AuthPlan::HttpBasic { .. } => "http_basic",
            AuthPlan::OAuth2(o) if o.refresh_token.is_some() => "oauth2_refresh_token",
            AuthPlan::OAuth2(_) => "oauth2_client_credentials",
        }
    }
}

/// OAuth2 token endpoint settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2Plan {
    /// Token endpoint; relative URLs are joined to base_url.
    pub token_url: TextSource,
    /// Client id.
    pub client_id: TextSource,
    /// Client secret.
    pub client_secret: TextSource,
    /// Refresh token: when set, the refresh-token grant is used.
    pub refresh_token: Option<TextSource>,
    /// A token already obtained, sent until a 401 or `default_token_expiration`.
    pub access_token: Option<TextSource>,
    /// Scopes, joined by spaces in the request.
    pub scopes: Vec<String>,
    /// Extra form fields of the token request.
    pub access_token_request_data: Vec<(String, TextSource)>,
    /// Token lifetime when the response has no `expires_in` (default 3600 s).
    pub default_token_expiration: u64,
    /// How the client credentials are sent (default `form`).
    pub client_auth: OAuth2ClientAuth,
}
