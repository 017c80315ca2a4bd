use std::path::Path;
use std::time::{Duration, Instant};

use super::*;
use crate::domain::{NewSnippet, Provenance};
use crate::enrich::testkit::tiny_model;
use crate::store::SnippetPatch;

const PY: &str =
    "import json\n\ndef load(path):\n    with open(path) as f:\n        return json.load(f)\n";

struct Lab {
    dir: tempfile::TempDir,
    store: Store,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db"), &dir.path().join("backups")).unwrap();
        Lab { dir, store }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn add(&self, content: &str) -> SnippetId {
        let s = self
            .store
            .insert(&NewSnippet {
                content: content.into(),
                language: "python".into(),
                ..Default::default()
            })
            .unwrap();
        self.store.enqueue_job(s.id, &[]).unwrap();
        s.id
    }

    fn options(&self, model: Option<PathBuf>) -> WorkerOptions {
        WorkerOptions {
            db_path: self.path().join("db"),
            backups_dir: self.path().join("backups"),
            model,
            models_dir: self.path().join("models"),
            adapters: AdapterSource::None,
            enricher: EnricherOptions::default(),
            threads: 1,
            bulk: 1,
            paused: false,
            pause_file: None,
            until_empty: true,
            only: None,
            max_attempts: MAX_ATTEMPTS,
            poll: Duration::from_millis(20),
            model_retry: None,
            low_priority: true,
            lock_file: Some(self.path().join("enrich.lock")),
            who: "snipdex test".into(),
        }
    }
}

/// Runs a worker until it ends by itself and returns its events.
fn run_to_end(opts: WorkerOptions) -> Vec<EnrichEvent> {
    let (tx, rx) = mpsc::channel();
    let handle = spawn(opts, tx).unwrap();
    let events: Vec<EnrichEvent> = rx.iter().collect();
    handle.join();
    events
}

fn done_ids(events: &[EnrichEvent]) -> Vec<SnippetId> {
    events
        .iter()
        .filter_map(|e| match e {
            EnrichEvent::Done { id, .. } => Some(*id),
            _ => None,
        })
        .collect()
}

fn wait_for(rx: &mpsc::Receiver<EnrichEvent>, want: impl Fn(&EnrichEvent) -> bool) -> EnrichEvent {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if want(&e) => return e,
            Ok(_) => {}
            Err(e) => panic!("no matching event: {e}"),
        }
    }
}

#[test]
fn queued_jobs_are_done_and_locked_fields_are_left_alone() {
    let lab = Lab::new();
    let model = tiny_model(lab.path(), 1, 1024);
    let free = lab.add(PY);
    let locked = lab.add(PY);
    let user_links = vec!["https://example.org/mine".to_owned()];
    lab.store
        .update(
            locked,
            &SnippetPatch {
                links: Some(user_links.clone()),
                ..Default::default()
            },
        )
        .unwrap();

    let events = run_to_end(lab.options(Some(model)));
    let mut ids = done_ids(&events);
    ids.sort();
    assert_eq!(ids, vec![free, locked]);
    assert_eq!(lab.store.job_count().unwrap(), 0);
    assert!(matches!(
        events.last(),
        Some(EnrichEvent::Progress { queued: 0 })
    ));
    let started = events
        .iter()
        .position(|e| *e == EnrichEvent::Started { id: free });
    let done = events
        .iter()
        .position(|e| matches!(e, EnrichEvent::Done { id, .. } if *id == free));
    assert!(started < done, "{events:?}");

    let free = lab.store.get(free).unwrap();
    assert!(
        free.links.iter().any(|l| l.contains("json")),
        "{:?}",
        free.links
    );
    assert!(matches!(
        free.meta.links.provenance,
        Some(Provenance::Model { .. })
    ));
    let locked = lab.store.get(locked).unwrap();
    assert_eq!(locked.links, user_links);
    assert_eq!(locked.meta.links.provenance, Some(Provenance::User));
    let written_for_locked = events.iter().find_map(|e| match e {
        EnrichEvent::Done { id, fields_written } if *id == locked.id => Some(fields_written),
        _ => None,
    });
    assert!(!written_for_locked.unwrap().contains(&Field::Links));
}

