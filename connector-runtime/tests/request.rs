//! How requests are built: URL joining, params of every type, merged headers, form bodies,
//! endpoint-level auth, empty bodies.

mod common;

use common::{connector, records};
use connector_runtime::Secrets;
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn base_url_prefix_params_and_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/things"))
        .and(query_param("flag", "true"))
        .and(query_param("n", "50"))
        .and(query_param("ratio", "0.5"))
        .and(query_param("q", "a b&c"))
        .and(header("x-client", "c"))
        .and(header("x-endpoint", "e"))
        .and(header("x-shared", "endpoint wins"))
        .and(header("x-secret", "s3cret-val"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": 1}]})))
        .expect(1)
        .mount(&server)
        .await;
    let yaml = r#"
name: t
client:
  base_url: http://unused
  headers: { X-Client: c, X-Shared: client }
resource_defaults:
  endpoint:
    params: { n: 50 }
    headers: { X-Secret: { secret: s } }
resources:
  - name: things
    endpoint:
      path: things
      params: { flag: true, ratio: 0.5, q: "a b&c" }
      headers: { X-Endpoint: e, X-Shared: endpoint wins }
      data_selector: data
      paginator: single_page
"#;
    // base_url with a path and a trailing slash, endpoint path without a leading one.
    let c = connector(
        yaml,
        Secrets::new().with("s", "s3cret-val"),
        &format!("{}/api/v2/", server.uri()),
    );
    assert_eq!(records(&c, "things").await.len(), 1);
}

#[tokio::test]
async fn absolute_paths_form_bodies_endpoint_auth_and_empty_bodies() {
    let server = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 1}])))
        .expect(1)
        .mount(&other)
        .await;
    Mock::given(method("POST"))
        .and(path("/form"))
        .and(body_string("kind=all&token=tk-9"))
        .and(header("authorization", "Bearer endpoint-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 2}, {"id": 3}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/nothing"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let yaml = format!(
        r#"
name: t
client:
  base_url: http://unused
  auth: {{ type: api_key, name: X-Key, api_key: {{ secret: key }} }}
resources:
  - name: remote
    endpoint: {{ path: "{}/elsewhere", paginator: single_page }}
  - name: posted
    endpoint:
      path: /form
      method: POST
      data: {{ kind: all, token: {{ secret: form_token }} }}
      auth: {{ type: bearer, token: {{ secret: bearer }} }}
      paginator: single_page
  - name: nothing
    endpoint: {{ path: /nothing, paginator: page_number }}
"#,
        other.uri()
    );
    let secrets = Secrets::new()
        .with("key", "k-1")
        .with("form_token", "tk-9")
        .with("bearer", "endpoint-token");
    let c = connector(&yaml, secrets, &server.uri());
    assert_eq!(records(&c, "remote").await.len(), 1);
    let remote = &other.received_requests().await.unwrap()[0];
    assert!(
        remote.headers.get("x-key").is_none(),
        "an absolute URL elsewhere gets no credentials"
    );
    assert_eq!(records(&c, "posted").await.len(), 2);
    assert!(
        records(&c, "nothing").await.is_empty(),
        "204: no records, no further pages"
    );
}

#[tokio::test]
async fn a_plain_param_bound_into_the_path_is_not_sent_as_query() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/repos/dlt-hub/dlt/issues"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!([{"id": 1}])),
        )
        .mount(&server)
        .await;
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: issues\n    endpoint: { path: '/repos/{org}/{repo}/issues', params: { org: dlt-hub, repo: dlt, state: open }, paginator: single_page }\n";
    let c = common::connector(yaml, connector_runtime::Secrets::new(), &server.uri());
    let (got, err) = common::collect(&c, "issues").await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 1);
    assert_eq!(
        common::queries(&server, "/repos/dlt-hub/dlt/issues").await,
        ["state=open"]
    );
}

#[tokio::test]
async fn data_as_pairs_and_as_a_raw_string_with_placeholders() {
    // dlt's `data`: a list of key/value pairs (keys may repeat) or a raw string.
    let server = MockServer::start().await;
    Mock::given(path("/parents"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 7}])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/search"))
        .and(body_string("tag=a&tag=b&parent=7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"hit": "form"}])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/raw"))
        .and(body_string("parent_id=7;kind=raw"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"hit": "raw"}])))
        .mount(&server)
        .await;
    let yaml = "name: t\nclient: { base_url: http://unused }\nresources:\n  - name: parents\n    endpoint: { path: /parents, paginator: single_page }\n  - name: search\n    endpoint:\n      path: /search\n      method: POST\n      paginator: single_page\n      data: [[tag, a], [tag, b], [parent, '{resources.parents.id}']]\n  - name: raw\n    endpoint:\n      path: /raw\n      method: POST\n      paginator: single_page\n      data: 'parent_id={resources.parents.id};kind=raw'\n";
    let c = connector(yaml, Secrets::new(), &server.uri());
    assert_eq!(records(&c, "search").await, [json!({"hit": "form"})]);
    assert_eq!(records(&c, "raw").await, [json!({"hit": "raw"})]);
}

#[tokio::test]
async fn a_null_param_is_not_sent_and_a_string_status_code_matches() {
    // dlt drops a None param; dlt configs write status codes as strings too.
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let yaml = "name: t\nclient: { base_url: http://unused }\nresource_defaults:\n  endpoint:\n    params: { sort: asc, page_size: 10 }\nresources:\n  - name: items\n    endpoint:\n      path: /items\n      paginator: single_page\n      params: { sort: null }\n      response_actions: [{ status_code: '404', action: ignore }]\n";
    let c = connector(yaml, Secrets::new(), &server.uri());
    assert!(records(&c, "items").await.is_empty(), "the 404 is ignored");
    assert_eq!(common::queries(&server, "/items").await, ["page_size=10"]);
}
