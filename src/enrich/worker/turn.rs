//! One enricher per library at a time.
//!
//! Two processes running the model at once (a TUI beside `snipdex enrich
//! --all`, `snipdex watch` beside a TUI) fight over the same cores and both
//! crawl. So whoever has work takes `enrich.lock` in the data folder (an OS
//! file lock: the kernel drops it when its holder exits or is killed, so a
//! stale lock cannot block anyone) and writes who it is into it; the others
//! defer, say who they wait for, and take over once the lock is free. The
//! queue is one SQLite table, so the jobs a deferring process queued are
//! done by the holder meanwhile.
//!
//! A foreground run (`snipdex enrich`, which the user waits on) that has to
//! wait also holds `enrich.want`; a background worker (TUI, `snipdex
//! watch`) that sees it held hands the lock over after its current snippet
//! and takes no new turn while it stays held.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::paths::Paths;

/// The lock file held by the process that runs the model for a library.
pub fn enrich_lock_file(paths: &Paths) -> PathBuf {
    paths.data_dir.join("enrich.lock")
}

/// The lock file a waiting foreground run holds.
fn want_file(lock: &Path) -> PathBuf {
    lock.with_file_name("enrich.want")
}

fn open(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Takes `file`'s lock without waiting: `Ok(false)` when another holds it.
fn try_lock(file: &File) -> std::io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// This process's side of the lock: held or not, and who it says it is.
#[derive(Debug)]
pub(crate) struct Turns {
    lock: PathBuf,
    /// Written into the lock for others to show (`snipdex watch`, ...).
    who: String,
    /// Whether this process is a foreground run that others yield to.
    foreground: bool,
    held: Option<File>,
    wanting: Option<File>,
}

impl Turns {
    pub(crate) fn new(lock: PathBuf, who: String, foreground: bool) -> Self {
        Self {
            lock,
            who,
            foreground,
            held: None,
            wanting: None,
        }
    }

    /// Takes the lock if it is free (keeps it if held already). `Ok(None)`:
    /// this process may run the model; `Some(holder)` says who runs it.
    pub(crate) fn take(&mut self) -> std::io::Result<Option<String>> {
        if self.held.is_some() {
            return Ok(None);
        }
        if !self.foreground && self.foreground_waiting()? {
            return Ok(Some("a `snipdex enrich` run".into()));
        }
        let mut file = open(&self.lock)?;
        if !try_lock(&file)? {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            if self.foreground && self.wanting.is_none() {
                let want = open(&want_file(&self.lock))?;
                // Another waiting foreground run may hold it already; the
                // background worker yields to either.
                if try_lock(&want)? {
                    self.wanting = Some(want);
                }
            }
            return Ok(Some(describe(text.trim())));
        }
        file.set_len(0)?;
        file.rewind()?;
        write!(file, "{} {}", std::process::id(), self.who)?;
        self.held = Some(file);
        self.wanting = None;
        Ok(None)
    }

    /// Lets the lock go (no-op when not held).
    pub(crate) fn release(&mut self) {
        if let Some(file) = self.held.take() {
            // Emptied first, so a reader never names a process that left.
            let _ = file.set_len(0);
        }
    }

    /// Whether a background holder should hand the lock over now.
    pub(crate) fn should_yield(&self) -> bool {
        self.held.is_some() && !self.foreground && self.foreground_waiting().unwrap_or(false)
    }

    fn foreground_waiting(&self) -> std::io::Result<bool> {
        let path = want_file(&self.lock);
        if !path.exists() {
            return Ok(false);
        }
        // Taken and dropped at once when nobody holds it.
        Ok(!try_lock(&open(&path)?)?)
    }
}

/// "snipdex watch (pid 12)" from the lock's "12 snipdex watch".
fn describe(text: &str) -> String {
    match text.split_once(' ') {
        Some((pid, who)) if pid.parse::<u32>().is_ok() => format!("{who} (pid {pid})"),
        _ => "another snipdex".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_next_takes_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("enrich.lock");
        let mut a = Turns::new(lock.clone(), "snipdex watch".into(), false);
        let mut b = Turns::new(lock.clone(), "snipdex".into(), false);
        assert_eq!(a.take().unwrap(), None);
        assert_eq!(a.take().unwrap(), None, "a holder keeps its turn");
        let holder = b.take().unwrap().expect("b defers");
        assert_eq!(
            holder,
            format!("snipdex watch (pid {})", std::process::id())
        );
        a.release();
        assert_eq!(b.take().unwrap(), None);
        assert!(a.take().unwrap().is_some());
    }

    #[test]
    fn a_waiting_foreground_run_makes_the_background_yield() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("enrich.lock");
        let mut bg = Turns::new(lock.clone(), "snipdex (TUI)".into(), false);
        let mut fg = Turns::new(lock.clone(), "snipdex enrich".into(), true);
        assert_eq!(bg.take().unwrap(), None);
        assert!(!bg.should_yield());
        assert!(fg.take().unwrap().is_some(), "the foreground waits first");
        assert!(bg.should_yield());
        bg.release();
        // While the foreground run wants it, the background takes no turn.
        assert!(bg.take().unwrap().is_some());
        assert_eq!(fg.take().unwrap(), None);
        assert!(!bg.should_yield(), "the want is dropped once served");
        fg.release();
        assert_eq!(bg.take().unwrap(), None);
    }

    #[test]
    fn unreadable_holders_are_described_plainly() {
        assert_eq!(describe(""), "another snipdex");
        assert_eq!(describe("12 snipdex watch"), "snipdex watch (pid 12)");
    }
}
