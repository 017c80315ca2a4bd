//! Automatic sync while the TUI or `snipdex watch` runs (`sync.auto`).
//!
//! A thread of its own with its own store connection: it syncs once the
//! library has been quiet for `sync.settle_secs` after a change, and every
//! `sync.interval_mins` regardless (to bring the other machines' changes
//! in). It never asks for a password (batch mode): a remote that needs one
//! fails with a message in the status bar. What it does reaches the caller
//! only through the callback; it stops when the callback returns `false`
//! or [`AutoSync::stop`] is called.

use super::{SyncLock, SyncReport, Syncer};
use crate::config::Config;
use crate::paths::Paths;
use crate::store::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The automatic sync's state, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoState {
    /// Short words: "syncing…", "synced 2 min ago (↑2 ↓1)", "failed: …".
    pub text: String,
    /// Snippets came in: the library view should reload.
    pub library_changed: bool,
}

pub struct AutoSync {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl AutoSync {
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for AutoSync {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Start automatic sync when the config asks for it and sync is set up;
/// `None` otherwise (and nothing runs).
pub fn start(
    paths: &Paths,
    config: &Config,
    report: impl Fn(AutoState) -> bool + Send + 'static,
) -> Option<AutoSync> {
    if !config.sync.auto {
        return None;
    }
    let store = Store::open(&paths.database(), &paths.backups_dir()).ok()?;
    if store.sync_state(super::key::REPO).ok().flatten().is_none() {
        let _ = report(AutoState {
            text: "off (run `snipdex sync init URL`)".into(),
            library_changed: false,
        });
        return None;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let paths = paths.clone();
    let config = config.clone();
    let handle = std::thread::Builder::new()
        .name("snipdex-sync".into())
        .spawn(move || run(store, &paths, &config, &flag, report))
        .ok()?;
    Some(AutoSync {
        stop,
        handle: Some(handle),
    })
}

fn run(
    store: Store,
    paths: &Paths,
    config: &Config,
    stop: &AtomicBool,
    report: impl Fn(AutoState) -> bool,
) {
    let interval = Duration::from_secs(config.sync.interval_mins * 60);
    let settle = Duration::from_secs(config.sync.settle_secs);
    let mut synced_mark = -1;
    let mut last_mark = store.change_mark().unwrap_or(0);
    let mut last_change = Instant::now();
    // The first sync comes soon after start, to bring in what the other
    // machines did meanwhile.
    let mut last_sync = Instant::now() - interval + settle.max(Duration::from_secs(2));
    if !report(AutoState {
        text: format!("auto every {} min", config.sync.interval_mins),
        library_changed: false,
    }) {
        return;
    }
    // The last result and the minutes since it that the bar shows.
    let mut last: Option<(String, u64)> = None;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        if let Some((moved, shown)) = &mut last {
            let minutes = last_sync.elapsed().as_secs() / 60;
            if minutes != *shown {
                *shown = minutes;
                let text = since(minutes, moved);
                if !report(AutoState {
                    text,
                    library_changed: false,
                }) {
                    return;
                }
            }
        }
        let mark = store.change_mark().unwrap_or(last_mark);
        if mark != last_mark {
            last_mark = mark;
            last_change = Instant::now();
        }
        let settled = mark != synced_mark && synced_mark >= 0 && last_change.elapsed() >= settle;
        if !(settled || last_sync.elapsed() >= interval) {
            continue;
        }
        if !report(AutoState {
            text: "syncing…".into(),
            library_changed: false,
        }) {
            return;
        }
        let state = match once(&store, paths, config) {
            Ok(r) => {
                let moved = summary(&r);
                last = Some((moved.clone(), 0));
                AutoState {
                    text: since(0, &moved),
                    library_changed: r.received() > 0,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "automatic sync failed");
                last = None;
                AutoState {
                    text: format!("failed: {e}"),
                    library_changed: false,
                }
            }
        };
        last_sync = Instant::now();
        // Its own imports moved the mark; they are not changes to send.
        synced_mark = store.change_mark().unwrap_or(mark);
        last_mark = synced_mark;
        if !report(state) {
            return;
        }
    }
}

fn once(store: &Store, paths: &Paths, config: &Config) -> super::Result<SyncReport> {
    let _lock = SyncLock::acquire(paths)?;
    Syncer::open(store, config, true)?.sync()
}

/// "↑2 ↓1, 3 held back": what a sync moved, for the status bar.
pub fn summary(r: &SyncReport) -> String {
    let mut parts = vec![format!("↑{} ↓{}", r.sent(), r.received())];
    if r.held_back > 0 {
        parts.push(format!("{} held back", r.held_back));
    }
    if !r.conflicts.is_empty() {
        parts.push(format!("{} merged", r.conflicts.len()));
    }
    parts.join(", ")
}

/// "synced just now (↑2 ↓1)", "synced 5 min ago (…)".
fn since(minutes: u64, summary: &str) -> String {
    match minutes {
        0 => format!("synced just now ({summary})"),
        m => format!("synced {m} min ago ({summary})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_says_what_moved_and_when() {
        let r = SyncReport {
            sent_new: 1,
            sent_changed: 1,
            received_deleted: 1,
            held_back: 3,
            ..SyncReport::default()
        };
        assert_eq!(summary(&r), "↑2 ↓1, 3 held back");
        assert_eq!(since(0, "↑0 ↓0"), "synced just now (↑0 ↓0)");
        assert_eq!(since(7, "x"), "synced 7 min ago (x)");
    }
}
