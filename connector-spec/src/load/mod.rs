//! Reading a spec from YAML, with every problem pointing at its line and column.
//!
//! The text is parsed twice: once by yaml-rust2 into a [`SourceIndex`] (key path -> position),
//! once by serde_yaml into a value. The top-level sections and each resource are then
//! deserialized separately, so mistakes in several places are all reported at once, and
//! finally the whole spec is validated (module `validate`).
//!
//! This module reads: parsing, positions, section deserialization, and placing each problem.
//! What serde says goes through [`messages`], which rewrites it into a friendly diagnostic.

mod messages;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use crate::de::{describe, join_paths, path_string, split_path_marker};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::{Client, ResourceDefaults, ResourceEntry, Spec};
use crate::position::{parent_path, Pos, SourceIndex};
use crate::resolved::ResolvedSpec;
use crate::validate::{validate, Problem};
use crate::vocabulary::Naming;

/// A spec that parsed and validated, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The spec as written.
    pub spec: Spec,
    /// What it means: the model the runtime and the code generator read.
    pub resolved: ResolvedSpec,
    /// Problems that do not stop the spec from being used.
    pub warnings: Vec<Diagnostic>,
    /// The schema documents `columns_from` read (and the files their `$ref`s name): what a
    /// build that generates code from the spec must watch.
    pub documents: Vec<PathBuf>,
}

/// The keys of a spec's top level.
const ROOT_FIELDS: &[&str] = &[
    "name",
    "description",
    "client",
    "resource_defaults",
    "resources",
    "strict",
    "naming",
];

/// Parses and validates spec text; `file` names it in diagnostics.
///
/// On success the spec comes back with its warnings; on failure every problem found, errors
/// and warnings, sorted by position.
///
/// ```
/// let yaml = "
/// name: pets
/// client: { base_url: https://api.example.com }
/// resources:
///   - name: pets
///     endpoint: { path: /pets, paginator: { type: page_numbr } }
/// ";
/// let problems = connector_spec::parse_str(yaml, "pets.yaml").unwrap_err();
/// assert_eq!(problems[0].line, 6);
/// assert!(problems[0].message.contains("paginator type `page_numbr` is unknown"));
/// assert_eq!(problems[0].help.as_deref(), Some("did you mean `page_number`?"));
///
/// let ok = connector_spec::parse_str(&yaml.replace("page_numbr", "page_number"), "pets.yaml");
/// assert_eq!(ok.unwrap().spec.resources.len(), 1);
/// ```
///
/// Schema documents (`columns_from`) are read relative to `file`'s directory; use
/// [`parse_str_in`] when `file` is not a path from the current directory.
pub fn parse_str(source: &str, file: &str) -> Result<LoadedSpec, Vec<Diagnostic>> {
    let dir = Path::new(file).parent().unwrap_or(Path::new(""));
    parse_str_in(source, file, dir)
}

/// [`parse_str`] with schema documents read relative to `dir` (the spec file's directory).
///
/// ```
/// let dir = tempfile_dir();
/// std::fs::write(dir.join("pet.json"), r#"{"type": "object", "required": ["id"],
///     "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}"#).unwrap();
/// let yaml = "
/// name: pets
/// client: { base_url: https://api.example.com }
/// resources:
///   - name: pets
///     columns_from: pet.json
/// ";
/// let loaded = connector_spec::parse_str_in(yaml, "specs/pets.yaml", &dir).unwrap();
/// let columns = &loaded.resolved.resource("pets").unwrap().columns;
/// assert_eq!(columns["id"].nullable, Some(false));
/// assert_eq!(loaded.documents, [dir.join("pet.json")]);
/// # fn tempfile_dir() -> std::path::PathBuf {
/// #     let dir = std::env::temp_dir().join(format!("connector-spec-doc-{}", std::process::id()));
/// #     std::fs::create_dir_all(&dir).unwrap();
/// #     dir
/// # }
/// ```
pub fn parse_str_in(source: &str, file: &str, dir: &Path) -> Result<LoadedSpec, Vec<Diagnostic>> {
    let mut loader = Loader::new(source, file);
    loader.dir = dir.to_path_buf();
    loader.run()
}

