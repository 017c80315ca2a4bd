//! Harvests training snippets from real packages: functions, methods and
//! blocks cut out of crate sources, Python wheels and npm tarballs, each
//! row carrying its package, version, licence and path.
//!
//! ```text
//! sources.toml ─► fetch (cargo registry / pip / npm, cached) ─► select files
//!   ─► cut per language (doc comment out of the code, into `docstring`)
//!   ─► dedup ─► cap per package ─► split by package ─► sorted JSONL
//! ```
//!
//! The output is a pure function of the source list and the package
//! contents, so a rerun from the cache gives byte-identical JSONL.

pub mod cut;
mod doc;
mod fetch;
mod harvest;
mod join;
mod license;
mod package;
mod select;
mod sources;

use std::path::PathBuf;

pub use fetch::FetchOptions;
pub use harvest::{
    harvest, kind_for, split_for, write_jsonl, HarvestOptions, HarvestReport, Kind, PackageReport,
    Row, Split, EVERYDAY_LANGUAGES,
};
pub use join::{join, JoinReport, Joined, Label};
pub use sources::{load_sources, parse_sources, Ecosystem, Source};

/// Why a harvest failed.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad source list {path}: {reason}")]
    Sources { path: PathBuf, reason: String },
    #[error("`{client}` is not installed, and it is needed to fetch {package}")]
    ClientMissing {
        client: &'static str,
        package: String,
    },
    #[error("{client} could not fetch {package} (is the registry reachable?): {detail}")]
    Download {
        client: &'static str,
        package: String,
        detail: String,
    },
    #[error("{package} is not in the download cache, and downloads are off (--offline)")]
    NotCached { package: String },
    #[error("crate {package} is not unpacked under {dir}; fetch it with cargo first")]
    CrateMissing { package: String, dir: PathBuf },
    #[error("cannot unpack {path}: {reason}")]
    Archive { path: PathBuf, reason: String },
    #[error("{count} rows of the kept harvest are missing or changed, the first {first}")]
    Lost { count: usize, first: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}
