//! Reading a spec from YAML, with every problem pointing at its line and column.
//!
//! The text is parsed twice: once by yaml-rust2 into a [`SourceIndex`] (key path -> position),
//! once by serde_yaml into a value. The top-level sections and each resource are then
//! deserialized separately, so mistakes in several places are all reported at once, and
//! finally the whole spec is validated (module `validate`).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use crate::de::{describe, join_paths, path_string, split_path_marker};
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::{Client, ResourceDefaults, ResourceEntry, Spec};
use crate::position::{join_key, parent_path, Pos, SourceIndex};
use crate::suggest::{did_you_mean, list};
use crate::validate::{validate, Problem};

/// A spec that parsed and validated, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The model.
    pub spec: Spec,
    /// Problems that do not stop the spec from being used.
    pub warnings: Vec<Diagnostic>,
}

/// The keys of a spec's top level.
const ROOT_FIELDS: &[&str] = &[
    "name",
    "description",
    "client",
    "resource_defaults",
    "resources",
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
pub fn parse_str(source: &str, file: &str) -> Result<LoadedSpec, Vec<Diagnostic>> {
    Loader::new(source, file).run()
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
}

impl<'a> Loader<'a> {
    fn new(source: &'a str, file: &'a str) -> Self {
        Loader {
            source,
            file,
            index: SourceIndex::default(),
            root: Value::Null,
            diagnostics: Vec::new(),
        }
    }

    fn run(mut self) -> Result<LoadedSpec, Vec<Diagnostic>> {
        let spec = self.parse();
        if let Some(spec) = &spec {
            for problem in validate(spec) {
                self.push_problem(problem);
            }
        }
        let (mut errors, mut warnings): (Vec<_>, Vec<_>) = self
            .diagnostics
            .into_iter()
            .partition(|d| d.severity == Severity::Error);
        match spec {
            Some(spec) if errors.is_empty() => {
                sort(&mut warnings);
                Ok(LoadedSpec { spec, warnings })
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
                    self.error_value(
                        "resources",
                        "`resources` is empty; a spec needs at least one resource".into(),
                        None,
                    );
                    ok = false;
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
        match (name, client, resource_defaults, resources) {
            (Some(name), Some(client), Some(resource_defaults), Some(resources)) if ok => {
                Some(Spec {
                    name,
                    description,
                    client,
                    resource_defaults,
                    resources,
                })
            }
            _ => None,
        }
    }

    /// Deserializes one section, turning a serde error into a positioned diagnostic.
    fn section<T: DeserializeOwned>(&mut self, base: &str, value: Value) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Some(v),
            Err(err) => {
                let outer = join_paths(base, &path_string(err.path()));
                let message = err.into_inner().to_string();
                let (inner, message) = split_path_marker(&message);
                let path = join_paths(&outer, inner);
                self.serde_error(&path, message);
                None
            }
        }
    }

    fn serde_error(&mut self, path: &str, message: &str) {
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let (field, expected) = split_backticked(rest);
            // serde_path_to_error may or may not have pushed the unknown key onto the path.
            let container = match path.rsplit(['.', ']']).next() {
                Some(last) if last == field => parent_path(path).unwrap_or_default().to_owned(),
                _ => path.to_owned(),
            };
            let expected = backticked_list(expected);
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            let key_path = join_key(&container, field);
            self.unknown_field(&container, field, &expected, &key_path);
        } else if let Some(rest) = message.strip_prefix("unknown variant `") {
            let (variant, expected) = split_backticked(rest);
            let mut expected = backticked_list(expected);
            // Aliases that differ only in case (`POST` / `post`) are listed once.
            let mut seen = Vec::new();
            expected.retain(|e| {
                let lower = e.to_lowercase();
                let first = !seen.contains(&lower);
                seen.push(lower);
                first
            });
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            // A tagged mapping (`{ type: x }`) or a plain word (`write_disposition: x`).
            let (container, tagged) = match path.strip_suffix(".type") {
                Some(container) => (container, true),
                None => (path, false),
            };
            let noun = variant_noun(container, tagged);
            let message = format!("{noun} `{variant}` is unknown; valid: {}", list(&expected));
            let help = did_you_mean(variant, &expected);
            self.error_value(path, message, help);
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            let (field, _) = split_backticked(rest);
            let help = match field {
                "access_token_url" => {
                    Some("the token endpoint; `token_url` is accepted too".to_owned())
                }
                "type" => Some(format!("add `type:` ({})", type_choices(path))),
                _ => None,
            };
            let at_key = self
                .index
                .key(path)
                .or_else(|| self.index.locate_value(path));
            let pos = at_key.unwrap_or(Pos { line: 1, column: 1 });
            self.error_at(pos, path, format!("missing required key `{field}`"), help);
        } else if let Some(found) = negative_for_unsigned(message) {
            let key = path.rsplit('.').next().unwrap_or(path);
            let help = (key == "limit").then(|| "`limit` is a page size: 1 or more".to_owned());
            self.error_value(path, format!("`{key}` must be >= 0, found {found}"), help);
        } else if let Some(rest) = message.strip_prefix("invalid type: ") {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            let message = format!("expected {}, found {found}", friendly_expected(expected));
            self.error_value(path, message, None);
        } else {
            self.error_value(path, message.to_owned(), None);
        }
    }

    fn unknown_field(&mut self, container: &str, field: &str, expected: &[&str], key_path: &str) {
        let last = container.rsplit('.').next().unwrap_or_default();
        let kind = value_at(&self.root, container)
            .and_then(|v| v.get("type"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let message = match (last, kind) {
            ("paginator", Some(kind)) => format!(
                "`{field}` is not a parameter of paginator `{kind}`; it takes: {}",
                list_or_none(expected)
            ),
            ("auth", Some(kind)) => format!(
                "`{field}` is not a field of auth type `{kind}`; it takes: {}",
                list_or_none(expected)
            ),
            _ if expected.is_empty() => {
                format!("unknown key `{field}`; this mapping takes no keys")
            }
            _ => format!("unknown key `{field}`; expected one of: {}", list(expected)),
        };
        let help = did_you_mean(field, expected);
        let pos = self
            .index
            .locate_key(key_path)
            .unwrap_or(Pos { line: 1, column: 1 });
        self.error_at(pos, key_path, message, help);
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
        self.diagnostics.push(Diagnostic {
            severity: Severity::Error,
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

/// serde's Rust-flavoured expectations in words.
fn friendly_expected(expected: &str) -> String {
    match expected {
        "i64" | "i32" => "an integer".into(),
        "u64" | "u32" | "u16" | "u8" | "usize" => "a whole number (0 or more)".into(),
        "f64" | "f32" => "a number".into(),
        "a boolean" | "bool" => "`true` or `false`".into(),
        "a sequence" => "a list".into(),
        "a map" => "a mapping".into(),
        other if other.starts_with("struct ") => "a mapping".into(),
        other => other.into(),
    }
}

/// The negative number of serde's "invalid value: integer `-1`, expected u64" (a negative
/// number where the model has an unsigned type).
fn negative_for_unsigned(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("invalid value: integer `")?;
    let (found, expected) = split_backticked(rest);
    let expected = expected.strip_prefix(", expected ")?;
    let unsigned = expected == "usize"
        || expected
            .strip_prefix('u')
            .is_some_and(|bits| !bits.is_empty() && bits.chars().all(|c| c.is_ascii_digit()));
    (found.starts_with('-') && unsigned).then_some(found)
}

/// `x`, rest` -> (`x`, `rest`).
fn split_backticked(rest: &str) -> (&str, &str) {
    match rest.find('`') {
        Some(end) => (&rest[..end], &rest[end + 1..]),
        None => (rest, ""),
    }
}

/// Every `word` in serde's ", expected one of `a`, `b`" tail.
fn backticked_list(tail: &str) -> Vec<String> {
    tail.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_owned())
        .collect()
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "no parameters".to_owned()
    } else {
        list(items)
    }
}

/// What kind of name an unknown variant at `path` was meant to be.
fn variant_noun(path: &str, tagged: bool) -> String {
    let last = path.rsplit(['.', '[']).next().unwrap_or_default();
    let parent = parent_path(path)
        .and_then(|p| p.rsplit(['.', '[']).next())
        .unwrap_or_default();
    match (last, tagged) {
        ("paginator", _) => "paginator type".into(),
        (_, false) if parent == "stop_condition" => "stop condition kind".into(),
        ("auth", _) => "auth type".into(),
        (_, true) if parent == "params" => "parameter type".into(),
        (_, true) => "type".into(),
        ("write_disposition" | "disposition", false) => "write disposition".into(),
        ("strategy", false) => "merge strategy".into(),
        ("data_type", false) => "data type".into(),
        ("location", false) => "api_key location".into(),
        ("method", false) => "HTTP method".into(),
        ("action", false) => "response action".into(),
        ("client_auth", false) => "client_auth".into(),
        ("last_value_func", false) => "last_value_func".into(),
        ("on_cursor_value_missing", false) => "on_cursor_value_missing".into(),
        ("row_order", false) => "row_order".into(),
        _ => "value".into(),
    }
}

fn type_choices(path: &str) -> &'static str {
    let last = path.rsplit(['.', '[']).next().unwrap_or_default();
    match last {
        "paginator" => {
            "single_page, page_number, offset, cursor, json_link, header_link, header_cursor, auto"
        }
        "auth" => "bearer, api_key, http_basic, oauth2_client_credentials, oauth2_refresh_token",
        _ => "resolve or incremental",
    }
}

/// The value at a key path (`a.b[0].c`) of a YAML document.
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
