//! One schema document read with positions: its JSON value, where each JSON pointer is written,
//! and, for an OpenAPI document, its paths and operations as oas3 reads them.
//!
//! YAML and JSON documents go through the same two parsers as specs (JSON is YAML): yaml-rust2
//! for the [`SourceIndex`], serde_yaml for the value. Mapping keys are turned into strings
//! (`200:` is a number in YAML, `"200"` in a JSON pointer).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::de::path_string;
use crate::position::{join_key, SourceIndex};

/// A document read and indexed.
#[derive(Debug)]
pub struct Document {
    /// The document as the user named it (relative to the spec, or as a `$ref` wrote it).
    pub display: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// Its content.
    pub value: Value,
    index: SourceIndex,
    openapi: Option<oas3::Spec>,
}

impl Document {
    /// Reads and parses `path`; the error is a whole message naming `display`.
    pub fn read(path: &Path, display: &str) -> Result<Document, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read schema document `{display}`: {err}"))?;
        Document::parse(&text, path, display)
    }

    /// Parses document text (YAML or JSON).
    pub fn parse(text: &str, path: &Path, display: &str) -> Result<Document, String> {
        let (index, problems) = SourceIndex::build(text);
        if let Some(problem) = problems.first() {
            return Err(format!(
                "`{display}`:{}: {}",
                problem.pos.line, problem.message
            ));
        }
        let mut yaml: serde_yaml::Value = serde_yaml::from_str(text)
            .map_err(|err| format!("`{display}` is not YAML or JSON: {err}"))?;
        let _ = yaml.apply_merge();
        let value = to_json(yaml);
        if !value.is_object() {
            return Err(format!(
                "`{display}` is not a schema document: its top level is not a mapping"
            ));
        }
        let mut document = Document {
            display: display.to_owned(),
            path: path.to_path_buf(),
            value,
            index,
            openapi: None,
        };
        if document.value.get("openapi").is_some() {
            document.openapi = Some(document.read_openapi()?);
        }
        Ok(document)
    }

    /// The OpenAPI model, when the document has an `openapi` version.
    pub fn openapi(&self) -> Option<&oas3::Spec> {
        self.openapi.as_ref()
    }

    /// The value a JSON pointer (without `#`) names.
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.value.pointer(pointer)
    }

    /// The line a JSON pointer's value is written on (its nearest written ancestor's when
    /// the pointer names nothing).
    pub fn line(&self, pointer: &str) -> usize {
        let mut tokens = tokens(pointer);
        loop {
            let path = self.key_path(&tokens);
            if let Some(pos) = self.index.key(&path).or_else(|| self.index.value(&path)) {
                return pos.line;
            }
            if tokens.pop().is_none() {
                return 1;
            }
        }
    }

    /// `` `openapi.yaml`:14 `#/components/schemas/Device` ``: where a pointer is, for messages.
    pub fn at(&self, pointer: &str) -> String {
        format!("`{}`:{} `#{pointer}`", self.display, self.line(pointer))
    }

    /// Why `pointer` names nothing: the first token that is not there, its container, and
    /// the closest key that is.
    pub fn nothing_at(&self, pointer: &str) -> String {
        let mut current = &self.value;
        let mut walked = String::new();
        for token in tokens(pointer) {
            let next = match current {
                Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
                other => other.get(&token),
            };
            match next {
                Some(next) => {
                    walked.push('/');
                    walked.push_str(&escape(&token));
                    current = next;
                }
                None => {
                    let keys: Vec<&str> = current
                        .as_object()
                        .map(|m| m.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let hint = crate::suggest::did_you_mean(&token, &keys)
                        .map(|h| format!("; {h}"))
                        .unwrap_or_default();
                    return format!(
                        "`#{pointer}` points at nothing: {} has no `{token}`{hint}",
                        self.at(&walked)
                    );
                }
            }
        }
        format!("`#{pointer}` points at nothing")
    }

    /// The index's key path (`paths./devices.get`) of pointer tokens.
    fn key_path(&self, tokens: &[String]) -> String {
        let mut path = String::new();
        let mut current = Some(&self.value);
        for token in tokens {
            match current {
                Some(Value::Array(items)) => {
                    path.push_str(&format!("[{token}]"));
                    current = token.parse::<usize>().ok().and_then(|i| items.get(i));
                }
                other => {
                    path = join_key(&path, token);
                    current = other.and_then(|v| v.get(token));
                }
            }
        }
        path
    }

    /// oas3's reading of the document. 3.0's boolean `exclusiveMinimum` / `exclusiveMaximum`
    /// are numbers in 3.1's schema type; they are taken out of the copy oas3 reads, since
    /// schemas are read from [`Document::value`] and never from oas3's model.
    fn read_openapi(&self) -> Result<oas3::Spec, String> {
        let mut copy = self.value.clone();
        drop_boolean_exclusive_bounds(&mut copy);
        serde_path_to_error::deserialize::<_, oas3::Spec>(copy).map_err(|err| {
            let pointer = pointer_of(&path_string(err.path()));
            format!(
                "{}: not an OpenAPI document this tool reads: {}",
                self.at(&pointer),
                err.into_inner()
            )
        })
    }
}

