//! What a hostile or unlucky library must not do to the user: escape
//! sequences from stored text reaching the terminal, a damaged index
//! crashing searches, files readable by other users, secrets leaking out
//! of exports.

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::Path;

/// An OSC title change, an OSC 52 clipboard write and a screen clear: what
/// a probe put in a title to show that `list` ran it.
const HOSTILE: &str = "EVIL\u{1b}]0;pwned\u{7}\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}[2J";

fn snipdex(home: &Path) -> Command {
    let mut c = Command::cargo_bin("snipdex").unwrap();
    c.env("SNIPDEX_HOME", home)
        .env_remove("VISUAL")
        .env_remove("EDITOR");
    c
}

fn stdout(home: &Path, args: &[&str]) -> String {
    let out = snipdex(home).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn json_out(home: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&stdout(home, args)).unwrap()
}

/// No control character but line breaks reaches the terminal.
fn assert_safe(out: &str) {
    let bad: Vec<char> = out
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(bad.is_empty(), "control characters {bad:?} in {out:?}");
}

/// `list` and `search` print exactly one safe row per snippet, `show` a
/// safe page; the stored value itself is unchanged (JSON is exact).
fn check_every_command(home: &Path, query: &str, rows: usize, field: &str, stored: &str) {
    let list = stdout(home, &["list"]);
    assert_safe(&list);
    assert_eq!(list.lines().count(), rows, "{list}");
    let found = stdout(home, &["search", query]);
    assert_safe(&found);
    assert_eq!(found.lines().count(), 1, "{found}");
    let id = found.split_whitespace().next().unwrap().to_string();
    let shown = stdout(home, &["show", &id]);
    assert_safe(&shown);
    assert!(shown.contains("\\e]0;pwned\\x07"), "{shown}");
    let exact = json_out(home, &["show", &id, "--json"]);
    assert_eq!(exact[0][field], stored, "JSON must stay exact");
}

fn add(home: &Path, content: &str, args: &[&str]) {
    snipdex(home)
        .arg("add")
        .args(args)
        .write_stdin(content)
        .assert()
        .success();
}

#[test]
fn titles_with_escapes_and_newlines_are_shown_escaped_on_one_row() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    add(h, "echo ok\n", &["--title", "Plain neighbour"]);
    let title = format!("{HOSTILE}\nsecond row");
    add(h, "ls\n", &["--title", &title]);
    check_every_command(h, "evil", 2, "title", &title);
    let list = stdout(h, &["list"]);
    assert!(list.contains("EVIL\\e]0;pwned\\x07\\e]52;c;ZWNobyBwd25lZA==\\x07\\e[2J\\nsecond row"));
}

#[test]
fn a_language_given_with_lang_is_shown_escaped() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    add(h, "ls\n", &["--title", "Listing", "--lang", HOSTILE]);
    let list = stdout(h, &["list"]);
    assert_safe(&list);
    assert_eq!(list.lines().count(), 1);
    let shown = stdout(h, &["show", "1"]);
    assert_safe(&shown);
    let found = stdout(h, &["search", "listing"]);
    assert_safe(&found);
    assert!(found.contains("evil\\e]0;pwned"), "{found}");
}

#[test]
fn imported_fields_and_content_are_shown_escaped() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let file = h.join("hostile.json");
    let snippet = json!([{
        "title": format!("{HOSTILE} import"),
        "description": format!("line one\n{HOSTILE}"),
        "tags": [format!("t{HOSTILE}")],
        "links": [format!("https://example.com/{HOSTILE}")],
        "language": format!("py{HOSTILE}"),
        "content": format!("print(1)\n{HOSTILE}\n"),
    }]);
    std::fs::write(&file, snippet.to_string()).unwrap();
    snipdex(h).arg("import").arg(&file).assert().success();
    add(h, "echo ok\n", &["--title", "Plain neighbour"]);
    check_every_command(h, "evil", 2, "title", &format!("{HOSTILE} import"));
    let shown = stdout(h, &["show", "1"]);
    // Content keeps its lines; only the escapes are made visible.
    assert!(shown.contains("print(1)\nEVIL\\e]0;pwned"), "{shown}");
    let raw = stdout(h, &["show", "1", "--raw"]);
    assert_eq!(raw, format!("print(1)\n{HOSTILE}\n"), "--raw stays raw");
}

#[test]
fn a_gist_file_name_is_shown_escaped() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let name = format!("{HOSTILE}.sh");
    let gist = json!({"description": "d", "files": {
        name.clone(): {"filename": name, "content": "echo hi\n"}
    }});
    let file = h.join("gist.json");
    std::fs::write(&file, gist.to_string()).unwrap();
    snipdex(h).arg("import").arg(&file).assert().success();
    check_every_command(h, "evil", 1, "title", &name);
}

