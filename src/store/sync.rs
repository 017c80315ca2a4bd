//! The sync's tables (see `src/sync`): which repository file each snippet
//! is, what the row looked like when it last agreed with the repository,
//! the sync's own state, and the snippets allowed to sync with secrets.

use super::snippets::json_list;
use super::{Result, Store};
use crate::domain::{content_hash, now_ms, NewSnippet, SnippetId};
use rusqlite::{params, OptionalExtension};
use std::collections::HashSet;

/// `row_hash` of a deleted snippet whose tombstone is in the repository.
pub const TOMBSTONE_WRITTEN: &str = "deleted";

/// One line of `sync_files`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRow {
    pub uid: String,
    /// `None` once the snippet was deleted here.
    pub snippet_id: Option<SnippetId>,
    /// Hash of the row when it last matched the repository; `None` when it
    /// never did (a uid given out for an export that is not committed yet).
    pub row_hash: Option<String>,
}

impl Store {
    pub fn sync_state(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT value FROM sync_state WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn set_sync_state(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Every uid the library knows, in uid order.
    pub fn sync_rows(&self) -> Result<Vec<SyncRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT uid, snippet_id, row_hash FROM sync_files ORDER BY uid")?;
        let rows = stmt.query_map([], |r| {
            Ok(SyncRow {
                uid: r.get(0)?,
                snippet_id: r.get(1)?,
                row_hash: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn sync_row(&self, uid: &str) -> Result<Option<SyncRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT uid, snippet_id, row_hash FROM sync_files WHERE uid = ?1",
                params![uid],
                |r| {
                    Ok(SyncRow {
                        uid: r.get(0)?,
                        snippet_id: r.get(1)?,
                        row_hash: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Give a snippet its uid (or move a uid to a snippet).
    pub fn sync_bind(
        &self,
        uid: &str,
        id: Option<SnippetId>,
        row_hash: Option<&str>,
    ) -> Result<()> {
        self.conn().execute(
            "INSERT INTO sync_files (uid, snippet_id, row_hash) VALUES (?1, ?2, ?3)
             ON CONFLICT(uid) DO UPDATE SET snippet_id = excluded.snippet_id,
                row_hash = excluded.row_hash",
            params![uid, id, row_hash],
        )?;
        Ok(())
    }

    pub fn set_sync_hash(&self, uid: &str, row_hash: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE sync_files SET row_hash = ?2 WHERE uid = ?1",
            params![uid, row_hash],
        )?;
        Ok(())
    }

    /// Snippets the user lets sync although they hold secrets.
    pub fn shared_secrets(&self) -> Result<HashSet<SnippetId>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT snippet_id FROM sync_share_secrets")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<HashSet<_>>>()?)
    }

    pub fn set_share_secrets(&self, id: SnippetId, share: bool) -> Result<()> {
        if share {
            self.conn().execute(
                "INSERT OR IGNORE INTO sync_share_secrets (snippet_id)
                 SELECT id FROM snippets WHERE id = ?1",
                params![id],
            )?;
        } else {
            self.conn().execute(
                "DELETE FROM sync_share_secrets WHERE snippet_id = ?1",
                params![id],
            )?;
        }
        Ok(())
    }

    /// Snippets with a queued enrichment job.
    pub fn job_ids(&self) -> Result<HashSet<SnippetId>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT snippet_id FROM enrich_jobs")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<HashSet<_>>>()?)
    }

    /// A number that grows with every change to any snippet (the index
    /// outbox's sequence), so a watcher of the library can tell that
    /// something changed without reading it.
    pub fn change_mark(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'index_outbox'), 0)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Set every synced part of a row as a file from another machine says.
    /// Unlike [`Store::update`] it locks nothing: the fields' owners come
    /// with them (`meta`). The source stays as it is here.
    pub fn apply_synced(&self, id: SnippetId, f: &NewSnippet) -> Result<()> {
        let tx = self.savepoint()?;
        let n = tx.execute(
            "UPDATE snippets SET title = ?2, description = ?3, links = ?4, language = ?5,
                content = ?6, content_hash = ?7, meta = ?8, secrets = ?9, created_at = ?10,
                updated_at = ?11
             WHERE id = ?1",
            params![
                id,
                f.title.trim(),
                f.description.trim(),
                json_list(&f.links),
                if f.language.trim().is_empty() {
                    "text"
                } else {
                    f.language.as_str()
                },
                f.content,
                content_hash(&f.content),
                serde_json::to_string(&f.meta).unwrap_or_else(|_| "{}".into()),
                json_list(&f.secrets),
                f.created_at.unwrap_or_else(now_ms),
                f.updated_at.unwrap_or_else(now_ms),
            ],
        )?;
        if n == 0 {
            return Err(super::StoreError::NotFound(id));
        }
        let tags = crate::domain::normalize_tags(&f.tags);
        let current: Vec<String> = {
            let mut stmt = tx.prepare_cached(
                "SELECT tag FROM snippet_tags WHERE snippet_id = ?1 ORDER BY position",
            )?;
            let rows = stmt.query_map(params![id], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if current != tags {
            super::snippets::write_tags(&tx, id, &tags)?;
        }
        tx.commit()?;
        Ok(())
    }
}
