//! Which extractor and which table ecosystems serve a snippet's language.

/// A language the resolver knows how to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    Python,
    Rust,
    /// JavaScript and TypeScript, browser or Node.
    JavaScript,
    Go,
    C,
    Cpp,
    Java,
    Php,
    Shell,
    /// SQL; `sqlite` picks SQLite's docs over PostgreSQL's.
    Sql {
        sqlite: bool,
    },
}

impl Lang {
    /// The language for a name as snipdex or a fence info string spells it;
    /// `code` settles the SQL dialect when the name does not.
    pub(super) fn detect(language: &str, code: &str) -> Option<Lang> {
        let raw = language.trim().to_ascii_lowercase();
        // A dialect's name says more than the language id it shares.
        match raw.as_str() {
            "sqlite" | "sqlite3" => return Some(Lang::Sql { sqlite: true }),
            "postgresql" | "postgres" | "psql" | "plpgsql" | "pgsql" => {
                return Some(Lang::Sql { sqlite: false })
            }
            _ => {}
        }
        // Every other spelling goes through ingest's one alias table.
        let lang = match crate::ingest::language_from_alias(&raw).unwrap_or(&raw) {
            "python" => Lang::Python,
            "rust" => Lang::Rust,
            "javascript" | "typescript" => Lang::JavaScript,
            "go" => Lang::Go,
            "c" => Lang::C,
            "cpp" => Lang::Cpp,
            "java" => Lang::Java,
            "php" => Lang::Php,
            "shell" | "fish" => Lang::Shell,
            "sql" => Lang::Sql {
                sqlite: looks_like_sqlite(code),
            },
            _ => return None,
        };
        Some(lang)
    }

    /// Table ecosystems to try, in order, for a name the model suggested.
    pub(super) fn ecosystems(self) -> &'static [&'static str] {
        match self {
            Lang::Python => &["python"],
            Lang::Rust => &["rust"],
            Lang::JavaScript => &["node", "npm", "web", "js"],
            Lang::Go => &["go"],
            Lang::C => &["c", "posix"],
            Lang::Cpp => &["cpp", "c", "posix"],
            Lang::Java => &["java"],
            Lang::Php => &["php"],
            Lang::Shell => &["shell"],
            Lang::Sql { sqlite: true } => &["sqlite"],
            Lang::Sql { sqlite: false } => &["postgresql"],
        }
    }
}

/// Statements only SQLite has; everything else gets the PostgreSQL docs,
/// which document standard SQL most thoroughly.
fn looks_like_sqlite(code: &str) -> bool {
    let upper = code.to_ascii_uppercase();
    [
        "PRAGMA ",
        "AUTOINCREMENT",
        "WITHOUT ROWID",
        "SQLITE_",
        "GLOB '",
    ]
    .iter()
    .any(|marker| upper.contains(marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_dialects() {
        assert_eq!(Lang::detect("TypeScript", ""), Some(Lang::JavaScript));
        assert_eq!(Lang::detect(" py ", ""), Some(Lang::Python));
        assert_eq!(Lang::detect("c++", ""), Some(Lang::Cpp));
        assert_eq!(
            Lang::detect("sql", "PRAGMA journal_mode = WAL;"),
            Some(Lang::Sql { sqlite: true })
        );
        assert_eq!(
            Lang::detect("sql", "SELECT 1;"),
            Some(Lang::Sql { sqlite: false })
        );
        assert_eq!(Lang::detect("markdown", "# hi"), None);
        assert_eq!(Lang::detect("", "import os"), None);
    }
}
