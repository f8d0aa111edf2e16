//! Every valid spec, serialized to YAML or JSON and parsed again, is the same model.

use std::path::{Path, PathBuf};

use connector_spec::{parse_str, Spec};

fn valid_specs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["specs", "tests/specs/invalid"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("dir").flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "yaml") && connector_spec::load(&path).is_ok()
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn load(path: &Path) -> Spec {
    connector_spec::load(path)
        .unwrap_or_else(|d| panic!("{}: {d:#?}", path.display()))
        .spec
}

#[test]
fn every_valid_spec_round_trips_through_yaml_and_json() {
    let files = valid_specs();
    // The five seeds plus the warning-only corpus entries.
    assert!(files.len() >= 8, "{files:?}");
    for path in files {
        let spec = load(&path);
        let name = path.display().to_string();

        let yaml = serde_yaml::to_string(&spec).expect("serializes to YAML");
        let again =
            parse_str(&yaml, &name).unwrap_or_else(|d| panic!("{name} YAML: {d:#?}\n{yaml}"));
        assert_eq!(again.spec, spec, "{name}: YAML round trip\n{yaml}");

        let json = serde_json::to_string_pretty(&spec).expect("serializes to JSON");
        let from_json: Spec = serde_json::from_str(&json).expect("JSON deserializes");
        assert_eq!(from_json, spec, "{name}: JSON round trip");
        // JSON is YAML: the loader (with its validation) takes it too.
        let again = parse_str(&json, &name).unwrap_or_else(|d| panic!("{name} JSON: {d:#?}"));
        assert_eq!(again.spec, spec, "{name}: JSON through the loader");
    }
}

#[test]
fn explicit_null_survives_the_round_trip() {
    let yaml = "
name: nulls
client:
  base_url: https://api.example.com
  paginator: { type: page_number, total_path: null, maximum_page: 5 }
resources: [things]
";
    let spec = parse_str(yaml, "nulls.yaml").expect("valid").spec;
    let text = serde_yaml::to_string(&spec).expect("yaml");
    assert!(text.contains("total_path: null"), "{text}");
    assert_eq!(parse_str(&text, "again.yaml").expect("valid").spec, spec);
}
