//! The Python code blocks of a Markdown document (fenced ```python / ```py blocks), found by
//! a CommonMark parser, each with the document line its first line is on.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

/// One Python code block.
pub(crate) struct Block {
    /// The code.
    pub code: String,
    /// Document line (1-based) of the code's first line.
    pub first_line: usize,
}

/// Every fenced code block whose info string names Python, in document order.
pub(crate) fn python_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                let lang = info.split_whitespace().next().unwrap_or_default();
                let lang = lang.trim_start_matches('{').trim_end_matches('}');
                if matches!(
                    lang.to_ascii_lowercase().as_str(),
                    "python" | "py" | "python3" | "py3"
                ) {
                    // The code starts on the line after the opening fence.
                    current = Some(Block {
                        code: String::new(),
                        first_line: line_of(text, range.start) + 1,
                    });
                }
            }
            Event::Text(code) => {
                if let Some(block) = current.as_mut() {
                    block.code.push_str(&code);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(block) = current.take() {
                    blocks.push(block);
                }
            }
            _ => {}
        }
    }
    blocks
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::python_blocks;

    #[test]
    fn only_python_blocks_with_their_first_line() {
        let doc = "# T\n\n```yaml\na: 1\n```\n\ntext\n\n```python\nx = 1\ny = 2\n```\n\n~~~py\nz = 3\n~~~\n";
        let blocks = python_blocks(doc);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].code, "x = 1\ny = 2\n");
        assert_eq!(blocks[0].first_line, 10);
        assert_eq!(blocks[1].code, "z = 3\n");
        assert_eq!(blocks[1].first_line, 15);
    }
}
