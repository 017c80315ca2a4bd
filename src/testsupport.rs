//! Support for tests that must run for real wherever they run (used by the
//! unit tests and by `tests/`; not part of the product).
//!
//! A permission-denied check proves nothing as root (CI runs as root), and
//! skipping it there would let a green run claim more than it checked. So a
//! test that needs an unprivileged user asks [`unprivileged`]: when this
//! process honours file modes, the test goes on here; when it does not, the
//! same test is run again in a copy of this test binary as `nobody`
//! (through util-linux's `setpriv`), and must pass there.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// Set in the child run as `nobody`, which must not try to drop privileges
/// again.
const CHILD_ENV: &str = "SNIPDEX_TEST_UNPRIVILEGED";
/// The uid and gid of `nobody` / `nogroup` on Linux.
const NOBODY: u32 = 65534;

/// Whether file modes bind this process: a file with mode 0 cannot be read.
/// Asked of the OS rather than guessed from the user id, since capabilities
/// such as `CAP_DAC_OVERRIDE` also lift them.
pub fn modes_bind() -> bool {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let probe = dir.path().join("probe");
    fs::write(&probe, b"x").expect("a probe file");
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).expect("chmod 0");
    fs::File::open(&probe).is_err()
}

/// For a test (`name` is its path as libtest prints it, e.g.
/// `ingest::guard::tests::reports_permission_denied`) that checks what
/// happens when permission is denied. Returns `true` when the caller should
/// run its checks in this process. Otherwise it has run the test as
/// `nobody`, asserted that it passed there, and returns `false`.
pub fn unprivileged(name: &str) -> bool {
    if modes_bind() {
        record_ran(&format!("unprivileged: {name}"));
        return true;
    }
    assert!(
        std::env::var_os(CHILD_ENV).is_none(),
        "running as uid {NOBODY} did not make file modes bind"
    );
    // The test binary may sit in a folder `nobody` cannot reach: copy it
    // into one it can, with a scratch folder of its own.
    let dir = tempfile::tempdir().expect("a temporary folder");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let exe = std::env::current_exe().expect("the test binary's path");
    let copy = dir.path().join("unprivileged-test");
    fs::copy(&exe, &copy).expect("a copy of the test binary");
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).expect("chmod");
    let scratch = dir.path().join("tmp");
    fs::create_dir(&scratch).expect("a scratch folder");
    fs::set_permissions(&scratch, fs::Permissions::from_mode(0o777)).expect("chmod");

    let out = Command::new("setpriv")
        .arg(format!("--reuid={NOBODY}"))
        .arg(format!("--regid={NOBODY}"))
        .arg("--clear-groups")
        .arg("--")
        .arg(&copy)
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, "1")
        .env("TMPDIR", &scratch)
        .env("HOME", &scratch)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `setpriv` (util-linux) to drop root for {name}: {e}")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed;"),
        "{name} as uid {NOBODY}: {}\n{stdout}\n{stderr}",
        out.status
    );
    record_ran(&format!("unprivileged: {name}"));
    false
}

/// Notes in the file named by `SNIPDEX_TEST_RAN_LOG` (when set) that a
/// check which must not be skipped really ran; `.ci/run` fails when one it
/// expects is missing.
pub fn record_ran(what: &str) {
    let Some(path) = std::env::var_os("SNIPDEX_TEST_RAN_LOG") else {
        return;
    };
    if std::env::var_os(CHILD_ENV).is_some() {
        return; // the parent records it once the child passed
    }
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(Path::new(&path))
        .expect("the SNIPDEX_TEST_RAN_LOG file");
    writeln!(file, "{what}").expect("a line in SNIPDEX_TEST_RAN_LOG");
}
