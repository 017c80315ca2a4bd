use super::*;
use std::fs;
use tempfile::TempDir;

const LIMIT: u64 = 256 * 1024;

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn reads_plain_text_and_normalizes_line_endings() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "a.txt", b"\xef\xbb\xbfone\r\ntwo\r\n");
    assert_eq!(read_text(&path, LIMIT).unwrap(), "one\ntwo\n");
}

#[test]
fn rejects_file_over_limit_before_reading() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "big.txt", &vec![b'a'; 300 * 1024]);
    assert_eq!(
        read_text(&path, LIMIT),
        Err(SkipReason::TooLarge {
            size: 300 * 1024,
            limit: LIMIT
        })
    );
}

#[test]
fn accepts_file_exactly_at_limit() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "edge.txt", &[b'x'; 64]);
    assert_eq!(read_text(&path, 64).map(|s| s.len()), Ok(64));
    assert!(matches!(
        read_text(&path, 63),
        Err(SkipReason::TooLarge { size: 64, .. })
    ));
}

/// procfs files report a length of 0 yet yield content, which is exactly the
/// shape of a file that grows after its metadata was read: the bounded read
/// must still stop at the limit.
#[cfg(target_os = "linux")]
#[test]
fn bounds_read_when_metadata_understates_size() {
    let path = Path::new("/proc/self/status");
    let meta = fs::metadata(path).unwrap();
    assert_eq!(meta.len(), 0, "precondition: procfs reports zero length");
    match read_text(path, 16) {
        Err(SkipReason::TooLarge { size, limit: 16 }) => assert!(size > 16),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn detects_binary_by_nul_and_by_control_bytes() {
    let dir = TempDir::new().unwrap();
    let nul = write(&dir, "nul.bin", b"hello\0world\n");
    assert_eq!(read_text(&nul, LIMIT), Err(SkipReason::Binary));

    let mut noisy = b"header ".to_vec();
    noisy.extend((0..200).map(|i| [0x01, 0x02, 0x03, b'a'][i % 4]));
    let ctrl = write(&dir, "ctrl.bin", &noisy);
    assert_eq!(read_text(&ctrl, LIMIT), Err(SkipReason::Binary));

    // Tabs, form feeds and ANSI colour escapes are ordinary in text.
    let text = write(&dir, "log.txt", b"\x1b[31merror\x1b[0m\tdetail\x0c\nnext\n");
    assert!(read_text(&text, LIMIT).is_ok());
}

#[test]
fn rejects_invalid_utf8() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "latin1.txt", b"caf\xe9 au lait\n");
    assert_eq!(read_text(&path, LIMIT), Err(SkipReason::InvalidUtf8));
}

#[test]
fn rejects_empty_and_whitespace_only() {
    let dir = TempDir::new().unwrap();
    assert_eq!(
        read_text(&write(&dir, "e", b""), LIMIT),
        Err(SkipReason::Empty)
    );
    assert_eq!(
        read_text(&write(&dir, "w", b"  \n\t\r\n"), LIMIT),
        Err(SkipReason::Empty)
    );
}

#[test]
fn rejects_directory() {
    let dir = TempDir::new().unwrap();
    assert_eq!(read_text(dir.path(), LIMIT), Err(SkipReason::NotAFile));
}

#[cfg(unix)]
#[test]
fn rejects_socket_and_fifo_without_blocking() {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::net::UnixListener;

    let dir = TempDir::new().unwrap();
    let sock = dir.path().join("s.sock");
    let _listener = UnixListener::bind(&sock).unwrap();
    assert_eq!(read_text(&sock, LIMIT), Err(SkipReason::NotAFile));

    let fifo = dir.path().join("pipe");
    let c_path = CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call.
    let rc = unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo failed: {}", io::Error::last_os_error());
    assert_eq!(read_text(&fifo, LIMIT), Err(SkipReason::NotAFile));
}

#[test]
fn reports_vanished_file() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "gone.txt", b"short-lived\n");
    fs::remove_file(&path).unwrap();
    assert_eq!(read_text(&path, LIMIT), Err(SkipReason::Vanished));
}

#[cfg(unix)]
#[test]
fn reports_symlink_loop_and_dangling_link() {
    use std::os::unix::fs::symlink;
    let dir = TempDir::new().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    symlink(&b, &a).unwrap();
    symlink(&a, &b).unwrap();
    assert_eq!(read_text(&a, LIMIT), Err(SkipReason::SymlinkLoop));

    let own = dir.path().join("self");
    symlink(&own, &own).unwrap();
    assert_eq!(read_text(&own, LIMIT), Err(SkipReason::SymlinkLoop));

    let dangling = dir.path().join("dangling");
    symlink(dir.path().join("missing"), &dangling).unwrap();
    assert_eq!(
        read_text(&dangling, LIMIT),
        Err(SkipReason::DanglingSymlink)
    );
}

#[cfg(unix)]
#[test]
fn follows_symlink_to_regular_file() {
    use std::os::unix::fs::symlink;
    let dir = TempDir::new().unwrap();
    let target = write(&dir, "target.sh", b"echo hi\n");
    let link = dir.path().join("link.sh");
    symlink(&target, &link).unwrap();
    assert_eq!(read_text(&link, LIMIT).unwrap(), "echo hi\n");
}

#[cfg(unix)]
#[test]
fn reports_permission_denied() {
    use std::os::unix::fs::PermissionsExt;
    // As root, file modes do not bind: the test runs again as `nobody`.
    let name = "ingest::guard::tests::reports_permission_denied";
    if !crate::testsupport::unprivileged(name) {
        return;
    }
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "secret.txt", b"locked away\n");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    assert_eq!(
        read_text(&path, LIMIT),
        Err(SkipReason::Unreadable("permission denied".to_owned()))
    );
}

#[test]
fn a_file_that_vanished_is_reported_as_such() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "gone.txt", b"soon gone\n");
    fs::remove_file(&path).unwrap();
    assert_eq!(read_text(&path, LIMIT), Err(SkipReason::Vanished));
}

#[test]
fn kinds_are_distinct_and_stable_ids() {
    let all = [
        SkipReason::TooLarge { size: 2, limit: 1 },
        SkipReason::Binary,
        SkipReason::InvalidUtf8,
        SkipReason::Unreadable("x".into()),
        SkipReason::Vanished,
        SkipReason::NotAFile,
        SkipReason::Empty,
        SkipReason::SymlinkLoop,
        SkipReason::DanglingSymlink,
    ];
    let mut kinds: Vec<_> = all.iter().map(SkipReason::kind).collect();
    assert!(kinds.iter().all(|k| k
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')));
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), all.len());
    assert_eq!(
        SkipReason::TooLarge { size: 2, limit: 1 }.to_string(),
        "too large (2 bytes, limit 1)"
    );
}
