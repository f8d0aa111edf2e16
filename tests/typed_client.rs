//! A macro-generated client against a local server:
//! - `include_from_parent` with a nested parent field: the macro's typed field, the runtime's
//!   column and the resolved spec's column name are one (`naming::parent_column`), so the
//!   value lands in its typed field, not in `extra`;
//! - a paginator of one's own attached to one resource of the generated client;
//! - record transforms (dlt's `processing_steps`) as stream combinators on typed streams.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::routing::get;
use axum::{Json, Router};
use connector::runtime::futures::TryStreamExt;
use connector::runtime::{Flow, Page, PageRequest, Paginator};
use serde_json::{json, Value};

#[connector::connector(yaml = r#"
name: nested
client: { base_url: "http://unused.invalid" }
resources:
  - name: users
    endpoint: { path: /users, paginator: single_page }
    columns:
      id: { data_type: bigint, nullable: false }
      location:
        data_type: json
        fields:
          region: { data_type: text }
  - name: posts
    endpoint: { path: "/users/{resources.users.id}/posts", paginator: single_page }
    include_from_parent: [id, location.region]
    columns:
      id: { data_type: bigint, nullable: false }
"#)]
mod nested {}

async fn server() -> String {
    let app = Router::new()
        .route(
            "/users",
            get(|| async {
                Json(json!([
                    {"id": 1, "location": {"region": "eu-west"}},
                    {"id": 2, "location": {}}
                ]))
            }),
        )
        .route(
            "/users/{id}/posts",
            get(
                |Path(id): Path<u64>, Query(q): Query<HashMap<String, String>>| async move {
                    // Two pages per user when asked with `?page=`: the custom paginator's.
                    let second = q.get("page").is_some_and(|p| p == "2");
                    Json(json!([{"id": id * 10 + u64::from(second)}]))
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_dotted_parent_field_is_read_back_as_its_typed_field() {
    let base = server().await;
    let options = connector::runtime::Options::new().with_base_url(base);
    let client = nested::Client::with_options(nested::Secrets {}, options).unwrap();
    let posts: Vec<nested::types::Post> = client.posts().try_collect().await.unwrap();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].users_id, 1);
    assert_eq!(posts[0].users_location_region.as_deref(), Some("eu-west"));
    assert_eq!(posts[1].users_location_region, None, "absent in the parent");
    for post in &posts {
        assert!(
            post.extra.is_empty(),
            "every parent field is typed: {:?}",
            post.extra
        );
    }
    // Untyped, the runtime writes the same column name the typed field reads.
    let raw: Vec<Value> = client
        .connector()
        .stream("posts", Default::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(raw[0]["_users_location_region"], json!("eu-west"));
    let serialized = serde_json::to_value(&posts[0]).unwrap();
    assert_eq!(serialized["_users_location_region"], json!("eu-west"));
}

/// Asks for `?page=1`, then `?page=2`, then stops.
struct TwoPages(u32);

impl Paginator for TwoPages {
    fn init(&mut self, request: &mut PageRequest) {
        request.set_query("page", "1".to_owned());
    }

    fn next(&mut self, _: &Page<'_>, request: &mut PageRequest) -> Result<Flow, String> {
        self.0 += 1;
        if self.0 > 2 {
            return Ok(Flow::Stop);
        }
        request.set_query("page", self.0.to_string());
        Ok(Flow::Next {
            token: self.0.to_string(),
        })
    }
}

#[tokio::test]
async fn a_generated_client_takes_a_paginator_of_ones_own_and_stream_combinators() {
    let base = server().await;
    let options = connector::runtime::Options::new()
        .with_base_url(base)
        .with_paginator("posts", || Box::new(TwoPages(1)));
    let client = nested::Client::with_options(nested::Secrets {}, options).unwrap();
    // dlt's processing_steps (filter, map) are Stream combinators on the typed stream.
    let ids: Vec<i64> = client
        .posts()
        .try_filter(|post| std::future::ready(post.id % 10 == 1))
        .map_ok(|post| post.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        ids,
        [11, 21],
        "the second page of each user, filtered and mapped"
    );
}

/// Columns from an OpenAPI document, whose `format: date-time` and `date` are chrono types.
#[connector::connector("connector-codegen/tests/fixtures/openapi.yaml")]
mod inventory {}

/// Serves `/devices` with one device whose `created_at` is `created_at`.
async fn devices(created_at: &'static str) -> String {
    let app = Router::new().route(
        "/devices",
        get(move || async move {
            Json(json!({"data": [{
                "name": "probe", "id": 7, "serial": "S-1", "kind": "sensor", "tags": [],
                "created_at": created_at, "installed_on": "2024-04-30", "retired_at": null
            }], "next": null}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn inventory_client(base: String) -> inventory::Client {
    let options = connector::runtime::Options::new().with_base_url(base);
    inventory::Client::with_options(inventory::Secrets {}, options).unwrap()
}

#[tokio::test]
async fn document_date_times_are_read_into_chrono_types() {
    use connector::runtime::chrono::{NaiveDate, TimeZone, Utc};
    let client = inventory_client(devices("2024-05-01T12:00:00+02:00").await);
    let devices: Vec<inventory::types::Device> = client.devices().try_collect().await.unwrap();
    assert_eq!(
        devices[0].created_at,
        Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap(),
        "the offset is applied"
    );
    assert_eq!(
        devices[0].installed_on,
        NaiveDate::from_ymd_opt(2024, 4, 30)
    );
    assert_eq!(devices[0].retired_at, None, "required, but null");
}

#[tokio::test]
async fn a_date_time_that_is_not_rfc_3339_ends_the_stream_naming_the_field() {
    let client = inventory_client(devices("2024-05-01 12:00").await);
    let err = client
        .devices()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("record does not match the generated type: field `created_at`: "),
        "{err}"
    );
    assert!(err.contains(r#""created_at":"2024-05-01 12:00""#), "{err}");
}
