//! The loader never panics: mutated seed specs (characters and lines deleted, duplicated or
//! replaced) and arbitrary bytes give a spec or diagnostics, never a panic, and every
//! diagnostic of mutated text has a position inside the text.

use std::path::Path;

use proptest::prelude::*;

/// The seed specs and the invalid corpus: starting points for mutation.
fn seeds() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut texts: Vec<String> = ["specs", "tests/specs/invalid"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(root.join(dir)).expect("dir").flatten())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| std::fs::read_to_string(p).expect("readable"))
        .collect();
    texts.sort();
    texts
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteChars { at: usize, len: usize },
    ReplaceChar { at: usize, with: char },
    InsertChars { at: usize, text: String },
    DeleteLine { at: usize },
    DuplicateLine { at: usize },
    SwapLines { a: usize, b: usize },
    IndentLine { at: usize, by: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let chars = prop::sample::select(vec![
        ':', '-', ' ', '{', '}', '[', ']', '"', '\'', '#', '\n', '\t', '&', '*', '!', '|', '>',
        '%', '@', '`', '?', ',', 'x', '0', '\u{0}', 'é', '\u{feff}',
    ]);
    prop_oneof![
        (any::<usize>(), 1..8usize).prop_map(|(at, len)| Mutation::DeleteChars { at, len }),
        (any::<usize>(), chars.clone()).prop_map(|(at, with)| Mutation::ReplaceChar { at, with }),
        (any::<usize>(), prop::collection::vec(chars, 1..4)).prop_map(|(at, cs)| {
            Mutation::InsertChars {
                at,
                text: cs.into_iter().collect(),
            }
        }),
        any::<usize>().prop_map(|at| Mutation::DeleteLine { at }),
        any::<usize>().prop_map(|at| Mutation::DuplicateLine { at }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        (any::<usize>(), 1..4usize).prop_map(|(at, by)| Mutation::IndentLine { at, by }),
    ]
}

fn char_boundary(text: &str, at: usize) -> usize {
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let n = lines.len().max(1);
    match m {
        Mutation::DeleteChars { at, len } => {
            let start = char_boundary(text, *at);
            let end = char_boundary(text, (start + len).min(text.len()));
            let end = end.max(start);
            format!("{}{}", &text[..start], &text[end..])
        }
        Mutation::ReplaceChar { at, with } => {
            let start = char_boundary(text, *at);
            let mut rest = text[start..].chars();
            rest.next();
            format!("{}{with}{}", &text[..start], rest.as_str())
        }
        Mutation::InsertChars { at, text: t } => {
            let at = char_boundary(text, *at);
            format!("{}{t}{}", &text[..at], &text[at..])
        }
        Mutation::DeleteLine { at } => {
            if !lines.is_empty() {
                lines.remove(at % n);
            }
            lines.join("\n")
        }
        Mutation::DuplicateLine { at } => {
            if !lines.is_empty() {
                let line = lines[at % n].clone();
                lines.insert(at % n, line);
            }
            lines.join("\n")
        }
        Mutation::SwapLines { a, b } => {
            if !lines.is_empty() {
                lines.swap(a % n, b % n);
            }
            lines.join("\n")
        }
        Mutation::IndentLine { at, by } => {
            if !lines.is_empty() {
                lines[at % n] = format!("{}{}", " ".repeat(*by), lines[at % n]);
            }
            lines.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_seeds_never_panic(
        seed in 0..100usize,
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let seeds = seeds();
        let mut text = seeds[seed % seeds.len()].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        let lines = text.lines().count() + 1;
        match connector_spec::parse_str(&text, "mutated.yaml") {
            Ok(loaded) => {
                // A valid result must also survive a resolve and the relation helpers.
                let _ = loaded.spec.merged_resources();
                let _ = loaded.spec.dependency_order();
                let _ = loaded.spec.secret_names();
                for name in loaded.spec.resources.iter().map(|r| r.name().to_owned()) {
                    let _ = loaded.spec.parent_of(&name);
                }
            }
            Err(diagnostics) => {
                prop_assert!(!diagnostics.is_empty());
                for d in diagnostics {
                    prop_assert!(d.line <= lines, "{d} is past the end ({lines} lines)");
                    prop_assert!(!d.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = connector_spec::parse_bytes(&bytes, "bytes.yaml");
    }
}
