//! Where snipdex keeps its files. The only user of `directories`.
//!
//! `SNIPDEX_HOME` overrides everything: config, data, logs and models then all
//! live under that one folder, which is what tests and portable installs want.

use std::path::{Path, PathBuf};

/// File in the models folder naming the model `snipdex model use` chose.
pub const ACTIVE_MODEL_FILE: &str = "active-model";

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error("cannot find a home directory to keep the library in; set SNIPDEX_HOME")]
    NoHome,
    #[error("cannot create {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Every location snipdex reads or writes.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    /// Resolve from `SNIPDEX_HOME`, else the platform's conventional folders.
    pub fn resolve() -> Result<Paths, PathsError> {
        if let Some(home) = std::env::var_os("SNIPDEX_HOME").filter(|h| !h.is_empty()) {
            return Ok(Paths::under(Path::new(&home)));
        }
        let dirs = directories::ProjectDirs::from("dev", "snipdex", "snipdex")
            .ok_or(PathsError::NoHome)?;
        let data_dir = dirs.data_dir().to_path_buf();
        Ok(Paths {
            config_dir: dirs.config_dir().to_path_buf(),
            log_dir: dirs
                .state_dir()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| data_dir.join("logs")),
            data_dir,
        })
    }

    /// All folders under one root.
    pub fn under(root: &Path) -> Paths {
        Paths {
            config_dir: root.to_path_buf(),
            data_dir: root.to_path_buf(),
            log_dir: root.join("logs"),
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("snipdex.db")
    }
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }
    pub fn models_dir(&self) -> PathBuf {
        self.data_dir.join("models")
    }
    /// A user's own adapters; they override the shipped ones task by task.
    pub fn adapters_dir(&self) -> PathBuf {
        self.data_dir.join("adapters")
    }
    /// Its presence keeps enrichment paused across runs and processes.
    pub fn enrich_pause_marker(&self) -> PathBuf {
        self.data_dir.join("enrich.paused")
    }
    /// Its presence says the user turned down the model download offer.
    pub fn model_declined_marker(&self) -> PathBuf {
        self.data_dir.join("model.declined")
    }
    /// The user's prompt templates, overriding the shipped ones.
    pub fn prompts_dir(&self) -> PathBuf {
        self.config_dir.join("prompts")
    }
    /// The user's additions to the documentation-link table.
    pub fn link_table_file(&self) -> PathBuf {
        self.config_dir.join("doclinks.toml")
    }
    /// The user's additions to the tag vocabulary.
    pub fn vocabulary_file(&self) -> PathBuf {
        self.config_dir.join("tags.toml")
    }
    /// Held by the one running instance that owns the library.
    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("snipdex.lock")
    }

    /// The git clone that `snipdex sync` works in (unless `sync init` was
    /// given an existing clone).
    pub fn sync_repo_dir(&self) -> PathBuf {
        self.data_dir.join("sync")
    }
    /// Held by the one `snipdex sync` (or automatic sync) running.
    pub fn sync_lock_file(&self) -> PathBuf {
        self.data_dir.join("sync.lock")
    }

    /// The log file, in the log folder.
    pub fn log_file(&self) -> PathBuf {
        self.log_dir.join("snipdex.log")
    }

    /// Create the folders that must exist before anything is written. They
    /// hold the library (snippets flagged as keys and tokens among them),
    /// so a folder this creates is private to the user (0700), whatever
    /// the umask.
    pub fn ensure(&self) -> Result<(), PathsError> {
        for dir in [&self.config_dir, &self.data_dir, &self.log_dir] {
            let fail = |source| PathsError::Create {
                path: dir.clone(),
                source,
            };
            create_private_dir(dir).map_err(fail)?;
            // snipdex's own files are never snippets, even when a watched
            // folder holds this one: a walk honours this file everywhere.
            let ignore = dir.join(crate::ingest::SNIPDEX_IGNORE_FILE);
            if !ignore.exists() {
                std::fs::write(&ignore, OWN_FILES_IGNORE).map_err(fail)?;
            }
        }
        Ok(())
    }

    /// Make existing folders and files of the library private to the user
    /// (folders 0700; database, log and lock 0600) where others could read
    /// them. Creates nothing. Returns what was changed, so the caller can
    /// tell the user.
    pub fn tighten(&self) -> Vec<Tightened> {
        let db = self.database();
        let sidecar = |suffix: &str| {
            let mut name = db.clone().into_os_string();
            name.push(suffix);
            PathBuf::from(name)
        };
        let (wal, shm) = (sidecar("-wal"), sidecar("-shm"));
        let dirs = [&self.config_dir, &self.data_dir, &self.log_dir];
        let files = [&db, &wal, &shm, &self.log_file(), &self.lock_file()];
        let mut changed = Vec::new();
        for (paths, mode) in [(&dirs[..], 0o700), (&files[..], 0o600)] {
            for path in paths {
                match tighten_one(path, mode) {
                    Ok(Some(t)) => changed.push(t),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "cannot tighten permissions")
                    }
                }
            }
        }
        changed
    }
}

/// Written into snipdex's own folders as `.snipdexignore`.
const OWN_FILES_IGNORE: &str =
    "# Written by snipdex: nothing in its own folder is a snippet, even when\n# a watched folder holds this one.\n*\n";

/// A folder or file whose permissions [`Paths::tighten`] narrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tightened {
    pub path: PathBuf,
    pub from: u32,
    pub to: u32,
}

impl std::fmt::Display for Tightened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "made {} private ({:04o} -> {:04o})",
            self.path.display(),
            self.from,
            self.to
        )
    }
}

/// Create `dir` (and missing parents, with the usual modes) so that the
/// folder itself is 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        other => other,
    }
}

/// Take the exclusive lock on `path` (created 0600) and write this
/// process's id into it. `Ok(Err(pid))` when another process holds it (its
/// id, as it wrote it, or empty). The lock goes with the returned file: on
/// drop, or when the process dies, so a crash leaves no stale lock.
pub fn lock_with_pid(path: &Path) -> std::io::Result<Result<std::fs::File, String>> {
    use std::io::{Read, Seek, Write};
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            return Ok(Err(pid.trim().to_string()));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    Ok(Ok(file))
}

/// Open (creating it 0600 if it is missing) a file of the library for
/// appending.
pub fn open_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(unix)]
fn tighten_one(path: &Path, mode: u32) -> std::io::Result<Option<Tightened>> {
    use std::os::unix::fs::PermissionsExt;
    // Not following links: a link's target is not ours to change.
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => return Ok(None),
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let from = meta.permissions().mode() & 0o7777;
    if from & 0o077 == 0 {
        return Ok(None);
    }
    let to = mode;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(to))?;
    Ok(Some(Tightened {
        path: path.to_path_buf(),
        from,
        to,
    }))
}

#[cfg(not(unix))]
fn tighten_one(_path: &Path, _mode: u32) -> std::io::Result<Option<Tightened>> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_lives_under_one_root() {
        let root = tempfile::tempdir().unwrap();
        let p = Paths::under(root.path());
        p.ensure().unwrap();
        for f in [p.config_file(), p.database(), p.index_dir(), p.lock_file()] {
            assert!(f.starts_with(root.path()), "{f:?}");
        }
        assert!(p.log_dir.is_dir());
    }
}
