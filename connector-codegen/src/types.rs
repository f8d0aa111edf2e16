//! Record structs: one per resource from its resolved columns, plus one per nested object.
//!
//! Planning (names, types, collisions) is kept apart from printing tokens, so every problem in
//! a spec is found in one pass and reported together.

use std::collections::BTreeMap;

use connector_spec::{Column, DataType, ResolvedResource, TextFormat};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::describe;
use crate::error::Problem;
use crate::naming::{needs_rename, sanitize, singular, Case};

/// One generated struct.
#[derive(Debug, Clone)]
pub(crate) struct StructPlan {
    pub ident: String,
    pub doc: Vec<String>,
    pub fields: Vec<FieldPlan>,
    /// Name of the flattened map of undeclared fields.
    pub extra_ident: String,
}

/// One field of a generated struct.
#[derive(Debug, Clone)]
pub(crate) struct FieldPlan {
    /// The key in the JSON record.
    pub original: String,
    pub ident: String,
    /// The type without `Option`.
    pub ty: TokenStream,
    pub optional: bool,
    pub doc: Vec<String>,
}

/// One generated enum: a text column's documented values, plus a variant that keeps any
/// other value as it came.
#[derive(Debug, Clone)]
pub(crate) struct EnumPlan {
    pub ident: String,
    pub doc: Vec<String>,
    /// (variant, the value as the API writes it).
    pub variants: Vec<(String, String)>,
    /// The variant holding values not listed.
    pub other: String,
}

/// The record type of each resource (by resource name) and every struct and enum to print,
/// in order.
#[derive(Debug, Default)]
pub(crate) struct TypesPlan {
    pub record_of: BTreeMap<String, String>,
    pub structs: Vec<StructPlan>,
    pub enums: Vec<EnumPlan>,
}

/// The types a record's columns need besides the record itself.
#[derive(Debug, Default)]
struct Nested {
    structs: Vec<StructPlan>,
    enums: Vec<EnumPlan>,
}

/// Plans every struct of a spec; problems are pushed, never returned early.
pub(crate) fn plan(resources: &[ResolvedResource], problems: &mut Vec<Problem>) -> TypesPlan {
    let mut out = TypesPlan::default();
    let record_names = record_type_names(resources);
    // Names already taken in `types`, with the key path that took them (collision messages).
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    for (index, resource) in resources.iter().enumerate() {
        let key = format!("resources.{}", resource.name);
        let ident = record_names[index].clone();
        claim(&mut taken, &ident, &key, &resource.name, problems);
        out.record_of.insert(resource.name.clone(), ident.clone());

        let mut columns: Vec<(String, Column)> = resource
            .columns
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // A primary key column the spec does not declare (no columns at all, or dlt's
        // key beside a few hinted columns) still gets a field so the record has its
        // identity, as untyped JSON since nothing says whether it is a number or a string
        // (a guess would fail every record of the other kind).
        let undeclared: Vec<String> = resource
            .primary_key
            .iter()
            .filter(|key| !resource.columns.contains_key(*key) && !key.contains('.'))
            .cloned()
            .collect();
        for key_column in &undeclared {
            columns.push((
                key_column.clone(),
                Column {
                    data_type: Some(DataType::Json),
                    nullable: Some(false),
                    description: Some(format!(
                        "Primary key column `{key_column}`; its type is not declared."
                    )),
                    ..Column::default()
                },
            ));
        }
        let mut fields = Vec::new();
        let mut nested = Nested::default();
        for (name, column) in &columns {
            let field_key = format!("{key}.columns.{name}");
            fields.push(field_plan(
                name,
                column,
                &ident,
                &field_key,
                &mut nested,
                problems,
            ));
        }
        fields.extend(parent_fields(resources, resource, &columns));
        let mut doc = describe::resource_doc(resource);
        if resource.columns.is_empty() {
            doc.push(String::new());
            doc.push(
                "The spec declares no columns: the primary key has a field (untyped JSON), \
                 every other field is in the `extra` map."
                    .to_owned(),
            );
        }
        let record = finish_struct(ident, doc, fields, &key, &resource.name, problems);
        out.structs.push(record);
        for s in nested.structs {
            claim(&mut taken, &s.ident, &key, &s.ident, problems);
            out.structs.push(s);
        }
        for e in nested.enums {
            claim(&mut taken, &e.ident, &key, &e.ident, problems);
            out.enums.push(e);
        }
    }
    out
}

