//! One table of a load as the normalizer builds it: its columns (what the destination has,
//! what the spec declares, what records brought), the values of its rows so far, and the
//! rules by which a value finds its column: convert, widen, or a variant column, as the
//! schema contract allows.

use std::collections::HashMap;

use arrow_array::RecordBatch;
use connector_spec::{ContractMode, SchemaContract};
use serde_json::Value;

use super::columnar::{finish_batch, Column};
use super::naming::Convention;
use super::schema::{ColumnDef, Schema};
use crate::error::{Error, Result};
use crate::types::{Cell, LoadType};

/// The staging column ordering rows, so duplicates resolve last-wins.
pub(crate) const SEQ_COLUMN: &str = "_connector_seq";

/// A column the spec declares: its type is fixed (it never widens), its line is named in
/// errors.
#[derive(Debug, Clone)]
pub(crate) struct Declared {
    pub(crate) ty: LoadType,
    pub(crate) nullable: bool,
    pub(crate) line: Option<usize>,
}

/// The load-wide rules a value is placed by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) contract: SchemaContract,
    /// The spec line of `schema_contract`, when known.
    pub(crate) contract_line: Option<usize>,
    pub(crate) naming: Convention,
}

/// What the rules decided for one value.
pub(crate) enum Placed<'a> {
    /// Into column `index`, as `cell`.
    Value(usize, Cell<'a>),
    /// Nowhere: a null for which no column exists.
    Nothing,
    /// Nowhere: the contract discards the value.
    Discarded,
    /// The contract discards the whole row.
    DiscardRow,
}

/// What the contract allowed a row, and what it cost.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Discards {
    pub(crate) rows: u64,
    pub(crate) values: u64,
}

/// A table as of one moment: what a writer keeps of it while the normalizer goes on
/// growing its columns.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub(crate) name: String,
    pub(crate) schema: Schema,
    /// Whether the destination had the table before the load.
    pub(crate) existed: bool,
}

/// One table of the load.
pub(crate) struct Table {
    /// Table name.
    pub(crate) name: String,
    /// The parent table (by index in the normalizer), for child tables.
    pub(crate) parent: Option<usize>,
    /// Every column: the destination's, the declared, the ones records brought.
    pub(crate) schema: Schema,
    /// Whether the destination had the table before this load.
    pub(crate) existed: bool,
    /// Declared columns, by name.
    pub(crate) declared: HashMap<String, Declared>,
    /// Columns created `NOT NULL` when records bring them (the primary key).
    pub(crate) not_null: Vec<String>,
    /// The field name each column was first made from in this load (collision reports), by
    /// column index.
    sources: Vec<Option<String>>,
    /// Columns whose collision was reported already.
    collisions_reported: Vec<usize>,
    /// Row values, parallel to `schema.columns`.
    values: Vec<Column>,
    /// `SEQ_COLUMN` of each row.
    seq: Vec<i64>,
    /// Rows put in the table over the whole load.
    pub(crate) rows_total: u64,
    /// Per column, where the row being pushed has its value (reused between rows).
    slots: Vec<Option<usize>>,
}

impl Table {
    pub(crate) fn new(name: String, parent: Option<usize>, schema: Schema, existed: bool) -> Self {
        let values = schema
            .columns
            .iter()
            .map(|c| Column::new(c.ty.physical(), 0))
            .collect();
        Table {
            name,
            parent,
            schema,
            existed,
            declared: HashMap::new(),
            not_null: Vec::new(),
            sources: Vec::new(),
            collisions_reported: Vec::new(),
            values,
            seq: Vec::new(),
            rows_total: 0,
            slots: Vec::new(),
        }
    }

    /// The table as it is now.
    pub(crate) fn shape(&self) -> Shape {
        Shape {
            name: self.name.clone(),
            schema: self.schema.clone(),
            existed: self.existed,
        }
    }

    /// Rows waiting in the builders.
    pub(crate) fn pending(&self) -> usize {
        self.seq.len()
    }

    /// Adds a column (nulls for the rows already built); returns its index.
    pub(crate) fn add_column(&mut self, name: String, ty: LoadType, nullable: bool) -> usize {
        self.values.push(Column::new(ty.physical(), self.pending()));
        self.schema.push(ColumnDef { name, ty, nullable })
    }

