//! Background threads. Each reaches the UI only through the event channel
//! and ends when that channel closes (or, for input, when told to stop).

use crate::app::{AppEvent, IndexStatus};
use crate::index::SearchIndex;
use crate::store::Store;
use crossterm::event::{self, Event};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

const INPUT_POLL: Duration = Duration::from_millis(50);
pub const TICK: Duration = Duration::from_secs(1);
/// How often the library worker looks for commits by anyone else.
const LIBRARY_POLL: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GateState {
    Running,
    PauseRequested,
    Paused,
    Stop,
}

/// Lets the UI stop the input thread from reading the terminal while
/// `$EDITOR` owns it; otherwise the two would steal each other's keys.
#[derive(Debug)]
pub struct InputGate {
    state: Mutex<GateState>,
    changed: Condvar,
}

impl InputGate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        // The state is a plain enum: a panic elsewhere cannot corrupt it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, to: GateState) {
        *self.lock() = to;
        self.changed.notify_all();
    }

    /// Returns once the input thread is parked (or after a second, if it
    /// has died and will never answer).
    pub fn pause(&self) {
        let mut s = self.lock();
        if *s != GateState::Running {
            return;
        }
        *s = GateState::PauseRequested;
        self.changed.notify_all();
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        while *s == GateState::PauseRequested {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            s = self
                .changed
                .wait_timeout(s, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    pub fn resume(&self) {
        self.set(GateState::Running);
    }

    pub fn stop(&self) {
        self.set(GateState::Stop);
    }

    /// Block while paused; false once told to stop.
    fn wait_running(&self) -> bool {
        let mut s = self.lock();
        loop {
            match *s {
                GateState::Running => return true,
                GateState::Stop => return false,
                GateState::PauseRequested => {
                    *s = GateState::Paused;
                    self.changed.notify_all();
                }
                GateState::Paused => {
                    s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
                }
            }
        }
    }

    /// A gate with no input thread behind it, for a runtime that reads no
    /// keyboard (`snipdex bench-tui` sends its keys through the channel).
    pub fn detached() -> Arc<InputGate> {
        Arc::new(InputGate {
            state: Mutex::new(GateState::Stop),
            changed: Condvar::new(),
        })
    }
}

/// Read terminal events into the channel.
pub fn spawn_input(events: Sender<AppEvent>) -> std::io::Result<Arc<InputGate>> {
    let gate = Arc::new(InputGate {
        state: Mutex::new(GateState::Running),
        changed: Condvar::new(),
    });
    let g = Arc::clone(&gate);
    std::thread::Builder::new()
        .name("snipdex-input".into())
        .spawn(move || {
            while g.wait_running() {
                let ev = match event::poll(INPUT_POLL) {
                    Ok(false) => continue,
                    Ok(true) => event::read(),
                    Err(e) => Err(e),
                };
                let forwarded = match ev {
                    Ok(Event::Key(k)) => AppEvent::Key(k),
                    Ok(Event::Resize(w, h)) => AppEvent::Resize(w, h),
                    Ok(_) => continue,
                    Err(e) => {
                        let _ = events.send(AppEvent::Error(format!("terminal input failed: {e}")));
                        return;
                    }
                };
                if events.send(forwarded).is_err() {
                    return;
                }
            }
        })?;
    Ok(gate)
}

pub fn spawn_ticks(events: Sender<AppEvent>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("snipdex-tick".into())
        .spawn(move || loop {
            std::thread::sleep(TICK);
            if events.send(AppEvent::Tick).is_err() {
                return;
            }
        })?;
    Ok(())
}

/// Asks the library worker to sync the index and reload now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refresh;

/// Keeps the index and the UI's summaries in step with the store: on
/// request, and whenever anyone (this process's other threads, another
/// snipdex, a CLI command) commits to the database.
pub fn spawn_library(
    database: PathBuf,
    backups: PathBuf,
    index: Arc<SearchIndex>,
    events: Sender<AppEvent>,
) -> std::io::Result<Sender<Refresh>> {
    let (tx, rx) = mpsc::channel::<Refresh>();
    std::thread::Builder::new()
        .name("snipdex-library".into())
        .spawn(move || {
            let store = match Store::open(&database, &backups) {
                Ok(s) => s,
                Err(e) => {
                    let _ = events.send(AppEvent::Error(format!("library sync stopped: {e}")));
                    return;
                }
            };
            let send = |ev: AppEvent| events.send(ev).is_ok();
            let mut seen = store.data_version().unwrap_or(0);
            if !send(AppEvent::Index(sync_index(&store, &index))) {
                return;
            }
            loop {
                let reload = match rx.recv_timeout(LIBRARY_POLL) {
                    Ok(Refresh) => {
                        while rx.try_recv().is_ok() {}
                        true
                    }
                    Err(RecvTimeoutError::Timeout) => store.data_version().is_ok_and(|v| v != seen),
                    Err(RecvTimeoutError::Disconnected) => return,
                };
                if !reload {
                    continue;
                }
                // Read the version first: a commit racing with the reload
                // then triggers one more, never one less.
                seen = store.data_version().unwrap_or(seen);
                if !send(AppEvent::Index(sync_index(&store, &index))) {
                    return;
                }
                let ev = match store.summaries() {
                    Ok(s) => AppEvent::Loaded(Arc::new(s)),
                    Err(e) => AppEvent::Error(format!("cannot reload the library: {e}")),
                };
                if !send(ev) {
                    return;
                }
            }
        })?;
    Ok(tx)
}

fn sync_index(store: &Store, index: &SearchIndex) -> IndexStatus {
    if !index.is_writable() {
        // Another process owns the writer; pick up what it committed.
        return match index.refresh() {
            Ok(()) => IndexStatus::ReadOnly,
            Err(e) => IndexStatus::Failed(e.to_string()),
        };
    }
    match index.sync(store) {
        Ok(_) => IndexStatus::Ready(index.num_docs()),
        Err(e) => {
            tracing::warn!(error = %e, "index sync failed");
            IndexStatus::Failed(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NewSnippet;

    #[test]
    fn library_worker_reloads_on_outside_commits_and_keeps_the_index_in_step() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("lib.db");
        let store = Store::open(&db, dir.path()).unwrap();
        let index = Arc::new(SearchIndex::open_synced(&dir.path().join("idx"), &store).unwrap());
        let (etx, erx) = mpsc::channel();
        let refresh = spawn_library(db, dir.path().into(), Arc::clone(&index), etx).unwrap();
        let wait = || erx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(matches!(wait(), AppEvent::Index(IndexStatus::Ready(0))));
        // Another connection writes; nobody tells the worker.
        store
            .insert(&NewSnippet {
                title: "outside write".into(),
                content: "zebra".into(),
                ..Default::default()
            })
            .unwrap();
        assert!(matches!(wait(), AppEvent::Index(IndexStatus::Ready(1))));
        match wait() {
            AppEvent::Loaded(s) => assert_eq!(s[0].title, "outside write"),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(index.search("zebra", 5).unwrap().len(), 1);
        refresh.send(Refresh).unwrap();
        assert!(matches!(wait(), AppEvent::Index(_)));
        assert!(matches!(wait(), AppEvent::Loaded(_)));
        drop(refresh);
        assert!(erx.recv_timeout(Duration::from_secs(5)).is_err(), "exits");
    }
}
