//! The build.rs API (prost-build style) and the spec-file reading shared by every entry point.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), connector_codegen::Error> {
//!     connector_codegen::Builder::new().spec("specs/meetings.yaml").generate()?;
//!     Ok(())
//! }
//! ```
//! and in the crate, the module named after the spec's `name:`:
//! ```ignore
//! pub mod meetings {
//!     include!(concat!(env!("OUT_DIR"), "/meetings.rs"));
//! }
//! ```
//! The file holds no inner attributes, so `include!` works anywhere an item may go.

use std::path::{Path, PathBuf};

use connector_spec::{Diagnostic, LoadedSpec, Severity};

use crate::naming::{sanitize, Case};
use crate::{generate_file, Error, Options};

/// A spec file read and validated, with its text (to position later problems).
#[derive(Debug, Clone)]
pub struct SpecFile {
    /// The spec as the user named it.
    pub display: String,
    /// The file's text.
    pub source: String,
    /// The loaded spec and its warnings.
    pub loaded: LoadedSpec,
}

/// Reads and validates the spec at `path`, named `display` in diagnostics. Never panics: a
/// missing, binary or empty file is a diagnostic like any other.
pub fn read_spec(path: &Path, display: &str) -> Result<SpecFile, Vec<Diagnostic>> {
    let fail = |message: String, help: Option<&str>| {
        vec![Diagnostic {
            severity: Severity::Error,
            file: display.to_owned(),
            line: 0,
            column: 0,
            key_path: String::new(),
            message,
            help: help.map(str::to_owned),
            labels: Vec::new(),
        }]
    };
    let bytes =
        std::fs::read(path).map_err(|err| fail(format!("cannot read spec file: {err}"), None))?;
    let source = String::from_utf8(bytes).map_err(|err| {
        fail(
            format!(
                "not a text file: invalid UTF-8 at byte {}",
                err.utf8_error().valid_up_to()
            ),
            Some("a spec is a YAML text file"),
        )
    })?;
    // Schema documents are beside the spec file, wherever `display` says it is.
    let dir = path.parent().unwrap_or(Path::new(""));
    let loaded = connector_spec::parse_str_in(&source, display, dir)?;
    Ok(SpecFile {
        display: display.to_owned(),
        source,
        loaded,
    })
}

/// One generated file, not yet written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The Rust module name (the spec's `name:`, sanitized).
    pub module: String,
    /// The spec file it came from, as named to the builder.
    pub spec: PathBuf,
    /// The formatted code.
    pub contents: String,
    /// Files the output depends on: the spec, its samples and its schema documents.
    pub dependencies: Vec<PathBuf>,
    /// The spec's warnings (problems that do not stop generation).
    pub warnings: Vec<Diagnostic>,
}

/// Generates connector modules from spec files, for build.rs and the CLI.
#[derive(Debug, Clone)]
pub struct Builder {
    /// Spec paths, each with the name used in headers and diagnostics.
    specs: Vec<(PathBuf, String)>,
    out_dir: Option<PathBuf>,
    regenerate_with: String,
    json_schema: bool,
    runtime_path: String,
    emit_rerun_if_changed: bool,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// A builder with no specs, writing to `OUT_DIR`.
    pub fn new() -> Builder {
        Builder {
            specs: Vec::new(),
            out_dir: None,
            regenerate_with: "cargo build".to_owned(),
            json_schema: false,
            runtime_path: crate::DEFAULT_RUNTIME_PATH.to_owned(),
            emit_rerun_if_changed: true,
        }
    }

    /// Adds a spec file (relative paths are relative to the current directory, which in
    /// build.rs is the crate's directory).
    pub fn spec(&mut self, path: impl Into<PathBuf>) -> &mut Builder {
        let path = path.into();
        let display = path.display().to_string().replace('\\', "/");
        self.specs.push((path, display));
        self
    }

    /// Adds a spec file, naming it `display` in headers and diagnostics (e.g. a path relative
    /// to the workspace rather than to the current directory).
    pub fn spec_named(
        &mut self,
        path: impl Into<PathBuf>,
        display: impl Into<String>,
    ) -> &mut Builder {
        self.specs.push((path.into(), display.into()));
        self
    }

