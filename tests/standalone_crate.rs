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

/// A crate whose build.rs generates the connector with `Builder` and `include!`s it; `cargo
/// check`ed.
fn build_rs_crate(dir: &Path, spec_yaml: &str) -> std::process::Output {
    write_build_rs_crate(dir, "build-rs-check", spec_yaml, "");
    check_crate(dir)
}

/// Writes the build.rs crate `name`, `lib_extra` appended to its `src/lib.rs`. Tests share
/// one target directory, where cargo keys a path crate's build script output by its name and
/// version, not its path: each test needs a name of its own.
fn write_build_rs_crate(dir: &Path, name: &str, spec_yaml: &str, lib_extra: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = |p: &str| root.join(p).display().to_string().replace('\\', "/");
    let files = [
        (
            "Cargo.toml",
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nconnector-runtime = {{ path = \"{}\" }}\n\n\
                 [build-dependencies]\nconnector-codegen = {{ path = \"{}\" }}\n\n[workspace]\n",
                path("connector-runtime"),
                path("connector-codegen")
            ),
        ),
        (
            "build.rs",
            "fn main() -> Result<(), Box<dyn std::error::Error>> {\n    \
             connector_codegen::Builder::new().spec(\"specs/demo.yaml\").generate()?;\n    \
             Ok(())\n}\n"
                .to_owned(),
        ),
        (
            "src/lib.rs",
            "#![deny(warnings)]\n\
             pub mod demo {\n    include!(concat!(env!(\"OUT_DIR\"), \"/demo.rs\"));\n}\n\
             pub fn users(c: &demo::Client) -> connector_runtime::ResourceStream<demo::types::User> {\n    \
             c.users()\n}\n"
                .to_owned()
                + lib_extra,
        ),
        ("specs/demo.yaml", spec_yaml.to_owned()),
    ];
    for (name, contents) in files {
        write(dir, name, &contents);
    }
}

fn write(dir: &Path, name: &str, contents: &str) {
    let file = dir.join(name);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, contents).unwrap();
}

fn check_crate(dir: &Path) -> std::process::Output {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("tests/trybuild");
    Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap()
}

const DEMO: &str = "name: demo\nclient:\n  base_url: https://api.example.com\nresources:\n  - name: users\n    endpoint: /users\n    columns:\n      id: { data_type: text, nullable: false }\n";

#[test]
fn build_rs_path_generates_and_includes() {
    let dir = tempfile::tempdir().unwrap();
    let output = build_rs_crate(dir.path(), DEMO);
    assert!(
        output.status.success(),
        "the build.rs crate does not build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A bad spec fails the build script with the same positioned diagnostics.
    let bad = DEMO.replace("data_type: text", "data_type: txt");
    let output = build_rs_crate(dir.path(), &bad);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("specs/demo.yaml:8:") && stderr.contains("txt"),
        "{stderr}"
    );
}

/// build.rs tracks the schema documents, the ones reached by `$ref` too: editing only the
/// referenced file re-runs the build script, and the new field is there.
#[test]
fn editing_a_document_reached_by_ref_reruns_build_rs() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "name: demo\nclient:\n  base_url: https://api.example.com\nresources:\n  - name: users\n    endpoint: /users\n    columns_from: schemas/user.json\n";
    write_build_rs_crate(
        dir.path(),
        "build-rs-ref-check",
        spec,
        "pub fn city(user: &demo::types::User) -> Option<&str> {\n    \
         user.address.as_ref()?.city.as_deref()\n}\n",
    );
    write(
        dir.path(),
        "specs/schemas/user.json",
        r#"{"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "address": {"$ref": "address.json"}}}"#,
    );
    let address = |extra: &str| {
        format!(r#"{{"type": "object", "properties": {{"street": {{"type": "string"}}{extra}}}}}"#)
    };
    write(dir.path(), "specs/schemas/address.json", &address(""));
    let output = check_crate(dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("no field `city`"),
        "{stderr}"
    );
    write(
        dir.path(),
        "specs/schemas/address.json",
        &address(r#", "city": {"type": "string"}"#),
    );
    let output = check_crate(dir.path());
    assert!(
        output.status.success(),
        "after adding `city` to the referenced document:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Editing the spec, a sample or a schema document rebuilds a crate that uses `#[connector]`,
/// with no change to its Rust code: the expansion `include_bytes!`s each, so cargo tracks them.
#[test]
fn editing_the_spec_a_sample_or_a_document_rebuilds_the_macro_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, contents: &str| {
        let file = dir.path().join(name);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, contents).unwrap();
    };
    write(
        "Cargo.toml",
        &format!(
            "[package]\nname = \"macro-rebuild-check\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nconnector = {{ path = \"{}\" }}\n\n[workspace]\n",
            root.display().to_string().replace('\\', "/")
        ),
    );
    write(
        "src/lib.rs",
        "#[connector::connector(\"specs/demo.yaml\")]\npub mod demo {}\n\
         pub fn email(user: &demo::types::User) -> Option<&str> {\n    user.email.as_deref()\n}\n",
    );
    let spec = "name: demo\nclient:\n  base_url: https://api.example.com\nresources:\n  - name: users\n    endpoint: { path: /users, data_selector: data }\n    samples: [users.json]\n    columns:\n      id: { data_type: bigint, nullable: false }\n";
    write(
        "specs/users.json",
        r#"{"data": [{"id": 1, "email": "a@example.com"}]}"#,
    );
    write("specs/demo.yaml", spec);
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("tests/trybuild");
    let check = || {
        let out = Command::new(env!("CARGO"))
            .args(["check", "--offline", "--quiet"])
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("CONNECTOR_SPEC_DIR")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (ok, stderr) = check();
    assert!(!ok && stderr.contains("no field `email`"), "{stderr}");

    write(
        "specs/demo.yaml",
        &format!("{spec}      email: {{ data_type: text }}\n"),
    );
    let (ok, stderr) = check();
    assert!(ok, "after adding the column:\n{stderr}");

    write("specs/users.json", r#"{"data": [{"id": 1, "email": 5}]}"#);
    let (ok, stderr) = check();
    assert!(
        !ok && stderr.contains("sample `users.json`, record 0, field `email`"),
        "{stderr}"
    );

    // Columns from a schema document: editing the document alone rebuilds.
    write(
        "specs/demo.yaml",
        "name: demo\nclient:\n  base_url: https://api.example.com\nresources:\n  - name: users\n    columns_from: schemas/user.json\n",
    );
    let schema = |extra: &str| {
        format!(
            r#"{{"type": "object", "required": ["id"], "properties": {{"id": {{"type": "integer"}}{extra}}}}}"#
        )
    };
    write("specs/schemas/user.json", &schema(""));
    let (ok, stderr) = check();
    assert!(!ok && stderr.contains("no field `email`"), "{stderr}");
    write(
        "specs/schemas/user.json",
        &schema(r#", "email": {"type": "string"}"#),
    );
    let (ok, stderr) = check();
    assert!(ok, "after adding `email` to the document:\n{stderr}");
}
