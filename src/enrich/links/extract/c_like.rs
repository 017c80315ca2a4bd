//! Go imports, C/C++ includes, Java imports and PHP built-in calls.

use std::sync::LazyLock;

use super::{captures_of, compile, Candidate, Pattern};

static GO_GROUP: Pattern = LazyLock::new(|| compile(r"(?s)\bimport\s*\(([^)]*)\)"));
static GO_SINGLE: Pattern = LazyLock::new(|| compile(r#"\bimport\s+(?:[\w.]+\s+)?"([^"\n]+)""#));
static QUOTED: Pattern = LazyLock::new(|| compile(r#""([^"\n]+)""#));
static INCLUDE: Pattern =
    LazyLock::new(|| compile(r#"(?m)^[ \t]*#[ \t]*include[ \t]*[<"]([^>"\n]+)[>"]"#));
static JAVA_IMPORT: Pattern = LazyLock::new(|| {
    compile(r"(?m)^[ \t]*import[ \t]+(?:static[ \t]+)?([A-Za-z_][\w.]*?)(?:\.\*)?[ \t]*;")
});
static PHP_CALL: Pattern = LazyLock::new(|| compile(r"([A-Za-z_]\w*)\s*\("));
/// Language constructs that look like calls.
const PHP_KEYWORDS: [&str; 14] = [
    "fn", "function", "if", "elseif", "while", "for", "foreach", "switch", "match", "catch",
    "array", "list", "declare", "use",
];
static PHP_NEW: Pattern = LazyLock::new(|| compile(r"\bnew\s+\\?([A-Z]\w*)"));

pub(super) fn extract_go(code: &str) -> Vec<Candidate> {
    let mut found: Vec<(usize, &str)> = Vec::new();
    for (at, block) in captures_of(&GO_GROUP, code) {
        found.extend(
            captures_of(&QUOTED, block)
                .into_iter()
                .map(|(offset, path)| (at + offset, path)),
        );
    }
    found.extend(captures_of(&GO_SINGLE, code));
    found.sort_by_key(|(at, _)| *at);
    found
        .into_iter()
        .map(|(_, path)| Candidate::new(&["go"], path))
        .collect()
}

pub(super) fn extract_includes(code: &str, ecosystems: &'static [&'static str]) -> Vec<Candidate> {
    captures_of(&INCLUDE, code)
        .into_iter()
        .map(|(_, header)| Candidate::new(ecosystems, header.trim()))
        .collect()
}

pub(super) fn extract_java(code: &str) -> Vec<Candidate> {
    captures_of(&JAVA_IMPORT, code)
        .into_iter()
        .map(|(_, name)| Candidate::new(&["java"], name))
        .collect()
}

/// Calls of free functions (not methods, static calls, variables or
/// definitions), lower-cased as PHP resolves them, and `new Class`.
pub(super) fn extract_php(code: &str) -> Vec<Candidate> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for (at, name) in captures_of(&PHP_CALL, code) {
        let before = code[..at].trim_end();
        let is_free_call = !(before.ends_with("->")
            || before.ends_with("::")
            || before.ends_with(['$', '\\'])
            || ends_with_word(before, "function")
            || ends_with_word(before, "new")
            || PHP_KEYWORDS.contains(&name));
        if is_free_call {
            found.push((at, name.to_ascii_lowercase()));
        }
    }
    found.extend(
        captures_of(&PHP_NEW, code)
            .into_iter()
            .map(|(at, class)| (at, class.to_owned())),
    );
    found.sort_by_key(|(at, _)| *at);
    found
        .into_iter()
        .map(|(_, name)| Candidate::new(&["php"], name))
        .collect()
}

fn ends_with_word(text: &str, word: &str) -> bool {
    text.strip_suffix(word)
        .is_some_and(|head| !head.ends_with(|c: char| c.is_alphanumeric() || c == '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(found: Vec<Candidate>) -> Vec<String> {
        found.into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn go_imports_single_and_grouped() {
        let code = "package main\n\nimport \"fmt\"\n\nimport (\n\t\"net/http\"\n\tjson \"encoding/json\"\n\t_ \"embed\"\n)\n\nfunc main() { fmt.Println(\"hi\") }\n";
        assert_eq!(
            names(extract_go(code)),
            ["fmt", "net/http", "encoding/json", "embed"]
        );
    }

    #[test]
    fn c_includes() {
        let code =
            "#include <stdio.h>\n#  include \"my_header.h\"\n#include <vector>\nint main() {}\n";
        assert_eq!(
            names(extract_includes(code, &["cpp", "c"])),
            ["stdio.h", "my_header.h", "vector"]
        );
    }

    #[test]
    fn java_imports() {
        let code = "import java.util.HashMap;\nimport java.util.*;\nimport static java.lang.Math.max;\nimport com.example.Thing;\n";
        assert_eq!(
            names(extract_java(code)),
            [
                "java.util.HashMap",
                "java.util",
                "java.lang.Math.max",
                "com.example.Thing"
            ]
        );
    }

    #[test]
    fn php_free_calls_only() {
        let code = "<?php\nfunction array_map_twice($f) { return 1; }\n$out = array_map(fn($x) => $x * 2, $items);\n$s = JSON_ENCODE($out);\nreturn trim($s);\n$this->count($x);\nFoo::trim($y);\n$pdo = new \\PDO($dsn);\n";
        let found = names(extract_php(code));
        assert_eq!(found, ["array_map", "json_encode", "trim", "PDO"]);
    }
}
