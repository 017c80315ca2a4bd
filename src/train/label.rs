//! `snipdex label`: a larger LLM, reached through any OpenAI-compatible chat
//! endpoint, writes the titles, descriptions, tags and API names that the
//! task adapters are trained on.
//!
//! ```text
//! dataset.jsonl ─► skip ids already in labels.jsonl ─► N workers ─► teacher
//!                                                        │  answer ─► clean-up ─► retry with the reason
//!                   labels.jsonl ◄─ one synced line ◄────┤
//!          labels.failures.jsonl ◄─ id + reason ◄────────┘
//! ```
//!
//! A row with a usable docstring keeps its first sentence as the
//! description (real text beats teacher text); the teacher writes it only
//! for rows without one. Every line records which model labelled it, where
//! and when.

mod client;
#[cfg(test)]
mod fake_server;
mod input;
mod journal;
mod teacher;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::enrich::clean::clean_description;
pub use client::{completions_url, AnswerFormat};
use client::{CallError, ChatClient};
pub use input::{read_rows, InputRow};
use journal::Journal;

/// One first try and this many retries after an unusable answer.
pub const MAX_ATTEMPTS: usize = 3;
/// `kind` of every label written by this command. Labels the developers
/// write by hand are LLM-written too and use the same kind.
pub const LABELER_KIND: &str = "llm";

/// Errors that stop a labelling run. Problems with single rows do not: they
/// are recorded in the failures file.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("cannot read {}", path.display())]
    InputIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: not a dataset row: {reason}", path.display())]
    InputRow {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("cannot write {}", path.display())]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}:{line} is not a label line, so the file cannot be resumed; \
         move it aside or fix that line",
        path.display()
    )]
    OutputCorrupt { path: PathBuf, line: usize },
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },
    #[error("cannot reach the endpoint {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error(
        "{url} does not take --response-format {format}: HTTP {status}: {body} \
         (try --response-format {instead})"
    )]
    FormatRefused {
        url: String,
        format: &'static str,
        instead: &'static str,
        status: u16,
        body: String,
    },
    #[error("{url} answered HTTP {status}: {body} (check --endpoint, --model and the API key)")]
    Refused {
        url: String,
        status: u16,
        body: String,
    },
}

/// How to run.
#[derive(Debug, Clone)]
pub struct LabelOptions {
    /// Server root, `/v1` base or full chat completions URL.
    pub endpoint: String,
    /// Model name sent to the endpoint and recorded with each label.
    pub model: String,
    /// Sent as a bearer token when set.
    pub api_key: Option<String>,
    /// `snipdex dataset` JSONL.
    pub data: PathBuf,
    /// Labels JSONL, appended to.
    pub out: PathBuf,
    /// Label at most this many new rows in this run.
    pub limit: Option<usize>,
    /// Requests in flight at once (at least one).
    pub concurrency: usize,
    /// Per request.
    pub timeout: Duration,
    /// How the answer's shape is asked for.
    pub format: AnswerFormat,
}

/// Where a label's description came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DescriptionSource {
    /// The first sentence of the row's docstring.
    Docstring,
    /// Written by the teacher model.
    Teacher,
}

/// Who labelled a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labeler {
    /// Always [`LABELER_KIND`] for now.
    pub kind: String,
    pub model: String,
    /// Host name only: no scheme, port, path or credentials.
    pub endpoint_host: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// One line of the labels file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRow {
    pub id: String,
    pub title: String,
    pub description: String,
    pub description_source: DescriptionSource,
    pub tags: Vec<String>,
    pub apis: Vec<String>,
    pub labeler: Labeler,
}

/// One line of the failures file; the row is tried again on the next run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRow {
    pub id: String,
    pub reason: String,
    pub attempts: usize,
    pub labeler: Labeler,
}

/// Progress reports of [`run_labelling`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelEvent {
    /// Work is about to start.
    Started {
        pending: usize,
        already_done: usize,
        /// Bytes of a torn last line cut from the labels file.
        dropped_bytes: u64,
    },
    Labelled {
        id: String,
    },
    Failed {
        id: String,
        reason: String,
    },
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSummary {
    pub labelled: usize,
    pub failed: usize,
    /// Rows skipped because the labels file already had them.
    pub already_done: usize,
    /// Rows left for a later run by `limit`.
    pub left: usize,
    pub elapsed: Duration,
    pub failures_path: PathBuf,
}

/// The failures file kept next to `out`: `labels.jsonl` ->
/// `labels.failures.jsonl`.
pub fn failures_path(out: &Path) -> PathBuf {
    out.with_extension("failures.jsonl")
}

enum Outcome {
    Labelled(Box<LabelRow>),
    Failed(FailureRow),
    Fatal(LabelError),
}

