//! `{placeholder}` strings in paths, params, headers and JSON bodies; `{{` and `}}` are
//! literal braces (dlt's escape).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Lit(String),
    Hole(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`; an unclosed or empty `{}` is an error.
    pub(crate) fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    lit.push('}');
                }
                '{' => {
                    let rest = &text[i + 1..];
                    let close = rest
                        .find('}')
                        .ok_or_else(|| format!("`{text}`: `{{` without a closing `}}`"))?;
                    let name = rest[..close].trim();
                    if name.is_empty() {
                        return Err(format!("`{text}`: empty placeholder `{{}}`"));
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Hole(name.to_owned()));
                    for _ in 0..=close {
                        chars.next();
                    }
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template { parts })
    }

    /// The placeholder names, in order.
    pub(crate) fn holes(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Hole(h) => Some(h.as_str()),
            Part::Lit(_) => None,
        })
    }

    /// Fills every placeholder; `encode` is applied to substituted values (path segments are
    /// percent-encoded, params are not). The error names the first unbound placeholder.
    pub(crate) fn render(
        &self,
        lookup: &dyn Fn(&str) -> Option<Value>,
        encode: fn(&str) -> String,
    ) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(l) => out.push_str(l),
                Part::Hole(h) => {
                    let value = lookup(h).ok_or_else(|| h.clone())?;
                    out.push_str(&encode(&value_text(&value)));
                }
            }
        }
        Ok(out)
    }

    /// Like [`Template::render`], but a string that is one placeholder alone keeps the
    /// value's JSON type (a number stays a number in a JSON body).
    pub(crate) fn render_value(
        &self,
        lookup: &dyn Fn(&str) -> Option<Value>,
    ) -> Result<Value, String> {
        if let [Part::Hole(h)] = self.parts.as_slice() {
            return lookup(h).ok_or_else(|| h.clone());
        }
        self.render(lookup, |s| s.to_owned()).map(Value::String)
    }
}

/// A JSON value as it appears in a URL or header: strings bare, everything else as JSON.
pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
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

/// Every string inside a JSON value, rendered; objects and arrays are walked.
pub(crate) fn render_json(
    value: &Value,
    lookup: &dyn Fn(&str) -> Option<Value>,
) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => Template::parse(s)?.render_value(lookup)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_json(v, lookup))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_json(v, lookup)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Every placeholder name inside the strings of a JSON value.
pub(crate) fn json_holes(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Ok(t) = Template::parse(s) {
                out.extend(t.holes().map(str::to_owned));
            }
        }
        Value::Array(items) => items.iter().for_each(|v| json_holes(v, out)),
        Value::Object(map) => map.values().for_each(|v| json_holes(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lookup(name: &str) -> Option<Value> {
        match name {
            "resources.users.id" => Some(json!(7)),
            "name" => Some(json!("a b/c")),
            _ => None,
        }
    }

    #[test]
    fn renders_and_escapes() {
        let t = Template::parse("/u/{resources.users.id}/x/{name}?{{lit}}").unwrap();
        assert_eq!(
            t.holes().collect::<Vec<_>>(),
            ["resources.users.id", "name"]
        );
        assert_eq!(
            t.render(&lookup, encode_segment).unwrap(),
            "/u/7/x/a%20b%2Fc?{lit}"
        );
        assert_eq!(
            Template::parse("{nope}")
                .unwrap()
                .render(&lookup, encode_segment),
            Err("nope".into())
        );
        assert!(Template::parse("{open").is_err());
        assert!(Template::parse("{}").is_err());
    }

    #[test]
    fn json_keeps_types() {
        let body = json!({"id": "{resources.users.id}", "s": "u-{resources.users.id}", "n": [1]});
        assert_eq!(
            render_json(&body, &lookup).unwrap(),
            json!({"id": 7, "s": "u-7", "n": [1]})
        );
    }
}
