//! The spec format's JSON Schema, for editors (`# yaml-language-server: $schema=...`).
//!
//! schemars does not see serde aliases, so the seeds' names (`type: oauth2`, `token_url`,
//! `json_response`, lower-case methods, ...) would be flagged by an editor although the loader
//! accepts them. [`json_schema`] adds them after generation.

use serde_json::{json, Value};

use crate::model::Spec;

/// Tag and enum values with the other spellings the loader accepts (the model's
/// `#[serde(alias)]`es).
const VALUE_ALIASES: &[(&str, &[&str])] = &[
    ("oauth2_client_credentials", &["oauth2"]),
    ("cursor", &["json_response_cursor"]),
    ("json_link", &["json_response"]),
    ("query", &["param"]),
    ("json", &["complex"]),
    ("GET", &["get"]),
    ("POST", &["post"]),
    ("PUT", &["put"]),
    ("PATCH", &["patch"]),
    ("DELETE", &["delete"]),
];

/// Keys with another accepted name.
const KEY_ALIASES: &[(&str, &str)] = &[("access_token_url", "token_url")];

/// The JSON Schema of [`Spec`], pretty-printed with a trailing newline: exactly what
/// `connector schema` writes to `specs/connector-spec.schema.json`.
///
/// ```
/// let schema = connector_spec::schema::json_schema();
/// assert!(schema.contains("\"title\": \"Spec\""));
/// assert!(schema.contains("\"token_url\""));
/// ```
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Spec);
    let mut value = serde_json::to_value(&schema).unwrap_or(Value::Null);
    add_aliases(&mut value);
    add_auth_shorthands(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// dlt's auth shorthands, as the loader accepts them (`de.rs`): the type alone as a string,
/// bearer without `type`, and credential fields left out (read from `credentials__<field>`
/// secrets), so only `type` stays required.
fn add_auth_shorthands(value: &mut Value) {
    let Some(Value::Array(variants)) = value.pointer_mut("/$defs/Auth/oneOf") else {
        return;
    };
    for variant in variants.iter_mut() {
        let Some(map) = variant.as_object_mut() else {
            continue;
        };
        let is_bearer = map
            .get("properties")
            .and_then(|p| p.get("type"))
            .and_then(|t| t.get("const"))
            == Some(&json!("bearer"));
        if is_bearer {
            map.remove("required");
            map.insert(
                "anyOf".into(),
                json!([{ "required": ["type"] }, { "required": ["token"] }]),
            );
        } else {
            map.insert("required".into(), json!(["type"]));
        }
    }
    let mut names = Vec::new();
    for variant in variants.iter() {
        match variant.pointer("/properties/type") {
            Some(t) if t.get("const").is_some() => names.push(t["const"].clone()),
            Some(t) => {
                if let Some(Value::Array(all)) = t.get("enum") {
                    names.extend(all.iter().cloned());
                }
            }
            None => {}
        }
    }
    variants.push(json!({
        "description": "The auth type alone (dlt's shorthand); its credentials come from the `credentials__<field>` secrets.",
        "type": "string",
        "enum": names,
    }));
}

/// `columns` in either form the loader reads (`de::columns`).
pub(crate) fn columns(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let column = generator.subschema_for::<crate::Column>();
    schemars::json_schema!({
        "anyOf": [
            { "type": "object", "additionalProperties": column },
            { "type": "array", "items": column }
        ]
    })
}

fn add_aliases(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(c)) = map.get("const") {
                if let Some((_, aliases)) = VALUE_ALIASES.iter().find(|(v, _)| v == c) {
                    let mut all = vec![json!(c)];
                    all.extend(aliases.iter().map(|a| json!(a)));
                    map.remove("const");
                    map.insert("enum".into(), Value::Array(all));
                }
            }
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                let mut renamed = Vec::new();
                for (key, alias) in KEY_ALIASES {
                    if let Some(schema) = props.get(*key).cloned() {
                        props.insert((*alias).to_owned(), schema);
                        renamed.push((*key, *alias));
                    }
                }
                for (key, alias) in renamed {
                    let Some(Value::Array(required)) = map.get_mut("required") else {
                        continue;
                    };
                    if let Some(i) = required.iter().position(|r| r == key) {
                        required.remove(i);
                        map.insert(
                            "oneOf".into(),
                            json!([{ "required": [key] }, { "required": [alias] }]),
                        );
                    }
                }
            }
            for child in map.values_mut() {
                add_aliases(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(add_aliases),
        _ => {}
    }
}
