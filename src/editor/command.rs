//! Running `$VISUAL` / `$EDITOR` on a snippet: the source file at its line
//! for file-backed snippets, a temporary file for everything else.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitStatus};

/// The user's editor as program and arguments: `$VISUAL`, then `$EDITOR`,
/// then `vi`. Split on whitespace, so `code --wait` works; a program path
/// with spaces does not.
pub fn editor_command(visual: Option<OsString>, editor: Option<OsString>) -> Vec<String> {
    let words: Vec<String> = [visual, editor]
        .into_iter()
        .flatten()
        .map(|v| v.to_string_lossy().into_owned())
        .find(|v| !v.trim().is_empty())
        .map(|v| v.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    if words.is_empty() {
        vec!["vi".to_string()]
    } else {
        words
    }
}

/// How an editor is told to open `path` at `line`, by the program's name.
/// Editors not known here get the path alone.
pub fn open_args(editor: &[String], path: &Path, line: Option<u32>) -> Vec<String> {
    let file = path.to_string_lossy().into_owned();
    let Some(line) = line.filter(|&l| l > 0) else {
        return vec![file];
    };
    let name = editor
        .first()
        .and_then(|p| Path::new(p).file_stem())
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match name.as_str() {
        "vi" | "vim" | "nvim" | "gvim" | "mvim" | "nano" | "emacs" | "emacsclient" | "micro"
        | "kak" | "joe" | "ne" | "mg" | "jed" => vec![format!("+{line}"), file],
        "code" | "code-insiders" | "codium" => vec!["--goto".into(), format!("{file}:{line}")],
        "hx" | "helix" | "subl" | "zed" => vec![format!("{file}:{line}")],
        _ => vec![file],
    }
}

/// Run the editor in the foreground and wait for it.
pub fn run(editor: &[String], args: &[String]) -> std::io::Result<ExitStatus> {
    let (program, rest) = editor
        .split_first()
        .ok_or_else(|| std::io::Error::other("no editor configured"))?;
    Command::new(program).args(rest).args(args).status()
}

/// File extension for a temporary file, so the editor highlights it.
pub fn extension_for(language: &str) -> &'static str {
    match language {
        "rust" => "rs",
        "python" => "py",
        "javascript" => "js",
        "typescript" => "ts",
        "shell" => "sh",
        "go" => "go",
        "c" => "c",
        "cpp" => "cpp",
        "java" => "java",
        "ruby" => "rb",
        "markdown" => "md",
        "yaml" => "yaml",
        "toml" => "toml",
        "json" => "json",
        "sql" => "sql",
        "html" => "html",
        "css" => "css",
        "lua" => "lua",
        _ => "txt",
    }
}

/// Editors add a final newline on save; a snippet stored without one gets
/// its text back without one, so that saving unchanged text is no change.
pub fn for_editing(content: &str) -> String {
    if content.ends_with('\n') || content.is_empty() {
        content.to_string()
    } else {
        format!("{content}\n")
    }
}

pub fn from_editing(original: &str, edited: &str) -> String {
    if original.ends_with('\n') {
        edited.to_string()
    } else {
        edited
            .strip_suffix("\r\n")
            .or_else(|| edited.strip_suffix('\n'))
            .unwrap_or(edited)
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visual_wins_then_editor_then_vi() {
        let v = |s: &str| Some(OsString::from(s));
        assert_eq!(
            editor_command(v("code --wait"), v("vim")),
            ["code", "--wait"]
        );
        assert_eq!(editor_command(v("  "), v("nano")), ["nano"]);
        assert_eq!(editor_command(None, None), ["vi"]);
    }

    #[test]
    fn line_numbers_use_each_editors_syntax() {
        let p = Path::new("src/lib.rs");
        let ed = |s: &str| vec![s.to_string()];
        assert_eq!(
            open_args(&ed("/usr/bin/nvim"), p, Some(12)),
            ["+12", "src/lib.rs"]
        );
        assert_eq!(open_args(&ed("hx"), p, Some(3)), ["src/lib.rs:3"]);
        assert_eq!(
            open_args(&ed("code"), p, Some(3)),
            ["--goto", "src/lib.rs:3"]
        );
        assert_eq!(open_args(&ed("ed"), p, Some(3)), ["src/lib.rs"]);
        assert_eq!(open_args(&ed("vim"), p, None), ["src/lib.rs"]);
    }

    #[test]
    fn final_newline_round_trips() {
        for original in ["a\nb", "a\nb\n", ""] {
            let text = for_editing(original);
            assert_eq!(from_editing(original, &text), original);
        }
        assert_eq!(from_editing("x", "y\r\n"), "y");
    }

    #[cfg(unix)]
    #[test]
    fn failing_editor_reports_its_status() {
        let status = run(&["sh".into(), "-c".into(), "exit 3".into()], &[]).unwrap();
        assert_eq!(status.code(), Some(3));
        assert!(run(&[], &[]).is_err());
    }
}
