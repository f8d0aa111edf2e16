//! Text without NUL characters, for a destination whose text cannot hold them (PostgreSQL
//! refuses `\0` in `text` and `\u0000` in `jsonb`). Each NUL becomes U+FFFD, the replacement
//! character, and every table column where that happened is named in the load's warnings:
//! the row is kept and the change is visible.

use std::borrow::Cow;

use crate::types::Cell;

/// `cell` with its NULs replaced; `json` when the text is a JSON document (its NULs are
/// `\u0000` escapes). `None` when there was none (the common case: one scan, no copy).
pub(crate) fn replaced(cell: &Cell<'_>, json: bool) -> Option<Cell<'static>> {
    let Cell::Str(text) = cell else {
        return None;
    };
    let clean = if json {
        json_without_nul(text)?
    } else {
        if !text.contains('\0') {
            return None;
        }
        text.replace('\0', "\u{FFFD}")
    };
    Some(Cell::Str(Cow::Owned(clean)))
}

/// `\u0000` escapes of a serialized JSON document as `\ufffd`. An escaped backslash followed
/// by `u0000` (`\\u0000`, the text `\u0000`) is left as it is.
fn json_without_nul(text: &str) -> Option<String> {
    if !text.contains("\\u0000") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at..];
        if let Some(after) = escape.strip_prefix("\\u0000") {
            out.push_str("\\ufffd");
            rest = after;
            changed = true;
        } else {
            // Every escape is a backslash and one ASCII character (`\uXXXX`'s digits are
            // copied as plain text next).
            let end = escape.len().min(2);
            out.push_str(&escape[..end]);
            rest = &escape[end..];
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(cell: Option<Cell<'_>>) -> Option<String> {
        match cell {
            Some(Cell::Str(s)) => Some(s.into_owned()),
            _ => None,
        }
    }

    #[test]
    fn text_nuls_become_replacement_characters() {
        let cell = Cell::Str(Cow::Borrowed("a\0b\0"));
        assert_eq!(text(replaced(&cell, false)).unwrap(), "a\u{FFFD}b\u{FFFD}");
        assert!(replaced(&Cell::Str(Cow::Borrowed("plain")), false).is_none());
        assert!(replaced(&Cell::Int(0), false).is_none());
    }

    #[test]
    fn json_nul_escapes_are_replaced_but_escaped_backslashes_are_not() {
        let doc =
            serde_json::to_string(&serde_json::json!({"k\u{0}": ["x\u{0}", "\\u0000"]})).unwrap();
        let clean = text(replaced(&Cell::Str(Cow::Owned(doc)), true)).unwrap();
        let back: serde_json::Value = serde_json::from_str(&clean).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"k\u{FFFD}": ["x\u{FFFD}", "\\u0000"]})
        );
        assert!(replaced(&Cell::Str(Cow::Borrowed(r#"{"a":"\\u0000"}"#)), true).is_none());
    }
}
