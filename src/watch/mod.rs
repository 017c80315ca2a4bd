//! Keeping the library in step with the watched folders.
//!
//! - [`sync`]: how one file (or a rename) is applied to the store. Blocks are
//!   matched to the stored snippets of their file so that edits keep the
//!   user's titles and tags, and an unchanged file writes nothing.
//! - [`scan_dir`]: a full pass over a folder, for start-up, the periodic
//!   rescan and anything events missed.
//! - [`Watcher`]: a thread with its own store connection that turns
//!   file-system events (native, or polling where native events are not
//!   available) into syncs, and reports what it did as [`WatchEvent`]s.
//!
//! Every write goes through the store, whose triggers fill the index outbox;
//! the receiver of [`WatchEvent::Changed`] and [`WatchEvent::ScanDone`] only
//! needs to let the index catch up.

mod backend;
mod batch;
mod matching;
mod scan;
mod sync;
mod visible;
mod worker;

pub use scan::{scan_dir, ScanReport};
pub use sync::{rename, sync_file, FileChange};

use crate::config::WatchConfig;
use crate::ingest::IngestOptions;
use crate::store::{Store, StoreError};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot watch {}: {source}", display_opt(.path))]
    Notify {
        path: Option<PathBuf>,
        #[source]
        source: notify::Error,
    },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the watched folder {0} does not exist or is not a folder")]
    MissingDir(PathBuf),
    #[error("cannot start the watcher thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("the folder watcher has stopped")]
    Stopped,
}

impl WatchError {
    /// The database was busy with another writer: retrying later works.
    pub fn is_busy(&self) -> bool {
        matches!(self, WatchError::Store(e) if e.is_busy())
    }
}

fn display_opt(path: &Option<PathBuf>) -> String {
    path.as_ref().map_or_else(
        || "the watched folders".to_owned(),
        |p| p.display().to_string(),
    )
}

/// How the watcher learns about changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatcherState {
    /// The operating system reports changes as they happen.
    Native,
    /// Native events are unavailable (or were not wanted): folders are
    /// compared with their last listing every `poll_secs`.
    Polling,
    /// The watcher thread has ended.
    Stopped,
}

impl fmt::Display for WatcherState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WatcherState::Native => "watching",
            WatcherState::Polling => "watching (polling)",
            WatcherState::Stopped => "not watching",
        })
    }
}

/// What the watcher reports.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    /// The way changes are detected, at start and whenever it changes.
    State(WatcherState),
    /// The snippets of `path` (a file, or a folder after a rename) changed.
    Changed { path: PathBuf, change: FileChange },
    /// A file (or a folder that cannot be read) was skipped (too large,
    /// binary, unreadable, ...), and why; reported by an event's batch or
    /// a scan when its reason is new, not every time it is met.
    Skipped { path: PathBuf, reason: String },
    /// A full scan of one watched folder finished.
    ScanDone(ScanReport),
    /// Something went wrong that the watcher worked around (a missing
    /// folder, a failed watch, a database error); it keeps running.
    Error(String),
}

/// Where the watcher's events go. Delivery returning `false` means nobody
/// listens any more, and the watcher thread ends.
///
/// Implemented for `std::sync::mpsc::Sender<WatchEvent>` (false once the
/// receiver is dropped) and for closures `FnMut(WatchEvent) -> bool`.
pub trait EventSink: Send + 'static {
    fn deliver(&mut self, event: WatchEvent) -> bool;
}

impl<F> EventSink for F
where
    F: FnMut(WatchEvent) -> bool + Send + 'static,
{
    fn deliver(&mut self, event: WatchEvent) -> bool {
        self(event)
    }
}

impl EventSink for mpsc::Sender<WatchEvent> {
    fn deliver(&mut self, event: WatchEvent) -> bool {
        self.send(event).is_ok()
    }
}

/// Messages to the watcher thread, from the handle and from notify.
pub(crate) enum Command {
    Fs(notify_debouncer_full::DebounceEventResult),
    AddDir(PathBuf),
    RemoveDir(PathBuf),
    Rescan,
    Stop,
}

