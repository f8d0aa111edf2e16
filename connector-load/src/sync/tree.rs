//! Which resources run together, and the channels between them. Each root resource runs with
//! the descendants the run needs: every parent record goes to the parent's own table (when the
//! parent is loaded) and to each child's input as it arrives, so a parent is fetched once per
//! sync (dlt pipes a parent into its transformers the same way).
//!
//! A parent that was not asked for (`selected: false`, or left out of
//! [`SyncOptions::resources`](super::SyncOptions::resources)) but has a child that was is
//! fetched only to feed that child, and loads nothing.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use connector_runtime::Connector;
use futures::Stream;
use serde_json::Value;
use tokio::sync::mpsc;

/// Parent records waiting for one child: enough to keep the child's fan-out busy, few enough
/// that a slow child holds its parent back (back-pressure) instead of piling records up.
const FEED_CAPACITY: usize = 64;

/// One resource of a tree.
pub(super) struct Node {
    pub(super) name: String,
    /// Asked for: its records are loaded (or written as JSON lines). Otherwise it is fetched
    /// only to feed its children.
    pub(super) loaded: bool,
    /// A child's parent records.
    pub(super) input: Option<Input>,
    /// Where its records go on to: one per child the run needs.
    pub(super) feeds: Vec<Feed>,
}

/// The sending end of a child's input.
pub(super) struct Feed {
    records: mpsc::Sender<Value>,
    failed: Arc<OnceLock<String>>,
}

impl Feed {
    /// Hands one record to the child, waiting while its input is full. A child that stopped
    /// reading (it failed, or has its `--limit`) is skipped; [`Feed::is_open`] then says so.
    pub(super) async fn send(&self, record: Value) {
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

fn channel(parent: &str) -> (Feed, Input) {
    let (tx, rx) = mpsc::channel(FEED_CAPACITY);
    let failed = Arc::new(OnceLock::new());
    let feed = Feed {
        records: tx,
        failed: failed.clone(),
    };
    let input = Input {
        parent: parent.to_owned(),
        records: rx,
        failed,
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

/// The trees of a run loading `names`: each root with the descendants needed, parents before
/// children, wired together. The trees are in dependency order of their roots.
pub(super) fn plan(connector: &Connector, names: &[String]) -> Vec<Vec<Node>> {
    let mut needed: HashSet<&str> = HashSet::new();
    for name in names {
        let mut current = name.as_str();
        needed.insert(current);
        while let Some(parent) = connector.parent_of(current) {
            needed.insert(parent);
            current = parent;
        }
    }
    let order: Vec<String> = connector
        .resources()
        .into_iter()
        .filter(|name| needed.contains(name.as_str()))
        .collect();

    let mut nodes: Vec<Node> = Vec::with_capacity(order.len());
    for name in &order {
        // Dependency order puts the parent's node first.
        let input = connector.parent_of(name).and_then(|parent| {
            let node = nodes.iter_mut().find(|n| n.name == parent)?;
            let (feed, input) = channel(parent);
            node.feeds.push(feed);
            Some(input)
        });
        nodes.push(Node {
            name: name.clone(),
            loaded: names.contains(name),
            input,
            feeds: Vec::new(),
        });
    }
    for node in nodes.iter().filter(|n| !n.loaded) {
        log_fed_only(connector, &node.name, names);
    }

    let mut trees: Vec<(String, Vec<Node>)> = Vec::new();
    for node in nodes {
        let root = root_of(connector, &node.name).to_owned();
        match trees.iter_mut().find(|(r, _)| *r == root) {
            Some((_, tree)) => tree.push(node),
            None => trees.push((root, vec![node])),
        }
    }
    trees.into_iter().map(|(_, tree)| tree).collect()
}

/// Says why a resource is fetched although it is not loaded.
fn log_fed_only(connector: &Connector, name: &str, names: &[String]) {
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
        Some(r) if !r.selected => "it is `selected: false`",
        _ => "it is not among the resources asked for",
    };
    tracing::info!(
        resource = name,
        "`{name}` is fetched only to feed {}, and not loaded: {why}",
        children.join(", ")
    );
}
