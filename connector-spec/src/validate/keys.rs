//! Primary and merge keys: declared columns, and set when a resource merges.

use crate::model::*;
use crate::suggest::{did_you_mean, list};

use super::{column_names, declared, Problems, Res};

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
                let origin = res.origin(field, own);
                let from = if own {
                    String::new()
                } else {
                    " (from resource_defaults)".to_owned()
                };
                p.error(
                    if own {
                        origin
                    } else {
                        format!("{}.columns", res.path())
                    },
                    format!(
                        "{field} `{key}`{from} is not a declared column of `{}`; columns: {}",
                        r.name,
                        list(&names)
                    ),
                )
                .at_key()
                .maybe_help(
                    did_you_mean(key, &names)
                        .or_else(|| Some(format!("declare column `{key}` or fix the key"))),
                );
            }
        }
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
