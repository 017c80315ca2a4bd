//! Tag clean-up, and the tag normal form shared with user-written tags.
//!
//! Generated tags are one to three topics from the vocabulary (the model's
//! words mapped through synonyms; other words dropped unless they name a
//! library the code uses) plus the installed libraries the code imports,
//! found by the link resolver. The language is never a tag: it is a field
//! and a filter of its own.

use super::text::{has_junk_chars, strip_decorations, until_stop};
use super::Rejected;
use crate::enrich::links::CodeLibrary;
use crate::enrich::vocab::Vocabulary;

/// At least one tag, or the answer is rejected.
pub const MIN_TAGS: usize = 1;
/// More tags than this are noise in the list view.
pub const MAX_TAGS: usize = 6;
/// Topics from the vocabulary per snippet; more blur what it is about.
pub const MAX_TOPICS: usize = 3;
/// Libraries found in the code that are added without the model naming them.
pub const MAX_LIBRARY_TAGS: usize = 3;
/// Longer "tags" are phrases.
pub const MAX_TAG_CHARS: usize = 24;
/// More hyphen-joined words than this are a sentence, not a keyword.
const MAX_TAG_WORDS: usize = 3;

/// Tags that describe every snippet, and so none.
const STOP_TAGS: [&str; 22] = [
    "a",
    "an",
    "the",
    "and",
    "or",
    "of",
    "to",
    "in",
    "for",
    "with",
    "code",
    "snippet",
    "snippets",
    "example",
    "function",
    "misc",
    "other",
    "general",
    "none",
    "etc",
    "tags",
    "programming",
];

/// The normal form of a tag: lowercase, words joined by `-`, only
/// `[a-z0-9+#.-]`, at most [`MAX_TAG_CHARS`] characters. `None` when nothing
/// tag-like is left. User-written tags go through the same function so that
/// `#Rust`, `rust` and ` Rust ` are one tag.
pub fn normalize_tag(raw: &str) -> Option<String> {
    let trimmed = raw
        .trim()
        .trim_matches(|c| matches!(c, '"' | '\'' | '`' | '*' | '“' | '”'));
    // The library's rules, plus what model output needs on top: ASCII only
    // (a small model's non-ASCII tags are nearly always garbage) and short.
    let tag = crate::domain::normalize_tag(trimmed)?;
    let ascii: String = tag.chars().filter(char::is_ascii).collect();
    let ascii = ascii.trim_matches(['-', '.']).replace("--", "-");
    (ascii.chars().any(|c| c.is_ascii_alphanumeric()) && ascii.len() <= MAX_TAG_CHARS)
        .then_some(ascii)
}

/// One to six normalised, distinct tags from a comma- or line-separated
/// answer (hashtags work too), or why there are none. No vocabulary: this
/// is the shape check, for labels and for answers about no particular code.
pub fn clean_tags(raw: &str) -> Result<Vec<String>, Rejected> {
    let tags = answer_tags(raw)?;
    if tags.len() < MIN_TAGS {
        return Err(Rejected::new(format!(
            "only {} usable tags: {tags:?}",
            tags.len()
        )));
    }
    Ok(tags)
}

/// What the tag clean-up knows about the snippet besides the answer.
#[derive(Debug, Clone, Copy)]
pub struct TagContext<'a> {
    pub vocabulary: &'a Vocabulary,
    /// The snippet's language, which is never a tag.
    pub language: &'a str,
    /// What the link resolver found the code importing or calling.
    pub libraries: &'a [CodeLibrary],
}

/// The tags a snippet gets from the model's answer: up to [`MAX_TOPICS`]
/// topics (synonyms and plurals mapped to the vocabulary's form; the
/// language and unknown words dropped, except names of libraries the code
/// uses), then the installed libraries the code uses (at most
/// [`MAX_LIBRARY_TAGS`] the model did not name), [`MAX_TAGS`] in all.
/// When the model named no topic, standard modules the code uses that the
/// vocabulary knows (`json`, `hashlib`...) stand in.
pub fn clean_topic_tags(raw: &str, cx: &TagContext<'_>) -> Result<Vec<String>, Rejected> {
    let answer = answer_tags(raw)?;
    let not_language = |tag: &str| !is_language_tag(tag, cx.language);
    let mut topics: Vec<String> = Vec::new();
    let mut libraries: Vec<String> = Vec::new();
    let push = |list: &mut Vec<String>, tag: String| {
        if not_language(&tag) && !list.contains(&tag) {
            list.push(tag);
        }
    };
    for tag in answer.into_iter().filter(|t| not_language(t)) {
        if cx.libraries.iter().any(|l| l.tag == tag) {
            push(&mut libraries, cx.vocabulary.canonical_or_self(&tag));
        } else if let Some(topic) = cx.vocabulary.canonical(&tag) {
            if topics.len() < MAX_TOPICS {
                push(&mut topics, topic.to_owned());
            }
        }
    }
    if topics.is_empty() {
        for library in cx.libraries.iter().filter(|l| l.standard) {
            if let Some(topic) = cx.vocabulary.canonical(&library.tag) {
                if topics.len() < MAX_TOPICS {
                    push(&mut topics, topic.to_owned());
                }
            }
        }
    }
    let found = cx.libraries.iter().filter(|l| !l.standard);
    for library in found.take(MAX_LIBRARY_TAGS) {
        push(
            &mut libraries,
            cx.vocabulary.canonical_or_self(&library.tag),
        );
    }
    let mut tags = topics;
    for library in libraries {
        if !tags.contains(&library) {
            tags.push(library);
        }
    }
    tags.truncate(MAX_TAGS);
    if tags.len() < MIN_TAGS {
        return Err(Rejected::new(format!(
            "no topic from the vocabulary and no library in {raw:?}"
        )));
    }
    Ok(tags)
}

