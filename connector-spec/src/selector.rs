//! Paths into JSON: the JSONPath subset of `data_selector`, and every other path a spec writes
//! (`cursor_path`, `total_path`, parent fields, incremental cursors). One grammar, parsed once
//! by the resolver; the runtime evaluates the parsed [`Selector`] and never parses text.
//!
//! Grammar: an optional `$`, then segments: `name` / `.name`, `.*` or `[*]` (every element of
//! a list, every value of an object), `[N]` (one element), `['key']` / `["key"]` (a key with
//! dots or brackets in it) and `..` (recursive descent: the segment after it matches at any
//! depth, as in `$..id`). `$` alone selects the whole response.
//!
//! A selector that matches one list yields its elements as records; one object yields that
//! object as the single record (the seeds' `company`: `data: {...}`); several matches yield
//! each match.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One step of a selector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// An object key.
    Key(String),
    /// Every element of a list or every value of an object (`[*]`, `.*`).
    Every,
    /// One element of a list (`[N]`).
    Index(usize),
    /// `..`: the value and every value below it, in document order; the next segment then
    /// applies to each (`$..id` is every `id` at any depth).
    Descendants,
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

/// A parsed path: its segments, and the text it was written as (for messages).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Selector {
    text: String,
    segments: Vec<Segment>,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parses a selector into its segments.
///
/// ```
/// use connector_spec::selector::{parse, Segment};
/// assert_eq!(
///     parse("$.data[*].items").unwrap(),
///     vec![Segment::Key("data".into()), Segment::Every, Segment::Key("items".into())]
/// );
/// assert_eq!(parse("a.*").unwrap(), vec![Segment::Key("a".into()), Segment::Every]);
/// assert_eq!(parse("$..id").unwrap(), vec![Segment::Descendants, Segment::Key("id".into())]);
/// assert!(parse("data[?(@.x)]").is_err());
/// ```
pub fn parse(selector: &str) -> Result<Vec<Segment>, SelectorError> {
    Selector::parse(selector).map(|s| s.segments)
}

