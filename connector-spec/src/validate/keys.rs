//! Primary and merge keys: declared columns, never nullable (primary), and set when a
//! resource merges.

use crate::suggest::{did_you_mean, list};
use crate::vocabulary::*;

use super::{column_names, declared, Problems, Res};

/// Each primary / merge key should name a declared column; dlt allows one that does not, so it
/// is a warning. It is reported where the key is written (in `resource_defaults` when it came
/// from there); the columns are the secondary place.
pub(super) fn keys_among_columns(res: &Res, p: &mut Problems) {
    let r = &res.resolved;
    if r.columns.is_empty() {
        return;
    }
    let names = column_names(&r.columns);
    for (field, keys, own) in [
        ("primary_key", &r.primary_key, res.raw.primary_key.is_some()),
        ("merge_key", &r.merge_key, res.raw.merge_key.is_some()),
    ] {
        for key in keys {
            if !declared(&r.columns, key) {
                let from = if own { "" } else { " (from resource_defaults)" };
                // dlt allows it (columns may hint a few fields only); said, since a typo here
                // makes every record fail its key check.
                p.warning(
                    res.origin(field, own),
                    format!(
                        "{field} `{key}`{from} is not a declared column of `{}`; columns: {} \
                         (the key is read from the records, untyped)",
                        r.name,
                        list(&names)
                    ),
                )
                .at_key()
                .label(
                    columns_origin(res),
                    format!("the columns of `{}` are declared here", r.name),
                )
                .maybe_help(
                    did_you_mean(key, &names)
                        .or_else(|| Some(format!("declare column `{key}` or fix the key"))),
                );
            }
        }
    }
}

/// A primary key column is never null: one declared `nullable: true` contradicts the key.
pub(super) fn primary_key_not_nullable(res: &Res, p: &mut Problems) {
    let r = &res.resolved;
    let own = res.raw.primary_key.is_some();
    for key in &r.primary_key {
        let Some(column) = r.columns.get(key) else {
            continue;
        };
        if column.nullable != Some(true) {
            continue;
        }
        let column_path = if res.raw.columns.contains_key(key) {
            format!("{}.columns.{key}", res.path())
        } else {
            format!("resource_defaults.columns.{key}")
        };
        let from = if own { "" } else { " (from resource_defaults)" };
        p.error(
            res.origin("primary_key", own),
            format!(
                "primary_key `{key}`{from} of `{}` is a column declared `nullable: true`; a primary key is never null",
                r.name
            ),
        )
        .at_key()
        .label(
            format!("{column_path}.nullable"),
            format!("column `{key}` is declared nullable here"),
        )
        .help(format!(
            "remove `nullable: true` from column `{key}` (or set `nullable: false`), or choose another primary key"
        ));
    }
}

/// Where a resource's columns are declared: the resource, else `resource_defaults`.
fn columns_origin(res: &Res) -> String {
    if res.raw.columns.is_empty() {
        "resource_defaults.columns".to_owned()
    } else {
        format!("{}.columns", res.path())
    }
}

pub(super) fn merge_needs_keys(res: &Res, p: &mut Problems) {
    let r = &res.resolved;
    if r.disposition == Disposition::Merge && r.primary_key.is_empty() && r.merge_key.is_empty() {
        let own = res.raw.write_disposition.is_some();
        p.warning(
            if own {
                format!("{}.write_disposition", res.path())
            } else {
                format!("{}.name", res.path())
            },
            format!(
                "resource `{}` merges but has no primary_key or merge_key, so every run appends",
                r.name
            ),
        )
        .help("add `primary_key:` (or `merge_key:`)");
    }
}

#[cfg(test)]
mod tests {
    use crate::{parse_str, Diagnostic};

    fn errors(yaml: &str) -> Vec<Diagnostic> {
        parse_str(yaml, "keys.yaml").expect_err("the spec is invalid")
    }

    fn warnings(yaml: &str) -> Vec<Diagnostic> {
        parse_str(yaml, "keys.yaml")
            .expect("the spec loads")
            .warnings
    }

    #[test]
    fn a_nullable_primary_key_column_is_an_error_at_the_key_with_the_column_as_label() {
        let d = &errors(
            "\
name: shop
client: { base_url: 'https://api.example.com' }
resources:
  - name: orders
    endpoint: /orders
    primary_key: id
    columns:
      id:
        data_type: bigint
        nullable: true
",
        )[0];
        assert_eq!(
            d.message,
            "primary_key `id` of `orders` is a column declared `nullable: true`; a primary key is never null"
        );
        assert_eq!((d.line, d.column), (6, 5));
        assert_eq!(d.key_path, "resources[0].primary_key");
        assert_eq!(d.labels.len(), 1, "{d:?}");
        assert_eq!((d.labels[0].line, d.labels[0].column), (10, 9));
        assert_eq!(d.labels[0].key_path, "resources[0].columns.id.nullable");
        assert_eq!(d.labels[0].message, "column `id` is declared nullable here");
        assert!(d.to_string().contains("(note: keys.yaml:10:9: column `id`"));
    }

    #[test]
    fn a_nullable_key_column_from_resource_defaults_points_at_both_defaults() {
        let d = &errors(
            "\
name: shop
client: { base_url: 'https://api.example.com' }
resource_defaults:
  primary_key: [id]
  columns:
    id: { data_type: bigint, nullable: true }
resources:
  - name: orders
    endpoint: /orders
",
        )[0];
        assert!(d
            .message
            .starts_with("primary_key `id` (from resource_defaults) of `orders`"));
        assert_eq!((d.line, d.column), (4, 3));
        assert_eq!((d.labels[0].line, d.labels[0].column), (6, 30));
    }

    #[test]
    fn nullable_false_or_unset_primary_key_columns_are_fine() {
        let yaml = "\
name: shop
client: { base_url: 'https://api.example.com' }
resources:
  - name: orders
    endpoint: /orders
    primary_key: [id, region]
    columns:
      id: { data_type: bigint, nullable: false }
      region: { data_type: text }
";
        parse_str(yaml, "keys.yaml").expect("valid");
    }

    #[test]
    fn an_undeclared_primary_key_from_resource_defaults_is_reported_at_the_defaults_key() {
        let d = &warnings(
            "\
name: shop
client: { base_url: 'https://api.example.com' }
resource_defaults:
  primary_key: order_id
resources:
  - name: orders
    endpoint: /orders
    columns:
      id: { data_type: bigint }
",
        )[0];
        assert_eq!(
            d.message,
            "primary_key `order_id` (from resource_defaults) is not a declared column of `orders`; columns: id (the key is read from the records, untyped)"
        );
        assert_eq!((d.line, d.column), (4, 3));
        assert_eq!(d.key_path, "resource_defaults.primary_key");
        assert_eq!((d.labels[0].line, d.labels[0].column), (8, 5));
        assert_eq!(d.labels[0].key_path, "resources[0].columns");
        assert_eq!(
            d.labels[0].message,
            "the columns of `orders` are declared here"
        );
    }

    #[test]
    fn an_undeclared_own_primary_key_is_reported_at_its_key() {
        let d = &warnings(
            "\
name: shop
client: { base_url: 'https://api.example.com' }
resources:
  - name: orders
    endpoint: /orders
    columns:
      id: { data_type: bigint }
    primary_key: idd
",
        )[0];
        assert!(d
            .message
            .starts_with("primary_key `idd` is not a declared column"));
        assert_eq!((d.line, d.column), (8, 5));
        assert_eq!((d.labels[0].line, d.labels[0].column), (6, 5));
        assert_eq!(d.help.as_deref(), Some("did you mean `id`?"));
    }
}
