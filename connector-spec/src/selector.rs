//! `data_selector`: the JSONPath subset dlt's specs use to say where records are.
//!
//! Grammar: an optional `$`, then segments: `name` / `.name`, `[*]` (every element), `[N]` (one
//! element) and `['key']` / `["key"]` (a key with dots or brackets in it). `$` alone selects the
//! whole response.

use std::fmt;

/// One step of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object key.
    Key(String),
    /// Every element of a list (`[*]`).
    Every,
    /// One element of a list (`[N]`).
    Index(usize),
}

/// Why a selector does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    /// Byte offset of the problem in the selector.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

impl std::error::Error for SelectorError {}

/// Parses a data selector.
///
/// ```
/// use connector_spec::selector::{parse, Segment};
/// assert_eq!(
///     parse("$.data[*].items").unwrap(),
///     vec![Segment::Key("data".into()), Segment::Every, Segment::Key("items".into())]
/// );
/// assert!(parse("data..items").is_err());
/// ```
pub fn parse(selector: &str) -> Result<Vec<Segment>, SelectorError> {
    let err = |offset: usize, message: &str| SelectorError {
        offset,
        message: message.to_owned(),
    };
    if selector.trim().is_empty() {
        return Err(err(
            0,
            "the selector is empty; use `$` for the whole response",
        ));
    }
    let bytes = selector.as_bytes();
    let mut i = 0;
    if bytes[0] == b'$' {
        i = 1;
    }
    let mut segments = Vec::new();
    let mut expect_name = i == 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' if !expect_name => {
                i += 1;
                expect_name = true;
                if i >= bytes.len() {
                    return Err(err(i - 1, "a selector cannot end with `.`"));
                }
                if bytes[i] == b'.' {
                    return Err(err(i, "recursive descent (`..`) is not supported"));
                }
            }
            b'[' => {
                let Some(len) = selector[i..].find(']') else {
                    return Err(err(i, "unclosed `[`"));
                };
                let inner = selector[i + 1..i + len].trim();
                let segment = if inner == "*" {
                    Segment::Every
                } else if let Ok(n) = inner.parse::<usize>() {
                    Segment::Index(n)
                } else if inner.len() >= 2
                    && ((inner.starts_with('\'') && inner.ends_with('\''))
                        || (inner.starts_with('"') && inner.ends_with('"')))
                {
                    Segment::Key(inner[1..inner.len() - 1].to_owned())
                } else {
                    return Err(err(
                        i,
                        "inside `[]` use `*`, an index like `0`, or a quoted key like `['a.b']`",
                    ));
                };
                segments.push(segment);
                i += len + 1;
                expect_name = false;
            }
            _ if expect_name => {
                let end = selector[i..]
                    .find(['.', '['])
                    .map_or(bytes.len(), |n| i + n);
                let name = &selector[i..end];
                if name.is_empty() {
                    return Err(err(i, "expected a key name"));
                }
                if let Some(bad) =
                    name.find(|c: char| c.is_whitespace() || "]*?()@=<>!".contains(c))
                {
                    return Err(err(
                        i + bad,
                        "key names cannot hold spaces or JSONPath filters; quote odd keys as \
                         `['a key']`",
                    ));
                }
                segments.push(Segment::Key(name.to_owned()));
                i = end;
                expect_name = false;
            }
            _ => return Err(err(i, "expected `.` or `[` between selector segments")),
        }
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_subset() {
        for ok in [
            "$",
            "data",
            "a.b",
            "$.a.b",
            "a[*].b",
            "a[0]",
            "['a.b'].c",
            "$[\"x y\"]",
            "[*]",
        ] {
            assert!(parse(ok).is_ok(), "{ok} should parse");
        }
        assert_eq!(parse("$").unwrap(), vec![]);
    }

    #[test]
    fn rejects_the_rest() {
        for bad in [
            "",
            "a..b",
            "a.",
            "a[",
            "a[x]",
            "a b",
            "$..x",
            "a[?(@.x)]",
            ".a",
            "a]",
        ] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
    }
}
