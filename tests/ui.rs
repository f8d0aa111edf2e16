//! Compile-time behaviour of `#[connector]`, through real compilations (trybuild): every spec
//! problem is a compile error with the spec's file, line, column, key and fix
//! (`tests/ui/*.rs` + `.stderr`), and valid specs compile warning-free (`tests/pass/*.rs`).
//!
//! trybuild builds each case in a crate inside `target/`, so relative spec paths are pointed
//! at this package's directory with `CONNECTOR_SPEC_DIR`, the way `CARGO_MANIFEST_DIR` points
//! at a user's crate. `TRYBUILD=overwrite` rewrites the `.stderr` files; review the diff.

#[test]
fn ui() {
    // The only test in this binary, so no other thread reads the environment meanwhile.
    std::env::set_var("CONNECTOR_SPEC_DIR", env!("CARGO_MANIFEST_DIR"));
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/pass/*.rs");
}
