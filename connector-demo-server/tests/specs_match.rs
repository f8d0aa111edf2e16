//! Every resource of every seed spec (`specs/*.yaml`) fetched from the server the way the
//! spec says (path, params, headers, paginator, data_selector, dlt's stop rules), with exact
//! record counts, and every record checked against the spec's columns (types, nullability).

mod common;

use std::path::Path;

use common::{client, client_credentials_token, refresh_token};
use connector_demo_server::{DemoConfig, DemoServer, Seed, DEMO_ACCOUNT_ID, DEMO_API_KEY};
use connector_spec::{
    Column, DataType, MergedResource, PaginatorConfig, ParamValue, Scalar, Spec, StopCondition,
    StringOrSecret,
};
use serde_json::Value;

fn load(seed: Seed) -> Spec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../specs")
        .join(format!("{}.yaml", seed.name()));
    match connector_spec::load(&path) {
        Ok(loaded) => loaded.spec,
        Err(diagnostics) => panic!("{}: {diagnostics:?}", path.display()),
    }
}

/// A request's auth as each seed API wants it.
enum Auth {
    None,
    Bearer(String),
    QueryKey,
    HeaderKey,
}

async fn auth_for(server: &DemoServer, seed: Seed) -> Auth {
    match seed {
        Seed::DeviceInventory | Seed::Meetings => {
            Auth::Bearer(client_credentials_token(server, seed).await)
        }
        Seed::CrmAnalytics => Auth::Bearer(refresh_token(server).await),
        Seed::Rmm => Auth::QueryKey,
        Seed::AssetManagement => Auth::HeaderKey,
    }
}

fn secret_value(name: &str) -> &'static str {
    match name {
        "account_id" => DEMO_ACCOUNT_ID,
        other => panic!("the test knows no secret {other}"),
    }
}

fn scalar_text(scalar: &Scalar) -> String {
    match scalar {
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::String(s) => s.clone(),
    }
}

/// GETs one page with the resource's params and headers plus `extra` params.
async fn get(
    base_url: &str,
    auth: &Auth,
    resource: &MergedResource,
    path: &str,
    extra: &[(String, String)],
) -> Value {
    let mut request = client().get(format!("{base_url}{path}"));
    for (name, value) in &resource.endpoint.params {
        match value {
            ParamValue::Literal(scalar) => {
                request = request.query(&[(name, scalar_text(scalar))]);
            }
            other => panic!("{}: unexpected param {name}: {other:?}", resource.name),
        }
    }
    for (name, value) in &resource.endpoint.headers {
        let value = match value {
            StringOrSecret::Literal(text) => text.as_str(),
            StringOrSecret::Secret(secret) => secret_value(&secret.secret),
        };
        request = request.header(name.as_str(), value);
    }
    request = match auth {
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::QueryKey => request.query(&[("api_key", DEMO_API_KEY)]),
        Auth::HeaderKey => request.header("api_key", DEMO_API_KEY),
        Auth::None => request,
    };
    let response = request.query(extra).send().await.unwrap();
    assert_eq!(response.status(), 200, "{} {path}", resource.name);
    response.json().await.unwrap()
}

fn at_path<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(body, |value, key| value.get(key))
}

/// The records the data selector picks: a list, or one object as one record.
fn select(resource: &MergedResource, body: &Value) -> Vec<Value> {
    let selector = resource.endpoint.data_selector.as_deref().unwrap_or("$");
    let selected = if selector == "$" {
        Some(body)
    } else {
        at_path(body, selector)
    };
    match selected {
        Some(Value::Array(records)) => records.clone(),
        Some(object @ Value::Object(_)) => vec![object.clone()],
        other => panic!(
            "{}: data_selector {selector} found {other:?}",
            resource.name
        ),
    }
}

