//! The `snipdex` binary: parse the command line, log to a file, map errors
//! to exit codes. Everything else lives in the library.

use clap::Parser;
use snipdex::cli::Cli;
use snipdex::cmd::{self, Exit};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before any thread: candle reads its thread count once.
    snipdex::model::fit_threads_to_cpus();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage as u8 } else { 0 });
        }
    };
    let _log = snipdex::logging::init();
    match cmd::catch_panics(|| cmd::run(cli)) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => {
            tracing::error!(error = ?e.error, "command failed");
            // Messages quote paths and file contents: keep them one safe line.
            eprintln!(
                "snipdex: {}",
                snipdex::domain::terminal::one_line(&message(&e.error))
            );
            ExitCode::from(e.exit as u8)
        }
    }
}

/// The error and its causes on one line. Many library errors already quote
/// their source in their own message; a cause that adds nothing new is
/// left out instead of being printed twice.
fn message(error: &anyhow::Error) -> String {
    let mut msg = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
    }
    msg
}
