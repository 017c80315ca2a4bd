//! Each way in queues the enrichment job with the row, atomically. A
//! failing job insert stands for a kill between the two: afterwards there
//! is neither, never a row without its job.

use super::*;
use crate::domain::{Field, SnippetId};

pub(crate) const ON: Intake = Intake {
    enrich: true,
    max_bytes: 1024,
};

fn store() -> Store {
    Store::open_in_memory().unwrap()
}

/// Make every enrichment job write fail, as a kill right after the row
/// was written would leave it.
pub(crate) fn break_job_queue(store: &Store) {
    store
        .conn()
        .execute_batch(
            "CREATE TEMP TRIGGER no_job BEFORE INSERT ON enrich_jobs
                BEGIN SELECT RAISE(ABORT, 'killed before the job'); END;
             CREATE TEMP TRIGGER no_job_update BEFORE UPDATE ON enrich_jobs
                BEGIN SELECT RAISE(ABORT, 'killed before the job'); END;",
        )
        .unwrap();
}

fn new(content: &str) -> NewSnippet {
    NewSnippet {
        content: content.into(),
        ..Default::default()
    }
}

fn job_fields(store: &Store, id: SnippetId) -> Option<Vec<Field>> {
    store.job(id).unwrap().map(|j| j.fields)
}

#[test]
fn add_queues_the_job_with_the_row_and_finds_secrets_and_language() {
    let store = store();
    let mut n = new(
        "import os\nprint(os.getcwd())\nDB = 'postgres://admin:S3cr3tP4ss@db.internal:5432/app'\n",
    );
    n.title = "Where am I".into();
    let (s, _) = ON.add(&store, n, Origin::User).unwrap();
    assert_eq!(job_fields(&store, s.id), Some(vec![]));
    assert!(!s.secrets.is_empty(), "{:?}", s.secrets);
    assert_ne!(s.language, "");
    // What the user gave is theirs; what they did not give stays open.
    assert!(s.meta.title.locked);
    assert_eq!(s.meta.title.provenance, Some(Provenance::User));
    assert!(!s.meta.description.locked && !s.meta.tags.locked);
}

#[test]
fn a_kill_between_row_and_job_leaves_no_row_for_every_origin() {
    for origin in [Origin::User, Origin::Sample, Origin::Import, Origin::File] {
        let store = store();
        break_job_queue(&store);
        let err = ON.add(&store, new("ls -la"), origin).unwrap_err();
        assert!(matches!(err, IntakeError::Store(_)), "{origin:?}: {err}");
        assert_eq!(store.count().unwrap(), 0, "{origin:?}");
    }
}

#[test]
fn add_inside_a_batch_rolls_back_with_the_batch() {
    let mut store = store();
    let r = store.transaction(|s| {
        ON.add(s, new("first"), Origin::File).map_err(|e| match e {
            IntakeError::Store(e) => e,
            IntakeError::Refused(r) => panic!("{r}"),
        })?;
        Err::<(), _>(StoreError::NotFound(99))
    });
    assert!(r.is_err());
    assert_eq!((store.count().unwrap(), store.job_count().unwrap()), (0, 0));
}

#[test]
fn samples_are_marked_as_imported_and_queued() {
    let store = store();
    let mut n = new("git log --oneline");
    n.title = "Short log".into();
    n.tags = vec!["git".into()];
    let (s, _) = ON.add(&store, n, Origin::Sample).unwrap();
    assert_eq!(job_fields(&store, s.id), Some(vec![]));
    for m in [&s.meta.title, &s.meta.description, &s.meta.tags] {
        assert_eq!(m.provenance, Some(Provenance::Import));
        assert!(!m.locked);
    }
}

#[test]
fn nothing_is_queued_with_enrichment_off_and_refusals_write_nothing() {
    let store = store();
    let off = Intake {
        enrich: false,
        ..ON
    };
    off.add(&store, new("ls"), Origin::User).unwrap();
    assert_eq!(store.job_count().unwrap(), 0);
    let big = "x".repeat(2000);
    assert!(matches!(
        ON.add(&store, new(&big), Origin::User),
        Err(IntakeError::Refused(Refused::TooLarge { .. }))
    ));
    // A watched file's block was held to the file limit already.
    ON.add(&store, new(&big), Origin::File).unwrap();
    assert_eq!(store.count().unwrap(), 2);
}

