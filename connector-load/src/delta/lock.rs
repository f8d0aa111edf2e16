//! The run lock of a Delta destination: an object per lock key under
//! `<root>/<connector>/_connector_locks/`, created only if absent (`If-None-Match` on S3, an
//! exclusive create on disk), naming its holder. Keys overlap as in every destination
//! ([`Partition::overlaps`]); when two overlapping runs create their objects at once, the
//! one that started first keeps its lock and the other backs off. A holder is gone when its
//! process is (on the same host; one on another host is taken as alive, as elsewhere).
//! Taking a lock also recovers the loads no live holder owns: their commits are reverted and
//! their rows marked `abandoned`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use connector_runtime::Partition;
use deltalake::{ObjectStore, Path};
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use super::book::{self, LoadRow};
use super::{fail, Shared};
use crate::engine::{holder_alive, now_rfc3339, LockHolder, RecoveredLoad};
use crate::error::{Error, Result};

/// The folder of lock objects in a connector's directory.
const LOCKS: &str = "_connector_locks";
/// The folder of claims on the recovery of a killed load (one run recovers it, not every
/// shard that finds it).
const RECOVERY: &str = "_connector_recovery";

/// What a lock object holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LockFile {
    key: String,
    holder: LockHolder,
}

fn object(key: &str) -> Path {
    Path::from(format!(
        "{:016x}.json",
        xxhash_rust::xxh3::xxh3_64(key.as_bytes())
    ))
}

async fn store(shared: &Shared, connector: &str) -> Result<std::sync::Arc<dyn ObjectStore>> {
    folder(shared, connector, LOCKS).await
}

async fn folder(
    shared: &Shared,
    connector: &str,
    name: &str,
) -> Result<std::sync::Arc<dyn ObjectStore>> {
    Ok(shared
        .open(connector, name)
        .await?
        .log_store()
        .object_store(None))
}

async fn list(store: &dyn ObjectStore) -> Result<Vec<(Path, LockFile)>> {
    use futures::TryStreamExt;
    let metas: Vec<_> = store
        .list(None)
        .try_collect()
        .await
        .map_err(|e| fail("listing run locks", e))?;
    let mut out = Vec::new();
    for meta in metas {
        let Ok(got) = store.get(&meta.location).await else {
            continue; // released since
        };
        let Ok(bytes) = got.bytes().await else {
            continue;
        };
        if let Ok(file) = serde_json::from_slice::<LockFile>(&bytes) {
            out.push((meta.location, file));
        }
    }
    Ok(out)
}

/// Takes the lock `key` (`connector` or `connector#K/N`) for `load_id`, waiting up to
/// `wait`; returns the loads recovered.
pub(super) async fn acquire(
    shared: &Shared,
    key: &str,
    load_id: &str,
    wait: Duration,
) -> Result<Vec<RecoveredLoad>> {
    let (connector, mine) = Partition::split_key(key);
    let me = LockHolder::this_process(load_id);
    let store = store(shared, connector).await?;
    let path = object(key);
    let started = Instant::now();
    loop {
        let mut busy: Option<LockHolder> = None;
        let mut gone = Vec::new();
        for (at, file) in list(store.as_ref()).await? {
            let overlaps = file.key == key || mine.overlaps(&Partition::split_key(&file.key).1);
            if !overlaps {
                continue;
            }
            if holder_alive(&file.holder) {
                busy = Some(file.holder);
            } else {
                gone.push((at, file));
            }
        }
        for (at, _) in &gone {
            let _ = store.delete(at).await;
        }
        if busy.is_none() {
            let body = serde_json::to_vec(&LockFile {
                key: key.to_owned(),
                holder: me.clone(),
            })
            .map_err(|e| fail("writing the run lock", e))?;
            let options = PutOptions {
                mode: PutMode::Create,
                ..PutOptions::default()
            };
            match store.put_opts(&path, PutPayload::from(body), options).await {
                Ok(_) => match rival(store.as_ref(), key, mine, &me).await? {
                    Some(first) => {
                        let _ = store.delete(&path).await;
                        busy = Some(first);
                    }
                    None => {
                        let gone: Vec<LockHolder> =
                            gone.into_iter().map(|(_, f)| f.holder).collect();
                        return recover(shared, connector, store.as_ref(), &gone).await;
                    }
                },
                Err(object_store::Error::AlreadyExists { .. }) => {}
                Err(e) => return Err(fail("taking the run lock", e)),
            }
        }
        let waited = started.elapsed();
        if waited >= wait {
            return Err(Error::Locked {
                connector: key.to_owned(),
                holder: busy.map_or_else(
                    || "a run that is taking it now".to_owned(),
                    |h| h.to_string(),
                ),
                waited_secs: wait.as_secs(),
            });
        }
        tokio::time::sleep((wait - waited).min(Duration::from_millis(250))).await;
    }
}

/// A live holder of an overlapping key that started before `me` (it keeps its lock).
async fn rival(
    store: &dyn ObjectStore,
    key: &str,
    mine: Partition,
    me: &LockHolder,
) -> Result<Option<LockHolder>> {
    for (_, file) in list(store).await? {
        if file.key == key || !mine.overlaps(&Partition::split_key(&file.key).1) {
            continue;
        }
        let first = (&file.holder.started_at, &file.holder.load_id) < (&me.started_at, &me.load_id);
        if first && holder_alive(&file.holder) {
            return Ok(Some(file.holder));
        }
    }
    Ok(None)
}

