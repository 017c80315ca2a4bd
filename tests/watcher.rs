//! The folder watcher against real file-system events, with a real SQLite
//! file shared between the watcher's connection and the test's.

use snipdex::config::WatchConfig;
use snipdex::domain::Snippet;
use snipdex::ingest::IngestOptions;
use snipdex::store::{ListFilter, SnippetPatch, Store};
use snipdex::watch::{WatchEvent, WatchHandle, Watcher, WatcherState};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

struct Lab {
    _dir: tempfile::TempDir,
    root: PathBuf,
    db: PathBuf,
    backups: PathBuf,
}

fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("snippets");
    fs::create_dir(&root).unwrap();
    Lab {
        db: dir.path().join("data").join("library.db"),
        backups: dir.path().join("data").join("backups"),
        root,
        _dir: dir,
    }
}

fn cfg() -> WatchConfig {
    WatchConfig {
        debounce_ms: 100,
        rescan_secs: 3600,
        poll_secs: 1,
        ..WatchConfig::default()
    }
}

fn start(lab: &Lab, polling: bool) -> (WatchHandle, Receiver<WatchEvent>) {
    let (tx, rx) = channel();
    let handle = Watcher::new(&lab.db, &lab.backups, cfg(), IngestOptions::default())
        .dirs(vec![lab.root.clone()])
        .force_polling(polling)
        .start(tx)
        .unwrap();
    (handle, rx)
}

/// Wait for an event that `want` accepts, failing after the deadline.
fn wait_event(rx: &Receiver<WatchEvent>, what: &str, want: impl Fn(&WatchEvent) -> bool) {
    let end = Instant::now() + DEADLINE;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(ev) if want(&ev) => return,
            Ok(_) => {}
            Err(e) => panic!("no event {what}: {e}"),
        }
    }
    panic!("no event {what} before the deadline");
}

fn all(store: &Store) -> Vec<Snippet> {
    store.list(&ListFilter::default()).unwrap()
}

