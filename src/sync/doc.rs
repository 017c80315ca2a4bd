//! The git-friendly form of one snippet: `snippets/<uid>.md`, TOML front
//! matter between `+++` lines, then the content in a fenced block.
//!
//! ````text
//! +++
//! format = 1
//! uid = "3f9c0d2a7b41e8aa"
//! title = "Reverse a list"
//! ...
//! [meta.title]
//! locked = true
//!
//! [meta.title.provenance]
//! by = "user"
//! ...
//! [changed]
//! title = 1733230000000
//! ...
//! +++
//!
//! ```python
//! xs[::-1]
//! ```
//! ````
//!
//! One file per snippet keeps two machines that edit different snippets
//! from ever touching the same file; the per-field times in `[changed]`
//! let [`super::merge`] decide between two edits of one field. A deleted
//! snippet leaves a tombstone (`deleted = true`, no content) so that the
//! deletion reaches every machine.

use crate::domain::{content_hash, FieldMetas, Source};
use serde::{Deserialize, Serialize};

/// The format's version; a file from a newer snipdex is refused, not guessed.
pub const FORMAT: u32 = 1;

/// Whether the snippet's generated fields describe its current content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Enrichment {
    /// Nothing was generated for it yet (or enrichment is off there).
    #[default]
    None,
    /// A job is queued: the fields describe older content.
    Pending,
    /// The generated fields were written for this content.
    Current,
}

/// When each mergeable part last changed (Unix ms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Changed {
    pub title: i64,
    pub description: i64,
    pub tags: i64,
    pub links: i64,
    pub language: i64,
    pub content: i64,
}

/// A value that lost a merge, kept so that nothing is silently dropped.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The part that lost: title, description, tags, links, language,
    /// content, or "deleted" for a deletion undone by a later edit.
    pub field: String,
    /// The losing value, as text (lists joined by newlines).
    pub value: String,
    /// Who wrote it: user, import, model.
    pub by: String,
    pub changed_at: i64,
    /// Why the other value won: "locked" or "later".
    pub lost_because: String,
    pub recorded_at: i64,
}

/// The front matter, in the order it is written (values before tables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Front {
    pub format: u32,
    pub uid: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub links: Vec<String>,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub created_at: i64,
    #[serde(default)]
    pub updated_at: i64,
    #[serde(default)]
    pub content_hash: String,
    /// The content does not end with a newline (a fence cannot show that).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_final_newline: bool,
    #[serde(default)]
    pub enrichment: Enrichment,
    /// Synced although it holds a secret: the user said so for this one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub share_secrets: bool,
    /// Where it came from on the machine that wrote it; informational on
    /// the others (a watched file's path means nothing elsewhere).
    #[serde(default = "manual")]
    pub source: Source,
    #[serde(default)]
    pub meta: FieldMetas,
    #[serde(default)]
    pub changed: Changed,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

fn manual() -> Source {
    Source::Manual
}

/// One snippet file: its front matter and content.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub front: Front,
    pub content: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocError {
    #[error("no front matter (a file must start with a `+++` line)")]
    NoFrontMatter,
    #[error("the front matter is not closed by a `+++` line")]
    Unclosed,
    #[error("front matter: {0}")]
    Toml(String),
    #[error("written by a newer snipdex (format {0}, this one reads {FORMAT}); upgrade snipdex")]
    TooNew(u32),
    #[error("no fenced block with the content")]
    NoContent,
    #[error("the uid {found:?} does not match the file name {expected:?}")]
    WrongUid { found: String, expected: String },
}

impl Doc {
    pub fn is_tombstone(&self) -> bool {
        self.front.deleted
    }

    /// The file's text. Deterministic: the same doc always renders to the
    /// same bytes, so an unchanged snippet never makes a diff.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.content.len() + 512);
        out.push_str("+++\n");
        // Serialising plain data to TOML cannot fail; an empty front
        // matter would be refused on reading rather than lose data quietly.
        out.push_str(&toml::to_string(&self.front).unwrap_or_default());
        out.push_str("+++\n");
        if self.front.deleted {
            return out;
        }
        let fence = "`".repeat(longest_backtick_run(&self.content).max(2) + 1);
        out.push('\n');
        out.push_str(&fence);
        out.push_str(&fence_info(&self.front.language));
        out.push('\n');
        out.push_str(&self.content);
        if !self.content.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&fence);
        out.push('\n');
        out
    }

    /// Read a file's text. `expected_uid` is the name it was found under.
    pub fn parse(text: &str, expected_uid: Option<&str>) -> Result<Doc, DocError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let rest = text
            .strip_prefix("+++\n")
            .or_else(|| text.strip_prefix("+++\r\n"))
            .ok_or(DocError::NoFrontMatter)?;
        let (front, body) = split_front(rest)?;
        if front.format > FORMAT {
            return Err(DocError::TooNew(front.format));
        }
        if let Some(expected) = expected_uid {
            if front.uid != expected {
                return Err(DocError::WrongUid {
                    found: front.uid,
                    expected: expected.to_string(),
                });
            }
        }
        if front.deleted {
            return Ok(Doc {
                front,
                content: String::new(),
            });
        }
        let mut content = fenced_body(body).ok_or(DocError::NoContent)?;
        if front.no_final_newline && content.ends_with('\n') {
            content.pop();
        }
        let mut doc = Doc { front, content };
        // A hand edit of the content on the remote: believe the content.
        doc.front.content_hash = content_hash(&doc.content);
        Ok(doc)
    }
}

