//! The watcher thread: owns a store connection and the backend, applies
//! event batches, rescans, and watches for watched folders coming and going.

use super::backend::Backend;
use super::batch::{Batch, Outcome, Touched};
use super::scan::Scan;
use super::sync::{load_skips, Skips};
use super::{Command, EventSink, WatchError, WatchEvent, WatcherState};
use crate::config::WatchConfig;
use crate::ingest::IngestOptions;
use crate::store::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod roots;

struct Root {
    path: PathBuf,
    /// Whether the backend watches it; false while it is missing or its
    /// watch failed, and then retried every poll interval.
    watched: bool,
    /// Set when the root is watched folder by folder (see
    /// [`roots::Folders`]) rather than with one recursive watch.
    folders: Option<roots::Folders>,
}

pub(crate) struct Worker {
    store: Store,
    cfg: WatchConfig,
    ingest: IngestOptions,
    force_polling: bool,
    tx: Sender<Command>,
    stop: Arc<AtomicBool>,
    sink: Box<dyn EventSink>,
    backend: Option<Backend>,
    roots: Vec<Root>,
    skips: Skips,
    /// Gone files whose snippets wait, until the deadline, for a new file
    /// with their content to adopt them.
    limbo: BTreeMap<PathBuf, Instant>,
    /// Polling only: paths to look at once more, see [`Worker::recheck_later`].
    recheck: BTreeMap<PathBuf, Instant>,
    /// Events may have been lost (the backend changed): rescan soon.
    rescan_due: bool,
    /// Paths whose changes could not be written because another process
    /// held the database: tried again at the deadline, never dropped.
    retry: BTreeMap<PathBuf, Instant>,
    /// Roots whose scan met a busy database, and when to scan them again.
    rescan_retry: BTreeMap<PathBuf, Instant>,
    /// Wait before the next retry; doubles while the database stays busy.
    retry_pause: Duration,
    /// Backend errors already reported, which are not repeated.
    backend_errors: std::collections::HashSet<String>,
    /// False once the sink refused an event.
    listened: bool,
}

impl Worker {
    pub fn new(
        store: Store,
        cfg: WatchConfig,
        ingest: IngestOptions,
        force_polling: bool,
        tx: Sender<Command>,
        stop: Arc<AtomicBool>,
        sink: Box<dyn EventSink>,
    ) -> Worker {
        // The watcher keeps failed paths and retries them itself, so it
        // never blocks in the store beyond SQLite's busy timeout and stays
        // quick to stop.
        let mut store = store;
        store.set_patience(Duration::ZERO);
        Worker {
            store,
            cfg,
            ingest,
            force_polling,
            tx,
            stop,
            sink,
            backend: None,
            roots: Vec::new(),
            skips: Skips::new(),
            limbo: BTreeMap::new(),
            recheck: BTreeMap::new(),
            rescan_due: false,
            retry: BTreeMap::new(),
            rescan_retry: BTreeMap::new(),
            retry_pause: FIRST_RETRY,
            backend_errors: std::collections::HashSet::new(),
            listened: true,
        }
    }

    pub fn run(mut self, dirs: Vec<PathBuf>, rx: Receiver<Command>) {
        match load_skips(&self.store) {
            Ok(skips) => self.skips = skips,
            Err(e) => self.report(&WatchError::from(e)),
        }
        self.start_backend();
        for dir in dirs {
            self.add_root(dir);
        }
        self.rescan_all();
        let rescan_every = (self.cfg.rescan_secs > 0).then(|| secs(self.cfg.rescan_secs));
        let mut next_rescan = rescan_every.map(|d| Instant::now() + d);
        let mut next_check = Instant::now() + self.poll_interval();
        while self.running() {
            let mut deadline = next_rescan.map_or(next_check, |r| r.min(next_check));
            for at in [
                self.limbo.values().min(),
                self.recheck.values().min(),
                self.retry.values().min(),
                self.rescan_retry.values().min(),
            ]
            .into_iter()
            .flatten()
            {
                deadline = deadline.min(*at);
            }
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(command) => self.handle(command),
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.settle_limbo();
            self.run_rechecks();
            self.run_retries();
            let now = Instant::now();
            if now >= next_check {
                self.check_roots();
                next_check = now + self.poll_interval();
            }
            if self.rescan_due || next_rescan.is_some_and(|at| now >= at) {
                self.rescan_all();
                next_rescan = rescan_every.map(|every| Instant::now() + every);
            }
        }
        // Dropping the backend stops notify's threads before we report.
        self.backend = None;
        self.emit(WatchEvent::State(WatcherState::Stopped));
    }

