//! How far a writer's load has got, kept the same way by every destination's writer: records
//! staged, whether a step failed (a failed writer refuses further work: its staging may be
//! half done), and whether it committed (an uncommitted writer's `Drop` undoes its load).

use connector_spec::Disposition;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::plan::ResourceLoadPlan;

/// A writer's progress through its load.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    records: u64,
    failed: bool,
    finished: bool,
}

impl Progress {
    /// Records staged so far.
    pub(crate) fn records(&self) -> u64 {
        self.records
    }

    /// Whether the load committed (a writer dropped before that undoes it).
    pub(crate) fn finished(&self) -> bool {
        self.finished
    }

    /// One batch: `stage` normalizes and stages `records` unless there are none or the
    /// resource is skipped (its records are counted, not loaded). A failure fails the writer.
    pub(crate) fn write_batch(
        &mut self,
        plan: &ResourceLoadPlan,
        records: &[Value],
        stage: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        self.usable(plan)?;
        if records.is_empty() {
            return Ok(());
        }
        let staged = if plan.disposition == Disposition::Skip {
            Ok(())
        } else {
            stage()
        };
        self.settle(staged)?;
        self.records += records.len() as u64;
        Ok(())
    }

    /// Fails with [`Error::WriterFailed`] once a batch or the commit has failed.
    pub(crate) fn usable(&self, plan: &ResourceLoadPlan) -> Result<()> {
        if self.failed {
            return Err(Error::WriterFailed {
                table: plan.table.clone(),
            });
        }
        Ok(())
    }

    /// The commit's outcome: finished when it succeeded, failed when not.
    pub(crate) fn committed<T>(&mut self, result: Result<T>) -> Result<T> {
        let value = self.settle(result)?;
        self.finished = true;
        Ok(value)
    }

    fn settle<T>(&mut self, result: Result<T>) -> Result<T> {
        if result.is_err() {
            self.failed = true;
        }
        result
    }
}
