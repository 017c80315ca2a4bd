//! Markdown files are notes *about* code: each fenced block is a snippet,
//! and the heading and paragraph around it say what it is for.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::language::{detect_language, language_from_alias};
use super::{detect_secrets, trim_blank_lines, Extracted};

/// Longest context paragraph kept, in characters; enough to say what a
/// block is for without copying a whole section into every snippet.
const MAX_CONTEXT_CHARS: usize = 280;

/// One snippet per non-empty fenced code block, in document order.
///
/// `block` counts every fence in the file, including empty ones, so numbers
/// match what a reader counts. Lines are those of the block's content (not
/// its fences), 1-based, in `text`.
pub(crate) fn extract_fences(text: &str) -> Vec<Extracted> {
    let line_starts = line_starts(text);
    let line_of = |offset: usize| line_starts.partition_point(|&start| start <= offset);

    let mut out = Vec::new();
    let mut heading: Option<String> = None;
    let mut paragraph: Option<String> = None;
    // Text being gathered for the heading, paragraph or fence now open.
    let mut buffer = String::new();
    let mut fence: Option<OpenFence> = None;
    let mut fence_count: u32 = 0;

    // Front matter must not read as a setext heading, and table cells are
    // not paragraphs to use as context.
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { .. } | Tag::Paragraph) => buffer.clear(),
            Event::End(TagEnd::Heading(_)) => {
                heading = non_empty(collapse_whitespace(&buffer));
                // A new section: the paragraph before it belongs to the last one.
                paragraph = None;
            }
            // Paragraphs inside list items and quotes count too: they are
            // often the explanation right above a fence.
            Event::End(TagEnd::Paragraph) => {
                if let Some(p) = non_empty(collapse_whitespace(&buffer)) {
                    paragraph = Some(truncate_chars(&p, MAX_CONTEXT_CHARS));
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                fence = Some(OpenFence {
                    info: info.to_string(),
                    fence_line: line_of(range.start),
                    content: String::new(),
                });
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(open) = fence.take() {
                    let index = fence_count;
                    fence_count = fence_count.saturating_add(1);
                    if let Some(snippet) = open.finish(index, &heading, &paragraph) {
                        out.push(snippet);
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => match fence.as_mut() {
                Some(open) => open.content.push_str(&t),
                None => buffer.push_str(&t),
            },
            Event::SoftBreak | Event::HardBreak if fence.is_none() => buffer.push(' '),
            _ => {}
        }
    }
    out
}

struct OpenFence {
    info: String,
    fence_line: usize,
    content: String,
}

impl OpenFence {
    fn finish(
        self,
        index: u32,
        heading: &Option<String>,
        paragraph: &Option<String>,
    ) -> Option<Extracted> {
        let (skipped, content) = trim_blank_lines(&self.content)?;
        let start_line = self.fence_line + 1 + skipped;
        let end_line = start_line + content.lines().count().saturating_sub(1);
        Some(Extracted {
            language: fence_language(&self.info, content),
            start_line: to_u32(start_line),
            end_line: to_u32(end_line),
            block: index,
            heading: heading.clone(),
            context: paragraph.clone(),
            secrets: detect_secrets(content),
            content: content.to_owned(),
        })
    }
}

/// The language named by a fence's info string (```` ```rust,ignore ````,
/// ```` ```{python} ````, ```` ```sh title="x" ````), or detected from the
/// content when the info string is missing or unknown.
fn fence_language(info: &str, content: &str) -> String {
    let word = info
        .split(|c: char| c.is_whitespace() || c == ',')
        .next()
        .unwrap_or("")
        .trim_matches(|c| c == '{' || c == '}' || c == '.');
    match language_from_alias(word) {
        Some(id) => id.to_owned(),
        None => detect_language(None, content),
    }
}

/// Byte offsets at which each line of `text` begins.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}…", s[..cut].trim_end()),
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
