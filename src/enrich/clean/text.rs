//! Text helpers shared by the per-task clean-ups.

use crate::enrich::prompt::Prompts;
use crate::enrich::task::Task;

/// Markers after which a generation is over even if the engine kept going.
const STOP_MARKERS: [&str; 4] = ["<|im_end|>", "<|endoftext|>", "<|im_start|>", "<|"];

/// Answer labels a chatty model puts before the answer itself.
const LABELS: [&str; 10] = [
    "title",
    "description",
    "summary",
    "tags",
    "tag",
    "keywords",
    "answer",
    "output",
    "libraries",
    "names",
];

/// How a code line starts in the languages snipdex knows; prose does not.
const CODE_STARTS: [&str; 24] = [
    "def ",
    "fn ",
    "pub fn",
    "func ",
    "function ",
    "class ",
    "import ",
    "from ",
    "use ",
    "let ",
    "const ",
    "var ",
    "return ",
    "#include",
    "#!",
    "public ",
    "private ",
    "static ",
    "package ",
    "SELECT ",
    "INSERT ",
    "CREATE ",
    "<?php",
    "$ ",
];

/// Cuts the generation at the first special token.
pub(super) fn until_stop(raw: &str) -> &str {
    let end = STOP_MARKERS
        .iter()
        .filter_map(|marker| raw.find(marker))
        .min()
        .unwrap_or(raw.len());
    &raw[..end]
}

/// Control characters, replacement characters and private-use glyphs are
/// what a sampling accident or a byte-level tokenizer glitch looks like.
pub(super) fn has_junk_chars(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || c == '\u{fffd}'
            || ('\u{e000}'..='\u{f8ff}').contains(&c)
    })
}

/// Whether fewer than half of the visible characters are letters, or none.
pub(super) fn mostly_non_letters(text: &str) -> bool {
    let visible = text.chars().filter(|c| !c.is_whitespace()).count();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    letters == 0 || letters * 2 < visible
}

/// Whether a line is a chatty lead-in ("Sure! Here is a title:") rather than
/// the answer.
pub(super) fn is_preamble(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    let chatty = [
        "sure",
        "here is",
        "here's",
        "okay",
        "ok,",
        "certainly",
        "of course",
    ]
    .iter()
    .any(|start| lower.starts_with(start));
    chatty && (lower.ends_with(':') || lower.len() < 12)
}

/// Strips Markdown list markers, headings, quotes, emphasis and an answer
/// label ("Title:", "**Description**:") from the edges of one line.
pub(super) fn strip_decorations(line: &str) -> String {
    let mut text = line.trim().replace("**", "");
    loop {
        let before = text.len();
        let trimmed = text.trim().trim_start_matches(['#', '>']).trim_start();
        let trimmed = strip_list_marker(trimmed);
        let trimmed = strip_label(trimmed);
        let trimmed = strip_wrapping(trimmed);
        text = trimmed.trim().to_owned();
        if text.len() == before {
            return text;
        }
    }
}

fn strip_list_marker(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix(['-', '*', '•']) {
        if rest.starts_with(' ') {
            return rest.trim_start();
        }
    }
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < 3 {
        let rest = &text[digits..];
        if let Some(rest) = rest.strip_prefix(['.', ')']) {
            if rest.starts_with(' ') {
                return rest.trim_start();
            }
        }
    }
    text
}

fn strip_label(text: &str) -> &str {
    let Some((head, rest)) = text.split_once([':', '-', '–']) else {
        return text;
    };
    let head = head.trim().to_lowercase();
    let head = head.strip_prefix("the ").unwrap_or(&head);
    let head = head.strip_prefix("short ").unwrap_or(head);
    if LABELS.contains(&head) {
        rest.trim_start()
    } else {
        text
    }
}

fn strip_wrapping(text: &str) -> &str {
    const PAIRS: [(char, char); 6] = [
        ('"', '"'),
        ('\'', '\''),
        ('`', '`'),
        ('“', '”'),
        ('‘', '’'),
        ('*', '*'),
    ];
    for (open, close) in PAIRS {
        if let Some(inner) = text
            .strip_prefix(open)
            .and_then(|rest| rest.strip_suffix(close))
        {
            return inner;
        }
    }
    // An unbalanced quote at either end is debris from a cut generation.
    text.trim_matches(|c| matches!(c, '"' | '“' | '”'))
}

