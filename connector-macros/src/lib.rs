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
//! module's own items are kept. Editing the spec or a sample rebuilds the crate (the module
//! holds an `include_bytes!` of each). Every problem becomes a compile error spanned on the
//! path literal, `file:line:col: key: message (help: ...)`, and the module gets stub items so
//! the spec's errors are the only ones. The macro never panics.
//!
//! Other forms: `#[connector(yaml = "...")]` takes the spec text itself (handy in tests);
//! `#[connector("...", json_schema)]` also derives `schemars::JsonSchema` on records.
//!
//! Relative paths are resolved against `CONNECTOR_SPEC_DIR` instead of `CARGO_MANIFEST_DIR`
//! when that variable is set. It exists for this project's trybuild tests, whose crates are
//! built inside `target/` and so have no spec files beside them.

use std::path::{Path, PathBuf};

use connector_codegen::{format_diagnostic, read_spec, Options};
use connector_spec::Diagnostic;
use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, ItemMod, LitStr, Token};

/// Generates a typed connector into an inline module from a spec file. See the crate docs.
#[proc_macro_attribute]
pub fn connector(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = TokenStream2::from(args);
    let item = TokenStream2::from(item);
    let expanded = std::panic::catch_unwind(|| expand(args, item)).unwrap_or_else(|_| {
        syn::Error::new(
            Span::call_site(),
            "connector-codegen failed unexpectedly (a bug: please report it with the spec)",
        )
        .to_compile_error()
    });
    expanded.into()
}

/// Where the spec comes from.
enum Source {
    /// A file path, as written.
    Path(LitStr),
    /// The spec text itself.
    Yaml(LitStr),
}

struct Args {
    source: Source,
    json_schema: bool,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Args> {
        let source = if input.peek(LitStr) {
            Source::Path(input.parse()?)
        } else {
            let key: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected the spec path: #[connector(\"specs/name.yaml\")]",
                )
            })?;
            input.parse::<Token![=]>()?;
            let value: LitStr = input.parse()?;
            match key.to_string().as_str() {
                "path" => Source::Path(value),
                "yaml" => Source::Yaml(value),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown argument `{other}`; expected a path string, `path = \"...\"` or `yaml = \"...\"`"),
                    ))
                }
            }
        };
        let mut json_schema = false;
        while input.parse::<Token![,]>().is_ok() {
            if input.is_empty() {
                break;
            }
            let flag: Ident = input.parse()?;
            match flag.to_string().as_str() {
                "json_schema" => json_schema = true,
                other => {
                    return Err(syn::Error::new(
                        flag.span(),
                        format!("unknown option `{other}`; the only option is `json_schema`"),
                    ))
                }
            }
        }
        Ok(Args {
            source,
            json_schema,
        })
    }
}

fn expand(args: TokenStream2, item: TokenStream2) -> TokenStream2 {
    let module: ItemMod = match syn::parse2(item) {
        Ok(m) => m,
        Err(err) => {
            return syn::Error::new(
                err.span(),
                "#[connector] goes on an inline module: `pub mod name {}`",
            )
            .to_compile_error()
        }
    };
    if module.content.is_none() {
        return syn::Error::new_spanned(
            &module,
            "#[connector] needs an inline module: write `mod name {}` instead of `mod name;`",
        )
        .to_compile_error();
    }
    let args: Args = match syn::parse2(args) {
        Ok(a) => a,
        Err(err) => return with_stubs(&module, err.to_compile_error()),
    };
    match generate(&args) {
        Ok((code, tracked)) => finish(&module, code, &tracked),
        Err(err) => with_stubs(&module, err.to_compile_error()),
    }
}

/// The generated items and the files to track, or every problem as one combined error.
fn generate(args: &Args) -> Result<(TokenStream2, Vec<PathBuf>), syn::Error> {
    let base = base_dir();
    let (lit, spec_file, spec_dir, tracked_spec) = match &args.source {
        Source::Path(lit) => {
            let written = lit.value();
            let path = base.join(&written);
            let spec_file = read_spec(&path, &written).map_err(|d| errors(lit, &d))?;
            let dir = path.parent().map(Path::to_path_buf).unwrap_or(base.clone());
            (lit, spec_file, dir, Some(path))
        }
        Source::Yaml(lit) => {
            let text = lit.value();
            let loaded =
                connector_spec::parse_str(&text, "<inline spec>").map_err(|d| errors(lit, &d))?;
            let spec_file = connector_codegen::SpecFile {
                display: "<inline spec>".to_owned(),
                source: text,
                loaded,
            };
            (lit, spec_file, base.clone(), None)
        }
    };
    let mut options = Options::default();
    options
        .with_spec_dir(&spec_dir)
        .with_spec_path(&spec_file.display)
        .with_json_schema(args.json_schema);
    let spec = &spec_file.loaded.spec;
    let code = connector_codegen::generate(spec, &options).map_err(|err| {
        errors(
            lit,
            &err.diagnostics(&spec_file.display, Some(&spec_file.source)),
        )
    })?;
    let mut tracked: Vec<PathBuf> = tracked_spec.into_iter().collect();
    tracked.extend(connector_codegen::sample_paths(
        &spec.resolved_resources(),
        &spec_dir,
    ));
    let doc = connector_codegen::module_doc(spec);
    let doc = doc.iter().map(|l| {
        if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        }
    });
    Ok((quote!(#(#![doc = #doc])* #code), tracked))
}

/// The directory relative spec paths start from.
fn base_dir() -> PathBuf {
    std::env::var_os("CONNECTOR_SPEC_DIR")
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// One compile error per diagnostic, all spanned on the literal.
fn errors(lit: &LitStr, diagnostics: &[Diagnostic]) -> syn::Error {
    let mut combined: Option<syn::Error> = None;
    for d in diagnostics {
        let err = syn::Error::new(lit.span(), format_diagnostic(d));
        match &mut combined {
            Some(c) => c.combine(err),
            None => combined = Some(err),
        }
    }
    combined.unwrap_or_else(|| syn::Error::new(lit.span(), "the spec could not be loaded"))
}

/// The module with its own items, then the generated ones and the tracking constants.
fn finish(module: &ItemMod, code: TokenStream2, tracked: &[PathBuf]) -> TokenStream2 {
    let attrs = &module.attrs;
    let vis = &module.vis;
    let ident = &module.ident;
    let own = module
        .content
        .as_ref()
        .map(|(_, items)| items.as_slice())
        .unwrap_or(&[]);
    let tracked = tracked.iter().map(|p| p.display().to_string());
    quote! {
        #(#attrs)*
        #vis mod #ident {
            #code
            #(#own)*
            #(
                // Makes cargo rebuild this crate when the file changes.
                const _: &[u8] = include_bytes!(#tracked);
            )*
        }
    }
}

/// The module with stub items, so code using it reports the spec's errors and little else.
fn with_stubs(module: &ItemMod, error: TokenStream2) -> TokenStream2 {
    let attrs = &module.attrs;
    let vis = &module.vis;
    let ident = &module.ident;
    let own = module
        .content
        .as_ref()
        .map(|(_, items)| items.as_slice())
        .unwrap_or(&[]);
    quote! {
        #error
        #(#attrs)*
        #vis mod #ident {
            #(#own)*
            /// Stub: the spec did not generate.
            pub const NAME: &str = "";
            /// Stub: the spec did not generate.
            pub const SPEC_JSON: &str = "";
            /// Stub: the spec did not generate.
            pub mod types {}
            /// Stub: the spec did not generate.
            pub struct Secrets;
            /// Stub: the spec did not generate.
            pub struct Client;
        }
    }
}
