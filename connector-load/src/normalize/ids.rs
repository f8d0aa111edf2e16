//! Row ids: `_dlt_id` of every row and the links between rows (dlt's row keys).
//!
//! - a root row's id is unique per load (the load id, the table and the row's position,
//!   hashed; dlt's are random), so two versions of one record in a load never share an id;
//!   under the scd2 merge strategy it is the hash of the record itself (dlt's row hash), so an
//!   unchanged record keeps its row and a changed one gets a new row;
//! - a child row's id is the hash of its parent's id, its table and its list position (dlt's
//!   rule), so reloading the same parent gives its children the same ids.
//!
//! Hashes are 128-bit xxh3 over the inputs, written as 22 characters of unpadded base64.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;
use xxhash_rust::xxh3::Xxh3;

/// A row id: 22 characters of base64, held inline (three are made for every record with
/// one list of two items, so a heap string each showed in profiles).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Id([u8; ID_LEN]);

/// The length of a 128-bit hash in unpadded base64.
const ID_LEN: usize = 22;

impl Id {
    pub(crate) fn as_str(&self) -> &str {
        // Base64 is ASCII.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn encode(hash: u128) -> Id {
    let mut id = [0u8; ID_LEN];
    // 16 bytes always encode to 22 characters without padding.
    let written = STANDARD_NO_PAD
        .encode_slice(hash.to_le_bytes(), &mut id)
        .unwrap_or_default();
    debug_assert_eq!(written, ID_LEN);
    Id(id)
}

/// The id of the `n`-th root row of `table` in load `load_id`.
pub(crate) fn unique_id(load_id: &str, table: &str, n: u64) -> Id {
    let mut h = Xxh3::new();
    h.update(load_id.as_bytes());
    h.update(b"\0");
    h.update(table.as_bytes());
    h.update(&n.to_le_bytes());
    encode(h.digest128())
}

/// The id of the row at `index` of `table`'s list in the parent row `parent_id`.
pub(crate) fn child_id(parent_id: &str, table: &str, index: usize) -> Id {
    let mut h = Xxh3::new();
    h.update(parent_id.as_bytes());
    h.update(b"_");
    h.update(table.as_bytes());
    h.update(b"_");
    h.update(itoa::Buffer::new().format(index).as_bytes());
    encode(h.digest128())
}

/// The hash of a record: its fields with every object's keys sorted, so equal records hash
/// equally whatever order the API sent their fields in.
pub(crate) fn row_hash(record: &serde_json::Map<String, serde_json::Value>) -> Id {
    let mut buffer = Vec::with_capacity(256);
    canonical_object(record, &mut buffer);
    encode(xxhash_rust::xxh3::xxh3_128(&buffer))
}

/// The id of a record whose version a field holds (scd2's `row_version_column_name`): the
/// hash of that field's value alone.
pub(crate) fn version_id(version: &serde_json::Value) -> Id {
    let mut buffer = Vec::with_capacity(32);
    canonical(version, &mut buffer);
    encode(xxhash_rust::xxh3::xxh3_128(&buffer))
}

fn canonical_object(map: &serde_json::Map<String, serde_json::Value>, out: &mut Vec<u8>) {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    out.push(b'{');
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing JSON into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, key);
        out.push(b':');
        canonical(&map[key], out);
    }
    out.push(b'}');
}

fn canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    match value {
        serde_json::Value::Object(map) => canonical_object(map, out),
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(item, out);
            }
            out.push(b']');
        }
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(unique_id("l1", "users", 1), unique_id("l1", "users", 1));
        assert_ne!(unique_id("l1", "users", 1), unique_id("l1", "users", 2));
        assert_ne!(unique_id("l1", "users", 1), unique_id("l2", "users", 1));
        assert_eq!(unique_id("l1", "users", 1).as_str().len(), 22);
        let decoded = STANDARD_NO_PAD.decode(unique_id("l1", "users", 1).as_str());
        assert_eq!(decoded.map(|bytes| bytes.len()).ok(), Some(16));
        assert_ne!(
            child_id("p", "users__tags", 0),
            child_id("p", "users__tags", 1)
        );
    }
}
