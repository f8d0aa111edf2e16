//! Semantic validation: the rules serde cannot check, each a function, all problems collected.
//!
//! Problems carry a key path; the loader turns it into a line and column. A rule about a
//! merged setting (a primary key from `resource_defaults`, say) points at the place the value
//! was written.
//!
//! One module per concept; they share only what this module defines ([`Problems`], [`Res`]
//! and the column and naming helpers), and the leaf rules for paginators and auth, which
//! are checked wherever they are written.
//!
//! - [`names`]: the connector's and the resources' names.
//! - [`client`]: the `client` section (and plain-http credentials).
//! - [`endpoint`]: each endpoint as written: selector, retries, response actions; the body.
//! - [`paginator`]: paginator parameters. [`auth`]: auth, and literal credentials.
//! - [`disposition`]: the merge strategies' settings.
//! - [`keys`]: primary / merge keys. [`columns`]: column hints. [`incremental`]: the cursor.
//! - [`placeholders`]: every `{placeholder}` in a request is bound.
//! - [`parents`]: resolve params, `include_from_parent`, parent links and cycles.
//! - [`secrets`]: secret names and their meanings.

mod auth;
mod client;
mod columns;
mod disposition;
mod endpoint;
mod foreign_refs;
mod incremental;
mod keys;
mod names;
mod no_effect;
mod paginator;
mod parents;
mod placeholders;
mod secrets;

use crate::diagnostic::Severity;
use crate::merge::MergedResource;
use crate::model::*;
use crate::suggest::{did_you_mean, list};
use crate::vocabulary::*;

/// One problem, located by key path; the loader adds line and column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub severity: Severity,
    pub path: String,
    /// Point at the key (true) or at its value.
    pub at_key: bool,
    pub message: String,
    pub help: Option<String>,
    /// Secondary places: (key path, message), each pointing at its key.
    pub labels: Vec<(String, String)>,
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) -> &mut Problem {
        self.push(Severity::Error, path.into(), message.into())
    }

    fn warning(&mut self, path: impl Into<String>, message: impl Into<String>) -> &mut Problem {
        self.push(Severity::Warning, path.into(), message.into())
    }

    fn push(&mut self, severity: Severity, path: String, message: String) -> &mut Problem {
        self.0.push(Problem {
            severity,
            path,
            at_key: false,
            message,
            help: None,
            labels: Vec::new(),
        });
        let last = self.0.len() - 1;
        &mut self.0[last]
    }
}

impl Problem {
    fn help(&mut self, help: impl Into<String>) -> &mut Problem {
        self.help = Some(help.into());
        self
    }

    fn maybe_help(&mut self, help: Option<String>) -> &mut Problem {
        self.help = help;
        self
    }

    fn at_key(&mut self) -> &mut Problem {
        self.at_key = true;
        self
    }

    /// Adds a secondary place, at the key of `path`.
    fn label(&mut self, path: impl Into<String>, message: impl Into<String>) -> &mut Problem {
        self.labels.push((path.into(), message.into()));
        self
    }
}

/// One resource seen three ways: as written, merged, and where it sits in the file.
struct Res<'a> {
    index: usize,
    raw: std::borrow::Cow<'a, Resource>,
    resolved: MergedResource,
}

impl Res<'_> {
    fn path(&self) -> String {
        format!("resources[{}]", self.index)
    }

    fn own_endpoint(&self) -> Option<&Endpoint> {
        match &self.raw.endpoint {
            Some(EndpointEntry::Full(e)) => Some(e),
            _ => None,
        }
    }

    /// Where an endpoint setting of this resource was written: its own endpoint, else
    /// `resource_defaults.endpoint`.
    fn endpoint_origin(&self, field: &str, own_has: impl Fn(&Endpoint) -> bool) -> String {
        if self.own_endpoint().is_some_and(own_has) {
            format!("{}.endpoint.{field}", self.path())
        } else {
            format!("resource_defaults.endpoint.{field}")
        }
    }

    /// Where a resource setting was written: the resource, else `resource_defaults`.
    fn origin(&self, field: &str, own_has: bool) -> String {
        if own_has {
            format!("{}.{field}", self.path())
        } else {
            format!("resource_defaults.{field}")
        }
    }
}

