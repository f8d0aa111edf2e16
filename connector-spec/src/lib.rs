//! The connector spec format: a YAML superset of dlt's `rest_api_source` config, and the
//! resolved model every consumer reads.
//!
//! Two layers:
//! - [`resolved`] (always built): [`ResolvedSpec`], the trusted, normalized model with every
//!   default filled and every string parsed; the runtime and the code generator read only
//!   this. With the [`selector`] and [`template`] grammars, the [`naming`] rules and the
//!   [`vocabulary`] it shares with the written spec, it needs no YAML library.
//! - Behind the `yaml` feature (on by default): the written spec ([`Spec`], serde types with a
//!   JSON Schema from schemars), YAML loading with line/column, the `resource_defaults` merge,
//!   semantic validation with positioned diagnostics, and [`Spec::resolve`].
//!
//! - [`load()`] / [`parse_str`] / [`parse_bytes`]: YAML to a validated [`Spec`] and its
//!   [`ResolvedSpec`], or every problem at once as [`Diagnostic`]s with file, line, column,
//!   key path and a fix.
//! - [`Spec::parent_of`], [`Spec::dependency_order`], [`Spec::secret_names`]: how resources
//!   relate and which secrets a spec needs.
//! - [`schema::json_schema`]: the JSON Schema.
//! - [`fit`]: whether a record fits a resource's declared columns (the sample check's and
//!   `connector check --live`'s rule).

pub mod fit;
pub mod naming;
pub mod resolved;
pub mod selector;
pub mod template;
pub mod vocabulary;

#[cfg(feature = "yaml")]
mod de;
#[cfg(feature = "yaml")]
pub mod diagnostic;
#[cfg(feature = "yaml")]
pub mod documents;
#[cfg(feature = "yaml")]
pub mod load;
#[cfg(feature = "yaml")]
pub mod merge;
#[cfg(feature = "yaml")]
pub mod model;
#[cfg(feature = "yaml")]
pub mod nullable;
#[cfg(feature = "yaml")]
pub mod position;
#[cfg(feature = "yaml")]
pub mod relations;
#[cfg(feature = "yaml")]
mod resolve;
#[cfg(feature = "yaml")]
pub mod schema;
#[cfg(feature = "yaml")]
mod suggest;
#[cfg(feature = "yaml")]
mod validate;

pub use resolved::{ResolvedResource, ResolvedSpec};
pub use vocabulary::*;

#[cfg(feature = "yaml")]
pub use diagnostic::{Diagnostic, Label, Severity};
#[cfg(feature = "yaml")]
pub use load::{load, parse_bytes, parse_str, parse_str_in, LoadedSpec};
#[cfg(feature = "yaml")]
pub use merge::MergedResource;
#[cfg(feature = "yaml")]
pub use model::*;
#[cfg(feature = "yaml")]
pub use nullable::Nullable;
#[cfg(feature = "yaml")]
pub use relations::{ParentBinding, ParentLink, Where};
#[cfg(feature = "yaml")]
pub use resolve::ResolveError;
