//! Each seed spec, parsed and resolved, says what its seed document
//! (/work/shared/seeds/*.txt, summarised in each test) says: auth, paginator parameters,
//! selectors, retry settings and columns.

use std::path::Path;

use connector_spec::{
    ApiKeyLocation, Auth, DataType, Disposition, ErrorHandler, MergedResource, Paginator,
    PaginatorConfig, PaginatorKind, ParamValue, Scalar, Spec, StopCondition, StringOrSecret,
};

fn seed(name: &str) -> Spec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../specs/{name}.yaml"));
    match connector_spec::load(&path) {
        Ok(loaded) => {
            assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings);
            loaded.spec
        }
        Err(diagnostics) => panic!("{name} must load: {diagnostics:#?}"),
    }
}

fn secret(name: &str) -> StringOrSecret {
    StringOrSecret::Secret(connector_spec::SecretRef {
        secret: name.to_owned(),
    })
}

fn resource(spec: &Spec, name: &str) -> MergedResource {
    spec.merged_resource(name)
        .unwrap_or_else(|| panic!("resource {name}"))
}

fn retry(r: &MergedResource) -> &ErrorHandler {
    r.endpoint.error_handler.as_ref().expect("error_handler")
}

/// `(name, data_type, nullable)` of every column, in order.
fn columns(r: &MergedResource) -> Vec<(&str, Option<DataType>, bool)> {
    r.columns
        .iter()
        .map(|(n, c)| (n.as_str(), c.data_type, c.nullable.unwrap_or(true)))
        .collect()
}

fn merge_on_id(r: &MergedResource) {
    assert_eq!(r.primary_key, vec!["id"], "{}", r.name);
    assert_eq!(r.disposition, Disposition::Merge, "{}", r.name);
}

const STANDARD_RETRY: [u16; 5] = [429, 500, 502, 503, 504];

#[test]
fn device_inventory_matches_seed_000() {
    let spec = seed("device_inventory");
    let Some(Auth::Oauth2ClientCredentials(o)) = &spec.client.auth else {
        panic!("oauth2 client credentials expected: {:?}", spec.client.auth);
    };
    assert_eq!(o.client_id, secret("username"));
    assert_eq!(o.client_secret, secret("password"));
    assert_eq!(o.refresh_token, None);
    // Written relative to base_url; joined it is the document's token URL.
    let StringOrSecret::Literal(token_url) = &o.access_token_url else {
        panic!("literal token url");
    };
    assert_eq!(
        format!("{}{token_url}", spec.client.base_url),
        "https://api.example.com/api/v1/auth/token"
    );

    let computers = resource(&spec, "computers");
    merge_on_id(&computers);
    assert_eq!(computers.path(), "/api/v1/computers-inventory");
    assert_eq!(computers.endpoint.data_selector.as_deref(), Some("results"));
    let Some(Paginator::Config(PaginatorConfig::PageNumber(p))) = &computers.paginator else {
        panic!("page_number expected: {:?}", computers.paginator);
    };
    assert_eq!(p.page_param.as_deref(), Some("page"));
    assert_eq!(p.limit, Some(100));
    assert_eq!(p.start_from_page, Some(0));
    let r = retry(&computers);
    assert_eq!(
        r.retry_on_status_codes.as_deref(),
        Some(&STANDARD_RETRY[..])
    );
    assert_eq!(r.max_retries, Some(3));
    assert_eq!(r.backoff_factor, Some(2.0));
    assert_eq!(
        columns(&computers),
        vec![
            ("id", Some(DataType::Text), false),
            ("name", Some(DataType::Text), true),
            ("lastContactTime", Some(DataType::Text), true),
            ("capableUsers", Some(DataType::Json), true),
            ("managementId", Some(DataType::Text), true),
        ]
    );
    let items = computers.columns["capableUsers"]
        .items
        .as_ref()
        .expect("array items");
    assert_eq!(items.data_type, Some(DataType::Text));
}

