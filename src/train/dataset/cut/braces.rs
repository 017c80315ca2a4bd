//! Rust, JavaScript/TypeScript and C/C++: items are a header followed by a
//! balanced `{ ... }` body.
//!
//! Every `{` is a candidate. Its header is the code before it, back to the
//! previous `;`, `{` or `}` (or `,` in JavaScript object literals); the
//! header says whether the braces hold a function, a type or a container.
//! An item that fits is cut whole; one that is too long is descended into,
//! so the methods of a long `impl` or class are still found.

use std::sync::LazyLock;

use regex::Regex;

use super::lex::{self, Flavor};
use super::{build, comment_text, Cut};

/// What a header introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Ends at its closing brace.
    Item,
    /// A C type definition, which ends at the `;` after the brace.
    TypeDef,
    /// Test modules: neither cut nor descended into.
    Skip,
}

fn re(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

static RUST_ITEM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r#"^(pub(\([^)]*\))? )?(default )?(const )?(async )?(unsafe )?(extern ("[^"]*" )?)?fn \w+|^(pub(\([^)]*\))? )?(unsafe )?(impl\b|trait \w+)|^(pub(\([^)]*\))? )?(struct|enum|union) \w+|^(pub(\([^)]*\))? )?mod \w+$|^macro_rules! ?\w+$"#,
    )
});
static JS_FUNCTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r#"^(export )?(default )?(declare )?(async )?function\b|^(export )?((const|let|var) )?[\w$.\[\]'"]+ ?(:[^=]*)?= ?(async )?function\b|^[\w$'"]+ ?: ?(async )?function\b"#,
    )
});
static JS_ARROW_OWNER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r#"^(export )?(const|let|var) [\w$]+|^((static|readonly|private|public|protected) )*[\w$#]+ ?(:[^=]*)?=[^>=]|^[\w$'"]+ ?: ?(async )?\("#,
    )
});
static JS_METHOD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"^((static|async|get|set|public|private|protected|readonly|override|abstract) )*\*? ?[\w$#]+ ?(<.*>)? ?\(.*\) ?(: ?[^=]+)?$",
    )
});
static JS_TYPE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"^(export )?(default )?(declare )?(abstract )?(class|interface|enum|namespace)\b")
});
static C_TYPE: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"^(typedef )?(struct|union|enum)( \w+)?$"));
static C_CONTAINER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r#"^extern "C"$|^namespace( \w+)?$|^(template ?<.*> )?(class|struct) \w+( ?:.*)?$"#)
});
static C_FUNCTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"^[A-Za-z_][\w \*&:<>,~]*[\* &]~?[\w:]+ ?\([^;]*\)( ?const)?( ?noexcept)?( ?override)?$")
});

static GO_ITEM: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"^func\b|^type \w+(\[.*\])? (struct|interface)$"));
static JAVA_TYPE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"^((public|protected|private|static|final|abstract|sealed|non-sealed|strictfp|data|open|internal|inner|enum|annotation|companion|value|inline) )*(class|interface|enum|record|object|@interface)\b",
    )
});
static JAVA_METHOD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"^((public|protected|private|static|final|abstract|synchronized|native|default|strictfp|override|open|internal|suspend|inline|operator|infix|tailrec) )*(fun (<[^>]*> )?([\w.]+\.)?|(<[^>]*> )?[\w.$]+(<.*>)?(\[\])* )?[\w$]+ ?\(.*\)( ?: ?[\w.<>?, ]+)?( throws [\w.$, ]+)?$",
    )
});
static PHP_ITEM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"^((abstract|final|public|private|protected|static|readonly) )*(function\b|(class|interface|trait|enum) \w+)",
    )
});

/// Java and Kotlin statements that look like a method header.
const NOT_A_JAVA_DEFINITION: &[&str] = &["synchronized", "when", "super", "this", "else"];

const NOT_A_DEFINITION: &[&str] = &[
    "if", "for", "while", "switch", "catch", "with", "do", "else", "try", "finally", "return",
    "typeof", "new", "await", "yield", "case", "throw", "sizeof", "goto", "function",
];

fn matches(re: &LazyLock<Option<Regex>>, text: &str) -> bool {
    re.as_ref().is_some_and(|re| re.is_match(text))
}

