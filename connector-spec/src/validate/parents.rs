//! Parent links: resolve params and `include_from_parent` point at parent columns, each child
//! has one parent, the parent exists, `{parent_id}` is attributable, and there are no cycles.

use crate::model::*;
use crate::relations::parent_refs;
use crate::suggest::{did_you_mean, list};

use super::{parent_field_declared, Problems, Res};

/// dlt's `{ type: resolve, resource, field }` params: the resource exists, is another
/// resource, and declares the field.
pub(super) fn resolve_params(res: &Res, all: &[Res], p: &mut Problems) {
    let r = &res.resolved;
    let names: Vec<&str> = all.iter().map(|x| x.raw.name.as_str()).collect();
    for (name, value) in &r.endpoint.params {
        if let ParamValue::Special(SpecialParam::Resolve(resolve)) = value {
            let field = format!("params.{name}");
            let path = res.endpoint_origin(&field, |e| e.params.contains_key(name));
            let in_path = crate::template::placeholders(r.path())
                .iter()
                .any(|p| p.text == *name);
            if !in_path {
                // dlt rejects a resolve param the path does not use; sending it as a query
                // parameter is what users ask for (dlt#1978), so it is kept, and said.
                p.warning(
                    path.clone(),
                    format!(
                        "resolve param `{name}` is not in the path: each request sends it as \
                         query parameter `{name}` (dlt rejects this form)"
                    ),
                )
                .help(format!(
                    "to put it in the path, write `{{{name}}}` there; to keep it as a query \
                     parameter, `{name}: '{{resources.{}.{}}}'` says so in dlt's syntax",
                    resolve.resource, resolve.field
                ))
                .at_key();
            }
            match all.iter().find(|x| x.raw.name == resolve.resource) {
                None => {
                    p.error(
                        format!("{path}.resource"),
                        format!(
                            "resolve param `{name}` refers to resource `{}`, which does not exist",
                            resolve.resource
                        ),
                    )
                    .maybe_help(did_you_mean(&resolve.resource, &names));
                }
                Some(parent) if parent.raw.name == r.name => {
                    p.error(
                        format!("{path}.resource"),
                        "a resource cannot resolve from itself",
                    );
                }
                Some(parent) => parent_field_declared(
                    &parent.resolved,
                    &resolve.field,
                    &format!("{path}.field"),
                    &format!("resolve param `{name}`"),
                    p,
                ),
            }
        }
    }
}

/// `include_from_parent` needs a parent that declares those columns.
pub(super) fn include_from_parent(spec: &Spec, res: &Res, all: &[Res], p: &mut Problems) {
    let r = &res.resolved;
    if !r.include_from_parent.is_empty() {
        let own = !res.raw.include_from_parent.is_empty();
        let path = res.origin("include_from_parent", own);
        match spec
            .parent_of(&r.name)
            .and_then(|l| all.iter().find(|x| x.raw.name == l.parent))
        {
            None => {
                // A broken parent reference is reported where it is written.
                let names_parent = res.raw.parent.is_some() || !parent_refs(r).is_empty();
                if own && !names_parent {
                    p.error(
                        path,
                        format!(
                            "include_from_parent is set but resource `{}` has no parent",
                            r.name
                        ),
                    )
                    .at_key();
                }
            }
            Some(parent) => {
                for (i, field) in r.include_from_parent.iter().enumerate() {
                    let at = if own {
                        format!("{path}[{i}]")
                    } else {
                        format!("{}.name", res.path())
                    };
                    parent_field_declared(&parent.resolved, field, &at, "include_from_parent", p);
                }
            }
        }
    }
}

/// Parent links: targets exist, one parent per child, `{parent_id}` attributable, no cycles.
pub(super) fn parents(spec: &Spec, all: &[Res], p: &mut Problems) {
    let names: Vec<&str> = all.iter().map(|x| x.raw.name.as_str()).collect();
    for res in all {
        parent_key_exists(res, &names, p);
        let names_parent = one_parent(res, &names, p);
        parent_id_attributable(spec, res, all, names_parent, p);
    }
    no_cycles(spec, all, &names, p);
}

