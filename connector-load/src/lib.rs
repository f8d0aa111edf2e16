//! Destinations for connector records: SQLite (default), DuckDB (cargo feature `duckdb`) and
//! PostgreSQL (cargo feature `postgres`).
//!
//! ```no_run
//! use connector_load::{open_destination, ResourceLoadPlan};
//! use connector_spec::Disposition;
//! use serde_json::json;
//!
//! let destination = open_destination("sqlite:demo.db")?;
//! let plan = ResourceLoadPlan::new("meetings", "users")
//!     .with_primary_key(["id"])
//!     .with_disposition(Disposition::Merge);
//! let mut writer = destination.begin(&plan)?;
//! writer.write_batch(&[json!({"id": 1, "name": "Ada"})])?;
//! let summary = writer.commit(Some(json!({"last_value": "2024-01-01"})))?;
//! assert_eq!(summary.records, 1);
//! # Ok::<(), connector_load::Error>(())
//! ```
//!
//! # Tables
//! Each resource loads into a root table (`table_name`, default the resource name) and child
//! tables, shaped as dlt shapes them: nested objects are flattened into `parent__child`
//! columns, lists become child tables `<table>__<field>` linked by [`PARENT_ID_COLUMN`] and
//! [`LIST_INDEX_COLUMN`] (and [`ROOT_ID_COLUMN`] for merges), names follow the plan's naming
//! convention (dlt's snake_case by default), and every root row carries [`ID_COLUMN`] and
//! [`LOAD_ID_COLUMN`]. Rows travel to the database as Arrow record batches, one per table.
//!
//! **Types evolve**: a new column is typed from its first non-null value (ISO date-times are
//! timestamps); a later value that does not fit widens an undeclared column where nothing is
//! lost (bigint to double) or goes to a variant column `<column>__v_<type>`. The plan's
//! schema contract can freeze or discard instead ([`Error::Contract`]). A spec column whose
//! type differs from the existing table's is [`Error::SchemaConflict`].
//!
//! # Dispositions
//! - `append` adds the rows; `replace` swaps the table's contents for this load's rows;
//! - `merge` with the default `delete-insert` strategy deletes the rows whose primary key (and
//!   merge key, when given) occurs in the load, with their child rows, then inserts the load's
//!   rows, one per primary key, the last one received winning; `upsert` updates matching rows in place and inserts
//!   the rest; `insert-only` inserts the records whose primary key the table lacks; `scd2`
//!   keeps history in `_dlt_valid_from` / `_dlt_valid_to`. Merge without any key appends
//!   (as in dlt); upsert and insert-only need a primary key.
//! - `skip` loads nothing but still commits the state.
//!
//! # Crash safety
//! Rows are staged per batch in the run's own staging tables,
//! `_connector_staging__<connector>__<table>__<load id>` (one transaction per batch; SQLite
//! keeps them as the connection's temporary tables, off the database file's journal).
//! [`ResourceWriter::commit`] applies them to the final tables, records the column types in
//! `_connector_columns`, the incremental state in `_connector_state` and the load in
//! `_connector_loads`, all in ONE transaction. Whatever happens before that commit
//! (an error, a dropped writer, a killed process), the final table and the state are as the
//! previous commit left them, and re-running from the stored state loads the rest exactly once.
//! A commit also checks that the staging table holds every record staged.
//!
//! # Overlapping runs
//! A sync run takes its connector's lock in the destination ([`Destination::lock`]) before
//! anything else, so two runs of one connector never load into one destination at once: the
//! second waits, or fails with [`Error::Locked`] naming the holder. The next run after a
//! killed one marks the killed run's loads `abandoned` and drops its staging tables. A table
//! that exists but was not made by connector is refused ([`Error::ForeignTable`]) unless the
//! plan adopts it.

mod backend;
#[cfg(feature = "delta")]
mod delta;
mod destination;
mod dialect;
#[cfg(feature = "duckdb")]
mod duckdb;
mod engine;
mod error;
mod normalize;
mod pg_url;
mod plan;
#[cfg(feature = "postgres")]
mod postgres;
mod progress;
mod sqlite;
pub mod sync;
mod types;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use destination::{Destination, ResourceWriter, RunLock};
pub use engine::{
    host_name, LoadRecord, LockHolder, RecoveredLoad, StoredResource, COLUMNS_TABLE, LOADS_TABLE,
    LOCKS_TABLE, STATE_TABLE, TABLES_TABLE,
};
pub use error::{Error, Result};
pub use normalize::{
    ID_COLUMN, LIST_INDEX_COLUMN, LOAD_ID_COLUMN, PARENT_ID_COLUMN, ROOT_ID_COLUMN,
    VALID_FROM_COLUMN, VALID_TO_COLUMN,
};
pub use pg_url::{redact_url, PostgresUrl, SslMode, POSTGRES_PARAMS, POSTGRES_SSLMODES};
pub use plan::{new_load_id, LoadSummary, ResourceLoadPlan};
pub use types::{LoadType, SqlValue};

