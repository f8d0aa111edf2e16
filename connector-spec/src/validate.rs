//! Semantic validation: every rule that needs more than one key to check.
use crate::diagnostic::Severity;
use crate::model::Spec;

/// One problem, located by key path; the loader adds line and column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub severity: Severity,
    pub path: String,
    pub at_key: bool,
    pub message: String,
    pub help: Option<String>,
}

pub(crate) fn validate(_spec: &Spec) -> Vec<Problem> {
    Vec::new()
}
