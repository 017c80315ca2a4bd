//! Applying one debounced batch of file-system events.
//!
//! Events only say where to look: every path is re-examined on disk, so a
//! stale or reordered event cannot do harm. A batch is applied as a whole,
//! which lets a file that appeared take over the snippets of a file that
//! disappeared in the same batch (a rename that the backend reported as
//! delete + create, as polling always does).

use super::sync::{
    apply, is_gone, rename, track_skips, FileChange, Known, Op, Orphans, Planner, Skips,
};
use super::visible::{hidden_below, is_ignore_file, visible_files};
use super::WatchError;
use crate::domain::Snippet;
use crate::ingest::IngestOptions;
use crate::store::Store;
use notify::event::{EventKind, ModifyKind, RenameMode};
use notify_debouncer_full::DebouncedEvent;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// The paths a batch of events is about.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Touched {
    /// Renames with both ends known.
    pub renames: Vec<(PathBuf, PathBuf)>,
    /// Paths to re-examine: created, changed, removed, or one end of a
    /// rename whose other end is unknown.
    pub paths: BTreeSet<PathBuf>,
    /// The backend lost events: only a full rescan can catch up.
    pub rescan: bool,
}

impl Touched {
    pub fn from_events(events: Vec<DebouncedEvent>) -> Touched {
        let mut t = Touched::default();
        for DebouncedEvent { event, .. } in events {
            if event.need_rescan() {
                t.rescan = true;
                continue;
            }
            match event.kind {
                // Reading a file changes nothing the library holds.
                EventKind::Access(_) => {}
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)) if event.paths.len() == 2 => {
                    let mut paths = event.paths.into_iter();
                    if let (Some(from), Some(to)) = (paths.next(), paths.next()) {
                        t.renames.push((from, to));
                    }
                }
                _ => t.paths.extend(event.paths),
            }
        }
        t
    }
}

/// What applying a batch did, for the watcher to report.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub changes: BTreeMap<PathBuf, FileChange>,
    /// Roots whose ignore rules changed: rescan them.
    pub rescan: BTreeSet<PathBuf>,
    /// Watched roots that are gone; their snippets were left alone.
    pub missing: BTreeSet<PathBuf>,
    /// With [`Batch::keep_orphans`]: gone files whose snippets nobody
    /// claimed and which were therefore kept for now.
    pub orphaned: BTreeSet<PathBuf>,
    /// Files newly skipped by this batch, with why.
    pub skipped: BTreeMap<PathBuf, String>,
}

/// Everything a batch needs from the watcher.
pub(crate) struct Batch<'a> {
    pub store: &'a mut Store,
    pub ingest: &'a IngestOptions,
    pub skips: &'a mut Skips,
    /// The watched folders.
    pub roots: &'a [PathBuf],
    /// Keep the snippets of gone files that nothing claimed, rather than
    /// deleting them, so that a later batch may still adopt them.
    pub keep_orphans: bool,
}

