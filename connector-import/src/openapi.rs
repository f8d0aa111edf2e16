//! `connector init --from-openapi`: a spec skeleton from an OpenAPI 3.0 / 3.1 document.
//!
//! - A resource per list operation: a `GET` without path parameters whose success response
//!   is a list, or an object with exactly one list property (its name is the
//!   `data_selector`).
//! - The paginator from the operation's parameters and response ([`guess_paginator`]).
//! - Auth from `securitySchemes` (the one the document's `security` names first, else the
//!   first defined), secrets as `{ secret: NAME }` references.
//! - Columns by reference: `resource_defaults.columns_from` names the document, so each
//!   resource takes its operation's schema (the spec stays short, and follows the document).
//!
//! Every guess and everything it could not do is a note with the operation's JSON pointer and
//! the document's line. The YAML is loaded by `connector_spec` before it is returned.

use std::path::{Component, Path, PathBuf};

use connector_spec::documents::openapi::{self as ops, Found};
use connector_spec::documents::{Documents, Loc, Mapper};
use connector_spec::naming::{sanitize, Case};
use connector_spec::LoadedSpec;
use oas3::spec::{ParameterIn, SecurityScheme};

use crate::value::{Item, Value};
use crate::NoteKind;

/// What `init` is told besides the document.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The connector's name (default: the document's `info.title`, snake case).
    pub name: Option<String>,
    /// Where the spec will be written (`None`: stdout; the document is then named relative
    /// to the current directory).
    pub spec_path: Option<PathBuf>,
}

/// One thing `init` says about an operation or the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitNote {
    /// Guessed, could not (a warning), or an error.
    pub kind: NoteKind,
    /// The document's line (1 for the document as a whole).
    pub line: usize,
    /// The JSON pointer it is about (`#/paths/~1users/get`).
    pub pointer: String,
    /// What was guessed or could not be done.
    pub message: String,
}

/// The result of `init`.
#[derive(Debug)]
pub struct Init {
    /// The spec YAML, when the document could be read.
    pub yaml: Option<String>,
    /// The loaded spec, when the YAML is a valid spec.
    pub loaded: Option<LoadedSpec>,
    /// Guesses, what could not be done, and errors, in document order.
    pub notes: Vec<InitNote>,
}