#[test]
fn a_markdown_heading_from_a_watched_file_is_shown_escaped() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let notes = tempfile::tempdir().unwrap();
    std::fs::write(
        notes.path().join("notes.md"),
        format!("# {HOSTILE}\n\n```sh\nrm -rf build\n```\n"),
    )
    .unwrap();
    // Ingest the file through the same scan the watcher runs, into the
    // library the CLI then reads.
    let mut store = snipdex::store::Store::open(&h.join("snipdex.db"), &h.join("backups")).unwrap();
    snipdex::watch::scan_dir(
        &mut store,
        notes.path(),
        &snipdex::ingest::IngestOptions::default(),
    )
    .unwrap();
    drop(store);
    check_every_command(h, "evil", 1, "title", HOSTILE);
}

#[test]
fn add_waits_for_a_busy_library_and_says_so() {
    use std::io::BufRead;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    add(h, "echo first\n", &["--title", "First"]);
    // Another process holds the write lock, as a long import does.
    let blocker = rusqlite::Connection::open(h.join("snipdex.db")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("snipdex"))
        .env("SNIPDEX_HOME", h)
        .args(["add", "--title", "Second"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"echo second\n").unwrap();
    }
    // Release the lock only once `add` has found it busy and said it waits.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    loop {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).unwrap();
        assert!(n > 0, "add ended without saying it waits: {said}");
        said.push_str(&line);
        if line.contains("waiting") {
            break;
        }
    }
    assert!(said.contains("busy"), "{said}");
    blocker.execute_batch("COMMIT").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let list = json_out(h, &["list", "--json"]);
    let titles: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Second"), "{titles:?}");
}

/// A library of a few snippets, each added by its own command (so the
/// index has several segments).
fn small_library(h: &Path) {
    add(
        h,
        "let mut v = vec![3, 1];\nv.sort();\n",
        &["--title", "Sort a vector"],
    );
    add(h, "git rebase -i HEAD~3\n", &["--title", "Squash commits"]);
    add(h, "SELECT 1;\n", &["--title", "Ping the database"]);
}

/// Overwrite the middle of every index file whose name ends with `suffix`.
fn damage_index(h: &Path, suffix: &str) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(h.join("index")).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(suffix) {
            continue;
        }
        let mut bytes = std::fs::read(&path).unwrap();
        let (from, to) = (bytes.len() / 4, bytes.len() * 3 / 4);
        for b in &mut bytes[from..to] {
            *b = 0xa5;
        }
        std::fs::write(&path, bytes).unwrap();
        n += 1;
    }
    n
}

