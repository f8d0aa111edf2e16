//! Delta tables read back by an independent reader, the `deltalake` Python package, and a
//! local S3 server (moto), both through tests/support/delta.py run by the Python that
//! `CONNECTOR_DELTA_PYTHON` names (`.ci/delta-python` makes one; see docs/testing.md).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use tempfile::TempDir;

use serde_json::Value;

/// The environment variable naming the Python with `deltalake`, `pyarrow` and `moto`.
pub const PYTHON_ENV: &str = "CONNECTOR_DELTA_PYTHON";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/delta.py")
}

fn python() -> Command {
    let python = std::env::var(PYTHON_ENV).unwrap_or_else(|_| {
        panic!(
            "{PYTHON_ENV} is not set: the Delta tests read tables back with the `deltalake` \
             Python package. Run `export {PYTHON_ENV}=$(bash .ci/delta-python)` first."
        )
    });
    let mut command = Command::new(python);
    command.arg(script());
    command
}

/// A table as the Python reader sees it.
#[derive(Debug, Clone)]
pub struct Read {
    /// `(column, arrow type)` in table order.
    pub schema: Vec<(String, String)>,
    /// Rows as JSON objects.
    pub rows: Vec<serde_json::Map<String, Value>>,
    pub description: Option<String>,
}

impl Read {
    /// The arrow type of `column`.
    pub fn type_of(&self, column: &str) -> &str {
        self.schema
            .iter()
            .find(|(name, _)| name == column)
            .map_or("<missing>", |(_, ty)| ty.as_str())
    }

    /// The values of `columns` of every row, sorted.
    pub fn values(&self, columns: &[&str]) -> Vec<Vec<Value>> {
        let mut out: Vec<Vec<Value>> = self
            .rows
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .map(|c| r.get(*c).cloned().unwrap_or(Value::Null))
                    .collect()
            })
            .collect();
        out.sort_by_key(|r| serde_json::to_string(r).unwrap());
        out
    }
}

/// Reads the Delta table at `uri` (a directory or `s3://...`, with `env` for S3).
pub fn read(uri: &str, env: &[(&str, String)]) -> Read {
    let value = reader("read", uri, env);
    Read {
        schema: value["schema"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f[0].as_str().unwrap().to_owned(),
                    f[1].as_str().unwrap().to_owned(),
                )
            })
            .collect(),
        rows: value["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect(),
        description: value["description"].as_str().map(str::to_owned),
    }
}

/// The rows of each row group of each data file of the (local) Delta table at `uri`.
pub fn row_groups(uri: &str) -> Vec<Vec<u64>> {
    serde_json::from_value(reader("row_groups", uri, &[])).unwrap()
}

/// What the Python reader's `command` prints about the table at `uri`.
fn reader(command: &str, uri: &str, env: &[(&str, String)]) -> Value {
    let output = python()
        .args([command, uri])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("the Python reader runs");
    assert!(
        output.status.success(),
        "reading {uri}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Writes a Delta table at `uri` that connector did not make.
pub fn write_foreign(uri: &str, env: &[(&str, String)]) {
    let status = python()
        .args(["foreign", uri])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .status()
        .unwrap();
    assert!(status.success());
}

/// A moto S3 server on 127.0.0.1 with one bucket, for the whole test binary.
pub struct S3 {
    pub endpoint: String,
    pub bucket: &'static str,
    _server: Child,
}

impl S3 {
    /// The variables an S3 destination (and the reader) are configured with.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
        ]
    }
}

/// Starts the server once, and sets its variables in this process (the destination reads
/// them from the environment, as a user's shell would give them).
pub fn s3() -> &'static S3 {
    static S3_SERVER: OnceLock<S3> = OnceLock::new();
    S3_SERVER.get_or_init(|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = python()
            .args(["s3", &port.to_string(), "lake"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("moto starts");
        // moto says where it listens first; the script says `ready` once the bucket is made.
        let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
        assert!(
            lines.any(|line| line.is_ok_and(|l| l.trim() == "ready")),
            "moto did not start"
        );
        let s3 = S3 {
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: "lake",
            _server: server,
        };
        for (name, value) in s3.env() {
            std::env::set_var(name, value);
        }
        s3
    })
}

/// A test's own lake: a fresh local directory, or a fresh prefix of the S3 server's bucket.
pub struct Lake {
    /// What follows `delta:` in a destination URL: a directory or `s3://BUCKET/PREFIX`.
    pub root: String,
    /// What the reader is configured with (the S3 server's variables; none on local disk).
    pub env: Vec<(&'static str, String)>,
    _dir: Option<TempDir>,
}

impl Lake {
    /// A lake in a temporary directory, removed with the value.
    pub fn local() -> Lake {
        let dir = tempfile::tempdir().unwrap();
        Lake {
            root: dir.path().join("lake").display().to_string(),
            env: Vec::new(),
            _dir: Some(dir),
        }
    }

    /// A lake under the prefix `test` of the S3 server's bucket (one prefix per test, so
    /// tests running at once never meet).
    pub fn s3(test: &str) -> Lake {
        let s3 = s3();
        Lake {
            root: format!("s3://{}/{test}", s3.bucket),
            env: s3.env(),
            _dir: None,
        }
    }

    /// The destination URL of this lake.
    pub fn url(&self) -> String {
        format!("delta:{}", self.root)
    }

    /// Reads the table at `path` under the lake's root (`demo/users`).
    pub fn read(&self, path: &str) -> Read {
        read(&format!("{}/{path}", self.root), &self.env)
    }
}
