//! Every problem a user can cause in the generator, with the message checked; and the macro
//! expansion never panicking, whatever it is given.

use std::path::Path;

use connector_codegen::{expand_attribute, generate, Error, Options, DEFAULT_RUNTIME_PATH};
use quote::quote;

fn spec(yaml: &str) -> connector_spec::ResolvedSpec {
    match connector_spec::parse_str(yaml, "test.yaml") {
        Ok(loaded) => loaded.resolved,
        Err(d) => panic!("spec should load: {d:#?}"),
    }
}

/// The problems `generate` reports, one line each.
fn problems(yaml: &str, options: &Options) -> Vec<String> {
    match generate(&spec(yaml), options) {
        Ok(_) => panic!("should not generate"),
        Err(err @ Error::Invalid { .. }) => err
            .diagnostics("test.yaml", Some(yaml))
            .iter()
            .map(connector_codegen::format_diagnostic)
            .collect(),
        Err(other) => panic!("unexpected error {other}"),
    }
}

const HEAD: &str = "name: t\nclient:\n  base_url: https://x.test\nresources:\n";

#[test]
fn type_names_that_collide() {
    let yaml = format!(
        "{HEAD}  - name: repos\n    columns:\n      owner: {{ data_type: json, fields: {{ a: {{ data_type: text }} }} }}\n  - name: repo_owner\n"
    );
    assert_eq!(
        problems(&yaml, &Options::default()),
        ["test.yaml:8:11: resources.repo_owner: the generated type name `RepoOwner` is already used by `resources.repos` (help: rename one of the resources or nested columns)"]
    );
}

#[test]
fn method_names_that_collide() {
    let yaml = format!("{HEAD}  - users\n  - users_with\n");
    assert_eq!(
        problems(&yaml, &Options::default()),
        ["test.yaml:6:5: resources.users_with: resources `users` and `users_with` both need the Client method `users_with` (help: rename one of the resources)"]
    );
}

#[test]
fn a_column_named_extra_moves_the_extra_map() {
    let yaml =
        format!("{HEAD}  - name: things\n    columns:\n      extra: {{ data_type: bigint }}\n");
    let code = generate(&spec(&yaml), &Options::default())
        .unwrap()
        .to_string();
    assert!(
        code.contains("pub extra : :: std :: option :: Option < i64 >"),
        "{code}"
    );
    assert!(
        code.contains("pub extra_ : :: connector_runtime :: serde_json :: Map"),
        "{code}"
    );
}

#[test]
fn reserved_resource_names_get_a_suffix() {
    let yaml = format!("{HEAD}  - new\n  - resources\n");
    let code = generate(&spec(&yaml), &Options::default())
        .unwrap()
        .to_string();
    assert!(code.contains("pub fn new_records (& self)"), "{code}");
    assert!(code.contains("pub fn resources_records (& self)"), "{code}");
}

fn with_samples(dir: &Path, sample: &str, contents: Option<&[u8]>) -> Vec<String> {
    if let Some(contents) = contents {
        std::fs::write(dir.join(sample), contents).unwrap();
    }
    let yaml = format!(
        "{HEAD}  - name: users\n    endpoint: {{ path: /u, data_selector: data.users }}\n    samples: [{sample}]\n    columns:\n      id: {{ data_type: bigint, nullable: false }}\n      tags: {{ data_type: json, items: {{ data_type: text }} }}\n"
    );
    let mut options = Options::default();
    options.with_spec_dir(dir);
    problems(&yaml, &options)
}