/// Upper-cases the first letter when the first word is a plain lowercase
/// word; identifiers such as `useEffect` or `std::fs` keep their case.
pub(super) fn capitalise(text: &str) -> String {
    let first_word = text.split_whitespace().next().unwrap_or("");
    if !first_word.chars().all(|c| c.is_lowercase()) {
        return text.to_owned();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether `text` reads as source code rather than prose.
pub(super) fn looks_like_code(text: &str) -> bool {
    if CODE_STARTS.iter().any(|start| text.starts_with(start)) {
        return true;
    }
    if text.contains(['{', '}', ';']) || text.contains("=>") || text.contains(" = ") {
        return true;
    }
    // A call: an identifier directly followed by an opening parenthesis.
    let bytes = text.as_bytes();
    bytes
        .windows(2)
        .any(|pair| pair[1] == b'(' && (pair[0].is_ascii_alphanumeric() || pair[0] == b'_'))
}

/// Whether `text` is (nearly) a line of `code`: the same identifiers, or a
/// verbatim piece of it. Comments and docstrings are left out of the
/// comparison: a title taken from the snippet's own doc comment is a good
/// title, not an echo.
pub(super) fn echoes_code(text: &str, code: &str) -> bool {
    let lines: Vec<&str> = code
        .lines()
        .map(str::trim)
        .filter(|line| !is_comment(line) && looks_like_code(line))
        .collect();
    let squeezed = squeeze(text);
    if squeezed.chars().count() >= 12 && squeeze(&lines.join("\n")).contains(&squeezed) {
        return true;
    }
    let words = word_set(text);
    if words.len() < 2 {
        return false;
    }
    lines.iter().any(|line| {
        let line_words = word_set(line);
        let shared = words.iter().filter(|w| line_words.contains(w)).count();
        let union = words.len() + line_words.len() - shared;
        union > 0 && shared * 5 >= union * 4
    })
}

fn is_comment(line: &str) -> bool {
    const MARKERS: [&str; 8] = ["#", "//", "/*", "*", "--", ";", "\"\"\"", "'''"];
    MARKERS.iter().any(|marker| line.starts_with(marker)) && !line.starts_with("#include")
}

/// Whether `text` repeats the system message or an instruction instead of
/// answering it.
pub(super) fn echoes_prompt(text: &str) -> bool {
    let lower = text.to_lowercase();
    let phrases = [
        "one sentence",
        "comma-separated",
        "reply with",
        "snippet library",
    ];
    if phrases.iter().any(|phrase| lower.contains(phrase)) {
        return true;
    }
    let words = word_set(text);
    if words.len() < 4 {
        return false;
    }
    let prompts = Prompts::embedded();
    let mut templates: Vec<&str> = Task::ALL.iter().map(|t| prompts.instruction(*t)).collect();
    templates.push(prompts.system());
    templates.into_iter().any(|template| {
        let template_words = word_set(template);
        let shared = words.iter().filter(|w| template_words.contains(w)).count();
        shared * 10 >= words.len() * 7
    })
}

fn squeeze(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn word_set(text: &str) -> Vec<String> {
    let mut words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.sort();
    words.dedup();
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorations_and_labels_are_stripped() {
        let cases = [
            ("**Title:** Parse CLI args", "Parse CLI args"),
            ("# \"Read a file\"", "Read a file"),
            ("- `Sort by key`", "Sort by key"),
            ("1. Description: Reads a file.", "Reads a file."),
            ("“Debounce events”", "Debounce events"),
            ("The title - Merge two maps", "Merge two maps"),
            ("Merge two maps - fast", "Merge two maps - fast"),
        ];
        for (raw, want) in cases {
            assert_eq!(strip_decorations(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn generation_stops_at_special_tokens() {
        assert_eq!(until_stop("Read a file<|im_end|>\nmore"), "Read a file");
        assert_eq!(until_stop("plain"), "plain");
    }

    #[test]
    fn code_is_recognised() {
        assert!(looks_like_code("let x = read();"));
        assert!(looks_like_code("def main():"));
        assert!(looks_like_code("open(path)"));
        assert!(!looks_like_code("Read a file (UTF-8) into a string"));
    }

    #[test]
    fn echoes_are_detected() {
        let code =
            "def read_config(path):\n    with open(path) as f:\n        return json.load(f)\n";
        assert!(echoes_code("def read_config(path)", code));
        assert!(echoes_code("return json.load(f)", code));
        assert!(!echoes_code("Load a JSON config file", code));
        // Doc comments are the author's own words, not code.
        let documented = "# Read the config file\ndef read_config(path):\n    \"\"\"Load the JSON config file (UTF-8).\"\"\"\n";
        assert!(!echoes_code("Read the config file", documented));
        assert!(!echoes_code(
            "Load the JSON config file (UTF-8)",
            documented
        ));
        assert!(echoes_code("def read_config(path)", documented));
        assert!(echoes_prompt("Reply with the title only"));
        assert!(!echoes_prompt("Loads a JSON config file from disk."));
    }

    #[test]
    fn capitalisation_spares_identifiers() {
        assert_eq!(capitalise("reads a file"), "Reads a file");
        assert_eq!(capitalise("useEffect cleanup"), "useEffect cleanup");
        assert_eq!(capitalise("std::fs helpers"), "std::fs helpers");
    }
}
