//! The dlt-style configs in `tests/specs/dlt/` (see its README): each loads, giving exactly
//! the warnings its first line lists, by key.

use std::path::Path;

#[test]
fn every_dlt_style_config_loads_with_the_warnings_it_lists() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/specs/dlt");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let expected: Vec<&str> = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# warnings: "))
            .unwrap_or_else(|| panic!("{}: first line is `# warnings: ...`", path.display()))
            .split(", ")
            .filter(|w| *w != "none")
            .collect();
        let loaded = connector_spec::load(&path).unwrap_or_else(|d| {
            let shown: Vec<String> = d.iter().map(ToString::to_string).collect();
            panic!("{} does not load:\n{}", path.display(), shown.join("\n"))
        });
        let keys: Vec<String> = loaded
            .warnings
            .iter()
            .map(|w| {
                let last = w.key_path.rsplit('.').next().unwrap_or_default();
                if last == "primary_key" && w.key_path.contains("incremental") {
                    "incremental.primary_key".to_owned()
                } else {
                    last.to_owned()
                }
            })
            .collect();
        assert_eq!(keys, expected, "{}: {:#?}", path.display(), loaded.warnings);
        checked += 1;
    }
    assert!(checked >= 5, "the corpus has its configs ({checked})");
}
