//! What the generated record types' `Deserialize` impls call.
//!
//! A record keeps every field: the declared ones in typed fields, the rest in its `extra` map.
//! `#[serde(flatten)]` would do that, but it buffers every field of every record into serde's
//! private `Content` tree first and then deserializes from it again. The generated impls walk
//! the JSON object once instead: a declared key is read into its field, any other key straight
//! into `extra`. Errors read as serde's derive writes them (`missing field `id``).
//!
//! ```
//! use connector_runtime::record::{Field, FieldKey};
//! use connector_runtime::serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
//! use connector_runtime::serde_json::{Map, Value};
//!
//! #[derive(Debug)]
//! struct User {
//!     id: i64,
//!     name: Option<String>,
//!     extra: Map<String, Value>,
//! }
//!
//! impl<'de> Deserialize<'de> for User {
//!     fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
//!         struct Fields;
//!         impl<'de> Visitor<'de> for Fields {
//!             type Value = User;
//!             fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!                 f.write_str("a `users` record")
//!             }
//!             fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<User, A::Error> {
//!                 let mut id = Field::<i64>::new("id");
//!                 let mut name = Field::<Option<String>>::new("name");
//!                 let mut extra = Map::new();
//!                 while let Some(key) = map.next_key::<FieldKey<'de>>()? {
//!                     match key.as_str() {
//!                         "id" => id.read(&mut map)?,
//!                         "name" => name.read(&mut map)?,
//!                         _ => {
//!                             extra.insert(key.into_string(), map.next_value()?);
//!                         }
//!                     }
//!                 }
//!                 Ok(User { id: id.required()?, name: name.optional(), extra })
//!             }
//!         }
//!         deserializer.deserialize_map(Fields)
//!     }
//! }
//!
//! let user: User = connector_runtime::serde_json::from_str(r#"{"id": 7, "name": null, "x": 1}"#)?;
//! assert_eq!((user.id, user.name), (7, None));
//! assert_eq!(user.extra["x"], 1);
//!
//! let missing = connector_runtime::serde_json::from_str::<User>(r#"{"x": 1}"#);
//! assert!(missing.unwrap_err().to_string().starts_with("missing field `id`"));
//! # Ok::<(), connector_runtime::serde_json::Error>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, Visitor};

/// An object key, borrowed from the input when it has no escapes (the common case: most keys
/// of a page cost no allocation until they land in `extra`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldKey<'de>(Cow<'de, str>);

impl<'de> FieldKey<'de> {
    /// The key as written in the record (escapes resolved).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as an owned string, for the `extra` map.
    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for FieldKey<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = FieldKey<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E: Error>(self, key: &'de str) -> Result<Self::Value, E> {
                Ok(FieldKey(Cow::Borrowed(key)))
            }

            fn visit_str<E: Error>(self, key: &str) -> Result<Self::Value, E> {
                Ok(FieldKey(Cow::Owned(key.to_owned())))
            }

            fn visit_string<E: Error>(self, key: String) -> Result<Self::Value, E> {
                Ok(FieldKey(Cow::Owned(key)))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

/// One declared field of a record being read: its key and, once seen, its value.
#[derive(Debug)]
pub struct Field<T> {
    key: &'static str,
    value: Option<T>,
}

impl<T> Field<T> {
    /// A field not seen yet.
    pub fn new(key: &'static str) -> Self {
        Field { key, value: None }
    }

    /// Reads the value of the key `map` just returned; a second occurrence of the key is
    /// serde's `duplicate field` error, as with a derived impl.
    pub fn read<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<(), A::Error>
    where
        T: Deserialize<'de>,
    {
        if self.value.is_some() {
            return Err(A::Error::duplicate_field(self.key));
        }
        self.value = Some(map.next_value()?);
        Ok(())
    }

    /// The value of a required field, or serde's `missing field` error.
    pub fn required<E: Error>(self) -> Result<T, E> {
        let key = self.key;
        self.value.ok_or_else(|| E::missing_field(key))
    }
}

impl<T> Field<Option<T>> {
    /// The value of a nullable field: absent and `null` are both `None`.
    pub fn optional(self) -> Option<T> {
        self.value.flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn keys_without_escapes_are_borrowed() {
        let mut de = serde_json::Deserializer::from_str(r#""plain""#);
        let key = FieldKey::deserialize(&mut de).unwrap();
        assert!(matches!(key.0, Cow::Borrowed("plain")));
        let mut de = serde_json::Deserializer::from_str(r#""tab\there""#);
        let key = FieldKey::deserialize(&mut de).unwrap();
        assert!(matches!(key.0, Cow::Owned(_)));
        assert_eq!(key.as_str(), "tab\there");
    }

    #[test]
    fn keys_from_a_json_tree_are_owned() {
        let key = FieldKey::deserialize(Value::from("k")).unwrap();
        assert_eq!(key.into_string(), "k");
    }

    #[test]
    fn a_key_must_be_a_string() {
        let err = serde_json::from_str::<FieldKey<'_>>("3").unwrap_err();
        assert!(err.to_string().contains("expected an object key"), "{err}");
    }
}
