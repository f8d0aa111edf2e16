//! A spec string that is another tool's way to read a secret (`dlt.secrets["api_key"]`,
//! `${API_KEY}`, `{{ api_key }}`, `os.environ["API_KEY"]`): pasted from a dlt config or a
//! template, it would be sent to the API as that literal text. The fix is `{ secret: NAME }`.

use serde_json::Value;

use crate::model::Spec;
use crate::naming::{sanitize, Case};

use super::{is_lower_snake, Problems};

/// Every string of the spec that reads like a secret reference of another tool.
pub(super) fn foreign_secret_refs(spec: &Spec, p: &mut Problems) {
    let Ok(tree) = serde_json::to_value(spec) else {
        return;
    };
    let mut found = Vec::new();
    walk(&tree, String::new(), &mut found);
    for (path, text) in found {
        let Some((what, raw_name)) = reference(&text) else {
            continue;
        };
        let name = secret_name(&spec.name, &raw_name);
        let var = format!("{}__{}", spec.name.to_uppercase(), name.to_uppercase());
        p.error(
            path,
            format!(
                "`{}` looks like {what}: a spec does not evaluate it, and would send it to the API as literal text",
                text.trim()
            ),
        )
        .help(format!(
            "write `{{ secret: {name} }}` instead; its value comes from the environment variable {var} or `{name}` in [sources.{}] of secrets.toml",
            spec.name
        ));
    }
}

/// Whether `text` is another tool's secret reference (reported by [`foreign_secret_refs`], so
/// other rules need not report it again).
pub(super) fn is_reference(text: &str) -> bool {
    reference(text).is_some()
}

fn walk(value: &Value, path: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((path, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                walk(item, crate::position::join_key(&path, key), out);
            }
        }
        _ => {}
    }
}

/// What kind of reference `text` holds, and the name it reads.
fn reference(text: &str) -> Option<(&'static str, String)> {
    if let Some(rest) = after(text, "dlt.secrets") {
        return Some(("a dlt secret reference", key_of(rest)?));
    }
    for prefix in ["os.environ.get(", "os.getenv(", "os.environ"] {
        if let Some(rest) = after(text, prefix) {
            let rest = if prefix.ends_with('(') {
                rest
            } else {
                rest.strip_prefix('[')?
            };
            return Some(("Python reading an environment variable", quoted(rest)?));
        }
    }
    if let Some(rest) = after(text, "${") {
        let inner = &rest[..rest.find('}')?];
        let inner = inner.split([':', '-']).next().unwrap_or(inner).trim();
        if is_identifier(inner) {
            return Some(("an environment variable reference", inner.to_owned()));
        }
    }
    if let Some(rest) = after(text, "{{") {
        let inner = rest[..rest.find("}}")?].trim();
        // `{{ config['api_key'] }}`, `{{ secrets.api_key }}`, `{{ api_key }}`.
        let name = if let Some(i) = inner.find('[') {
            quoted(&inner[i + 1..])?
        } else {
            inner.rsplit('.').next()?.trim().to_owned()
        };
        if is_identifier(&name) {
            return Some(("a template variable", name));
        }
    }
    None
}

/// The text after the first `marker`.
fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    text.find(marker).map(|i| &text[i + marker.len()..])
}

/// `["a"]`, `['a']`, `.a`, `.get("a")`, `["sources.x.a"]` -> the last dotted segment.
fn key_of(rest: &str) -> Option<String> {
    let key = if let Some(r) = rest.strip_prefix('[') {
        quoted(r)?
    } else if let Some(r) = rest.strip_prefix(".get(") {
        quoted(r)?
    } else {
        let r = rest.strip_prefix('.')?;
        r.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .next()?
            .to_owned()
    };
    let last = key.rsplit('.').next()?.to_owned();
    is_identifier(&last).then_some(last)
}

/// The contents of a quoted string at the start of `text`.
fn quoted(text: &str) -> Option<String> {
    let text = text.trim_start();
    let quote = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = &text[1..];
    Some(inner[..inner.find(quote)?].to_owned())
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// The secret name suggested for a reference: `API_KEY`, `SHOP__API_KEY` and
/// `SOURCES__SHOP__API_KEY` all become `api_key`.
fn secret_name(connector: &str, raw: &str) -> String {
    let upper = raw.to_uppercase();
    let prefix = format!("{}__", connector.to_uppercase());
    let short = upper
        .strip_prefix("SOURCES__")
        .unwrap_or(&upper)
        .strip_prefix(prefix.as_str())
        .unwrap_or(upper.strip_prefix("SOURCES__").unwrap_or(&upper));
    let name = sanitize(short, Case::Snake);
    if is_lower_snake(&name) {
        name
    } else {
        "api_key".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_their_names() {
        let cases = [
            ("dlt.secrets[\"client_id\"]", "client_id"),
            ("dlt.secrets['sources.shop.api_key']", "api_key"),
            ("dlt.secrets.api_token", "api_token"),
            ("Bearer ${SHOP__TOKEN}", "token"),
            ("${API_KEY:-x}", "api_key"),
            ("{{ config['client_secret'] }}", "client_secret"),
            ("{{ api_key }}", "api_key"),
            ("os.environ[\"SOURCES__SHOP__PASSWORD\"]", "password"),
            ("os.getenv('API_KEY')", "api_key"),
        ];
        for (text, name) in cases {
            let (_, raw) = reference(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(secret_name("shop", &raw), name, "{text}");
        }
        for text in [
            "/users/{id}",
            "{incremental.start_value}",
            "$5 off",
            "a {{b",
            "https://x/{{",
        ] {
            assert!(reference(text).is_none(), "{text}");
        }
    }
}
