//! Stops that look wrong are warnings naming the key to set (or errors with strict mode); a
//! page repeating the previous one is a loop; the page cap and the body cap are errors. Each
//! against a local server shaped like the API that fooled users, with the message text checked.

mod common;

use common::options;
use connector_runtime::futures::StreamExt;
use connector_runtime::{Connector, Error, Secrets, StatsHandle};
use serde_json::{json, Value};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn query(req: &Request, name: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn items(range: std::ops::Range<u64>) -> Vec<Value> {
    range.map(|i| json!({"id": i})).collect()
}

async fn serve(
    server: &MockServer,
    f: impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
) {
    Mock::given(path("/items"))
        .respond_with(f)
        .mount(server)
        .await;
}

/// One resource `items` at /items with these endpoint lines (indented by the caller).
fn spec(endpoint: &str) -> String {
    format!(
        "name: t\nclient: {{ base_url: http://unused }}\nresources:\n  - name: items\n    endpoint:\n      path: /items\n{endpoint}"
    )
}

/// The records, the error and the warnings of one run of `items`.
async fn run(
    yaml: &str,
    server: &MockServer,
    strict: bool,
) -> (Vec<Value>, Option<Error>, Vec<String>) {
    let c = Connector::new(
        common::spec(yaml),
        Secrets::new(),
        options(&server.uri()).with_strict(strict),
    )
    .expect("connector builds");
    let mut stream = c.stream("items", Default::default());
    let stats: StatsHandle = stream.stats();
    let mut records = Vec::new();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(r) => records.push(r),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    (records, error, stats.warnings())
}

/// 300 records, 50 a page, the cursor at `links.next` (not dlt's default `cursors.next`).
async fn links_next_api() -> MockServer {
    let server = MockServer::start().await;
    serve(&server, |req: &Request| {
        let at: u64 =
            query(req, "cursor").map_or(0, |c| c.trim_start_matches('c').parse().unwrap());
        let next = if at + 50 < 300 {
            json!(format!("c{}", at + 50))
        } else {
            Value::Null
        };
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": items(at..at + 50), "links": {"next": next}}))
    })
    .await;
    server
}

#[tokio::test]
async fn a_cursor_paginator_without_cursor_path_warns_with_the_path_to_set() {
    let server = links_next_api().await;
    let yaml = spec("      data_selector: data\n      paginator: { type: cursor, limit: 50 }\n");
    let (records, error, warnings) = run(&yaml, &server, false).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(records.len(), 50, "the partial load the users saw");
    assert_eq!(
        warnings,
        ["resource `items`: pagination stopped after page 1 (50 records, a full page) because the \
          response has no `cursors.next` (paginator `cursor_path`), but the response has \
          `links.next` = \"c50\"; to load the rest, set `cursor_path: links.next`"]
    );
    // With the fix, everything and no warning.
    let fixed = spec("      data_selector: data\n      paginator: { type: cursor, limit: 50, cursor_path: links.next }\n");
    let (records, error, warnings) = run(&fixed, &server, false).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(records.len(), 300);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[tokio::test]
async fn json_link_on_a_link_header_api_warns_to_use_header_link() {
    let server = MockServer::start().await;
    let uri = server.uri();
    serve(&server, move |req: &Request| {
        let page: u64 = query(req, "page").map_or(1, |p| p.parse().unwrap());
        let start = (page - 1) * 25;
        let more = page < 12;
        let mut t = ResponseTemplate::new(200)
            .set_body_json(json!({"data": items(start..start + 25), "has_more": more}));
        if more {
            t = t.insert_header(
                "Link",
                format!("<{uri}/items?page={}>; rel=\"next\"", page + 1).as_str(),
            );
        }
        t
    })
    .await;
    let yaml = spec("      data_selector: data\n      paginator: json_link\n");
    let (records, error, warnings) = run(&yaml, &server, false).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(records.len(), 25);
    assert_eq!(
        warnings,
        [
            "resource `items`: pagination stopped after page 1 (25 records) because the response \
          has no `next` (paginator `next_url_path`), but the response has a `Link` header with \
          rel=\"next\" and `has_more: true`; to load the rest, use `paginator: header_link`"
        ]
    );
    let (records, _, warnings) = run(
        &spec("      data_selector: data\n      paginator: header_link\n"),
        &server,
        false,
    )
    .await;
    assert_eq!((records.len(), warnings.len()), (300, 0), "{warnings:?}");
}

#[tokio::test]
async fn a_wrong_data_selector_warns_once_with_the_detected_path() {
    let server = MockServer::start().await;
    serve(&server, |req: &Request| {
        let page: u64 = query(req, "page").map_or(1, |p| p.parse().unwrap());
        let next = if page < 12 {
            json!(page + 1)
        } else {
            Value::Null
        };
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": items(page * 10..page * 10 + 10), "next": next}))
    })
    .await;
    let yaml = spec("      data_selector: records\n      paginator: { type: cursor, cursor_path: next, cursor_param: page }\n");
    let (records, error, warnings) = run(&yaml, &server, false).await;
    assert!(error.is_none(), "{error:?}");
    assert!(records.is_empty());
    assert_eq!(
        warnings,
        ["resource `items`: page 1: data_selector `records` matched nothing in the response (its \
          top-level keys: data, next), read as no records; the records look to be at `data`: set \
          `data_selector: data`"],
        "one warning for the 12 pages"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 12);
}

#[tokio::test]
async fn an_empty_body_a_204_and_a_null_selector_are_warned_about() {
    let cases: [(ResponseTemplate, &str); 3] = [
        (
            ResponseTemplate::new(200),
            "resource `items`: page 1: the response (status 200) has an empty body, read as no \
             records; if this endpoint should return records, check its path and params (a \
             `response_actions` entry `{status_code: 200, action: ignore}` says an empty answer \
             is expected)",
        ),
        (
            ResponseTemplate::new(204),
            "resource `items`: page 1: the response (status 204) has an empty body, read as no \
             records; if this endpoint should return records, check its path and params (a \
             `response_actions` entry `{status_code: 204, action: ignore}` says an empty answer \
             is expected)",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"data": null})),
            "resource `items`: page 1: data_selector `data` is null in the response, read as no \
             records; if this endpoint should return records, check `data_selector`",
        ),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(path("/items"))
            .respond_with(response)
            .mount(&server)
            .await;
        let yaml = spec("      data_selector: data\n      paginator: single_page\n");
        let (records, error, warnings) = run(&yaml, &server, false).await;
        assert!(error.is_none(), "{error:?}");
        assert!(records.is_empty());
        assert_eq!(warnings, [expected]);
    }
}

