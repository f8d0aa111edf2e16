//! The `#[connector("spec.yaml")]` attribute macro. Placeholder: filled by the codegen issue.
