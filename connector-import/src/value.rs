//! The translated config: a JSON-like tree in source order, each value with the line of the
//! Python that produced it (for the notes and for mapping spec diagnostics back), and an
//! optional comment written above it in the YAML.

/// A translated value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Item>),
    Map(Vec<(String, Item)>),
}

/// A value, where it came from, and what to say about it in the YAML.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    pub value: Value,
    /// 1-based line in the imported file.
    pub line: usize,
    /// A comment written above the value's key in the YAML.
    pub comment: Option<String>,
}

impl Item {
    pub fn new(value: Value, line: usize) -> Item {
        Item {
            value,
            line,
            comment: None,
        }
    }

    pub fn with_comment(mut self, comment: impl Into<String>) -> Item {
        self.comment = Some(comment.into());
        self
    }

    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, when the value is a mapping.
    pub fn entries(&self) -> Option<&[(String, Item)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value under `key`, when this is a mapping holding it.
    pub fn get(&self, key: &str) -> Option<&Item> {
        self.entries()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

impl Value {
    pub fn is_scalar(&self) -> bool {
        !matches!(self, Value::List(_) | Value::Map(_))
    }

    /// What Python treats as false and a `path_missing` rule as missing: None, False, 0, and
    /// empty strings, lists and mappings.
    pub fn is_empty_like(&self) -> bool {
        match self {
            Value::Null | Value::Bool(false) | Value::Int(0) => true,
            Value::Str(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Map(m) => m.is_empty(),
            _ => false,
        }
    }

    /// The value as JSON (for flow-style YAML and `path_equals` values).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::List(items) => J::Array(items.iter().map(|i| i.value.to_json()).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.to_json()))
                    .collect(),
            ),
        }
    }
}
