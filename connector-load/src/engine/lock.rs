//! The per-connector run lock and the recovery of runs that never finished.
//!
//! SQLite and DuckDB have no session-scoped advisory locks, so the lock is a row of
//! `_connector_locks` (one per lock key) naming its holder: load id, pid, host, start time.
//! The key is the connector's name, or `name#K/N` for shard K of N of a partitioned run
//! ([`Partition::key`]): the shards of one N hold their own keys and run at once, while a
//! whole run, a shard of another N or the same shard again is refused (or waits) as long as
//! a run it overlaps with ([`Partition::overlaps`]) holds its key. Recovery abandons only
//! loads no live holder owns, so a shard never drops the staging of another one running.
//! A holder is alive while its process is (checked on the same host; a holder on another host
//! is taken as alive). Taking the lock from a dead holder, or finding `running` loads while
//! holding it, means a run was killed: its loads are marked `abandoned` and its staging tables
//! dropped. Where the database has session locks (PostgreSQL's `pg_try_advisory_lock`,
//! released by the server when the session ends, [`Backend::try_session_lock`]) that lock
//! decides instead, on any host, and the row only names the holder.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use connector_runtime::Partition;
use serde::Serialize;

use super::bookkeeping::{LOADS_TABLE, LOCKS_TABLE};
use super::connection::{in_transaction, lock, now_rfc3339, text};
use super::staging::{is_staging_of, staging_table_name};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::types::{LoadType, SqlValue};

/// Who holds (or held) a connector's lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LockHolder {
    /// The holder's load id.
    pub load_id: String,
    /// Its process id.
    pub pid: u32,
    /// Its host name.
    pub host: String,
    /// When it took the lock (RFC 3339, UTC).
    pub started_at: String,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "load {} (pid {} on {}, started {})",
            self.load_id, self.pid, self.host, self.started_at
        )
    }
}

/// A run that never finished (killed, or its machine stopped), cleaned up when the next run
/// of the same connector took the lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecoveredLoad {
    /// Its load id.
    pub load_id: String,
    /// Its lock row, when it still had one.
    pub holder: Option<LockHolder>,
    /// The resources whose load was `running`, now marked `abandoned`.
    pub resources: Vec<String>,
    /// The staging tables dropped.
    pub dropped_tables: Vec<String>,
    /// The tables whose commits of the load were undone (Delta: a load commits table by
    /// table, and one killed between them had committed to these).
    pub reverted_tables: Vec<String>,
}

impl std::fmt::Display for RecoveredLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.holder {
            Some(holder) => write!(f, "{holder}")?,
            None => write!(f, "load {}", self.load_id)?,
        }
        write!(f, " did not finish (killed?)")?;
        if !self.resources.is_empty() {
            write!(
                f,
                "; marked `abandoned` in {LOADS_TABLE}: {}",
                self.resources.join(", ")
            )?;
        }
        if self.dropped_tables.is_empty() {
            write!(f, "; no staging tables were left")?;
        } else {
            write!(
                f,
                "; dropped its staging tables: {}",
                self.dropped_tables.join(", ")
            )?;
        }
        if !self.reverted_tables.is_empty() {
            write!(
                f,
                "; reverted its commits to: {}",
                self.reverted_tables.join(", ")
            )?;
        }
        Ok(())
    }
}

/// What one attempt at the lock found.
enum Attempt {
    Acquired(Vec<RecoveredLoad>),
    /// Held by the holder its row names (`None`: the holder's row is not committed yet).
    Busy(Option<LockHolder>),
}

