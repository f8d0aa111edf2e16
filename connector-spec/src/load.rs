//! Reading a spec from YAML. (First cut: no positions yet; the validation work replaces this
//! with a position-aware loader behind the same functions.)

use std::path::Path;

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Spec;

/// A spec that parsed and validated, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// The model.
    pub spec: Spec,
    /// Problems that do not stop the spec from being used.
    pub warnings: Vec<Diagnostic>,
}

/// Parses and validates spec text; `file` names it in diagnostics.
pub fn parse_str(source: &str, file: &str) -> Result<LoadedSpec, Vec<Diagnostic>> {
    match serde_yaml::from_str::<Spec>(source) {
        Ok(spec) => Ok(LoadedSpec {
            spec,
            warnings: Vec::new(),
        }),
        Err(err) => {
            let (line, column) = err
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            Err(vec![Diagnostic {
                severity: Severity::Error,
                file: file.to_owned(),
                line,
                column,
                key_path: String::new(),
                message: err.to_string(),
                help: None,
            }])
        }
    }
}

/// Reads, parses and validates a spec file.
pub fn load(path: &Path) -> Result<LoadedSpec, Vec<Diagnostic>> {
    let file = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|err| {
        vec![Diagnostic {
            severity: Severity::Error,
            file: file.clone(),
            line: 0,
            column: 0,
            key_path: String::new(),
            message: format!("cannot read spec file: {err}"),
            help: None,
        }]
    })?;
    parse_str(&source, &file)
}
