//! SQLite, the source of truth.
//!
//! One file in the data folder, in WAL mode with a busy timeout so the TUI,
//! the watcher, the enrichment worker and short CLI commands can share it.
//! The schema only changes through the numbered migrations in
//! [`migrations`]; before any of them runs on an existing library, a copy of
//! the database is taken with SQLite's online backup.
//!
//! Every change to a snippet also lands in `index_outbox` (by triggers, in
//! the same transaction), so the derived tantivy index can always catch up,
//! even after a kill between the SQLite commit and the index commit.

mod migrations;
mod queue;
mod snippets;
mod staging;
mod summaries;
mod sync;
mod watch;

pub use queue::{IndexBatch, IndexChange, Job};
pub use snippets::{GeneratedValue, ListFilter, SnippetPatch, TagCount};
pub use staging::StagedImport;
pub use summaries::SnippetSummary;
pub use sync::{SyncRow, TOMBSTONE_WRITTEN};
pub use watch::SkipCount;

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the library database {path} is damaged or not a snipdex database ({detail}); {recovery}"
    )]
    Corrupt {
        path: PathBuf,
        backups: PathBuf,
        detail: String,
        /// What the user can do, naming only backups that exist.
        recovery: String,
    },
    #[error("the library database {path} was written by a newer snipdex (schema {found}, this build knows {known}); upgrade snipdex")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("cannot back up {path} before upgrading it: {detail}")]
    Backup { path: PathBuf, detail: String },
    #[error("cannot create folder {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no snippet with id {0}")]
    NotFound(i64),
    #[error("stored data for snippet {id} is unreadable: {detail}")]
    BadRow { id: i64, detail: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// Whether another connection held the write lock for longer than the
    /// busy timeout: nothing is wrong, and trying again later will work.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Sql(e) if is_busy(e))
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// How long SQLite itself waits for a lock before a statement fails busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long [`Store::transaction`] keeps trying to start, beyond the busy
/// timeout, by default: a long import may hold the lock for many seconds.
pub const DEFAULT_PATIENCE: Duration = Duration::from_secs(30);

/// A connection to the library database. Cheap to open; each thread that
/// needs the store opens its own.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    backups_dir: PathBuf,
    /// See [`Store::set_patience`].
    patience: Duration,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Open (creating if needed) and migrate the database at `path`. Backups
    /// taken before a migration go to `backups_dir`.
    pub fn open(path: &Path, backups_dir: &Path) -> Result<Store> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        // Created private (0600) before SQLite sees it: SQLite gives the
        // WAL and shared-memory files the database file's mode.
        if !path.exists() {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(source) => {
                    return Err(StoreError::Io {
                        path: path.to_path_buf(),
                        source,
                    })
                }
            }
        }
        let corrupt = |e: rusqlite::Error| classify(e, path, backups_dir);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(corrupt)?;
        configure(&conn).map_err(corrupt)?;
        // Reading the schema touches the header and the first page: enough
        // to catch a file that is not a database before anything is
        // written, without the full scan of `quick_check` (which costs a
        // noticeable part of start-up on a large library; `doctor` runs
        // the full integrity check).
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(corrupt)?;
        migrations::migrate(&conn, path, backups_dir)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            backups_dir: backups_dir.to_path_buf(),
            patience: DEFAULT_PATIENCE,
        })
    }

    /// A private in-memory library, for tests and benchmarks.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrations::migrate(&conn, Path::new(":memory:"), Path::new(""))?;
        Ok(Store {
            conn,
            path: PathBuf::from(":memory:"),
            backups_dir: PathBuf::new(),
            patience: DEFAULT_PATIENCE,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where copies taken before migrations go.
    pub fn backups_dir(&self) -> &Path {
        &self.backups_dir
    }

    /// Schema version the database is at.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Full integrity check, for `snipdex doctor`.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// How long [`Store::transaction`] keeps retrying, with backoff, when
    /// another connection holds the write lock past the busy timeout. Zero
    /// gives up after the busy timeout, for callers that retry by
    /// themselves (the watcher) or want to tell the user first (`add`).
    pub fn set_patience(&mut self, patience: Duration) {
        self.patience = patience;
    }

    /// Take the write lock, retrying with backoff while another writer
    /// holds it, for at most the patience beyond the busy timeout.
    fn begin(&self) -> Result<()> {
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            match self.conn.execute_batch("BEGIN IMMEDIATE") {
                Ok(()) => return Ok(()),
                Err(e) if is_busy(&e) && started.elapsed() + pause <= self.patience => {
                    tracing::info!(
                        waited_ms = started.elapsed().as_millis() as u64,
                        "the database is busy; waiting for the other writer"
                    );
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Run `f` in one transaction: all of it lands or none of it. While
    /// another process holds the write lock, waits (see
    /// [`Store::set_patience`]); once the lock is taken, `f` cannot meet a
    /// busy database.
    pub fn transaction<T>(&mut self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.atomically(f)
    }

    /// Run `f` as one atomic unit from a shared reference: a transaction
    /// of its own (taken with [`Store::transaction`]'s patience) when none is
    /// open, a savepoint inside the caller's when one is. The write path
    /// ([`crate::intake`]) uses it so that a row and its enrichment job land
    /// together whether it is called alone or within a batch.
    pub fn atomically<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        if !self.conn.is_autocommit() {
            let sp = self.savepoint()?;
            let v = f(self)?;
            sp.commit()?;
            return Ok(v);
        }
        self.begin()?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// An atomic unit that nests: a SAVEPOINT works both on its own and
    /// inside [`Store::transaction`], where BEGIN would fail.
    pub(crate) fn savepoint(&self) -> Result<Savepoint<'_>> {
        self.conn.execute_batch("SAVEPOINT snipdex_sp")?;
        Ok(Savepoint {
            conn: &self.conn,
            done: false,
        })
    }
}

/// Rolls back on drop unless committed, so an early `?` undoes the work.
pub(crate) struct Savepoint<'a> {
    conn: &'a Connection,
    done: bool,
}

impl Savepoint<'_> {
    pub(crate) fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.execute_batch("RELEASE snipdex_sp")?;
        Ok(())
    }
}

impl std::ops::Deref for Savepoint<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self
                .conn
                .execute_batch("ROLLBACK TO snipdex_sp; RELEASE snipdex_sp");
        }
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // journal_mode answers with a row, so it cannot go through execute_batch.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(())
}

fn classify(e: rusqlite::Error, path: &Path, backups: &Path) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_path_buf(),
            backups: backups.to_path_buf(),
            detail: e.to_string(),
            recovery: recovery(path, backups),
        },
        _ => StoreError::Sql(e),
    }
}

/// Where a damaged library can come back from: the newest backup taken
/// before a migration if there is one; else how to start afresh.
fn recovery(path: &Path, backups: &Path) -> String {
    let newest = std::fs::read_dir(backups).ok().and_then(|dir| {
        dir.filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "db"))
            .max()
    });
    match newest {
        Some(b) => format!(
            "the newest backup is {}; copy it over the damaged file to restore it",
            b.display()
        ),
        None => format!(
            "there are no backups yet; move {} aside to start an empty library \
             (then `snipdex import` an export, if you have one)",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests;
