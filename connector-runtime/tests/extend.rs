//! Paginators and authenticators of the caller's own (dlt's `register_paginator` /
//! `register_auth`), attached to one resource through `Options`, against a local server.

mod common;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use common::{collect, options, queries, spec};
use connector_runtime::futures::future::BoxFuture;
use connector_runtime::reqwest::RequestBuilder;
use connector_runtime::{Authenticator, Connector, Error, Flow, Page, PageRequest, Paginator};
use connector_runtime::{Options, Secrets};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Follows `{"continue": {"from": N}}` with `?from=N`.
struct ContinueFrom;

impl Paginator for ContinueFrom {
    fn init(&mut self, request: &mut PageRequest) {
        request.set_query("from", "0".to_owned());
    }

    fn next(&mut self, page: &Page<'_>, request: &mut PageRequest) -> Result<Flow, String> {
        match page.body.pointer("/continue/from").and_then(|v| v.as_u64()) {
            Some(from) => {
                request.set_query("from", from.to_string());
                Ok(Flow::Next {
                    token: from.to_string(),
                })
            }
            None => Ok(Flow::Stop),
        }
    }
}

const TWO_RESOURCES: &str = "name: t\nclient:\n  base_url: http://unused\n  auth: { type: bearer, token: { secret: token } }\nresources:\n  - name: parents\n    endpoint: { path: /parents, data_selector: data, paginator: single_page }\n  - name: children\n    endpoint: { path: \"/parents/{resources.parents.id}/children\", data_selector: data, paginator: single_page }\n";

fn page(ids: &[u64], next: Option<u64>) -> ResponseTemplate {
    let data: Vec<_> = ids.iter().map(|id| json!({ "id": id })).collect();
    let body = match next {
        Some(from) => json!({ "data": data, "continue": { "from": from } }),
        None => json!({ "data": data }),
    };
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn a_custom_paginator_pages_one_resource_fresh_for_each_parent() {
    let server = MockServer::start().await;
    Mock::given(path("/parents"))
        .respond_with(page(&[1, 2], None))
        .mount(&server)
        .await;
    for parent in [1, 2] {
        let at = format!("/parents/{parent}/children");
        Mock::given(path(at.clone()))
            .and(query_param("from", "0"))
            .respond_with(page(&[parent * 10], Some(1)))
            .mount(&server)
            .await;
        Mock::given(path(at))
            .and(query_param("from", "1"))
            .respond_with(page(&[parent * 10 + 1], None))
            .mount(&server)
            .await;
    }
    let made = Arc::new(AtomicUsize::new(0));
    let counter = made.clone();
    let c = Connector::new(
        spec(TWO_RESOURCES),
        Secrets::new().with("token", "t"),
        options(&server.uri()).with_paginator("children", move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Box::new(ContinueFrom)
        }),
    )
    .unwrap();
    let (children, err) = collect(&c, "children").await;
    assert!(err.is_none(), "{err:?}");
    let ids: Vec<_> = children.iter().map(|c| c["id"].clone()).collect();
    assert_eq!(ids, [json!(10), json!(11), json!(20), json!(21)]);
    assert_eq!(made.load(Ordering::SeqCst), 2, "one paginator per parent");
    // The parents kept the spec's single_page: one request, no `from`.
    assert_eq!(queries(&server, "/parents").await, [""]);
}

#[tokio::test]
async fn a_custom_paginator_that_repeats_itself_is_stopped() {
    struct Stuck;
    impl Paginator for Stuck {
        fn next(&mut self, _: &Page<'_>, _: &mut PageRequest) -> Result<Flow, String> {
            Ok(Flow::Next {
                token: "same".to_owned(),
            })
        }
    }
    let server = MockServer::start().await;
    Mock::given(path("/parents"))
        .respond_with(page(&[1], None))
        .mount(&server)
        .await;
    let c = Connector::new(
        spec(TWO_RESOURCES),
        Secrets::new().with("token", "t"),
        options(&server.uri()).with_paginator("parents", || Box::new(Stuck)),
    )
    .unwrap();
    let (got, err) = collect(&c, "parents").await;
    assert_eq!(got.len(), 2, "two pages before the loop is seen");
    let err = err.expect("loop detected").to_string();
    assert!(err.contains("returned same twice"), "{err}");
}

/// Adds `X-Signature: <generation>`; a 401 makes it move to the next generation once.
struct Rotating {
    generation: AtomicU64,
    invalidated: AtomicUsize,
}

impl Authenticator for Rotating {
    fn apply<'a>(
        &'a self,
        request: RequestBuilder,
        _resource: &'a str,
    ) -> BoxFuture<'a, Result<(RequestBuilder, u64), Error>> {
        let generation = self.generation.load(Ordering::SeqCst);
        Box::pin(async move {
            Ok((
                request.header("X-Signature", format!("sig-{generation}")),
                generation,
            ))
        })
    }

    fn invalidate(&self, generation: u64) -> BoxFuture<'_, bool> {
        self.invalidated.fetch_add(1, Ordering::SeqCst);
        let _ = self.generation.compare_exchange(
            generation,
            generation + 1,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
        Box::pin(async { true })
    }
}

#[tokio::test]
async fn a_custom_authenticator_replaces_the_spec_auth_of_one_resource() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/parents"))
        .and(header("authorization", "Bearer t"))
        .respond_with(page(&[1], None))
        .mount(&server)
        .await;
    Mock::given(path("/parents/1/children"))
        .and(header("X-Signature", "sig-1"))
        .respond_with(page(&[10], None))
        .mount(&server)
        .await;
    Mock::given(path("/parents/1/children"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let auth = Arc::new(Rotating {
        generation: AtomicU64::new(0),
        invalidated: AtomicUsize::new(0),
    });
    struct Shared(Arc<Rotating>);
    impl Authenticator for Shared {
        fn apply<'a>(
            &'a self,
            request: RequestBuilder,
            resource: &'a str,
        ) -> BoxFuture<'a, Result<(RequestBuilder, u64), Error>> {
            self.0.apply(request, resource)
        }
        fn invalidate(&self, generation: u64) -> BoxFuture<'_, bool> {
            self.0.invalidate(generation)
        }
    }
    let c = Connector::new(
        spec(TWO_RESOURCES),
        Secrets::new().with("token", "t"),
        options(&server.uri()).with_authenticator("children", Shared(auth.clone())),
    )
    .unwrap();
    let (children, err) = collect(&c, "children").await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(children, [json!({"id": 10})]);
    assert_eq!(
        auth.invalidated.load(Ordering::SeqCst),
        1,
        "one 401, one replay"
    );
    let sent: Vec<Request> = server.received_requests().await.unwrap();
    let children_auth: Vec<_> = sent
        .iter()
        .filter(|r| r.url.path() != "/parents")
        .map(|r| r.headers.get("authorization").is_some())
        .collect();
    assert_eq!(
        children_auth,
        [false, false],
        "the spec's bearer token is not added"
    );
}

#[test]
fn options_naming_an_unknown_resource_are_refused() {
    let err = Connector::new(
        spec(TWO_RESOURCES),
        Secrets::new().with("token", "t"),
        Options::new().with_paginator("child", || Box::new(ContinueFrom)),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown resource `child`; the spec has: parents, children"
    );
}