#[tokio::test]
async fn an_empty_list_is_not_a_warning() {
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [], "next": null})))
        .mount(&server)
        .await;
    let yaml = spec(
        "      data_selector: data\n      paginator: { type: json_link, next_url_path: next }\n",
    );
    let (records, error, warnings) = run(&yaml, &server, false).await;
    assert!(error.is_none() && records.is_empty());
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[tokio::test]
async fn strict_mode_makes_a_warning_an_error() {
    let server = links_next_api().await;
    let yaml = spec("      data_selector: data\n      paginator: { type: cursor, limit: 50 }\n");
    let (records, error, warnings) = run(&yaml, &server, true).await;
    assert_eq!(records.len(), 50);
    assert!(warnings.is_empty());
    assert_eq!(
        error.expect("strict").to_string(),
        "resource `items`: pagination stopped after page 1 (50 records, a full page) because the \
         response has no `cursors.next` (paginator `cursor_path`), but the response has \
         `links.next` = \"c50\"; to load the rest, set `cursor_path: links.next` (strict mode \
         makes this warning an error: `strict: true` in the spec, or `connector sync --strict`)"
    );
    // The spec's `strict: true` does the same.
    let (_, error, _) = run(&format!("strict: true\n{yaml}"), &server, false).await;
    assert!(matches!(error, Some(Error::Strict { .. })), "{error:?}");
}

