//! The enrichment worker: threads that take jobs from the SQLite queue, run
//! the model on them and write the fields back.
//!
//! The queue lives in the database, so a crash or kill loses nothing: a new
//! worker resumes whatever is queued. Each thread has its own store
//! connection and, loaded on its first job, its own model. Reports go to an
//! [`EnrichSink`], like the watcher's; a sink that refuses an event (its
//! receiver is gone) ends the worker, and so does dropping the handle.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::config::EnrichConfig;
use crate::domain::{Field, SnippetId};
use crate::paths::Paths;
use crate::store::{Job, Store, StoreError};

use super::adapters::AdapterSource;
use super::engine::{EnrichError, Enricher, EnricherOptions};
use super::job::{process, JobOutcome};
use super::locate::installed_model;

/// Failed attempts after which a job is left alone (it stays in the table
/// with its last error, for `snipdex doctor` and a later `enrich --all`).
pub const MAX_ATTEMPTS: i64 = 3;

/// Whether the worker is doing work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerState {
    Running,
    Paused,
    /// Not running, and why (no model installed, a broken adapter, ...).
    Off(String),
}

/// What the worker reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrichEvent {
    Started {
        id: SnippetId,
    },
    /// The fields actually written (locked ones and rejected answers are not).
    Done {
        id: SnippetId,
        fields_written: Vec<Field>,
    },
    Failed {
        id: SnippetId,
        error: String,
    },
    /// Jobs still to do.
    Progress {
        queued: i64,
    },
    State(WorkerState),
}

impl fmt::Display for EnrichEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnrichEvent::Started { id } => write!(f, "enriching #{id}"),
            EnrichEvent::Done { id, fields_written } if fields_written.is_empty() => {
                write!(f, "enriched #{id} (nothing new)")
            }
            EnrichEvent::Done { id, fields_written } => {
                let names: Vec<&str> = fields_written.iter().map(|x| x.name()).collect();
                write!(f, "enriched #{id} ({})", names.join(", "))
            }
            EnrichEvent::Failed { id, error } => write!(f, "enriching #{id} failed: {error}"),
            EnrichEvent::Progress { queued: 0 } => f.write_str("enrichment queue empty"),
            EnrichEvent::Progress { queued: 1 } => f.write_str("1 snippet to enrich"),
            EnrichEvent::Progress { queued } => write!(f, "{queued} snippets to enrich"),
            EnrichEvent::State(WorkerState::Running) => f.write_str("enrichment running"),
            EnrichEvent::State(WorkerState::Paused) => f.write_str("enrichment paused"),
            EnrichEvent::State(WorkerState::Off(why)) => write!(f, "enrichment off: {why}"),
        }
    }
}

/// Where the worker's events go; `false` from `deliver` means nobody
/// listens any more and the worker ends.
pub trait EnrichSink: Send + 'static {
    fn deliver(&mut self, event: EnrichEvent) -> bool;
}

impl<F> EnrichSink for F
where
    F: FnMut(EnrichEvent) -> bool + Send + 'static,
{
    fn deliver(&mut self, event: EnrichEvent) -> bool {
        self(event)
    }
}

impl EnrichSink for mpsc::Sender<EnrichEvent> {
    fn deliver(&mut self, event: EnrichEvent) -> bool {
        self.send(event).is_ok()
    }
}

/// The file whose presence keeps enrichment paused across runs and across
/// processes (`snipdex enrich --pause` reaches a running TUI through it).
pub fn pause_marker(paths: &Paths) -> PathBuf {
    paths.data_dir.join("enrich.paused")
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    pub db_path: PathBuf,
    pub backups_dir: PathBuf,
    /// The model file; `None` uses the one installed in `models_dir`.
    pub model: Option<PathBuf>,
    pub models_dir: PathBuf,
    pub adapters: AdapterSource,
    pub enricher: EnricherOptions,
    /// Threads, each with its own model.
    pub threads: usize,
    /// Start paused.
    pub paused: bool,
    /// Persisted pause flag, followed while running; see [`pause_marker`].
    pub pause_file: Option<PathBuf>,
    /// End once no job is left (foreground runs) instead of waiting for more.
    pub until_empty: bool,
    /// Only these snippets' jobs; the rest stay queued.
    pub only: Option<Vec<SnippetId>>,
    pub max_attempts: i64,
    /// How often an idle or paused worker looks at the queue again.
    pub poll: Duration,
    /// While no model is installed, look for one again this often; `None`
    /// turns the worker off instead.
    pub model_retry: Option<Duration>,
}