#[test]
fn rmm_matches_seed_001() {
    let spec = seed("rmm");
    assert_eq!(
        spec.client.auth,
        Some(Auth::ApiKey {
            name: Some("api_key".into()),
            api_key: secret("api_key"),
            location: Some(ApiKeyLocation::Query),
        })
    );
    let r = resource(&spec, "resource_name");
    merge_on_id(&r);
    assert_eq!(r.path(), "/v1/resource");
    assert_eq!(r.endpoint.data_selector.as_deref(), Some("data"));
    let Some(Paginator::Config(PaginatorConfig::Offset(p))) = &r.paginator else {
        panic!("offset expected: {:?}", r.paginator);
    };
    assert_eq!(p.limit, 100);
    let h = retry(&r);
    assert_eq!(
        h.retry_on_status_codes.as_deref(),
        Some(&STANDARD_RETRY[..])
    );
    assert_eq!(h.max_retries, Some(3));
    assert_eq!(h.backoff_factor, Some(2.0));
    let names: Vec<&str> = r.columns.keys().map(String::as_str).collect();
    assert_eq!(names, vec!["id", "name", "status"]);
    assert_eq!(r.columns["id"].nullable, Some(false));
}

#[test]
fn asset_management_matches_seed_002() {
    let spec = seed("asset_management");
    assert_eq!(
        spec.client.auth,
        Some(Auth::ApiKey {
            name: Some("api_key".into()),
            api_key: secret("api_key"),
            location: Some(ApiKeyLocation::Header),
        })
    );
    for (name, path, selector) in [
        ("inventories", "/inventory.api", "assets"),
        ("assets", "/assets.api", "assets"),
        ("members", "/members.api", "members"),
    ] {
        let r = resource(&spec, name);
        merge_on_id(&r);
        assert_eq!(r.path(), path);
        assert_eq!(r.endpoint.data_selector.as_deref(), Some(selector));
        let Some(Paginator::Config(PaginatorConfig::PageNumber(p))) = &r.paginator else {
            panic!("{name}: page_number expected: {:?}", r.paginator);
        };
        assert_eq!(p.page_param.as_deref(), Some("page"));
        assert_eq!(p.limit, Some(25));
        let h = retry(&r);
        assert_eq!(h.retry_on_status_codes.as_deref(), Some(&[429][..]));
        assert_eq!(h.respect_retry_after, Some(true));
        assert_eq!(h.retry_after_min_wait, Some(60.0));
        assert_eq!(r.columns["id"].nullable, Some(false));
    }
    assert_eq!(spec.resources.len(), 3);
}

#[test]
fn crm_analytics_matches_seed_003() {
    let spec = seed("crm_analytics");
    let Some(Auth::Oauth2ClientCredentials(o)) = &spec.client.auth else {
        panic!("oauth2 expected: {:?}", spec.client.auth);
    };
    assert_eq!(o.client_id, secret("client_id"));
    assert_eq!(o.client_secret, secret("client_secret"));
    assert_eq!(o.refresh_token, Some(secret("refresh_token")));
    assert_eq!(
        o.access_token_url,
        StringOrSecret::Literal("https://id.example.com/api/v2/oauth2/token".into())
    );
    for (name, path, selector, cursor) in [
        ("clients", "/v1/clients", "clients", true),
        ("company", "/v1/company", "data", false),
        ("contacts", "/v1/contacts", "contacts", true),
    ] {
        let r = resource(&spec, name);
        merge_on_id(&r);
        assert_eq!(r.path(), path);
        assert_eq!(r.endpoint.data_selector.as_deref(), Some(selector));
        assert_eq!(
            r.endpoint.params.get("per_page"),
            Some(&ParamValue::Literal(Scalar::Int(50)))
        );
        assert_eq!(
            r.endpoint.headers.get("Account-Id"),
            Some(&secret("account_id"))
        );
        let h = retry(&r);
        assert_eq!(
            h.retry_on_status_codes.as_deref(),
            Some(&[401, 403, 404][..])
        );
        assert_eq!(h.max_retries, Some(3));
        assert_eq!(h.backoff_factor, Some(2.0));
        if cursor {
            let Some(Paginator::Config(PaginatorConfig::Cursor(c))) = &r.paginator else {
                panic!("{name}: cursor expected: {:?}", r.paginator);
            };
            assert_eq!(c.cursor_param.as_deref(), Some("next"));
            assert_eq!(c.cursor_path.as_deref(), Some("links.next"));
            assert_eq!(
                c.stop_condition,
                Some(StopCondition::PathMissing("links.next".into()))
            );
        } else {
            // The single-object resource: no paginator named, so dlt's auto-detection.
            assert_eq!(r.paginator, None);
        }
    }
    assert_eq!(
        columns(&resource(&spec, "contacts")),
        vec![
            ("id", Some(DataType::Text), false),
            ("name", Some(DataType::Text), true),
            ("client_id", Some(DataType::Text), true),
        ]
    );
}