    /// Where `<name>.rs` files go (default: the `OUT_DIR` cargo gives build scripts).
    pub fn out_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Builder {
        self.out_dir = Some(dir.into());
        self
    }

    /// The command the `@generated` header tells readers to run (default `cargo build`).
    pub fn regenerate_with(&mut self, command: impl Into<String>) -> &mut Builder {
        self.regenerate_with = command.into();
        self
    }

    /// Also derive `schemars::JsonSchema` on records.
    pub fn json_schema(&mut self, on: bool) -> &mut Builder {
        self.json_schema = on;
        self
    }

    /// How generated code names the runtime (default `::connector_runtime`; use
    /// `::connector::runtime` in a crate that depends on the `connector` facade only).
    pub fn runtime_path(&mut self, path: impl Into<String>) -> &mut Builder {
        self.runtime_path = path.into();
        self
    }

    /// Whether to print `cargo:rerun-if-changed` lines (default true; off outside build.rs).
    pub fn emit_rerun_if_changed(&mut self, on: bool) -> &mut Builder {
        self.emit_rerun_if_changed = on;
        self
    }

    /// Generates every spec without writing anything. All specs are tried; the error holds
    /// every diagnostic of every failing spec.
    pub fn render(&self) -> Result<Vec<GeneratedFile>, Error> {
        let mut files = Vec::new();
        let mut diagnostics = Vec::new();
        for (path, display) in &self.specs {
            let spec_file = match read_spec(path, display) {
                Ok(f) => f,
                Err(found) => {
                    diagnostics.extend(found);
                    continue;
                }
            };
            let spec = &spec_file.loaded.resolved;
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let mut options = Options::default();
            options
                .with_spec_dir(&dir)
                .with_spec_path(display)
                .with_regenerate_with(&self.regenerate_with)
                .with_json_schema(self.json_schema)
                .with_runtime_path(&self.runtime_path);
            match generate_file(spec, &options) {
                Ok(contents) => {
                    let mut dependencies = vec![path.clone()];
                    dependencies.extend(crate::sample_paths(&spec.resources, &dir));
                    dependencies.extend(spec_file.loaded.documents.iter().cloned());
                    files.push(GeneratedFile {
                        module: sanitize(&spec.name, Case::Snake),
                        spec: path.clone(),
                        contents,
                        dependencies,
                        warnings: spec_file.loaded.warnings.clone(),
                    });
                }
                Err(err) => diagnostics.extend(err.diagnostics(display, Some(&spec_file.source))),
            }
        }
        if diagnostics.is_empty() {
            Ok(files)
        } else {
            Err(Error::Spec { diagnostics })
        }
    }

    /// Generates every spec and writes `<out_dir>/<name>.rs`, touching only files whose
    /// contents changed. Returns the paths written or already current.
    pub fn generate(&self) -> Result<Vec<PathBuf>, Error> {
        if self.emit_rerun_if_changed {
            // Printed before generating so a failing spec is still watched.
            for (spec, _) in &self.specs {
                println!("cargo:rerun-if-changed={}", spec.display());
            }
        }
        let files = self.render()?;
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| Error::Io {
                    path: "OUT_DIR".to_owned(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "OUT_DIR is not set: call Builder::out_dir outside build.rs",
                    ),
                })?,
        };
        let mut written = Vec::new();
        for file in files {
            if self.emit_rerun_if_changed {
                for dep in file.dependencies.iter().skip(1) {
                    println!("cargo:rerun-if-changed={}", dep.display());
                }
            }
            for warning in &file.warnings {
                // Cargo shows these from build scripts; elsewhere they go to stderr.
                if self.emit_rerun_if_changed {
                    println!("cargo:warning={}", crate::format_diagnostic(warning));
                } else {
                    eprintln!("warning: {}", crate::format_diagnostic(warning));
                }
            }
            let path = out_dir.join(format!("{}.rs", file.module));
            write_file_if_changed(&path, &file.contents)?;
            written.push(path);
        }
        Ok(written)
    }
}

/// Writes `contents` to `path` unless it already holds exactly that, so cargo and editors see
/// no change when nothing changed. Returns whether the file was written.
pub fn write_file_if_changed(path: &Path, contents: &str) -> Result<bool, Error> {
    if std::fs::read(path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(false);
    }
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(path, contents).map_err(io)?;
    Ok(true)
}
