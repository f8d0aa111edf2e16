//! `connector generate SPEC... --out DIR` writes a crate that builds on its own: the files the
//! CLI writes (`outputs::standalone_crate`) are written to a temporary directory and checked
//! with cargo against this checkout's connector-runtime.

use std::path::Path;
use std::process::Command;

use connector_codegen::outputs::{standalone_crate, RuntimeDependency};
use connector_codegen::Builder;

#[test]
fn generated_crate_builds_on_its_own() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = Builder::new()
        .spec(root.join("specs/meetings.yaml"))
        .spec(root.join("specs/crm_analytics.yaml"))
        .regenerate_with("connector generate")
        .emit_rerun_if_changed(false)
        .render()
        .unwrap();
    let runtime = RuntimeDependency::Path(root.join("connector-runtime"));
    let crate_files = standalone_crate("standalone-check", &files, &runtime);
    let names: Vec<String> = crate_files
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "Cargo.toml",
            "src/lib.rs",
            "src/meetings.rs",
            "src/crm_analytics.rs"
        ]
    );

    let dir = tempfile::tempdir().unwrap();
    for (path, contents) in &crate_files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    // Shares trybuild's target directory, so dependencies are built once for both.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("tests/trybuild");
    let output = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the generated crate does not build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn published_runtime_is_the_default_dependency() {
    let files = standalone_crate(
        "x",
        &[],
        &RuntimeDependency::Version(connector_codegen::VERSION.to_owned()),
    );
    assert!(files[0].1.contains(&format!(
        "connector-runtime = \"{}\"",
        connector_codegen::VERSION
    )));
    assert!(files[0].1.contains("[workspace]"));
}
