//! One test per `resource_defaults` merge rule (resolve.rs lists them).

use connector_spec::{
    parse_str, Auth, Disposition, MergeStrategy, MergedResource, Paginator, PaginatorConfig,
    PaginatorKind, ParamValue, ResponseActionKind, Scalar, Spec, StringOrSecret,
};

fn spec(defaults: &str, resource: &str) -> Spec {
    spec_with_client("", defaults, resource)
}

fn spec_with_client(client_extra: &str, defaults: &str, resource: &str) -> Spec {
    let yaml = format!(
        "name: merge\nclient:\n  base_url: https://api.example.com\n{client_extra}\
         resource_defaults:\n{defaults}\nresources:\n  - name: things\n{resource}\n  - name: others\n"
    );
    match parse_str(&yaml, "merge.yaml") {
        Ok(loaded) => loaded.spec,
        Err(d) => panic!("{d:#?}\n{yaml}"),
    }
}

fn things(spec: &Spec) -> MergedResource {
    spec.merged_resource("things").expect("things")
}

fn others(spec: &Spec) -> MergedResource {
    spec.merged_resource("others").expect("others")
}

fn int(n: i64) -> ParamValue {
    ParamValue::Literal(Scalar::Int(n))
}

#[test]
fn params_merge_key_by_key_and_the_resource_wins() {
    let s = spec(
        "  endpoint:\n    params: { per_page: 50, sort: asc }",
        "    endpoint:\n      path: /things\n      params: { sort: desc, q: x }",
    );
    let t = things(&s);
    let keys: Vec<&str> = t.endpoint.params.keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["per_page", "sort", "q"]);
    assert_eq!(t.endpoint.params["per_page"], int(50));
    assert_eq!(
        t.endpoint.params["sort"],
        ParamValue::Literal(Scalar::String("desc".into()))
    );
    assert_eq!(others(&s).endpoint.params.len(), 2);
}

#[test]
fn headers_merge_key_by_key() {
    let s = spec(
        "  endpoint:\n    headers: { Account-Id: { secret: account_id }, Accept: text/csv }",
        "    endpoint:\n      headers: { Accept: application/json }",
    );
    let t = things(&s);
    assert_eq!(
        t.endpoint.headers["Accept"],
        StringOrSecret::Literal("application/json".into())
    );
    assert!(matches!(
        t.endpoint.headers["Account-Id"],
        StringOrSecret::Secret(_)
    ));
}

#[test]
fn form_data_merges_key_by_key() {
    let s = spec(
        "  endpoint:\n    method: POST\n    data: { a: '1', b: '2' }",
        "    endpoint:\n      data: { b: '3' }",
    );
    let data = things(&s).endpoint.data.expect("data");
    let lit = |s: &str| StringOrSecret::Literal(s.into());
    assert_eq!(data.fields(), [("a", &lit("1")), ("b", &lit("3"))]);
}

#[test]
fn a_raw_or_pairs_body_replaces_the_default_form_whole() {
    let s = spec(
        "  endpoint:\n    method: POST\n    data: { a: '1' }",
        "    endpoint:\n      data: 'q=raw'",
    );
    assert_eq!(
        things(&s).endpoint.data,
        Some(connector_spec::RequestData::Raw("q=raw".into()))
    );
    assert!(others(&s).endpoint.data.is_some());
}

#[test]
fn endpoint_scalars_come_from_defaults_unless_set() {
    let s = spec(
        "  endpoint:\n    data_selector: data\n    method: POST\n    json: { q: 1 }",
        "    endpoint:\n      data_selector: items",
    );
    let t = things(&s);
    assert_eq!(t.endpoint.data_selector.as_deref(), Some("items"));
    assert_eq!(others(&s).endpoint.data_selector.as_deref(), Some("data"));
    assert_eq!(t.method(), connector_spec::Method::Post);
    // The path defaults to the resource name.
    assert_eq!(others(&s).path(), "others");
}

#[test]
fn paginator_is_replaced_whole_never_merged() {
    let s = spec(
        "  endpoint:\n    paginator: { type: page_number, page_param: p, maximum_page: 3 }",
        "    endpoint:\n      paginator: { type: page_number, limit: 10 }",
    );
    let Some(Paginator::Config(PaginatorConfig::PageNumber(p))) = things(&s).paginator else {
        panic!("page_number");
    };
    assert_eq!(p.limit, Some(10));
    assert_eq!(
        p.page_param, None,
        "the default's page_param must not leak in"
    );
    assert_eq!(p.maximum_page, None);
}

#[test]
fn json_body_is_replaced_whole() {
    let s = spec(
        "  endpoint:\n    method: POST\n    json: { a: 1, b: 2 }",
        "    endpoint:\n      json: { b: 3 }",
    );
    assert_eq!(
        things(&s).endpoint.json,
        Some(serde_json::json!({ "b": 3 }))
    );
}

#[test]
fn auth_incremental_and_error_handler_are_replaced_whole() {
    let s = spec(
        "  endpoint:\n    auth: { type: bearer, token: { secret: a } }\n    \
         incremental: { cursor_path: updated_at, initial_value: '2024' }\n    \
         error_handler: { max_retries: 9, backoff_factor: 3 }",
        "    endpoint:\n      auth: { type: http_basic, username: u, password: { secret: p } }\n      \
         incremental: { cursor_path: modified }\n      error_handler: { max_retries: 1 }",
    );
    let t = things(&s);
    assert!(matches!(t.endpoint.auth, Some(Auth::HttpBasic { .. })));
    let inc = t.endpoint.incremental.expect("incremental");
    assert_eq!(inc.cursor_path, "modified");
    assert_eq!(inc.initial_value, None);
    let h = t.endpoint.error_handler.expect("error_handler");
    assert_eq!(h.max_retries, Some(1));
    assert_eq!(h.backoff_factor, None);
    assert!(matches!(
        others(&s).endpoint.auth,
        Some(Auth::Bearer { .. })
    ));
}

