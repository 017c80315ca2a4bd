//! Applying one file to the library.
//!
//! Work is split into a plan (read the file and the store, decide) and its
//! application (write), so that a scan can plan many files and write them in
//! one transaction, and so that an unchanged file produces an empty plan and
//! no write at all: no new `updated_at`, no index outbox entry, no
//! re-enrichment.

pub(crate) use super::matching::match_blocks;
use super::WatchError;
use crate::domain::{NewSnippet, Snippet, SnippetId, Source};
use crate::ingest::{ingest_file, IngestOptions, SkipReason};
use crate::intake::{Intake, IntakeError, Origin};
use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// Recorded skips: path to reason kind.
pub(crate) type Skips = HashMap<PathBuf, String>;
use std::io;
use std::path::{Path, PathBuf};

/// What happened to the snippets of one file (or of all files of a scan).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FileChange {
    /// New snippets.
    pub added: usize,
    /// Snippets whose content or position in the file changed.
    pub updated: usize,
    /// Snippets that followed their content from a renamed or deleted file
    /// to this one, keeping title, tags and the rest.
    pub moved: usize,
    /// Snippets deleted because their block or file is gone.
    pub removed: usize,
    /// Snippets left as they were.
    pub unchanged: usize,
}

impl FileChange {
    /// Whether anything was written.
    pub fn is_empty(&self) -> bool {
        self.added + self.updated + self.moved + self.removed == 0
    }

    pub(crate) fn absorb(&mut self, other: FileChange) {
        self.added += other.added;
        self.updated += other.updated;
        self.moved += other.moved;
        self.removed += other.removed;
        self.unchanged += other.unchanged;
    }
}

/// Snippets whose files are gone but which may yet be claimed by a file
/// with the same content (a rename seen as delete + create). Whatever is
/// left unclaimed is deleted by the owner of the pool.
#[derive(Debug, Default)]
pub(crate) struct Orphans {
    by_hash: HashMap<String, Vec<Orphan>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Orphan {
    pub id: SnippetId,
    pub path: PathBuf,
}

impl Orphans {
    pub fn add(&mut self, snippets: impl IntoIterator<Item = Snippet>) {
        for s in snippets {
            if let Some(path) = s.source.path() {
                let orphan = Orphan {
                    id: s.id,
                    path: path.to_path_buf(),
                };
                self.by_hash.entry(s.content_hash).or_default().push(orphan);
            }
        }
    }

    pub(crate) fn claim(&mut self, hash: &str) -> Option<Orphan> {
        let list = self.by_hash.get_mut(hash)?;
        let orphan = list.pop();
        if list.is_empty() {
            self.by_hash.remove(hash);
        }
        orphan
    }

    /// Everything left unclaimed.
    pub fn drain(&mut self) -> impl Iterator<Item = Orphan> + '_ {
        self.by_hash.drain().flat_map(|(_, list)| list)
    }
}

/// One write.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    // Boxed: a scan buffers thousands of ops, mostly small ones.
    Insert(Box<NewSnippet>),
    Update {
        id: SnippetId,
        content: String,
        language: String,
        source: Source,
        secrets: Vec<String>,
    },
    Delete(SnippetId),
    RecordSkip {
        path: PathBuf,
        reason: &'static str,
        detail: String,
    },
    ClearSkip(PathBuf),
}

/// The writes that bring the library in step with one file.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub ops: Vec<Op>,
    pub change: FileChange,
    /// Whether the file was skipped (with a recorded reason).
    pub skipped: bool,
}

impl Plan {
    /// Rough size in memory, to bound how much a scan buffers.
    pub fn weight(&self) -> usize {
        self.ops
            .iter()
            .map(|op| match op {
                Op::Insert(n) => n.content.len() + 256,
                Op::Update { content, .. } => content.len() + 128,
                _ => 64,
            })
            .sum()
    }
}

/// How much of the store the planner needs to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    /// The store may have snippets for the path: look.
    Unknown,
    /// The caller knows there are none (a scan's new file): skip the query.
    NoSnippets,
}

/// Options for one planning pass.
pub(crate) struct Planner<'a> {
    pub store: &'a Store,
    pub ingest: &'a IngestOptions,
    pub orphans: &'a mut Orphans,
    /// The recorded skips (path to reason kind) when the caller knows them
    /// all: then a skip already recorded for the same reason is not written
    /// again, and a readable file clears a skip only when it had one.
    pub skips: Option<&'a Skips>,
}

