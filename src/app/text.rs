//! Text fitting by display width: CJK and most emoji take two columns, so
//! byte or char counts would overflow or split them.

use ratatui::text::Span;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Make a line safe to draw: tabs become spaces, other control characters
/// (which would move the cursor) a visible placeholder.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("    "),
            '\n' | '\r' => {}
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` columns of `s`, ending in `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        // Keep one column for the ellipsis.
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` cut or padded with spaces to exactly `cols` columns.
pub fn fit(s: &str, cols: usize) -> String {
    let mut t = truncate(s, cols);
    let w = width(&t);
    t.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    t
}

/// Word-wrap to `max` columns; words longer than a line are split.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for para in s.lines() {
        let mut line = String::new();
        let mut used = 0;
        for word in para.split_whitespace() {
            let ww = width(word);
            if used > 0 && used + 1 + ww > max {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            if ww > max {
                for c in word.chars() {
                    let cw = c.width().unwrap_or(0);
                    if used + cw > max {
                        lines.push(std::mem::take(&mut line));
                        used = 0;
                    }
                    line.push(c);
                    used += cw;
                }
                continue;
            }
            if used > 0 {
                line.push(' ');
                used += 1;
            }
            line.push_str(word);
            used += ww;
        }
        lines.push(line);
    }
    lines
}

/// Display width of a line made of spans.
pub fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| width(&s.content)).sum()
}

/// Columns `from..from + cols` of a line of spans, styles kept. A
/// double-width character cut by either edge becomes a space, so that the
/// columns line up.
pub fn slice_spans(spans: &[Span<'static>], from: usize, cols: usize) -> Vec<Span<'static>> {
    let end = from + cols;
    let mut out = Vec::new();
    let mut col = 0;
    for span in spans {
        let mut text = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            let (start, stop) = (col, col + w);
            col = stop;
            if stop <= from || start >= end {
                continue;
            }
            if start < from || stop > end {
                // Partly visible wide character.
                text.extend(std::iter::repeat_n(' ', stop.min(end) - start.max(from)));
            } else {
                text.push(c);
            }
        }
        if !text.is_empty() {
            out.push(Span::styled(text, span.style));
        }
        if col >= end {
            break;
        }
    }
    out
}

/// Whether a character `w` columns wide starts a new row when `used`
/// columns of a `cols`-wide row are taken: the one rule of
/// [`wrap_spans`] and [`wrapped_rows`].
fn breaks_row(used: usize, w: usize, cols: usize) -> bool {
    used + w > cols
}

/// Rows [`wrap_spans`] breaks a line of this text into, without building
/// them.
pub fn wrapped_rows(text: &str, cols: usize) -> usize {
    let cols = cols.max(2);
    let mut rows = 1;
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if breaks_row(used, w, cols) {
            rows += 1;
            used = 0;
        }
        used += w;
    }
    rows
}

/// A line of spans broken into rows of at most `cols` columns, styles
/// kept; code is broken at any character, not at words, so that what is
/// shown is exactly what is copied. An empty line is one empty row.
pub fn wrap_spans(spans: &[Span<'static>], cols: usize) -> Vec<Vec<Span<'static>>> {
    let cols = cols.max(2);
    let mut rows: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0;
    for span in spans {
        let mut text = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if breaks_row(used, w, cols) {
                if !text.is_empty() {
                    if let Some(row) = rows.last_mut() {
                        row.push(Span::styled(std::mem::take(&mut text), span.style));
                    }
                }
                rows.push(Vec::new());
                used = 0;
            }
            text.push(c);
            used += w;
        }
        if !text.is_empty() {
            if let Some(row) = rows.last_mut() {
                row.push(Span::styled(text, span.style));
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(spans: &[Span<'_>]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn slice_and_wrap_spans_by_columns() {
        let line = vec![Span::raw("ab"), Span::raw("日本"), Span::raw("cd")];
        assert_eq!(joined(&slice_spans(&line, 1, 4)), "b日 ");
        assert_eq!(joined(&slice_spans(&line, 3, 10)), " 本cd");
        assert_eq!(joined(&slice_spans(&line, 20, 4)), "");
        let rows = wrap_spans(&line, 3);
        let texts: Vec<String> = rows.iter().map(|r| joined(r)).collect();
        assert_eq!(texts, vec!["ab", "日", "本c", "d"]);
        assert!(rows.iter().all(|r| spans_width(r) <= 3));
        assert_eq!(wrap_spans(&[], 5).len(), 1, "an empty line is one row");
        for cols in 0..12 {
            for line in ["", "abc", "ab日本cd", "日本語のタイトル 🦀 crab", "x\ty"] {
                let spans = vec![Span::raw(line)];
                assert_eq!(
                    wrapped_rows(line, cols),
                    wrap_spans(&spans, cols).len(),
                    "{line:?} at {cols} columns"
                );
            }
        }
    }

    #[test]
    fn truncation_respects_double_width_chars() {
        assert_eq!(truncate("日本語のタイトル", 7), "日本語…");
        assert!(width(&truncate("日本語のタイトル", 7)) <= 7);
        assert_eq!(truncate("🦀 crab", 3), "🦀…");
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("日本", 1), "…");
        for max in 0..12 {
            assert!(width(&truncate("a日🦀b本c", max)) <= max);
        }
    }

    #[test]
    fn fit_pads_to_exact_width() {
        assert_eq!(width(&fit("日本", 7)), 7);
        assert_eq!(width(&fit("日本語です", 5)), 5);
    }

    #[test]
    fn wrap_keeps_every_word_within_width() {
        let lines = wrap("a bb ccc dddddddddd e", 4);
        assert!(lines.iter().all(|l| width(l) <= 4), "{lines:?}");
        assert_eq!(lines.concat().replace(' ', ""), "abbcccdddddddddde");
        assert_eq!(wrap("", 10), Vec::<String>::new());
    }

    #[test]
    fn sanitize_removes_cursor_movers() {
        assert_eq!(sanitize("a\tb\x1b[2Jc\r\n"), "a    b\u{fffd}[2Jc");
    }
}