    fn running(&self) -> bool {
        self.listened && !self.stop.load(Ordering::Relaxed)
    }

    fn poll_interval(&self) -> Duration {
        secs(self.cfg.poll_secs.max(1))
    }

    fn emit(&mut self, event: WatchEvent) {
        if self.listened && !self.sink.deliver(event) {
            tracing::info!("nobody listens to the watcher any more; stopping");
            self.listened = false;
        }
    }

    fn report(&mut self, err: &WatchError) {
        tracing::warn!(%err, "watcher");
        self.emit(WatchEvent::Error(err.to_string()));
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Fs(Ok(events)) => {
                let touched = Touched::from_events(events);
                // Watch new folders before reading them, so that nothing
                // written into them falls between the read and the watch.
                self.follow_folders(&touched);
                self.recheck_later(&touched);
                self.apply_events(touched, false);
            }
            Command::Fs(Err(errors)) => {
                for err in errors {
                    self.backend_error(err);
                }
            }
            Command::AddDir(dir) => {
                if let Some(path) = self.add_root(dir) {
                    self.rescan(&path);
                }
            }
            Command::RemoveDir(dir) => self.remove_root(&dir),
            Command::Rescan => self.rescan_all(),
            Command::Stop => {}
        }
    }

    fn root_paths(&self) -> Vec<PathBuf> {
        self.roots.iter().map(|r| r.path.clone()).collect()
    }

    /// How long snippets of a gone file wait to be adopted: the two halves
    /// of a rename may land in consecutive batches.
    fn grace(&self) -> Duration {
        Duration::from_millis(self.cfg.debounce_ms.saturating_mul(2)) + Duration::from_millis(500)
    }

    /// The poll watcher compares modification times in whole seconds, so a
    /// second write within the second it last saw goes unreported. Looking
    /// once more at every path of a polled batch, after that second is
    /// over, catches it; an unchanged file costs a read and no write.
    fn recheck_later(&mut self, touched: &Touched) {
        if !matches!(self.backend, Some(Backend::Polling(_))) {
            return;
        }
        let at = Instant::now() + Duration::from_millis(1500);
        let renamed = touched.renames.iter().map(|(_, to)| to);
        for p in touched.paths.iter().chain(renamed) {
            self.recheck.entry(p.clone()).or_insert(at);
        }
    }

    fn run_rechecks(&mut self) {
        let due = take_due(&mut self.recheck);
        if due.is_empty() {
            return;
        }
        let touched = Touched {
            paths: due,
            ..Touched::default()
        };
        self.apply_events(touched, false);
    }

    /// Try again what a busy database refused.
    fn run_retries(&mut self) {
        for root in take_due(&mut self.rescan_retry) {
            if self.roots.iter().any(|r| r.path == root) {
                self.rescan(&root);
            }
        }
        let due = take_due(&mut self.retry);
        if due.is_empty() {
            return;
        }
        tracing::info!(
            paths = due.len(),
            "retrying changes the busy database refused"
        );
        let touched = Touched {
            paths: due,
            ..Touched::default()
        };
        self.apply_events(touched, false);
    }

    /// Keep `paths` for a retry after the current pause, and lengthen the
    /// pause for the next time. Reported once per busy spell, not per try.
    fn retry_later(&mut self, paths: impl IntoIterator<Item = PathBuf>, err: &WatchError) {
        let at = Instant::now() + self.retry_pause;
        let before = self.retry.len();
        for p in paths {
            self.retry.entry(p).or_insert(at);
        }
        if self.retry_pause == FIRST_RETRY {
            let n = self.retry.len().max(before);
            self.emit(WatchEvent::Error(format!(
                "{err}; another process is writing to the library, {n} changed path(s) will be retried"
            )));
        }
        tracing::warn!(%err, waiting = self.retry.len(), "database busy; will retry");
        self.retry_pause = (self.retry_pause * 2).min(LAST_RETRY);
    }

    /// Delete the snippets whose wait in limbo is over.
    fn settle_limbo(&mut self) {
        let due = take_due(&mut self.limbo);
        if due.is_empty() {
            return;
        }
        let touched = Touched {
            paths: due,
            ..Touched::default()
        };
        self.apply_events(touched, true);
    }

    /// Apply a batch. Unless `settling`, snippets of files that are gone go
    /// to limbo rather than being deleted at once.
    fn apply_events(&mut self, mut touched: Touched, settling: bool) {
        let full_rescan = touched.rescan;
        if !settling {
            // Give waiting snippets their chance with this batch's files.
            touched.paths.extend(self.limbo.keys().cloned());
        }
        let roots = self.root_paths();
        // Every path this batch is about, kept in case the database is
        // busy and the batch must be tried again.
        let mut again: BTreeSet<PathBuf> = touched.paths.clone();
        again.extend(
            touched
                .renames
                .iter()
                .flat_map(|(a, b)| [a.clone(), b.clone()]),
        );
        let result = Batch {
            store: &mut self.store,
            ingest: &self.ingest,
            skips: &mut self.skips,
            roots: &roots,
            keep_orphans: !settling,
        }
        .apply(touched);
        match result {
            Ok(Outcome {
                changes,
                rescan,
                missing,
                orphaned,
                skipped,
            }) => {
                for (path, reason) in skipped {
                    self.emit(WatchEvent::Skipped { path, reason });
                }
                self.retry_pause = FIRST_RETRY;
                if !settling {
                    // Every waiting path was part of this batch: what is
                    // still unclaimed keeps its original deadline.
                    let settle_at = Instant::now() + self.grace();
                    let waiting = std::mem::take(&mut self.limbo);
                    self.limbo = orphaned
                        .into_iter()
                        .map(|p| {
                            let at = waiting.get(&p).copied().unwrap_or(settle_at);
                            (p, at)
                        })
                        .collect();
                }
                for (path, change) in changes {
                    self.emit(WatchEvent::Changed { path, change });
                }
                for path in missing {
                    self.report(&WatchError::MissingDir(path));
                }
                if !full_rescan {
                    for root in rescan {
                        self.rescan(&root);
                    }
                }
            }
            // Gone files among `again` pass through limbo once more.
            Err(err) if err.is_busy() => self.retry_later(again, &err),
            Err(err) => self.report(&err),
        }
        if full_rescan {
            self.rescan_all();
        }
    }

    fn rescan_all(&mut self) {
        self.rescan_due = false;
        // Folders that could not be watched get another chance first, so
        // that the scan below reads what they hold once they can be read.
        self.retry_unreadable_folders();
        // A full rescan also resynchronises the cached skips.
        if let Ok(skips) = load_skips(&self.store) {
            self.skips = skips;
        }
        for root in self.root_paths() {
            if !self.running() {
                return;
            }
            self.rescan(&root);
        }
    }

    fn rescan(&mut self, root: &Path) {
        let roots = self.root_paths();
        let nested: Vec<PathBuf> = roots
            .into_iter()
            .filter(|r| r != root && r.starts_with(root))
            .collect();
        let mut skipped = Vec::new();
        let result = Scan {
            store: &mut self.store,
            ingest: &self.ingest,
            skips: &mut self.skips,
            cancel: Some(&self.stop),
            nested: &nested,
            newly_skipped: Some(&mut skipped),
        }
        .run(root);
        // Said once: a later scan finds the same reason recorded.
        for (path, reason) in skipped {
            self.emit(WatchEvent::Skipped { path, reason });
        }
        match result {
            Ok(report) => {
                self.retry_pause = FIRST_RETRY;
                self.emit(WatchEvent::ScanDone(report))
            }
            Err(WatchError::Stopped) => {}
            Err(err) if err.is_busy() => {
                // What the scan wrote before stays; the rest comes with the
                // next try, soon rather than at the periodic rescan.
                let at = Instant::now() + self.retry_pause;
                self.rescan_retry.entry(root.to_path_buf()).or_insert(at);
                self.retry_later([], &err);
            }
            Err(err) => self.report(&err),
        }
    }
}

/// First and longest wait before writing again to a busy database.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const LAST_RETRY: Duration = Duration::from_secs(10);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Remove and return the paths whose time has come.
fn take_due(waiting: &mut BTreeMap<PathBuf, Instant>) -> BTreeSet<PathBuf> {
    let now = Instant::now();
    let due: BTreeSet<PathBuf> = waiting
        .iter()
        .filter(|(_, &at)| at <= now)
        .map(|(p, _)| p.clone())
        .collect();
    waiting.retain(|p, _| !due.contains(p));
    due
}
