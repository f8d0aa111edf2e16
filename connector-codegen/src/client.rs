//! The typed front of a connector: constants, the `Secrets` struct, the resource table and the
//! `Client` whose methods hand resource names and record types to connector-runtime.
//!
//! Nothing here fetches, pages or retries: that is the runtime's job, done once for every
//! connector. Generated code only names things.

use std::collections::BTreeMap;

use connector_spec::{ResolvedResource, ResolvedSpec};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::describe::doc_attrs;
use crate::error::Problem;
use crate::naming::{sanitize, Case};
use crate::types::TypesPlan;

/// Methods of `Client` that are not resources; a resource with one of these names gets a
/// `_records` suffix.
const RESERVED_METHODS: &[&str] = &[
    "new",
    "with_options",
    "from_connector",
    "connector",
    "into_connector",
    "resources",
    "clone",
    "fmt",
];

/// The planned `Secrets` fields: (spec name, Rust field).
pub(crate) fn plan_secrets(
    spec: &ResolvedSpec,
    problems: &mut Vec<Problem>,
) -> Vec<(String, String)> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for name in spec.secrets.iter().cloned() {
        let ident = sanitize(&name, Case::Snake);
        if let Some(first) = seen.insert(ident.clone(), name.clone()) {
            problems.push(
                Problem::new(
                    "client",
                    format!("secrets `{first}` and `{name}` both become the Rust field `{ident}`"),
                )
                .help("use one spelling for one secret")
                .anchor(name.as_str()),
            );
        }
        out.push((name, ident));
    }
    out
}

/// One resource's methods.
#[derive(Debug, Clone)]
pub(crate) struct MethodPlan {
    pub resource: String,
    pub method: String,
    /// The parent resource, for a child.
    pub parent: Option<String>,
}

/// Plans the resource methods, checking that no two resources get one method name.
pub(crate) fn plan_methods(
    resources: &[ResolvedResource],
    problems: &mut Vec<Problem>,
) -> Vec<MethodPlan> {
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for resource in resources {
        let mut method = sanitize(&resource.name, Case::Snake);
        if RESERVED_METHODS.contains(&method.as_str()) {
            method.push_str("_records");
        }
        let parent = resource.parent.as_ref().map(|p| p.resource.clone());
        let mut names = vec![method.clone(), format!("{method}_with")];
        if parent.is_some() {
            names.push(format!("{method}_for"));
            names.push(format!("{method}_for_with"));
        }
        for name in names {
            if let Some(first) = taken.insert(name.clone(), resource.name.clone()) {
                problems.push(
                    Problem::new(
                        format!("resources.{}", resource.name),
                        format!(
                            "resources `{first}` and `{}` both need the Client method `{name}`",
                            resource.name
                        ),
                    )
                    .help("rename one of the resources")
                    .anchor(resource.name.as_str()),
                );
            }
        }
        out.push(MethodPlan {
            resource: resource.name.clone(),
            method,
            parent,
        });
    }
    out
}

/// `NAME` and `SPEC_JSON`.
pub(crate) fn constants(spec: &ResolvedSpec, spec_json: &str) -> TokenStream {
    let name = &spec.name;
    let json = raw_string(spec_json);
    quote! {
        /// The connector's name: its secrets are `<NAME>__<SECRET>` environment variables and
        /// `[sources.<name>]` in secrets.toml.
        pub const NAME: &str = #name;

        /// The resolved spec (defaults filled, selectors and templates parsed) as JSON: what
        /// the runtime runs when a [`Client`] is built, read without a YAML library.
        pub const SPEC_JSON: &str = #json;
    }
}

