//! Opening the library as a whole: paths, config, store and index together,
//! plus the lock that makes one running instance its owner.

use crate::config::{Config, ConfigError};
use crate::domain::{NewSnippet, Snippet};
use crate::index::{IndexError, SearchIndex};
use crate::intake::{Intake, IntakeError, Origin};
use crate::paths::{Paths, PathsError};
use crate::store::{Store, StoreError};
use std::fs::File;

#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error(transparent)]
    Paths(#[from] PathsError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("another snipdex{pid} already owns this library; close it first (CLI commands like `snipdex add` still work meanwhile)")]
    AlreadyRunning { pid: String },
    #[error("not added: {0}")]
    Refused(#[from] crate::ingest::Refused),
    #[error("cannot use the lock file {path}: {source}")]
    Lock {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl From<IntakeError> for LibraryError {
    fn from(e: IntakeError) -> LibraryError {
        match e {
            IntakeError::Refused(r) => LibraryError::Refused(r),
            IntakeError::Store(s) => LibraryError::Store(s),
        }
    }
}

/// Paths, config, store and index of one library.
pub struct Library {
    pub paths: Paths,
    pub config: Config,
    pub store: Store,
    pub index: SearchIndex,
}

impl Library {
    /// Open everything; the index is brought up to date (or rebuilt) when
    /// this process can take its writer.
    pub fn open(paths: Paths) -> Result<Library, LibraryError> {
        paths.ensure()?;
        let config = Config::load(&paths.config_file())?;
        let store = Store::open(&paths.database(), &paths.backups_dir())?;
        let index = SearchIndex::open_synced(&paths.index_dir(), &store)?;
        Ok(Library {
            paths,
            config,
            store,
            index,
        })
    }

    /// Add a snippet and make it searchable (now, if this process owns the
    /// index; otherwise the owner picks it up from the outbox). With
    /// enrichment enabled, its enrichment job is queued in the same
    /// transaction, so no snippet is stored without one.
    pub fn add(&mut self, new: &NewSnippet) -> Result<Snippet, LibraryError> {
        let (s, _) = self.intake().add(&self.store, new.clone(), Origin::User)?;
        self.sync_index();
        Ok(s)
    }

    /// The write path ([`crate::intake`]) set up by this library's config.
    pub fn intake(&self) -> Intake {
        Intake::new(&self.config)
    }

    /// Apply pending index changes; a failure here never loses data (the
    /// outbox keeps them), so it is logged rather than returned.
    pub fn sync_index(&self) {
        if let Err(e) = self.index.sync(&self.store) {
            tracing::warn!(error = %e, "search index update deferred");
        }
    }
}

/// Held while an instance owns the library (the TUI, `snipdex watch`).
/// Released when dropped or when the process dies, so a crash never leaves
/// a stale lock behind.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

impl InstanceLock {
    pub fn acquire(paths: &Paths) -> Result<InstanceLock, LibraryError> {
        let path = paths.lock_file();
        let err = |source| LibraryError::Lock {
            path: path.clone(),
            source,
        };
        paths.ensure()?;
        let file = match crate::paths::lock_with_pid(&path).map_err(err)? {
            Ok(file) => file,
            Err(pid) => {
                return Err(LibraryError::AlreadyRunning {
                    pid: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {pid})")
                    },
                })
            }
        };
        Ok(InstanceLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_instance_owns_the_library() {
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(root.path());
        let first = InstanceLock::acquire(&paths).unwrap();
        let second = InstanceLock::acquire(&paths).unwrap_err();
        assert!(
            second.to_string().contains(&std::process::id().to_string()),
            "{second}"
        );
        drop(first);
        InstanceLock::acquire(&paths).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_lock_and_the_folders_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let paths = Paths::under(&root.path().join("lib"));
        let _lock = InstanceLock::acquire(&paths).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&paths.lock_file()), 0o600);
        assert_eq!(mode(&paths.data_dir), 0o700);
        assert_eq!(mode(&paths.log_dir), 0o700);
    }

    #[test]
    fn add_makes_a_snippet_searchable() {
        let root = tempfile::tempdir().unwrap();
        let mut lib = Library::open(Paths::under(root.path())).unwrap();
        let s = lib
            .add(&NewSnippet {
                title: "Reverse a list".into(),
                content: "xs[::-1]".into(),
                language: "python".into(),
                ..Default::default()
            })
            .unwrap();
        let hits = lib.index.search("reverse", 5).unwrap();
        assert_eq!(hits[0].id, s.id);
        let job = lib.store.next_job(3).unwrap().unwrap();
        assert_eq!((job.snippet_id, job.fields.len()), (s.id, 0));
    }

    #[test]
    fn add_queues_no_job_with_enrichment_disabled() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join("config.toml"),
            "[enrich]\nenabled = false\n",
        )
        .unwrap();
        let mut lib = Library::open(Paths::under(root.path())).unwrap();
        lib.add(&NewSnippet {
            content: "ls -la".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(lib.store.job_count().unwrap(), 0);
    }
}
