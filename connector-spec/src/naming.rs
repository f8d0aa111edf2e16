//! Every name rule of the project, in one place: spec names (resources, columns, secrets) as
//! Rust identifiers, and the column a parent field becomes in a child record.
//!
//! One function, [`sanitize`], makes every identifier, so a name is spelled the same way in
//! every place it appears (the generated code, validation's suggested fixes). A name that
//! changed keeps its original in `#[serde(rename)]`; the generator asks [`needs_rename`]
//! rather than comparing strings itself.

use heck::{ToPascalCase, ToSnakeCase};

/// The case an identifier is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// `snake_case`: fields, methods, modules.
    Snake,
    /// `PascalCase`: types.
    Pascal,
    /// `SCREAMING_SNAKE_CASE`: constants.
    ScreamingSnake,
}

/// Rust keywords (strict and reserved, all editions). `self`, `Self`, `super` and `crate`
/// cannot be raw identifiers, so every keyword gets a trailing underscore instead of `r#`:
/// one rule, and the generated field reads the same in every position (`record.type_`).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// A valid Rust identifier for `name` in `case`.
///
/// Characters other than letters, digits and `_` separate words (`first-name`, `first name`
/// and `firstName` all become `first_name`); a name starting with a digit gets an `x` in front
/// (`2fa` -> `x2fa`); a keyword gets a trailing `_` (`type` -> `type_`); a name with no letter
/// or digit at all becomes `x`.
pub fn sanitize(name: &str, case: Case) -> String {
    let words: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut ident = match case {
        Case::Snake => words.to_snake_case(),
        Case::Pascal => words.to_pascal_case(),
        Case::ScreamingSnake => words.to_snake_case().to_uppercase(),
    };
    ident.retain(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident.is_empty() {
        ident.push('x');
    }
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident.insert(0, if case == Case::Snake { 'x' } else { 'X' });
    }
    if KEYWORDS.contains(&ident.as_str()) {
        ident.push('_');
    }
    ident
}

/// Whether the Rust field for `original` needs `#[serde(rename = "...")]`.
pub fn needs_rename(original: &str, ident: &str) -> bool {
    original != ident
}

/// The column a parent field becomes in each child record (`include_from_parent`):
/// `_<parent>_<field>`, dlt's `make_parent_key_name`, with the dots of a nested field path
/// written as `_` as dlt's snake_case naming writes them.
///
/// ```
/// use connector_spec::naming::parent_column;
/// assert_eq!(parent_column("users", "id"), "_users_id");
/// assert_eq!(parent_column("users", "location.region"), "_users_location_region");
/// ```
pub fn parent_column(parent: &str, field: &str) -> String {
    format!("_{parent}_{}", field.replace('.', "_"))
}

/// An English singular of a plural resource name, for the record type (`users` -> `user`,
/// `inventories` -> `inventory`). Words that do not look plural are left alone.
pub fn singular(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let cut = |n: usize| name[..name.len() - n].to_owned();
    if lower.ends_with("ies") && name.len() > 3 {
        return format!("{}y", cut(3));
    }
    for suffix in ["sses", "shes", "ches", "xes", "zzes"] {
        if lower.ends_with(suffix) {
            return cut(2);
        }
    }
    let keeps_s = ["ss", "us", "is", "as"];
    if lower.ends_with('s') && name.len() > 1 && !keeps_s.iter().any(|k| lower.ends_with(k)) {
        return cut(1);
    }
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_table() {
        let cases = [
            ("id", Case::Snake, "id"),
            ("lastContactTime", Case::Snake, "last_contact_time"),
            ("first-name", Case::Snake, "first_name"),
            ("first name", Case::Snake, "first_name"),
            ("Account-Id", Case::Snake, "account_id"),
            ("type", Case::Snake, "type_"),
            ("self", Case::Snake, "self_"),
            ("Self", Case::Pascal, "Self_"),
            ("2fa", Case::Snake, "x2fa"),
            ("2fa", Case::Pascal, "X2fa"),
            ("_users_id", Case::Snake, "users_id"),
            ("@odata.etag", Case::Snake, "odata_etag"),
            ("$", Case::Snake, "x"),
            ("résumé", Case::Snake, "rsum"),
            ("users", Case::Pascal, "Users"),
            ("resource_name", Case::Pascal, "ResourceName"),
            ("api_key", Case::ScreamingSnake, "API_KEY"),
        ];
        for (input, case, expected) in cases {
            assert_eq!(sanitize(input, case), expected, "{input} as {case:?}");
        }
    }

    #[test]
    fn singular_table() {
        let cases = [
            ("users", "user"),
            ("inventories", "inventory"),
            ("company", "company"),
            ("addresses", "address"),
            ("status", "status"),
            ("boxes", "box"),
            ("resource_name", "resource_name"),
            ("s", "s"),
            ("data", "data"),
            ("repos", "repo"),
        ];
        for (input, expected) in cases {
            assert_eq!(singular(input), expected, "{input}");
        }
    }

    #[test]
    fn rename_only_when_changed() {
        assert!(!needs_rename("id", "id"));
        assert!(needs_rename("type", "type_"));
    }
}
