//! Process exit statuses, and the error type that carries one: what every
//! command handler (the product's in `cmd`, the trainer's in `train`)
//! returns, and how library errors map onto the statuses.

use crate::library::LibraryError;
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
