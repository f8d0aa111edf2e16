//! Where each key and value of a YAML document is: an index from key path
//! (`resources[0].endpoint.paginator.type`) to line and column, built from yaml-rust2's marked
//! events. serde_yaml forgets positions once it has built a value; this index is how a problem
//! found later (by serde or by validation) still points at the right line.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Pos {
    fn from_marker(mark: Marker) -> Pos {
        Pos {
            line: mark.line(),
            column: mark.col() + 1,
        }
    }
}

/// A syntax error or a duplicate key found while indexing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxProblem {
    /// Where.
    pub pos: Pos,
    /// Key path of the enclosing mapping (empty for syntax errors).
    pub key_path: String,
    /// What is wrong.
    pub message: String,
}

/// Positions of every key and value in a document.
#[derive(Debug, Default, Clone)]
pub struct SourceIndex {
    keys: HashMap<String, Pos>,
    values: HashMap<String, Pos>,
}

impl SourceIndex {
    /// Indexes `source`. A YAML syntax error comes back as the only problem; duplicate keys are
    /// problems too (the document still parsed).
    pub fn build(source: &str) -> (SourceIndex, Vec<SyntaxProblem>) {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(source);
        if let Err(err) = parser.load(&mut builder, false) {
            let pos = Pos::from_marker(*err.marker());
            // The scanner appends its own "at byte .. line .. column .." to the message.
            let full = err.to_string();
            let message = match full.find(" at byte ") {
                Some(i) => full[..i].to_owned(),
                None => full,
            };
            return (
                builder.index,
                vec![SyntaxProblem {
                    pos,
                    key_path: String::new(),
                    message: format!("invalid YAML: {message}"),
                }],
            );
        }
        (builder.index, builder.problems)
    }

    /// Where the key of `path` is written (its last segment must be a mapping key).
    pub fn key(&self, path: &str) -> Option<Pos> {
        self.keys.get(path).copied()
    }

    /// Where the value at `path` starts.
    pub fn value(&self, path: &str) -> Option<Pos> {
        self.values.get(path).copied()
    }

    /// The key of `path` if written, else its value, else the nearest written ancestor.
    pub fn locate_key(&self, path: &str) -> Option<Pos> {
        let mut current = path;
        loop {
            if let Some(pos) = self.key(current).or_else(|| self.value(current)) {
                return Some(pos);
            }
            current = parent_path(current)?;
        }
    }

    /// The value at `path` if written, else its key, else the nearest written ancestor.
    pub fn locate_value(&self, path: &str) -> Option<Pos> {
        let mut current = path;
        loop {
            if let Some(pos) = self.value(current).or_else(|| self.key(current)) {
                return Some(pos);
            }
            current = parent_path(current)?;
        }
    }
}

/// `a.b[0].c` -> `a.b[0]` -> `a.b` -> `a` -> `` -> None.
pub fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

/// Joins a child key onto a path.
pub fn join_key(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_owned()
    } else {
        format!("{base}.{key}")
    }
}

enum Frame {
    Map {
        path: String,
        /// The key whose value comes next; `None` while a key is expected.
        key: Option<String>,
        seen: Vec<String>,
        /// The mapping's own recorded position may need moving to its first key (a block
        /// mapping's start marker sits after the first key).
        first_key_pending: bool,
    },
    Seq {
        path: String,
        next: usize,
    },
}

/// Deeper nesting than any spec needs; stops recursive consumers (serde) from overflowing
/// the stack on hostile input.
pub const MAX_DEPTH: usize = 64;

#[derive(Default)]
struct Builder {
    index: SourceIndex,
    stack: Vec<Frame>,
    problems: Vec<SyntaxProblem>,
    too_deep: bool,
}