/// Makes a spec skeleton from the OpenAPI document at `path`.
pub fn init_from_openapi(path: &Path, options: &InitOptions) -> Init {
    let mut init = Init {
        yaml: None,
        loaded: None,
        notes: Vec::new(),
    };
    let display = path.display().to_string();
    let mut docs = Documents::default();
    let doc = match docs.open(path, &display) {
        Ok(doc) => doc,
        Err(message) => {
            init.note(NoteKind::Error, 1, "", message);
            return init;
        }
    };
    let Some(api) = doc.openapi() else {
        init.note(
            NoteKind::Error,
            1,
            "",
            format!("`{display}` is not an OpenAPI document: it has no `openapi` version"),
        );
        return init;
    };
    let line = |pointer: &str| doc.line(pointer);

    let name = options
        .name
        .clone()
        .unwrap_or_else(|| sanitize(&api.info.title, Case::Snake));
    let base_url = match api.servers.first().map(|s| s.url.clone()) {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => url,
        other => {
            let guessed = format!(
                "https://api.example.com{}",
                other.as_deref().unwrap_or("").trim_end_matches('/')
            );
            init.note(
                NoteKind::Warning,
                line("/servers"),
                "#/servers",
                format!(
                    "could not find an absolute server URL; `base_url` is `{guessed}`: set it, \
                     or pass `--base-url` to `connector sync`"
                ),
            );
            guessed
        }
    };
    let auth = guess_auth(api, &mut init, &line);

    let mut resources = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for found in ops::operations(api) {
        let at = format!("#{}", found.pointer());
        let op_line = line(&found.pointer());
        if found.method != "get" {
            continue;
        }
        if found.path.contains('{') {
            init.note(
                NoteKind::Warning,
                op_line,
                &at,
                format!(
                    "could not make a resource of `GET {}`: its path parameters come from a \
                     parent resource; add it by hand with `{{resources.<parent>.<field>}}`",
                    found.path
                ),
            );
            continue;
        }
        let schema = match ops::success_schema(&doc, &found) {
            Ok(schema) => Loc {
                doc: doc.clone(),
                pointer: schema,
            },
            Err(message) => {
                init.note(
                    NoteKind::Warning,
                    op_line,
                    &at,
                    format!("could not make a resource: {message}"),
                );
                continue;
            }
        };
        let mut mapper = Mapper::new(&mut docs);
        let list = match find_list(&mut mapper, &schema) {
            Ok(list) => list,
            Err(message) => {
                init.note(NoteKind::Warning, op_line, &at, message);
                continue;
            }
        };
        let Some((selector, items)) = list else {
            init.note(
                NoteKind::Warning,
                op_line,
                &at,
                "could not make a resource: not a list operation (the response is not a list \
                 and has no list property)",
            );
            continue;
        };
        let resource_name = unique(resource_name(&found), &mut names);
        let mut endpoint: Vec<(String, Item)> = vec![("path".into(), text(found.path, op_line))];
        match &selector {
            Some(property) => {
                endpoint.push(("data_selector".into(), text(property, op_line)));
                init.note(
                    NoteKind::Guessed,
                    op_line,
                    &at,
                    format!("data_selector `{property}`: the response's one list property"),
                );
            }
            None => init.note(
                NoteKind::Guessed,
                op_line,
                &at,
                "no data_selector: the response is the list of records",
            ),
        }
        let shape = response_fields(&mut mapper, &schema);
        let params = query_params(api, &found);
        let headers = link_header(api, &found);
        let (paginator, said) = guess_paginator(&params, &shape, headers);
        init.note(
            if paginator.is_some() {
                NoteKind::Guessed
            } else {
                NoteKind::Warning
            },
            op_line,
            &at,
            said,
        );
        if let Some(paginator) = paginator {
            endpoint.push(("paginator".into(), Item::new(paginator, op_line)));
        }
        let mut resource: Vec<(String, Item)> = vec![
            ("name".into(), text(&resource_name, op_line)),
            ("endpoint".into(), Item::new(Value::Map(endpoint), op_line)),
        ];
        let columns = mapper.record(&items);
        match &columns {
            Ok(columns) => {
                if columns.contains_key("id") {
                    resource.push(("primary_key".into(), text("id", op_line)));
                    init.note(
                        NoteKind::Guessed,
                        op_line,
                        &at,
                        "primary_key `id`: the records have an `id` property",
                    );
                }
            }
            Err(message) => init.note(
                NoteKind::Warning,
                op_line,
                &at,
                format!(
                    "could not take columns from the schema, so the resource has none: {message}"
                ),
            ),
        }
        resources.push((Item::new(Value::Map(resource), op_line), columns.is_ok()));
    }
    if resources.is_empty() {
        init.note(
            NoteKind::Error,
            1,
            "#/paths",
            "no list operation found: a resource is a GET whose success response is a list, or \
             an object with one list property",
        );
        return init;
    }

    let document = document_reference(path, options.spec_path.as_deref());
    let mut client: Vec<(String, Item)> = vec![("base_url".into(), text(&base_url, 1))];
    if let Some(auth) = auth {
        client.push(("auth".into(), auth));
    }
    let mut root: Vec<(String, Item)> = vec![
        ("name".into(), text(&name, 1)),
        (
            "description".into(),
            text(
                api.info
                    .description
                    .as_deref()
                    .and_then(|d| d.lines().next())
                    .unwrap_or(&api.info.title),
                1,
            ),
        ),
        ("client".into(), Item::new(Value::Map(client), 1)),
    ];
    // Every resource's columns from its operation, written once; when some schema does not
    // map, only the resources whose schema does name the document.
    let reference = || {
        text(&document, 1).with_comment("Columns: the operation's response schema in the document.")
    };
    let resources: Vec<Item> = if resources.iter().all(|(_, ok)| *ok) {
        root.push((
            "resource_defaults".into(),
            Item::new(Value::Map(vec![("columns_from".into(), reference())]), 1),
        ));
        resources.into_iter().map(|(item, _)| item).collect()
    } else {
        resources
            .into_iter()
            .map(|(mut item, ok)| {
                if let (true, Value::Map(entries)) = (ok, &mut item.value) {
                    entries.push(("columns_from".into(), reference()));
                }
                item
            })
            .collect()
    };
    root.push(("resources".into(), Item::new(Value::List(resources), 1)));
    let header = vec![
        format!(
            "Made by `connector init --from-openapi {}`; check what it guessed (it says so on \
             stderr).",
            path.display()
        ),
        format!("Document: {document}"),
    ];
    let written = crate::yaml::write(&header, &root);
    let spec_file = options
        .spec_path
        .as_ref()
        .map_or_else(|| "<stdout>".to_owned(), |p| p.display().to_string());
    let spec_dir = options
        .spec_path
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new(""));
    match connector_spec::parse_str_in(&written.text, &spec_file, spec_dir) {
        Ok(loaded) => init.loaded = Some(loaded),
        Err(diagnostics) => {
            for d in diagnostics
                .iter()
                .filter(|d| d.severity == connector_spec::Severity::Error)
            {
                let line = written.lines.get(d.line.saturating_sub(1)).copied();
                init.note(NoteKind::Error, line.unwrap_or(1), "", d.to_string());
            }
        }
    }
    init.yaml = Some(written.text);
    init
}

