//! Forms dlt's `rest_api_source` accepts that the spec accepts too, with what each means.

use connector_spec::selector::Segment;
use connector_spec::{parse_str, ResolvedSpec};

fn resolved(resources: &str) -> ResolvedSpec {
    let yaml = format!(
        "name: t\nclient: {{ base_url: 'https://api.example.com' }}\nresources:\n{resources}"
    );
    match parse_str(&yaml, "t.yaml") {
        Ok(loaded) => loaded.resolved,
        Err(d) => panic!("{d:#?}\n{yaml}"),
    }
}

#[test]
fn a_status_code_written_as_a_string() {
    let spec = resolved(
        "  - name: a\n    endpoint:\n      path: /a\n      response_actions:\n        - { status_code: '404', action: ignore }\n        - { status_code: 503, action: retry }\n",
    );
    let codes: Vec<Option<u16>> = spec.resources[0]
        .response_actions
        .iter()
        .map(|a| a.status_code)
        .collect();
    assert_eq!(codes, [Some(404), Some(503)]);
}

#[test]
fn a_status_code_string_that_is_not_a_number_is_named() {
    let yaml = "name: t\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: a\n    endpoint:\n      path: /a\n      response_actions: [{ status_code: 'four', action: ignore }]\n";
    let errors = parse_str(yaml, "t.yaml").unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .message
            .contains("status code `four` is not a number; write it like 404"),
        "{errors:?}"
    );
    assert_eq!(errors[0].line, 7, "{errors:?}");
}

#[test]
fn recursive_descent_in_a_data_selector() {
    let spec = resolved("  - name: a\n    endpoint: { path: /a, data_selector: '$..items' }\n");
    let selector = spec.resources[0].data_selector.as_ref().unwrap();
    assert_eq!(
        selector.segments(),
        [Segment::Descendants, Segment::Key("items".into())]
    );
}

#[test]
fn an_empty_resources_list_loads_with_a_warning() {
    let yaml = "name: t\nclient: { base_url: 'https://api.example.com' }\nresources: []\n";
    let loaded = parse_str(yaml, "t.yaml").expect("dlt accepts it, so does the spec");
    assert!(loaded.resolved.resources.is_empty());
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert_eq!(
        loaded.warnings[0].message,
        "`resources` is empty: this connector fetches nothing"
    );
    assert_eq!(loaded.warnings[0].line, 3);
}

#[test]
fn incremental_range_bounds_and_keys_dlt_has() {
    let yaml = "name: t\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: a\n    endpoint:\n      path: /a\n      incremental:\n        cursor_path: updated_at\n        initial_value: 0\n        range_start: open\n        primary_key: id\n        allow_external_schedulers: true\n";
    let loaded = parse_str(yaml, "t.yaml").expect("loads");
    let inc = loaded.resolved.resources[0].incremental.as_ref().unwrap();
    assert_eq!(inc.range_start, connector_spec::RangeBound::Open);
    assert_eq!(
        inc.range_end,
        connector_spec::RangeBound::Open,
        "dlt's default"
    );
    let warnings: Vec<(usize, &str)> = loaded
        .warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, 12);
    assert!(warnings[0]
        .1
        .contains("`allow_external_schedulers` has no effect here"));
    assert_eq!(
        inc.boundary_key,
        connector_spec::resolved::BoundaryKey::PrimaryKey(vec!["id".to_owned()]),
        "incremental.primary_key is the deduplication key"
    );
}

#[test]
fn the_boundary_key_is_the_incremental_key_else_the_resource_key_else_the_record() {
    use connector_spec::resolved::BoundaryKey;
    let key = |resource_key: &str, own: &str| {
        let spec = resolved(&format!(
            "  - name: a\n{resource_key}    endpoint:\n      path: /a\n      incremental: {{ cursor_path: at{own} }}\n"
        ));
        spec.resources[0].incremental.clone().unwrap().boundary_key
    };
    let names = |n: &[&str]| BoundaryKey::PrimaryKey(n.iter().map(|s| s.to_string()).collect());
    assert_eq!(key("", ""), BoundaryKey::Record);
    assert_eq!(key("    primary_key: id\n", ""), names(&["id"]));
    assert_eq!(
        key("    primary_key: id\n", ", primary_key: [org, seq]"),
        names(&["org", "seq"])
    );
    assert_eq!(
        key("    primary_key: id\n", ", primary_key: []"),
        BoundaryKey::Off,
        "dlt: an empty key turns deduplication off"
    );
    let yaml = "name: t\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: a\n    endpoint:\n      path: /a\n      incremental: { cursor_path: at, primary_key: idd }\n    columns: { id: { data_type: bigint }, at: { data_type: bigint } }\n";
    let errors = parse_str(yaml, "t.yaml").unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].message.starts_with(
            "incremental primary_key `idd` is not a declared column of `a`; columns: "
        ),
        "{errors:?}"
    );
}

