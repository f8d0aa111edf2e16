//! The normalizer: records (JSON objects) become rows of a root table and its child tables,
//! shaped as dlt shapes them, typed as their values allow, and gathered into Arrow batches.
//!
//! - **Flattening**: a nested object's fields become columns `parent__child`; a list becomes
//!   the child table `<table>__<field>` whose rows link to their parent row by
//!   `_dlt_parent_id` (the parent's `_dlt_id`) and `_dlt_list_idx` (the position), and to the
//!   root row by `_dlt_root_id` when a merge needs it; a list of scalars gives rows with one
//!   `value` column. Past `max_table_nesting` levels (dlt's default 1000) objects and lists
//!   stay JSON columns, as does a column declared `data_type: json`.
//! - **Names** follow the spec's naming convention ([`naming`]); two fields that become the
//!   same column are reported.
//! - **Types**: a new column is typed from its first non-null value (ISO date-times become
//!   timestamps); a later value that does not fit widens the column where nothing is lost
//!   (bigint to double) or goes to a variant column `<column>__v_<type>`; the schema
//!   contract decides whether any of that may happen ([`table`]).
//! - Root rows carry `_dlt_id` and `_dlt_load_id` ([`ids`] says how ids are made).

mod columnar;
mod ids;
mod keys;
pub(crate) mod naming;
mod nul;
pub(crate) mod schema;
mod setup;
mod table;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::RecordBatch;
use connector_spec::{Column as ColumnHint, ContractMode, DataType, SchemaContract};
use serde_json::{Map, Value};

use keys::KeyOrder;
use naming::Convention;
use schema::Schema;
pub(crate) use setup::{check_declared, LoadNames};
pub(crate) use table::{Declared, Shape, Table, SEQ_COLUMN};
use table::{Discards, Placed, Rules};

use crate::error::{Error, Result};
use crate::types::{json_type_name, Cell, LoadType};

/// Each row's id (dlt's `_dlt_id`).
pub const ID_COLUMN: &str = "_dlt_id";
/// The load id of each root row (dlt's `_dlt_load_id`).
pub const LOAD_ID_COLUMN: &str = "_dlt_load_id";
/// A child row's parent row id.
pub const PARENT_ID_COLUMN: &str = "_dlt_parent_id";
/// A child row's position in its parent's list.
pub const LIST_INDEX_COLUMN: &str = "_dlt_list_idx";
/// A child row's root row id (merges reach children through it).
pub const ROOT_ID_COLUMN: &str = "_dlt_root_id";
/// When a row's version became current (scd2).
pub const VALID_FROM_COLUMN: &str = "_dlt_valid_from";
/// When a row's version was retired; null while current (scd2).
pub const VALID_TO_COLUMN: &str = "_dlt_valid_to";
/// The column of a child row made from a list of scalars.
const VALUE_COLUMN: &str = "value";

/// How one resource's records are normalized.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) naming: Convention,
    pub(crate) max_nesting: u32,
    /// How root rows are identified.
    pub(crate) row_id: RowId,
    /// Whether child rows carry `_dlt_root_id`.
    pub(crate) root_key: bool,
    pub(crate) contract: SchemaContract,
    pub(crate) contract_line: Option<usize>,
    pub(crate) load_id: String,
    /// Root columns that must have a value, with why.
    pub(crate) required: Vec<(String, &'static str)>,
    /// NUL characters replaced in text (the destination's text cannot hold them).
    pub(crate) replace_nul: bool,
    /// The primary key whose repeats a merge looks for (empty: no merge looks).
    pub(crate) watched_key: Vec<String>,
}

/// The maps looked up for every field of every record: foldhash instead of the default
/// SipHash, which is built to resist flooding that column names cannot mount.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A field's column in one table, as found the first time the field was seen.
struct Slot {
    column: Arc<str>,
    /// Declared `json`: kept whole instead of flattened.
    json: bool,
}