/// The destination kinds this build supports, for help texts.
pub const SUPPORTED_DESTINATIONS: &[&str] = match (
    cfg!(feature = "duckdb"),
    cfg!(feature = "postgres"),
    cfg!(feature = "delta"),
) {
    (true, true, true) => &["sqlite:PATH", "duckdb:PATH", POSTGRES_FORM, DELTA_FORM],
    (true, true, false) => &["sqlite:PATH", "duckdb:PATH", POSTGRES_FORM],
    (true, false, true) => &["sqlite:PATH", "duckdb:PATH", DELTA_FORM],
    (true, false, false) => &["sqlite:PATH", "duckdb:PATH"],
    (false, true, true) => &["sqlite:PATH", POSTGRES_FORM, DELTA_FORM],
    (false, true, false) => &["sqlite:PATH", POSTGRES_FORM],
    (false, false, true) => &["sqlite:PATH", DELTA_FORM],
    (false, false, false) => &["sqlite:PATH"],
};

/// How a Delta destination is written.
const DELTA_FORM: &str = "delta:DIR|delta:s3://BUCKET/PREFIX";

/// How a PostgreSQL destination URL is written.
const POSTGRES_FORM: &str = "postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME]";

/// A parsed destination URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationUrl {
    /// `sqlite:PATH`.
    Sqlite(PathBuf),
    /// `duckdb:PATH`, optionally with DuckDB settings applied when the database is opened:
    /// `duckdb:PATH?memory_limit=512MB&threads=2` (see [`DUCKDB_SETTINGS`]).
    DuckDb {
        /// The database file.
        path: PathBuf,
        /// `(name, value)` pairs, in the order given.
        settings: Vec<(String, String)>,
    },
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME&sslmode=MODE]` (or
    /// `postgresql://`); its `Debug` redacts the password.
    Postgres(PostgresUrl),
    /// `delta:DIR` or `delta:s3://BUCKET/PREFIX`: Delta tables under `<root>/<connector>/`.
    Delta(String),
}

/// DuckDB settings a `duckdb:` URL may carry. DuckDB's own default `memory_limit` is 80% of
/// RAM, and its buffer pool keeps the blocks a load writes up to it; a limit makes it evict
/// and spill to `temp_directory` instead (`memory_limit=64MB` keeps a 1,000,000-record
/// delete-insert merge flat). The `upsert` merge strategy is the exception: DuckDB's `UPDATE`
/// holds its changes in memory, and fails with "Out of Memory" under a limit too small for the
/// rows it updates.
pub const DUCKDB_SETTINGS: &[&str] = &["memory_limit", "threads", "temp_directory"];

impl DestinationUrl {
    /// Parses `sqlite:PATH`, `duckdb:PATH` (`sqlite://PATH` is accepted too) or a
    /// `postgres://` URL. Whether DuckDB or PostgreSQL is compiled in is checked by
    /// [`open_destination`], not here. Errors show the URL with its password redacted.
    pub fn parse(url: &str) -> Result<Self> {
        let bad = |reason: String| Error::BadUrl {
            url: redact_url(url),
            reason,
        };
        let Some((scheme, rest)) = url.split_once(':') else {
            return Err(bad(format!(
                "no destination kind; write `sqlite:{url}`{}",
                if cfg!(feature = "duckdb") {
                    format!(" or `duckdb:{url}`")
                } else {
                    String::new()
                }
            )));
        };
        if scheme.eq_ignore_ascii_case("delta") {
            if rest.trim().is_empty() {
                return Err(bad(
                    "no directory or s3:// URL after `delta:`; write `delta:./lake` or \
                     `delta:s3://BUCKET/PREFIX`"
                        .to_owned(),
                ));
            }
            return Ok(DestinationUrl::Delta(rest.trim().to_owned()));
        }
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.trim().is_empty() {
            return Err(bad(format!("no database file path after `{scheme}:`")));
        }
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(DestinationUrl::Sqlite(PathBuf::from(path))),
            "duckdb" => {
                let (path, query) = path.split_once('?').unwrap_or((path, ""));
                Ok(DestinationUrl::DuckDb {
                    path: PathBuf::from(path),
                    settings: duckdb_settings(query).map_err(bad)?,
                })
            }
            "postgres" | "postgresql" => PostgresUrl::parse(url)
                .map(DestinationUrl::Postgres)
                .map_err(bad),
            other => Err(bad(format!(
                "unknown destination kind `{other}`; supported: sqlite:PATH, duckdb:PATH, \
                 {POSTGRES_FORM}, {DELTA_FORM}"
            ))),
        }
    }
}