#[test]
fn a_plain_param_is_bound_into_the_path() {
    // dlt: `path: "{org}/{repo}/issues"` with `params: { org: dlt-hub, repo: dlt }`.
    let spec = resolved(
        "  - name: issues\n    endpoint:\n      path: '{org}/{repo}/issues'\n      params: { org: dlt-hub, repo: dlt, state: open }\n",
    );
    let issues = &spec.resources[0];
    assert_eq!(issues.path.source(), "dlt-hub/dlt/issues");
    let query: Vec<&str> = issues.params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(query, ["state"], "bound params are not also sent as query");
}

#[test]
fn a_resolve_param_the_path_does_not_use_is_sent_as_query_and_said() {
    let yaml = "name: t\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: users\n    columns: { id: { data_type: bigint } }\n  - name: posts\n    endpoint:\n      path: /posts\n      params:\n        user: { type: resolve, resource: users, field: id }\n";
    let loaded = parse_str(yaml, "t.yaml").expect("kept: users ask for it (dlt#1978)");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    let warning = &loaded.warnings[0];
    assert_eq!(warning.line, 10);
    assert_eq!(
        warning.message,
        "resolve param `user` is not in the path: each request sends it as query parameter \
         `user` (dlt rejects this form)"
    );
    let posts = loaded.resolved.resource("posts").unwrap();
    assert!(matches!(
        posts.params[0].1,
        connector_spec::resolved::ParamSource::ParentField(_)
    ));
}

#[test]
fn dlt_resource_keys_without_effect_load_with_a_warning_each() {
    let yaml = "name: t\nclient: { base_url: 'https://api.example.com' }\nresource_defaults:\n  table_format: delta\nresources:\n  - name: a\n    schema_contract: { columns: freeze }\n    file_format: jsonl\n    references: []\n    nested_hints: {}\n";
    let loaded = parse_str(yaml, "t.yaml").expect("dlt keys load");
    let found: Vec<(usize, &str)> = loaded
        .warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .collect();
    let events = loaded.resolved.resource("a").unwrap();
    assert_eq!(
        events.schema_contract.columns,
        connector_spec::ContractMode::Freeze
    );
    assert_eq!(events.lines.get("schema_contract"), Some(&7));
    assert_eq!(
        found,
        [
            (4, "`table_format` has no effect here: the destinations here write their own tables"),
            (8, "`file_format` has no effect here: no loader files are written; rows go straight to the destination"),
            (9, "`references` has no effect here: no table references are recorded"),
            (10, "`nested_hints` has no effect here: nested data follows max_table_nesting and the column hints"),
        ]
    );
}

fn client_auth(auth: &str) -> connector_spec::resolved::AuthPlan {
    let yaml = format!(
        "name: t\nclient:\n  base_url: 'https://api.example.com'\n  auth: {auth}\nresources: [a]\n"
    );
    let loaded = parse_str(&yaml, "t.yaml").unwrap_or_else(|d| panic!("{d:#?}"));
    loaded.resolved.client.auth.expect("auth")
}

#[test]
fn auth_shorthands_read_the_credentials_dlt_would_read() {
    use connector_spec::resolved::{AuthPlan, TextSource};
    let secret = |name: &str| TextSource::Secret(name.to_owned());
    assert_eq!(
        client_auth("bearer"),
        AuthPlan::Bearer {
            token: secret("credentials__token")
        }
    );
    assert_eq!(
        client_auth("{ token: { secret: my_token } }"),
        AuthPlan::Bearer {
            token: secret("my_token")
        }
    );
    assert_eq!(
        client_auth("{ type: api_key, name: X-Key }"),
        AuthPlan::ApiKey {
            name: "X-Key".into(),
            api_key: secret("credentials__api_key"),
            location: connector_spec::ApiKeyLocation::Header,
        }
    );
    assert_eq!(
        client_auth("http_basic"),
        AuthPlan::HttpBasic {
            username: secret("credentials__username"),
            password: secret("credentials__password"),
        }
    );
    let AuthPlan::OAuth2(o) =
        client_auth("{ type: oauth2_client_credentials, access_token_url: /token }")
    else {
        panic!("oauth2")
    };
    assert_eq!(o.client_id, secret("credentials__client_id"));
    assert_eq!(o.client_secret, secret("credentials__client_secret"));
    let yaml = "name: t\nclient:\n  base_url: 'https://api.example.com'\n  auth: http_basic\nresources: [a]\n";
    let secrets = parse_str(yaml, "t.yaml").unwrap().resolved.secrets;
    assert_eq!(secrets, ["credentials__password", "credentials__username"]);
}

#[test]
fn every_unknown_key_is_reported_in_one_run() {
    // One real config needed three rounds of fixes when only the first was reported.
    let yaml = "name: t\nclient:\n  base_url: 'https://api.example.com'\n  timeout: 5\nresources:\n  - name: a\n    endpoint:\n      path: /a\n      paramz: { x: 1 }\n      paginator: { type: offset, limit: 10, offst: 0 }\n    colums: {}\n";
    let errors = parse_str(yaml, "t.yaml").unwrap_err();
    let found: Vec<(usize, String)> = errors.iter().map(|d| (d.line, d.message.clone())).collect();
    let lines: Vec<usize> = found.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [4, 9, 10, 11], "{found:#?}");
    assert!(found[1].1.contains("`paramz`"), "{found:#?}");
    assert!(found[2].1.contains("`offst`"), "{found:#?}");
    assert!(found[3].1.contains("`colums`"), "{found:#?}");
}