/// The locks of `connector` held now: `(key, holder)`, the holder possibly gone.
pub(super) async fn holders(shared: &Shared, connector: &str) -> Result<Vec<(String, LockHolder)>> {
    let store = store(shared, connector).await?;
    Ok(list(store.as_ref())
        .await?
        .into_iter()
        .map(|(_, f)| (f.key, f.holder))
        .collect())
}

/// Releases the lock `key` held for `load_id` (only if it still is).
pub(super) async fn release(shared: &Shared, key: &str, load_id: &str) -> Result<()> {
    let (connector, _) = Partition::split_key(key);
    let store = store(shared, connector).await?;
    let path = object(key);
    if let Ok(got) = store.get(&path).await {
        if let Ok(bytes) = got.bytes().await {
            if serde_json::from_slice::<LockFile>(&bytes).is_ok_and(|f| f.holder.load_id == load_id)
            {
                store
                    .delete(&path)
                    .await
                    .map_err(|e| fail("releasing the run lock", e))?;
            }
        }
    }
    Ok(())
}

/// Reverts and marks `abandoned` the loads of `connector` that are `running` with no live
/// holder; `gone` are the lock holders just found dead.
async fn recover(
    shared: &Shared,
    connector: &str,
    store: &dyn ObjectStore,
    gone: &[LockHolder],
) -> Result<Vec<RecoveredLoad>> {
    // The loads are read before the locks: a shard that takes its lock and starts a load
    // after the locks were read would otherwise look abandoned, and its commits be reverted.
    let rows = book::rows(shared, connector).await?;
    let locks = list(store).await?;
    let live: Vec<&String> = locks
        .iter()
        .filter(|(_, f)| holder_alive(&f.holder))
        .map(|(_, f)| &f.holder.load_id)
        .collect();
    // A dead holder of any key names the load it ran.
    let holder_of = |load_id: &str| {
        gone.iter()
            .chain(locks.iter().map(|(_, f)| &f.holder))
            .find(|h| h.load_id == load_id && !holder_alive(h))
            .cloned()
    };
    let claims = folder(shared, connector, RECOVERY).await?;
    let mut running = unfinished(&rows);
    running.retain(|(load_id, _), _| !live.contains(&load_id));
    if !running.is_empty() {
        // One that ended (and let go of its lock) between the two reads is not abandoned.
        let now = unfinished(&book::rows(shared, connector).await?);
        running.retain(|key, _| now.contains_key(key));
    }
    let mut recovered: Vec<RecoveredLoad> = Vec::new();
    let mut abandoned = Vec::new();
    let me = LockHolder::this_process(&format!("recovery of {connector}"));
    let mut claimed: Vec<Path> = Vec::new();
    for ((load_id, resource), row) in running {
        let claim = object(&load_id);
        if !claimed.contains(&claim) {
            if !take(claims.as_ref(), &claim, &load_id, &me).await? {
                continue; // another run is recovering it now
            }
            claimed.push(claim);
        }
        let tables = book::revert_load(shared, connector, &row.table_name, &load_id).await?;
        abandoned.push(LoadRow {
            status: "abandoned".to_owned(),
            finished_at: Some(now_rfc3339()),
            ..row
        });
        match recovered.iter_mut().find(|r| r.load_id == load_id) {
            Some(r) => {
                r.resources.push(resource);
                r.reverted_tables.extend(tables);
            }
            None => recovered.push(RecoveredLoad {
                holder: holder_of(&load_id),
                load_id,
                resources: vec![resource],
                dropped_tables: Vec::new(),
                reverted_tables: tables,
            }),
        }
    }
    if !abandoned.is_empty() {
        book::append(shared, connector, &abandoned).await?;
    }
    for claim in claimed {
        let _ = claims.delete(&claim).await;
    }
    for load in &recovered {
        if load
            .holder
            .as_ref()
            .is_none_or(|h| h.host == crate::engine::host_name())
        {
            super::spool::remove_left_behind(&load.load_id);
        }
    }
    Ok(recovered)
}

/// Claims the recovery of `load_id` for `me`: `false` while a live run has claimed it.
async fn take(
    store: &dyn ObjectStore,
    claim: &Path,
    load_id: &str,
    me: &LockHolder,
) -> Result<bool> {
    let body = serde_json::to_vec(&LockFile {
        key: format!("recovery of {load_id}"),
        holder: me.clone(),
    })
    .map_err(|e| fail("claiming a recovery", e))?;
    for _ in 0..2 {
        let options = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match store
            .put_opts(claim, PutPayload::from(body.clone()), options)
            .await
        {
            Ok(_) => return Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => {
                let holder = match store.get(claim).await {
                    Ok(got) => got
                        .bytes()
                        .await
                        .ok()
                        .and_then(|b| serde_json::from_slice::<LockFile>(&b).ok())
                        .map(|f| f.holder),
                    Err(_) => None, // released since: try again
                };
                if holder.as_ref().is_some_and(holder_alive) {
                    return Ok(false);
                }
                let _ = store.delete(claim).await;
            }
            Err(e) => return Err(fail("claiming a recovery", e)),
        }
    }
    Ok(false)
}

/// `(load id, resource)` -> the `running` row, of the loads among `rows` that have not ended.
fn unfinished(rows: &[LoadRow]) -> BTreeMap<(String, String), LoadRow> {
    let mut running = BTreeMap::new();
    for row in rows.iter().filter(|r| r.status == "running") {
        running.insert((row.load_id.clone(), row.resource.clone()), row.clone());
    }
    for row in rows.iter().filter(|r| r.status != "running") {
        running.remove(&(row.load_id.clone(), row.resource.clone()));
    }
    running
}