fn missing(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

/// Every record of a resource, paginated as its spec says with dlt's stop rules.
/// Returns the records and the number of data requests.
async fn fetch_all(
    base_url: &str,
    auth: &Auth,
    resource: &MergedResource,
    path: &str,
) -> (Vec<Value>, u64) {
    let config = match &resource.paginator {
        Some(connector_spec::Paginator::Config(config)) => config.clone(),
        // No paginator means dlt's auto-detection, which finds nothing to follow in a body
        // without links, cursors or totals (crm_analytics' company): one request.
        Some(connector_spec::Paginator::Name(connector_spec::PaginatorKind::SinglePage)) | None => {
            PaginatorConfig::SinglePage {}
        }
        other => panic!("{}: paginator {other:?} not covered", resource.name),
    };
    let mut records = Vec::new();
    let mut requests = 0u64;
    match config {
        PaginatorConfig::SinglePage {} => {
            let body = get(base_url, auth, resource, path, &[]).await;
            requests += 1;
            records = select(resource, &body);
        }
        PaginatorConfig::PageNumber(p) => {
            let base = p.base_page.unwrap_or(0);
            let mut page = p.start_from_page.or(p.page).unwrap_or(base);
            let page_param = p.page_param.clone().unwrap_or_else(|| "page".into());
            let limit_param = p.limit_param.clone().unwrap_or_else(|| "limit".into());
            let total_path = p.total_path.or_default_value("total".into());
            loop {
                let mut extra = vec![(page_param.clone(), page.to_string())];
                if let Some(limit) = p.limit {
                    extra.push((limit_param.clone(), limit.to_string()));
                }
                let body = get(base_url, auth, resource, path, &extra).await;
                requests += 1;
                let page_records = select(resource, &body);
                if page_records.is_empty() && p.stop_after_empty_page.unwrap_or(true) {
                    break;
                }
                records.extend(page_records);
                page += 1;
                let total = total_path
                    .as_deref()
                    .and_then(|t| at_path(&body, t))
                    .and_then(Value::as_i64);
                if total.is_some_and(|total| page >= total + base) {
                    break;
                }
                assert!(requests < 1000, "{}: runaway paging", resource.name);
            }
        }
        PaginatorConfig::Offset(o) => {
            let mut offset = o.offset.unwrap_or(0);
            let offset_param = o.offset_param.clone().unwrap_or_else(|| "offset".into());
            let limit_param = o.limit_param.clone().unwrap_or_else(|| "limit".into());
            let total_path = o.total_path.or_default_value("total".into());
            loop {
                let extra = vec![
                    (offset_param.clone(), offset.to_string()),
                    (limit_param.clone(), o.limit.to_string()),
                ];
                let body = get(base_url, auth, resource, path, &extra).await;
                requests += 1;
                let page_records = select(resource, &body);
                if page_records.is_empty() && o.stop_after_empty_page.unwrap_or(true) {
                    break;
                }
                records.extend(page_records);
                offset += o.limit;
                let total = total_path
                    .as_deref()
                    .and_then(|t| at_path(&body, t))
                    .and_then(Value::as_u64);
                if total.is_some_and(|total| offset >= total) {
                    break;
                }
                assert!(requests < 1000, "{}: runaway paging", resource.name);
            }
        }
        PaginatorConfig::Cursor(c) => {
            let cursor_param = c.cursor_param.clone().unwrap_or_else(|| "cursor".into());
            let cursor_path = c
                .cursor_path
                .clone()
                .unwrap_or_else(|| "cursors.next".into());
            let limit_param = c.limit_param.clone().unwrap_or_else(|| "limit".into());
            let mut cursor: Option<String> = None;
            loop {
                let mut extra = Vec::new();
                if let Some(limit) = c.limit {
                    extra.push((limit_param.clone(), limit.to_string()));
                }
                if let Some(cursor) = &cursor {
                    extra.push((cursor_param.clone(), cursor.clone()));
                }
                let body = get(base_url, auth, resource, path, &extra).await;
                requests += 1;
                records.extend(select(resource, &body));
                if let Some(StopCondition::PathMissing(stop)) = &c.stop_condition {
                    if missing(at_path(&body, stop)) {
                        break;
                    }
                }
                let next = at_path(&body, &cursor_path);
                if missing(next) {
                    break;
                }
                let next = next.and_then(Value::as_str).unwrap().to_owned();
                assert_ne!(
                    Some(&next),
                    cursor.as_ref(),
                    "{}: repeated cursor",
                    resource.name
                );
                cursor = Some(next);
                assert!(requests < 1000, "{}: runaway paging", resource.name);
            }
        }
        other => panic!("{}: paginator {other:?} not covered", resource.name),
    }
    (records, requests)
}

/// Checks a record against the spec's columns.
fn check_columns(resource: &MergedResource, record: &Value) {
    for (name, column) in &resource.columns {
        let value = record.get(name);
        let nullable = column.nullable.unwrap_or(true);
        match value {
            None | Some(Value::Null) => {
                assert!(
                    nullable,
                    "{}.{name} is null but not nullable: {record}",
                    resource.name
                )
            }
            Some(value) => check_type(&resource.name, name, column, value),
        }
    }
}

fn check_type(resource: &str, name: &str, column: &Column, value: &Value) {
    let ok = match column.data_type.unwrap_or(DataType::Text) {
        DataType::Text | DataType::Timestamp | DataType::Date => value.is_string(),
        DataType::Bigint => value.is_i64() || value.is_u64(),
        DataType::Double => value.is_number(),
        DataType::Bool => value.is_boolean(),
        DataType::Json => {
            if let (Some(items), Some(array)) = (&column.items, value.as_array()) {
                for item in array {
                    check_type(resource, name, items, item);
                }
            }
            value.is_array() || value.is_object()
        }
        _ => true,
    };
    assert!(
        ok,
        "{resource}.{name}: {value} does not fit {:?}",
        column.data_type
    );
}

async fn check_seed(seed: Seed, expected: &[(&str, usize, u64)]) {
    let server = DemoServer::start(DemoConfig::default()).await;
    let spec = load(seed);
    let auth = auth_for(&server, seed).await;
    for resource in spec.merged_resources() {
        let (count, requests) = expected
            .iter()
            .find(|(name, _, _)| *name == resource.name)
            .map(|(_, count, requests)| (*count, *requests))
            .unwrap_or_else(|| panic!("no expectation for {}", resource.name));
        let (records, made) =
            fetch_all(&server.seed_url(seed), &auth, &resource, resource.path()).await;
        assert_eq!(records.len(), count, "{} records", resource.name);
        assert_eq!(made, requests, "{} requests", resource.name);
        for record in &records {
            check_columns(&resource, record);
        }
    }
}

#[tokio::test]
async fn device_inventory_spec_fetches_every_computer() {
    // 250 computers, 100 per page: `total` (pages) stops after page 2, no empty page needed.
    check_seed(Seed::DeviceInventory, &[("computers", 250, 3)]).await;
}

#[tokio::test]
async fn rmm_spec_fetches_every_resource() {
    check_seed(Seed::Rmm, &[("resource_name", 250, 3)]).await;
}

#[tokio::test]
async fn asset_management_spec_fetches_every_record() {
    // No total in the body: each resource ends on its first empty page.
    check_seed(
        Seed::AssetManagement,
        &[
            ("inventories", 60, 4),
            ("assets", 110, 6),
            ("members", 35, 3),
        ],
    )
    .await;
}

#[tokio::test]
async fn crm_analytics_spec_fetches_every_record() {
    check_seed(
        Seed::CrmAnalytics,
        &[("clients", 120, 3), ("company", 1, 1), ("contacts", 130, 3)],
    )
    .await;
}

#[tokio::test]
async fn meetings_spec_fetches_every_user_and_each_users_meetings() {
    let config = DemoConfig::default();
    let server = DemoServer::start(config.clone()).await;
    let spec = load(Seed::Meetings);
    let auth = auth_for(&server, Seed::Meetings).await;
    let users_resource = spec.merged_resource("users").unwrap();
    let (users, requests) = fetch_all(
        &server.seed_url(Seed::Meetings),
        &auth,
        &users_resource,
        users_resource.path(),
    )
    .await;
    assert_eq!((users.len(), requests), (70, 3));
    users.iter().for_each(|u| check_columns(&users_resource, u));

    let meetings_resource = spec.merged_resource("meetings").unwrap();
    let mut meetings = 0;
    for user in &users {
        let path = meetings_resource
            .path()
            .replace("{parent_id}", user["id"].as_str().unwrap());
        let (records, requests) = fetch_all(
            &server.seed_url(Seed::Meetings),
            &auth,
            &meetings_resource,
            &path,
        )
        .await;
        assert_eq!(requests, 1);
        records
            .iter()
            .for_each(|m| check_columns(&meetings_resource, m));
        meetings += records.len() as u64;
    }
    assert_eq!(meetings, config.total_meetings());
}

#[tokio::test]
async fn the_server_offers_exactly_the_secrets_each_spec_names() {
    let server = DemoServer::start(DemoConfig::default()).await;
    for seed in Seed::ALL {
        let names: Vec<String> = server
            .secrets(seed)
            .into_iter()
            .map(|(name, _)| name.to_owned())
            .collect();
        assert_eq!(names, load(seed).secret_names(), "{}", seed.name());
    }
    let vars = server.secret_env_vars(Seed::Meetings);
    assert_eq!(vars[0].0, "MEETINGS__AUTHORIZATION_ENDPOINT");
    assert_eq!(Some(vars[0].1.clone()), server.token_url(Seed::Meetings));
}

#[tokio::test]
async fn bench_spec_fetches_every_item_parent_and_child() {
    let config = DemoConfig {
        bench_records: 1_234,
        bench_parents: 12,
        bench_children_per_parent: 4,
        ..DemoConfig::default()
    };
    let server = DemoServer::start(config).await;
    let yaml = connector_demo_server::bench_spec(250);
    let spec = match connector_spec::parse_str(&yaml, "bench.yaml") {
        Ok(loaded) => loaded.spec,
        Err(diagnostics) => panic!("bench.yaml: {diagnostics:?}"),
    };
    let base_url = server.url("/bench");
    let expected = [
        ("items", 1_234, 5),
        ("items_by_offset", 1_234, 5),
        ("parents", 12, 1),
    ];
    for (name, count, requests) in expected {
        let resource = spec.merged_resource(name).unwrap();
        let (records, made) = fetch_all(&base_url, &Auth::None, &resource, resource.path()).await;
        assert_eq!((records.len(), made), (count, requests), "{name}");
        records.iter().for_each(|r| check_columns(&resource, r));
    }
    let children = spec.merged_resource("children").unwrap();
    for parent in 1..=12 {
        let path = children
            .path()
            .replace("{resources.parents.id}", &parent.to_string());
        let (records, _) = fetch_all(&base_url, &Auth::None, &children, &path).await;
        assert_eq!(records.len(), 4);
        records.iter().for_each(|r| check_columns(&children, r));
    }
}
