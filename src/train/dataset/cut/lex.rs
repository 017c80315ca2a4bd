//! Masks comments and literals so that brace matching and item detection
//! only see code. The mask keeps byte offsets and newlines, so positions in
//! it are positions in the source.

/// The lexical rules that differ between the brace languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Rust,
    JavaScript,
    C,
    /// Go: raw strings in backquotes, runes in single quotes.
    Go,
    /// Java and Kotlin.
    Java,
    /// PHP: `#` line comments, single-quoted strings.
    Php,
}

/// `text` with comments, strings, char literals (and, for C, preprocessor
/// lines) blanked to spaces.
pub fn mask(text: &str, flavor: Flavor) -> Vec<u8> {
    let src = text.as_bytes();
    let mut out = src.to_vec();
    let mut i = 0;
    while i < src.len() {
        let end = match (src[i], src.get(i + 1).copied()) {
            (b'/', Some(b'/')) => line_end(src, i),
            (b'/', Some(b'*')) => block_comment_end(src, i + 2, flavor == Flavor::Rust),
            (b'#', _) if flavor == Flavor::C && at_line_start(src, i) => directive_end(src, i),
            (b'"', _) => quoted_end(src, i, b'"', flavor != Flavor::JavaScript),
            (b'\'', _) if flavor == Flavor::JavaScript => quoted_end(src, i, b'\'', false),
            (b'`', _) if flavor == Flavor::JavaScript => quoted_end(src, i, b'`', true),
            (b'\'', _) if flavor == Flavor::C => quoted_end(src, i, b'\'', false),
            (b'\'', _) if matches!(flavor, Flavor::Go | Flavor::Java) => {
                quoted_end(src, i, b'\'', false)
            }
            (b'\'', _) if flavor == Flavor::Php => quoted_end(src, i, b'\'', true),
            (b'`', _) if flavor == Flavor::Go => quoted_end(src, i, b'`', true),
            (b'#', _) if flavor == Flavor::Php && src.get(i + 1) != Some(&b'[') => line_end(src, i),
            // The open tag is not part of the first definition's header.
            (b'<', Some(b'?')) if flavor == Flavor::Php => {
                Some(i + if src[i..].starts_with(b"<?php") { 5 } else { 2 })
            }
            (b'\'', _) => rust_char_end(src, i),
            (b'r', Some(b'"' | b'#')) if flavor == Flavor::Rust && !ident_before(src, i) => {
                raw_string_end(src, i + 1)
            }
            _ => None,
        };
        match end {
            Some(end) if end > i => {
                blank(&mut out[i..end]);
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

fn blank(bytes: &mut [u8]) {
    for b in bytes.iter_mut().filter(|b| **b != b'\n') {
        *b = b' ';
    }
}

fn line_end(src: &[u8], from: usize) -> Option<usize> {
    Some(
        src[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(src.len(), |p| from + p),
    )
}

fn block_comment_end(src: &[u8], mut i: usize, nests: bool) -> Option<usize> {
    let mut depth = 1;
    while i + 1 < src.len() {
        match (src[i], src[i + 1]) {
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            (b'/', b'*') if nests => {
                depth += 1;
                i += 2;
            }
            _ => i += 1,
        }
    }
    Some(src.len())
}

fn at_line_start(src: &[u8], i: usize) -> bool {
    src[..i]
        .iter()
        .rev()
        .take_while(|&&b| b != b'\n')
        .all(|b| b.is_ascii_whitespace())
}

/// A preprocessor line, with its backslash continuations.
fn directive_end(src: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let end = line_end(src, i)?;
        let continued = src[i..end].trim_ascii_end().ends_with(b"\\");
        if !continued || end >= src.len() {
            return Some(end);
        }
        i = end + 1;
    }
}

/// The end of a quoted literal. Single-line literals stop at a newline so
/// that a stray quote cannot swallow the rest of the file.
fn quoted_end(src: &[u8], start: usize, quote: u8, multiline: bool) -> Option<usize> {
    let mut i = start + 1;
    while i < src.len() {
        match src[i] {
            b'\\' => i += 2,
            b'\n' if !multiline => return Some(i),
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    Some(src.len())
}

/// `'a'`, `'\n'`, `'é'` are char literals; `'a` alone is a lifetime.
fn rust_char_end(src: &[u8], start: usize) -> Option<usize> {
    let next = *src.get(start + 1)?;
    if next == b'\\' {
        let close = src[start + 2..].iter().take(12).position(|&b| b == b'\'')?;
        return Some(start + 2 + close + 1);
    }
    let width = match next {
        b if b < 0x80 => 1,
        b if b >= 0xF0 => 4,
        b if b >= 0xE0 => 3,
        _ => 2,
    };
    (src.get(start + 1 + width) == Some(&b'\'')).then_some(start + 2 + width)
}

fn ident_before(src: &[u8], i: usize) -> bool {
    i > 0 && (src[i - 1].is_ascii_alphanumeric() || src[i - 1] == b'_')
}

/// `r"..."`, `r#"..."#`; `at` points just past the `r`.
fn raw_string_end(src: &[u8], at: usize) -> Option<usize> {
    let hashes = src[at..].iter().take_while(|&&b| b == b'#').count();
    if src.get(at + hashes) != Some(&b'"') {
        return None;
    }
    let mut closing = vec![b'"'];
    closing.extend(std::iter::repeat_n(b'#', hashes));
    let body = at + hashes + 1;
    let close = src[body..]
        .windows(closing.len())
        .position(|w| w == closing.as_slice())?;
    Some(body + close + closing.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str, flavor: Flavor) -> String {
        String::from_utf8_lossy(&mask(text, flavor)).into_owned()
    }

    #[test]
    fn braces_in_comments_and_strings_disappear() {
        let m = masked(
            "fn a() { let s = \"}\"; // }\n let c = '}'; }",
            Flavor::Rust,
        );
        assert_eq!(m.matches('}').count(), 1);
        assert_eq!(m.matches('{').count(), 1);
        assert_eq!(
            m.len(),
            "fn a() { let s = \"}\"; // }\n let c = '}'; }".len()
        );
    }

    #[test]
    fn lifetimes_are_not_char_literals() {
        let m = masked("fn f<'a>(x: &'a str) { '{'; }", Flavor::Rust);
        assert_eq!(m.matches('{').count(), 1);
        assert!(m.contains("'a>"));
    }

    #[test]
    fn raw_strings_template_literals_and_directives() {
        let rust = masked("let s = r#\"{\"#; {", Flavor::Rust);
        assert_eq!(rust.matches('{').count(), 1);
        let js = masked("const t = `a\n{ ${x}`; {", Flavor::JavaScript);
        assert_eq!(js.matches('{').count(), 1);
        let c = masked("#define OPEN { \\\n  more\nint f(void) {", Flavor::C);
        assert_eq!(c.matches('{').count(), 1);
        assert!(c.contains("int f(void)"));
    }
}
