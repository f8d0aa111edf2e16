//! `include_from_parent` with a nested parent field, end to end: the macro's typed field, the
//! runtime's column and the resolved spec's column name are one (`naming::parent_column`), so
//! the value lands in its typed field, not in `extra`. Against a local server.

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use connector::runtime::futures::TryStreamExt;
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
            get(|Path(id): Path<u64>| async move { Json(json!([{"id": id * 10}])) }),
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
