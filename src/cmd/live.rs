//! Long-running commands: the TUI, the picker and the foreground watcher.

use super::{CliError, CmdResult};
use crate::paths::Paths;

pub fn tui(_paths: Paths) -> CmdResult {
    Err(CliError::from(anyhow::anyhow!("the TUI is not wired yet")))
}

pub fn pick(_paths: Paths, _query: String) -> CmdResult {
    Err(CliError::from(anyhow::anyhow!("pick is not wired yet")))
}

pub fn watch_foreground(_paths: Paths) -> CmdResult {
    Err(CliError::from(anyhow::anyhow!("watch is not wired yet")))
}
