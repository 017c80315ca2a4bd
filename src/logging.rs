//! Logging goes to a file, never to the terminal the TUI draws on.

use tracing_subscriber::{fmt, EnvFilter};

/// Keep this alive for the life of the process: dropping it flushes the log.
pub struct LogGuard {
    _guard: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Log to `snipdex.log` in the log folder (level from `SNIPDEX_LOG`, default
/// `info`). If the folder cannot be made, log nowhere rather than fail.
pub fn init() -> LogGuard {
    install_panic_hook();
    let Ok(paths) = crate::paths::Paths::resolve() else {
        return LogGuard { _guard: None };
    };
    // The log quotes paths and errors from the library: private, like it.
    if paths.ensure().is_err() || crate::paths::open_private_file(&paths.log_file()).is_err() {
        return LogGuard { _guard: None };
    }
    let appender = tracing_appender::rolling::never(
        &paths.log_dir,
        paths.log_file().file_name().unwrap_or_default(),
    );
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("SNIPDEX_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .is_ok();
    LogGuard {
        _guard: installed.then_some(guard),
    }
}

/// Record panics in the log, with a backtrace, instead of Rust's report on
/// stderr. The main thread's panic is caught in `main` (see
/// [`crate::cmd::catch_panics`]), which says it in one line and exits 10; a
/// worker thread's is said here in one line. (The TUI restores the terminal
/// in its own hook, chained before this one, and keeps workers' panics off
/// the screen.) A panic the search index catches (tantivy meeting a damaged
/// file) is handled as damage, so it is only logged.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(move |info| {
        if crate::index::panic_is_caught() {
            tracing::warn!(panic = %info, "the search index met damaged data");
            return;
        }
        let backtrace = std::backtrace::Backtrace::force_capture();
        tracing::error!(panic = %info, %backtrace, "snipdex panicked");
        let thread = std::thread::current();
        if let Some(name) = thread.name().filter(|n| *n != "main") {
            eprintln!(
                "snipdex: internal error in {}: {}; this is a bug, and the log has the details",
                crate::domain::terminal::one_line(name),
                crate::domain::terminal::one_line(&crate::cmd::panic_message(info.payload()))
            );
        }
    }));
}
