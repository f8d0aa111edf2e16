//! What to load (a [`ResourceLoadPlan`]) and what a committed load did (a [`LoadSummary`]).

use std::collections::BTreeMap;

use connector_spec::{
    Column, Disposition, MergeOptions, MergeStrategy, Naming, ResolvedResource, SchemaContract,
};
use indexmap::IndexMap;
use serde::Serialize;

/// Everything the destination needs to know about one resource's load.
///
/// Build it from a spec with [`ResourceLoadPlan::from_resource`], or by hand with
/// [`ResourceLoadPlan::new`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceLoadPlan {
    /// Connector name (the state table's first key).
    pub connector: String,
    /// Resource name (the state table's second key).
    pub resource: String,
    /// Destination table.
    pub table: String,
    /// Declared columns: created up front, values checked against their types.
    pub columns: IndexMap<String, Column>,
    /// Primary key columns (merge matches on them; never null).
    pub primary_key: Vec<String>,
    /// Merge key columns (delete-insert also deletes rows matching them, as in dlt).
    pub merge_key: Vec<String>,
    /// append, replace, merge or skip.
    pub disposition: Disposition,
    /// delete-insert, upsert, insert-only or scd2, for merge.
    pub merge_strategy: MergeStrategy,
    /// The strategy's settings (scd2's validity columns, delete-insert's `deduplicated`).
    pub merge_options: MergeOptions,
    /// Load id written to `_dlt_load_id`; one is made up when `None`. A sync run passes
    /// the same id to every resource, as dlt does.
    pub load_id: Option<String>,
    /// Replace the table's contents whatever the disposition (the CLI's `--full-refresh`).
    pub full_refresh: bool,
    /// Load into the table even when it exists and was not made by connector (the CLI's
    /// `--adopt-tables`); otherwise such a table is [`crate::Error::ForeignTable`].
    pub adopt_table: bool,
    /// How table and column names are made (default snake_case, as dlt).
    pub naming: Naming,
    /// Levels of nested objects flattened and lists made child tables (`None`: dlt's 1000).
    pub max_table_nesting: Option<u32>,
    /// What the load may add: tables, columns, variant columns (default: everything).
    pub schema_contract: SchemaContract,
    /// Spec lines of declared columns and of `schema_contract`, for error messages.
    pub lines: BTreeMap<String, usize>,
}

impl ResourceLoadPlan {
    /// An append plan for `resource` into a table of the same name, with no declared columns.
    pub fn new(connector: impl Into<String>, resource: impl Into<String>) -> Self {
        let resource = resource.into();
        ResourceLoadPlan {
            connector: connector.into(),
            table: resource.clone(),
            resource,
            columns: IndexMap::new(),
            primary_key: Vec::new(),
            merge_key: Vec::new(),
            disposition: Disposition::Append,
            merge_strategy: MergeStrategy::DeleteInsert,
            merge_options: MergeOptions::default(),
            load_id: None,
            full_refresh: false,
            adopt_table: false,
            naming: Naming::default(),
            max_table_nesting: None,
            schema_contract: SchemaContract::default(),
            lines: BTreeMap::new(),
        }
    }

    /// The plan a resolved spec resource describes.
    pub fn from_resource(connector: impl Into<String>, resource: &ResolvedResource) -> Self {
        ResourceLoadPlan {
            connector: connector.into(),
            resource: resource.name.clone(),
            table: resource.table_name.clone(),
            columns: resource.columns.clone(),
            primary_key: resource.primary_key.clone(),
            merge_key: resource.merge_key.clone(),
            disposition: resource.disposition,
            merge_strategy: resource.merge_strategy,
            merge_options: resource.merge_options.clone(),
            load_id: None,
            full_refresh: false,
            adopt_table: false,
            naming: resource.naming,
            max_table_nesting: resource.max_table_nesting,
            schema_contract: resource.schema_contract,
            lines: resource.lines.clone(),
        }
    }

    /// Sets the naming convention.
    pub fn with_naming(mut self, naming: Naming) -> Self {
        self.naming = naming;
        self
    }

