//! The staging thread: a load's batches are staged on a thread of their own while the
//! writer normalizes the next records, so the two halves of a writer's work before its
//! commit overlap instead of taking turns on one thread. One set of batches is in flight at
//! a time; its error surfaces at the next batch or at the commit.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use arrow_array::RecordBatch;

use super::connection::lock;
use super::staging::Staging;
use crate::backend::Backend;
use crate::error::Result;
use crate::normalize::Shape;

/// A staging job's result: the staging tables back, and whether the batches went in.
type Job = JoinHandle<(Staging, Result<()>)>;

/// Stages one load's batches, one set at a time, off the writer's thread.
pub(super) struct Stager<B: Backend> {
    conn: Arc<Mutex<B>>,
    connector: String,
    load_id: String,
    /// Whether the staging tables of tables the load creates may become them (the
    /// disposition allows it; [`Stager::stage`] says whether the rows still do).
    may_become: bool,
    /// How many rows to gather before staging them (the dialect's `stage_rows`), known
    /// here so that asking never waits for the connection the staging thread holds.
    gather: usize,
    /// The staging tables; while batches are in flight, their job has them and this is
    /// empty.
    staging: Staging,
    busy: Option<Job>,
}

impl<B: Backend> Stager<B> {
    pub(super) fn new(
        conn: Arc<Mutex<B>>,
        connector: &str,
        load_id: &str,
        gather: usize,
        may_become: bool,
    ) -> Self {
        Stager {
            conn,
            may_become,
            gather,
            connector: connector.to_owned(),
            load_id: load_id.to_owned(),
            staging: Staging::default(),
            busy: None,
        }
    }

    /// Whether `gathered` rows are to be staged now. The first rows go at once, so what the
    /// database refuses is known early.
    pub(super) fn wants(&self, gathered: usize) -> bool {
        self.is_empty() || gathered >= self.gather
    }

    /// Whether nothing has been staged yet, nor is being.
    fn is_empty(&self) -> bool {
        self.busy.is_none() && self.staging.is_empty()
    }

    /// Stages `batches` of the tables `shapes` (as they were when the batches were taken):
    /// waits for the batches in flight and fails with their error, then starts these. The
    /// first batches are staged before this returns, so what the database refuses is known
    /// early. `keys_unique`: whether the rows' keys have only increased so far (a staging
    /// table made now may become its table only then).
    pub(super) fn stage(
        &mut self,
        shapes: Vec<Shape>,
        batches: Vec<(usize, RecordBatch)>,
        keys_unique: bool,
    ) -> Result<()> {
        if batches.is_empty() {
            return Ok(());
        }
        let first = self.is_empty();
        self.settle()?;
        let mut staging = std::mem::take(&mut self.staging);
        let (conn, connector, load_id) = (
            Arc::clone(&self.conn),
            self.connector.clone(),
            self.load_id.clone(),
        );
        let may_become = self.may_become && keys_unique;
        let work = move || {
            let staged = staging.stage(
                &mut *lock(&conn),
                &connector,
                &load_id,
                &shapes,
                batches,
                may_become,
            );
            (staging, staged)
        };
        if first {
            let staged;
            (self.staging, staged) = work();
            return staged;
        }
        self.busy = Some(std::thread::spawn(work));
        Ok(())
    }

    /// Waits for the batches in flight, failing with their error. A panic on the staging
    /// thread goes on here.
    pub(super) fn settle(&mut self) -> Result<()> {
        let Some(job) = self.busy.take() else {
            return Ok(());
        };
        let staged;
        (self.staging, staged) = job
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        staged
    }

    /// The staging tables (all of them once [`Stager::settle`] has succeeded).
    pub(super) fn staging(&self) -> &Staging {
        &self.staging
    }

    /// The staging tables once nothing is in flight, whatever became of the last batches
    /// (for undoing a load). After a panic on the staging thread, the tables it had are
    /// not known here (SQLite's go with the connection; the others' stay, named by their
    /// load id).
    pub(super) fn abandon(&mut self) -> &Staging {
        if let Some(job) = self.busy.take() {
            if let Ok((staging, _)) = job.join() {
                self.staging = staging;
            }
        }
        &self.staging
    }
}
