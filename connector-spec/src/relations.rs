//! How resources relate: which parent a child fans out over and which parent fields it binds,
//! the order resources must run in, and the secrets a spec needs.
//!
//! A child names its parent in one of three ways (dlt's two, plus the seeds'):
//! `{resources.<parent>.<field>}` placeholders in the path, params, headers or JSON body; legacy
//! `{ type: resolve, resource, field }` params; and the bare `{parent_id}`, which means field `id`
//! of the resource named by `parent:`, or else of the only other resource that has no parent
//! itself.

use crate::merge::MergedResource;
use crate::model::*;
use crate::template::{json_strings, placeholders, PlaceholderKind};

/// How a child resource binds to its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentLink {
    /// The parent resource's name.
    pub parent: String,
    /// Where each parent field goes in the child's request, in spec order (path first, then
    /// params, headers and JSON body). Empty when the child names its parent with `parent:` but
    /// binds no field (it is then fetched once per parent record, e.g. for
    /// `include_from_parent`).
    pub bindings: Vec<ParentBinding>,
}

/// One parent field fed into the child's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentBinding {
    /// Where the value goes.
    pub placeholder_or_param: Where,
    /// The parent record's field, a dot path (`id`, `owner.login`).
    pub parent_field: String,
}

/// Where in a child's request a parent field is substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Where {
    /// A `{placeholder}` in the endpoint path; holds the text between the braces
    /// (`resources.users.id`, `parent_id`, or a resolve param's name).
    Path(String),
    /// A `{placeholder}` inside the string value of query parameter `name`.
    Param {
        /// The query parameter.
        name: String,
        /// The text between the braces.
        placeholder: String,
    },
    /// A legacy `{ type: resolve }` parameter. When the path has `{name}` the value goes there
    /// (and `in_path` is true); otherwise it is sent as query parameter `name`.
    ResolveParam {
        /// The parameter's name.
        name: String,
        /// Whether the path has a `{name}` placeholder.
        in_path: bool,
    },
    /// A `{placeholder}` inside the value of request header `name`.
    Header {
        /// The header.
        name: String,
        /// The text between the braces.
        placeholder: String,
    },
    /// A `{placeholder}` inside the form or raw body (`data`).
    Data {
        /// The form field (empty for a raw body).
        field: String,
        /// The text between the braces.
        placeholder: String,
    },
    /// A `{placeholder}` inside a string of the JSON request body.
    Json {
        /// Dot path of the string in the body (`filter.user_id`, `ids[0]`).
        path: String,
        /// The text between the braces.
        placeholder: String,
    },
}

/// A reference to a parent found in a resource's request, before the parent is settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParentRef {
    /// The named parent; `None` for a bare `{parent_id}`.
    pub resource: Option<String>,
    pub binding: ParentBinding,
}

impl Spec {
    /// How `resource` binds to its parent, or `None` when it has no parent (or it is unknown,
    /// or a bare `{parent_id}` cannot be attributed: validation reports those).
    ///
    /// ```
    /// use connector_spec::{ParentBinding, Where};
    /// let yaml = "
    /// name: shop
    /// client: { base_url: https://api.example.com }
    /// resources:
    ///   - name: users
    ///   - name: orders
    ///     endpoint: /users/{resources.users.id}/orders
    /// ";
    /// let spec = connector_spec::parse_str(yaml, "shop.yaml").unwrap().spec;
    /// let link = spec.parent_of("orders").unwrap();
    /// assert_eq!(link.parent, "users");
    /// assert_eq!(
    ///     link.bindings,
    ///     vec![ParentBinding {
    ///         placeholder_or_param: Where::Path("resources.users.id".into()),
    ///         parent_field: "id".into(),
    ///     }]
    /// );
    /// assert_eq!(spec.parent_of("users"), None);
    /// assert_eq!(spec.dependency_order(), vec!["users", "orders"]);
    /// ```
    pub fn parent_of(&self, resource: &str) -> Option<ParentLink> {
        let resolved = self.merged_resource(resource)?;
        let refs = parent_refs(&resolved);
        let parent = self.settled_parent(resource, &refs)?;
        let bindings = refs
            .into_iter()
            .filter(|r| r.resource.as_deref().is_none_or(|p| p == parent))
            .map(|r| r.binding)
            .collect();
        Some(ParentLink { parent, bindings })
    }

