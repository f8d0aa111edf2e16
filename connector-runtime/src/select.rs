//! Finding records in a response: a JSONPath subset, and dlt's detection when the spec names
//! no selector.
//!
//! Supported JSONPath: `$` (the whole body), `a.b` / `$.a.b`, `a[*].b` (every element),
//! `a[0]` (one element), `a.*` (every value), `['odd key']`. A selector that matches one list
//! yields its elements; one object yields that object as the single record (the seeds'
//! `company`: `data: {...}`); several matches yield each match.

use std::fmt;

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    Wildcard,
}

/// A parsed JSONPath subset expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Selector {
    steps: Vec<Step>,
    text: String,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Selector {
    /// Parses a selector; the error says what is not supported.
    pub(crate) fn parse(text: &str) -> Result<Selector, String> {
        let mut steps = Vec::new();
        let mut rest = text.trim();
        if let Some(r) = rest.strip_prefix('$') {
            rest = r;
        }
        let bad =
            |why: &str| format!("selector `{text}`: {why} (supported: $, a.b, a[*].b, a[0], a.*)");
        let mut first = true;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('[') {
                let close = r.find(']').ok_or_else(|| bad("`[` without `]`"))?;
                let inner = r[..close].trim();
                rest = &r[close + 1..];
                if inner == "*" {
                    steps.push(Step::Wildcard);
                } else if let Ok(i) = inner.parse::<usize>() {
                    steps.push(Step::Index(i));
                } else if let Some(key) = strip_quotes(inner) {
                    steps.push(Step::Key(key.to_owned()));
                } else {
                    return Err(bad(&format!("`[{inner}]` is not supported")));
                }
            } else {
                if let Some(r) = rest.strip_prefix('.') {
                    if r.starts_with('.') {
                        return Err(bad("recursive descent `..` is not supported"));
                    }
                    rest = r;
                } else if !first {
                    return Err(bad("expected `.` or `[`"));
                }
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                let key = rest[..end].trim();
                if key.is_empty() {
                    return Err(bad("empty key"));
                }
                if key.contains(['(', ')', '?', '@']) {
                    return Err(bad("filters and functions are not supported"));
                }
                steps.push(if key == "*" {
                    Step::Wildcard
                } else {
                    Step::Key(key.to_owned())
                });
                rest = &rest[end..];
            }
            first = false;
        }
        Ok(Selector {
            steps,
            text: text.to_owned(),
        })
    }

    /// True for `$`.
    #[cfg(test)]
    pub(crate) fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    /// Every value the path reaches.
    pub(crate) fn find<'a>(&self, value: &'a Value) -> Vec<&'a Value> {
        let mut current = vec![value];
        for step in &self.steps {
            let mut next = Vec::new();
            for v in current {
                match (step, v) {
                    (Step::Key(k), Value::Object(map)) => next.extend(map.get(k)),
                    (Step::Index(i), Value::Array(items)) => next.extend(items.get(*i)),
                    (Step::Wildcard, Value::Array(items)) => next.extend(items.iter()),
                    (Step::Wildcard, Value::Object(map)) => next.extend(map.values()),
                    _ => {}
                }
            }
            current = next;
        }
        current
    }

    /// The first value the path reaches.
    pub(crate) fn first<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.find(value).into_iter().next()
    }

    /// The path as plain keys (`$` is none); `None` when it has an index or a wildcard.
    pub(crate) fn keys(&self) -> Option<Vec<String>> {
        self.steps
            .iter()
            .map(|step| match step {
                Step::Key(k) => Some(k.clone()),
                Step::Index(_) | Step::Wildcard => None,
            })
            .collect()
    }

    /// True when one path leads into the other (either is a prefix of the other).
    pub(crate) fn overlaps(&self, other: &Selector) -> bool {
        self.steps
            .iter()
            .zip(&other.steps)
            .all(|(a, b)| match (a, b) {
                (Step::Key(a), Step::Key(b)) => a == b,
                (Step::Index(a), Step::Index(b)) => a == b,
                _ => true,
            })
    }

    /// How many records [`Selector::records`] would give, without copying them.
    pub(crate) fn count(&self, body: &Value) -> Option<usize> {
        let found = self.find(body);
        match found.as_slice() {
            [] => None,
            [Value::Array(items)] => Some(items.len()),
            [Value::Null] => Some(0),
            many => Some(many.len()),
        }
    }

    /// Like [`Selector::records`], but moves the records out of `body` instead of copying
    /// them when the path reaches one value (no wildcard): the copy of every page was the
    /// typed stream's largest avoidable cost. `body` is left with `null` in their place.
    pub(crate) fn take_records(&self, body: &mut Value) -> Option<Vec<Value>> {
        if self.steps.contains(&Step::Wildcard) {
            return self.records(body);
        }
        let mut current = body;
        for step in &self.steps {
            current = match (step, current) {
                (Step::Key(k), Value::Object(map)) => map.get_mut(k)?,
                (Step::Index(i), Value::Array(items)) => items.get_mut(*i)?,
                _ => return None,
            };
        }
        Some(match current.take() {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            one => vec![one],
        })
    }

    /// Records selected from a response body (see the module doc); `None` when nothing matched.
    pub(crate) fn records(&self, body: &Value) -> Option<Vec<Value>> {
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
}

fn strip_quotes(s: &str) -> Option<&str> {
    s.strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
}

/// Keys dlt prefers when it looks for the records list.
const DATA_KEYS: &[&str] = &[
    "data", "items", "results", "entries", "records", "rows", "entities", "payload", "content",
    "objects", "values",
];
/// Keys that hold metadata, never records.
const META_KEYS: &[&str] = &[
    "meta",
    "metadata",
    "pagination",
    "links",
    "extras",
    "headers",
];

