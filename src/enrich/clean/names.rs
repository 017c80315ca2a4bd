//! Clean-up of the links task: library and API names, never URLs.
//!
//! The model only names things; the link resolver decides whether a name maps
//! to documentation, so a made-up URL has no way through.

use super::text::{has_junk_chars, strip_decorations, until_stop};
use super::Rejected;

/// The resolver links at most a handful; more names are rambling.
pub const MAX_NAMES: usize = 10;
/// Longer than any real module path worth linking.
const MAX_NAME_CHARS: usize = 64;

/// Words a chatty answer puts between names.
const FILLER: [&str; 12] = [
    "and", "or", "the", "a", "uses", "using", "import", "from", "use", "require", "include",
    "library",
];

/// Distinct identifier-shaped names (`std::fs`, `os.path`, `net/http`,
/// `@scope/pkg`, `stdio.h`, `fetch`) from a comma-, space- or line-separated
/// answer, or why there are none. URLs and prose are dropped.
pub fn clean_link_names(raw: &str) -> Result<Vec<String>, Rejected> {
    let raw = until_stop(raw);
    if has_junk_chars(raw.trim()) {
        return Err(Rejected::new("names contain non-printable characters"));
    }
    let mut names: Vec<String> = Vec::new();
    for piece in raw.split([',', '\n', ';']) {
        let piece = strip_decorations(piece);
        for word in piece.split_whitespace() {
            let Some(name) = clean_name(word) else {
                continue;
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names.truncate(MAX_NAMES);
    if names.is_empty() {
        return Err(Rejected::new("no library or API names"));
    }
    Ok(names)
}

fn clean_name(word: &str) -> Option<String> {
    let lower = word.to_ascii_lowercase();
    if lower.contains("://") || lower.starts_with("www.") || lower.starts_with("http") {
        return None;
    }
    let name = word
        .trim_matches(|c| {
            matches!(
                c,
                '"' | '\'' | '`' | '*' | '<' | '>' | '(' | ')' | '.' | ':'
            )
        })
        .trim_end_matches("()")
        .trim_start_matches("node:");
    let name = name.strip_suffix("!").unwrap_or(name);
    if name.is_empty()
        || name.len() > MAX_NAME_CHARS
        || FILLER.contains(&name.to_ascii_lowercase().as_str())
        || !is_identifier_path(name)
    {
        return None;
    }
    Some(name.to_owned())
}

/// Identifier segments joined by `::`, `.` or `/`, with an optional `@` for
/// npm scopes; segments may contain `-` (package names) but must start with
/// a letter or `_`.
fn is_identifier_path(name: &str) -> bool {
    let body = name.strip_prefix('@').unwrap_or(name);
    body.replace("::", "/").split(['.', '/']).all(|segment| {
        let mut chars = segment.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_extracted_and_deduplicated() {
        let cases: [(&str, &[&str]); 5] = [
            (
                "std::fs, std::io::Read, serde",
                &["std::fs", "std::io::Read", "serde"],
            ),
            (
                "- `os.path`\n- requests\n- json.loads()",
                &["os.path", "requests", "json.loads"],
            ),
            ("fetch, localStorage, fetch", &["fetch", "localStorage"]),
            (
                "uses net/http and encoding/json",
                &["net/http", "encoding/json"],
            ),
            (
                "<stdio.h>, node:fs, @tanstack/react-query",
                &["stdio.h", "fs", "@tanstack/react-query"],
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(clean_link_names(raw).unwrap(), want, "{raw:?}");
        }
    }

    #[test]
    fn urls_and_junk_never_pass() {
        let names =
            clean_link_names("https://docs.rs/serde, www.example.com/x, http://evil.test, serde")
                .unwrap();
        assert_eq!(names, ["serde"]);
        for raw in [
            "",
            "https://docs.python.org/3/",
            "123, $$$, ...",
            "<|im_end|>os",
        ] {
            assert!(clean_link_names(raw).is_err(), "{raw:?}");
        }
        assert!(clean_link_names("os\u{7}").is_err());
    }

    #[test]
    fn names_are_capped() {
        let raw: Vec<String> = (0..30).map(|n| format!("mod{n}")).collect();
        assert_eq!(clean_link_names(&raw.join(", ")).unwrap().len(), MAX_NAMES);
    }
}
