//! The records at the high-water mark, remembered so the next run does not load them twice.
//!
//! A window's start is closed by default (dlt's `range_start: closed`): the next run asks for
//! records from the saved last value on, and gets the ones at that value again. Like dlt's
//! `unique_hashes`, the state keeps what identifies each record loaded at the last value, and
//! the next run drops a record whose cursor equals its start and whose identity is kept:
//! - with a primary key (`incremental.primary_key`, else the resource's): the key's value (an
//!   array of values for a compound key), stored as it is in `unique_keys`;
//! - without one: a hash of the whole record in `unique_hashes`, the first 16 bytes of the
//!   SHA-256 of its [canonical JSON](canonical_json), as 32 lowercase hex digits.

use std::collections::HashSet;
use std::fmt::Write as _;

use connector_spec::resolved::BoundaryKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::Error;

/// What identifies the records loaded at one mark (the state's `unique_keys` or
/// `unique_hashes`; one of them is used, depending on whether the resource has a primary key).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Boundary {
    /// Primary key values of the records at the mark: a value per record, an array of values
    /// for a compound key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique_keys: Vec<Value>,
    /// Hashes of the records at the mark, for a resource without a primary key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique_hashes: Vec<String>,
}

impl Boundary {
    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.unique_keys.is_empty() && self.unique_hashes.is_empty()
    }

    /// Remembers one more record at the mark.
    pub(crate) fn insert(&mut self, identity: Identity) {
        match identity {
            Identity::Key(key) => self.unique_keys.push(key),
            Identity::Hash(hash) => self.unique_hashes.push(hash),
        }
    }

    /// Forgets everything and remembers `identity`: the mark moved.
    pub(crate) fn reset(&mut self, identity: Identity) {
        *self = Boundary::default();
        self.insert(identity);
    }
}

/// What identifies one record at the boundary.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Identity {
    /// Its primary key value(s).
    Key(Value),
    /// The hash of the whole record.
    Hash(String),
}

impl Identity {
    /// The record's identity under `key` (never [`BoundaryKey::Off`]).
    pub(crate) fn of(record: &Value, key: &BoundaryKey, resource: &str) -> Result<Identity, Error> {
        let field = |name: &String| {
            record.get(name).cloned().ok_or_else(|| Error::Incremental {
                resource: resource.to_owned(),
                message: format!(
                    "a record at the incremental boundary has no primary key field `{name}`, \
                     so it cannot be told apart from the records the last run loaded at the \
                     same cursor value; set `incremental.primary_key` to fields every record \
                     has, or `incremental.primary_key: []` to load boundary records again"
                ),
            })
        };
        Ok(match key {
            BoundaryKey::PrimaryKey(names) if names.len() == 1 => Identity::Key(field(&names[0])?),
            BoundaryKey::PrimaryKey(names) => Identity::Key(Value::Array(
                names.iter().map(field).collect::<Result<_, _>>()?,
            )),
            BoundaryKey::Record | BoundaryKey::Off => Identity::Hash(record_hash(record)),
        })
    }
}

/// A [`Boundary`] ready for look-ups: what one window's start remembers.
#[derive(Debug, Clone, Default)]
pub(crate) struct Seen {
    keys: HashSet<String>,
    hashes: HashSet<String>,
}

impl Seen {
    pub(crate) fn new(boundary: &Boundary) -> Seen {
        Seen {
            keys: boundary.unique_keys.iter().map(canonical_json).collect(),
            hashes: boundary.unique_hashes.iter().cloned().collect(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.hashes.is_empty()
    }

    pub(crate) fn contains(&self, identity: &Identity) -> bool {
        match identity {
            Identity::Key(key) => self.keys.contains(&canonical_json(key)),
            Identity::Hash(hash) => self.hashes.contains(hash),
        }
    }
}

/// A record's hash: the first 16 bytes of the SHA-256 of its [`canonical_json`], as 32
/// lowercase hex digits. Stable across runs, platforms and key order in the response.
pub fn record_hash(record: &Value) -> String {
    let digest = Sha256::digest(canonical_json(record).as_bytes());
    let mut hex = String::with_capacity(32);
    for byte in &digest[..16] {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// A value's canonical JSON: no whitespace, object keys sorted by their UTF-8 bytes, strings
/// escaped and numbers written as `serde_json` writes them (so `1` and `1.0` differ).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a = json!({"b": 1, "a": {"y": [1, {"d": null, "c": "x\"y"}], "x": true}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":true,"y":[1,{"c":"x\"y","d":null}]},"b":1}"#
        );
        let b: Value = serde_json::from_str(
            r#"{"a": {"x": true, "y": [1, {"c": "x\"y", "d": null}]}, "b": 1}"#,
        )
        .unwrap();
        assert_eq!(
            record_hash(&a),
            record_hash(&b),
            "key order does not matter"
        );
        assert_ne!(record_hash(&a), record_hash(&json!({"b": 2})));
        assert_ne!(
            record_hash(&json!({"v": 1})),
            record_hash(&json!({"v": 1.0}))
        );
    }

    #[test]
    fn the_record_hash_is_documented_sha256() {
        // `printf '{"id":1}' | sha256sum`, first 32 hex digits: anyone can recompute it.
        assert_eq!(
            record_hash(&json!({"id": 1})),
            "037c9214eef74cc3887f3a4f085b4e17"
        );
    }

    #[test]
    fn identity_is_the_key_value_or_the_record_hash() {
        let record = json!({"org": "o", "seq": 7, "v": "x"});
        let one = BoundaryKey::PrimaryKey(vec!["seq".into()]);
        let two = BoundaryKey::PrimaryKey(vec!["org".into(), "seq".into()]);
        assert_eq!(
            Identity::of(&record, &one, "r").unwrap(),
            Identity::Key(json!(7))
        );
        assert_eq!(
            Identity::of(&record, &two, "r").unwrap(),
            Identity::Key(json!(["o", 7]))
        );
        assert_eq!(
            Identity::of(&record, &BoundaryKey::Record, "r").unwrap(),
            Identity::Hash(record_hash(&record))
        );
        let err = Identity::of(&json!({"v": 1}), &one, "events").unwrap_err();
        assert!(
            err.to_string().starts_with(
                "resource `events`: a record at the incremental boundary has no primary key field `seq`"
            ),
            "{err}"
        );

        let mut boundary = Boundary::default();
        boundary.insert(Identity::Key(json!(["o", 7])));
        let seen = Seen::new(&boundary);
        assert!(seen.contains(&Identity::Key(json!(["o", 7]))));
        assert!(!seen.contains(&Identity::Key(json!(["o", 8]))));
        assert!(!seen.contains(&Identity::Key(json!("o"))));
    }
}
