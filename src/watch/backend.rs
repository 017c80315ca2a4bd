//! The two ways of hearing about changes, behind one type.

use super::{Command, WatcherState};
use notify::{PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    new_debouncer_opt, DebounceEventResult, Debouncer, NoCache, RecommendedCache,
};
use std::path::Path;
use std::sync::mpsc::Sender;
use std::time::Duration;

pub(crate) enum Backend {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Polling(Debouncer<PollWatcher, NoCache>),
}

/// The debouncer's tick is a quarter of its window; a zero window would
/// make it spin.
const MIN_DEBOUNCE: Duration = Duration::from_millis(20);

fn forward(tx: Sender<Command>) -> impl FnMut(DebounceEventResult) + Send + 'static {
    // A closed channel means the watcher thread is ending; nothing to do.
    move |result| {
        let _ = tx.send(Command::Fs(result));
    }
}

impl Backend {
    pub fn native(debounce: Duration, tx: Sender<Command>) -> notify::Result<Backend> {
        let debouncer = new_debouncer_opt::<_, RecommendedWatcher, RecommendedCache>(
            debounce.max(MIN_DEBOUNCE),
            None,
            forward(tx),
            RecommendedCache::new(),
            notify::Config::default(),
        )?;
        Ok(Backend::Native(debouncer))
    }

    pub fn polling(
        debounce: Duration,
        interval: Duration,
        tx: Sender<Command>,
    ) -> notify::Result<Backend> {
        let debouncer = new_debouncer_opt::<_, PollWatcher, NoCache>(
            debounce.max(MIN_DEBOUNCE),
            None,
            forward(tx),
            NoCache,
            notify::Config::default().with_poll_interval(interval),
        )?;
        Ok(Backend::Polling(debouncer))
    }

    pub fn state(&self) -> WatcherState {
        match self {
            Backend::Native(_) => WatcherState::Native,
            Backend::Polling(_) => WatcherState::Polling,
        }
    }

    pub fn watch(&mut self, dir: &Path) -> notify::Result<()> {
        match self {
            Backend::Native(d) => d.watch(dir, RecursiveMode::Recursive),
            Backend::Polling(d) => d.watch(dir, RecursiveMode::Recursive),
        }
    }

    /// Watch `dir` itself, not the folders inside it.
    pub fn watch_one(&mut self, dir: &Path) -> notify::Result<()> {
        match self {
            Backend::Native(d) => d.watch(dir, RecursiveMode::NonRecursive),
            Backend::Polling(d) => d.watch(dir, RecursiveMode::NonRecursive),
        }
    }

    pub fn unwatch(&mut self, dir: &Path) -> notify::Result<()> {
        match self {
            Backend::Native(d) => d.unwatch(dir),
            Backend::Polling(d) => d.unwatch(dir),
        }
    }
}
