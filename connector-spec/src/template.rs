//! `{placeholder}` strings in paths, params, headers and JSON bodies: one grammar, parsed once
//! by the resolver into a [`Template`] whose placeholders are classified. Validation reports
//! the parse errors; the runtime only renders.
//!
//! `{{` and `}}` are literal braces (Python's `str.format` escapes, which dlt inherits); an
//! unclosed `{` and an empty `{}` are errors.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a `{...}` placeholder refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceholderKind {
    /// `{resources.<parent>.<field>}`: a field (dot path) of each parent record.
    ParentField {
        /// The parent resource.
        resource: String,
        /// The field, a dot path; empty when the placeholder is malformed.
        field: String,
    },
    /// `{incremental.start_value}` and friends.
    Incremental(String),
    /// The seeds' bare `{parent_id}`: field `id` of the one parent.
    ParentId,
    /// Any other name: bound by a `resolve` param of that name, or unbound.
    Name(String),
}

/// Names allowed after `incremental.`: the window's values, and every setting of the
/// resource's `incremental` (dlt binds the incremental object's attributes).
pub const INCREMENTAL_PLACEHOLDERS: &[&str] = &[
    "start_value",
    "initial_value",
    "last_value",
    "end_value",
    "cursor_path",
    "lag",
    "last_value_func",
    "on_cursor_value_missing",
    "range_start",
    "range_end",
    "row_order",
];

/// One placeholder of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placeholder {
    /// The text between the braces, trimmed.
    pub text: String,
    /// Byte offset of the opening brace in the string.
    pub offset: usize,
    /// What it refers to.
    pub kind: PlaceholderKind,
}

impl PlaceholderKind {
    fn classify(text: &str) -> PlaceholderKind {
        if let Some(rest) = text.strip_prefix("resources.") {
            let (resource, field) = rest.split_once('.').unwrap_or((rest, ""));
            return PlaceholderKind::ParentField {
                resource: resource.to_owned(),
                field: field.to_owned(),
            };
        }
        if let Some(rest) = text.strip_prefix("incremental.") {
            return PlaceholderKind::Incremental(rest.to_owned());
        }
        if text == "parent_id" {
            return PlaceholderKind::ParentId;
        }
        PlaceholderKind::Name(text.to_owned())
    }
}

/// Why a template does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset of the brace at fault.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Literal text (escapes already undone).
    Text(String),
    /// A placeholder.
    Placeholder(Placeholder),
}

