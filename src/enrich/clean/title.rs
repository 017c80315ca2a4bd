//! Title clean-up: a short label, the way a person names a snippet.
//!
//! A title is two to six words with no filler ("a", "the", "function to",
//! "this code"), no word said twice, no single-letter variable names and
//! no echo of the file name: "Compute binomial coefficients with k steps"
//! becomes "Compute binomial coefficients".

use super::text::{
    capitalise, echoes_code, echoes_prompt, has_junk_chars, is_preamble, looks_like_code,
    mostly_non_letters, strip_decorations, until_stop,
};
use super::Rejected;

/// Titles longer than this are cut; a title is a handle, not a summary.
pub const MAX_TITLE_WORDS: usize = 6;
/// A single word rarely says what a snippet does.
pub const MIN_TITLE_WORDS: usize = 2;

/// Words a cut title must not end on ("Read file and").
const DANGLING: [&str; 20] = [
    "a", "an", "the", "and", "or", "of", "to", "in", "for", "with", "from", "by", "on", "at",
    "into", "as", "then", "via", "using", "its",
];

/// Words that say nothing in a label.
const FILLER_WORDS: [&str; 7] = ["a", "an", "the", "its", "their", "your", "given"];

/// Small words that may appear twice ("Copy from one file to another to
/// backup" is rare, but "and ... and" is not a repetition).
const FUNCTION_WORDS: [&str; 16] = [
    "to", "and", "or", "of", "in", "for", "with", "from", "by", "on", "at", "as", "into", "if",
    "not", "no",
];

/// Prepositions that open a detail phrase ("with k steps").
const PREPOSITIONS: [&str; 12] = [
    "with", "in", "of", "for", "by", "using", "over", "from", "to", "at", "via", "on",
];

/// One word of a filler opening.
#[derive(Clone, Copy)]
enum Slot {
    Word(&'static str),
    /// One of [`SNIPPET_NOUNS`].
    Noun,
    /// One of [`LINKS`].
    Link,
}

/// Openings that describe the snippet instead of naming what it does,
/// matched word by word, lowercase, longest first.
const FILLER_OPENINGS: [&[Slot]; 4] = [
    &[Slot::Word("this"), Slot::Noun, Slot::Word("will")],
    &[Slot::Word("this"), Slot::Noun],
    &[Slot::Noun, Slot::Link],
    &[Slot::Word("how"), Slot::Word("to")],
];
/// What fills [`Slot::Noun`].
const SNIPPET_NOUNS: [&str; 13] = [
    "function", "method", "snippet", "code", "script", "helper", "program", "routine", "utility",
    "class", "module", "command", "query",
];
/// What fills [`Slot::Link`].
const LINKS: [&str; 5] = ["to", "that", "which", "for", "used"];

/// The first answer line of `raw` as a title of [`MIN_TITLE_WORDS`] to
/// [`MAX_TITLE_WORDS`] words, or why there is none.
pub fn clean_title(raw: &str, code: &str) -> Result<String, Rejected> {
    clean_title_for_file(raw, code, None)
}

/// Like [`clean_title`], also rejecting a title that only repeats the
/// snippet's file name (the prompt shows it, and a small model copies it).
pub fn clean_title_for_file(
    raw: &str,
    code: &str,
    file_name: Option<&str>,
) -> Result<String, Rejected> {
    let raw = until_stop(raw);
    if has_junk_chars(raw.trim()) {
        return Err(Rejected::new("title contains non-printable characters"));
    }
    let line = raw
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !is_preamble(line) && !line.starts_with("```"))
        .ok_or_else(|| Rejected::new("title is empty"))?;
    let text = strip_decorations(line);
    if text.is_empty() {
        return Err(Rejected::new("title is empty"));
    }
    if looks_like_code(&text) || echoes_code(&text, code) {
        return Err(Rejected::new(format!("title echoes code: {text:?}")));
    }
    if echoes_prompt(&text) {
        return Err(Rejected::new(format!("title echoes the prompt: {text:?}")));
    }
    let file = file_name.map(file_name_forms);
    let mut text = text;
    if let Some((_, name)) = &file {
        // "Load settings from config.py": the name is noise, the rest is fine.
        text = drop_word_and_preposition(&text, name);
    }
    let words = concise_words(&text);
    let title = words
        .join(" ")
        .trim_end_matches(['.', ',', ';', ':', '-', '–', '…'])
        .trim_end()
        .to_owned();
    if title.is_empty() || mostly_non_letters(&title) {
        return Err(Rejected::new(format!("title is not text: {title:?}")));
    }
    if file.is_some_and(|(stem, _)| !stem.is_empty() && squeeze(&title) == stem) {
        return Err(Rejected::new(format!(
            "title echoes the file name: {title:?}"
        )));
    }
    if words.len() < MIN_TITLE_WORDS {
        return Err(Rejected::new(format!("title is one word: {title:?}")));
    }
    Ok(capitalise(&title))
}

