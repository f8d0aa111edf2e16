//! Hand-written `Deserialize` for the model's either/or types.
//!
//! `#[serde(untagged)]` reports "data did not match any variant", which tells a user nothing.
//! These impls buffer the value, choose the variant by its shape, and let the chosen variant's
//! own error through. An error from inside a buffered value would lose its key path, so it is
//! carried in the message as `[at a.b] message`; the loader takes it out again
//! ([`split_path_marker`]).

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_yaml::Value;

use crate::model::*;
use crate::vocabulary::*;

/// Deserializes `value` as `T`, keeping the key path of an error inside it.
pub(crate) fn sub<T: DeserializeOwned, E: serde::de::Error>(value: Value) -> Result<T, E> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let outer = path_string(err.path());
        let message = err.into_inner().to_string();
        let (inner, message) = split_path_marker(&message);
        E::custom(with_path_marker(&join_paths(&outer, inner), message))
    })
}

/// A serde_path_to_error path in the loader's notation: `a.b[0].c`.
pub(crate) fn path_string(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            _ => {}
        }
    }
    out
}

/// Joins two paths in the loader's notation.
pub(crate) fn join_paths(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ if b.starts_with('[') => format!("{a}{b}"),
        _ => format!("{a}.{b}"),
    }
}

fn with_path_marker(path: &str, message: &str) -> String {
    if path.is_empty() {
        message.to_owned()
    } else {
        format!("[at {path}] {message}")
    }
}

/// Splits `[at a.b] message` into (`a.b`, `message`); no marker gives (``, message).
pub(crate) fn split_path_marker(message: &str) -> (&str, &str) {
    if let Some(rest) = message.strip_prefix("[at ") {
        if let Some(end) = rest.find("] ") {
            return (&rest[..end], &rest[end + 2..]);
        }
    }
    ("", message)
}

/// "a string", "a list", ... for messages.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn has_key(value: &Value, key: &str) -> bool {
    value
        .as_mapping()
        .is_some_and(|m| m.contains_key(Value::String(key.to_owned())))
}

