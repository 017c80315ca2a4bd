//! Ruby: `def`, `class` and `module` items, each ending at the `end` with
//! its own indentation, with the `#` comment block above as their doc. An
//! item that is too long is descended into, so a long class's methods are
//! still found.

use std::sync::LazyLock;

use regex::Regex;

use super::{build, comment_text, Cut};

static ITEM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"^(\s*)(def\s+\S|class\s+[A-Z]|module\s+[A-Z]|(private|protected|public)\s+def\s+\S)",
    )
    .ok()
});

/// Lines that may sit at the item's own indentation before its `end`.
const SAME_LEVEL: &[&str] = &["rescue", "ensure", "else", "elsif", "when", "in"];

pub(super) fn cut(text: &str) -> Vec<Cut> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(m) = ITEM.as_ref().and_then(|re| re.captures(lines[i])) else {
            i += 1;
            continue;
        };
        let indent = m.get(1).map_or(0, |g| g.as_str().len());
        let Some(last) = matching_end(&lines, i, indent) else {
            i += 1;
            continue;
        };
        let mut above = i;
        while above > 0 && is_doc_comment(lines[above - 1]) {
            above -= 1;
        }
        let raw_doc = (above < i).then(|| comment_text(lines[above..i].iter().copied()));
        match build(&lines, i, last, &|_| false, raw_doc) {
            Some(cut) => {
                out.push(cut);
                i = last + 1;
            }
            None => i += 1,
        }
    }
    out
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The line of the `end` closing the item that opens at line `start`.
fn matching_end(lines: &[&str], start: usize, indent: usize) -> Option<usize> {
    let head = lines[start].trim();
    // One-line and endless definitions have no body of their own.
    if head.ends_with(" end") || head.ends_with(";end") || head.contains(") =") {
        return None;
    }
    for (j, line) in lines.iter().enumerate().skip(start + 1) {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with("=begin") {
            continue;
        }
        let k = indent_of(line);
        if k > indent {
            continue;
        }
        if k < indent {
            return None;
        }
        let word = t.split([' ', '.', ';', '(']).next().unwrap_or("");
        if word == "end" {
            return Some(j);
        }
        if !SAME_LEVEL.contains(&word) {
            return None;
        }
    }
    None
}

fn is_doc_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#')
        && !t.starts_with("#!")
        && !t.contains("frozen_string_literal")
        && !t.contains("encoding:")
        && !t.starts_with("# typed:")
        && !t.starts_with("# rubocop:")
}
