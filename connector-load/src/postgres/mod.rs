//! PostgreSQL through tokio-postgres: behind the cargo feature `postgres`.
//!
//! The engine is synchronous and is called both from blocking threads and, for drops, from
//! async code; a blocking client on a tokio thread would panic. So the connection lives on a
//! thread of its own with a current-thread runtime, and each [`Backend`] call is a job sent
//! to it and waited for (a plain channel, which blocks but never panics).
//!
//! Every table of a connector goes into one schema (dlt's dataset): `?schema=` or the
//! connector's name, created when missing and made the session's `search_path`, so the
//! engine's unqualified names resolve there. Staged rows arrive with binary `COPY` into
//! `UNLOGGED` staging tables (a server crash empties them; the commit's row count check then
//! refuses the load rather than apply part of it). The run lock is a session advisory lock
//! (`pg_try_advisory_lock`) on a key hashed from the schema and the lock's name, released by
//! the server when the session ends, so a killed run never leaves it behind.

mod tls;
mod wire;

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use arrow_array::RecordBatch;
use bytes::BytesMut;
use futures::SinkExt;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Statement};

use crate::backend::Backend;
use crate::dialect::{Dialect, Postgres};
use crate::engine::SqlDestination;
use crate::error::{Error, Result};
use crate::pg_url::{PostgresUrl, SslMode};
use crate::types::{LoadType, SqlValue};
use crate::OpenOptions;
use connector_runtime::{destination_credential, SecretString};
use wire::{copy_rows, param_type, Cell, Param, COPY_HEADER, COPY_TRAILER};

/// The environment variable a password comes from when the URL has none (as libpq).
pub(crate) const PASSWORD_ENV: &str = "PGPASSWORD";

/// The connection's state on its own thread.
struct Session {
    runtime: tokio::runtime::Runtime,
    client: Client,
    /// Prepared statements by SQL and parameter types.
    statements: HashMap<(String, Vec<u32>), Statement>,
    /// Why the session ended under the loader, once it has (see [`Session::guarded`]).
    ended: Option<String>,
}

type Job = Box<dyn FnOnce(&mut Session) + Send>;

pub(crate) struct PostgresBackend {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    schema: String,
    /// Session locks this connection holds (an advisory lock is re-entrant within a session;
    /// the engine's lock is not).
    held: HashSet<String>,
}

fn db_error(context: &str, e: &tokio_postgres::Error) -> Error {
    Error::db("postgres", context, describe(e))
}

/// The server's message (with its detail and hint) when there is one, else the client's.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut message = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                message.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = db.hint() {
                message.push_str(&format!("; hint: {hint}"));
            }
            message
        }
        None => {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                let text = s.to_string();
                if !message.contains(&text) {
                    message.push_str(&format!(": {text}"));
                }
                source = s.source();
            }
            message
        }
    }
}

/// `?` placeholders (the engine's) as `$1`, `$2`, ... outside quoted strings and names.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let (mut n, mut quote) = (0, None::<char>);
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (None, '?') => {
                n += 1;
                out.push_str(&format!("${n}"));
            }
            _ => out.push(c),
        }
    }
    out
}

/// A 64-bit advisory lock key for `name` in `schema` (`purpose` keeps kinds apart).
fn lock_key(purpose: &str, schema: &str, name: &str) -> i64 {
    let h =
        xxhash_rust::xxh3::xxh3_64(format!("connector\0{purpose}\0{schema}\0{name}").as_bytes());
    i64::from_ne_bytes(h.to_ne_bytes())
}

impl PostgresBackend {
    /// Runs `f` on the connection's thread and waits for it.
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let lost = || {
            Error::db(
                "postgres",
                "the connection",
                "the connection thread stopped",
            )
        };
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |session| {
            let _ = tx.send(session.guarded(f));
        });
        self.jobs
            .as_ref()
            .ok_or_else(lost)?
            .send(job)
            .map_err(|_| lost())?;
        rx.recv().map_err(|_| lost())?
    }

    fn run_query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        self.run(move |s| {
            let statement = s.prepare(&sql, &params)?;
            let refs: Vec<Param<'_>> = params.iter().map(Param).collect();
            let dyns: Vec<&(dyn ToSql + Sync)> =
                refs.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            let rows = s
                .runtime
                .block_on(s.client.query(&statement, &dyns))
                .map_err(|e| db_error(&sql, &e))?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let mut values = Vec::with_capacity(row.len());
                for i in 0..row.len() {
                    let Cell(value) = row.try_get(i).map_err(|e| db_error(&sql, &e))?;
                    values.push(value);
                }
                out.push(values);
            }
            Ok(out)
        })
    }
}

