//! `columns_from`: columns read from OpenAPI documents and JSON Schema files, and every
//! problem a user can hit with one, each naming the spec's line and the document's file, line
//! and JSON pointer.

use std::path::{Path, PathBuf};

use connector_spec::{parse_str_in, DataType, Diagnostic, LoadedSpec, TextFormat};

const HEAD: &str = "name: shop\nclient: { base_url: https://api.example.com }\nresources:\n";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/documents")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../connector-codegen/tests/fixtures")
}

fn load(resources: &str) -> Result<LoadedSpec, Vec<Diagnostic>> {
    parse_str_in(&format!("{HEAD}{resources}"), "shop.yaml", &dir())
}

/// The one error of a spec whose single resource is `resource`.
fn error(resource: &str) -> Diagnostic {
    let mut found = load(resource).expect_err("the spec is invalid");
    assert_eq!(found.len(), 1, "{found:#?}");
    found.remove(0)
}

/// A `columns` entry that changes the type drops the document's format promise (the field is
/// then the written type's); one that changes another hint keeps it.
#[test]
fn a_written_type_drops_the_documents_format() {
    let spec = format!(
        "{HEAD}  - name: devices\n    endpoint: {{ path: /devices, data_selector: data }}\n    \
         columns_from: documents/inventory-3.0.yaml\n    columns:\n      \
         created_at: {{ data_type: text }}\n      installed_on: {{ nullable: false }}\n"
    );
    let loaded = parse_str_in(&spec, "shop.yaml", &fixtures()).expect("valid");
    let devices = &loaded.resolved.resource("devices").unwrap().columns;
    assert_eq!(devices["created_at"].data_type, Some(DataType::Text));
    assert_eq!(devices["created_at"].format, None);
    assert_eq!(devices["installed_on"].format, Some(TextFormat::Date));
    assert_eq!(devices["installed_on"].nullable, Some(false));
}

#[test]
fn the_fixture_maps_as_a_rust_user_would() {
    let loaded = connector_spec::load(&fixtures().join("openapi.yaml")).expect("valid");
    let spec = &loaded.resolved;
    let devices = &spec.resource("devices").unwrap().columns;
    let names: Vec<&str> = devices.keys().map(String::as_str).collect();
    // allOf: the referenced part's properties first, then the inline part's.
    assert_eq!(
        names,
        [
            "name",
            "id",
            "serial",
            "kind",
            "firmware",
            "created_at",
            "retired_at",
            "installed_on",
            "battery",
            "location",
            "tags",
            "ports",
            "config",
            "owner"
        ]
    );
    assert_eq!(devices["name"].nullable, Some(false));
    assert_eq!(
        devices["name"].description.as_deref(),
        Some("The device's display name.")
    );
    assert_eq!(devices["id"].data_type, Some(DataType::Bigint));
    assert_eq!(devices["id"].nullable, Some(false));
    // The spec's own hint over the document's: nullable changed, type kept.
    assert_eq!(devices["serial"].nullable, Some(false));
    assert_eq!(devices["serial"].data_type, Some(DataType::Text));
    assert_eq!(
        devices["kind"].enum_values,
        ["sensor", "gateway", "in-progress"]
    );
    // 3.0 `nullable: true`, and not required: nullable.
    assert_eq!(devices["firmware"].nullable, None);
    assert_eq!(devices["created_at"].data_type, Some(DataType::Timestamp));
    assert_eq!(devices["created_at"].format, Some(TextFormat::DateTime));
    assert_eq!(devices["created_at"].nullable, Some(false));
    // 3.0 `nullable: true` and required: present, but may be null.
    assert_eq!(devices["retired_at"].nullable, None);
    assert_eq!(devices["retired_at"].format, Some(TextFormat::DateTime));
    assert_eq!(devices["installed_on"].data_type, Some(DataType::Date));
    assert_eq!(devices["installed_on"].format, Some(TextFormat::Date));
    assert_eq!(devices["battery"].data_type, Some(DataType::Double));
    assert_eq!(devices["location"].fields["lat"].nullable, Some(false));
    let ports = devices["ports"].items.as_ref().unwrap();
    let speeds = ports.fields["speeds"].items.as_ref().unwrap();
    assert_eq!(
        speeds.items.as_ref().unwrap().data_type,
        Some(DataType::Bigint)
    );
    assert_eq!(devices["config"].data_type, Some(DataType::Json));
    assert!(devices["config"].description.as_deref().unwrap().contains(
        "`oneOf` here (documents/inventory-3.0.yaml:72 #/components/schemas/Device/allOf/1/properties/config)"
    ));
    // A schema that refers to itself becomes JSON where it recurs.
    let teams = devices["owner"].fields["teams"].items.as_ref().unwrap();
    assert!(teams.fields.is_empty() && teams.data_type == Some(DataType::Json));

    let sites = &spec.resource("sites").unwrap().columns;
    // 3.1: required but `type: [string, "null"]` is still nullable.
    assert_eq!(sites["status"].nullable, None);
    assert_eq!(sites["status"].enum_values, ["open", "closed"]);
    assert_eq!(sites["code"].nullable, Some(false));
    assert_eq!(sites["opened"].data_type, Some(DataType::Date));
    // `$ref` to a JSON Schema file beside the document.
    assert_eq!(sites["address"].fields["city"].nullable, Some(false));

    let readings = &spec.resource("readings").unwrap().columns;
    assert_eq!(readings["value"].data_type, Some(DataType::Double));
    assert_eq!(readings["value"].nullable, None);
    assert_eq!(readings["flags"].data_type, Some(DataType::Json));
    let addresses = &spec.resource("addresses").unwrap().columns;
    assert_eq!(
        addresses["zip"].description.as_deref(),
        Some("Postal code.")
    );

    let documents: Vec<String> = loaded
        .documents
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        documents,
        [
            "inventory-3.0.yaml",
            "inventory-3.1.yaml",
            "address.schema.json"
        ]
    );
}

