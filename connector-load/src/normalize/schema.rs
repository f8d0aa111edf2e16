//! The columns of one load, as the loader knows them (name, type, nullability).

use super::FastMap;
use crate::types::LoadType;

/// One column as the loader knows it.
#[derive(Debug, Clone)]
pub(crate) struct ColumnDef {
    pub(crate) name: String,
    pub(crate) ty: LoadType,
    pub(crate) nullable: bool,
}

/// Columns by position, found case-insensitively (both databases fold identifier case).
#[derive(Debug, Default, Clone)]
pub(crate) struct Schema {
    pub(crate) columns: Vec<ColumnDef>,
    by_name: FastMap<String, usize>,
}

impl Schema {
    /// The column named `name`, case-insensitively (as both databases compare names).
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        // Called for every field of every record: most names are lowercase already, and
        // looking them up as they are saves an allocation each.
        if name
            .bytes()
            .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
        {
            self.by_name.get(&name.to_lowercase()).copied()
        } else {
            self.by_name.get(name).copied()
        }
    }

    pub(crate) fn push(&mut self, column: ColumnDef) -> usize {
        let index = self.columns.len();
        self.by_name.insert(column.name.to_lowercase(), index);
        self.columns.push(column);
        index
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }
}
