//! Generated code names the runtime as `::connector_runtime`. A crate that reaches the runtime
//! another way (the `connector` facade re-exports it as `::connector::runtime`) gets the same
//! tokens with that path swapped in, in paths and in `#[serde(crate = "...")]` strings.

use proc_macro2::{Group, Literal, TokenStream, TokenTree};

/// The default runtime path.
pub const DEFAULT: &str = "::connector_runtime";

/// `tokens` with `::connector_runtime` replaced by `path` (an absolute path such as
/// `::connector::runtime`). Returns `None` when `path` is not an absolute path.
pub(crate) fn rewrite(tokens: TokenStream, path: &str) -> Option<TokenStream> {
    if path == DEFAULT {
        return Some(tokens);
    }
    let rest = path.strip_prefix("::")?;
    let replacement: TokenStream = syn::parse_str::<syn::Path>(rest)
        .ok()
        .map(|p| quote::quote!(#p))?;
    Some(walk(tokens, &replacement, path))
}

fn walk(tokens: TokenStream, replacement: &TokenStream, path: &str) -> TokenStream {
    tokens
        .into_iter()
        .flat_map(|tree| -> Vec<TokenTree> {
            match tree {
                TokenTree::Ident(ident) if ident == "connector_runtime" => {
                    replacement.clone().into_iter().collect()
                }
                TokenTree::Group(group) => {
                    let mut new =
                        Group::new(group.delimiter(), walk(group.stream(), replacement, path));
                    new.set_span(group.span());
                    vec![TokenTree::Group(new)]
                }
                TokenTree::Literal(literal) => {
                    vec![TokenTree::Literal(rewrite_literal(literal, path))]
                }
                other => vec![other],
            }
        })
        .collect()
}

fn rewrite_literal(literal: Literal, path: &str) -> Literal {
    let text = literal.to_string();
    // Only plain string literals name paths (`#[serde(crate = "...")]`); raw strings hold
    // embedded data such as SPEC_JSON and are left alone.
    if !text.starts_with('"') || !text.contains("::connector_runtime") {
        return literal;
    }
    match syn::parse_str::<syn::LitStr>(&text) {
        Ok(lit) => {
            let mut new = Literal::string(&lit.value().replace(DEFAULT, path));
            new.set_span(literal.span());
            new
        }
        Err(_) => literal,
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    #[test]
    fn swaps_paths_and_serde_crate_strings() {
        let tokens = quote! {
            #[serde(crate = "::connector_runtime::serde")]
            struct A { x: ::connector_runtime::serde_json::Value, y: Vec<::connector_runtime::X> }
            const J: &str = r#"{"a": "::connector_runtime::kept"}"#;
        };
        let out = super::rewrite(tokens, "::connector::runtime")
            .unwrap()
            .to_string();
        assert!(
            out.contains(":: connector :: runtime :: serde_json :: Value"),
            "{out}"
        );
        assert!(
            out.contains("Vec < :: connector :: runtime :: X >"),
            "{out}"
        );
        assert!(out.contains("\"::connector::runtime::serde\""), "{out}");
        assert!(out.contains("::connector_runtime::kept"), "{out}");
        assert!(super::rewrite(quote!(a), "connector::runtime").is_none());
    }
}