#[test]
fn resource_defaults_take_each_operation_by_endpoint() {
    let yaml = "name: shop\nclient: { base_url: https://api.example.com }\n\
         resource_defaults: { columns_from: problems.yaml }\nresources:\n  - things\n";
    let loaded = parse_str_in(yaml, "shop.yaml", &dir()).expect("valid");
    let things = &loaded.resolved.resource("things").unwrap().columns;
    assert_eq!(things["id"].data_type, Some(DataType::Bigint));
}

#[test]
fn a_missing_document_names_the_spec_line() {
    let d = error("  - name: things\n    columns_from: nothing.yaml#/components/schemas/Thing\n");
    assert_eq!(
        (d.line, d.key_path.as_str()),
        (5, "resources[0].columns_from")
    );
    assert!(
        d.message
            .starts_with("resource `things`: cannot read schema document `nothing.yaml`:"),
        "{}",
        d.message
    );
    assert_eq!(
        d.help.as_deref(),
        Some("the path is relative to the spec file's directory")
    );
}

#[test]
fn a_pointer_to_nothing_names_the_document_line_and_a_close_key() {
    let d = error("  - name: things\n    columns_from: problems.yaml#/components/schemas/Thng\n");
    assert_eq!(d.line, 5);
    assert_eq!(
        d.message,
        "resource `things`: `#/components/schemas/Thng` points at nothing: `problems.yaml`:29 \
         `#/components/schemas` has no `Thng`; did you mean `Thing`?"
    );
}

#[test]
fn a_pointer_to_a_non_object_is_refused() {
    let d = error("  - name: codes\n    columns_from: problems.yaml#/components/schemas/Code\n");
    assert_eq!(
        d.message,
        "resource `codes`: `problems.yaml`:34 `#/components/schemas/Code`: the record schema is \
         a string schema, not an object; columns come from an object's `properties`"
    );
    let d = error("  - name: either\n    columns_from: problems.yaml#/components/schemas/Either\n");
    assert!(
        d.message.contains("the record schema is a `oneOf` schema"),
        "{}",
        d.message
    );
}