#[test]
fn meetings_matches_seed_004() {
    let spec = seed("meetings");
    let Some(Auth::Oauth2ClientCredentials(o)) = &spec.client.auth else {
        panic!("oauth2 expected: {:?}", spec.client.auth);
    };
    assert_eq!(o.access_token_url, secret("authorization_endpoint"));
    assert_eq!(o.client_id, secret("client_id"));
    assert_eq!(o.client_secret, secret("client_secret"));

    let users = resource(&spec, "users");
    merge_on_id(&users);
    assert_eq!(users.path(), "/v1/users");
    assert_eq!(users.endpoint.data_selector.as_deref(), Some("users"));
    let Some(Paginator::Config(PaginatorConfig::Cursor(c))) = &users.paginator else {
        panic!("cursor expected: {:?}", users.paginator);
    };
    assert_eq!(c.cursor_param.as_deref(), Some("next_page_token"));
    assert_eq!(c.limit, Some(30));
    let names: Vec<&str> = users.columns.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec![
            "id",
            "email",
            "first_name",
            "last_name",
            "status",
            "created_at"
        ]
    );
    assert!(users
        .columns
        .values()
        .all(|c| c.data_type == Some(DataType::Text)));

    let meetings = resource(&spec, "meetings");
    merge_on_id(&meetings);
    assert_eq!(meetings.path(), "/v1/meetings/{parent_id}");
    assert_eq!(meetings.endpoint.data_selector.as_deref(), Some("meetings"));
    assert!(matches!(
        meetings.paginator,
        Some(Paginator::Config(PaginatorConfig::SinglePage {}))
            | Some(Paginator::Name(PaginatorKind::SinglePage))
    ));
    assert_eq!(
        spec.parent_of("meetings").map(|l| l.parent).as_deref(),
        Some("users")
    );
    assert_eq!(
        columns(&meetings),
        vec![
            ("id", Some(DataType::Bigint), false),
            ("topic", Some(DataType::Text), true),
            ("start_time", Some(DataType::Text), true),
            ("duration", Some(DataType::Bigint), true),
            ("status", Some(DataType::Text), true),
        ]
    );
    for r in [&users, &meetings] {
        let h = retry(r);
        assert_eq!(
            h.retry_on_status_codes.as_deref(),
            Some(&STANDARD_RETRY[..])
        );
        assert_eq!(h.max_retries, Some(3));
        assert_eq!(h.backoff_factor, Some(2.0));
    }
}

#[test]
fn every_seed_carries_the_schema_comment() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("specs dir").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).expect("readable");
            assert!(
                text.starts_with("# yaml-language-server: $schema=connector-spec.schema.json"),
                "{}",
                path.display()
            );
            count += 1;
        }
    }
    assert_eq!(count, 5);
}
