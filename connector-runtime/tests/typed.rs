//! Typed streams: records deserialized into the caller's types, and clear errors when the
//! body is not JSON or a record does not fit.

mod common;

use common::connector;
use connector_runtime::futures::TryStreamExt;
use connector_runtime::{RunOptions, Secrets};
use serde::Deserialize;
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, Deserialize, PartialEq)]
struct User {
    id: String,
    email: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Strict {
    id: u64,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Meeting {
    id: u64,
    #[serde(rename = "_users_id")]
    user: String,
}

const SPEC: &str = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: users\n    endpoint: { path: /users, data_selector: users, paginator: single_page }\n  - name: meetings\n    parent: users\n    include_from_parent: [id]\n    endpoint: { path: \"/meetings/{parent_id}\", data_selector: meetings, paginator: single_page }\n  - name: broken\n    endpoint: { path: /broken, paginator: single_page }\n";

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"users": [{"id": "a", "email": "a@x.test", "extra": 1}, {"id": "b"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/meetings/a"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"meetings": [{"id": 1}]})))
        .mount(&server)
        .await;
    Mock::given(path("/meetings/b"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"meetings": [{"id": 2}, {"id": 3}]})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/broken"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn typed_records_and_children() {
    let server = server().await;
    let c = connector(SPEC, Secrets::new(), &server.uri());
    let users: Vec<User> = c
        .stream_typed("users", RunOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        users,
        [
            User {
                id: "a".into(),
                email: Some("a@x.test".into())
            },
            User {
                id: "b".into(),
                email: None
            }
        ]
    );
    let meetings: Vec<Meeting> = c
        .stream_typed("meetings", RunOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        meetings
            .iter()
            .map(|m| (m.id, m.user.as_str()))
            .collect::<Vec<_>>(),
        [(1, "a"), (2, "b"), (3, "b")]
    );
    let for_b: Vec<Meeting> = c
        .child_stream_typed("meetings", &json!({"id": "b"}), RunOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(for_b.len(), 2);
}

#[tokio::test]
async fn decode_errors_name_the_resource() {
    let server = server().await;
    let c = connector(SPEC, Secrets::new(), &server.uri());
    let err = c
        .stream_typed::<Strict>("users", RunOptions::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("resource `users`: "), "{text}");
    assert!(
        text.contains(
            "record does not match the generated type: field `id`: invalid type: string \"a\", expected u64"
        ),
        "{text}"
    );
    assert!(text.contains(r#"body: {"id":"a""#), "{text}");

    let err = c
        .stream("broken", RunOptions::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("resource `broken`: {}/broken (status 200): response is not JSON: expected value at line 1 column 1; body: <html>oops</html>", server.uri())
    );
}
