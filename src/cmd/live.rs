//! Long-running commands: the TUI, the picker and the foreground watcher.

use super::{CliError, CmdResult, Exit};
use crate::library::{InstanceLock, Library};
use crate::paths::Paths;
use crate::watch::{FileChange, WatchEvent, Watcher};
use std::sync::mpsc;
use std::time::Duration;

pub fn tui(_paths: Paths) -> CmdResult {
    Err(CliError::from(anyhow::anyhow!("the TUI is not wired yet")))
}

pub fn pick(_paths: Paths, _query: String) -> CmdResult {
    Err(CliError::from(anyhow::anyhow!("pick is not wired yet")))
}

fn summary(c: &FileChange) -> String {
    format!(
        "+{} added, {} updated, {} moved, -{} removed",
        c.added, c.updated, c.moved, c.removed
    )
}

/// What a foreground watcher reports to the terminal.
enum Signal {
    Watch(WatchEvent),
    Interrupt,
}

/// `snipdex watch`: keep every configured folder in the library until
/// interrupted (Ctrl-C or SIGTERM).
pub fn watch_foreground(paths: Paths) -> CmdResult {
    let _owner = InstanceLock::acquire(&paths)?;
    let lib = Library::open(paths)?;
    let dirs = lib.store.watch_dirs()?;
    if dirs.is_empty() {
        return Err(CliError::bad_input(
            "no folders to watch; add one with `snipdex watch add DIR`",
        ));
    }
    let (tx, rx) = mpsc::channel::<Signal>();
    let interrupt = tx.clone();
    ctrlc::set_handler(move || {
        let _ = interrupt.send(Signal::Interrupt);
    })
    .map_err(|e| CliError::from(anyhow::anyhow!("cannot handle Ctrl-C: {e}")))?;
    let ingest = crate::ingest::IngestOptions {
        max_file_bytes: lib.config.ingest.max_file_bytes,
    };
    let handle = Watcher::new(
        &lib.paths.database(),
        &lib.paths.backups_dir(),
        lib.config.watch.clone(),
        ingest,
    )
    .dirs(dirs.clone())
    .start(move |e| tx.send(Signal::Watch(e)).is_ok())?;
    for d in &dirs {
        eprintln!("watching {}", d.display());
    }
    loop {
        // Wake up now and then to index what other processes (a CLI `add`
        // while we own the index) left in the outbox.
        match rx.recv_timeout(Duration::from_secs(2)) {
            Ok(Signal::Interrupt) => break,
            Ok(Signal::Watch(event)) => {
                match &event {
                    WatchEvent::State(s) => eprintln!("state: {s}"),
                    WatchEvent::Changed { path, change } => {
                        eprintln!("{}: {}", path.display(), summary(change))
                    }
                    WatchEvent::ScanDone(r) => eprintln!(
                        "scanned {}: {} files, {} skipped, {} gone; {} in {} ms",
                        r.root.display(),
                        r.files,
                        r.skipped,
                        r.gone,
                        summary(&r.change),
                        r.elapsed_ms
                    ),
                    WatchEvent::Error(e) => eprintln!("warning: {e}"),
                }
                lib.sync_index();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => lib.sync_index(),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    eprintln!("stopping…");
    handle.stop();
    lib.sync_index();
    Ok(Exit::Ok)
}
