//! Full scans: adoption, ignored and gone files, bad input, scale.

use super::sync::load_skips;
use super::tests::{by_content, md, opts, set_title, store};
use super::*;
use crate::ingest::IngestOptions;
use crate::store::Store;
use std::fs;

#[test]
fn a_rescan_adopts_content_of_a_vanished_file() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.md");
    fs::write(&old, md(&[("K", "kubectl get pods"), ("L", "ls -la")])).unwrap();
    let mut store = store();
    scan_dir(&mut store, dir.path(), &opts()).unwrap();
    let pods = by_content(&store.by_path(&old).unwrap(), "kubectl").clone();
    set_title(&store, &pods, "List pods");

    // Moved while nobody watched, and one fence edited on the way.
    let new = dir.path().join("k8s").join("new.md");
    fs::create_dir(new.parent().unwrap()).unwrap();
    fs::write(&new, md(&[("K", "kubectl get pods"), ("L", "ls -lah")])).unwrap();
    fs::remove_file(&old).unwrap();

    let report = scan_dir(&mut store, dir.path(), &opts()).unwrap();
    assert_eq!(report.change.moved, 1, "{report:?}");
    assert_eq!((report.change.added, report.change.removed), (1, 1));
    let adopted = store.get(pods.id).unwrap();
    assert_eq!(adopted.title, "List pods");
    assert_eq!(adopted.source.path(), Some(new.as_path()));
    assert!(store.by_path(&old).unwrap().is_empty());
    assert_eq!(store.count().unwrap(), 2);
}

#[test]
fn a_rescan_drops_files_that_are_now_ignored_or_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("build")).unwrap();
    fs::write(root.join("build/gen.rs"), "fn generated() {}\n").unwrap();
    fs::write(root.join("keep.rs"), "fn keep() {}\n").unwrap();
    fs::write(root.join("secret.txt"), "hunter2 is not a password\n").unwrap();
    let mut store = store();
    let first = scan_dir(&mut store, root, &opts()).unwrap();
    assert_eq!((first.files, first.change.added), (3, 3));

    fs::write(root.join(".gitignore"), "build/\n").unwrap();
    fs::rename(root.join("secret.txt"), root.join(".secret.txt")).unwrap();
    let report = scan_dir(&mut store, root, &opts()).unwrap();
    assert_eq!(report.change.removed, 2, "{report:?}");
    assert_eq!(report.gone, 2);
    let paths = store.source_paths().unwrap();
    assert_eq!(paths, vec![root.join("keep.rs")]);
}

#[test]
fn a_missing_folder_is_an_error_and_removes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("usb");
    fs::create_dir(&root).unwrap();
    fs::write(root.join("a.rs"), "fn a() {}\n").unwrap();
    let mut store = store();
    scan_dir(&mut store, &root, &opts()).unwrap();
    fs::remove_dir_all(&root).unwrap();

    let err = scan_dir(&mut store, &root, &opts()).unwrap_err();
    assert!(
        matches!(err, WatchError::MissingDir(ref p) if p == &root),
        "{err}"
    );
    assert_eq!(store.count().unwrap(), 1);
}

#[test]
fn symlink_loops_and_unreadable_files_are_recorded_not_fatal() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    // As root, file modes do not bind: the test runs again as `nobody`.
    let name = "watch::scan_tests::symlink_loops_and_unreadable_files_are_recorded_not_fatal";
    if !crate::testsupport::unprivileged(name) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("sub")).unwrap();
    symlink(root, root.join("sub/loop")).unwrap();
    fs::write(root.join("ok.rs"), "fn ok() {}\n").unwrap();
    let locked = root.join("locked.rs");
    fs::write(&locked, "fn locked() {}\n").unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();

    let mut store = store();
    let report = scan_dir(&mut store, root, &opts()).unwrap();
    assert!(report.issues >= 1, "{report:?}");
    let skips = load_skips(&store).unwrap();
    assert_eq!(
        skips.get(&root.join("sub/loop")).map(String::as_str),
        Some("symlink_loop"),
        "{skips:?}"
    );
    assert_eq!(skips.get(&locked).map(String::as_str), Some("unreadable"));
    assert!(store.by_path(&locked).unwrap().is_empty());
    assert!(!store.by_path(&root.join("ok.rs")).unwrap().is_empty());
}

