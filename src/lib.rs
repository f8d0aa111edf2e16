//! `connector`: typed REST API connectors generated from declarative specs.
//!
//! This facade re-exports the attribute macro and the runtime, so a user depends on one crate.
pub use connector_macros::*;
pub use connector_runtime as runtime;
