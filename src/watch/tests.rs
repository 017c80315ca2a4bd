use super::batch::{Batch, Touched};
use super::sync::{load_skips, match_blocks, Orphans};
use super::*;
use crate::domain::{Provenance, Snippet, Source};
use crate::ingest::{ingest_text, language_from_alias, IngestOptions};
use crate::store::SnippetPatch;
use std::fs;
use std::path::PathBuf;

pub(super) fn store() -> Store {
    Store::open_in_memory().unwrap()
}

pub(super) fn opts() -> IngestOptions {
    IngestOptions {
        max_file_bytes: 64 * 1024,
        ..IngestOptions::default()
    }
}

pub(super) fn md(fences: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (heading, body) in fences {
        out.push_str(&format!(
            "## {heading}\n\nWhat {heading} does.\n\n```sh\n{body}\n```\n\n"
        ));
    }
    out
}

pub(super) fn set_title(store: &Store, s: &Snippet, title: &str) {
    store
        .update(
            s.id,
            &SnippetPatch {
                title: Some(title.into()),
                ..SnippetPatch::default()
            },
        )
        .unwrap();
}

pub(super) fn by_content<'a>(list: &'a [Snippet], needle: &str) -> &'a Snippet {
    list.iter()
        .find(|s| s.content.contains(needle))
        .unwrap_or_else(|| panic!("no snippet with {needle:?} in {list:#?}"))
}

#[test]
fn markdown_fences_become_snippets_with_their_context() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.md");
    fs::write(
        &path,
        md(&[("Backup", "tar czf b.tgz ."), ("Clean", "rm -rf tmp")]),
    )
    .unwrap();
    let mut store = store();

    let change = sync_file(&mut store, &path, &opts()).unwrap();
    assert_eq!(change.added, 2);
    let snippets = store.by_path(&path).unwrap();
    let backup = by_content(&snippets, "tar czf");
    assert_eq!(backup.title, "Backup");
    assert_eq!(backup.description, "What Backup does.");
    assert_eq!(backup.meta.title.provenance, Some(Provenance::Import));
    assert!(!backup.meta.title.locked, "the model may still improve it");
    assert_eq!(Some(backup.language.as_str()), language_from_alias("sh"));
    assert!(matches!(backup.source, Source::File { block: 0, .. }));
    assert!(matches!(
        by_content(&snippets, "rm -rf").source,
        Source::File { block: 1, .. }
    ));
}

#[test]
fn an_unchanged_file_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.rs");
    fs::write(&path, "fn a() -> u8 { 1 }\n").unwrap();
    let mut store = store();
    sync_file(&mut store, &path, &opts()).unwrap();
    let before = store.by_path(&path).unwrap();
    let outbox = store.pending_index_count().unwrap();

    std::thread::sleep(std::time::Duration::from_millis(5));
    let change = sync_file(&mut store, &path, &opts()).unwrap();
    assert!(change.is_empty(), "{change:?}");
    assert_eq!(change.unchanged, 1);
    assert_eq!(store.pending_index_count().unwrap(), outbox);
    assert_eq!(store.by_path(&path).unwrap(), before);

    let report = scan_dir(&mut store, dir.path(), &opts()).unwrap();
    assert!(report.change.is_empty(), "{report:?}");
    assert_eq!(store.pending_index_count().unwrap(), outbox);
}

#[test]
fn an_edit_keeps_the_users_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.py");
    fs::write(&path, "def a():\n    return 1\n").unwrap();
    let mut store = store();
    sync_file(&mut store, &path, &opts()).unwrap();
    let old = store.by_path(&path).unwrap().remove(0);
    set_title(&store, &old, "My function");

    fs::write(&path, "def a():\n    return 2\n").unwrap();
    let change = sync_file(&mut store, &path, &opts()).unwrap();
    assert_eq!((change.updated, change.added, change.removed), (1, 0, 0));
    let new = store.by_path(&path).unwrap().remove(0);
    assert_eq!(new.id, old.id);
    assert_eq!(new.title, "My function");
    assert!(new.content.contains("return 2"));
}

