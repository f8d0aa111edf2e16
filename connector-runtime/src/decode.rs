//! Turning a page body into records of the stream's type.
//!
//! Two ways, with the same result:
//! - **through a JSON tree**: the body becomes a [`Value`], the selector moves the records
//!   out, and each record is deserialized into the record type. Always possible; needed when
//!   records are looked at as JSON before they are typed (incremental cursors,
//!   `include_from_parent`) or when the selector has wildcards.
//! - **straight from the bytes** ([`split`]): one pass builds a small `Value` of everything
//!   *around* the records (what the paginator reads) and deserializes the records directly
//!   into `Vec<T>`. No tree is built for the records, which was ~40% of a typed fetch's CPU.
//!
//! The direct pass is an optimisation only: when it fails for any reason the page is decoded
//! again through the tree, so errors (not JSON, a record that does not fit the type) read
//! exactly the same either way.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;
use serde_json::{Map, Value};

/// How the records of a stream are made from JSON.
pub(crate) trait RecordType: Send + Sync + 'static {
    type Record: Send + 'static;

    /// Whether [`RecordType::split`] is worth calling (false for plain JSON records, which
    /// the tree already is).
    const DIRECT: bool;

    /// A record from its JSON value; on error, what is wrong (with the field's path when the
    /// error is inside one) and the value, to be quoted.
    fn from_value(value: Value) -> Result<Self::Record, (String, Value)>;

    /// Envelope and records parsed straight from `body`; see [`split`].
    fn split(body: &[u8], direct: &Direct) -> Result<Split<Self::Record>, serde_json::Error>;
}

/// How pages of one request sequence are split: the records' key path, and how many records
/// to make room for (the previous page's count), so the vector is not regrown on every page.
#[derive(Debug, Clone)]
pub(crate) struct Direct {
    pub(crate) path: Arc<[String]>,
    pub(crate) expected: usize,
}

/// Records kept as JSON (`Connector::stream`).
pub(crate) struct Json;

impl RecordType for Json {
    type Record = Value;
    const DIRECT: bool = false;

    fn from_value(value: Value) -> Result<Value, (String, Value)> {
        Ok(value)
    }

    fn split(body: &[u8], direct: &Direct) -> Result<Split<Value>, serde_json::Error> {
        split(body, &direct.path, direct.expected)
    }
}

/// Records deserialized into `T` (`Connector::stream_typed`, the generated clients).
pub(crate) struct Typed<T>(PhantomData<fn() -> T>);

impl<T: DeserializeOwned + Send + 'static> RecordType for Typed<T> {
    type Record = T;
    const DIRECT: bool = true;

    fn from_value(value: Value) -> Result<T, (String, Value)> {
        serde_path_to_error::deserialize(&value).map_err(|e| {
            let message = match e.path().to_string().as_str() {
                "." => e.inner().to_string(),
                path => format!("field `{path}`: {}", e.inner()),
            };
            (message, value)
        })
    }

    fn split(body: &[u8], direct: &Direct) -> Result<Split<T>, serde_json::Error> {
        split(body, &direct.path, direct.expected)
    }
}

/// A body parsed by [`split`].
#[derive(Debug)]
pub(crate) struct Split<T> {
    /// The body with `null` where the records were (what `Selector::take_records` leaves).
    pub(crate) envelope: Value,
    /// The records; `None` when the path is not in the body.
    pub(crate) records: Option<Vec<T>>,
}

/// Parses `body` in one pass: the value at the key path `path` becomes the records (a list:
/// its elements; `null`: none; an object: one record), everything else becomes `envelope`.
/// An empty `path` means the body itself holds the records; room is made for `expected`
/// records up front.
pub(crate) fn split<T: DeserializeOwned>(
    body: &[u8],
    path: &[String],
    expected: usize,
) -> Result<Split<T>, serde_json::Error> {
    let mut records = None;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let envelope = Envelope {
        path,
        expected,
        records: &mut records,
    }
    .deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(Split { envelope, records })
}

