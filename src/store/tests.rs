use super::migrations::{migrate_to, LATEST};
use super::*;
use crate::domain::{Field, NewSnippet, Provenance, Source};
use std::path::PathBuf;

fn new(content: &str, tags: &[&str]) -> NewSnippet {
    NewSnippet {
        title: format!("t {content}"),
        content: content.into(),
        language: "rust".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    }
}

fn file_source(path: &str, block: u32) -> Source {
    Source::File {
        path: PathBuf::from(path),
        start_line: 1,
        end_line: 3,
        block,
    }
}

#[test]
fn insert_and_read_back_every_field() {
    let store = Store::open_in_memory().unwrap();
    let mut n = new("fn a() {}", &["Rust", "rust", "Async IO"]);
    n.links = vec!["https://doc.rust-lang.org/std/".into()];
    n.secrets = vec!["aws-access-key".into()];
    n.source = Some(file_source("/x/a.rs", 0));
    let s = store.insert(&n).unwrap();
    let back = store.get(s.id).unwrap();
    assert_eq!(back.tags, vec!["rust", "async-io"]);
    assert_eq!(back.links, n.links);
    assert_eq!(back.secrets, n.secrets);
    assert_eq!(back.source, file_source("/x/a.rs", 0));
    assert_eq!(back.content_hash, crate::domain::content_hash("fn a() {}"));
    assert!(matches!(store.get(9999), Err(StoreError::NotFound(9999))));
}

#[test]
fn list_filters_by_tag_language_and_path() {
    let store = Store::open_in_memory().unwrap();
    let mut a = new("a", &["x"]);
    a.source = Some(file_source("/w/dir/a.rs", 0));
    let mut b = new("b", &["y"]);
    b.language = "python".into();
    b.source = Some(file_source("/w/dir2/b.py", 0));
    store.insert(&a).unwrap();
    store.insert(&b).unwrap();
    let by_tag = store
        .list(&ListFilter {
            tag: Some("X".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_tag.len(), 1);
    assert_eq!(by_tag[0].content, "a");
    let by_lang = store
        .list(&ListFilter {
            language: Some("python".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_lang[0].content, "b");
    // "/w/dir" must not match "/w/dir2".
    let by_path = store
        .list(&ListFilter {
            path_prefix: Some(PathBuf::from("/w/dir")),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_path.len(), 1);
    assert_eq!(by_path[0].content, "a");
}

#[test]
fn user_edits_lock_fields_and_the_model_respects_locks() {
    let store = Store::open_in_memory().unwrap();
    let s = store.insert(&new("code", &[])).unwrap();
    let prov = Provenance::Model {
        model: "m".into(),
        adapter: "title".into(),
        version: "1".into(),
    };
    assert!(store
        .set_generated(
            s.id,
            Field::Title,
            &GeneratedValue::Text("Gen".into()),
            prov.clone()
        )
        .unwrap());
    assert_eq!(store.get(s.id).unwrap().title, "Gen");
    store
        .update(
            s.id,
            &SnippetPatch {
                title: Some("Mine".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let wrote = store
        .set_generated(
            s.id,
            Field::Title,
            &GeneratedValue::Text("Again".into()),
            prov.clone(),
        )
        .unwrap();
    assert!(!wrote);
    let back = store.get(s.id).unwrap();
    assert_eq!(back.title, "Mine");
    assert_eq!(back.meta.title.provenance, Some(Provenance::User));
    assert!(back.meta.title.locked);
    // Tags are not locked, so the model may write them.
    assert!(store
        .set_generated(
            s.id,
            Field::Tags,
            &GeneratedValue::List(vec!["A".into(), "b".into()]),
            prov
        )
        .unwrap());
    assert_eq!(store.get(s.id).unwrap().tags, vec!["a", "b"]);
}

#[test]
fn rename_follows_files_and_folders_but_not_lookalikes() {
    let store = Store::open_in_memory().unwrap();
    for p in ["/w/a.md", "/w/sub/b.md", "/w/subway/c.md"] {
        let mut n = new(p, &[]);
        n.source = Some(file_source(p, 0));
        store.insert(&n).unwrap();
    }
    assert_eq!(
        store
            .rename_path(Path::new("/w/a.md"), Path::new("/w/z.md"))
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .rename_path(Path::new("/w/sub"), Path::new("/w/dir"))
            .unwrap(),
        1
    );
    let paths = store.source_paths().unwrap();
    assert_eq!(
        paths,
        vec![
            PathBuf::from("/w/dir/b.md"),
            PathBuf::from("/w/subway/c.md"),
            PathBuf::from("/w/z.md")
        ]
    );
}

#[test]
fn every_change_lands_in_the_index_outbox() {
    let store = Store::open_in_memory().unwrap();
    let s = store.insert(&new("x", &["t"])).unwrap();
    // Insert touches the row and its tag: two entries, one change.
    let batch = store.pending_index(10).unwrap();
    assert!(matches!(&batch.changes[..], [IndexChange::Upsert(p)] if p.id == s.id));
    // A change after the read must survive the ack of the older batch.
    store
        .update(
            s.id,
            &SnippetPatch {
                title: Some("new".into()),
                ..Default::default()
            },
        )
        .unwrap();
    store.ack_index(batch.up_to).unwrap();
    assert!(store.pending_index_count().unwrap() > 0);
    let batch = store.pending_index(10).unwrap();
    store.ack_index(batch.up_to).unwrap();
    assert_eq!(store.pending_index_count().unwrap(), 0);
    store.delete(s.id).unwrap();
    let batch = store.pending_index(10).unwrap();
    assert_eq!(batch.changes, vec![IndexChange::Delete(s.id)]);
}

#[test]
fn a_newer_save_replaces_the_pending_job() {
    let store = Store::open_in_memory().unwrap();
    let s = store.insert(&new("v1", &[])).unwrap();
    store.enqueue_job(s.id, &[]).unwrap();
    let old = store.next_job(3).unwrap().unwrap();
    store
        .update(
            s.id,
            &SnippetPatch {
                content: Some("v2".into()),
                ..Default::default()
            },
        )
        .unwrap();
    store.enqueue_job(s.id, &[Field::Title]).unwrap();
    assert_eq!(store.job_count().unwrap(), 1);
    // Finishing the stale job must not drop the newer one.
    assert!(!store.finish_job(&old).unwrap());
    let job = store.next_job(3).unwrap().unwrap();
    assert_eq!(job.fields, vec![Field::Title]);
    store.fail_job(&job, "boom").unwrap();
    assert!(store.next_job(1).unwrap().is_none());
    assert!(store.finish_job(&job).unwrap());
}

#[test]
fn an_old_database_is_backed_up_and_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lib.db");
    let backups = dir.path().join("backups");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        migrate_to(&conn, &db, &backups, 1).unwrap();
        conn.execute(
            "INSERT INTO snippets (title, content, content_hash, created_at, updated_at)
             VALUES ('old', 'echo hi', 'h', 1, 2)",
            [],
        )
        .unwrap();
        conn.execute("INSERT INTO snippet_tags VALUES (1, 'shell', 0)", [])
            .unwrap();
    }
    let store = Store::open(&db, &backups).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST);
    let s = store.get(1).unwrap();
    assert_eq!(
        (s.title.as_str(), s.tags.clone()),
        ("old", vec!["shell".to_string()])
    );
    assert!(s.secrets.is_empty());
    // Rows from before the outbox existed get indexed once.
    assert_eq!(store.pending_index_count().unwrap(), 1);
    let copies: Vec<_> = std::fs::read_dir(&backups).unwrap().collect();
    assert_eq!(copies.len(), 1);
    let copy = copies[0].as_ref().unwrap().path();
    let old = rusqlite::Connection::open(&copy).unwrap();
    let v: i64 = old
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);
}

#[test]
fn garbage_file_is_reported_as_corrupt_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lib.db");
    let junk = vec![0x42u8; 8192];
    std::fs::write(&db, &junk).unwrap();
    let err = Store::open(&db, &dir.path().join("b")).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("lib.db"));
    assert_eq!(std::fs::read(&db).unwrap(), junk);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lib.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", LATEST + 5))
            .unwrap();
    }
    let err = Store::open(&db, dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { .. }), "{err:?}");
}

