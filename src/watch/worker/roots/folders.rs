//! Watching a root folder by folder.
//!
//! A recursive native watch is all or nothing: inotify refuses a folder the
//! user cannot read, and notify then gives up on the whole tree. Rather than
//! poll everything for the sake of one folder, such a root gets one watch
//! per folder. Folders that refuse are recorded once, reported once, and
//! tried again at every rescan; new folders are watched as their events
//! arrive.

use super::super::super::batch::Touched;
use super::super::Worker;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The per-folder watches of one root.
#[derive(Debug, Default)]
pub(in crate::watch::worker) struct Folders {
    watched: BTreeSet<PathBuf>,
    /// Folders whose watch was refused (permission denied, mostly).
    unreadable: BTreeSet<PathBuf>,
}

impl Folders {
    pub fn watched(&self) -> Vec<PathBuf> {
        self.watched.iter().cloned().collect()
    }

    /// Forget `path` and everything below it; returns the watched ones.
    fn forget(&mut self, path: &Path) -> Vec<PathBuf> {
        let below = |set: &BTreeSet<PathBuf>| -> Vec<PathBuf> {
            set.range(path.to_path_buf()..)
                .take_while(|p| p.starts_with(path))
                .cloned()
                .collect()
        };
        let watched = below(&self.watched);
        for p in &watched {
            self.watched.remove(p);
        }
        for p in below(&self.unreadable) {
            self.unreadable.remove(&p);
        }
        watched
    }
}

impl Worker {
    /// Watch root `i` one folder at a time (its recursive watch failed).
    pub(in crate::watch::worker) fn watch_by_folder(&mut self, i: usize) {
        let root = self.roots[i].path.clone();
        self.roots[i].folders = Some(Folders::default());
        self.roots[i].watched = true;
        self.watch_tree(i, &root);
    }

    /// Watch `start` and every folder below it that is not watched yet.
    /// Hitting the system's watch limit means polling after all.
    fn watch_tree(&mut self, i: usize, start: &Path) {
        let mut refused: Vec<(PathBuf, String)> = Vec::new();
        let mut stack = vec![start.to_path_buf()];
        let mut limit = None;
        while let Some(dir) = stack.pop() {
            let (Some(folders), Some(backend)) = (&mut self.roots[i].folders, &mut self.backend)
            else {
                return;
            };
            if folders.watched.contains(&dir) {
                continue;
            }
            match backend.watch_one(&dir) {
                Ok(()) => {
                    folders.unreadable.remove(&dir);
                    folders.watched.insert(dir.clone());
                }
                Err(e) if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) => {
                    limit = Some(e);
                    break;
                }
                // Gone since it was listed: its removal is another event.
                Err(e) if matches!(e.kind, notify::ErrorKind::PathNotFound) => continue,
                Err(e) => {
                    if folders.unreadable.insert(dir.clone()) {
                        refused.push((dir, e.to_string()));
                    }
                    continue;
                }
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            // Links are not followed: a folder they lead to inside the root
            // is watched in its own place.
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(entry.path());
                }
            }
        }
        // The scan that reads the tree records and reports the folder (as
        // `unreadable`, once); here it is only logged.
        for (path, why) in refused {
            tracing::warn!(path = %path.display(), %why, "cannot watch a folder; retried at each rescan");
        }
        if let Some(err) = limit {
            // Reported, and native events given up for polling.
            self.backend_error(err);
        }
    }

    /// Keep the per-folder watches in step with a batch: watch folders that
    /// appeared (or were renamed into place), drop those that went.
    pub(in crate::watch::worker) fn follow_folders(&mut self, touched: &Touched) {
        let mut paths: BTreeSet<&PathBuf> = touched.paths.iter().collect();
        paths.extend(touched.renames.iter().flat_map(|(a, b)| [a, b]));
        for i in 0..self.roots.len() {
            if self.roots[i].folders.is_none() {
                continue;
            }
            let root = self.roots[i].path.clone();
            let mut new_dirs = Vec::new();
            for p in paths.iter().filter(|p| p.starts_with(&root)) {
                let is_dir = std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
                if is_dir {
                    new_dirs.push((*p).clone());
                    continue;
                }
                let Some(folders) = &mut self.roots[i].folders else {
                    break;
                };
                let gone = folders.forget(p);
                if let Some(b) = &mut self.backend {
                    for dir in gone {
                        // The OS dropped the watch with the folder already.
                        let _ = b.unwatch(&dir);
                    }
                }
            }
            for dir in new_dirs {
                self.watch_tree(i, &dir);
            }
        }
    }

    /// Try the folders that refused a watch again; those that can be read
    /// now are watched (and the rescan that follows reads them).
    pub(in crate::watch::worker) fn retry_unreadable_folders(&mut self) {
        for i in 0..self.roots.len() {
            let Some(folders) = &mut self.roots[i].folders else {
                continue;
            };
            let waiting: Vec<PathBuf> = folders.unreadable.iter().cloned().collect();
            for dir in waiting {
                if !dir.is_dir() {
                    if let Some(folders) = &mut self.roots[i].folders {
                        folders.forget(&dir);
                    }
                    continue;
                }
                self.watch_tree(i, &dir);
                let readable = self.roots[i]
                    .folders
                    .as_ref()
                    .is_some_and(|f| !f.unreadable.contains(&dir));
                if readable {
                    tracing::info!(path = %dir.display(), "a folder that could not be watched is watched now");
                }
            }
        }
    }
}
