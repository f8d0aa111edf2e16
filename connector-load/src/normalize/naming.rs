//! The naming conventions: how an API's field names become table and column names. Both are
//! dlt's, rule for rule, so a table loaded here has the names dlt would give it.
//!
//! ```text
//! snake_case: lastContactTime -> last_contact_time   2fa -> _2fa   a-b+c -> a_bxc
//!             trailing_ -> trailingx   __meta__ -> _metaxx   (nesting: location__region)
//! direct:     lastContactTime -> lastContactTime      (nesting: location▶region)
//! ```

use connector_spec::Naming;

/// A field name with nothing in it (empty or only spaces) becomes this column (as in dlt).
const EMPTY_KEY: &str = "_empty";

/// How identifiers are made, and how nested names are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Convention(pub(crate) Naming);

impl Convention {
    /// What joins a parent and a nested name: `location__region`, `users__tags`.
    pub(crate) fn separator(self) -> &'static str {
        match self.0 {
            Naming::SnakeCase => "__",
            Naming::Direct => "▶",
        }
    }

    /// One name as the convention writes it.
    pub(crate) fn identifier(self, name: &str) -> String {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return EMPTY_KEY.to_owned();
        }
        match self.0 {
            Naming::SnakeCase => snake_case(trimmed),
            Naming::Direct => trimmed
                .chars()
                .map(|c| match c {
                    '\n' | '\r' | '\'' | '"' | '▶' => '_',
                    c => c,
                })
                .collect(),
        }
    }

    /// `parent` and `child` joined by the separator (either may already be a joined path).
    pub(crate) fn join(self, parent: &str, child: &str) -> String {
        let mut joined = String::with_capacity(parent.len() + child.len() + 3);
        joined.push_str(parent);
        joined.push_str(self.separator());
        joined.push_str(child);
        joined
    }
}

/// dlt's snake_case: `+ - * @ |` become `x _ x a l`, anything else outside `[A-Za-z0-9_]`
/// (Unicode digits count as digits) becomes `_`; words break before a capital that starts a
/// lowercase run and between a lowercase letter or digit and a capital; lowercase; a leading
/// digit gets `_` in front; each trailing `_` becomes `x`; runs of `_` collapse to one.
pub(crate) fn snake_case(name: &str) -> String {
    // Reduce the alphabet, then replace each run of other characters with one `_`.
    let mut reduced: Vec<char> = Vec::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        let c = match c {
            '+' | '*' => 'x',
            '-' => '_',
            '@' => 'a',
            '|' => 'l',
            c => c,
        };
        if c.is_ascii_alphanumeric() || c == '_' || c.is_numeric() {
            reduced.push(c);
            in_run = false;
        } else if !in_run {
            reduced.push('_');
            in_run = true;
        }
    }
    let reduced = break_words(&break_before_words(&reduced));
    let mut out: String = reduced.iter().flat_map(|c| c.to_lowercase()).collect();
    if out.starts_with(|c: char| c.is_numeric()) {
        out.insert(0, '_');
    }
    let kept = out.trim_end_matches('_').len();
    let trailing = out.len() - kept;
    out.truncate(kept);
    out.extend(std::iter::repeat_n('x', trailing));
    collapse_underscores(&out)
}

/// `([^_])([A-Z][a-z]+)` -> `\1_\2` (non-overlapping, left to right, as `re.sub` does).
fn break_before_words(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let word_follows = chars.get(i + 1).is_some_and(char::is_ascii_uppercase)
            && chars.get(i + 2).is_some_and(char::is_ascii_lowercase);
        if c != '_' && word_follows {
            out.push(c);
            out.push('_');
            // The match consumed the capital and its lowercase run.
            let mut j = i + 1;
            out.push(chars[j]);
            j += 1;
            while chars.get(j).is_some_and(char::is_ascii_lowercase) {
                out.push(chars[j]);
                j += 1;
            }
            i = j;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `([a-z0-9])([A-Z])` -> `\1_\2` (non-overlapping, left to right).
fn break_words(chars: &[char]) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if (c.is_ascii_lowercase() || c.is_ascii_digit())
            && chars.get(i + 1).is_some_and(char::is_ascii_uppercase)
        {
            out.extend([c, '_', chars[i + 1]]);
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn collapse_underscores(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous = None;
    for c in s.chars() {
        if !(c == '_' && previous == Some('_')) {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each expectation is what dlt's snake_case convention gives for the same name.
    #[test]
    fn snake_case_matches_dlt() {
        let cases = [
            ("id", "id"),
            ("lastContactTime", "last_contact_time"),
            ("batteryCapacityPercent", "battery_capacity_percent"),
            ("HTTPResponse", "http_response"),
            ("getHTTPResponseCode", "get_http_response_code"),
            ("Account-Id", "account_id"),
            ("first name", "first_name"),
            ("2fa", "_2fa"),
            ("a+b", "axb"),
            ("a*b", "axb"),
            ("user@host", "userahost"),
            ("a|b", "alb"),
            ("trailing_", "trailingx"),
            ("__meta__", "_metaxx"),
            ("_users_id", "_users_id"),
            ("@odata.etag", "aodata_etag"),
            ("résumé", "r_sumx"),
            ("a  b", "a_b"),
            ("already_snake", "already_snake"),
            ("ABC", "abc"),
            ("v2Api", "v2_api"),
            ("$", "x"),
        ];
        for (name, expected) in cases {
            assert_eq!(snake_case(name), expected, "snake_case({name:?})");
        }
    }

    #[test]
    fn empty_names_and_direct_naming() {
        let snake = Convention(Naming::SnakeCase);
        let direct = Convention(Naming::Direct);
        assert_eq!(snake.identifier("  "), "_empty");
        assert_eq!(direct.identifier("lastContactTime"), "lastContactTime");
        assert_eq!(direct.identifier("it's"), "it_s");
        assert_eq!(snake.join("users", "tags"), "users__tags");
        assert_eq!(direct.join("users", "tags"), "users▶tags");
    }
}
