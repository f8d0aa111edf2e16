//! Column builders: the values of one table's rows, column by column, until they become an
//! Arrow record batch. Four physical kinds carry every column type ([`Physical`]); a column
//! widened mid-batch (bigint to double) converts the values it holds.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema as ArrowSchema};

use crate::types::{Cell, Physical};

/// The values of one column.
pub(crate) enum Column {
    Int(Int64Builder),
    Real(Float64Builder),
    Bool(BooleanBuilder),
    Text(StringBuilder),
}

impl Column {
    /// An empty column of `physical` kind holding `nulls` nulls (the rows before it existed).
    pub(crate) fn new(physical: Physical, nulls: usize) -> Column {
        let mut column = match physical {
            Physical::Int => Column::Int(Int64Builder::new()),
            Physical::Real => Column::Real(Float64Builder::new()),
            Physical::Bool => Column::Bool(BooleanBuilder::new()),
            Physical::Text => Column::Text(StringBuilder::new()),
        };
        for _ in 0..nulls {
            column.push(&Cell::Null);
        }
        column
    }

    /// Appends one value (converted to this column's type before, so the kinds agree; a
    /// value of another kind is stored as null, which conversion rules out).
    pub(crate) fn push(&mut self, cell: &Cell<'_>) {
        match (self, cell) {
            (Column::Int(b), Cell::Int(i)) => b.append_value(*i),
            (Column::Real(b), Cell::Real(f)) => b.append_value(*f),
            (Column::Real(b), Cell::Int(i)) => b.append_value(*i as f64),
            (Column::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (Column::Text(b), Cell::Str(s)) => b.append_value(s),
            (Column::Int(b), _) => b.append_null(),
            (Column::Real(b), _) => b.append_null(),
            (Column::Bool(b), _) => b.append_null(),
            (Column::Text(b), _) => b.append_null(),
        }
    }

    /// The column converted to doubles (bigint widened to double).
    pub(crate) fn into_real(self) -> Column {
        match self {
            Column::Int(mut b) => {
                let ints = b.finish();
                let mut reals = Float64Builder::with_capacity(ints.len());
                for i in 0..ints.len() {
                    if ints.is_null(i) {
                        reals.append_null();
                    } else {
                        reals.append_value(ints.value(i) as f64);
                    }
                }
                Column::Real(reals)
            }
            other => other,
        }
    }

    fn data_type(&self) -> DataType {
        match self {
            Column::Int(_) => DataType::Int64,
            Column::Real(_) => DataType::Float64,
            Column::Bool(_) => DataType::Boolean,
            Column::Text(_) => DataType::Utf8,
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Int(b) => Arc::new(b.finish()),
            Column::Real(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// A record batch of `seq` (the staging order column, named `seq_name`) and `columns`
/// (named `names`), emptying the builders. Every column holds one value per `seq` entry.
pub(crate) fn finish_batch(
    seq_name: &str,
    seq: Vec<i64>,
    names: &[String],
    columns: &mut [Column],
) -> Result<RecordBatch, ArrowError> {
    let mut fields = Vec::with_capacity(columns.len() + 1);
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len() + 1);
    fields.push(Field::new(seq_name, DataType::Int64, false));
    arrays.push(Arc::new(Int64Array::from(seq)));
    for (name, column) in names.iter().zip(columns.iter_mut()) {
        fields.push(Field::new(name, column.data_type(), true));
        arrays.push(column.finish());
    }
    // Lengths and types agree by construction; `try_new` checks them again.
    RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), arrays)
}
