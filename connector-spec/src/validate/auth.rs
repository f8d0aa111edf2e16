//! Auth settings, and credentials written as literals (in auth or in headers).

use crate::model::*;
use crate::relations::auth_fields;
use crate::vocabulary::*;

use super::Problems;

/// A literal that looks like a credential rather than a placeholder or a made-up example (or
/// another tool's secret reference, an error of its own).
fn looks_secret(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty() && !v.contains('{') && !v.contains(' ') && !super::foreign_refs::is_reference(v)
}

pub(super) fn auth_rules(auth: &Auth, base: &str, p: &mut Problems) {
    for (key, value) in auth_fields(auth) {
        let credential = matches!(
            key,
            "token" | "api_key" | "password" | "client_secret" | "refresh_token" | "access_token"
        );
        if let StringOrSecret::Literal(text) = value {
            if credential && looks_secret(text) {
                p.warning(
                    format!("{base}.{key}"),
                    format!("`{key}` is written in the spec as a literal; credentials belong in the secrets store"),
                )
                .help(format!("write `{key}: {{ secret: {key} }}` and provide the value via the environment or secrets.toml"));
            }
        }
    }
    match auth {
        Auth::Oauth2RefreshToken(o) if o.refresh_token.is_none() => {
            p.error(
                format!("{base}.type"),
                "auth type `oauth2_refresh_token` needs `refresh_token`",
            )
            .help("add `refresh_token: { secret: refresh_token }`");
        }
        Auth::Oauth2ClientCredentials(o) | Auth::Oauth2RefreshToken(o) => {
            if let StringOrSecret::Literal(url) = &o.access_token_url {
                if url.starts_with("http://") {
                    p.warning(
                        format!("{base}.access_token_url"),
                        "the token URL is plain http://: client credentials would travel unencrypted",
                    )
                    .help("use https://");
                }
            }
        }
        Auth::ApiKey {
            name: None,
            location: Some(ApiKeyLocation::Query | ApiKeyLocation::Cookie),
            ..
        } => {
            p.warning(
                format!("{base}.location"),
                "an api_key in the query string or a cookie without `name` is sent as `Authorization`",
            )
            .help("add `name:` with the parameter or cookie name the API expects");
        }
        _ => {}
    }
}

pub(super) fn literal_secret_headers(
    headers: &indexmap::IndexMap<String, StringOrSecret>,
    base: &str,
    p: &mut Problems,
) {
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let sensitive = lower == "authorization"
            || lower.contains("api-key")
            || lower.contains("apikey")
            || lower.contains("token")
            || lower.contains("secret");
        if let StringOrSecret::Literal(text) = value {
            if sensitive && looks_secret(text) {
                p.warning(
                    format!("{base}.{name}"),
                    format!("header `{name}` holds a literal credential"),
                )
                .help(format!("write `{name}: {{ secret: ... }}`"));
            }
        }
    }
}
