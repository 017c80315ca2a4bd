//! Watched folders and the log of files that were skipped, with why.

use super::{Result, Store};
use crate::domain::now_ms;
use rusqlite::params;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkipCount {
    pub reason: String,
    pub count: i64,
}

impl Store {
    /// Returns false when the folder was already watched.
    pub fn add_watch_dir(&self, dir: &Path) -> Result<bool> {
        Ok(self.conn().execute(
            "INSERT OR IGNORE INTO watch_dirs (path, added_at) VALUES (?1, ?2)",
            params![dir.to_string_lossy(), now_ms()],
        )? > 0)
    }

    /// Returns false when the folder was not watched.
    pub fn remove_watch_dir(&self, dir: &Path) -> Result<bool> {
        Ok(self.conn().execute(
            "DELETE FROM watch_dirs WHERE path = ?1",
            params![dir.to_string_lossy()],
        )? > 0)
    }

    pub fn watch_dirs(&self) -> Result<Vec<PathBuf>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT path FROM watch_dirs ORDER BY path")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(PathBuf::from(r?))).collect()
    }

    /// The file that owns a file-backed snippet and its first line, when
    /// the file lies in a watched folder. A path outside them (one that
    /// came with an import, say `/etc/passwd`) is only data about where
    /// the snippet once was: it is never opened, and the stored content
    /// is what gets edited.
    pub fn owning_file(&self, s: &crate::domain::Snippet) -> Result<Option<(PathBuf, u32)>> {
        let crate::domain::Source::File {
            path, start_line, ..
        } = &s.source
        else {
            return Ok(None);
        };
        let plain = path.is_absolute()
            && path
                .components()
                .all(|c| !matches!(c, std::path::Component::ParentDir));
        let watched = plain && self.watch_dirs()?.iter().any(|d| path.starts_with(d));
        Ok(watched.then(|| (path.clone(), *start_line)))
    }

    /// Remember that a file was skipped (replacing an older reason).
    pub fn record_skip(&self, path: &Path, reason: &str, detail: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO skipped_files (path, reason, detail, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(path) DO UPDATE SET reason = excluded.reason,
                detail = excluded.detail, at = excluded.at",
            params![path.to_string_lossy(), reason, detail, now_ms()],
        )?;
        Ok(())
    }

    /// The file is fine now (or gone): forget an earlier skip.
    pub fn clear_skip(&self, path: &Path) -> Result<()> {
        self.conn().execute(
            "DELETE FROM skipped_files WHERE path = ?1",
            params![path.to_string_lossy()],
        )?;
        Ok(())
    }

    pub fn skip_counts(&self) -> Result<Vec<SkipCount>> {
        let mut stmt = self.conn().prepare(
            "SELECT reason, count(*) FROM skipped_files GROUP BY reason ORDER BY count(*) DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SkipCount {
                reason: r.get(0)?,
                count: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The most recent skips with their details, for `doctor --verbose`.
    /// Every skipped path recorded with `reason`.
    pub fn skipped_paths(&self, reason: &str) -> Result<Vec<PathBuf>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT path FROM skipped_files WHERE reason = ?1 ORDER BY path")?;
        let rows = stmt.query_map(params![reason], |r| {
            Ok(PathBuf::from(r.get::<_, String>(0)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn recent_skips(&self, limit: usize) -> Result<Vec<(PathBuf, String, String)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT path, reason, detail FROM skipped_files ORDER BY at DESC LIMIT ?1")?;
        let rows = stmt.query_map(params![limit as i64], |r| {
            Ok((PathBuf::from(r.get::<_, String>(0)?), r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
