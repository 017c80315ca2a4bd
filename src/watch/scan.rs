//! A full pass over one watched folder.
//!
//! Built for folders of 100,000 files: the walk is streamed, files the
//! library has never seen cost no query, writes are buffered and committed
//! in batches, and memory grows only with the number of stored paths under
//! the folder (a set of them is how deletions are found), not with content.

use super::sync::{
    apply, is_gone, load_skips, track_skips, FileChange, Known, Op, Orphans, Planner, Skips,
};
use super::WatchError;
use crate::ingest::{walk_with, IngestOptions, WalkIssue};
use crate::store::Store;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Buffered writes are committed when there are this many operations...
const BATCH_OPS: usize = 2_000;
/// ...or about this many bytes of content...
const BATCH_BYTES: usize = 16 << 20;
/// ...or when the oldest has waited this long, so that progress shows.
const BATCH_AGE: Duration = Duration::from_secs(2);

/// What a full scan of one folder found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScanReport {
    pub root: PathBuf,
    /// Files listed by the walk (ignored and hidden files are not listed).
    pub files: usize,
    /// Listed files that were skipped (binary, too large, unreadable, ...).
    pub skipped: usize,
    /// Problems met while walking: symbolic link loops, unreadable folders.
    pub issues: usize,
    /// Files that had snippets but are gone or now ignored.
    pub gone: usize,
    /// Snippet changes, summed over all files.
    pub change: FileChange,
    pub elapsed_ms: u64,
}

/// Bring the library in step with everything under `root`: sync every file
/// the walk lists (honouring `.gitignore`, `.ignore` and hidden files), and
/// remove snippets of files that are gone or now ignored, unless their
/// content turned up in another file, which then takes them over with their
/// metadata (a rename seen as delete + create).
///
/// A missing `root` is an error and removes nothing: an unmounted drive
/// must not empty the library.
pub fn scan_dir(
    store: &mut Store,
    root: &Path,
    opts: &IngestOptions,
) -> Result<ScanReport, WatchError> {
    let mut skips = load_skips(store)?;
    Scan {
        store,
        ingest: opts,
        skips: &mut skips,
        cancel: None,
        nested: &[],
        newly_skipped: None,
    }
    .run(root)
}

/// A scan with the knobs the watcher needs.
pub(crate) struct Scan<'a> {
    pub store: &'a mut Store,
    pub ingest: &'a IngestOptions,
    pub skips: &'a mut Skips,
    /// Set to end the scan early (with [`WatchError::Stopped`]).
    pub cancel: Option<&'a AtomicBool>,
    /// Other watched folders inside this one: what they hold is theirs.
    pub nested: &'a [PathBuf],
    /// Where to put the paths skipped for a new reason, with why, so that
    /// the watcher can say so once.
    pub newly_skipped: Option<&'a mut Vec<(PathBuf, String)>>,
}

impl Scan<'_> {
    pub fn run(self, root: &Path) -> Result<ScanReport, WatchError> {
        let started = Instant::now();
        match std::fs::metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(WatchError::MissingDir(root.to_path_buf())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(WatchError::MissingDir(root.to_path_buf()))
            }
            Err(source) => {
                return Err(WatchError::Io {
                    path: root.to_path_buf(),
                    source,
                })
            }
        }
        let Scan {
            store,
            ingest,
            skips,
            cancel,
            nested,
            mut newly_skipped,
        } = self;
        let mut note = |ops: &[Op], skips: &Skips| {
            if let Some(out) = newly_skipped.as_deref_mut() {
                out.extend(new_skips(ops, skips));
            }
        };
        let ours = |p: &Path| p.starts_with(root) && !nested.iter().any(|n| p.starts_with(n));
        let mut report = ScanReport {
            root: root.to_path_buf(),
            ..ScanReport::default()
        };

        // Stored paths not met by the walk are deleted at the end; those
        // already gone may first be claimed by a file with their content.
        let mut stored: HashSet<PathBuf> = store
            .source_paths()?
            .into_iter()
            .filter(|p| ours(p))
            .collect();
        let mut orphans = Orphans::default();
        let gone: Vec<PathBuf> = stored
            .iter()
            .filter(|p| is_gone(p).unwrap_or(false))
            .cloned()
            .collect();
        for p in &gone {
            stored.remove(p);
            orphans.add(store.by_path(p)?);
        }
        report.gone += gone.len();
        let mut stale_skips: HashSet<PathBuf> = skips.keys().filter(|p| ours(p)).cloned().collect();

        let mut pending = Pending::new(ingest.queue_enrichment);
        let mut unreadable_dirs: Vec<PathBuf> = Vec::new();
        for item in walk_with(root, ingest.follow_links) {
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                pending.flush(store, skips)?;
                return Err(WatchError::Stopped);
            }
            match item {
                Ok(path) => {
                    report.files += 1;
                    stale_skips.remove(&path);
                    let known = if stored.remove(&path) {
                        Known::Unknown
                    } else {
                        Known::NoSnippets
                    };
                    let plan = Planner {
                        store,
                        ingest,
                        orphans: &mut orphans,
                        skips: Some(skips),
                    }
                    .plan(&path, known)?;
                    report.skipped += usize::from(plan.skipped);
                    report.change.absorb(plan.change);
                    note(&plan.ops, skips);
                    let weight = plan.weight();
                    pending.push(plan.ops, weight);
                }
                Err(issue) => {
                    report.issues += 1;
                    if let Some(op) = issue_op(&issue, &mut unreadable_dirs) {
                        if let Op::RecordSkip { path, .. } = &op {
                            stale_skips.remove(path);
                        }
                        note(std::slice::from_ref(&op), skips);
                        pending.push(vec![op], 0);
                    }
                }
            }
            if pending.due() {
                pending.flush(store, skips)?;
            }
        }

        // Listed before, not now: ignored, hidden, or gone since the check
        // above. Unless a folder could not be read this time.
        for path in stored {
            if unreadable_dirs.iter().any(|d| path.starts_with(d)) {
                continue;
            }
            report.gone += 1;
            let ids = store.by_path(&path)?;
            report.change.removed += ids.len();
            pending.push(ids.iter().map(|s| Op::Delete(s.id)).collect(), 0);
        }
        for orphan in orphans.drain() {
            report.change.removed += 1;
            pending.push(vec![Op::Delete(orphan.id)], 0);
        }
        for path in stale_skips {
            pending.push(vec![Op::ClearSkip(path)], 0);
        }
        pending.flush(store, skips)?;
        report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(root = %root.display(), files = report.files, skipped = report.skipped,
            issues = report.issues, change = ?report.change, ms = report.elapsed_ms, "scan done");
        Ok(report)
    }
}

