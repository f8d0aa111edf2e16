//! Which resources run together, and the channels between them. Each root resource runs with
//! the descendants the run needs: every parent record goes to the parent's own table (when the
//! parent is loaded) and to each child's input as it arrives, so a parent is fetched once per
//! sync (dlt pipes a parent into its transformers the same way).
//!
//! A parent that was not asked for (`selected: false`, or left out of
//! [`SyncOptions::resources`](super::SyncOptions::resources)) but has a child that was is
//! fetched only to feed that child, and loads nothing.
//!
//! In a partitioned run (shard K of N) each resource gets its [`Share`], decided here from
//! the rules of [`Partition`]:
//! - a child of a root takes the parents whose key hashes to K (its feed filters them);
//! - a deeper descendant takes every record its parent got in this shard (already a share);
//! - a root without children in the run, not incremental, with a paginator that knows its
//!   total (page_number, offset) reads its share of the pages;
//! - any other root runs whole in shard 0: one with children in the run is fetched whole by
//!   every shard (each child needs all parents to pick its own), and loads only in shard 0;
//!   the other shards keep their own window state of it when it is incremental, so their
//!   children see the same windows as in an unpartitioned run.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use connector_runtime::{Connector, Partition};
use connector_spec::resolved::ParentPlan;
use futures::Stream;
use serde_json::Value;
use tokio::sync::mpsc;

/// Parent records waiting for one child: enough to keep the child's fan-out busy, few enough
/// that a slow child holds its parent back (back-pressure) instead of piling records up.
const FEED_CAPACITY: usize = 64;

/// How a resource's work is split in a partitioned run.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Share {
    /// Everything it fetches: an unpartitioned run, or a descendant of a split child.
    All,
    /// Its share of the pages.
    Pages,
    /// The parents whose key hashes to this shard.
    Parents,
    /// Whole, in shard 0 only; why it cannot be split.
    ShardZero(String),
}

/// A resource that this shard does not load: it runs in shard 0.
#[derive(Debug, Clone)]
pub(super) struct Skipped {
    pub(super) resource: String,
    pub(super) reason: String,
}

/// One resource of a tree.
pub(super) struct Node {
    pub(super) name: String,
    /// Asked for: its records are loaded (or written as JSON lines). Otherwise it is fetched
    /// only to feed its children.
    pub(super) loaded: bool,
    /// Its share of a partitioned run.
    pub(super) share: Share,
    /// Not loaded here, but this shard keeps its incremental state (a root loaded in shard 0
    /// whose window this shard's children follow).
    pub(super) keeps_state: bool,
    /// A child's parent records.
    pub(super) input: Option<Input>,
    /// Where its records go on to: one per child the run needs.
    pub(super) feeds: Vec<Feed>,
}

/// The sending end of a child's input.
pub(super) struct Feed {
    records: mpsc::Sender<Value>,
    failed: Arc<OnceLock<String>>,
    shard: Option<ShardFilter>,
}

/// The parents of a child that belong to this shard, and how many did of how many.
struct ShardFilter {
    partition: Partition,
    parent: ParentPlan,
    counts: Arc<ParentCounts>,
}

/// Parents a child got in a partitioned run, of the parents its parent sent.
#[derive(Debug, Default)]
pub(super) struct ParentCounts {
    taken: std::sync::atomic::AtomicU64,
    seen: std::sync::atomic::AtomicU64,
}

impl ParentCounts {
    /// `(taken, seen)`.
    pub(super) fn get(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.taken.load(Relaxed), self.seen.load(Relaxed))
    }
}

impl Feed {
    /// Hands one record to the child, waiting while its input is full. A child that stopped
    /// reading (it failed, or has its `--limit`) is skipped; [`Feed::is_open`] then says so.
    /// In a partitioned run only the parents of this shard go on.
    pub(super) async fn send(&self, record: Value) {
        if let Some(shard) = &self.shard {
            use std::sync::atomic::Ordering::Relaxed;
            shard.counts.seen.fetch_add(1, Relaxed);
            let key = shard.parent.key_of(&record).unwrap_or_default();
            if !shard.partition.owns_key(&key) {
                return;
            }
            shard.counts.taken.fetch_add(1, Relaxed);
        }
        let _ = self.records.send(record).await;
    }