/// `parent:` names another resource of the spec.
fn parent_key_exists(res: &Res, names: &[&str], p: &mut Problems) {
    let Some(parent) = &res.raw.parent else {
        return;
    };
    let path = format!("{}.parent", res.path());
    if !names.contains(&parent.as_str()) {
        p.error(
            path,
            format!("parent `{parent}` is not a resource of this spec"),
        )
        .maybe_help(did_you_mean(parent, names));
    } else if parent == &res.resolved.name {
        p.error(path, "a resource cannot be its own parent");
    }
}

/// A child fans out over one parent: `parent:` and the placeholders and resolve params name
/// the same one. Returns whether any existing parent is named.
fn one_parent(res: &Res, names: &[&str], p: &mut Problems) -> bool {
    let r = &res.resolved;
    let refs = parent_refs(r);
    // Only parents that exist: a missing one is reported where it is named.
    let mut named: Vec<&str> = refs
        .iter()
        .filter_map(|x| x.resource.as_deref())
        .filter(|n| names.contains(n))
        .collect();
    if let Some(parent) = res.raw.parent.as_deref().filter(|n| names.contains(n)) {
        named.insert(0, parent);
    }
    named.dedup();
    let mut distinct: Vec<&str> = Vec::new();
    for n in named {
        if !distinct.contains(&n) {
            distinct.push(n);
        }
    }
    if distinct.len() > 1 {
        p.error(
            res.path() + ".endpoint",
            format!(
                "resource `{}` has more than one parent ({}); a child fans out over one parent",
                r.name,
                list(&distinct)
            ),
        )
        .at_key()
        .help("bind every placeholder to the same parent, or split the resource");
    }
    !distinct.is_empty()
}

/// A bare `{parent_id}` needs a parent: named, or the one inferable.
fn parent_id_attributable(
    spec: &Spec,
    res: &Res,
    all: &[Res],
    names_parent: bool,
    p: &mut Problems,
) {
    let r = &res.resolved;
    let bare = parent_refs(r).iter().any(|x| x.resource.is_none());
    if !bare || names_parent || spec.inferred_parent(&r.name).is_some() {
        return;
    }
    let candidates: Vec<&str> = all
        .iter()
        .filter(|x| x.raw.name != r.name)
        .map(|x| x.raw.name.as_str())
        .collect();
    let help = match candidates.as_slice() {
        [] => "`{parent_id}` needs a parent resource; add one, or write the path without it"
            .to_owned(),
        _ => format!(
            "add `parent: <name>` to resource `{}` (one of: {})",
            r.name,
            list(&candidates)
        ),
    };
    let at = if res.own_endpoint().is_some_and(|e| e.path.is_some())
        || matches!(res.raw.endpoint, Some(EndpointEntry::Path(_)))
    {
        path_of_endpoint_path(res)
    } else {
        res.endpoint_origin("path", |e| e.path.is_some())
    };
    p.error(
        at,
        format!(
            "cannot tell which resource `{{parent_id}}` in `{}` refers to: no single resource without a parent of its own",
            r.name
        ),
    )
    .help(help);
}

/// Following parents from each resource never comes back to it.
fn no_cycles(spec: &Spec, all: &[Res], names: &[&str], p: &mut Problems) {
    let mut reported: Vec<String> = Vec::new();
    for res in all {
        let mut chain = vec![res.raw.name.clone()];
        let mut current = res.raw.name.clone();
        while let Some(link) = spec.parent_of(&current) {
            if link.parent == res.raw.name {
                if !chain.iter().any(|n| reported.contains(n)) && chain.len() > 1 {
                    chain.push(link.parent.clone());
                    p.error(
                        format!("{}.name", res.path()),
                        format!("parent cycle: {}", chain.join(" -> ")),
                    )
                    .help("a parent must be fetched before its children; break the cycle");
                    reported.extend(chain.iter().cloned());
                }
                break;
            }
            if chain.contains(&link.parent) || !names.contains(&link.parent.as_str()) {
                break;
            }
            chain.push(link.parent.clone());
            current = link.parent;
        }
    }
}

fn path_of_endpoint_path(res: &Res) -> String {
    match &res.raw.endpoint {
        Some(EndpointEntry::Path(_)) => format!("{}.endpoint", res.path()),
        _ => format!("{}.endpoint.path", res.path()),
    }
}