/// Parses and validates spec bytes: like [`parse_str`], but text that is not UTF-8 is a
/// diagnostic rather than an I/O error.
///
/// ```
/// let problems = connector_spec::parse_bytes(&[0xff, 0xfe, 0x00], "x.yaml").unwrap_err();
/// assert!(problems[0].message.contains("not a text file"));
/// ```
pub fn parse_bytes(bytes: &[u8], file: &str) -> Result<LoadedSpec, Vec<Diagnostic>> {
    match std::str::from_utf8(bytes) {
        Ok(source) => parse_str(source, file),
        Err(err) => Err(vec![plain_error(
            file,
            format!(
                "not a text file: invalid UTF-8 at byte {}; a spec is a YAML text file",
                err.valid_up_to()
            ),
        )]),
    }
}

/// Reads, parses and validates a spec file.
///
/// A file that cannot be read gives one diagnostic at line 0.
///
/// ```
/// use std::path::Path;
/// let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/meetings.yaml");
/// let loaded = connector_spec::load(&path).expect("the seed spec is valid");
/// assert_eq!(loaded.spec.name, "meetings");
/// assert!(loaded.warnings.is_empty());
/// ```
pub fn load(path: &Path) -> Result<LoadedSpec, Vec<Diagnostic>> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|err| vec![plain_error(&file, format!("cannot read spec file: {err}"))])?;
    parse_bytes(&bytes, &file)
}

fn plain_error(file: &str, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: file.to_owned(),
        line: 0,
        column: 0,
        key_path: String::new(),
        message,
        help: None,
        labels: Vec::new(),
    }
}

struct Loader<'a> {
    source: &'a str,
    file: &'a str,
    index: SourceIndex,
    root: Value,
    diagnostics: Vec<Diagnostic>,
    /// Where schema documents are read from.
    dir: PathBuf,
    documents: Vec<PathBuf>,
}

impl<'a> Loader<'a> {
    fn new(source: &'a str, file: &'a str) -> Self {
        Loader {
            source,
            file,
            index: SourceIndex::default(),
            root: Value::Null,
            diagnostics: Vec::new(),
            dir: PathBuf::new(),
            documents: Vec::new(),
        }
    }

    fn run(mut self) -> Result<LoadedSpec, Vec<Diagnostic>> {
        let mut spec = self.parse();
        if let Some(spec) = &mut spec {
            let read = crate::documents::read(spec, &self.dir);
            spec.document_columns = read.columns;
            self.documents = read.documents;
            for problem in read.problems {
                self.push_problem(problem);
            }
        }
        if let Some(spec) = &spec {
            for problem in validate(spec) {
                self.push_problem(problem);
            }
        }
        let (mut errors, mut warnings): (Vec<_>, Vec<_>) = self
            .diagnostics
            .into_iter()
            .partition(|d| d.severity == Severity::Error);
        // A valid spec always resolves; a failure here is still reported, never a panic.
        let resolved = match &spec {
            Some(spec) if errors.is_empty() => match spec.resolve() {
                Ok(mut resolved) => {
                    record_lines(&self.index, spec, &mut resolved);
                    Some(resolved)
                }
                Err(e) => {
                    errors.push(plain_error(self.file, e.to_string()));
                    None
                }
            },
            _ => None,
        };
        match (spec, resolved) {
            (Some(spec), Some(resolved)) => {
                sort(&mut warnings);
                Ok(LoadedSpec {
                    spec,
                    resolved,
                    warnings,
                    documents: self.documents,
                })
            }
            _ => {
                errors.append(&mut warnings);
                sort(&mut errors);
                Err(errors)
            }
        }
    }