/// Takes `connector`'s lock for `holder`, polling until `wait` has passed (the connection is
/// free between attempts). On success returns the runs found unfinished (and cleaned up);
/// when still held, [`Error::Locked`] naming the holder.
pub(super) fn acquire<B: Backend>(
    conn: &Mutex<B>,
    connector: &str,
    holder: &LockHolder,
    wait: Duration,
) -> Result<Vec<RecoveredLoad>> {
    let started = Instant::now();
    loop {
        let attempt = {
            let mut b = lock(conn);
            // A session lock first, where the database has them: taken, it makes the lock
            // row's holder (if any) a run whose session is gone.
            let session = b.try_session_lock(connector)?;
            let attempt = match session {
                Some(false) => {
                    in_transaction(&mut *b, |b| current_holder(b, connector)).map(Attempt::Busy)
                }
                Some(true) => in_transaction(&mut *b, |b| take_over(b, connector, holder)),
                None => in_transaction(&mut *b, |b| try_acquire(b, connector, holder)),
            };
            if session == Some(true) && !matches!(attempt, Ok(Attempt::Acquired(_))) {
                let _ = b.release_session_lock(connector);
            }
            attempt?
        };
        match attempt {
            Attempt::Acquired(recovered) => return Ok(recovered),
            Attempt::Busy(current) => {
                let waited = started.elapsed();
                if waited >= wait {
                    return Err(Error::Locked {
                        connector: connector.to_owned(),
                        holder: current.map_or_else(
                            || {
                                "a run that is starting now (its lock row is not committed yet)"
                                    .to_owned()
                            },
                            |h| h.to_string(),
                        ),
                        waited_secs: wait.as_secs(),
                    });
                }
                std::thread::sleep((wait - waited).min(Duration::from_millis(250)));
            }
        }
    }
}

/// The holder the lock row of `key` names.
fn current_holder<B: Backend>(b: &mut B, key: &str) -> Result<Option<LockHolder>> {
    let current = b.query(
        &format!("SELECT load_id, pid, host, started_at FROM {LOCKS_TABLE} WHERE connector = ?"),
        &[text(key)],
    )?;
    Ok(current.into_iter().next().map(|row| holder_from_row(&row)))
}

/// Whether the run holding `their_key`'s row still runs: by its session lock where the
/// database has them (one this session can take belongs to a session that is gone), else
/// by its process.
fn alive<B: Backend>(b: &mut B, their_key: &str, holder: &LockHolder) -> Result<bool> {
    match b.try_session_lock(their_key)? {
        Some(true) => {
            b.release_session_lock(their_key)?;
            Ok(false)
        }
        Some(false) => Ok(true),
        None => Ok(holder_alive(holder)),
    }
}

/// A live holder of another lock of the same connector that overlaps `key`
/// ([`Partition::overlaps`]: a whole run and any shard, shards of different N).
fn overlapping_holder<B: Backend>(b: &mut B, key: &str) -> Result<Option<LockHolder>> {
    let (connector, mine) = Partition::split_key(key);
    for (their_key, current) in lock_rows(b, connector)? {
        let overlaps = mine.overlaps(&Partition::split_key(&their_key).1);
        if their_key != key && overlaps && alive(b, &their_key, &current)? {
            return Ok(Some(current));
        }
    }
    Ok(None)
}

fn try_acquire<B: Backend>(b: &mut B, key: &str, holder: &LockHolder) -> Result<Attempt> {
    if let Some(current) = current_holder(b, key)? {
        if holder_alive(&current) {
            return Ok(Attempt::Busy(Some(current)));
        }
    }
    take_over(b, key, holder)
}

/// Writes `holder`'s lock row for `key`, replacing a stale one, and recovers the runs that
/// never finished. Called once `key`'s lock is known to be free (its holder is gone); a live
/// run of an overlapping key still makes it busy.
fn take_over<B: Backend>(b: &mut B, key: &str, holder: &LockHolder) -> Result<Attempt> {
    if let Some(current) = overlapping_holder(b, key)? {
        return Ok(Attempt::Busy(Some(current)));
    }
    let d = b.dialect();
    let (connector, mine) = Partition::split_key(key);
    let mut stale = Vec::new();
    for (their_key, current) in lock_rows(b, connector)? {
        if !mine.overlaps(&Partition::split_key(&their_key).1) {
            continue;
        }
        b.execute(
            &format!("DELETE FROM {LOCKS_TABLE} WHERE connector = ? AND load_id = ?"),
            &[text(&their_key), text(&current.load_id)],
        )?;
        stale.push(current);
    }
    b.execute(
        &format!(
            "INSERT INTO {LOCKS_TABLE} (connector, load_id, pid, host, started_at) VALUES (?, ?, ?, ?, {})",
            d.cast("?", LoadType::Timestamp)
        ),
        &[
            text(key),
            text(&holder.load_id),
            SqlValue::Int(holder.pid.into()),
            text(&holder.host),
            text(&holder.started_at),
        ],
    )?;
    Ok(Attempt::Acquired(recover(b, connector, holder, stale)?))
}