/// Poll the library until `ok` holds; the watcher runs at its own pace.
fn wait_library(store: &Store, what: &str, ok: impl Fn(&[Snippet]) -> bool) {
    let end = Instant::now() + DEADLINE;
    loop {
        let now = all(store);
        if ok(&now) {
            return;
        }
        if Instant::now() > end {
            panic!("library never got {what}; it holds {now:#?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn at<'a>(list: &'a [Snippet], path: &Path) -> Vec<&'a Snippet> {
    list.iter()
        .filter(|s| s.source.path() == Some(path))
        .collect()
}

const NOTES: &str = "\
# Docker

## Prune

Free disk space.

```sh
docker system prune -af
```

## Logs

```sh
docker logs -f web
```
";

fn library_follows_the_folder(polling: bool) {
    let lab = lab();
    let root = lab.root.clone();
    fs::write(root.join(".gitignore"), "build/\n").unwrap();
    let (handle, rx) = start(&lab, polling);
    let expected = if polling {
        WatcherState::Polling
    } else {
        WatcherState::Native
    };
    wait_event(&rx, "state", |e| *e == WatchEvent::State(expected));
    wait_event(&rx, "first scan", |e| matches!(e, WatchEvent::ScanDone(_)));
    let store = Store::open(&lab.db, &lab.backups).unwrap();

    // Create.
    let rs = root.join("lib.rs");
    let notes = root.join("notes.md");
    fs::write(&rs, "pub fn answer() -> u32 {\n    42\n}\n").unwrap();
    fs::write(&notes, NOTES).unwrap();
    wait_library(&store, "three snippets", |l| {
        at(l, &rs).len() == 1 && at(l, &notes).len() == 2
    });
    let rs_id = at(&all(&store), &rs)[0].id;

    // Modify: same snippet, new content.
    fs::write(&rs, "pub fn answer() -> u32 {\n    43\n}\n").unwrap();
    wait_library(&store, "the edit", |l| {
        at(l, &rs).first().is_some_and(|s| s.content.contains("43"))
    });
    assert_eq!(at(&all(&store), &rs)[0].id, rs_id);

    // Rename: the user's title travels with the snippet.
    let list = all(&store);
    let prune = at(&list, &notes)
        .into_iter()
        .find(|s| s.content.contains("prune"))
        .unwrap()
        .clone();
    store
        .update(
            prune.id,
            &SnippetPatch {
                title: Some("Reclaim disk".into()),
                ..SnippetPatch::default()
            },
        )
        .unwrap();
    let docs = root.join("docker.md");
    fs::rename(&notes, &docs).unwrap();
    wait_library(&store, "the rename", |l| {
        at(l, &docs).len() == 2 && at(l, &notes).is_empty()
    });
    let renamed = store.get(prune.id).unwrap();
    assert_eq!(renamed.title, "Reclaim disk");
    assert_eq!(renamed.source.path(), Some(docs.as_path()));

    // Delete.
    fs::remove_file(&rs).unwrap();
    wait_library(&store, "the delete", |l| at(l, &rs).is_empty());

    // Ignored and binary files stay out; a last file shows the batch that
    // carried them was handled.
    fs::create_dir(root.join("build")).unwrap();
    fs::write(root.join("build/gen.rs"), "fn generated() {}\n").unwrap();
    fs::write(root.join("logo.png"), [0x89, b'P', b'N', b'G', 0, 0, 0, 13]).unwrap();
    let last = root.join("last.py");
    fs::write(&last, "print('done')\n").unwrap();
    wait_library(&store, "the last file", |l| at(l, &last).len() == 1);
    wait_library(&store, "the binary file recorded", |_| {
        store
            .skip_counts()
            .unwrap()
            .iter()
            .any(|c| c.reason == "binary")
    });

    // Exactly right, and it stays so.
    std::thread::sleep(Duration::from_millis(500));
    let mut paths: Vec<PathBuf> = all(&store)
        .iter()
        .filter_map(|s| s.source.path().map(Path::to_path_buf))
        .collect();
    paths.sort();
    assert_eq!(paths, vec![docs.clone(), docs, last]);

    handle.stop();
    wait_event(&rx, "stop", |e| {
        *e == WatchEvent::State(WatcherState::Stopped)
    });
}

#[test]
fn the_library_follows_a_folder_with_native_events() {
    library_follows_the_folder(false);
}

#[test]
fn the_library_follows_a_folder_by_polling() {
    library_follows_the_folder(true);
}

#[test]
fn folders_can_come_and_go_while_watching() {
    let lab = lab();
    let missing = lab.root.join("later");
    let (tx, rx) = channel();
    let handle = Watcher::spawn(
        &lab.db,
        &lab.backups,
        vec![lab.root.clone(), missing.clone()],
        cfg(),
        IngestOptions::default(),
        tx,
    )
    .unwrap();
    // The missing folder is reported; the other one is still watched.
    wait_event(
        &rx,
        "missing folder",
        |e| matches!(e, WatchEvent::Error(m) if m.contains("later")),
    );
    let store = Store::open(&lab.db, &lab.backups).unwrap();
    let a = lab.root.join("a.sh");
    fs::write(&a, "echo a\n").unwrap();
    wait_library(&store, "a.sh", |l| at(l, &a).len() == 1);

    // The folder appears: it is watched and scanned from then on.
    fs::create_dir(&missing).unwrap();
    let b = missing.join("b.sh");
    fs::write(&b, "echo b\n").unwrap();
    wait_library(&store, "b.sh", |l| at(l, &b).len() == 1);

    // A third folder, added at run time.
    let extra = tempfile::tempdir().unwrap();
    let c = extra.path().join("c.sh");
    fs::write(&c, "echo c\n").unwrap();
    handle.add_dir(extra.path().to_path_buf()).unwrap();
    wait_library(&store, "c.sh", |l| at(l, &c).len() == 1);

    // Unwatched folders keep their snippets but are no longer followed.
    handle.remove_dir(extra.path().to_path_buf()).unwrap();
    handle.rescan().unwrap();
    wait_event(&rx, "rescan", |e| matches!(e, WatchEvent::ScanDone(_)));
    fs::remove_file(&c).unwrap();
    let d = lab.root.join("d.sh");
    fs::write(&d, "echo d\n").unwrap();
    wait_library(&store, "d.sh", |l| at(l, &d).len() == 1);
    assert_eq!(at(&all(&store), &c).len(), 1);
    drop(handle);
}

#[test]
fn the_thread_ends_when_nobody_listens() {
    let lab = lab();
    let (tx, rx) = channel();
    let handle = Watcher::spawn(
        &lab.db,
        &lab.backups,
        vec![lab.root.clone()],
        cfg(),
        IngestOptions::default(),
        tx,
    )
    .unwrap();
    drop(rx);
    // The next event it tries to deliver finds the channel closed.
    fs::write(lab.root.join("x.rs"), "fn x() {}\n").unwrap();
    let end = Instant::now() + DEADLINE;
    while handle.is_running() {
        assert!(Instant::now() < end, "watcher still running");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(handle.add_dir(lab.root.clone()).is_err());
}

#[test]
fn polling_catches_a_second_write_within_the_same_second() {
    let lab = lab();
    let (_handle, rx) = start(&lab, true);
    wait_event(&rx, "first scan", |e| matches!(e, WatchEvent::ScanDone(_)));
    let store = Store::open(&lab.db, &lab.backups).unwrap();
    let f = lab.root.join("quick.sh");
    fs::write(&f, "echo one\n").unwrap();
    wait_library(&store, "the first write", |l| at(l, &f).len() == 1);

    // The poll watcher compares whole seconds: a write that keeps the
    // modification time is what a second save within one second looks like.
    let mtime = fs::metadata(&f).unwrap().modified().unwrap();
    fs::write(&f, "echo two\n").unwrap();
    fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    wait_library(&store, "the second write", |l| {
        at(l, &f).first().is_some_and(|s| s.content == "echo two")
    });
}

#[test]
fn a_change_made_while_another_process_holds_the_write_lock_is_not_lost() {
    let lab = lab();
    let (handle, rx) = start(&lab, false);
    wait_event(&rx, "first scan", |e| matches!(e, WatchEvent::ScanDone(_)));
    // A second connection holds the write lock past the busy timeout, as
    // a long import does.
    let blocker = rusqlite::Connection::open(&lab.db).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    fs::write(lab.root.join("held.sh"), "echo written while busy\n").unwrap();
    wait_event(
        &rx,
        "a busy database reported",
        |e| matches!(e, WatchEvent::Error(m) if m.contains("locked") || m.contains("busy")),
    );
    blocker.execute_batch("COMMIT").unwrap();
    // Without waiting for a rescan (an hour away here), the file arrives.
    let store = Store::open(&lab.db, &lab.backups).unwrap();
    wait_library(&store, "the file written while busy", |l| {
        l.iter().any(|s| s.content.contains("written while busy"))
    });
    handle.stop();
}

#[test]
fn a_file_skipped_while_watching_is_reported_with_its_reason() {
    let lab = lab();
    let (handle, rx) = start(&lab, false);
    wait_event(&rx, "first scan", |e| matches!(e, WatchEvent::ScanDone(_)));
    let bin = lab.root.join("blob.txt");
    fs::write(&bin, b"\x00\x01binary\x00").unwrap();
    wait_event(
        &rx,
        "the skip",
        |e| matches!(e, WatchEvent::Skipped { path, reason } if *path == bin && reason.contains("binary")),
    );
    handle.stop();
}

#[test]
fn a_file_skipped_by_a_scan_is_reported_once_with_its_reason() {
    let lab = lab();
    let bin = lab.root.join("blob.txt");
    fs::write(&bin, b"\x00\x01binary\x00").unwrap();
    let (handle, rx) = start(&lab, false);
    let mut skips = 0;
    let mut scans = 0;
    // The first scan finds it, the second one (asked for) knows it already.
    while scans < 2 {
        match rx.recv_timeout(DEADLINE) {
            Ok(WatchEvent::Skipped { path, reason }) if path == bin => {
                assert!(reason.contains("binary"), "{reason}");
                skips += 1;
            }
            Ok(WatchEvent::ScanDone(_)) => {
                scans += 1;
                if scans == 1 {
                    handle.rescan().unwrap();
                }
            }
            Ok(_) => {}
            Err(e) => panic!("no scan: {e}"),
        }
    }
    assert_eq!(skips, 1);
    handle.stop();
}