pub(super) fn cut(text: &str, flavor: Flavor) -> Vec<Cut> {
    let mask = lex::mask(text, flavor);
    let lines: Vec<&str> = text.split('\n').collect();
    let masked_lines: Vec<&[u8]> = mask.split(|&b| b == b'\n').collect();
    let starts = line_starts(text);
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset) - 1;
    let comment_only = |i: usize| {
        masked_lines
            .get(i)
            .is_some_and(|m| m.trim_ascii().is_empty())
            && !lines[i].trim().is_empty()
            && !(flavor == Flavor::C && lines[i].trim_start().starts_with('#'))
    };
    let mut out = Vec::new();
    let mut skip_until = 0;
    for (open, close) in brace_pairs(&mask) {
        if open < skip_until {
            continue;
        }
        let Some(start) = header_start(&mask, text, open, flavor) else {
            continue;
        };
        let header = collapse(&mask[start..open]);
        let kind = match classify(&header, flavor) {
            Some(Kind::Skip) => {
                skip_until = close;
                continue;
            }
            Some(kind) => kind,
            None => continue,
        };
        let Some(end) = item_end(&mask, close, kind) else {
            continue;
        };
        let (first, last) = (line_of(start), line_of(end));
        if !mask[starts[first]..start].trim_ascii().is_empty() {
            continue;
        }
        // Doc lines between attributes and the item are inside the span.
        let header_line = line_of(open);
        let inner_doc: Vec<usize> = (first..header_line)
            .filter(|&i| comment_only(i) && is_doc_line(lines[i], flavor))
            .collect();
        let mut above = first;
        while above > 0 && comment_only(above - 1) {
            above -= 1;
        }
        let doc_lines = doc_run(&lines[above..first], flavor)
            .iter()
            .copied()
            .chain(inner_doc.iter().map(|&i| lines[i]))
            .collect::<Vec<_>>();
        let raw_doc = (!doc_lines.is_empty()).then(|| comment_text(doc_lines));
        let removed = |i: usize| inner_doc.contains(&i);
        if let Some(cut) = build(&lines, first, last, &removed, raw_doc) {
            out.push(cut);
            skip_until = close;
        }
    }
    out
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// Matched `{`/`}` offsets, ordered by the opening brace.
fn brace_pairs(mask: &[u8]) -> Vec<(usize, usize)> {
    let mut stack = Vec::new();
    let mut pairs = Vec::new();
    for (i, &b) in mask.iter().enumerate() {
        match b {
            b'{' => stack.push(i),
            b'}' => {
                if let Some(open) = stack.pop() {
                    pairs.push((open, i));
                }
            }
            _ => {}
        }
    }
    pairs.sort_unstable();
    pairs
}

/// Offset of the header's first code byte before the brace at `open`.
fn header_start(mask: &[u8], text: &str, open: usize, flavor: Flavor) -> Option<usize> {
    let (mut depth, mut angle) = (0i32, 0i32);
    let mut first = None;
    let mut i = open;
    while i > 0 {
        let b = mask[i - 1];
        match b {
            b')' | b']' => depth += 1,
            b'(' | b'[' if depth == 0 => break,
            b'(' | b'[' => depth -= 1,
            b';' | b'{' | b'}' if depth == 0 => break,
            b'>' if flavor == Flavor::JavaScript && i >= 2 && mask[i - 2] != b'=' => angle += 1,
            b'<' if angle > 0 => angle -= 1,
            b',' if depth == 0 && angle == 0 && flavor == Flavor::JavaScript => break,
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            first = Some(i - 1);
        }
        i -= 1;
    }
    let mut start = first?;
    // A blank line separates the header from unrelated code before it (a
    // macro call, an inner attribute).
    if let Some(blank) = text.get(start..open).and_then(|h| h.rfind("\n\n")) {
        let after = start + blank + 2;
        start = after
            + mask[after..open]
                .iter()
                .position(|b| !b.is_ascii_whitespace())?;
    }
    Some(start)
}