/// How a root row's `_dlt_id` is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowId {
    /// Unique per load and position.
    PerLoad,
    /// The hash of the record (scd2): an unchanged record keeps its id.
    RecordHash,
    /// The hash of the record's field of this name (scd2's `row_version_column_name`).
    Version(String),
}

/// The tables of one load and the rows built for them.
pub(crate) struct Normalizer {
    settings: Settings,
    tables: Vec<Table>,
    /// Each table's name, shared with the row ids made from it.
    names: Vec<Arc<str>>,
    by_name: HashMap<String, usize>,
    /// Per table: column prefix ("" at the top of a row) -> field name -> column, so each
    /// name is converted, joined and checked once per load.
    columns: Vec<FastMap<Arc<str>, FastMap<String, Slot>>>,
    /// (parent table, list column) -> child table.
    children: FastMap<(usize, Arc<str>), usize>,
    /// The prefix of a row's top-level fields, and the columns of list items that are no
    /// objects: made once, cloned per row.
    top: Arc<str>,
    value: Arc<str>,
    list: Arc<str>,
    /// Declared columns of child tables not created yet, by table name.
    declared_later: HashMap<String, HashMap<String, Declared>>,
    warnings: Vec<String>,
    discards: Discards,
    /// (table, column) -> values whose NUL characters were replaced.
    nuls: FastMap<(usize, usize), u64>,
    /// Whether the root rows' keys repeat.
    key_order: KeyOrder,
}

/// A field of a flattened row: column, the name as sent, the value.
type Field<'a> = (Arc<str>, &'a str, &'a Value);
/// A list found while flattening: its column path, its items.
type List<'a> = (Arc<str>, &'a [Value]);

impl Normalizer {
    /// A normalizer whose root table is `tables[0]`; the other tables are the root's child
    /// tables the destination has already (each after its parent).
    pub(crate) fn new(
        settings: Settings,
        tables: Vec<Table>,
        declared_later: HashMap<String, HashMap<String, Declared>>,
    ) -> Normalizer {
        let by_name = tables
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        let names = tables.iter().map(|t| Arc::from(t.name.as_str())).collect();
        let columns = tables.iter().map(|_| FastMap::default()).collect();
        let mut normalizer = Normalizer {
            key_order: KeyOrder::new(settings.watched_key.clone()),
            settings,
            tables,
            names,
            by_name,
            columns,
            children: FastMap::default(),
            top: Arc::from(""),
            value: Arc::from(VALUE_COLUMN),
            list: Arc::from("list"),
            declared_later,
            warnings: Vec::new(),
            discards: Discards::default(),
            nuls: FastMap::default(),
        };
        for i in 0..normalizer.tables.len() {
            normalizer.attach_declared(i);
        }
        normalizer
    }

    fn attach_declared(&mut self, table: usize) {
        if let Some(declared) = self.declared_later.remove(&self.tables[table].name) {
            let t = &mut self.tables[table];
            for (name, d) in &declared {
                if t.schema.find(name).is_none() {
                    t.add_column(name.clone(), d.ty, d.nullable);
                }
            }
            t.declared.extend(declared);
        }
    }

    /// Every table, the root first, each child after its parent.
    pub(crate) fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// Every table as it is now, in the order of [`Normalizer::tables`].
    pub(crate) fn shapes(&self) -> Vec<Shape> {
        self.tables.iter().map(Table::shape).collect()
    }

    /// Warnings so far: naming collisions, NUL characters replaced.
    pub(crate) fn warnings(&self) -> Vec<String> {
        let mut warnings = self.warnings.clone();
        let mut nuls: Vec<_> = self.nuls.iter().collect();
        nuls.sort();
        for (&(table, column), count) in nuls {
            let t = &self.tables[table];
            warnings.push(format!(
                "table `{}`, column `{}`: {count} value(s) held NUL characters, which the \
                 destination's text cannot store; each NUL was stored as U+FFFD",
                t.name, t.schema.columns[column].name
            ));
        }
        warnings
    }

