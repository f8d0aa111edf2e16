//! Rustdoc text taken from the spec: what a resource fetches and how, what a column holds.

use connector_spec::fit::type_name;
use connector_spec::resolved::{PaginatorPlan, RequestField};
use connector_spec::{Column, DataType, Method, ResolvedResource, ResolvedSpec};
use proc_macro2::TokenStream;
use quote::quote;

/// `#[doc]` attributes for doc lines (prettyplease prints them as `///` comments).
pub(crate) fn doc_attrs(lines: &[String]) -> TokenStream {
    let lines = lines.iter().map(|line| {
        if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        }
    });
    quote!(#(#[doc = #lines])*)
}

/// The documentation of a generated module: the spec's description and where it came from.
pub fn module_doc(spec: &ResolvedSpec) -> Vec<String> {
    let mut doc = vec![format!(
        "The `{}` connector, generated from its spec.",
        spec.name
    )];
    if let Some(description) = &spec.description {
        doc.push(String::new());
        doc.extend(description.lines().map(str::to_owned));
    }
    doc.push(String::new());
    doc.push(format!("Base URL: `{}`.", spec.client.base_url));
    doc
}

/// Doc lines of a resource's record struct.
pub(crate) fn resource_doc(resource: &ResolvedResource) -> Vec<String> {
    let mut doc = vec![format!("A record of resource `{}`.", resource.name)];
    doc.push(String::new());
    doc.push(format!(
        "- Endpoint: `{} {}`",
        method_name(resource.method),
        resource.path.source()
    ));
    if let Some(selector) = &resource.data_selector {
        doc.push(format!("- Records at: `{selector}`"));
    }
    doc.push(format!(
        "- Pagination: {}",
        paginator_summary(&resource.paginator)
    ));
    if let Some(link) = &resource.parent {
        let fields: Vec<String> = link
            .key_fields
            .iter()
            .map(|field| format!("`{field}`"))
            .collect();
        doc.push(format!(
            "- Parent: `{}` (one request per parent record, binding {})",
            link.resource,
            if fields.is_empty() {
                "no field".to_owned()
            } else {
                fields.join(", ")
            }
        ));
    }
    doc.push(format!("- Table: `{}`", resource.table_name));
    if !resource.primary_key.is_empty() {
        let keys: Vec<String> = resource
            .primary_key
            .iter()
            .map(|k| format!("`{k}`"))
            .collect();
        doc.push(format!("- Primary key: {}", keys.join(", ")));
    }
    doc.push(format!(
        "- Write disposition: {}",
        resource.disposition.as_str()
    ));
    doc
}

/// Doc lines of a column's field.
pub(crate) fn column_doc(name: &str, column: &Column) -> Vec<String> {
    let mut doc = Vec::new();
    match &column.description {
        Some(description) => doc.extend(description.lines().map(str::to_owned)),
        None => doc.push(format!("Column `{name}`.")),
    }
    doc.push(String::new());
    let nullable = if column.nullable.unwrap_or(true) {
        "nullable: absent or null is `None`"
    } else {
        "required, never null"
    };
    doc.push(format!("`{}`, {nullable}.", type_name(column)));
    if let Some(format) = column.format {
        doc.push(format!(
            "RFC 3339 text, as the schema document's `format: {}` promises; a value that does \
             not parse ends the stream with an error naming the record (a `columns` entry with \
             `data_type: text` keeps the text instead).",
            format.as_str()
        ));
        return doc;
    }
    match column.data_type.unwrap_or(DataType::Text) {
        DataType::Timestamp | DataType::Date | DataType::Time => doc.push(
            "Kept as the API's text: APIs write dates in many formats (RFC 3339, naive, \
             epoch strings) and a strict parse would reject the whole record; parse it with the \
             date library of your choice."
                .to_owned(),
        ),
        DataType::Decimal | DataType::Wei => {
            doc.push("Kept as text so no digit is lost to floating point.".to_owned())
        }
        DataType::Binary => doc.push("Base64 text, as it is in JSON.".to_owned()),
        DataType::Text if !column.enum_values.is_empty() => doc.push(format!(
            "One of {}; any other value is kept too (the table column is text).",
            column
                .enum_values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => {}
    }
    doc
}

fn paginator_summary(paginator: &PaginatorPlan) -> String {
    let at = |field: &RequestField| match field {
        RequestField::Query(name) => format!("`{name}`"),
        RequestField::Body(path) => format!("body `{}`", path.join(".")),
    };
    match paginator {
        PaginatorPlan::Auto => "detected from the first response".to_owned(),
        PaginatorPlan::SinglePage => "single page".to_owned(),
        PaginatorPlan::PageNumber(p) => {
            let mut s = format!("page number ({}", at(&p.page_at));
            if let Some(limit) = &p.limit {
                s.push_str(&format!(", {} per page", limit.value));
            }
            s.push(')');
            s
        }
        PaginatorPlan::Offset(p) => format!("offset, {} per request", p.limit),
        PaginatorPlan::Cursor(p) => {
            format!("cursor ({} from `{}`)", at(&p.cursor_at), p.cursor_path)
        }
        PaginatorPlan::JsonLink(p) => format!("next link at `{}`", p.next_url_path),
        PaginatorPlan::HeaderLink(_) => "`Link` header".to_owned(),
        PaginatorPlan::HeaderCursor(p) => format!("cursor header `{}`", p.cursor_key),
    }
}

fn method_name(method: Method) -> &'static str {
    match method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    }
}