/// Labels every row of `opts.data` not yet in `opts.out`, appending to it.
/// Returns early with an error only for problems no row can get past (bad
/// input, unwritable output, an endpoint that is down or refuses the key);
/// labels finished before that are kept.
pub fn run_labelling(
    opts: &LabelOptions,
    progress: &mut dyn FnMut(LabelEvent),
) -> Result<LabelSummary, LabelError> {
    let started = Instant::now();
    let client = ChatClient::new(
        &opts.endpoint,
        &opts.model,
        opts.api_key.clone(),
        opts.timeout,
        opts.format,
    )?;
    let rows = read_rows(&opts.data)?;
    let (mut labels, resumed) = Journal::open(&opts.out)?;
    let todo: Vec<&InputRow> = rows
        .iter()
        .filter(|row| !resumed.done.contains(&row.id))
        .collect();
    let already_done = rows.len() - todo.len();
    let pending = &todo[..todo.len().min(opts.limit.unwrap_or(usize::MAX))];
    progress(LabelEvent::Started {
        pending: pending.len(),
        already_done,
        dropped_bytes: resumed.dropped_bytes,
    });

    let failures_path = failures_path(&opts.out);
    let mut failures: Option<Journal> = None;
    let mut summary = LabelSummary {
        labelled: 0,
        failed: 0,
        already_done,
        left: todo.len() - pending.len(),
        elapsed: Duration::ZERO,
        failures_path: failures_path.clone(),
    };
    let mut first_error: Option<LabelError> = None;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel::<Outcome>();
    std::thread::scope(|scope| {
        for _ in 0..opts.concurrency.clamp(1, pending.len().max(1)) {
            let sender = sender.clone();
            let (next, stop, client) = (&next, &stop, &client);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Some(row) = pending.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let outcome = label_one(client, row);
                    if matches!(outcome, Outcome::Fatal(_)) {
                        stop.store(true, Ordering::Relaxed);
                    }
                    if sender.send(outcome).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // Keep draining after an error so that answers already paid for
        // are still written.
        for outcome in receiver {
            let written = match outcome {
                Outcome::Labelled(row) => labels.append(&row).map(|()| {
                    summary.labelled += 1;
                    progress(LabelEvent::Labelled { id: row.id });
                }),
                Outcome::Failed(failure) => append_failure(&mut failures, &failures_path, &failure)
                    .map(|()| {
                        summary.failed += 1;
                        progress(LabelEvent::Failed {
                            id: failure.id,
                            reason: failure.reason,
                        });
                    }),
                Outcome::Fatal(error) => Err(error),
            };
            if let Err(error) = written {
                stop.store(true, Ordering::Relaxed);
                first_error.get_or_insert(error);
            }
        }
    });
    if let Some(error) = first_error {
        return Err(error);
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn append_failure(
    journal: &mut Option<Journal>,
    path: &Path,
    failure: &FailureRow,
) -> Result<(), LabelError> {
    // Opened on the first failure, so that clean runs leave no empty file.
    let journal = match journal {
        Some(journal) => journal,
        None => journal.insert(Journal::open(path)?.0),
    };
    journal.append(failure)
}

fn labeler(client: &ChatClient) -> Labeler {
    let at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        // Only years outside 0..=9999 fail to format.
        .unwrap_or_default();
    Labeler {
        kind: LABELER_KIND.to_owned(),
        model: client.model().to_owned(),
        endpoint_host: client.host().to_owned(),
        at,
    }
}

/// Asks the teacher about `row` until an answer passes the clean-up, up to
/// [`MAX_ATTEMPTS`] times.
fn label_one(client: &ChatClient, row: &InputRow) -> Outcome {
    let failed = |reason: String, attempts: usize| {
        Outcome::Failed(FailureRow {
            id: row.id.clone(),
            reason,
            attempts,
            labeler: labeler(client),
        })
    };
    if row.code.trim().is_empty() {
        return failed("the row has no code".into(), 0);
    }
    let docstring = row
        .docstring
        .as_deref()
        .and_then(|doc| clean_description(doc, &row.code).ok());
    let with_description = docstring.is_none();
    let mut conversation = teacher::messages(row, with_description);
    let schema = teacher::answer_schema(with_description);
    let mut reason = String::new();
    let mut attempts = 0;
    while attempts < MAX_ATTEMPTS {
        attempts += 1;
        // A little randomness on retries, so a bad answer is not repeated.
        let temperature = if attempts == 1 { 0.2 } else { 0.6 };
        match client.complete(&conversation, temperature, &schema) {
            Ok(raw) => match teacher::parse_answer(&raw, &row.code, with_description) {
                Ok(answer) => {
                    let (description, description_source) = match (docstring, answer.description) {
                        (Some(doc), _) => (doc, DescriptionSource::Docstring),
                        (None, Some(text)) => (text, DescriptionSource::Teacher),
                        // parse_answer always fills it when asked.
                        (None, None) => return failed("no description".into(), attempts),
                    };
                    return Outcome::Labelled(Box::new(LabelRow {
                        id: row.id.clone(),
                        title: answer.title,
                        description,
                        description_source,
                        tags: answer.tags,
                        apis: answer.apis,
                        labeler: labeler(client),
                    }));
                }
                Err(why) => {
                    tracing::debug!(id = %row.id, attempts, %why, "unusable teacher answer: {raw:?}");
                    conversation.extend(teacher::correction(&raw, &why, with_description));
                    reason = why;
                }
            },
            Err(CallError::Fatal(error)) => return Outcome::Fatal(error),
            Err(CallError::Row {
                reason: why,
                transient,
            }) => {
                reason = why;
                if !transient {
                    break;
                }
                if attempts < MAX_ATTEMPTS {
                    std::thread::sleep(Duration::from_secs(attempts as u64));
                }
            }
        }
    }
    failed(reason, attempts)
}
