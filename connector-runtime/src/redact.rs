//! Keeps secrets out of errors, reports and logs: known secret values (from the secrets store,
//! and tokens fetched at run time) and the values of credential-like query parameters become
//! `***`.
//!
//! A secret rarely appears as written: an API echoes the request URL (percent-encoded), a
//! JSON body escapes quotes and may escape non-ASCII, an `Authorization: Basic` header is
//! base64. Each known value is therefore matched in every form it can take:
//! - raw, and percent-encoded in any mix: each byte as itself or `%XX` (either case of hex),
//!   a space also as `+` (query and form encoders differ in what they escape);
//! - JSON-escaped: `\"`, `\\`, `\/`, `\n`..., or `\uXXXX` for any character (serde_json
//!   writes non-ASCII raw, Python's `json.dumps` escapes it);
//! - base64, standard and URL-safe, with or without padding, alone or inside a longer
//!   base64 text (`user:password` of HTTP Basic, whose pair is also registered whole).

use std::sync::{Arc, RwLock};

use url::Url;

mod forms;

use forms::Known;

/// Query parameter names whose values are always hidden, whatever they hold.
const SENSITIVE_PARAMS: &[&str] = &[
    "api_key",
    "apikey",
    "key",
    "token",
    "access_token",
    "refresh_token",
    "client_secret",
    "password",
    "secret",
    "signature",
    "sig",
    "auth",
];

/// Shared by everything of one connector; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    values: Arc<RwLock<Vec<Known>>>,
    params: Arc<RwLock<Vec<String>>>,
}

impl Redactor {
    /// Hides `value`, in every form it can take, wherever it appears from now on. Very short
    /// values are ignored: hiding every `1` in a message would make it unreadable and protect
    /// nothing.
    pub(crate) fn add_value(&self, value: &str) {
        if value.len() < 3 {
            return;
        }
        if let Ok(mut values) = self.values.write() {
            if !values.iter().any(|v| v.raw() == value) {
                values.push(Known::new(value));
                // Longest first, so a secret containing another is hidden whole.
                values.sort_by_key(|v| std::cmp::Reverse(v.raw().len()));
            }
        }
    }

    /// Hides the HTTP Basic pair `user:password` whole (its base64 is what a server echoes);
    /// each part is hidden on its own only if it is a secret (registered with
    /// [`Redactor::add_value`]), as a literal user name is not.
    pub(crate) fn add_basic_pair(&self, user: &str, password: &str) {
        self.add_value(&format!("{user}:{password}"));
    }

    /// Hides the value of query parameter `name` (e.g. the api_key's parameter).
    pub(crate) fn add_param(&self, name: &str) {
        if let Ok(mut params) = self.params.write() {
            params.push(name.to_ascii_lowercase());
        }
    }

    /// Text with every known secret value, in any of its forms, replaced by `***`.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        if let Ok(values) = self.values.read() {
            for value in values.iter() {
                out = value.hide(&out);
            }
        }
        out
    }

    /// The URL with credential-like query values and known secrets replaced by `***`.
    pub(crate) fn url(&self, url: &Url) -> String {
        let mut url = url.clone();
        if url.password().is_some() {
            let _ = url.set_password(Some("***"));
        }
        if url.query().is_some() {
            let extra = self.params.read().map(|p| p.clone()).unwrap_or_default();
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let lower = k.to_ascii_lowercase();
                    let hide = SENSITIVE_PARAMS.contains(&lower.as_str()) || extra.contains(&lower);
                    (
                        k.into_owned(),
                        if hide {
                            "***".to_owned()
                        } else {
                            v.into_owned()
                        },
                    )
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        // `***` is percent-encoded by the serializer; show it plainly.
        let shown = url.to_string().replace("%2A%2A%2A", "***");
        self.text(&shown)
    }

    /// A redacted body excerpt: the first `max` characters, lossily decoded.
    pub(crate) fn excerpt(&self, body: &[u8], max: usize) -> String {
        // Redact before cutting, so a cut cannot leave part of a secret visible.
        let text = self.text(String::from_utf8_lossy(body).trim());
        let mut cut: String = text.chars().take(max).collect();
        if text.chars().nth(max).is_some() {
            cut.push('…');
        }
        cut
    }
}

#[cfg(test)]
mod tests;
