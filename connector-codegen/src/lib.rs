//! Turns a resolved connector spec into typed Rust: the one engine behind `#[connector]`, build.rs
//! ([`Builder`]) and `connector generate`.
//!
//! [`generate`] is pure and deterministic (same spec, same tokens: every map is an `IndexMap`
//! or `BTreeMap`); [`generate_file`] formats the result with prettyplease and adds the
//! `@generated` header. For one spec `x`, the output holds:
//!
//! - `NAME` and `SPEC_JSON` (the resolved spec as JSON; the runtime reads it),
//! - `types`: one record struct per resource and one per nested object,
//! - `Secrets`: exactly the secrets the spec references,
//! - `Client`: one stream method per resource (plus per-parent methods for children).
//!
//! Generated code names only `::connector_runtime::...` and holds types and constants: paging,
//! auth and retries live once, in connector-runtime.
//!
//! # Column types
//!
//! | spec `data_type` | Rust field |
//! |---|---|
//! | `text` (the default) | `String` |
//! | `bigint` | `i64` |
//! | `double` | `f64` |
//! | `bool` | `bool` |
//! | `timestamp`, `date`, `time` | `String`: APIs write dates in many formats, and a strict parse would reject whole records; the text is kept for the caller (and the loader) to parse |
//! | `decimal`, `wei` | `String`: no digit lost to floating point |
//! | `binary` | `String` (base64, as in JSON) |
//! | `json` | `serde_json::Value` |
//! | `json` with `items` | `Vec<T>` (elements non-null unless `items.nullable: true`) |
//! | `json` with `fields` | a nested struct `<Record><Field>` |
//!
//! A column is `Option<T>` (absent or `null` is `None`) unless it says `nullable: false`.
//! Fields not declared are kept in an `extra` map. `Serialize` is derived (`extra` flattened);
//! `Deserialize` is generated, one pass over each object without the buffering
//! `#[serde(flatten)]` would add (see `connector_runtime::record`). A child's `include_from_parent` fields
//! are typed fields (`_users_id` becomes `users_id`; a nested `location.region` is
//! `_users_location_region`, [`naming::parent_column`]), typed from the parent's columns.
//! `Options::json_schema` adds `#[derive(schemars::JsonSchema)]` (an option rather than a
//! cfg feature, since a `cfg(feature)` in generated code would name the *user's* features).

mod attribute;
mod builder;
mod client;
mod describe;
mod error;
pub use connector_spec::naming;
pub mod outputs;
mod runtime_path;
mod samples;
mod types;

use std::path::PathBuf;

use connector_spec::ResolvedSpec;
use proc_macro2::TokenStream;
use quote::quote;

pub use attribute::expand_attribute;
pub use builder::{read_spec, write_file_if_changed, Builder, GeneratedFile, SpecFile};
pub use describe::module_doc;
pub use error::{format_diagnostic, Error, Problem};
pub use runtime_path::DEFAULT as DEFAULT_RUNTIME_PATH;
pub use samples::sample_paths;

/// The version written into `@generated` headers.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Generator settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Directory that `samples:` paths are relative to (the spec file's directory). When
    /// `None`, samples are not checked.
    pub spec_dir: Option<PathBuf>,
    /// The spec as named in the `@generated` header (e.g. `specs/meetings.yaml`).
    pub spec_path: String,
    /// The command named in the header to regenerate the file.
    pub regenerate_with: String,
    /// Also derive `schemars::JsonSchema` on records (the user's crate must depend on
    /// `schemars` 1.x).
    pub json_schema: bool,
    /// The absolute path generated code names the runtime by (default `::connector_runtime`;
    /// the `connector` facade's macro uses `::connector::runtime`).
    pub runtime_path: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            spec_dir: None,
            spec_path: "spec".to_owned(),
            regenerate_with: "cargo regen".to_owned(),
            json_schema: false,
            runtime_path: runtime_path::DEFAULT.to_owned(),
        }
    }
}

impl Options {
    /// Sets the directory samples are resolved against.
    pub fn with_spec_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Options {
        self.spec_dir = Some(dir.into());
        self
    }

