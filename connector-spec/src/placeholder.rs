//! `{placeholder}`s in paths, params, headers and JSON bodies, and what each one refers to.

/// What a `{...}` placeholder refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Names allowed after `incremental.`.
pub const INCREMENTAL_PLACEHOLDERS: &[&str] =
    &["start_value", "initial_value", "last_value", "end_value"];

/// One placeholder found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Every `{placeholder}` in `s`, in order. `{{` and `}}` are literal braces (Python's
/// `str.format` escapes, which dlt inherits); an unclosed `{` is not a placeholder.
pub fn placeholders(s: &str) -> Vec<Placeholder> {
    let bytes = s.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => i += 2,
            b'}' if bytes.get(i + 1) == Some(&b'}') => i += 2,
            b'{' => match s[i + 1..].find('}') {
                Some(len) => {
                    let text = s[i + 1..i + 1 + len].trim().to_owned();
                    found.push(Placeholder {
                        kind: PlaceholderKind::classify(&text),
                        text,
                        offset: i,
                    });
                    i += len + 2;
                }
                None => break,
            },
            _ => i += 1,
        }
    }
    found
}

/// Every string inside a JSON value, with its dot path below `base`.
pub(crate) fn json_strings<'a>(
    value: &'a serde_json::Value,
    base: &str,
    out: &mut Vec<(String, &'a str)>,
) {
    match value {
        serde_json::Value::String(s) => out.push((base.to_owned(), s)),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                json_strings(item, &format!("{base}[{i}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
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
    fn unclosed_brace_is_text() {
        assert!(placeholders("/a/{b").is_empty());
    }
}
