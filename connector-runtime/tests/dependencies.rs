//! The runtime and the generated connectors read the resolved spec only: no YAML library,
//! JSON Schema generator or fuzzy matcher is linked into a user's binary. Checked on the real
//! dependency graph: `cargo tree` with normal dependencies only, features resolved for the
//! package alone (as a user's build of it resolves them).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Crates that belong to loading and checking specs, never to running them.
const SPEC_TOOLING: &[&str] = &["serde_yaml", "yaml-rust2", "schemars", "strsim"];

/// Every package `package` links through normal (not dev or build) dependencies.
fn linked(package: &str) -> BTreeSet<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .arg("--manifest-path")
        .arg(&manifest)
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn runtime_and_generated_code_link_no_spec_tooling() {
    for package in ["connector-runtime", "connectors-generated"] {
        let linked = linked(package);
        assert!(
            linked.contains("connector-spec"),
            "{package} reads the resolved model: {linked:?}"
        );
        let found: Vec<&&str> = SPEC_TOOLING
            .iter()
            .filter(|name| linked.contains(**name))
            .collect();
        assert!(
            found.is_empty(),
            "{package} links {found:?}: keep them behind connector-spec's `yaml` feature"
        );
    }
    // The check can fail: the CLI, which loads YAML, does link them.
    let cli = linked("connector-cli");
    assert!(
        cli.contains("serde_yaml") && cli.contains("schemars"),
        "{cli:?}"
    );
}
