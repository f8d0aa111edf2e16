//! `resource_defaults` merged into each resource, and every default made explicit: what the
//! runtime, the code generator and the loader read.
//!
//! Merge rules (dlt's, with one deliberate difference):
//! - `endpoint` is merged key by key; `params`, `headers` and `data` key by key within it; the
//!   resource's own value wins on every key.
//! - `columns` are merged column by column (the resource's hint replaces the default's whole).
//!   Columns from a schema document (`columns_from`) come first; a written column overrides
//!   the document's hint by hint (a written `data_type` brings its own shape: the document's
//!   `enum`, `fields` and `items` go with the document's type).
//! - `paginator`, `auth`, `incremental`, `error_handler` and `json` are replaced whole, never
//!   merged: merging two paginators of different types gives a paginator nobody wrote.
//! - `response_actions`: the resource's list when it has one, else the defaults'.
//! - Paginator precedence: endpoint > resource_defaults.endpoint > client.
//! - Single-entity rule: a path whose last segment is a `{placeholder}` gets `single_page` and
//!   `data_selector: $` unless the endpoint or resource_defaults names a paginator (a client
//!   paginator does not count), and a selector unless one is written.

use indexmap::IndexMap;

use crate::model::*;
use crate::vocabulary::*;

/// A resource with defaults merged in and its endpoint spelled out.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedResource {
    /// Resource name.
    pub name: String,
    /// Destination table name (default: the resource name).
    pub table_name: String,
    /// The merged endpoint; `path` is always set.
    pub endpoint: Endpoint,
    /// The effective paginator (`None`: auto-detect, dlt's behaviour when nothing is named).
    pub paginator: Option<Paginator>,
    /// Primary key columns (empty when none).
    pub primary_key: Vec<String>,
    /// Merge key columns (empty when none).
    pub merge_key: Vec<String>,
    /// Write disposition (default append, as in dlt).
    pub disposition: Disposition,
    /// Merge strategy when `disposition` is merge.
    pub merge_strategy: MergeStrategy,
    /// The strategy's settings.
    pub merge_options: MergeOptions,
    /// Column hints, defaults first.
    pub columns: IndexMap<String, Column>,
    /// Parent fields copied into child records.
    pub include_from_parent: Vec<String>,
    /// Whether the resource is loaded.
    pub selected: bool,
    /// Whether children of several parents are fetched concurrently.
    pub parallelized: bool,
    /// Nesting depth of child tables.
    pub max_table_nesting: Option<u32>,
    /// The schema contract (the resource's, else the defaults').
    pub schema_contract: SchemaContract,
    /// Sample response files.
    pub samples: Vec<String>,
    /// The schema document the columns come from (the resource's, else the defaults').
    pub columns_from: Option<ColumnsFrom>,
}

impl MergedResource {
    /// The endpoint path (never empty: defaults to the resource name).
    pub fn path(&self) -> &str {
        self.endpoint.path.as_deref().unwrap_or(&self.name)
    }

    /// The HTTP method (default GET).
    pub fn method(&self) -> Method {
        self.endpoint.method.unwrap_or(Method::Get)
    }
}

impl Spec {
    /// Every resource with `resource_defaults` merged in, in spec order.
    pub fn merged_resources(&self) -> Vec<MergedResource> {
        self.resources
            .iter()
            .map(|entry| self.merge(entry))
            .collect()
    }

    /// One resource by name, resolved.
    pub fn merged_resource(&self, name: &str) -> Option<MergedResource> {
        self.resources
            .iter()
            .find(|entry| entry.name() == name)
            .map(|entry| self.merge(entry))
    }

    /// One list entry, resolved (validation needs entries that share a name kept apart).
    pub(crate) fn merge_entry(&self, entry: &ResourceEntry) -> MergedResource {
        self.merge(entry)
    }