/// Opens the destination a URL names: `sqlite:PATH` or `duckdb:PATH`. The file is created
/// when missing; its directory must exist.
///
/// A `postgres://` URL connects to the server; without `?schema=` it is refused (there is no
/// connector whose name it could default to): [`open_destination_for`] takes one.
pub fn open_destination(url: &str) -> Result<Box<dyn Destination>> {
    open_destination_waiting(url, Duration::ZERO)
}

/// [`open_destination`], retrying for up to `wait` while another process has a DuckDB file
/// open (DuckDB allows one writing process per file): [`Error::InUse`] when it still has.
pub fn open_destination_waiting(url: &str, wait: Duration) -> Result<Box<dyn Destination>> {
    open_destination_for(url, None, wait)
}

/// [`open_destination_waiting`] for `connector`'s runs: a PostgreSQL destination's schema
/// defaults to the connector's name (dlt's dataset) when the URL has no `?schema=`.
pub fn open_destination_for(
    url: &str,
    connector: Option<&str>,
    wait: Duration,
) -> Result<Box<dyn Destination>> {
    open_destination_with(
        url,
        &OpenOptions {
            connector,
            wait,
            ..OpenOptions::default()
        },
    )
}

/// How a run opens its destination, besides the URL.
///
/// ```
/// use connector_load::{open_destination_with, OpenOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let url = format!("sqlite:{}", dir.path().join("shop.db").display());
/// let options = OpenOptions { connector: Some("shop"), ..OpenOptions::default() };
/// let destination = open_destination_with(&url, &options).unwrap();
/// assert_eq!(destination.kind(), "sqlite");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions<'a> {
    /// The connector whose run opens it: a PostgreSQL schema defaults to its name.
    pub connector: Option<&'a str>,
    /// How long to retry while another process has a DuckDB file open.
    pub wait: Duration,
    /// A dlt-style secrets.toml, where a PostgreSQL password may be kept
    /// (`[destination.postgres.credentials] password`).
    pub secrets_file: Option<&'a Path>,
}