    /// Decides where `value` of field `source` (the name as sent), for column `column`, goes.
    /// `warnings` collects naming collisions.
    pub(crate) fn place<'a>(
        &mut self,
        column: &str,
        source: &str,
        value: &'a Value,
        rules: &Rules,
        warnings: &mut Vec<String>,
    ) -> Result<Placed<'a>> {
        let (contract, contract_line) = (&rules.contract, rules.contract_line);
        let index = match self.schema.find(column) {
            Some(index) => {
                self.check_collision(index, source, warnings);
                index
            }
            None => {
                let Some(ty) = LoadType::infer(value) else {
                    return Ok(Placed::Nothing);
                };
                if self.existed && contract.columns != ContractMode::Evolve {
                    return self.refuse(
                        contract.columns,
                        "columns",
                        format!("a record has the new column `{column}`"),
                        contract_line,
                    );
                }
                let nullable = !self.not_null.iter().any(|k| k == column);
                let index = self.add_column(column.to_owned(), ty, nullable);
                self.set_source(index, source);
                index
            }
        };
        let ty = self.schema.columns[index].ty;
        if let Ok(cell) = ty.convert(value) {
            return Ok(Placed::Value(index, cell));
        }
        // The value does not fit its column: widen the column, or a variant column.
        let incoming = LoadType::infer(value).unwrap_or(LoadType::Text);
        let declared = self.declared.get(column).map(|d| d.line);
        let line = declared.flatten().or(contract_line);
        let name = self.schema.columns[index].name.clone();
        let what = |kind: &str| {
            format!(
                "column `{name}` is {ty} and a record has a {} value ({}) {kind}",
                crate::types::json_type_name(value),
                excerpt(value)
            )
        };
        if contract.data_type != ContractMode::Evolve {
            return self.refuse(
                contract.data_type,
                "data_type",
                what("that does not fit"),
                line,
            );
        }
        if declared.is_none() {
            if let Some(wider) = ty.widened(incoming) {
                self.widen(index, wider);
                if let Ok(cell) = wider.convert(value) {
                    return Ok(Placed::Value(index, cell));
                }
            }
        }
        let variant = rules.naming.join(&name, &format!("v_{}", incoming.name()));
        let variant_index = match self.schema.find(&variant) {
            Some(i) => i,
            None => self.add_column(variant, incoming, true),
        };
        let variant_ty = self.schema.columns[variant_index].ty;
        match variant_ty.convert(value) {
            Ok(cell) => Ok(Placed::Value(variant_index, cell)),
            Err(found) => Err(Error::TypeConflict {
                table: self.name.clone(),
                column: self.schema.columns[variant_index].name.clone(),
                column_type: variant_ty.to_string(),
                value_type: found.to_owned(),
                excerpt: excerpt(value),
            }),
        }
    }

    /// The contract's answer to something it does not let evolve.
    fn refuse<'a>(
        &self,
        mode: ContractMode,
        entity: &'static str,
        what: String,
        line: Option<usize>,
    ) -> Result<Placed<'a>> {
        match mode {
            ContractMode::Freeze => Err(Error::Contract {
                table: self.name.clone(),
                entity,
                what,
                line,
            }),
            ContractMode::DiscardRow => Ok(Placed::DiscardRow),
            ContractMode::DiscardValue | ContractMode::Evolve => Ok(Placed::Discarded),
        }
    }

    fn widen(&mut self, index: usize, wider: LoadType) {
        let column = &mut self.schema.columns[index];
        if column.ty.physical() != wider.physical() {
            let values =
                std::mem::replace(&mut self.values[index], Column::new(wider.physical(), 0));
            self.values[index] = values.into_real();
        }
        column.ty = wider;
    }

    fn set_source(&mut self, index: usize, source: &str) {
        if self.sources.len() <= index {
            self.sources.resize(index + 1, None);
        }
        self.sources[index] = Some(source.to_owned());
    }

    fn check_collision(&mut self, index: usize, source: &str, warnings: &mut Vec<String>) {
        match self.sources.get(index).and_then(Option::as_ref) {
            None => self.set_source(index, source),
            Some(first) if first != source && !self.collisions_reported.contains(&index) => {
                self.collisions_reported.push(index);
                warnings.push(format!(
                    "table `{}`: fields `{first}` and `{source}` both become column `{}` \
                     after naming; their values share it (rename one with a column hint, or \
                     use `naming: direct`)",
                    self.name, self.schema.columns[index].name
                ));
            }
            Some(_) => {}
        }
    }

    /// Appends the row whose values are `cells` (column index, value); absent columns are
    /// null. Fails on a null in a column that must have a value.
    pub(crate) fn push_row(
        &mut self,
        cells: &mut Vec<(usize, Cell<'_>)>,
        required: &[(String, &'static str)],
    ) -> Result<()> {
        let width = self.schema.columns.len();
        let mut row = std::mem::take(&mut self.slots);
        row.clear();
        row.resize(width, None);
        for (at, (index, _)) in cells.iter().enumerate() {
            row[*index] = Some(at);
        }
        for (column, reason) in required {
            let missing = self
                .schema
                .find(column)
                .and_then(|i| row[i])
                .is_none_or(|at| cells[at].1 == Cell::Null);
            if missing {
                return Err(Error::NullValue {
                    table: self.name.clone(),
                    column: column.clone(),
                    reason,
                });
            }
        }
        for (index, slot) in row.iter().enumerate() {
            match slot {
                Some(at) => self.values[index].push(&cells[*at].1),
                None => self.values[index].push(&Cell::Null),
            }
        }
        self.rows_total += 1;
        self.seq.push(self.rows_total as i64);
        cells.clear();
        self.slots = row;
        Ok(())
    }

    /// Rows built since the last [`Table::take_batch`].
    pub(crate) fn gathered_rows(&self) -> usize {
        self.seq.len()
    }

    /// The rows built since the last call, as one batch (`SEQ_COLUMN` first, then every
    /// column in schema order); `None` when there are none.
    pub(crate) fn take_batch(&mut self) -> Result<Option<RecordBatch>> {
        if self.seq.is_empty() {
            return Ok(None);
        }
        let names = self.schema.names();
        let seq = std::mem::take(&mut self.seq);
        finish_batch(SEQ_COLUMN, seq, &names, &mut self.values)
            .map(Some)
            .map_err(|e| Error::Database {
                dialect: "loader",
                context: format!("building a batch of table `{}`", self.name),
                message: e.to_string(),
            })
    }
}

/// A value shortened for an error message.
pub(crate) fn excerpt(value: &Value) -> String {
    let full = value.to_string();
    match full.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &full[..cut]),
        None => full,
    }
}
