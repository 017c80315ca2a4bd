//! The command line as scripts use it: output shapes, exit codes, errors.

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

#[test]
fn add_list_search_show_round_trip() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let id = add(
        h,
        "fn main() {\n    let mut v = vec![3, 1];\n    v.sort();\n}\n",
        &["--title", "Sort a vector", "--tag", "Rust,sorting"],
    );
    add(
        h,
        "SELECT name FROM users WHERE id = ?;",
        &["--title", "User by id", "-T", "sql"],
    );

    let list = json(h, &["list", "--json"]);
    let arr = list.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    for key in [
        "id",
        "title",
        "description",
        "tags",
        "links",
        "language",
        "content",
    ] {
        assert!(arr[0].get(key).is_some(), "missing {key}");
    }

    let hits = json(h, &["search", "vectr", "--json"]);
    assert_eq!(hits[0]["id"], id);
    assert_eq!(hits[0]["tags"], serde_json::json!(["rust", "sorting"]));
    assert_eq!(hits[0]["language"], "rust");

    let by_lang = json(h, &["search", "lang:sql", "--json"]);
    assert_eq!(by_lang.as_array().unwrap().len(), 1);

    snipdex(h)
        .args(["show", &id.to_string(), "--raw"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("fn main()"));
}

#[test]
fn add_reads_a_file_and_detects_its_language() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("walk.py");
    std::fs::write(
        &file,
        "import os\nfor root, dirs, files in os.walk('.'):\n    print(root)\n",
    )
    .unwrap();
    snipdex(home.path())
        .arg("add")
        .arg(&file)
        .assert()
        .success();
    let list = json(home.path(), &["list", "--json"]);
    assert_eq!(list[0]["language"], "python");
}

#[test]
fn exit_codes_and_messages_for_bad_requests() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // Unknown id: 3, with the id in the message.
    snipdex(h)
        .args(["show", "42"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("42"));
    snipdex(h).args(["rm", "42"]).assert().code(3);
    // Empty stdin, binary and missing files: bad input, 4.
    snipdex(h)
        .arg("add")
        .write_stdin("   \n")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("empty"));
    snipdex(h)
        .arg("add")
        .write_stdin(vec![0u8, 1, 2, 3])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("binary"));
    snipdex(h)
        .args(["add", "/definitely/not/here.txt"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("not/here.txt"));
    // Nothing matched: 1, like grep.
    snipdex(h).args(["search", "zzzzqqq"]).assert().code(1);
    // Usage errors: 2.
    snipdex(h).args(["show"]).assert().code(2);
    snipdex(h).args(["frobnicate"]).assert().code(2);
    // An import file that is no known format.
    let junk = h.join("junk.txt");
    std::fs::write(&junk, "just some words").unwrap();
    snipdex(h)
        .args(["import"])
        .arg(&junk)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("not a format"));
}

#[test]
fn oversized_input_is_refused_with_the_limit() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[ingest]\nmax_file_bytes = 100\n",
    )
    .unwrap();
    snipdex(home.path())
        .arg("add")
        .write_stdin("x".repeat(101))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("100-byte limit"));
}

#[test]
fn a_broken_config_is_reported_not_ignored() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), "[ingest\n").unwrap();
    snipdex(home.path())
        .arg("list")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("config.toml"));
}

#[test]
fn bad_key_bindings_stop_the_tui_and_pick_with_the_line() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[ui]\nosc52 = true\n\n[keys]\nlist.dwn = \"J\"\n",
    )
    .unwrap();
    for args in [&["pick"][..], &[][..]] {
        snipdex(home.path())
            .args(args)
            .assert()
            .code(4)
            .stderr(predicate::str::contains("config.toml:5:"))
            .stderr(predicate::str::contains("keys.list.dwn"))
            .stderr(predicate::str::contains("did you mean \"down\""));
    }
    // Other commands do not use the keys and run.
    snipdex(home.path()).arg("list").assert().code(0);
}

