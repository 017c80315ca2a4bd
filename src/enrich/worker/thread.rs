//! The loop each worker thread runs, and the state the threads share.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::domain::SnippetId;
use crate::store::{Job, Store, StoreError};

use super::super::engine::{EnrichError, Enricher};
use super::super::job::{process_bulk, JobOutcome};
use super::super::locate::installed_model;
use super::turn::Turns;
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
    /// The library's enrichment lock (see [`super::turn`]), if coordinated.
    turns: Option<Mutex<Turns>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking thread cannot leave these sets half-updated in a way that
    // matters more than stopping the whole worker would.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub(super) fn new(paused: bool, pause_file: Option<PathBuf>, turns: Option<Turns>) -> Self {
        Self {
            turns: turns.map(Mutex::new),
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

    /// Whether this process may run the model now (taking the lock if it
    /// is free), or who runs it instead.
    fn my_turn(&self) -> Option<String> {
        let turns = self.turns.as_ref()?;
        match lock(turns).take() {
            Ok(holder) => holder,
            Err(e) => {
                // A lock that cannot be used must not stop enrichment.
                tracing::warn!(error = %e, "cannot use the enrichment lock; running anyway");
                None
            }
        }
    }

    /// Lets the lock go once no thread is on a job.
    fn end_turn(&self) {
        let busy = lock(&self.busy);
        if busy.is_empty() {
            if let Some(turns) = &self.turns {
                lock(turns).release();
            }
        }
    }

    /// Hands the lock over when a foreground run waits for it.
    fn yield_if_wanted(&self) {
        if let Some(turns) = &self.turns {
            let mut turns = lock(turns);
            if turns.should_yield() {
                tracing::info!("handing enrichment over to a waiting `snipdex enrich`");
                turns.release();
            }
        }
    }

    fn release(&self, jobs: &[Job]) {
        let mut busy = lock(&self.busy);
        for job in jobs {
            busy.remove(&job.snippet_id);
        }
        drop(busy);
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
    /// The queue length last reported while deferring.
    reported_queue: Option<i64>,
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
            reported_queue: None,
        }
    }

    pub(super) fn run(mut self) {
        self.progress();
        while !self.shared.stopped() {
            self.shared.follow_pause_file();
            if self.shared.paused.load(Ordering::Relaxed) {
                self.shared.end_turn();
                self.reporter.state(&self.shared, WorkerState::Paused);
                self.shared.idle_wait(self.opts.poll);
                continue;
            }
            let jobs = match self.claim() {
                Ok(Ok(jobs)) => jobs,
                Ok(Err(others_busy)) => {
                    if !others_busy {
                        self.shared.end_turn();
                    }
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
            if let Some(holder) = self.shared.my_turn() {
                // Another process runs the model: leave the jobs to it (the
                // queue is shared) and look again later.
                self.shared.release(&jobs);
                self.defer(holder);
                continue;
            }
            self.reported_queue = None;
            if self.ensure_model() {
                self.reporter.state(&self.shared, WorkerState::Running);
                self.work(&jobs);
            }
            self.shared.release(&jobs);
            self.shared.yield_if_wanted();
        }
        self.shared.end_turn();
    }

    /// Says who runs the model instead, follows the queue they work
    /// through, and waits.
    fn defer(&mut self, holder: String) {
        self.reporter
            .state(&self.shared, WorkerState::Deferred(holder));
        let queued = self.queued();
        if queued.is_some() && queued != self.reported_queue {
            self.reported_queue = queued;
            self.progress();
        }
        self.shared.idle_wait(self.opts.poll);
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

    fn work(&mut self, jobs: &[Job]) {
        let Some(enricher) = &self.enricher else {
            return;
        };
        let (shared, reporter) = (&self.shared, &self.reporter);
        let mut started = |id| reporter.send(shared, EnrichEvent::Started { id });
        let outcomes: Vec<Result<JobOutcome, String>> = match process_bulk(
            &mut self.store,
            enricher,
            jobs,
            &shared.stop,
            &mut started,
        ) {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(e) => {
                // The database, not the model, failed: count the attempts if
                // possible so that a poisoned job cannot spin forever.
                let error = e.to_string();
                tracing::warn!(%error, "enrichment jobs failed");
                let mut failed = Vec::with_capacity(jobs.len());
                for job in jobs {
                    if let Err(e) = self.store.fail_job(job, &error) {
                        tracing::warn!(id = job.snippet_id, error = %e, "cannot record the failure");
                        self.shared.idle_wait(self.opts.poll);
                    }
                    failed.push(Err(error.clone()));
                }
                failed
            }
        };
        for (job, outcome) in jobs.iter().zip(outcomes) {
            let id = job.snippet_id;
            let event = match outcome {
                Ok(JobOutcome::Done(fields_written)) => {
                    Some(EnrichEvent::Done { id, fields_written })
                }
                Ok(JobOutcome::Failed(error)) | Err(error) => {
                    Some(EnrichEvent::Failed { id, error })
                }
                Ok(JobOutcome::Skipped | JobOutcome::Cancelled) => None,
            };
            if let Some(event) = event {
                self.reporter.send(&self.shared, event);
            }
        }
        self.progress();
    }

    /// The oldest jobs (up to the bulk size) no other thread is on, marked
    /// as taken; or, when there is none, whether other threads are still
    /// at work (a job of theirs may fail and come back).
    fn claim(&self) -> Result<Result<Vec<Job>, bool>, StoreError> {
        let mut busy = lock(&self.shared.busy);
        let max = self.opts.max_attempts;
        let want = self.opts.bulk.max(1);
        let mut jobs = Vec::with_capacity(want);
        match &self.opts.only {
            Some(ids) => {
                for id in ids.iter().filter(|id| !busy.contains(id)) {
                    if let Some(job) = self.store.job(*id)?.filter(|j| j.attempts < max) {
                        jobs.push(job);
                        if jobs.len() == want {
                            break;
                        }
                    }
                }
            }
            None => jobs.extend(
                self.store
                    .pending_jobs(max, busy.len() + want)?
                    .into_iter()
                    .filter(|j| !busy.contains(&j.snippet_id))
                    .take(want),
            ),
        }
        if jobs.is_empty() {
            return Ok(Err(!busy.is_empty()));
        }
        busy.extend(jobs.iter().map(|j| j.snippet_id));
        Ok(Ok(jobs))
    }

    fn progress(&self) {
        if let Some(queued) = self.queued() {
            self.reporter
                .send(&self.shared, EnrichEvent::Progress { queued });
        }
    }

    /// Jobs this worker would still run.
    fn queued(&self) -> Option<i64> {
        Some(match &self.opts.only {
            Some(ids) => ids
                .iter()
                .map(|id| self.store.job(*id))
                .filter(|j| matches!(j, Ok(Some(j)) if j.attempts < self.opts.max_attempts))
                .count() as i64,
            None => match self.store.pending_job_count(self.opts.max_attempts) {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot count enrichment jobs");
                    return None;
                }
            },
        })
    }
}
