//! The generated record types' `Deserialize`: declared keys into typed fields (renamed,
//! keyword and nested ones included), every other key into `extra`, and serde's own messages
//! for missing, duplicate and mistyped fields, from bytes and from a JSON tree alike.

use serde_json::{json, Value};

#[connector::connector("connector-codegen/tests/fixtures/features.yaml")]
mod features {}

use features::types::{Event, Repo};

fn repo_json() -> Value {
    json!({
        "id": 7,
        "full-name": "octo/repo",
        "type": "public",
        "2fa": true,
        "stargazersCount": null,
        "score": 1.5,
        "owner": {"login": "octo", "site_admin": false, "avatar": "a.png"},
        "topics": ["rust", "etl"],
        "labels": [{"name": "bug", "shade": 3}],
        "settings": {"any": ["thing"]},
        "homepage": "https://example.com",
        "tab\tkey": 1
    })
}

#[test]
fn declared_keys_fill_fields_and_the_rest_go_to_extra() {
    let bytes = serde_json::to_vec(&repo_json()).unwrap();
    let repo: Repo = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(repo.id, 7);
    assert_eq!(repo.full_name, "octo/repo");
    assert_eq!(repo.type_.as_deref(), Some("public"));
    assert_eq!(repo.x2fa, Some(true));
    assert_eq!(repo.stargazers_count, None, "null is None");
    assert_eq!(repo.price, None, "absent is None");
    assert_eq!(repo.owner.login, "octo");
    assert_eq!(repo.owner.extra["avatar"], json!("a.png"));
    assert_eq!(repo.topics, Some(vec!["rust".to_owned(), "etl".to_owned()]));
    let labels = repo.labels.as_ref().unwrap();
    assert_eq!(
        (labels[0].name.as_str(), labels[0].color.as_deref()),
        ("bug", None)
    );
    assert_eq!(labels[0].extra["shade"], json!(3));
    assert_eq!(repo.settings, Some(json!({"any": ["thing"]})));
    assert_eq!(
        repo.extra.keys().collect::<Vec<_>>(),
        ["homepage", "tab\tkey"],
        "undeclared keys, an escaped one included"
    );
}

#[test]
fn bytes_and_tree_agree_and_serialize_gives_every_field_back() {
    let from_bytes: Repo =
        serde_json::from_slice(&serde_json::to_vec(&repo_json()).unwrap()).unwrap();
    let from_tree: Repo = serde_json::from_value(repo_json()).unwrap();
    assert_eq!(from_bytes, from_tree);

    let mut expected = repo_json();
    // Serialize leaves out `None` fields, as the derived impl did.
    expected.as_object_mut().unwrap().remove("stargazersCount");
    assert_eq!(serde_json::to_value(&from_tree).unwrap(), expected);
}

#[test]
fn a_missing_required_field_is_named() {
    let mut record = repo_json();
    record.as_object_mut().unwrap().remove("full-name");
    let err = serde_json::from_value::<Repo>(record).unwrap_err();
    assert_eq!(err.to_string(), "missing field `full-name`");

    let mut record = repo_json();
    record["owner"].as_object_mut().unwrap().remove("login");
    let bytes = serde_json::to_vec(&record).unwrap();
    let err = serde_json::from_slice::<Repo>(&bytes).unwrap_err();
    assert!(
        err.to_string().starts_with("missing field `login`"),
        "{err}"
    );
}

#[test]
fn a_required_field_may_not_be_null() {
    let mut record = repo_json();
    record["id"] = Value::Null;
    let err = serde_json::from_value::<Repo>(record).unwrap_err();
    assert_eq!(err.to_string(), "invalid type: null, expected i64");
}

#[test]
fn a_mistyped_field_says_what_it_expected() {
    let bytes = br#"{"id": "seven", "full-name": "x", "owner": {"login": "o"}}"#;
    let err = serde_json::from_slice::<Repo>(bytes).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid type: string \"seven\", expected i64"),
        "{err}"
    );
}

#[test]
fn a_declared_key_twice_is_an_error() {
    let bytes = br#"{"id": 1, "full-name": "x", "owner": {"login": "o"}, "id": 2}"#;
    let err = serde_json::from_slice::<Repo>(bytes).unwrap_err();
    assert!(err.to_string().starts_with("duplicate field `id`"), "{err}");
}

#[test]
fn a_record_that_is_not_an_object_is_refused() {
    let err = serde_json::from_str::<Repo>("[1, 2]").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid type: sequence, expected a `Repo` record (a JSON object)"),
        "{err}"
    );
}

#[test]
fn a_resource_without_columns_keeps_its_key_and_everything_else() {
    let event: Event = serde_json::from_str(r#"{"id": "e-1", "kind": "push"}"#).unwrap();
    assert_eq!(event.id, json!("e-1"));
    assert_eq!(event.extra["kind"], json!("push"));
}
