use std::path::Path;

#[test]
fn every_seed_spec_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let loaded =
                connector_spec::load(&path).unwrap_or_else(|d| panic!("{}: {d:?}", path.display()));
            assert!(!loaded.spec.resources.is_empty());
            count += 1;
        }
    }
    assert_eq!(count, 5);
}