impl WorkerOptions {
    /// A background worker for the library in `paths`, set up from `config`.
    pub fn new(paths: &Paths, config: &EnrichConfig) -> Self {
        let pause_file = pause_marker(paths);
        Self {
            db_path: paths.database(),
            backups_dir: paths.backups_dir(),
            model: None,
            models_dir: paths.models_dir(),
            adapters: AdapterSource::standard(paths),
            enricher: EnricherOptions::for_paths(paths),
            threads: config.threads.max(1),
            paused: config.paused || pause_file.exists(),
            pause_file: Some(pause_file),
            until_empty: false,
            only: None,
            max_attempts: MAX_ATTEMPTS,
            poll: Duration::from_secs(2),
            model_retry: Some(Duration::from_secs(30)),
        }
    }
}

/// State shared by the handle and the threads.
struct Shared {
    paused: AtomicBool,
    stop: AtomicBool,
    /// Snippets a thread is working on; the condvar wakes idle threads.
    busy: Mutex<HashSet<SnippetId>>,
    wake: Condvar,
    pause_file: Option<PathBuf>,
    /// Whether the pause file existed when last looked at.
    pause_file_seen: Mutex<bool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking thread cannot leave these sets half-updated in a way that
    // matters more than stopping the whole worker would.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn stop_all(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake.notify_all();
    }

    /// Picks up a pause or resume made through the file by another process.
    fn follow_pause_file(&self) {
        let Some(path) = &self.pause_file else { return };
        let exists = path.exists();
        let mut seen = lock(&self.pause_file_seen);
        if *seen != exists {
            *seen = exists;
            self.paused.store(exists, Ordering::Relaxed);
        }
    }

    fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
        if let Some(path) = &self.pause_file {
            let result = if paused {
                std::fs::write(path, b"")
            } else {
                match std::fs::remove_file(path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    other => other,
                }
            };
            match result {
                Ok(()) => *lock(&self.pause_file_seen) = paused,
                Err(e) => tracing::warn!(path = %path.display(), error = %e,
                    "cannot persist the enrichment pause"),
            }
        }
        self.wake.notify_all();
    }

    fn idle_wait(&self, timeout: Duration) {
        let busy = lock(&self.busy);
        if self.stopped() {
            return;
        }
        let _ = self.wake.wait_timeout(busy, timeout);
    }

    fn release(&self, id: SnippetId) {
        lock(&self.busy).remove(&id);
        self.wake.notify_all();
    }
}

/// The sink, and the last state reported through it so that each change is
/// reported once however many threads see it.
struct Reporter {
    sink: Box<dyn EnrichSink>,
    state: Option<WorkerState>,
}

#[derive(Clone)]
struct SharedReporter(Arc<Mutex<Reporter>>);

impl SharedReporter {
    fn send(&self, shared: &Shared, event: EnrichEvent) {
        if !lock(&self.0).sink.deliver(event) {
            shared.stop_all();
        }
    }

    fn state(&self, shared: &Shared, state: WorkerState) {
        let mut reporter = lock(&self.0);
        if reporter.state.as_ref() != Some(&state) {
            reporter.state = Some(state.clone());
            if !reporter.sink.deliver(EnrichEvent::State(state)) {
                shared.stop_all();
            }
        }
    }
}

