//! `connector`: typed REST API connectors generated from declarative specs.
//!
//! This facade is the one dependency a user needs: the `#[connector]` attribute and the
//! runtime it generates code for.
//!
//! ```ignore
//! #[connector::connector("specs/meetings.yaml")]
//! pub mod meetings {}
//!
//! # async fn run() -> Result<(), connector::runtime::Error> {
//! use connector::runtime::futures::TryStreamExt;
//! let client = meetings::Client::new(meetings::Secrets::from_env()?)?;
//! let users: Vec<meetings::types::User> = client.users().try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! The path is relative to the crate's directory. Code generated through this facade names the
//! runtime as `::connector::runtime`; with `connector-macros` used directly it names
//! `::connector_runtime`.

/// Generates a typed connector into an inline module; see [`connector_macros::connector`].
pub use connector_macros::connector_via_facade as connector;
pub use connector_runtime as runtime;
