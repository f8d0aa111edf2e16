//! Columns from schema documents (`columns_from`): an OpenAPI 3.0 / 3.1 document or a JSON
//! Schema file, read when the spec loads (so the macro, build.rs, `connector generate` and
//! `connector sync` all see the same columns).
//!
//! A resource's record schema is found three ways:
//! - `doc.yaml#/components/schemas/Device`: the schema a JSON pointer names;
//! - `doc.yaml` (an OpenAPI document): the success response of the operation with the
//!   endpoint's path and method, or `{ document, operation: listDevices }` by `operationId`;
//!   the endpoint's `data_selector` leads from the response to the records (without one, a
//!   list response's items, or the one list property of an object response);
//! - `doc.json` (a JSON Schema file): its root.
//!
//! The columns go under the spec's own: a `columns` entry overrides the document's column hint
//! by hint ([`crate::merge`]). Every problem names the spec's line (the `columns_from` key) and
//! the document's file, line and JSON pointer.

mod document;
pub mod mapping;
pub mod openapi;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use indexmap::IndexMap;

pub use document::{escape, tokens, Document};
pub use mapping::{Mapper, ObjectShape};

use crate::model::{ResourceEntry, Spec};
use crate::selector::Selector;
use crate::validate::Problem;
use crate::vocabulary::Column;

/// The documents read so far, each once (a `$ref` to another file opens it here too).
#[derive(Debug, Default)]
pub struct Documents {
    opened: Vec<(PathBuf, Result<Rc<Document>, String>)>,
}

impl Documents {
    /// The document at `path` (named `display` in messages), read on first use.
    pub fn open(&mut self, path: &Path, display: &str) -> Result<Rc<Document>, String> {
        if let Some((_, doc)) = self.opened.iter().find(|(p, _)| p == path) {
            return doc.clone();
        }
        let doc = Document::read(path, display).map(Rc::new);
        self.opened.push((path.to_path_buf(), doc.clone()));
        doc
    }

    /// Every document opened (readable or not), in order: what a build must watch.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.opened.iter().map(|(p, _)| p.clone()).collect()
    }
}

/// A place in a document: the document and a JSON pointer (without `#`).
#[derive(Debug, Clone)]
pub struct Loc {
    /// The document.
    pub doc: Rc<Document>,
    /// The JSON pointer.
    pub pointer: String,
}

impl Loc {
    /// The value here (`null` if the pointer names nothing).
    pub fn value(&self) -> &serde_json::Value {
        self.doc
            .get(&self.pointer)
            .unwrap_or(&serde_json::Value::Null)
    }

    /// The place of a child key or index.
    pub fn child(&self, token: &str) -> Loc {
        Loc {
            doc: self.doc.clone(),
            pointer: format!("{}/{}", self.pointer, escape(token)),
        }
    }

    /// `` `doc.yaml`:14 `#/components/schemas/X` ``.
    pub fn at(&self) -> String {
        self.doc.at(&self.pointer)
    }

    /// `doc.yaml:14 #/components/schemas/X`, for documentation text.
    pub fn at_plain(&self) -> String {
        format!(
            "{}:{} #{}",
            self.doc.display,
            self.doc.line(&self.pointer),
            self.pointer
        )
    }

    /// A key naming this place among all documents.
    pub fn key(&self) -> String {
        format!("{}#{}", self.doc.path.display(), self.pointer)
    }
}

/// What reading every resource's `columns_from` gave.
#[derive(Debug, Default)]
pub(crate) struct Read {
    /// The document columns of each resource, by resource name.
    pub columns: IndexMap<String, IndexMap<String, Column>>,
    /// One error per resource whose columns could not be read.
    pub problems: Vec<Problem>,
    /// Every document opened.
    pub documents: Vec<PathBuf>,
}

/// Reads the columns of every resource with a `columns_from`, documents relative to `dir`.
pub(crate) fn read(spec: &Spec, dir: &Path) -> Read {
    let mut docs = Documents::default();
    let mut out = Read::default();
    for (index, entry) in spec.resources.iter().enumerate() {
        let merged = spec.merge_entry(entry);
        let Some(from) = &merged.columns_from else {
            continue;
        };
        let own = matches!(entry, ResourceEntry::Full(r) if r.columns_from.is_some());
        let key = if own {
            format!("resources[{index}].columns_from")
        } else {
            "resource_defaults.columns_from".to_owned()
        };
        match columns_of(&mut docs, dir, from, &merged) {
            Ok(columns) => {
                out.columns.insert(merged.name.clone(), columns);
            }
            Err((message, help)) => out.problems.push(Problem {
                severity: crate::diagnostic::Severity::Error,
                path: key,
                at_key: false,
                message: format!("resource `{}`: {message}", merged.name),
                help,
                labels: Vec::new(),
            }),
        }
    }
    out.documents = docs.paths();
    out
}