/// `/a/b~1c` -> `["a", "b/c"]` (RFC 6901).
pub fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// One pointer token, escaped.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A pointer from a loader key path (`a.b[0]`), for oas3's errors (keys with `.` are rare in
/// the parts oas3 reads).
fn pointer_of(path: &str) -> String {
    let mut pointer = String::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = part.split_once('[').map_or((part, ""), |(k, i)| (k, i));
        if !key.is_empty() {
            pointer.push('/');
            pointer.push_str(&escape(key));
        }
        for index in indexes.split('[') {
            let index = index.trim_end_matches(']');
            if !index.is_empty() {
                pointer.push('/');
                pointer.push_str(index);
            }
        }
    }
    pointer
}

fn drop_boolean_exclusive_bounds(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in ["exclusiveMinimum", "exclusiveMaximum"] {
                if map.get(key).is_some_and(Value::is_boolean) {
                    map.remove(key);
                }
            }
            map.values_mut().for_each(drop_boolean_exclusive_bounds);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_boolean_exclusive_bounds),
        _ => {}
    }
}

/// A YAML value as JSON, scalar keys as their text.
fn to_json(value: serde_yaml::Value) -> Value {
    match value {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => serde_json::to_value(&n).unwrap_or(Value::Null),
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => {
            Value::Array(items.into_iter().map(to_json).collect())
        }
        serde_yaml::Value::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (key_text(k), to_json(v)))
                .collect(),
        ),
        serde_yaml::Value::Tagged(tagged) => to_json(tagged.value),
    }
}

fn key_text(key: serde_yaml::Value) -> String {
    match key {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Null => "null".to_owned(),
        other => serde_yaml::to_string(&other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_find_their_lines_and_numeric_keys_are_text() {
        let text = "openapi: 3.1.0\ninfo: { title: t, version: '1' }\npaths:\n  /a/{id}:\n    get:\n      responses:\n        200:\n          description: ok\n";
        let doc = Document::parse(text, Path::new("o.yaml"), "o.yaml").unwrap();
        let pointer = "/paths/~1a~1{id}/get/responses/200";
        assert!(doc.get(pointer).is_some());
        assert_eq!(doc.line(pointer), 7);
        assert_eq!(doc.line("/paths/~1a~1{id}/get/nothing"), 5);
        assert_eq!(doc.at("/info"), "`o.yaml`:2 `#/info`");
        assert!(doc.openapi().is_some());
    }

    #[test]
    fn openapi_shape_errors_name_the_line() {
        let text = "openapi: 3.0.3\ninfo:\n  title: t\npaths: {}\n";
        let err = Document::parse(text, Path::new("o.yaml"), "o.yaml").unwrap_err();
        assert!(
            err.starts_with("`o.yaml`:2 `#/info`: not an OpenAPI document"),
            "{err}"
        );
        assert!(err.contains("version"), "{err}");
    }
}