#[test]
fn an_edit_of_content_queues_the_job_atomically_and_tags_alone_do_not() {
    let store = store();
    let off = Intake {
        enrich: false,
        ..ON
    };
    let (s, _) = off.add(&store, new("echo one"), Origin::User).unwrap();
    let tags = SnippetPatch {
        tags: Some(vec!["shell".into()]),
        ..Default::default()
    };
    ON.edit(&store, s.id, tags).unwrap();
    assert_eq!(store.job_count().unwrap(), 0);
    let content = |c: &str| SnippetPatch {
        content: Some(c.into()),
        ..Default::default()
    };
    // Saving the same content is not new content.
    ON.edit(&store, s.id, content("echo one")).unwrap();
    assert_eq!(store.job_count().unwrap(), 0);
    let edited = ON
        .edit(&store, s.id, content("redis://:Hx7-k2pQ9z@cache:6379/0"))
        .unwrap();
    assert!(!edited.secrets.is_empty());
    assert_eq!(job_fields(&store, s.id), Some(vec![]));

    let (t, _) = off.add(&store, new("echo two"), Origin::User).unwrap();
    break_job_queue(&store);
    ON.edit(&store, t.id, content("echo three")).unwrap_err();
    assert_eq!(store.get(t.id).unwrap().content, "echo two");
}

#[test]
fn a_file_refresh_queues_only_new_content_atomically() {
    let store = store();
    let source = Source::File {
        path: "/notes/a.sh".into(),
        start_line: 1,
        end_line: 1,
        block: 0,
    };
    let mut n = new("echo a");
    n.source = Some(source.clone());
    let off = Intake {
        enrich: false,
        ..ON
    };
    let (s, _) = off.add(&store, n, Origin::File).unwrap();
    // Moved only: nothing to enrich.
    let moved = Source::File {
        path: "/notes/a.sh".into(),
        start_line: 3,
        end_line: 3,
        block: 0,
    };
    ON.refresh_from_file(&store, s.id, "echo a", "shell", &moved, &[])
        .unwrap();
    assert_eq!(store.job_count().unwrap(), 0);
    break_job_queue(&store);
    ON.refresh_from_file(&store, s.id, "echo b", "shell", &source, &[])
        .unwrap_err();
    let kept = store.get(s.id).unwrap();
    assert_eq!((kept.content.as_str(), kept.source), ("echo a", moved));
}

#[test]
fn the_watcher_writes_no_block_without_its_job() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tool.sh");
    std::fs::write(&file, "#!/bin/sh\necho hello\n").unwrap();
    let opts = crate::ingest::IngestOptions {
        queue_enrichment: true,
        ..Default::default()
    };
    let mut broken = store();
    break_job_queue(&broken);
    crate::watch::sync_file(&mut broken, &file, &opts).unwrap_err();
    assert_eq!(broken.count().unwrap(), 0);

    let mut store = store();
    crate::watch::sync_file(&mut store, &file, &opts).unwrap();
    let s = &store.by_path(&file).unwrap()[0];
    assert_eq!(job_fields(&store, s.id), Some(vec![]));
}

#[test]
fn an_import_lands_whole_with_its_jobs_or_not_at_all() {
    let rows = || vec![new("ls"), new("pwd"), new(""), new("ls")];
    let mut store = store();
    let mut seen = std::collections::HashSet::new();
    let report = ON
        .import(&mut store, rows(), |n| seen.insert(n.content.clone()))
        .unwrap();
    assert_eq!((report.added.len(), report.skipped), (2, 1));
    assert_eq!(report.refused.len(), 1);
    for id in &report.added {
        assert_eq!(job_fields(&store, *id), Some(vec![]));
    }
    let mut broken = self::store();
    break_job_queue(&broken);
    ON.import(&mut broken, rows(), |_| true).unwrap_err();
    assert_eq!(broken.count().unwrap(), 0);
}
