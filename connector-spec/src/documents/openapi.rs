//! The operations of an OpenAPI document (as oas3 reads them): found by `operationId` or by
//! path and method, and where their success response's JSON schema is.

use oas3::spec::Operation;

use super::document::{escape, Document};
use crate::vocabulary::Method;

/// One operation of the document.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// Its path as the document writes it (`/devices/{id}`).
    pub path: &'a str,
    /// Its method, lower case as in the document (`get`).
    pub method: &'static str,
    /// The operation.
    pub operation: &'a Operation,
}

impl Found<'_> {
    /// `/paths/~1devices/get`: the operation's JSON pointer.
    pub fn pointer(&self) -> String {
        format!("/paths/{}/{}", escape(self.path), self.method)
    }
}

/// Every operation, in document order.
pub fn operations(api: &oas3::Spec) -> Vec<Found<'_>> {
    let mut found = Vec::new();
    for (path, item) in api.paths.iter().flatten() {
        let methods = [
            ("get", &item.get),
            ("put", &item.put),
            ("post", &item.post),
            ("delete", &item.delete),
            ("patch", &item.patch),
        ];
        for (method, operation) in methods {
            if let Some(operation) = operation {
                found.push(Found {
                    path,
                    method,
                    operation,
                });
            }
        }
    }
    found
}

/// The operation with this `operationId`.
pub fn by_id<'a>(doc: &Document, api: &'a oas3::Spec, id: &str) -> Result<Found<'a>, String> {
    let all = operations(api);
    if let Some(found) = all
        .iter()
        .find(|f| f.operation.operation_id.as_deref() == Some(id))
    {
        return Ok(*found);
    }
    let ids: Vec<&str> = all
        .iter()
        .filter_map(|f| f.operation.operation_id.as_deref())
        .collect();
    let hint = crate::suggest::did_you_mean(id, &ids)
        .map(|h| format!("; {h}"))
        .unwrap_or_default();
    Err(format!(
        "`{}` has no operation with `operationId: {id}`{hint}",
        doc.display
    ))
}

/// The operation of an endpoint: its path (placeholders match whatever their names) and
/// method. An endpoint that is an absolute URL is matched by its path.
pub fn by_endpoint<'a>(
    doc: &Document,
    api: &'a oas3::Spec,
    path: &str,
    method: Method,
) -> Result<Found<'a>, String> {
    let method = method_word(method);
    let wanted = shape(path);
    let all = operations(api);
    if let Some(found) = all
        .iter()
        .find(|f| f.method == method && shape(f.path) == wanted)
    {
        return Ok(*found);
    }
    let paths: Vec<&str> = all
        .iter()
        .filter(|f| f.method == method)
        .map(|f| f.path)
        .collect();
    let hint = crate::suggest::did_you_mean(path, &paths)
        .map(|h| format!("; {h}"))
        .unwrap_or_default();
    Err(format!(
        "`{}` has no `{} {path}` operation (its {} paths: {}){hint}",
        doc.display,
        method.to_uppercase(),
        method.to_uppercase(),
        if paths.is_empty() {
            "none".to_owned()
        } else {
            paths.join(", ")
        }
    ))
}

/// The JSON pointer of the operation's success response schema: the lowest 2xx status (else
/// `2XX`) with a JSON media type, through a response `$ref`.
pub fn success_schema(doc: &Document, found: &Found<'_>) -> Result<String, String> {
    let responses = found
        .operation
        .responses
        .as_ref()
        .map(|r| r.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    let mut statuses: Vec<&String> = responses
        .iter()
        .filter(|s| s.len() == 3 && s.starts_with('2') && s.parse::<u16>().is_ok())
        .collect();
    statuses.sort();
    let status = statuses
        .first()
        .copied()
        .or_else(|| responses.iter().find(|s| s.eq_ignore_ascii_case("2XX")))
        .ok_or_else(|| {
            format!(
                "{}: the operation has no success (2xx) response",
                doc.at(&found.pointer())
            )
        })?;
    let mut pointer = format!("{}/responses/{}", found.pointer(), escape(status));
    if let Some(reference) = doc
        .get(&pointer)
        .and_then(|r| r.get("$ref"))
        .and_then(|r| r.as_str())
    {
        match reference.strip_prefix('#') {
            Some(local) if doc.get(local).is_some() => pointer = local.to_owned(),
            _ => {
                return Err(format!(
                    "{}: the response `$ref: {reference}` is not a response of this document",
                    doc.at(&pointer)
                ))
            }
        }
    }
    let content = doc
        .get(&format!("{pointer}/content"))
        .and_then(|c| c.as_object());
    let media = content.and_then(|c| {
        c.keys()
            .find(|m| m.starts_with("application/json"))
            .or_else(|| c.keys().find(|m| m.contains("json")))
    });
    let Some(media) = media else {
        return Err(format!(
            "{}: the `{status}` response has no JSON content (`content: {{application/json: \
             {{schema: ...}}}}`)",
            doc.at(&pointer)
        ));
    };
    let schema = format!("{pointer}/content/{}/schema", escape(media));
    if doc.get(&schema).is_none() {
        return Err(format!(
            "{}: the `{status}` response's `{media}` content has no `schema`",
            doc.at(&pointer)
        ));
    }
    Ok(schema)
}

/// The method as OpenAPI writes it.
pub fn method_word(method: Method) -> &'static str {
    match method {
        Method::Get => "get",
        Method::Post => "post",
        Method::Put => "put",
        Method::Patch => "patch",
        Method::Delete => "delete",
    }
}

/// A path with every `{placeholder}` blanked and the URL's origin and trailing `/` dropped,
/// so `/users/{resources.users.id}` matches `/users/{userId}`.
fn shape(path: &str) -> String {
    let path = match path.find("://") {
        Some(i) => path[i + 3..].find('/').map_or("/", |j| &path[i + 3 + j..]),
        None => path,
    };
    let mut out = String::from("/");
    let mut depth = 0usize;
    for c in path.trim_start_matches('/').chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push_str("{}");
                }
                depth += 1;
            }
            '}' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let trimmed = out.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::shape;

    #[test]
    fn paths_match_whatever_their_placeholders_are_named() {
        assert_eq!(
            shape("/users/{resources.users.id}/orders"),
            "/users/{}/orders"
        );
        assert_eq!(shape("users/{userId}/orders/"), "/users/{}/orders");
        assert_eq!(shape("https://api.example.com/v1/x"), "/v1/x");
    }
}