    /// Whether no two root rows built share their primary key, as far as the rows' order
    /// shows (false: they may; see [`keys`]).
    pub(crate) fn keys_unique(&self) -> bool {
        self.key_order.unique(&self.tables[0].schema)
    }

    /// Rows and values the schema contract discarded.
    pub(crate) fn discarded(&self) -> (u64, u64) {
        (self.discards.rows, self.discards.values)
    }

    /// Rows built (in every table) since the last [`Normalizer::take_batches`].
    pub(crate) fn gathered_rows(&self) -> usize {
        self.tables.iter().map(Table::gathered_rows).sum()
    }

    /// The rows built since the last call, one batch per table that has any.
    pub(crate) fn take_batches(&mut self) -> Result<Vec<(usize, RecordBatch)>> {
        let mut batches = Vec::new();
        for (i, table) in self.tables.iter_mut().enumerate() {
            if let Some(batch) = table.take_batch()? {
                batches.push((i, batch));
            }
        }
        Ok(batches)
    }

    /// Normalizes records into rows. A failure leaves the batch half-built: the caller
    /// abandons the load.
    pub(crate) fn push(&mut self, records: &[Value]) -> Result<()> {
        let load_id = self.settings.load_id.clone();
        for record in records {
            let object = record.as_object().ok_or_else(|| Error::NotAnObject {
                table: self.tables[0].name.clone(),
                found: json_type_name(record),
            })?;
            self.push_record(object, &load_id)?;
        }
        Ok(())
    }