#[test]
fn watch_dirs_and_skips_persist() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("lib.db");
    {
        let store = Store::open(&db, dir.path()).unwrap();
        assert!(store.add_watch_dir(Path::new("/a")).unwrap());
        assert!(!store.add_watch_dir(Path::new("/a")).unwrap());
        store
            .record_skip(Path::new("/a/x"), "binary", "NUL byte")
            .unwrap();
        store
            .record_skip(Path::new("/a/y"), "binary", "NUL byte")
            .unwrap();
        store
            .record_skip(Path::new("/a/y"), "too_large", "300 KiB")
            .unwrap();
    }
    let store = Store::open(&db, dir.path()).unwrap();
    assert_eq!(store.watch_dirs().unwrap(), vec![PathBuf::from("/a")]);
    let counts = store.skip_counts().unwrap();
    assert_eq!(counts.len(), 2);
    assert!(store.remove_watch_dir(Path::new("/a")).unwrap());
    assert!(store.watch_dirs().unwrap().is_empty());
}

#[test]
fn pending_jobs_skip_jobs_that_failed_too_often() {
    let store = Store::open_in_memory().unwrap();
    let ids: Vec<i64> = (0..3)
        .map(|i| {
            store
                .insert(&NewSnippet {
                    content: format!("echo {i}"),
                    ..Default::default()
                })
                .unwrap()
                .id
        })
        .collect();
    for id in &ids {
        store.enqueue_job(*id, &[]).unwrap();
    }
    let first = store.job(ids[0]).unwrap().unwrap();
    store.fail_job(&first, "boom").unwrap();
    store.fail_job(&first, "boom").unwrap();
    assert_eq!(store.job(ids[0]).unwrap().unwrap().attempts, 2);
    let pending: Vec<i64> = store
        .pending_jobs(2, 10)
        .unwrap()
        .iter()
        .map(|j| j.snippet_id)
        .collect();
    assert_eq!(pending, vec![ids[1], ids[2]]);
    assert_eq!(store.pending_jobs(3, 1).unwrap().len(), 1);
    assert_eq!(store.pending_job_count(2).unwrap(), 2);
    assert_eq!(store.pending_job_count(3).unwrap(), 3);
    assert_eq!(store.job_count().unwrap(), 3);
    assert!(store.job(9999).unwrap().is_none());
}
