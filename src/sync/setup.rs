//! `snipdex sync init`: clone the remote (or adopt an existing clone) and
//! remember it in the store.

use super::git::Git;
use super::{key, Result, SyncError, REMOTE};
use crate::paths::Paths;
use crate::store::Store;
use std::path::{Path, PathBuf};

/// What `init` set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    pub repo: PathBuf,
    pub remote: String,
    pub branch: String,
    /// The clone had no identity for commits; a local one was set.
    pub identity_set: bool,
    /// Snippet files already on the remote.
    pub remote_snippets: usize,
}

/// Set sync up with `target`: a remote URL (cloned into the data folder)
/// or the path of an existing clone (used where it is).
pub fn init(paths: &Paths, store: &Store, target: &str) -> Result<InitReport> {
    if let Some(repo) = store.sync_state(key::REPO)? {
        return Err(SyncError::AlreadySetUp {
            remote: store.sync_state(key::REMOTE_URL)?.unwrap_or_default(),
            repo: PathBuf::from(repo),
        });
    }
    let as_path = Path::new(target);
    let existing = as_path.is_dir()
        && Git::new(as_path)
            .text(["rev-parse", "--is-inside-work-tree"])
            .is_ok_and(|t| t == "true");
    let repo = if existing {
        let repo = std::fs::canonicalize(as_path).map_err(SyncError::io(as_path))?;
        let git = Git::new(&repo);
        if git.text(["remote", "get-url", REMOTE]).is_err() {
            return Err(SyncError::NoRemote { path: repo });
        }
        repo
    } else {
        let repo = paths.sync_repo_dir();
        let in_the_way = std::fs::read_dir(&repo).is_ok_and(|mut d| d.next().is_some());
        if in_the_way {
            return Err(SyncError::RepoInTheWay(repo));
        }
        let parent = repo.parent().unwrap_or(Path::new("."));
        let git = Git::new(parent);
        let repo_arg = repo.as_os_str().to_owned();
        let args: Vec<std::ffi::OsString> = vec![
            "clone".into(),
            "--quiet".into(),
            "--origin".into(),
            REMOTE.into(),
            "--".into(),
            target.into(),
            repo_arg,
        ];
        let out = git.output(&args)?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&repo);
            return Err(git.remote_error(target, &out, &["clone", target]).into());
        }
        repo
    };
    let git = Git::new(&repo);
    let remote = git.text(["remote", "get-url", REMOTE])?;
    let mut has_commits = git.succeeds(["rev-parse", "--verify", "--quiet", "HEAD"])?;
    let synced = format!("refs/remotes/{REMOTE}/main");
    if !has_commits && git.succeeds(["rev-parse", "--verify", "--quiet", synced.as_str()])? {
        // A bare repository made with `git init --bare` names `master` as its
        // HEAD while the libraries sync `main`: the clone then checked out
        // nothing. Take the synced branch, as a clone of a remote whose HEAD
        // names it does.
        let tracked = format!("{REMOTE}/main");
        git.run([
            "checkout",
            "--quiet",
            "-B",
            "main",
            "--track",
            tracked.as_str(),
        ])?;
        has_commits = true;
    }
    if !has_commits {
        // An empty remote: start its first branch under a name that does
        // not depend on the user's init.defaultBranch.
        git.run(["symbolic-ref", "HEAD", "refs/heads/main"])?;
    }
    let branch = git.text(["symbolic-ref", "--short", "HEAD"])?;
    let identity_set = ensure_identity(&git)?;
    let remote_snippets = if has_commits {
        git.text([
            "ls-tree",
            "-r",
            "--name-only",
            "HEAD",
            "--",
            super::SNIPPETS_DIR,
        ])?
        .lines()
        .filter(|l| l.ends_with(".md"))
        .count()
    } else {
        0
    };
    store.atomically(|s| {
        s.set_sync_state(key::REPO, &repo.to_string_lossy())?;
        s.set_sync_state(key::REMOTE_URL, &remote)?;
        s.set_sync_state(key::BRANCH, &branch)?;
        Ok(())
    })?;
    Ok(InitReport {
        repo,
        remote,
        branch,
        identity_set,
        remote_snippets,
    })
}

/// Commits need a name and an address. A user who never set them (a fresh
/// server, say) gets a fallback in this clone's own config only, rather
/// than a sync that fails with git's "Please tell me who you are".
pub(crate) fn ensure_identity(git: &Git) -> Result<bool> {
    let has = |k: &str| {
        git.text(["config", "--get", k])
            .is_ok_and(|v| !v.is_empty())
    };
    if has("user.email") && has("user.name") {
        return Ok(false);
    }
    let host = hostname();
    if !has("user.name") {
        git.run(["config", "user.name", &format!("snipdex on {host}")])?;
    }
    if !has("user.email") {
        git.run(["config", "user.email", &format!("snipdex@{host}")])?;
    }
    Ok(true)
}

/// This machine's name, for commit messages and the fallback identity.
pub(crate) fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at
        // most that many bytes.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
            let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
            if !name.is_empty() {
                return name
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
                    .collect();
            }
        }
    }
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
