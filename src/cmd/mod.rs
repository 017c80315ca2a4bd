//! Subcommand handlers: the edge where library errors become messages and
//! exit codes.

mod adapters;
mod admin;
mod bench;
mod dataset;
mod enrich;
mod label;
mod live;
mod model;
mod output;
mod pending;
mod snippets;
mod sync;
mod train;
mod transfer;

use crate::cli::{Cli, Command};
use crate::library::LibraryError;
use crate::paths::Paths;
use crate::store::StoreError;

/// Process exit statuses, documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    NoMatch = 1,
    Usage = 2,
    NotFound = 3,
    BadInput = 4,
    Unavailable = 5,
    Failure = 10,
}

/// An error with the exit status it should produce.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub error: anyhow::Error,
}

impl CliError {
    pub fn new(exit: Exit, error: impl Into<anyhow::Error>) -> CliError {
        CliError {
            exit,
            error: error.into(),
        }
    }
    pub fn bad_input(msg: impl std::fmt::Display) -> CliError {
        CliError::new(Exit::BadInput, anyhow::anyhow!("{msg}"))
    }
}

impl From<anyhow::Error> for CliError {
    fn from(error: anyhow::Error) -> CliError {
        let exit = classify(&error);
        CliError { exit, error }
    }
}

macro_rules! into_cli_error {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> CliError { anyhow::Error::from(e).into() }
        }
    )*};
}
into_cli_error!(
    LibraryError,
    StoreError,
    crate::index::IndexError,
    crate::paths::PathsError,
    crate::config::ConfigError,
    std::io::Error,
    serde_json::Error,
    crate::watch::WatchError,
    crate::enrich::EnrichError
);

fn store_exit(e: &StoreError) -> Exit {
    match e {
        StoreError::NotFound(_) => Exit::NotFound,
        StoreError::Corrupt { .. } | StoreError::TooNew { .. } => Exit::Unavailable,
        _ => Exit::Failure,
    }
}

/// Pick the exit status from the first error in the chain that tells.
/// `#[error(transparent)]` wrappers hide their inner error from `chain()`,
/// so those are unwrapped by hand.
fn classify(error: &anyhow::Error) -> Exit {
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            return store_exit(e);
        }
        if let Some(e) = cause.downcast_ref::<LibraryError>() {
            match e {
                LibraryError::AlreadyRunning { .. } => return Exit::Unavailable,
                LibraryError::Config(_) | LibraryError::Refused(_) => return Exit::BadInput,
                LibraryError::Store(s) => return store_exit(s),
                LibraryError::Index(crate::index::IndexError::Store(s)) => return store_exit(s),
                _ => {}
            }
        }
        if let Some(crate::index::IndexError::Store(s)) = cause.downcast_ref() {
            return store_exit(s);
        }
        if let Some(crate::index::IndexError::Damaged(_)) = cause.downcast_ref() {
            return Exit::Unavailable;
        }
        if let Some(LibraryError::Index(crate::index::IndexError::Damaged(_))) =
            cause.downcast_ref()
        {
            return Exit::Unavailable;
        }
        if cause.downcast_ref::<crate::config::ConfigError>().is_some() {
            return Exit::BadInput;
        }
        if let Some(e) = cause.downcast_ref::<crate::enrich::EnrichError>() {
            // The worker sorts these for its own report; the exit status
            // follows the same sorting.
            use crate::enrich::worker::OffCause;
            match (OffCause::of(e), e) {
                (OffCause::NoModel, _) => return Exit::Unavailable,
                (OffCause::BadInput, _) => return Exit::BadInput,
                (_, crate::enrich::EnrichError::Store(s)) => return store_exit(s),
                _ => {}
            }
        }
    }
    Exit::Failure
}

pub type CmdResult = Result<Exit, CliError>;

/// Run one parsed command line.
/// Run `f`, turning a panic into exit 10 (a failure in the README's table
/// of exit codes) with a one-line message, instead of Rust's report and
/// exit 101. The panic hook (`logging`) has logged the details.
pub fn catch_panics(f: impl FnOnce() -> CmdResult) -> CmdResult {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        Err(CliError::new(
            Exit::Failure,
            anyhow::anyhow!(
                "internal error: {}; this is a bug, and the log has the details",
                panic_message(payload.as_ref())
            ),
        ))
    })
}

/// The text a panic was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

pub fn run(cli: Cli) -> CmdResult {
    let paths = Paths::resolve()?;
    // A library made by an older snipdex, or under a loose umask, may be
    // readable by other users: make it private, and say so.
    for t in paths.tighten() {
        eprintln!(
            "snipdex: {} (others could read your library)",
            crate::domain::terminal::one_line(&t.to_string())
        );
    }
    match cli.command {
        None => admin::tui(paths),
        Some(cmd) => match cmd {
            Command::Add(a) => snippets::add(paths, a),
            Command::List(a) => snippets::list(paths, a),
            Command::Show(a) => snippets::show(paths, a),
            Command::Search(a) => snippets::search(paths, a),
            Command::Edit(a) => snippets::edit(paths, a),
            Command::Rm(a) => snippets::rm(paths, a),
            Command::Tag(a) => snippets::tag(paths, a),
            Command::Export(a) => transfer::export(paths, a),
            Command::Import(a) => transfer::import(paths, a),
            Command::Watch(a) => admin::watch(paths, a),
            Command::Reindex => admin::reindex(paths),
            Command::Doctor(a) => admin::doctor(paths, a),
            Command::Pick(a) => admin::pick(paths, a),
            Command::Completions { shell } => admin::completions(shell),
            Command::Man { dir } => admin::man(dir.as_deref()),
            Command::Bench(a) => bench::run(a).map_err(CliError::from),
            Command::Model(a) => model::run(paths, a),
            Command::Enrich(a) => enrich::enrich(paths, a),
            Command::BenchEnrich(a) => enrich::bench(paths, a),
            Command::Dataset(a) => dataset::run(a),
            Command::Train(a) => train::train(paths, a),
            Command::Eval(a) => train::eval(paths, a),
            Command::Label(a) => label::label(a),
            Command::Sync(a) => sync::sync(paths, a),
            Command::BenchSync(a) => sync::bench(a),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_exit_10_and_one_message_not_exit_101() {
        let caught = catch_panics(|| panic!("boom at {}", 3)).unwrap_err();
        assert_eq!(caught.exit as u8, 10);
        let said = caught.error.to_string();
        assert!(said.starts_with("internal error: boom at 3;"), "{said}");
        let fine = catch_panics(|| Ok(Exit::Ok)).unwrap();
        assert_eq!(fine as u8, 0);
    }
}
