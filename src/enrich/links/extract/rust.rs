//! Rust: `use` trees, `extern crate`, and `a::b::c` paths in the code.

use std::sync::LazyLock;

use super::{captures_of, compile, Candidate, Pattern};

const ECOSYSTEMS: &[&str] = &["rust"];

static USE: Pattern = LazyLock::new(|| compile(r"\buse\s+((?:::)?[A-Za-z_][^;]*);"));
static EXTERN_CRATE: Pattern = LazyLock::new(|| compile(r"\bextern\s+crate\s+([A-Za-z_]\w*)"));
static PATH: Pattern = LazyLock::new(|| compile(r"(?:^|[^\w:])([A-Za-z_]\w*(?:::[A-Za-z_]\w*)+)"));

pub(super) fn extract(code: &str) -> Vec<Candidate> {
    let mut imports: Vec<(usize, String)> = Vec::new();
    for (at, tree) in captures_of(&USE, code) {
        let mut paths = Vec::new();
        expand_use_tree(tree.trim_start_matches("::"), "", &mut paths);
        imports.extend(paths.into_iter().map(|path| (at, path)));
    }
    for (at, name) in captures_of(&EXTERN_CRATE, code) {
        imports.push((at, name.to_owned()));
    }
    imports.sort_by_key(|(at, _)| *at);
    let uses = captures_of(&PATH, code)
        .into_iter()
        .map(|(_, path)| path.to_owned());
    imports
        .into_iter()
        .map(|(_, path)| path)
        .chain(uses)
        .map(|path| Candidate::new(ECOSYSTEMS, path))
        .collect()
}

/// `std::{fs, io::{self, Read}}` → `std::fs`, `std::io`, `std::io::Read`.
fn expand_use_tree(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let Some(inner) = tree[open + 1..].trim_end().strip_suffix('}') else {
            return;
        };
        let prefix = join(prefix, head);
        for item in split_top_level(inner) {
            expand_use_tree(item, &prefix, out);
        }
        return;
    }
    let path = tree.split(" as ").next().unwrap_or(tree).trim();
    match path {
        "" => {}
        "self" | "*" => {
            if !prefix.is_empty() {
                out.push(prefix.to_owned());
            }
        }
        _ => {
            let path = path.trim_end_matches("::*");
            out.push(join(prefix, path));
        }
    }
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}::{path}"),
    }
}

/// Splits at commas that are not inside nested braces.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(code: &str) -> Vec<String> {
        extract(code).into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn use_trees_are_expanded() {
        let mut out = Vec::new();
        expand_use_tree(
            "std::{fs, io::{self, Read as _}, collections::*}",
            "",
            &mut out,
        );
        assert_eq!(
            out,
            ["std::fs", "std::io", "std::io::Read", "std::collections"]
        );
    }

    #[test]
    fn imports_then_paths() {
        let code = "extern crate serde;\nuse std::collections::HashMap;\nuse tokio::{fs, sync::mpsc};\n\n#[tokio::main]\nasync fn main() {\n    let t = std::thread::spawn(|| 1);\n    let m: HashMap<u8, u8> = HashMap::new();\n}\n";
        let found = names(code);
        assert_eq!(
            &found[..4],
            [
                "serde",
                "std::collections::HashMap",
                "tokio::fs",
                "tokio::sync::mpsc"
            ]
        );
        assert!(found.contains(&"tokio::main".to_owned()));
        assert!(found.contains(&"std::thread::spawn".to_owned()));
        assert!(found.contains(&"HashMap::new".to_owned()));
    }

    #[test]
    fn prose_has_no_paths() {
        assert!(names("We use the standard library here.").is_empty());
    }
}
