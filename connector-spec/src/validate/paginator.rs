//! Paginator parameters that fit their type.

use crate::model::*;
use crate::nullable::Nullable;

use super::Problems;

pub(super) fn paginator_rules(paginator: &Paginator, base: &str, p: &mut Problems) {
    let Paginator::Config(config) = paginator else {
        if let Paginator::Name(PaginatorKind::Offset) = paginator {
            p.error(
                base,
                "paginator `offset` needs `limit`; write it as a mapping",
            )
            .help("`paginator: { type: offset, limit: 100 }`");
        }
        return;
    };
    let both = |p: &mut Problems, a: (&str, bool), b: (&str, bool)| {
        if a.1 && b.1 {
            p.error(
                format!("{base}.{}", b.0),
                format!(
                    "`{}` and `{}` both set; the value goes in the query or in the body, not both",
                    a.0, b.0
                ),
            )
            .at_key();
        }
    };
    match config {
        PaginatorConfig::PageNumber(pn) => {
            // Signed in the model (serde reads them as i64); the unsigned ones (`limit`,
            // `offset`, `maximum_offset`) are refused while deserializing (load::messages).
            for (key, value) in [
                ("base_page", pn.base_page),
                ("page", pn.page),
                ("start_from_page", pn.start_from_page),
                ("maximum_page", pn.maximum_page),
            ] {
                if let Some(v) = value.filter(|v| *v < 0) {
                    p.error(
                        format!("{base}.{key}"),
                        format!("`{key}` must be >= 0, found {v}"),
                    );
                }
            }
            both(
                p,
                ("page_param", pn.page_param.is_some()),
                ("page_body_path", pn.page_body_path.is_some()),
            );
            if pn.page.is_some() && pn.start_from_page.is_some() {
                p.error(
                    format!("{base}.start_from_page"),
                    "`page` and `start_from_page` mean the same; keep one",
                )
                .at_key();
            }
            if pn.limit == Some(0) {
                p.error(format!("{base}.limit"), "limit must be at least 1");
            }
            let no_stop = matches!(pn.total_path, Nullable::Null)
                && pn.maximum_page.is_none()
                && pn.has_more_path.is_none()
                && pn.stop_condition.is_none()
                && pn.stop_after_empty_page == Some(false);
            if no_stop {
                p.error(
                    base,
                    "this page_number paginator can never stop: total_path is null, no \
                     maximum_page, no has_more_path, no stop_condition, and \
                     stop_after_empty_page is false (dlt raises here too)",
                )
                .at_key()
                .help("set one of `total_path`, `maximum_page`, `has_more_path`, `stop_condition`, or `stop_after_empty_page: true`");
            }
            if let (Some(max), Some(base_page)) = (pn.maximum_page, pn.base_page) {
                if max < base_page {
                    p.error(
                        format!("{base}.maximum_page"),
                        format!("maximum_page {max} is below base_page {base_page}"),
                    );
                }
            }
        }
        PaginatorConfig::Offset(o) => {
            both(
                p,
                ("offset_param", o.offset_param.is_some()),
                ("offset_body_path", o.offset_body_path.is_some()),
            );
            both(
                p,
                ("limit_param", o.limit_param.is_some()),
                ("limit_body_path", o.limit_body_path.is_some()),
            );
            if o.limit == 0 {
                p.error(format!("{base}.limit"), "limit must be at least 1");
            }
            let no_stop = matches!(o.total_path, Nullable::Null)
                && o.maximum_offset.is_none()
                && o.has_more_path.is_none()
                && o.stop_condition.is_none()
                && o.stop_after_empty_page == Some(false);
            if no_stop {
                p.error(
                    base,
                    "this offset paginator can never stop: total_path is null, no \
                     maximum_offset, no has_more_path, no stop_condition, and \
                     stop_after_empty_page is false (dlt raises here too)",
                )
                .at_key()
                .help("set one of `total_path`, `maximum_offset`, `has_more_path`, `stop_condition`, or `stop_after_empty_page: true`");
            }
        }
        PaginatorConfig::Cursor(c) => {
            both(
                p,
                ("cursor_param", c.cursor_param.is_some()),
                ("cursor_body_path", c.cursor_body_path.is_some()),
            );
            if c.limit == Some(0) {
                p.error(format!("{base}.limit"), "limit must be at least 1");
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::{parse_str, Diagnostic};

    /// The problems of a spec whose one resource has `paginator` (a flow mapping) on line 6.
    fn errors(paginator: &str) -> Vec<Diagnostic> {
        let yaml = format!(
            "\
name: shop
client: {{ base_url: 'https://api.example.com' }}
resources:
  - name: orders
    endpoint:
      paginator: {paginator}
      path: /orders
"
        );
        parse_str(&yaml, "pages.yaml").expect_err("the spec is invalid")
    }

    #[test]
    fn negative_page_numbers_are_errors_naming_the_key() {
        for (key, column) in [
            ("base_page", 50),
            ("page", 45),
            ("start_from_page", 56),
            ("maximum_page", 53),
        ] {
            let d = &errors(&format!("{{ type: page_number, {key}: -1 }}"))[0];
            assert_eq!(d.message, format!("`{key}` must be >= 0, found -1"));
            assert_eq!((d.line, d.column), (6, column), "{key}: {d}");
            assert_eq!(d.key_path, format!("resources[0].endpoint.paginator.{key}"));
        }
    }

    #[test]
    fn zero_page_numbers_are_fine() {
        let yaml = "\
name: shop
client: { base_url: 'https://api.example.com' }
resources:
  - name: orders
    endpoint:
      paginator: { type: page_number, base_page: 0, page: 0, maximum_page: 0 }
      path: /orders
";
        parse_str(yaml, "pages.yaml").expect("valid");
    }

    #[test]
    fn negative_unsigned_paginator_numbers_are_errors_naming_the_key() {
        for (paginator, key, column) in [
            ("{ type: offset, limit: -1 }", "limit", 41),
            ("{ type: offset, limit: 10, offset: -5 }", "offset", 53),
            (
                "{ type: offset, limit: 10, maximum_offset: -5 }",
                "maximum_offset",
                61,
            ),
            ("{ type: page_number, limit: -2 }", "limit", 46),
            ("{ type: cursor, cursor_path: n, limit: -3 }", "limit", 57),
        ] {
            let d = &errors(paginator)[0];
            let found = &paginator[paginator.rfind('-').unwrap()..paginator.len() - 2];
            assert_eq!(d.message, format!("`{key}` must be >= 0, found {found}"));
            assert_eq!((d.line, d.column), (6, column), "{paginator}: {d}");
            assert_eq!(d.key_path, format!("resources[0].endpoint.paginator.{key}"));
        }
    }
}
