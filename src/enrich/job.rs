//! One queued job, from the stored snippet to the written fields.

use std::sync::atomic::AtomicBool;

use crate::domain::{Field, Snippet};
use crate::store::{GeneratedValue, Job, Store, StoreError};

use super::engine::{EnrichError, EnrichOutput, Enricher};
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
