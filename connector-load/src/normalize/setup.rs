//! How a load's normalizer is set up from its plan and the tables the destination has: the
//! names after naming, the declared columns, the root table's key and required columns, and
//! the [`Settings`]. Every destination begins a load through here.

use std::collections::HashMap;

use connector_spec::{Disposition, MergeStrategy};

use super::naming::Convention;
use super::schema::Schema;
use super::{declared_columns, Declared, Normalizer, RowId, Settings, Table};
use crate::error::{Error, Result};
use crate::plan::ResourceLoadPlan;
use crate::types::LoadType;

/// A plan's names after its naming convention, and its declared columns.
pub(crate) struct LoadNames {
    pub(crate) naming: Convention,
    /// The root table.
    pub(crate) root: String,
    pub(crate) primary_key: Vec<String>,
    pub(crate) merge_key: Vec<String>,
    /// The root table's declared columns.
    pub(crate) declared_root: HashMap<String, Declared>,
    /// Declared columns of child tables, by table name.
    pub(crate) declared_children: HashMap<String, HashMap<String, Declared>>,
}

impl LoadNames {
    /// The names of `plan`'s load; a plan no destination can load is
    /// [`Error::InvalidPlan`].
    pub(crate) fn of(plan: &ResourceLoadPlan) -> Result<LoadNames> {
        if plan.table.trim().is_empty() {
            return Err(invalid(plan, "the table name is empty".to_owned()));
        }
        if plan.disposition == Disposition::Merge
            && matches!(
                plan.merge_strategy,
                MergeStrategy::Upsert | MergeStrategy::InsertOnly
            )
            && plan.primary_key.is_empty()
        {
            return Err(invalid(
                plan,
                format!(
                    "merge strategy `{}` needs a primary_key",
                    plan.merge_strategy.as_str()
                ),
            ));
        }
        let naming = Convention(plan.naming);
        let root = naming.identifier(&plan.table);
        let keys = |names: &[String]| -> Vec<String> {
            names.iter().map(|k| naming.identifier(k)).collect()
        };
        let mut declared_children = declared_columns(naming, &root, &plan.columns, &plan.lines);
        let declared_root = declared_children.remove(&root).unwrap_or_default();
        Ok(LoadNames {
            naming,
            primary_key: keys(&plan.primary_key),
            merge_key: keys(&plan.merge_key),
            root,
            declared_root,
            declared_children,
        })
    }

    /// Gives the root table the declared columns it lacks, its declarations and its key
    /// (`NOT NULL`).
    pub(crate) fn shape_root(&self, root: &mut Table) {
        for (name, d) in &self.declared_root {
            if root.schema.find(name).is_none() {
                let nullable = d.nullable && !self.primary_key.contains(name);
                root.add_column(name.clone(), d.ty, nullable);
            }
        }
        root.declared = self.declared_root.clone();
        root.not_null = self.primary_key.clone();
    }

    /// The load's normalizer over `tables` (the root first, shaped by
    /// [`shape_root`](Self::shape_root)).
    pub(crate) fn normalizer(
        self,
        plan: &ResourceLoadPlan,
        tables: Vec<Table>,
        load_id: &str,
        row_id: RowId,
        replace_nul: bool,
    ) -> Normalizer {
        let mut required: Vec<(String, &'static str)> = self
            .primary_key
            .iter()
            .map(|k| (k.clone(), "it is part of the primary key"))
            .collect();
        for (name, d) in &tables[0].declared {
            if !d.nullable && !self.primary_key.contains(name) {
                required.push((name.clone(), "the spec declares it `nullable: false`"));
            }
        }
        let merging = plan.disposition == Disposition::Merge;
        let settings = Settings {
            naming: self.naming,
            root_key: merging && row_id == RowId::PerLoad,
            row_id,
            max_nesting: plan
                .max_table_nesting
                .unwrap_or(connector_spec::resolved::DEFAULT_MAX_TABLE_NESTING),
            contract: plan.schema_contract,
            contract_line: plan.lines.get("schema_contract").copied(),
            load_id: load_id.to_owned(),
            required,
            replace_nul,
            watched_key: if merging && !plan.merge_options.deduplicated {
                self.primary_key.clone()
            } else {
                Vec::new()
            },
        };
        Normalizer::new(settings, tables, self.declared_children)
    }
}

fn invalid(plan: &ResourceLoadPlan, reason: String) -> Error {
    Error::InvalidPlan {
        table: plan.table.clone(),
        reason,
    }
}

/// A declared column whose type differs from the existing table's is
/// [`Error::SchemaConflict`].
pub(crate) fn check_declared(
    table: &str,
    existing: &Schema,
    declared: &HashMap<String, Declared>,
) -> Result<()> {
    for (name, d) in declared {
        if let Some(i) = existing.find(name) {
            let ty: LoadType = existing.columns[i].ty;
            if ty != d.ty {
                return Err(Error::SchemaConflict {
                    table: table.to_owned(),
                    column: name.clone(),
                    declared: d.ty.to_string(),
                    existing: ty.to_string(),
                });
            }
        }
    }
    Ok(())
}