#[test]
fn a_job_for_old_content_is_replaced_by_one_for_the_current_content() {
    let lab = Lab::new();
    let model = tiny_model(lab.path(), 2, 1024);
    let id = lab.add("print('old')\n");
    let stale = lab.store.job(id).unwrap().unwrap();
    // Changed without a new job (enrichment was off at the time).
    lab.store
        .update(
            id,
            &SnippetPatch {
                content: Some(PY.into()),
                ..Default::default()
            },
        )
        .unwrap();
    let events = run_to_end(lab.options(Some(model)));
    assert_eq!(done_ids(&events), vec![id]);
    assert_eq!(lab.store.job_count().unwrap(), 0);
    let s = lab.store.get(id).unwrap();
    assert_ne!(s.content_hash, stale.content_hash);
    assert!(
        s.links.iter().any(|l| l.contains("json")),
        "links of the new content"
    );
}

#[test]
fn failing_jobs_are_tried_three_times_then_left_in_the_queue() {
    let lab = Lab::new();
    // Too small a context for any prompt: every attempt fails.
    let model = tiny_model(lab.path(), 3, 256);
    let id = lab.add(PY);
    let events = run_to_end(lab.options(Some(model)));
    let failures = events
        .iter()
        .filter(|e| matches!(e, EnrichEvent::Failed { id: f, .. } if *f == id))
        .count();
    assert_eq!(failures, MAX_ATTEMPTS as usize);
    let job = lab.store.job(id).unwrap().unwrap();
    assert_eq!(job.attempts, MAX_ATTEMPTS);
    assert_eq!(lab.store.pending_job_count(MAX_ATTEMPTS).unwrap(), 0);
}

#[test]
fn without_a_model_the_worker_turns_off_and_keeps_the_jobs() {
    let lab = Lab::new();
    lab.add(PY);
    let events = run_to_end(lab.options(None));
    let off = events.iter().find_map(|e| match e {
        EnrichEvent::State(WorkerState::Off(why, _)) => Some(why.clone()),
        _ => None,
    });
    assert!(off.unwrap().contains("snipdex model fetch"), "{events:?}");
    assert_eq!(lab.store.job_count().unwrap(), 1);
}

#[test]
fn pause_and_resume_through_the_handle_and_the_file() {
    let lab = Lab::new();
    let model = tiny_model(lab.path(), 4, 1024);
    let marker = lab.path().join("enrich.paused");
    std::fs::write(&marker, b"").unwrap();
    let mut opts = lab.options(Some(model));
    opts.until_empty = false;
    opts.paused = true;
    opts.pause_file = Some(marker.clone());
    let first = lab.add(PY);
    let (tx, rx) = mpsc::channel();
    let handle = spawn(opts, tx).unwrap();
    wait_for(&rx, |e| *e == EnrichEvent::State(WorkerState::Paused));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        lab.store.job_count().unwrap(),
        1,
        "paused workers do nothing"
    );
    assert!(handle.is_paused());

    handle.resume();
    assert!(!marker.exists(), "resuming is persisted");
    wait_for(
        &rx,
        |e| matches!(e, EnrichEvent::Done { id, .. } if *id == first),
    );

    // Another process pauses through the file; the worker follows.
    std::fs::write(&marker, b"").unwrap();
    wait_for(&rx, |e| *e == EnrichEvent::State(WorkerState::Paused));
    assert!(handle.is_paused());
    let second = lab.add(PY);
    handle.wake();
    std::thread::sleep(Duration::from_millis(200));
    assert!(lab.store.job(second).unwrap().is_some());

    std::fs::remove_file(&marker).unwrap();
    wait_for(
        &rx,
        |e| matches!(e, EnrichEvent::Done { id, .. } if *id == second),
    );
    handle.pause();
    assert!(marker.exists() && handle.is_paused());
    handle.stop();
    // The sink went with the threads.
    assert!(rx.iter().all(|e| !matches!(e, EnrichEvent::Started { .. })));
}

#[test]
fn a_worker_whose_receiver_is_gone_ends() {
    let lab = Lab::new();
    let model = tiny_model(lab.path(), 5, 1024);
    let mut opts = lab.options(Some(model));
    opts.until_empty = false;
    let (tx, rx) = mpsc::channel();
    drop(rx);
    let handle = spawn(opts, tx).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while handle.is_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!handle.is_running());
}

#[test]
fn several_threads_share_the_queue_without_doing_a_job_twice() {
    let lab = Lab::new();
    let model = tiny_model(lab.path(), 6, 1024);
    let mut ids: Vec<SnippetId> = (0..6).map(|i| lab.add(&format!("{PY}# {i}\n"))).collect();
    let mut opts = lab.options(Some(model));
    opts.threads = 2;
    let events = run_to_end(opts);
    let mut done = done_ids(&events);
    done.sort();
    ids.sort();
    assert_eq!(done, ids);
    assert_eq!(lab.store.job_count().unwrap(), 0);
}