/// Every semantic problem of a deserialized spec.
pub(crate) fn validate(spec: &Spec) -> Vec<Problem> {
    let mut p = Problems::default();
    let resources: Vec<Res> = spec
        .resources
        .iter()
        .enumerate()
        .map(|(index, entry)| Res {
            index,
            raw: match entry {
                ResourceEntry::Full(r) => std::borrow::Cow::Borrowed(r.as_ref()),
                ResourceEntry::Name(name) => std::borrow::Cow::Owned(Resource {
                    name: name.clone(),
                    ..Resource::default()
                }),
            },
            resolved: spec.merge_entry(entry),
        })
        .collect();

    names::connector_name(spec, &mut p);
    client::client(&spec.client, &mut p);
    endpoint::written_endpoints(spec, &mut p);
    names::resource_names(&resources, &mut p);
    if let Some(from) = spec
        .resource_defaults
        .as_ref()
        .and_then(|d| d.columns_from.as_ref())
    {
        columns::columns_from(from, "resource_defaults.columns_from", &mut p);
    }
    for res in &resources {
        keys::keys_among_columns(res, &mut p);
        keys::primary_key_not_nullable(res, &mut p);
        keys::merge_needs_keys(res, &mut p);
        disposition::merge_options(spec, res, &mut p);
        incremental::incremental(res, &mut p);
        placeholders::placeholders_bound(spec, res, &resources, &mut p);
        parents::resolve_params(res, &resources, &mut p);
        parents::include_from_parent(spec, res, &resources, &mut p);
        endpoint::body_exclusive(res, &mut p);
        columns::columns(res, &mut p);
    }
    parents::parents(spec, &resources, &mut p);
    secrets::secrets(spec, &mut p);
    foreign_refs::foreign_secret_refs(spec, &mut p);
    client::insecure_base_url(spec, &mut p);
    no_effect::dlt_keys_without_effect(spec, &mut p);
    p.0
}

/// Lower snake case: `[a-z][a-z0-9_]*`.
fn is_lower_snake(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Header names are HTTP tokens (RFC 9110): letters, digits and ``!#$%&'*+-.^_`|~``.
fn header_names(
    headers: &indexmap::IndexMap<String, StringOrSecret>,
    base: &str,
    p: &mut Problems,
) {
    for name in headers.keys() {
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            p.error(
                format!("{base}.{name}"),
                format!("`{name}` is not a valid HTTP header name"),
            )
            .help("header names are letters, digits and `-` (no spaces, `:` or quotes)")
            .at_key();
        }
    }
}

fn is_incremental_param(value: &ParamValue) -> bool {
    matches!(value, ParamValue::Special(SpecialParam::Incremental(_)))
}

fn declared(columns: &indexmap::IndexMap<String, Column>, field: &str) -> bool {
    // A dot path names a nested field; its first segment must be a column.
    let field = field.trim_start_matches("$.");
    let first = field.split(['.', '[']).next().unwrap_or(field);
    columns.contains_key(first)
}

fn column_names(columns: &indexmap::IndexMap<String, Column>) -> Vec<&str> {
    columns.keys().map(String::as_str).collect()
}

fn parent_field_declared(
    parent: &MergedResource,
    field: &str,
    path: &str,
    what: &str,
    p: &mut Problems,
) {
    if field.trim().is_empty() {
        p.error(path, format!("{what}: the parent field is empty"));
        return;
    }
    if parent.columns.is_empty() || declared(&parent.columns, field) {
        return;
    }
    let names = column_names(&parent.columns);
    p.error(
        path,
        format!(
            "{what}: field `{field}` is not a declared column of parent `{}`; its columns: {}",
            parent.name,
            list(&names)
        ),
    )
    .maybe_help(did_you_mean(field, &names));
}
