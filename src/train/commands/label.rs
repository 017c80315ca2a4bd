//! `snipdex label`: teacher labels for the training rows.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::exit::{CliError, CmdResult, Exit};
use crate::train::cli::{LabelArgs, ResponseFormatArg};
use crate::train::label::{run_labelling, AnswerFormat, LabelError, LabelEvent, LabelOptions};

pub fn label(a: LabelArgs) -> CmdResult {
    let api_key = match &a.api_key_env {
        None => None,
        Some(var) => match std::env::var(var) {
            Ok(key) if !key.trim().is_empty() => Some(key.trim().to_owned()),
            _ => {
                return Err(CliError::new(
                    Exit::Usage,
                    anyhow::anyhow!(
                    "the environment variable {var} (named by --api-key-env) is not set or empty"
                ),
                ))
            }
        },
    };
    let opts = LabelOptions {
        endpoint: a.endpoint,
        model: a.model,
        api_key,
        data: a.data,
        out: a.out,
        limit: a.limit,
        concurrency: usize::from(a.concurrency),
        timeout: Duration::from_secs(a.timeout_secs),
        format: match a.response_format {
            ResponseFormatArg::Text => AnswerFormat::Text,
            ResponseFormatArg::JsonObject => AnswerFormat::JsonObject,
            ResponseFormatArg::JsonSchema => AnswerFormat::JsonSchema,
            ResponseFormatArg::SchemaInJsonObject => AnswerFormat::SchemaInJsonObject,
        },
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg} (eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (mut ok, mut failed) = (0usize, 0usize);
    let result = run_labelling(&opts, &mut |event| match event {
        LabelEvent::Started {
            pending,
            already_done,
            dropped_bytes,
        } => {
            if dropped_bytes > 0 {
                say(
                    &bar,
                    format!(
                        "dropped a torn last line ({dropped_bytes} bytes) from {}",
                        opts.out.display()
                    ),
                );
            }
            if already_done > 0 {
                say(
                    &bar,
                    format!("{already_done} rows already labelled; skipping them"),
                );
            }
            bar.set_length(pending as u64);
        }
        LabelEvent::Labelled { .. } => {
            ok += 1;
            bar.inc(1);
            bar.set_message(format!("ok {ok}, failed {failed}"));
        }
        LabelEvent::Failed { id, reason } => {
            failed += 1;
            bar.inc(1);
            bar.set_message(format!("ok {ok}, failed {failed}"));
            say(&bar, format!("{id}: {reason}"));
        }
    });
    bar.finish_and_clear();
    let summary = result.map_err(|e| CliError::new(exit_for(&e), e))?;
    let done = summary.labelled + summary.failed;
    let per_row = if done > 0 {
        format!(
            ", {:.1} s per row",
            summary.elapsed.as_secs_f64() / done as f64
        )
    } else {
        String::new()
    };
    eprintln!(
        "labelled {}, failed {}, already done {}, left by --limit {} in {:.1} s{per_row}",
        summary.labelled,
        summary.failed,
        summary.already_done,
        summary.left,
        summary.elapsed.as_secs_f64(),
    );
    if summary.failed > 0 {
        eprintln!(
            "failures and their reasons: {} (retried on the next run)",
            summary.failures_path.display()
        );
    }
    Ok(Exit::Ok)
}

/// A line above the bar, or on stderr when the bar is hidden (not a TTY).
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

fn exit_for(error: &LabelError) -> Exit {
    match error {
        LabelError::InputIo { .. }
        | LabelError::InputRow { .. }
        | LabelError::OutputCorrupt { .. } => Exit::BadInput,
        LabelError::InvalidEndpoint { .. } | LabelError::FormatRefused { .. } => Exit::Usage,
        LabelError::Unreachable { .. } | LabelError::Refused { .. } => Exit::Unavailable,
        LabelError::Output { .. } => Exit::Failure,
    }
}