/// The skips among `ops` whose reason is new (not what `skips` holds).
fn new_skips<'o>(ops: &'o [Op], skips: &'o Skips) -> impl Iterator<Item = (PathBuf, String)> + 'o {
    ops.iter().filter_map(move |op| match op {
        Op::RecordSkip {
            path,
            reason,
            detail,
        } if skips.get(path).map(String::as_str) != Some(*reason) => {
            Some((path.clone(), detail.clone()))
        }
        _ => None,
    })
}

/// Log a walk problem; loops and unreadable folders are recorded as skips
/// (so `doctor` shows them), and an unreadable folder's snippets are kept.
fn issue_op(issue: &WalkIssue, unreadable_dirs: &mut Vec<PathBuf>) -> Option<Op> {
    tracing::warn!(%issue, "while scanning");
    match issue {
        WalkIssue::SymlinkLoop { path, .. } => Some(Op::RecordSkip {
            path: path.clone(),
            reason: issue.kind(),
            detail: issue.to_string(),
        }),
        WalkIssue::Io {
            path: Some(path),
            source,
        } if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            // A link that cannot be followed is the link's problem, said as
            // such: links that point at each other loop, a link to nothing
            // dangles. Both are counted like any other skip.
            // The walker's error may have lost the OS code: ask again.
            let followed = std::fs::metadata(path).err();
            let reason = if is_loop(source) || followed.as_ref().is_some_and(is_loop) {
                crate::ingest::SkipReason::SymlinkLoop
            } else if source.kind() == std::io::ErrorKind::NotFound {
                crate::ingest::SkipReason::DanglingSymlink
            } else {
                crate::ingest::SkipReason::Unreadable(source.to_string())
            };
            Some(Op::RecordSkip {
                path: path.clone(),
                reason: reason.kind(),
                detail: format!("{}: {reason}", path.display()),
            })
        }
        WalkIssue::Io {
            path: Some(path),
            source,
        } => {
            unreadable_dirs.push(path.clone());
            // A folder the user may not read is counted with unreadable
            // files, under the reason people look for.
            let reason = if source.kind() == std::io::ErrorKind::PermissionDenied {
                "unreadable"
            } else {
                issue.kind()
            };
            // Something that vanished mid-walk is simply gone, not skipped.
            (source.kind() != std::io::ErrorKind::NotFound).then(|| Op::RecordSkip {
                path: path.clone(),
                reason,
                detail: issue.to_string(),
            })
        }
        _ => None,
    }
}

fn is_loop(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Writes waiting for their batch's transaction.
struct Pending {
    ops: Vec<Op>,
    bytes: usize,
    since: Instant,
    queue_enrichment: bool,
}

impl Pending {
    fn new(queue_enrichment: bool) -> Self {
        Pending {
            ops: Vec::new(),
            bytes: 0,
            since: Instant::now(),
            queue_enrichment,
        }
    }

    fn push(&mut self, ops: Vec<Op>, bytes: usize) {
        if self.ops.is_empty() {
            self.since = Instant::now();
        }
        self.ops.extend(ops);
        self.bytes += bytes;
    }

    fn due(&self) -> bool {
        !self.ops.is_empty()
            && (self.ops.len() >= BATCH_OPS
                || self.bytes >= BATCH_BYTES
                || self.since.elapsed() >= BATCH_AGE)
    }

    fn flush(&mut self, store: &mut Store, skips: &mut Skips) -> Result<(), WatchError> {
        if self.ops.is_empty() {
            return Ok(());
        }
        let ops = std::mem::take(&mut self.ops);
        self.bytes = 0;
        track_skips(skips, &ops);
        let queue = self.queue_enrichment;
        store.transaction(|s| apply(s, ops, queue))?;
        Ok(())
    }
}
