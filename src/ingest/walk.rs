//! Listing the files of a watched folder.

use std::io;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

/// Per-folder ignore file read in addition to `.gitignore` and `.ignore`, for
/// rules that should apply to snipdex only.
pub const IGNORE_FILE_NAME: &str = ".snipdexignore";

/// A problem met while walking; the walk goes on after each one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalkIssue {
    /// A symbolic link leads back to one of its own ancestors.
    #[error("symbolic link loop: {path} leads back to {ancestor}")]
    SymlinkLoop { path: PathBuf, ancestor: PathBuf },
    /// A folder or file could not be read (permissions, vanished, dangling link).
    #[error("cannot read {}: {source}", display_path(.path))]
    Io {
        path: Option<PathBuf>,
        #[source]
        source: io::Error,
    },
    /// A `.gitignore`-style file has a bad pattern; its other rules still apply.
    #[error("ignore file problem{}: {message}", .path.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default())]
    IgnoreFile {
        path: Option<PathBuf>,
        message: String,
    },
}

impl WalkIssue {
    /// A stable identifier for counting and logging.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SymlinkLoop { .. } => "symlink_loop",
            Self::Io { .. } => "io",
            Self::IgnoreFile { .. } => "ignore_file",
        }
    }
}

fn display_path(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map_or_else(|| "<unknown path>".to_owned(), |p| p.display().to_string())
}

/// The walk's rules in one place: hidden files skipped; `.gitignore` (also
/// outside a repository), `.ignore`, the global gitignore and
/// `.snipdexignore` respected; links followed. The watcher builds its
/// event-path checks from this too, so events and scans always agree.
pub fn walk_builder(root: &Path) -> WalkBuilder {
    let mut b = WalkBuilder::new(root);
    b.hidden(true)
        .parents(true)
        .ignore(true)
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true)
        .require_git(false)
        .follow_links(true)
        .add_custom_ignore_filename(IGNORE_FILE_NAME);
    b
}

/// Which entries a walk of `root` may take, as a `filter_entry` rule: a
/// symbolic link is followed only when it leads to somewhere inside `root`
/// (so a link to `/etc/passwd` or to a folder elsewhere never makes a
/// snippet), unless `follow_links` (the `watch.follow_links` option) says
/// to follow every link. A link that leads nowhere is let through, for the
/// guard to report as dangling.
pub fn link_rule(
    root: &Path,
    follow_links: bool,
) -> impl Fn(&ignore::DirEntry) -> bool + Send + Sync + Clone + 'static {
    let base = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    move |entry: &ignore::DirEntry| {
        if follow_links || !entry.path_is_symlink() {
            return true;
        }
        match std::fs::canonicalize(entry.path()) {
            Ok(target) => {
                let inside = target.starts_with(&base);
                if !inside {
                    tracing::debug!(link = %entry.path().display(), target = %target.display(),
                        "not following a link out of the watched folder");
                }
                inside
            }
            Err(_) => true,
        }
    }
}

/// Every non-folder entry under `root`, lazily, in directory order: regular
/// files, and also FIFOs, sockets and devices, which the ingest guard then
/// skips (without blocking) and counts, so that `snipdex doctor` can say
/// why a name in a watched folder is not a snippet.
///
/// Honours `.gitignore` (also outside a Git repository, since watched
/// folders often are not one), `.ignore`, [`IGNORE_FILE_NAME`] and Git's
/// global excludes, and skips hidden files and folders. Symbolic links are
/// followed so linked snippet folders are found, but only within `root`
/// (see [`link_rule`]); a link back into its own
/// ancestry is reported once as [`WalkIssue::SymlinkLoop`] and not entered.
/// Entries are streamed as the OS lists them (no sorting, which would hold
/// a whole folder's listing), so memory does not grow with the number of
/// files.
pub fn walk(root: &Path) -> impl Iterator<Item = Result<PathBuf, WalkIssue>> {
    walk_with(root, false)
}

/// [`walk`], with links out of `root` followed when `follow_links`.
pub fn walk_with(
    root: &Path,
    follow_links: bool,
) -> impl Iterator<Item = Result<PathBuf, WalkIssue>> {
    let mut builder = walk_builder(root);
    builder.filter_entry(link_rule(root, follow_links));
    builder.build().filter_map(|entry| match entry {
        Ok(entry) => is_candidate(&entry).then(|| Ok(entry.into_path())),
        Err(err) => Some(Err(convert(err, None))),
    })
}

/// Whether a walked entry is handed to ingest: anything but a folder (with
/// links followed, the type is the target's). FIFOs, sockets and devices
/// are included so that the guard can skip and count them.
pub(crate) fn is_candidate(entry: &ignore::DirEntry) -> bool {
    entry.file_type().is_some_and(|t| !t.is_dir())
}

