//! `connector import dlt`: a dlt `rest_api_source` config, in a Python file or in a Markdown
//! document's ```python block, becomes spec YAML.
//!
//! The Python is parsed by Ruff's parser ([`python`]); the config is the argument of a
//! `rest_api_source(...)` / `rest_api_resources(...)` call (else a dict with a `resources`
//! key), names assigned earlier are followed, and each expression becomes a spec value
//! ([`translate`]): dlt's keys as they are (the spec is a superset of them), secrets as
//! `{ secret: NAME }`, Python `stop_condition`s as the declarative rule ([`stop`]). What has no
//! spec form is left out with a warning naming its line; the YAML is then loaded by
//! `connector_spec` in-process, and its diagnostics are reported at the Python lines they
//! come from. [`compare`] says whether two specs resolve to the same model.

pub mod compare;
mod dlt;
mod markdown;
pub mod openapi;
mod python;
mod stop;
mod translate;
mod value;
mod yaml;

use std::path::Path;

use connector_spec::naming::{sanitize, Case};
use connector_spec::{LoadedSpec, Severity};
use ruff_python_ast::Expr;

use crate::python::{config_sites, dotted, Names, Source};
use crate::translate::Translator;
use crate::value::{Item, Value};

/// What the importer is told besides the file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The connector's name (default: the `name=` of `rest_api_source`, else the
    /// `@dlt.source` function's, else the file's stem).
    pub name: Option<String>,
    /// The file name the spec is loaded under, for its diagnostics (default `spec.yaml`).
    pub spec_file: Option<String>,
}

/// What a note says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoteKind {
    /// A Python construct and the spec form it became.
    Translated,
    /// Something the dlt config leaves open, filled in by a rule the note names.
    Guessed,
    /// Something left out; the spec is still valid.
    Warning,
    /// No valid spec could be made.
    Error,
}

impl NoteKind {
    /// How the note is labelled when printed.
    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Translated => "translated",
            NoteKind::Guessed => "guessed",
            NoteKind::Warning => "warning",
            NoteKind::Error => "error",
        }
    }
}

/// One thing the importer says, at a line of the imported file (0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub kind: NoteKind,
    pub line: usize,
    pub message: String,
}

/// The result of an import.
#[derive(Debug)]
pub struct Import {
    /// The spec YAML, when a config was found and translated (it may still be invalid: see
    /// [`Import::succeeded`]).
    pub yaml: Option<String>,
    /// What was translated, guessed, left out, and what went wrong, in line order.
    pub notes: Vec<Note>,
    /// The spec as loaded, when it is valid.
    pub loaded: Option<LoadedSpec>,
}

impl Import {
    /// Whether the YAML is a valid spec.
    pub fn succeeded(&self) -> bool {
        self.loaded.is_some() && !self.notes.iter().any(|n| n.kind == NoteKind::Error)
    }

    fn failed(kind_line_message: (usize, String)) -> Import {
        Import {
            yaml: None,
            notes: vec![Note {
                kind: NoteKind::Error,
                line: kind_line_message.0,
                message: kind_line_message.1,
            }],
            loaded: None,
        }
    }
}