impl Session {
    /// Runs `f` unless the session has ended; when `f`'s failure ended it, says so.
    ///
    /// tokio-postgres loses the session when the server refuses a `COPY` at its start (a
    /// missing table, a permission): it answers that refusal with a second `Sync`, and the
    /// server's reply to it arrives unasked. Its session advisory locks, the run lock among
    /// them, end with the session; every later call then fails with this reason, so nothing
    /// is written on a session whose lock is gone.
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        if let Some(reason) = &self.ended {
            return Err(Error::db(
                "postgres",
                "the session",
                format!(
                    "the session ended earlier ({reason}); its locks ended with it, so \
                     nothing more is written through it: run the sync again"
                ),
            ));
        }
        let mut result = f(self);
        if let Err(e) = &mut result {
            // The unasked reply comes after the error: one more round trip lets it arrive, so
            // the session's end is known now rather than at some later call. Any answer to
            // the probe (an aborted transaction refuses it) leaves a live session open.
            let _ = self.runtime.block_on(self.client.simple_query(""));
            if self.client.is_closed() {
                self.ended = Some(e.to_string());
                let ended = "; the server then ended the session, and the run lock with it: \
                             this run stops writing";
                if let Error::Database { message, .. } = e {
                    message.push_str(ended);
                }
            }
        }
        result
    }

    fn prepare(&mut self, sql: &str, params: &[SqlValue]) -> Result<Statement> {
        let types: Vec<Type> = params.iter().map(param_type).collect();
        let key = (sql.to_owned(), types.iter().map(Type::oid).collect());
        if let Some(statement) = self.statements.get(&key) {
            return Ok(statement.clone());
        }
        let text = if params.is_empty() {
            sql.to_owned()
        } else {
            numbered(sql)
        };
        let statement = self
            .runtime
            .block_on(self.client.prepare_typed(&text, &types))
            .map_err(|e| db_error(sql, &e))?;
        // Only statements with parameters (the bookkeeping a load repeats, whose result types
        // are fixed) are kept: a kept `SELECT *` would fail once its table gains a column.
        if !params.is_empty() {
            if self.statements.len() > 256 {
                self.statements.clear();
            }
            self.statements.insert(key, statement.clone());
        }
        Ok(statement)
    }
}

