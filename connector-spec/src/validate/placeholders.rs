//! `{placeholder}`s in a resource's request: each one is something the runtime can fill.
//!
//! The strings that may hold placeholders (the path, literal params and headers, the form
//! or raw body, the JSON body) are collected once, each with where it was written; each is parsed with the one
//! template grammar the runtime renders (so `check` refuses what would fail at run time), then
//! each placeholder is checked by its kind.

use crate::model::*;
use crate::suggest::{did_you_mean, list};
use crate::template::{json_strings, PlaceholderKind, Template, INCREMENTAL_PLACEHOLDERS};

use super::{is_incremental_param, parent_field_declared, Problems, Res};

/// A request string that may hold placeholders, and where it was written.
struct RequestString {
    /// Key path of the string (or of the nearest thing written, for a defaulted path).
    path: String,
    text: String,
    /// The endpoint path, where a bare `{name}` must be bound by a resolve param.
    is_path: bool,
}

/// Every `{placeholder}` in a resource's request is one the runtime can fill.
pub(super) fn placeholders_bound(spec: &Spec, res: &Res, all: &[Res], p: &mut Problems) {
    for s in request_strings(spec, res) {
        let template = match Template::parse(&s.text) {
            Ok(template) => template,
            Err(e) => {
                p.error(s.path.clone(), format!("`{}`: {e}", s.text))
                    .help("a placeholder is `{name}`; write `{{` and `}}` for literal braces");
                continue;
            }
        };
        for ph in template.placeholders() {
            match &ph.kind {
                PlaceholderKind::ParentField { resource, field } => {
                    parent_field(res, all, &s.path, &ph.text, resource, field, p);
                }
                PlaceholderKind::Incremental(which) => {
                    incremental_value(res, &s.path, &ph.text, which, p);
                }
                PlaceholderKind::ParentId => {}
                PlaceholderKind::Name(name) if name.contains('.') => {
                    unknown_context(&s.path, name, p);
                }
                PlaceholderKind::Name(name) if s.is_path => {
                    path_name_bound(res, &s.path, &s.text, name, p);
                }
                PlaceholderKind::Name(name) => request_name_bound(res, &s.path, name, p),
            }
        }
    }
}

/// The path, literal string params and headers, and the strings of the JSON body, in that
/// order.
fn request_strings(spec: &Spec, res: &Res) -> Vec<RequestString> {
    let r = &res.resolved;
    let mut strings = Vec::new();
    strings.push(RequestString {
        path: endpoint_path_origin(spec, res),
        text: r.path().to_owned(),
        is_path: true,
    });
    for (name, value) in &r.endpoint.params {
        if let ParamValue::Literal(Scalar::String(s)) = value {
            let field = format!("params.{name}");
            strings.push(RequestString {
                path: res.endpoint_origin(&field, |e| e.params.contains_key(name)),
                text: s.clone(),
                is_path: false,
            });
        }
    }
    for (name, value) in &r.endpoint.headers {
        if let StringOrSecret::Literal(s) = value {
            let field = format!("headers.{name}");
            strings.push(RequestString {
                path: res.endpoint_origin(&field, |e| e.headers.contains_key(name)),
                text: s.clone(),
                is_path: false,
            });
        }
    }
    if let Some(data) = &r.endpoint.data {
        let base = res.endpoint_origin("data", |e| e.data.is_some());
        if let RequestData::Raw(raw) = data {
            strings.push(RequestString {
                path: base.clone(),
                text: raw.clone(),
                is_path: false,
            });
        }
        for (i, (name, value)) in data.fields().into_iter().enumerate() {
            if let StringOrSecret::Literal(text) = value {
                let path = match data {
                    RequestData::Pairs(_) => format!("{base}[{i}][1]"),
                    _ => format!("{base}.{name}"),
                };
                strings.push(RequestString {
                    path,
                    text: text.clone(),
                    is_path: false,
                });
            }
        }
    }
    if let Some(json) = &r.endpoint.json {
        let base = res.endpoint_origin("json", |e| e.json.is_some());
        let mut found = Vec::new();
        json_strings(json, "", &mut found);
        for (sub, s) in found {
            strings.push(RequestString {
                path: crate::de::join_paths(&base, &sub),
                text: s.to_owned(),
                is_path: false,
            });
        }
    }
    strings
}