/// dlt's detection (`find_response_page_data`): a top-level list is the records; otherwise the
/// lists up to two levels deep, preferring well-known data keys and avoiding metadata keys,
/// then the least nested; otherwise the whole body. Returns the selector it chose.
pub(crate) fn detect(body: &Value) -> Selector {
    let root = Selector {
        steps: Vec::new(),
        text: "$".to_owned(),
    };
    let Value::Object(map) = body else {
        return root;
    };
    // (path, depth, preferred)
    let mut candidates: Vec<(Vec<String>, usize, bool)> = Vec::new();
    for (key, value) in map {
        if META_KEYS.contains(&key.as_str()) {
            continue;
        }
        match value {
            Value::Array(_) => {
                candidates.push((vec![key.clone()], 1, DATA_KEYS.contains(&key.as_str())))
            }
            Value::Object(inner) => {
                for (key2, value2) in inner {
                    if value2.is_array() && !META_KEYS.contains(&key2.as_str()) {
                        let preferred =
                            DATA_KEYS.contains(&key2.as_str()) || DATA_KEYS.contains(&key.as_str());
                        candidates.push((vec![key.clone(), key2.clone()], 2, preferred));
                    }
                }
            }
            _ => {}
        }
    }
    let best = candidates
        .iter()
        .filter(|c| c.2)
        .min_by_key(|c| c.1)
        .or_else(|| candidates.iter().min_by_key(|c| c.1));
    match best {
        Some((path, _, _)) => Selector {
            steps: path.iter().cloned().map(Step::Key).collect(),
            text: path.join("."),
        },
        None => root,
    }
}

/// Sets `value` at a dot path inside a JSON body, creating objects on the way (for the
/// `*_body_path` paginator settings).
pub(crate) fn set_path(body: &mut Value, path: &str, value: Value) {
    let mut current = body;
    let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        if !current.is_object() {
            *current = Value::Object(Default::default());
        }
        let Value::Object(map) = current else { return };
        if i + 1 == parts.len() {
            map.insert((*part).to_owned(), value);
            return;
        }
        current = map
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Default::default()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(s: &str) -> Selector {
        Selector::parse(s).unwrap()
    }

    #[test]
    fn paths() {
        let body = json!({"a": {"b": [1, 2]}, "l": [{"x": 1}, {"x": 2}], "odd.key": 3});
        assert_eq!(sel("a.b").records(&body), Some(vec![json!(1), json!(2)]));
        assert_eq!(sel("$.a.b").records(&body), Some(vec![json!(1), json!(2)]));
        assert_eq!(sel("l[*].x").records(&body), Some(vec![json!(1), json!(2)]));
        assert_eq!(sel("l[1]").records(&body), Some(vec![json!({"x": 2})]));
        assert_eq!(sel("['odd.key']").records(&body), Some(vec![json!(3)]));
        assert_eq!(sel("missing").records(&body), None);
        assert_eq!(
            sel("$").records(&json!({"id": 1})),
            Some(vec![json!({"id": 1})])
        );
        assert_eq!(sel("$").records(&json!([1])), Some(vec![json!(1)]));
        assert_eq!(
            sel("data").records(&json!({"data": {"id": "c"}})),
            Some(vec![json!({"id": "c"})])
        );
    }

    #[test]
    fn taking_records_gives_what_records_gives() {
        let body =
            json!({"a": {"b": [1, 2]}, "l": [{"x": 1}, {"x": 2}], "d": {"id": "c"}, "n": null});
        for path in [
            "a.b", "$.a.b", "l[*].x", "l[1]", "d", "n", "missing", "a.b.c", "$",
        ] {
            let mut taken = body.clone();
            let records = sel(path).records(&body);
            assert_eq!(
                sel(path).count(&body),
                records.as_ref().map(Vec::len),
                "{path}"
            );
            assert_eq!(sel(path).take_records(&mut taken), records, "{path}");
        }
        let mut taken = body.clone();
        sel("a.b").take_records(&mut taken);
        assert_eq!(taken["a"]["b"], Value::Null, "moved, not copied");
    }

    #[test]
    fn key_paths_and_overlaps() {
        assert_eq!(
            sel("$.a.b").keys(),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(sel("$").keys(), Some(vec![]));
        assert_eq!(sel("a[*].b").keys(), None);
        assert_eq!(sel("a[0]").keys(), None);
        assert!(sel("data").overlaps(&sel("data[0].id")));
        assert!(sel("page.data").overlaps(&sel("page")));
        assert!(sel("$").overlaps(&sel("total")));
        assert!(sel("a.*").overlaps(&sel("a.b")));
        assert!(!sel("data").overlaps(&sel("meta.total")));
        assert!(!sel("page.data").overlaps(&sel("page.next")));
    }

    #[test]
    fn unsupported_syntax_is_named() {
        for bad in ["a..b", "a[?(@.x)]", "a[", "a.", "a[foo]"] {
            let err = Selector::parse(bad).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn detection_follows_dlt() {
        assert!(detect(&json!([1])).is_root());
        assert_eq!(
            detect(&json!({"meta": [], "results": [1], "other": []})).to_string(),
            "results"
        );
        assert_eq!(
            detect(&json!({"links": [], "stuff": [1]})).to_string(),
            "stuff"
        );
        assert_eq!(
            detect(&json!({"response": {"items": []}, "x": 1})).to_string(),
            "response.items"
        );
        assert!(detect(&json!({"id": 1})).is_root());
    }

    #[test]
    fn set_path_creates_objects() {
        let mut body = json!({"q": 1});
        set_path(&mut body, "page.cursor", json!("c"));
        assert_eq!(body, json!({"q": 1, "page": {"cursor": "c"}}));
    }
}
