//! How `connector sync` and `connector check` fail, as real processes: secrets in none of
//! their encodings reach stderr or the report, each failure is printed once, retries are
//! visible, and the exit codes are the documented ones.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use assert_cmd::Command;

const API_KEY: &str = "k3y+Ab/Cd==&x y";
const CLIENT_SECRET: &str = "s3\"cr\\ét+/= z&";
const USER: &str = "bäsic user";
const PASSWORD: &str = "pä ss:w/rd\"+=%";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An API on 127.0.0.1 that refuses every request with 400 and echoes it back (request line,
/// headers and body), as text and again JSON-escaped: the worst an API's error body does.
fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 8192];
            // Headers, then the body its Content-Length announces.
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
                let head = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = head.find("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let echoed = String::from_utf8_lossy(&request).to_string();
            let body = format!(
                "{echoed}\n{}",
                serde_json::json!({ "error": "rejected", "request": echoed })
            );
            let reply = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    base
}

/// The forms a secret takes on the wire and in echoes.
fn encodings(secret: &str) -> Vec<String> {
    let percent = |space: &str| -> String {
        secret
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                b' ' => space.to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let json = serde_json::to_string(secret).unwrap();
    vec![
        secret.to_owned(),
        percent("+"),
        percent("%20"),
        percent("%20").to_lowercase(),
        json[1..json.len() - 1].to_owned(),
    ]
}

fn write_spec(dir: &Path) -> std::path::PathBuf {
    let spec = dir.join("e2e.yaml");
    std::fs::write(
        &spec,
        "name: e2e\nclient:\n  base_url: https://api.example.com\nresources:\n  - name: keyed\n    endpoint:\n      path: /keyed\n      paginator: single_page\n      auth: { type: api_key, name: api_key, api_key: { secret: api_key }, location: query }\n  - name: basic\n    endpoint:\n      path: /basic\n      paginator: single_page\n      auth: { type: http_basic, username: { secret: username }, password: { secret: password } }\n  - name: oauth\n    endpoint:\n      path: /oauth\n      paginator: single_page\n      auth: { type: oauth2, client_id: { secret: client_id }, client_secret: { secret: client_secret }, token_url: /token }\n",
    )
    .unwrap();
    spec
}

#[test]
fn no_encoding_of_a_secret_reaches_stderr_or_the_report_and_each_failure_prints_once() {
    let base = echo_server();
    let dir = tempfile::tempdir().unwrap();
    let spec = write_spec(dir.path());
    let report = dir.path().join("report.json");
    let out = Command::cargo_bin("connector")
        .unwrap()
        .current_dir(dir.path())
        .arg("sync")
        .arg(&spec)
        .args(["--base-url", &base, "--progress", "lines", "--report"])
        .arg(&report)
        .args(["--destination", "sqlite:e2e.db"])
        .env("E2E__API_KEY", API_KEY)
        .env("E2E__USERNAME", USER)
        .env("E2E__PASSWORD", PASSWORD)
        .env("E2E__CLIENT_ID", "client-one")
        .env("E2E__CLIENT_SECRET", CLIENT_SECRET)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let report = std::fs::read_to_string(&report).unwrap();
    // The echoes did arrive: the errors quote the bodies.
    for resource in ["keyed", "basic", "oauth"] {
        assert!(
            stderr.contains(&format!("error: resource `{resource}`:")),
            "{stderr}"
        );
        let printed = stderr.matches(&format!("resource `{resource}`:")).count();
        assert_eq!(printed, 1, "`{resource}` printed once:\n{stderr}");
        assert!(
            stderr.contains(&format!(
                "sync: {resource}: FAILED after 0 records, 0 pages (error below)"
            )),
            "{stderr}"
        );
    }
    assert!(stderr.contains("rejected"), "{stderr}");
    assert!(stderr.contains("api_key=***"), "{stderr}");
    let basic_pair = base64_encode(format!("{USER}:{PASSWORD}").as_bytes());
    for (what, shown) in [
        ("stderr", &stderr),
        ("report", &report),
        ("stdout", &text(&out.stdout)),
    ] {
        for secret in [API_KEY, CLIENT_SECRET, USER, PASSWORD] {
            for encoded in encodings(secret) {
                assert!(
                    !shown.contains(&encoded),
                    "{what} has {encoded:?}:\n{shown}"
                );
            }
        }
        assert!(
            !shown.contains(&basic_pair),
            "{what} has the Basic header:\n{shown}"
        );
    }
}

/// Standard base64, written out here so the test does not share the runtime's encoder.
fn base64_encode(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn a_refused_connection_warns_at_each_retry_and_suggests_base_url() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("down.yaml");
    std::fs::write(
        &spec,
        "name: down\nclient:\n  base_url: https://api.example.com\nresources:\n  - name: items\n    endpoint: { path: /items, paginator: single_page, error_handler: { max_retries: 2, backoff_factor: 0.01 } }\n",
    )
    .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let out = Command::cargo_bin("connector")
        .unwrap()
        .current_dir(dir.path())
        .arg("sync")
        .arg(&spec)
        .args(["--base-url", &url, "--progress", "lines", "--jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    for n in 1..=2 {
        let line = stderr
            .lines()
            .find(|l| l.contains(&format!("retrying ({n} of 2) in ")))
            .unwrap_or_else(|| panic!("retry {n} logged:\n{stderr}"));
        assert!(
            line.starts_with(&format!(
                "warning: resource `items`: GET {url}/items: could not connect"
            )),
            "{line}"
        );
    }
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: resource"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].starts_with(&format!(
            "error: resource `items`: GET {url}/items: could not connect"
        )),
        "{stderr}"
    );
    assert!(
        errors[0].ends_with("after 3 attempts; is the API running there? Check `base_url` in the spec, or `--base-url`"),
        "{stderr}"
    );
}

#[test]
fn a_spec_that_is_not_utf8_cannot_be_read_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("latin1.yaml"),
        b"name: caf\xe9\nclient: {}\n",
    )
    .unwrap();
    for (command, expected) in [
        ("sync", "error: cannot read spec `latin1.yaml`: not UTF-8 (invalid byte at offset 9); a spec is a YAML text file"),
        ("check", "error: cannot read `latin1.yaml`: not UTF-8 (invalid byte at offset 9); a spec is a YAML text file"),
    ] {
        let out = Command::cargo_bin("connector")
            .unwrap()
            .current_dir(dir.path())
            .args([command, "latin1.yaml"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert_eq!(text(&out.stderr).trim(), expected, "{command}");
    }
}
