//! Text fitting by display width: CJK and most emoji take two columns, so
//! byte or char counts would overflow or split them.

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

#[cfg(test)]
mod tests {
    use super::*;

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