    /// Sets how many levels of nesting become columns and child tables.
    pub fn with_max_table_nesting(mut self, levels: u32) -> Self {
        self.max_table_nesting = Some(levels);
        self
    }

    /// Sets the schema contract.
    pub fn with_schema_contract(mut self, contract: SchemaContract) -> Self {
        self.schema_contract = contract;
        self
    }

    /// Sets the destination table.
    pub fn with_table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// Declares a column.
    pub fn with_column(mut self, name: impl Into<String>, column: Column) -> Self {
        self.columns.insert(name.into(), column);
        self
    }

    /// Sets the primary key (several names: a compound key).
    pub fn with_primary_key<S: Into<String>>(mut self, key: impl IntoIterator<Item = S>) -> Self {
        self.primary_key = key.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the merge key.
    pub fn with_merge_key<S: Into<String>>(mut self, key: impl IntoIterator<Item = S>) -> Self {
        self.merge_key = key.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the write disposition.
    pub fn with_disposition(mut self, disposition: Disposition) -> Self {
        self.disposition = disposition;
        self
    }

    /// Sets the merge strategy's settings.
    pub fn with_merge_options(mut self, options: MergeOptions) -> Self {
        self.merge_options = options;
        self
    }

    /// Sets the merge strategy.
    pub fn with_merge_strategy(mut self, strategy: MergeStrategy) -> Self {
        self.merge_strategy = strategy;
        self
    }

    /// Sets the load id.
    pub fn with_load_id(mut self, load_id: impl Into<String>) -> Self {
        self.load_id = Some(load_id.into());
        self
    }

    /// Lets the load take over a table that exists but was not made by connector.
    pub fn with_adopt_table(mut self, adopt: bool) -> Self {
        self.adopt_table = adopt;
        self
    }

    /// Makes the load replace the table's contents.
    pub fn with_full_refresh(mut self, full_refresh: bool) -> Self {
        self.full_refresh = full_refresh;
        self
    }
}

/// What one committed resource load did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadSummary {
    /// Connector name.
    pub connector: String,
    /// Resource name.
    pub resource: String,
    /// Destination table.
    pub table: String,
    /// The load id in `_dlt_load_id`.
    pub load_id: String,
    /// The disposition applied (`replace` on a full refresh).
    pub disposition: String,
    /// Records received by the writer.
    pub records: u64,
    /// Rows in the table after the commit.
    pub table_rows: u64,
    /// Each child table (`users__tags`) and the rows it has after the commit, in table order.
    pub child_tables: Vec<(String, u64)>,
    /// Columns added to the tables by this load (schema evolution); a child table's as
    /// `table.column`.
    pub new_columns: Vec<String>,
    /// Records the schema contract discarded (`discard_row`).
    pub discarded_rows: u64,
    /// Values the schema contract discarded (`discard_value`).
    pub discarded_values: u64,
    /// What the load noticed and did anyway (two fields named into one column).
    pub warnings: Vec<String>,
    /// Seconds from `begin` to the end of the commit.
    pub seconds: f64,
}

impl ResourceLoadPlan {
    /// The disposition a commit applies: `--full-refresh` turns every one but `skip` into
    /// replace.
    pub(crate) fn effective_disposition(&self) -> Disposition {
        if self.full_refresh && self.disposition != Disposition::Skip {
            Disposition::Replace
        } else {
            self.disposition
        }
    }

    /// The error for a replace that would empty a table of `rows` rows with no record, when
    /// the responses looked wrong (`why`: the first warning): an empty body or a wrong
    /// selector must not wipe a table.
    pub(crate) fn refuse_emptying(&self, rows: u64, why: &str) -> crate::Result<()> {
        if rows == 0 {
            return Ok(());
        }
        Err(crate::Error::InvalidPlan {
            table: self.table.clone(),
            reason: format!(
                "refusing to replace its {rows} rows with none, because the responses looked \
                 wrong ({why}); the table and its state are unchanged"
            ),
        })
    }
}

/// A new load id: the UTC time to the microsecond plus a process-wide counter, so ids sort by
/// time and two loads started in the same microsecond still differ.
pub fn new_load_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}.{n:04}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"))
}
