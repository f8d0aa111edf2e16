//! Column hints: nested shapes only on JSON columns, scale only on decimals, `enum` only on
//! text, a `name` that matches its key, dlt's table hints that have no effect here said so;
//! and `columns_from` written in a shape that names one schema.

use crate::model::ColumnsFrom;
use crate::vocabulary::*;

use super::{Problems, Res};

pub(super) fn columns(res: &Res, p: &mut Problems) {
    if let Some(from) = &res.raw.columns_from {
        columns_from(from, &format!("{}.columns_from", res.path()), p);
    }
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

/// The document named, and at most one of a schema pointer and an operation.
pub(super) fn columns_from(from: &ColumnsFrom, path: &str, p: &mut Problems) {
    if from.document().trim().is_empty() {
        p.error(path, "`columns_from` names no document")
            .help("write `columns_from: openapi.yaml#/components/schemas/Name`, or `columns_from: openapi.yaml`");
    }
    if let ColumnsFrom::Document(d) = from {
        if d.schema.is_some() && d.operation.is_some() {
            p.error(
                format!("{path}.operation"),
                "`schema` and `operation` both name the record schema; keep one",
            )
            .help("`schema` names it by JSON pointer; `operation` by the operationId whose response holds it")
            .at_key();
        }
    }
    if let Some(pointer) = from.pointer() {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            p.error(
                path,
                format!("`{pointer}` is not a JSON pointer: it starts with `/` after the `#`"),
            )
            .help("write it like `openapi.yaml#/components/schemas/Device`");
        }
    }
}

fn column_rules(column: &Column, path: &str, p: &mut Problems) {
    if !column.enum_values.is_empty() && !matches!(column.data_type, None | Some(DataType::Text)) {
        p.error(
            format!("{path}.enum"),
            "`enum` lists text values; this column needs `data_type: text`",
        )
        .at_key();
    }
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
