//! Plain data types shared by every layer. Nothing here does IO.

pub mod terminal;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// Row id of a snippet in the store. Stable for the snippet's lifetime.
pub type SnippetId = i64;

/// The four fields that the model may write (and the user may lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Description,
    Tags,
    Links,
}

impl Field {
    pub const ALL: [Field; 4] = [Field::Title, Field::Description, Field::Tags, Field::Links];

    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Description => "description",
            Field::Tags => "tags",
            Field::Links => "links",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a field's current value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "lowercase")]
pub enum Provenance {
    /// Typed or edited by the user.
    User,
    /// Came with the snippet: an import file, Markdown context, or a sample.
    Import,
    /// Written by the local model with a task adapter.
    Model {
        model: String,
        adapter: String,
        version: String,
    },
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::User => f.write_str("user"),
            Provenance::Import => f.write_str("import"),
            Provenance::Model {
                adapter, version, ..
            } => write!(f, "model ({adapter} v{version})"),
        }
    }
}

/// Provenance and lock state of one enrichable field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMeta {
    /// `None` while the field has never been filled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// A locked field is never overwritten by the model.
    #[serde(default)]
    pub locked: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMetas {
    #[serde(default)]
    pub title: FieldMeta,
    #[serde(default)]
    pub description: FieldMeta,
    #[serde(default)]
    pub tags: FieldMeta,
    #[serde(default)]
    pub links: FieldMeta,
}

impl FieldMetas {
    pub fn get(&self, field: Field) -> &FieldMeta {
        match field {
            Field::Title => &self.title,
            Field::Description => &self.description,
            Field::Tags => &self.tags,
            Field::Links => &self.links,
        }
    }

    pub fn get_mut(&mut self, field: Field) -> &mut FieldMeta {
        match field {
            Field::Title => &mut self.title,
            Field::Description => &mut self.description,
            Field::Tags => &mut self.tags,
            Field::Links => &mut self.links,
        }
    }
}

/// Where the snippet's content lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Source {
    /// Added by hand (CLI, TUI, import, sample). The store owns the content.
    Manual,
    /// Cut from a file in a watched folder. The file owns the content.
    File {
        path: PathBuf,
        start_line: u32,
        end_line: u32,
        /// 0 for a whole file; the fence's index within a Markdown file.
        block: u32,
    },
}

impl Source {
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Source::Manual => None,
            Source::File { path, .. } => Some(path),
        }
    }
}

/// A snippet as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snippet {
    pub id: SnippetId,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub links: Vec<String>,
    pub language: String,
    pub content: String,
    pub source: Source,
    #[serde(default)]
    pub meta: FieldMetas,
    /// Kinds of secrets detected in the content (e.g. "aws-access-key").
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// BLAKE3 of the content, hex.
    pub content_hash: String,
}

impl Snippet {
    /// A title to show even when none was written yet.
    pub fn display_title(&self) -> String {
        if !self.title.trim().is_empty() {
            return self.title.clone();
        }
        if let Some(p) = self.source.path() {
            if let Some(name) = p.file_name() {
                return name.to_string_lossy().into_owned();
            }
        }
        let first = self
            .content
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("(empty)");
        first.chars().take(60).collect()
    }

    pub fn has_secrets(&self) -> bool {
        !self.secrets.is_empty()
    }
}

/// What it takes to create a snippet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewSnippet {
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub links: Vec<String>,
    pub language: String,
    pub content: String,
    pub source: Option<Source>,
    pub meta: FieldMetas,
    pub secrets: Vec<String>,
    /// Keep original times on a lossless import; `None` means now.
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

/// `n` and the noun, plural unless `n` is 1: "1 snippet", "3 snippets".
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Hash of snippet content, used to detect changes and to follow renames.
pub fn content_hash(content: &str) -> String {
    blake3::hash(content.as_bytes()).to_hex().to_string()
}

/// Normalise a tag: lowercase; whitespace, `_` and `/` become `-`; only
/// letters, digits and `+#.-` stay; runs of `-` collapse. Returns `None` for
/// a tag with no letter or digit left, or longer than 40 characters. Model
/// output goes through a stricter version (`enrich::normalize_tag`).
pub fn normalize_tag(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let trimmed = trimmed.strip_prefix('#').unwrap_or(trimmed);
    let mut out = String::with_capacity(trimmed.len());
    for c in trimmed.chars().flat_map(char::to_lowercase) {
        let c = if c.is_whitespace() || c == '_' || c == '/' {
            '-'
        } else {
            c
        };
        let allowed = c.is_alphanumeric() || matches!(c, '+' | '#' | '.' | '-');
        if !allowed || (c == '-' && out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    let out = out.trim_matches(['-', '.']);
    if !out.chars().any(char::is_alphanumeric) || out.chars().count() > 40 {
        None
    } else {
        Some(out.to_string())
    }
}

/// Normalise, dedupe and keep order.
pub fn normalize_tags<I, S>(raw: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        for part in t.as_ref().split(',') {
            if let Some(n) = normalize_tag(part) {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
    }
    out
}

/// Current time as Unix milliseconds.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_and_deduped() {
        let tags = normalize_tags(["Rust", " rust ", "#Async IO", "c++", "", "a,b"]);
        assert_eq!(tags, vec!["rust", "async-io", "c++", "a", "b"]);
    }

    #[test]
    fn display_title_falls_back_to_first_line() {
        let s = Snippet {
            id: 1,
            title: String::new(),
            description: String::new(),
            tags: vec![],
            links: vec![],
            language: "text".into(),
            content: "\n\n  hello world  \nmore".into(),
            source: Source::Manual,
            meta: FieldMetas::default(),
            secrets: vec![],
            created_at: 0,
            updated_at: 0,
            content_hash: content_hash("x"),
        };
        assert_eq!(s.display_title(), "hello world");
    }

    #[test]
    fn provenance_serialises_with_tag() {
        let p = Provenance::Model {
            model: "m".into(),
            adapter: "title".into(),
            version: "1".into(),
        };
        let j = serde_json::to_string(&p).unwrap();
        assert!(j.contains("\"by\":\"model\""));
        let back: Provenance = serde_json::from_str(&j).unwrap();
        assert_eq!(back, p);
    }
}
