//! serde's error messages rewritten as friendly diagnostics: an unknown key with what the
//! mapping takes and a did-you-mean, an unknown variant with the valid names, a missing key,
//! a type mismatch in words, a negative number where only 0 or more fits.

use serde_yaml::Value;

use crate::position::{join_key, parent_path, Pos};
use crate::suggest::{did_you_mean, list};

use super::{value_at, Loader};

impl Loader<'_> {
    /// One serde error at `path`, as a diagnostic.
    pub(super) fn serde_error(&mut self, path: &str, message: &str) {
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let (field, expected) = split_backticked(rest);
            // serde_path_to_error may or may not have pushed the unknown key onto the path.
            let container = match path.rsplit(['.', ']']).next() {
                Some(last) if last == field => parent_path(path).unwrap_or_default().to_owned(),
                _ => path.to_owned(),
            };
            let expected = backticked_list(expected);
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            let key_path = join_key(&container, field);
            self.unknown_field(&container, field, &expected, &key_path);
        } else if let Some(rest) = message.strip_prefix("unknown variant `") {
            let (variant, expected) = split_backticked(rest);
            let mut expected = backticked_list(expected);
            // Aliases that differ only in case (`POST` / `post`) are listed once.
            let mut seen = Vec::new();
            expected.retain(|e| {
                let lower = e.to_lowercase();
                let first = !seen.contains(&lower);
                seen.push(lower);
                first
            });
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            // A tagged mapping (`{ type: x }`) or a plain word (`write_disposition: x`).
            let (container, tagged) = match path.strip_suffix(".type") {
                Some(container) => (container, true),
                None => (path, false),
            };
            let noun = variant_noun(container, tagged);
            let message = format!("{noun} `{variant}` is unknown; valid: {}", list(&expected));
            let help = did_you_mean(variant, &expected);
            self.error_value(path, message, help);
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            let (field, _) = split_backticked(rest);
            let help = match field {
                "access_token_url" => {
                    Some("the token endpoint; `token_url` is accepted too".to_owned())
                }
                "type" => Some(format!("add `type:` ({})", type_choices(path))),
                _ => None,
            };
            let at_key = self
                .index
                .key(path)
                .or_else(|| self.index.locate_value(path));
            let pos = at_key.unwrap_or(Pos { line: 1, column: 1 });
            self.error_at(pos, path, format!("missing required key `{field}`"), help);
        } else if let Some(found) = negative_for_unsigned(message) {
            let key = path.rsplit('.').next().unwrap_or(path);
            let help = (key == "limit").then(|| "`limit` is a page size: 1 or more".to_owned());
            self.error_value(path, format!("`{key}` must be >= 0, found {found}"), help);
        } else if let Some(rest) = message.strip_prefix("invalid type: ") {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            let message = format!("expected {}, found {found}", friendly_expected(expected));
            self.error_value(path, message, None);
        } else {
            self.error_value(path, message.to_owned(), None);
        }
    }

    pub(super) fn unknown_field(
        &mut self,
        container: &str,
        field: &str,
        expected: &[&str],
        key_path: &str,
    ) {
        let last = container.rsplit('.').next().unwrap_or_default();
        let kind = value_at(&self.root, container)
            .and_then(|v| v.get("type"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let message = match (last, kind) {
            ("paginator", Some(kind)) => format!(
                "`{field}` is not a parameter of paginator `{kind}`; it takes: {}",
                list_or_none(expected)
            ),
            ("auth", Some(kind)) => format!(
                "`{field}` is not a field of auth type `{kind}`; it takes: {}",
                list_or_none(expected)
            ),
            _ if expected.is_empty() => {
                format!("unknown key `{field}`; this mapping takes no keys")
            }
            _ => format!("unknown key `{field}`; expected one of: {}", list(expected)),
        };
        let help = did_you_mean(field, expected);
        let pos = self
            .index
            .locate_key(key_path)
            .unwrap_or(Pos { line: 1, column: 1 });
        self.error_at(pos, key_path, message, help);
    }
}

/// serde's Rust-flavoured expectations in words.
fn friendly_expected(expected: &str) -> String {
    match expected {
        "i64" | "i32" => "an integer".into(),
        "u64" | "u32" | "u16" | "u8" | "usize" => "a whole number (0 or more)".into(),
        "f64" | "f32" => "a number".into(),
        "a boolean" | "bool" => "`true` or `false`".into(),
        "a sequence" => "a list".into(),
        "a map" => "a mapping".into(),
        other if other.starts_with("struct ") => "a mapping".into(),
        other => other.into(),
    }
}

/// The negative number of serde's "invalid value: integer `-1`, expected u64" (a negative
/// number where the model has an unsigned type).
fn negative_for_unsigned(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("invalid value: integer `")?;
    let (found, expected) = split_backticked(rest);
    let expected = expected.strip_prefix(", expected ")?;
    let unsigned = expected == "usize"
        || expected
            .strip_prefix('u')
            .is_some_and(|bits| !bits.is_empty() && bits.chars().all(|c| c.is_ascii_digit()));
    (found.starts_with('-') && unsigned).then_some(found)
}

/// `x`, rest` -> (`x`, `rest`).
fn split_backticked(rest: &str) -> (&str, &str) {
    match rest.find('`') {
        Some(end) => (&rest[..end], &rest[end + 1..]),
        None => (rest, ""),
    }
}

/// Every `word` in serde's ", expected one of `a`, `b`" tail.
fn backticked_list(tail: &str) -> Vec<String> {
    tail.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_owned())
        .collect()
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "no parameters".to_owned()
    } else {
        list(items)
    }
}

/// What kind of name an unknown variant at `path` was meant to be.
fn variant_noun(path: &str, tagged: bool) -> String {
    let last = path.rsplit(['.', '[']).next().unwrap_or_default();
    let parent = parent_path(path)
        .and_then(|p| p.rsplit(['.', '[']).next())
        .unwrap_or_default();
    match (last, tagged) {
        ("paginator", _) => "paginator type".into(),
        (_, false) if parent == "stop_condition" => "stop condition kind".into(),
        ("auth", _) => "auth type".into(),
        (_, true) if parent == "params" => "parameter type".into(),
        (_, true) => "type".into(),
        ("write_disposition" | "disposition", false) => "write disposition".into(),
        ("strategy", false) => "merge strategy".into(),
        ("data_type", false) => "data type".into(),
        ("location", false) => "api_key location".into(),
        ("method", false) => "HTTP method".into(),
        ("action", false) => "response action".into(),
        ("client_auth", false) => "client_auth".into(),
        ("last_value_func", false) => "last_value_func".into(),
        ("on_cursor_value_missing", false) => "on_cursor_value_missing".into(),
        ("row_order", false) => "row_order".into(),
        _ => "value".into(),
    }
}

fn type_choices(path: &str) -> &'static str {
    let last = path.rsplit(['.', '[']).next().unwrap_or_default();
    match last {
        "paginator" => {
            "single_page, page_number, offset, cursor, json_link, header_link, header_cursor, auto"
        }
        "auth" => "bearer, api_key, http_basic, oauth2_client_credentials, oauth2_refresh_token",
        _ => "resolve or incremental",
    }
}
