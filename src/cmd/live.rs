//! Long-running commands: the TUI, the picker and the foreground watcher.

use super::{CliError, CmdResult, Exit};
use crate::app::keymap::Keymap;
use crate::app::AppEvent;
use crate::config::{Config, ConfigError, EnrichConfig};
use crate::domain::terminal::one_line;
use crate::domain::NewSnippet;
use crate::enrich::{EnrichEvent, WorkerOptions};
use crate::library::{InstanceLock, Library};
use crate::paths::Paths;
use crate::tui::{AppContext, AppError, EnrichControl};
use crate::watch::{FileChange, WatchEvent, Watcher};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// The first-run samples as new snippets; the write path marks them as
/// samples (`intake::Origin::Sample`) when the TUI adds them.
pub fn samples() -> Result<Vec<NewSnippet>, crate::tui::SamplesError> {
    Ok(crate::ingest::sample_snippets()?
        .into_iter()
        .map(|s| NewSnippet {
            title: s.title,
            description: s.description,
            tags: s.tags,
            language: s.language,
            content: s.content,
            ..Default::default()
        })
        .collect())
}

/// `snipdex` with no arguments: the TUI, with the folder watcher running.
pub fn tui(paths: Paths) -> CmdResult {
    let _owner = InstanceLock::acquire(&paths)?;
    let lib = Library::open(paths)?;
    let dirs = lib.store.watch_dirs()?;
    let Library {
        paths,
        config,
        store,
        index,
    } = lib;
    let keymap = user_keymap(&paths, &config)?;
    let mut ctx = AppContext::new(paths.clone(), config.clone(), store, Arc::new(index))
        .with_samples(samples)
        .with_keymap(keymap);
    if config.enrich.enabled {
        ctx = start_enrichment(ctx, &paths, &config.enrich);
    }
    let ui = ctx.sender();
    let ingest = crate::ingest::IngestOptions::from_config(&config);
    // The watcher reports into the UI's channel and ends when the UI does.
    let watcher = if dirs.is_empty() {
        None
    } else {
        let started = Watcher::new(
            &paths.database(),
            &paths.backups_dir(),
            config.watch.clone(),
            ingest,
        )
        .dirs(dirs)
        .start(move |e: WatchEvent| ui.send(app_event(e)).is_ok());
        match started {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "folder watcher did not start");
                let _ = ctx.sender().send(AppEvent::Error(format!("watcher: {e}")));
                None
            }
        }
    };
    // Automatic sync (`sync.auto`) reports into the status bar.
    let to_ui = ctx.sender();
    let auto = crate::sync::auto::start(&paths, &config, move |s| {
        let changed = s.library_changed;
        to_ui.send(AppEvent::Sync(s.text)).is_ok()
            && (!changed || to_ui.send(AppEvent::LibraryChanged).is_ok())
    });
    let result = crate::tui::run(ctx);
    if let Some(a) = auto {
        a.stop();
    }
    if let Some(w) = watcher {
        w.stop();
    }
    result.map_err(|e| CliError::new(Exit::Failure, e))?;
    Ok(Exit::Ok)
}

/// The TUI's keys: the default table with config.toml's `[keys]`, or the
/// entry that cannot work, reported as every other invalid config value
/// is (file, line, hint; exit 4).
fn user_keymap(paths: &Paths, config: &Config) -> Result<Keymap, ConfigError> {
    Keymap::with_user_keys(&config.keys)
        .map_err(|bad| ConfigError::invalid(&paths.config_file(), bad))
}

/// What the TUI hears of a watcher event.
fn app_event(e: WatchEvent) -> AppEvent {
    match e {
        WatchEvent::State(s) => AppEvent::Watch(s.to_string()),
        WatchEvent::Error(e) => AppEvent::Error(e),
        // Only a folder that cannot be read is skipped as a folder: news
        // for the status bar, said once.
        WatchEvent::Skipped { path, reason } if path.is_dir() => {
            AppEvent::Status(format!("{}: {reason}", path.display()))
        }
        WatchEvent::Changed { .. } | WatchEvent::ScanDone(_) | WatchEvent::Skipped { .. } => {
            AppEvent::LibraryChanged
        }
    }
}

/// Start the enrichment worker for the TUI. It reports into the UI's
/// channel and ends once the UI is gone; the UI controls and stops it.
fn start_enrichment(ctx: AppContext, paths: &Paths, config: &EnrichConfig) -> AppContext {
    let ui = ctx.sender();
    let sink = move |e: EnrichEvent| ui.send(AppEvent::Enrich(e)).is_ok();
    let mut opts = WorkerOptions::new(paths, config);
    opts.who = "snipdex (TUI)".into();
    match crate::enrich::spawn(opts, sink) {
        Ok(worker) => ctx.with_enrich(EnrichControl::new(worker, paths)),
        Err(e) => {
            tracing::warn!(error = %e, "enrichment worker did not start");
            ctx.with_enrich_error(e.to_string())
        }
    }
}

