//! URL helpers: joining an endpoint path to base_url, and percent-encoding path segments.

use url::Url;

/// Joins an endpoint path to base_url: one slash between them whatever either side has; an
/// absolute `http(s)://` path ignores base_url.
pub(crate) fn join_url(base: &Url, path: &str) -> Result<Url, url::ParseError> {
    let path = path.trim();
    let lower = path.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Url::parse(path);
    }
    if path.is_empty() {
        return Ok(base.clone());
    }
    let mut base = base.clone();
    base.set_query(None);
    base.set_fragment(None);
    let joined = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    Url::parse(&joined)
}

/// Percent-encodes one path segment.
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_paths() {
        let base = Url::parse("https://h.test/api/").unwrap();
        for (path, want) in [
            ("/v1/x", "https://h.test/api/v1/x"),
            ("v1/x", "https://h.test/api/v1/x"),
            ("", "https://h.test/api/"),
            ("https://other.test/y", "https://other.test/y"),
        ] {
            assert_eq!(join_url(&base, path).unwrap().as_str(), want, "{path}");
        }
        let bare = Url::parse("https://h.test").unwrap();
        assert_eq!(
            join_url(&bare, "/v1").unwrap().as_str(),
            "https://h.test/v1"
        );
    }

    #[test]
    fn encodes_path_segments() {
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_segment("ok-1.2_~"), "ok-1.2_~");
        assert_eq!(encode_segment("é"), "%C3%A9");
    }
}
