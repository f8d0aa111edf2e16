//! The book (`docs/`) and the README stay true: every spec they show passes `connector check`
//! (the built binary, as a reader would run it), every chapter `SUMMARY.md` lists exists (and
//! every chapter is listed), and every relative link points to a file in the repository.
//!
//! Convention (written down in `docs/src/introduction.md`): a ```` ```yaml ```` block is a
//! whole spec and is checked; a part of a spec is marked ```` ```yaml fragment ```` and is not.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().expect("workspace root").to_path_buf()
}

/// `README.md` and every Markdown file under `docs/`, relative to the root, sorted.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let root = root();
    let mut files = vec![root.join("README.md")];
    walk(&root.join("docs"), &mut files);
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A fenced code block: its info string, first line (1-based) of its body, and its body.
struct Block {
    info: String,
    line: usize,
    body: String,
}

fn code_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match open.as_mut() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some(Block {
                        info: info.trim().to_owned(),
                        line: i + 2,
                        body: String::new(),
                    });
                }
            }
            Some(block) => {
                if trimmed.starts_with("```") {
                    blocks.extend(open.take());
                } else {
                    block.body.push_str(line);
                    block.body.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "a code block is never closed");
    blocks
}

/// The lines outside fenced code blocks, with inline code removed, and their numbers.
fn prose_lines(text: &str) -> Vec<(usize, String)> {
    let mut in_block = false;
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        // Drop `inline code` spans: they show syntax, not links.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(n, _)| n % 2 == 0)
            .map(|(_, piece)| piece)
            .collect::<Vec<_>>()
            .join(" ");
        lines.push((i + 1, prose));
    }
    lines
}

/// Targets of `[text](target)` links and `[label]: target` definitions on one line.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        match after.find(')') {
            Some(end) => {
                targets.push(after[..end].trim().to_owned());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    let trimmed = line.trim_start();
    if trimmed.starts_with('[') {
        if let Some((_, target)) = trimmed.split_once("]: ") {
            targets.push(target.trim().to_owned());
        }
    }
    targets
}

