//! Shell: `name() { ... }` and `function name { ... }` definitions, with the
//! `#` comment block above as their doc. A short script without functions
//! is one snippet, its header comment the doc.

use std::sync::LazyLock;

use regex::Regex;

use super::{build, comment_text, Cut};

static FUNCTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:function\s+[A-Za-z_][\w:.@+-]*\s*(?:\(\s*\))?|[A-Za-z_][\w:.@+-]*\s*\(\s*\))\s*",
    )
    .ok()
});

pub(super) fn cut(text: &str) -> Vec<Cut> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mask = mask(text);
    let masked: Vec<&[u8]> = mask.split(|&b| b == b'\n').collect();
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset) - 1;
    let mut out = Vec::new();
    let mut found_any = false;
    let mut i = 0;
    while i < lines.len() {
        let line = String::from_utf8_lossy(masked[i]);
        let Some(m) = FUNCTION.as_ref().and_then(|re| re.find(&line)) else {
            i += 1;
            continue;
        };
        // The body's `{` may sit on the next line.
        let after = starts[i] + m.end();
        let Some(open) = mask[after..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|p| after + p)
            .filter(|&p| mask[p] == b'{')
        else {
            i += 1;
            continue;
        };
        let Some(close) = matching_close(&mask, open) else {
            i += 1;
            continue;
        };
        found_any = true;
        let last = line_of(close);
        let mut above = i;
        while above > 0 && is_comment(lines[above - 1]) {
            above -= 1;
        }
        let raw_doc = doc_text(&lines[above..i]);
        match build(&lines, i, last, &|_| false, raw_doc) {
            Some(cut) => {
                out.push(cut);
                i = last + 1;
            }
            None => i += 1,
        }
    }
    if !found_any {
        out.extend(whole_script(&lines));
    }
    out
}

fn is_comment(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with('#') && !l.starts_with("#!")
}

fn doc_text(lines: &[&str]) -> Option<String> {
    let kept: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| {
            let body = l.trim_start().trim_start_matches('#').trim_start();
            // Linter directives and rulers are not prose.
            !body.starts_with("shellcheck") && !body.chars().all(|c| "-=#*~".contains(c))
        })
        .collect();
    (!kept.is_empty()).then(|| comment_text(kept))
}

/// A function-less script as one snippet, without shebang and header.
fn whole_script(lines: &[&str]) -> Option<Cut> {
    let mut i = usize::from(lines.first().is_some_and(|l| l.starts_with("#!")));
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    let header_start = i;
    while i < lines.len() && is_comment(lines[i]) {
        i += 1;
    }
    let raw_doc = doc_text(&lines[header_start..i]);
    build(lines, i, lines.len().checked_sub(1)?, &|_| false, raw_doc)
}

fn matching_close(mask: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &b) in mask.iter().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Blanks comments, quoted strings and here-document bodies.
fn mask(text: &str) -> Vec<u8> {
    let src = text.as_bytes();
    let mut out = src.to_vec();
    let mut pending_heredocs: Vec<(String, bool)> = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let start = i;
        match src[i] {
            b'\\' => i += 2,
            b'#' if i == 0 || b" \t\n;|&(".contains(&src[i - 1]) => {
                i += src[i..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(src.len() - i);
            }
            b'\'' => {
                let escapes = i > 0 && src[i - 1] == b'$';
                i = quoted_end(src, i, b'\'', escapes);
            }
            b'"' => i = quoted_end(src, i, b'"', true),
            b'<' if src[i..].starts_with(b"<<") && !src[i..].starts_with(b"<<<") => {
                if let Some((tag, strip, len)) = heredoc_tag(&src[i + 2..]) {
                    pending_heredocs.push((tag, strip));
                    i += 2 + len;
                } else {
                    i += 2;
                }
                continue;
            }
            b'\n' if !pending_heredocs.is_empty() => {
                // Bodies begin on the line after the `<<TAG`.
                i += 1;
                for (tag, strip) in std::mem::take(&mut pending_heredocs) {
                    let body = i;
                    while i < src.len() {
                        let end = src[i..]
                            .iter()
                            .position(|&b| b == b'\n')
                            .map_or(src.len(), |p| i + p);
                        let line = &src[i..end];
                        let line = if strip { line.trim_ascii_start() } else { line };
                        i = (end + 1).min(src.len());
                        if line.trim_ascii_end() == tag.as_bytes() {
                            break;
                        }
                    }
                    blank(&mut out[body..i]);
                }
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        }
        let end = i.min(src.len());
        blank(&mut out[start..end]);
        i = end;
    }
    out
}

fn blank(bytes: &mut [u8]) {
    for b in bytes.iter_mut().filter(|b| **b != b'\n') {
        *b = b' ';
    }
}

fn quoted_end(src: &[u8], start: usize, quote: u8, escapes: bool) -> usize {
    let mut i = start + 1;
    while i < src.len() {
        match src[i] {
            b'\\' if escapes => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    src.len()
}

/// `-'EOF'`, `"EOF"`, `EOF` after `<<`: the tag, whether tabs are
/// stripped, and how many bytes the operator's operand took.
fn heredoc_tag(rest: &[u8]) -> Option<(String, bool, usize)> {
    let strip = rest.first() == Some(&b'-');
    let mut i = usize::from(strip);
    while rest.get(i).is_some_and(|b| *b == b' ' || *b == b'\t') {
        i += 1;
    }
    let quote = rest.get(i).copied().filter(|b| *b == b'\'' || *b == b'"');
    i += usize::from(quote.is_some());
    let tag_start = i;
    while rest
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        i += 1;
    }
    // `$((1<<2))` is a shift, not a here-document.
    if i == tag_start || rest[tag_start].is_ascii_digit() {
        return None;
    }
    let tag = String::from_utf8_lossy(&rest[tag_start..i]).into_owned();
    i += usize::from(quote.is_some());
    Some((tag, strip, i))
}
