//! Every command that brings content in writes the snippet and its
//! enrichment job in one transaction. A trigger that makes the job's write
//! fail stands for a kill between the two: the command fails and leaves no
//! row (or no changed row) without its job.

use assert_cmd::Command;
use std::path::Path;

fn snipdex(home: &Path) -> Command {
    let mut c = Command::cargo_bin("snipdex").unwrap();
    c.env("SNIPDEX_HOME", home)
        .env_remove("VISUAL")
        .env_remove("EDITOR");
    c
}

fn db(home: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(snipdex::paths::Paths::under(home).database()).unwrap()
}

fn count(home: &Path, table: &str) -> i64 {
    db(home)
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn break_job_queue(home: &Path) {
    db(home)
        .execute_batch(
            "CREATE TRIGGER no_job BEFORE INSERT ON enrich_jobs
                BEGIN SELECT RAISE(ABORT, 'killed before the job'); END;
             CREATE TRIGGER no_job_update BEFORE UPDATE ON enrich_jobs
                BEGIN SELECT RAISE(ABORT, 'killed before the job'); END;",
        )
        .unwrap();
}

fn add(home: &Path, content: &str) -> std::process::Output {
    snipdex(home)
        .arg("add")
        .write_stdin(content)
        .output()
        .unwrap()
}

#[test]
fn add_writes_the_row_and_its_job_together() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    assert!(add(h, "ls -la").status.success());
    assert_eq!((count(h, "snippets"), count(h, "enrich_jobs")), (1, 1));
    break_job_queue(h);
    assert!(!add(h, "pwd").status.success());
    assert_eq!(count(h, "snippets"), 1);
}

#[test]
fn import_writes_the_rows_and_their_jobs_together() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    assert!(add(h, "ls -la").status.success());
    let file = h.join("export.json");
    snipdex(h)
        .args(["export", "-o"])
        .arg(&file)
        .assert()
        .success();
    let other = tempfile::tempdir().unwrap();
    let o = other.path();
    snipdex(o).arg("import").arg(&file).assert().success();
    assert_eq!((count(o, "snippets"), count(o, "enrich_jobs")), (1, 1));

    let broken = tempfile::tempdir().unwrap();
    let b = broken.path();
    snipdex(b).arg("list").assert().success();
    break_job_queue(b);
    snipdex(b).arg("import").arg(&file).assert().failure();
    assert_eq!(count(b, "snippets"), 0);
}

#[cfg(unix)]
#[test]
fn edit_writes_new_content_and_its_job_together() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let out = add(h, "echo one");
    assert!(out.status.success());
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    db(h).execute("DELETE FROM enrich_jobs", []).unwrap();
    let editor = h.join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf '%s\\n' \"$NEW_TEXT\" > \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let edit = |text: &str| {
        snipdex(h)
            .env("EDITOR", &editor)
            .env("NEW_TEXT", text)
            .args(["edit", &id])
            .output()
            .unwrap()
    };
    assert!(edit("echo two").status.success());
    assert_eq!(count(h, "enrich_jobs"), 1);

    break_job_queue(h);
    assert!(!edit("echo three").status.success());
    let content: String = db(h)
        .query_row("SELECT content FROM snippets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(content.trim_end(), "echo two");
}