#[test]
fn blocks_follow_their_content_before_their_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.md");
    fs::write(&path, md(&[("One", "echo one"), ("Two", "echo two")])).unwrap();
    let mut store = store();
    sync_file(&mut store, &path, &opts()).unwrap();
    let first = store.by_path(&path).unwrap();
    set_title(&store, by_content(&first, "echo one"), "first");
    set_title(&store, by_content(&first, "echo two"), "second");

    // Swap the fences, edit nothing, and put a new one in front.
    fs::write(
        &path,
        md(&[
            ("New", "echo new"),
            ("Two", "echo two"),
            ("One", "echo one"),
        ]),
    )
    .unwrap();
    let change = sync_file(&mut store, &path, &opts()).unwrap();
    // "Two" kept its lines (the new section is as long as the one it
    // displaced); "One" moved to the end.
    assert_eq!(
        (
            change.added,
            change.updated,
            change.unchanged,
            change.removed
        ),
        (1, 1, 1, 0)
    );
    let now = store.by_path(&path).unwrap();
    assert_eq!(by_content(&now, "echo one").title, "first");
    assert_eq!(by_content(&now, "echo two").title, "second");
    assert!(matches!(
        by_content(&now, "echo one").source,
        Source::File { block: 2, .. }
    ));
}

#[test]
fn an_edited_fence_keeps_its_snippet_and_a_dropped_one_goes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.md");
    fs::write(
        &path,
        md(&[("A", "echo a"), ("B", "echo b"), ("C", "echo c")]),
    )
    .unwrap();
    let mut store = store();
    sync_file(&mut store, &path, &opts()).unwrap();
    let before = store.by_path(&path).unwrap();
    let b_id = by_content(&before, "echo b").id;

    fs::write(&path, md(&[("A", "echo a"), ("B", "echo b --verbose")])).unwrap();
    let change = sync_file(&mut store, &path, &opts()).unwrap();
    assert_eq!(
        (change.unchanged, change.updated, change.removed),
        (1, 1, 1)
    );
    let after = store.by_path(&path).unwrap();
    assert_eq!(after.len(), 2);
    assert_eq!(by_content(&after, "--verbose").id, b_id);
}

#[test]
fn a_block_inserted_above_an_edited_one_does_not_take_its_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.md");
    fs::write(
        &path,
        md(&[("Docker cleanup", "docker container prune -f")]),
    )
    .unwrap();
    let mut store = store();
    sync_file(&mut store, &path, &opts()).unwrap();
    let docker = store.by_path(&path).unwrap().remove(0);
    set_title(&store, &docker, "Prune containers");

    // One save: a new block above, and the docker block edited.
    fs::write(
        &path,
        md(&[
            ("Intro", "echo first"),
            (
                "Docker cleanup",
                "docker container prune -f --filter until=24h",
            ),
        ]),
    )
    .unwrap();
    let change = sync_file(&mut store, &path, &opts()).unwrap();
    assert_eq!((change.added, change.updated, change.removed), (1, 1, 0));
    let after = store.by_path(&path).unwrap();
    let kept = by_content(&after, "until=24h");
    assert_eq!(kept.id, docker.id);
    assert_eq!(kept.title, "Prune containers");
    assert_eq!(by_content(&after, "echo first").title, "Intro");
}

#[test]
fn identical_blocks_pair_up_by_index() {
    let text = md(&[("X", "ls"), ("Y", "ls")]);
    let blocks = ingest_text(Some("n.md"), &text);
    let path = std::path::Path::new("n.md");
    let store = store();
    let plan = match_blocks(Vec::new(), blocks.clone(), path, &mut Orphans::default());
    super::sync::apply(&store, plan.ops, false).unwrap();
    let stored = store.by_path(path).unwrap();
    assert_eq!(stored.len(), 2);

    // Each pairs with the snippet at its own index, or positions would be
    // rewritten.
    let plan = match_blocks(stored, blocks, path, &mut Orphans::default());
    assert!(plan.ops.is_empty(), "{:?}", plan.ops);
    assert_eq!(plan.change.unchanged, 2);
}

