//! The loop each worker thread runs, and the state the threads share.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::domain::SnippetId;
use crate::store::{Job, Store, StoreError};

use super::super::engine::{EnrichError, Enricher};
use super::super::job::{process, JobOutcome};
use super::super::locate::installed_model;
use super::{EnrichEvent, EnrichSink, OffCause, WorkerOptions, WorkerState};

/// State shared by the handle and the threads.
pub(super) struct Shared {
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
    pub(super) fn new(paused: bool, pause_file: Option<PathBuf>) -> Self {
        Self {
            paused: AtomicBool::new(paused),
            stop: AtomicBool::new(false),
            busy: Mutex::new(HashSet::new()),
            wake: Condvar::new(),
            pause_file_seen: Mutex::new(pause_file.as_ref().is_some_and(|p| p.exists())),
            pause_file,
        }
    }

    pub(super) fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Wakes every idle thread. Taking the lock first means no thread is
    /// between its last check and its wait, so the wake-up cannot be lost.
    pub(super) fn wake_all(&self) {
        let _busy = lock(&self.busy);
        self.wake.notify_all();
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub(super) fn stop_all(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake_all();
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

    pub(super) fn set_paused(&self, paused: bool) {
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
        self.wake_all();
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
        self.wake_all();
    }
}

/// The sink, and the last state reported through it so that each change is
/// reported once however many threads see it.
struct Reporter {
    sink: Box<dyn EnrichSink>,
    state: Option<WorkerState>,
}

#[derive(Clone)]
pub(super) struct SharedReporter(Arc<Mutex<Reporter>>);

impl SharedReporter {
    pub(super) fn new(sink: Box<dyn EnrichSink>) -> Self {
        Self(Arc::new(Mutex::new(Reporter { sink, state: None })))
    }

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

pub(super) struct Thread {
    store: Store,
    shared: Arc<Shared>,
    reporter: SharedReporter,
    opts: Arc<WorkerOptions>,
    enricher: Option<Enricher>,
}

impl Thread {
    pub(super) fn new(
        store: Store,
        shared: Arc<Shared>,
        reporter: SharedReporter,
        opts: Arc<WorkerOptions>,
    ) -> Self {
        Self {
            store,
            shared,
            reporter,
            opts,
            enricher: None,
        }
    }

    pub(super) fn run(mut self) {
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
                self.reporter.state(
                    &self.shared,
                    WorkerState::Off(e.to_string(), OffCause::of(&e)),
                );
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