    fn merge(&self, entry: &ResourceEntry) -> MergedResource {
        let bare;
        let resource: &Resource = match entry {
            ResourceEntry::Full(r) => r,
            ResourceEntry::Name(name) => {
                bare = Resource {
                    name: name.clone(),
                    ..Resource::default()
                };
                &bare
            }
        };
        let defaults = self.resource_defaults.clone().unwrap_or_default();
        let own_endpoint = match &resource.endpoint {
            None => Endpoint::default(),
            Some(EndpointEntry::Path(path)) => Endpoint {
                path: Some(path.clone()),
                ..Endpoint::default()
            },
            Some(EndpointEntry::Full(e)) => e.clone(),
        };
        let default_endpoint = defaults.endpoint.clone().unwrap_or_default();
        let mut endpoint = merge_endpoint(&default_endpoint, &own_endpoint);
        if endpoint.path.is_none() {
            endpoint.path = Some(resource.name.clone());
        }

        let named_paginator = endpoint.paginator.clone();
        let mut paginator = named_paginator
            .clone()
            .or_else(|| self.client.paginator.clone());
        if is_single_entity_path(endpoint.path.as_deref().unwrap_or_default()) {
            if named_paginator.is_none() {
                paginator = Some(Paginator::Name(PaginatorKind::SinglePage));
            }
            if endpoint.data_selector.is_none() {
                endpoint.data_selector = Some("$".to_owned());
            }
        }
        endpoint.paginator = paginator.clone();

        let write_disposition = resource
            .write_disposition
            .clone()
            .or(defaults.write_disposition.clone());
        let (disposition, merge_strategy, merge_options) = match write_disposition {
            None => (
                Disposition::Append,
                MergeStrategy::DeleteInsert,
                MergeOptions::default(),
            ),
            Some(WriteDisposition::Word(d)) => {
                (d, MergeStrategy::DeleteInsert, MergeOptions::default())
            }
            Some(WriteDisposition::Config(c)) => (
                c.disposition,
                c.strategy.unwrap_or(MergeStrategy::DeleteInsert),
                c.options(),
            ),
        };

        let mut columns = defaults.columns.clone();
        for (name, column) in &resource.columns {
            columns.insert(name.clone(), column.clone());
        }
        if let Some(document) = self.document_columns.get(&resource.name) {
            columns = under(document, columns);
        }

        let keys = |own: &Option<Keys>, default: &Option<Keys>| -> Vec<String> {
            own.as_ref()
                .or(default.as_ref())
                .map(|k| k.columns().into_iter().map(str::to_owned).collect())
                .unwrap_or_default()
        };

        MergedResource {
            name: resource.name.clone(),
            table_name: resource
                .table_name
                .clone()
                .or(defaults.table_name.clone())
                .unwrap_or_else(|| resource.name.clone()),
            endpoint,
            paginator,
            primary_key: or_hinted(
                keys(&resource.primary_key, &defaults.primary_key),
                &columns,
                |c| c.primary_key,
            ),
            merge_key: or_hinted(
                keys(&resource.merge_key, &defaults.merge_key),
                &columns,
                |c| c.merge_key,
            ),
            disposition,
            merge_strategy,
            merge_options,
            columns,
            include_from_parent: if resource.include_from_parent.is_empty() {
                defaults.include_from_parent.clone()
            } else {
                resource.include_from_parent.clone()
            },
            selected: resource.selected.or(defaults.selected).unwrap_or(true),
            parallelized: resource
                .parallelized
                .or(defaults.parallelized)
                .unwrap_or(false),
            max_table_nesting: resource.max_table_nesting.or(defaults.max_table_nesting),
            schema_contract: resource
                .schema_contract
                .or(defaults.schema_contract)
                .map(SchemaContractSpec::resolve)
                .unwrap_or_default(),
            samples: resource.samples.clone(),
            columns_from: resource
                .columns_from
                .clone()
                .or(defaults.columns_from.clone()),
        }
    }
}

impl ResourceEntry {
    /// The resource's name.
    pub fn name(&self) -> &str {
        match self {
            ResourceEntry::Name(name) => name,
            ResourceEntry::Full(r) => &r.name,
        }
    }
}

/// The document's columns with the written ones over them, hint by hint; written columns the
/// document lacks come last.
fn under(
    document: &IndexMap<String, Column>,
    written: IndexMap<String, Column>,
) -> IndexMap<String, Column> {
    let mut out: IndexMap<String, Column> = document
        .iter()
        .map(|(name, column)| match written.get(name) {
            Some(own) => (name.clone(), overlay(column, own)),
            None => (name.clone(), column.clone()),
        })
        .collect();
    for (name, column) in written {
        out.entry(name).or_insert(column);
    }
    out
}