    fn push_record<'a>(&mut self, object: &'a Map<String, Value>, load_id: &'a str) -> Result<()> {
        let level = self.settings.max_nesting;
        let mut fields = Vec::with_capacity(object.len());
        let mut lists = Vec::new();
        let top = Arc::clone(&self.top);
        self.flatten(0, object, &top, level, &mut fields, &mut lists);
        let root_id = match &self.settings.row_id {
            RowId::PerLoad => ids::unique_id(
                &self.settings.load_id,
                &self.tables[0].name,
                self.tables[0].rows_total + self.discards.rows,
            ),
            RowId::RecordHash => ids::row_hash(object),
            RowId::Version(field) => match object.get(field).filter(|v| !v.is_null()) {
                Some(version) => ids::version_id(version),
                None => {
                    return Err(Error::NullValue {
                        table: self.tables[0].name.clone(),
                        column: field.clone(),
                        reason: "it is the scd2 `row_version_column_name`",
                    })
                }
            },
        };
        let meta = [
            (ID_COLUMN, Cell::Str(Cow::Borrowed(root_id.as_str()))),
            (LOAD_ID_COLUMN, Cell::Str(Cow::Borrowed(load_id))),
        ];
        if self.emit(0, fields, meta)? {
            let root = self.settings.root_key.then_some(root_id.as_str());
            self.emit_lists(0, root_id.as_str(), root, lists, level.saturating_sub(1))?;
        }
        Ok(())
    }

    /// The column of `table` for field `name` under `prefix` ("" at the top of a row), and
    /// whether it is declared JSON; cached.
    fn column(&mut self, table: usize, prefix: &Arc<str>, name: &str) -> (Arc<str>, bool) {
        if let Some(known) = self.columns[table].get(prefix).and_then(|m| m.get(name)) {
            return (Arc::clone(&known.column), known.json);
        }
        let naming = self.settings.naming;
        let identifier = naming.identifier(name);
        let column: Arc<str> = if prefix.is_empty() {
            identifier.into()
        } else {
            naming.join(prefix, &identifier).into()
        };
        let json = self.tables[table]
            .declared
            .get(&*column)
            .is_some_and(|d| d.ty == LoadType::Json);
        self.columns[table]
            .entry(Arc::clone(prefix))
            .or_default()
            .insert(
                name.to_owned(),
                Slot {
                    column: Arc::clone(&column),
                    json,
                },
            );
        (column, json)
    }

    /// Splits an object into fields (nested objects flattened while `level` allows) and
    /// lists (child tables to be).
    fn flatten<'a>(
        &mut self,
        table: usize,
        object: &'a Map<String, Value>,
        prefix: &Arc<str>,
        level: u32,
        fields: &mut Vec<Field<'a>>,
        lists: &mut Vec<List<'a>>,
    ) {
        for (key, value) in object {
            let (column, json) = self.column(table, prefix, key);
            match value {
                Value::Object(inner) if level > 0 && !json => {
                    self.flatten(table, inner, &column, level - 1, fields, lists);
                }
                Value::Array(items) if level > 0 && !json => {
                    lists.push((column, items));
                }
                _ => fields.push((column, key, value)),
            }
        }
    }

    /// Puts one row into `table`; `false` when the contract discarded it.
    fn emit<'a, const N: usize>(
        &mut self,
        table: usize,
        fields: Vec<Field<'a>>,
        meta: [(&'static str, Cell<'a>); N],
    ) -> Result<bool> {
        let rules = Rules {
            contract: self.settings.contract,
            contract_line: self.settings.contract_line,
            naming: self.settings.naming,
        };
        let (contract, line) = (rules.contract, rules.contract_line);
        let t = &mut self.tables[table];
        if !t.existed && t.rows_total == 0 && contract.tables != ContractMode::Evolve {
            if contract.tables == ContractMode::Freeze {
                return Err(Error::Contract {
                    table: t.name.clone(),
                    entity: "tables",
                    what: "the destination has no such table yet".to_owned(),
                    line,
                });
            }
            self.discards.rows += 1;
            return Ok(false);
        }
        let mut cells = Vec::with_capacity(fields.len() + meta.len());
        for (column, source, value) in fields {
            match t.place(&column, source, value, &rules, &mut self.warnings)? {
                Placed::Value(index, cell) => {
                    let json = t.schema.columns[index].ty == LoadType::Json;
                    match self
                        .settings
                        .replace_nul
                        .then(|| nul::replaced(&cell, json))
                    {
                        Some(Some(clean)) => {
                            *self.nuls.entry((table, index)).or_default() += 1;
                            cells.push((index, clean));
                        }
                        _ => cells.push((index, cell)),
                    }
                }
                Placed::Nothing => {}
                Placed::Discarded => self.discards.values += 1,
                Placed::DiscardRow => {
                    self.discards.rows += 1;
                    return Ok(false);
                }
            }
        }
        for (column, cell) in meta {
            let index = match t.schema.find(column) {
                Some(index) => index,
                None => {
                    let ty = if column == LIST_INDEX_COLUMN {
                        LoadType::Bigint
                    } else {
                        LoadType::Text
                    };
                    t.add_column(column.to_owned(), ty, false)
                }
            };
            cells.push((index, cell));
        }
        let required: &[(String, &'static str)] = if table == 0 {
            self.key_order.watch(&t.schema, &cells);
            &self.settings.required
        } else {
            &[]
        };
        t.push_row(&mut cells, required)?;
        Ok(true)
    }

    /// The child rows of the lists of one parent row.
    fn emit_lists<'a>(
        &mut self,
        parent: usize,
        parent_id: &str,
        root_id: Option<&str>,
        lists: Vec<List<'a>>,
        level: u32,
    ) -> Result<()> {
        for (path, items) in lists {
            let child = self.child_table(parent, path);
            let table_name = Arc::clone(&self.names[child]);
            for (index, item) in items.iter().enumerate() {
                let id = ids::child_id(parent_id, &table_name, index);
                let mut fields = Vec::new();
                let mut lists = Vec::new();
                match item {
                    Value::Object(object) => {
                        let top = Arc::clone(&self.top);
                        self.flatten(child, object, &top, level, &mut fields, &mut lists);
                    }
                    // A list in a list: dlt's intermediate row with the inner list as `list`.
                    Value::Array(inner) if level > 0 => lists.push((Arc::clone(&self.list), inner)),
                    scalar => fields.push((Arc::clone(&self.value), VALUE_COLUMN, scalar)),
                }
                let link = [
                    (PARENT_ID_COLUMN, Cell::Str(Cow::Borrowed(parent_id))),
                    (LIST_INDEX_COLUMN, Cell::Int(index as i64)),
                    (ID_COLUMN, Cell::Str(Cow::Borrowed(id.as_str()))),
                ];
                let emitted = match root_id {
                    Some(root_id) => {
                        let [parent, index, id] = link;
                        let root = (ROOT_ID_COLUMN, Cell::Str(Cow::Borrowed(root_id)));
                        self.emit(child, fields, [parent, index, id, root])?
                    }
                    None => self.emit(child, fields, link)?,
                };
                if emitted && !lists.is_empty() {
                    self.emit_lists(child, id.as_str(), root_id, lists, level.saturating_sub(1))?;
                }
            }
        }
        Ok(())
    }

    /// The child table of `parent` for the list at `path`, made on first use.
    fn child_table(&mut self, parent: usize, path: Arc<str>) -> usize {
        let key = (parent, path);
        if let Some(&index) = self.children.get(&key) {
            return index;
        }
        let name = self.settings.naming.join(&self.tables[parent].name, &key.1);
        if let Some(&index) = self.by_name.get(&name) {
            self.children.insert(key, index);
            return index;
        }
        self.children.insert(key, self.tables.len());
        let index = self.tables.len();
        self.tables.push(Table::new(
            name.clone(),
            Some(parent),
            Schema::default(),
            false,
        ));
        self.names.push(Arc::from(name.as_str()));
        self.columns.push(FastMap::default());
        self.by_name.insert(name, index);
        self.attach_declared(index);
        index
    }
}