/// Stack of the importing thread: Ruff's parser recurses once per bracket level, and a
/// config nested [`python::MAX_BRACKETS`] deep must parse (and its tree drop) without
/// overflowing. Only the pages used are touched.
const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Imports the dlt config in `text`, read from `file` (a `.py` file is Python; anything else
/// is read as Markdown holding a ```python block).
pub fn import_dlt(text: &str, file: &Path, options: &Options) -> Import {
    let (text, file, options) = (text.to_owned(), file.to_owned(), options.clone());
    let worker = std::thread::Builder::new()
        .name("import".to_owned())
        .stack_size(STACK_BYTES)
        .spawn(move || import_on_this_thread(&text, &file, &options));
    match worker.map(|handle| handle.join()) {
        Ok(Ok(import)) => import,
        Ok(Err(_)) => Import::failed((0, "the importer failed unexpectedly".to_owned())),
        Err(err) => Import::failed((0, format!("cannot start the importer: {err}"))),
    }
}

fn import_on_this_thread(text: &str, file: &Path, options: &Options) -> Import {
    let is_python = matches!(
        file.extension().and_then(|e| e.to_str()),
        Some("py" | "pyw")
    );
    let blocks = if is_python {
        vec![markdown::Block {
            code: text.to_owned(),
            first_line: 1,
        }]
    } else {
        let blocks = markdown::python_blocks(text);
        if blocks.is_empty() {
            return Import::failed((
                0,
                "no ```python code block found; `connector import dlt` reads a .py file, or a \
                 Markdown document holding the config in a ```python block"
                    .to_owned(),
            ));
        }
        blocks
    };
    let mut notes = Vec::new();
    let mut syntax_errors = Vec::new();
    let mut sources = Vec::new();
    for block in &blocks {
        match Source::parse(&block.code, block.first_line) {
            Ok((source, repaired)) => {
                for line in repaired {
                    notes.push(Note {
                        kind: NoteKind::Warning,
                        line,
                        message:
                            "`//` starts a comment in JavaScript, not in Python; read as a comment"
                                .to_owned(),
                    });
                }
                sources.push(source);
            }
            Err(e) => syntax_errors.push(Note {
                kind: NoteKind::Error,
                line: e.line,
                message: if e.syntax {
                    format!("Python syntax error at column {}: {}", e.column, e.message)
                } else {
                    e.message
                },
            }),
        }
    }
    let found = sources.iter().find_map(|source| {
        let names = Names::collect(&source.module);
        let sites = config_sites(&source.module);
        (!sites.is_empty()).then_some((source, names, sites))
    });
    let Some((source, names, sites)) = found else {
        if !syntax_errors.is_empty() {
            notes.extend(syntax_errors);
            return finish(notes, None, None);
        }
        notes.push(Note {
            kind: NoteKind::Error,
            line: 0,
            message: "no rest_api config found: no call of `rest_api_source(...)` or \
                      `rest_api_resources(...)`, and no dict with a `resources` key"
                .to_owned(),
        });
        return finish(notes, None, None);
    };
    for e in syntax_errors {
        notes.push(Note {
            kind: NoteKind::Warning,
            message: format!("{}; that code block is skipped", e.message),
            ..e
        });
    }
    let site = &sites[0];
    for other in &sites[1..] {
        notes.push(Note {
            kind: NoteKind::Warning,
            line: source.position(other.at).0,
            message: "another rest_api config; only the first is imported".to_owned(),
        });
    }
    if let Expr::Name(config_name) = site.config {
        for line in python::changes_of(&source.module, config_name.id.as_str(), source) {
            notes.push(Note {
                kind: NoteKind::Warning,
                line,
                message: format!(
                    "`{}` is changed here by Python; the import reads it as assigned, without this change",
                    config_name.id
                ),
            });
        }
    }
    let mut t = Translator::new(source, &names);
    if let Some(call) = site.call {
        for k in call.arguments.keywords.iter() {
            let arg = k.arg.as_ref().map(|a| a.as_str()).unwrap_or("**");
            if !matches!(arg, "config" | "name") {
                let u = t.fail(
                    k,
                    format!(
                        "the `{arg}=` argument of `{}` has no spec form",
                        python::callee_name(&call.func).unwrap_or_default()
                    ),
                );
                t.left_out("", &u);
            }
        }
    }
    let config = match t.expr(site.config, "") {
        Ok(Item {
            value: Value::Map(entries),
            ..
        }) => entries,
        Ok(_) => {
            t.note(
                NoteKind::Error,
                source.line(site.config),
                format!("the config `{}` is not a dict", source.text(site.config)),
            );
            notes.append(&mut t.notes);
            return finish(notes, None, None);
        }
        Err(u) => {
            t.note(
                NoteKind::Error,
                u.line,
                format!("the config cannot be read: {}", u.reason),
            );
            notes.append(&mut t.notes);
            return finish(notes, None, None);
        }
    };
    let mut config = config;
    guess_cursor_paths(&mut config, &mut t);
    let name = connector_name(options, site, &names, file, &mut t);
    notes.append(&mut t.notes);

    let mut root = vec![("name".to_owned(), Item::new(Value::Str(name), 0))];
    root.extend(config.into_iter().filter(|(k, _)| k != "name"));
    let header = vec![format!(
        "Imported from {} by `connector import dlt`.",
        file.file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default()
    )];
    let written = yaml::write(&header, &root);
    let spec_file = options.spec_file.as_deref().unwrap_or("spec.yaml");
    let loaded = match connector_spec::parse_str(&written.text, spec_file) {
        Ok(loaded) => {
            for d in &loaded.warnings {
                notes.push(spec_note(d, &written.lines));
            }
            Some(loaded)
        }
        Err(diagnostics) => {
            for d in &diagnostics {
                notes.push(spec_note(d, &written.lines));
            }
            None
        }
    };
    finish(notes, Some(written.text), loaded)
}

fn finish(mut notes: Vec<Note>, yaml: Option<String>, loaded: Option<LoadedSpec>) -> Import {
    notes.sort_by_key(|n| n.line);
    Import {
        yaml,
        notes,
        loaded,
    }
}

/// A spec diagnostic, at the Python line its YAML line came from.
fn spec_note(d: &connector_spec::Diagnostic, lines: &[usize]) -> Note {
    let line = d
        .line
        .checked_sub(1)
        .and_then(|i| lines.get(i))
        .copied()
        .unwrap_or(0);
    let mut message = format!("the spec (line {}", d.line);
    if !d.key_path.is_empty() {
        message.push_str(&format!(", `{}`", d.key_path));
    }
    message.push_str(&format!("): {}", d.message));
    if let Some(help) = &d.help {
        message.push_str(&format!(" (help: {help})"));
    }
    Note {
        kind: match d.severity {
            Severity::Error => NoteKind::Error,
            Severity::Warning => NoteKind::Warning,
        },
        line,
        message,
    }
}

/// The connector's name: the option, else `rest_api_source(name=...)`, else the
/// `@dlt.source` function's name (or its `name=`), else the file's stem; lower snake case.
fn connector_name(
    options: &Options,
    site: &python::ConfigSite<'_>,
    names: &Names<'_>,
    file: &Path,
    t: &mut Translator<'_, '_>,
) -> String {
    if let Some(name) = &options.name {
        return name.clone();
    }
    if let Some(name) = &site.name {
        return sanitize(name, Case::Snake);
    }
    if let Some(def) = names.enclosing_function(site.at) {
        for decorator in def.decorator_list.iter() {
            let (callee, call) = match &decorator.expression {
                Expr::Call(c) => (dotted(&c.func), Some(c)),
                other => (dotted(other), None),
            };
            if callee
                .as_deref()
                .is_some_and(|c| c == "dlt.source" || c == "source")
            {
                let named = call
                    .and_then(|c| c.arguments.find_keyword("name"))
                    .and_then(|k| match &k.value {
                        Expr::StringLiteral(s) => Some(s.value.to_str().to_owned()),
                        _ => None,
                    });
                return sanitize(named.as_deref().unwrap_or(def.name.as_str()), Case::Snake);
            }
        }
    }
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut name = sanitize(&stem, Case::Snake);
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name = format!("connector_{}", name.trim_start_matches('_'));
    }
    t.note(
        NoteKind::Guessed,
        0,
        format!("connector name `{name}` from the file name; `--name NAME` sets another"),
    );
    name
}

