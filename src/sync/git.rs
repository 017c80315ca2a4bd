//! The user's own `git`, run as a child process with `-C <repo>` and no
//! shell: their credentials, SSH config and hooks apply as they would at
//! the prompt. Every failure becomes a [`GitError`] that says what went
//! wrong in words a user can act on.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// What went wrong talking to git or the remote.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git is not installed or not on PATH ({0}); install git to sync")]
    Missing(String),
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    #[error("cannot reach the remote {remote}: {detail}; nothing was lost, run `snipdex sync` again when it is reachable")]
    Unreachable { remote: String, detail: String },
    #[error("the remote {remote} refused the credentials: {detail}; check that `git fetch` works in {repo}")]
    Auth {
        remote: String,
        repo: PathBuf,
        detail: String,
    },
    #[error("the remote refused the push: {detail}; your changes are committed in {repo} and will be pushed by the next `snipdex sync`")]
    Rejected { repo: PathBuf, detail: String },
    #[error(
        "the remote kept moving while this sync pushed ({tries} tries); run `snipdex sync` again"
    )]
    Raced { tries: usize },
    #[error("`git {args}` failed in {repo}: {detail}")]
    Failed {
        args: String,
        repo: PathBuf,
        detail: String,
    },
}

/// A repository worked on through the `git` binary.
#[derive(Debug, Clone)]
pub struct Git {
    program: PathBuf,
    repo: PathBuf,
    /// Never ask on the terminal (automatic sync has none to ask on).
    batch: bool,
}

impl Git {
    pub fn new(repo: &Path) -> Git {
        Git {
            program: std::env::var_os("SNIPDEX_GIT")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("git")),
            repo: repo.to_path_buf(),
            batch: false,
        }
    }

    /// No prompts for passwords or host keys: a run without a terminal
    /// fails with a message instead of hanging.
    pub fn batch(mut self, batch: bool) -> Git {
        self.batch = batch;
        self
    }

    pub fn repo(&self) -> &Path {
        &self.repo
    }

    fn command(&self, args: &[&OsStr]) -> Command {
        let mut c = Command::new(&self.program);
        c.arg("-C").arg(&self.repo).args(args);
        // Messages in English so that a refusal can be told from a network
        // failure; no editor for merge messages; no pager.
        c.env("LC_ALL", "C")
            .env("GIT_EDITOR", "true")
            .env("GIT_MERGE_AUTOEDIT", "no")
            .env("GIT_PAGER", "cat")
            .stdin(Stdio::null());
        if self.batch {
            c.env("GIT_TERMINAL_PROMPT", "0")
                .env("GIT_SSH_COMMAND", ssh_batch_command());
        }
        c
    }

    /// Run and return the output whatever the exit status.
    pub fn output<S: AsRef<OsStr>>(&self, args: impl AsRef<[S]>) -> Result<Output, GitError> {
        let args: Vec<&OsStr> = args.as_ref().iter().map(AsRef::as_ref).collect();
        let mut c = self.command(&args);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        tracing::debug!(?args, repo = %self.repo.display(), "git");
        c.output().map_err(|e| self.spawn_error(e))
    }

    /// Run; a non-zero exit is an error naming the command.
    pub fn run<S: AsRef<OsStr>>(&self, args: impl AsRef<[S]>) -> Result<Output, GitError> {
        let out = self.output(args.as_ref())?;
        if out.status.success() {
            Ok(out)
        } else {
            Err(self.failed(args.as_ref(), &out))
        }
    }

    /// Run and return trimmed stdout.
    pub fn text<S: AsRef<OsStr>>(&self, args: impl AsRef<[S]>) -> Result<String, GitError> {
        let out = self.run(args)?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Run with `input` on stdin (for `cat-file --batch`), returning stdout.
    /// The input is written from a second thread so neither pipe can fill
    /// up and stall the other.
    pub fn with_input<S: AsRef<OsStr>>(
        &self,
        args: impl AsRef<[S]>,
        input: Vec<u8>,
    ) -> Result<Vec<u8>, GitError> {
        use std::io::Write;
        let args = args.as_ref();
        let argv: Vec<&OsStr> = args.iter().map(AsRef::as_ref).collect();
        let mut c = self.command(&argv);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().map_err(|e| self.spawn_error(e))?;
        let mut stdin = child.stdin.take();
        let writer = std::thread::spawn(move || {
            if let Some(s) = stdin.as_mut() {
                let _ = s.write_all(&input);
            }
            drop(stdin);
        });
        let out = child.wait_with_output().map_err(GitError::Spawn)?;
        let _ = writer.join();
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(self.failed(args, &out))
        }
    }

    /// Whether a command exits 0 (for questions like `merge-base --is-ancestor`).
    pub fn succeeds<S: AsRef<OsStr>>(&self, args: impl AsRef<[S]>) -> Result<bool, GitError> {
        Ok(self.output(args)?.status.success())
    }

    fn spawn_error(&self, e: std::io::Error) -> GitError {
        if e.kind() == std::io::ErrorKind::NotFound {
            GitError::Missing(self.program.display().to_string())
        } else {
            GitError::Spawn(e)
        }
    }

    pub(crate) fn failed<S: AsRef<OsStr>>(&self, args: &[S], out: &Output) -> GitError {
        GitError::Failed {
            args: args
                .iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            repo: self.repo.clone(),
            detail: stderr_tail(out),
        }
    }

    /// Sort a failed fetch or push by what the remote said.
    pub(crate) fn remote_error(&self, remote: &str, out: &Output, args: &[&str]) -> GitError {
        let detail = stderr_tail(out);
        let lower = detail.to_lowercase();
        let auth = [
            "authentication failed",
            "permission denied",
            "could not read username",
            "invalid username or password",
            "access denied",
            "403",
        ];
        let network = [
            "could not resolve host",
            "connection refused",
            "connection timed out",
            "network is unreachable",
            "could not read from remote repository",
            "does not appear to be a git repository",
            "unable to access",
            "no route to host",
            "operation timed out",
        ];
        if lower.contains("[remote rejected]")
            || lower.contains("hook declined")
            || lower.contains("protected branch")
        {
            GitError::Rejected {
                repo: self.repo.clone(),
                detail,
            }
        } else if auth.iter().any(|k| lower.contains(k)) {
            GitError::Auth {
                remote: remote.to_string(),
                repo: self.repo.clone(),
                detail,
            }
        } else if network.iter().any(|k| lower.contains(k)) {
            GitError::Unreachable {
                remote: remote.to_string(),
                detail,
            }
        } else {
            self.failed(args, out)
        }
    }
}