/// The record type name of each resource: the singular of its name (`users` -> `User`), or its
/// name as written when two singulars would collide.
fn record_type_names(resources: &[ResolvedResource]) -> Vec<String> {
    let singulars: Vec<String> = resources
        .iter()
        .map(|r| sanitize(&singular(&r.name), Case::Pascal))
        .collect();
    singulars
        .iter()
        .zip(resources)
        .map(|(s, r)| {
            if singulars.iter().filter(|o| *o == s).count() > 1 {
                sanitize(&r.name, Case::Pascal)
            } else {
                s.clone()
            }
        })
        .collect()
}

fn claim(
    taken: &mut BTreeMap<String, String>,
    ident: &str,
    key: &str,
    anchor: &str,
    problems: &mut Vec<Problem>,
) {
    if let Some(first) = taken.get(ident) {
        problems.push(
            Problem::new(
                key,
                format!("the generated type name `{ident}` is already used by `{first}`"),
            )
            .help("rename one of the resources or nested columns")
            .anchor(anchor),
        );
    } else {
        taken.insert(ident.to_owned(), key.to_owned());
    }
}

/// Checks field names for collisions, picks the name of the `extra` map, and builds the plan.
fn finish_struct(
    ident: String,
    doc: Vec<String>,
    fields: Vec<FieldPlan>,
    key: &str,
    anchor_fallback: &str,
    problems: &mut Vec<Problem>,
) -> StructPlan {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for field in &fields {
        if let Some(first) = seen.insert(&field.ident, &field.original) {
            problems.push(
                Problem::new(
                    format!("{key}.columns.{}", field.original),
                    format!(
                        "columns `{first}` and `{}` both become the Rust field `{}`",
                        field.original, field.ident
                    ),
                )
                .help("remove one of them, or give them names that differ in more than case and punctuation")
                .anchor(if field.original.is_empty() { anchor_fallback } else { &field.original }),
            );
        }
    }
    let extra_ident = ["extra", "extra_", "extra__"]
        .into_iter()
        .find(|candidate| !seen.contains_key(candidate))
        .unwrap_or("extra___")
        .to_owned();
    StructPlan {
        ident,
        doc,
        fields,
        extra_ident,
    }
}

fn field_plan(
    name: &str,
    column: &Column,
    owner: &str,
    key: &str,
    nested: &mut Nested,
    problems: &mut Vec<Problem>,
) -> FieldPlan {
    let ident = sanitize(name, Case::Snake);
    let ty = rust_type(
        column,
        &format!("{owner}{}", sanitize(name, Case::Pascal)),
        key,
        nested,
        problems,
    );
    FieldPlan {
        original: name.to_owned(),
        ident,
        ty,
        optional: column.nullable.unwrap_or(true),
        doc: describe::column_doc(name, column),
    }
}

