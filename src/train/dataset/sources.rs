//! The committed list of packages to harvest (`sources.toml`).
//!
//! ```toml
//! [[package]]
//! name = "anyhow"
//! version = "1.0.105"
//! ecosystem = "crates"
//! license = "MIT OR Apache-2.0"
//! ```
//!
//! `ecosystem = "debian"` names a Debian source package and its Debian
//! version (`1.6.1-1`).
//!
//! `sdist = true` makes pip fetch a PyPI package's sdist instead of a wheel.
//! `ecosystem = "dir"` names a folder (`path`, relative to the list) instead
//! of a registry package; the test fixtures use it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::DatasetError;

/// Where a package comes from, and so which client fetches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// An unpacked crate in cargo's registry source folder.
    Crates,
    /// A wheel (or, failing that, an sdist) fetched with pip.
    Pypi,
    /// A tarball fetched with `npm pack`.
    Npm,
    /// A Debian source package fetched with `apt-get source` and unpacked
    /// with `dpkg-source`: the whole upstream tree (build files, CI files,
    /// docs, examples). Debian's own `debian/` folder is left out.
    Debian,
    /// A local folder, for fixtures.
    Dir,
}

impl Ecosystem {
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Crates => "crates",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Debian => "debian",
            Ecosystem::Dir => "dir",
        }
    }
}

/// One package to harvest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: String,
    pub version: String,
    pub ecosystem: Ecosystem,
    /// The licence we expect the package to declare; a different declared
    /// licence is reported, and the declared one is what rows carry.
    pub license: String,
    /// Folder of an `ecosystem = "dir"` package, relative to the list.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// PyPI only: fetch the sdist even when a wheel exists (C extensions
    /// ship their C sources only in the sdist).
    #[serde(default)]
    pub sdist: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    #[serde(default, rename = "package")]
    packages: Vec<Source>,
}

/// Reads and checks a source list; `dir` paths come back absolute.
pub fn load_sources(path: &Path) -> Result<Vec<Source>, DatasetError> {
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_owned(),
        source,
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse_sources(&text, base).map_err(|reason| DatasetError::Sources {
        path: path.to_owned(),
        reason,
    })
}

/// Parses a source list; `base` resolves relative `dir` paths.
pub fn parse_sources(text: &str, base: &Path) -> Result<Vec<Source>, String> {
    let file: SourceFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(file.packages.len());
    for mut source in file.packages {
        if source.name.trim().is_empty() || source.version.trim().is_empty() {
            return Err("every package needs a name and a version".into());
        }
        // Rows and splits are keyed by name, so a name may appear once,
        // whatever its ecosystem or version.
        if !seen.insert(source.name.clone()) {
            return Err(format!("{} is listed twice", source.name));
        }
        match (source.ecosystem, source.path.take()) {
            (Ecosystem::Dir, Some(p)) => source.path = Some(base.join(p)),
            (Ecosystem::Dir, None) => {
                return Err(format!("{}: a dir package needs `path`", source.name))
            }
            (_, Some(_)) => return Err(format!("{}: only dir packages take `path`", source.name)),
            (_, None) => {}
        }
        if source.sdist && source.ecosystem != Ecosystem::Pypi {
            return Err(format!("{}: only pypi packages take `sdist`", source.name));
        }
        out.push(source);
    }
    if out.is_empty() {
        return Err("no [[package]] entries".into());
    }
    Ok(out)
}