/// Controls a running worker. Dropping it stops the threads and waits for
/// them (at most the task each is on).
pub struct WorkerHandle {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl fmt::Debug for WorkerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerHandle")
            .field("threads", &self.threads.len())
            .field("paused", &self.is_paused())
            .finish()
    }
}

impl WorkerHandle {
    /// Pauses after the current snippet, persistently when the worker has
    /// a pause file.
    pub fn pause(&self) {
        self.shared.set_paused(true);
    }

    pub fn resume(&self) {
        self.shared.set_paused(false);
    }

    pub fn is_paused(&self) -> bool {
        self.shared.paused.load(Ordering::Relaxed)
    }

    /// New jobs were queued: look now rather than at the next poll.
    pub fn wake(&self) {
        self.shared.wake.notify_all();
    }

    /// Whether any thread is still running.
    pub fn is_running(&self) -> bool {
        self.threads.iter().any(|t| !t.is_finished())
    }

    /// Stops the threads and waits for them.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Waits until the threads end by themselves (`until_empty`, a closed
    /// sink, or the model being unavailable).
    pub fn join(mut self) {
        for t in self.threads.drain(..) {
            if t.join().is_err() {
                tracing::error!("an enrichment thread panicked");
            }
        }
    }

    fn shutdown(&mut self) {
        self.shared.stop_all();
        for t in self.threads.drain(..) {
            if t.join().is_err() {
                tracing::error!("an enrichment thread panicked");
            }
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the worker threads. Store errors come back here; a missing or
/// broken model is reported as [`WorkerState::Off`] once a job needs it.
pub fn spawn(opts: WorkerOptions, sink: impl EnrichSink) -> Result<WorkerHandle, EnrichError> {
    let threads = opts.threads.max(1);
    let stores = (0..threads)
        .map(|_| Store::open(&opts.db_path, &opts.backups_dir))
        .collect::<Result<Vec<_>, _>>()?;
    let shared = Arc::new(Shared {
        paused: AtomicBool::new(opts.paused),
        stop: AtomicBool::new(false),
        busy: Mutex::new(HashSet::new()),
        wake: Condvar::new(),
        pause_file_seen: Mutex::new(opts.pause_file.as_ref().is_some_and(|p| p.exists())),
        pause_file: opts.pause_file.clone(),
    });
    let reporter = SharedReporter(Arc::new(Mutex::new(Reporter {
        sink: Box::new(sink),
        state: None,
    })));
    let opts = Arc::new(opts);
    let mut handles = Vec::with_capacity(threads);
    for (i, store) in stores.into_iter().enumerate() {
        let thread = Thread {
            store,
            shared: Arc::clone(&shared),
            reporter: reporter.clone(),
            opts: Arc::clone(&opts),
            enricher: None,
        };
        let spawned = std::thread::Builder::new()
            .name(format!("snipdex-enrich-{i}"))
            .spawn(move || thread.run());
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => {
                // Threads already started end with the handle dropped here.
                drop(WorkerHandle {
                    shared,
                    threads: handles,
                });
                return Err(EnrichError::Thread(e));
            }
        }
    }
    Ok(WorkerHandle {
        shared,
        threads: handles,
    })
}

struct Thread {
    store: Store,
    shared: Arc<Shared>,
    reporter: SharedReporter,
    opts: Arc<WorkerOptions>,
    enricher: Option<Enricher>,
}

impl Thread {
    fn run(mut self) {
        self.progress();
        while !self.shared.stopped() {
            self.shared.follow_pause_file();
            if self.shared.paused.load(Ordering::Relaxed) {
                self.reporter.state(&self.shared, WorkerState::Paused);
                self.shared.idle_wait(self.opts.poll);
                continue;
            }
            let job = match self.claim() {
                Ok(Ok(job)) => job,
                Ok(Err(others_busy)) => {
                    if self.opts.until_empty && !others_busy {
                        self.shared.stop_all();
                        break;
                    }
                    self.reporter.state(&self.shared, WorkerState::Running);
                    self.shared.idle_wait(self.opts.poll);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the enrichment queue");
                    self.shared.idle_wait(self.opts.poll);
                    continue;
                }
            };
            let id = job.snippet_id;
            if self.ensure_model() {
                self.reporter.state(&self.shared, WorkerState::Running);
                self.work(&job);
            }
            self.shared.release(id);
        }
    }

    /// Loads the model on first use. On failure the worker reports itself
    /// off and either stops or, with no model installed yet, waits for one.
    fn ensure_model(&mut self) -> bool {
        if self.enricher.is_some() {
            return true;
        }
        let opts = &self.opts;
        let loaded = match &opts.model {
            Some(path) => Ok(path.clone()),
            None => installed_model(&opts.models_dir),
        }
        .and_then(|path| Enricher::load_with(&path, &opts.adapters, &opts.enricher));
        match loaded {
            Ok(enricher) => {
                self.enricher = Some(enricher);
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "enrichment is off");
                self.reporter
                    .state(&self.shared, WorkerState::Off(e.to_string()));
                match (&e, opts.model_retry) {
                    (EnrichError::NoModel { .. }, Some(retry)) => self.shared.idle_wait(retry),
                    _ => self.shared.stop_all(),
                }
                false
            }
        }
    }

    fn work(&mut self, job: &Job) {
        let Some(enricher) = &self.enricher else {
            return;
        };
        let id = job.snippet_id;
        let (shared, reporter) = (&self.shared, &self.reporter);
        let mut started = || reporter.send(shared, EnrichEvent::Started { id });
        let event = match process(&mut self.store, enricher, job, &shared.stop, &mut started) {
            Ok(JobOutcome::Done(fields_written)) => Some(EnrichEvent::Done { id, fields_written }),
            Ok(JobOutcome::Failed(error)) => Some(EnrichEvent::Failed { id, error }),
            Ok(JobOutcome::Skipped | JobOutcome::Cancelled) => None,
            Err(e) => {
                // The database, not the model, failed: count the attempt if
                // possible so that a poisoned job cannot spin forever.
                let error = e.to_string();
                tracing::warn!(id, %error, "enrichment job failed");
                if let Err(e) = self.store.fail_job(job, &error) {
                    tracing::warn!(id, error = %e, "cannot record the failure");
                    self.shared.idle_wait(self.opts.poll);
                }
                Some(EnrichEvent::Failed { id, error })
            }
        };
        if let Some(event) = event {
            self.reporter.send(&self.shared, event);
        }
        self.progress();
    }

    /// The oldest job no other thread is on, marked as taken; or, when there
    /// is none, whether other threads are still at work (a job of theirs may
    /// fail and come back).
    fn claim(&self) -> Result<Result<Job, bool>, StoreError> {
        let mut busy = lock(&self.shared.busy);
        let max = self.opts.max_attempts;
        let job = match &self.opts.only {
            Some(ids) => {
                let mut found = None;
                for id in ids.iter().filter(|id| !busy.contains(id)) {
                    found = self.store.job(*id)?.filter(|j| j.attempts < max);
                    if found.is_some() {
                        break;
                    }
                }
                found
            }
            None => self
                .store
                .pending_jobs(max, busy.len() + 1)?
                .into_iter()
                .find(|j| !busy.contains(&j.snippet_id)),
        };
        Ok(match job {
            Some(job) => {
                busy.insert(job.snippet_id);
                Ok(job)
            }
            None => Err(!busy.is_empty()),
        })
    }

    fn progress(&self) {
        let queued = match &self.opts.only {
            Some(ids) => ids
                .iter()
                .map(|id| self.store.job(*id))
                .filter(|j| matches!(j, Ok(Some(j)) if j.attempts < self.opts.max_attempts))
                .count() as i64,
            None => match self.store.pending_job_count(self.opts.max_attempts) {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot count enrichment jobs");
                    return;
                }
            },
        };
        self.reporter
            .send(&self.shared, EnrichEvent::Progress { queued });
    }
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
