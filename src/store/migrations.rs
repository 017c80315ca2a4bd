//! Numbered schema migrations. Never edit a published one: add the next.

use super::{Result, StoreError};
use rusqlite::Connection;
use std::path::Path;

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: snippets, their tags, watched folders.
    "CREATE TABLE snippets (
        id            INTEGER PRIMARY KEY,
        title         TEXT NOT NULL DEFAULT '',
        description   TEXT NOT NULL DEFAULT '',
        links         TEXT NOT NULL DEFAULT '[]',
        language      TEXT NOT NULL DEFAULT 'text',
        content       TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        source_path   TEXT,
        source_start  INTEGER,
        source_end    INTEGER,
        source_block  INTEGER,
        meta          TEXT NOT NULL DEFAULT '{}',
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
     );
     CREATE INDEX snippets_source ON snippets(source_path, source_block);
     CREATE INDEX snippets_hash ON snippets(content_hash);
     CREATE INDEX snippets_updated ON snippets(updated_at);
     CREATE TABLE snippet_tags (
        snippet_id INTEGER NOT NULL REFERENCES snippets(id) ON DELETE CASCADE,
        tag        TEXT NOT NULL,
        position   INTEGER NOT NULL,
        PRIMARY KEY (snippet_id, tag)
     );
     CREATE INDEX snippet_tags_tag ON snippet_tags(tag);
     CREATE TABLE watch_dirs (
        path     TEXT PRIMARY KEY,
        added_at INTEGER NOT NULL
     );",
    // 2: secret flags, the enrichment job queue, skipped-file log, and the
    //    outbox that keeps the tantivy index in step with SQLite.
    "ALTER TABLE snippets ADD COLUMN secrets TEXT NOT NULL DEFAULT '[]';
     CREATE TABLE enrich_jobs (
        snippet_id   INTEGER PRIMARY KEY REFERENCES snippets(id) ON DELETE CASCADE,
        content_hash TEXT NOT NULL,
        fields       TEXT NOT NULL DEFAULT '[]',
        enqueued_at  INTEGER NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT
     );
     CREATE TABLE skipped_files (
        path   TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        at     INTEGER NOT NULL
     );
     CREATE INDEX skipped_files_reason ON skipped_files(reason);
     CREATE TABLE index_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, snippet_id INTEGER NOT NULL);
     CREATE TRIGGER snippets_ai AFTER INSERT ON snippets BEGIN
        INSERT INTO index_outbox(snippet_id) VALUES (new.id);
     END;
     CREATE TRIGGER snippets_au AFTER UPDATE ON snippets BEGIN
        INSERT INTO index_outbox(snippet_id) VALUES (new.id);
     END;
     CREATE TRIGGER snippets_ad AFTER DELETE ON snippets BEGIN
        INSERT INTO index_outbox(snippet_id) VALUES (old.id);
     END;
     CREATE TRIGGER tags_ai AFTER INSERT ON snippet_tags BEGIN
        INSERT INTO index_outbox(snippet_id) VALUES (new.snippet_id);
     END;
     CREATE TRIGGER tags_ad AFTER DELETE ON snippet_tags BEGIN
        INSERT INTO index_outbox(snippet_id) VALUES (old.snippet_id);
     END;
     -- Snippets from before this version were never indexed through the
     -- outbox; queue them all once.
     INSERT INTO index_outbox(snippet_id) SELECT id FROM snippets;",
    // 3: imports are written here in short chunks, then moved into the
    //    library in one short transaction (see store/staging.rs).
    "CREATE TABLE import_staging (
        import_id     TEXT NOT NULL,
        seq           INTEGER NOT NULL,
        owner_pid     INTEGER NOT NULL,
        staged_at     INTEGER NOT NULL,
        title         TEXT NOT NULL,
        description   TEXT NOT NULL,
        links         TEXT NOT NULL,
        language      TEXT NOT NULL,
        content       TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        source_path   TEXT,
        source_start  INTEGER,
        source_end    INTEGER,
        source_block  INTEGER,
        meta          TEXT NOT NULL,
        secrets       TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        tags          TEXT NOT NULL,
        PRIMARY KEY (import_id, seq)
     );",
    // 4: sync through a git remote (src/sync): each synced snippet's uid in
    //    the repository and a hash of the row as last agreed with it (a
    //    deleted snippet keeps its uid with no row, until its tombstone is
    //    written); the sync's own state; snippets the user lets sync
    //    although they hold secrets.
    "CREATE TABLE sync_files (
        uid        TEXT PRIMARY KEY,
        snippet_id INTEGER UNIQUE REFERENCES snippets(id) ON DELETE SET NULL,
        row_hash   TEXT
     );
     CREATE TABLE sync_state (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
     );
     CREATE TABLE sync_share_secrets (
        snippet_id INTEGER PRIMARY KEY REFERENCES snippets(id) ON DELETE CASCADE
     );",
];

pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

pub(crate) fn migrate(conn: &Connection, path: &Path, backups_dir: &Path) -> Result<()> {
    migrate_to(conn, path, backups_dir, LATEST)
}

/// Bring the schema to `target`. Public to the crate so tests can build an
/// old database and then upgrade it.
pub(crate) fn migrate_to(
    conn: &Connection,
    path: &Path,
    backups_dir: &Path,
    target: i64,
) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: current,
            known: LATEST,
        });
    }
    if current >= target {
        return Ok(());
    }
    // A fresh file has nothing to lose; an existing library gets a copy first.
    if current > 0 && path != Path::new(":memory:") {
        backup(conn, path, backups_dir, current)?;
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(current as usize)
        .take((target - current) as usize)
    {
        let version = i as i64 + 1;
        // Each step is atomic together with its version bump.
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
        tracing::info!(version, "migrated library database");
    }
    Ok(())
}

fn backup(conn: &Connection, path: &Path, backups_dir: &Path, version: i64) -> Result<()> {
    let fail = |detail: String| StoreError::Backup {
        path: path.to_path_buf(),
        detail,
    };
    std::fs::create_dir_all(backups_dir).map_err(|e| fail(e.to_string()))?;
    let stamp = super::super::domain::now_ms();
    let target = backups_dir.join(format!("snipdex-v{version}-{stamp}.db"));
    let mut dest = Connection::open(&target).map_err(|e| fail(e.to_string()))?;
    let backup = rusqlite::backup::Backup::new(conn, &mut dest).map_err(|e| fail(e.to_string()))?;
    backup
        .run_to_completion(256, std::time::Duration::from_millis(0), None)
        .map_err(|e| fail(e.to_string()))?;
    tracing::info!(backup = %target.display(), "backed up library before migrating");
    Ok(())
}
