//! dlt keys the spec accepts so a dlt config ports key by key, but that change nothing here:
//! each is a warning naming the key, never silently ignored.

use serde_json::Value;

use crate::model::*;

use super::Problems;

/// The resource keys of dlt with no effect here, and why.
fn keys(
    table_format: &Option<Value>,
    file_format: &Option<Value>,
    references: &Option<Value>,
    nested_hints: &Option<Value>,
    parent_table_name: &Option<Value>,
) -> [(&'static str, bool, &'static str); 5] {
    [
        (
            "table_format",
            table_format.is_some(),
            "the destinations here write their own tables",
        ),
        (
            "file_format",
            file_format.is_some(),
            "no loader files are written; rows go straight to the destination",
        ),
        (
            "references",
            references.is_some(),
            "no table references are recorded",
        ),
        (
            "nested_hints",
            nested_hints.is_some(),
            "nested data follows max_table_nesting and the column hints",
        ),
        (
            "parent_table_name",
            parent_table_name.is_some(),
            "each resource loads into its own table",
        ),
    ]
}

pub(super) fn dlt_keys_without_effect(spec: &Spec, p: &mut Problems) {
    let mut places = Vec::new();
    if let Some(d) = &spec.resource_defaults {
        places.push((
            "resource_defaults".to_owned(),
            keys(
                &d.table_format,
                &d.file_format,
                &d.references,
                &d.nested_hints,
                &d.parent_table_name,
            ),
        ));
    }
    for (i, entry) in spec.resources.iter().enumerate() {
        if let ResourceEntry::Full(r) = entry {
            places.push((
                format!("resources[{i}]"),
                keys(
                    &r.table_format,
                    &r.file_format,
                    &r.references,
                    &r.nested_hints,
                    &r.parent_table_name,
                ),
            ));
        }
    }
    for (base, found) in places {
        for (key, set, why) in found {
            if set {
                p.warning(
                    format!("{base}.{key}"),
                    format!("`{key}` has no effect here: {why}"),
                )
                .help("remove it, or keep it for dlt; the spec loads either way")
                .at_key();
            }
        }
    }
}