/// Where the endpoint path was written: the resource's `endpoint` when it is a bare path
/// string, the resource itself when neither it nor `resource_defaults` writes a path, else the
/// `path` key of the endpoint that sets it.
fn endpoint_path_origin(spec: &Spec, res: &Res) -> String {
    let defaults_have_path = spec
        .resource_defaults
        .as_ref()
        .and_then(|d| d.endpoint.as_ref())
        .and_then(|e| e.path.as_ref())
        .is_some();
    if res.own_endpoint().is_none() && res.raw.endpoint.is_some() {
        format!("{}.endpoint", res.path())
    } else if res.raw.endpoint.is_none() && !defaults_have_path {
        res.path()
    } else {
        res.endpoint_origin("path", |e| e.path.is_some())
    }
}

/// `{resources.<parent>.<field>}`: the parent exists, is another resource, and declares the
/// field.
fn parent_field(
    res: &Res,
    all: &[Res],
    path: &str,
    text: &str,
    resource: &str,
    field: &str,
    p: &mut Problems,
) {
    let names: Vec<&str> = all.iter().map(|x| x.raw.name.as_str()).collect();
    if !names.contains(&resource) {
        p.error(
            path,
            format!("`{{{text}}}` refers to resource `{resource}`, which does not exist"),
        )
        .maybe_help(did_you_mean(resource, &names));
    } else if resource == res.resolved.name {
        p.error(
            path,
            format!("`{{{text}}}`: a resource cannot be its own parent"),
        );
    } else if field.is_empty() {
        p.error(
            path,
            format!("`{{{text}}}` names no field; write `{{resources.{resource}.<field>}}`"),
        );
    } else if let Some(parent) = all.iter().find(|x| x.raw.name == resource) {
        parent_field_declared(&parent.resolved, field, path, &format!("`{{{text}}}`"), p);
    }
}

/// `{incremental.<which>}`: a known incremental value, on a resource that has `incremental`.
fn incremental_value(res: &Res, path: &str, text: &str, which: &str, p: &mut Problems) {
    let r = &res.resolved;
    if !INCREMENTAL_PLACEHOLDERS.contains(&which) {
        p.error(
            path,
            format!(
                "`{{incremental.{which}}}` is not an incremental value; valid: {}",
                list(INCREMENTAL_PLACEHOLDERS)
            ),
        )
        .maybe_help(did_you_mean(which, INCREMENTAL_PLACEHOLDERS));
        return;
    }
    let incremental = r.endpoint.incremental.as_ref().or_else(|| {
        r.endpoint.params.values().find_map(|v| match v {
            ParamValue::Special(SpecialParam::Incremental(i)) => Some(i),
            _ => None,
        })
    });
    if let Some(inc) = incremental {
        // The window starts at initial_value until a run has saved a cursor.
        if matches!(which, "start_value" | "initial_value" | "last_value")
            && inc.initial_value.is_none()
        {
            p.error(
                path,
                format!("`{{{text}}}` has no value on the first run: `incremental.initial_value` is not set"),
            )
            .help("set `initial_value` in the endpoint's `incremental`: the cursor value the first run starts from");
            return;
        }
        let unset = match which {
            "lag" => inc.lag.is_none(),
            "row_order" => inc.row_order.is_none(),
            _ => false,
        };
        if unset {
            p.error(
                path,
                format!("`{{{text}}}` has no value: `incremental.{which}` is not set"),
            )
            .help(format!("set `{which}` in the endpoint's `incremental`"));
        }
        return;
    }
    let has_incremental =
        r.endpoint.incremental.is_some() || r.endpoint.params.values().any(is_incremental_param);
    if !has_incremental {
        p.error(
            path,
            format!(
                "`{{{text}}}` is used but resource `{}` has no `incremental`",
                r.name
            ),
        )
        .help("add `incremental: { cursor_path: ..., initial_value: ... }` to the endpoint");
    }
}

/// `{<context>.<...>}` with a context other than `resources` and `incremental` (dlt's rule).
fn unknown_context(path: &str, name: &str, p: &mut Problems) {
    let context = name.split('.').next().unwrap_or_default();
    p.error(
        path,
        format!(
            "`{{{name}}}`: `{context}` is not a placeholder context; valid contexts: \
             `resources`, `incremental`"
        ),
    )
    .maybe_help(did_you_mean(context, &["resources", "incremental"]));
}

