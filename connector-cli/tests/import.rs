//! `connector import dlt` as a user runs it, on the fixture documents in
//! `tests/fixtures/import/`: five Markdown documents in the seed documents' format (each
//! written to resolve to the model of one `specs/*.yaml`), a `.py` source with the other
//! forms dlt code takes, one with constructs no spec can hold, and broken inputs.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use connector_import::compare::differences;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> String {
    format!("connector-cli/tests/fixtures/import/{name}")
}

fn connector() -> Command {
    let mut cmd = Command::cargo_bin("connector").expect("binary builds");
    cmd.current_dir(root());
    cmd
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = connector().args(args).output().expect("runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `output` has `line` as one of its lines.
fn assert_line(output: &str, line: &str) {
    assert!(
        output.lines().any(|l| l == line),
        "missing {line}\n{output}"
    );
}

/// Imports a fixture into a temporary file; the run and the spec's path.
fn import_to_file(name: &str, connector_name: &str) -> (Run, tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join(format!("{connector_name}.yaml"));
    let run = run(&[
        "import",
        "dlt",
        &fixture(name),
        "--name",
        connector_name,
        "-o",
        out.to_str().expect("utf-8 path"),
    ]);
    (run, dir, out)
}

/// The fields in which the imported spec's resolved model differs from `specs/<name>.yaml`'s,
/// as `resource.field`.
fn differing_fields(imported: &Path, name: &str) -> Vec<String> {
    let imported = connector_spec::load(imported).expect("the imported spec loads");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let reference =
        connector_spec::load(&root().join(format!("specs/{name}.yaml"))).expect("seed spec");
    differences(&imported.resolved, &reference.resolved)
        .iter()
        .map(|d| format!("{}.{}", d.resource.as_deref().unwrap_or("client"), d.field))
        .collect()
}

/// Each seed-format document imports, checks clean, and resolves to its seed spec's model.
/// The retry policy of four of them is in the documents' prose, not in their dlt config, so
/// the hand-written specs have it and the imports do not: those are the only differences.
#[test]
fn seed_format_documents_import_to_the_seed_specs_models() {
    for (name, expected) in [
        ("device_inventory", vec!["computers.retry"]),
        ("rmm", vec!["resource_name.retry"]),
        (
            "asset_management",
            vec!["inventories.retry", "assets.retry", "members.retry"],
        ),
        ("crm_analytics", vec![]),
        ("meetings", vec!["users.retry", "meetings.retry"]),
    ] {
        let (run, _dir, out) = import_to_file(&format!("{name}.md"), name);
        assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains("the spec is valid"),
            "{name}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("error"), "{name}: {}", run.stderr);
        let check = connector()
            .arg("check")
            .arg(&out)
            .output()
            .expect("check runs");
        assert_eq!(check.status.code(), Some(0), "{name}");
        assert!(
            check.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        assert_eq!(differing_fields(&out, name), expected, "{name}");
    }
}

#[test]
fn what_was_translated_and_guessed_is_printed_with_its_line() {
    let r = run(&[
        "import",
        "dlt",
        &fixture("crm_analytics.md"),
        "--name",
        "crm",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let file = fixture("crm_analytics.md");
    for line in [
        format!("{file}:9: translated: stop_condition `not response.get('links', {{}}).get('next', {{}})` → {{ path_missing: links.next }}"),
        format!("{file}:16: translated: `dlt.secrets[\"client_id\"]` → {{ secret: client_id }}"),
        format!("{file}:37: guessed: cursor_path `links.next`, the path its stop_condition tests: the config sets none, and dlt's default `cursors.next` is not it"),
        format!("{file}:49: translated: stop_condition `lambda response: not response.get(\"links\", {{}}).get(\"next\")` → {{ path_missing: links.next }}"),
    ] {
        assert_line(&r.stderr, &line);
    }
    // The YAML on stdout says what the stop condition was.
    assert!(r.stdout.starts_with("# Imported from crm_analytics.md"));
    assert!(r.stdout.contains(
        "        # stop_condition was `not response.get('links', {}).get('next', {})`\n        stop_condition: { path_missing: links.next }\n"
    ), "{}", r.stdout);
}

#[test]
fn a_javascript_comment_in_the_dict_is_read_as_a_comment_with_a_warning() {
    let r = run(&["import", "dlt", &fixture("asset_management.md")]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let expected = format!(
        "{}:32: warning: `//` starts a comment in JavaScript, not in Python; read as a comment",
        fixture("asset_management.md")
    );
    assert_line(&r.stderr, &expected);
    assert!(r.stdout.contains("- name: members"), "{}", r.stdout);
}

#[test]
fn a_python_source_with_classes_parameters_and_env_lookups_imports() {
    let r = run(&["import", "dlt", &fixture("python_forms.py")]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let expected_yaml = "\
# Imported from python_forms.py by `connector import dlt`.
name: help_desk
client:
  base_url: https://desk.example.com/api/v2
  auth:
    type: bearer
    token: { secret: token }
  headers:
    X-Region: { secret: desk_region }
resource_defaults: { primary_key: id, write_disposition: merge }
resources:
  - name: tickets
    endpoint:
      path: tickets
      params: { updated_since: \"{incremental.start_value}\" }
      incremental:
        cursor_path: updated_at
        initial_value: \"2024-01-01T00:00:00Z\"
      paginator: { type: page_number, base_page: 1, total_path: null }
  - name: comments
    endpoint:
      path: \"tickets/{resources.tickets.id}/comments\"
      paginator: { type: json_link, next_url_path: links.next }
    include_from_parent: [id]
  - name: agents
    endpoint:
      path: agents
      paginator:
        type: offset
        limit: 50
        # stop_condition was `response.json()['has_more'] is False`
        stop_condition:
          path_equals: { path: has_more, value: false }
    write_disposition: replace
";
    assert_eq!(r.stdout, expected_yaml);
    let file = fixture("python_forms.py");
    for line in [
        format!("{file}:11: translated: f-string `f\"https://desk.example.com/api/v{{VERSION}}\"` folded to \"https://desk.example.com/api/v2\""),
        format!("{file}:20: translated: parameter `token` (default `dlt.secrets.value`, line 15) → {{ secret: token }}"),
        format!("{file}:21: translated: `os.getenv(\"DESK_REGION\")` → {{ secret: desk_region }} (the environment variable `DESK_REGION` becomes `<CONNECTOR>__DESK_REGION`; see docs/secrets)"),
        format!("{file}:49: translated: stop_condition `response.json()['has_more'] is False` → {{ path_equals: {{ path: has_more, value: false }} }}"),
    ] {
        assert_line(&r.stderr, &line);
    }
    assert!(
        r.stderr
            .contains("connector `help_desk`, 3 resources (tickets, comments, agents)"),
        "{}",
        r.stderr
    );
}

#[test]
fn what_cannot_be_translated_is_left_out_with_its_line_and_reason() {
    let r = run(&["import", "dlt", &fixture("untranslatable.md")]);
    assert_eq!(r.code, Some(0), "the rest is a valid spec: {}", r.stderr);
    let file = fixture("untranslatable.md");
    for line in [
        format!("{file}:26: warning: `resources[0].endpoint.params.until`: `today(...)` calls a function defined on line 14; its result is known only when the code runs; left out"),
        format!("{file}:27: warning: `resources[0].endpoint.paginator`: `ShopPaginator(...)` makes an object of a class defined on line 9 (a subclass of `BasePaginator`); its Python methods have no spec form; left out"),
        format!("{file}:29: warning: `resources[0].processing_steps`: filters and maps are Python functions, which a spec cannot hold; left out"),
        format!("{file}:35: warning: `resources[1].endpoint.paginator.stop_condition`: the stop_condition `response.get('next') is not None` stops while a value differs from `null`; the spec's rules stop on a value being missing or equal; left out"),
        format!("{file}:36: warning: `resources[1].endpoint.response_actions[0]`: a lambda (`lambda response: response.status_code == 404`) is Python code, which a spec cannot hold; left out"),
        format!("{file}:38: warning: `resources[1].columns`: a comprehension (`{{name: {{\"data_type\": \"text\"}} for name in [\"id\", \"reason\"]}}`) is computed when the code runs; write its values out; left out"),
        format!("{file}: guessed: connector name `untranslatable` from the file name; `--name NAME` sets another"),
    ] {
        assert_line(&r.stderr, &line);
    }
    assert!(
        r.stderr
            .contains("; the spec is valid; 0 translated, 1 guessed, 7 left out or warned"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("processing_steps"), "{}", r.stdout);
}

#[test]
fn a_config_that_makes_no_valid_spec_fails_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("spec.yaml");
    let r = run(&[
        "import",
        "dlt",
        &fixture("no_base_url.md"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let file = fixture("no_base_url.md");
    for line in [
        format!("{file}:11: warning: `client.base_url`: `base_url(...)` calls a function defined on line 7; its result is known only when the code runs; left out"),
        format!("{file}:11: error: the spec (line 3, `client`): missing required key `base_url`"),
        format!("error: {file}: no valid spec: 1 error (0 translated, 1 guessed, 1 left out or warned)"),
    ] {
        assert_line(&r.stderr, &line);
    }
    assert!(!out.exists(), "nothing is written when the spec is invalid");
    assert!(r.stdout.is_empty());
}

#[test]
fn bad_inputs_give_one_clear_message_each() {
    for (name, code, expected) in [
        (
            "syntax_error.py",
            1,
            format!(
                "{}:7: error: Python syntax error at column 1: Expected `]`, found `}}`",
                fixture("syntax_error.py")
            ),
        ),
        (
            "no_config.py",
            1,
            format!(
                "{}: error: no rest_api config found: no call of `rest_api_source(...)` or `rest_api_resources(...)`, and no dict with a `resources` key",
                fixture("no_config.py")
            ),
        ),
        (
            "no_python_block.md",
            1,
            format!(
                "{}: error: no ```python code block found; `connector import dlt` reads a .py file, or a Markdown document holding the config in a ```python block",
                fixture("no_python_block.md")
            ),
        ),
        (
            "missing.md",
            2,
            format!("error: cannot read `{}`: No such file or directory (os error 2)", fixture("missing.md")),
        ),
    ] {
        let r = run(&["import", "dlt", &fixture(name)]);
        assert_eq!(r.code, Some(code), "{name}: {}", r.stderr);
        assert!(r.stderr.lines().any(|l| l == expected), "{name}: missing {expected}\n{}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{name}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{name}: {}", r.stdout);
    }
}

#[test]
fn an_existing_output_file_is_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rmm.yaml");
    std::fs::write(&out, "keep me\n").unwrap();
    let args = ["import", "dlt", &fixture("rmm.md"), "--name", "rmm", "-o"];
    let r = run(&[&args[..], &[out.to_str().unwrap()]].concat());
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(
        r.stderr.trim(),
        format!(
            "error: `{}` exists; pass --force to overwrite it",
            out.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me\n");

    let r = run(&[&args[..], &[out.to_str().unwrap(), "--force"]].concat());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("name: rmm\n"), "{written}");
    assert!(
        r.stderr.contains(&format!(
            "imported {} to {}",
            fixture("rmm.md"),
            out.display()
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn compare_says_how_the_model_differs_from_a_spec() {
    let r = run(&[
        "import",
        "dlt",
        &fixture("crm_analytics.md"),
        "--name",
        "crm_analytics",
        "--compare",
        "specs/crm_analytics.yaml",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .lines()
            .any(|l| l == "same model as specs/crm_analytics.yaml (columns not compared)"),
        "{}",
        r.stderr
    );
    let r = run(&[
        "import",
        "dlt",
        &fixture("rmm.md"),
        "--compare",
        "specs/rmm.yaml",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("differs from specs/rmm.yaml in 1 field (columns not compared):\n  resource `resource_name`: retry: imported RetryPlan"),
        "{}",
        r.stderr
    );
}

/// The example of docs/src/import-dlt.md imports to the YAML the page shows.
#[test]
fn the_docs_example_imports_as_shown() {
    let page = std::fs::read_to_string(root().join("docs/src/import-dlt.md")).expect("page");
    let between = |open: &str, close: &str| {
        let start = page.find(open).expect(open) + open.len();
        let end = start + page[start..].find(close).expect(close);
        page[start..end].to_owned()
    };
    let document = between("````text\n", "````\n");
    let expected = between("```yaml\n", "```\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tickets.md");
    std::fs::write(&path, document).unwrap();
    let r = run(&["import", "dlt", path.to_str().unwrap(), "--name", "desk"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, expected);
}
