//! Sync through a git remote: the library on every machine.
//!
//! Each snippet is one text file in a git clone ([`doc`]); a sync exports
//! what changed here since the last one, commits, fetches, merges the
//! remote's commits field by field ([`merge`]), imports what changed into
//! the library through the one write path ([`crate::intake`]) and pushes.
//! The user's own `git` does the talking ([`git`]).
//!
//! Interrupted at any point (a kill, the network, a refused push), the
//! library and the clone stay consistent and the next run finishes the job:
//!
//! - the store remembers `base`, the commit whose files its rows last
//!   agreed with. Every step that moves it (recording an export, importing
//!   a merge) is one SQLite transaction with the rows it describes;
//! - a run first aborts a merge left half done and throws away file writes
//!   that were never committed (the rows they came from are still in the
//!   store and are exported again), then imports any commit that is ahead
//!   of `base` (a merge made by a run that died before importing it);
//! - a push that did not happen is simply done by the next run.
//!
//! This module sits beside `intake` and `library`: it uses the store, the
//! write path, paths and config, and nothing of the TUI. The TUI and
//! `snipdex watch` start it through [`auto`].

pub mod auto;
pub mod doc;
mod export;
mod git;
mod import;
pub mod merge;
mod run;
mod setup;

pub use git::{Git, GitError};
pub use merge::Conflict;
pub use run::{bench_repo_setup, Syncer};
pub use setup::{init, InitReport};

use crate::domain::SnippetId;
use crate::store::StoreError;
use std::path::PathBuf;

/// Where snippet files live inside the clone.
pub const SNIPPETS_DIR: &str = "snippets";
/// The remote's name in the clone.
pub const REMOTE: &str = "origin";

/// Keys of the store's `sync_state`.
pub(crate) mod key {
    pub const REPO: &str = "repo";
    pub const REMOTE_URL: &str = "remote";
    pub const BRANCH: &str = "branch";
    pub const BASE: &str = "base";
    pub const LAST_SYNC: &str = "last_sync";
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "sync is not set up; run `snipdex sync init <remote-url>` (or give it an existing clone)"
    )]
    NotSetUp,
    #[error("sync is already set up with {remote} in {repo}")]
    AlreadySetUp { remote: String, repo: PathBuf },
    #[error("{0} already exists and is not empty; move it aside, or pass the path of an existing clone to `snipdex sync init`")]
    RepoInTheWay(PathBuf),
    #[error("{path} is a git clone without a remote named {REMOTE}; add one with `git -C {path} remote add {REMOTE} URL`")]
    NoRemote { path: PathBuf },
    #[error("the sync clone {0} is missing; run `snipdex sync init` again (this library keeps its snippets)")]
    RepoGone(PathBuf),
    #[error("another sync of this library is running (pid {0}); try again when it ends")]
    Busy(String),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no snippet with id {0}")]
    NoSnippet(SnippetId),
}

impl SyncError {
    fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> SyncError + '_ {
        move |source| SyncError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, SyncError>;

/// What one sync did (or, for `--status`, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    pub sent_new: usize,
    pub sent_changed: usize,
    pub sent_deleted: usize,
    pub received_new: usize,
    pub received_changed: usize,
    pub received_deleted: usize,
    /// Snippets flagged as holding secrets that stayed here.
    pub held_back: usize,
    /// Received changes that queued an enrichment job (new content whose
    /// generated fields were not written for it yet).
    pub enrich_queued: usize,
    /// Parts decided by the merge rules: (uid, field, why).
    #[serde(skip)]
    pub conflicts: Vec<Conflict>,
    /// Files that could not be read: (file, why).
    pub refused: Vec<(String, String)>,
    /// A commit was made for this machine's changes.
    pub committed: bool,
    /// Commits went to the remote.
    pub pushed: bool,
    /// For `--status`: commits here that the remote does not have.
    pub unpushed: usize,
    /// For `--status`: whether the remote could be asked.
    pub remote_checked: bool,
}

impl SyncReport {
    pub fn sent(&self) -> usize {
        self.sent_new + self.sent_changed + self.sent_deleted
    }
    pub fn received(&self) -> usize {
        self.received_new + self.received_changed + self.received_deleted
    }
}

/// Held while a sync runs; released when dropped or when the process dies.
#[derive(Debug)]
pub struct SyncLock {
    _file: std::fs::File,
}

impl SyncLock {
    pub fn acquire(paths: &crate::paths::Paths) -> Result<SyncLock> {
        let path = paths.sync_lock_file();
        match crate::paths::lock_with_pid(&path).map_err(SyncError::io(&path))? {
            Ok(file) => Ok(SyncLock { _file: file }),
            Err(pid) => Err(SyncError::Busy(pid)),
        }
    }
}

/// For tests of interrupted syncs: `SNIPDEX_SYNC_STOP_AT=<step>` ends the
/// process at that step as abruptly as a kill (no clean-up runs).
pub(crate) fn stop_point(step: &str) {
    if std::env::var("SNIPDEX_SYNC_STOP_AT").is_ok_and(|s| s == step) {
        tracing::warn!(
            step,
            "stopping the sync here on request (SNIPDEX_SYNC_STOP_AT)"
        );
        std::process::abort();
    }
}
