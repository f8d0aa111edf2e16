//! Delta Lake tables through delta-rs: behind the cargo feature `delta`.
//!
//! `delta:PATH` (a local directory) or `delta:s3://BUCKET/PREFIX` holds one Delta table per
//! table the normalizer makes, under `<root>/<connector>/<table>`, beside the connector's
//! `_connector_load_log` table and `_connector_locks` folder. Staged rows wait in local Parquet
//! files ([`spool`]); the commit writes each table with delta-rs (append, overwrite, MERGE)
//! and records the load last ([`book`] says why that is the commit point). S3 is configured
//! from the standard AWS environment variables ([`location::S3_ENV`]).
//!
//! delta-rs is async; the loader is not. The destination owns a tokio runtime and runs each
//! call on it from a thread of its own, so a call made from async code (a writer dropped in
//! a task) never blocks a runtime's worker.

mod book;
mod columns;
pub(crate) mod location;
mod lock;
mod merge;
mod query;
mod spool;
mod tables;
mod writer;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connector_spec::{Disposition, MergeStrategy};
use deltalake::datafusion::prelude::SessionContext;
use deltalake::DeltaTable;
use serde_json::Value;
use url::Url;

use crate::destination::{Destination, ResourceWriter, RunLock};
use crate::engine::{now_rfc3339, LoadRecord, StoredResource};
use crate::error::{Error, Result};
use crate::normalize::{LoadNames, RowId, Table};
use crate::plan::{new_load_id, ResourceLoadPlan};
use crate::progress::Progress;
use book::LoadRow;
use location::Lake;
use tables::{check_marker, existing_schema};
use writer::DeltaWriter;

/// A delta-rs (or DataFusion, or object store) failure while `context`.
pub(super) fn fail(context: &str, e: impl std::fmt::Display) -> Error {
    Error::db("delta", context, e)
}

/// A DataFusion session with delta-rs's planners (its writes and merges are plan nodes of
/// their own).
pub(super) fn session() -> SessionContext {
    deltalake::delta_datafusion::create_session().into_inner()
}

