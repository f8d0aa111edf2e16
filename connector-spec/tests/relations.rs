//! `parent_of`, `dependency_order` and `secret_names` on the seeds and on dlt's parent forms.

use connector_spec::{parse_str, ParentBinding, ParentLink, Spec, Where};

fn spec(yaml: &str) -> Spec {
    match parse_str(yaml, "test.yaml") {
        Ok(loaded) => loaded.spec,
        Err(diags) => panic!("spec should load: {diags:#?}"),
    }
}

fn seed(name: &str) -> Spec {
    let path = format!("{}/../specs/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    match connector_spec::load(std::path::Path::new(&path)) {
        Ok(loaded) => loaded.spec,
        Err(diags) => panic!("seed {name} should load: {diags:#?}"),
    }
}

#[test]
fn meetings_parent_id_is_inferred_from_the_only_other_resource() {
    let spec = seed("meetings");
    assert_eq!(spec.parent_of("users"), None);
    assert_eq!(
        spec.parent_of("meetings"),
        Some(ParentLink {
            parent: "users".into(),
            bindings: vec![ParentBinding {
                placeholder_or_param: Where::Path("parent_id".into()),
                parent_field: "id".into(),
            }],
        })
    );
    assert_eq!(spec.dependency_order(), vec!["users", "meetings"]);
}

#[test]
fn seed_secret_names_are_sorted_and_unique() {
    assert_eq!(
        seed("meetings").secret_names(),
        vec!["authorization_endpoint", "client_id", "client_secret"]
    );
    assert_eq!(
        seed("crm_analytics").secret_names(),
        vec!["account_id", "client_id", "client_secret", "refresh_token"]
    );
    assert_eq!(seed("rmm").secret_names(), vec!["api_key"]);
    assert_eq!(
        seed("device_inventory").secret_names(),
        vec!["password", "username"]
    );
}

const FORMS: &str = r#"
name: forms
client: { base_url: "https://api.example.com" }
resources:
  - name: children
    endpoint:
      path: /a/{resources.parents.id}/b
      params:
        q: "owner:{resources.parents.owner.login}"
        tok: { secret: tok }
      headers: { X-Parent: "{resources.parents.key}" }
      json: { filter: { ids: ["{resources.parents.id}"] } }
      method: POST
  - name: legacy
    endpoint:
      path: /c/{pid}
      params:
        pid: { type: resolve, resource: parents, field: uuid }
        other: { type: resolve, resource: parents, field: name }
  - name: parents
    endpoint: /parents
  - name: named
    parent: parents
    endpoint: /x/{parent_id}
"#;

#[test]
fn every_dlt_parent_form_is_a_binding() {
    let spec = spec(FORMS);
    let link = spec.parent_of("children").expect("children has a parent");
    assert_eq!(link.parent, "parents");
    let places: Vec<(Where, &str)> = link
        .bindings
        .iter()
        .map(|b| (b.placeholder_or_param.clone(), b.parent_field.as_str()))
        .collect();
    assert_eq!(
        places,
        vec![
            (Where::Path("resources.parents.id".into()), "id"),
            (
                Where::Param {
                    name: "q".into(),
                    placeholder: "resources.parents.owner.login".into()
                },
                "owner.login"
            ),
            (
                Where::Header {
                    name: "X-Parent".into(),
                    placeholder: "resources.parents.key".into()
                },
                "key"
            ),
            (
                Where::Json {
                    path: "filter.ids[0]".into(),
                    placeholder: "resources.parents.id".into()
                },
                "id"
            ),
        ]
    );
    let legacy = spec.parent_of("legacy").expect("legacy has a parent");
    assert_eq!(
        legacy.bindings,
        vec![
            ParentBinding {
                placeholder_or_param: Where::ResolveParam {
                    name: "pid".into(),
                    in_path: true
                },
                parent_field: "uuid".into()
            },
            ParentBinding {
                placeholder_or_param: Where::ResolveParam {
                    name: "other".into(),
                    in_path: false
                },
                parent_field: "name".into()
            },
        ]
    );
    assert_eq!(
        spec.parent_of("named").map(|l| l.parent).as_deref(),
        Some("parents")
    );
    assert_eq!(spec.parent_of("parents"), None);
    assert_eq!(spec.parent_of("nope"), None);
    assert_eq!(
        spec.dependency_order(),
        vec!["parents", "children", "legacy", "named"]
    );
    assert_eq!(spec.secret_names(), vec!["tok"]);
}

#[test]
fn grandchildren_come_after_their_parents() {
    let spec = spec(
        r#"
name: deep
client: { base_url: "https://api.example.com" }
resources:
  - { name: c, endpoint: "/c/{resources.b.id}" }
  - { name: b, endpoint: "/b/{resources.a.id}" }
  - { name: a, endpoint: /a }
"#,
    );
    assert_eq!(spec.dependency_order(), vec!["a", "b", "c"]);
}
