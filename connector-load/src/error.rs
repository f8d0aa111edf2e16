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
    #[error("cannot open {kind} destination `{path}`: {reason}")]
    Open {
        /// `sqlite` or `duckdb`.
        kind: &'static str,
        /// The database file.
        path: PathBuf,
        /// Why.
        reason: String,
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
        /// `sqlite` or `duckdb`.
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
