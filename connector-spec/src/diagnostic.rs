//! Positioned problems found in a spec.

use std::fmt;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec is usable, but probably not what was meant.
    Warning,
    /// The spec cannot be used.
    Error,
}

/// One problem, pointing at a key of the spec file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The spec file as the user named it.
    pub file: String,
    /// 1-based line of the offending key or value (0 when unknown, e.g. an empty file).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Dotted key path, e.g. `resources[0].endpoint.paginator.page_param`.
    pub key_path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is a likely fix ("did you mean `page_param`?").
    pub help: Option<String>,
    /// Other places in the file that bear on the problem (the `nullable: true` of a key
    /// column, the columns a key is not among); empty for most problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
}

/// A secondary place of a [`Diagnostic`]: where something related is written, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Label {
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Dotted key path of the place.
    pub key_path: String,
    /// What is there, e.g. "column `id` is declared nullable here".
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{}:{}:{}: {level}: ", self.file, self.line, self.column)?;
        if !self.key_path.is_empty() {
            write!(f, "{}: ", self.key_path)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        for label in &self.labels {
            write!(
                f,
                " (note: {}:{}:{}: {})",
                self.file, label.line, label.column, label.message
            )?;
        }
        Ok(())
    }
}