#[test]
fn skipped_files_keep_their_snippets_until_gone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sh");
    fs::write(&path, "echo hi\n").unwrap();
    let mut store = store();
    sync_file(&mut store, &path, &opts()).unwrap();

    fs::write(&path, b"\x00\x01\x02binary\x00").unwrap();
    let change = sync_file(&mut store, &path, &opts()).unwrap();
    assert!(change.is_empty());
    assert_eq!(store.by_path(&path).unwrap().len(), 1);
    let skips = load_skips(&store).unwrap();
    assert_eq!(skips.get(&path).map(String::as_str), Some("binary"));

    fs::write(&path, "echo fixed\n").unwrap();
    sync_file(&mut store, &path, &opts()).unwrap();
    assert!(load_skips(&store).unwrap().is_empty());

    fs::write(&path, "x".repeat(100 * 1024)).unwrap();
    sync_file(&mut store, &path, &opts()).unwrap();
    assert_eq!(
        load_skips(&store).unwrap().get(&path).map(String::as_str),
        Some("too_large")
    );

    fs::remove_file(&path).unwrap();
    let change = sync_file(&mut store, &path, &opts()).unwrap();
    assert_eq!(change.removed, 1);
    assert!(store.by_path(&path).unwrap().is_empty());
    assert!(
        load_skips(&store).unwrap().is_empty(),
        "a gone file is no skip"
    );
}

#[test]
fn renames_keep_metadata_for_files_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("a.rs"), "fn a() {}\n").unwrap();
    let mut store = store();
    scan_dir(&mut store, dir.path(), &opts()).unwrap();
    let s = store.by_path(&sub.join("a.rs")).unwrap().remove(0);
    set_title(&store, &s, "kept");

    let moved = dir.path().join("moved");
    fs::rename(&sub, &moved).unwrap();
    assert_eq!(rename(&store, &sub, &moved).unwrap(), 1);
    let after = store.get(s.id).unwrap();
    assert_eq!(after.source.path(), Some(moved.join("a.rs").as_path()));
    assert_eq!(after.title, "kept");
}

#[cfg(unix)]
#[test]
fn a_batch_follows_renames_and_adopts_across_delete_and_create() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    fs::write(root.join("a.rs"), "fn a() {}\n").unwrap();
    fs::write(root.join("b.rs"), "fn b() {}\n").unwrap();
    let mut store = store();
    scan_dir(&mut store, &root, &opts()).unwrap();
    let a = store.by_path(&root.join("a.rs")).unwrap().remove(0);
    let b = store.by_path(&root.join("b.rs")).unwrap().remove(0);
    set_title(&store, &a, "A");
    set_title(&store, &b, "B");

    fs::rename(root.join("a.rs"), root.join("a2.rs")).unwrap();
    fs::rename(root.join("b.rs"), root.join("b2.rs")).unwrap();
    let mut touched = Touched::default();
    touched
        .renames
        .push((root.join("a.rs"), root.join("a2.rs")));
    // b's rename arrives as two unrelated events, as polling reports it.
    touched.paths.insert(root.join("b.rs"));
    touched.paths.insert(root.join("b2.rs"));
    let roots = vec![root.clone()];
    let mut skips = load_skips(&store).unwrap();
    let out = Batch {
        store: &mut store,
        ingest: &opts(),
        skips: &mut skips,
        roots: &roots,
        keep_orphans: false,
    }
    .apply(touched)
    .unwrap();

    assert_eq!(out.changes[&root.join("a2.rs")].moved, 1);
    assert_eq!(out.changes[&root.join("b2.rs")].moved, 1);
    assert_eq!(store.get(a.id).unwrap().title, "A");
    assert_eq!(store.get(b.id).unwrap().title, "B");
    assert_eq!(
        store.get(b.id).unwrap().source.path(),
        Some(root.join("b2.rs").as_path())
    );
    assert_eq!(store.count().unwrap(), 2);
}