    /// Resource names with every parent before its children, otherwise in spec order.
    /// Resources caught in a parent cycle (an invalid spec) come last, in spec order.
    pub fn dependency_order(&self) -> Vec<String> {
        let names: Vec<String> = self.resources.iter().map(|r| r.name().to_owned()).collect();
        let parents: Vec<Option<String>> = names
            .iter()
            .map(|n| self.parent_of(n).map(|l| l.parent))
            .collect();
        let mut placed: Vec<String> = Vec::with_capacity(names.len());
        let mut cyclic: Vec<String> = Vec::new();
        for start in &names {
            // Walk up the parent chain, then place it top-down; a chain that meets itself is a
            // cycle and is left for the end.
            let mut chain: Vec<&String> = Vec::new();
            let mut current = Some(start);
            while let Some(name) = current {
                if placed.contains(name) || cyclic.contains(name) {
                    break;
                }
                if chain.contains(&name) {
                    cyclic.extend(chain.iter().map(|n| (*n).clone()));
                    chain.clear();
                    break;
                }
                chain.push(name);
                current = names
                    .iter()
                    .position(|n| n == name)
                    .and_then(|i| parents[i].as_ref())
                    .filter(|p| names.contains(p));
            }
            for name in chain.into_iter().rev() {
                placed.push(name.clone());
            }
        }
        for name in names {
            if !placed.contains(&name) {
                placed.push(name);
            }
        }
        placed
    }

