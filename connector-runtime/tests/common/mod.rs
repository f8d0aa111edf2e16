//! Helpers shared by the integration tests: specs from YAML, a connector pointed at a local
//! server with retry waits scaled down, and collecting a stream.
#![allow(dead_code)]

use connector_runtime::connector_spec::{ResolvedSpec, Spec};
use connector_runtime::futures::StreamExt;
use connector_runtime::{Connector, Error, Options, RunOptions, Secrets};
use serde_json::Value;

/// A spec from YAML, deserialized and resolved without the spec crate's validation (these
/// tests exercise the runtime, including what it does with specs validation would flag).
pub fn spec(yaml: &str) -> ResolvedSpec {
    written(yaml)
        .resolve()
        .unwrap_or_else(|e| panic!("test spec does not resolve: {e}\n{yaml}"))
}

/// Why a spec does not resolve (the spec crate's message, which `connector check` shows too).
pub fn resolve_error(yaml: &str) -> String {
    written(yaml)
        .resolve()
        .expect_err("the spec should not resolve")
        .to_string()
}

fn written(yaml: &str) -> Spec {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("test spec does not parse: {e}\n{yaml}"))
}

/// Options for a local server: its base URL and retry waits a thousand times shorter.
pub fn options(base_url: &str) -> Options {
    Options::new()
        .with_base_url(base_url)
        .with_retry_delay_scale(0.001)
}

pub fn connector(yaml: &str, secrets: Secrets, base_url: &str) -> Connector {
    Connector::new(spec(yaml), secrets, options(base_url)).expect("connector builds")
}

/// Every item of a resource: the records before the first error, and that error.
pub async fn collect(connector: &Connector, resource: &str) -> (Vec<Value>, Option<Error>) {
    collect_run(connector, resource, RunOptions::default()).await
}

pub async fn collect_run(
    connector: &Connector,
    resource: &str,
    run: RunOptions,
) -> (Vec<Value>, Option<Error>) {
    let mut stream = connector.stream(resource, run);
    let mut records = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(r) => records.push(r),
            Err(e) => return (records, Some(e)),
        }
    }
    (records, None)
}

/// All records; panics (with the error) on failure.
pub async fn records(connector: &Connector, resource: &str) -> Vec<Value> {
    let (records, error) = collect(connector, resource).await;
    if let Some(e) = error {
        panic!("resource {resource} failed: {e}");
    }
    records
}

/// `ids(records, "id")`: one field of every record.
pub fn field(records: &[Value], name: &str) -> Vec<Value> {
    records
        .iter()
        .map(|r| r.get(name).cloned().unwrap_or(Value::Null))
        .collect()
}

/// The query string of each request the mock server received for `path`.
pub async fn queries(server: &wiremock::MockServer, path: &str) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == path)
        .map(|r| r.url.query().unwrap_or("").to_owned())
        .collect()
}

/// Every log line (all levels, no colour) written on this thread while the guard lives;
/// spawned tasks are included on a current-thread runtime.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Starts capturing; logs go to the returned buffer until the guard is dropped.
    pub fn start() -> (Captured, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