/// dlt's cursor paginator reads `cursors.next` unless told otherwise. A config that sets no
/// `cursor_path` but whose `stop_condition` tests another path (the seeds'
/// `not response.get('links', {}).get('next')`), or that names its `cursor_param`, almost
/// always means the cursor is there: the path tested, else the parameter's name.
fn guess_cursor_paths(entries: &mut [(String, Item)], t: &mut Translator<'_, '_>) {
    for (key, item) in entries.iter_mut() {
        match &mut item.value {
            Value::Map(inner) if key == "paginator" => {
                let is_cursor = inner.iter().any(|(k, v)| {
                    k == "type" && matches!(v.as_str(), Some("cursor" | "json_response_cursor"))
                });
                if is_cursor && !inner.iter().any(|(k, _)| k == "cursor_path") {
                    let from_stop = inner
                        .iter()
                        .find(|(k, _)| k == "stop_condition")
                        .and_then(|(_, v)| v.get("path_missing"))
                        .and_then(Item::as_str)
                        .map(|p| (p.to_owned(), "the path its stop_condition tests"));
                    let from_param = inner
                        .iter()
                        .find(|(k, _)| k == "cursor_param")
                        .and_then(|(_, v)| v.as_str())
                        .map(|p| (p.to_owned(), "the name of its cursor_param"));
                    if let Some((path, why)) = from_stop.or(from_param) {
                        let line = item.line;
                        let message = format!(
                            "cursor_path `{path}`, {why}: the config sets none, and dlt's default `cursors.next` is not it"
                        );
                        t.note(NoteKind::Guessed, line, message.clone());
                        let at = inner
                            .iter()
                            .position(|(k, _)| k == "cursor_param")
                            .map_or(inner.len(), |i| i + 1);
                        inner.insert(
                            at,
                            (
                                "cursor_path".to_owned(),
                                Item::new(Value::Str(path), line)
                                    .with_comment(format!("guessed: {why}")),
                            ),
                        );
                    }
                }
            }
            Value::Map(inner) => guess_cursor_paths(inner, t),
            Value::List(items) => {
                for item in items {
                    if let Value::Map(inner) = &mut item.value {
                        guess_cursor_paths(inner, t);
                    }
                }
            }
            _ => {}
        }
    }
}
