//! `incremental` settings: the cursor is a declared column, and paging can stop.

use crate::model::*;
use crate::suggest::{did_you_mean, list};
use crate::vocabulary::*;

use super::{column_names, declared, Problems, Res};

pub(super) fn incremental(res: &Res, p: &mut Problems) {
    let r = &res.resolved;
    let mut incs: Vec<(String, &Incremental)> = Vec::new();
    if let Some(inc) = &r.endpoint.incremental {
        incs.push((
            res.endpoint_origin("incremental", |e| e.incremental.is_some()),
            inc,
        ));
    }
    for (name, value) in &r.endpoint.params {
        if let ParamValue::Special(SpecialParam::Incremental(inc)) = value {
            let field = format!("params.{name}");
            incs.push((
                res.endpoint_origin(&field, |e| e.params.contains_key(name)),
                inc,
            ));
        }
    }
    for (path, inc) in incs {
        if let (Some(keys), false) = (&inc.primary_key, r.columns.is_empty()) {
            for key in keys.columns() {
                if !declared(&r.columns, key) {
                    let names = column_names(&r.columns);
                    p.error(
                        format!("{path}.primary_key"),
                        format!(
                            "incremental primary_key `{key}` is not a declared column of `{}`; \
                             columns: {}",
                            r.name,
                            list(&names)
                        ),
                    )
                    .maybe_help(did_you_mean(key, &names));
                }
            }
        }
        if inc.allow_external_schedulers.is_some() {
            p.warning(
                format!("{path}.allow_external_schedulers"),
                "`allow_external_schedulers` has no effect here: `connector sync` takes no \
                 window from a scheduler",
            )
            .at_key();
        }
        if inc.cursor_path.trim().is_empty() {
            p.error(format!("{path}.cursor_path"), "cursor_path is empty");
        } else if !r.columns.is_empty() && !declared(&r.columns, &inc.cursor_path) {
            let names = column_names(&r.columns);
            p.error(
                format!("{path}.cursor_path"),
                format!(
                    "incremental cursor_path `{}` is not a declared column of `{}`; columns: {}",
                    inc.cursor_path,
                    r.name,
                    list(&names)
                ),
            )
            .maybe_help(did_you_mean(&inc.cursor_path, &names));
        }
        // Toward end_value is ascending for `max`, descending for `min`.
        let toward_end = match (inc.row_order, inc.last_value_func) {
            (None, _) => false,
            (Some(order), func) => (order == RowOrder::Asc) != (func == Some(LastValueFunc::Min)),
        };
        if toward_end && inc.end_value.is_none() {
            p.warning(
                format!("{path}.row_order"),
                "this row_order stops paging only at end_value, and end_value is not set",
            )
            .help("set `end_value`, or use the opposite row_order if the API returns records the other way");
        }
    }
}