#[test]
fn unsupported_constructs_name_their_place() {
    let d = error("  - name: remote\n    columns_from: problems.yaml#/components/schemas/Remote\n");
    assert_eq!(
        d.message,
        "resource `remote`: `problems.yaml`:43 `#/components/schemas/Remote/properties/user`: \
         `$ref: https://example.com/schemas/user.json` is a remote reference; documents are read \
         offline at compile time, so copy that schema into a local file (unsupported construct)"
    );
    let d = error("  - name: mixed\n    columns_from: problems.yaml#/components/schemas/Mixed\n");
    assert_eq!(
        d.message,
        "resource `mixed`: `problems.yaml`:34 `#/components/schemas/Code`: this `allOf` part is \
         a string schema; only object schemas are combined into one record (unsupported construct)"
    );
    let d =
        error("  - name: dangling\n    columns_from: problems.yaml#/components/schemas/Dangling\n");
    assert!(
        d.message.ends_with(
            "`$ref: #/components/schemas/Ownr`: `#/components/schemas/Ownr` points at nothing: \
             `problems.yaml`:29 `#/components/schemas` has no `Ownr`; did you mean `Owner`?"
        ) || d.message.contains("has no `Ownr`"),
        "{}",
        d.message
    );
}

#[test]
fn operations_are_found_or_their_absence_explained() {
    let d = error("  - name: thing\n    endpoint: /thing\n    columns_from: problems.yaml\n");
    assert_eq!(
        d.message,
        "resource `thing`: `problems.yaml` has no `GET /thing` operation (its GET paths: \
         /things, /text); did you mean `/things`?"
    );
    assert!(d.help.unwrap().contains("operation: <operationId>"));
    let d = error(
        "  - name: things\n    columns_from: { document: problems.yaml, operation: listThing }\n",
    );
    assert_eq!(
        d.message,
        "resource `things`: `problems.yaml` has no operation with `operationId: listThing`; did \
         you mean `listThings`?"
    );
    let d = error("  - name: text\n    columns_from: problems.yaml\n");
    assert_eq!(
        d.message,
        "resource `text`: `problems.yaml`:23 `#/paths/~1text/get/responses/200`: the `200` \
         response has no JSON content (`content: {application/json: {schema: ...}}`)"
    );
    let d = error(
        "  - name: things\n    endpoint: { path: /things, data_selector: data }\n    columns_from: problems.yaml\n",
    );
    assert!(
        d.message
            .contains("data_selector `data`: the response schema (`problems.yaml`:14")
            && d.message
                .ends_with("has no property `data`; its properties: items"),
        "{}",
        d.message
    );
}

#[test]
fn the_shape_of_columns_from_is_checked() {
    let found = load("  - name: things\n    columns_from: { document: problems.yaml, schema: \"#/components\", operation: listThings }\n")
        .unwrap_err();
    let d = found
        .iter()
        .find(|d| d.key_path == "resources[0].columns_from.operation")
        .expect("the exclusive keys are an error");
    assert!(d
        .message
        .contains("`schema` and `operation` both name the record schema"));
    let d = error("  - name: things\n    columns_from: problems.yaml#components\n");
    assert_eq!(
        d.message,
        "`components` is not a JSON pointer: it starts with `/` after the `#`"
    );
    let d = error("  - name: things\n    columns_from: [problems.yaml]\n");
    assert!(
        d.message.contains("expected a schema document reference"),
        "{}",
        d.message
    );
    let found =
        load("  - name: things\n    columns_from: { documnt: problems.yaml }\n").unwrap_err();
    let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "missing required key `document`",
            "unknown key `documnt`; expected one of: document, schema, operation"
        ]
    );
    let d = error("  - name: things\n    columns: { state: { data_type: bigint, enum: [a] } }\n");
    assert_eq!(d.key_path, "resources[0].columns.state.enum");
}

#[test]
fn a_document_that_is_not_openapi_names_its_line() {
    let tmp = std::env::temp_dir().join(format!("connector-doc-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("bad.yaml"), "openapi: 3.0.0\ninfo:\n  title: x\n").unwrap();
    std::fs::write(tmp.join("broken.yaml"), "a: [\n").unwrap();
    let yaml = format!("{HEAD}  - name: a\n    columns_from: bad.yaml\n  - name: b\n    columns_from: broken.yaml\n");
    let found = parse_str_in(&yaml, "shop.yaml", &tmp).unwrap_err();
    assert!(
        found[0]
            .message
            .contains("`bad.yaml`:2 `#/info`: not an OpenAPI document"),
        "{}",
        found[0].message
    );
    assert!(
        found[1]
            .message
            .starts_with("resource `b`: `broken.yaml`:2: invalid YAML"),
        "{}",
        found[1].message
    );
    std::fs::remove_dir_all(&tmp).unwrap();
}