/// What the destination and its writers share.
pub(crate) struct Shared {
    lake: Lake,
    options: std::collections::HashMap<String, String>,
    /// Always `Some` but in `drop`.
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Shared {
    /// A runtime dropped inside another one's async context would panic; shutting it down in
    /// the background never blocks.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Shared {
    /// Runs `f` to completion on the destination's runtime, from a thread of its own.
    fn run<T: Send>(&self, f: impl Future<Output = Result<T>> + Send) -> Result<T> {
        std::thread::scope(|s| {
            s.spawn(|| {
                self.runtime
                    .as_ref()
                    .expect("the runtime lives as long as the destination")
                    .block_on(f)
            })
            .join()
            .unwrap_or_else(|_| Err(fail("running a Delta operation", "it panicked")))
        })
    }

    /// The table at `url`, loaded at its latest version (no version: not created yet).
    /// A location without a `_delta_log` is not loaded at all, so delta-rs logs no error for
    /// a table that is simply not there yet.
    async fn open_url(&self, url: &Url) -> Result<DeltaTable> {
        let opening = |e: deltalake::DeltaTableError| fail(&format!("opening {url}"), e);
        // delta-rs opens a local location only when its directory is there. It is made here,
        // and kept: removing it again when no table is there would race with another writer
        // putting its first files into it. Listings skip folders without a Delta log.
        let local = url.to_file_path().ok();
        if let Some(path) = &local {
            std::fs::create_dir_all(path).map_err(|e| fail(&format!("creating {url}"), e))?;
        }
        let mut table = deltalake::DeltaTableBuilder::from_url(url.clone())
            .and_then(|b| b.with_storage_options(self.options.clone()).build())
            .map_err(opening)?;
        let exists = match &local {
            Some(path) => path.join("_delta_log").is_dir(),
            None => {
                let log = deltalake::Path::from("_delta_log");
                let store = table.log_store().object_store(None);
                let listed = store
                    .list_with_delimiter(Some(&log))
                    .await
                    .map_err(|e| fail(&format!("opening {url}"), e))?;
                !listed.objects.is_empty()
            }
        };
        if exists {
            table.load().await.map_err(opening)?;
        }
        Ok(table)
    }

    async fn open(&self, connector: &str, table: &str) -> Result<DeltaTable> {
        self.open_url(&self.lake.table(connector, table)).await
    }

    /// The connectors with loads here (the root's folders holding a load log).
    async fn connector_names(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for name in self.folders(&self.lake.root).await? {
            if self.open(&name, book::LOG).await?.version().is_some() {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// The names of `connector`'s tables (its folders holding a Delta table).
    async fn table_names(&self, connector: &str) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for name in self.folders(&self.lake.connector_dir(connector)).await? {
            if self.open(connector, &name).await?.version().is_some() {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// The folders in `dir`, but connector's own (`_connector_*`), by their decoded names.
    async fn folders(&self, dir: &Url) -> Result<Vec<String>> {
        let dir = self.open_url(dir).await?;
        let store = dir.log_store().object_store(None);
        let listed = store
            .list_with_delimiter(None)
            .await
            .map_err(|e| fail("listing tables", e))?;
        let mut names = Vec::new();
        for prefix in listed.common_prefixes {
            let Some(name) = prefix.filename() else {
                continue;
            };
            // Names are stored form-encoded (`location::segment`), which leaves no `&`/`=`.
            let name = url::form_urlencoded::parse(name.as_bytes())
                .map(|(k, _)| k)
                .collect::<String>();
            if name.starts_with("_connector_") {
                continue;
            }
            names.push(name);
        }
        names.sort();
        Ok(names)
    }
}

/// A Delta destination.
pub(crate) struct DeltaDestination {
    shared: Arc<Shared>,
    url: String,
    /// The connector whose tables [`Destination::query_rows`] sees by name.
    connector: Option<String>,
}

/// Opens `delta:PATH` or `delta:s3://...`; a local directory is created when missing.
pub(crate) fn open(lake: Lake, options: &crate::OpenOptions<'_>) -> Result<DeltaDestination> {
    lake.prepare()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| fail("starting the Delta runtime", e))?;
    Ok(DeltaDestination {
        url: lake.to_string(),
        shared: Arc::new(Shared {
            options: lake.storage_options(options.secrets_file)?,
            lake,
            runtime: Some(runtime),
        }),
        connector: options.connector.map(str::to_owned),
    })
}

impl DeltaDestination {
    /// The tables a load of `root` starts with: the root's columns as its Delta table has
    /// them, then its existing child tables, each after its parent (the longest existing
    /// prefix of its name).
    async fn starting_tables(
        &self,
        plan: &ResourceLoadPlan,
        names: &LoadNames,
    ) -> Result<Vec<Table>> {
        let shared = &self.shared;
        let root = shared.open(&plan.connector, &names.root).await?;
        let mut schema = crate::normalize::schema::Schema::default();
        if root.version().is_some() {
            if !plan.adopt_table {
                check_marker(&root, &names.root)?;
            }
            schema = existing_schema(&root)?;
        }
        crate::normalize::check_declared(&names.root, &schema, &names.declared_root)?;
        let existed = root.version().is_some();
        for key in &names.primary_key {
            if let Some(i) = schema.find(key) {
                schema.columns[i].nullable = false;
            }
        }
        let mut tables = vec![Table::new(names.root.clone(), None, schema, existed)];
        for child in book::table_family(shared, &plan.connector, &names.root)
            .await?
            .into_iter()
            .skip(1)
        {
            let parent = tables
                .iter()
                .enumerate()
                .filter(|(_, t)| child.starts_with(&format!("{}__", t.name)))
                .max_by_key(|(_, t)| t.name.len())
                .map(|(i, _)| i);
            let table = shared.open(&plan.connector, &child).await?;
            if let (Some(parent), Some(_)) = (parent, table.version()) {
                let schema = existing_schema(&table)?;
                tables.push(Table::new(child, Some(parent), schema, true));
            }
        }
        Ok(tables)
    }
}

impl Destination for DeltaDestination {
    fn kind(&self) -> &'static str {
        "delta"
    }

    fn url(&self) -> &str {
        &self.url
    }

    fn begin(&self, plan: &ResourceLoadPlan) -> Result<Box<dyn ResourceWriter>> {
        let names = LoadNames::of(plan)?;
        if plan.disposition == Disposition::Merge && plan.merge_strategy == MergeStrategy::Scd2 {
            return Err(Error::InvalidPlan {
                table: plan.table.clone(),
                reason: "merge strategy `scd2` is not supported by Delta destinations yet; \
                         use delete-insert, upsert or insert-only, or a SQL destination"
                    .to_owned(),
            });
        }
        let load_id = plan.load_id.clone().unwrap_or_else(new_load_id);
        let started_at = now_rfc3339();
        let shared = Arc::clone(&self.shared);
        let (tables, root) = shared.run(async {
            let mut tables = self.starting_tables(plan, &names).await?;
            names.shape_root(&mut tables[0]);
            book::append(
                &shared,
                &plan.connector,
                &[LoadRow {
                    resource: plan.resource.clone(),
                    table_name: names.root.clone(),
                    load_id: load_id.clone(),
                    status: "running".to_owned(),
                    state: None,
                    records: 0,
                    table_rows: 0,
                    started_at: started_at.clone(),
                    finished_at: None,
                }],
            )
            .await?;
            Ok((tables, names.root.clone()))
        })?;
        let (primary_key, merge_key) = (names.primary_key.clone(), names.merge_key.clone());
        let normalizer = names.normalizer(plan, tables, &load_id, RowId::PerLoad, false);
        Ok(Box::new(DeltaWriter {
            spool: spool::Spool::new(&load_id)?,
            shared,
            plan: plan.clone(),
            root,
            load_id,
            started: Instant::now(),
            started_at,
            normalizer,
            primary_key,
            merge_key,
            progress: Progress::default(),
            untrusted: None,
        }))
    }

    fn state(&self, connector: &str, resource: &str) -> Result<Option<Value>> {
        let raw = self
            .shared
            .run(book::state_text(&self.shared, connector, resource))?;
        raw.map(|raw| {
            serde_json::from_str(&raw).map_err(|e| Error::CorruptState {
                connector: connector.to_owned(),
                resource: resource.to_owned(),
                reason: e.to_string(),
            })
        })
        .transpose()
    }

    fn lock(&self, connector: &str, load_id: &str, wait: Duration) -> Result<RunLock> {
        let recovered = self
            .shared
            .run(lock::acquire(&self.shared, connector, load_id, wait))?;
        let shared = Arc::clone(&self.shared);
        let (key, load_id) = (connector.to_owned(), load_id.to_owned());
        Ok(RunLock::new(
            recovered,
            Box::new(move || {
                // A lock left behind is taken over by the next run (its holder is gone).
                let _ = shared.run(lock::release(&shared, &key, &load_id));
            }),
        ))
    }

    fn check_table(&self, plan: &ResourceLoadPlan) -> Result<()> {
        if plan.adopt_table {
            return Ok(());
        }
        let names = LoadNames::of(plan)?;
        let url = self.shared.lake.table(&plan.connector, &names.root);
        let table = self.shared.run(self.shared.open_url(&url))?;
        check_marker(&table, &names.root)
    }

    fn stored_state(&self, connector: &str) -> Result<Vec<StoredResource>> {
        let rows = self.shared.run(book::rows(&self.shared, connector))?;
        let mut by_resource: BTreeMap<&str, Vec<&LoadRow>> = BTreeMap::new();
        for row in &rows {
            by_resource.entry(&row.resource).or_default().push(row);
        }
        Ok(by_resource
            .into_iter()
            .map(|(resource, rows)| {
                let last = rows
                    .iter()
                    .filter(|r| r.status != "state_reset")
                    .max_by(|a, b| {
                        (a.started_at.as_str(), a.at()).cmp(&(b.started_at.as_str(), b.at()))
                    });
                let state_row = book::state_row(
                    &rows.iter().map(|r| (*r).clone()).collect::<Vec<_>>(),
                    resource,
                )
                .cloned();
                StoredResource {
                    resource: resource.to_owned(),
                    last_load: last.map(|r| LoadRecord {
                        load_id: r.load_id.clone(),
                        status: r.status.clone(),
                        table: r.table_name.clone(),
                        started_at: r.started_at.clone(),
                        finished_at: r.finished_at.clone(),
                        records: r.records,
                        table_rows: r.table_rows,
                    }),
                    state: state_row
                        .as_ref()
                        .and_then(|r| r.state.as_deref())
                        .map(|raw| {
                            serde_json::from_str(raw).unwrap_or(Value::String(raw.to_owned()))
                        })
                        .filter(|v| !v.is_null()),
                    state_updated_at: state_row.and_then(|r| r.finished_at),
                }
            })
            .collect())
    }

    fn reset_state(&self, connector: &str, resources: Option<&[String]>) -> Result<Vec<String>> {
        let shared = &self.shared;
        shared.run(async {
            let rows = book::rows(shared, connector).await?;
            let mut names: Vec<&str> = rows.iter().map(|r| r.resource.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            let mut reset = Vec::new();
            let mut marks = Vec::new();
            let now = now_rfc3339();
            for name in names {
                if resources.is_some_and(|only| !only.iter().any(|r| r == name)) {
                    continue;
                }
                if let Some(row) = book::state_row(&rows, name).filter(|r| r.state.is_some()) {
                    reset.push(name.to_owned());
                    marks.push(LoadRow {
                        status: "state_reset".to_owned(),
                        state: None,
                        started_at: now.clone(),
                        finished_at: Some(now.clone()),
                        records: 0,
                        table_rows: 0,
                        ..row.clone()
                    });
                }
            }
            if !marks.is_empty() {
                book::append(shared, connector, &marks).await?;
            }
            Ok(reset)
        })
    }

    /// SQL (DataFusion's dialect) over the destination's tables: each connector's as
    /// `"connector"."table"`, and by bare name those of the connector the destination was
    /// opened for (or of the only connector there is), with `_connector_loads`,
    /// `_connector_state` and `_connector_columns` as the SQL destinations have them (views
    /// of the load log and the tables' schemas).
    fn query_rows(&self, sql: &str) -> Result<Vec<Vec<Value>>> {
        self.shared
            .run(query::query(&self.shared, self.connector.as_deref(), sql))
    }
}