/// `snipdex pick`: choose interactively, print the content on stdout.
pub fn pick(paths: Paths, query: String) -> CmdResult {
    let lib = Library::open(paths)?;
    let keymap = user_keymap(&lib.paths, &lib.config)?;
    let Library { store, index, .. } = lib;
    match crate::tui::pick(&store, Arc::new(index), &query, keymap) {
        Ok(Some(s)) => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(s.content.as_bytes())?;
            if !s.content.ends_with('\n') {
                writeln!(out)?;
            }
            Ok(Exit::Ok)
        }
        Ok(None) => Ok(Exit::NoMatch),
        Err(AppError::NoTerminal(e)) => Err(CliError::new(
            Exit::Unavailable,
            anyhow::anyhow!("pick needs a terminal to draw on: {e}"),
        )),
        Err(e) => Err(CliError::new(Exit::Failure, e)),
    }
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
    Sync(crate::sync::auto::AutoState),
    Enrich(crate::enrich::worker::EnrichEvent),
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
    let tx_enrich = tx.clone();
    let tx_sync = tx.clone();
    ctrlc::set_handler(move || {
        let _ = interrupt.send(Signal::Interrupt);
    })
    .map_err(|e| CliError::from(anyhow::anyhow!("cannot handle Ctrl-C: {e}")))?;
    let ingest = crate::ingest::IngestOptions::from_config(&lib.config);
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
    // Enrichment runs beside the watcher, as it does in the TUI.
    let enrich_tx = tx_enrich;
    let worker = if lib.config.enrich.enabled {
        let mut opts = crate::enrich::worker::WorkerOptions::new(&lib.paths, &lib.config.enrich);
        opts.who = "snipdex watch".into();
        match crate::enrich::worker::spawn(opts, move |e| enrich_tx.send(Signal::Enrich(e)).is_ok())
        {
            Ok(h) => Some(h),
            Err(e) => {
                eprintln!("warning: enrichment did not start: {e}");
                None
            }
        }
    } else {
        None
    };
    // Automatic sync (`sync.auto`), off unless configured.
    let auto = crate::sync::auto::start(&lib.paths, &lib.config, move |s| {
        tx_sync.send(Signal::Sync(s)).is_ok()
    });
    loop {
        // Wake up now and then to index what other processes (a CLI `add`
        // while we own the index) left in the outbox.
        match rx.recv_timeout(Duration::from_secs(2)) {
            Ok(Signal::Interrupt) => break,
            Ok(Signal::Sync(state)) => {
                eprintln!("sync: {}", one_line(&state.text));
                if state.library_changed {
                    lib.sync_index();
                }
            }
            Ok(Signal::Enrich(event)) => {
                use crate::enrich::worker::EnrichEvent;
                // Per-snippet starts are noise on a terminal; the rest is news.
                if !matches!(event, EnrichEvent::Started { .. }) {
                    eprintln!("{}", one_line(&event.to_string()));
                }
                lib.sync_index();
            }
            Ok(Signal::Watch(event)) => {
                match &event {
                    WatchEvent::State(s) => eprintln!("state: {s}"),
                    WatchEvent::Changed { path, change } => {
                        eprintln!("{}: {}", one_line(&path.to_string_lossy()), summary(change))
                    }
                    WatchEvent::Skipped { path, reason } => eprintln!(
                        "skipped {}: {}",
                        one_line(&path.to_string_lossy()),
                        one_line(reason)
                    ),
                    WatchEvent::ScanDone(r) => eprintln!(
                        "scanned {}: {} files, {} skipped, {} gone{}; {} in {} ms",
                        one_line(&r.root.to_string_lossy()),
                        r.files,
                        r.skipped,
                        r.gone,
                        if r.issues > 0 {
                            format!(", {} folders or links unreadable (see doctor)", r.issues)
                        } else {
                            String::new()
                        },
                        summary(&r.change),
                        r.elapsed_ms
                    ),
                    WatchEvent::Error(e) => eprintln!("warning: {}", one_line(&e.to_string())),
                }
                lib.sync_index();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => lib.sync_index(),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    eprintln!("stopping…");
    if let Some(a) = auto {
        a.stop();
    }
    if let Some(w) = worker {
        w.stop();
    }
    handle.stop();
    lib.sync_index();
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_folder_shows_in_the_status_bar_and_a_skipped_file_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let folder = WatchEvent::Skipped {
            path: dir.path().to_path_buf(),
            reason: "cannot watch this folder".into(),
        };
        assert!(matches!(
            app_event(folder),
            AppEvent::Status(s) if s.contains("cannot watch this folder")
        ));
        let file = WatchEvent::Skipped {
            path: dir.path().join("blob.bin"),
            reason: "binary".into(),
        };
        assert!(matches!(app_event(file), AppEvent::LibraryChanged));
    }
}