#[test]
fn response_actions_are_the_resources_list_else_the_defaults() {
    let s = spec(
        "  endpoint:\n    response_actions: [{ status_code: 404, action: ignore }]",
        "    endpoint:\n      response_actions: [{ content: quota, action: retry }]",
    );
    let t = things(&s);
    assert_eq!(t.endpoint.response_actions.len(), 1);
    assert_eq!(
        t.endpoint.response_actions[0].action,
        ResponseActionKind::Retry
    );
    assert_eq!(
        others(&s).endpoint.response_actions[0].status_code,
        Some(404)
    );
}

#[test]
fn paginator_precedence_is_endpoint_then_defaults_then_client() {
    let client = "  paginator: { type: offset, limit: 5 }\n";
    let s = spec_with_client(
        client,
        "  endpoint:\n    paginator: single_page",
        "    endpoint:\n      paginator: { type: cursor }",
    );
    assert!(matches!(
        things(&s).paginator,
        Some(Paginator::Config(PaginatorConfig::Cursor(_)))
    ));
    assert_eq!(
        others(&s).paginator,
        Some(Paginator::Name(PaginatorKind::SinglePage))
    );
    let s = spec_with_client(client, "  primary_key: id", "    endpoint: /things");
    assert!(matches!(
        things(&s).paginator,
        Some(Paginator::Config(PaginatorConfig::Offset(_)))
    ));
}

#[test]
fn single_entity_path_gets_single_page_and_root_selector() {
    let client = "  paginator: { type: offset, limit: 5 }\n";
    let s = spec_with_client(
        client,
        "  primary_key: id",
        "    endpoint: /things/{resources.others.id}",
    );
    let t = things(&s);
    assert_eq!(
        t.paginator,
        Some(Paginator::Name(PaginatorKind::SinglePage))
    );
    assert_eq!(t.endpoint.data_selector.as_deref(), Some("$"));
    // A paginator named by resource_defaults counts; a selector written counts.
    let s = spec_with_client(
        client,
        "  endpoint:\n    paginator: { type: cursor }",
        "    endpoint:\n      path: /things/{resources.others.id}\n      data_selector: item",
    );
    let t = things(&s);
    assert!(matches!(
        t.paginator,
        Some(Paginator::Config(PaginatorConfig::Cursor(_)))
    ));
    assert_eq!(t.endpoint.data_selector.as_deref(), Some("item"));
}

#[test]
fn columns_merge_column_by_column_and_the_resource_hint_replaces_whole() {
    let s = spec(
        "  columns:\n    id: { data_type: bigint, nullable: false }\n    note: { data_type: text, description: d }",
        "    columns:\n      note: { data_type: json }\n      extra: { data_type: bool }",
    );
    let t = things(&s);
    let names: Vec<&str> = t.columns.keys().map(String::as_str).collect();
    assert_eq!(names, vec!["id", "note", "extra"]);
    assert_eq!(t.columns["note"].description, None);
    assert_eq!(
        t.columns["note"].data_type,
        Some(connector_spec::DataType::Json)
    );
}

#[test]
fn resource_settings_fall_back_to_defaults() {
    let s = spec(
        "  primary_key: [id, region]\n  merge_key: day\n  write_disposition: { disposition: merge, strategy: upsert }\n  \
         table_name: shared\n  selected: false\n  parallelized: true\n  max_table_nesting: 2\n  \
         columns: { id: {}, region: {}, day: {} }",
        "    primary_key: id\n    write_disposition: replace\n    table_name: own\n    selected: true",
    );
    let t = things(&s);
    assert_eq!(t.primary_key, vec!["id"]);
    assert_eq!(t.disposition, Disposition::Replace);
    assert_eq!(t.table_name, "own");
    assert!(t.selected);
    assert_eq!(t.merge_key, vec!["day"]);
    let o = others(&s);
    assert_eq!(o.primary_key, vec!["id", "region"]);
    assert_eq!(
        (o.disposition, o.merge_strategy),
        (Disposition::Merge, MergeStrategy::Upsert)
    );
    assert_eq!(o.table_name, "shared");
    assert!(!o.selected);
    assert!(o.parallelized);
    assert_eq!(o.max_table_nesting, Some(2));
}

#[test]
fn defaults_without_resource_defaults_are_dlts() {
    let s = parse_str(
        "name: d\nclient: { base_url: 'https://api.example.com' }\nresources: [things]\n",
        "d.yaml",
    )
    .expect("valid")
    .spec;
    let t = things(&s);
    assert_eq!(t.disposition, Disposition::Append);
    assert_eq!(t.table_name, "things");
    assert_eq!(t.path(), "things");
    assert!(t.selected);
    assert_eq!(t.paginator, None);
}

#[test]
fn a_null_param_is_not_sent_and_removes_the_default() {
    // dlt drops a param whose value is None; here `null` also takes a default away.
    let s = spec(
        "  endpoint:\n    params: { per_page: 50, sort: asc }",
        "    endpoint:\n      path: /things\n      params: { sort: null, q: x }",
    );
    assert_eq!(things(&s).endpoint.params["sort"], ParamValue::Null);
    let resolved = s.resolve().unwrap();
    let names: Vec<&str> = resolved
        .resource("things")
        .unwrap()
        .params
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(names, ["per_page", "q"]);
    let others: Vec<&str> = resolved
        .resource("others")
        .unwrap()
        .params
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(others, ["per_page", "sort"]);
}
