//! The invalid-spec corpus: `tests/specs/invalid/*.yaml` at the workspace root, one mistake per
//! file. Each file starts with the diagnostic it must produce:
//!
//! ```text
//! # expect: error 18:15 paginator type `page_numbr` is unknown
//! # help: did you mean `page_number`?        (optional)
//! ```
//!
//! The expected diagnostic (severity, line, column, message substring, help substring) must be
//! among those reported. A file whose expectation is a warning must still load.

use std::path::{Path, PathBuf};

use connector_spec::{load, Diagnostic, Severity};

struct Expectation {
    severity: Severity,
    line: usize,
    column: usize,
    message: String,
    help: Option<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/specs/invalid")
}

fn expectation(path: &Path) -> Expectation {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let rest = first
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{}: first line must be `# expect: ...`", path.display()));
    let mut parts = rest.splitn(3, ' ');
    let severity = match parts.next() {
        Some("error") => Severity::Error,
        Some("warning") => Severity::Warning,
        other => panic!("{}: bad severity {other:?}", path.display()),
    };
    let position = parts.next().unwrap_or_default();
    let (line, column) = position
        .split_once(':')
        .and_then(|(l, c)| Some((l.parse().ok()?, c.parse().ok()?)))
        .unwrap_or_else(|| panic!("{}: bad position {position:?}", path.display()));
    let message = parts.next().unwrap_or_default().to_owned();
    let help = lines
        .next()
        .and_then(|l| l.strip_prefix("# help: "))
        .map(str::to_owned);
    Expectation {
        severity,
        line,
        column,
        message,
        help,
    }
}

fn matches(d: &Diagnostic, e: &Expectation) -> bool {
    d.severity == e.severity
        && d.line == e.line
        && d.column == e.column
        && d.message.contains(&e.message)
        && e.help
            .as_ref()
            .is_none_or(|h| d.help.as_deref().is_some_and(|dh| dh.contains(h.as_str())))
}

#[test]
fn every_invalid_spec_reports_its_expected_diagnostic() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "the corpus has {} files; keep at least 30",
        files.len()
    );

    let mut failures = Vec::new();
    for path in &files {
        let expected = expectation(path);
        let (diagnostics, loaded) = match load(path) {
            Ok(loaded) => (loaded.warnings, true),
            Err(diagnostics) => (diagnostics, false),
        };
        if expected.severity == Severity::Warning && !loaded {
            failures.push(format!(
                "{}: expected only warnings, but it failed: {diagnostics:#?}",
                path.display()
            ));
            continue;
        }
        if expected.severity == Severity::Error && loaded {
            failures.push(format!(
                "{}: expected an error, but it loaded",
                path.display()
            ));
            continue;
        }
        if !diagnostics.iter().any(|d| matches(d, &expected)) {
            let got: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            failures.push(format!(
                "{}: expected {:?} {}:{} `{}` (help {:?}); got:\n  {}",
                path.display(),
                expected.severity,
                expected.line,
                expected.column,
                expected.message,
                expected.help,
                got.join("\n  ")
            ));
        }
        for d in &diagnostics {
            assert!(
                d.line > 0 && d.column > 0,
                "{d}: every diagnostic has a position"
            );
            assert!(d.file.ends_with(".yaml"), "{d}: names the file");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn binary_file_is_a_diagnostic() {
    let dir = std::env::temp_dir().join(format!("connector-spec-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("binary.yaml");
    std::fs::write(
        &path,
        [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0xff],
    )
    .expect("write");
    let diagnostics = load(&path).expect_err("binary is not a spec");
    assert!(
        diagnostics[0].message.contains("not a text file"),
        "{diagnostics:?}"
    );
    std::fs::write(&path, "name: x\0\n").expect("write");
    let diagnostics = load(&path).expect_err("NUL is not YAML");
    assert!(diagnostics[0].message.contains("NUL"), "{diagnostics:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_file_is_a_diagnostic_at_line_zero() {
    let diagnostics = load(Path::new("/nonexistent/spec.yaml")).expect_err("missing");
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].line, 0);
    assert!(diagnostics[0].message.starts_with("cannot read spec file"));
}

#[test]
fn several_problems_are_all_reported_at_once() {
    let yaml = "\
name: Bad-Name
client:
  base_url: https://api.example.com
  concurrency: 0
  auth: { type: bearer, tokn: x }
resource_defaults:
  endpoint:
    paginator: { type: page_numbr }
resources:
  - name: a
    endpoint: { path: /a, data_selector: 'x[?y]' }
    primary_key: id
    columns: { name: { data_type: txt } }
  - name: b
    endpoint: { path: /b, paginator: { type: offset, limit: 10, page_param: p } }
  - name: c
    colums: {}
";
    let diagnostics = connector_spec::parse_str(yaml, "bad.yaml").expect_err("invalid");
    let found: Vec<(usize, &str)> = diagnostics
        .iter()
        .map(|d| (d.line, d.key_path.as_str()))
        .collect();
    // Serde problems in separate sections and resources are all reported together.
    for expected in [
        (5, "client.auth.tokn"),
        (8, "resource_defaults.endpoint.paginator.type"),
        (13, "resources[0].columns.name.data_type"),
        (15, "resources[1].endpoint.paginator.page_param"),
        (17, "resources[2].colums"),
    ] {
        assert!(
            found.contains(&expected),
            "missing {expected:?} in {found:#?}"
        );
    }
    // Sorted by position.
    let lines: Vec<usize> = diagnostics.iter().map(|d| d.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
}

#[test]
fn several_semantic_problems_are_all_reported_at_once() {
    let yaml = "\
name: Bad-Name
client:
  base_url: https://api.example.com
  concurrency: 0
resources:
  - name: a
    endpoint: { path: '/a/{x}', data_selector: 'x[?y]' }
    primary_key: id
    columns: { name: { data_type: text } }
  - name: a
";
    let diagnostics = connector_spec::parse_str(yaml, "bad.yaml").expect_err("invalid");
    let paths: Vec<&str> = diagnostics.iter().map(|d| d.key_path.as_str()).collect();
    for expected in [
        "name",
        "client.concurrency",
        "resources[0].endpoint.path",
        "resources[0].endpoint.data_selector",
        "resources[0].primary_key",
        "resources[1].name",
    ] {
        assert!(
            paths.contains(&expected),
            "missing {expected} in {paths:#?}"
        );
    }
}

#[test]
fn hostile_nesting_is_a_diagnostic_not_a_stack_overflow() {
    let block: String = (0..5000)
        .map(|i| format!("{}a:\n", " ".repeat(i)))
        .collect();
    let flow = format!("name: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let compact = format!("a:\n{}x\n", "- ".repeat(50_000));
    for text in [block, flow, compact] {
        let diagnostics = connector_spec::parse_str(&text, "deep.yaml").expect_err("too deep");
        assert!(
            diagnostics[0].message.contains("nests deeper"),
            "{diagnostics:?}"
        );
    }
}

#[test]
fn a_problem_in_shared_defaults_is_reported_once() {
    let yaml = "
name: shared
client: { base_url: 'https://api.example.com' }
resource_defaults:
  endpoint:
    path: /items/{missing}
resources: [a, b, c]
";
    let diagnostics = connector_spec::parse_str(yaml, "shared.yaml").expect_err("unbound");
    let unbound: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.message.contains("`{missing}`"))
        .collect();
    assert_eq!(unbound.len(), 1, "{diagnostics:#?}");
    assert_eq!((unbound[0].line, unbound[0].column), (6, 11));
}
