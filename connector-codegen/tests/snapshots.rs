//! Snapshots of the generated code: every seed spec in `specs/` and every feature fixture in
//! `tests/fixtures/`, compared with `tests/expected/<name>.rs`. `UPDATE_SNAPSHOTS=1` rewrites
//! them; review the diff before committing.
//!
//! The seed snapshots are also compiled: they are the checked-in `generated/` crate (see the
//! root package's `generated_fresh` test), and the fixtures are compiled by the root package's
//! trybuild pass cases through the macro.

use std::path::{Path, PathBuf};

use connector_codegen::{Builder, GeneratedFile};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn render(spec: &Path) -> GeneratedFile {
    let files = Builder::new()
        .spec(spec)
        .regenerate_with("UPDATE_SNAPSHOTS=1 cargo test -p connector-codegen --test snapshots")
        .render();
    match files {
        Ok(mut files) => files.remove(0),
        Err(err) => panic!("{} should generate:\n{err}", spec.display()),
    }
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    specs
}

/// Compares `actual` with the file, or rewrites it under `UPDATE_SNAPSHOTS=1`.
fn ensure_file_contents(path: &Path, actual: &str) {
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected == actual {
        return;
    }
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let first_diff = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or(expected.lines().count().min(actual.lines().count()));
    panic!(
        "{} is stale (first difference at line {}); run `UPDATE_SNAPSHOTS=1 cargo test -p \
         connector-codegen --test snapshots` and review the diff",
        path.display(),
        first_diff + 1
    );
}

fn check_dir(specs: &Path) {
    let cwd = workspace();
    std::env::set_current_dir(&cwd).unwrap();
    for spec in yaml_files(specs) {
        let relative = spec.strip_prefix(&cwd).unwrap_or(&spec).to_path_buf();
        let file = render(&relative);
        let name = spec.file_stem().unwrap().to_string_lossy().into_owned();
        let expected = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/expected")
            .join(format!("{name}.rs"));
        ensure_file_contents(&expected, &file.contents);
        // Deterministic: a second run gives the same bytes.
        assert_eq!(
            render(&relative).contents,
            file.contents,
            "{name} is not deterministic"
        );
    }
}

#[test]
fn seed_specs() {
    check_dir(&workspace().join("specs"));
}

#[test]
fn feature_fixtures() {
    check_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"));
}