#[test]
fn data_as_a_raw_string_or_pairs_and_its_placeholders_are_checked() {
    let spec = resolved(
        "  - name: a\n    endpoint:\n      path: /a\n      method: POST\n      data: [[tag, x], [tag, y]]\n  - name: b\n    endpoint:\n      path: /b\n      method: POST\n      data: 'q=1'\n",
    );
    use connector_spec::resolved::BodySource;
    let Some(BodySource::Form(fields)) = &spec.resources[0].body else {
        panic!("a form")
    };
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["tag", "tag"], "repeated keys kept in order");
    assert!(matches!(spec.resources[1].body, Some(BodySource::Raw(_))));
    let yaml = "name: t\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: a\n    endpoint:\n      path: /a\n      method: POST\n      data: [[tag, '{nope.x}'], [n, 1, 2]]\n";
    let errors = parse_str(yaml, "t.yaml").unwrap_err();
    assert!(
        errors[0]
            .message
            .contains("a form pair is a list `[key, value]`, found a list"),
        "{errors:#?}"
    );
}

#[test]
fn columns_as_a_list_and_key_hints_on_columns() {
    let yaml = "name: t\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: a\n    columns:\n      - { name: id, data_type: bigint, nullable: false, primary_key: true }\n      - { name: region, merge_key: true }\n      - { name: at, data_type: timestamp, timezone: true, sort: true }\n";
    let loaded = parse_str(yaml, "t.yaml").unwrap_or_else(|d| panic!("{d:#?}"));
    let a = &loaded.resolved.resources[0];
    let names: Vec<&str> = a.columns.keys().map(String::as_str).collect();
    assert_eq!(names, ["id", "region", "at"]);
    assert_eq!(a.primary_key, ["id"], "from the column hint");
    assert_eq!(a.merge_key, ["region"]);
    let warnings: Vec<&str> = loaded.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        warnings,
        [
            "column hint `sort` has no effect here: tables are created without it",
            "column hint `timezone` has no effect here: tables are created without it",
        ]
    );
}

#[test]
fn a_column_list_entry_without_a_name_or_a_name_unlike_its_key_is_an_error() {
    let head =
        "name: t\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: a\n";
    let errors = parse_str(
        &format!("{head}    columns: [{{ data_type: bigint }}]\n"),
        "t.yaml",
    )
    .unwrap_err();
    assert!(
        errors[0]
            .message
            .contains("a column in a list needs `name`"),
        "{errors:#?}"
    );
    let errors = parse_str(
        &format!("{head}    columns:\n      id: {{ name: ident }}\n"),
        "t.yaml",
    )
    .unwrap_err();
    assert_eq!(
        errors[0].message,
        "column `id` says `name: ident`; in a mapping the key is the name"
    );
    assert_eq!(errors[0].line, 6);
}

#[test]
fn an_incremental_setting_placeholder_needs_the_setting() {
    let yaml = "name: t\nclient: { base_url: 'https://api.example.com' }\nresources:\n  - name: a\n    endpoint:\n      path: /a\n      params: { lag: '{incremental.lag}', by: '{incremental.cursor_path}' }\n      incremental: { cursor_path: at, initial_value: 1 }\n";
    let errors = parse_str(yaml, "t.yaml").unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        errors[0].message,
        "`{incremental.lag}` has no value: `incremental.lag` is not set"
    );
}

/// The first error message of a spec with `resource` as its only resource.
fn first_error(resource: &str) -> String {
    let yaml = format!(
        "name: t\nclient: {{ base_url: 'https://api.example.com' }}\nresources:\n{resource}"
    );
    parse_str(&yaml, "t.yaml").unwrap_err()[0].message.clone()
}

#[test]
fn each_new_form_names_what_is_wrong() {
    let cases = [
        (
            "  - name: a\n    endpoint: { path: /a, method: POST, data: [[1, x]] }\n",
            "the key of a form pair is a string",
        ),
        (
            "  - name: a\n    endpoint: { path: /a, method: POST, data: 5 }\n",
            "`data` is a form (a mapping or `[key, value]` pairs) or a raw string, found a number",
        ),
        (
            "  - name: a\n    columns: [{ name: id }, { name: id }]\n",
            "column `id` is listed twice",
        ),
        (
            "  - name: a\n    endpoint: { path: /a, data_selector: 'a...b' }\n",
            "`...` is not a selector segment; write `..`",
        ),
        (
            "  - name: a\n    endpoint: { path: /a, data_selector: 'a..' }\n",
            "a selector cannot end with `.` or `..`",
        ),
        (
            "  - name: a\n    endpoint: { path: /a, response_actions: [{ status_code: 70000, action: ignore }] }\n",
            "status code 70000 is not an HTTP status (100-599)",
        ),
    ];
    for (resource, expected) in cases {
        let message = first_error(resource);
        assert!(message.contains(expected), "{resource}: {message}");
    }
}
