//! Whether a merge's root rows can repeat a primary key, watched as the rows are built.
//! Rows whose keys only ever increase cannot, and the merge then need not look for repeated
//! keys among the staged rows (the database grouping every staged key). Many APIs list
//! records in key order.
//!
//! Only keys the database compares as this does are watched: integers in a `bigint` column
//! and text in a `text` column (equal exactly when their bytes are). A key of any other kind,
//! or a key column whose type changes during the load, stops the watch: the merge looks.

use super::schema::Schema;
use crate::types::{Cell, LoadType};

/// One part of a key, comparable in the order the watch needs.
#[derive(PartialEq, PartialOrd)]
enum Part {
    Int(i64),
    Text(String),
}

/// The watch over a load's root rows.
pub(crate) struct KeyOrder {
    /// The key's columns (after naming).
    columns: Vec<String>,
    /// Per key column: its index and type when the first row was watched.
    found: Vec<(usize, LoadType)>,
    /// The previous row's key (empty before the first row).
    last: Vec<Part>,
    /// The row being watched (its buffer kept between rows).
    current: Vec<Part>,
    increasing: bool,
}

impl KeyOrder {
    /// A watch over the key `columns` (none: nothing to watch, every load is unique).
    pub(crate) fn new(columns: Vec<String>) -> KeyOrder {
        KeyOrder {
            columns,
            found: Vec::new(),
            last: Vec::new(),
            current: Vec::new(),
            increasing: true,
        }
    }

    /// Watches one root row: its `cells` (column index, value) in a table of `schema`.
    pub(crate) fn watch(&mut self, schema: &Schema, cells: &[(usize, Cell<'_>)]) {
        if !self.increasing || self.columns.is_empty() {
            return;
        }
        if self.found.is_empty() {
            for column in &self.columns {
                let Some(index) = schema.find(column) else {
                    self.increasing = false;
                    return;
                };
                self.found.push((index, schema.columns[index].ty));
            }
        }
        self.current.clear();
        for &(index, ty) in &self.found {
            let cell = cells.iter().find(|(i, _)| *i == index).map(|(_, c)| c);
            let part = match (schema.columns[index].ty == ty, ty, cell) {
                (true, LoadType::Bigint, Some(Cell::Int(i))) => Part::Int(*i),
                (true, LoadType::Text, Some(Cell::Str(s))) => Part::Text(s.to_string()),
                _ => {
                    self.increasing = false;
                    return;
                }
            };
            self.current.push(part);
        }
        if !self.last.is_empty() && self.current <= self.last {
            self.increasing = false;
            return;
        }
        std::mem::swap(&mut self.last, &mut self.current);
    }

    /// Whether no two rows watched share their key, as far as the watch can tell: every key
    /// greater than the one before, and the key columns still of the types they had.
    pub(crate) fn unique(&self, schema: &Schema) -> bool {
        self.increasing
            && self
                .found
                .iter()
                .all(|&(index, ty)| schema.columns.get(index).is_some_and(|c| c.ty == ty))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::normalize::schema::ColumnDef;

    fn schema(columns: &[(&str, LoadType)]) -> Schema {
        let mut schema = Schema::default();
        for (name, ty) in columns {
            schema.push(ColumnDef {
                name: (*name).to_owned(),
                ty: *ty,
                nullable: false,
            });
        }
        schema
    }

    fn watched(schema: &Schema, columns: &[&str], rows: &[Vec<(usize, Cell<'_>)>]) -> bool {
        let mut order = KeyOrder::new(columns.iter().map(|c| (*c).to_owned()).collect());
        for row in rows {
            order.watch(schema, row);
        }
        order.unique(schema)
    }

    #[test]
    fn increasing_keys_are_unique_and_anything_else_is_not_known() {
        let ints = schema(&[("id", LoadType::Bigint), ("name", LoadType::Text)]);
        let int = |i| vec![(0, Cell::Int(i)), (1, Cell::Str(Cow::Borrowed("x")))];
        assert!(watched(&ints, &["id"], &[int(1), int(2), int(10)]));
        assert!(watched(&ints, &["id"], &[]));
        // A key again, or one lower: the merge must look.
        assert!(!watched(&ints, &["id"], &[int(1), int(2), int(2)]));
        assert!(!watched(&ints, &["id"], &[int(2), int(1), int(3)]));
        // Not an integer in a bigint column (a widened or variant value).
        assert!(!watched(
            &ints,
            &["id"],
            &[int(1), vec![(0, Cell::Real(2.0))]]
        ));
        assert!(!watched(&ints, &["missing"], &[int(1)]));

        // Composite keys compare part by part; text by its bytes.
        let text = |a: &'static str, i| vec![(1, Cell::Str(Cow::Borrowed(a))), (0, Cell::Int(i))];
        assert!(watched(
            &ints,
            &["name", "id"],
            &[text("a", 5), text("a", 6), text("b", 1)]
        ));
        assert!(!watched(
            &ints,
            &["name", "id"],
            &[text("b", 1), text("a", 2)]
        ));
        assert!(watched(&ints, &["name"], &[text("A", 0), text("a", 0)]));

        // A key column whose type changed after the rows were watched.
        let mut order = KeyOrder::new(vec!["id".to_owned()]);
        order.watch(&ints, &int(1));
        let widened = schema(&[("id", LoadType::Double), ("name", LoadType::Text)]);
        assert!(!order.unique(&widened));
    }
}
