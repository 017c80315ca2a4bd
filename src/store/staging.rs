//! Imports staged beside the library, then moved in all at once.
//!
//! A large import written in one transaction holds the write lock for
//! seconds, and every other writer (the watcher, `snipdex add`) waits. So an
//! import writes its rows into `import_staging` in short transactions, with a
//! pause between them for others to take their turn, and then moves them all
//! into the library with a few set-based statements in one short
//! transaction. Nobody sees a staged row as a snippet: an import still lands
//! whole or not at all. Rows of an import that was killed are removed by the
//! next import.

use super::snippets::{json_list, source_columns};
use super::{Result, Store};
use crate::domain::{content_hash, normalize_tags, now_ms, NewSnippet, SnippetId, Source};
use rusqlite::params;

/// Staged rows older than this belong to an import that is surely gone,
/// even if its process id was taken by another process since.
const ABANDONED_AFTER_MS: i64 = 24 * 3600 * 1000;

/// One import being staged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedImport {
    id: String,
    next_seq: i64,
}

impl Store {
    /// Start staging an import. Rows left by imports whose process is gone
    /// (a kill, a crash) are removed first.
    pub fn stage_begin(&mut self) -> Result<StagedImport> {
        let owners: Vec<(String, i64, i64)> = {
            let mut stmt = self.conn().prepare(
                "SELECT import_id, owner_pid, min(staged_at) FROM import_staging GROUP BY import_id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let now = now_ms();
        let abandoned: Vec<String> = owners
            .into_iter()
            .filter(|(_, pid, at)| now - at > ABANDONED_AFTER_MS || !process_alive(*pid))
            .map(|(id, _, _)| id)
            .collect();
        if !abandoned.is_empty() {
            tracing::info!(
                imports = abandoned.len(),
                "removing the staged rows of imports that did not finish"
            );
            self.transaction(|s| {
                for id in &abandoned {
                    s.stage_discard_in(id)?;
                }
                Ok(())
            })?;
        }
        Ok(StagedImport {
            id: format!("{}-{}", std::process::id(), now),
            next_seq: 1,
        })
    }

    /// Stage `rows` in one (short) transaction.
    pub fn stage(&mut self, import: &mut StagedImport, rows: &[NewSnippet]) -> Result<()> {
        let pid = i64::from(std::process::id());
        let next = &mut import.next_seq;
        let id = import.id.clone();
        self.transaction(|s| {
            let mut stmt = s.conn().prepare_cached(
                "INSERT INTO import_staging (import_id, seq, owner_pid, staged_at, title,
                    description, links, language, content, content_hash, source_path,
                    source_start, source_end, source_block, meta, secrets, created_at,
                    updated_at, tags)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                    ?16, ?17, ?18, ?19)",
            )?;
            let now = now_ms();
            for new in rows {
                let source = new.source.clone().unwrap_or(Source::Manual);
                let (path, start, end, block) = source_columns(&source);
                let language = if new.language.trim().is_empty() {
                    "text"
                } else {
                    new.language.as_str()
                };
                stmt.execute(params![
                    id,
                    *next,
                    pid,
                    now,
                    new.title.trim(),
                    new.description.trim(),
                    json_list(&new.links),
                    language,
                    new.content,
                    content_hash(&new.content),
                    path,
                    start,
                    end,
                    block,
                    serde_json::to_string(&new.meta).unwrap_or_else(|_| "{}".into()),
                    json_list(&new.secrets),
                    new.created_at.unwrap_or(now),
                    new.updated_at.unwrap_or(now),
                    json_list(&normalize_tags(&new.tags)),
                ])?;
                *next += 1;
            }
            Ok(())
        })
    }