/// `text` without the word `name` (any case, punctuation around it
/// ignored) and a preposition right before it.
fn drop_word_and_preposition(text: &str, name: &str) -> String {
    let is_name = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '_' && c != '-')
            .trim_end_matches('.')
            .eq_ignore_ascii_case(name)
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    for word in words {
        if is_name(word) {
            if out
                .last()
                .is_some_and(|w| PREPOSITIONS.contains(&key(w).as_str()))
            {
                out.pop();
            }
        } else {
            out.push(word);
        }
    }
    out.join(" ")
}

/// The words of a concise title: filler openings and words dropped, a
/// detail phrase about a single-letter variable cut, repeated words said
/// once, at most [`MAX_TITLE_WORDS`] (cut at a phrase boundary), not ending
/// on a dangling word.
fn concise_words(text: &str) -> Vec<&str> {
    let all: Vec<&str> = text.split_whitespace().collect();
    let mut words: Vec<&str> = all[filler_opening_len(&all)..]
        .iter()
        .copied()
        .filter(|w| !FILLER_WORDS.contains(&key(w).as_str()))
        .collect();
    if let Some(at) = words.iter().position(|w| is_variable_name(w)) {
        let cut = match at.checked_sub(1) {
            Some(before) if PREPOSITIONS.contains(&key(words[before]).as_str()) => before,
            _ => at,
        };
        // Cut the phrase when enough is left to name the thing.
        if cut >= MIN_TITLE_WORDS {
            words.truncate(cut);
        } else {
            words.remove(at);
        }
    }
    let mut seen: Vec<String> = Vec::new();
    words.retain(|w| {
        let k = key(w);
        if k.is_empty() || FUNCTION_WORDS.contains(&k.as_str()) {
            return true;
        }
        let repeated = seen.contains(&k);
        seen.push(k);
        !repeated
    });
    if words.len() > MAX_TITLE_WORDS {
        // Cut before the last phrase that would not fit whole ("Read first
        // 24 bits | of Huffman code"), not in the middle of it.
        let boundary = (MIN_TITLE_WORDS..=MAX_TITLE_WORDS).rev().find(|&i| {
            let k = key(words[i]);
            PREPOSITIONS.contains(&k.as_str()) || k == "and" || k == "or"
        });
        words.truncate(boundary.unwrap_or(MAX_TITLE_WORDS));
    }
    while words.len() > 1 && DANGLING.contains(&key(words[words.len() - 1]).as_str()) {
        words.pop();
    }
    words
}