#[test]
fn a_corrupt_database_is_reported_and_kept() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("snipdex.db");
    std::fs::write(&db, vec![7u8; 4096]).unwrap();
    snipdex(home.path())
        .arg("list")
        .assert()
        .code(5)
        .stderr(predicate::str::contains("damaged"));
    assert_eq!(std::fs::read(&db).unwrap(), vec![7u8; 4096]);
}

#[test]
fn export_import_is_lossless() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let id = add(
        a.path(),
        "echo 'héllo 世界'\n",
        &["--title", "Greet", "-T", "shell", "-d", "Say hi."],
    );
    snipdex(a.path())
        .args(["tag", &id.to_string(), "--add", "unicode"])
        .assert()
        .success();
    let file = a.path().join("export.json");
    snipdex(a.path())
        .args(["export", "-o"])
        .arg(&file)
        .assert()
        .success();
    snipdex(b.path())
        .arg("import")
        .arg(&file)
        .assert()
        .success();
    // Importing twice adds nothing.
    snipdex(b.path())
        .arg("import")
        .arg(&file)
        .assert()
        .success()
        .stderr(predicate::str::contains("imported 0"));
    let strip = |mut v: Value| {
        for s in v.as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("id");
        }
        v
    };
    let first = strip(json(a.path(), &["export"]));
    let second = strip(json(b.path(), &["export"]));
    assert_eq!(first, second);
    assert_eq!(first[0]["meta"]["title"]["locked"], true);
}

#[test]
fn imports_pet_and_gist_files() {
    let home = tempfile::tempdir().unwrap();
    let pet = home.path().join("snippet.toml");
    std::fs::write(
        &pet,
        "[[snippets]]\n  description = \"Disk usage\"\n  command = \"du -sh *\"\n  tag = [\"disk\"]\n  output = \"\"\n",
    )
    .unwrap();
    let gist = home.path().join("gist.json");
    std::fs::write(
        &gist,
        r#"{"description": "Fetch JSON", "files": {"get.js": {"filename": "get.js", "language": "JavaScript", "content": "const r = await fetch(url);\nconst data = await r.json();\n"}}}"#,
    )
    .unwrap();
    snipdex(home.path())
        .arg("import")
        .arg(&pet)
        .assert()
        .success();
    snipdex(home.path())
        .arg("import")
        .arg(&gist)
        .assert()
        .success();
    let disk = json(home.path(), &["search", "tag:disk", "--json"]);
    assert_eq!(disk[0]["content"], "du -sh *");
    let js = json(home.path(), &["search", "lang:javascript", "--json"]);
    assert_eq!(js[0]["description"], "Fetch JSON");
}

#[test]
fn markdown_export_has_headings_and_fences() {
    let home = tempfile::tempdir().unwrap();
    add(
        home.path(),
        "ls -la\n",
        &["--title", "List all", "--lang", "sh"],
    );
    snipdex(home.path())
        .args(["export", "--format", "markdown"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("## List all")
                .and(predicate::str::contains("```shell\nls -la\n```")),
        );
}

#[test]
fn tag_list_counts_every_tag_most_used_first() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // An empty library lists nothing, successfully.
    snipdex(h)
        .args(["tag", "--list"])
        .assert()
        .success()
        .stdout("");
    add(h, "ls -la\n", &["--tag", "files,shell-scripting"]);
    add(h, "du -sh *\n", &["--tag", "files"]);
    add(h, "echo hi\n", &["--tag", "Dict"]);
    let counts = json(h, &["tag", "--list", "--json"]);
    assert_eq!(
        counts,
        serde_json::json!([
            {"tag": "files", "count": 2},
            {"tag": "dict", "count": 1},
            {"tag": "shell-scripting", "count": 1},
        ])
    );
    let out = snipdex(h).args(["tag", "--list"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("files ") && lines[0].ends_with(" 2"),
        "{text}"
    );
    // --list takes no snippet and changes nothing; without it an id is needed.
    snipdex(h).args(["tag", "--list", "1"]).assert().code(2);
    snipdex(h)
        .args(["tag", "--list", "--add", "x"])
        .assert()
        .code(2);
    snipdex(h).args(["tag"]).assert().code(2);
}

#[test]
fn tags_and_edits_lock_fields() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let id = add(h, "x = 1\n", &[]).to_string();
    snipdex(h).args(["tag", &id, "a", "b"]).assert().success();
    snipdex(h)
        .args(["tag", &id, "--remove", "a", "--add", "C", "--json"])
        .assert()
        .success()
        .stdout("[\"b\",\"c\"]\n");
    snipdex(h)
        .args(["edit", &id, "--title", "Assign one"])
        .assert()
        .success();
    let s = json(h, &["show", &id, "--json"]);
    assert_eq!(s[0]["title"], "Assign one");
    assert_eq!(s[0]["meta"]["title"]["locked"], true);
    assert_eq!(s[0]["meta"]["tags"]["provenance"]["by"], "user");
}

