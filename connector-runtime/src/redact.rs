//! Keeps secrets out of errors and logs: known secret values (from the secrets store, and
//! tokens fetched at run time) and the values of credential-like query parameters become `***`.

use std::sync::{Arc, RwLock};

use url::Url;

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
    values: Arc<RwLock<Vec<String>>>,
    params: Arc<RwLock<Vec<String>>>,
}

impl Redactor {
    /// Hides `value` wherever it appears from now on. Very short values are ignored: hiding
    /// every `1` in a message would make it unreadable and protect nothing.
    pub(crate) fn add_value(&self, value: &str) {
        if value.len() < 3 {
            return;
        }
        if let Ok(mut values) = self.values.write() {
            if !values.iter().any(|v| v == value) {
                values.push(value.to_owned());
                // Longest first, so a secret containing another is hidden whole.
                values.sort_by_key(|v| std::cmp::Reverse(v.len()));
            }
        }
    }

    /// Hides the value of query parameter `name` (e.g. the api_key's parameter).
    pub(crate) fn add_param(&self, name: &str) {
        if let Ok(mut params) = self.params.write() {
            params.push(name.to_ascii_lowercase());
        }
    }

    /// Text with every known secret value replaced by `***`.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        if let Ok(values) = self.values.read() {
            for value in values.iter() {
                if out.contains(value.as_str()) {
                    out = out.replace(value.as_str(), "***");
                }
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
mod tests {
    use super::*;

    #[test]
    fn hides_credential_params_and_known_values() {
        let r = Redactor::default();
        r.add_value("topsecretvalue");
        r.add_param("x-key");
        let url = Url::parse("https://h/p?api_key=abc&page=2&x-key=zzz&q=topsecretvalue").unwrap();
        let shown = r.url(&url);
        assert_eq!(shown, "https://h/p?api_key=***&page=2&x-key=***&q=***");
        assert_eq!(r.text("Bearer topsecretvalue!"), "Bearer ***!");
    }

    #[test]
    fn excerpt_is_cut_and_redacted() {
        let r = Redactor::default();
        r.add_value("hunter2");
        assert_eq!(r.excerpt(b"  error hunter2 and more  ", 11), "error *** a…");
        assert_eq!(r.excerpt(b"error hunte", 100), "error hunte");
        assert_eq!(r.excerpt(b"xx hunter2", 5), "xx **…");
    }
}