fn collapse(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn strip_attributes(mut header: &str) -> &str {
    // Rust `#[...]` and decorators `@name(...)` come before the item.
    while header.starts_with("#[") || header.starts_with('@') {
        let mut depth = 0;
        let mut end = None;
        for (i, c) in header.char_indices() {
            match c {
                '[' | '(' => depth += 1,
                ']' | ')' => {
                    depth -= 1;
                    if depth == 0 && header.starts_with("#[") {
                        end = Some(i + 1);
                        break;
                    }
                }
                ' ' if depth == 0 && header.starts_with('@') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(end) = end else { return header };
        header = header[end..].trim_start();
    }
    header
}

fn classify(header: &str, flavor: Flavor) -> Option<Kind> {
    let item = strip_attributes(header);
    let first_word = item.split([' ', '(']).next().unwrap_or("");
    match flavor {
        Flavor::Rust => {
            if header.contains("#[cfg(test)]") || item.ends_with("mod tests") {
                return Some(Kind::Skip);
            }
            matches(&RUST_ITEM, item).then_some(Kind::Item)
        }
        Flavor::JavaScript => {
            if matches(&JS_FUNCTION, item) || matches(&JS_TYPE, item) {
                return Some(Kind::Item);
            }
            if NOT_A_DEFINITION.contains(&first_word) {
                return None;
            }
            let arrow = item.ends_with("=>") && matches(&JS_ARROW_OWNER, item);
            (arrow || matches(&JS_METHOD, item)).then_some(Kind::Item)
        }
        Flavor::C => {
            if matches(&C_TYPE, item) {
                return Some(Kind::TypeDef);
            }
            if NOT_A_DEFINITION.contains(&first_word) || item.contains('=') {
                return None;
            }
            (matches(&C_CONTAINER, item) || matches(&C_FUNCTION, item)).then_some(Kind::Item)
        }
        Flavor::Go => matches(&GO_ITEM, item).then_some(Kind::Item),
        Flavor::Java => {
            if matches(&JAVA_TYPE, item) {
                return Some(Kind::Item);
            }
            if NOT_A_DEFINITION.contains(&first_word)
                || NOT_A_JAVA_DEFINITION.contains(&first_word)
                || item.contains('=')
                || item.contains("->")
            {
                return None;
            }
            matches(&JAVA_METHOD, item).then_some(Kind::Item)
        }
        Flavor::Php => {
            if item.contains('=') {
                return None;
            }
            matches(&PHP_ITEM, item).then_some(Kind::Item)
        }
    }
}

/// Offset of the item's last byte; `None` when code follows it on its last
/// line (a call's closing parenthesis, an `else`), which means the braces
/// were part of a larger expression.
fn item_end(mask: &[u8], close: usize, kind: Kind) -> Option<usize> {
    let line_end = mask[close..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(mask.len(), |p| close + p);
    let mut end = close;
    if kind == Kind::TypeDef {
        end = close + mask[close..line_end].iter().position(|&b| b == b';')?;
    }
    let rest = &mask[end + 1..line_end];
    rest.iter()
        .all(|&b| b.is_ascii_whitespace() || b == b';' || b == b',')
        .then_some(end)
}

fn is_doc_line(line: &str, flavor: Flavor) -> bool {
    let l = line.trim_start();
    match flavor {
        Flavor::Rust => l.starts_with("///") && !l.starts_with("////"),
        Flavor::JavaScript | Flavor::Java | Flavor::Php => {
            l.starts_with("/**") || l.starts_with('*')
        }
        Flavor::C => true,
        Flavor::Go => l.starts_with("//"),
    }
}

/// The doc comment among the comment lines right above an item.
fn doc_run<'a>(run: &[&'a str], flavor: Flavor) -> Vec<&'a str> {
    match flavor {
        Flavor::Rust => {
            if run
                .first()
                .is_some_and(|l| l.trim_start().starts_with("/**"))
            {
                return run.to_vec();
            }
            run.iter()
                .copied()
                .filter(|l| is_doc_line(l, flavor))
                .collect()
        }
        // Only the last `/** ... */` block is JSDoc; `//` lines are notes.
        Flavor::JavaScript | Flavor::Java | Flavor::Php => run
            .iter()
            .rposition(|l| l.trim_start().starts_with("/**"))
            .map(|i| run[i..].to_vec())
            .unwrap_or_default(),
        Flavor::C => run.to_vec(),
        // Go doc comments are the `//` lines right above, up to a blank one.
        Flavor::Go => run
            .iter()
            .rposition(|l| !l.trim_start().starts_with("//"))
            .map_or(run, |i| &run[i + 1..])
            .to_vec(),
    }
}
