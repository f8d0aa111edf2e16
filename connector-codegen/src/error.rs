//! The one error type of the generator: every problem found in one pass, each able to become a
//! positioned [`Diagnostic`] in the same shape connector-spec uses.

use std::fmt;

use connector_spec::{Diagnostic, Severity};

/// One thing that stops code generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path in the spec (`resources.users.columns.firstName`).
    pub key_path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Text to look for in the spec source to find a line and column (a column or file name).
    pub anchor: Option<String>,
}

impl Problem {
    pub(crate) fn new(key_path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            key_path: key_path.into(),
            message: message.into(),
            help: None,
            anchor: None,
        }
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn anchor(mut self, anchor: impl Into<String>) -> Problem {
        self.anchor = Some(anchor.into());
        self
    }

    /// This problem as a diagnostic of spec file `file`, positioned by searching `source` (the
    /// spec text) for the problem's anchor; line and column are 0 when there is none.
    pub fn to_diagnostic(&self, file: &str, source: Option<&str>) -> Diagnostic {
        let (line, column) = match (source, &self.anchor) {
            (Some(source), Some(anchor)) => locate(source, anchor).unwrap_or((0, 0)),
            _ => (0, 0),
        };
        Diagnostic {
            severity: Severity::Error,
            file: file.to_owned(),
            line,
            column,
            key_path: self.key_path.clone(),
            message: self.message.clone(),
            help: self.help.clone(),
            labels: Vec::new(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.key_path.is_empty() {
            write!(f, "{}: ", self.key_path)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// Why code could not be generated.
///
/// `Debug` prints the same lines as `Display`, so `fn main() -> Result<(), Box<dyn Error>>` in a
/// build script shows readable diagnostics.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The spec is valid YAML of the right shape but cannot become Rust (names that collide
    /// once sanitized, samples that do not fit the columns, ...). Every problem is listed.
    #[error("{}", join(problems))]
    Invalid {
        /// Every problem found.
        problems: Vec<Problem>,
    },
    /// The spec file did not load; connector-spec's diagnostics, all of them.
    #[error("{}", diagnostics.iter().map(format_diagnostic).collect::<Vec<_>>().join("\n"))]
    Spec {
        /// The diagnostics, positioned in the spec file.
        diagnostics: Vec<Diagnostic>,
    },
    /// A file could not be read or written (build.rs and CLI paths only).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl Error {
    /// Every problem as a diagnostic of spec file `file` (its text in `source`, to find
    /// positions).
    pub fn diagnostics(&self, file: &str, source: Option<&str>) -> Vec<Diagnostic> {
        match self {
            Error::Invalid { problems } => problems
                .iter()
                .map(|p| p.to_diagnostic(file, source))
                .collect(),
            Error::Spec { diagnostics } => diagnostics.clone(),
            Error::Io { path, source } => vec![Diagnostic {
                severity: Severity::Error,
                file: path.clone(),
                line: 0,
                column: 0,
                key_path: String::new(),
                message: source.to_string(),
                help: None,
                labels: Vec::new(),
            }],
        }
    }
}

/// A diagnostic as one line for a compile error or a terminal: `file:line:col: key: message
/// (help: ...)`, the position left out when unknown. Unlike `Diagnostic`'s `Display` it has no
/// `error:` of its own, since rustc and cargo print one.
pub fn format_diagnostic(d: &Diagnostic) -> String {
    let mut out = d.file.clone();
    if d.line > 0 {
        out.push_str(&format!(":{}:{}", d.line, d.column));
    }
    out.push_str(": ");
    if !d.key_path.is_empty() {
        out.push_str(&d.key_path);
        out.push_str(": ");
    }
    out.push_str(&d.message);
    if let Some(help) = &d.help {
        out.push_str(&format!(" (help: {help})"));
    }
    for label in &d.labels {
        out.push_str(&format!(
            " (note: {}:{}:{}: {})",
            d.file, label.line, label.column, label.message
        ));
    }
    out
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// 1-based line and column of the first occurrence of `needle` in `source`, preferring one
/// that starts a YAML key or value (so `id` finds `id:` rather than `width`).
fn locate(source: &str, needle: &str) -> Option<(usize, usize)> {
    let mut best = None;
    for (offset, _) in source.match_indices(needle) {
        let before = source[..offset].chars().next_back();
        let after = source[offset + needle.len()..].chars().next();
        let starts = before.is_none_or(|c| !c.is_alphanumeric() && c != '_');
        let ends = after.is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if starts && ends {
            best = Some(offset);
            break;
        }
        best.get_or_insert(offset);
    }
    let offset = best?;
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = source[..offset].matches('\n').count() + 1;
    let column = source[line_start..offset].chars().count() + 1;
    Some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_prefers_whole_words() {
        let source = "a:\n  width: 1\n  id: 2\n";
        assert_eq!(locate(source, "id"), Some((3, 3)));
        assert_eq!(locate(source, "nothing"), None);
    }

    #[test]
    fn diagnostic_format_leaves_out_unknown_position() {
        let p = Problem::new("resources.users", "bad").help("fix it");
        assert_eq!(
            format_diagnostic(&p.to_diagnostic("x.yaml", None)),
            "x.yaml: resources.users: bad (help: fix it)"
        );
        let p = p.anchor("users");
        assert_eq!(
            format_diagnostic(&p.to_diagnostic("x.yaml", Some("resources:\n  - users\n"))),
            "x.yaml:2:5: resources.users: bad (help: fix it)"
        );
    }
}
