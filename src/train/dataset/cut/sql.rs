//! SQL: statements split on `;` outside strings, comments and PostgreSQL
//! dollar quotes (function bodies), with the `--` comment above as doc.

use super::{build, comment_text, Cut};

/// Statements worth learning from; `SET`, `BEGIN`, `DROP` and the like are
/// too slight to describe.
const KEPT: &[&str] = &[
    "create", "select", "with", "insert", "update", "delete", "alter", "do", "merge",
];

pub(super) fn cut(text: &str) -> Vec<Cut> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset) - 1;
    let mask = mask(text);
    let mut out = Vec::new();
    let mut from = 0;
    while from < mask.len() {
        let end = mask[from..]
            .iter()
            .position(|&b| b == b';')
            .map_or(mask.len(), |p| from + p);
        let statement = &mask[from..end];
        let next = end + 1;
        let Some(offset) = statement.iter().position(|b| !b.is_ascii_whitespace()) else {
            from = next;
            continue;
        };
        let begin = from + offset;
        let (first, last) = (line_of(begin), line_of(end.min(mask.len() - 1)));
        let keyword = String::from_utf8_lossy(statement)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        // Templated SQL (Jinja, format strings) is not SQL yet.
        let source = text.get(begin..end.min(text.len())).unwrap_or_default();
        let templated = source.contains("{{") || source.contains("{%");
        let starts_line = mask[starts[first]..begin].trim_ascii().is_empty();
        if KEPT.contains(&keyword.as_str()) && !templated && starts_line {
            let mut above = first;
            while above > 0 && is_comment(lines[above - 1]) {
                above -= 1;
            }
            let raw_doc =
                (above < first).then(|| comment_text(lines[above..first].iter().copied()));
            out.extend(build(&lines, first, last, &|_| false, raw_doc));
        }
        from = next;
    }
    out
}

fn is_comment(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with("--") && !l.trim_start_matches('-').trim().is_empty()
}

/// Blanks comments, quoted strings and identifiers, and `$tag$` bodies.
fn mask(text: &str) -> Vec<u8> {
    let src = text.as_bytes();
    let mut out = src.to_vec();
    let mut i = 0;
    while i < src.len() {
        let end = match src[i] {
            b'-' if src[i..].starts_with(b"--") => src[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(src.len(), |p| i + p),
            b'/' if src[i..].starts_with(b"/*") => src[i + 2..]
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(src.len(), |p| i + 2 + p + 2),
            // A doubled quote inside a literal escapes it and simply reads
            // as two adjacent literals here.
            q @ (b'\'' | b'"') => src[i + 1..]
                .iter()
                .position(|&b| b == q)
                .map_or(src.len(), |p| i + 1 + p + 1),
            b'$' => dollar_quote_end(src, i).unwrap_or(i + 1),
            _ => i + 1,
        };
        if end > i + 1 {
            for b in out[i..end].iter_mut().filter(|b| **b != b'\n') {
                *b = b' ';
            }
        }
        i = end;
    }
    out
}

/// `$$ ... $$` or `$body$ ... $body$`, as PostgreSQL writes function bodies.
fn dollar_quote_end(src: &[u8], start: usize) -> Option<usize> {
    let tag_len = src[start + 1..]
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))?;
    let tag_end = start + 1 + tag_len;
    if src.get(tag_end) != Some(&b'$') || src.get(start + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let tag = &src[start..=tag_end];
    let body = tag_end + 1;
    let close = src[body..].windows(tag.len()).position(|w| w == tag)?;
    Some(body + close + tag.len())
}
