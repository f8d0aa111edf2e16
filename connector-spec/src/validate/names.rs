//! Names that become Rust identifiers and environment variables: the connector's and each
//! resource's.

use std::collections::BTreeMap;

use crate::model::*;

use super::{is_lower_snake, Problems, Res};
use crate::naming::{sanitize, Case};

pub(super) fn connector_name(spec: &Spec, p: &mut Problems) {
    if !is_lower_snake(&spec.name) {
        let fixed = sanitize(&spec.name, Case::Snake);
        let e = p.error(
            "name",
            format!(
                "connector name `{}` must be lower snake case (a-z, 0-9, _; starting with a \
                 letter): it names the generated module and the secrets' environment variables",
                spec.name
            ),
        );
        if is_lower_snake(&fixed) {
            e.help(format!("use `{fixed}`"));
        }
    }
}

pub(super) fn resource_names(resources: &[Res], p: &mut Problems) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut sanitized: BTreeMap<String, usize> = BTreeMap::new();
    for res in resources {
        let name = &res.raw.name;
        // A bare-string entry has no `name` key; the locator then points at the entry.
        let name_path = format!("{}.name", res.path());
        if let Some(first) = seen.get(name) {
            p.error(
                name_path.clone(),
                format!("duplicate resource name `{name}` (first defined as resources[{first}])"),
            )
            .help("resource names must be unique; rename one");
            continue;
        }
        seen.insert(name.clone(), res.index);
        let clean = sanitize(name, Case::Snake);
        if !name.chars().any(|c| c.is_ascii_alphanumeric()) {
            p.error(
                name_path.clone(),
                format!(
                    "resource name `{name}` has no letters or digits to make an identifier from"
                ),
            );
            continue;
        }
        if let Some(first) = sanitized.get(&clean) {
            let other = &resources[*first].raw.name;
            p.error(
                name_path.clone(),
                format!(
                    "resource name `{name}` collides with `{other}`: both become `{clean}` in generated code"
                ),
            )
            .help("rename one of them");
            continue;
        }
        sanitized.insert(clean, res.index);
    }
}
