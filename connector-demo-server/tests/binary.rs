//! The `demo-server` binary: prints its URL first, serves until killed, explains bad flags.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn prints_its_url_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_demo-server"))
        .args(["--records", "42", "--page-size", "40"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let body: serde_json::Value = reqwest::get(format!("{url}/bench/items"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(body["total_records"], 42);
    assert_eq!(body["total"], 2);
    assert_eq!(body["items"].as_array().unwrap().len(), 40);
}

#[test]
fn bad_flags_exit_2_with_the_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_demo-server"))
        .args(["--latency-ms", "soon"])
        .env_remove("DEMO_SERVER_PORT")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("demo-server: `--latency-ms` needs a non-negative integer, got `soon`\nusage: demo-server"),
        "{stderr}"
    );
}