    /// Whether the child still reads its input.
    pub(super) fn is_open(&self) -> bool {
        !self.records.is_closed()
    }

    /// Ends the child's input as incomplete: the parent failed with `reason`, and the child
    /// fails too instead of committing what it got.
    pub(super) fn fail(self, reason: &str) {
        // Set before the sender is dropped, so the child sees it when its input ends.
        let _ = self.failed.set(reason.to_owned());
    }
}

/// The receiving end of a child's input.
pub(super) struct Input {
    parent: String,
    records: mpsc::Receiver<Value>,
    failed: Arc<OnceLock<String>>,
    /// In a partitioned run, the parents this shard took.
    pub(super) counts: Option<Arc<ParentCounts>>,
}

impl Input {
    /// The parent records as a stream for the runtime, and the check of whether they all came.
    pub(super) fn split(self) -> (impl Stream<Item = Value> + Send + 'static, ParentCheck) {
        let check = ParentCheck {
            parent: self.parent,
            failed: self.failed,
        };
        let records = futures::stream::unfold(self.records, |mut rx| async move {
            rx.recv().await.map(|record| (record, rx))
        });
        (records, check)
    }
}

/// Whether a child's parent failed before sending all its records.
pub(super) struct ParentCheck {
    parent: String,
    failed: Arc<OnceLock<String>>,
}

impl ParentCheck {
    /// The child's error when its parent failed.
    pub(super) fn failure(&self) -> Option<String> {
        self.failed
            .get()
            .map(|reason| format!("parent `{}` failed: {reason}", self.parent))
    }
}

fn channel(parent: &str, shard: Option<(Partition, ParentPlan)>) -> (Feed, Input) {
    let (tx, rx) = mpsc::channel(FEED_CAPACITY);
    let failed = Arc::new(OnceLock::new());
    let shard = shard.map(|(partition, parent)| ShardFilter {
        partition,
        parent,
        counts: Arc::default(),
    });
    let input = Input {
        parent: parent.to_owned(),
        records: rx,
        failed: failed.clone(),
        counts: shard.as_ref().map(|s| Arc::clone(&s.counts)),
    };
    let feed = Feed {
        records: tx,
        failed,
        shard,
    };
    (feed, input)
}

fn root_of<'a>(connector: &'a Connector, mut name: &'a str) -> &'a str {
    // The connector refused parent cycles when it was built, so this ends.
    while let Some(parent) = connector.parent_of(name) {
        name = parent;
    }
    name
}