/// Split at the closing `+++` line and read the front matter. A `+++`
/// line inside a multi-line TOML string is not the end: the first candidate
/// whose text parses is.
fn split_front(rest: &str) -> Result<(Front, &str), DocError> {
    let mut at = 0;
    let mut last = DocError::Unclosed;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            match toml::from_str::<Front>(&rest[..at]) {
                Ok(front) => return Ok((front, &rest[at + line.len()..])),
                Err(e) => last = DocError::Toml(e.to_string()),
            }
        }
        at += line.len();
    }
    Err(last)
}

/// The text between the first fence and its closing fence (same character
/// count or more), with the newline before the closing fence kept.
fn fenced_body(body: &str) -> Option<String> {
    let mut lines = body.split_inclusive('\n');
    let opening = lines.by_ref().find(|l| l.trim_start().starts_with("```"))?;
    let ticks = opening
        .trim_start()
        .chars()
        .take_while(|c| *c == '`')
        .count();
    let mut content = String::new();
    for line in lines {
        let t = line.trim_end();
        if t.len() >= ticks && t.chars().all(|c| c == '`') {
            return Some(content);
        }
        content.push_str(line);
    }
    None
}

fn longest_backtick_run(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// The info string after the fence: the language when it is a plain word.
fn fence_info(language: &str) -> String {
    if !language.is_empty()
        && language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '#' | '.' | '_'))
    {
        language.to_string()
    } else {
        String::new()
    }
}

/// Whether `name` is a snippet file's name, and its uid.
pub fn uid_of_file(name: &str) -> Option<&str> {
    let uid = name.strip_suffix(".md")?;
    (!uid.is_empty() && uid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')).then_some(uid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FieldMeta, Provenance};

    fn doc(content: &str) -> Doc {
        let meta = FieldMetas {
            title: FieldMeta {
                provenance: Some(Provenance::User),
                locked: true,
            },
            tags: FieldMeta {
                provenance: Some(Provenance::Model {
                    model: "smollm2".into(),
                    adapter: "tags".into(),
                    version: "3".into(),
                }),
                locked: false,
            },
            ..FieldMetas::default()
        };
        Doc {
            front: Front {
                format: FORMAT,
                uid: "abc123".into(),
                deleted: false,
                deleted_at: None,
                title: "Say \"hi\"".into(),
                description: "Two lines\nof text".into(),
                tags: vec!["shell".into(), "echo".into()],
                links: vec!["https://example.org/a".into()],
                language: "bash".into(),
                created_at: 1,
                updated_at: 2,
                content_hash: content_hash(content),
                no_final_newline: !content.ends_with('\n'),
                enrichment: Enrichment::Current,
                share_secrets: false,
                source: Source::Manual,
                meta,
                changed: Changed {
                    title: 5,
                    ..Changed::default()
                },
                history: vec![HistoryEntry {
                    field: "title".into(),
                    value: "old".into(),
                    by: "model".into(),
                    changed_at: 3,
                    lost_because: "locked".into(),
                    recorded_at: 4,
                }],
            },
            content: content.to_string(),
        }
    }

    #[test]
    fn render_and_parse_round_trip() {
        for content in [
            "echo hi\n",
            "echo hi",
            "```\nnested fence\n```\n",
            "a ```` run",
            "\n\nleading blank lines\n\n",
            "+++\nlooks like front matter\n+++\n",
            "crlf\r\nline\r\n",
        ] {
            let d = doc(content);
            let text = d.render();
            let back = Doc::parse(&text, Some("abc123")).unwrap();
            assert_eq!(back, d, "{text}");
            assert_eq!(back.render(), text);
        }
    }

    #[test]
    fn tombstones_have_no_content() {
        let mut d = doc("x\n");
        d.front.deleted = true;
        d.front.deleted_at = Some(9);
        d.content.clear();
        let text = d.render();
        assert!(!text.contains("```"), "{text}");
        let back = Doc::parse(&text, None).unwrap();
        assert!(back.is_tombstone());
        assert_eq!(back.front.deleted_at, Some(9));
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        assert_eq!(Doc::parse("hello", None), Err(DocError::NoFrontMatter));
        assert_eq!(
            Doc::parse("+++\nformat = 1\n", None),
            Err(DocError::Unclosed)
        );
        let newer = "+++\nformat = 9\nuid = \"a\"\n+++\n\n```\nx\n```\n";
        assert_eq!(Doc::parse(newer, None), Err(DocError::TooNew(9)));
        let no_block = "+++\nformat = 1\nuid = \"a\"\n+++\n\nno fence\n";
        assert_eq!(Doc::parse(no_block, None), Err(DocError::NoContent));
        let text = doc("x\n").render();
        assert!(matches!(
            Doc::parse(&text, Some("other")),
            Err(DocError::WrongUid { .. })
        ));
        assert!(matches!(
            Doc::parse("+++\nformat = [\n+++\n", None),
            Err(DocError::Toml(_))
        ));
    }

    #[test]
    fn a_hand_edited_content_gets_its_own_hash() {
        let text = doc("old\n").render().replace("old\n", "new\n");
        let back = Doc::parse(&text, None).unwrap();
        assert_eq!(back.content, "new\n");
        assert_eq!(back.front.content_hash, content_hash("new\n"));
    }

    #[test]
    fn file_names_give_uids() {
        assert_eq!(uid_of_file("abc-12.md"), Some("abc-12"));
        assert_eq!(uid_of_file("abc.txt"), None);
        assert_eq!(uid_of_file("../x.md"), None);
        assert_eq!(uid_of_file(".md"), None);
    }
}