/// A parsed template string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`.
    ///
    /// ```
    /// use connector_spec::template::{PlaceholderKind, Template};
    /// let t = Template::parse("/users/{resources.users.id}/posts?x={{1}}").unwrap();
    /// let kinds: Vec<_> = t.placeholders().map(|p| &p.kind).collect();
    /// assert_eq!(
    ///     kinds,
    ///     [&PlaceholderKind::ParentField { resource: "users".into(), field: "id".into() }]
    /// );
    /// assert_eq!(
    ///     Template::parse("/a/{b").unwrap_err().to_string(),
    ///     "`{` at character 4 has no closing `}` (write `{{` for a literal brace)"
    /// );
    /// ```
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'{' if bytes.get(i + 1) == Some(&b'{') => {
                    literal.push('{');
                    i += 2;
                }
                b'}' if bytes.get(i + 1) == Some(&b'}') => {
                    literal.push('}');
                    i += 2;
                }
                b'{' => {
                    let Some(len) = text[i + 1..].find('}') else {
                        return Err(TemplateError {
                            offset: i,
                            message: format!(
                                "`{{` at character {} has no closing `}}` (write `{{{{` for a \
                                 literal brace)",
                                i + 1
                            ),
                        });
                    };
                    let inner = text[i + 1..i + 1 + len].trim();
                    if inner.is_empty() {
                        return Err(TemplateError {
                            offset: i,
                            message: format!(
                                "empty placeholder `{{}}` at character {} (write `{{{{}}}}` for \
                                 literal braces)",
                                i + 1
                            ),
                        });
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Placeholder(Placeholder {
                        kind: PlaceholderKind::classify(inner),
                        text: inner.to_owned(),
                        offset: i,
                    }));
                    i += len + 2;
                }
                _ => {
                    // Copy the whole UTF-8 character.
                    let c = text[i..].chars().next().unwrap_or_default();
                    literal.push(c);
                    i += c.len_utf8().max(1);
                }
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The placeholders, in order.
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(p) => Some(p),
            Part::Text(_) => None,
        })
    }

    /// The template with placeholder `{name}` replaced by `value` as literal text (a plain
    /// `params` value bound into the path, as dlt binds it).
    pub fn bind(&self, name: &str, value: &str) -> Template {
        let mut parts: Vec<Part> = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            let text = match part {
                Part::Placeholder(p) if p.kind == PlaceholderKind::Name(name.to_owned()) => {
                    value.to_owned()
                }
                Part::Text(t) => t.clone(),
                Part::Placeholder(_) => {
                    parts.push(part.clone());
                    continue;
                }
            };
            match parts.last_mut() {
                Some(Part::Text(previous)) => previous.push_str(&text),
                _ => parts.push(Part::Text(text)),
            }
        }
        Template { parts }
    }

    /// The text when the template has no placeholder.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Placeholder(_) => return None,
            }
        }
        Some(out)
    }

    /// The template as written, escapes restored.
    pub fn source(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(&t.replace('{', "{{").replace('}', "}}")),
                Part::Placeholder(p) => {
                    out.push('{');
                    out.push_str(&p.text);
                    out.push('}');
                }
            }
        }
        out
    }

    /// Fills every placeholder with `lookup`'s value as text; `encode` is applied to
    /// substituted values (path segments are percent-encoded, params are not). The error is
    /// the first placeholder `lookup` has no value for.
    pub fn render<'t>(
        &'t self,
        lookup: &dyn Fn(&Placeholder) -> Option<Value>,
        encode: fn(&str) -> String,
    ) -> Result<String, &'t Placeholder> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Placeholder(p) => {
                    let value = lookup(p).ok_or(p)?;
                    out.push_str(&encode(&value_text(&value)));
                }
            }
        }
        Ok(out)
    }

    /// Like [`Template::render`], but a template that is one placeholder alone keeps the
    /// value's JSON type (a number stays a number in a JSON body).
    pub fn render_value<'t>(
        &'t self,
        lookup: &dyn Fn(&Placeholder) -> Option<Value>,
    ) -> Result<Value, &'t Placeholder> {
        if let [Part::Placeholder(p)] = self.parts.as_slice() {
            return lookup(p).ok_or(p);
        }
        self.render(lookup, |s| s.to_owned()).map(Value::String)
    }
}

/// A JSON value as it appears in a URL or header: strings bare, null empty, everything else
/// as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A JSON request body whose strings are templates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonTemplate {
    /// A value with no placeholder inside (a string's escapes already undone).
    Literal(Value),
    /// A string with placeholders.
    Text(Template),
    /// A list.
    List(Vec<JsonTemplate>),
    /// An object, keys in order.
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    /// Parses every string of `value`; the error carries the dot path of the bad string.
    pub fn parse(value: &Value) -> Result<JsonTemplate, (String, TemplateError)> {
        fn walk(value: &Value, path: &str) -> Result<JsonTemplate, (String, TemplateError)> {
            Ok(match value {
                Value::String(s) => {
                    let t = Template::parse(s).map_err(|e| (path.to_owned(), e))?;
                    match t.as_literal() {
                        Some(text) => JsonTemplate::Literal(Value::String(text)),
                        None => JsonTemplate::Text(t),
                    }
                }
                Value::Array(items) => JsonTemplate::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| walk(v, &format!("{path}[{i}]")))
                        .collect::<Result<_, _>>()?,
                ),
                Value::Object(map) => JsonTemplate::Object(
                    map.iter()
                        .map(|(k, v)| {
                            let sub = if path.is_empty() {
                                k.clone()
                            } else {
                                format!("{path}.{k}")
                            };
                            Ok((k.clone(), walk(v, &sub)?))
                        })
                        .collect::<Result<_, _>>()?,
                ),
                other => JsonTemplate::Literal(other.clone()),
            })
        }
        walk(value, "")
    }

    /// Every template inside, with its dot path.
    pub fn templates(&self) -> Vec<(String, &Template)> {
        fn walk<'a>(t: &'a JsonTemplate, path: String, out: &mut Vec<(String, &'a Template)>) {
            match t {
                JsonTemplate::Literal(_) => {}
                JsonTemplate::Text(t) => out.push((path, t)),
                JsonTemplate::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, format!("{path}[{i}]"), out);
                    }
                }
                JsonTemplate::Object(fields) => {
                    for (k, v) in fields {
                        let sub = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        walk(v, sub, out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(self, String::new(), &mut out);
        out
    }

    /// The body with every placeholder filled.
    pub fn render<'t>(
        &'t self,
        lookup: &dyn Fn(&Placeholder) -> Option<Value>,
    ) -> Result<Value, &'t Placeholder> {
        Ok(match self {
            JsonTemplate::Literal(v) => v.clone(),
            JsonTemplate::Text(t) => t.render_value(lookup)?,
            JsonTemplate::List(items) => Value::Array(
                items
                    .iter()
                    .map(|v| v.render(lookup))
                    .collect::<Result<_, _>>()?,
            ),
            JsonTemplate::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.render(lookup)?)))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}

