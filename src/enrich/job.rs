//! One queued job, from the stored snippet to the written fields.

use std::sync::atomic::AtomicBool;

use crate::domain::{Field, Snippet, SnippetId};
use crate::store::{GeneratedValue, Job, Store, StoreError};

use super::engine::{BulkItem, EnrichError, EnrichOutput, Enricher};
use super::task::Task;
use super::vocab::{library_forms, Vocabulary};

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
    started: &mut dyn FnMut(SnippetId),
) -> Result<JobOutcome, StoreError> {
    let mut outcomes = process_bulk(store, enricher, std::slice::from_ref(job), cancel, started)?;
    Ok(outcomes.pop().unwrap_or(JobOutcome::Cancelled))
}

/// A job whose snippet is there and has work for the model.
struct Ready {
    snippet: Snippet,
    tasks: Vec<Task>,
    file_name: Option<String>,
}

/// Runs `jobs` together (one prefill each, their answers decoded side by
/// side) and records each result in the queue; the outcomes come back in
/// the jobs' order. When the batched decode itself fails, each job is run
/// alone so that one bad snippet cannot fail the others.
pub(crate) fn process_bulk(
    store: &mut Store,
    enricher: &Enricher,
    jobs: &[Job],
    cancel: &AtomicBool,
    started: &mut dyn FnMut(SnippetId),
) -> Result<Vec<JobOutcome>, StoreError> {
    let mut outcomes: Vec<Option<JobOutcome>> = Vec::with_capacity(jobs.len());
    let mut ready = Vec::new();
    for job in jobs {
        match prepare(store, job)? {
            Ok(r) => {
                started(job.snippet_id);
                ready.push((job, r));
                outcomes.push(None);
            }
            Err(outcome) => outcomes.push(Some(outcome)),
        }
    }
    if !ready.is_empty() {
        let items: Vec<BulkItem<'_>> = ready
            .iter()
            .map(|(_, r)| BulkItem {
                code: &r.snippet.content,
                language: Some(r.snippet.language.as_str()),
                file_name: r.file_name.as_deref(),
                tasks: &r.tasks,
            })
            .collect();
        let results = match enricher.enrich_bulk(&items, Some(cancel)) {
            Ok(results) => results,
            Err(EnrichError::Cancelled) => {
                let cancelled = jobs.iter().map(|_| JobOutcome::Cancelled);
                return Ok(outcomes
                    .into_iter()
                    .zip(cancelled)
                    .map(|(o, c)| o.unwrap_or(c))
                    .collect());
            }
            Err(e) if ready.len() > 1 => {
                tracing::warn!(error = %e, "bulk enrichment failed; running its snippets one by one");
                let mut alone = Vec::with_capacity(ready.len());
                for (job, _) in &ready {
                    alone.push(process(
                        store,
                        enricher,
                        job,
                        cancel,
                        &mut |_: SnippetId| {},
                    )?);
                }
                return Ok(fill(outcomes, alone));
            }
            Err(e) => vec![Err(e)],
        };
        let mut done = Vec::with_capacity(ready.len());
        for ((job, r), result) in ready.iter().zip(results) {
            done.push(record(store, enricher, job, r.snippet.id, result)?);
        }
        return Ok(fill(outcomes, done));
    }
    Ok(outcomes.into_iter().flatten().collect())
}

/// The outcomes decided before the model ran, with the rest filled in
/// order from `rest`.
fn fill(outcomes: Vec<Option<JobOutcome>>, rest: Vec<JobOutcome>) -> Vec<JobOutcome> {
    let mut rest = rest.into_iter();
    outcomes
        .into_iter()
        .map(|o| o.or_else(|| rest.next()).unwrap_or(JobOutcome::Cancelled))
        .collect()
}

