//! Filling the spec's templates into a request: percent-encoding of path segments. The
//! template grammar lives in `connector_spec::template`; templates arrive parsed.

pub(crate) use connector_spec::template::value_text;

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
    fn encodes_path_segments() {
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_segment("ok-1.2_~"), "ok-1.2_~");
        assert_eq!(encode_segment("é"), "%C3%A9");
    }
}