/// The last lines git wrote to stderr, on one line.
fn stderr_tail(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
        .collect();
    let start = lines.len().saturating_sub(6);
    let tail = lines[start..].join(" / ");
    if tail.is_empty() {
        format!("exit status {}", out.status)
    } else {
        tail
    }
}

/// The user's SSH command with batch mode on, so that a host-key or
/// passphrase question fails instead of waiting for a terminal.
fn ssh_batch_command() -> String {
    let base = std::env::var("GIT_SSH_COMMAND")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "ssh".to_string());
    format!("{base} -o BatchMode=yes")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn failed_with(stderr: &str) -> Output {
        Output {
            status: std::process::ExitStatus::from_raw(128 << 8),
            stdout: Vec::new(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    fn sort(stderr: &str) -> GitError {
        Git::new(Path::new("/repo")).remote_error("origin-url", &failed_with(stderr), &["push"])
    }

    #[test]
    fn remote_failures_are_told_apart() {
        assert!(matches!(
            sort("remote: Invalid username or password.\nfatal: Authentication failed for 'https://h/r'\n"),
            GitError::Auth { .. }
        ));
        assert!(matches!(
            sort("git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.\n"),
            GitError::Auth { .. }
        ));
        assert!(matches!(
            sort("ssh: Could not resolve hostname h: Name or service not known\nfatal: Could not read from remote repository.\n"),
            GitError::Unreachable { .. }
        ));
        assert!(matches!(
            sort("fatal: unable to access 'https://h/r/': Failed to connect to h port 443: Connection refused\n"),
            GitError::Unreachable { .. }
        ));
        let rejected = sort(
            "remote: permission denied by policy\nTo h:r\n ! [remote rejected] HEAD -> main (pre-receive hook declined)\n",
        );
        assert!(matches!(rejected, GitError::Rejected { .. }), "{rejected}");
        assert!(rejected.to_string().contains("pre-receive hook declined"));
        assert!(matches!(
            sort("fatal: something else\n"),
            GitError::Failed { .. }
        ));
    }

    #[test]
    fn a_missing_git_says_so() {
        let git = Git {
            program: PathBuf::from("/nonexistent/git-binary"),
            repo: PathBuf::from("/"),
            batch: true,
        };
        let e = git.run(["--version"]).unwrap_err();
        assert!(matches!(e, GitError::Missing(_)), "{e}");
        assert!(e.to_string().contains("install git"));
    }
}
