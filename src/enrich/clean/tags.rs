//! Tag clean-up, and the tag normal form shared with user-written tags.

use super::text::{has_junk_chars, strip_decorations, until_stop};
use super::Rejected;

/// A tag set smaller than this does not help search or filtering.
pub const MIN_TAGS: usize = 3;
/// More tags than this are noise in the list view.
pub const MAX_TAGS: usize = 6;
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

/// Three to six normalised, distinct tags from a comma- or line-separated
/// answer (hashtags work too), or why there are too few.
pub fn clean_tags(raw: &str) -> Result<Vec<String>, Rejected> {
    let tags = collect_tags(raw)?;
    if tags.len() < MIN_TAGS {
        return Err(Rejected::new(format!(
            "only {} usable tags: {tags:?}",
            tags.len()
        )));
    }
    Ok(tags)
}

/// Like [`clean_tags`], but the snippet's language counts as a tag, so that
/// two good model tags still make a usable set.
pub fn clean_tags_with_language(raw: &str, language: &str) -> Result<Vec<String>, Rejected> {
    let mut tags = collect_tags(raw)?;
    if let Some(language) = normalize_tag(language).filter(|tag| !is_stop_tag(tag)) {
        if tags.len() < MAX_TAGS && !tags.contains(&language) {
            tags.push(language);
        }
    }
    if tags.len() < MIN_TAGS {
        return Err(Rejected::new(format!(
            "only {} usable tags even with the language: {tags:?}",
            tags.len()
        )));
    }
    Ok(tags)
}

fn collect_tags(raw: &str) -> Result<Vec<String>, Rejected> {
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
        for raw in [
            "",
            "rust",
            "rust, code, snippet, example",
            "<|im_end|>rust, cli, io",
        ] {
            let err = clean_tags(raw).unwrap_err();
            assert!(err.reason().contains("tags"), "{raw:?}: {err}");
        }
        assert!(clean_tags("rust\u{0}, cli, io").is_err());
        // A sentence is not a tag.
        assert!(clean_tags("this function reads a file, io, fs").is_err());
    }

    #[test]
    fn the_language_tops_up_a_short_list() {
        assert_eq!(
            clean_tags_with_language("json, files", "Python").unwrap(),
            ["json", "files", "python"]
        );
        assert_eq!(
            clean_tags_with_language("python, json, files", "python").unwrap(),
            ["python", "json", "files"]
        );
        assert!(clean_tags_with_language("json", "python").is_err());
        assert!(clean_tags_with_language("json, files", "").is_err());
    }
}
