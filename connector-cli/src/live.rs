//! The first pages of a spec's resources, read from the live API: what `check --live` checks
//! and `samples` stores.
//!
//! One request at a time (connector concurrency 1, nothing fetched ahead), as a first run (no
//! incremental state). A root resource's pages are its own; a child's are read for the records
//! of its parent's pages, in order: the parent record's sequence until enough pages, the next
//! parent record when one gives an empty page, at most [`PARENTS_TRIED`] parents that give
//! nothing. Empty pages are not kept: a page ends a sequence when it is empty.

use connector_runtime::futures::StreamExt;
use connector_runtime::{Connector, RunOptions};
use serde_json::Value;

/// Parent records whose child pages came back empty, tried before a child is called empty.
pub const PARENTS_TRIED: usize = 5;

/// Where a resource's pages came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    /// The resource's own request sequence.
    Own,
    /// A child's, for these records (0-based, over the parent's pages read here) of `parent`.
    Parent { parent: String, records: Vec<usize> },
}

/// What reading a resource gave.
#[derive(Debug, Clone)]
pub struct Read {
    pub resource: String,
    pub via: Via,
    /// The pages with records, in order.
    pub pages: Vec<Vec<Value>>,
    /// Why reading stopped early: an HTTP or network error, or a parent that could not be read
    /// (already redacted).
    pub error: Option<String>,
    /// The runtime's warnings about the responses (a selector that matched nothing, ...).
    pub warnings: Vec<String>,
}

impl Read {
    /// The records of every page, in order.
    pub fn records(&self) -> impl Iterator<Item = &Value> {
        self.pages.iter().flatten()
    }

    /// "the first page", "the first 2 pages for record 0 of `users`' pages", ...
    pub fn describe(&self) -> String {
        let pages = match self.pages.len() {
            0 | 1 => "the first page".to_owned(),
            n => format!("the first {n} pages"),
        };
        match &self.via {
            Via::Own => pages,
            Via::Parent { parent, records } => {
                let list: Vec<String> = records.iter().map(usize::to_string).collect();
                let which = if records.len() == 1 {
                    format!("record {}", list[0])
                } else {
                    format!("records {}", list.join(", "))
                };
                format!("{pages} for {which} of parent `{parent}` (from its first page)")
            }
        }
    }
}

/// Reads up to `pages(resource)` pages with records of each resource of `wanted` and of the
/// parents they need, in dependency order; returns the wanted ones in that order.
pub async fn read(
    connector: &Connector,
    wanted: &[String],
    pages: &dyn Fn(&str) -> usize,
) -> Vec<Read> {
    let mut done: Vec<Read> = Vec::new();
    for resource in connector.resources() {
        let needed = wanted.contains(&resource)
            || wanted
                .iter()
                .any(|w| ancestors(connector, w).contains(&resource));
        if !needed {
            continue;
        }
        let read = match connector.parent_of(&resource) {
            None => {
                let mut read = Read {
                    resource: resource.clone(),
                    via: Via::Own,
                    pages: Vec::new(),
                    error: None,
                    warnings: Vec::new(),
                };
                sequence(connector, &mut read, None, pages(&resource)).await;
                read
            }
            Some(parent) => {
                let parent_read = done.iter().find(|r| r.resource == parent);
                child(connector, &resource, parent, parent_read, pages(&resource)).await
            }
        };
        done.push(read);
    }
    done.into_iter()
        .filter(|r| wanted.contains(&r.resource))
        .collect()
}

/// `resource`'s parent, its parent, ... up to the root.
fn ancestors(connector: &Connector, resource: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = resource.to_owned();
    while let Some(parent) = connector.parent_of(&at) {
        out.push(parent.to_owned());
        at = parent.to_owned();
    }
    out
}

async fn child(
    connector: &Connector,
    resource: &str,
    parent: &str,
    parent_read: Option<&Read>,
    pages: usize,
) -> Read {
    let mut read = Read {
        resource: resource.to_owned(),
        via: Via::Parent {
            parent: parent.to_owned(),
            records: Vec::new(),
        },
        pages: Vec::new(),
        error: None,
        warnings: Vec::new(),
    };
    let Some(parent_read) = parent_read else {
        read.error = Some(format!("parent `{parent}` was not read"));
        return read;
    };
    if let Some(error) = &parent_read.error {
        read.error = Some(format!("parent `{parent}` could not be read: {error}"));
        return read;
    }
    let mut fruitless = 0;
    for (index, record) in parent_read.records().enumerate() {
        if read.pages.len() >= pages || fruitless >= PARENTS_TRIED {
            break;
        }
        let before = read.pages.len();
        if let Via::Parent { records, .. } = &mut read.via {
            records.push(index);
        }
        sequence(connector, &mut read, Some(record), pages).await;
        if read.error.is_some() {
            break;
        }
        if read.pages.len() == before {
            fruitless += 1;
        }
    }
    read
}

/// Reads one request sequence into `read` until it has `pages` pages, the sequence ends or
/// gives an empty page, or an error.
async fn sequence(connector: &Connector, read: &mut Read, parent: Option<&Value>, pages: usize) {
    let mut stream = connector.pages(&read.resource, parent, RunOptions::default());
    while read.pages.len() < pages {
        match stream.next().await {
            Some(Ok(page)) if page.is_empty() => break,
            Some(Ok(page)) => read.pages.push(page),
            Some(Err(e)) => {
                read.error = Some(connector.redact(&e.to_string()));
                break;
            }
            None => break,
        }
    }
    for warning in stream.stats().warnings() {
        let warning = connector.redact(&warning);
        if !read.warnings.contains(&warning) {
            read.warnings.push(warning);
        }
    }
}
