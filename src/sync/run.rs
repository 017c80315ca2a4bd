//! One sync, step by step (see the module doc of `sync` for why each step
//! leaves things consistent when the next one never comes).

use super::doc::Doc;
use super::export::{self, write_file};
use super::git::{Git, GitError};
use super::import::{self, read_blobs};
use super::merge::merge;
use super::{key, stop_point, Result, SyncError, SyncReport, REMOTE, SNIPPETS_DIR};
use crate::config::Config;
use crate::domain::now_ms;
use crate::intake::Intake;
use crate::store::Store;
use std::collections::HashSet;
use std::path::PathBuf;

/// How often a push that lost a race with another machine's push is
/// retried (fetch, merge, import, push again) before giving up.
const PUSH_TRIES: usize = 3;

/// A library's sync, set up by `snipdex sync init`.
pub struct Syncer<'a> {
    store: &'a Store,
    git: Git,
    intake: Intake,
    include_secrets: bool,
    branch: String,
    remote_url: String,
}

impl<'a> Syncer<'a> {
    /// The library's sync as `sync init` left it; `batch` for runs with no
    /// terminal to ask for a password on (automatic sync).
    pub fn open(store: &'a Store, config: &Config, batch: bool) -> Result<Syncer<'a>> {
        let repo = store.sync_state(key::REPO)?.ok_or(SyncError::NotSetUp)?;
        let repo = PathBuf::from(repo);
        if !repo.join(".git").exists() {
            return Err(SyncError::RepoGone(repo));
        }
        Ok(Syncer {
            store,
            git: Git::new(&repo).batch(batch),
            intake: Intake::new(config),
            include_secrets: config.sync.include_secrets,
            branch: store
                .sync_state(key::BRANCH)?
                .unwrap_or_else(|| "main".into()),
            remote_url: store.sync_state(key::REMOTE_URL)?.unwrap_or_default(),
        })
    }

    pub fn repo(&self) -> &std::path::Path {
        self.git.repo()
    }

    pub fn remote_url(&self) -> &str {
        &self.remote_url
    }

    fn head(&self) -> Result<Option<String>> {
        self.rev("HEAD")
    }

    fn rev(&self, name: &str) -> Result<Option<String>> {
        let out = self.git.output([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{name}^{{commit}}"),
        ])?;
        Ok(out
            .status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
    }

    fn tracking(&self) -> String {
        format!("refs/remotes/{REMOTE}/{}", self.branch)
    }

    /// Put the clone back in order after a run that died: no merge in
    /// progress, the checked-out branch, and no uncommitted snippet files
    /// (their rows are still in the store and are exported again).
    fn recover(&self) -> Result<()> {
        let git_dir = self.git.text(["rev-parse", "--absolute-git-dir"])?;
        if PathBuf::from(&git_dir).join("MERGE_HEAD").exists() {
            tracing::info!("aborting the merge an interrupted sync left");
            self.git.run(["merge", "--abort"])?;
        }
        let status = self.git.run([
            "status",
            "--porcelain",
            "-z",
            "--untracked-files=all",
            "--",
            SNIPPETS_DIR,
        ])?;
        if !status.stdout.is_empty() {
            tracing::info!("discarding snippet files an interrupted sync did not commit");
            // Unstage and restore what is tracked; either may find nothing
            // to do (no snippet committed yet), which is not an error here.
            if self.head()?.is_some() {
                self.git.output(["reset", "--quiet", "--", SNIPPETS_DIR])?;
                self.git
                    .output(["checkout", "--quiet", "--", SNIPPETS_DIR])?;
            } else {
                self.git.output([
                    "rm",
                    "-r",
                    "--cached",
                    "--quiet",
                    "--ignore-unmatch",
                    "--",
                    SNIPPETS_DIR,
                ])?;
            }
            self.git
                .run(["clean", "-f", "-d", "--quiet", "--", SNIPPETS_DIR])?;
        }
        Ok(())
    }

    /// Import a commit the library has not seen (the first sync's clone,
    /// or a merge whose import a kill prevented).
    fn catch_up(&self, report: &mut SyncReport) -> Result<()> {
        let base = self.store.sync_state(key::BASE)?;
        if let Some(head) = self.head()? {
            if base.as_deref() != Some(head.as_str()) {
                import::import(
                    self.store,
                    &self.git,
                    &self.intake,
                    base.as_deref(),
                    &head,
                    report,
                )?;
            }
        }
        Ok(())
    }

    /// Export and commit this machine's changes; record them as agreed
    /// with the new commit in one transaction.
    fn send(&self, report: &mut SyncReport) -> Result<()> {
        let plan = export::plan(self.store, self.include_secrets)?;
        report.held_back = plan.held_back;
        if plan.changed.is_empty() && plan.deleted.is_empty() {
            return Ok(());
        }
        let written = export::write(self.store, self.repo(), plan, now_ms())?;
        stop_point("after-export");
        let attributes = self.repo().join(".gitattributes");
        if !attributes.exists() {
            // Snippet bytes are content: never let git convert line ends.
            write_file(&attributes, "snippets/** -text\n")?;
        }
        self.git
            .run(["add", "--all", "--", SNIPPETS_DIR, ".gitattributes"])?;
        // Only snipdex's own paths: in a clone the user also works in, what
        // they staged themselves is theirs to commit.
        let staged = !self.git.succeeds([
            "diff",
            "--cached",
            "--quiet",
            "--",
            SNIPPETS_DIR,
            ".gitattributes",
        ])?;
        if staged {
            let message = format!(
                "snipdex: {} from {}\n\n{} new, {} changed, {} deleted\n",
                crate::domain::count(written.new + written.changed + written.deleted, "snippet"),
                super::setup::hostname(),
                written.new,
                written.changed,
                written.deleted
            );
            self.git.run([
                "commit",
                "--quiet",
                "--no-verify",
                "-m",
                &message,
                "--",
                SNIPPETS_DIR,
                ".gitattributes",
            ])?;
            report.committed = true;
        }
        stop_point("after-commit");
        let head = self.head()?;
        self.store.atomically(|st| {
            for (uid, hash) in &written.agreed {
                st.set_sync_hash(uid, Some(hash))?;
            }
            if let Some(h) = &head {
                st.set_sync_state(key::BASE, h)?;
            }
            Ok(())
        })?;
        report.sent_new += written.new;
        report.sent_changed += written.changed;
        report.sent_deleted += written.deleted;
        Ok(())
    }

    fn fetch(&self) -> Result<()> {
        let out = self.git.output(["fetch", "--quiet", "--prune", REMOTE])?;
        if !out.status.success() {
            return Err(self
                .git
                .remote_error(&self.remote_url, &out, &["fetch", REMOTE])
                .into());
        }
        Ok(())
    }

    /// Bring the remote's commits in: fast-forward when only they moved,
    /// else a merge commit whose snippet files are merged field by field.
    fn merge_remote(&self, report: &mut SyncReport) -> Result<()> {
        let tracking = self.tracking();
        let Some(theirs) = self.rev(&tracking)? else {
            return Ok(()); // an empty remote
        };
        let Some(ours) = self.head()? else {
            self.git.run(["reset", "--quiet", "--hard", &theirs])?;
            return Ok(());
        };
        if ours == theirs
            || self
                .git
                .succeeds(["merge-base", "--is-ancestor", &theirs, &ours])?
        {
            return Ok(());
        }
        if self
            .git
            .succeeds(["merge-base", "--is-ancestor", &ours, &theirs])?
        {
            self.git.run(["merge", "--quiet", "--ff-only", &theirs])?;
            return Ok(());
        }
        // Two machines that both started the branch have no common commit;
        // their snippet files cannot overlap (uids), so an empty base does.
        let base = self.git.text(["merge-base", &ours, &theirs]).ok();
        let both = match &base {
            Some(b) => self.changed_on_both_sides(b, &ours, &theirs)?,
            None => Vec::new(),
        };
        // Conflicts are expected and resolved below; the exit status says
        // only that there were some.
        let out = self.git.output([
            "merge",
            "--quiet",
            "--no-ff",
            "--no-commit",
            "--no-verify",
            "--allow-unrelated-histories",
            &theirs,
        ])?;
        let git_dir = PathBuf::from(self.git.text(["rev-parse", "--absolute-git-dir"])?);
        if !out.status.success() && !git_dir.join("MERGE_HEAD").exists() {
            return Err(self.git.failed(&["merge", &theirs], &out).into());
        }
        let mut requests = Vec::with_capacity(both.len() * 3);
        let base = base.unwrap_or_default();
        for path in &both {
            for rev in [&base, &ours, &theirs] {
                requests.push(format!("{rev}:{path}"));
            }
        }
        let blobs = read_blobs(&self.git, &requests)?;
        let now = now_ms();
        let mut resolved = Vec::new();
        for (i, path) in both.iter().enumerate() {
            let uid = import::uid_of_path(path).unwrap_or_default();
            let parse =
                |b: &Option<String>| b.as_deref().and_then(|t| Doc::parse(t, Some(uid)).ok());
            let (b, o, t) = (
                parse(&blobs[i * 3]),
                parse(&blobs[i * 3 + 1]),
                parse(&blobs[i * 3 + 2]),
            );
            let text = match (o, t) {
                (Some(o), Some(t)) => {
                    let (doc, conflicts) = merge(b.as_ref(), &o, &t, now);
                    report.conflicts.extend(conflicts);
                    doc.render()
                }
                // One side unreadable: the readable side wins, and says so.
                (Some(o), None) => {
                    report.refused.push((
                        path.clone(),
                        "the remote's version is unreadable; kept ours".into(),
                    ));
                    o.render()
                }
                (None, Some(t)) => t.render(),
                (None, None) => {
                    report
                        .refused
                        .push((path.clone(), "unreadable on both sides; kept ours".into()));
                    blobs[i * 3 + 1].clone().unwrap_or_default()
                }
            };
            write_file(&self.repo().join(path), &text)?;
            resolved.push(path.clone());
        }
        if !resolved.is_empty() {
            let mut list = Vec::new();
            for p in &resolved {
                list.extend_from_slice(p.as_bytes());
                list.push(0);
            }
            self.git.with_input(
                ["add", "--pathspec-from-file=-", "--pathspec-file-nul"],
                list,
            )?;
        }
        let message = format!(
            "snipdex: merge on {} ({} merged field by field)",
            super::setup::hostname(),
            crate::domain::count(resolved.len(), "snippet")
        );
        self.git
            .run(["commit", "--quiet", "--no-verify", "-m", &message])?;
        Ok(())
    }

    fn changed_on_both_sides(&self, base: &str, ours: &str, theirs: &str) -> Result<Vec<String>> {
        let names = |a: &str, b: &str| -> Result<HashSet<String>> {
            let out = self.git.run([
                "diff",
                "--name-only",
                "-z",
                "--no-renames",
                a,
                b,
                "--",
                &format!("{SNIPPETS_DIR}/"),
            ])?;
            Ok(out
                .stdout
                .split(|c| *c == 0)
                .filter(|p| !p.is_empty())
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .filter(|p| import::uid_of_path(p).is_some())
                .collect())
        };
        let mine = names(base, ours)?;
        let mut both: Vec<String> = names(base, theirs)?
            .into_iter()
            .filter(|p| mine.contains(p))
            .collect();
        both.sort();
        Ok(both)
    }

    /// Push; `Ok(false)` when the remote moved meanwhile (try again).
    fn push(&self) -> Result<bool> {
        let Some(head) = self.head()? else {
            return Ok(true);
        };
        if self.rev(&self.tracking())?.as_deref() == Some(head.as_str()) {
            return Ok(true);
        }
        let refspec = format!("HEAD:refs/heads/{}", self.branch);
        let out = self.git.output(["push", "--quiet", REMOTE, &refspec])?;
        if out.status.success() {
            return Ok(true);
        }
        let said = String::from_utf8_lossy(&out.stderr).to_lowercase();
        // The remote moved since we fetched: seen before sending ("fetch
        // first"), or by the remote itself when it moved while we sent
        // ("cannot lock ref ... but expected ...").
        let raced = (said.contains("[rejected]")
            && (said.contains("fetch first") || said.contains("non-fast-forward")))
            || (said.contains("[remote rejected]")
                && (said.contains("cannot lock ref")
                    || said.contains("failed to update ref")
                    || said.contains("but expected")));
        if raced {
            return Ok(false);
        }
        Err(self
            .git
            .remote_error(&self.remote_url, &out, &["push", REMOTE, &refspec])
            .into())
    }

    /// One full sync.
    pub fn sync(&self) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        super::setup::ensure_identity(&self.git)?;
        self.recover()?;
        if self.head()?.is_none() {
            // The first sync of a library that joins a remote with
            // snippets: take them in before sending anything, so that what
            // both already have (the samples, an earlier import) is
            // matched up instead of doubled.
            self.fetch()?;
            self.merge_remote(&mut report)?;
        }
        self.catch_up(&mut report)?;
        self.send(&mut report)?;
        for _ in 0..PUSH_TRIES {
            self.fetch()?;
            self.merge_remote(&mut report)?;
            stop_point("after-merge");
            self.catch_up(&mut report)?;
            stop_point("before-push");
            if self.push()? {
                report.pushed = self.rev(&self.tracking())? == self.head()?;
                self.store
                    .set_sync_state(key::LAST_SYNC, &now_ms().to_string())?;
                return Ok(report);
            }
            tracing::info!("the remote moved while pushing; merging again");
        }
        Err(GitError::Raced { tries: PUSH_TRIES }.into())
    }

    /// What a sync would move, without changing the library or the
    /// clone's branch (the remote is fetched unless `offline`).
    pub fn status(&self, offline: bool) -> Result<SyncReport> {
        let mut report = SyncReport::default();
        let plan = export::plan(self.store, self.include_secrets)?;
        report.held_back = plan.held_back;
        for (_, uid) in &plan.changed {
            let known = uid
                .as_deref()
                .is_some_and(|u| export::file_of(self.repo(), u).exists());
            if known {
                report.sent_changed += 1;
            } else {
                report.sent_new += 1;
            }
        }
        report.sent_deleted = plan.deleted.len();
        if !offline {
            self.fetch()?;
            report.remote_checked = true;
        }
        let head = self.head()?;
        match (self.rev(&self.tracking())?, head) {
            (Some(theirs), Some(head)) => {
                let common = self.git.text(["merge-base", &head, &theirs]).ok();
                report.received_changed =
                    import::changed_files(&self.git, common.as_deref(), &theirs)?.len();
                report.unpushed = self
                    .git
                    .text(["rev-list", "--count", &format!("{theirs}..{head}")])?
                    .parse()
                    .unwrap_or(0);
            }
            (Some(theirs), None) => {
                report.received_changed = import::changed_files(&self.git, None, &theirs)?.len();
            }
            (None, Some(head)) => {
                report.unpushed = self
                    .git
                    .text(["rev-list", "--count", &head])?
                    .parse()
                    .unwrap_or(0);
            }
            (None, None) => {}
        }
        Ok(report)
    }
}

/// For `snipdex bench-sync`: a bare repository to sync with, made with the
/// user's git in `dir`. Returns its path.
pub fn bench_repo_setup(dir: &std::path::Path) -> Result<PathBuf> {
    let bare = dir.join("remote.git");
    std::fs::create_dir_all(&bare).map_err(SyncError::io(&bare))?;
    Git::new(&bare).run(["init", "--quiet", "--bare"])?;
    Ok(bare)
}