/// A raw string literal, so the embedded JSON stays readable in generated files.
fn raw_string(text: &str) -> TokenStream {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '#' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let hashes = "#".repeat(longest + 1);
    format!("r{hashes}\"{text}\"{hashes}")
        .parse()
        .unwrap_or_else(|_| {
            let literal = proc_macro2::Literal::string(text);
            quote!(#literal)
        })
}

/// The `Secrets` struct.
pub(crate) fn secrets(spec: &ResolvedSpec, fields: &[(String, String)]) -> TokenStream {
    let connector = &spec.name;
    let names: Vec<&String> = fields.iter().map(|(name, _)| name).collect();
    let idents: Vec<_> = fields
        .iter()
        .map(|(_, ident)| format_ident!("{}", ident))
        .collect();
    let docs: Vec<TokenStream> = fields
        .iter()
        .map(|(name, _)| {
            let var = format!("{}__{}", connector.to_uppercase(), name.to_uppercase());
            doc_attrs(&[format!(
                "Secret `{name}`: environment variable `{var}` (or `SOURCES__{var}`), or \
                 `{name}` in `[sources.{connector}]` of secrets.toml."
            )])
        })
        .collect();
    let struct_doc = if fields.is_empty() {
        doc_attrs(&[format!("The `{connector}` spec references no secrets.")])
    } else {
        doc_attrs(&[
            format!("The secrets the `{connector}` spec references, each one typed."),
            String::new(),
            "`Debug` prints `***` for every value.".to_owned(),
        ])
    };
    // With nothing to load, `Secrets::default()` is the obvious way to make one.
    let default = fields.is_empty().then(|| quote!(Default,));
    quote! {
        #struct_doc
        #[derive(Debug, Clone, PartialEq, Eq, #default)]
        pub struct Secrets {
            #(
                #docs
                pub #idents: ::connector_runtime::SecretString,
            )*
        }

        impl Secrets {
            /// The secret names, as written in the spec.
            pub const NAMES: &'static [&'static str] = &[#(#names),*];

            /// Reads every secret from the environment; the error lists all missing ones.
            pub fn from_env() -> ::std::result::Result<Secrets, ::connector_runtime::Error> {
                let secrets = ::connector_runtime::Secrets::from_env(NAME, Secrets::NAMES)?;
                Secrets::from_runtime(&secrets)
            }

            /// Reads every secret from a dlt-style secrets.toml (`[sources.<name>]`).
            pub fn from_toml(
                path: impl ::std::convert::AsRef<::std::path::Path>,
            ) -> ::std::result::Result<Secrets, ::connector_runtime::Error> {
                let secrets =
                    ::connector_runtime::Secrets::from_toml_file(path.as_ref(), NAME, Secrets::NAMES)?;
                Secrets::from_runtime(&secrets)
            }

            /// The environment first, then the secrets.toml when given; the error lists every
            /// secret still missing.
            pub fn load(
                toml: ::std::option::Option<&::std::path::Path>,
            ) -> ::std::result::Result<Secrets, ::connector_runtime::Error> {
                let secrets = ::connector_runtime::Secrets::resolve(NAME, Secrets::NAMES, toml)?;
                Secrets::from_runtime(&secrets)
            }

            /// Takes the typed secrets out of an untyped set; the error lists every missing one.
            pub fn from_runtime(
                secrets: &::connector_runtime::Secrets,
            ) -> ::std::result::Result<Secrets, ::connector_runtime::Error> {
                secrets.require(NAME, Secrets::NAMES, ::std::option::Option::None)?;
                ::std::result::Result::Ok(Secrets {
                    #(
                        #idents: secrets.get(#names).cloned().unwrap_or_default(),
                    )*
                })
            }

            /// The untyped set the runtime takes.
            pub fn to_runtime(&self) -> ::connector_runtime::Secrets {
                ::connector_runtime::Secrets::new()
                    #( .with(#names, self.#idents.clone()) )*
            }
        }
    }
}

