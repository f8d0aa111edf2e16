//! The generator's feature fixture (every data type, nested objects and lists, keywords,
//! parent fields, a resource without columns, a reserved resource name, checked samples).
#![deny(warnings, missing_docs)]

/// Features.
#[connector::connector("connector-codegen/tests/fixtures/features.yaml")]
pub mod features {}

use features::types::{Event, Issue, Repo, RepoLabelsItem, RepoOwner, Resource};

fn _fields(repo: &Repo, issue: &Issue, event: &Event, resource: &Resource) {
    let _: i64 = repo.id;
    let _: &String = &repo.full_name;
    let _: Option<&String> = repo.type_.as_ref();
    let _: Option<bool> = repo.x2fa;
    let _: Option<i64> = repo.stargazers_count;
    let _: Option<f64> = repo.score;
    let _: &RepoOwner = &repo.owner;
    let _: Option<&Vec<String>> = repo.topics.as_ref();
    let _: Option<&Vec<RepoLabelsItem>> = repo.labels.as_ref();
    let _: i64 = issue.repos_id;
    let _: &connector_runtime::serde_json::Value = &event.id;
    let _ = (&resource.kind, &resource.key);
}

fn _methods(c: &features::Client, repo: &Repo) {
    let _ = c.issues_for(repo);
    let _ = c.resources_records();
    let _ = c.events();
}

fn main() {}