/// Whether `tag` names `language`: its id or another name of it (`py` and
/// `python3` for python, `bash` for shell, `c++` for cpp), not a database or
/// runtime that the alias table also maps to it (`postgresql` on SQL).
pub fn is_language_tag(tag: &str, language: &str) -> bool {
    let tag = tag.trim().to_ascii_lowercase();
    let language = language.trim().to_ascii_lowercase();
    if language.is_empty() {
        return false;
    }
    if tag == language {
        return true;
    }
    if NOT_JUST_THE_LANGUAGE.contains(&tag.as_str()) {
        return false;
    }
    let canonical = |s: &str| crate::ingest::language_from_alias(s).map(str::to_owned);
    canonical(&tag).is_some_and(|t| Some(t) == canonical(&language).or(Some(language.clone())))
}

/// Names that the language alias table maps to a language but that say
/// more than the language: a database or dialect (`postgresql` on SQL), a
/// runtime (`node`), a tool. On a snippet of that language they are topics.
const NOT_JUST_THE_LANGUAGE: [&str; 12] = [
    "sqlite",
    "mysql",
    "postgres",
    "postgresql",
    "plpgsql",
    "psql",
    "node",
    "console",
    "docker",
    "gradle",
    "rake",
    "gemspec",
];

/// The answer's tags as written: normalised, distinct, stop words and
/// sentences dropped, at most [`MAX_TAGS`]; an error only for junk.
pub fn answer_tags(raw: &str) -> Result<Vec<String>, Rejected> {
    let raw = until_stop(raw);
    if has_junk_chars(raw.trim()) {
        return Err(Rejected::new("tags contain non-printable characters"));
    }
    let mut tags: Vec<String> = Vec::new();
    for piece in raw.split([',', '\n', ';', '|']) {
        let piece = strip_decorations(piece);
        for candidate in split_hashtags(&piece) {
            let Some(tag) = normalize_tag(&candidate) else {
                continue;
            };
            let words = tag.split('-').count();
            if words <= MAX_TAG_WORDS && !is_stop_tag(&tag) && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    tags.truncate(MAX_TAGS);
    Ok(tags)
}

/// `#rust #cli` and `rust #cli` are two tags each; `c#` and `rust cli` are
/// one: a `#` opens a new tag only at the start of a word.
fn split_hashtags(piece: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for word in piece.split_whitespace() {
        match tags.last_mut() {
            Some(current) if !word.starts_with('#') => {
                current.push(' ');
                current.push_str(word);
            }
            _ => tags.push(word.to_owned()),
        }
    }
    tags
}

fn is_stop_tag(tag: &str) -> bool {
    STOP_TAGS.contains(&tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised() {
        let cases = [
            ("Rust", Some("rust")),
            ("  #Rust ", Some("rust")),
            ("C#", Some("c#")),
            ("C++", Some("c++")),
            ("File IO", Some("file-io")),
            ("snake_case", Some("snake-case")),
            ("node.js", Some("node.js")),
            ("\"error handling\"", Some("error-handling")),
            ("Rust!", Some("rust")),
            ("+++", None),
            ("", None),
            ("a-tag-that-is-much-too-long-to-keep", None),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_tag(raw).as_deref(), want, "{raw:?}");
        }
    }

    #[test]
    fn answers_become_deduplicated_tag_lists() {
        let cases: [(&str, &[&str]); 6] = [
            (
                "rust, cli, argument parsing",
                &["rust", "cli", "argument-parsing"],
            ),
            (
                "Tags: Rust, rust, CLI, #cli, clap",
                &["rust", "cli", "clap"],
            ),
            ("#python #json #files", &["python", "json", "files"]),
            ("Tags: rust #cli #async-io", &["rust", "cli", "async-io"]),
            (
                "- python\n- json\n- code\n- snippet\n- io",
                &["python", "json", "io"],
            ),
            ("a, b, c, d, e, f, g, h", &["b", "c", "d", "e", "f", "g"]),
        ];
        for (raw, want) in cases {
            assert_eq!(clean_tags(raw).unwrap(), want, "{raw:?}");
        }
    }

    #[test]
    fn too_few_tags_are_rejected() {
        assert_eq!(clean_tags("rust").unwrap(), ["rust"]);
        for raw in ["", "code, snippet, example", "<|im_end|>rust, cli, io"] {
            let err = clean_tags(raw).unwrap_err();
            assert!(err.reason().contains("tags"), "{raw:?}: {err}");
        }
        assert!(clean_tags("rust\u{0}, cli, io").is_err());
        // A sentence is not a tag.
        assert_eq!(
            clean_tags("this function reads a file, io, fs").unwrap(),
            ["io", "fs"]
        );
    }

    #[test]
    fn language_tags_are_recognised() {
        assert!(is_language_tag("python", "python"));
        assert!(is_language_tag("py", "python"));
        assert!(is_language_tag("Rust", "rust"));
        assert!(!is_language_tag("json", "python"));
        assert!(!is_language_tag("python", ""));
    }
}

#[cfg(test)]
#[path = "topic_tags_tests.rs"]
mod topic_tests;
