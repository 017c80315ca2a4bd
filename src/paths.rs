//! Where snipdex keeps its files. The only user of `directories`.
//!
//! `SNIPDEX_HOME` overrides everything: config, data, logs and models then all
//! live under that one folder, which is what tests and portable installs want.

use std::path::{Path, PathBuf};

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
    /// Held by the one running instance that owns the library.
    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("snipdex.lock")
    }

    /// Create the folders that must exist before anything is written.
    pub fn ensure(&self) -> Result<(), PathsError> {
        for dir in [&self.config_dir, &self.data_dir, &self.log_dir] {
            std::fs::create_dir_all(dir).map_err(|source| PathsError::Create {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }
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
