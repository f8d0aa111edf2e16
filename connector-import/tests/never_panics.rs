//! The importer never panics: every fixture document cut short at each of its lines (code
//! blocks left open, dicts half written), and pathological nesting, each give notes, never a
//! crash.

use std::path::Path;

use connector_import::{import_dlt, NoteKind, Options};

fn fixtures() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../connector-cli/tests/fixtures/import");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_fixture_cut_short_at_each_line_gives_notes_not_a_panic() {
    let mut imported = 0;
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).expect("fixture");
        let mut cut = String::new();
        for line in text.split_inclusive('\n') {
            cut.push_str(line);
            let import = import_dlt(&cut, &path, &Options::default());
            if !import.succeeded() {
                assert!(
                    import.notes.iter().any(|n| n.kind == NoteKind::Error),
                    "{}: a failed import says why",
                    path.display()
                );
            }
            imported += 1;
        }
    }
    assert!(imported > 300, "{imported}");
}

#[test]
fn deep_nesting_and_names_that_refer_to_themselves_are_errors() {
    let file = Path::new("deep.py");
    let deep = format!(
        "rest_api_source({{'client': {{'base_url': 'https://a.example.com'}}, 'resources': {}}})",
        "[".repeat(5000) + &"]".repeat(5000)
    );
    let import = import_dlt(&deep, file, &Options::default());
    assert!(!import.succeeded());
    assert_eq!(
        import.notes[0].message,
        "the code nests brackets 2001 deep, deeper than 2000; a dlt config never needs that"
    );
    assert_eq!(import.notes[0].line, 1);

    let cycle = "a = b\nb = a\nrest_api_source(a)\n";
    let import = import_dlt(cycle, file, &Options::default());
    assert!(!import.succeeded());
    assert!(
        import.notes.iter().any(
            |n| n.kind == NoteKind::Error && n.message.contains("a name refers back to itself")
        ),
        "{:?}",
        import.notes
    );
}
