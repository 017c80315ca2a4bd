//! The CLI as people use it every day (issue 13): files remember where
//! they came from, messages say what happened, searches find what was
//! just added.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

fn snipdex(home: &Path) -> Command {
    let mut c = Command::cargo_bin("snipdex").unwrap();
    c.env("SNIPDEX_HOME", home)
        .env_remove("VISUAL")
        .env_remove("EDITOR");
    c
}

fn json(home: &Path, args: &[&str]) -> Value {
    let out = snipdex(home).args(args).output().unwrap();
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{out:?}"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn add(home: &Path, content: &str, args: &[&str]) -> i64 {
    let out = snipdex(home)
        .arg("add")
        .args(args)
        .write_stdin(content)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn titles(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn add_file_keeps_the_file_as_source_and_its_name_as_title() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("retry_backoff.sh");
    std::fs::write(
        &file,
        "for i in 1 2 3; do curl -f \"$1\" && break; sleep $i; done\n",
    )
    .unwrap();
    let out = snipdex(home.path()).arg("add").arg(&file).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let shown = json(home.path(), &["show", &id, "--json"]);
    let source = shown[0]["source"].to_string();
    assert!(source.contains("retry_backoff.sh"), "{source}");
    snipdex(home.path())
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("retry_backoff.sh"));
    // Piped input has no file to name.
    let piped = add(home.path(), "echo hi\n", &[]);
    let shown = json(home.path(), &["show", &piped.to_string(), "--json"]);
    assert!(!shown[0]["source"].to_string().contains(".sh"));
}

#[test]
fn an_unknown_theme_is_an_error_with_line_and_suggestion() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[ui]\ntheme = \"base16-ocean-dark\"\n",
    )
    .unwrap();
    snipdex(home.path())
        .arg("list")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("config.toml:2"))
        .stderr(predicate::str::contains("ui.theme"))
        .stderr(predicate::str::contains(
            "did you mean \"base16-ocean.dark\"",
        ));
}

#[test]
fn editor_failures_name_the_editor_and_fail() {
    let home = tempfile::tempdir().unwrap();
    let id = add(home.path(), "x = 1\n", &[]).to_string();
    snipdex(home.path())
        .env("EDITOR", "no-such-editor-x7")
        .args(["edit", &id])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("`no-such-editor-x7`"))
        .stderr(predicate::str::contains("$EDITOR"));
    snipdex(home.path())
        .env("EDITOR", "false")
        .args(["edit", &id])
        .assert()
        .code(10)
        .stderr(predicate::str::contains("exited with status 1"));
}

#[test]
fn counts_are_written_in_the_singular_for_one() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    add(a.path(), "echo one\n", &["--title", "One"]);
    let file = a.path().join("export.json");
    snipdex(a.path())
        .args(["export", "-o"])
        .arg(&file)
        .assert()
        .success()
        .stderr(predicate::str::contains("exported 1 snippet\n"));
    snipdex(b.path())
        .arg("import")
        .arg(&file)
        .assert()
        .success()
        .stderr(predicate::str::contains("imported 1 snippet from"));
}

#[test]
fn a_damaged_database_names_no_folder_that_is_not_there() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("snipdex.db"), vec![7u8; 4096]).unwrap();
    let out = snipdex(home.path()).arg("list").output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("backups are in"), "{err}");
    assert!(
        err.contains("no backups yet") && err.contains("move"),
        "{err}"
    );
}

#[test]
fn search_corners() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    add(
        h,
        "git log --oneline\n",
        &["--title", "Oldest git", "-T", "git"],
    );
    add(h, "ls -la\n", &["--title", "List files", "-T", "bash"]);
    add(
        h,
        "git stash\n",
        &["--title", "Newest git", "-T", "git", "-l", "python"],
    );
    // Filters alone: newest first.
    assert_eq!(
        titles(&json(h, &["search", "--json", "--", "tag:git"])),
        vec!["Newest git", "Oldest git"]
    );
    assert_eq!(
        titles(&json(h, &["search", "--json", "--", "-tag:bash"])),
        vec!["Newest git", "Oldest git"]
    );
    // Filter names and values in any case.
    assert_eq!(titles(&json(h, &["search", "--json", "TAG:GIT"])).len(), 2);
    assert_eq!(
        titles(&json(h, &["search", "--json", "Lang:Python"])),
        vec!["Newest git"]
    );
    // A tag's start finds it.
    assert_eq!(
        titles(&json(h, &["search", "--json", "tag:ba"])),
        vec!["List files"]
    );
}

#[test]
fn search_finds_a_snippet_added_while_another_process_owns_the_index() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    add(h, "echo first\n", &["--title", "First one"]);
    // Hold the index writer, as a running watcher or TUI does.
    let paths = snipdex::paths::Paths::under(h);
    let (owner, _) = snipdex::index::SearchIndex::open(&paths.index_dir()).unwrap();
    assert!(owner.is_writable());
    add(
        h,
        "kubectl rollout restart deploy/web\n",
        &["--title", "Restart a deployment"],
    );
    assert_eq!(
        titles(&json(h, &["search", "--json", "rollout"])),
        vec!["Restart a deployment"]
    );
    assert_eq!(
        titles(&json(h, &["search", "--json", "first"])),
        vec!["First one"]
    );
    drop(owner);
}

#[test]
fn man_pages_come_from_the_cli_definitions() {
    let home = tempfile::tempdir().unwrap();
    snipdex(home.path())
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH snipdex 1"))
        .stdout(predicate::str::contains("completions"));
    let dir = home.path().join("man1");
    snipdex(home.path())
        .args(["man", "--dir"])
        .arg(&dir)
        .assert()
        .success();
    assert!(dir.join("snipdex.1").is_file());
    assert!(dir.join("snipdex-search.1").is_file());
}