#[test]
fn only_the_given_snippets_are_worked_on() {
    let lab = Lab::new();
    let model = tiny_model(lab.path(), 7, 1024);
    let a = lab.add(PY);
    let b = lab.add(PY);
    let mut opts = lab.options(Some(model));
    opts.only = Some(vec![b]);
    let events = run_to_end(opts);
    assert_eq!(done_ids(&events), vec![b]);
    assert!(lab.store.job(a).unwrap().is_some());
}

#[test]
fn events_read_well_in_a_status_bar() {
    let done = EnrichEvent::Done {
        id: 3,
        fields_written: vec![Field::Title, Field::Tags],
    };
    assert_eq!(done.to_string(), "enriched #3 (title, tags)");
    assert_eq!(
        EnrichEvent::Progress { queued: 2 }.to_string(),
        "2 snippets to enrich"
    );
    let off = EnrichEvent::State(WorkerState::Off("no model".into(), OffCause::NoModel));
    assert_eq!(off.to_string(), "enrichment off: no model");
}

/// The policy and nice value of the thread that delivers the worker's first
/// event: the sink runs on the worker thread itself.
#[cfg(target_os = "linux")]
fn worker_thread_priority(low_priority: bool) -> (i32, i32) {
    let lab = Lab::new();
    let model = tiny_model(lab.path(), 7, 1024);
    lab.add(PY);
    let mut opts = lab.options(Some(model));
    opts.low_priority = low_priority;
    let (tx, rx) = mpsc::channel();
    let handle = spawn(opts, move |_e: EnrichEvent| {
        tx.send(current_thread_priority()).is_ok()
    })
    .unwrap();
    let seen: Vec<(i32, i32)> = rx.iter().collect();
    handle.join();
    // Every event came from the same thread, after the priority was set.
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
    seen[0]
}

#[cfg(target_os = "linux")]
#[test]
fn background_worker_threads_run_at_idle_priority() {
    let (policy, nice) = worker_thread_priority(true);
    assert!(
        policy == libc::SCHED_IDLE || nice == 19,
        "policy {policy}, nice {nice}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_foreground_worker_keeps_the_callers_priority() {
    let (policy, nice) = worker_thread_priority(false);
    assert_eq!((policy, nice), current_thread_priority());
}

#[test]
fn a_bulk_worker_writes_what_one_at_a_time_writes() {
    let snippets = [
        PY,
        "import os\nprint(os.getcwd())\n",
        "def f(x):\n    return x + 1\n",
        "import re\nre.compile('a+')\n",
        "print('hi')\n",
    ];
    let run = |bulk: usize| {
        let lab = Lab::new();
        let model = tiny_model(lab.path(), 1, 1024);
        let ids: Vec<SnippetId> = snippets.iter().map(|s| lab.add(s)).collect();
        let mut opts = lab.options(Some(model));
        opts.bulk = bulk;
        let events = run_to_end(opts);
        let mut done = done_ids(&events);
        done.sort();
        assert_eq!(done, ids, "{events:?}");
        assert_eq!(lab.store.job_count().unwrap(), 0);
        ids.iter()
            .map(|&id| {
                let s = lab.store.get(id).unwrap();
                (s.title, s.description, s.tags, s.links)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(3), run(1));
}

#[test]
fn a_worker_defers_while_another_holds_the_lock_and_then_takes_over() {
    let lab = Lab::new();
    let model = tiny_model(lab.path(), 1, 1024);
    let id = lab.add(PY);
    let opts = lab.options(Some(model));
    let lock_path = opts.lock_file.clone().unwrap();
    let mut other = Turns::new(lock_path, "snipdex watch".into(), false);
    assert_eq!(other.take().unwrap(), None);
    let (tx, rx) = mpsc::channel();
    let handle = spawn(opts, tx).unwrap();
    let deferred = wait_for(&rx, |e| {
        matches!(e, EnrichEvent::State(WorkerState::Deferred(_)))
    });
    assert_eq!(
        deferred.to_string(),
        format!(
            "enrichment waiting: snipdex watch (pid {}) is enriching this library",
            std::process::id()
        )
    );
    assert_eq!(lab.store.job_count().unwrap(), 1, "nothing ran meanwhile");
    other.release();
    wait_for(
        &rx,
        |e| matches!(e, EnrichEvent::Done { id: done, .. } if *done == id),
    );
    handle.join();
    assert_eq!(lab.store.job_count().unwrap(), 0);
}