#[tokio::test]
async fn an_api_that_ignores_the_cursor_is_a_loop_or_hits_the_page_cap() {
    // A new cursor every time, the same records: a loop, seen on page 2.
    let server = MockServer::start().await;
    let calls = std::sync::atomic::AtomicU64::new(0);
    serve(&server, move |_: &Request| {
        let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": items(0..3), "next": format!("c{n}")}))
    })
    .await;
    let yaml =
        spec("      data_selector: data\n      paginator: { type: cursor, cursor_path: next }\n");
    let (records, error, _) = run(&yaml, &server, false).await;
    assert_eq!(records.len(), 3);
    let error = error.expect("loop").to_string();
    assert!(
        error.starts_with("resource `items`: pagination stopped at "),
        "{error}"
    );
    assert!(
        error.ends_with(
            ": page 2 has the same 3 records as page 1: the API is not moving to the \
                         next page with what the paginator sends; check `cursor_param` / \
                         `cursor_body_path` (where the cursor is sent) and `cursor_path`"
        ),
        "{error}"
    );

    // New records and a new cursor forever: the page cap (`max_pages` in the spec) ends it.
    let server = MockServer::start().await;
    serve(&server, |req: &Request| {
        let n: u64 = query(req, "cursor").map_or(0, |c| c.parse().unwrap());
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": items(n * 2..n * 2 + 2), "next": n + 1}))
    })
    .await;
    let yaml = spec("      data_selector: data\n      max_pages: 25\n      paginator: { type: cursor, cursor_path: next }\n");
    let (records, error, _) = run(&yaml, &server, false).await;
    assert_eq!(records.len(), 50);
    let error = error.expect("cap").to_string();
    assert!(
        error.ends_with(
            "reached the page cap of 25 pages and the API still reports more pages; \
                         if it really has more, raise `max_pages` on the endpoint (or in \
                         resource_defaults.endpoint) or pass `connector sync --max-pages N`; if \
                         not, the paginator is not moving on: check its settings"
        ),
        "{error}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 25);
}

/// A gzip body of `zeros` zero bytes, a single fixed-Huffman deflate block of 258-byte
/// back-references: ~13 bits per 258 bytes, so 300 MB fit in ~2 MB. The trailer's CRC is not
/// computed: a capped client never reads that far.
fn gzip_bomb(zeros: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code: most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let reversed = (0..len).fold(0, |r, i| r | ((code >> i) & 1) << (len - 1 - i));
            self.put(reversed, len);
        }
    }
    let mut bits = Bits {
        out: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255],
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    for _ in 0..(zeros - 1) / 258 {
        bits.code(0xC5, 8); // length 258 (symbol 285)
        bits.code(0, 5); // distance 1
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7); // byte align
    let mut out = bits.out;
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&((zeros as u32).to_le_bytes()));
    out
}

#[tokio::test]
async fn a_gzip_bomb_stops_at_the_body_cap() {
    let bomb = gzip_bomb(300 * 1024 * 1024);
    assert!(
        bomb.len() < 3 * 1024 * 1024,
        "{} bytes compressed",
        bomb.len()
    );
    let server = MockServer::start().await;
    Mock::given(path("/items"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .insert_header("content-type", "application/json")
                .set_body_bytes(bomb),
        )
        .mount(&server)
        .await;
    let yaml = "name: t\nclient: { base_url: http://unused, max_body_bytes: 1048576 }\nresources:\n  - name: items\n    endpoint:\n      path: /items\n      params: { api_key: s3cr3t }\n";
    let started = std::time::Instant::now();
    let (records, error, _) = run(yaml, &server, false).await;
    assert!(records.is_empty());
    let error = error.expect("cap").to_string();
    assert!(
        error.ends_with(
            "(status 200): the response body is larger than the cap of 1048576 bytes \
                         after decompression; if that is expected, raise `client.max_body_bytes` \
                         in the spec or `connector sync --max-body-bytes N`"
        ),
        "{error}"
    );
    assert!(
        error.contains("/items?api_key=***"),
        "URL shown, key redacted: {error}"
    );
    assert!(
        started.elapsed().as_secs() < 20,
        "stopped early: {:?}",
        started.elapsed()
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "not retried"
    );
}
