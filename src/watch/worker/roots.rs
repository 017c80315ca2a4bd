//! The watcher's folders and its backend: watching, falling back to
//! polling, and noticing folders that vanish or (re)appear.

use super::super::backend::Backend;
use super::super::{WatchError, WatchEvent};
use super::{Root, Worker};
pub(super) use folders::Folders;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod folders;

impl Worker {
    pub(super) fn start_backend(&mut self) {
        let debounce = Duration::from_millis(self.cfg.debounce_ms);
        if !self.force_polling {
            match Backend::native(debounce, self.tx.clone()) {
                Ok(b) => {
                    let state = b.state();
                    self.backend = Some(b);
                    self.emit(WatchEvent::State(state));
                    return;
                }
                Err(source) => self.report(&WatchError::Notify { path: None, source }),
            }
        }
        self.start_polling();
    }

    fn start_polling(&mut self) {
        let debounce = Duration::from_millis(self.cfg.debounce_ms);
        match Backend::polling(debounce, self.poll_interval(), self.tx.clone()) {
            Ok(b) => {
                let state = b.state();
                self.backend = Some(b);
                self.emit(WatchEvent::State(state));
            }
            // Without a backend only the periodic rescans keep up.
            Err(source) => {
                self.backend = None;
                self.report(&WatchError::Notify { path: None, source });
            }
        }
    }

    /// Native events stopped working (typically the inotify watch limit):
    /// poll every folder instead.
    fn fall_back_to_polling(&mut self) {
        tracing::warn!("native file events unavailable; polling instead");
        self.backend = None;
        self.start_polling();
        for i in 0..self.roots.len() {
            self.roots[i].watched = false;
            self.roots[i].folders = None;
            self.watch_root(i);
        }
        // Changes made while no backend listened were not reported.
        self.rescan_due = true;
    }

    pub(super) fn backend_error(&mut self, err: notify::Error) {
        let native = matches!(self.backend, Some(Backend::Native(_)));
        let path = err.paths.first().cloned();
        let limit = matches!(err.kind, notify::ErrorKind::MaxFilesWatch);
        let err = WatchError::Notify { path, source: err };
        // A poller meets an unreadable folder on every pass: say so once.
        if self.backend_errors.insert(err.to_string()) {
            self.report(&err);
        } else {
            tracing::debug!(%err, "again");
        }
        if native && limit {
            self.fall_back_to_polling();
        }
    }

    /// Add a root (not yet scanned); returns its absolute path if it is new.
    pub(super) fn add_root(&mut self, dir: PathBuf) -> Option<PathBuf> {
        let path = match std::path::absolute(&dir) {
            Ok(p) => p,
            Err(source) => {
                self.report(&WatchError::Io { path: dir, source });
                return None;
            }
        };
        if self.roots.iter().any(|r| r.path == path) {
            return None;
        }
        self.roots.push(Root {
            path: path.clone(),
            watched: false,
            folders: None,
        });
        self.watch_root(self.roots.len() - 1);
        Some(path)
    }

    pub(super) fn remove_root(&mut self, dir: &Path) {
        let path = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let Some(i) = self.roots.iter().position(|r| r.path == path) else {
            return;
        };
        let root = self.roots.remove(i);
        if root.watched {
            if let Some(b) = &mut self.backend {
                let each = root.folders.as_ref().map(Folders::watched);
                for p in each.unwrap_or_else(|| vec![root.path.clone()]) {
                    if let Err(err) = b.unwatch(&p) {
                        tracing::debug!(%err, path = %p.display(), "unwatch");
                    }
                }
            }
        }
    }

    fn watch_root(&mut self, i: usize) {
        let path = self.roots[i].path.clone();
        if !path.is_dir() {
            self.report(&WatchError::MissingDir(path));
            return;
        }
        let Some(backend) = &mut self.backend else {
            return;
        };
        match backend.watch(&path) {
            Ok(()) => self.roots[i].watched = true,
            Err(err) => {
                let native = matches!(backend, Backend::Native(_));
                // A recursive watch may have half succeeded.
                let _ = backend.unwatch(&path);
                let missing = matches!(err.kind, notify::ErrorKind::PathNotFound);
                let limit = matches!(err.kind, notify::ErrorKind::MaxFilesWatch);
                if native && !missing && !limit {
                    // Typically one folder inside that cannot be read: it
                    // must not cost the rest of the tree its native events.
                    tracing::info!(%err, root = %path.display(), "watching folder by folder");
                    self.watch_by_folder(i);
                    return;
                }
                self.report(&WatchError::Notify {
                    path: Some(path),
                    source: err,
                });
                if native && !missing {
                    self.fall_back_to_polling();
                }
            }
        }
    }

    /// Notice watched folders that vanished or came (back).
    pub(super) fn check_roots(&mut self) {
        for i in 0..self.roots.len() {
            let exists = self.roots[i].path.is_dir();
            let path = self.roots[i].path.clone();
            if self.roots[i].watched && !exists {
                self.roots[i].watched = false;
                let folders = self.roots[i].folders.take();
                if let Some(b) = &mut self.backend {
                    let each = folders.as_ref().map(Folders::watched);
                    for p in each.unwrap_or_else(|| vec![path.clone()]) {
                        let _ = b.unwatch(&p);
                    }
                }
                self.report(&WatchError::MissingDir(path));
            } else if !self.roots[i].watched && exists {
                self.watch_root(i);
                if self.roots[i].watched {
                    self.rescan(&path);
                }
            }
        }
    }
}