/// Flattens `ignore`'s nested error wrappers into one [`WalkIssue`],
/// keeping the innermost path it mentions.
fn convert(err: ignore::Error, path: Option<PathBuf>) -> WalkIssue {
    match err {
        ignore::Error::WithPath { path, err } => convert(*err, Some(path)),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            convert(*err, path)
        }
        ignore::Error::Loop { ancestor, child } => WalkIssue::SymlinkLoop {
            path: child,
            ancestor,
        },
        ignore::Error::Io(source) => WalkIssue::Io { path, source },
        other => WalkIssue::IgnoreFile {
            path,
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use tempfile::TempDir;

    fn files(root: &Path) -> (Vec<String>, Vec<WalkIssue>) {
        let mut found = Vec::new();
        let mut issues = Vec::new();
        for item in walk(root) {
            match item {
                Ok(p) => found.push(
                    p.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                ),
                Err(e) => issues.push(e),
            }
        }
        found.sort();
        (found, issues)
    }

    fn touch(root: &Path, rel: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "x\n").unwrap();
    }

    #[test]
    fn respects_ignore_files_and_hidden_entries() {
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        fs::write(root.join(".gitignore"), "target/\n*.log\n!keep.log\n").unwrap();
        fs::write(root.join(".ignore"), "scratch.txt\n").unwrap();
        fs::write(root.join(IGNORE_FILE_NAME), "drafts/\n").unwrap();
        for rel in [
            "a.rs",
            "notes/b.md",
            "target/debug/out.rs",
            "run.log",
            "keep.log",
            "scratch.txt",
            "drafts/c.py",
            ".hidden/d.sh",
            ".env",
            "nested/.gitignore",
            "nested/e.sql",
            "nested/skip.sql",
        ] {
            touch(root, rel);
        }
        fs::write(root.join("nested/.gitignore"), "skip.sql\n").unwrap();

        let (found, issues) = files(root);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(found, ["a.rs", "keep.log", "nested/e.sql", "notes/b.md"]);
    }

    #[cfg(unix)]
    #[test]
    fn reports_symlink_loops_and_keeps_going() {
        use std::os::unix::fs::symlink;
        let dir = TempDir::new().unwrap();
        let root = dir.path();
        touch(root, "sub/real.rs");
        symlink(root, root.join("sub/back_to_root")).unwrap();
        symlink(root.join("sub/real.rs"), root.join("alias.rs")).unwrap();
        symlink(root.join("missing"), root.join("dangling.rs")).unwrap();

        let (found, issues) = files(root);
        assert_eq!(found, ["alias.rs", "sub/real.rs"]);
        let kinds: Vec<_> = issues.iter().map(WalkIssue::kind).collect();
        assert!(kinds.contains(&"symlink_loop"), "{issues:?}");
        assert!(kinds.contains(&"io"), "dangling link reported: {issues:?}");
        let loop_issue = issues
            .iter()
            .find(|i| matches!(i, WalkIssue::SymlinkLoop { .. }))
            .unwrap();
        assert!(loop_issue.to_string().contains("back_to_root"));
    }

    #[test]
    fn missing_root_is_an_issue_not_a_panic() {
        let dir = TempDir::new().unwrap();
        let (found, issues) = files(&dir.path().join("nope"));
        assert!(found.is_empty());
        assert!(matches!(
            issues.as_slice(),
            [WalkIssue::Io { source, .. }] if source.kind() == io::ErrorKind::NotFound
        ));
    }

    #[test]
    fn yields_lazily_before_the_whole_tree_is_read() {
        let dir = TempDir::new().unwrap();
        for i in 0..50 {
            touch(dir.path(), &format!("d{i:02}/f.txt"));
        }
        let mut iter = walk(dir.path());
        let first = iter.next().unwrap().unwrap();
        // Remove every other folder after the first file came out: a walk
        // that had listed everything up front would still yield their files.
        for i in 0..50 {
            let sub = dir.path().join(format!("d{i:02}"));
            if !first.starts_with(&sub) {
                fs::remove_dir_all(sub).unwrap();
            }
        }
        let rest: Vec<_> = iter.collect();
        assert!(rest.iter().all(Result::is_err), "{rest:?}");
    }

    /// The size the walker is meant for; slow to set up, so `cargo test`
    /// leaves it out and `.ci/run` runs it in its step for ignored tests.
    #[test]
    #[ignore = "100,000 files; .ci/run runs it as its own step"]
    fn walks_a_hundred_thousand_files() {
        let dir = TempDir::new().unwrap();
        for d in 0..100 {
            let sub = dir.path().join(format!("d{d:03}"));
            fs::create_dir(&sub).unwrap();
            for f in 0..1000 {
                fs::write(sub.join(format!("f{f:04}.txt")), b"x").unwrap();
            }
        }
        assert_eq!(walk(dir.path()).filter_map(Result::ok).count(), 100_000);
        crate::testsupport::record_ran("scale: walk of 100,000 files");
    }
}
