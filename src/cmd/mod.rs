//! Subcommand handlers: the edge where library errors become messages and
//! exit codes.

mod adapters;
mod admin;
mod bench;
pub mod bench_tui;
mod enrich;
mod live;
mod model;
mod output;
mod pending;
mod snippets;
mod sync;
mod transfer;

pub use crate::exit::{CliError, CmdResult, Exit};

use crate::cli::{Cli, Command};
use crate::paths::Paths;

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

/// Run one parsed command line.
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
            // The trainer's commands: the one place the product reaches
            // into `train`.
            Command::Trainer(c) => crate::train::run(paths, c),
            Command::Sync(a) => sync::sync(paths, a),
            Command::BenchSync(a) => sync::bench(a),
            Command::BenchTui(a) => bench_tui::run(&paths, a).map_err(CliError::from),
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
