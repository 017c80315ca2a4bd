//! Two durable queues in SQLite: the index outbox (filled by triggers) and
//! the enrichment job queue. Both survive a crash or kill.

use super::{Result, Store};
use crate::domain::{now_ms, Field, Snippet, SnippetId};
use rusqlite::{params, OptionalExtension};

/// What the index must do for one snippet id.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexChange {
    Upsert(Box<Snippet>),
    Delete(SnippetId),
}

/// A pending enrichment of one snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub snippet_id: SnippetId,
    /// The content the job was queued for; a newer save replaces the job.
    pub content_hash: String,
    /// Fields to (re)generate; empty means every unlocked field.
    pub fields: Vec<Field>,
    pub attempts: i64,
}

/// A batch read from the index outbox: the current state of each snippet
/// named there, and the outbox position it covers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexBatch {
    pub changes: Vec<IndexChange>,
    /// Acknowledge with this once the index has committed the batch.
    pub up_to: i64,
}

impl Store {
    /// Up to `limit` outbox entries, oldest first, deduplicated by snippet.
    /// They stay queued until [`Store::ack_index`] confirms the index
    /// committed them. Snippet rows are read after the outbox rows, so each
    /// change carries a state at least as new as its entry; a change made
    /// meanwhile gets a higher sequence number and survives the ack.
    pub fn pending_index(&self, limit: usize) -> Result<IndexBatch> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT seq, snippet_id FROM index_outbox ORDER BY seq LIMIT ?1")?;
        let rows = stmt
            .query_map(params![limit as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let up_to = rows.last().map_or(0, |r| r.0);
        let mut seen = std::collections::HashSet::new();
        let mut changes = Vec::with_capacity(rows.len());
        for (_, id) in rows {
            if !seen.insert(id) {
                continue;
            }
            changes.push(match self.find(id)? {
                Some(s) => IndexChange::Upsert(Box::new(s)),
                None => IndexChange::Delete(id),
            });
        }
        Ok(IndexBatch { changes, up_to })
    }

    pub fn pending_index_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM index_outbox", [], |r| r.get(0))?)
    }

    /// Forget outbox entries up to `up_to` once the index has committed them.
    pub fn ack_index(&self, up_to: i64) -> Result<()> {
        self.conn()
            .execute("DELETE FROM index_outbox WHERE seq <= ?1", params![up_to])?;
        Ok(())
    }

    /// The outbox position now; a full rebuild acknowledges up to it.
    pub fn index_outbox_head(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT coalesce(max(seq), 0) FROM index_outbox", [], |r| {
                r.get(0)
            })?)
    }

    /// Queue (or replace) the enrichment job of a snippet.
    pub fn enqueue_job(&self, id: SnippetId, fields: &[Field]) -> Result<()> {
        let fields = serde_json::to_string(fields).unwrap_or_else(|_| "[]".into());
        self.conn().execute(
            "INSERT INTO enrich_jobs (snippet_id, content_hash, fields, enqueued_at)
             SELECT id, content_hash, ?2, ?3 FROM snippets WHERE id = ?1
             ON CONFLICT(snippet_id) DO UPDATE SET content_hash = excluded.content_hash,
                fields = excluded.fields, enqueued_at = excluded.enqueued_at,
                attempts = 0, last_error = NULL",
            params![id, fields, now_ms()],
        )?;
        Ok(())
    }

    /// The oldest job that has not failed too often.
    pub fn next_job(&self, max_attempts: i64) -> Result<Option<Job>> {
        Ok(self.pending_jobs(max_attempts, 1)?.into_iter().next())
    }

    /// Remove a finished job, but only if no newer save replaced it.
    pub fn finish_job(&self, job: &Job) -> Result<bool> {
        Ok(self.conn().execute(
            "DELETE FROM enrich_jobs WHERE snippet_id = ?1 AND content_hash = ?2",
            params![job.snippet_id, job.content_hash],
        )? > 0)
    }

    pub fn fail_job(&self, job: &Job, error: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE enrich_jobs SET attempts = attempts + 1, last_error = ?2 WHERE snippet_id = ?1",
            params![job.snippet_id, error],
        )?;
        Ok(())
    }

    /// Up to `limit` jobs that have not failed too often, oldest first: a
    /// worker with several threads picks the first one nobody is on.
    pub fn pending_jobs(&self, max_attempts: i64, limit: usize) -> Result<Vec<Job>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT snippet_id, content_hash, fields, attempts FROM enrich_jobs
             WHERE attempts < ?1 ORDER BY enqueued_at, snippet_id LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![max_attempts, limit], job_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The job queued for one snippet, however often it failed.
    pub fn job(&self, id: SnippetId) -> Result<Option<Job>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT snippet_id, content_hash, fields, attempts FROM enrich_jobs
                 WHERE snippet_id = ?1",
                params![id],
                job_from_row,
            )
            .optional()?)
    }

    /// Jobs a worker will still try (fewer than `max_attempts` failures).
    pub fn pending_job_count(&self, max_attempts: i64) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM enrich_jobs WHERE attempts < ?1",
            params![max_attempts],
            |r| r.get(0),
        )?)
    }

    pub fn job_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM enrich_jobs", [], |r| r.get(0))?)
    }
}

fn job_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    let fields: String = r.get(2)?;
    Ok(Job {
        snippet_id: r.get(0)?,
        content_hash: r.get(1)?,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        attempts: r.get(3)?,
    })
}