/// The job's snippet and tasks, or how the job ended without the model.
fn prepare(store: &mut Store, job: &Job) -> Result<Result<Ready, JobOutcome>, StoreError> {
    let Some(snippet) = store.find(job.snippet_id)? else {
        store.finish_job(job)?;
        return Ok(Err(JobOutcome::Skipped));
    };
    if snippet.content_hash != job.content_hash {
        // Either a newer save replaced this job (finishing it is then a
        // no-op) or the content changed without one: queue what is there now.
        if store.finish_job(job)? {
            store.enqueue_job(snippet.id, &job.fields)?;
        }
        return Ok(Err(JobOutcome::Skipped));
    }
    let tasks = wanted_tasks(job, &snippet);
    if tasks.is_empty() {
        store.finish_job(job)?;
        return Ok(Err(JobOutcome::Done(Vec::new())));
    }
    let file_name = snippet
        .source
        .path()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    Ok(Ok(Ready {
        snippet,
        tasks,
        file_name,
    }))
}

/// Writes a finished job's fields, or counts its failed attempt.
fn record(
    store: &mut Store,
    enricher: &Enricher,
    job: &Job,
    id: SnippetId,
    output: Result<EnrichOutput, EnrichError>,
) -> Result<JobOutcome, StoreError> {
    let output = match output {
        Ok(output) => output,
        Err(EnrichError::Cancelled) => return Ok(JobOutcome::Cancelled),
        Err(e) => {
            let error = e.to_string();
            tracing::warn!(id, %error, "enrichment failed");
            store.fail_job(job, &error)?;
            return Ok(JobOutcome::Failed(error));
        }
    };
    let written = store.transaction(|s| write_fields(s, enricher, job, &output))?;
    store.finish_job(job)?;
    Ok(JobOutcome::Done(written))
}

/// Generated tags in the forms the rest of the library already uses (see
/// [`library_forms`]), so that a user's own tagging habits are kept.
pub(crate) fn in_library_forms(
    store: &Store,
    vocabulary: &Vocabulary,
    snippet: crate::domain::SnippetId,
    tags: &[String],
) -> Result<Vec<String>, StoreError> {
    let counts = store.tag_counts_except(Some(snippet))?;
    Ok(library_forms(
        vocabulary,
        tags,
        counts.iter().map(|c| c.tag.as_str()),
    ))
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
        (
            Task::Tags,
            match &f.tags {
                Some(tags) => Some(GeneratedValue::List(in_library_forms(
                    store,
                    enricher.vocabulary(),
                    job.snippet_id,
                    tags,
                )?)),
                None => None,
            },
        ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NewSnippet;

    fn add(store: &Store, tags: &[&str]) -> crate::domain::SnippetId {
        store
            .insert(&NewSnippet {
                content: format!("echo {tags:?}\n"),
                language: "shell".into(),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            })
            .unwrap()
            .id
    }

    fn owned(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn generated_tags_follow_the_library_in_a_real_database() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db"), &dir.path().join("backups")).unwrap();
        let vocab = Vocabulary::embedded().unwrap();
        add(&store, &["dict", "regexes"]);
        add(&store, &["dict", "parsers"]);
        add(&store, &["hashmap"]);
        let target = add(&store, &[]);
        let got = in_library_forms(
            &store,
            &vocab,
            target,
            &owned(&["dictionary", "regex", "parsing", "http"]),
        )
        .unwrap();
        // `dict` is used more than `hashmap`, so it wins.
        assert_eq!(got, ["dict", "regexes", "parsers", "http"]);
    }

    #[test]
    fn a_snippets_own_old_tags_do_not_count() {
        let store = Store::open_in_memory().unwrap();
        let vocab = Vocabulary::embedded().unwrap();
        let target = add(&store, &["dictionaries"]);
        let got = in_library_forms(&store, &vocab, target, &owned(&["dictionary"])).unwrap();
        assert_eq!(got, ["dictionary"]);
        add(&store, &["dicts"]);
        let got = in_library_forms(&store, &vocab, target, &owned(&["dictionary"])).unwrap();
        assert_eq!(got, ["dicts"]);
    }
}