/// Every placeholder of `s`, in order; none when `s` does not parse (validation reports that
/// error where the string is written).
pub fn placeholders(s: &str) -> Vec<Placeholder> {
    Template::parse(s)
        .map(|t| t.placeholders().cloned().collect())
        .unwrap_or_default()
}

/// Every string inside a JSON value, with its dot path below `base`.
#[cfg(feature = "yaml")]
pub(crate) fn json_strings<'a>(value: &'a Value, base: &str, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((base.to_owned(), s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                json_strings(item, &format!("{base}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let path = if base.is_empty() {
                    key.clone()
                } else {
                    format!("{base}.{key}")
                };
                json_strings(item, &path, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lookup(p: &Placeholder) -> Option<Value> {
        match p.text.as_str() {
            "resources.users.id" => Some(json!(7)),
            "name" => Some(json!("a b/c")),
            _ => None,
        }
    }

    fn encode(s: &str) -> String {
        s.replace(' ', "%20").replace('/', "%2F")
    }

    #[test]
    fn finds_and_classifies() {
        let found = placeholders(
            "/a/{resources.users.id}/{parent_id}/{{x}}/{incremental.start_value}/{ q }",
        );
        let kinds: Vec<_> = found.iter().map(|p| p.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                PlaceholderKind::ParentField {
                    resource: "users".into(),
                    field: "id".into()
                },
                PlaceholderKind::ParentId,
                PlaceholderKind::Incremental("start_value".into()),
                PlaceholderKind::Name("q".into()),
            ]
        );
        assert_eq!(found[0].offset, 3);
    }

    #[test]
    fn renders_and_escapes() {
        let t = Template::parse("/u/{resources.users.id}/x/{name}?{{lit}}é").unwrap();
        assert_eq!(
            t.render(&lookup, encode).unwrap(),
            "/u/7/x/a%20b%2Fc?{lit}é"
        );
        assert_eq!(t.source(), "/u/{resources.users.id}/x/{name}?{{lit}}é");
        let unbound = Template::parse("{nope}").unwrap();
        assert_eq!(unbound.render(&lookup, encode).unwrap_err().text, "nope");
    }

    #[test]
    fn binding_a_name_makes_it_text() {
        let t = Template::parse("/{org}/{repo}/issues/{resources.p.id}").unwrap();
        let bound = t.bind("org", "dlt-hub").bind("repo", "dlt");
        assert_eq!(bound.source(), "/dlt-hub/dlt/issues/{resources.p.id}");
        assert_eq!(bound.parts().len(), 2, "adjacent text is one part");
    }

    #[test]
    fn unclosed_and_empty_braces_are_errors() {
        assert_eq!(Template::parse("/a/{b").unwrap_err().offset, 3);
        assert!(Template::parse("x{}").is_err());
        assert!(placeholders("/a/{b").is_empty());
        assert_eq!(Template::parse("{{}}").unwrap().as_literal().unwrap(), "{}");
    }

    #[test]
    fn json_keeps_types() {
        let body = json!({"id": "{resources.users.id}", "s": "u-{resources.users.id}", "n": [1], "l": "{{x}}"});
        let t = JsonTemplate::parse(&body).unwrap();
        assert_eq!(
            t.render(&lookup).unwrap(),
            json!({"id": 7, "s": "u-7", "n": [1], "l": "{x}"})
        );
        let paths: Vec<String> = t.templates().into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["id", "s"]);
        let err = JsonTemplate::parse(&json!({"a": ["{oops"]})).unwrap_err();
        assert_eq!(err.0, "a[0]");
    }
}