/// The ids mdBook gives the headings of a chapter: the text lower-cased, spaces made `-`,
/// everything but letters, digits, `-` and `_` dropped.
fn heading_ids(text: &str) -> BTreeSet<String> {
    prose_lines_keeping_code(text)
        .iter()
        .filter_map(|line| {
            line.trim_start_matches('#')
                .strip_prefix(' ')
                .filter(|_| line.starts_with('#'))
        })
        .map(|heading| {
            heading
                .trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// The lines outside fenced code blocks, inline code kept (headings name keys in it).
fn prose_lines_keeping_code(text: &str) -> Vec<String> {
    let mut in_block = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
        } else if !in_block {
            lines.push(line.to_owned());
        }
    }
    lines
}

/// `path` with `.` and `..` folded away, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn every_spec_in_the_docs_passes_connector_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut written = Vec::new();
    for file in markdown_files() {
        for block in code_blocks(&read(&file)) {
            let mut words = block.info.split([' ', ',']).filter(|w| !w.is_empty());
            if words.next() != Some("yaml") || words.any(|w| w == "fragment") {
                continue;
            }
            let name = format!("{}-{}.yaml", written.len(), block.line);
            let path = dir.path().join(&name);
            std::fs::write(&path, &block.body).expect("write the spec");
            written.push((path, format!("{}:{}", shown(&file), block.line)));
        }
    }
    assert!(
        written.len() >= 20,
        "only {} specs found in the docs: is the ```yaml convention still used?",
        written.len()
    );
    let out = Command::cargo_bin("connector")
        .expect("binary builds")
        .arg("check")
        .arg("--format")
        .arg("json")
        .args(written.iter().map(|(path, _)| path))
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check --format json printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let files = report["files"].as_array().expect("files");
    assert_eq!(files.len(), written.len());
    let mut failures = Vec::new();
    for (result, (_, origin)) in files.iter().zip(&written) {
        if result["status"] != "valid" {
            let errors: Vec<String> = result["diagnostics"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["severity"] == "error")
                .map(|d| {
                    format!(
                        "  line {} of the block: {}",
                        d["line"].as_u64().unwrap_or(0),
                        d["message"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            failures.push(format!(
                "{origin}: {}\n{}",
                result["status"],
                errors.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "specs in the docs that `connector check` rejects (mark a part of a spec \
         ```yaml fragment):\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_chapter_in_summary_exists_and_every_chapter_is_listed() {
    let src = root().join("docs/src");
    assert!(
        root().join("docs/book.toml").is_file(),
        "docs/book.toml is missing"
    );
    let summary = read(&src.join("SUMMARY.md"));
    let listed: BTreeSet<PathBuf> = prose_lines(&summary)
        .iter()
        .flat_map(|(_, line)| link_targets(line))
        .filter(|t| !t.is_empty())
        .map(|t| normalize(Path::new(&t)))
        .collect();
    assert!(listed.len() >= 10, "SUMMARY.md lists {listed:?}");
    let missing: Vec<String> = listed
        .iter()
        .filter(|chapter| !src.join(chapter).is_file())
        .map(|chapter| chapter.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "SUMMARY.md lists chapters that do not exist: {missing:?}"
    );
    let unlisted: Vec<String> = markdown_files()
        .iter()
        .filter_map(|f| f.strip_prefix(&src).ok())
        .filter(|f| *f != Path::new("SUMMARY.md") && !listed.contains(*f))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        unlisted.is_empty(),
        "chapters not in SUMMARY.md (mdBook would not build them): {unlisted:?}"
    );
}

#[test]
fn every_relative_link_points_to_a_file_in_the_repository() {
    let root = root();
    let mut broken = Vec::new();
    for file in markdown_files() {
        let dir = file.parent().expect("a file has a directory");
        for (line, prose) in prose_lines(&read(&file)) {
            for target in link_targets(&prose) {
                if let Some(anchor) = target.strip_prefix('#') {
                    if !heading_ids(&read(&file)).contains(anchor) {
                        broken.push(format!(
                            "{}:{line}: `{target}`: no heading has the id `{anchor}`",
                            shown(&file)
                        ));
                    }
                    continue;
                }
                if target.is_empty()
                    || target.starts_with("http://")
                    || target.starts_with("https://")
                    || target.starts_with("mailto:")
                {
                    continue;
                }
                let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
                let resolved = normalize(&dir.join(path));
                let place = format!("{}:{line}: `{target}`", shown(&file));
                if !resolved.starts_with(&root) {
                    broken.push(format!("{place} points outside the repository"));
                } else if !resolved.exists() {
                    broken.push(format!("{place} does not exist"));
                } else if !anchor.is_empty()
                    && resolved.extension().is_some_and(|e| e == "md")
                    && !heading_ids(&read(&resolved)).contains(anchor)
                {
                    broken.push(format!("{place}: no heading has the id `{anchor}`"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_docs_point_nowhere_outside_a_clone() {
    // Not only links: a path in prose or in a code block (`../x/y.md`, an absolute path on
    // the machine that wrote the docs) is as broken in a clone as a link is.
    let root = root();
    let beside = root.parent().map(|p| p.display().to_string());
    let mut found = Vec::new();
    for file in markdown_files() {
        let dir = file.parent().expect("a file has a directory");
        for (n, line) in read(&file).lines().enumerate() {
            let tokens = line.split(|c: char| c.is_whitespace() || "()[]<>`'\",;".contains(c));
            for token in tokens {
                let escapes =
                    token.starts_with("../") && !normalize(&dir.join(token)).starts_with(&root);
                let absolute = beside
                    .as_deref()
                    .is_some_and(|b| token.starts_with(b) && !Path::new(token).starts_with(&root));
                if escapes || absolute {
                    found.push(format!("{}:{}: `{token}`", shown(&file), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "paths outside the repository:\n{}",
        found.join("\n")
    );
}

/// The row of the reference table in `chapter` whose first cell is `` `key` `` followed by
/// `section`'s heading, e.g. the `page_param` row under `## `page_number``.
fn table_row(chapter: &str, section: &str, key: &str) -> String {
    let text = read(&root().join("docs/src").join(chapter));
    let start = text
        .find(section)
        .unwrap_or_else(|| panic!("{chapter}: no section `{section}`"));
    let cell = format!("| `{key}`");
    text[start..]
        .lines()
        .find(|line| line.starts_with(&cell))
        .unwrap_or_else(|| panic!("{chapter}: no row for `{key}` after `{section}`"))
        .to_owned()
}

#[test]
fn documented_defaults_are_the_codes_defaults() {
    use connector_spec::resolved::paginator::defaults;
    use connector_spec::resolved::{
        RetryPlan, DEFAULT_CONCURRENCY, DEFAULT_MAX_TABLE_NESTING, DEFAULT_TIMEOUT_SECONDS,
    };

    // (chapter, section heading, key, the default as the code has it)
    let retry = RetryPlan::default();
    let cases: Vec<(&str, &str, &str, String)> = vec![
        (
            "paginators.md",
            "## `page_number`",
            "page_param",
            defaults::PAGE_PARAM.into(),
        ),
        (
            "paginators.md",
            "## `page_number`",
            "limit_param",
            defaults::LIMIT_PARAM.into(),
        ),
        (
            "paginators.md",
            "## `page_number`",
            "total_path",
            defaults::TOTAL_PATH.into(),
        ),
        (
            "paginators.md",
            "## `offset`",
            "offset_param",
            defaults::OFFSET_PARAM.into(),
        ),
        (
            "paginators.md",
            "## `offset`",
            "limit_param",
            defaults::LIMIT_PARAM.into(),
        ),
        (
            "paginators.md",
            "## `offset`",
            "total_path",
            defaults::TOTAL_PATH.into(),
        ),
        (
            "paginators.md",
            "## `cursor`",
            "cursor_path",
            defaults::CURSOR_PATH.into(),
        ),
        (
            "paginators.md",
            "## `cursor`",
            "cursor_param",
            defaults::CURSOR_PARAM.into(),
        ),
        (
            "paginators.md",
            "## `json_link`",
            "next_url_path",
            defaults::NEXT_URL_PATH.into(),
        ),
        (
            "paginators.md",
            "## `header_link`",
            "links_next_key",
            defaults::LINKS_NEXT_KEY.into(),
        ),
        (
            "paginators.md",
            "## `header_cursor`",
            "cursor_key",
            defaults::CURSOR_HEADER.into(),
        ),
        (
            "paginators.md",
            "## `header_cursor`",
            "cursor_param",
            defaults::CURSOR_PARAM.into(),
        ),
        (
            "spec-reference.md",
            "## `client`",
            "timeout_seconds",
            DEFAULT_TIMEOUT_SECONDS.to_string(),
        ),
        (
            "spec-reference.md",
            "## `client`",
            "concurrency",
            DEFAULT_CONCURRENCY.to_string(),
        ),
        (
            "spec-reference.md",
            "## `resources`",
            "max_table_nesting",
            DEFAULT_MAX_TABLE_NESTING.to_string(),
        ),
        (
            "spec-reference.md",
            "### `error_handler`",
            "max_retries",
            retry.max_retries.to_string(),
        ),
        (
            "spec-reference.md",
            "### `error_handler`",
            "backoff_factor",
            retry.backoff_factor.to_string(),
        ),
        (
            "spec-reference.md",
            "### `error_handler`",
            "max_retry_delay",
            retry.max_retry_delay.to_string(),
        ),
        (
            "spec-reference.md",
            "### `error_handler`",
            "respect_retry_after",
            retry.respect_retry_after.to_string(),
        ),
        (
            "spec-reference.md",
            "### `error_handler`",
            "retry_after_min_wait",
            retry.retry_after_min_wait.to_string(),
        ),
    ];
    let mut wrong = Vec::new();
    for (chapter, section, key, default) in cases {
        let row = table_row(chapter, section, key);
        let documented = row.split('|').nth(2).unwrap_or_default().trim().to_owned();
        if documented != format!("`{default}`") {
            wrong.push(format!(
                "{chapter} {section} `{key}`: documented {documented}, the code's default is `{default}`"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_block_and_link_scanners_read_markdown_as_mdbook_does() {
    let text = "intro [a](x.md) `[not](y.md)`\n```yaml fragment\n[b](z.md)\n```\n[c]: w.md\n";
    let blocks = code_blocks(text);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].info, "yaml fragment");
    assert_eq!(blocks[0].line, 3);
    let links: Vec<String> = prose_lines(text)
        .iter()
        .flat_map(|(_, l)| link_targets(l))
        .collect();
    assert_eq!(links, ["x.md", "w.md"]);
    let ids = heading_ids("# Intro\n## `row_order`: stop early\n```sh\n# not a heading\n```\n");
    assert_eq!(
        ids.into_iter().collect::<Vec<_>>(),
        ["intro", "row_order-stop-early"]
    );
}
