//! Making stored text safe to print on a terminal.
//!
//! Titles, languages, tags, paths and content come from files, imports and
//! the model, not only from the user's keyboard. Printed raw, an escape
//! sequence in any of them can clear the screen, rename the terminal or
//! write to the clipboard (OSC 52) when the user merely lists snippets. So
//! every string the CLI shows goes through [`one_line`] or [`block`] first;
//! control characters come out as visible escapes (`\e`, `\n`, `\u{9b}`),
//! never as themselves. JSON output and `show --raw` are not for terminals
//! and stay exact.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that change what a terminal does or how text is laid out,
/// rather than being shown: C0 and C1 controls, DEL, and the Unicode
/// bidirectional overrides and isolates (which reorder what is shown, the
/// "Trojan Source" trick), plus the line and paragraph separators.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{1b}' => out.push_str("\\e"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn escape(s: &str, keep: impl Fn(char, Option<char>) -> bool) -> Cow<'_, str> {
    let mut chars = s.chars().peekable();
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    while let Some(c) = chars.next() {
        if is_unsafe(c) && !keep(c, chars.peek().copied()) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A field shown on one line (a title, a language, a tag, a path, a
/// description): every control character is escaped, so one value can
/// never become two rows or reach the terminal as a command.
pub fn one_line(s: &str) -> Cow<'_, str> {
    escape(s, |_, _| false)
}

/// A body of text shown as lines (a snippet's content): line breaks and
/// tabs stay as they are, a carriage return only as part of `\r\n`, and
/// every other control character is escaped.
pub fn block(s: &str) -> Cow<'_, str> {
    escape(s, |c, next| {
        c == '\n' || c == '\t' || (c == '\r' && next == Some('\n'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "EVIL\u{1b}]0;pwned\u{7}\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}[2J";

    #[test]
    fn one_line_escapes_every_control_character() {
        let out = one_line(HOSTILE);
        assert_eq!(
            out,
            "EVIL\\e]0;pwned\\x07\\e]52;c;ZWNobyBwd25lZA==\\x07\\e[2J"
        );
        assert!(!out.chars().any(char::is_control));
        assert_eq!(one_line("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(one_line("\u{9b}31m \u{7f}"), "\\u{9b}31m \\x7f");
        assert_eq!(one_line("abc\u{202e}cba"), "abc\\u{202e}cba");
    }

    #[test]
    fn plain_text_passes_through_unchanged_and_unallocated() {
        for s in [
            "Sort a vector",
            "ünïcödé 日本語 🦀",
            "tabs\u{a0}and spaces",
            "",
        ] {
            assert!(matches!(one_line(s), Cow::Borrowed(t) if t == s), "{s}");
            assert!(matches!(block(s), Cow::Borrowed(t) if t == s), "{s}");
        }
    }

    #[test]
    fn block_keeps_lines_and_tabs_but_not_escapes() {
        assert_eq!(block("a\n\tb\r\nc"), "a\n\tb\r\nc");
        assert_eq!(block("x\ry"), "x\\ry");
        assert_eq!(block("ls\u{1b}[2J\n"), "ls\\e[2J\n");
        assert!(!block(HOSTILE).contains('\u{1b}'));
    }
}
