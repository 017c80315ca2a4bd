//! Turns a doc comment or docstring into one clean sentence: the label the
//! adapters learn to write.

use std::sync::LazyLock;

use regex::Regex;

/// Longest first sentence kept; longer ones are usually a paragraph that
/// lost its full stop.
const MAX_CHARS: usize = 400;

static JSDOC_LINK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\{@(?:link|linkcode|linkplain|code)\s+([^}|\s]+)(?:[\s|]+([^}]+))?\}").ok()
});
static MD_LINK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // `[text](url)`, `[text][ref]` and rustdoc's bare `[text]`.
    Regex::new(r"\[([^\[\]]+)\](?:\([^)]*\)|\[[^\]]*\])?").ok()
});
static CODE_LINK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // rustdoc's [`Name`] and [`Name`](path) links.
    Regex::new(r"\[(`[^`]+`)\](?:\([^)]*\)|\[[^\]]*\])?").ok()
});
static REST_ROLE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r":[a-z:]+:`~?([^`]+)`").ok());
static EMPHASIS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\*\*([^*]+)\*\*|__([^_]+)__").ok());
static HTML_TAG: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)</?(?:code|b|i|em|strong|p|br|tt|a|pre|span)(?:\s[^>]*)?/?>").ok()
});
static SIGNATURE_LINE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[\w.]+\(.*\)(\s*->.*)?$").ok());

/// The cleaned first sentence of `raw` (comment markers already removed),
/// or `None` when it holds no usable description.
pub fn first_sentence(raw: &str) -> Option<String> {
    let paragraph = first_paragraph(raw);
    let text = strip_markup(&paragraph);
    if is_legal_boilerplate(&text) {
        return None;
    }
    let sentence = cut_sentence(&text).trim().to_owned();
    let words = sentence.split_whitespace().count();
    let has_letters = sentence.chars().any(char::is_alphabetic);
    (words >= 2 && has_letters && sentence.chars().count() <= MAX_CHARS).then_some(sentence)
}

fn first_paragraph(raw: &str) -> String {
    let mut lines = Vec::new();
    for line in raw.lines().map(str::trim) {
        if line.is_empty() {
            if lines.is_empty() {
                continue;
            }
            break;
        }
        // Tags, section headers and examples end the summary.
        let lower = line.to_ascii_lowercase();
        if line.starts_with('@')
            || line.starts_with("```")
            || line.starts_with(">>>")
            || line.starts_with("# ")
            || lower.starts_with(":param")
            || lower.starts_with(":return")
            || [
                "args:",
                "arguments:",
                "returns:",
                "parameters",
                "example:",
                "examples:",
            ]
            .contains(&lower.as_str())
        {
            break;
        }
        // Some docstrings open with the call signature on its own line.
        if lines.is_empty()
            && SIGNATURE_LINE.as_ref().is_some_and(|re| re.is_match(line))
            && !line.contains(' ')
        {
            continue;
        }
        lines.push(line);
    }
    lines.join(" ")
}

fn strip_markup(text: &str) -> String {
    let mut text = text.to_owned();
    if let Some(re) = JSDOC_LINK.as_ref() {
        text = re
            .replace_all(&text, |c: &regex::Captures| {
                c.get(2).map_or(&c[1], |m| m.as_str()).trim().to_owned()
            })
            .into_owned();
    }
    for (re, with) in [(&CODE_LINK, "$1"), (&REST_ROLE, "`$1`")] {
        if let Some(re) = re.as_ref() {
            text = re.replace_all(&text, with).into_owned();
        }
    }
    text = text.replace("``", "`");
    // Plain links only outside code spans: `[lo, hi]` is code, not a link.
    if let Some(re) = MD_LINK.as_ref() {
        text = text
            .split('`')
            .enumerate()
            .map(|(i, part)| match i % 2 {
                0 => re.replace_all(part, "$1").into_owned(),
                _ => part.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("`");
    }
    for (re, with) in [(&EMPHASIS, "$1$2"), (&HTML_TAG, "")] {
        if let Some(re) = re.as_ref() {
            text = re.replace_all(&text, with).into_owned();
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_legal_boilerplate(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("copyright")
        || lower.starts_with("(c)")
        || [
            "spdx-license",
            "licensed under",
            "permission is hereby granted",
            "all rights reserved",
            "this file is part of",
            "the author disclaims copyright",
        ]
        .iter()
        .any(|m| lower.contains(m))
}

/// Everything up to the first sentence end outside backticks.
fn cut_sentence(text: &str) -> &str {
    let bytes = text.as_bytes();
    let mut in_code = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'`' => in_code = !in_code,
            b'.' | b'!' | b'?' if !in_code => {
                let at_end = i + 1 == bytes.len();
                let then_space = bytes.get(i + 1).is_some_and(u8::is_ascii_whitespace);
                if (at_end || then_space) && !is_abbreviation(&text[..i]) {
                    return &text[..=i];
                }
            }
            _ => {}
        }
    }
    text
}

fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(' ')
        .next()
        .unwrap_or(before)
        .to_ascii_lowercase();
    matches!(
        word.as_str(),
        "e.g" | "i.e" | "etc" | "vs" | "cf" | "approx" | "resp" | "incl" | "no" | "mr" | "dr"
    ) || word.len() == 1 && word.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        for re in [
            &JSDOC_LINK,
            &MD_LINK,
            &REST_ROLE,
            &EMPHASIS,
            &HTML_TAG,
            &SIGNATURE_LINE,
        ] {
            assert!(re.is_some());
        }
    }

    #[test]
    fn keeps_the_first_sentence_and_strips_markup() {
        let raw = "Returns the [`Span`] of this [token](Token), e.g. a keyword.\nMore text.";
        assert_eq!(
            first_sentence(raw).as_deref(),
            Some("Returns the `Span` of this token, e.g. a keyword.")
        );
    }

    #[test]
    fn drops_tags_roles_and_signature_lines() {
        let raw = "parse(text)\n\nParse :class:`Version` from **text**\n@param text input";
        assert_eq!(
            first_sentence(raw).as_deref(),
            Some("Parse `Version` from text")
        );
        assert_eq!(
            first_sentence("Uses {@link Foo#bar the bar}. Next.").as_deref(),
            Some("Uses the bar.")
        );
    }

    #[test]
    fn rejects_licences_and_fragments() {
        assert_eq!(first_sentence("Copyright 2020 Someone. MIT."), None);
        assert_eq!(first_sentence("SPDX-License-Identifier: MIT"), None);
        assert_eq!(first_sentence("TODO"), None);
        assert_eq!(first_sentence("\n\n"), None);
        assert_eq!(first_sentence(&"word ".repeat(200)), None);
    }

    #[test]
    fn a_dot_inside_backticks_does_not_end_the_sentence() {
        assert_eq!(
            first_sentence("Calls `a.b()` twice. Then stops.").as_deref(),
            Some("Calls `a.b()` twice.")
        );
    }
}