impl Planner<'_> {
    /// Re-stat and read `path`, and decide what to write.
    pub fn plan(&mut self, path: &Path, known: Known) -> Result<Plan, WatchError> {
        let stored = match known {
            Known::Unknown => self.store.by_path(path)?,
            Known::NoSnippets => Vec::new(),
        };
        if is_gone(path)? {
            tracing::debug!(path = %path.display(), "file is gone");
            let mut plan = remove_all(stored);
            plan.ops.push(Op::ClearSkip(path.to_path_buf()));
            return Ok(plan);
        }
        match ingest_file(path, self.ingest) {
            Ok(blocks) => {
                let mut plan = match_blocks(stored, blocks, path, self.orphans);
                if self.skips.is_none_or(|k| k.contains_key(path)) {
                    plan.ops.push(Op::ClearSkip(path.to_path_buf()));
                }
                Ok(plan)
            }
            Err(reason) => Ok(self.skip(path, stored, &reason)),
        }
    }

    fn skip(&self, path: &Path, stored: Vec<Snippet>, reason: &SkipReason) -> Plan {
        tracing::info!(path = %path.display(), reason = %reason, "skipped file");
        // Gone between the stat and the read, or now a folder or a broken
        // link: its old content is no longer there to keep.
        let content_gone = matches!(
            reason,
            SkipReason::Vanished | SkipReason::DanglingSymlink | SkipReason::NotAFile
        );
        let mut plan = if content_gone {
            remove_all(stored)
        } else {
            // The last good version stays searchable until the file is
            // readable again.
            Plan {
                change: FileChange {
                    unchanged: stored.len(),
                    ..FileChange::default()
                },
                ..Plan::default()
            }
        };
        plan.skipped = true;
        let kind = reason.kind();
        if matches!(reason, SkipReason::Vanished) {
            plan.ops.push(Op::ClearSkip(path.to_path_buf()));
        } else if self
            .skips
            .is_none_or(|k| k.get(path).map(String::as_str) != Some(kind))
        {
            plan.ops.push(Op::RecordSkip {
                path: path.to_path_buf(),
                reason: kind,
                detail: reason.to_string(),
            });
        }
        plan
    }
}

/// Whether nothing at all is at `path` any more (not even a broken link).
pub(crate) fn is_gone(path: &Path) -> Result<bool, WatchError> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        // A parent that became a file reads as "not a directory".
        Err(e) if e.raw_os_error() == Some(NOT_A_DIRECTORY) => Ok(true),
        Err(source) => Err(WatchError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(unix)]
const NOT_A_DIRECTORY: i32 = 20; // ENOTDIR
#[cfg(not(unix))]
const NOT_A_DIRECTORY: i32 = 267; // ERROR_DIRECTORY

fn remove_all(stored: Vec<Snippet>) -> Plan {
    Plan {
        change: FileChange {
            removed: stored.len(),
            ..FileChange::default()
        },
        ops: stored.into_iter().map(|s| Op::Delete(s.id)).collect(),
        skipped: false,
    }
}

/// Write planned operations. Run inside [`Store::transaction`] to make a
/// batch atomic. New and changed blocks go through the write path
/// ([`crate::intake`]), which queues their enrichment (with
/// `queue_enrichment`) with the row.
pub(crate) fn apply(store: &Store, ops: Vec<Op>, queue_enrichment: bool) -> Result<(), StoreError> {
    let intake = Intake {
        enrich: queue_enrichment,
        // Blocks of files already held to the file limit.
        max_bytes: u64::MAX,
    };
    for op in ops {
        match op {
            Op::Insert(new) => {
                let source = new.source.clone();
                match intake.add(store, *new, Origin::File) {
                    Ok(_) => {}
                    Err(IntakeError::Refused(why)) => {
                        tracing::info!(%why, ?source, "block not stored");
                    }
                    Err(IntakeError::Store(e)) => return Err(e),
                }
            }
            Op::Update {
                id,
                content,
                language,
                source,
                secrets,
            } => intake.refresh_from_file(store, id, &content, &language, &source, &secrets)?,
            Op::Delete(id) => {
                store.delete(id)?;
            }
            Op::RecordSkip {
                path,
                reason,
                detail,
            } => store.record_skip(&path, reason, &detail)?,
            Op::ClearSkip(path) => store.clear_skip(&path)?,
        }
    }
    Ok(())
}

/// Bring the snippets of one file in step with the file: re-stat it, read
/// it, and add, update or remove snippets. An unreadable, binary or too
/// large file is recorded as skipped and keeps its snippets; a file that is
/// gone loses them. An unchanged file writes nothing.
///
/// This does not adopt snippets of other files; the watcher and
/// [`super::scan_dir`] do, because they know which files disappeared.
pub fn sync_file(
    store: &mut Store,
    path: &Path,
    opts: &IngestOptions,
) -> Result<FileChange, WatchError> {
    let mut orphans = Orphans::default();
    let plan = Planner {
        store,
        ingest: opts,
        orphans: &mut orphans,
        skips: None,
    }
    .plan(path, Known::Unknown)?;
    let queue = opts.queue_enrichment;
    if plan.change.is_empty() {
        // Only skip bookkeeping: one statement, no transaction to hold.
        apply(store, plan.ops, queue)?;
    } else {
        store.transaction(|s| apply(s, plan.ops, queue))?;
    }
    Ok(plan.change)
}

/// Follow a rename of a file or folder: its snippets move with it and keep
/// their metadata. Returns how many snippets moved.
pub fn rename(store: &Store, from: &Path, to: &Path) -> Result<usize, WatchError> {
    let moved = store.rename_path(from, to)?;
    if moved > 0 {
        tracing::debug!(from = %from.display(), to = %to.display(), moved, "followed a rename");
    }
    Ok(moved)
}

/// Keep a caller's copy of the recorded skips in step with `ops`.
pub(crate) fn track_skips(skips: &mut Skips, ops: &[Op]) {
    for op in ops {
        match op {
            Op::RecordSkip { path, reason, .. } => {
                skips.insert(path.clone(), (*reason).to_owned());
            }
            Op::ClearSkip(path) => {
                skips.remove(path);
            }
            _ => {}
        }
    }
}

/// Every recorded skip, to plan a scan or a watcher's syncs with.
pub(crate) fn load_skips(store: &Store) -> Result<Skips, StoreError> {
    Ok(store
        .recent_skips(i64::MAX as usize)?
        .into_iter()
        .map(|(path, reason, _)| (path, reason))
        .collect())
}