/// Builds the envelope `Value`, descending along `path`; at its end, the records.
struct Envelope<'p, T> {
    path: &'p [String],
    expected: usize,
    records: &'p mut Option<Vec<T>>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Envelope<'_, T> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        match self.path.split_first() {
            None => {
                let visitor = RecordsVisitor {
                    expected: self.expected,
                    _type: PhantomData,
                };
                *self.records = Some(deserializer.deserialize_any(visitor)?);
                Ok(Value::Null)
            }
            Some((key, rest)) => deserializer.deserialize_any(EnvelopeVisitor {
                key,
                rest,
                expected: self.expected,
                records: self.records,
            }),
        }
    }
}

struct EnvelopeVisitor<'p, T> {
    key: &'p str,
    rest: &'p [String],
    expected: usize,
    records: &'p mut Option<Vec<T>>,
}

/// Everything but an object is kept as it is: the path does not go through it.
macro_rules! keep_as_value {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method<E: de::Error>(self, v: $ty) -> Result<Value, E> {
            Ok(Value::from(v))
        })*
    };
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for EnvelopeVisitor<'_, T> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    keep_as_value!(
        visit_bool(bool),
        visit_i64(i64),
        visit_u64(u64),
        visit_f64(f64),
        visit_str(&str),
        visit_string(String),
    );

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = if key == self.key {
                map.next_value_seed(Envelope {
                    path: self.rest,
                    expected: self.expected,
                    records: &mut *self.records,
                })?
            } else {
                map.next_value()?
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// The value at the selector: a list of records, one record (an object), or none (`null`).
struct RecordsVisitor<T> {
    expected: usize,
    _type: PhantomData<fn() -> T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for RecordsVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of records, a record or null")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(self.expected).min(10_000));
        while let Some(record) = seq.next_element()? {
            records.push(record);
        }
        Ok(records)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|one| vec![one])
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Item {
        id: u64,
        #[serde(flatten)]
        extra: Map<String, Value>,
    }

    fn split_at<T: DeserializeOwned>(
        body: &[u8],
        path: &[String],
    ) -> Result<Split<T>, serde_json::Error> {
        split(body, path, 2)
    }

    fn path(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn records_at_a_key_path_and_the_rest_as_envelope() {
        let body = br#"{"total": 3, "page": {"data": [{"id": 1, "x": "a"}, {"id": 2}], "next": "n"}, "z": [1, null, true, -2.5]}"#;
        let split: Split<Item> = split(body, &path(&["page", "data"]), 0).unwrap();
        assert_eq!(
            split.envelope,
            json!({"total": 3, "page": {"data": null, "next": "n"}, "z": [1, null, true, -2.5]})
        );
        let records = split.records.unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].extra["x"], json!("a"));
        assert_eq!(records[1].id, 2);
    }

    #[test]
    fn the_body_itself_an_object_null_or_a_missing_path() {
        let root: Split<Item> = split_at(br#"[{"id": 1}]"#, &[]).unwrap();
        assert_eq!(
            (root.envelope, root.records.map(|r| r.len())),
            (Value::Null, Some(1))
        );
        let one: Split<Item> = split_at(br#"{"data": {"id": 9}}"#, &path(&["data"])).unwrap();
        assert_eq!(one.records.unwrap()[0].id, 9);
        let none: Split<Item> = split_at(br#"{"data": null}"#, &path(&["data"])).unwrap();
        assert_eq!(none.records.map(|r| r.len()), Some(0));
        let missing: Split<Item> = split_at(br#"{"other": []}"#, &path(&["data"])).unwrap();
        assert!(missing.records.is_none());
        assert_eq!(missing.envelope, json!({"other": []}));
        let scalar_body: Split<Item> = split_at(b"42", &path(&["data"])).unwrap();
        assert_eq!(scalar_body.envelope, json!(42));
    }

    #[test]
    fn records_that_do_not_fit_and_broken_json_are_errors() {
        assert!(split_at::<Item>(br#"{"data": [{"id": "a"}]}"#, &path(&["data"])).is_err());
        assert!(split_at::<Item>(br#"{"data": 5}"#, &path(&["data"])).is_err());
        assert!(split_at::<Item>(br#"{"data": [] "#, &path(&["data"])).is_err());
        assert!(split_at::<Item>(br#"{"data": []} trailing"#, &path(&["data"])).is_err());
    }
}