#[test]
fn edit_runs_the_editor_and_saves_its_change() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let id = add(h, "old line\n", &[]).to_string();
    // A scripted "editor" that rewrites the file it is given.
    let editor = h.join("ed.sh");
    std::fs::write(&editor, "#!/bin/sh\nprintf 'new line\\n' > \"$1\"\n").unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    snipdex(h)
        .env("EDITOR", &editor)
        .args(["edit", &id])
        .assert()
        .success();
    let s = json(h, &["show", &id, "--json"]);
    assert_eq!(s[0]["content"], "new line\n");
    // A failing editor changes nothing, and says so in its exit status.
    snipdex(h)
        .env("EDITOR", "false")
        .args(["edit", &id])
        .assert()
        .code(10)
        .stderr(predicate::str::contains(
            "the editor `false` exited with status 1",
        ));
    assert_eq!(
        json(h, &["show", &id, "--json"])[0]["content"],
        "new line\n"
    );
}

#[test]
fn secrets_are_flagged() {
    let home = tempfile::tempdir().unwrap();
    snipdex(home.path())
        .arg("add")
        .write_stdin("aws_access_key_id = AKIAQWERTYUIOPASDFGH\n")
        .assert()
        .success()
        .stderr(predicate::str::contains("secrets"));
    let list = json(home.path(), &["list", "--json"]);
    assert!(!list[0]["secrets"].as_array().unwrap().is_empty());
}

#[test]
fn watch_dirs_persist_and_doctor_reports() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    snipdex(home.path())
        .args(["watch", "add"])
        .arg(dir.path())
        .assert()
        .success();
    let ls = json(home.path(), &["watch", "ls", "--json"]);
    assert_eq!(ls[0]["exists"], true);
    snipdex(home.path())
        .args(["watch", "add", "/no/such/folder"])
        .assert()
        .code(4);
    let doc = json(home.path(), &["doctor", "--json"]);
    assert_eq!(doc["healthy"], true);
    snipdex(home.path())
        .args(["watch", "rm"])
        .arg(dir.path())
        .assert()
        .success();
    snipdex(home.path())
        .args(["watch", "rm"])
        .arg(dir.path())
        .assert()
        .code(3);
}

#[test]
fn reindex_rebuilds_a_deleted_index() {
    let home = tempfile::tempdir().unwrap();
    add(
        home.path(),
        "git rebase -i HEAD~3\n",
        &["--title", "Squash commits"],
    );
    std::fs::remove_dir_all(home.path().join("index")).unwrap();
    // Opening rebuilds a missing index by itself…
    assert_eq!(
        json(home.path(), &["search", "squash", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // …and reindex does it on request.
    snipdex(home.path())
        .arg("reindex")
        .assert()
        .success()
        .stderr(predicate::str::contains("indexed 1"));
}

#[test]
fn completions_are_generated() {
    let home = tempfile::tempdir().unwrap();
    snipdex(home.path())
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("snipdex"));
}
