//! Errors of the loader. Messages name the destination, table and column involved; they never
//! contain record values beyond a short excerpt of the offending one.

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong while opening a destination or loading into it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The destination URL is not `sqlite:PATH` or `duckdb:PATH`.
    #[error("bad destination `{url}`: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong and what would be right.
        reason: String,
    },
    /// The destination kind exists but was not compiled in.
    #[error(
        "destination `{url}` needs connector-load's cargo feature `{feature}`, which this build \
         does not have; rebuild with `--features {feature}` (or use `sqlite:PATH`)"
    )]
    FeatureDisabled {
        /// The URL as given.
        url: String,
        /// The missing cargo feature.
        feature: &'static str,
    },
    /// The database file could not be opened or created.
    /// A database server could not be reached or refused the connection (`url` has its
    /// password redacted; the reason is the server's or the network's).
    #[error("cannot connect to destination `{url}`: {reason}")]
    Connect {
        /// The destination URL, password redacted.
        url: String,
        /// Why.
        reason: String,
    },
    #[error("cannot open {kind} destination `{path}`: {reason}")]
    Open {
        /// `sqlite` or `duckdb`.
        kind: &'static str,
        /// The database file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The database file exists but this process may not write it.
    #[error(
        "cannot load into {kind} destination `{path}`: the file is read-only (check its \
         permissions and owner, or load into another file)"
    )]
    ReadOnly {
        /// `sqlite` or `duckdb`.
        kind: &'static str,
        /// The database file.
        path: PathBuf,
    },
    /// Another process has the database file open and the database allows one writer process
    /// (DuckDB's file lock).
    #[error(
        "{kind} destination `{path}` is in use by another process{holder} (another `connector \
         sync`?); waited {waited_secs}s (`--wait-lock SECONDS` waits longer)"
    )]
    InUse {
        /// `duckdb`.
        kind: &'static str,
        /// The database file.
        path: PathBuf,
        /// ` (PID n)` when the database names it, else empty.
        holder: String,
        /// How long the open was retried.
        waited_secs: u64,
    },
    /// Another run of the same connector holds the connector's lock in this destination.
    #[error(
        "another run is loading connector `{connector}` into this destination: {holder}; waited \
         {waited_secs}s (`--wait-lock SECONDS` waits longer; a killed run's lock is taken over \
         by the next run on its host)"
    )]
    Locked {
        /// Connector name.
        connector: String,
        /// The holder: load id, pid, host, start time.
        holder: String,
        /// How long the lock was waited for.
        waited_secs: u64,
    },
    /// The destination table exists but was not made by connector.
    #[error(
        "table `{table}` already exists and was not made by connector ({why}); refusing to add columns to it or replace, merge or append its \
         rows. Pass `--adopt-tables` to load into it anyway, or set the resource's `table_name`"
    )]
    ForeignTable {
        /// Destination table.
        table: String,
        /// How that shows (`it is not in `_connector_columns``).
        why: String,
    },
    /// The staging table does not hold the records the run wrote into it.
    #[error(
        "staging table `{table}` holds {staged} rows but this run staged {records} records; \
         nothing was applied (was it changed by something else?)"
    )]
    StagingMismatch {
        /// Staging table.
        table: String,
        /// Records staged by the writer.
        records: u64,
        /// Rows found.
        staged: u64,
    },
    /// A record value does not fit the column's type.
    #[error(
        "type conflict in table `{table}`, column `{column}`: the column is {column_type} but a \
         record has a {value_type} value ({excerpt})"
    )]
    TypeConflict {
        /// Destination table.
        table: String,
        /// Column.
        column: String,
        /// The column's (declared or existing) type.
        column_type: String,
        /// The JSON type of the value.
        value_type: String,
        /// The value, shortened.
        excerpt: String,
    },
    /// A column's declared type differs from the type the existing table has.
    #[error(
        "schema conflict in table `{table}`, column `{column}`: the spec declares {declared} but \
         the existing table has {existing} (drop the table or fix the column hint)"
    )]
    SchemaConflict {
        /// Destination table.
        table: String,
        /// Column.
        column: String,
        /// Type from the spec.
        declared: String,
        /// Type in the database.
        existing: String,
    },
    /// A record is not a JSON object.
    /// The resource's `schema_contract` freezes what a record needed: a new table, a new
    /// column, or a value whose type fits no column.
    #[error(
        "table `{table}`: {what}, but the schema contract freezes {entity}{}; nothing was \
         loaded (set `schema_contract` to `evolve`, `discard_row` or `discard_value` to let \
         such records through)",
        line.map(|l| format!(" (spec line {l})")).unwrap_or_default()
    )]
    Contract {
        /// The table.
        table: String,
        /// `tables`, `columns` or `data_type`.
        entity: &'static str,
        /// What the record needed (`a record has the new column `x``).
        what: String,
        /// The spec line of the contract (or of the declared column), when known.
        line: Option<usize>,
    },
    #[error("table `{table}`: a record is a JSON {found}, not an object")]
    NotAnObject {
        /// Destination table.
        table: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// A key or non-nullable column is null or missing.
    #[error("table `{table}`: column `{column}` is null or missing in a record, but {reason}")]
    NullValue {
        /// Destination table.
        table: String,
        /// Column.
        column: String,
        /// Why it may not be null.
        reason: &'static str,
    },
    /// The plan cannot be loaded as written.
    #[error("table `{table}`: {reason}")]
    InvalidPlan {
        /// Destination table.
        table: String,
        /// What is wrong.
        reason: String,
    },
    /// A writer is used after one of its batches failed.
    #[error("the load of table `{table}` failed earlier and was rolled back; begin a new load")]
    WriterFailed {
        /// Destination table.
        table: String,
    },
    /// The stored incremental state is not valid JSON.
    #[error("stored state of {connector}.{resource} is not valid JSON: {reason}")]
    CorruptState {
        /// Connector name.
        connector: String,
        /// Resource name.
        resource: String,
        /// Parser message.
        reason: String,
    },
    /// A partitioned run asked for what a shard must not do.
    #[error("shard {partition}: {reason}")]
    Partition {
        /// The shard.
        partition: connector_runtime::Partition,
        /// What and why.
        reason: String,
    },
    /// A resource name the spec does not have.
    #[error("unknown resource `{resource}`; the spec has: {}", known.join(", "))]
    UnknownResource {
        /// The name asked for.
        resource: String,
        /// The spec's resources.
        known: Vec<String>,
    },
    /// The database reported an error.
    #[error("{dialect} destination: {context}: {message}")]
    Database {
        /// `sqlite`, `duckdb` or `postgres`.
        dialect: &'static str,
        /// What the loader was doing.
        context: String,
        /// The database's message.
        message: String,
    },
}

impl Error {
    /// A database error with what the loader was doing at the time.
    pub(crate) fn db(
        dialect: &'static str,
        context: impl Into<String>,
        message: impl ToString,
    ) -> Self {
        let mut context: String = context.into();
        // Statements can be long; the start says what was being done.
        if let Some((cut, _)) = context.char_indices().nth(160) {
            context.truncate(cut);
            context.push_str("...");
        }
        Error::Database {
            dialect,
            context,
            message: message.to_string(),
        }
    }
}