/// Every lock row of `connector`'s runs, whole or a shard: `(key, holder)`.
fn lock_rows<B: Backend>(b: &mut B, connector: &str) -> Result<Vec<(String, LockHolder)>> {
    let rows = b.query(
        &format!("SELECT connector, load_id, pid, host, started_at FROM {LOCKS_TABLE}"),
        &[],
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let key = match row.first() {
                Some(SqlValue::Text(key)) => key.clone(),
                _ => return None,
            };
            (Partition::split_key(&key).0 == connector).then(|| (key, holder_from_row(&row[1..])))
        })
        .collect())
}

/// Marks every `running` load of `connector` that no live run holds a lock for (ours
/// included) `abandoned`, and drops the staging tables those loads (or a previous version's
/// fixed-name staging) left behind. Only called with our lock held; a shard of the same
/// connector running at once holds its own lock row, so its loads and staging are left alone.
fn recover<B: Backend>(
    b: &mut B,
    connector: &str,
    ours: &LockHolder,
    stale: Vec<LockHolder>,
) -> Result<Vec<RecoveredLoad>> {
    let d = b.dialect();
    // The running loads are read before the locks: a shard that takes its lock and starts a
    // load after the locks were read would otherwise look abandoned. A load that ends between
    // the two reads is left alone by the `status = 'running'` of the update below.
    let running = b.query(
        &format!(
            "SELECT load_id, resource FROM {LOADS_TABLE} WHERE connector = ? AND status = \
             'running' ORDER BY load_id, resource"
        ),
        &[text(connector)],
    )?;
    let mut live: Vec<String> = vec![ours.load_id.clone()];
    for (their_key, holder) in lock_rows(b, connector)? {
        if holder.load_id != ours.load_id && alive(b, &their_key, &holder)? {
            live.push(holder.load_id);
        }
    }
    let as_text = |v: &SqlValue| match v {
        SqlValue::Text(s) => s.clone(),
        other => other.to_json().to_string(),
    };
    let running: Vec<Vec<SqlValue>> = running
        .into_iter()
        .filter(|row| !live.contains(&as_text(&row[0])))
        .collect();
    let resources = b.query(
        &format!("SELECT DISTINCT resource FROM {LOADS_TABLE} WHERE connector = ?"),
        &[text(connector)],
    )?;
    let tables: Vec<String> = b
        .query(d.list_tables_sql(), &[])?
        .into_iter()
        .filter_map(|row| match row.into_iter().next() {
            Some(SqlValue::Text(name)) => Some(name),
            _ => None,
        })
        .collect();
    let mut recovered: Vec<RecoveredLoad> = Vec::new();
    for stale in stale {
        recovered.push(RecoveredLoad {
            load_id: stale.load_id.clone(),
            holder: Some(stale),
            resources: Vec::new(),
            dropped_tables: Vec::new(),
            reverted_tables: Vec::new(),
        });
    }
    let entry = |recovered: &mut Vec<RecoveredLoad>, load_id: &str| -> usize {
        match recovered.iter().position(|r| r.load_id == load_id) {
            Some(i) => i,
            None => {
                recovered.push(RecoveredLoad {
                    load_id: load_id.to_owned(),
                    holder: None,
                    resources: Vec::new(),
                    dropped_tables: Vec::new(),
                    reverted_tables: Vec::new(),
                });
                recovered.len() - 1
            }
        }
    };
    for row in &running {
        let (load_id, resource) = (as_text(&row[0]), as_text(&row[1]));
        let i = entry(&mut recovered, &load_id);
        // Every staging table of the load: its root table's and its child tables'.
        for staging in tables
            .iter()
            .filter(|t| is_staging_of(t, connector, &load_id))
        {
            if !recovered.iter().any(|r| r.dropped_tables.contains(staging)) {
                drop_table(b, staging)?;
                recovered[i].dropped_tables.push(staging.clone());
            }
        }
        recovered[i].resources.push(resource);
    }
    // Staging of the stale holder's resources that had not been recorded yet, and the
    // fixed-name staging tables of versions before per-run names.
    for row in &resources {
        let resource = as_text(&row[0]);
        let mut names = vec![(None, format!("_connector_staging__{connector}__{resource}"))];
        for r in &recovered {
            names.push((
                Some(r.load_id.clone()),
                staging_table_name(d, connector, &resource, &r.load_id),
            ));
        }
        for (load_id, name) in names {
            let already = recovered.iter().any(|r| r.dropped_tables.contains(&name));
            if already || !tables.contains(&name) {
                continue;
            }
            drop_table(b, &name)?;
            let i = entry(&mut recovered, load_id.as_deref().unwrap_or("(unknown)"));
            recovered[i].dropped_tables.push(name);
        }
    }
    let finished_at = now_rfc3339();
    for r in &recovered {
        b.execute(
            &format!(
                "UPDATE {LOADS_TABLE} SET status = 'abandoned', finished_at = {} \
                 WHERE connector = ? AND status = 'running' AND load_id = ?",
                d.cast("?", LoadType::Timestamp)
            ),
            &[text(&finished_at), text(connector), text(&r.load_id)],
        )?;
    }
    Ok(recovered)
}

