//! kill -9 in the middle of `snipdex watch` and `snipdex reindex`: the
//! library opens, passes its integrity check, loses nothing, and the next
//! run catches up. (Kills during `add` and `import` are in `crash.rs`, during
//! `enrich` in `enrich_resume.rs`.) The kills land at points measured or
//! observed in the run, and nothing here asserts how long anything took.

use assert_cmd::cargo::cargo_bin;
use snipdex::store::Store;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(120);

fn snipdex(home: &Path) -> Command {
    let mut c = Command::new(cargo_bin("snipdex"));
    c.env("SNIPDEX_HOME", home);
    c
}

fn run_json(home: &Path, args: &[&str]) -> serde_json::Value {
    let out = snipdex(home).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn kill_group(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "not killed: {status:?}"
    );
}

fn integrity(home: &Path) {
    let db = rusqlite::Connection::open(home.join("snipdex.db")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

fn count(home: &Path) -> usize {
    let store = Store::open(&home.join("snipdex.db"), &home.join("backups")).unwrap();
    store.count().unwrap() as usize
}

/// `snipdex watch` in the foreground, in a process group of its own.
fn watch(home: &Path) -> Child {
    snipdex(home)
        .arg("watch")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap()
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let end = Instant::now() + DEADLINE;
    while !ok() {
        assert!(Instant::now() < end, "never: {what}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn a_killed_watch_loses_nothing_and_the_next_one_catches_up() {
    const FILES: usize = 300;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::write(h.join("config.toml"), "[enrich]\nenabled = false\n").unwrap();
    // Outside the library's own folder, which is never watched.
    let elsewhere = tempfile::tempdir().unwrap();
    let notes = elsewhere.path().join("notes");
    std::fs::create_dir(&notes).unwrap();
    let out = snipdex(h)
        .args(["watch", "add"])
        .arg(&notes)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let mut child = watch(h);
    let write = |i: usize| {
        std::fs::write(
            notes.join(format!("f{i}.sh")),
            format!("echo watched {i}\n"),
        )
        .unwrap()
    };
    // Files keep coming; the watcher is killed once some have landed and
    // while the rest are still being written.
    let mut written = 0;
    while count(h) < 20 {
        assert!(written < FILES, "the watcher took nothing in");
        assert!(child.try_wait().unwrap().is_none(), "watch ended early");
        write(written);
        written += 1;
        std::thread::sleep(Duration::from_millis(10));
    }
    kill_group(&mut child);
    let at_kill = count(h);
    assert!(at_kill < FILES, "the kill came after everything");
    for i in written..FILES {
        write(i);
    }
    integrity(h);

    // The next run takes in what the killed one missed, each file once.
    let mut child = watch(h);
    wait_until("every file in the library", || count(h) == FILES);
    // Interrupted like a user's Ctrl-C, it stops cleanly.
    let _ = Command::new("kill")
        .args(["-s", "INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert_eq!(count(h), FILES, "no file taken in twice");
    let found = run_json(h, &["search", "watched", "--json", "-n", "100000"]);
    assert_eq!(found.as_array().unwrap().len(), FILES);
    let doctor = run_json(h, &["doctor", "--json"]);
    assert_eq!(doctor["healthy"], true, "{doctor}");
}

#[test]
fn a_killed_reindex_leaves_a_working_index() {
    const N: usize = 20_000;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::write(h.join("config.toml"), "[enrich]\nenabled = false\n").unwrap();
    let items: Vec<serde_json::Value> = (0..N)
        .map(|i| {
            serde_json::json!({
                "title": format!("reindexed {i}"),
                "content": format!("echo {i} {}\n", "word ".repeat(i % 50)),
            })
        })
        .collect();
    let file = h.join("bulk.json");
    std::fs::write(&file, serde_json::to_vec(&items).unwrap()).unwrap();
    let out = snipdex(h).arg("import").arg(&file).output().unwrap();
    assert!(out.status.success(), "{out:?}");

    // One full reindex measures where the kills should fall.
    let started = Instant::now();
    let out = snipdex(h).arg("reindex").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let full = started.elapsed();

    let mut landed = 0;
    for share in [0.3, 0.6, 0.9] {
        let mut child = snipdex(h)
            .arg("reindex")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(share));
        if landed == 0 {
            // A reindex only reads the database: an add goes through
            // meanwhile, without waiting for it.
            add(h, "added meanwhile", "echo meanwhile\n");
            if child.try_wait().unwrap().is_some() {
                continue;
            }
        }
        if child.try_wait().unwrap().is_some() {
            continue;
        }
        kill_group(&mut child);
        landed += 1;
        integrity(h);
        // Searches answer from whatever the index holds: the old one, or
        // one rebuilt at open; never a crash, never a partial index.
        let found = run_json(h, &["search", "reindexed", "--json", "-n", "100000"]);
        assert_eq!(
            found.as_array().unwrap().len(),
            N,
            "after a kill at {share}"
        );
        let doctor = run_json(h, &["doctor", "--json"]);
        assert_eq!(doctor["healthy"], true, "{doctor}");
    }
    assert!(landed > 0, "no kill landed during a reindex of {full:?}");
    // What was added meanwhile, and after, is indexed and found.
    add(h, "after the kills", "echo after\n");
    for title in ["added meanwhile", "after the kills"] {
        let found = run_json(h, &["search", title, "--json"]);
        assert_eq!(found[0]["title"], title, "{found}");
    }
    let out = snipdex(h).arg("reindex").output().unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// `snipdex add`, which must succeed without having had to wait.
fn add(home: &Path, title: &str, content: &str) {
    let mut child = snipdex(home)
        .args(["add", "--title", title])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(content.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!said.contains("busy"), "the add had to wait: {said}");
}