/// The trees of a run loading `names` in `partition`: each root with the descendants
/// needed, parents before children, wired together, in dependency order of their roots; and
/// the resources asked for that this shard leaves to shard 0.
pub(super) fn plan(
    connector: &Connector,
    names: &[String],
    partition: Partition,
) -> (Vec<Vec<Node>>, Vec<Skipped>) {
    let mut needed: HashSet<&str> = HashSet::new();
    for name in names {
        let mut current = name.as_str();
        needed.insert(current);
        while let Some(parent) = connector.parent_of(current) {
            needed.insert(parent);
            current = parent;
        }
    }
    let has_children = |name: &str| -> Vec<String> {
        connector
            .resources()
            .into_iter()
            .filter(|c| needed.contains(c.as_str()) && connector.parent_of(c) == Some(name))
            .collect()
    };
    let mut skipped = Vec::new();
    let mut kept_state = Vec::new();
    let mut planned: Vec<(String, Share, bool, bool)> = Vec::new();
    for name in connector.resources() {
        if !needed.contains(name.as_str()) {
            continue;
        }
        let children = has_children(&name);
        let share = share_of(connector, &name, &children, partition);
        let mut loaded = names.contains(&name);
        let mut keeps_state = false;
        if let Share::ShardZero(reason) = &share {
            if !partition.is_first() {
                if loaded {
                    skipped.push(Skipped {
                        resource: name.clone(),
                        reason: reason.clone(),
                    });
                }
                if children.is_empty() {
                    continue;
                }
                loaded = false;
                keeps_state = connector
                    .spec()
                    .resource(&name)
                    .is_some_and(|r| r.incremental.is_some());
                if keeps_state {
                    kept_state.push(name.clone());
                }
            }
        }
        planned.push((name, share, loaded, keeps_state));
    }

    let mut nodes: Vec<Node> = Vec::with_capacity(planned.len());
    for (name, share, loaded, keeps_state) in planned {
        // Dependency order puts the parent's node first.
        let input = connector.parent_of(&name).and_then(|parent| {
            let node = nodes.iter_mut().find(|n| n.name == parent)?;
            let filter = (share == Share::Parents)
                .then(|| connector.spec().resource(&name)?.parent.clone())
                .flatten()
                .map(|link| (partition, link));
            let (feed, input) = channel(parent, filter);
            node.feeds.push(feed);
            Some(input)
        });
        nodes.push(Node {
            name,
            loaded,
            share,
            keeps_state,
            input,
            feeds: Vec::new(),
        });
    }
    for node in nodes.iter().filter(|n| !n.loaded) {
        log_fed_only(connector, &node.name, names, partition);
    }
    for name in kept_state {
        tracing::info!(
            resource = %name,
            "shard {partition}: `{name}` loads in shard 0, but this shard keeps its own \
             incremental state of it (`{}`), so its children here see the same windows",
            partition.key(&name)
        );
    }

    let mut trees: Vec<(String, Vec<Node>)> = Vec::new();
    for node in nodes {
        let root = root_of(connector, &node.name).to_owned();
        match trees.iter_mut().find(|(r, _)| *r == root) {
            Some((_, tree)) => tree.push(node),
            None => trees.push((root, vec![node])),
        }
    }
    (trees.into_iter().map(|(_, tree)| tree).collect(), skipped)
}

/// The rule of the module docs for one resource.
fn share_of(connector: &Connector, name: &str, children: &[String], partition: Partition) -> Share {
    if partition.is_whole() {
        return Share::All;
    }
    if let Some(parent) = connector.parent_of(name) {
        return if connector.parent_of(parent).is_none() {
            Share::Parents
        } else {
            Share::All
        };
    }
    let resource = connector.spec().resource(name);
    if !children.is_empty() {
        let children: Vec<String> = children.iter().map(|c| format!("`{c}`")).collect();
        return Share::ShardZero(format!(
            "it feeds {}, whose parents are split by the hash of their key, so every shard \
             fetches it whole and only shard 0 loads it",
            children.join(", ")
        ));
    }
    if resource.is_some_and(|r| r.incremental.is_some()) {
        return Share::ShardZero(
            "it is incremental: its pages cannot be split soundly, since each shard's window \
             would start from its own state"
                .to_owned(),
        );
    }
    if connector.can_split_pages(name) {
        return Share::Pages;
    }
    let kind = resource.map_or("custom", |r| r.paginator.type_name());
    Share::ShardZero(format!(
        "its `{kind}` paginator cannot be split (only page_number and offset paginators with a \
         total_path or a maximum can)"
    ))
}

/// Says why a resource is fetched although it is not loaded.
fn log_fed_only(connector: &Connector, name: &str, names: &[String], partition: Partition) {
    let children: Vec<String> = names
        .iter()
        .filter(|n| {
            let mut current = n.as_str();
            while let Some(parent) = connector.parent_of(current) {
                if parent == name {
                    return true;
                }
                current = parent;
            }
            false
        })
        .map(|n| format!("`{n}`"))
        .collect();
    let why = match connector.spec().resource(name) {
        Some(r) if !r.selected => "it is `selected: false`".to_owned(),
        _ if names.iter().any(|n| n == name) => format!("it loads in shard 0, not in {partition}"),
        _ => "it is not among the resources asked for".to_owned(),
    };
    tracing::info!(
        resource = name,
        "`{name}` is fetched only to feed {}, and not loaded: {why}",
        children.join(", ")
    );
}
