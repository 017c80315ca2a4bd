//! The enrichment worker: threads that take jobs from the SQLite queue, run
//! the model on them and write the fields back.
//!
//! The queue lives in the database, so a crash or kill loses nothing: a new
//! worker resumes whatever is queued. Each thread has its own store
//! connection and, loaded on its first job, its own model. Reports go to an
//! [`EnrichSink`], like the watcher's; a sink that refuses an event (its
//! receiver is gone) ends the worker, and so does dropping the handle.

mod priority;
mod thread;
mod turn;

use std::fmt;
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::config::EnrichConfig;
use crate::domain::{Field, SnippetId};
use crate::paths::Paths;
use crate::store::Store;

use super::adapters::AdapterSource;
use super::engine::{EnrichError, EnricherOptions};
#[cfg(target_os = "linux")]
pub use priority::current_thread_priority;
pub use priority::{lower_current_thread, Politeness};
use thread::{Shared, SharedReporter, Thread};
pub use turn::enrich_lock_file;
use turn::Turns;

/// Failed attempts after which a job is left alone (it stays in the table
/// with its last error, for `snipdex doctor` and a later `enrich --all`).
pub const MAX_ATTEMPTS: i64 = 3;

/// Whether the worker is doing work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerState {
    Running,
    Paused,
    /// Not running, and why (no model installed, a broken adapter, ...).
    Off(String, OffCause),
    /// Waiting while another process (named here) runs the model for this
    /// library; this worker takes over when that one stops or dies.
    Deferred(String),
}

/// What turned the worker off, for callers that map it to an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffCause {
    /// No model is installed.
    NoModel,
    /// The model, an adapter, a prompt template, the link table or the tag
    /// vocabulary cannot be used as given.
    BadInput,
    /// Anything else (the database, a thread).
    Other,
}

impl OffCause {
    /// The cause for a load failure.
    pub fn of(error: &EnrichError) -> Self {
        match error {
            EnrichError::NoModel { .. } | EnrichError::ChosenModelMissing { .. } => Self::NoModel,
            EnrichError::Model { .. }
            | EnrichError::Adapter { .. }
            | EnrichError::AdapterDirMissing(_)
            | EnrichError::Prompt(_)
            | EnrichError::LinkTable(_)
            | EnrichError::Vocabulary(_) => Self::BadInput,
            _ => Self::Other,
        }
    }
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
            EnrichEvent::State(WorkerState::Off(why, _)) => write!(f, "enrichment off: {why}"),
            EnrichEvent::State(WorkerState::Deferred(who)) => {
                write!(f, "enrichment waiting: {who} is enriching this library")
            }
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
    paths.enrich_pause_marker()
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
    /// Threads, each with its own model (at most one per core).
    pub threads: usize,
    /// Jobs a thread takes at once, when that many are queued, and runs
    /// together ([`crate::enrich::Enricher::enrich_bulk`]).
    pub bulk: usize,
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
    /// Run the threads at low CPU priority (see [`lower_current_thread`]):
    /// right for background work, wrong for a run the user waits on. A
    /// low-priority worker also hands the model over to a waiting
    /// foreground run (see [`enrich_lock_file`]).
    pub low_priority: bool,
    /// The lock that lets one process at a time run the model for this
    /// library; `None` runs without asking anyone.
    pub lock_file: Option<PathBuf>,
    /// How this process names itself to those that wait for it.
    pub who: String,
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
            threads: worker_threads(config.threads),
            bulk: config.bulk.max(1),
            paused: config.paused || pause_file.exists(),
            pause_file: Some(pause_file),
            until_empty: false,
            only: None,
            max_attempts: MAX_ATTEMPTS,
            poll: Duration::from_secs(2),
            model_retry: Some(Duration::from_secs(30)),
            low_priority: true,
            lock_file: Some(enrich_lock_file(paths)),
            who: "snipdex".into(),
        }
    }
}

/// Worker threads for a wish of `wanted`: at least one, at most one per
/// core. Each thread's model already spreads every step over the cores
/// (candle's pool: a thread per physical core, or `RAYON_NUM_THREADS`), so
/// threads beyond the cores only add copies of the model taking turns.
pub fn worker_threads(wanted: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    wanted.clamp(1, cores)
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
        self.shared.is_paused()
    }

    /// New jobs were queued: look now rather than at the next poll.
    pub fn wake(&self) {
        self.shared.wake_all();
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
    let threads = worker_threads(opts.threads);
    let stores = (0..threads)
        .map(|_| Store::open(&opts.db_path, &opts.backups_dir))
        .collect::<Result<Vec<_>, _>>()?;
    let turns = opts
        .lock_file
        .clone()
        .map(|lock| Turns::new(lock, opts.who.clone(), !opts.low_priority));
    let shared = Arc::new(Shared::new(opts.paused, opts.pause_file.clone(), turns));
    let reporter = SharedReporter::new(Box::new(sink));
    let low_priority = opts.low_priority;
    let opts = Arc::new(opts);
    let mut handles = Vec::with_capacity(threads);
    for (i, store) in stores.into_iter().enumerate() {
        let thread = Thread::new(
            store,
            Arc::clone(&shared),
            reporter.clone(),
            Arc::clone(&opts),
        );
        let spawned = std::thread::Builder::new()
            .name(format!("snipdex-enrich-{i}"))
            .spawn(move || {
                if low_priority {
                    lower_current_thread();
                }
                thread.run()
            });
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

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