#[test]
fn fifos_and_sockets_are_skipped_and_recorded_without_blocking() {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("ok.rs"), "fn ok() {}\n").unwrap();
    let fifo = root.join("pipe.rs");
    let c_path = CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    let socket = root.join("sock.py");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();

    let mut store = store();
    // Reading a FIFO with no writer would block forever; the scan must not.
    let report = scan_dir(&mut store, root, &opts()).unwrap();
    assert_eq!((report.files, report.skipped), (3, 2), "{report:?}");
    let skips = load_skips(&store).unwrap();
    for path in [&fifo, &socket] {
        assert_eq!(
            skips.get(path).map(String::as_str),
            Some("not_a_file"),
            "{skips:?}"
        );
    }
    assert!(!store.by_path(&root.join("ok.rs")).unwrap().is_empty());
}

#[test]
fn a_scan_of_thousands_of_files_counts_right_and_rescans_cheaply() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (dirs, per_dir) = (30, 100);
    for d in 0..dirs {
        let sub = root.join(format!("d{d:02}"));
        fs::create_dir(&sub).unwrap();
        for f in 0..per_dir {
            let body = format!("fn f_{d}_{f}() -> u32 {{ {} }}\n", d * 1000 + f);
            fs::write(sub.join(format!("f{f:03}.rs")), body).unwrap();
        }
    }
    fs::write(root.join("d00/blob.bin"), [0u8, 159, 146, 150, 0, 1]).unwrap();
    let mut store = store();
    let report = scan_dir(&mut store, root, &opts()).unwrap();
    let total = dirs * per_dir;
    assert_eq!(report.files, total + 1);
    assert_eq!(report.skipped, 1);
    assert_eq!(report.change.added, total);
    assert_eq!(store.count().unwrap() as usize, total);

    // Delete a folder and edit one file: only those show up.
    fs::remove_dir_all(root.join("d07")).unwrap();
    fs::write(root.join("d08/f000.rs"), "fn edited() {}\n").unwrap();
    let outbox = store.pending_index_count().unwrap();
    let again = scan_dir(&mut store, root, &opts()).unwrap();
    assert_eq!(again.change.removed, per_dir);
    assert_eq!(again.change.updated, 1);
    assert_eq!(again.change.unchanged, total - per_dir - 1);
    assert_eq!(again.gone, per_dir);
    assert_eq!(store.count().unwrap() as usize, total - per_dir);
    assert_eq!(
        store.pending_index_count().unwrap() - outbox,
        per_dir as i64 + 1,
        "one outbox entry per real change"
    );
}

/// The size a scan is built for; slow to set up, so `cargo test` leaves it
/// out and `.ci/run` runs it in its step for ignored tests
/// (`cargo test -- --ignored`).
#[test]
#[ignore = "100,000 files; .ci/run runs it as its own step"]
fn scans_a_hundred_thousand_files() {
    let dir = tempfile::tempdir().unwrap();
    for d in 0..100 {
        let sub = dir.path().join(format!("d{d:03}"));
        fs::create_dir(&sub).unwrap();
        for f in 0..1000 {
            fs::write(
                sub.join(format!("f{f:04}.rs")),
                format!("fn f{d}_{f}() {{}}\n"),
            )
            .unwrap();
        }
    }
    let db = dir.path().join("lib.db");
    let mut store = Store::open(&db, &dir.path().join("backups")).unwrap();
    let t = std::time::Instant::now();
    let first = scan_dir(&mut store, dir.path(), &opts()).unwrap();
    let first_time = t.elapsed();
    assert_eq!(first.change.added, 100_000);
    let t = std::time::Instant::now();
    let outbox = store.pending_index_count().unwrap();
    let again = scan_dir(&mut store, dir.path(), &opts()).unwrap();
    eprintln!("first scan {first_time:?}, rescan {:?}", t.elapsed());
    assert_eq!(again.change.unchanged, 100_000);
    assert_eq!(store.pending_index_count().unwrap(), outbox);
    crate::testsupport::record_ran("scale: scan of 100,000 files");
}

