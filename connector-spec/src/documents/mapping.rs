//! Schema objects to column hints, as a careful Rust user would map them (typify's rules):
//!
//! - a property not in `required`, or one that may be null (3.0 `nullable: true`, 3.1
//!   `type: [T, "null"]`, `anyOf: [T, {type: "null"}]`), is nullable (`Option`);
//! - `$ref` (in the document or in a file beside it) and `allOf` are followed and merged;
//! - objects with properties become nested `fields`, arrays `items`;
//! - `format` picks the column type (`date-time` timestamp, `date`, `time`, `int32` / `int64`
//!   bigint, `float` / `double` double, `byte` / `binary` binary, `decimal`); `date-time` and
//!   `date` also promise RFC 3339 text ([`TextFormat`]), read into chrono types;
//! - string `enum`s keep their values (a Rust enum that also keeps unknown ones);
//! - `oneOf`, `anyOf` and several types are JSON, and the column's documentation says why;
//! - `description`s become the columns' documentation.
//!
//! Schemas are read as JSON values: 3.0 and 3.1 schema objects differ (`nullable` against
//! type arrays), and JSON Schema files share 3.1's.

use indexmap::IndexMap;
use serde_json::Value;

use crate::vocabulary::{Column, DataType, TextFormat};

use super::{Documents, Loc};

/// An object schema's properties (in order, `allOf` parts first) and required names.
#[derive(Debug, Default)]
pub struct ObjectShape {
    /// Each property and where its schema is.
    pub properties: Vec<(String, Loc)>,
    /// The names listed in `required`.
    pub required: Vec<String>,
}

impl ObjectShape {
    /// The schema of one property.
    pub fn property(&self, name: &str) -> Option<&Loc> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, loc)| loc)
    }
}

/// Walks schemas, following references through the documents it opens.
pub struct Mapper<'d> {
    docs: &'d mut Documents,
    /// The references being expanded (a cycle ends in a JSON column).
    stack: Vec<String>,
}

/// Deeper than any real schema nests; a bound on hostile documents.
const MAX_DEPTH: usize = 48;

