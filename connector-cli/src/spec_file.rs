//! Reading a spec file: `sync` and `check` treat a file that cannot be read as text the same
//! way (exit 2, "cannot read").

use std::path::Path;

/// The file's text, or why it cannot be read (never its content).
pub fn read(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 (invalid byte at offset {}); a spec is a YAML text file",
            e.utf8_error().valid_up_to()
        )
    })
}
