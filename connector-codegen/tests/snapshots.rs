//! Snapshots of the generated code, one copy each:
//!
//! - every seed spec in `specs/` against the checked-in `generated/src/<name>.rs`, header line
//!   included (`cargo regen` writes those, and the root package's `generated_fresh` test and
//!   `cargo build --workspace` check and compile them);
//! - every feature fixture in `tests/fixtures/` against `tests/expected/<name>.rs`, which
//!   `UPDATE_SNAPSHOTS=1` rewrites (review the diff before committing); the fixtures are
//!   compiled by the root package's trybuild pass cases through the macro.
//!
//! Both are also rendered twice, to check the output is deterministic.

use std::path::{Path, PathBuf};

use connector_codegen::outputs::REGEN_COMMAND;
use connector_codegen::{Builder, GeneratedFile};

const UPDATE_FIXTURES: &str = "UPDATE_SNAPSHOTS=1 cargo test -p connector-codegen --test snapshots";

/// Where a directory of specs is snapshotted, and how its snapshots are refreshed.
struct Snapshots {
    /// The directory holding `<name>.rs` for each `<name>.yaml`.
    dir: PathBuf,
    /// The command named in each file's header and in a failure.
    regen: &'static str,
    /// Whether `UPDATE_SNAPSHOTS=1` may rewrite the files here.
    rewritable: bool,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn render(spec: &Path, regen: &str) -> GeneratedFile {
    let files = Builder::new().spec(spec).regenerate_with(regen).render();
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

/// Compares `actual` with the file, or rewrites it under `UPDATE_SNAPSHOTS=1` when `to` allows.
fn ensure_file_contents(path: &Path, actual: &str, to: &Snapshots) {
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected == actual {
        return;
    }
    if to.rewritable && std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
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
        "{} is stale (first difference at line {}); run `{}` and review the diff",
        path.display(),
        first_diff + 1,
        to.regen
    );
}

fn check_dir(specs: &Path, to: &Snapshots) {
    let cwd = workspace();
    std::env::set_current_dir(&cwd).unwrap();
    for spec in yaml_files(specs) {
        let relative = spec.strip_prefix(&cwd).unwrap_or(&spec).to_path_buf();
        let file = render(&relative, to.regen);
        let name = spec.file_stem().unwrap().to_string_lossy().into_owned();
        let expected = to.dir.join(format!("{name}.rs"));
        ensure_file_contents(&expected, &file.contents, to);
        // Deterministic: a second run gives the same bytes.
        assert_eq!(
            render(&relative, to.regen).contents,
            file.contents,
            "{name} is not deterministic"
        );
    }
}

/// The seeds' snapshots are the checked-in `generated/src/`, which only `cargo regen` writes
/// (it also writes `generated/src/lib.rs`), so they are never rewritten here.
#[test]
fn seed_specs() {
    let to = Snapshots {
        dir: workspace().join("generated/src"),
        regen: REGEN_COMMAND,
        rewritable: false,
    };
    check_dir(&workspace().join("specs"), &to);
}

#[test]
fn feature_fixtures() {
    let to = Snapshots {
        dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expected"),
        regen: UPDATE_FIXTURES,
        rewritable: true,
    };
    check_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        &to,
    );
}
