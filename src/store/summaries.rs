//! Lightweight rows for list views: what a list needs to draw and filter a
//! snippet, without its content, so that a large library loads fast.

use super::{Result, Store};
use crate::domain::SnippetId;
use std::path::PathBuf;

/// A snippet as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetSummary {
    pub id: SnippetId,
    /// What [`crate::domain::Snippet::display_title`] would show.
    pub title: String,
    pub language: String,
    pub tags: Vec<String>,
    /// The source file of a file-backed snippet.
    pub path: Option<PathBuf>,
    pub start_line: Option<u32>,
    /// Unix milliseconds.
    pub updated_at: i64,
    pub has_secrets: bool,
}

/// How much content is read to find a fallback title: enough for any sane
/// first line, little enough that 100,000 rows stay cheap.
const TITLE_PROBE_CHARS: i64 = 400;

impl Store {
    /// Every snippet as a summary, most recently updated first. One query.
    pub fn summaries(&self) -> Result<Vec<SnippetSummary>> {
        self.recent_summaries(None)
    }

    /// The `limit` most recently updated snippets as summaries (all of them
    /// for `None`): enough for a first screen without reading the library.
    pub fn recent_summaries(&self, limit: Option<usize>) -> Result<Vec<SnippetSummary>> {
        // SQLite reads a negative LIMIT as "no limit".
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        // Tags are normalised to a charset without commas, so a comma joins
        // them losslessly; `ORDER BY position` keeps the user's tag order.
        let mut stmt = self.conn().prepare(
            "SELECT s.id, s.title, s.language, s.source_path, s.source_start, s.updated_at,
                    json_array_length(s.secrets) > 0,
                    CASE WHEN trim(s.title) = '' AND s.source_path IS NULL
                         THEN substr(s.content, 1, ?1) END,
                    (SELECT group_concat(tag, ',' ORDER BY position)
                       FROM snippet_tags WHERE snippet_id = s.id)
             FROM snippets s
             ORDER BY s.updated_at DESC, s.id DESC
             LIMIT ?2",
        )?;
        let rows = stmt.query_map([TITLE_PROBE_CHARS, limit], |r| {
            let title: String = r.get(1)?;
            let path: Option<String> = r.get(3)?;
            let probe: Option<String> = r.get(7)?;
            let tags: Option<String> = r.get(8)?;
            let path = path.map(PathBuf::from);
            Ok(SnippetSummary {
                id: r.get(0)?,
                title: fallback_title(title, path.as_ref(), probe.as_deref()),
                language: r.get(2)?,
                tags: tags
                    .map(|t| t.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
                path,
                start_line: r.get(4)?,
                updated_at: r.get(5)?,
                has_secrets: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A number that changes whenever another connection (in this process or
    /// another) commits to the database; cheap enough to poll every second.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }
}

/// Mirrors `Snippet::display_title` on the columns a summary reads.
fn fallback_title(title: String, path: Option<&PathBuf>, probe: Option<&str>) -> String {
    if !title.trim().is_empty() {
        return title;
    }
    if let Some(name) = path.and_then(|p| p.file_name()) {
        return name.to_string_lossy().into_owned();
    }
    let first = probe
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(empty)");
    first.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{NewSnippet, Source};
    use crate::store::SnippetPatch;

    fn new(title: &str, content: &str, tags: &[&str]) -> NewSnippet {
        NewSnippet {
            title: title.into(),
            content: content.into(),
            language: "rust".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..NewSnippet::default()
        }
    }

    #[test]
    fn summaries_agree_with_full_rows() {
        let store = Store::open_in_memory().unwrap();
        let a = store
            .insert(&new("Alpha", "fn a() {}", &["zeta", "alpha"]))
            .unwrap();
        let mut n = new("", "\n\n   first line here  \nsecond", &[]);
        n.secrets = vec!["aws-access-key".into()];
        n.updated_at = Some(a.updated_at + 10);
        let b = store.insert(&n).unwrap();
        let mut f = new("", "x", &["io"]);
        f.source = Some(Source::File {
            path: PathBuf::from("src/lib.rs"),
            start_line: 7,
            end_line: 9,
            block: 0,
        });
        f.updated_at = Some(a.updated_at - 10);
        let c = store.insert(&f).unwrap();

        let sums = store.summaries().unwrap();
        let ids: Vec<_> = sums.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![b.id, a.id, c.id], "newest first");
        for s in &sums {
            let full = store.get(s.id).unwrap();
            assert_eq!(s.title, full.display_title());
            assert_eq!(s.tags, full.tags, "tag order is the user's");
            assert_eq!(s.has_secrets, full.has_secrets());
            assert_eq!(s.language, full.language);
            assert_eq!(s.path.as_deref(), full.source.path());
        }
        assert_eq!(sums[0].title, "first line here");
        assert_eq!(sums[2].start_line, Some(7));
        let first = store.recent_summaries(Some(2)).unwrap();
        assert_eq!(first, sums[..2].to_vec());
        assert_eq!(store.recent_summaries(Some(0)).unwrap(), vec![]);
    }

    #[test]
    fn data_version_sees_commits_from_other_connections() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("lib.db");
        let watcher = Store::open(&db, dir.path()).unwrap();
        let writer = Store::open(&db, dir.path()).unwrap();
        let before = watcher.data_version().unwrap();
        assert_eq!(watcher.data_version().unwrap(), before, "stable when idle");
        let s = writer.insert(&new("t", "c", &[])).unwrap();
        let after_insert = watcher.data_version().unwrap();
        assert_ne!(after_insert, before);
        writer
            .update(
                s.id,
                &SnippetPatch {
                    tags: Some(vec!["x".into()]),
                    ..SnippetPatch::default()
                },
            )
            .unwrap();
        assert_ne!(watcher.data_version().unwrap(), after_insert);
    }
}
