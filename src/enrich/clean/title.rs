//! Title clean-up: one short line of prose.

use super::text::{
    capitalise, echoes_code, echoes_prompt, has_junk_chars, is_preamble, looks_like_code,
    mostly_non_letters, strip_decorations, until_stop,
};
use super::Rejected;

/// Titles longer than this are cut; a title is a handle, not a summary.
pub const MAX_TITLE_WORDS: usize = 8;

/// Words a cut title must not end on ("Read a file and").
const DANGLING: [&str; 14] = [
    "a", "an", "the", "and", "or", "of", "to", "in", "for", "with", "from", "by", "on", "at",
];

/// The first answer line of `raw` as a title of at most
/// [`MAX_TITLE_WORDS`] words, or why there is none.
pub fn clean_title(raw: &str, code: &str) -> Result<String, Rejected> {
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
    let mut words: Vec<&str> = text.split_whitespace().take(MAX_TITLE_WORDS).collect();
    while words.len() > 1 {
        let last = words[words.len() - 1].to_lowercase();
        if DANGLING.contains(&last.as_str()) {
            words.pop();
        } else {
            break;
        }
    }
    let title = words
        .join(" ")
        .trim_end_matches(['.', ',', ';', ':', '-', '–', '…'])
        .trim_end()
        .to_owned();
    if title.is_empty() || mostly_non_letters(&title) {
        return Err(Rejected::new(format!("title is not text: {title:?}")));
    }
    Ok(capitalise(&title))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "fn read_config(path: &Path) -> io::Result<String> {\n    std::fs::read_to_string(path)\n}\n";

    #[test]
    fn good_titles_are_kept_and_tidied() {
        let cases = [
            ("Read a config file", "Read a config file"),
            ("Title: Read a config file.", "Read a config file"),
            (
                "\"Read a config file\"\n\nThis function reads...",
                "Read a config file",
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

    #[test]
    fn long_titles_are_cut_to_eight_words() {
        let raw = "Read the whole configuration file from the disk and parse it";
        let title = clean_title(raw, CODE).unwrap();
        assert!(title.split_whitespace().count() <= MAX_TITLE_WORDS);
        // The cut must not leave "... from the".
        assert_eq!(title, "Read the whole configuration file from the disk");
        let dangling = clean_title("Read the whole configuration file from the disk", CODE);
        assert_eq!(dangling.unwrap().split_whitespace().count(), 8);
        let cut = clean_title("Load the settings and then merge them with defaults", CODE);
        assert_eq!(cut.unwrap(), "Load the settings and then merge them");
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