#[test]
fn a_batch_ignores_what_the_scan_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    fs::write(root.join(".gitignore"), "target/\n").unwrap();
    fs::create_dir_all(root.join("target/debug")).unwrap();
    fs::create_dir_all(root.join(".git")).unwrap();
    for p in ["target/debug/x.rs", ".git/HEAD", "ok.rs"] {
        fs::write(root.join(p), "fn x() {}\n").unwrap();
    }
    let mut touched = Touched::default();
    for p in ["target/debug/x.rs", ".git/HEAD", "ok.rs", "target"] {
        touched.paths.insert(root.join(p));
    }
    let mut store = store();
    let roots = vec![root.clone()];
    let mut skips = Default::default();
    let out = Batch {
        store: &mut store,
        ingest: &opts(),
        skips: &mut skips,
        roots: &roots,
        keep_orphans: false,
    }
    .apply(touched)
    .unwrap();
    assert_eq!(store.source_paths().unwrap(), vec![root.join("ok.rs")]);
    assert_eq!(out.changes.len(), 1, "{:?}", out.changes);
}

#[test]
fn a_batch_handles_a_vanished_folder_and_can_defer_its_removal() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    // `sub-x` sorts between `sub` and `sub/…` as a string but not as a path.
    for p in ["sub/a.rs", "sub/deep/b.rs", "sub-x/c.rs", "keep.rs"] {
        let path = root.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, format!("// {p}\nfn f() {{}}\n")).unwrap();
    }
    let mut store = store();
    scan_dir(&mut store, &root, &opts()).unwrap();
    fs::remove_dir_all(root.join("sub")).unwrap();
    let roots = vec![root.clone()];
    let mut skips = Default::default();
    let touched = || Touched {
        paths: [root.join("sub")].into_iter().collect(),
        ..Touched::default()
    };

    let waiting = Batch {
        store: &mut store,
        ingest: &opts(),
        skips: &mut skips,
        roots: &roots,
        keep_orphans: true,
    }
    .apply(touched())
    .unwrap();
    let expected: Vec<PathBuf> = vec![root.join("sub/a.rs"), root.join("sub/deep/b.rs")];
    assert_eq!(waiting.orphaned.into_iter().collect::<Vec<_>>(), expected);
    assert_eq!(store.count().unwrap(), 4, "kept while they may be adopted");

    let done = Batch {
        store: &mut store,
        ingest: &opts(),
        skips: &mut skips,
        roots: &roots,
        keep_orphans: false,
    }
    .apply(touched())
    .unwrap();
    assert_eq!(done.changes.keys().cloned().collect::<Vec<_>>(), expected);
    assert_eq!(
        store.source_paths().unwrap(),
        vec![root.join("keep.rs"), root.join("sub-x/c.rs")]
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_is_reported_once_not_on_every_poll() {
    use std::os::unix::fs::PermissionsExt;
    if !crate::testsupport::unprivileged(
        "watch::tests::an_unreadable_folder_is_reported_once_not_on_every_poll",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("notes");
    let locked = root.join("locked");
    fs::create_dir_all(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let cfg = crate::config::WatchConfig {
        debounce_ms: 100,
        rescan_secs: 3600,
        poll_secs: 1,
        ..Default::default()
    };
    let handle = Watcher::new(
        &dir.path().join("lib.db"),
        &dir.path().join("backups"),
        cfg,
        opts(),
    )
    .dirs(vec![root.clone()])
    .force_polling(true)
    .start(tx)
    .unwrap();
    // Each change takes at least one more pass of the poller.
    let mut warnings = Vec::new();
    loop {
        match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(WatchEvent::Error(e)) if e.contains("locked") => warnings.push(e),
            Ok(WatchEvent::ScanDone(_)) => break,
            Ok(_) => {}
            Err(e) => panic!("no first scan: {e}"),
        }
    }
    for name in ["a.sh", "b.sh", "c.sh"] {
        fs::write(root.join(name), format!("echo {name}\n")).unwrap();
        loop {
            match rx.recv_timeout(std::time::Duration::from_secs(30)) {
                Ok(WatchEvent::Error(e)) if e.contains("locked") => warnings.push(e),
                Ok(WatchEvent::Changed { path, .. }) if path.ends_with(name) => break,
                Ok(_) => {}
                Err(e) => panic!("no change for {name}: {e}"),
            }
        }
    }
    handle.stop();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(warnings.len() <= 1, "{warnings:#?}");
}

/// Waits for an event that `want` accepts, keeping every event seen.
#[cfg(unix)]
fn wait_for(
    rx: &std::sync::mpsc::Receiver<WatchEvent>,
    seen: &mut Vec<WatchEvent>,
    what: &str,
    want: impl Fn(&WatchEvent) -> bool,
) {
    loop {
        match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(e) => {
                let done = want(&e);
                seen.push(e);
                if done {
                    return;
                }
            }
            Err(e) => panic!("no {what}: {e}; seen {seen:#?}"),
        }
    }
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_keeps_native_events_for_the_rest_and_is_picked_up_later() {
    use std::os::unix::fs::PermissionsExt;
    if !crate::testsupport::unprivileged(
        "watch::tests::an_unreadable_folder_keeps_native_events_for_the_rest_and_is_picked_up_later",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("notes");
    let locked = root.join("locked");
    fs::create_dir_all(&locked).unwrap();
    fs::create_dir_all(root.join("sub")).unwrap();
    fs::write(locked.join("inside.sh"), "echo inside\n").unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let cfg = crate::config::WatchConfig {
        debounce_ms: 100,
        rescan_secs: 3600,
        poll_secs: 1,
        ..Default::default()
    };
    let db = dir.path().join("lib.db");
    let handle = Watcher::new(&db, &dir.path().join("backups"), cfg, opts())
        .dirs(vec![root.clone()])
        .start(tx)
        .unwrap();
    let mut seen = Vec::new();
    wait_for(&rx, &mut seen, "first scan", |e| {
        matches!(e, WatchEvent::ScanDone(_))
    });
    let changed = |name: &'static str| move |e: &WatchEvent| matches!(e, WatchEvent::Changed { path, .. } if path.ends_with(name));
    // Native events still arrive for the readable rest, old folders and new.
    fs::write(root.join("sub/a.sh"), "echo a\n").unwrap();
    wait_for(&rx, &mut seen, "a.sh", changed("a.sh"));
    fs::create_dir_all(root.join("new/deeper")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    fs::write(root.join("new/deeper/b.sh"), "echo b\n").unwrap();
    wait_for(&rx, &mut seen, "b.sh", changed("b.sh"));
    std::thread::sleep(std::time::Duration::from_millis(400));
    fs::write(root.join("new/deeper/b.sh"), "echo b again\n").unwrap();
    wait_for(&rx, &mut seen, "b.sh again", changed("b.sh"));

    // Readable again: the next rescan reads it and watches it.
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    handle.rescan().unwrap();
    wait_for(
        &rx,
        &mut seen,
        "the rescan reading it",
        |e| matches!(e, WatchEvent::ScanDone(r) if r.change.added == 1 && r.issues == 0),
    );
    fs::write(locked.join("later.sh"), "echo later\n").unwrap();
    wait_for(&rx, &mut seen, "later.sh", changed("later.sh"));
    handle.stop();

    let states: Vec<&WatcherState> = seen
        .iter()
        .filter_map(|e| match e {
            WatchEvent::State(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(states, [&WatcherState::Native], "{seen:#?}");
    let about_locked = seen
        .iter()
        .filter(|e| match e {
            WatchEvent::Skipped { path, .. } => path == &locked,
            WatchEvent::Error(e) => e.contains("locked"),
            _ => false,
        })
        .count();
    assert_eq!(about_locked, 1, "reported once, as a skip: {seen:#?}");
    let store = Store::open(&db, &dir.path().join("backups")).unwrap();
    assert_eq!(store.by_path(&locked.join("inside.sh")).unwrap().len(), 1);
    assert!(store.skip_counts().unwrap().is_empty(), "cleared once read");
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_is_counted_as_unreadable() {
    use std::os::unix::fs::PermissionsExt;
    if !crate::testsupport::unprivileged(
        "watch::tests::an_unreadable_folder_is_counted_as_unreadable",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir_all(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let mut store = store();
    let report = scan_dir(&mut store, dir.path(), &opts()).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(report.issues, 1);
    let skips = load_skips(&store).unwrap();
    assert_eq!(skips.get(&locked).map(String::as_str), Some("unreadable"));
    // What `doctor` lists.
    assert_eq!(store.skipped_paths("unreadable").unwrap(), vec![locked]);
}