#[test]
fn new_and_changed_content_is_queued_for_enrichment_and_moves_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.md");
    fs::write(&path, md(&[("A", "echo a"), ("B", "echo b")])).unwrap();
    let mut store = store();
    scan_dir(&mut store, dir.path(), &opts()).unwrap();
    assert_eq!(store.job_count().unwrap(), 2);
    while let Some(job) = store.next_job(3).unwrap() {
        store.finish_job(&job).unwrap();
    }

    // Unchanged, then only moved within the file: nothing to redo.
    sync_file(&mut store, &path, &opts()).unwrap();
    fs::write(
        &path,
        format!("# Notes\n\n{}", md(&[("A", "echo a"), ("B", "echo b")])),
    )
    .unwrap();
    let change = sync_file(&mut store, &path, &opts()).unwrap();
    assert_eq!(change.updated, 2, "{change:?}");
    assert_eq!(store.job_count().unwrap(), 0);

    // One fence edited: only its snippet is queued.
    fs::write(&path, md(&[("A", "echo a"), ("B", "echo changed")])).unwrap();
    sync_file(&mut store, &path, &opts()).unwrap();
    let job = store.next_job(3).unwrap().unwrap();
    assert_eq!(store.job_count().unwrap(), 1);
    assert!(store
        .get(job.snippet_id)
        .unwrap()
        .content
        .contains("changed"));

    // With enrichment disabled nothing is queued.
    let off = IngestOptions {
        queue_enrichment: false,
        ..opts()
    };
    store.finish_job(&job).unwrap();
    fs::write(dir.path().join("new.sh"), "ls -la\n").unwrap();
    fs::write(&path, md(&[("A", "echo edited")])).unwrap();
    scan_dir(&mut store, dir.path(), &off).unwrap();
    assert_eq!(store.count().unwrap(), 2);
    assert_eq!(store.job_count().unwrap(), 0);
}

#[cfg(unix)]
#[test]
fn links_out_of_the_watched_folder_are_not_followed_unless_asked() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("notes");
    let outside = dir.path().join("elsewhere");
    fs::create_dir_all(root.join("inner")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret.txt"), "outside file\n").unwrap();
    fs::write(outside.join("deep.sh"), "echo outside folder\n").unwrap();
    fs::write(root.join("inner").join("mine.sh"), "echo inside\n").unwrap();
    symlink(outside.join("secret.txt"), root.join("to-file.txt")).unwrap();
    symlink(&outside, root.join("to-folder")).unwrap();
    symlink("/etc/passwd", root.join("passwd")).unwrap();
    symlink(root.join("inner"), root.join("inner-again")).unwrap();

    let mut store = store();
    scan_dir(&mut store, &root, &opts()).unwrap();
    let all = store.list(&Default::default()).unwrap();
    let contents: Vec<&str> = all.iter().map(|s| s.content.trim()).collect();
    assert!(contents.iter().all(|c| *c == "echo inside"), "{contents:?}");
    // A link within the folder is still followed.
    assert_eq!(contents.len(), 2, "{contents:?}");

    let follow = IngestOptions {
        follow_links: true,
        ..opts()
    };
    scan_dir(&mut store, &root, &follow).unwrap();
    let all = store.list(&Default::default()).unwrap();
    let contents: Vec<&str> = all.iter().map(|s| s.content.trim()).collect();
    assert!(contents.contains(&"outside file"), "{contents:?}");
    assert!(contents.contains(&"echo outside folder"), "{contents:?}");
}

#[test]
fn the_library_folder_inside_a_watched_folder_is_never_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("notes");
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("mine.sh"), "echo mine\n").unwrap();
    // A whole library (database, index, log folder) inside the notes.
    let mut lib =
        crate::library::Library::open(crate::paths::Paths::under(&root.join("lib"))).unwrap();
    lib.add(&crate::domain::NewSnippet {
        content: "stored in the library".into(),
        ..Default::default()
    })
    .unwrap();
    fs::write(
        root.join("lib").join("logs").join("snipdex.log"),
        "a log line\n",
    )
    .unwrap();
    let mut store = store();
    scan_dir(&mut store, &root, &opts()).unwrap();
    let all = store.list(&Default::default()).unwrap();
    let paths: Vec<_> = all.iter().filter_map(|s| s.source.path()).collect();
    assert_eq!(paths, [root.join("mine.sh").as_path()]);
}

#[cfg(unix)]
#[test]
fn looping_and_dangling_links_are_counted_as_such() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("ok.sh"), "echo ok\n").unwrap();
    symlink(root.join("b.sh"), root.join("a.sh")).unwrap();
    symlink(root.join("a.sh"), root.join("b.sh")).unwrap();
    symlink(root.join("missing.sh"), root.join("dangling.sh")).unwrap();
    let mut store = store();
    scan_dir(&mut store, root, &opts()).unwrap();
    let counts: Vec<(String, i64)> = store
        .skip_counts()
        .unwrap()
        .into_iter()
        .map(|c| (c.reason, c.count))
        .collect();
    assert!(counts.contains(&("symlink_loop".into(), 2)), "{counts:?}");
    assert!(
        counts.contains(&("dangling_symlink".into(), 1)),
        "{counts:?}"
    );
    assert!(!counts.iter().any(|(r, _)| r == "io"), "{counts:?}");
}