impl<'de> Deserialize<'de> for StringOrSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(s) => Ok(StringOrSecret::Literal(s)),
            // A header like `X-Version: 2` means the text "2".
            Value::Number(n) => Ok(StringOrSecret::Literal(n.to_string())),
            Value::Bool(b) => Ok(StringOrSecret::Literal(b.to_string())),
            value @ Value::Mapping(_) => sub(value).map(StringOrSecret::Secret),
            other => Err(D::Error::custom(format!(
                "expected a string or `{{ secret: NAME }}`, found {}",
                describe(&other)
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Paginator {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            value @ Value::String(_) => sub(value).map(Paginator::Name),
            value @ Value::Mapping(_) => sub(value).map(Paginator::Config),
            other => Err(D::Error::custom(format!(
                "expected a paginator type name (like `single_page`) or a mapping with `type`, \
                 found {}",
                describe(&other)
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            value @ Value::Mapping(_) if has_key(&value, "secret") => {
                sub(value).map(ParamValue::Secret)
            }
            value @ Value::Mapping(_) if has_key(&value, "type") => {
                sub(value).map(ParamValue::Special)
            }
            Value::Mapping(_) => Err(D::Error::custom(
                "a parameter given as a mapping must be `{ secret: NAME }` or have a `type` \
                 (`resolve` or `incremental`)",
            )),
            Value::Bool(b) => Ok(ParamValue::Literal(Scalar::Bool(b))),
            Value::Number(n) => Ok(ParamValue::Literal(match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Scalar::Int(i),
                (None, Some(f)) => Scalar::Float(f),
                (None, None) => Scalar::String(n.to_string()),
            })),
            Value::String(s) => Ok(ParamValue::Literal(Scalar::String(s))),
            Value::Null => Ok(ParamValue::Null),
            other => Err(D::Error::custom(format!(
                "expected a parameter value (string, number, boolean, null, `{{ secret: NAME }}` \
                 or `{{ type: resolve, .. }}`), found {}",
                describe(&other)
            ))),
        }
    }
}

/// `columns`: a mapping by name, or dlt's list of columns each with a `name`.
pub(crate) fn columns<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<indexmap::IndexMap<String, Column>, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Sequence(items) => {
            let mut out = indexmap::IndexMap::new();
            for (i, item) in items.into_iter().enumerate() {
                let column: Column =
                    sub(item).map_err(|e: D::Error| D::Error::custom(format!("[at [{i}]] {e}")))?;
                let Some(name) = column.name.clone() else {
                    return Err(D::Error::custom(format!(
                        "[at [{i}]] a column in a list needs `name`"
                    )));
                };
                if out.insert(name.clone(), column).is_some() {
                    return Err(D::Error::custom(format!(
                        "[at [{i}].name] column `{name}` is listed twice"
                    )));
                }
            }
            Ok(out)
        }
        Value::Null => Ok(indexmap::IndexMap::new()),
        value => sub(value),
    }
}

impl<'de> Deserialize<'de> for RequestData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(raw) => Ok(RequestData::Raw(raw)),
            value @ Value::Mapping(_) => sub(value).map(RequestData::Fields),
            Value::Sequence(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Sequence(pair) if pair.len() == 2 => {
                        let mut pair = pair.into_iter();
                        let key = match pair.next() {
                            Some(Value::String(key)) => key,
                            _ => {
                                return Err(D::Error::custom(format!(
                                    "[at [{i}]] the key of a form pair is a string"
                                )))
                            }
                        };
                        let value = sub(pair.next().unwrap_or(Value::Null))
                            .map_err(|e: D::Error| D::Error::custom(format!("[at [{i}]] {e}")))?;
                        Ok((key, value))
                    }
                    other => Err(D::Error::custom(format!(
                        "[at [{i}]] a form pair is a list `[key, value]`, found {}",
                        describe(&other)
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(RequestData::Pairs),
            other => Err(D::Error::custom(format!(
                "`data` is a form (a mapping or `[key, value]` pairs) or a raw string, found {}",
                describe(&other)
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for EndpointEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(s) => Ok(EndpointEntry::Path(s)),
            value @ Value::Mapping(_) => sub(value).map(EndpointEntry::Full),
            other => Err(D::Error::custom(format!(
                "expected an endpoint path (string) or an endpoint mapping, found {}",
                describe(&other)
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for ResourceEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(s) => Ok(ResourceEntry::Name(s)),
            value @ Value::Mapping(_) => sub(value).map(ResourceEntry::Full),
            other => Err(D::Error::custom(format!(
                "expected a resource name (string) or a resource mapping, found {}",
                describe(&other)
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for ColumnsFrom {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(s) => Ok(ColumnsFrom::Reference(s)),
            value @ Value::Mapping(_) => sub(value).map(ColumnsFrom::Document),
            other => Err(D::Error::custom(format!(
                "expected a schema document reference like `openapi.yaml#/components/schemas/Device` \
                 or a mapping with `document`, found {}",
                describe(&other)
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(s) => Ok(Keys::One(s)),
            value @ Value::Sequence(_) => sub(value).map(Keys::Many),
            other => Err(D::Error::custom(format!(
                "expected a column name or a list of column names, found {}",
                describe(&other)
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for WriteDisposition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            value @ Value::String(_) => sub(value).map(WriteDisposition::Word),
            value @ Value::Mapping(_) => sub(value).map(WriteDisposition::Config),
            other => Err(D::Error::custom(format!(
                "expected `append`, `replace`, `merge`, `skip` or \
                 `{{ disposition: .., strategy: .. }}`, found {}",
                describe(&other)
            ))),
        }
    }
}

/// Splits a tagged mapping into its `type` and the other keys.
fn split_tag<E: serde::de::Error>(value: Value, what: &str) -> Result<(String, Value), E> {
    let Value::Mapping(mut map) = value else {
        return Err(E::custom(format!(
            "expected a mapping with `type`, found {}",
            describe(&value)
        )));
    };
    match map.remove("type") {
        Some(Value::String(tag)) => Ok((tag, Value::Mapping(map))),
        Some(other) => Err(E::custom(format!(
            "[at type] the {what} type is a string, found {}",
            describe(&other)
        ))),
        None => Err(E::custom("missing field `type`")),
    }
}

fn unknown_tag<E: serde::de::Error>(tag: &str, expected: &[&str]) -> E {
    // Worded as serde words it, so the loader's handling of unknown variants applies.
    let expected: Vec<String> = expected.iter().map(|e| format!("`{e}`")).collect();
    E::custom(format!(
        "[at type] unknown variant `{tag}`, expected one of {}",
        expected.join(", ")
    ))
}

/// A variant without parameters: the rest of the mapping must be empty.
fn no_params<E: serde::de::Error>(rest: &Value) -> Result<(), E> {
    match rest.as_mapping().and_then(|m| m.keys().next()) {
        Some(key) => Err(E::custom(format!(
            "unknown field `{}`, there are no fields",
            key.as_str().unwrap_or("?")
        ))),
        None => Ok(()),
    }
}

const PAGINATOR_TYPES: &[&str] = &[
    "single_page",
    "page_number",
    "offset",
    "cursor",
    "json_link",
    "header_link",
    "header_cursor",
    "auto",
];

impl<'de> Deserialize<'de> for PaginatorConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (tag, rest) = split_tag(Value::deserialize(deserializer)?, "paginator")?;
        match tag.as_str() {
            "single_page" => no_params(&rest).map(|()| PaginatorConfig::SinglePage {}),
            "auto" => no_params(&rest).map(|()| PaginatorConfig::Auto {}),
            "page_number" => sub(rest).map(PaginatorConfig::PageNumber),
            "offset" => sub(rest).map(PaginatorConfig::Offset),
            "cursor" | "json_response_cursor" => sub(rest).map(PaginatorConfig::Cursor),
            "json_link" | "json_response" => sub(rest).map(PaginatorConfig::JsonLink),
            "header_link" => sub(rest).map(PaginatorConfig::HeaderLink),
            "header_cursor" => sub(rest).map(PaginatorConfig::HeaderCursor),
            other => Err(unknown_tag(other, PAGINATOR_TYPES)),
        }
    }
}

const AUTH_TYPES: &[&str] = &[
    "bearer",
    "api_key",
    "http_basic",
    "oauth2_client_credentials",
    "oauth2",
    "oauth2_refresh_token",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BearerFields {
    token: StringOrSecret,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiKeyFields {
    #[serde(default)]
    name: Option<String>,
    api_key: StringOrSecret,
    #[serde(default)]
    location: Option<ApiKeyLocation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpBasicFields {
    username: StringOrSecret,
    password: StringOrSecret,
}

/// The credential fields dlt fills from its config and secrets when a config leaves them out
/// (`SOURCES__<SOURCE>__CREDENTIALS__TOKEN`, ...), by auth type.
fn credential_fields(tag: &str) -> &'static [&'static str] {
    match tag {
        "bearer" => &["token"],
        "api_key" => &["api_key"],
        "http_basic" => &["username", "password"],
        "oauth2_client_credentials" | "oauth2" | "oauth2_refresh_token" => {
            &["client_id", "client_secret"]
        }
        _ => &[],
    }
}

/// A credential field left out becomes the secret `credentials__<field>`: the environment
/// variable `SOURCES__<CONNECTOR>__CREDENTIALS__<FIELD>` dlt reads, or `[sources.<connector>
/// .credentials]` in secrets.toml.
fn fill_credentials(tag: &str, rest: &mut Value) {
    let Value::Mapping(map) = rest else { return };
    for field in credential_fields(tag) {
        let key = Value::String((*field).to_owned());
        if !map.contains_key(&key) {
            let mut secret = serde_yaml::Mapping::new();
            secret.insert(
                Value::String("secret".to_owned()),
                Value::String(format!("credentials__{field}")),
            );
            map.insert(key, Value::Mapping(secret));
        }
    }
}

impl<'de> Deserialize<'de> for Auth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = match Value::deserialize(deserializer)? {
            // dlt's shorthand: the type alone (`auth: bearer`).
            Value::String(tag) => {
                let mut map = serde_yaml::Mapping::new();
                map.insert(Value::String("type".to_owned()), Value::String(tag));
                Value::Mapping(map)
            }
            // dlt's bearer form without `type`: `{ token: ... }`.
            Value::Mapping(mut map) if !map.contains_key("type") && map.contains_key("token") => {
                map.insert(
                    Value::String("type".to_owned()),
                    Value::String("bearer".to_owned()),
                );
                Value::Mapping(map)
            }
            other => other,
        };
        let (tag, mut rest) = split_tag(value, "auth")?;
        fill_credentials(&tag, &mut rest);
        match tag.as_str() {
            "bearer" => sub(rest).map(|f: BearerFields| Auth::Bearer { token: f.token }),
            "api_key" => sub(rest).map(|f: ApiKeyFields| Auth::ApiKey {
                name: f.name,
                api_key: f.api_key,
                location: f.location,
            }),
            "http_basic" => sub(rest).map(|f: HttpBasicFields| Auth::HttpBasic {
                username: f.username,
                password: f.password,
            }),
            "oauth2_client_credentials" | "oauth2" => sub(rest).map(Auth::Oauth2ClientCredentials),
            "oauth2_refresh_token" => sub(rest).map(Auth::Oauth2RefreshToken),
            other => Err(unknown_tag(other, AUTH_TYPES)),
        }
    }
}

impl<'de> Deserialize<'de> for SpecialParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (tag, rest) = split_tag(Value::deserialize(deserializer)?, "parameter")?;
        match tag.as_str() {
            "resolve" => sub(rest).map(SpecialParam::Resolve),
            "incremental" => sub(rest).map(SpecialParam::Incremental),
            other => Err(unknown_tag(other, &["resolve", "incremental"])),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathEqualsFields {
    path: String,
    value: serde_json::Value,
}

impl<'de> Deserialize<'de> for StopCondition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // serde_yaml's value deserializer wants `!path_missing x` for an externally tagged
        // enum; the spec writes `{ path_missing: x }`, so this dispatches on the one key.
        const KINDS: &[&str] = &["path_missing", "path_equals"];
        let value = Value::deserialize(deserializer)?;
        let entry = match &value {
            Value::Mapping(map) if map.len() == 1 => map.iter().next(),
            _ => None,
        };
        let Some((Value::String(kind), inner)) = entry else {
            return Err(D::Error::custom(format!(
                "a stop condition is `{{ path_missing: PATH }}` or \
                 `{{ path_equals: {{ path: PATH, value: VALUE }} }}`, found {}",
                describe(&value)
            )));
        };
        match kind.as_str() {
            "path_missing" => match inner {
                Value::String(path) => Ok(StopCondition::PathMissing(path.clone())),
                other => Err(D::Error::custom(format!(
                    "[at path_missing] expected a dot path (string), found {}",
                    describe(other)
                ))),
            },
            "path_equals" => sub::<PathEqualsFields, _>(inner.clone())
                .map(|f| StopCondition::PathEquals {
                    path: f.path,
                    value: f.value,
                })
                .map_err(|e: D::Error| {
                    let message = e.to_string();
                    let (path, message) = split_path_marker(&message);
                    D::Error::custom(with_path_marker(&join_paths("path_equals", path), message))
                }),
            other => {
                let expected: Vec<String> = KINDS.iter().map(|k| format!("`{k}`")).collect();
                Err(D::Error::custom(format!(
                    "[at {other}] unknown variant `{other}`, expected one of {}",
                    expected.join(", ")
                )))
            }
        }
    }
}

impl serde::Serialize for StopCondition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A one-key mapping, as written, rather than serde_yaml's `!path_missing x` tag.
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            StopCondition::PathMissing(path) => map.serialize_entry("path_missing", path)?,
            StopCondition::PathEquals { path, value } => map.serialize_entry(
                "path_equals",
                &serde_json::json!({ "path": path, "value": value }),
            )?,
        }
        map.end()
    }
}