/// The Rust type of a column's value (without the `Option` for nullability).
fn rust_type(
    column: &Column,
    nested_name: &str,
    key: &str,
    nested: &mut Nested,
    problems: &mut Vec<Problem>,
) -> TokenStream {
    let string = quote!(::std::string::String);
    if !column.enum_values.is_empty()
        && column.data_type.unwrap_or(DataType::Text) == DataType::Text
    {
        let plan = enum_plan(nested_name, key, column);
        let ident = format_ident!("{}", plan.ident);
        nested.enums.push(plan);
        return quote!(#ident);
    }
    match column.format {
        Some(TextFormat::DateTime) => {
            return quote!(::connector_runtime::chrono::DateTime<::connector_runtime::chrono::Utc>)
        }
        Some(TextFormat::Date) => return quote!(::connector_runtime::chrono::NaiveDate),
        None => {}
    }
    match column.data_type.unwrap_or(DataType::Text) {
        DataType::Text
        | DataType::Timestamp
        | DataType::Date
        | DataType::Time
        | DataType::Decimal
        | DataType::Wei
        | DataType::Binary => string,
        DataType::Bigint => quote!(i64),
        DataType::Double => quote!(f64),
        DataType::Bool => quote!(bool),
        DataType::Json => {
            if let Some(items) = &column.items {
                let inner = rust_type(
                    items,
                    &format!("{nested_name}Item"),
                    &format!("{key}.items"),
                    nested,
                    problems,
                );
                // List elements are present unless the spec says they may be null.
                if items.nullable == Some(true) {
                    quote!(::std::vec::Vec<::std::option::Option<#inner>>)
                } else {
                    quote!(::std::vec::Vec<#inner>)
                }
            } else if !column.fields.is_empty() {
                let mut fields = Vec::new();
                for (name, field) in &column.fields {
                    let field_key = format!("{key}.fields.{name}");
                    fields.push(field_plan(
                        name,
                        field,
                        nested_name,
                        &field_key,
                        nested,
                        problems,
                    ));
                }
                let doc = vec![format!("The nested object at `{}`.", key)];
                let plan = finish_struct(
                    nested_name.to_owned(),
                    doc,
                    fields,
                    key,
                    nested_name,
                    problems,
                );
                let ident = format_ident!("{}", plan.ident);
                // Nested structs come before their parent's other nested structs, depth first.
                nested.structs.push(plan);
                quote!(#ident)
            } else {
                quote!(::connector_runtime::serde_json::Value)
            }
        }
    }
}

/// The enum of a text column with `enum` values: a variant per value (PascalCase, numbered
/// when two values would share one) and a variant for any other value.
fn enum_plan(ident: &str, key: &str, column: &Column) -> EnumPlan {
    let mut variants: Vec<(String, String)> = Vec::new();
    for value in &column.enum_values {
        if variants.iter().any(|(_, v)| v == value) {
            continue;
        }
        let base = match sanitize(value, Case::Pascal) {
            name if name.is_empty() || name == "_" => "Empty".to_owned(),
            name => name,
        };
        let mut name = base.clone();
        let mut n = 2;
        while variants.iter().any(|(v, _)| *v == name) {
            name = format!("{base}{n}");
            n += 1;
        }
        variants.push((name, value.clone()));
    }
    let other = ["Other", "OtherValue", "UnlistedValue"]
        .into_iter()
        .find(|o| !variants.iter().any(|(v, _)| v == o))
        .unwrap_or("UnlistedValue_")
        .to_owned();
    let mut doc = match &column.description {
        Some(d) => d.lines().map(str::to_owned).collect(),
        None => vec![format!("The values of `{key}`.")],
    };
    doc.push(String::new());
    doc.push(format!(
        "`{other}` keeps a value the spec does not list, as it came; serializing gives back \
         the text that was read."
    ));
    EnumPlan {
        ident: ident.to_owned(),
        doc,
        variants,
        other,
    }
}

/// `_<parent>_<field>` fields of a child that includes parent fields, typed from the parent's
/// columns (untyped JSON when the parent does not declare the field).
fn parent_fields(
    resources: &[ResolvedResource],
    resource: &ResolvedResource,
    own_columns: &[(String, Column)],
) -> Vec<FieldPlan> {
    let Some(link) = &resource.parent else {
        return Vec::new();
    };
    let parent = resources.iter().find(|r| r.name == link.resource);
    let mut out = Vec::new();
    for included in &resource.include_from_parent {
        let original = included.column.clone();
        if own_columns.iter().any(|(name, _)| *name == original) {
            continue;
        }
        let field = included.field.as_str();
        let ident = sanitize(&original, Case::Snake);
        let column = parent.and_then(|p| declared_column(p, &included.field));
        let (ty, optional) = match column {
            // The parent's enum type belongs to the parent's record; the child keeps the text.
            Some(c) if !c.enum_values.is_empty() => {
                (quote!(::std::string::String), c.nullable.unwrap_or(true))
            }
            Some(c) if c.data_type != Some(DataType::Json) => {
                let mut ignored = Vec::new();
                let ty = rust_type(c, "", "", &mut Nested::default(), &mut ignored);
                (ty, c.nullable.unwrap_or(true))
            }
            _ => (quote!(::connector_runtime::serde_json::Value), true),
        };
        out.push(FieldPlan {
            original: original.clone(),
            ident,
            ty,
            optional,
            doc: vec![format!(
                "`{field}` of the parent `{}` record (`include_from_parent`), as `{original}`.",
                link.resource
            )],
        });
    }
    out
}

/// The declared column a parent field path reaches: a top-level column, or a nested one
/// through `fields` (`location.region`).
fn declared_column<'c>(
    parent: &'c ResolvedResource,
    field: &connector_spec::selector::Selector,
) -> Option<&'c Column> {
    let keys = field.keys()?;
    let (first, rest) = keys.split_first()?;
    let mut column = parent.columns.get(*first)?;
    for key in rest {
        column = column.fields.get(*key)?;
    }
    Some(column)
}

/// Prints every planned struct and enum.
pub(crate) fn tokens(plan: &TypesPlan, json_schema: bool) -> TokenStream {
    let structs = plan.structs.iter().map(|s| struct_tokens(s, json_schema));
    let enums = plan.enums.iter().map(|e| enum_tokens(e, json_schema));
    quote!(#(#structs)* #(#enums)*)
}

/// An enum that reads and writes the API's text: a listed value is its variant, any other
/// value is kept in the `Other`-style variant, and writing gives back the text read.
fn enum_tokens(plan: &EnumPlan, json_schema: bool) -> TokenStream {
    let ident = format_ident!("{}", plan.ident);
    let doc = describe::doc_attrs(&plan.doc);
    let other = format_ident!("{}", plan.other);
    let names: Vec<_> = plan
        .variants
        .iter()
        .map(|(v, _)| format_ident!("{}", v))
        .collect();
    let values: Vec<&String> = plan.variants.iter().map(|(_, v)| v).collect();
    let variant_docs = values.iter().map(|v| format!(" `{v}`"));
    let schema = json_schema.then(|| {
        let name = &plan.ident;
        quote! {
            impl ::schemars::JsonSchema for #ident {
                fn schema_name() -> ::std::borrow::Cow<'static, str> {
                    ::std::borrow::Cow::Borrowed(#name)
                }

                fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                    ::schemars::json_schema!({ "type": "string", "examples": [#(#values),*] })
                }
            }
        }
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum #ident {
            #(
                #[doc = #variant_docs]
                #names,
            )*
            /// A value the spec does not list, as it came.
            #other(::std::string::String),
        }

        impl #ident {
            /// The value as the API writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#names => #values,)*
                    Self::#other(value) => value.as_str(),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #ident {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    #(#values => Self::#names,)*
                    _ => Self::#other(value),
                }
            }
        }

        impl ::std::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::connector_runtime::serde::Serialize for #ident {
            fn serialize<__S>(&self, __serializer: __S) -> ::std::result::Result<__S::Ok, __S::Error>
            where
                __S: ::connector_runtime::serde::Serializer,
            {
                __serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::connector_runtime::serde::Deserialize<'de> for #ident {
            fn deserialize<__D>(__deserializer: __D) -> ::std::result::Result<Self, __D::Error>
            where
                __D: ::connector_runtime::serde::Deserializer<'de>,
            {
                let value = <::std::string::String as ::connector_runtime::serde::Deserialize>::deserialize(__deserializer)?;
                ::std::result::Result::Ok(Self::from(value))
            }
        }

        #schema
    }
}

