//! Crash safety: a process killed with SIGKILL in the middle of writing
//! leaves a database that opens, passes its integrity check, and holds every
//! snippet whose `add` had returned.

use assert_cmd::cargo::cargo_bin;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pid}")])
        .status();
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn snipdex_json(home: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(cargo_bin("snipdex"))
        .env("SNIPDEX_HOME", home)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn killed_adds_lose_nothing_that_returned() {
    let home = tempfile::tempdir().unwrap();
    let done = home.path().join("done.log");
    // A shell adds snippets one by one and records each add that returned.
    let script = format!(
        "i=0; while :; do i=$((i+1)); \
         printf 'echo snippet %s\\n' $i | '{bin}' add --title \"crash $i\" >/dev/null \
         && echo $i >> '{done}'; done",
        bin = cargo_bin("snipdex").display(),
        done = done.display()
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("SNIPDEX_HOME", home.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while lines(&done).len() < 25 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Land the kill at an arbitrary point inside the next add.
    std::thread::sleep(Duration::from_millis(7));
    kill_group(child.id());
    let _ = child.wait();
    let returned = lines(&done);
    assert!(
        returned.len() >= 25,
        "only {} adds finished",
        returned.len()
    );

    let db = rusqlite::Connection::open(home.path().join("snipdex.db")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(db);

    let all = snipdex_json(home.path(), &["list", "--json"]);
    let titles: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    for i in &returned {
        assert!(
            titles.contains(&format!("crash {i}").as_str()),
            "snippet {i} lost"
        );
    }
    // At most the one add in flight may have landed beyond the log.
    assert!(titles.len() <= returned.len() + 1);
    // The derived index catches up from the outbox: everything is findable.
    let found = snipdex_json(home.path(), &["search", "crash", "--json", "-n", "100000"]);
    assert_eq!(found.as_array().unwrap().len(), titles.len());
    let doctor = snipdex_json(home.path(), &["doctor", "--json"]);
    assert_eq!(doctor["healthy"], true, "{doctor}");
}

/// Imports `file` into the library under `home`; with `kill_after`, kills
/// the import that long after it started. `None` when it finished before
/// the kill came (such a run proves nothing about atomicity).
fn import(home: &Path, file: &Path, kill_after: Option<Duration>) -> Option<Duration> {
    let started = Instant::now();
    let mut child = Command::new(cargo_bin("snipdex"))
        .env("SNIPDEX_HOME", home)
        .arg("import")
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let Some(delay) = kill_after else {
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "the uninterrupted import failed: {status:?}"
        );
        return Some(started.elapsed());
    };
    std::thread::sleep(delay);
    if let Some(status) = child.try_wait().unwrap() {
        assert!(status.success(), "the import failed: {status:?}");
        return None;
    }
    kill_group(child.id());
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "the import was not killed: {status:?}"
    );
    Some(started.elapsed())
}

#[test]
fn a_killed_import_is_all_or_nothing() {
    const N: usize = 20_000;
    let scratch = tempfile::tempdir().unwrap();
    let items: Vec<serde_json::Value> = (0..N)
        .map(|i| {
            serde_json::json!({
                "title": format!("bulk {i}"),
                "content": format!("echo {i} && printf '%s\\n' {}\n", "x".repeat(i % 200)),
            })
        })
        .collect();
    let file = scratch.path().join("bulk.json");
    std::fs::write(&file, serde_json::to_vec(&items).unwrap()).unwrap();

    // How long the whole import takes here, so the kills can be spread over
    // it rather than guessed: early (parsing), middle and late (writing).
    let full_home = scratch.path().join("full");
    let full = import(&full_home, &file, None).unwrap();
    let count = snipdex_json(&full_home, &["list", "--json"]);
    assert_eq!(count.as_array().unwrap().len(), N);

    for (i, share) in [0.2, 0.45, 0.7].into_iter().enumerate() {
        let home = scratch.path().join(format!("killed-{i}"));
        // A noisy machine can make a later run faster than the measured
        // one: then try again with the kill earlier, but a kill must land.
        let mut delay = full.mul_f64(share);
        let mut tries = 0;
        while import(&home, &file, Some(delay)).is_none() {
            tries += 1;
            assert!(tries < 5, "no kill landed during the import");
            std::fs::remove_dir_all(&home).unwrap();
            delay /= 2;
        }
        let db = rusqlite::Connection::open(home.join("snipdex.db")).unwrap();
        let check: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        drop(db);
        let all = snipdex_json(&home, &["list", "--json"]);
        let n = all.as_array().unwrap().len();
        assert!(
            n == 0 || n == N,
            "partial import after a kill at {share} of {full:?}: {n}"
        );
        if i == 2 {
            // The next import clears what the killed one staged, and lands.
            assert!(import(&home, &file, None).is_some());
            let all = snipdex_json(&home, &["list", "--json"]);
            assert_eq!(all.as_array().unwrap().len(), N);
            assert_eq!(staged(&home), 0);
        }
    }
}

/// Rows staged by imports that have not finished.
fn staged(home: &Path) -> i64 {
    // Read-only: the file may not exist yet, and must not be made here.
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    rusqlite::Connection::open_with_flags(home.join("snipdex.db"), flags)
        .and_then(|db| db.query_row("SELECT count(*) FROM import_staging", [], |r| r.get(0)))
        .unwrap_or(0)
}

#[test]
fn an_add_during_a_long_import_gets_its_turn() {
    const N: usize = 40_000;
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    let items: Vec<serde_json::Value> = (0..N)
        .map(
            |i| serde_json::json!({"title": format!("bulk {i}"), "content": format!("echo {i}\n")}),
        )
        .collect();
    let file = scratch.path().join("bulk.json");
    std::fs::write(&file, serde_json::to_vec(&items).unwrap()).unwrap();
    let mut importing = Command::new(cargo_bin("snipdex"))
        .env("SNIPDEX_HOME", &home)
        .arg("import")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    // Once the import is writing...
    let deadline = Instant::now() + Duration::from_secs(120);
    while staged(&home) == 0 {
        assert!(
            Instant::now() < deadline,
            "the import never started writing"
        );
        assert!(
            importing.try_wait().unwrap().is_none(),
            "the import ended first"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // ...an add goes in between its chunks, without waiting for the end.
    let mut add = Command::new(cargo_bin("snipdex"))
        .env("SNIPDEX_HOME", &home)
        .args(["add", "--title", "added during the import"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(b"echo meanwhile\n")
        .unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let db = rusqlite::Connection::open(home.join("snipdex.db")).unwrap();
    let landed: i64 = db
        .query_row("SELECT count(*) FROM snippets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(landed, 1, "the add landed before the import did");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!said.contains("busy"), "the add had to wait: {said}");

    let status = importing.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let all = snipdex_json(&home, &["list", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), N + 1);
    assert_eq!(staged(&home), 0);
}
