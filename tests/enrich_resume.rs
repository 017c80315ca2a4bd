//! A `snipdex enrich --all` killed with SIGKILL loses no job: the unfinished
//! ones stay queued, the next run finishes them, and locked fields survive
//! both runs.

use assert_cmd::cargo::cargo_bin;
use snipdex::domain::Provenance;
use snipdex::model::testutil::{write_tiny_llama_gguf_with, TinySpec};
use snipdex::store::{SnippetPatch, Store};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SNIPPETS: i64 = 16;

fn snipdex(home: &Path) -> Command {
    let mut c = Command::new(cargo_bin("snipdex"));
    c.env("SNIPDEX_HOME", home);
    c
}

fn kill_group(pid: u32) {
    let status = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pid}")])
        .status()
        .unwrap();
    assert!(status.success());
}

fn open_store(home: &Path) -> Store {
    Store::open(&home.join("snipdex.db"), &home.join("backups")).unwrap()
}

/// A tiny random model; with four tasks of up to 48 tokens each a snippet
/// still takes a noticeable time, so the kill lands mid-run.
fn install_tiny_model(home: &Path) {
    let dir = home.join("models");
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec = TinySpec::new(33);
    spec.context_length = 1024;
    write_tiny_llama_gguf_with(&dir.join("tiny.gguf"), &spec).unwrap();
}

#[test]
fn a_killed_enrich_run_is_resumed_and_never_touches_locked_fields() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    install_tiny_model(h);
    // Enrichment off while adding, so that `enrich --all` does the queueing.
    std::fs::write(h.join("config.toml"), "[enrich]\nenabled = false\n").unwrap();
    for i in 0..SNIPPETS {
        let code =
            format!("import json\n\ndef load_{i}(path):\n    return json.load(open(path))\n");
        let out = snipdex(h)
            .args(["add", "--lang", "python"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(code.as_bytes())?;
                child.wait()
            })
            .unwrap();
        assert!(out.success());
    }
    let store = open_store(h);
    assert_eq!(store.job_count().unwrap(), 0);
    let first = 1;
    let user_links = vec!["https://example.org/my-notes".to_owned()];
    store
        .update(
            first,
            &SnippetPatch {
                links: Some(user_links.clone()),
                title: Some("My loader".into()),
                ..Default::default()
            },
        )
        .unwrap();

    let mut child = snipdex(h)
        .args(["enrich", "--all"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    // Kill once a few jobs are done but most are not.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut left = store.job_count().unwrap();
    while !(1..=SNIPPETS - 3).contains(&left) {
        assert!(Instant::now() < deadline, "the run made no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed ({left} jobs left)"
        );
        std::thread::sleep(Duration::from_millis(20));
        left = store.job_count().unwrap();
    }
    kill_group(child.id());
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not finished");

    let after_kill = store.job_count().unwrap();
    assert!(
        (1..SNIPPETS).contains(&after_kill),
        "{after_kill} jobs left after the kill"
    );
    // Every snippet without a job was enriched (its links came from the resolver).
    let mut enriched = 0;
    for id in 1..=SNIPPETS {
        let s = store.get(id).unwrap();
        if store.job(id).unwrap().is_none() && id != first {
            assert!(
                matches!(s.meta.links.provenance, Some(Provenance::Model { .. })),
                "{s:?}"
            );
            enriched += 1;
        }
    }
    assert!(enriched >= 2, "only {enriched} enriched before the kill");

    // A plain `snipdex enrich` resumes what is queued.
    let out = snipdex(h).arg("enrich").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(store.job_count().unwrap(), 0);
    for id in 2..=SNIPPETS {
        let s = store.get(id).unwrap();
        assert!(
            matches!(s.meta.links.provenance, Some(Provenance::Model { .. })),
            "{s:?}"
        );
        assert!(
            s.links
                .iter()
                .all(|l| l.starts_with("https://docs.python.org/")),
            "{s:?}"
        );
    }
    let mine = store.get(first).unwrap();
    assert_eq!(mine.links, user_links);
    assert_eq!(mine.title, "My loader");
    assert_eq!(mine.meta.links.provenance, Some(Provenance::User));
    assert_eq!(mine.meta.title.provenance, Some(Provenance::User));
}
