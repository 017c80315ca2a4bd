//! Running the user's `$EDITOR` from the CLI. The TUI shares the same rules
//! (`app::editor`): which program, and how to open a file at a line.

use crate::app::editor::{editor_command, extension_for, open_args, run};
use std::path::Path;

fn user_editor() -> Vec<String> {
    editor_command(std::env::var_os("VISUAL"), std::env::var_os("EDITOR"))
}

/// Open `path` in the editor, optionally at `line`, and wait for it.
/// `Ok(false)` when the editor exited with an error.
pub fn open_file(path: &Path, line: Option<u32>) -> std::io::Result<bool> {
    let editor = user_editor();
    Ok(run(&editor, &open_args(&editor, path, line))?.success())
}

/// Edit `text` in the editor. `Ok(None)` when the editor failed or exited
/// with an error, so the caller changes nothing.
pub fn edit_text(text: &str, language: &str) -> std::io::Result<Option<String>> {
    let file = tempfile::Builder::new()
        .prefix("snipdex-")
        .suffix(&format!(".{}", extension_for(language)))
        .tempfile()?;
    std::fs::write(file.path(), text)?;
    if !open_file(file.path(), None)? {
        return Ok(None);
    }
    let bytes = std::fs::read(file.path())?;
    String::from_utf8(bytes).map(Some).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the edited file is not valid UTF-8",
        )
    })
}