/// A word lowercased, without the punctuation around it.
fn key(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

/// How many leading words are a filler opening ("This function will",
/// "A function that", "Snippet to").
fn filler_opening_len(words: &[&str]) -> usize {
    let keys: Vec<String> = words.iter().map(|w| key(w)).collect();
    // An article before the opening goes with it ("A function to ...").
    let skip = usize::from(keys.first().is_some_and(|k| k == "a" || k == "an"));
    for pattern in FILLER_OPENINGS {
        let rest = &keys[skip.min(keys.len())..];
        if rest.len() <= pattern.len() {
            continue;
        }
        let matches = pattern.iter().zip(rest).all(|(slot, k)| match *slot {
            Slot::Noun => SNIPPET_NOUNS.contains(&k.as_str()),
            Slot::Link => LINKS.contains(&k.as_str()),
            Slot::Word(word) => word == k,
        });
        if matches {
            // "used to": the `to` belongs to the opening too.
            let extra =
                usize::from(rest[pattern.len() - 1] == "used" && rest[pattern.len()] == "to");
            return skip + pattern.len() + extra;
        }
    }
    0
}

/// A single-letter variable (`k`, `n`): code detail, not a label.
fn is_variable_name(word: &str) -> bool {
    let k = key(word);
    k.len() == 1 && k.chars().all(|c| c.is_ascii_alphabetic()) && k != "a"
}

/// A file name's lowercase stem, squeezed to letters and digits, and the
/// lowercase name itself: `Binomial_Coefficient.py` gives
/// (`binomialcoefficient`, `binomial_coefficient.py`).
fn file_name_forms(file_name: &str) -> (String, String) {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = name.split('.').next().unwrap_or(name);
    (squeeze(stem), name.to_lowercase())
}

fn squeeze(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "fn read_config(path: &Path) -> io::Result<String> {\n    std::fs::read_to_string(path)\n}\n";

    #[test]
    fn good_titles_are_kept_and_tidied() {
        let cases = [
            ("Read config file", "Read config file"),
            ("Title: Read config file.", "Read config file"),
            (
                "\"Read config file\"\n\nThis function reads...",
                "Read config file",
            ),
            (
                "Sure! Here is a title:\n**Read config from disk**",
                "Read config from disk",
            ),
            ("  read config as UTF-8 text  ", "Read config as UTF-8 text"),
            (
                "Read config (UTF-8) from disk",
                "Read config (UTF-8) from disk",
            ),
            ("std::fs file helper", "std::fs file helper"),
        ];
        for (raw, want) in cases {
            assert_eq!(clean_title(raw, CODE).as_deref(), Ok(want), "{raw:?}");
        }
    }

    /// Titles the shipped adapters wrote for issue 9, and what a person
    /// would keep of them.
    #[test]
    fn bad_titles_from_the_issue_become_concise() {
        let cases = [
            (
                "Compute binomial coefficients with k steps",
                "Compute binomial coefficients",
            ),
            (
                "Drop the rightmost rightmost element",
                "Drop rightmost element",
            ),
            (
                "Convert a hex string to its hexadecimal string",
                "Convert hex string to hexadecimal",
            ),
            (
                "Capitalize a string with lower-rest",
                "Capitalize string with lower-rest",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(clean_title(raw, CODE).as_deref(), Ok(want), "{raw:?}");
        }
    }

    #[test]
    fn filler_openings_and_words_go() {
        let cases = [
            ("A function to read the config file", "Read config file"),
            ("Function that reads a config file", "Reads config file"),
            ("This code reads the config file", "Reads config file"),
            ("This function will parse the config", "Parse config"),
            ("Snippet that loads the config", "Loads config"),
            ("Helper used to load config", "Load config"),
            ("How to read a config file", "Read config file"),
            ("Sort a list by the given key", "Sort list by key"),
            // A noun that is the subject, not filler.
            ("Code review checklist", "Code review checklist"),
        ];
        for (raw, want) in cases {
            assert_eq!(clean_title(raw, CODE).as_deref(), Ok(want), "{raw:?}");
        }
    }

    #[test]
    fn single_letter_variables_are_code_detail() {
        assert_eq!(
            clean_title("Rotate list by n places", CODE).as_deref(),
            Ok("Rotate list")
        );
        assert_eq!(
            clean_title("Sum of x values", CODE).as_deref(),
            Ok("Sum of values")
        );
    }

    #[test]
    fn one_word_titles_are_rejected() {
        for raw in ["Fibonacci", "The function", "Helper to fibonacci"] {
            let err = clean_title(raw, CODE).unwrap_err();
            assert!(err.reason().contains("word"), "{raw:?}: {err}");
        }
    }

    #[test]
    fn file_name_echo() {
        let file = Some("binomial_coefficient.py");
        let err = clean_title_for_file("Binomial coefficient", CODE, file).unwrap_err();
        assert!(err.reason().contains("file name"), "{err}");
        assert_eq!(
            clean_title_for_file("Load settings from binomial_coefficient.py", CODE, file)
                .as_deref(),
            Ok("Load settings")
        );
        assert_eq!(
            clean_title_for_file("Compute binomial coefficients", CODE, file).as_deref(),
            Ok("Compute binomial coefficients")
        );
        // Without a file name nothing is an echo.
        assert!(clean_title("Binomial coefficient", CODE).is_ok());
    }

    #[test]
    fn long_titles_are_cut_to_six_words() {
        let raw = "Read the whole configuration file from the disk and parse it";
        let title = clean_title(raw, CODE).unwrap();
        assert!(title.split_whitespace().count() <= MAX_TITLE_WORDS);
        // Cut before a phrase, not inside one.
        assert_eq!(title, "Read whole configuration file from disk");
        let cut = clean_title("Read the first 24 bits of a Huffman code", CODE);
        assert_eq!(cut.unwrap(), "Read first 24 bits");
        let cut = clean_title("Print the number of lines in a bash kvkv file", CODE);
        assert_eq!(cut.unwrap(), "Print number of lines");
        // No boundary: cut at six words.
        let cut = clean_title(
            "Build fast immutable persistent sorted hash array mapped trie",
            CODE,
        );
        assert_eq!(cut.unwrap(), "Build fast immutable persistent sorted hash");
        // The cut must not leave "... merge them and".
        let cut = clean_title("Load settings and merge them with defaults", CODE);
        assert_eq!(cut.unwrap(), "Load settings and merge them");
        let dangling = clean_title("Read whole configuration file from the disk", CODE);
        assert_eq!(dangling.unwrap(), "Read whole configuration file from disk");
        let dangling = clean_title("Open file, read header and then close", CODE);
        assert_eq!(dangling.unwrap(), "Open file, read header");
    }

    #[test]
    fn echoed_code_is_rejected() {
        for raw in [
            "fn read_config(path: &Path) -> io::Result<String> {",
            "std::fs::read_to_string(path)",
            "read_config(path)",
            "let x = 1;",
        ] {
            let err = clean_title(raw, CODE).unwrap_err();
            assert!(err.reason().contains("code"), "{raw:?}: {err}");
        }
    }

    #[test]
    fn empty_and_junk_output_is_rejected() {
        for raw in ["", "   \n\n", "<|im_end|>", "\"\"", "Sure!", "```"] {
            assert!(clean_title(raw, CODE).is_err(), "{raw:?}");
        }
        assert!(clean_title("Read \u{0007}config", CODE).is_err());
        assert!(clean_title("Read \u{fffd}\u{fffd} config", CODE).is_err());
        assert!(clean_title("== -- ** ## 42", CODE).is_err());
    }

    #[test]
    fn prompt_echo_is_rejected() {
        assert!(clean_title("Reply with the title only.", CODE).is_err());
    }
}