type Failure = (String, Option<String>);

fn columns_of(
    docs: &mut Documents,
    dir: &Path,
    from: &crate::model::ColumnsFrom,
    merged: &crate::merge::MergedResource,
) -> Result<IndexMap<String, Column>, Failure> {
    let plain = |message: String| (message, None);
    let written = from.document();
    let doc = docs.open(&dir.join(written), written).map_err(|message| {
        (
            message,
            Some("the path is relative to the spec file's directory".to_owned()),
        )
    })?;
    let root = Loc {
        doc: doc.clone(),
        pointer: String::new(),
    };
    let record = match (from.pointer(), doc.openapi()) {
        (Some(pointer), _) => {
            if !pointer.is_empty() && !pointer.starts_with('/') {
                // Validation reports it, with the fix; one message is enough.
                return Ok(IndexMap::new());
            }
            if doc.get(pointer).is_none() {
                return Err(plain(doc.nothing_at(pointer)));
            }
            Loc {
                doc: doc.clone(),
                pointer: pointer.to_owned(),
            }
        }
        (None, Some(api)) => {
            let found = match from.operation() {
                Some(id) => openapi::by_id(&doc, api, id),
                None => openapi::by_endpoint(&doc, api, merged.path(), merged.method()),
            }
            .map_err(|message| {
                (
                    message,
                    Some(
                        "name the operation with `columns_from: { document, operation: \
                         <operationId> }`, or the schema with `document#/json/pointer`"
                            .to_owned(),
                    ),
                )
            })?;
            let response = openapi::success_schema(&doc, &found).map_err(plain)?;
            let response = Loc {
                doc: doc.clone(),
                pointer: response,
            };
            records_in(&mut Mapper::new(docs), &response, merged).map_err(plain)?
        }
        (None, None) if from.operation().is_some() => {
            return Err(plain(format!(
                "`operation` needs an OpenAPI document, and `{written}` has no `openapi` version"
            )))
        }
        (None, None) => root,
    };
    Mapper::new(docs).record(&record).map_err(plain)
}

/// The record schema inside a response schema: through the `data_selector`'s keys, then into
/// a list's items. Without a selector: a list's items, or the one list property of an object.
fn records_in(
    mapper: &mut Mapper<'_>,
    response: &Loc,
    merged: &crate::merge::MergedResource,
) -> Result<Loc, String> {
    let mut current = response.clone();
    match merged.endpoint.data_selector.as_deref() {
        Some(text) => {
            let selector =
                Selector::parse(text).map_err(|e| format!("data_selector `{text}`: {e}"))?;
            let keys = selector.keys().ok_or_else(|| {
                format!(
                    "data_selector `{text}` is not a path of keys, so it cannot be followed \
                     through the response schema ({}); name the record schema with \
                     `document#/json/pointer`",
                    response.at()
                )
            })?;
            for key in keys {
                let shape = mapper.object(&current)?.ok_or_else(|| {
                    format!(
                        "data_selector `{text}`: {} is not an object, so it has no `{key}`",
                        current.at()
                    )
                })?;
                current = match shape.property(key) {
                    Some(next) => next.clone(),
                    None => {
                        let names: Vec<&str> =
                            shape.properties.iter().map(|(n, _)| n.as_str()).collect();
                        return Err(format!(
                            "data_selector `{text}`: the response schema ({}) has no property \
                             `{key}`; its properties: {}",
                            current.at(),
                            names.join(", ")
                        ));
                    }
                };
            }
            if let Some(items) = mapper.items(&current)? {
                current = items;
            }
        }
        None => {
            if let Some(items) = mapper.items(&current)? {
                current = items;
            } else if let Some(shape) = mapper.object(&current)? {
                let mut lists = Vec::new();
                for (_, loc) in &shape.properties {
                    if let Some(items) = mapper.items(loc)? {
                        lists.push(items);
                    }
                }
                if let [only] = lists.as_slice() {
                    current = only.clone();
                }
            }
        }
    }
    Ok(current)
}
