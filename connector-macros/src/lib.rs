//! The `#[connector("specs/x.yaml")]` attribute macro: a thin shim over connector-codegen.
//!
//! ```ignore
//! #[connector::connector("specs/meetings.yaml")]
//! pub mod meetings {}
//!
//! let client = meetings::Client::new(meetings::Secrets::from_env()?)?;
//! ```
//!
//! The path is relative to the crate's directory (`CARGO_MANIFEST_DIR`). The macro reads the
//! spec, validates it, checks its samples, and fills the module with the generated code; the
//! module's own items are kept. Editing the spec, a sample or a schema document (`columns_from`)
//! rebuilds the crate (the module holds an `include_bytes!` of each). Every problem becomes a compile error spanned on the
//! path literal, `file:line:col: key: message (help: ...)`, and the module gets stub items so
//! the spec's errors are the only ones. The macro never panics.
//!
//! Other forms: `#[connector(yaml = "...")]` takes the spec text itself (handy in tests);
//! `#[connector("...", json_schema)]` also derives `schemars::JsonSchema` on records.
//!
//! Relative paths are resolved against `CONNECTOR_SPEC_DIR` instead of `CARGO_MANIFEST_DIR`
//! when that variable is set. It exists for this project's trybuild tests, whose crates are
//! built inside `target/` and so have no spec files beside them.

use std::path::PathBuf;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};

/// Generates a typed connector into an inline module from a spec file. See the crate docs.
/// The generated code names the runtime `::connector_runtime`: the crate depends on
/// connector-runtime.
#[proc_macro_attribute]
pub fn connector(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, connector_codegen::DEFAULT_RUNTIME_PATH)
}

/// The same attribute for crates that depend on the `connector` facade alone: the generated
/// code names the runtime `::connector::runtime`. The facade re-exports it as `connector`.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn connector_via_facade(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, "::connector::runtime")
}

fn expand(args: TokenStream, item: TokenStream, runtime_path: &str) -> TokenStream {
    let args = TokenStream2::from(args);
    let item = TokenStream2::from(item);
    // The expansion reports every problem as compile_error!; catching a panic is only a
    // guard against a generator bug turning into an ICE-like "proc macro panicked".
    let expanded = std::panic::catch_unwind(|| {
        connector_codegen::expand_attribute(args, item, &base_dir(), runtime_path)
    })
    .unwrap_or_else(|_| {
        syn::Error::new(
            Span::call_site(),
            "connector-codegen failed unexpectedly (a bug: please report it with the spec)",
        )
        .to_compile_error()
    });
    expanded.into()
}

/// The directory relative spec paths start from.
fn base_dir() -> PathBuf {
    std::env::var_os("CONNECTOR_SPEC_DIR")
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map(PathBuf::from)
        .unwrap_or_default()
}
