//! Crash safety: a process killed with SIGKILL in the middle of writing
//! leaves a database that opens, passes its integrity check, and holds every
//! snippet whose `add` had returned.

use assert_cmd::cargo::cargo_bin;
use std::os::unix::process::CommandExt;
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

#[test]
fn a_killed_import_is_all_or_nothing() {
    let home = tempfile::tempdir().unwrap();
    let items: Vec<serde_json::Value> = (0..4000)
        .map(
            |i| serde_json::json!({"title": format!("bulk {i}"), "content": format!("echo {i}\n")}),
        )
        .collect();
    let file = home.path().join("bulk.json");
    std::fs::write(&file, serde_json::to_vec(&items).unwrap()).unwrap();
    let mut child = Command::new(cargo_bin("snipdex"))
        .env("SNIPDEX_HOME", home.path())
        .arg("import")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(150));
    kill_group(child.id());
    let _ = child.wait();
    let all = snipdex_json(home.path(), &["list", "--json"]);
    let n = all.as_array().unwrap().len();
    assert!(n == 0 || n == 4000, "partial import: {n}");
}
