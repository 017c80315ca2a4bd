//! Running the user's `$EDITOR` from the CLI. The TUI shares the same rules
//! ([`command`]): which program, and how to open a file at a line.

pub mod command;

use command::{editor_command, extension_for, open_args, run};
use std::path::Path;

fn user_editor() -> Vec<String> {
    editor_command(std::env::var_os("VISUAL"), std::env::var_os("EDITOR"))
}

/// Why editing did not happen, naming the editor.
#[derive(Debug, thiserror::Error)]
pub enum EditorError {
    #[error("cannot start the editor `{0}`: no such program; set $VISUAL or $EDITOR to an installed editor")]
    Missing(String),
    #[error("cannot start the editor `{name}`: {source}")]
    Start {
        name: String,
        source: std::io::Error,
    },
    #[error("the editor `{name}` exited with {status}; nothing changed")]
    Failed { name: String, status: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Open `path` in the editor, optionally at `line`, and wait for it.
pub fn open_file(path: &Path, line: Option<u32>) -> Result<(), EditorError> {
    let editor = user_editor();
    let name = editor.join(" ");
    let status = run(&editor, &open_args(&editor, path, line)).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            EditorError::Missing(name.clone())
        } else {
            EditorError::Start {
                name: name.clone(),
                source,
            }
        }
    })?;
    if status.success() {
        return Ok(());
    }
    let status = status
        .code()
        .map_or("a signal".to_string(), |c| format!("status {c}"));
    Err(EditorError::Failed { name, status })
}

/// Edit `text` in the editor; the edited text, or why there is none.
pub fn edit_text(text: &str, language: &str) -> Result<String, EditorError> {
    let file = tempfile::Builder::new()
        .prefix("snipdex-")
        .suffix(&format!(".{}", extension_for(language)))
        .tempfile()?;
    std::fs::write(file.path(), text)?;
    open_file(file.path(), None)?;
    let bytes = std::fs::read(file.path())?;
    String::from_utf8(bytes).map_err(|_| {
        EditorError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the edited file is not valid UTF-8",
        ))
    })
}