    /// Syntax, shape and serde checks; the spec when every section deserialized.
    fn parse(&mut self) -> Option<Spec> {
        if self.source.contains('\0') {
            self.error_at(
                Pos { line: 1, column: 1 },
                "",
                "not a text file: it contains NUL bytes; a spec is a YAML text file".into(),
                None,
            );
            return None;
        }
        if let Some(pos) = too_deep(self.source) {
            let message = format!(
                "the document nests deeper than {NESTING_LIMIT} levels; a spec never needs that"
            );
            self.error_at(pos, "", message, None);
            return None;
        }
        let (index, problems) = SourceIndex::build(self.source);
        self.index = index;
        if !problems.is_empty() {
            for p in problems {
                let help = p.message.starts_with("duplicate key").then(|| {
                    "each key may appear once per mapping; remove or merge one".to_owned()
                });
                self.error_at(p.pos, &p.key_path, p.message, help);
            }
            return None;
        }
        let mut root: Value = match serde_yaml::from_str(self.source) {
            Ok(root) => root,
            Err(err) => {
                let pos = err
                    .location()
                    .map(|l| Pos {
                        line: l.line(),
                        column: l.column(),
                    })
                    .unwrap_or(Pos { line: 1, column: 1 });
                self.error_at(pos, "", format!("invalid YAML: {err}"), None);
                return None;
            }
        };
        // `<<: *anchor` merge keys are YAML 1.1 but common in hand-written configs.
        let _ = root.apply_merge();
        self.root = root.clone();
        let Value::Mapping(map) = root else {
            let message = if root.is_null() {
                "the spec is empty; it needs at least `name`, `client` and `resources`".to_owned()
            } else {
                format!(
                    "a spec is a mapping with `name`, `client` and `resources`, found {}",
                    describe(&root)
                )
            };
            self.error_at(Pos { line: 1, column: 1 }, "", message, None);
            return None;
        };

        for key in map.keys() {
            match key.as_str() {
                Some(k) if ROOT_FIELDS.contains(&k) => {}
                Some(k) => {
                    let path = k.to_owned();
                    self.unknown_field("", k, ROOT_FIELDS, &path);
                }
                None => self.error_value(
                    "",
                    format!("keys are strings, found {}", describe(key)),
                    None,
                ),
            }
        }
        let get = |k: &str| map.get(Value::String(k.to_owned())).cloned();
        let mut ok = true;

        let name = match get("name") {
            Some(Value::String(name)) => Some(name),
            Some(other) => {
                self.error_value(
                    "name",
                    format!("`name` is a string, found {}", describe(&other)),
                    None,
                );
                None
            }
            None => {
                self.missing("", "name");
                None
            }
        };
        let description = match get("description") {
            None | Some(Value::Null) => None,
            Some(Value::String(d)) => Some(d),
            Some(other) => {
                self.error_value(
                    "description",
                    format!("`description` is a string, found {}", describe(&other)),
                    None,
                );
                ok = false;
                None
            }
        };
        let client = match get("client") {
            Some(value) => self.section::<Client>("client", value),
            None => {
                self.missing("", "client");
                None
            }
        };
        let resource_defaults = match get("resource_defaults") {
            None | Some(Value::Null) => Some(None),
            Some(value) => self
                .section::<ResourceDefaults>("resource_defaults", value)
                .map(Some),
        };
        let resources = match get("resources") {
            Some(Value::Sequence(items)) => {
                let mut entries = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    match self.section::<ResourceEntry>(&format!("resources[{i}]"), item) {
                        Some(entry) => entries.push(entry),
                        None => ok = false,
                    }
                }
                if entries.is_empty() && ok {
                    // dlt accepts an empty list; a connector with nothing to fetch is allowed,
                    // but never silently.
                    let pos = self
                        .index
                        .locate_value("resources")
                        .unwrap_or(Pos { line: 1, column: 1 });
                    self.push_at(
                        Severity::Warning,
                        pos,
                        "resources",
                        "`resources` is empty: this connector fetches nothing".into(),
                        Some("add a resource, e.g. `- name: users`".into()),
                    );
                }
                Some(entries)
            }
            Some(other) => {
                self.error_value(
                    "resources",
                    format!(
                        "`resources` is a list of resources, found {}",
                        describe(&other)
                    ),
                    None,
                );
                None
            }
            None => {
                self.missing("", "resources");
                None
            }
        };
        let strict = match get("strict") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(strict)) => Some(strict),
            Some(other) => {
                self.error_value(
                    "strict",
                    format!("`strict` is true or false, found {}", describe(&other)),
                    None,
                );
                ok = false;
                None
            }
        };
        let naming = match get("naming") {
            None | Some(Value::Null) => None,
            Some(Value::String(word)) if word == "snake_case" => Some(Naming::SnakeCase),
            Some(Value::String(word)) if word == "direct" => Some(Naming::Direct),
            Some(other) => {
                self.error_value(
                    "naming",
                    format!(
                        "`naming` is `snake_case` (dlt's default) or `direct`, found {}",
                        describe(&other)
                    ),
                    Some("write `naming: snake_case` or `naming: direct`".into()),
                );
                ok = false;
                None
            }
        };
        match (name, client, resource_defaults, resources) {
            (Some(name), Some(client), Some(resource_defaults), Some(resources)) if ok => {
                Some(Spec {
                    name,
                    description,
                    client,
                    resource_defaults,
                    resources,
                    strict,
                    naming,
                    document_columns: Default::default(),
                })
            }
            _ => None,
        }
    }

    /// Deserializes one section, turning a serde error into a positioned diagnostic.
    /// Deserializes one section. serde stops at the first unknown key of a mapping, so each
    /// one found is reported, taken out, and the section read again: every unknown key of
    /// the spec is shown in one run, not one per round of fixes.
    fn section<T: DeserializeOwned>(&mut self, base: &str, mut value: Value) -> Option<T> {
        let mut unknown_keys = 0;
        // A bound on the rounds: each takes one key out, and a spec has few.
        for _ in 0..256 {
            match serde_path_to_error::deserialize::<_, T>(value.clone()) {
                Ok(v) => return (unknown_keys == 0).then_some(v),
                Err(err) => {
                    let relative = path_string(err.path());
                    let message = err.into_inner().to_string();
                    let (inner, message) = split_path_marker(&message);
                    let relative = join_paths(&relative, inner);
                    self.serde_error(&join_paths(base, &relative), message);
                    let field = unknown_field_name(message)?;
                    let container = match relative.rsplit(['.', ']']).next() {
                        Some(last) if last == field => {
                            parent_path(&relative).unwrap_or_default().to_owned()
                        }
                        _ => relative.clone(),
                    };
                    value_at_mut(&mut value, &container)
                        .and_then(Value::as_mapping_mut)
                        .and_then(|map| map.remove(field))?;
                    unknown_keys += 1;
                }
            }
        }
        None
    }

    fn missing(&mut self, container: &str, field: &str) {
        let pos = self
            .index
            .locate_key(container)
            .unwrap_or(Pos { line: 1, column: 1 });
        self.error_at(
            pos,
            container,
            format!("missing required key `{field}`"),
            None,
        );
    }

    fn error_value(&mut self, path: &str, message: String, help: Option<String>) {
        let pos = self
            .index
            .locate_value(path)
            .unwrap_or(Pos { line: 1, column: 1 });
        self.error_at(pos, path, message, help);
    }

    fn error_at(&mut self, pos: Pos, path: &str, message: String, help: Option<String>) {
        self.push_at(Severity::Error, pos, path, message, help);
    }

    fn push_at(
        &mut self,
        severity: Severity,
        pos: Pos,
        path: &str,
        message: String,
        help: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            severity,
            file: self.file.to_owned(),
            line: pos.line,
            column: pos.column,
            key_path: path.to_owned(),
            message,
            help,
            labels: Vec::new(),
        });
    }

    fn push_problem(&mut self, problem: Problem) {
        let pos = if problem.at_key {
            self.index.locate_key(&problem.path)
        } else {
            self.index.locate_value(&problem.path)
        }
        .unwrap_or(Pos { line: 1, column: 1 });
        let labels = problem
            .labels
            .into_iter()
            .map(|(key_path, message)| {
                let pos = self
                    .index
                    .locate_key(&key_path)
                    .unwrap_or(Pos { line: 1, column: 1 });
                Label {
                    line: pos.line,
                    column: pos.column,
                    key_path,
                    message,
                }
            })
            .collect();
        self.diagnostics.push(Diagnostic {
            severity: problem.severity,
            file: self.file.to_owned(),
            line: pos.line,
            column: pos.column,
            key_path: problem.path,
            message: problem.message,
            help: problem.help,
            labels,
        });
    }
}