/// The `Client` struct and its methods.
pub(crate) fn client(
    spec: &ResolvedSpec,
    methods: &[MethodPlan],
    types: &TypesPlan,
) -> TokenStream {
    let connector = &spec.name;
    let record = |resource: &str| {
        let ident = types.record_of.get(resource).cloned().unwrap_or_default();
        let ident = format_ident!("{}", if ident.is_empty() { "Never" } else { &ident });
        quote!(types::#ident)
    };
    let methods = methods.iter().map(|m| {
        let resource = &m.resource;
        let ty = record(resource);
        let name = format_ident!("{}", m.method);
        let name_with = format_ident!("{}_with", m.method);
        let doc = doc_attrs(&[
            format!("Every record of `{resource}`, as [`{}`].", ty.to_string().replace(' ', "")),
            String::new(),
            match &m.parent {
                Some(parent) => format!(
                    "A child of `{parent}`: the parent's records are fetched first, then this \
                     resource once per parent record."
                ),
                None => "The stream is lazy: nothing is requested until it is polled.".to_owned(),
            },
        ]);
        let doc_with = doc_attrs(&[format!(
            "Like [`Client::{}`], with run options (incremental state).",
            m.method
        )]);
        let base = quote! {
            #doc
            pub fn #name(&self) -> ::connector_runtime::ResourceStream<#ty> {
                self.#name_with(::connector_runtime::RunOptions::default())
            }

            #doc_with
            pub fn #name_with(
                &self,
                run: ::connector_runtime::RunOptions,
            ) -> ::connector_runtime::ResourceStream<#ty> {
                self.connector.stream_typed::<#ty>(#resource, run)
            }
        };
        let per_parent = m.parent.as_ref().map(|parent| {
            let parent_ty = record(parent);
            let name_for = format_ident!("{}_for", m.method);
            let name_for_with = format_ident!("{}_for_with", m.method);
            let doc = doc_attrs(&[format!(
                "The `{resource}` records of one `{parent}` record.",
            )]);
            let doc_with = doc_attrs(&[format!(
                "Like [`Client::{}_for`], with run options (incremental state).",
                m.method
            )]);
            quote! {
                #doc
                pub fn #name_for(&self, parent: &#parent_ty) -> ::connector_runtime::ResourceStream<#ty> {
                    self.#name_for_with(parent, ::connector_runtime::RunOptions::default())
                }

                #doc_with
                pub fn #name_for_with(
                    &self,
                    parent: &#parent_ty,
                    run: ::connector_runtime::RunOptions,
                ) -> ::connector_runtime::ResourceStream<#ty> {
                    // A derived Serialize of string-keyed fields cannot fail.
                    let parent = ::connector_runtime::serde_json::to_value(parent).unwrap_or_default();
                    self.connector.child_stream_typed::<#ty>(#resource, &parent, run)
                }
            }
        });
        quote!(#base #per_parent)
    });
    let doc = doc_attrs(&[
        format!("The typed `{connector}` connector: one method per resource."),
        String::new(),
        "Cheap to clone; every clone shares the runtime's HTTP client, token cache and rate \
         limit."
            .to_owned(),
    ]);
    quote! {
        #doc
        #[derive(Debug, Clone)]
        pub struct Client {
            connector: ::connector_runtime::Connector,
        }

        impl Client {
            /// A client with the spec's own settings.
            pub fn new(secrets: Secrets) -> ::std::result::Result<Client, ::connector_runtime::Error> {
                Client::with_options(secrets, ::connector_runtime::Options::default())
            }

            /// A client with runtime options (another base URL, concurrency, page cap, ...).
            pub fn with_options(
                secrets: Secrets,
                options: ::connector_runtime::Options,
            ) -> ::std::result::Result<Client, ::connector_runtime::Error> {
                let spec = ::connector_runtime::connector_spec::ResolvedSpec::from_json(SPEC_JSON)
                    .map_err(|err| ::connector_runtime::Error::Config {
                        resource: ::std::string::String::from("client"),
                        message: ::std::format!("the embedded spec does not parse: {err}; regenerate the connector"),
                    })?;
                let connector = ::connector_runtime::Connector::new(spec, secrets.to_runtime(), options)?;
                ::std::result::Result::Ok(Client { connector })
            }

            /// The untyped runtime connector: any resource by name, records as JSON.
            pub fn connector(&self) -> &::connector_runtime::Connector {
                &self.connector
            }

            /// The untyped runtime connector, by value.
            pub fn into_connector(self) -> ::connector_runtime::Connector {
                self.connector
            }

            #(#methods)*
        }
    }
}