fn drop_table<B: Backend>(b: &mut B, name: &str) -> Result<()> {
    let quoted = b.dialect().quote(name);
    b.execute_batch(&format!("DROP TABLE IF EXISTS {quoted}"))
}

/// Releases `connector`'s lock if `load_id` still holds it (its row, then its session
/// lock).
pub(super) fn release<B: Backend>(b: &mut B, connector: &str, load_id: &str) -> Result<()> {
    let deleted = b.execute(
        &format!("DELETE FROM {LOCKS_TABLE} WHERE connector = ? AND load_id = ?"),
        &[text(connector), text(load_id)],
    );
    let released = b.release_session_lock(connector);
    deleted?;
    released
}

fn holder_from_row(row: &[SqlValue]) -> LockHolder {
    let text_at = |i: usize| match row.get(i) {
        Some(SqlValue::Text(s)) => s.clone(),
        Some(SqlValue::Null) | None => String::new(),
        Some(other) => other.to_json().to_string(),
    };
    LockHolder {
        load_id: text_at(0),
        pid: match row.get(1) {
            Some(SqlValue::Int(i)) => u32::try_from(*i).unwrap_or(0),
            _ => 0,
        },
        host: text_at(2),
        started_at: text_at(3),
    }
}

impl LockHolder {
    /// This process, holding the lock for `load_id` from now.
    pub fn this_process(load_id: &str) -> LockHolder {
        LockHolder {
            load_id: load_id.to_owned(),
            pid: std::process::id(),
            host: host_name(),
            started_at: now_rfc3339(),
        }
    }
}

/// Whether the lock's holder still runs. On another host there is no way to tell from here,
/// so it is taken as alive (the message names the host).
pub(crate) fn holder_alive(holder: &LockHolder) -> bool {
    if holder.host != host_name() {
        return true;
    }
    holder.pid == std::process::id() || process_alive(holder.pid)
}

/// Whether process `pid` runs (a zombie, killed but not yet reaped, does not).
fn process_alive(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    if cfg!(target_os = "linux") {
        return match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // The state letter follows the parenthesised command name.
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
            Err(_) => false,
        };
    }
    if cfg!(unix) {
        return std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    }
    true
}

/// This machine's name, as lock rows record it.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".to_owned())
}
