//! Which paths a scan would ingest, for paths named by events.
//!
//! An event names a path, but whether that path belongs in the library
//! depends on every ignore file and hidden folder between the watched root
//! and it. Rather than re-implement the `ignore` crate's precedence rules,
//! the same walk as [`crate::ingest::walk`] is run from the root, pruned to
//! the ancestors of the named paths, so both always agree.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ingest::SNIPDEX_IGNORE_FILE as IGNORE_FILE_NAME;

/// The files under `root` that a full scan would ingest and that are one of
/// `targets` or lie under one of them (a target may be a folder).
pub(crate) fn visible_files(root: &Path, targets: &[PathBuf], follow_links: bool) -> Vec<PathBuf> {
    let wanted: HashSet<PathBuf> = targets
        .iter()
        .filter(|t| t.starts_with(root) && !hidden_below(root, t))
        .cloned()
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    // Folders that must be entered to reach a target.
    let mut on_the_way: HashSet<PathBuf> = HashSet::new();
    for t in &wanted {
        for a in t.ancestors().skip(1) {
            if !a.starts_with(root) || !on_the_way.insert(a.to_path_buf()) {
                break;
            }
        }
    }
    // Sets, not lists: a checkout can name thousands of paths at once.
    let wanted = Arc::new(wanted);
    let keep = Arc::clone(&wanted);
    let links = crate::ingest::link_rule(root, follow_links);
    crate::ingest::walk_builder(root)
        .filter_entry(move |entry| {
            let p = entry.path();
            (on_the_way.contains(p) || within(&keep, p)) && links(entry)
        })
        .build()
        .filter_map(|entry| match entry {
            // The scan's rule, so events and scans see the same paths.
            Ok(entry) => crate::ingest::is_candidate(&entry).then(|| entry.into_path()),
            // Paths that vanish or cannot be read are for the sync to
            // notice; here they are simply not visible.
            Err(err) => {
                tracing::debug!(%err, "while checking event paths");
                None
            }
        })
        .filter(|p| within(&wanted, p))
        .collect()
}

/// Whether `p` is one of `set` or lies under one of them.
fn within(set: &HashSet<PathBuf>, p: &Path) -> bool {
    p.ancestors().any(|a| set.contains(a))
}

/// Whether a component of `path` below `root` is hidden: the walk skips
/// those, and this answers without listing any folder.
pub(crate) fn hidden_below(root: &Path, path: &Path) -> bool {
    path.strip_prefix(root).is_ok_and(|rel| {
        rel.components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    })
}

/// Whether a change to `path` may change what is ignored.
pub(crate) fn is_ignore_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == ".gitignore" || n == ".ignore" || n == IGNORE_FILE_NAME)
}
