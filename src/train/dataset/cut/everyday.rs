//! The files people keep snippets of besides library code: Dockerfiles,
//! Makefile targets, YAML (CI workflows, compose files, manifests), config
//! sections (TOML, INI, systemd units, nginx-style `{}` blocks) and the
//! fenced code blocks of Markdown and reStructuredText docs.
//!
//! A file that fits is one snippet; a longer one is cut at its natural
//! seams (build stages, targets, top-level keys, sections, blocks). The `#`
//! comment right above a piece is its doc.

use std::sync::LazyLock;

use regex::Regex;

use super::{build, comment_text, Cut, MAX_LINES};

/// Languages a docs code block may be kept in.
pub const BLOCK_LANGUAGES: &[&str] = &[
    "python",
    "javascript",
    "typescript",
    "shell",
    "sql",
    "rust",
    "go",
    "java",
    "kotlin",
    "php",
    "ruby",
    "c",
    "cpp",
    "yaml",
    "toml",
    "ini",
    "dockerfile",
    "make",
];

fn is_hash_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') && !t.starts_with("#!")
}

/// The `#` comment lines right above `line`, as a raw doc.
fn doc_above(lines: &[&str], line: usize) -> Option<String> {
    let mut above = line;
    while above > 0 && is_hash_comment(lines[above - 1]) {
        above -= 1;
    }
    (above < line).then(|| comment_text(lines[above..line].iter().copied()))
}

fn nonblank(lines: &[&str], first: usize, last: usize) -> usize {
    lines[first..=last]
        .iter()
        .filter(|l| !l.trim().is_empty())
        .count()
}

/// The last non-blank line in `first..=last`.
fn trim_end(lines: &[&str], first: usize, mut last: usize) -> usize {
    while last > first && lines[last].trim().is_empty() {
        last -= 1;
    }
    last
}

/// The whole of `first..=last` when it fits, with the leading comment
/// block as the doc.
fn whole(lines: &[&str], first: usize, last: usize) -> Option<Cut> {
    let mut start = first;
    while start <= last && (lines[start].trim().is_empty() || is_hash_comment(lines[start])) {
        start += 1;
    }
    if start > last {
        return None;
    }
    let header: Vec<&str> = lines[first..start]
        .iter()
        .copied()
        .filter(|l| is_hash_comment(l))
        .collect();
    let raw_doc = (!header.is_empty()).then(|| comment_text(header));
    build(lines, start, last, &|_| false, raw_doc)
}

/// A Dockerfile whole, or its build stages (`FROM` to `FROM`).
pub fn dockerfile(text: &str) -> Vec<Cut> {
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.is_empty() {
        return Vec::new();
    }
    let last = trim_end(&lines, 0, lines.len() - 1);
    if nonblank(&lines, 0, last) <= MAX_LINES {
        return whole(&lines, 0, last).into_iter().collect();
    }
    let froms: Vec<usize> = (0..lines.len())
        .filter(|&i| {
            lines[i]
                .trim_start()
                .get(..5)
                .is_some_and(|w| w.eq_ignore_ascii_case("from "))
        })
        .collect();
    let mut out = Vec::new();
    for (k, &from) in froms.iter().enumerate() {
        let mut end = froms.get(k + 1).map_or(lines.len() - 1, |&n| n - 1);
        // Comments right above the next stage belong to it.
        while end > from && (is_hash_comment(lines[end]) || lines[end].trim().is_empty()) {
            end -= 1;
        }
        out.extend(build(
            &lines,
            from,
            end,
            &|_| false,
            doc_above(&lines, from),
        ));
    }
    out
}

static MAKE_TARGET: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z0-9_%$(){}./-][^=:#]*?)\s*::?(\s|$)").ok());

/// Makefile targets with their recipes.
pub fn makefile(text: &str) -> Vec<Cut> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let is_target = !line.starts_with('\t')
            && !line.starts_with('.')
            && !line.contains(":=")
            && MAKE_TARGET.as_ref().is_some_and(|re| re.is_match(line));
        if !is_target {
            i += 1;
            continue;
        }
        let mut last = i;
        let mut j = i + 1;
        while j < lines.len() {
            let l = lines[j];
            if l.starts_with('\t') || lines[j - 1].trim_end().ends_with('\\') {
                last = j;
            } else if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
                break;
            }
            j += 1;
        }
        if last > i {
            out.extend(build(&lines, i, last, &|_| false, doc_above(&lines, i)));
        }
        i = last + 1;
    }
    out
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// YAML documents whole, or their top-level keys (and, when those are too
/// long, the keys one level down: the jobs of a CI workflow).
pub fn yaml(text: &str) -> Vec<Cut> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..=lines.len() {
        let boundary = i == lines.len() || lines[i].starts_with("---");
        if boundary {
            if i > start {
                yaml_range(&lines, start, i - 1, 0, &mut out);
            }
            start = i + 1;
        }
    }
    out
}

