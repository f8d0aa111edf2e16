//! The normalizer's batches as delta-rs takes them, and column types both ways.
//!
//! delta-rs is built on an older arrow than the rest of the loader, so a batch crosses over
//! through the Arrow C Data Interface: the same buffers, handed from one arrow to the other
//! without a copy. Column types are stored in the Delta schema as Delta's own types, plus the
//! loader's type name in each field's metadata (`connector.type`), so a JSON, time, wei or
//! binary column (all Delta strings) keeps its type across runs.

use deltalake::arrow::array::{Array, RecordBatch, StructArray};
use deltalake::arrow::datatypes::{DataType, Schema as ArrowSchema, TimeUnit};

use crate::error::{Error, Result};
use crate::normalize::schema::{ColumnDef, Schema};
use crate::types::LoadType;

/// The field metadata key holding a column's loader type.
const TYPE_KEY: &str = "connector.type";

/// `batch` (the normalizer's arrow) as a batch of delta-rs's arrow, sharing its buffers.
pub(super) fn to_delta(batch: &arrow_array::RecordBatch) -> Result<RecordBatch> {
    let fail = |e: &dyn std::fmt::Display| Error::db("delta", "handing a batch to delta-rs", e);
    let data = arrow_array::Array::into_data(arrow_array::StructArray::from(batch.clone()));
    let (mut array, mut schema) = arrow_array::ffi::to_ffi(&data).map_err(|e| fail(&e))?;
    // SAFETY: both arrows' FFI structs are the C Data Interface's `ArrowArray` and
    // `ArrowSchema`, `#[repr(C)]` with the same fields; `from_raw` moves the value out and
    // leaves an empty (released) struct behind, so nothing is freed twice.
    let (array, schema) = unsafe {
        (
            delta_arrow::ffi::FFI_ArrowArray::from_raw(std::ptr::addr_of_mut!(array).cast()),
            delta_arrow::ffi::FFI_ArrowSchema::from_raw(std::ptr::addr_of_mut!(schema).cast()),
        )
    };
    // SAFETY: the structs were exported just above by arrow's own `to_ffi`.
    let data = unsafe { delta_arrow::ffi::from_ffi(array, &schema) }.map_err(|e| fail(&e))?;
    let columns = StructArray::from(data);
    if columns.null_count() > 0 {
        return Err(fail(&"a row of the batch is null"));
    }
    Ok(RecordBatch::from(columns))
}

/// The arrow type a column of `ty` has in a Delta table. Delta has no time-of-day, JSON or
/// 256-bit integer type: those are strings, as is binary (the base64 text the API sent).
pub(super) fn arrow_type(ty: LoadType) -> DataType {
    match ty {
        LoadType::Bigint => DataType::Int64,
        LoadType::Double => DataType::Float64,
        LoadType::Bool => DataType::Boolean,
        LoadType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        LoadType::Date => DataType::Date32,
        LoadType::Decimal { precision, scale } => DataType::Decimal128(
            u8::try_from(precision.min(38)).unwrap_or(38),
            i8::try_from(scale.min(38)).unwrap_or(9),
        ),
        LoadType::Text | LoadType::Time | LoadType::Json | LoadType::Wei | LoadType::Binary => {
            DataType::Utf8
        }
    }
}

/// The loader's view of an existing Delta table's columns: the type its metadata names, or
/// the one its Delta type means.
pub(super) fn schema_of(arrow: &ArrowSchema) -> Schema {
    let mut schema = Schema::default();
    for f in arrow.fields() {
        let (precision, scale) = match f.data_type() {
            DataType::Decimal128(p, s) => (Some(u32::from(*p)), u32::try_from(*s).ok()),
            _ => (None, None),
        };
        let ty = f
            .metadata()
            .get(TYPE_KEY)
            .and_then(|name| LoadType::from_name(name, precision, scale))
            .unwrap_or(match f.data_type() {
                DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                    LoadType::Bigint
                }
                DataType::Float32 | DataType::Float64 => LoadType::Double,
                DataType::Boolean => LoadType::Bool,
                DataType::Timestamp(..) => LoadType::Timestamp,
                DataType::Date32 | DataType::Date64 => LoadType::Date,
                DataType::Decimal128(p, s) => LoadType::Decimal {
                    precision: u32::from(*p),
                    scale: u32::try_from(*s).unwrap_or(0),
                },
                _ => LoadType::Text,
            });
        schema.push(ColumnDef {
            name: f.name().clone(),
            ty,
            nullable: true,
        });
    }
    schema
}