    /// Sets the spec path named in the header.
    pub fn with_spec_path(&mut self, path: impl Into<String>) -> &mut Options {
        self.spec_path = path.into();
        self
    }

    /// Sets the regenerate command named in the header.
    pub fn with_regenerate_with(&mut self, command: impl Into<String>) -> &mut Options {
        self.regenerate_with = command.into();
        self
    }

    /// Derives `schemars::JsonSchema` on records.
    pub fn with_json_schema(&mut self, on: bool) -> &mut Options {
        self.json_schema = on;
        self
    }

    /// Names the runtime by another absolute path (e.g. `::connector::runtime`).
    pub fn with_runtime_path(&mut self, path: impl Into<String>) -> &mut Options {
        self.runtime_path = path.into();
        self
    }
}

/// The items of a connector module for `spec`; every problem is reported at once.
pub fn generate(spec: &ResolvedSpec, options: &Options) -> Result<TokenStream, Error> {
    let resources = &spec.resources;
    // Spec problems were reported when the spec loaded; what is left are name clashes only
    // the generated Rust has (two resources wanting one type or method name).
    let mut problems = Vec::new();
    let types_plan = types::plan(resources, &mut problems);
    let secret_fields = client::plan_secrets(spec, &mut problems);
    let methods = client::plan_methods(resources, &mut problems);
    if let Some(dir) = &options.spec_dir {
        samples::check(resources, dir, &mut problems);
    }
    let spec_json = match serde_json::to_string_pretty(spec) {
        Ok(json) => json,
        Err(err) => {
            problems.push(Problem::new(
                "",
                format!("the spec cannot be written as JSON: {err}"),
            ));
            String::new()
        }
    };
    if syn::parse_str::<syn::Path>(options.runtime_path.trim_start_matches("::")).is_err()
        || !options.runtime_path.starts_with("::")
    {
        problems.push(Problem::new(
            "",
            format!(
                "runtime path `{}` is not an absolute path like `::connector_runtime`",
                options.runtime_path
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid { problems });
    }

    let constants = client::constants(spec, &spec_json);
    let records = types::tokens(&types_plan, options.json_schema);
    let secrets = client::secrets(spec, &secret_fields);
    let client = client::client(spec, &methods, &types_plan);
    let types_doc = describe::doc_attrs(&[format!(
        "Record types of the `{}` connector: one per resource, one per nested object.",
        spec.name
    )]);
    let tokens = quote! {
        #constants

        #types_doc
        pub mod types {
            #records
        }

        #secrets

        #client
    };
    runtime_path::rewrite(tokens, &options.runtime_path).ok_or_else(|| Error::Invalid {
        problems: vec![Problem::new("", "the runtime path must be absolute")],
    })
}

/// [`generate`], formatted, with the `@generated` header and a trailing newline.
pub fn generate_file(spec: &ResolvedSpec, options: &Options) -> Result<String, Error> {
    let tokens = generate(spec, options)?;
    format_file(tokens, options)
}

fn format_file(tokens: TokenStream, options: &Options) -> Result<String, Error> {
    let file: syn::File = syn::parse2(tokens).map_err(|err| Error::Invalid {
        problems: vec![Problem::new(
            "",
            format!("connector-codegen produced invalid Rust (a bug; please report it): {err}"),
        )],
    })?;
    let body = space_items(&prettyplease::unparse(&file));
    Ok(format!(
        "// @generated by connector-codegen v{VERSION} from {}. Do not edit; run `{}`.\n\n{body}",
        options.spec_path, options.regenerate_with
    ))
}

/// prettyplease puts items right after one another; a blank line between them (after a line
/// ending an item, before a line starting the next one's docs or attributes) reads better.
/// Lines of doc comments and of the embedded JSON never match both sides.
fn space_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 20);
    let mut previous = "";
    for line in code.lines() {
        let trimmed = line.trim_start();
        let ends_item = {
            let p = previous.trim_start();
            !p.starts_with("//") && (p.ends_with('}') || p.ends_with(';'))
        };
        let starts_item = [
            "///", "#[", "pub ", "impl ", "const ", "fn ", "mod ", "struct ",
        ]
        .iter()
        .any(|start| trimmed.starts_with(start));
        if ends_item && starts_item {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}