fn yaml_range(lines: &[&str], first: usize, last: usize, depth: usize, out: &mut Vec<Cut>) {
    let last = trim_end(lines, first, last);
    if first > last {
        return;
    }
    if nonblank(lines, first, last) <= MAX_LINES {
        if depth == 0 {
            out.extend(whole(lines, first, last));
        } else {
            out.extend(build(
                lines,
                first,
                last,
                &|_| false,
                doc_above(lines, first),
            ));
        }
        return;
    }
    if depth >= 3 {
        return;
    }
    // Children: the lines at the smallest indentation below the parent.
    let body = if depth == 0 { first } else { first + 1 };
    let Some(level) = (body..=last)
        .filter(|&i| !lines[i].trim().is_empty() && !is_hash_comment(lines[i]))
        .map(|i| indent_of(lines[i]))
        .min()
    else {
        return;
    };
    let heads: Vec<usize> = (body..=last)
        .filter(|&i| {
            let l = lines[i];
            !l.trim().is_empty() && !is_hash_comment(l) && indent_of(l) == level
        })
        .collect();
    for (k, &head) in heads.iter().enumerate() {
        let mut end = heads.get(k + 1).map_or(last, |&n| n - 1);
        while end > head && (is_hash_comment(lines[end]) || lines[end].trim().is_empty()) {
            end -= 1;
        }
        if end > head {
            yaml_range(lines, head, end, depth + 1, out);
        }
    }
}

/// Config files (TOML, INI, systemd units, nginx-style blocks) whole, or
/// their `[sections]`, or their top-level `{ }` blocks.
pub fn config(text: &str) -> Vec<Cut> {
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.is_empty() {
        return Vec::new();
    }
    let last = trim_end(&lines, 0, lines.len() - 1);
    if nonblank(&lines, 0, last) <= MAX_LINES {
        return whole(&lines, 0, last).into_iter().collect();
    }
    let sections: Vec<usize> = (0..=last)
        .filter(|&i| {
            let t = lines[i].trim();
            t.starts_with('[') && t.ends_with(']') && indent_of(lines[i]) == 0
        })
        .collect();
    let mut out = Vec::new();
    if !sections.is_empty() {
        for (k, &head) in sections.iter().enumerate() {
            let mut end = sections.get(k + 1).map_or(last, |&n| n - 1);
            while end > head && (is_hash_comment(lines[end]) || lines[end].trim().is_empty()) {
                end -= 1;
            }
            out.extend(build(
                &lines,
                head,
                end,
                &|_| false,
                doc_above(&lines, head),
            ));
        }
        return out;
    }
    brace_blocks(&lines, 0, last, 0, &mut out);
    out
}

/// Top-level `name ... {` blocks of an nginx-style file, descending into
/// blocks that are too long.
fn brace_blocks(lines: &[&str], first: usize, last: usize, depth: usize, out: &mut Vec<Cut>) {
    let opens = |l: &str| {
        let code = l.split('#').next().unwrap_or("");
        (code.matches('{').count(), code.matches('}').count())
    };
    let mut i = first;
    while i <= last {
        let (o, c) = opens(lines[i]);
        if o <= c || is_hash_comment(lines[i]) {
            i += 1;
            continue;
        }
        let mut level = o as i64 - c as i64;
        let mut j = i + 1;
        while j <= last && level > 0 {
            let (o, c) = opens(lines[j]);
            level += o as i64 - c as i64;
            j += 1;
        }
        if level != 0 {
            return;
        }
        let end = j - 1;
        if end - i < MAX_LINES {
            out.extend(build(lines, i, end, &|_| false, doc_above(lines, i)));
        } else if depth < 2 && end > i + 1 {
            brace_blocks(lines, i + 1, end - 1, depth + 1, out);
        }
        i = end + 1;
    }
}

/// A code block of a docs file, with the language its info string names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub language: &'static str,
    pub cut: Cut,
}