impl Builder {
    /// The path of a node starting now, or `None` when the node is a mapping key.
    fn node_path(&mut self, mark: Marker, key_text: Option<&str>) -> Option<String> {
        let pos = Pos::from_marker(mark);
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { path, next }) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                Some(p)
            }
            Some(Frame::Map {
                path,
                key,
                seen,
                first_key_pending,
            }) => match key.take() {
                Some(k) => Some(join_key(path, &k)),
                None => {
                    // A key. Non-scalar keys get a placeholder name nobody can write.
                    let k = key_text.unwrap_or("<complex key>").to_owned();
                    let full = join_key(path, &k);
                    if *first_key_pending {
                        *first_key_pending = false;
                        let container = path.clone();
                        let earlier = self
                            .index
                            .values
                            .get(&container)
                            .is_some_and(|p| (p.line, p.column) > (pos.line, pos.column));
                        if earlier {
                            self.index.values.insert(container, pos);
                        }
                    }
                    if seen.contains(&k) {
                        self.problems.push(SyntaxProblem {
                            pos,
                            key_path: full.clone(),
                            message: format!("duplicate key `{k}`"),
                        });
                    } else {
                        seen.push(k.clone());
                        self.index.keys.insert(full, pos);
                    }
                    *key = Some(k);
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.too_deep {
            return;
        }
        if self.stack.len() >= MAX_DEPTH
            && matches!(ev, Event::MappingStart(..) | Event::SequenceStart(..))
        {
            self.too_deep = true;
            self.problems.push(SyntaxProblem {
                pos: Pos::from_marker(mark),
                key_path: String::new(),
                message: format!("the document nests deeper than {MAX_DEPTH} levels"),
            });
            return;
        }
        match ev {
            Event::Scalar(text, ..) => {
                if let Some(path) = self.node_path(mark, Some(&text)) {
                    self.index
                        .values
                        .entry(path)
                        .or_insert(Pos::from_marker(mark));
                }
            }
            Event::Alias(_) => {
                if let Some(path) = self.node_path(mark, None) {
                    self.index
                        .values
                        .entry(path)
                        .or_insert(Pos::from_marker(mark));
                }
            }
            Event::MappingStart(..) => {
                let path = self.node_path(mark, None);
                // A mapping used as a key still needs a frame so its end balances.
                let path = path.unwrap_or_else(|| "<complex key>".to_owned());
                self.index
                    .values
                    .entry(path.clone())
                    .or_insert(Pos::from_marker(mark));
                self.stack.push(Frame::Map {
                    path,
                    key: None,
                    seen: Vec::new(),
                    first_key_pending: true,
                });
            }
            Event::SequenceStart(..) => {
                let path = self.node_path(mark, None);
                let path = path.unwrap_or_else(|| "<complex key>".to_owned());
                self.index
                    .values
                    .entry(path.clone())
                    .or_insert(Pos::from_marker(mark));
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_have_positions() {
        let src = "name: x\nclient:\n  base_url: u\nresources:\n  - name: a\n    endpoint: { path: /p }\n";
        let (index, problems) = SourceIndex::build(src);
        assert!(problems.is_empty());
        assert_eq!(
            index.key("client.base_url"),
            Some(Pos { line: 3, column: 3 })
        );
        assert_eq!(
            index.value("client.base_url"),
            Some(Pos {
                line: 3,
                column: 13
            })
        );
        assert_eq!(index.value("client"), Some(Pos { line: 3, column: 3 }));
        assert_eq!(
            index.key("resources[0].name"),
            Some(Pos { line: 5, column: 5 })
        );
        assert_eq!(
            index.value("resources[0].endpoint.path"),
            Some(Pos {
                line: 6,
                column: 23
            })
        );
        assert_eq!(
            index.locate_key("resources[0].endpoint.nope"),
            Some(Pos { line: 6, column: 5 })
        );
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_are_problems() {
        let (_, problems) = SourceIndex::build("a:\n  b: 1\n  b: 2\n");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].pos, Pos { line: 3, column: 3 });
        assert_eq!(problems[0].key_path, "a.b");
        let (_, problems) = SourceIndex::build("a: [1, 2\n");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.starts_with("invalid YAML"));
    }

    #[test]
    fn parent_paths() {
        assert_eq!(parent_path("a.b[0].c"), Some("a.b[0]"));
        assert_eq!(parent_path("a.b[0]"), Some("a.b"));
        assert_eq!(parent_path("a"), Some(""));
        assert_eq!(parent_path(""), None);
    }
}