fn struct_tokens(plan: &StructPlan, json_schema: bool) -> TokenStream {
    let ident = format_ident!("{}", plan.ident);
    let doc = describe::doc_attrs(&plan.doc);
    let extra = format_ident!("{}", plan.extra_ident);
    let schema_derive = json_schema.then(|| quote!(#[derive(::schemars::JsonSchema)]));
    let fields = plan.fields.iter().map(|f| {
        let name = format_ident!("{}", f.ident);
        let doc = describe::doc_attrs(&f.doc);
        let inner = &f.ty;
        let original = &f.original;
        let rename = needs_rename(original, &f.ident).then(|| quote!(rename = #original));
        let optional = f.optional.then(|| {
            quote!(
                default,
                skip_serializing_if = "::std::option::Option::is_none"
            )
        });
        let serde = match (rename, optional) {
            (None, None) => None,
            (Some(r), None) => Some(quote!(#[serde(#r)])),
            (None, Some(o)) => Some(quote!(#[serde(#o)])),
            (Some(r), Some(o)) => Some(quote!(#[serde(#r, #o)])),
        };
        let ty = if f.optional {
            quote!(::std::option::Option<#inner>)
        } else {
            quote!(#inner)
        };
        quote! {
            #doc
            #serde
            pub #name: #ty,
        }
    });
    let deserialize = deserialize_tokens(plan);
    quote! {
        #doc
        #[derive(
            Debug,
            Clone,
            PartialEq,
            ::connector_runtime::serde::Serialize,
        )]
        #schema_derive
        #[serde(crate = "::connector_runtime::serde")]
        pub struct #ident {
            #(#fields)*
            /// Fields the spec does not declare, kept as they came (a loader must not drop data).
            #[serde(flatten)]
            pub #extra: ::connector_runtime::serde_json::Map<::std::string::String, ::connector_runtime::serde_json::Value>,
        }

        #deserialize
    }
}

/// `Deserialize` walking the object once: declared keys into their fields, any other key into
/// `extra`. Derived with `#[serde(flatten)]`, every record would be buffered and read twice
/// (see `connector_runtime::record`). Locals are the field names; every other name the impl
/// declares starts with `__`, which no sanitized name does, so no field or record type can
/// shadow it.
fn deserialize_tokens(plan: &StructPlan) -> TokenStream {
    let ident = format_ident!("{}", plan.ident);
    let extra = format_ident!("{}", plan.extra_ident);
    let expecting = format!("a `{}` record (a JSON object)", plan.ident);
    let slots = plan.fields.iter().map(|f| {
        let name = format_ident!("{}", f.ident);
        let inner = &f.ty;
        let key = &f.original;
        let ty = if f.optional {
            quote!(::std::option::Option<#inner>)
        } else {
            quote!(#inner)
        };
        quote!(let mut #name = ::connector_runtime::record::Field::<#ty>::new(#key);)
    });
    let arms = plan.fields.iter().map(|f| {
        let name = format_ident!("{}", f.ident);
        let key = &f.original;
        quote!(#key => #name.read(&mut __map)?,)
    });
    let values = plan.fields.iter().map(|f| {
        let name = format_ident!("{}", f.ident);
        if f.optional {
            quote!(#name: #name.optional(),)
        } else {
            quote!(#name: #name.required()?,)
        }
    });
    quote! {
        impl<'de> ::connector_runtime::serde::Deserialize<'de> for #ident {
            fn deserialize<__D>(__deserializer: __D) -> ::std::result::Result<Self, __D::Error>
            where
                __D: ::connector_runtime::serde::Deserializer<'de>,
            {
                struct __Visitor;

                impl<'de> ::connector_runtime::serde::de::Visitor<'de> for __Visitor {
                    type Value = #ident;

                    fn expecting(&self, __f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        __f.write_str(#expecting)
                    }

                    fn visit_map<__A>(self, mut __map: __A) -> ::std::result::Result<#ident, __A::Error>
                    where
                        __A: ::connector_runtime::serde::de::MapAccess<'de>,
                    {
                        #(#slots)*
                        let mut #extra = ::connector_runtime::serde_json::Map::new();
                        while let ::std::option::Option::Some(__key) =
                            __map.next_key::<::connector_runtime::record::FieldKey<'de>>()?
                        {
                            match __key.as_str() {
                                #(#arms)*
                                _ => {
                                    #extra.insert(__key.into_string(), __map.next_value()?);
                                }
                            }
                        }
                        ::std::result::Result::Ok(#ident {
                            #(#values)*
                            #extra,
                        })
                    }
                }

                __deserializer.deserialize_map(__Visitor)
            }
        }
    }
}
