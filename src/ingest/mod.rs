//! File → snippets.
//!
//! Ingest reads a file (or text the user hands over), decides what in it is a
//! snippet, and describes each one: language, position, Markdown context and
//! any credentials in it. It does no storage work; the watcher and the CLI
//! store what it returns.
//!
//! - Markdown files give one snippet per fenced code block ([`markdown`]).
//! - Any other text file is one snippet.
//! - Files that cannot or should not be read (too large, binary, gone, ...)
//!   give a [`SkipReason`] rather than an error: skipping is routine.

mod admit;
mod guard;
mod heuristics;
mod language;
mod markdown;
mod samples;
mod secrets;
mod walk;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use admit::{admit, is_web_link, Admitted, Refused};
pub use guard::SkipReason;
pub use language::{
    detect_language, is_known_language, language_from_alias, language_from_path,
    language_from_shebang, KNOWN_LANGUAGES, TEXT as TEXT_LANGUAGE,
};
pub use samples::{sample_snippets, Sample, SampleError};
pub use secrets::{detect_secrets, SecretKind, UnknownSecretKind};
pub(crate) use walk::is_candidate;
pub use walk::{
    link_rule, walk, walk_builder, walk_with, WalkIssue, IGNORE_FILE_NAME as SNIPDEX_IGNORE_FILE,
};

/// Default for [`IngestOptions::max_file_bytes`], kept with the rest of
/// the config's defaults.
pub use crate::config::DEFAULT_MAX_FILE_BYTES;

/// Tunables for [`ingest_file`] and for storing what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestOptions {
    /// Files larger than this are skipped with [`SkipReason::TooLarge`].
    pub max_file_bytes: u64,
    /// Queue new and changed snippets for enrichment (`enrich.enabled`).
    pub queue_enrichment: bool,
    /// Follow symbolic links that lead out of the watched folder
    /// (`watch.follow_links`); by default only links within it are.
    pub follow_links: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            queue_enrichment: true,
            follow_links: false,
        }
    }
}

impl IngestOptions {
    /// The options a user's configuration asks for.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            max_file_bytes: config.ingest.max_file_bytes,
            queue_enrichment: config.enrich.enabled,
            follow_links: config.watch.follow_links,
        }
    }
}

/// One snippet found in a file or in text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    /// The snippet text, without leading blank lines or trailing whitespace.
    pub content: String,
    /// Canonical lowercase id, one of [`KNOWN_LANGUAGES`].
    pub language: String,
    /// First line of `content` in the file, 1-based.
    pub start_line: u32,
    /// Last line of `content` in the file, 1-based, inclusive.
    pub end_line: u32,
    /// 0 for a whole file; for Markdown, the index of the fenced block among
    /// all fences in the file (empty fences included), from 0.
    pub block: u32,
    /// Markdown: text of the nearest heading above the fence.
    pub heading: Option<String>,
    /// Markdown: the nearest paragraph before the fence in the same section,
    /// whitespace collapsed and length-capped.
    pub context: Option<String>,
    /// Kinds of credential found in `content`; empty when none.
    pub secrets: Vec<SecretKind>,
}

/// Reads `path` and returns its snippets.
///
/// A Markdown file without fenced code blocks gives `Ok(vec![])`: its prose
/// is not a snippet. Every way the file can be unsuitable is a
/// [`SkipReason`]; this never panics on bad input.
pub fn ingest_file(path: &Path, opts: &IngestOptions) -> Result<Vec<Extracted>, SkipReason> {
    let text = guard::read_text(path, opts.max_file_bytes)?;
    if is_markdown(Some(path)) {
        return Ok(markdown::extract_fences(&text));
    }
    let language = detect_language(Some(path), &text);
    match whole(&text, language) {
        Some(snippet) => Ok(vec![snippet]),
        // Only Unicode whitespace (the guard catches ASCII whitespace).
        None => Err(SkipReason::Empty),
    }
}

/// Turns text handed over directly (stdin, the add dialog) into snippets.
///
/// The text is one snippet, except when `file_name_hint` names a Markdown
/// file and the text has fenced blocks: then each block is one. Markdown
/// without fences stays one snippet here, unlike in [`ingest_file`], because
/// the user explicitly asked for it to be kept. Whitespace-only text gives
/// nothing.
pub fn ingest_text(file_name_hint: Option<&str>, text: &str) -> Vec<Extracted> {
    let text = guard::normalize(text.to_owned());
    let hint = file_name_hint.map(Path::new);
    if is_markdown(hint) {
        let fences = markdown::extract_fences(&text);
        if !fences.is_empty() {
            return fences;
        }
    }
    let language = detect_language(hint, &text);
    whole(&text, language).into_iter().collect()
}

fn is_markdown(path: Option<&Path>) -> bool {
    path.and_then(language_from_path) == Some("markdown")
}

/// The whole of `text` as one snippet, positioned after any leading blank
/// lines; `None` when there is nothing but whitespace.
fn whole(text: &str, language: String) -> Option<Extracted> {
    let (skipped, content) = trim_blank_lines(text)?;
    let start_line = 1 + skipped;
    let end_line = start_line + content.lines().count().saturating_sub(1);
    Some(Extracted {
        secrets: detect_secrets(content),
        content: content.to_owned(),
        language,
        start_line: u32::try_from(start_line).unwrap_or(u32::MAX),
        end_line: u32::try_from(end_line).unwrap_or(u32::MAX),
        block: 0,
        heading: None,
        context: None,
    })
}

/// Strips leading blank lines (returning how many) and trailing whitespace;
/// `None` when nothing else is left.
pub(crate) fn trim_blank_lines(text: &str) -> Option<(usize, &str)> {
    let mut rest = text;
    let mut skipped = 0;
    while let Some((line, tail)) = rest.split_once('\n') {
        if !line.trim().is_empty() {
            break;
        }
        rest = tail;
        skipped += 1;
    }
    let rest = rest.trim_end();
    (!rest.trim_start().is_empty()).then_some((skipped, rest))
}

#[cfg(test)]
mod tests;