/// The declared columns of a resource, per table: a column with a `data_type` keeps it; a
/// column without one but with `fields` is an object whose fields become `column__field`
/// columns; with `items`, a list whose child table has them (`value` for scalars). Lines come
/// from `lines` (by top-level column name).
pub(crate) fn declared_columns(
    naming: Convention,
    table: &str,
    columns: &indexmap::IndexMap<String, ColumnHint>,
    lines: &std::collections::BTreeMap<String, usize>,
) -> HashMap<String, HashMap<String, Declared>> {
    let mut out: HashMap<String, HashMap<String, Declared>> = HashMap::new();
    for (name, hint) in columns {
        let line = lines.get(name).copied();
        declare(
            naming,
            &mut out,
            table,
            None,
            &naming.identifier(name),
            hint,
            line,
        );
    }
    out
}

fn declare(
    naming: Convention,
    out: &mut HashMap<String, HashMap<String, Declared>>,
    table: &str,
    prefix: Option<&str>,
    name: &str,
    hint: &ColumnHint,
    line: Option<usize>,
) {
    let column = match prefix {
        Some(prefix) => naming.join(prefix, name),
        None => name.to_owned(),
    };
    if hint.data_type.is_none() && !hint.fields.is_empty() {
        for (field, inner) in &hint.fields {
            declare(
                naming,
                out,
                table,
                Some(&column),
                &naming.identifier(field),
                inner,
                line,
            );
        }
        return;
    }
    if hint.data_type.is_none() {
        if let Some(items) = &hint.items {
            let child = naming.join(table, &column);
            if items.data_type.is_none() && !items.fields.is_empty() {
                for (field, inner) in &items.fields {
                    declare(
                        naming,
                        out,
                        &child,
                        None,
                        &naming.identifier(field),
                        inner,
                        line,
                    );
                }
            } else {
                declare(naming, out, &child, None, VALUE_COLUMN, items, line);
            }
            return;
        }
    }
    let ty = match hint.data_type {
        Some(DataType::Json) => LoadType::Json,
        _ => LoadType::from_column(hint),
    };
    out.entry(table.to_owned()).or_default().insert(
        column,
        Declared {
            ty,
            nullable: hint.nullable.unwrap_or(true),
            line,
        },
    );
}
