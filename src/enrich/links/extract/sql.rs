//! SQL: statements and features, named as the doc-link table names them.

use std::sync::LazyLock;

use regex::Regex;

use super::{compile, Candidate};

/// (pattern, feature name), tried on the whole snippet, case-insensitively.
const FEATURES: [(&str, &str); 15] = [
    (r"\bWITH\s+RECURSIVE\b", "WITH RECURSIVE"),
    (
        r"\bWITH\s+\w+(?:\s*\([^)]*\))?\s+AS\s*(?:NOT\s+)?(?:MATERIALIZED\s*)?\(",
        "WITH",
    ),
    (r"\bSELECT\b", "SELECT"),
    (r"\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b", "INSERT"),
    (r"\bON\s+CONFLICT\b", "UPSERT"),
    (r"\bUPDATE\s+\w+(?:\.\w+)?\s+SET\b", "UPDATE"),
    (r"\bDELETE\s+FROM\b", "DELETE"),
    (r"\bOVER\s*\(|\bWINDOW\s+\w+\s+AS\b", "WINDOW"),
    (r"\bJOIN\b", "JOIN"),
    (
        r"\bCREATE\s+(?:TEMP(?:ORARY)?\s+|UNLOGGED\s+)?TABLE\b",
        "CREATE TABLE",
    ),
    (r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\b", "CREATE INDEX"),
    (
        r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?VIEW\b",
        "CREATE VIEW",
    ),
    (
        r"\bCREATE\s+(?:OR\s+REPLACE\s+)?TRIGGER\b",
        "CREATE TRIGGER",
    ),
    (r"\bALTER\s+TABLE\b", "ALTER TABLE"),
    (r"\b(?:EXPLAIN|PRAGMA)\b", "EXPLAIN"),
];

static PATTERNS: LazyLock<Vec<(Option<Regex>, &'static str)>> = LazyLock::new(|| {
    FEATURES
        .iter()
        .map(|(pattern, name)| (compile(&format!("(?i){pattern}")), *name))
        .collect()
});

static PRAGMA: LazyLock<Option<Regex>> = LazyLock::new(|| compile(r"(?i)\bPRAGMA\b"));

/// Features in order of first appearance. `SELECT` inside a CTE comes after
/// the `WITH` that introduces it, which is the more specific page.
pub(super) fn extract(code: &str, ecosystems: &'static [&'static str]) -> Vec<Candidate> {
    let code = strip_line_comments(code);
    let mut found: Vec<(usize, &str)> = Vec::new();
    for (regex, name) in PATTERNS.iter() {
        let Some(first) = regex.as_ref().and_then(|r| r.find(&code)) else {
            continue;
        };
        // EXPLAIN and PRAGMA share a pattern; name the one that matched.
        let name =
            if *name == "EXPLAIN" && PRAGMA.as_ref().is_some_and(|p| p.is_match(first.as_str())) {
                "PRAGMA"
            } else {
                name
            };
        found.push((first.start(), name));
    }
    found.sort_by_key(|(at, _)| *at);
    // `WITH RECURSIVE` also matches the plain `WITH` pattern at the same place.
    if found.iter().any(|(_, name)| *name == "WITH RECURSIVE") {
        found.retain(|(_, name)| *name != "WITH");
    }
    found
        .into_iter()
        .map(|(_, name)| Candidate::new(ecosystems, name))
        .collect()
}

/// Keywords in `-- comments` describe the query, they are not in it.
fn strip_line_comments(code: &str) -> String {
    code.lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(code: &str) -> Vec<String> {
        extract(code, &["postgresql"])
            .into_iter()
            .map(|c| c.name)
            .collect()
    }

    #[test]
    fn recursive_cte_with_window_function() {
        let code = "-- walk the org chart, then rank\nwith recursive tree(id, depth) as (\n  select id, 0 from staff where boss is null\n  union all\n  select s.id, t.depth + 1 from staff s join tree t on s.boss = t.id\n)\nselect id, rank() over (order by depth) from tree;\n";
        assert_eq!(names(code), ["WITH RECURSIVE", "SELECT", "JOIN", "WINDOW"]);
    }

    #[test]
    fn ddl_and_upsert() {
        let code = "PRAGMA foreign_keys = ON;\nCREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT);\nINSERT INTO kv (k, v) VALUES (?1, ?2)\n  ON CONFLICT(k) DO UPDATE SET v = excluded.v;\n";
        assert_eq!(names(code), ["PRAGMA", "CREATE TABLE", "INSERT", "UPSERT"]);
    }

    #[test]
    fn prose_and_comments_have_no_statements() {
        assert!(names("Notes on the schema we discussed.").is_empty());
        assert!(names("-- SELECT everything later\n").is_empty());
    }
}