/// `own`'s hints over `base`'s.
fn overlay(base: &Column, own: &Column) -> Column {
    let retyped = own.data_type.is_some() && own.data_type != base.data_type;
    Column {
        data_type: own.data_type.or(base.data_type),
        nullable: own.nullable.or(base.nullable),
        description: own.description.clone().or(base.description.clone()),
        precision: own.precision.or(base.precision),
        scale: own.scale.or(base.scale),
        items: match (&own.items, &base.items) {
            (Some(own), Some(base)) => Some(Box::new(overlay(base, own))),
            (Some(own), None) => Some(own.clone()),
            (None, _) if retyped => None,
            (None, base) => base.clone(),
        },
        fields: if retyped && own.fields.is_empty() {
            IndexMap::new()
        } else {
            under(&base.fields, own.fields.clone())
        },
        enum_values: if !own.enum_values.is_empty() || retyped {
            own.enum_values.clone()
        } else {
            base.enum_values.clone()
        },
        name: own.name.clone().or(base.name.clone()),
        primary_key: own.primary_key.or(base.primary_key),
        merge_key: own.merge_key.or(base.merge_key),
        unique: own.unique.or(base.unique),
        sort: own.sort.or(base.sort),
        partition: own.partition.or(base.partition),
        cluster: own.cluster.or(base.cluster),
        timezone: own.timezone.or(base.timezone),
        hard_delete: own.hard_delete.or(base.hard_delete),
        dedup_sort: own.dedup_sort.clone().or(base.dedup_sort.clone()),
        row_key: own.row_key.or(base.row_key),
        parent_key: own.parent_key.or(base.parent_key),
        root_key: own.root_key.or(base.root_key),
        variant: own.variant.or(base.variant),
        // The document's promise holds for the document's type only.
        format: if retyped {
            own.format
        } else {
            own.format.or(base.format)
        },
    }
}

/// The key written on the resource, else the columns whose hint says they are part of it
/// (dlt's `primary_key: true` / `merge_key: true` on a column).
fn or_hinted(
    written: Vec<String>,
    columns: &IndexMap<String, Column>,
    hint: impl Fn(&Column) -> Option<bool>,
) -> Vec<String> {
    if !written.is_empty() {
        return written;
    }
    columns
        .iter()
        .filter(|(_, c)| hint(c) == Some(true))
        .map(|(name, _)| name.clone())
        .collect()
}

/// `defaults` with `own` laid over it, key by key.
fn merge_endpoint(defaults: &Endpoint, own: &Endpoint) -> Endpoint {
    Endpoint {
        path: own.path.clone().or(defaults.path.clone()),
        method: own.method.or(defaults.method),
        params: merge_maps(&defaults.params, &own.params),
        json: own.json.clone().or(defaults.json.clone()),
        data: match (&defaults.data, &own.data) {
            (Some(RequestData::Fields(d)), Some(RequestData::Fields(o))) => {
                Some(RequestData::Fields(merge_maps(d, o)))
            }
            (d, o) => o.clone().or(d.clone()),
        },
        headers: merge_maps(&defaults.headers, &own.headers),
        auth: own.auth.clone().or(defaults.auth.clone()),
        paginator: own.paginator.clone().or(defaults.paginator.clone()),
        data_selector: own.data_selector.clone().or(defaults.data_selector.clone()),
        incremental: own.incremental.clone().or(defaults.incremental.clone()),
        response_actions: if own.response_actions.is_empty() {
            defaults.response_actions.clone()
        } else {
            own.response_actions.clone()
        },
        error_handler: own.error_handler.clone().or(defaults.error_handler.clone()),
        max_pages: own.max_pages.or(defaults.max_pages),
    }
}

fn merge_maps<V: Clone>(
    defaults: &IndexMap<String, V>,
    own: &IndexMap<String, V>,
) -> IndexMap<String, V> {
    let mut merged = defaults.clone();
    for (key, value) in own {
        merged.insert(key.clone(), value.clone());
    }
    merged
}

/// dlt's single-entity rule: the last path segment is one `{placeholder}`.
fn is_single_entity_path(path: &str) -> bool {
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    last.starts_with('{') && last.ends_with('}') && !last.starts_with("{{")
}