/// Sets up and starts the watcher thread.
///
/// ```no_run
/// # fn demo(db: &std::path::Path, backups: &std::path::Path) -> Result<(), snipdex::watch::WatchError> {
/// use snipdex::watch::{WatchEvent, Watcher};
/// let (tx, rx) = std::sync::mpsc::channel::<WatchEvent>();
/// let handle = Watcher::new(db, backups, Default::default(), Default::default())
///     .dirs(vec!["notes".into()])
///     .start(tx)?;
/// for event in rx.iter().take(3) {
///     println!("{event:?}");
/// }
/// handle.stop();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Watcher {
    db_path: PathBuf,
    backups_dir: PathBuf,
    dirs: Vec<PathBuf>,
    cfg: WatchConfig,
    ingest: IngestOptions,
    force_polling: bool,
}

impl Watcher {
    pub fn new(
        db_path: &Path,
        backups_dir: &Path,
        cfg: WatchConfig,
        ingest: IngestOptions,
    ) -> Watcher {
        Watcher {
            db_path: db_path.to_path_buf(),
            backups_dir: backups_dir.to_path_buf(),
            dirs: Vec::new(),
            cfg,
            ingest,
            force_polling: false,
        }
    }

    /// Folders to watch from the start (more can be added on the handle).
    pub fn dirs(mut self, dirs: Vec<PathBuf>) -> Watcher {
        self.dirs = dirs;
        self
    }

    /// Poll even where native events work: for network file systems, where
    /// native events are unreliable, and for tests of the fallback.
    pub fn force_polling(mut self, force: bool) -> Watcher {
        self.force_polling = force;
        self
    }

    /// The whole set-up in one call; see [`Watcher::start`].
    pub fn spawn(
        db_path: &Path,
        backups_dir: &Path,
        dirs: Vec<PathBuf>,
        cfg: WatchConfig,
        ingest: IngestOptions,
        sink: impl EventSink,
    ) -> Result<WatchHandle, WatchError> {
        Watcher::new(db_path, backups_dir, cfg, ingest)
            .dirs(dirs)
            .start(sink)
    }

    /// Open the watcher's own store connection (errors come back here) and
    /// start the thread. It first reports its [`WatcherState`], then scans
    /// every folder, then follows changes until stopped or until `sink`
    /// refuses an event.
    pub fn start(self, sink: impl EventSink) -> Result<WatchHandle, WatchError> {
        let store = Store::open(&self.db_path, &self.backups_dir)?;
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let worker = worker::Worker::new(
            store,
            self.cfg,
            self.ingest,
            self.force_polling,
            tx.clone(),
            Arc::clone(&stop),
            Box::new(sink),
        );
        let dirs = self.dirs;
        let thread = std::thread::Builder::new()
            .name("snipdex-watch".into())
            .spawn(move || worker.run(dirs, rx))
            .map_err(WatchError::Thread)?;
        Ok(WatchHandle {
            tx,
            stop,
            thread: Some(thread),
        })
    }
}

/// Controls a running watcher. Dropping it stops the thread and waits for
/// it (at most the time to finish the file it is on).
#[derive(Debug)]
pub struct WatchHandle {
    tx: mpsc::Sender<Command>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl WatchHandle {
    /// Start watching another folder (scanned first). Watching it twice is
    /// harmless.
    pub fn add_dir(&self, dir: PathBuf) -> Result<(), WatchError> {
        self.send(Command::AddDir(dir))
    }

    /// Stop watching a folder. Its snippets stay in the library.
    pub fn remove_dir(&self, dir: PathBuf) -> Result<(), WatchError> {
        self.send(Command::RemoveDir(dir))
    }

    /// Rescan every folder now rather than at the next periodic rescan.
    pub fn rescan(&self) -> Result<(), WatchError> {
        self.send(Command::Rescan)
    }

    /// Whether the thread is still running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Stop the thread and wait for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn send(&self, command: Command) -> Result<(), WatchError> {
        if !self.is_running() {
            return Err(WatchError::Stopped);
        }
        self.tx.send(command).map_err(|_| WatchError::Stopped)
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The flag interrupts a scan; the message wakes an idle thread.
        let _ = self.tx.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the watcher thread panicked");
            }
        }
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod scan_tests;
#[cfg(test)]
mod tests;
