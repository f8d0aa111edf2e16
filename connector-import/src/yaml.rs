//! Writing the translated tree as spec YAML, in the style of the hand-written specs: block
//! mappings and lists, short mappings and lists of scalars in flow style
//! (`{ secret: api_key }`, `[429, 503]`), strings quoted only when YAML would read them as
//! something else. Every line written remembers the Python line it came from, so the spec
//! loader's diagnostics can point back at the imported file.

use crate::value::{Item, Value};

/// Longest flow-style line body before a mapping or list is written in block style.
const FLOW_WIDTH: usize = 72;

/// The YAML text, and for each of its lines (index 0 is line 1) the imported file's line.
pub(crate) struct Written {
    pub text: String,
    pub lines: Vec<usize>,
}

pub(crate) fn write(header: &[String], root: &[(String, Item)]) -> Written {
    let mut w = Writer {
        out: Written {
            text: String::new(),
            lines: Vec::new(),
        },
    };
    for line in header {
        w.line(format!("# {line}"), 0);
    }
    w.map(root, 0);
    w.out
}

struct Writer {
    out: Written,
}

impl Writer {
    fn line(&mut self, text: String, source_line: usize) {
        self.out.text.push_str(text.trim_end());
        self.out.text.push('\n');
        self.out.lines.push(source_line);
    }

    fn comment(&mut self, item: &Item, indent: usize) {
        if let Some(comment) = &item.comment {
            for part in comment.lines() {
                self.line(format!("{}# {part}", " ".repeat(indent)), item.line);
            }
        }
    }

    fn map(&mut self, entries: &[(String, Item)], indent: usize) {
        for (key, item) in entries {
            self.comment(item, indent);
            self.entry(
                &format!("{}{}:", " ".repeat(indent), scalar_key(key)),
                item,
                indent,
            );
        }
    }

    /// `prefix` is the key (with its indent and colon) or a list dash; the value follows it on
    /// the same line when inline, else below it at `indent + 2`.
    fn entry(&mut self, prefix: &str, item: &Item, indent: usize) {
        if let Some(inline) = inline(&item.value, FLOW_WIDTH.saturating_sub(prefix.len())) {
            self.line(format!("{prefix} {inline}"), item.line);
            return;
        }
        self.line(prefix.to_owned(), item.line);
        match &item.value {
            Value::Map(entries) => self.map(entries, indent + 2),
            Value::List(items) => self.list(items, indent + 2),
            // Scalars are always inline.
            _ => {}
        }
    }

    fn list(&mut self, items: &[Item], indent: usize) {
        let pad = " ".repeat(indent);
        for item in items {
            self.comment(item, indent);
            match &item.value {
                Value::Map(entries) if !entries.is_empty() && inline(&item.value, 0).is_none() => {
                    // `- first: value`, the other keys under `first`.
                    let (first_key, first) = &entries[0];
                    self.comment(first, indent + 2);
                    self.entry(
                        &format!("{pad}- {}:", scalar_key(first_key)),
                        first,
                        indent + 2,
                    );
                    self.map(&entries[1..], indent + 2);
                }
                _ => {
                    let flow = inline(&item.value, FLOW_WIDTH.saturating_sub(indent + 2))
                        .unwrap_or_else(|| item.value.to_json().to_string());
                    self.line(format!("{pad}- {flow}"), item.line);
                }
            }
        }
    }
}

/// The value on one line, when it fits `width` (scalars always do; mappings and lists only
/// of scalars).
fn inline(value: &Value, width: usize) -> Option<String> {
    let text = match value {
        Value::Map(entries) if entries.is_empty() => "{}".to_owned(),
        Value::List(items) if items.is_empty() => "[]".to_owned(),
        Value::Map(entries) => {
            if !entries.iter().all(|(_, v)| v.value.is_scalar()) {
                return None;
            }
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar_key(k), scalar(&v.value)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        Value::List(items) => {
            if !items.iter().all(|v| v.value.is_scalar()) {
                return None;
            }
            let parts: Vec<String> = items.iter().map(|v| scalar(&v.value)).collect();
            format!("[{}]", parts.join(", "))
        }
        scalar_value => return Some(scalar(scalar_value)),
    };
    (text.len() <= width).then_some(text)
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Str(s) => string(s),
        other => other.to_json().to_string(),
    }
}

fn scalar_key(key: &str) -> String {
    string(key)
}

/// A string plain when YAML reads it back as the same string, else double-quoted (JSON's
/// escapes are YAML's).
fn string(s: &str) -> String {
    if is_plain(s) {
        s.to_owned()
    } else {
        serde_json::Value::String(s.to_owned()).to_string()
    }
}

fn is_plain(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '_' || first == '/') {
        return false;
    }
    if WORDS.contains(&s.to_ascii_lowercase().as_str()) || s.ends_with(':') {
        return false;
    }
    let bytes = s.as_bytes();
    s.char_indices().all(|(i, c)| {
        c.is_ascii_alphanumeric()
            || matches!(c, '_' | '.' | '/' | '-')
            || (c == ':' && bytes.get(i + 1).is_some_and(|n| *n != b' '))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(value: Value) -> Item {
        Item::new(value, 1)
    }

    #[test]
    fn strings_are_quoted_only_when_yaml_would_misread_them() {
        for plain in [
            "api_key",
            "https://api.example.com",
            "/v1/users",
            "links.next",
        ] {
            assert_eq!(string(plain), plain);
        }
        for quoted in [
            "yes",
            "Null",
            "2024-01-01",
            "/v1/{id}",
            "a: b",
            "",
            "10",
            "x:",
        ] {
            assert!(string(quoted).starts_with('"'), "{quoted}");
        }
    }

    #[test]
    fn short_scalar_maps_are_flow_style_and_lists_of_maps_block_style() {
        let secret = Value::Map(vec![("secret".into(), item(Value::Str("k".into())))]);
        let resource = Value::Map(vec![
            ("name".into(), item(Value::Str("users".into()))),
            (
                "endpoint".into(),
                item(Value::Map(vec![(
                    "path".into(),
                    item(Value::Str("/v1/{id}".into())),
                )])),
            ),
        ]);
        let root = vec![
            ("key".into(), item(secret)),
            (
                "codes".into(),
                item(Value::List(vec![
                    item(Value::Int(429)),
                    item(Value::Int(503)),
                ])),
            ),
            ("resources".into(), item(Value::List(vec![item(resource)]))),
        ];
        let written = write(&[], &root);
        assert_eq!(
            written.text,
            "key: { secret: k }\ncodes: [429, 503]\nresources:\n  - name: users\n    endpoint: { path: \"/v1/{id}\" }\n"
        );
        assert_eq!(written.lines.len(), 5);
    }
}
