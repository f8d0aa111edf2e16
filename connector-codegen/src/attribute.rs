//! The `#[connector]` attribute's expansion, kept out of the proc-macro crate (as sqlx keeps
//! its macros' logic in a core crate) so it can be tested like any other function.

use std::path::{Path, PathBuf};

use connector_spec::Diagnostic;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, ItemMod, LitStr, Token};

use crate::{format_diagnostic, read_spec, Options};

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

/// The expansion of `#[connector(args)] item`, with relative paths resolved against
/// `base_dir`. Every problem is a `compile_error!` in the output; this function never panics
/// on any input. connector-macros is a shim over it, so tests can call it directly.
///
/// `runtime_path` is how the generated code names connector-runtime (`::connector_runtime`
/// for crates that depend on it, `::connector::runtime` through the facade).
pub fn expand_attribute(
    args: TokenStream2,
    item: TokenStream2,
    base_dir: &Path,
    runtime_path: &str,
) -> TokenStream2 {
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
    match generate(&args, base_dir, runtime_path) {
        Ok(expansion) => {
            let code = expansion.code;
            let warnings = warning_items(&expansion.warnings);
            finish(&module, quote!(#code #warnings), &expansion.tracked)
        }
        Err(err) => with_stubs(&module, err.to_compile_error()),
    }
}

/// What a valid spec expands to.
struct Expansion {
    /// The module's generated items.
    code: TokenStream2,
    /// Files whose changes must rebuild the crate.
    tracked: Vec<PathBuf>,
    /// Spec warnings, each with the span to report it at.
    warnings: Vec<(Span, String)>,
}

/// The generated items and the files to track, or every problem as one combined error.
fn generate(args: &Args, base: &Path, runtime_path: &str) -> Result<Expansion, syn::Error> {
    let base = base.to_path_buf();
    let (lit, spec_file, spec_dir, tracked_spec) = match &args.source {
        Source::Path(lit) => {
            let written = lit.value();
            let path = base.join(&written);
            let spec_file = read_spec(&path, &written).map_err(|mut found| {
                if !path.exists() {
                    for d in &mut found {
                        d.help = Some(
                            "the path is relative to the crate's directory (CARGO_MANIFEST_DIR)"
                                .to_owned(),
                        );
                    }
                }
                errors(lit, &found)
            })?;
            let dir = path.parent().map(Path::to_path_buf).unwrap_or(base.clone());
            (lit, spec_file, dir, Some(path))
        }
        Source::Yaml(lit) => {
            let text = lit.value();
            let loaded = connector_spec::parse_str_in(&text, "<inline spec>", &base)
                .map_err(|d| errors(lit, &d))?;
            let spec_file = crate::SpecFile {
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
        .with_json_schema(args.json_schema)
        .with_runtime_path(runtime_path);
    let spec = &spec_file.loaded.resolved;
    let code = crate::generate(spec, &options).map_err(|err| {
        errors(
            lit,
            &err.diagnostics(&spec_file.display, Some(&spec_file.source)),
        )
    })?;
    let mut tracked: Vec<PathBuf> = tracked_spec.into_iter().collect();
    tracked.extend(crate::sample_paths(&spec.resources, &spec_dir));
    tracked.extend(spec_file.loaded.documents.iter().cloned());
    let doc = crate::module_doc(spec);
    let doc = doc.iter().map(|l| {
        if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        }
    });
    let warnings = spec_file
        .loaded
        .warnings
        .iter()
        .map(|w| (lit.span(), format_diagnostic(w)))
        .collect();
    Ok(Expansion {
        code: quote!(#(#![doc = #doc])* #code),
        tracked,
        warnings,
    })
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

/// Spec warnings as rustc warnings. Stable proc macros cannot emit warnings, so each one is a
/// deprecated constant used at the spec literal: rustc then prints "use of deprecated
/// constant `...`: <the warning>" there, and `#![deny(warnings)]` still catches it.
fn warning_items(warnings: &[(Span, String)]) -> TokenStream2 {
    let items = warnings.iter().enumerate().map(|(i, (span, message))| {
        let name = syn::Ident::new(&format!("spec_warning_{i}"), *span);
        quote::quote_spanned! {*span=>
            #[deprecated(note = #message)]
            #[allow(non_upper_case_globals)]
            const #name: () = ();
            const _: () = #name;
        }
    });
    quote!(#(#items)*)
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