/// A bound on nesting far above any real spec and far below what overflows the YAML
/// parser's stack (it recurses once per level; a few thousand levels overflow 8 MiB).
const NESTING_LIMIT: usize = 200;

/// Where a cheap over-estimate of the nesting depth passes [`NESTING_LIMIT`]: block nesting
/// needs indentation or `- `/`? ` indicators at the start of a line, flow nesting needs
/// brackets, so counting those bounds the depth from above.
fn too_deep(source: &str) -> Option<Pos> {
    let mut flow: usize = 0;
    for (i, line) in source.lines().enumerate() {
        let prefix = line
            .chars()
            .take_while(|c| matches!(c, ' ' | '\t' | '-' | '?' | ':'))
            .count();
        if prefix > NESTING_LIMIT {
            return Some(Pos {
                line: i + 1,
                column: 1,
            });
        }
        for (col, c) in line.chars().enumerate() {
            match c {
                '[' | '{' => flow += 1,
                ']' | '}' => flow = flow.saturating_sub(1),
                _ => {}
            }
            if flow > NESTING_LIMIT {
                return Some(Pos {
                    line: i + 1,
                    column: col + 1,
                });
            }
        }
    }
    None
}

/// Sorted by position; the same problem found twice (a merged default shared by several
/// resources, say) is kept once.
fn sort(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by_key(|d| (d.line, d.column));
    let mut seen: Vec<(usize, usize, String)> = Vec::new();
    diagnostics.retain(|d| {
        let key = (d.line, d.column, d.message.clone());
        let first = !seen.contains(&key);
        seen.push(key);
        first
    });
}

