//! Reading a file defensively: every way a path can fail to be a small UTF-8
//! text file becomes a [`SkipReason`] instead of an error or a panic.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// How many leading bytes are inspected to decide whether a file is binary.
const SNIFF_LEN: usize = 8 * 1024;

/// Share of control bytes (per mille) in the sniffed prefix above which a file
/// counts as binary. Real text has almost none; 10% leaves room for the odd
/// form feed or ANSI escape in a log without letting compressed data through.
const MAX_CONTROL_PER_MILLE: usize = 100;

/// Why a path produced no snippets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SkipReason {
    /// Larger than [`super::IngestOptions::max_file_bytes`].
    #[error("too large ({size} bytes, limit {limit})")]
    TooLarge { size: u64, limit: u64 },
    /// Contains NUL bytes or too many control bytes.
    #[error("binary content")]
    Binary,
    /// Text that is not UTF-8.
    #[error("not valid UTF-8")]
    InvalidUtf8,
    /// The OS refused to open or read it (permissions, I/O error, ...).
    #[error("unreadable: {0}")]
    Unreadable(String),
    /// Listed earlier but gone by the time it was opened or read.
    #[error("vanished before it could be read")]
    Vanished,
    /// A directory, FIFO, socket or device.
    #[error("not a regular file")]
    NotAFile,
    /// Zero bytes or only whitespace.
    #[error("empty")]
    Empty,
    /// Resolving the path runs around a cycle of symbolic links.
    #[error("symbolic link loop")]
    SymlinkLoop,
    /// A symbolic link whose target does not exist.
    #[error("dangling symbolic link")]
    DanglingSymlink,
}

impl SkipReason {
    /// A stable identifier for counting and logging; never changes between
    /// releases, unlike the `Display` text.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Binary => "binary",
            Self::InvalidUtf8 => "invalid_utf8",
            Self::Unreadable(_) => "unreadable",
            Self::Vanished => "vanished",
            Self::NotAFile => "not_a_file",
            Self::Empty => "empty",
            Self::SymlinkLoop => "symlink_loop",
            Self::DanglingSymlink => "dangling_symlink",
        }
    }
}

/// Reads `path` as text of at most `limit` bytes.
///
/// The returned string has its byte-order mark removed and CRLF line endings
/// turned into LF, so that snippets from Windows editors look and search like
/// any other.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String, SkipReason> {
    let bytes = read_bounded(path, limit)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SkipReason::Empty);
    }
    if looks_binary(&bytes[..bytes.len().min(SNIFF_LEN)]) {
        return Err(SkipReason::Binary);
    }
    let text = String::from_utf8(bytes).map_err(|_| SkipReason::InvalidUtf8)?;
    Ok(normalize(text))
}

/// Removes a UTF-8 byte-order mark and turns CRLF into LF.
pub(crate) fn normalize(text: String) -> String {
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    if text.contains("\r\n") {
        text.replace("\r\n", "\n")
    } else {
        text
    }
}

fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, SkipReason> {
    // `symlink_metadata` first, so a vanished path and a dangling link can be
    // told apart when following the link fails.
    let link_meta = fs::symlink_metadata(path).map_err(classify)?;
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) if link_meta.file_type().is_symlink() && err.kind() == io::ErrorKind::NotFound => {
            return Err(SkipReason::DanglingSymlink)
        }
        Err(err) => return Err(classify(err)),
    };
    check_meta(&meta, limit)?;

    let mut file = open_nonblocking(path).map_err(classify)?;
    // The path may have been swapped for a FIFO or a bigger file since the
    // check above; the open handle's metadata cannot change identity.
    let meta = file.metadata().map_err(classify)?;
    check_meta(&meta, limit)?;

    // Read one byte past the limit so a file that grows while being read is
    // noticed without ever holding more than `limit + 1` bytes.
    let capacity = usize::try_from(meta.len().min(limit)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity.saturating_add(1));
    (&mut file)
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(classify)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        let size = file.metadata().map(|m| m.len()).unwrap_or(read).max(read);
        return Err(SkipReason::TooLarge { size, limit });
    }
    Ok(bytes)
}

fn check_meta(meta: &fs::Metadata, limit: u64) -> Result<(), SkipReason> {
    if !meta.is_file() {
        return Err(SkipReason::NotAFile);
    }
    if meta.len() > limit {
        return Err(SkipReason::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(())
}

/// Opens for reading without blocking: opening a FIFO that replaced the file
/// after it was checked would otherwise hang until a writer appears.
/// `O_NONBLOCK` has no effect on reads from regular files.
fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

fn classify(err: io::Error) -> SkipReason {
    if is_symlink_loop(&err) {
        return SkipReason::SymlinkLoop;
    }
    match err.kind() {
        io::ErrorKind::NotFound => SkipReason::Vanished,
        io::ErrorKind::PermissionDenied => SkipReason::Unreadable("permission denied".to_owned()),
        _ => SkipReason::Unreadable(err.to_string()),
    }
}

fn is_symlink_loop(err: &io::Error) -> bool {
    // `io::ErrorKind::FilesystemLoop` is not stable, so match the OS code.
    #[cfg(unix)]
    {
        err.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(windows)]
    {
        const ERROR_CANT_RESOLVE_FILENAME: i32 = 1921;
        err.raw_os_error() == Some(ERROR_CANT_RESOLVE_FILENAME)
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = err;
        false
    }
}

/// True when the prefix holds a NUL byte or a high share of control bytes.
fn looks_binary(prefix: &[u8]) -> bool {
    if prefix.is_empty() {
        return false;
    }
    if prefix.contains(&0) {
        return true;
    }
    let control = prefix
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || b == 0x7f)
        .count();
    control * 1000 > prefix.len() * MAX_CONTROL_PER_MILLE
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
