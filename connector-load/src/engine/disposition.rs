//! The write dispositions as SQL: how the staged rows reach the final table (append, replace,
//! merge by delete-insert or upsert, skip).

use connector_spec::{Disposition, MergeStrategy};

use super::columns::ColumnDef;
use super::staging::{Staging, SEQ_COLUMN};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::plan::ResourceLoadPlan;

/// The disposition a commit applies: `--full-refresh` turns every one but `skip` into replace.
pub(super) fn effective_disposition(plan: &ResourceLoadPlan) -> Disposition {
    if plan.full_refresh && plan.disposition != Disposition::Skip {
        Disposition::Replace
    } else {
        plan.disposition
    }
}

/// The error for a replace that would empty a table of `rows` rows with no record, when the
/// responses looked wrong (`why`: the first warning): an empty body or a wrong selector
/// must not wipe a table.
pub(super) fn refuse_emptying(plan: &ResourceLoadPlan, rows: u64, why: &str) -> Result<()> {
    if rows == 0 {
        return Ok(());
    }
    Err(Error::InvalidPlan {
        table: plan.table.clone(),
        reason: format!(
            "refusing to replace its {rows} rows with none, because the responses looked \
             wrong ({why}); the table and its state are unchanged"
        ),
    })
}

/// Applies `staging`'s rows to `plan`'s table (which has every staged column) as
/// `disposition` says. `records` is how many records were staged.
pub(super) fn apply_disposition<B: Backend>(
    b: &mut B,
    plan: &ResourceLoadPlan,
    disposition: Disposition,
    staging: &Staging,
    records: u64,
) -> Result<()> {
    let d = b.dialect();
    let table = &d.quote(&plan.table);
    let staging_table = &d.quote(&staging.name);
    let schema = &staging.schema;
    let names = schema.names();
    let list = names
        .iter()
        .map(|n| d.quote(n))
        .collect::<Vec<_>>()
        .join(", ");
    let seq = d.quote(SEQ_COLUMN);
    // Staged text cast to the final column types.
    let typed = |columns: &[ColumnDef]| {
        columns
            .iter()
            .map(|c| {
                format!(
                    "{} AS {}",
                    d.cast(&format!("s.{}", d.quote(&c.name)), c.ty),
                    d.quote(&c.name)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all_typed = typed(&schema.columns);
    // Rows go in in the order they came.
    let order = if d.inserts_in_scan_order() {
        String::new()
    } else {
        format!(" ORDER BY s.{seq}")
    };
    let insert_from = |source: &str| {
        format!("INSERT INTO {table} ({list}) SELECT {all_typed} FROM {source} AS s{order}")
    };
    // The last staged row of each key, found from (key, seq) pairs alone: a window over
    // whole rows would hold every staged row in the database's memory at once.
    let deduplicated = |keys: &[String]| {
        let group = keys
            .iter()
            .map(|k| d.quote(k))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "(SELECT * FROM {staging_table} WHERE {seq} IN \
             (SELECT max({seq}) FROM {staging_table} GROUP BY {group}))"
        )
    };
    let key_source = |keys: &[String]| {
        let columns: Vec<ColumnDef> = keys
            .iter()
            .filter_map(|k| schema.find(k).map(|i| schema.columns[i].clone()))
            .collect();
        format!("(SELECT {} FROM {staging_table} AS s)", typed(&columns))
    };
    let keys_known = |keys: &[String]| keys.iter().all(|k| schema.find(k).is_some());
    let pk = &plan.primary_key;
    let mk = &plan.merge_key;
    match disposition {
        Disposition::Skip => {}
        Disposition::Replace => {
            b.execute_batch(&format!("DELETE FROM {table}"))?;
            b.execute_batch(&insert_from(staging_table))?;
        }
        Disposition::Append => b.execute_batch(&insert_from(staging_table))?,
        Disposition::Merge if pk.is_empty() && mk.is_empty() => {
            b.execute_batch(&insert_from(staging_table))?
        }
        Disposition::Merge if !keys_known(pk) || !keys_known(mk) => {
            // A key column never seen means no staged record (every record needs its primary
            // key), so there is nothing to merge.
            if records > 0 {
                return Err(Error::InvalidPlan {
                    table: plan.table.clone(),
                    reason: "a merge key column is in no record".to_owned(),
                });
            }
        }
        Disposition::Merge if plan.merge_strategy == MergeStrategy::Upsert => {
            let source = format!("(SELECT {all_typed} FROM {} AS s)", deduplicated(pk));
            for statement in d.upsert_sql(table, &source, pk, &names) {
                b.execute_batch(&statement)?;
            }
        }
        Disposition::Merge => {
            for keys in [pk, mk] {
                if !keys.is_empty() {
                    b.execute_batch(&d.delete_matching_sql(table, &key_source(keys), keys))?;
                }
            }
            if pk.is_empty() {
                b.execute_batch(&insert_from(staging_table))?;
            } else {
                b.execute_batch(&insert_from(&deduplicated(pk)))?;
            }
        }
    }
    Ok(())
}
