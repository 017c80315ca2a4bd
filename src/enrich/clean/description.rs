//! Description clean-up: exactly one sentence of prose.

use super::text::{
    capitalise, echoes_code, echoes_prompt, has_junk_chars, is_preamble, mostly_non_letters,
    strip_decorations, until_stop,
};
use super::Rejected;

/// Fewer words than this say nothing ("Reads a config file." is the floor).
pub const MIN_DESCRIPTION_WORDS: usize = 4;
/// More words than this are a paragraph squeezed into one sentence.
pub const MAX_DESCRIPTION_WORDS: usize = 40;

/// Abbreviations whose period does not end a sentence.
const ABBREVIATIONS: [&str; 8] = ["e.g", "i.e", "vs", "cf", "approx", "incl", "resp", "w.r.t"];

/// Characters of code syntax; prose has few of them.
const CODE_PUNCTUATION: &str = "{}[]();=<>|&$";

/// The first sentence of `raw`, capitalised and ending with a period, or why
/// there is none.
pub fn clean_description(raw: &str, code: &str) -> Result<String, Rejected> {
    let raw = until_stop(raw);
    if has_junk_chars(raw.trim()) {
        return Err(Rejected::new(
            "description contains non-printable characters",
        ));
    }
    let paragraph = first_paragraph(raw);
    let text = strip_decorations(&paragraph);
    let sentence = first_sentence(&text)
        .trim_end_matches(['.', '!', '?', ',', ';', ':', '…', ' '])
        .trim();
    if sentence.is_empty() {
        return Err(Rejected::new("description is empty"));
    }
    if mostly_non_letters(sentence) {
        return Err(Rejected::new(format!(
            "description is not text: {sentence:?}"
        )));
    }
    let words = sentence.split_whitespace().count();
    if !(MIN_DESCRIPTION_WORDS..=MAX_DESCRIPTION_WORDS).contains(&words) {
        return Err(Rejected::new(format!(
            "description has {words} words, outside \
             {MIN_DESCRIPTION_WORDS}..={MAX_DESCRIPTION_WORDS}"
        )));
    }
    if is_code_like(sentence) || echoes_code(sentence, code) {
        return Err(Rejected::new(format!(
            "description echoes code: {sentence:?}"
        )));
    }
    if echoes_prompt(sentence) {
        return Err(Rejected::new(format!(
            "description echoes the prompt: {sentence:?}"
        )));
    }
    Ok(format!("{}.", capitalise(sentence)))
}

/// The answer's first paragraph with its lines joined: small models wrap
/// long sentences, and what follows a blank line or a fence is an aside.
fn first_paragraph(raw: &str) -> String {
    let lines = raw
        .lines()
        .map(str::trim)
        .skip_while(|line| line.is_empty() || is_preamble(line))
        .take_while(|line| !line.is_empty() && !line.starts_with("```"));
    lines.collect::<Vec<_>>().join(" ")
}

/// Text up to the first `.`, `!` or `?` that ends a sentence: followed by a
/// space or the end, and not the period of an abbreviation. Decimals and
/// dotted names (`3.5`, `os.path`) have no space after the dot.
fn first_sentence(text: &str) -> &str {
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let next = chars.peek().map(|&(_, next)| next);
        if next.is_some_and(|next| !next.is_whitespace()) {
            continue;
        }
        let head = &text[..index];
        if c == '.' && ends_with_abbreviation(head) {
            continue;
        }
        if c == '.' && head.ends_with("etc") && continues_lowercase(&text[index + 1..]) {
            continue;
        }
        return &text[..index + c.len_utf8()];
    }
    text
}

fn ends_with_abbreviation(head: &str) -> bool {
    let last_word = head
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("")
        .to_lowercase();
    ABBREVIATIONS.contains(&last_word.as_str())
}

fn continues_lowercase(rest: &str) -> bool {
    rest.trim_start()
        .chars()
        .next()
        .is_some_and(|c| c.is_lowercase())
}

fn is_code_like(sentence: &str) -> bool {
    if sentence.contains(['{', '}', ';']) || sentence.contains("=>") {
        return true;
    }
    let visible = sentence.chars().filter(|c| !c.is_whitespace()).count();
    let syntax = sentence
        .chars()
        .filter(|c| CODE_PUNCTUATION.contains(*c))
        .count();
    syntax * 8 > visible
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str =
        "import json\n\ndef load(path):\n    with open(path) as f:\n        return json.load(f)\n";

    #[test]
    fn good_descriptions_are_kept_and_tidied() {
        let cases = [
            (
                "Loads a JSON file and returns the parsed object.",
                "Loads a JSON file and returns the parsed object.",
            ),
            (
                "loads a JSON file and returns the parsed object",
                "Loads a JSON file and returns the parsed object.",
            ),
            (
                "Description: Loads a JSON file from disk! It uses json.load.",
                "Loads a JSON file from disk.",
            ),
            (
                "Sure, here is a description:\n\nLoads a JSON file\nfrom the given path.\n\nExample:",
                "Loads a JSON file from the given path.",
            ),
            (
                "Uses `json.load` to parse a config file",
                "Uses `json.load` to parse a config file.",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(clean_description(raw, CODE).as_deref(), Ok(want), "{raw:?}");
        }
    }

    #[test]
    fn one_sentence_cut_respects_abbreviations_and_decimals() {
        let raw = "Parses config formats, e.g. JSON or TOML, i.e. text files. Then caches them.";
        assert_eq!(
            clean_description(raw, CODE).unwrap(),
            "Parses config formats, e.g. JSON or TOML, i.e. text files."
        );
        let raw = "Rounds prices to 2.5 percent steps using os.path data. Second.";
        assert_eq!(
            clean_description(raw, CODE).unwrap(),
            "Rounds prices to 2.5 percent steps using os.path data."
        );
        let raw = "Reads files, dirs, etc. and returns their sizes. More text.";
        assert_eq!(
            clean_description(raw, CODE).unwrap(),
            "Reads files, dirs, etc. and returns their sizes."
        );
    }

    #[test]
    fn word_count_is_bounded() {
        assert!(clean_description("Loads JSON.", CODE).is_err());
        assert!(clean_description("Loads a JSON file.", CODE).is_ok());
        let long = format!("Loads {} file.", "a very big JSON ".repeat(12));
        let err = clean_description(&long, CODE).unwrap_err();
        assert!(err.reason().contains("words"));
    }

    #[test]
    fn echoes_and_junk_are_rejected() {
        for raw in [
            "def load(path):",
            "with open(path) as f: return json.load(f)",
            "if (x) { return y; }",
            "In one sentence, say what this code does.",
            "",
            "<|im_end|>",
            "... --- ...",
            "Loads \u{fffd} a \u{0001} file from disk.",
        ] {
            assert!(clean_description(raw, CODE).is_err(), "{raw:?}");
        }
    }
}