impl Init {
    fn note(&mut self, kind: NoteKind, line: usize, pointer: &str, message: impl Into<String>) {
        self.notes.push(InitNote {
            kind,
            line,
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    /// Whether a valid spec was made.
    pub fn succeeded(&self) -> bool {
        self.loaded.is_some()
    }
}

fn text(s: &str, line: usize) -> Item {
    Item::new(Value::Str(s.to_owned()), line)
}

/// The list of records in a response: `(data_selector, items)`; `None` when it has none.
fn find_list(
    mapper: &mut Mapper<'_>,
    schema: &Loc,
) -> Result<Option<(Option<String>, Loc)>, String> {
    if let Some(items) = mapper.items(schema)? {
        return Ok(Some((None, items)));
    }
    let Some(shape) = mapper.object(schema)? else {
        return Ok(None);
    };
    let mut lists = Vec::new();
    for (name, loc) in &shape.properties {
        if let Some(items) = mapper.items(loc)? {
            lists.push((name.clone(), items));
        }
    }
    match lists.len() {
        0 => Ok(None),
        1 => {
            let (name, items) = lists.remove(0);
            Ok(Some((Some(name), items)))
        }
        _ => Err(format!(
            "could not choose the records: the response has several list properties ({}); add \
             the resource by hand with the `data_selector` of the right one",
            lists
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A response field the paginator may read: its dotted path and whether it is a string with
/// `format: uri` or a URL-like name.
#[derive(Debug, Clone)]
struct Field {
    path: String,
    is_url: bool,
    is_integer: bool,
}

/// The response's top-level fields, and those one level into `links`, `_links`, `meta`,
/// `pagination` and `paging` objects (where APIs put their paging state).
fn response_fields(mapper: &mut Mapper<'_>, schema: &Loc) -> Vec<Field> {
    let mut out = Vec::new();
    let Ok(Some(shape)) = mapper.object(schema) else {
        return out;
    };
    for (name, loc) in &shape.properties {
        if ["links", "_links", "meta", "pagination", "paging"].contains(&name.as_str()) {
            if let Ok(Some(inner)) = mapper.object(loc) {
                for (inner_name, inner_loc) in &inner.properties {
                    out.push(field(mapper, &format!("{name}.{inner_name}"), inner_loc));
                }
                // `links` with no declared properties: a next link may still be there.
                if inner.properties.is_empty() {
                    out.push(Field {
                        path: format!("{name}.next"),
                        is_url: false,
                        is_integer: false,
                    });
                }
            }
        }
        out.push(field(mapper, name, loc));
    }
    out
}

fn field(mapper: &mut Mapper<'_>, path: &str, loc: &Loc) -> Field {
    let target = mapper.deref(loc).unwrap_or_else(|_| loc.clone());
    let value = target.value();
    let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
    let kind = value.get("type");
    let has = |t: &str| match kind {
        Some(serde_json::Value::String(s)) => s == t,
        Some(serde_json::Value::Array(items)) => items.iter().any(|i| i == t),
        _ => false,
    };
    let last = path.rsplit('.').next().unwrap_or(path).to_lowercase();
    Field {
        path: path.to_owned(),
        is_url: format == "uri" || format == "url" || last.contains("url") || last.contains("link"),
        is_integer: has("integer"),
    }
}

/// A query parameter: its name and the `minimum` / `default` of its schema.
#[derive(Debug, Clone)]
struct Param {
    name: String,
    minimum: Option<f64>,
    default: Option<f64>,
}

fn query_params(api: &oas3::Spec, found: &Found<'_>) -> Vec<Param> {
    let mut params = Vec::new();
    let path_level = api
        .paths
        .as_ref()
        .and_then(|p| p.get(found.path))
        .map(|item| item.parameters.clone())
        .unwrap_or_default();
    for reference in path_level.iter().chain(&found.operation.parameters) {
        let Ok(param) = reference.resolve(api) else {
            continue;
        };
        if param.location != ParameterIn::Query {
            continue;
        }
        // Only two numbers of the schema are read; its JSON form is the same in 3.0 and 3.1.
        let schema = param
            .schema
            .as_ref()
            .and_then(|s| serde_json::to_value(s).ok())
            .unwrap_or_default();
        let number = |key: &str| schema.get(key).and_then(serde_json::Value::as_f64);
        params.push(Param {
            name: param.name.clone(),
            minimum: number("minimum"),
            default: number("default"),
        });
    }
    params
}

/// Whether the success response declares a `Link` header.
fn link_header(api: &oas3::Spec, found: &Found<'_>) -> bool {
    found
        .operation
        .responses(api)
        .iter()
        .filter(|(status, _)| status.starts_with('2'))
        .any(|(_, response)| {
            response
                .headers
                .keys()
                .any(|h| h.eq_ignore_ascii_case("link"))
        })
}

const CURSOR_PARAMS: &[&str] = &[
    "cursor",
    "next_page_token",
    "page_token",
    "pagetoken",
    "next",
    "after",
    "starting_after",
    "continuation_token",
    "continuation",
    "next_cursor",
];
const CURSOR_FIELDS: &[&str] = &[
    "next_cursor",
    "next_page_token",
    "nextpagetoken",
    "cursor",
    "next",
    "end_cursor",
    "endcursor",
    "after",
];
const OFFSET_PARAMS: &[&str] = &["offset", "skip", "start"];
const LIMIT_PARAMS: &[&str] = &[
    "limit",
    "per_page",
    "perpage",
    "page_size",
    "pagesize",
    "size",
    "count",
    "max",
];
const PAGE_PARAMS: &[&str] = &["page", "page_number", "pagenumber", "p"];
const TOTAL_RECORDS: &[&str] = &[
    "total",
    "total_count",
    "totalcount",
    "total_records",
    "count",
];
const TOTAL_PAGES: &[&str] = &["total_pages", "totalpages", "page_count", "pages", "total"];

/// The paginator an operation's parameters and response suggest, and what was concluded.
///
/// In order: a `Link` response header (`header_link`); a cursor parameter with a response
/// field carrying the next cursor (`cursor`); a next URL in the body (`json_link`); `offset`
/// with a limit parameter (`offset`); a page parameter (`page_number`); else `single_page`.
fn guess_paginator(
    params: &[Param],
    fields: &[Field],
    link_header: bool,
) -> (Option<Value>, String) {
    let param = |names: &[&str]| {
        params
            .iter()
            .find(|p| names.contains(&p.name.to_lowercase().as_str()))
    };
    let field_named = |names: &[&str], integer: bool| {
        fields.iter().find(|f| {
            let last = f.path.rsplit('.').next().unwrap_or(&f.path).to_lowercase();
            names.contains(&last.as_str()) && (!integer || f.is_integer)
        })
    };
    let map = |entries: Vec<(&str, Value)>| {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Item::new(v, 0)))
                .collect(),
        )
    };
    let s = |t: &str| Value::Str(t.to_owned());
    let limit = param(LIMIT_PARAMS);
    let limit_value = |p: &Param| p.default.filter(|d| *d >= 1.0).map_or(100, |d| d as i64);

    if link_header {
        return (
            Some(map(vec![("type", s("header_link"))])),
            "paginator `header_link`: the response declares a `Link` header".to_owned(),
        );
    }
    if let Some(cursor) = param(CURSOR_PARAMS) {
        let by_name = fields
            .iter()
            .find(|f| f.path.rsplit('.').next() == Some(cursor.name.as_str()));
        match by_name.or_else(|| field_named(CURSOR_FIELDS, false)) {
            Some(next) => {
                let mut entries = vec![
                    ("type", s("cursor")),
                    ("cursor_param", s(&cursor.name)),
                    ("cursor_path", s(&next.path)),
                ];
                let mut said = format!(
                    "paginator `cursor`: parameter `{}`, next cursor at `{}` in the response",
                    cursor.name, next.path
                );
                if let Some(l) = limit {
                    entries.push(("limit_param", s(&l.name)));
                    entries.push(("limit", Value::Int(limit_value(l))));
                    said.push_str(&format!(", page size `{}`", l.name));
                }
                return (Some(map(entries)), said);
            }
            None => {
                return (
                    None,
                    format!(
                        "could not guess the paginator: parameter `{}` looks like a cursor, but \
                         no response field carries the next one; set `paginator` by hand",
                        cursor.name
                    ),
                )
            }
        }
    }
    if let Some(next) = fields.iter().find(|f| {
        f.is_url && {
            let last = f.path.rsplit('.').next().unwrap_or(&f.path).to_lowercase();
            last.contains("next")
        }
    }) {
        return (
            Some(map(vec![
                ("type", s("json_link")),
                ("next_url_path", s(&next.path)),
            ])),
            format!(
                "paginator `json_link`: the next page's URL at `{}`",
                next.path
            ),
        );
    }
    if let (Some(offset), Some(l)) = (param(OFFSET_PARAMS), limit) {
        let mut entries = vec![
            ("type", s("offset")),
            ("offset_param", s(&offset.name)),
            ("limit_param", s(&l.name)),
            ("limit", Value::Int(limit_value(l))),
        ];
        let mut said = format!(
            "paginator `offset`: parameters `{}` and `{}`",
            offset.name, l.name
        );
        match field_named(TOTAL_RECORDS, true) {
            Some(total) => {
                entries.push(("total_path", s(&total.path)));
                said.push_str(&format!(", record count at `{}`", total.path));
            }
            None => {
                entries.push(("total_path", Value::Null));
                said.push_str(", no record count in the response: stops at an empty page");
            }
        }
        return (Some(map(entries)), said);
    }
    if let Some(page) = param(PAGE_PARAMS) {
        let first = page.minimum.or(page.default).unwrap_or(1.0);
        let first = if first <= 0.0 { 0 } else { 1 };
        let mut entries = vec![
            ("type", s("page_number")),
            ("page_param", s(&page.name)),
            ("base_page", Value::Int(first)),
        ];
        let mut said = format!(
            "paginator `page_number`: parameter `{}` from {first}",
            page.name
        );
        if let Some(l) = limit {
            entries.push(("limit_param", s(&l.name)));
            entries.push(("limit", Value::Int(limit_value(l))));
            said.push_str(&format!(", page size `{}`", l.name));
        }
        match field_named(TOTAL_PAGES, true) {
            Some(total) => {
                entries.push(("total_path", s(&total.path)));
                said.push_str(&format!(", page count at `{}`", total.path));
            }
            None => {
                entries.push(("total_path", Value::Null));
                said.push_str(", no page count in the response: stops at an empty page");
            }
        }
        return (Some(map(entries)), said);
    }
    (
        Some(map(vec![("type", s("single_page"))])),
        "paginator `single_page`: no paging parameter or field".to_owned(),
    )
}

/// The spec's auth for the document's security scheme (the one `security` names first, else
/// the first defined).
fn guess_auth(api: &oas3::Spec, init: &mut Init, line: &dyn Fn(&str) -> usize) -> Option<Item> {
    let schemes = &api.components.as_ref()?.security_schemes;
    let name = api
        .security
        .iter()
        .flat_map(|r| r.0.keys())
        .find(|n| schemes.contains_key(*n))
        .or_else(|| schemes.keys().next())?
        .clone();
    let pointer = format!(
        "/components/securitySchemes/{}",
        connector_spec::documents::escape(&name)
    );
    let at = format!("#{pointer}");
    let at_line = line(&pointer);
    let scheme = match schemes.get(&name).map(|s| s.resolve(api)) {
        Some(Ok(scheme)) => scheme,
        _ => {
            init.note(
                NoteKind::Warning,
                at_line,
                &at,
                "could not read the security scheme; no auth",
            );
            return None;
        }
    };
    let secret = |n: &str| Value::Map(vec![("secret".into(), text(n, at_line))]);
    let s = |t: &str| Value::Str(t.to_owned());
    let (entries, said): (Vec<(&str, Value)>, String) = match &scheme {
        SecurityScheme::Http { scheme, .. } if scheme.eq_ignore_ascii_case("bearer") => (
            vec![("type", s("bearer")), ("token", secret("token"))],
            "auth `bearer` with secret `token`".to_owned(),
        ),
        SecurityScheme::Http { scheme, .. } if scheme.eq_ignore_ascii_case("basic") => (
            vec![
                ("type", s("http_basic")),
                ("username", secret("username")),
                ("password", secret("password")),
            ],
            "auth `http_basic` with secrets `username` and `password`".to_owned(),
        ),
        SecurityScheme::ApiKey { name, location, .. } => (
            vec![
                ("type", s("api_key")),
                ("name", s(name)),
                ("api_key", secret("api_key")),
                ("location", s(location)),
            ],
            format!("auth `api_key` in {location} `{name}` with secret `api_key`"),
        ),
        SecurityScheme::OAuth2 { flows, .. } => match &flows.client_credentials {
            Some(flow) => {
                let mut entries = vec![
                    ("type", s("oauth2_client_credentials")),
                    ("access_token_url", s(flow.token_url.as_str())),
                    ("client_id", secret("client_id")),
                    ("client_secret", secret("client_secret")),
                ];
                if !flow.scopes.is_empty() {
                    entries.push((
                        "scopes",
                        Value::List(flow.scopes.keys().map(|k| text(k, at_line)).collect()),
                    ));
                }
                (
                    entries,
                    "auth `oauth2_client_credentials` with secrets `client_id` and \
                     `client_secret`"
                        .to_owned(),
                )
            }
            None => {
                init.note(
                    NoteKind::Warning,
                    at_line,
                    &at,
                    format!(
                        "could not translate security scheme `{name}`: only OAuth2's client \
                         credentials flow runs unattended; set `auth` by hand"
                    ),
                );
                return None;
            }
        },
        _ => {
            init.note(
                NoteKind::Warning,
                at_line,
                &at,
                format!("could not translate security scheme `{name}`; set `auth` by hand"),
            );
            return None;
        }
    };
    init.note(NoteKind::Guessed, at_line, &at, said);
    Some(Item::new(
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Item::new(v, at_line)))
                .collect(),
        ),
        at_line,
    ))
}

/// `/api/v1/computers-inventory` -> `computers_inventory`: the path's last segment.
fn resource_name(found: &Found<'_>) -> String {
    let last = found
        .path
        .trim_end_matches('/')
        .rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or("records");
    let stem = last.split('.').next().unwrap_or(last);
    let name = sanitize(stem, Case::Snake);
    if name.is_empty() || name == "_" {
        "records".to_owned()
    } else {
        name
    }
}

fn unique(name: String, taken: &mut Vec<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

/// The document as the spec names it: relative to the spec's directory (the current
/// directory when the spec goes to stdout).
fn document_reference(document: &Path, spec: Option<&Path>) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let from = spec
        .and_then(Path::parent)
        .map(absolute)
        .unwrap_or_else(|| absolute(Path::new(".")));
    let to = absolute(document);
    let from: Vec<Component> = normal(&from);
    let to_parts: Vec<Component> = normal(&to);
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common <= 1 {
        // Nothing shared but the root: an absolute path reads better than `../../..`.
        return to.display().to_string();
    }
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to_parts[common..] {
        out.push(part.as_os_str());
    }
    out.display().to_string().replace('\\', "/")
}

fn normal(path: &Path) -> Vec<Component<'_>> {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> Param {
        Param {
            name: name.to_owned(),
            minimum: None,
            default: None,
        }
    }

    fn f(path: &str, is_url: bool, is_integer: bool) -> Field {
        Field {
            path: path.to_owned(),
            is_url,
            is_integer,
        }
    }

    fn kind(guess: &(Option<Value>, String)) -> String {
        let Some(Value::Map(entries)) = &guess.0 else {
            return "none".to_owned();
        };
        entries
            .iter()
            .map(|(k, v)| format!("{k}={}", v.value.to_json()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn paginators_are_guessed_from_parameters_and_fields() {
        let link = guess_paginator(&[p("page")], &[], true);
        assert_eq!(kind(&link), r#"type="header_link""#);
        let cursor = guess_paginator(
            &[p("next_page_token"), p("limit")],
            &[f("next_page_token", false, false)],
            false,
        );
        assert_eq!(
            kind(&cursor),
            r#"type="cursor" cursor_param="next_page_token" cursor_path="next_page_token" limit_param="limit" limit=100"#
        );
        let nested = guess_paginator(&[p("next")], &[f("links.next", false, false)], false);
        assert_eq!(
            kind(&nested),
            r#"type="cursor" cursor_param="next" cursor_path="links.next""#
        );
        let json_link = guess_paginator(&[], &[f("next_url", true, false)], false);
        assert_eq!(
            kind(&json_link),
            r#"type="json_link" next_url_path="next_url""#
        );
        let offset = guess_paginator(
            &[p("offset"), p("limit")],
            &[f("total", false, true)],
            false,
        );
        assert_eq!(
            kind(&offset),
            r#"type="offset" offset_param="offset" limit_param="limit" limit=100 total_path="total""#
        );
        let page = guess_paginator(
            &[Param {
                minimum: Some(0.0),
                ..p("page")
            }],
            &[],
            false,
        );
        assert_eq!(
            kind(&page),
            r#"type="page_number" page_param="page" base_page=0 total_path=null"#
        );
        assert_eq!(
            kind(&guess_paginator(&[], &[], false)),
            r#"type="single_page""#
        );
        let lost = guess_paginator(&[p("cursor")], &[f("items", false, false)], false);
        assert!(lost.0.is_none());
        assert_eq!(
            lost.1,
            "could not guess the paginator: parameter `cursor` looks like a cursor, but no \
             response field carries the next one; set `paginator` by hand"
        );
    }

    #[test]
    fn the_document_is_named_relative_to_the_spec() {
        assert_eq!(
            document_reference(
                Path::new("/a/docs/api.yaml"),
                Some(Path::new("/a/specs/x.yaml"))
            ),
            "../docs/api.yaml"
        );
        assert_eq!(
            document_reference(Path::new("/a/api.yaml"), Some(Path::new("/a/x.yaml"))),
            "api.yaml"
        );
    }
}
