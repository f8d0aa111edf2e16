//! specs/connector-spec.schema.json is what `connector schema` writes today.

use std::path::Path;

#[test]
fn checked_in_schema_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs/connector-spec.schema.json");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = connector_spec::schema::json_schema();
    assert!(
        on_disk == fresh,
        "specs/connector-spec.schema.json is stale (the spec model changed). Regenerate it with:\n\n    \
         cargo run -p connector-cli -- schema --out specs/connector-spec.schema.json\n"
    );
}

#[test]
fn schema_accepts_the_seed_aliases() {
    let schema: serde_json::Value =
        serde_json::from_str(&connector_spec::schema::json_schema()).expect("schema is JSON");
    let text = schema.to_string();
    for alias in [
        "\"oauth2\"",
        "\"token_url\"",
        "\"json_response\"",
        "\"complex\"",
    ] {
        assert!(text.contains(alias), "schema lacks alias {alias}");
    }
}

#[test]
fn schema_accepts_dlts_auth_shorthands() {
    let schema: serde_json::Value =
        serde_json::from_str(&connector_spec::schema::json_schema()).expect("schema is JSON");
    let variants = schema
        .pointer("/$defs/Auth/oneOf")
        .and_then(|v| v.as_array())
        .expect("auth variants");
    let shorthand = variants
        .iter()
        .find(|v| v["type"] == "string")
        .expect("`auth: bearer` is in the schema");
    assert!(shorthand["enum"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("bearer")));
    for variant in variants.iter().filter(|v| v["type"] != "string") {
        let required = variant.get("required").cloned().unwrap_or_default();
        assert!(
            required
                .as_array()
                .is_none_or(|r| r.iter().all(|k| k == "type")),
            "credential fields are optional (read from secrets): {variant}"
        );
    }
}
