//! The connector spec format: a YAML superset of dlt's `rest_api_source` config.
//!
//! This crate is the pure model: serde types (with a JSON Schema from schemars), loading from
//! YAML, the `resource_defaults` merge, and semantic validation with positioned diagnostics.
//! It does no I/O beyond reading the spec file.
//!
//! - [`load()`] / [`parse_str`] / [`parse_bytes`]: YAML to a validated [`Spec`], or every
//!   problem at once as [`Diagnostic`]s with file, line, column, key path and a fix.
//! - [`Spec::resolved_resources`]: `resource_defaults` merged in, defaults filled.
//! - [`Spec::parent_of`], [`Spec::dependency_order`], [`Spec::secret_names`]: how resources
//!   relate and which secrets a spec needs.
//! - [`selector::parse`]: the `data_selector` JSONPath subset; [`placeholder::placeholders`]:
//!   `{placeholder}`s in strings; [`schema::json_schema`]: the JSON Schema.

mod de;
pub mod diagnostic;
pub mod load;
pub mod model;
pub mod nullable;
pub mod placeholder;
pub mod position;
pub mod relations;
pub mod resolve;
pub mod schema;
pub mod selector;
mod suggest;
mod validate;

pub use diagnostic::{Diagnostic, Label, Severity};
pub use load::{load, parse_bytes, parse_str, LoadedSpec};
pub use model::*;
pub use nullable::Nullable;
pub use relations::{ParentBinding, ParentLink, Where};
pub use resolve::ResolvedResource;