impl<'d> Mapper<'d> {
    /// A mapper over `docs`.
    pub fn new(docs: &'d mut Documents) -> Mapper<'d> {
        Mapper {
            docs,
            stack: Vec::new(),
        }
    }

    /// The columns of a record schema, which must be an object.
    pub fn record(&mut self, loc: &Loc) -> Result<IndexMap<String, Column>, String> {
        let Some(shape) = self.object(loc)? else {
            let target = self.deref(loc)?;
            return Err(format!(
                "{}: the record schema is {}, not an object; columns come from an object's \
                 `properties`",
                target.at(),
                kind_of(target.value())
            ));
        };
        self.fields(&shape)
    }

    /// Follows `$ref`s to the schema itself.
    pub fn deref(&mut self, loc: &Loc) -> Result<Loc, String> {
        let mut current = loc.clone();
        for _ in 0..MAX_DEPTH {
            match current.value().get("$ref").and_then(Value::as_str) {
                Some(reference) => current = self.follow(&current, reference)?,
                None => return Ok(current),
            }
        }
        Err(format!(
            "{}: `$ref`s refer to each other in a loop",
            loc.at()
        ))
    }

    /// The object a schema describes (through `$ref` and `allOf`), or `None` when it is not
    /// an object.
    pub fn object(&mut self, loc: &Loc) -> Result<Option<ObjectShape>, String> {
        let loc = self.deref(loc)?;
        let value = loc.value();
        let types = types(value);
        let has_properties = value.get("properties").is_some_and(Value::is_object);
        let all_of = value.get("allOf").and_then(Value::as_array);
        let is_object =
            types.contains(&"object") || (types.is_empty() && (has_properties || all_of.is_some()));
        if !is_object {
            return Ok(None);
        }
        if self.stack.len() > MAX_DEPTH {
            return Err(format!("{}: the schema nests too deep", loc.at()));
        }
        let mut shape = ObjectShape::default();
        if let Some(parts) = all_of {
            for index in 0..parts.len() {
                let part = loc.child("allOf").child(&index.to_string());
                let Some(inner) = self.object(&part)? else {
                    let target = self.deref(&part)?;
                    return Err(format!(
                        "{}: this `allOf` part is {}; only object schemas are combined into one \
                         record (unsupported construct)",
                        target.at(),
                        kind_of(target.value())
                    ));
                };
                for (name, at) in inner.properties {
                    shape.properties.retain(|(n, _)| *n != name);
                    shape.properties.push((name, at));
                }
                shape.required.extend(inner.required);
            }
        }
        if let Some(properties) = value.get("properties").and_then(Value::as_object) {
            for name in properties.keys() {
                shape.properties.retain(|(n, _)| n != name);
                shape
                    .properties
                    .push((name.clone(), loc.child("properties").child(name)));
            }
        }
        if let Some(required) = value.get("required").and_then(Value::as_array) {
            shape
                .required
                .extend(required.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        Ok(Some(shape))
    }

    /// Whether a schema is an array; its `items` when it is.
    pub fn items(&mut self, loc: &Loc) -> Result<Option<Loc>, String> {
        let loc = self.deref(loc)?;
        let value = loc.value();
        let is_array = types(value).contains(&"array")
            || (types(value).is_empty() && value.get("items").is_some());
        Ok(is_array.then(|| loc.child("items")))
    }

    fn fields(&mut self, shape: &ObjectShape) -> Result<IndexMap<String, Column>, String> {
        let mut columns = IndexMap::new();
        for (name, loc) in &shape.properties {
            let mut column = self.column(loc)?;
            let required = shape.required.contains(name);
            column.nullable = (required && column.nullable != Some(true)).then_some(false);
            columns.insert(name.clone(), column);
        }
        Ok(columns)
    }

    /// The column of one schema; `nullable` is `Some(true)` when the schema allows null.
    fn column(&mut self, loc: &Loc) -> Result<Column, String> {
        let value = loc.value();
        if let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            let target = self.follow(loc, reference)?;
            let key = target.key();
            let mut column = if self.stack.contains(&key) {
                json_note(
                    None,
                    format!(
                        "The schema refers to itself here ({}); the recursion is kept as JSON.",
                        target.at_plain()
                    ),
                )
            } else {
                self.stack.push(key);
                let column = self.column(&target);
                self.stack.pop();
                column?
            };
            // A reference's own `description` (3.1) or `nullable` (3.0 style) wins.
            if let Some(description) = value.get("description").and_then(Value::as_str) {
                column.description = Some(description.to_owned());
            }
            if value.get("nullable") == Some(&Value::Bool(true)) {
                column.nullable = Some(true);
            }
            return Ok(column);
        }
        if !value.is_object() {
            // `true` / `{}`: any value.
            return Ok(Column {
                data_type: Some(DataType::Json),
                ..Column::default()
            });
        }
        let description = value
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut nullable = value.get("nullable") == Some(&Value::Bool(true));
        let mut types = types(value);
        if types.contains(&"null") {
            nullable = true;
            types.retain(|t| *t != "null");
        }
        let mut column = if let Some((word, alternatives)) = ["oneOf", "anyOf"]
            .into_iter()
            .find_map(|w| value.get(w).and_then(Value::as_array).map(|a| (w, a)))
        {
            let not_null: Vec<usize> = (0..alternatives.len())
                .filter(|i| types_of_alternative(&alternatives[*i]) != ["null"])
                .collect();
            if let ([only], 2) = (not_null.as_slice(), alternatives.len()) {
                // `anyOf: [T, {type: null}]`: 3.1's nullable T.
                nullable = true;
                let mut inner = self.column(&loc.child(word).child(&only.to_string()))?;
                if description.is_some() {
                    inner.description = description.clone();
                }
                inner
            } else {
                json_note(
                    description.clone(),
                    format!(
                        "The schema document gives `{word}` here ({}): no single Rust type fits, \
                         so the value is kept as JSON.",
                        loc.at_plain()
                    ),
                )
            }
        } else if value.get("allOf").is_some() {
            let parts = value.get("allOf").and_then(Value::as_array);
            match parts.map(Vec::len) {
                // `allOf: [{$ref: X}]` with a description beside it: X itself.
                Some(1) if value.get("properties").is_none() => {
                    let mut inner = self.column(&loc.child("allOf").child("0"))?;
                    if description.is_some() {
                        inner.description = description.clone();
                    }
                    inner
                }
                _ => self.object_column(loc, description.clone())?,
            }
        } else if types.len() > 1 {
            json_note(
                description.clone(),
                format!(
                    "The schema document allows several types here ({}: {}), so the value is \
                     kept as JSON.",
                    loc.at_plain(),
                    types.join(", ")
                ),
            )
        } else {
            let enum_values = string_enum(value, &mut nullable);
            let kind = types.first().copied().or_else(|| {
                if value.get("properties").is_some() {
                    Some("object")
                } else if value.get("items").is_some() {
                    Some("array")
                } else if !enum_values.is_empty() {
                    Some("string")
                } else {
                    None
                }
            });
            let format = value.get("format").and_then(Value::as_str).unwrap_or("");
            match kind {
                Some("string") => Column {
                    data_type: Some(match TextFormat::from_schema(format) {
                        Some((_, data_type)) => data_type,
                        None => match format {
                            "time" => DataType::Time,
                            "byte" | "binary" => DataType::Binary,
                            "decimal" => DataType::Decimal,
                            _ => DataType::Text,
                        },
                    }),
                    format: TextFormat::from_schema(format).map(|(f, _)| f),
                    enum_values,
                    description: description.clone(),
                    ..Column::default()
                },
                Some("integer") => typed(DataType::Bigint, &description),
                Some("number") if format == "decimal" => typed(DataType::Decimal, &description),
                Some("number") => typed(DataType::Double, &description),
                Some("boolean") => typed(DataType::Bool, &description),
                Some("array") => {
                    let items = match value.get("items") {
                        Some(_) => {
                            let mut element = self.column(&loc.child("items"))?;
                            // Elements are present unless the schema allows null.
                            element.nullable = element.nullable.filter(|n| *n);
                            Some(Box::new(element))
                        }
                        None => None,
                    };
                    Column {
                        data_type: Some(DataType::Json),
                        items,
                        description: description.clone(),
                        ..Column::default()
                    }
                }
                Some("object") => self.object_column(loc, description.clone())?,
                _ => typed(DataType::Json, &description),
            }
        };
        if nullable {
            column.nullable = Some(true);
        }
        Ok(column)
    }

    /// An object's column: nested fields, or plain JSON for a free-form map.
    fn object_column(&mut self, loc: &Loc, description: Option<String>) -> Result<Column, String> {
        let fields = match self.object(loc)? {
            Some(shape) => self.fields(&shape)?,
            None => IndexMap::new(),
        };
        Ok(Column {
            data_type: Some(DataType::Json),
            fields,
            description,
            ..Column::default()
        })
    }

    /// The schema a `$ref` names: in the same document (`#/...`) or in a file beside it.
    fn follow(&mut self, from: &Loc, reference: &str) -> Result<Loc, String> {
        let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        if file.contains("://") {
            return Err(format!(
                "{}: `$ref: {reference}` is a remote reference; documents are read offline at \
                 compile time, so copy that schema into a local file (unsupported construct)",
                from.at()
            ));
        }
        let doc = if file.is_empty() {
            from.doc.clone()
        } else {
            let path = from
                .doc
                .path
                .parent()
                .map(|dir| dir.join(file))
                .unwrap_or_else(|| file.into());
            self.docs
                .open(&path, file)
                .map_err(|err| format!("{}: `$ref: {reference}`: {err}", from.at()))?
        };
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(format!(
                "{}: `$ref: {reference}` is not a JSON pointer (`#/components/schemas/Name`)",
                from.at()
            ));
        }
        if doc.get(pointer).is_none() {
            return Err(format!(
                "{}: `$ref: {reference}`: {}",
                from.at(),
                doc.nothing_at(pointer)
            ));
        }
        Ok(Loc {
            doc,
            pointer: pointer.to_owned(),
        })
    }
}

/// The `type` of a schema as a list (3.1 allows several).
fn types(value: &Value) -> Vec<&str> {
    match value.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn types_of_alternative(value: &Value) -> Vec<&str> {
    if value.get("$ref").is_some() {
        return Vec::new();
    }
    types(value)
}

/// A string `enum`'s values; a `null` among them makes the column nullable. Any other kind of
/// value leaves the enum out (the type alone decides).
fn string_enum(value: &Value, nullable: &mut bool) -> Vec<String> {
    let Some(values) = value.get("enum").and_then(Value::as_array) else {
        return Vec::new();
    };
    if !values.iter().all(|v| v.is_string() || v.is_null()) {
        return Vec::new();
    }
    if values.iter().any(Value::is_null) {
        *nullable = true;
    }
    values
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

fn typed(data_type: DataType, description: &Option<String>) -> Column {
    Column {
        data_type: Some(data_type),
        description: description.clone(),
        ..Column::default()
    }
}

/// A JSON column whose documentation says why it is JSON.
fn json_note(description: Option<String>, note: String) -> Column {
    let description = match description {
        Some(d) => format!("{d}\n\n{note}"),
        None => note,
    };
    Column {
        data_type: Some(DataType::Json),
        description: Some(description),
        ..Column::default()
    }
}

/// "a string schema", "an array schema", ... for messages.
fn kind_of(value: &Value) -> String {
    let types = types(value);
    if let Some(word) = ["oneOf", "anyOf"]
        .into_iter()
        .find(|w| value.get(*w).is_some())
    {
        return format!("a `{word}` schema");
    }
    match types.first() {
        Some(t) if *t == "array" || *t == "integer" || *t == "object" => format!("an {t} schema"),
        Some(t) => format!("a {t} schema"),
        None if value.get("items").is_some() => "an array schema".to_owned(),
        None => "a schema without `type` or `properties`".to_owned(),
    }
}