/// A bare `{name}` in a param, header or JSON body has a value only when a resolve param of
/// that name binds it into the path (the runtime would fail the resource otherwise).
fn request_name_bound(res: &Res, path: &str, name: &str, p: &mut Problems) {
    let bound_in_path = res
        .resolved
        .endpoint
        .params
        .iter()
        .any(|(k, v)| k == name && matches!(v, ParamValue::Special(SpecialParam::Resolve(_))));
    if !bound_in_path {
        p.error(path, format!("placeholder `{{{name}}}` has no value here"))
            .help(
                "write `{resources.<parent>.<field>}` for a parent's field or \
                 `{incremental.start_value}` for the incremental window",
            );
    }
}

/// A bare `{name}` in the endpoint path is bound by a resolve param of that name.
fn path_name_bound(res: &Res, path: &str, endpoint_path: &str, name: &str, p: &mut Problems) {
    let resolve_params: Vec<&str> = res
        .resolved
        .endpoint
        .params
        .iter()
        .filter(|(_, v)| matches!(v, ParamValue::Special(SpecialParam::Resolve(_))))
        .map(|(k, _)| k.as_str())
        .collect();
    let plain_param = res
        .resolved
        .endpoint
        .params
        .get(name)
        .is_some_and(|v| matches!(v, ParamValue::Literal(_)));
    if resolve_params.contains(&name) || plain_param {
        return;
    }
    let help = if resolve_params.is_empty() {
        format!(
            "give it a value with a param `{name}: <value>`, bind it to a parent with `{name}: {{ type: resolve, resource: <parent>, field: <field> }}`, or write `{{resources.<parent>.<field>}}`"
        )
    } else {
        format!("resolve params here: {}", list(&resolve_params))
    };
    p.error(
        path,
        format!("placeholder `{{{name}}}` in path `{endpoint_path}` is not bound"),
    )
    .help(help);
}

#[cfg(test)]
mod tests {
    const HEAD: &str = "name: t\nclient: { base_url: 'https://api.example.com' }\nresources:\n";

    fn errors(resources: &str) -> Vec<crate::Diagnostic> {
        crate::parse_str(&format!("{HEAD}{resources}"), "t.yaml").unwrap_err()
    }

    #[test]
    fn an_unclosed_brace_is_a_check_error_at_its_line() {
        // It used to pass `connector check` and fail only when the runtime built the connector.
        let found = errors("  - name: a\n    endpoint: { path: '/a/{id' }\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].line, 5);
        assert_eq!(
            found[0].message,
            "`/a/{id`: `{` at character 4 has no closing `}` (write `{{` for a literal brace)"
        );
        let found =
            errors("  - name: a\n    endpoint:\n      path: /a\n      headers: { X-Q: 'v{}' }\n");
        assert_eq!(found[0].line, 7, "{found:?}");
        assert!(found[0].message.contains("empty placeholder"), "{found:?}");
        let found = errors("  - name: a\n    endpoint:\n      path: /a\n      method: POST\n      json: { q: ['{x'] }\n");
        assert_eq!(
            found[0].key_path, "resources[0].endpoint.json.q[0]",
            "{found:?}"
        );
    }

    #[test]
    fn a_header_name_that_is_not_a_token_is_a_check_error() {
        // It used to pass `connector check` and fail only when the runtime built the connector.
        let found =
            errors("  - name: a\n    endpoint:\n      path: /a\n      headers: { 'X Bad': v }\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].message, "`X Bad` is not a valid HTTP header name");
        assert_eq!((found[0].line, found[0].column), (7, 18), "{found:?}");
    }

    #[test]
    fn a_placeholder_with_an_unknown_context_is_a_check_error() {
        // dlt rejects it; it used to pass `connector check` and fail at run time.
        let found = errors(
            "  - name: posts\n    endpoint:\n      path: /posts\n      params: { author: '{unknown.posts.id}' }\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].message,
            "`{unknown.posts.id}`: `unknown` is not a placeholder context; valid contexts: \
             `resources`, `incremental`"
        );
        assert_eq!(found[0].line, 7);
        let found = errors(
            "  - name: posts\n    endpoint:\n      path: /posts\n      headers: { X-Id: '{id}' }\n",
        );
        assert_eq!(
            found[0].message, "placeholder `{id}` has no value here",
            "{found:?}"
        );
    }
}