fn block_language(info: &str) -> Option<&'static str> {
    let word = info
        .trim()
        .trim_start_matches('{')
        .trim_start_matches('.')
        .split([' ', ',', '}', '{'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let language = match word.as_str() {
        "" => return None,
        "nginx" | "apacheconf" | "systemd" | "cfg" | "conf" => "ini",
        "dockerfile" | "docker" | "containerfile" => "dockerfile",
        "makefile" | "make" | "mk" => "make",
        "yml" => "yaml",
        "pycon" | "python3" | "py" => "python",
        other => crate::ingest::language_from_alias(other)?,
    };
    BLOCK_LANGUAGES.contains(&language).then_some(language)
}

/// Prompts (`$ `, `>>> `) are not part of the code; when a block has them,
/// only the prompted lines (and their continuations) are kept.
fn strip_prompts(body: Vec<(usize, String)>) -> Vec<(usize, String)> {
    let prompted = |l: &str| l.starts_with("$ ") || l.starts_with(">>> ");
    if !body.iter().any(|(_, l)| prompted(l)) {
        return body;
    }
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut continued = false;
    for (n, l) in body {
        if let Some(rest) = l.strip_prefix("$ ").or_else(|| l.strip_prefix(">>> ")) {
            continued = rest.trim_end().ends_with('\\');
            out.push((n, rest.to_owned()));
        } else if let Some(rest) = l
            .strip_prefix("... ")
            .or_else(|| (l == "...").then_some(""))
        {
            out.push((n, rest.to_owned()));
        } else if continued {
            continued = l.trim_end().ends_with('\\');
            out.push((n, l));
        }
    }
    out
}

fn block_cut(language: &'static str, body: Vec<(usize, String)>) -> Option<Block> {
    let body = strip_prompts(body);
    let first = body.first()?.0;
    let lines: Vec<&str> = body.iter().map(|(_, l)| l.as_str()).collect();
    let code_lines = lines
        .iter()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && !t.starts_with("//") && !t.starts_with("--")
        })
        .count();
    if code_lines < 2 || code_lines * 3 < lines.len() {
        return None;
    }
    let mut cut = build(&lines, 0, lines.len() - 1, &|_| false, None)?;
    // `build` counts from the block's first kept line.
    let skipped = lines.iter().take_while(|l| l.trim().is_empty()).count();
    cut.start_line = body.get(skipped).map_or(first, |(n, _)| *n);
    Some(Block { language, cut })
}

/// Fenced (```` ``` ```` or `~~~`) code blocks of a Markdown file.
pub fn markdown(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        let indent = lines[i].len() - t.len();
        let fence = if t.starts_with("```") {
            "```"
        } else if t.starts_with("~~~") {
            "~~~"
        } else {
            i += 1;
            continue;
        };
        let info = t.trim_start_matches(fence.as_bytes()[0] as char);
        let Some(close) = (i + 1..lines.len()).find(|&j| lines[j].trim_start().starts_with(fence))
        else {
            break;
        };
        if let Some(language) = block_language(info) {
            let body: Vec<(usize, String)> = (i + 1..close)
                .map(|j| {
                    let l = lines[j];
                    let cut = indent.min(l.len() - l.trim_start().len());
                    (j + 1, l.get(cut..).unwrap_or(l).to_owned())
                })
                .collect();
            out.extend(block_cut(language, body));
        }
        i = close + 1;
    }
    out
}

static RST_DIRECTIVE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^(\s*)\.\. (code-block|code|sourcecode|prompt)::\s*(\S+)").ok());

/// `.. code-block:: LANG` blocks of a reStructuredText file.
pub fn rst(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(m) = RST_DIRECTIVE.as_ref().and_then(|re| re.captures(lines[i])) else {
            i += 1;
            continue;
        };
        let indent = m.get(1).map_or(0, |g| g.as_str().len());
        let language = m.get(3).and_then(|g| block_language(g.as_str()));
        let mut j = i + 1;
        // Options (`:linenos:`) and the blank line before the body.
        while j < lines.len()
            && (lines[j].trim().is_empty()
                || (lines[j].trim_start().starts_with(':') && indent_of(lines[j]) > indent))
        {
            j += 1;
        }
        let body_start = j;
        while j < lines.len() && (lines[j].trim().is_empty() || indent_of(lines[j]) > indent) {
            j += 1;
        }
        if let Some(language) = language {
            let body: Vec<(usize, String)> = (body_start..j)
                .map(|k| (k + 1, lines[k].to_owned()))
                .collect();
            out.extend(block_cut(language, body));
        }
        i = j.max(i + 1);
    }
    out
}
