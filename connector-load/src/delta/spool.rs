//! A load's staged rows before its commit: Parquet files on local disk, per table, written
//! as the normalizer hands over batches. Memory stays flat however many records a load has;
//! the commit reads the files back through DataFusion, each cast to the table's final column
//! types (a column widened or added mid-load reads right from files written before).

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use deltalake::arrow::array::RecordBatch;
use deltalake::arrow::datatypes::SchemaRef;
use deltalake::datafusion::common::ScalarValue;
use deltalake::datafusion::logical_expr::{cast, ident, lit};
use deltalake::datafusion::prelude::{DataFrame, ParquetReadOptions, SessionContext};
use deltalake::parquet::arrow::ArrowWriter;
use deltalake::parquet::basic::Compression;
use deltalake::parquet::file::properties::WriterProperties;

use super::columns::arrow_type;
use super::fail;
use crate::error::Result;
use crate::normalize::schema::Schema;
use crate::normalize::SEQ_COLUMN;

/// Rows per Parquet row group: what one open file (staged, or of a table) holds in memory at
/// most.
pub(super) const ROW_GROUP_ROWS: usize = 64 * 1024;

/// One table's staged files.
#[derive(Default)]
struct Staged {
    files: Vec<PathBuf>,
    open: Option<(ArrowWriter<File>, SchemaRef)>,
}

/// The staged rows of one load, in a temporary directory removed with it.
pub(super) struct Spool {
    dir: tempfile::TempDir,
    /// In a mutex only so that the writer holding the spool is `Sync` (Parquet's writer is
    /// not); it is only ever reached through `&mut self`.
    tables: Mutex<Vec<Staged>>,
}

/// The start of the name of `load_id`'s staging directory.
fn prefix(load_id: &str) -> String {
    format!("connector-delta-{load_id}-")
}

/// Removes the staging directories a killed process left of `load_id` on this machine.
pub(super) fn remove_left_behind(load_id: &str) {
    let prefix = prefix(load_id);
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Spool {
    pub(super) fn new(load_id: &str) -> Result<Spool> {
        let dir = tempfile::Builder::new()
            .prefix(&prefix(load_id))
            .tempdir()
            .map_err(|e| fail("creating the load's staging directory", e))?;
        Ok(Spool {
            dir,
            tables: Mutex::new(Vec::new()),
        })
    }

    /// Stages `batch` for table `index`; a batch with other columns than the open file's
    /// starts a new file.
    pub(super) fn stage(&mut self, index: usize, batch: &RecordBatch) -> Result<()> {
        let tables = self
            .tables
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if tables.len() <= index {
            tables.resize_with(index + 1, Staged::default);
        }
        let staged = &mut tables[index];
        if staged
            .open
            .as_ref()
            .is_some_and(|(_, schema)| *schema != batch.schema())
        {
            let (writer, _) = staged.open.take().expect("checked above");
            writer
                .close()
                .map_err(|e| fail("finishing a staging file", e))?;
        }
        if staged.open.is_none() {
            let path = self
                .dir
                .path()
                .join(format!("t{index}-{}.parquet", staged.files.len()));
            let file = File::create(&path).map_err(|e| fail("creating a staging file", e))?;
            let properties = WriterProperties::builder()
                .set_compression(Compression::UNCOMPRESSED)
                .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                .build();
            let writer = ArrowWriter::try_new(file, batch.schema(), Some(properties))
                .map_err(|e| fail("creating a staging file", e))?;
            staged.files.push(path);
            staged.open = Some((writer, batch.schema()));
        }
        let (writer, _) = staged.open.as_mut().expect("opened above");
        writer
            .write(batch)
            .map_err(|e| fail("writing a staging file", e))?;
        Ok(())
    }

    /// Closes the open files and returns them (they stay until the spool is dropped).
    pub(super) fn finish(&mut self) -> Result<Files> {
        let tables = self
            .tables
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for staged in tables.iter_mut() {
            if let Some((writer, _)) = staged.open.take() {
                writer
                    .close()
                    .map_err(|e| fail("finishing a staging file", e))?;
            }
        }
        Ok(Files(tables.iter().map(|t| t.files.clone()).collect()))
    }
}

/// The staged files of a finished spool, per table.
pub(super) struct Files(Vec<Vec<PathBuf>>);

impl Files {
    /// Table `index`'s staged rows as one frame of `SEQ_COLUMN` and `schema`'s columns, each
    /// cast to its final type (null where a file predates the column); `None` when nothing
    /// was staged for it.
    pub(super) async fn frame(
        &self,
        ctx: &SessionContext,
        index: usize,
        schema: &Schema,
    ) -> Result<Option<DataFrame>> {
        let Some(files) = self.0.get(index) else {
            return Ok(None);
        };
        let mut frame: Option<DataFrame> = None;
        for path in files {
            let path = path.to_string_lossy();
            let df = ctx
                .read_parquet(path.as_ref(), ParquetReadOptions::default())
                .await
                .map_err(|e| fail("reading a staging file", e))?;
            let present: HashSet<String> = df
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let mut exprs = vec![ident(SEQ_COLUMN)];
            for c in &schema.columns {
                let value = if present.contains(&c.name) {
                    ident(&c.name)
                } else {
                    lit(ScalarValue::Null)
                };
                exprs.push(cast(value, arrow_type(c.ty)).alias(&c.name));
            }
            let df = df
                .select(exprs)
                .map_err(|e| fail("reading a staging file", e))?;
            frame = Some(match frame {
                None => df,
                Some(f) => f
                    .union(df)
                    .map_err(|e| fail("reading the staged rows", e))?,
            });
        }
        Ok(frame)
    }
}

/// `frame` without the staging order column: the table's own columns.
pub(super) fn without_seq(frame: DataFrame, schema: &Schema) -> Result<DataFrame> {
    frame
        .select(
            schema
                .columns
                .iter()
                .map(|c| ident(&c.name))
                .collect::<Vec<_>>(),
        )
        .map_err(|e| fail("selecting the staged columns", e))
}
