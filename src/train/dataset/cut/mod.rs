//! Cuts source files into functions, methods and self-contained blocks,
//! with the doc comment taken out of the code and kept as a label.
//!
//! The cutters are line-based scanners, not parsers: they only need to find
//! where an item starts and ends, and they err towards skipping an item
//! rather than cutting a wrong one.

mod braces;
pub mod everyday;
mod lex;
mod python;
mod ruby;
mod shell;
mod sql;

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

use super::doc;

/// Fewest lines a snippet may have.
pub const MIN_LINES: usize = 3;
/// Most lines a snippet may have.
pub const MAX_LINES: usize = 80;

/// One piece of code cut from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// 1-based line of the first line of `code` in the file.
    pub start_line: usize,
    /// The code, dedented, without its doc comment.
    pub code: String,
    /// The doc comment's cleaned first sentence.
    pub docstring: Option<String>,
}

/// Cuts `text`, a file in `language` (an id from
/// [`crate::ingest::language`]); unknown languages give nothing.
pub fn cut(language: &str, text: &str) -> Vec<Cut> {
    match language {
        "rust" => braces::cut(text, lex::Flavor::Rust),
        "javascript" | "typescript" => braces::cut(text, lex::Flavor::JavaScript),
        "c" | "cpp" => braces::cut(text, lex::Flavor::C),
        "python" => python::cut(text),
        "shell" => shell::cut(text),
        "sql" => sql::cut(text),
        "go" => braces::cut(text, lex::Flavor::Go),
        "java" | "kotlin" => braces::cut(text, lex::Flavor::Java),
        "php" => braces::cut(text, lex::Flavor::Php),
        "ruby" => ruby::cut(text),
        "dockerfile" => everyday::dockerfile(text),
        "make" => everyday::makefile(text),
        "yaml" => everyday::yaml(text),
        "toml" | "ini" => everyday::config(text),
        _ => Vec::new(),
    }
}

/// Builds a cut from the 0-based lines `first..=last`, leaving out the lines
/// for which `removed` holds (the doc comment). `None` when the result is
/// not between [`MIN_LINES`] and [`MAX_LINES`] long.
fn build(
    lines: &[&str],
    first: usize,
    last: usize,
    removed: &dyn Fn(usize) -> bool,
    raw_doc: Option<String>,
) -> Option<Cut> {
    let mut kept: Vec<(usize, &str)> = (first..=last.min(lines.len().checked_sub(1)?))
        .filter(|&i| !removed(i))
        .map(|i| (i, lines[i].trim_end()))
        .collect();
    while kept.first().is_some_and(|(_, l)| l.is_empty()) {
        kept.remove(0);
    }
    while kept.last().is_some_and(|(_, l)| l.is_empty()) {
        kept.pop();
    }
    if !(MIN_LINES..=MAX_LINES).contains(&kept.len()) {
        return None;
    }
    let indent = kept
        .iter()
        .filter(|(_, l)| !l.is_empty())
        .map(|(_, l)| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let code: Vec<&str> = kept
        .iter()
        .map(|(_, l)| l.get(indent..).unwrap_or_else(|| l.trim_start()))
        .collect();
    Some(Cut {
        start_line: kept.first()?.0 + 1,
        code: code.join("\n"),
        docstring: raw_doc.as_deref().and_then(doc::first_sentence),
    })
}

/// The text of comment lines without their markers (`///`, `/**`, ` * `,
/// `#`, `--`).
fn comment_text<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = Vec::new();
    for line in lines {
        let mut l = line.trim();
        for prefix in ["///", "//!", "//", "/**", "/*!", "/*", "--", "#"] {
            if let Some(rest) = l.strip_prefix(prefix) {
                l = rest;
                break;
            }
        }
        l = l.strip_suffix("*/").unwrap_or(l).trim_end();
        // `*` and sqlite's `**` gutters.
        l = l.trim_start_matches('*');
        out.push(l.trim());
    }
    out.join("\n")
}