/// Opens (creating when missing) the destination a URL names, as [`OpenOptions`] say.
pub fn open_destination_with(url: &str, options: &OpenOptions<'_>) -> Result<Box<dyn Destination>> {
    let started = Instant::now();
    loop {
        let result = match DestinationUrl::parse(url)? {
            DestinationUrl::Postgres(pg) => {
                // Opened with `create`, it is always there.
                return open_postgres(&pg, options, true)?.ok_or_else(|| Error::Connect {
                    url: pg.redacted.clone(),
                    reason: "its schema was not created".to_owned(),
                });
            }
            DestinationUrl::Sqlite(path) => {
                check_path("sqlite", &path)?;
                check_writable("sqlite", &path)?;
                sqlite::open(&path, url).map(|d| Box::new(d) as Box<dyn Destination>)
            }
            DestinationUrl::DuckDb { path, settings } => open_duckdb(url, &path, &settings),
            DestinationUrl::Delta(rest) => return open_delta(url, &rest, options),
        };
        match result {
            Err(Error::InUse { .. }) if started.elapsed() < options.wait => {
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(Error::InUse {
                kind, path, holder, ..
            }) => {
                return Err(Error::InUse {
                    kind,
                    path,
                    holder,
                    waited_secs: options.wait.as_secs(),
                })
            }
            other => return other,
        }
    }
}

/// The destination a URL names when it exists (a database file that is there, a PostgreSQL
/// schema that is there), else `None`, creating nothing: what a command that only looks at a
/// destination opens.
pub fn open_existing(url: &str, options: &OpenOptions<'_>) -> Result<Option<Box<dyn Destination>>> {
    match DestinationUrl::parse(url)? {
        DestinationUrl::Postgres(pg) => open_postgres(&pg, options, false),
        DestinationUrl::Delta(rest) => {
            check_delta(url, &rest)?;
            open_delta(url, &rest, options).map(Some)
        }
        DestinationUrl::Sqlite(path) | DestinationUrl::DuckDb { path, .. } if !path.exists() => {
            Ok(None)
        }
        _ => open_destination_with(url, options).map(Some),
    }
}

/// Checks everything about a destination that can be checked without creating or changing
/// its file: the URL, that its kind is compiled in, that its directory exists, and that an
/// existing file is writable. A run calls it before anything else can fail, and opens the
/// destination only once nothing else can.
pub fn check_destination(url: &str) -> Result<()> {
    let (kind, path) = match DestinationUrl::parse(url)? {
        DestinationUrl::Postgres(_) => {
            if !cfg!(feature = "postgres") {
                return Err(Error::FeatureDisabled {
                    url: redact_url(url),
                    feature: "postgres",
                });
            }
            // A server is checked by connecting, when the run opens it.
            return Ok(());
        }
        DestinationUrl::Delta(rest) => return check_delta(url, &rest),
        DestinationUrl::Sqlite(path) => ("sqlite", path),
        DestinationUrl::DuckDb { path, .. } => {
            if !cfg!(feature = "duckdb") {
                return Err(Error::FeatureDisabled {
                    url: url.to_owned(),
                    feature: "duckdb",
                });
            }
            ("duckdb", path)
        }
    };
    check_path(kind, &path)?;
    check_writable(kind, &path)
}

/// An existing database file this process cannot open for writing is [`Error::ReadOnly`]
/// (SQLite would otherwise open it read-only without a word and fail at the first write).
fn check_writable(kind: &'static str, path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(_) => Ok(()),
        Err(e)
            if e.kind() == std::io::ErrorKind::PermissionDenied
                || e.kind() == std::io::ErrorKind::ReadOnlyFilesystem =>
        {
            Err(Error::ReadOnly {
                kind,
                path: path.to_owned(),
            })
        }
        Err(e) => Err(Error::Open {
            kind,
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// `name=value&...` pairs of DuckDB settings; only [`DUCKDB_SETTINGS`], values without quotes.
fn duckdb_settings(query: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut settings = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(format!("`{pair}` is not `setting=value`"));
        };
        if !DUCKDB_SETTINGS.contains(&name) {
            return Err(format!(
                "unknown DuckDB setting `{name}`; supported: {}",
                DUCKDB_SETTINGS.join(", ")
            ));
        }
        if value.is_empty() || value.contains(['\'', '"', ';']) {
            return Err(format!(
                "DuckDB setting `{name}` needs a plain value (no quotes or `;`), like `{name}=512MB`"
            ));
        }
        settings.push((name.to_owned(), value.to_owned()));
    }
    Ok(settings)
}

#[cfg(feature = "duckdb")]
fn open_duckdb(
    url: &str,
    path: &Path,
    settings: &[(String, String)],
) -> Result<Box<dyn Destination>> {
    check_path("duckdb", path)?;
    check_writable("duckdb", path)?;
    Ok(Box::new(duckdb::open(path, url, settings)?))
}

/// `create`: make the schema when missing; else `Ok(None)` when it is.
#[cfg(feature = "postgres")]
fn open_postgres(
    url: &PostgresUrl,
    options: &OpenOptions<'_>,
    create: bool,
) -> Result<Option<Box<dyn Destination>>> {
    let destination = if create {
        Some(postgres::open(url, options)?)
    } else {
        postgres::open_existing(url, options)?
    };
    Ok(destination.map(|d| Box::new(d) as Box<dyn Destination>))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(
    url: &PostgresUrl,
    _options: &OpenOptions<'_>,
    _create: bool,
) -> Result<Option<Box<dyn Destination>>> {
    Err(Error::FeatureDisabled {
        url: url.redacted.clone(),
        feature: "postgres",
    })
}

/// Checks a Delta destination's URL and that the feature is compiled in.
fn check_delta(url: &str, rest: &str) -> Result<()> {
    if !cfg!(feature = "delta") {
        return Err(Error::FeatureDisabled {
            url: url.to_owned(),
            feature: "delta",
        });
    }
    #[cfg(feature = "delta")]
    delta::location::Lake::parse(rest).map_err(|reason| Error::BadUrl {
        url: url.to_owned(),
        reason,
    })?;
    let _ = rest;
    Ok(())
}

#[cfg(feature = "delta")]
fn open_delta(url: &str, rest: &str, options: &OpenOptions<'_>) -> Result<Box<dyn Destination>> {
    let lake = delta::location::Lake::parse(rest).map_err(|reason| Error::BadUrl {
        url: url.to_owned(),
        reason,
    })?;
    Ok(Box::new(delta::open(lake, options)?))
}

#[cfg(not(feature = "delta"))]
fn open_delta(url: &str, _rest: &str, _options: &OpenOptions<'_>) -> Result<Box<dyn Destination>> {
    Err(Error::FeatureDisabled {
        url: url.to_owned(),
        feature: "delta",
    })
}

#[cfg(not(feature = "duckdb"))]
fn open_duckdb(
    url: &str,
    _path: &Path,
    _settings: &[(String, String)],
) -> Result<Box<dyn Destination>> {
    Err(Error::FeatureDisabled {
        url: url.to_owned(),
        feature: "duckdb",
    })
}

/// Clearer messages than the drivers give for the common mistakes.
fn check_path(kind: &'static str, path: &Path) -> Result<()> {
    let error = |reason: String| Error::Open {
        kind,
        path: path.to_owned(),
        reason,
    };
    if path.is_dir() {
        return Err(error("it is a directory, not a database file".to_owned()));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            return Err(error(format!(
                "directory `{}` does not exist",
                parent.display()
            )));
        }
    }
    Ok(())
}