#[test]
fn a_damaged_index_file_is_rebuilt_and_searches_still_answer() {
    for suffix in [
        ".term",
        ".idx",
        ".pos",
        ".store",
        ".fast",
        ".fieldnorm",
        "meta.json",
    ] {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        small_library(h);
        assert!(damage_index(h, suffix) > 0, "no {suffix} file to damage");
        let out = snipdex(h)
            .args(["search", "vector", "--json"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{suffix}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{suffix}: {out:?}");
        let hits: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(hits[0]["title"], "Sort a vector", "{suffix}");
        // The repair is for good: the next search finds everything too.
        let again = json_out(h, &["search", "squash", "--json"]);
        assert_eq!(again[0]["title"], "Squash commits", "{suffix}");
    }
}

#[test]
fn doctor_checks_the_index_and_reports_damage() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    small_library(h);
    let healthy = json_out(h, &["doctor", "--json"]);
    assert_eq!(healthy["healthy"], true, "{healthy}");
    damage_index(h, ".term");
    let out = snipdex(h).args(["doctor", "--json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["healthy"], false, "{report}");
    let problems = report["problems"].to_string();
    assert!(problems.contains("search index"), "{problems}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    // Doctor rebuilt it from the database: searches answer, and the next
    // check is clean.
    let hits = json_out(h, &["search", "vector", "--json"]);
    assert_eq!(hits[0]["title"], "Sort a vector");
    let after = json_out(h, &["doctor", "--json"]);
    assert_eq!(after["healthy"], true, "{after}");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The library's folders and files that exist, with the mode each must have.
#[cfg(unix)]
fn private_parts(home: &Path) -> Vec<(std::path::PathBuf, u32)> {
    let mut parts = vec![(home.to_path_buf(), 0o700), (home.join("logs"), 0o700)];
    for f in [
        "snipdex.db",
        "snipdex.db-wal",
        "snipdex.db-shm",
        "logs/snipdex.log",
    ] {
        if home.join(f).exists() {
            parts.push((home.join(f), 0o600));
        }
    }
    parts
}

#[cfg(unix)]
#[test]
fn a_new_library_is_private_whatever_the_umask() {
    let outer = tempfile::tempdir().unwrap();
    let h = outer.path().join("library");
    // Run under a umask that lets everyone read.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 022 && echo 'ls' | \"$0\" add --title Private")
        .arg(assert_cmd::cargo::cargo_bin("snipdex"))
        .env("SNIPDEX_HOME", &h)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "no notice for a new library: {out:?}"
    );
    let parts = private_parts(&h);
    assert!(parts.len() >= 4, "{parts:?}");
    for (path, want) in parts {
        assert_eq!(mode(&path), want, "{}", path.display());
    }
}

#[cfg(unix)]
#[test]
fn an_open_library_is_tightened_with_a_notice() {
    use std::os::unix::fs::PermissionsExt;
    let outer = tempfile::tempdir().unwrap();
    let h = outer.path().join("library");
    std::fs::create_dir(&h).unwrap();
    add(&h, "ls\n", &["--title", "Loose"]);
    let parts = private_parts(&h);
    for (path, _) in &parts {
        let loose = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(loose)).unwrap();
    }
    let out = snipdex(&h).arg("list").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let notice = String::from_utf8_lossy(&out.stderr);
    assert!(
        notice.contains("snipdex.db private (0644 -> 0600)"),
        "{notice}"
    );
    for (path, want) in parts {
        assert_eq!(mode(&path), want, "{}", path.display());
    }
    // Once private, nothing more is said.
    let again = snipdex(&h).arg("list").output().unwrap();
    assert!(again.stderr.is_empty(), "{again:?}");
}

#[test]
fn import_applies_the_same_guards_as_add() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::write(h.join("config.toml"), "[ingest]\nmax_file_bytes = 1000\n").unwrap();
    let file = h.join("hostile.json");
    let items = json!([
        {"title": "too big", "content": "x".repeat(1001)},
        {"title": "binary", "content": "a\u{0}b"},
        {"title": "empty", "content": "  \n"},
        {"title": "Kept", "content": "echo kept\n",
         "links": ["https://docs.rs/x", "javascript:alert(1)", "file:///etc/passwd"],
         "created_at": i64::MAX, "updated_at": -5,
         "source": {"kind": "file", "path": "/etc/passwd", "start_line": 1, "end_line": 1, "block": 0}},
    ]);
    std::fs::write(&file, items.to_string()).unwrap();
    let out = snipdex(h).arg("import").arg(&file).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    for why in [
        "too large",
        "binary",
        "empty",
        "dropped 2 links",
        "set to now",
        "3 refused",
    ] {
        assert!(said.contains(why), "{why}: {said}");
    }
    let list = json_out(h, &["list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let kept = &list[0];
    assert_eq!(kept["title"], "Kept");
    assert_eq!(kept["links"], json!(["https://docs.rs/x"]));
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for t in ["created_at", "updated_at"] {
        let v = kept[t].as_i64().unwrap();
        assert!(v > 0 && v <= now_ms + 60_000, "{t} = {v}");
    }
    // The path is kept as data...
    assert_eq!(kept["source"]["path"], "/etc/passwd");
    // ...and never opened: `edit` hands the editor the stored content.
    let editor = h.join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\necho \"$@\" > \"$0.args\"\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let id = kept["id"].to_string();
    snipdex(h)
        .env("EDITOR", &editor)
        .args(["edit", &id])
        .assert()
        .success();
    let args = std::fs::read_to_string(h.join("editor.sh.args")).unwrap();
    assert!(!args.contains("/etc/passwd"), "{args}");
}

#[test]
fn add_refuses_what_the_guards_refuse() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    snipdex(h).arg("add").write_stdin("a\0b").assert().code(4);
    snipdex(h).arg("add").write_stdin(" \n").assert().code(4);
}

#[test]
fn export_leaves_flagged_secrets_out_unless_asked_and_says_how_many() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    add(
        h,
        "aws_access_key_id = AKIAQWERTYUIOPASDFGH\n",
        &["--title", "Keys"],
    );
    add(h, "echo public\n", &["--title", "Public"]);
    let out = snipdex(h).arg("export").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let exported: Value = serde_json::from_slice(&out.stdout).unwrap();
    let titles: Vec<&str> = exported
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Public"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("AKIA"));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("left out 1 snippet flagged"), "{said}");

    let all = snipdex(h)
        .args(["export", "--include-secrets"])
        .output()
        .unwrap();
    let exported: Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(exported.as_array().unwrap().len(), 2);
    assert!(String::from_utf8_lossy(&all.stderr).contains("1 of them is flagged"));

    let md = stdout(h, &["export", "--format", "markdown", "--include-secrets"]);
    assert!(
        md.contains("**Contains secrets** (AWS access key ID)"),
        "{md}"
    );
    let md = stdout(h, &["export", "--format", "markdown"]);
    assert!(!md.contains("AKIA"), "{md}");
}

#[test]
fn an_unusable_tag_is_an_error_not_silently_dropped() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let long = "a".repeat(41);
    snipdex(h)
        .args(["add", "--tag", &long])
        .write_stdin("ls\n")
        .assert()
        .code(4)
        .stderr(predicates::str::contains("40 characters"));
    add(h, "ls\n", &["--tag", "shell"]);
    snipdex(h)
        .args(["tag", "1", "--add", &format!("ok,{long}")])
        .assert()
        .code(4);
    let list = json_out(h, &["list", "--json"]);
    assert_eq!(list[0]["tags"], json!(["shell"]));
}
