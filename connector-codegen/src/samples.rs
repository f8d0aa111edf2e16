//! The compile-time sample check: recorded responses named by a resource's `samples:` must fit
//! its declared columns, as sqlx's offline data must fit the queries.
//!
//! A sample file is a JSON list of records, or a whole response body from which the resource's
//! `data_selector` picks the records (as the runtime does). Each record must be an object and
//! fit the declared columns by [`connector_spec::fit`]'s rule (the one `connector check --live`
//! applies to the live API). Undeclared fields are fine: they land in the `extra` map.

use std::path::{Path, PathBuf};

use connector_spec::fit::{fit, preview};
use connector_spec::ResolvedResource;
use serde_json::Value;

use crate::error::Problem;

/// Every sample file of the resources, resolved against `dir` (the spec's directory), in spec
/// order. The macro reads these so that editing a sample rebuilds the crate.
pub fn sample_paths(resources: &[ResolvedResource], dir: &Path) -> Vec<PathBuf> {
    resources
        .iter()
        .flat_map(|r| r.samples.iter().map(|s| dir.join(s)))
        .collect()
}

/// Checks every sample of every resource, pushing one problem per mismatch.
pub(crate) fn check(resources: &[ResolvedResource], dir: &Path, problems: &mut Vec<Problem>) {
    for resource in resources {
        for (index, sample) in resource.samples.iter().enumerate() {
            let key = format!("resources.{}.samples[{index}]", resource.name);
            check_file(resource, sample, &dir.join(sample), &key, problems);
        }
    }
}

fn check_file(
    resource: &ResolvedResource,
    sample: &str,
    path: &Path,
    key: &str,
    problems: &mut Vec<Problem>,
) {
    let fail = |message: String| Problem::new(key, message).anchor(sample);
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            problems.push(
                fail(format!("cannot read sample `{sample}`: {err}"))
                    .help("sample paths are relative to the spec file's directory"),
            );
            return;
        }
    };
    let body: Value = match serde_json::from_slice(&text) {
        Ok(body) => body,
        Err(err) => {
            problems.push(fail(format!("sample `{sample}` is not JSON: {err}")));
            return;
        }
    };
    let records = match &body {
        Value::Array(items) => items.clone(),
        _ => {
            let root = connector_spec::selector::Selector::root();
            let selector = resource.data_selector.as_ref().unwrap_or(&root);
            match selector.records(&body) {
                Some(records) => records,
                None => {
                    problems.push(
                        fail(format!(
                            "sample `{sample}`: data_selector `{selector}` finds nothing in it"
                        ))
                        .help("record the whole response body, or a JSON list of records"),
                    );
                    return;
                }
            }
        }
    };
    for (index, record) in records.iter().enumerate() {
        if !record.is_object() {
            problems.push(fail(format!(
                "sample `{sample}`, record {index}: expected a JSON object, found {}",
                preview(record)
            )));
            continue;
        }
        for misfit in fit(&resource.columns, record).misfits {
            problems.push(fail(format!(
                "sample `{sample}`, record {index}, field `{}`: {misfit}",
                misfit.path
            )));
        }
    }
}
