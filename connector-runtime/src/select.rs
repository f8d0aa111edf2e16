//! Finding records in a response with the spec's [`Selector`], and dlt's detection when the
//! spec names no selector. The grammar lives in `connector_spec::selector`; this module only
//! evaluates it.
//!
//! A selector that matches one list yields its elements; one object yields that object as the
//! single record (the seeds' `company`: `data: {...}`); several matches yield each match.

use serde_json::Value;

pub(crate) use connector_spec::selector::Selector;

/// Records out of a response body.
pub(crate) trait Records {
    /// How many records [`Selector::records`] would give, without copying them.
    fn count(&self, body: &Value) -> Option<usize>;

    /// Like [`Selector::records`], but moves the records out of `body` instead of copying
    /// them when the path reaches one value (no wildcard): the copy of every page was the
    /// typed stream's largest avoidable cost. `body` is left with `null` in their place.
    fn take_records(&self, body: &mut Value) -> Option<Vec<Value>>;
}

impl Records for Selector {
    fn count(&self, body: &Value) -> Option<usize> {
        let found = self.find(body);
        match found.as_slice() {
            [] => None,
            [Value::Array(items)] => Some(items.len()),
            [Value::Null] => Some(0),
            many => Some(many.len()),
        }
    }

    fn take_records(&self, body: &mut Value) -> Option<Vec<Value>> {
        if self.has_wildcard() {
            return Selector::records(self, body);
        }
        Some(match self.first_mut(body)?.take() {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            one => vec![one],
        })
    }
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
    let root = Selector::root();
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
        Some((path, _, _)) => Selector::from_keys(path.iter().cloned()),
        None => root,
    }
}

/// Sets `value` at a key path inside a JSON body, creating objects on the way (for the
/// `*_body_path` paginator settings).
pub(crate) fn set_path(body: &mut Value, parts: &[String], value: Value) {
    let mut current = body;
    for (i, part) in parts.iter().enumerate() {
        if !current.is_object() {
            *current = Value::Object(Default::default());
        }
        let Value::Object(map) = current else { return };
        if i + 1 == parts.len() {
            map.insert(part.clone(), value);
            return;
        }
        current = map
            .entry(part.clone())
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
    fn the_spec_grammar_is_the_one_evaluated() {
        // `a.*` used to parse here and fail `connector check`; both now read one grammar.
        let body = json!({"a": {"x": {"id": 1}, "y": {"id": 2}}});
        assert_eq!(
            sel("a.*").records(&body),
            Some(vec![json!({"id": 1}), json!({"id": 2})])
        );
        assert!(connector_spec::selector::parse("a.*").is_ok());
    }

    #[test]
    fn recursive_descent_finds_records_at_any_depth() {
        // dlt's jsonpath accepts `$..items`; so do `connector check` and the runtime.
        let body = json!({"response": {"page": {"items": [{"id": 1}, {"id": 2}]}}});
        let mut taken = body.clone();
        assert_eq!(
            sel("$..items").records(&body),
            Some(vec![json!({"id": 1}), json!({"id": 2})])
        );
        assert_eq!(sel("$..items").count(&body), Some(2));
        assert_eq!(
            sel("$..items").take_records(&mut taken).map(|r| r.len()),
            Some(2)
        );
        assert_eq!(sel("$..id").records(&body), Some(vec![json!(1), json!(2)]));
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
        set_path(&mut body, &["page".into(), "cursor".into()], json!("c"));
        assert_eq!(body, json!({"q": 1, "page": {"cursor": "c"}}));
    }
}
