//! The checked-in `generated/` crate must be what the generator writes for `specs/*.yaml`
//! today; when a spec or the generator changed, this fails and names the command to run.

use std::path::Path;

use connector_codegen::outputs::{generated_crate, stale_files, REGEN_COMMAND};

#[test]
fn generated_crate_is_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = match generated_crate(root) {
        Ok(files) => files,
        Err(err) => panic!("specs/ should generate:\n{err}"),
    };
    // lib.rs and one module per seed spec.
    assert_eq!(
        files.len(),
        6,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let stale = stale_files(root, &files);
    assert!(
        stale.is_empty(),
        "generated code is stale: {}\nrun `{REGEN_COMMAND}` and commit the result",
        stale
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
}

#[test]
fn a_stale_file_is_named() {
    let root = tempfile::tempdir().unwrap();
    let files = vec![
        (Path::new("a.rs").to_path_buf(), "fresh\n".to_owned()),
        (Path::new("b.rs").to_path_buf(), "new\n".to_owned()),
    ];
    std::fs::write(root.path().join("a.rs"), "fresh\n").unwrap();
    std::fs::write(root.path().join("b.rs"), "old\n").unwrap();
    assert_eq!(stale_files(root.path(), &files), vec![Path::new("b.rs")]);
}
