//! Sync through a real git remote: two libraries (two SNIPDEX_HOMEs) and a
//! bare repository on disk, driven through the `snipdex` binary and the
//! user's `git`, as a user would.

use assert_cmd::cargo::cargo_bin;
use snipdex::domain::{Field, Provenance};
use snipdex::store::{GeneratedValue, Store};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    remote: PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let remote = root.join("remote.git");
        git(
            &root,
            &["init", "--quiet", "--bare", remote.to_str().unwrap()],
        );
        World {
            _dir: dir,
            root,
            remote,
        }
    }

    /// A library set up to sync with the remote.
    fn machine(&self, name: &str) -> PathBuf {
        let home = self.root.join(name);
        std::fs::create_dir_all(&home).unwrap();
        ok(&home, &["sync", "init", self.remote.to_str().unwrap()]);
        home
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn snipdex(home: &Path) -> Command {
    let mut c = Command::new(cargo_bin("snipdex"));
    // No identity and no user config: the clone's fallback identity is
    // what commits, as on a fresh server.
    c.env("SNIPDEX_HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("SNIPDEX_SYNC_STOP_AT")
        .env_remove("SNIPDEX_GIT");
    c
}

fn run(home: &Path, args: &[&str]) -> Output {
    snipdex(home).args(args).output().unwrap()
}

fn ok(home: &Path, args: &[&str]) -> String {
    let out = run(home, args);
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn add(home: &Path, content: &str, title: &str) -> i64 {
    let out = snipdex(home)
        .args(["add", "--title", title, "--lang", "bash"])
        .write_stdin_str(content);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

trait Stdin {
    fn write_stdin_str(&mut self, s: &str) -> Output;
}

impl Stdin for Command {
    fn write_stdin_str(&mut self, s: &str) -> Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = self
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }
}

fn store(home: &Path) -> Store {
    Store::open(&home.join("snipdex.db"), &home.join("backups")).unwrap()
}

/// (title, description, tags, content) of every snippet, sorted.
fn library(home: &Path) -> Vec<(String, String, Vec<String>, String)> {
    let mut all: Vec<_> = store(home)
        .list(&Default::default())
        .unwrap()
        .into_iter()
        .map(|s| (s.title, s.description, s.tags, s.content))
        .collect();
    all.sort();
    all
}

fn by_title(home: &Path, title: &str) -> snipdex::domain::Snippet {
    store(home)
        .list(&Default::default())
        .unwrap()
        .into_iter()
        .find(|s| s.title == title)
        .unwrap_or_else(|| panic!("no snippet titled {title:?} in {}", home.display()))
}

fn jobs(home: &Path) -> i64 {
    store(home).job_count().unwrap()
}

fn clear_jobs(home: &Path) {
    let db = rusqlite::Connection::open(home.join("snipdex.db")).unwrap();
    db.execute("DELETE FROM enrich_jobs", []).unwrap();
}

fn commits(home: &Path) -> String {
    git(&home.join("sync"), &["rev-list", "--count", "HEAD"])
}

fn integrity(home: &Path) {
    let db = rusqlite::Connection::open(home.join("snipdex.db")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

/// Wait long enough that two edits get different millisecond times.
fn tick() {
    std::thread::sleep(std::time::Duration::from_millis(20));
}

/// `git init --bare` names `master` as the remote's HEAD while libraries
/// sync `main`: a library joining later still sees what the remote holds.
#[test]
fn a_joining_library_counts_the_remote_snippets_whatever_its_head_names() {
    let w = World::new();
    let a = w.machine("a");
    add(&a, "ls -la\n", "List files");
    ok(&a, &["sync"]);
    let b = w.root.join("b");
    std::fs::create_dir_all(&b).unwrap();
    let said = ok(&b, &["sync", "init", w.remote.to_str().unwrap()]);
    assert!(said.contains("the remote holds 1 snippet;"), "{said}");
    let said = ok(&b, &["sync"]);
    assert!(said.contains("received 1 snippet (1 new"), "{said}");
    let said = ok(&b, &["sync"]);
    assert!(said.contains("nothing to sync; up to date"), "{said}");
}

#[test]
fn adds_edits_renames_and_deletes_reach_the_other_library() {
    let w = World::new();
    let a = w.machine("a");
    let keep = add(&a, "ls -la\n", "List files");
    let gone = add(&a, "rm -rf build\n", "Clean build");
    let said = ok(&a, &["sync"]);
    assert!(said.contains("sent 2 snippets (2 new"), "{said}");
    let b = w.machine("b");
    let said = ok(&b, &["sync"]);
    assert!(said.contains("received 2 snippets (2 new"), "{said}");
    assert_eq!(library(&a), library(&b));

    // A received snippet keeps the fields' owners: the user's title is
    // locked on the other machine too.
    let got = by_title(&b, "List files");
    assert!(got.meta.title.locked);
    assert_eq!(got.meta.title.provenance, Some(Provenance::User));

    // Rename (a new title), a tag, a deletion.
    ok(
        &a,
        &["edit", &keep.to_string(), "--title", "List all files"],
    );
    ok(&a, &["tag", &keep.to_string(), "--add", "files"]);
    ok(&a, &["rm", &gone.to_string()]);
    clear_jobs(&b);
    ok(&a, &["sync"]);
    let said = ok(&b, &["sync"]);
    assert!(said.contains("1 changed, 1 deleted"), "{said}");
    assert_eq!(library(&a), library(&b));
    let got = by_title(&b, "List all files");
    assert!(got.tags.contains(&"files".to_string()));
    assert_eq!(library(&b).len(), 1);
    // Title and tags only: the content did not change, nothing to enrich.
    assert_eq!(jobs(&b), 0);

    // The deletion left a tombstone in the repository.
    let tombstones = std::fs::read_dir(b.join("sync/snippets"))
        .unwrap()
        .filter(|e| {
            std::fs::read_to_string(e.as_ref().unwrap().path())
                .unwrap()
                .contains("deleted = true")
        })
        .count();
    assert_eq!(tombstones, 1);
}

/// Two libraries with one snippet both have, synced.
fn pair(w: &World) -> (PathBuf, PathBuf) {
    let a = w.machine("a");
    add(&a, "du -sh * | sort -h\n", "Folder sizes");
    ok(&a, &["sync"]);
    let b = w.machine("b");
    ok(&b, &["sync"]);
    (a, b)
}

fn set_generated(home: &Path, title: &str, field: Field, value: &str) {
    let id = by_title(home, title).id;
    let written = store(home)
        .set_generated(
            id,
            field,
            &GeneratedValue::Text(value.into()),
            Provenance::Model {
                model: "test".into(),
                adapter: field.name().into(),
                version: "1".into(),
            },
        )
        .unwrap();
    assert!(written);
}

fn repo_text(home: &Path) -> String {
    let mut all = String::new();
    for e in std::fs::read_dir(home.join("sync/snippets")).unwrap() {
        all.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    all
}

#[test]
fn concurrent_edits_of_different_fields_both_survive() {
    let w = World::new();
    let (a, b) = pair(&w);
    let id_a = by_title(&a, "Folder sizes").id.to_string();
    let id_b = by_title(&b, "Folder sizes").id.to_string();
    ok(
        &a,
        &["edit", &id_a, "--description", "Sizes of everything here"],
    );
    ok(&b, &["tag", &id_b, "--add", "disk"]);
    ok(&a, &["sync"]);
    ok(&b, &["sync"]);
    ok(&a, &["sync"]);
    assert_eq!(library(&a), library(&b));
    let s = by_title(&a, "Folder sizes");
    assert_eq!(s.description, "Sizes of everything here");
    assert!(s.tags.contains(&"disk".to_string()), "{:?}", s.tags);
    assert!(
        !repo_text(&b).contains("[[history]]"),
        "no conflict, no note"
    );
}

#[test]
fn the_same_field_on_both_sides_later_wins_and_the_loser_is_kept() {
    let w = World::new();
    let (a, b) = pair(&w);
    let id_a = by_title(&a, "Folder sizes").id.to_string();
    let id_b = by_title(&b, "Folder sizes").id.to_string();
    ok(&a, &["edit", &id_a, "--description", "from a, earlier"]);
    tick();
    ok(&b, &["edit", &id_b, "--description", "from b, later"]);
    // The earlier edit reaches the remote first; the later one still wins.
    ok(&a, &["sync"]);
    let said = ok(&b, &["sync"]);
    assert!(said.contains("merged description"), "{said}");
    ok(&a, &["sync"]);
    assert_eq!(by_title(&a, "Folder sizes").description, "from b, later");
    assert_eq!(library(&a), library(&b));
    let text = repo_text(&a);
    assert!(
        text.contains("[[history]]") && text.contains("from a, earlier"),
        "{text}"
    );
}

#[test]
fn a_locked_field_beats_a_later_generated_one() {
    let w = World::new();
    let (a, b) = pair(&w);
    let id_a = by_title(&a, "Folder sizes").id.to_string();
    ok(&a, &["edit", &id_a, "--description", "mine, locked"]);
    tick();
    set_generated(&b, "Folder sizes", Field::Description, "the model's, later");
    ok(&b, &["sync"]);
    ok(&a, &["sync"]);
    ok(&b, &["sync"]);
    for h in [&a, &b] {
        let s = by_title(h, "Folder sizes");
        assert_eq!(s.description, "mine, locked", "{}", h.display());
        assert!(s.meta.description.locked);
    }
    assert!(repo_text(&b).contains("the model's, later"));
}

#[test]
fn generated_fields_travel_and_are_not_regenerated() {
    let w = World::new();
    let (a, b) = pair(&w);
    set_generated(
        &a,
        "Folder sizes",
        Field::Description,
        "Shows folder sizes.",
    );
    // The job a queued for the content is done there.
    clear_jobs(&a);
    clear_jobs(&b);
    ok(&a, &["sync"]);
    ok(&b, &["sync"]);
    let s = by_title(&b, "Folder sizes");
    assert_eq!(s.description, "Shows folder sizes.");
    assert!(matches!(
        s.meta.description.provenance,
        Some(Provenance::Model { .. })
    ));
    assert_eq!(jobs(&b), 0, "unchanged content must not be enriched again");
    // New content whose fields were not written for it yet is enriched
    // where it arrives.
    let c = add(&a, "df -h\n", "Free space");
    ok(&a, &["sync"]);
    let said = ok(&b, &["sync"]);
    assert!(said.contains("queued for enrichment"), "{said}");
    assert_eq!(jobs(&b), 1);
    let _ = c;
}

#[test]
fn a_sync_with_nothing_to_do_makes_no_commit() {
    let w = World::new();
    let (a, _b) = pair(&w);
    let before = commits(&a);
    let said = ok(&a, &["sync"]);
    assert!(said.contains("up to date"), "{said}");
    assert_eq!(commits(&a), before);
    let remote_head = git(&w.remote, &["rev-parse", "HEAD"]);
    ok(&a, &["sync"]);
    assert_eq!(git(&w.remote, &["rev-parse", "HEAD"]), remote_head);
}

#[test]
fn status_says_what_would_move_and_changes_nothing() {
    let w = World::new();
    let (a, b) = pair(&w);
    add(&a, "uptime\n", "Load");
    let out = run(&a, &["sync", "--status", "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sent_new"], 1);
    ok(&a, &["sync"]);
    let out = run(&b, &["sync", "--status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["received_changed"], 1);
    assert_eq!(library(&b).len(), 1, "status must not import");
}

#[test]
fn a_kill_at_any_step_is_finished_by_the_next_run() {
    for step in ["after-export", "after-commit", "after-merge", "before-push"] {
        let w = World::new();
        let (a, b) = pair(&w);
        // Both sides changed, so the killed run has a merge to make.
        add(&b, "whoami\n", "Who");
        ok(&b, &["sync"]);
        add(&a, "hostname\n", "Host");
        let out = snipdex(&a)
            .env("SNIPDEX_SYNC_STOP_AT", step)
            .arg("sync")
            .output()
            .unwrap();
        assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{step}: {out:?}");
        integrity(&a);
        let said = ok(&a, &["sync"]);
        assert!(!said.contains("skipped"), "{step}: {said}");
        ok(&b, &["sync"]);
        assert_eq!(library(&a), library(&b), "{step}");
        assert_eq!(library(&a).len(), 3, "{step}: {:?}", library(&a));
        let clean = git(&a.join("sync"), &["status", "--porcelain"]);
        assert_eq!(clean, "", "{step}");
        let before = commits(&a);
        ok(&a, &["sync"]);
        assert_eq!(
            commits(&a),
            before,
            "{step}: a finished sync leaves nothing to do"
        );
    }
}

#[test]
fn a_remote_that_rejects_the_push() {
    let w = World::new();
    let hook = w.remote.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'pushes are closed today' >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let a = w.machine("a");
    add(&a, "make -j8\n", "Build");
    let out = run(&a, &["sync"]);
    assert_eq!(out.status.code(), Some(10), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("refused the push"), "{said}");
    assert!(said.contains("pushes are closed today"), "{said}");
    integrity(&a);
    assert_eq!(library(&a).len(), 1);
    // The hook goes away; the next run pushes what was committed.
    std::fs::remove_file(&hook).unwrap();
    ok(&a, &["sync"]);
    let b = w.machine("b");
    ok(&b, &["sync"]);
    assert_eq!(library(&a), library(&b));
}

#[test]
fn secrets_are_held_back_unless_allowed() {
    let w = World::new();
    let a = w.machine("a");
    add(&a, "echo fine\n", "Plain");
    let key = add(&a, "aws_access_key_id = AKIAQWERTYUIOPASDFGH\n", "Key");
    let said = ok(&a, &["sync"]);
    assert!(said.contains("held back 1 snippet"), "{said}");
    let b = w.machine("b");
    ok(&b, &["sync"]);
    assert_eq!(library(&b).len(), 1);
    assert!(!repo_text(&a).contains("AKIA"));
    ok(&a, &["sync", "share", &key.to_string()]);
    let said = ok(&a, &["sync"]);
    assert!(!said.contains("held back"), "{said}");
    ok(&b, &["sync"]);
    assert_eq!(library(&b).len(), 2);
}

#[test]
fn include_secrets_in_the_config_sends_them_all() {
    let w = World::new();
    let a = w.machine("a");
    std::fs::write(a.join("config.toml"), "[sync]\ninclude_secrets = true\n").unwrap();
    add(&a, "aws_access_key_id = AKIAQWERTYUIOPASDFGH\n", "Key");
    let said = ok(&a, &["sync"]);
    assert!(!said.contains("held back"), "{said}");
    assert!(repo_text(&a).contains("AKIA"));
}

#[test]
fn errors_say_what_to_do() {
    let w = World::new();
    let home = w.root.join("lonely");
    std::fs::create_dir_all(&home).unwrap();
    let out = run(&home, &["sync"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("snipdex sync init"));

    let a = w.machine("a");
    let out = snipdex(&a)
        .env("SNIPDEX_GIT", w.root.join("no-such-git"))
        .arg("sync")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("git is not installed"));

    // The remote goes away: a clear message, and nothing lost.
    add(&a, "echo 1\n", "One");
    std::fs::rename(&w.remote, w.root.join("moved.git")).unwrap();
    let out = run(&a, &["sync"]);
    assert_eq!(out.status.code(), Some(10), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("cannot reach the remote"), "{said}");
    std::fs::rename(w.root.join("moved.git"), &w.remote).unwrap();
    ok(&a, &["sync"]);

    let out = run(&a, &["sync", "init", w.remote.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already set up"));
}

#[test]
fn an_existing_clone_is_used_where_it_is() {
    let w = World::new();
    let clone = w.root.join("my-clone");
    git(
        &w.root,
        &[
            "clone",
            "--quiet",
            w.remote.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    let home = w.root.join("c");
    std::fs::create_dir_all(&home).unwrap();
    ok(&home, &["sync", "init", clone.to_str().unwrap()]);
    // The user's own work in that clone, staged but not committed, stays
    // theirs: a sync commits only its snippet files.
    std::fs::write(clone.join("notes.txt"), "mine\n").unwrap();
    git(&clone, &["add", "notes.txt"]);
    add(&home, "echo clone\n", "Clone");
    ok(&home, &["sync"]);
    let committed = git(&clone, &["ls-tree", "-r", "--name-only", "HEAD"]);
    assert!(!committed.contains("notes.txt"), "{committed}");
    let staged = git(&clone, &["diff", "--cached", "--name-only"]);
    assert_eq!(staged, "notes.txt");
    assert!(std::fs::read_dir(clone.join("snippets")).unwrap().count() == 1);
    let b = w.machine("b");
    ok(&b, &["sync"]);
    assert_eq!(library(&b).len(), 1);
}

#[test]
fn what_both_libraries_already_have_is_matched_up_not_doubled() {
    let w = World::new();
    let a = w.machine("a");
    let b = w.machine("b");
    for h in [&a, &b] {
        add(h, "git log --oneline --graph\n", "History graph");
    }
    add(&b, "git stash list\n", "Stashes");
    ok(&a, &["sync"]);
    ok(&b, &["sync"]);
    ok(&a, &["sync"]);
    assert_eq!(library(&b).len(), 2, "{:?}", library(&b));
    assert_eq!(library(&a), library(&b));
}

#[test]
fn a_push_that_loses_a_race_is_merged_and_pushed_again() {
    let w = World::new();
    let (a, b) = pair(&w);
    add(&b, "ps aux | grep -i ssh\n", "Find ssh");
    add(&a, "ss -tlnp\n", "Listening ports");
    // Between a's fetch and its push, b pushes: a's first push is refused
    // as not a fast-forward, and a has to merge again.
    let hook = a.join("sync/.git/hooks/pre-push");
    let marker = w.root.join("raced");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n\
             if [ ! -e '{marker}' ]; then touch '{marker}'; \
             SNIPDEX_HOME='{b}' '{bin}' sync >/dev/null 2>&1 || exit 1; fi\nexit 0\n",
            marker = marker.display(),
            b = b.display(),
            bin = cargo_bin("snipdex").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    ok(&a, &["sync"]);
    assert!(marker.exists(), "the hook did not run");
    let log = std::fs::read_to_string(a.join("logs/snipdex.log")).unwrap();
    assert!(
        log.contains("merging again"),
        "the push was not retried: {log}"
    );
    ok(&b, &["sync"]);
    assert_eq!(library(&a).len(), 3, "{:?}", library(&a));
    assert_eq!(library(&a), library(&b));
    assert_eq!(
        git(&a.join("sync"), &["rev-parse", "HEAD"]),
        git(&w.remote, &["rev-parse", "main"])
    );
}

#[test]
fn automatic_sync_while_watch_runs_sends_a_change_once_it_settles() {
    let w = World::new();
    let a = w.machine("a");
    std::fs::write(
        a.join("config.toml"),
        "[enrich]\nenabled = false\n[sync]\nauto = true\nsettle_secs = 1\ninterval_mins = 60\n",
    )
    .unwrap();
    let folder = w.root.join("watched");
    std::fs::create_dir_all(&folder).unwrap();
    ok(&a, &["watch", "add", folder.to_str().unwrap()]);
    let log = w.root.join("watch.log");
    let mut watch = snipdex(&a)
        .arg("watch")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        while !done() {
            assert!(
                std::time::Instant::now() < deadline,
                "{what} did not happen; watch said:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    // The first automatic sync comes soon after start.
    wait_for("a first sync", &|| {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("sync: synced"))
    });
    add(&a, "journalctl -u ssh --since today\n", "Today's ssh log");
    let on_remote = || {
        Command::new("git")
            .args([
                "-C",
                w.remote.to_str().unwrap(),
                "ls-tree",
                "-r",
                "--name-only",
                "main",
            ])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("snippets/"))
    };
    wait_for("the change reaching the remote", &on_remote);
    watch.kill().unwrap();
    watch.wait().unwrap();
    let b = w.machine("b");
    ok(&b, &["sync"]);
    assert_eq!(library(&b).len(), 1);
}

#[test]
fn an_edit_made_while_a_sync_was_cut_short_is_kept_and_sent_next() {
    let w = World::new();
    let (a, b) = pair(&w);
    let id_a = by_title(&a, "Folder sizes").id.to_string();
    let id_b = by_title(&b, "Folder sizes").id.to_string();
    ok(&b, &["edit", &id_b, "--description", "from b"]);
    ok(&b, &["sync"]);
    ok(&a, &["edit", &id_a, "--title", "Folder sizes, sorted"]);
    // a merges b's description but dies before taking it in...
    let out = snipdex(&a)
        .env("SNIPDEX_SYNC_STOP_AT", "after-merge")
        .arg("sync")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{out:?}");
    // ...and the user tags the snippet before the next run.
    ok(&a, &["tag", &id_a, "--add", "disk"]);
    ok(&a, &["sync"]);
    ok(&b, &["sync"]);
    for h in [&a, &b] {
        let s = by_title(h, "Folder sizes, sorted");
        assert_eq!(s.description, "from b", "{}", h.display());
        assert!(
            s.tags.contains(&"disk".to_string()),
            "{}: {:?}",
            h.display(),
            s.tags
        );
    }
    assert_eq!(library(&a), library(&b));
}