impl Selector {
    /// Parses `text`; the error says what is wrong and where.
    ///
    /// ```
    /// use connector_spec::selector::Selector;
    /// use serde_json::json;
    /// let s = Selector::parse("data[*].id").unwrap();
    /// let body = json!({"data": [{"id": 1}, {"id": 2}]});
    /// assert_eq!(s.find(&body), vec![&json!(1), &json!(2)]);
    /// assert_eq!(s.to_string(), "data[*].id");
    /// ```
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let err = |offset: usize, message: &str| SelectorError {
            offset,
            message: message.to_owned(),
        };
        if text.trim().is_empty() {
            return Err(err(
                0,
                "the selector is empty; use `$` for the whole response",
            ));
        }
        let bytes = text.as_bytes();
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
                    if bytes.get(i) == Some(&b'.') {
                        i += 1;
                        segments.push(Segment::Descendants);
                        if bytes.get(i) == Some(&b'.') {
                            return Err(err(i, "`...` is not a selector segment; write `..`"));
                        }
                        if bytes.get(i) == Some(&b'[') {
                            expect_name = false;
                        }
                    }
                    if i >= bytes.len() {
                        return Err(err(i - 1, "a selector cannot end with `.` or `..`"));
                    }
                }
                b'[' => {
                    let Some(len) = text[i..].find(']') else {
                        return Err(err(i, "unclosed `[`"));
                    };
                    let inner = text[i + 1..i + len].trim();
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
                    let end = text[i..].find(['.', '[']).map_or(bytes.len(), |n| i + n);
                    let name = &text[i..end];
                    if name.is_empty() {
                        return Err(err(i, "expected a key name"));
                    }
                    if name == "*" {
                        segments.push(Segment::Every);
                    } else if let Some(bad) =
                        name.find(|c: char| c.is_whitespace() || "]*?()@=<>!".contains(c))
                    {
                        return Err(err(
                            i + bad,
                            "key names cannot hold spaces or JSONPath filters; quote odd keys as \
                             `['a key']`",
                        ));
                    } else {
                        segments.push(Segment::Key(name.to_owned()));
                    }
                    i = end;
                    expect_name = false;
                }
                _ => return Err(err(i, "expected `.` or `[` between selector segments")),
            }
        }
        Ok(Selector {
            text: text.to_owned(),
            segments,
        })
    }

    /// `$`: the whole value.
    pub fn root() -> Selector {
        Selector {
            text: "$".to_owned(),
            segments: Vec::new(),
        }
    }

    /// A selector of plain keys (`["links", "next"]` is `links.next`), for paths the runtime
    /// detects itself.
    pub fn from_keys<S: Into<String>>(keys: impl IntoIterator<Item = S>) -> Selector {
        let keys: Vec<String> = keys.into_iter().map(Into::into).collect();
        Selector {
            text: if keys.is_empty() {
                "$".to_owned()
            } else {
                keys.join(".")
            },
            segments: keys.into_iter().map(Segment::Key).collect(),
        }
    }

    /// The text the selector was written as.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// True for `$`: the whole value.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// True when a segment may reach several values (`[*]`, `.*`, `..`).
    pub fn has_wildcard(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Every | Segment::Descendants))
    }

    /// The path as plain keys (`$` is none); `None` when it has an index or a wildcard.
    pub fn keys(&self) -> Option<Vec<&str>> {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Key(k) => Some(k.as_str()),
                Segment::Index(_) | Segment::Every | Segment::Descendants => None,
            })
            .collect()
    }

    /// True when one path leads into the other (either is a prefix of the other); a path
    /// with `..` may reach anything.
    pub fn overlaps(&self, other: &Selector) -> bool {
        if self.segments.contains(&Segment::Descendants)
            || other.segments.contains(&Segment::Descendants)
        {
            return true;
        }
        self.segments
            .iter()
            .zip(&other.segments)
            .all(|(a, b)| match (a, b) {
                (Segment::Key(a), Segment::Key(b)) => a == b,
                (Segment::Index(a), Segment::Index(b)) => a == b,
                _ => true,
            })
    }

    /// Every value the path reaches.
    pub fn find<'a>(&self, value: &'a Value) -> Vec<&'a Value> {
        let mut current = vec![value];
        for segment in &self.segments {
            let mut next = Vec::new();
            for v in current {
                match (segment, v) {
                    (Segment::Key(k), Value::Object(map)) => next.extend(map.get(k)),
                    (Segment::Index(i), Value::Array(items)) => next.extend(items.get(*i)),
                    (Segment::Every, Value::Array(items)) => next.extend(items.iter()),
                    (Segment::Every, Value::Object(map)) => next.extend(map.values()),
                    (Segment::Descendants, v) => descendants(v, &mut next),
                    _ => {}
                }
            }
            current = next;
        }
        current
    }

    /// The first value the path reaches.
    pub fn first<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        if self.has_wildcard() {
            return self.find(value).into_iter().next();
        }
        // No wildcard: one value at most, found without collecting.
        let mut current = value;
        for segment in &self.segments {
            current = match (segment, current) {
                (Segment::Key(k), Value::Object(map)) => map.get(k)?,
                (Segment::Index(i), Value::Array(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// The records a response body holds at this path (see the module doc); `None` when
    /// nothing matched.
    pub fn records(&self, body: &Value) -> Option<Vec<Value>> {
        let found: Vec<Value> = self.find(body).into_iter().cloned().collect();
        match found.len() {
            0 => None,
            1 => Some(match found.into_iter().next() {
                Some(Value::Array(items)) => items,
                Some(Value::Null) | None => Vec::new(),
                Some(one) => vec![one],
            }),
            _ => Some(found),
        }
    }

    /// The value the path reaches, mutably; `None` with a wildcard or when absent.
    pub fn first_mut<'a>(&self, value: &'a mut Value) -> Option<&'a mut Value> {
        let mut current = value;
        for segment in &self.segments {
            current = match (segment, current) {
                (Segment::Key(k), Value::Object(map)) => map.get_mut(k)?,
                (Segment::Index(i), Value::Array(items)) => items.get_mut(*i)?,
                _ => return None,
            };
        }
        Some(current)
    }
}

/// `value` and every value below it, depth first in document order.
fn descendants<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(value);
    match value {
        Value::Array(items) => items.iter().for_each(|v| descendants(v, out)),
        Value::Object(map) => map.values().for_each(|v| descendants(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_the_subset() {
        for ok in [
            "$",
            "data",
            "a.b",
            "$.a.b",
            "a[*].b",
            "a.*",
            "a.*.b",
            "a[0]",
            "$..id",
            "a..b",
            "$..[*]",
            "['a.b'].c",
            "$[\"x y\"]",
            "[*]",
        ] {
            assert!(parse(ok).is_ok(), "{ok} should parse");
        }
        assert_eq!(parse("$").unwrap(), vec![]);
        assert_eq!(parse("a.*").unwrap(), parse("a[*]").unwrap());
    }

    #[test]
    fn rejects_the_rest() {
        for bad in [
            "",
            "a...b",
            "a..",
            "a.",
            "a[",
            "a[x]",
            "a b",
            "a[?(@.x)]",
            ".a",
            "a]",
            "a.b*",
        ] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn evaluates() {
        let body = json!({"a": {"b": [1, 2]}, "l": [{"x": 1}, {"x": 2}], "odd.key": 3});
        let sel = |s: &str| Selector::parse(s).unwrap();
        assert_eq!(sel("a.b").first(&body), Some(&json!([1, 2])));
        assert_eq!(sel("l[*].x").find(&body), vec![&json!(1), &json!(2)]);
        assert_eq!(sel("l.*.x").find(&body), vec![&json!(1), &json!(2)]);
        assert_eq!(sel("a.*").find(&body), vec![&json!([1, 2])]);
        assert_eq!(sel("l[1].x").first(&body), Some(&json!(2)));
        assert_eq!(sel("['odd.key']").first(&body), Some(&json!(3)));
        assert_eq!(sel("missing").first(&body), None);
        assert_eq!(sel("$").first(&body), Some(&body));
        let nested = json!({"a": {"id": 1, "b": [{"id": 2}, {"c": {"id": 3}}]}, "id": 0});
        assert_eq!(
            sel("$..id").find(&nested),
            vec![&json!(0), &json!(1), &json!(2), &json!(3)]
        );
        assert_eq!(
            sel("a..id").find(&nested),
            vec![&json!(1), &json!(2), &json!(3)]
        );
        assert_eq!(sel("$..b[0].id").first(&nested), Some(&json!(2)));
        assert_eq!(Selector::from_keys(["a", "b"]), sel("a.b"));
        assert!(Selector::root().is_root());
        assert_eq!(Selector::root(), sel("$"));
    }
}
