//! Running the user's `$EDITOR` on a temporary file.

use std::path::Path;
use std::process::Command;

/// The editor command: `$VISUAL`, then `$EDITOR`, then `vi`. May carry
/// arguments (`code --wait`), split on whitespace.
pub fn editor_command() -> Vec<String> {
    let raw = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".into());
    raw.split_whitespace().map(str::to_string).collect()
}

/// Extension that gives the editor's syntax highlighting a hint.
fn extension(language: &str) -> &'static str {
    match language {
        "rust" => "rs",
        "python" => "py",
        "javascript" => "js",
        "typescript" => "ts",
        "shell" => "sh",
        "sql" => "sql",
        "c" => "c",
        "cpp" => "cpp",
        "go" => "go",
        "java" => "java",
        "markdown" => "md",
        "json" => "json",
        "yaml" => "yaml",
        "toml" => "toml",
        _ => "txt",
    }
}

/// Open `path` in the editor, optionally at `line`, and wait for it.
pub fn open_file(path: &Path, line: Option<u32>) -> std::io::Result<bool> {
    let cmd = editor_command();
    let (prog, args) = cmd
        .split_first()
        .map_or(("vi", &[][..]), |(p, a)| (p.as_str(), a));
    let mut c = Command::new(prog);
    c.args(args);
    if let Some(n) = line {
        // vi, vim, nvim, nano, emacs, micro, kak and helix all accept +N.
        c.arg(format!("+{n}"));
    }
    let status = c.arg(path).status()?;
    Ok(status.success())
}

/// Edit `text` in the editor. `Ok(None)` when the editor failed or exited
/// with an error, so the caller changes nothing.
pub fn edit_text(text: &str, language: &str) -> std::io::Result<Option<String>> {
    let file = tempfile::Builder::new()
        .prefix("snipdex-")
        .suffix(&format!(".{}", extension(language)))
        .tempfile()?;
    std::fs::write(file.path(), text)?;
    if !open_file(file.path(), None)? {
        return Ok(None);
    }
    let bytes = std::fs::read(file.path())?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Some(s)),
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the edited file is not valid UTF-8",
        )),
    }
}
