//! Python: `def` and `class` blocks end where the indentation returns to
//! their own level. Lines inside strings or brackets do not count, so
//! multi-line signatures and strings at column 0 do not end a block.

use super::{build, Cut};

/// Per line: does it start a statement (not inside a string or brackets),
/// and its indentation.
struct LineInfo {
    statement: bool,
    indent: usize,
}

pub(super) fn cut(text: &str) -> Vec<Cut> {
    let lines: Vec<&str> = text.split('\n').collect();
    let info = scan(&lines);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(end) = definition_end(&lines, &info, i) else {
            i += 1;
            continue;
        };
        let mut first = i;
        while first > 0
            && info[first - 1].statement
            && info[first - 1].indent == info[i].indent
            && lines[first - 1].trim_start().starts_with('@')
        {
            first -= 1;
        }
        let doc = docstring(&lines, &info, i, end);
        let raw_doc = doc.map(|(from, to)| docstring_text(&lines[from..=to]));
        let removed = |l: usize| doc.is_some_and(|(from, to)| (from..=to).contains(&l));
        let has_body = (i + 1..=end).any(|l| !removed(l) && !lines[l].trim().is_empty());
        match build(&lines, first, end, &removed, raw_doc).filter(|_| has_body) {
            Some(cut) => {
                out.push(cut);
                i = end + 1;
            }
            // Too long: its methods or inner functions may still fit.
            None => i += 1,
        }
    }
    out
}

fn is_definition(line: &str) -> bool {
    let l = line.trim_start();
    let l = l.strip_prefix("async ").unwrap_or(l);
    ["def ", "class "].iter().any(|k| {
        l.strip_prefix(k)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_alphabetic() || c == '_'))
    })
}

/// The last line of the definition starting at `i`, if line `i` starts one.
fn definition_end(lines: &[&str], info: &[LineInfo], i: usize) -> Option<usize> {
    if !info[i].statement || !is_definition(lines[i]) {
        return None;
    }
    let indent = info[i].indent;
    let mut last = i;
    for (j, line) in lines.iter().enumerate().skip(i + 1) {
        let blank = line.trim().is_empty();
        let comment = line.trim_start().starts_with('#');
        if info[j].statement && !blank && !comment && info[j].indent <= indent {
            break;
        }
        let dedented_comment = comment && info[j].indent <= indent;
        if !blank && !dedented_comment {
            last = j;
        }
    }
    Some(last)
}

/// The docstring's first and last line, when the body opens with one.
fn docstring(lines: &[&str], info: &[LineInfo], def: usize, end: usize) -> Option<(usize, usize)> {
    // The body starts at the first statement indented past the header.
    let start = (def + 1..=end).find(|&j| {
        info[j].statement && !lines[j].trim().is_empty() && info[j].indent > info[def].indent
    })?;
    let l = lines[start].trim_start();
    let l = l.trim_start_matches(['r', 'R', 'u', 'U']);
    if !(l.starts_with('"') || l.starts_with('\'')) {
        return None;
    }
    // It ends on the line before the next statement.
    let next = (start + 1..=end)
        .find(|&j| info[j].statement && !lines[j].trim().is_empty())
        .unwrap_or(end + 1);
    let mut last = next - 1;
    while last > start && lines[last].trim().is_empty() {
        last -= 1;
    }
    Some((start, last))
}

fn docstring_text(lines: &[&str]) -> String {
    let joined = lines
        .iter()
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join("\n");
    let body = joined.trim_start_matches(['r', 'R', 'u', 'U']);
    let body = body.trim_matches(|c| c == '"' || c == '\'');
    body.to_owned()
}

/// A small tokenizer: tracks strings (all quote styles), comments and
/// bracket depth to know which lines start a statement.
fn scan(lines: &[&str]) -> Vec<LineInfo> {
    let mut info = Vec::with_capacity(lines.len());
    let mut depth = 0i32;
    let mut open_string: Option<&str> = None;
    let mut continued = false;
    for line in lines {
        let statement = open_string.is_none() && depth == 0 && !continued;
        let indent = line.len() - line.trim_start().len();
        info.push(LineInfo { statement, indent });
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if let Some(quote) = open_string {
                if bytes[i] == b'\\' {
                    i += 2;
                    continue;
                }
                if bytes[i..].starts_with(quote.as_bytes()) {
                    i += quote.len();
                    open_string = None;
                } else {
                    i += 1;
                }
                continue;
            }
            match bytes[i] {
                b'#' => break,
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = (depth - 1).max(0),
                b'"' | b'\'' => {
                    let triple = if bytes[i] == b'"' { "\"\"\"" } else { "'''" };
                    let quote = if bytes[i..].starts_with(triple.as_bytes()) {
                        triple
                    } else if bytes[i] == b'"' {
                        "\""
                    } else {
                        "'"
                    };
                    open_string = Some(quote);
                    i += quote.len();
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        // A single-quoted string never spans lines; recover from a stray one.
        if matches!(open_string, Some("\"") | Some("'")) {
            open_string = None;
        }
        continued = line.trim_end().ends_with('\\') && open_string.is_none();
    }
    info
}
