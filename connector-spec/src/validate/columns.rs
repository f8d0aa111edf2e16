//! Column hints: nested shapes only on JSON columns, scale only on decimals, a `name` that
//! matches its key, and dlt's table hints that have no effect here said so.

use crate::vocabulary::*;

use super::{Problems, Res};

pub(super) fn columns(res: &Res, p: &mut Problems) {
    for (name, column) in &res.raw.columns {
        let path = format!("{}.columns.{name}", res.path());
        if let Some(written) = column.name.as_deref().filter(|n| n != name) {
            p.error(
                format!("{path}.name"),
                format!("column `{name}` says `name: {written}`; in a mapping the key is the name"),
            )
            .help(format!("rename the key to `{written}`, or remove `name`"));
        }
        for hint in column.hints_without_effect() {
            p.warning(
                format!("{path}.{hint}"),
                format!("column hint `{hint}` has no effect here: tables are created without it"),
            )
            .help("remove it, or keep it for dlt; the spec loads either way")
            .at_key();
        }
        column_rules(column, &path, p);
    }
}

fn column_rules(column: &Column, path: &str, p: &mut Problems) {
    let is_json = matches!(column.data_type, Some(DataType::Json));
    if !is_json && (column.items.is_some() || !column.fields.is_empty()) {
        p.error(
            format!("{path}.data_type"),
            "`items` and `fields` describe a JSON value; this column needs `data_type: json`",
        )
        .at_key();
    }
    if column.items.is_some() && !column.fields.is_empty() {
        p.error(
            format!("{path}.fields"),
            "a column is a list (`items`) or an object (`fields`), not both",
        )
        .at_key();
    }
    if column.scale.is_some() && !matches!(column.data_type, Some(DataType::Decimal)) {
        p.error(
            format!("{path}.scale"),
            "`scale` applies to `data_type: decimal` only",
        )
        .at_key();
    }
    if let Some(items) = &column.items {
        column_rules(items, &format!("{path}.items"), p);
    }
    for (name, field) in &column.fields {
        column_rules(field, &format!("{path}.fields.{name}"), p);
    }
}
