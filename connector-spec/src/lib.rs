//! The connector spec format: a YAML superset of dlt's `rest_api_source` config.
//!
//! This crate is the pure model: serde types (with a JSON Schema from schemars), loading from
//! YAML, the `resource_defaults` merge, and semantic validation with positioned diagnostics.
//! It does no I/O beyond reading the spec file.

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

pub use diagnostic::{Diagnostic, Severity};
pub use load::{load, parse_bytes, parse_str, LoadedSpec};
pub use model::*;
pub use nullable::Nullable;
pub use relations::{ParentBinding, ParentLink, Where};
pub use resolve::ResolvedResource;
