//! One queued job, from the stored snippet to the written fields.

use std::sync::atomic::AtomicBool;

use crate::domain::{Field, Snippet};
use crate::store::{GeneratedValue, Job, Store, StoreError};

use super::engine::{EnrichError, EnrichOutput, Enricher};
use super::task::Task;

/// How a job ended.
#[derive(Debug)]
pub(crate) enum JobOutcome {
    /// Fields were generated and those not locked meanwhile were written.
    Done(Vec<Field>),
    /// The snippet is gone, or the job was for content it no longer has.
    Skipped,
    /// Stopped on request; the job stays queued and no attempt is counted.
    Cancelled,
    /// Enrichment failed; the attempt was counted.
    Failed(String),
}

fn field_of(task: Task) -> Field {
    match task {
        Task::Title => Field::Title,
        Task::Description => Field::Description,
        Task::Tags => Field::Tags,
        Task::Links => Field::Links,
    }
}

/// The tasks a job asks for, minus those whose field the user locked.
pub(crate) fn wanted_tasks(job: &Job, snippet: &Snippet) -> Vec<Task> {
    let fields = if job.fields.is_empty() {
        Field::ALL.to_vec()
    } else {
        job.fields.clone()
    };
    Task::ALL
        .into_iter()
        .filter(|&t| {
            let f = field_of(t);
            fields.contains(&f) && !snippet.meta.get(f).locked
        })
        .collect()
}

/// Runs `job` and records the result in the queue. `started` is told the
/// snippet id once there is real work to do.
pub(crate) fn process(
    store: &mut Store,
    enricher: &Enricher,
    job: &Job,
    cancel: &AtomicBool,
    started: &mut dyn FnMut(),
) -> Result<JobOutcome, StoreError> {
    let Some(snippet) = store.find(job.snippet_id)? else {
        store.finish_job(job)?;
        return Ok(JobOutcome::Skipped);
    };
    if snippet.content_hash != job.content_hash {
        // Either a newer save replaced this job (finishing it is then a
        // no-op) or the content changed without one: queue what is there now.
        if store.finish_job(job)? {
            store.enqueue_job(snippet.id, &job.fields)?;
        }
        return Ok(JobOutcome::Skipped);
    }
    let tasks = wanted_tasks(job, &snippet);
    if tasks.is_empty() {
        store.finish_job(job)?;
        return Ok(JobOutcome::Done(Vec::new()));
    }
    started();
    let file_name = snippet
        .source
        .path()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let output = enricher.enrich_tasks(
        &snippet.content,
        Some(&snippet.language),
        file_name.as_deref(),
        &tasks,
        Some(cancel),
    );
    let output = match output {
        Ok(output) => output,
        Err(EnrichError::Cancelled) => return Ok(JobOutcome::Cancelled),
        Err(e) => {
            let error = e.to_string();
            tracing::warn!(id = snippet.id, %error, "enrichment failed");
            store.fail_job(job, &error)?;
            return Ok(JobOutcome::Failed(error));
        }
    };
    let written = store.transaction(|s| write_fields(s, enricher, job, &output))?;
    store.finish_job(job)?;
    Ok(JobOutcome::Done(written))
}

/// Writes every produced field, inside the caller's transaction so that
/// nothing lands for content that changed while the model was writing (a
/// newer job covers that) and a lock set meanwhile is honoured.
fn write_fields(
    store: &Store,
    enricher: &Enricher,
    job: &Job,
    output: &EnrichOutput,
) -> Result<Vec<Field>, StoreError> {
    match store.find(job.snippet_id)? {
        Some(s) if s.content_hash == job.content_hash => {}
        _ => return Ok(Vec::new()),
    }
    let f = &output.fields;
    let values = [
        (Task::Title, f.title.clone().map(GeneratedValue::Text)),
        (
            Task::Description,
            f.description.clone().map(GeneratedValue::Text),
        ),
        (Task::Tags, f.tags.clone().map(GeneratedValue::List)),
        (Task::Links, f.links.clone().map(GeneratedValue::List)),
    ];
    let mut written = Vec::new();
    for (task, value) in values {
        let Some(value) = value else { continue };
        let field = field_of(task);
        if store.set_generated(job.snippet_id, field, &value, enricher.provenance(task))? {
            written.push(field);
        }
    }
    Ok(written)
}