impl Drop for PostgresBackend {
    fn drop(&mut self) {
        // Closing the channel ends the thread, which closes the session (and with it every
        // advisory lock).
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Backend for PostgresBackend {
    fn dialect(&self) -> &'static dyn Dialect {
        &Postgres
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        let sql = sql.to_owned();
        self.run(move |s| {
            s.runtime
                .block_on(s.client.batch_execute(&sql))
                .map_err(|e| db_error(&sql, &e))
        })
    }

    fn execute(&mut self, sql: &str, params: &[SqlValue]) -> Result<usize> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        self.run(move |s| {
            let statement = s.prepare(&sql, &params)?;
            let refs: Vec<Param<'_>> = params.iter().map(Param).collect();
            let dyns: Vec<&(dyn ToSql + Sync)> =
                refs.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
            let n = s
                .runtime
                .block_on(s.client.execute(&statement, &dyns))
                .map_err(|e| db_error(&sql, &e))?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }

    fn query(&mut self, sql: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>> {
        self.run_query(sql, params)
    }

    fn insert_batch(
        &mut self,
        table: &str,
        batch: &RecordBatch,
        types: &[Option<LoadType>],
    ) -> Result<()> {
        let d = self.dialect();
        // The binary form of each column is the staging column's type's.
        let typed: Vec<Option<LoadType>> = types
            .iter()
            .map(|ty| ty.filter(|&t| t.is_textual() && d.stages_typed(t)))
            .collect();
        let list = batch
            .schema()
            .fields()
            .iter()
            .map(|f| d.quote(f.name()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "COPY {} ({list}) FROM STDIN (FORMAT binary)",
            d.quote(table)
        );
        let batch = batch.clone();
        self.run(move |s| {
            let context = sql.as_str();
            s.runtime.block_on(async {
                let sink = s
                    .client
                    .copy_in::<_, bytes::Bytes>(context)
                    .await
                    .map_err(|e| db_error(context, &e))?;
                futures::pin_mut!(sink);
                // Sent in chunks of about 1 MiB: the batch is in memory already, its COPY
                // form need not be twice.
                const CHUNK: usize = 1 << 20;
                let mut buf = BytesMut::with_capacity(CHUNK + 4096);
                buf.extend_from_slice(COPY_HEADER);
                let rows = batch.num_rows();
                let mut start = 0;
                while start < rows {
                    let end = (start + 256).min(rows);
                    copy_rows(&batch, &typed, start..end, &mut buf)
                        .map_err(|m| Error::db("postgres", context, m))?;
                    start = end;
                    if buf.len() >= CHUNK {
                        sink.send(buf.split().freeze())
                            .await
                            .map_err(|e| db_error(context, &e))?;
                    }
                }
                buf.extend_from_slice(COPY_TRAILER);
                sink.send(buf.split().freeze())
                    .await
                    .map_err(|e| db_error(context, &e))?;
                sink.as_mut()
                    .finish()
                    .await
                    .map_err(|e| db_error(context, &e))?;
                Ok(())
            })
        })
    }

    fn try_session_lock(&mut self, name: &str) -> Result<Option<bool>> {
        if self.held.contains(name) {
            return Ok(Some(false));
        }
        let key = lock_key("run", &self.schema, name);
        let rows = self.run_query("SELECT pg_try_advisory_lock(?)", &[SqlValue::Int(key)])?;
        let taken = matches!(
            rows.first().and_then(|r| r.first()),
            Some(SqlValue::Bool(true))
        );
        if taken {
            self.held.insert(name.to_owned());
        }
        Ok(Some(taken))
    }

    fn release_session_lock(&mut self, name: &str) -> Result<()> {
        if self.held.remove(name) {
            let key = lock_key("run", &self.schema, name);
            self.run_query("SELECT pg_advisory_unlock(?)", &[SqlValue::Int(key)])?;
        }
        Ok(())
    }

    fn ddl_lock_sql(&self) -> Option<String> {
        // Concurrent `CREATE ... IF NOT EXISTS` of one name fails in one of the sessions;
        // the transactions that create tables in the schema take this lock first.
        Some(format!(
            "SELECT pg_advisory_xact_lock({})",
            lock_key("ddl", &self.schema, "")
        ))
    }
}

/// Connects to the server `url` names and prepares the schema (`?schema=`, else
/// `connector`): created when missing, the session's `search_path`.
pub(crate) fn open(
    url: &PostgresUrl,
    options: &OpenOptions<'_>,
) -> Result<SqlDestination<PostgresBackend>> {
    let mut backend = connect(url, options)?;
    if !backend.schema_exists()? {
        let quoted = Postgres.quote(&backend.schema);
        let lock = backend.ddl_lock_sql().unwrap_or_default();
        let created = backend.execute_batch(&format!(
            "BEGIN; {lock}; CREATE SCHEMA IF NOT EXISTS {quoted}; COMMIT"
        ));
        if created.is_err() {
            let _ = backend.execute_batch("ROLLBACK");
        }
        created?;
    }
    backend.enter_schema()?;
    SqlDestination::new(backend, url.redacted.clone())
}

/// [`open`] when the schema exists; `None` (and nothing created) when it does not: what a
/// command that only looks (`connector state`) opens.
pub(crate) fn open_existing(
    url: &PostgresUrl,
    options: &OpenOptions<'_>,
) -> Result<Option<SqlDestination<PostgresBackend>>> {
    let mut backend = connect(url, options)?;
    if !backend.schema_exists()? {
        return Ok(None);
    }
    backend.enter_schema()?;
    SqlDestination::new(backend, url.redacted.clone()).map(Some)
}

/// The password and where it came from: the URL, else `PGPASSWORD` (as libpq), else dlt's
/// places for a destination credential (the environment variable
/// `DESTINATION__POSTGRES__CREDENTIALS__PASSWORD`, then the secrets.toml).
fn password(
    url: &PostgresUrl,
    options: &OpenOptions<'_>,
) -> Result<Option<(SecretString, String)>> {
    if let Some(p) = url.password() {
        return Ok(Some((SecretString::new(p), "the URL".to_owned())));
    }
    if let Some(p) = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty()) {
        return Ok(Some((SecretString::new(p), PASSWORD_ENV.to_owned())));
    }
    destination_credential("postgres", "password", options.secrets_file).map_err(|e| {
        Error::Connect {
            url: url.redacted.clone(),
            reason: e.to_string(),
        }
    })
}

/// The session to the server, its schema chosen but not yet checked or entered.
fn connect(url: &PostgresUrl, options: &OpenOptions<'_>) -> Result<PostgresBackend> {
    let connect_error = |reason: String| Error::Connect {
        url: url.redacted.clone(),
        reason,
    };
    let schema = match (&url.schema, options.connector) {
        (Some(schema), _) => schema.clone(),
        (None, Some(connector)) => connector.to_owned(),
        (None, None) => {
            return Err(Error::BadUrl {
                url: url.redacted.clone(),
                reason: "no schema: add `?schema=NAME` (a sync defaults it to the connector's \
                         name)"
                    .to_owned(),
            })
        }
    };
    let mut config = tokio_postgres::Config::new();
    config
        .user(&url.user)
        .host(&url.host)
        .port(url.port)
        .dbname(&url.database)
        .application_name(&url.application_name)
        .connect_timeout(Duration::from_secs(url.connect_timeout))
        .ssl_mode(match url.sslmode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            // The verifying modes are `require` to the driver; the verifier is ours.
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        });
    let password_from = match password(url, options)? {
        Some((password, from)) => {
            config.password(password.expose());
            Some(from)
        }
        None => None,
    };
    let sslmode = url.sslmode;
    // Read before connecting, so a missing or bad certificate file is its own message.
    let tls = match sslmode {
        SslMode::Disable => None,
        _ => Some(tls::connector(url).map_err(connect_error)?),
    };
    let (ready_tx, ready_rx) = mpsc::sync_channel::<std::result::Result<(), String>>(1);
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let thread = std::thread::Builder::new()
        .name("connector-postgres".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready_tx.send(Err(format!("cannot start its runtime: {e}")));
                    return;
                }
            };
            let connected = runtime.block_on(async {
                if let Some(tls) = tls {
                    config
                        .connect(tls)
                        .await
                        .map(|(client, connection)| {
                            tokio::spawn(async move {
                                let _ = connection.await;
                            });
                            client
                        })
                        .map_err(|e| describe(&e))
                } else {
                    config
                        .connect(tokio_postgres::NoTls)
                        .await
                        .map(|(client, connection)| {
                            tokio::spawn(async move {
                                let _ = connection.await;
                            });
                            client
                        })
                        .map_err(|e| describe(&e))
                }
            });
            let client = match connected {
                Ok(client) => client,
                Err(reason) => {
                    let _ = ready_tx.send(Err(reason));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            let mut session = Session {
                runtime,
                client,
                statements: HashMap::new(),
                ended: None,
            };
            while let Ok(job) = jobs_rx.recv() {
                job(&mut session);
            }
        })
        .map_err(|e| connect_error(format!("cannot start the connection thread: {e}")))?;
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(reason)) => {
            let _ = thread.join();
            let hint = if reason.contains("password authentication failed")
                || reason.contains("password missing")
            {
                match password_from {
                    Some(from) => format!(" (the password came from {from})"),
                    None => format!(
                        " (no password was given: put it in the URL, in {PASSWORD_ENV}, in \
                         DESTINATION__POSTGRES__CREDENTIALS__PASSWORD or in \
                         [destination.postgres.credentials] of the secrets.toml)"
                    ),
                }
            } else if reason.contains("not valid for name") || reason.contains("NotValidForName") {
                " (the server's certificate does not name the host connected to: connect by a \
                 name it has, or use `sslmode=verify-ca`)"
                    .to_owned()
            } else if reason.contains("UnknownIssuer")
                || reason.contains("invalid peer certificate")
            {
                " (the server's certificate is not signed by an authority of sslrootcert)"
                    .to_owned()
            } else if reason.contains("server does not support TLS") {
                " (`sslmode=require` needs a server with `ssl = on`; `sslmode=prefer` falls \
                 back to plain TCP)"
                    .to_owned()
            } else {
                String::new()
            };
            return Err(connect_error(format!("{reason}{hint}")));
        }
        Err(_) => {
            let _ = thread.join();
            return Err(connect_error("the connection thread stopped".to_owned()));
        }
    }
    Ok(PostgresBackend {
        jobs: Some(jobs_tx),
        thread: Some(thread),
        schema,
        held: HashSet::new(),
    })
}

impl PostgresBackend {
    fn schema_exists(&mut self) -> Result<bool> {
        let rows = self.query(
            "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?",
            &[SqlValue::Text(self.schema.clone())],
        )?;
        Ok(!rows.is_empty())
    }

    /// Makes the schema the session's `search_path`, so the engine's unqualified names
    /// resolve there, and UTC the session's time zone.
    fn enter_schema(&mut self) -> Result<()> {
        let quoted = Postgres.quote(&self.schema);
        self.execute_batch(&format!("SET search_path TO {quoted}; SET TIME ZONE 'UTC'"))
    }
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered("SELECT '?', \"a?\" FROM t WHERE a = ? AND b = ?"),
            "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b = $2"
        );
        assert_eq!(
            numbered("x = 'it''s ?' OR y = ?"),
            "x = 'it''s ?' OR y = $1"
        );
    }
}
