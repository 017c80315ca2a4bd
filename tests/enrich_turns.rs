//! One enricher per library at a time, with real processes: a second
//! `snipdex enrich` waits for the first, says whom it waits for, and takes
//! over when the first is killed (`kill -9` leaves no lock behind).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use snipdex::domain::NewSnippet;
use snipdex::library::Library;
use snipdex::model::testutil::{write_tiny_llama_gguf_with, TinySpec};
use snipdex::paths::Paths;
use snipdex::store::Store;

/// Only against hanging forever when something is broken; nothing here
/// asserts how long anything takes.
const PATIENCE: Duration = Duration::from_secs(300);

fn snipdex(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_snipdex"));
    c.env("SNIPDEX_HOME", home)
        .env("SNIPDEX_SHIPPED_ADAPTERS", "none")
        .env_remove("VISUAL")
        .env_remove("EDITOR");
    c
}

/// A library of `n` queued snippets with a tiny model installed.
fn library(n: usize) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("models");
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec = TinySpec::new(21);
    spec.context_length = 1024;
    write_tiny_llama_gguf_with(&dir.join("tiny.gguf"), &spec).unwrap();
    let mut lib = Library::open(Paths::under(home.path())).unwrap();
    for i in 0..n {
        lib.add(&NewSnippet {
            content: format!("def f{i}(x):\n    return x * {i} + len(str(x))\n"),
            language: "python".into(),
            ..Default::default()
        })
        .unwrap();
    }
    home
}

fn pending(home: &Path) -> i64 {
    let store = Store::open(&home.join("snipdex.db"), &home.join("backups")).unwrap();
    store.pending_job_count(3).unwrap()
}

/// Whether no other connection holds the database's write lock.
fn database_is_free(home: &Path) -> bool {
    let Ok(mut store) = Store::open(&home.join("snipdex.db"), &home.join("backups")) else {
        return false;
    };
    store.set_patience(Duration::ZERO);
    store.transaction(|_| Ok(())).is_ok()
}

fn signal(which: &str, pid: u32) {
    let status = Command::new("kill")
        .args([which, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {which} {pid}");
}

fn lock_file(home: &Path) -> PathBuf {
    home.join("enrich.lock")
}

/// Starts `snipdex enrich --all` with its stderr sent line by line to the
/// returned channel.
fn enrich_all(home: &Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = snipdex(home)
        .args(["enrich", "--all"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // Progress bars redraw with carriage returns: keep the text.
            for part in line.split('\r') {
                if tx.send(part.to_owned()).is_err() {
                    return;
                }
            }
        }
    });
    (child, rx)
}

/// Waits for a line containing `needle`; returns every line seen.
fn wait_for_line(rx: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let started = Instant::now();
    let mut seen = Vec::new();
    while started.elapsed() < PATIENCE {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    panic!("no line with {needle:?}; saw:\n{}", seen.join("\n"));
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < PATIENCE, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn finish(mut child: Child, rx: mpsc::Receiver<String>) -> (bool, String) {
    let status = child.wait().unwrap();
    let rest: Vec<String> = rx.iter().collect();
    (status.success(), rest.join("\n"))
}

#[test]
fn a_second_enricher_waits_and_takes_over_when_the_first_is_killed() {
    let home = library(150);
    let h = home.path();
    let (mut first, first_lines) = enrich_all(h);
    let pid = first.id();
    // The first run holds the lock once it has a job to do.
    wait_until("the first run takes the lock", || {
        std::fs::read_to_string(lock_file(h)).is_ok_and(|s| s.starts_with(&format!("{pid} ")))
    });
    // Freeze it there (holding the lock, with most of the queue left), but
    // never inside a database write, which would block the second run.
    loop {
        signal("-STOP", pid);
        if database_is_free(h) {
            break;
        }
        signal("-CONT", pid);
        std::thread::sleep(Duration::from_millis(1));
    }
    let left = pending(h);
    assert!(
        left > 0,
        "the first run finished before it could be stopped"
    );
    let (second, second_lines) = enrich_all(h);
    wait_for_line(
        &second_lines,
        &format!("waiting: snipdex enrich (pid {pid}) is enriching this library"),
    );
    // kill -9: no chance to clean up; the kernel drops the lock.
    first.kill().unwrap();
    let _ = finish(first, first_lines);
    let (ok, rest) = finish(second, second_lines);
    assert!(ok, "the second run failed:\n{rest}");
    assert!(rest.contains("taking over"), "{rest}");
    assert_eq!(pending(h), 0, "every job is done:\n{rest}");
}

#[test]
fn a_lock_file_left_by_a_dead_process_blocks_nobody() {
    let home = library(3);
    let h = home.path();
    // What a killed holder leaves: its name in the file, but no OS lock.
    std::fs::write(lock_file(h), "999999 snipdex watch").unwrap();
    let (child, lines) = enrich_all(h);
    let (ok, text) = finish(child, lines);
    assert!(ok, "{text}");
    assert!(!text.contains("waiting"), "{text}");
    assert_eq!(pending(h), 0);
}