/// The value at a key path (`a.b[0].c`) of a YAML document.
/// The key an "unknown field" message of serde names.
fn unknown_field_name(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(field, _)| field)
}

/// Like [`value_at`], mutably.
fn value_at_mut<'v>(root: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    let mut current = root;
    if path.is_empty() {
        return Some(current);
    }
    for part in path.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            current = current.get_mut(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let i: usize = index.trim_end_matches(']').parse().ok()?;
            current = current.get_mut(i)?;
        }
    }
    Some(current)
}

pub(crate) fn value_at<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    let mut current = root;
    if path.is_empty() {
        return Some(current);
    }
    for part in path.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            current = current.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let i: usize = index.trim_end_matches(']').parse().ok()?;
            current = current.get(i)?;
        }
    }
    Some(current)
}

/// Notes where each resource's declared columns and schema contract are written, for
/// load errors that point at the spec ([`crate::ResolvedResource::lines`]).
fn record_lines(index: &SourceIndex, spec: &Spec, resolved: &mut ResolvedSpec) {
    for (i, entry) in spec.resources.iter().enumerate() {
        let Some(resource) = resolved
            .resources
            .iter_mut()
            .find(|r| r.name == entry.name())
        else {
            continue;
        };
        let line = |key: &str| {
            index
                .key(&format!("resources[{i}].{key}"))
                .or_else(|| index.key(&format!("resource_defaults.{key}")))
                .map(|pos| pos.line)
        };
        let mut lines = std::collections::BTreeMap::new();
        for name in resource.columns.keys() {
            // A column from a schema document is written where `columns_from` is.
            if let Some(at) = line(&format!("columns.{name}")).or_else(|| line("columns_from")) {
                lines.insert(name.clone(), at);
            }
        }
        if let Some(at) = line("schema_contract") {
            lines.insert("schema_contract".to_owned(), at);
        }
        resource.lines = lines;
    }
}