impl Batch<'_> {
    pub fn apply(self, touched: Touched) -> Result<Outcome, WatchError> {
        let Batch {
            store,
            ingest,
            skips,
            roots,
            keep_orphans,
        } = self;
        let mut out = Outcome::default();
        let Touched {
            renames,
            mut paths,
            rescan: _,
        } = touched;

        for p in paths.iter().chain(renames.iter().flat_map(|(a, b)| [a, b])) {
            if is_ignore_file(p) {
                if let Some(root) = root_of(roots, p) {
                    out.rescan.insert(root.to_path_buf());
                }
            }
        }

        // Renames first, so the new path is examined with its snippets.
        for (from, to) in renames {
            match (root_of(roots, &from), root_of(roots, &to)) {
                (Some(_), Some(_)) if store.by_path(&to)?.is_empty() => {
                    let moved = rename(store, &from, &to)?;
                    if moved > 0 {
                        out.changes.entry(to.clone()).or_default().moved += moved;
                    }
                    paths.insert(to);
                }
                // Onto an existing file (an editor's atomic save): the
                // file's own snippets are matched first, the moved ones
                // may be adopted by content.
                (Some(_), Some(_)) => {
                    paths.insert(from);
                    paths.insert(to);
                }
                (Some(_), None) => {
                    paths.insert(from);
                }
                (None, Some(_)) => {
                    paths.insert(to);
                }
                (None, None) => {}
            }
        }

        let mut orphans = Orphans::default();
        let mut stored = StoredPaths::default();
        let mut ops: Vec<Op> = Vec::new();
        let mut targets: BTreeMap<&Path, Vec<PathBuf>> = BTreeMap::new();
        for p in paths {
            let Some(root) = root_of(roots, &p) else {
                continue;
            };
            if is_gone(root).unwrap_or(false) {
                // An unmounted drive looks like a deleted folder: keep
                // everything until the folder is back or unwatched.
                out.missing.insert(root.to_path_buf());
                continue;
            }
            if is_gone(&p)? {
                orphans.add(stored.under(store, &p)?);
            } else {
                targets.entry(root).or_default().push(p);
            }
        }

        let mut files: Vec<PathBuf> = Vec::new();
        for (root, targets) in targets {
            let visible = visible_files(root, &targets, ingest.follow_links);
            let visible_set: HashSet<&PathBuf> = visible.iter().collect();
            for t in &targets {
                if visible_set.contains(t) {
                    continue;
                }
                // A folder, or a file that is ignored or hidden now: its
                // stored snippets that the walk did not list must go.
                for s in stored.under(store, t)? {
                    let Some(path) = s.source.path().map(Path::to_path_buf) else {
                        continue;
                    };
                    if visible_set.contains(&path) {
                        continue;
                    }
                    if is_gone(&path)? {
                        orphans.add([s]);
                    } else {
                        out.changes.entry(path).or_default().removed += 1;
                        ops.push(Op::Delete(s.id));
                    }
                }
            }
            files.extend(visible);
        }

        for path in files {
            let plan = Planner {
                store,
                ingest,
                orphans: &mut orphans,
                skips: Some(skips),
            }
            .plan(&path, Known::Unknown)?;
            out.changes.entry(path).or_default().absorb(plan.change);
            ops.extend(plan.ops);
        }
        for orphan in orphans.drain() {
            if keep_orphans {
                out.orphaned.insert(orphan.path);
            } else {
                out.changes.entry(orphan.path).or_default().removed += 1;
                ops.push(Op::Delete(orphan.id));
            }
        }
        for op in &ops {
            if let Op::RecordSkip {
                path,
                reason,
                detail,
            } = op
            {
                if skips.get(path).map(String::as_str) != Some(*reason) {
                    out.skipped.insert(path.clone(), detail.clone());
                }
            }
        }
        if !ops.is_empty() {
            track_skips(skips, &ops);
            store.transaction(|s| apply(s, ops, ingest.queue_enrichment))?;
        }
        out.changes.retain(|_, c| !c.is_empty());
        Ok(out)
    }
}

/// The innermost watched root holding `path`.
pub(crate) fn root_of<'r>(roots: &'r [PathBuf], path: &Path) -> Option<&'r Path> {
    roots
        .iter()
        .filter(|r| path.starts_with(r) && !hidden_below(r, path.parent().unwrap_or(r)))
        .max_by_key(|r| r.components().count())
        .map(PathBuf::as_path)
}

/// Finds the stored snippets of a file or of everything under a folder.
///
/// A path known only from an event may have been either. The exact lookup
/// uses an index; the folder case needs every stored path, which is read
/// once per batch and only when some path turns out not to be a file with
/// snippets.
#[derive(Default)]
struct StoredPaths {
    sorted: Option<Vec<PathBuf>>,
}

impl StoredPaths {
    fn under(&mut self, store: &Store, path: &Path) -> Result<Vec<Snippet>, WatchError> {
        let exact = store.by_path(path)?;
        if !exact.is_empty() {
            return Ok(exact);
        }
        let sorted = match &mut self.sorted {
            Some(sorted) => sorted,
            empty => {
                let mut all = store.source_paths()?;
                // Path order is by component, so a folder's descendants
                // follow it without a gap.
                all.sort();
                empty.insert(all)
            }
        };
        let start = sorted.partition_point(|p| p.as_path() <= path);
        let mut out = Vec::new();
        for p in sorted[start..].iter().take_while(|p| p.starts_with(path)) {
            out.extend(store.by_path(p)?);
        }
        Ok(out)
    }
}