#[test]
fn sample_problems_name_file_record_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = |v: Vec<String>| v.into_iter().next().unwrap();
    assert!(first(with_samples(d, "missing.json", None)).starts_with(
        "test.yaml:7:15: resources.users.samples[0]: cannot read sample `missing.json`:"
    ),);
    assert!(first(with_samples(d, "bad.json", Some(b"{ nope")))
        .contains("sample `bad.json` is not JSON: key must be a string at line 1 column 3"));
    assert_eq!(
        first(with_samples(d, "other.json", Some(br#"{"items": []}"#))),
        "test.yaml:7:15: resources.users.samples[0]: sample `other.json`: data_selector `data.users` finds nothing in it (help: record the whole response body, or a JSON list of records)"
    );
    assert_eq!(
        with_samples(d, "list.json", Some(br#"[1, {"id": 2, "tags": ["a", 3]}, {"id": null}]"#)),
        [
            "test.yaml:7:15: resources.users.samples[0]: sample `list.json`, record 0: expected a JSON object, found integer `1`",
            "test.yaml:7:15: resources.users.samples[0]: sample `list.json`, record 1, field `tags[1]`: expected text (a JSON string), found integer `3`",
            "test.yaml:7:15: resources.users.samples[0]: sample `list.json`, record 2, field `id`: null, but the column has `nullable: false`",
        ]
    );
    // A fitting sample passes; undeclared fields are fine.
    std::fs::write(
        d.join("ok.json"),
        br#"{"data": {"users": [{"id": 1, "more": true}]}}"#,
    )
    .unwrap();
    let yaml = format!(
        "{HEAD}  - name: users\n    endpoint: {{ path: /u, data_selector: data.users }}\n    samples: [ok.json]\n    columns:\n      id: {{ data_type: bigint, nullable: false }}\n"
    );
    let mut options = Options::default();
    options.with_spec_dir(d);
    assert!(generate(&spec(&yaml), &options).is_ok());
}

#[test]
fn runtime_path_must_be_absolute() {
    let yaml = format!("{HEAD}  - users\n");
    let mut options = Options::default();
    options.with_runtime_path("connector::runtime");
    assert_eq!(
        problems(&yaml, &options),
        ["test.yaml: runtime path `connector::runtime` is not an absolute path like `::connector_runtime`"]
    );
}

#[test]
fn macro_expansion_tracks_spec_and_samples() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = expand_attribute(
        quote!("tests/fixtures/features.yaml"),
        quote!(
            mod features {}
        ),
        dir,
        DEFAULT_RUNTIME_PATH,
    )
    .to_string();
    assert!(!out.contains("compile_error"), "{out}");
    let spec = dir
        .join("tests/fixtures/features.yaml")
        .display()
        .to_string();
    let sample = dir
        .join("tests/fixtures/samples/repos.json")
        .display()
        .to_string();
    assert!(
        out.contains(&format!("include_bytes ! ({spec:?})")),
        "{out}"
    );
    assert!(
        out.contains(&format!("include_bytes ! ({sample:?})")),
        "{out}"
    );
}

/// Arguments, items and spec texts that must each give a compile error (or code), never a
/// panic.
#[test]
fn macro_expansion_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("binary.yaml"), [0xff, 0xfe, 0x00, 0x01]).unwrap();
    std::fs::create_dir(dir.path().join("a_directory.yaml")).unwrap();
    let args = [
        quote!(),
        quote!(42),
        quote!(yaml = 5),
        quote!("x.yaml", nonsense),
        quote!("x.yaml", json_schema, json_schema,),
        quote!(path),
        quote!("binary.yaml"),
        quote!("a_directory.yaml"),
        quote!("../../../../../../../../etc/shadow"),
        quote!(""),
    ];
    let items = [
        quote!(
            mod m {}
        ),
        quote!(
            fn f() {}
        ),
        quote!(
            mod m;
        ),
        quote!(),
        quote!(
            struct S;
        ),
    ];
    for a in &args {
        for i in &items {
            let out = expand_attribute(a.clone(), i.clone(), dir.path(), DEFAULT_RUNTIME_PATH);
            assert!(out.to_string().contains("compile_error"), "{a} {i}: {out}");
        }
    }
    let long_name = format!("{HEAD}  - {}\n", "a".repeat(5000));
    let texts = [
        "",
        "\0\0\0",
        "---\n...\n",
        "[1, 2, 3]",
        "name: 5\nclient: 6\nresources: 7\n",
        "name: t\nclient:\n  base_url: https://x.test\nresources: []\n",
        &format!("{HEAD}  - \"!!!\"\n  - \"???\"\n"),
        &format!("{HEAD}  - name: \"\u{1F600}\"\n    columns:\n      \"\": {{ data_type: bigint }}\n      \"-\": {{ data_type: bool }}\n"),
        &format!("{HEAD}  - name: x\n    columns:\n      a: {{ data_type: json, items: {{ data_type: json, items: {{ data_type: json, fields: {{ b: {{}} }} }} }} }}\n"),
        &format!("{HEAD}  - name: x\n    samples: [\"/dev/null\", \"{}\"]\n", dir.path().display()),
        &"[".repeat(10_000),
        &long_name,
    ];
    for text in texts {
        let out = expand_attribute(
            quote!(yaml = #text),
            quote!(
                pub mod m {}
            ),
            dir.path(),
            DEFAULT_RUNTIME_PATH,
        );
        // Either an error or a module that parses.
        let ok = out.to_string().contains("compile_error")
            || syn::parse2::<syn::ItemMod>(out.clone()).is_ok();
        assert!(ok, "{text:?}: {out}");
    }
}

#[test]
fn a_primary_key_the_columns_do_not_declare_still_gets_a_field() {
    // dlt allows `primary_key: id` beside a few hinted columns (the spec warns).
    let yaml = format!(
        "{HEAD}  - name: things\n    primary_key: id\n    columns:\n      label: {{ data_type: text }}\n"
    );
    let code = generate(&spec(&yaml), &Options::default())
        .unwrap()
        .to_string();
    assert!(
        code.contains("pub id : :: connector_runtime :: serde_json :: Value"),
        "{code}"
    );
    assert!(code.contains("pub label :"), "{code}");
}