    /// Every secret the spec references with `{ secret: NAME }`, sorted and unique.
    ///
    /// ```
    /// let yaml = "
    /// name: crm
    /// client:
    ///   base_url: https://api.example.com
    ///   headers: { Account-Id: { secret: account_id } }
    ///   auth: { type: bearer, token: { secret: api_token } }
    /// resources: [contacts]
    /// ";
    /// let spec = connector_spec::parse_str(yaml, "crm.yaml").unwrap().spec;
    /// assert_eq!(spec.secret_names(), vec!["account_id", "api_token"]);
    /// ```
    pub fn secret_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .secret_refs()
            .into_iter()
            .map(|(_, name)| name.to_owned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every `{ secret: NAME }` with the key path where it is written.
    pub(crate) fn secret_refs(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        client_secrets(&self.client, "client", &mut out);
        if let Some(defaults) = &self.resource_defaults {
            if let Some(endpoint) = &defaults.endpoint {
                endpoint_secrets(endpoint, "resource_defaults.endpoint", &mut out);
            }
        }
        for (i, entry) in self.resources.iter().enumerate() {
            if let ResourceEntry::Full(resource) = entry {
                if let Some(EndpointEntry::Full(endpoint)) = &resource.endpoint {
                    endpoint_secrets(endpoint, &format!("resources[{i}].endpoint"), &mut out);
                }
            }
        }
        out
    }

    /// The parent a resource binds to: the first resource its references name, else its
    /// `parent:` key, else (for a bare `{parent_id}`) the one inferable parent.
    pub(crate) fn settled_parent(&self, resource: &str, refs: &[ParentRef]) -> Option<String> {
        if let Some(named) = refs.iter().find_map(|r| r.resource.clone()) {
            return Some(named);
        }
        if let Some(parent) = self.declared_parent(resource) {
            return Some(parent.to_owned());
        }
        if refs.is_empty() {
            return None;
        }
        self.inferred_parent(resource)
    }

    /// The `parent:` key of a resource.
    pub(crate) fn declared_parent(&self, resource: &str) -> Option<&str> {
        self.resources.iter().find_map(|entry| match entry {
            ResourceEntry::Full(r) if r.name == resource => r.parent.as_deref(),
            _ => None,
        })
    }

    /// For a bare `{parent_id}`: the only other resource that has no parent of its own.
    pub(crate) fn inferred_parent(&self, resource: &str) -> Option<String> {
        let mut candidates = self
            .merged_resources()
            .into_iter()
            .filter(|r| r.name != resource)
            .filter(|r| self.declared_parent(&r.name).is_none() && parent_refs(r).is_empty());
        let first = candidates.next()?;
        match candidates.next() {
            None => Some(first.name),
            Some(_) => None,
        }
    }
}

/// Every parent reference in a resolved resource's request, in spec order.
pub(crate) fn parent_refs(resource: &MergedResource) -> Vec<ParentRef> {
    let endpoint = &resource.endpoint;
    let path = resource.path();
    let mut refs = Vec::new();
    for p in placeholders(path) {
        push_ref(&mut refs, &p.kind, Where::Path(p.text.clone()));
    }
    let path_names: Vec<String> = placeholders(path).into_iter().map(|p| p.text).collect();
    for (name, value) in &endpoint.params {
        match value {
            ParamValue::Special(SpecialParam::Resolve(resolve)) => refs.push(ParentRef {
                resource: Some(resolve.resource.clone()),
                binding: ParentBinding {
                    placeholder_or_param: Where::ResolveParam {
                        name: name.clone(),
                        in_path: path_names.iter().any(|n| n == name),
                    },
                    parent_field: resolve.field.clone(),
                },
            }),
            ParamValue::Literal(Scalar::String(s)) => {
                for p in placeholders(s) {
                    let place = Where::Param {
                        name: name.clone(),
                        placeholder: p.text.clone(),
                    };
                    push_ref(&mut refs, &p.kind, place);
                }
            }
            _ => {}
        }
    }
    for (name, value) in &endpoint.headers {
        if let StringOrSecret::Literal(s) = value {
            for p in placeholders(s) {
                let place = Where::Header {
                    name: name.clone(),
                    placeholder: p.text.clone(),
                };
                push_ref(&mut refs, &p.kind, place);
            }
        }
    }
    if let Some(data) = &endpoint.data {
        let mut strings: Vec<(String, &str)> = Vec::new();
        if let RequestData::Raw(raw) = data {
            strings.push((String::new(), raw));
        }
        for (name, value) in data.fields() {
            if let StringOrSecret::Literal(s) = value {
                strings.push((name.to_owned(), s));
            }
        }
        for (field, s) in strings {
            for p in placeholders(s) {
                let place = Where::Data {
                    field: field.clone(),
                    placeholder: p.text.clone(),
                };
                push_ref(&mut refs, &p.kind, place);
            }
        }
    }
    if let Some(json) = &endpoint.json {
        let mut strings = Vec::new();
        json_strings(json, "", &mut strings);
        for (path, s) in strings {
            for p in placeholders(s) {
                let place = Where::Json {
                    path: path.clone(),
                    placeholder: p.text.clone(),
                };
                push_ref(&mut refs, &p.kind, place);
            }
        }
    }
    refs
}

fn push_ref(refs: &mut Vec<ParentRef>, kind: &PlaceholderKind, place: Where) {
    let (parent, field) = match kind {
        PlaceholderKind::ParentField { resource, field } => (Some(resource.clone()), field.clone()),
        PlaceholderKind::ParentId => (None, "id".to_owned()),
        _ => return,
    };
    refs.push(ParentRef {
        resource: parent,
        binding: ParentBinding {
            placeholder_or_param: place,
            parent_field: field,
        },
    });
}

fn client_secrets<'a>(client: &'a Client, base: &str, out: &mut Vec<(String, &'a str)>) {
    map_secrets(&client.headers, &format!("{base}.headers"), out);
    if let Some(auth) = &client.auth {
        auth_secrets(auth, &format!("{base}.auth"), out);
    }
}

fn endpoint_secrets<'a>(endpoint: &'a Endpoint, base: &str, out: &mut Vec<(String, &'a str)>) {
    for (name, value) in &endpoint.params {
        if let ParamValue::Secret(secret) = value {
            out.push((format!("{base}.params.{name}"), &secret.secret));
        }
    }
    if let Some(data) = &endpoint.data {
        for (i, (name, value)) in data.fields().into_iter().enumerate() {
            let at = match data {
                RequestData::Pairs(_) => format!("{base}.data[{i}]"),
                _ => format!("{base}.data.{name}"),
            };
            one_secret(value, &at, out);
        }
    }
    map_secrets(&endpoint.headers, &format!("{base}.headers"), out);
    if let Some(auth) = &endpoint.auth {
        auth_secrets(auth, &format!("{base}.auth"), out);
    }
}

fn map_secrets<'a>(
    map: &'a indexmap::IndexMap<String, StringOrSecret>,
    base: &str,
    out: &mut Vec<(String, &'a str)>,
) {
    for (name, value) in map {
        one_secret(value, &format!("{base}.{name}"), out);
    }
}

fn one_secret<'a>(value: &'a StringOrSecret, path: &str, out: &mut Vec<(String, &'a str)>) {
    if let StringOrSecret::Secret(secret) = value {
        out.push((path.to_owned(), &secret.secret));
    }
}

/// The secret-capable fields of an auth block, with their key names.
pub(crate) fn auth_fields(auth: &Auth) -> Vec<(&'static str, &StringOrSecret)> {
    match auth {
        Auth::Bearer { token } => vec![("token", token)],
        Auth::ApiKey { api_key, .. } => vec![("api_key", api_key)],
        Auth::HttpBasic { username, password } => {
            vec![("username", username), ("password", password)]
        }
        Auth::Oauth2ClientCredentials(o) | Auth::Oauth2RefreshToken(o) => {
            let mut fields = vec![
                ("access_token_url", &o.access_token_url),
                ("client_id", &o.client_id),
                ("client_secret", &o.client_secret),
            ];
            if let Some(refresh) = &o.refresh_token {
                fields.push(("refresh_token", refresh));
            }
            if let Some(access) = &o.access_token {
                fields.push(("access_token", access));
            }
            fields
        }
    }
}

fn auth_secrets<'a>(auth: &'a Auth, base: &str, out: &mut Vec<(String, &'a str)>) {
    for (key, value) in auth_fields(auth) {
        one_secret(value, &format!("{base}.{key}"), out);
    }
    if let Auth::Oauth2ClientCredentials(o) | Auth::Oauth2RefreshToken(o) = auth {
        map_secrets(
            &o.access_token_request_data,
            &format!("{base}.access_token_request_data"),
            out,
        );
    }
}