    /// Move every staged row into the library in one transaction, queuing
    /// enrichment for each when `enqueue`. Returns the new snippets' ids, in
    /// the order they were staged.
    pub fn stage_finish(&mut self, import: StagedImport, enqueue: bool) -> Result<Vec<SnippetId>> {
        self.transaction(|s| {
            let c = s.conn();
            // New ids follow the largest one, as SQLite would give them.
            let base: i64 = c.query_row("SELECT coalesce(max(id), 0) FROM snippets", [], |r| {
                r.get(0)
            })?;
            let moved = c.execute(
                "INSERT INTO snippets (id, title, description, links, language, content,
                    content_hash, source_path, source_start, source_end, source_block, meta,
                    secrets, created_at, updated_at)
                 SELECT ?2 + seq, title, description, links, language, content, content_hash,
                    source_path, source_start, source_end, source_block, meta, secrets,
                    created_at, updated_at
                 FROM import_staging WHERE import_id = ?1 ORDER BY seq",
                params![import.id, base],
            )?;
            c.execute(
                "INSERT INTO snippet_tags (snippet_id, tag, position)
                 SELECT ?2 + s.seq, t.value, t.key
                 FROM import_staging s, json_each(s.tags) t WHERE s.import_id = ?1",
                params![import.id, base],
            )?;
            if enqueue {
                c.execute(
                    "INSERT INTO enrich_jobs (snippet_id, content_hash, fields, enqueued_at)
                     SELECT ?2 + seq, content_hash, '[]', ?3
                     FROM import_staging WHERE import_id = ?1",
                    params![import.id, base, now_ms()],
                )?;
            }
            let ids: Vec<SnippetId> = {
                let mut stmt = c.prepare(
                    "SELECT ?2 + seq FROM import_staging WHERE import_id = ?1 ORDER BY seq",
                )?;
                let rows = stmt.query_map(params![import.id, base], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            debug_assert_eq!(ids.len(), moved);
            s.stage_discard_in(&import.id)?;
            Ok(ids)
        })
    }

    /// Drop an import's staged rows (it failed, or was abandoned).
    pub fn stage_discard(&mut self, import: StagedImport) -> Result<()> {
        self.transaction(|s| s.stage_discard_in(&import.id))
    }

    fn stage_discard_in(&self, id: &str) -> Result<()> {
        self.conn().execute(
            "DELETE FROM import_staging WHERE import_id = ?1",
            params![id],
        )?;
        Ok(())
    }

    /// Rows staged by imports that have not finished (for tests and
    /// `doctor`).
    pub fn staged_rows(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM import_staging", [], |r| r.get(0))?)
    }
}

/// Whether a process with this id exists (this user's or another's).
#[cfg(unix)]
fn process_alive(pid: i64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // Signal 0 checks for existence without sending anything; EPERM means
    // it exists but belongs to someone else.
    // SAFETY: kill with signal 0 has no effect beyond the check.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Elsewhere staged rows wait out [`ABANDONED_AFTER_MS`].
#[cfg(not(unix))]
fn process_alive(_pid: i64) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FieldMetas;

    fn new(i: usize) -> NewSnippet {
        NewSnippet {
            title: format!("staged {i}"),
            content: format!("echo {i}\n"),
            language: "sh".into(),
            tags: vec!["Shell Scripts".into(), "demo".into()],
            links: vec!["https://example.org/".into()],
            meta: FieldMetas::default(),
            created_at: Some(1_000 + i as i64),
            ..NewSnippet::default()
        }
    }

    #[test]
    fn staged_rows_are_no_snippets_until_finished_then_land_as_insert_would() {
        let mut store = Store::open_in_memory().unwrap();
        let before = store.insert(&new(0)).unwrap();
        store.delete(before.id).unwrap();
        let kept = store.insert(&new(100)).unwrap();
        let mut import = store.stage_begin().unwrap();
        store.stage(&mut import, &[new(1), new(2)]).unwrap();
        store.stage(&mut import, &[new(3)]).unwrap();
        assert_eq!(store.count().unwrap(), 1, "staged rows are not snippets");
        assert_eq!(store.staged_rows().unwrap(), 3);

        let outbox = store.index_outbox_head().unwrap();
        let ids = store.stage_finish(import, true).unwrap();
        assert_eq!(ids, vec![kept.id + 1, kept.id + 2, kept.id + 3]);
        assert_eq!(store.staged_rows().unwrap(), 0);
        for (i, id) in ids.iter().enumerate() {
            let got = store.get(*id).unwrap();
            let want = store.insert(&new(i + 1)).unwrap();
            assert_eq!(got.title, want.title);
            assert_eq!(got.tags, want.tags);
            assert_eq!(got.links, want.links);
            assert_eq!(got.content_hash, want.content_hash);
            assert_eq!(got.created_at, want.created_at);
            assert_eq!(got.meta, want.meta);
            assert!(store.job(*id).unwrap().is_some(), "queued for enrichment");
        }
        assert!(
            store.index_outbox_head().unwrap() > outbox,
            "the index hears of them"
        );
    }

    #[test]
    fn rows_of_an_import_whose_process_is_gone_are_removed_by_the_next() {
        let mut store = Store::open_in_memory().unwrap();
        let mut import = store.stage_begin().unwrap();
        store.stage(&mut import, &[new(1), new(2)]).unwrap();
        // Hand the rows to a process that has ended (and been reaped).
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let pid = gone.id();
        gone.wait().unwrap();
        store
            .conn()
            .execute("UPDATE import_staging SET owner_pid = ?1", params![pid])
            .unwrap();
        let mut running = store.stage_begin().unwrap();
        assert_eq!(store.staged_rows().unwrap(), 0);
        store.stage(&mut running, &[new(3)]).unwrap();
        // A live owner's rows stay.
        let _other = store.stage_begin().unwrap();
        assert_eq!(store.staged_rows().unwrap(), 1);
        assert_eq!(store.stage_finish(running, false).unwrap().len(), 1);
        assert_eq!(store.count().unwrap(), 1);
        assert_eq!(store.job_count().unwrap(), 0);
    }
}
