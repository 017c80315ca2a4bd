//! From packages to rows: cut, deduplicate, cap, split and write.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::cut::cut;
use super::fetch::{fetch, FetchOptions};
use super::select::pick_files;
use super::sources::{Ecosystem, Source};
use super::DatasetError;

/// Which part of the data a row belongs to. Whole packages go to one split,
/// so that nothing a model is tested on shares a package with its training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Dev,
    Test,
}

impl Split {
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Dev => "dev",
            Split::Test => "test",
        }
    }
}

/// The split of a package: a stable hash of its name, about 80/10/10.
pub fn split_for(package: &str) -> Split {
    let hash = blake3::hash(package.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&hash.as_bytes()[..8]);
    match u64::from_le_bytes(head) % 10 {
        0 => Split::Test,
        1 => Split::Dev,
        _ => Split::Train,
    }
}

/// One JSONL row. Field order is the output's column order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// `package@version:path:line`.
    pub id: String,
    pub code: String,
    pub language: String,
    pub package: String,
    pub version: String,
    pub license: String,
    pub path: String,
    pub start_line: usize,
    pub docstring: Option<String>,
    pub split: Split,
}

/// How to harvest.
#[derive(Debug, Clone)]
pub struct HarvestOptions {
    pub fetch: FetchOptions,
    /// Most rows kept per package and language, so that a few large
    /// packages do not drown the others.
    pub max_per_package: usize,
}

/// What one package gave.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    pub name: String,
    pub version: String,
    pub ecosystem: Ecosystem,
    /// The licence the package declares (the expected one when it declares none).
    pub license: String,
    /// The licence `sources.toml` expected, when the package declares another.
    pub expected_license: Option<String>,
    pub files: usize,
    pub cuts: usize,
    pub rows: usize,
}

/// The harvest's rows, sorted, and what each package contributed.
#[derive(Debug, Clone)]
pub struct HarvestReport {
    pub rows: Vec<Row>,
    pub packages: Vec<PackageReport>,
    /// Cuts dropped as whitespace-insensitive duplicates of an earlier one.
    pub duplicates: usize,
}

/// Harvests every source; `progress` hears of each package before it is read.
pub fn harvest(
    sources: &[Source],
    opts: &HarvestOptions,
    progress: &mut dyn FnMut(&Source),
) -> Result<HarvestReport, DatasetError> {
    let mut sources: Vec<&Source> = sources.iter().collect();
    sources.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    let mut candidates = Vec::new();
    let mut packages = Vec::new();
    for source in sources {
        progress(source);
        let package = fetch(source, &opts.fetch)?;
        let license = package
            .license
            .clone()
            .unwrap_or_else(|| source.license.clone());
        let picked = pick_files(&package.files);
        let before = candidates.len();
        for file in &picked {
            for c in cut(file.language, &file.text) {
                candidates.push(Row {
                    id: format!(
                        "{}@{}:{}:{}",
                        source.name, source.version, file.file.path, c.start_line
                    ),
                    code: c.code,
                    language: file.language.to_owned(),
                    package: source.name.clone(),
                    version: source.version.clone(),
                    license: license.clone(),
                    path: file.file.path.clone(),
                    start_line: c.start_line,
                    docstring: c.docstring,
                    split: split_for(&source.name),
                });
            }
        }
        packages.push(PackageReport {
            name: source.name.clone(),
            version: source.version.clone(),
            ecosystem: source.ecosystem,
            expected_license: (license != source.license).then(|| source.license.clone()),
            license,
            files: picked.len(),
            cuts: candidates.len() - before,
            rows: 0,
        });
    }
    let total = candidates.len();
    let unique = dedup(candidates);
    let duplicates = total - unique.len();
    let rows = cap(unique, opts.max_per_package);
    for p in &mut packages {
        p.rows = rows.iter().filter(|r| r.package == p.name).count();
    }
    Ok(HarvestReport {
        rows,
        packages,
        duplicates,
    })
}

fn order(a: &Row, b: &Row) -> std::cmp::Ordering {
    (&a.package, &a.version, &a.path, a.start_line).cmp(&(
        &b.package,
        &b.version,
        &b.path,
        b.start_line,
    ))
}

/// Drops rows whose code equals an earlier row's up to whitespace.
pub(super) fn dedup(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(order);
    let mut seen = HashSet::new();
    rows.retain(|r| {
        let normalised = r.code.split_whitespace().collect::<Vec<_>>().join(" ");
        seen.insert(blake3::hash(normalised.as_bytes()))
    });
    rows
}

/// Keeps at most `max` rows per package and language: documented rows
/// first (their docstring is a free label), then a stable pseudo-random
/// pick by id so the kept rows spread over the whole package.
pub(super) fn cap(rows: Vec<Row>, max: usize) -> Vec<Row> {
    let mut groups: BTreeMap<(String, String), Vec<Row>> = BTreeMap::new();
    for row in rows {
        groups
            .entry((row.package.clone(), row.language.clone()))
            .or_default()
            .push(row);
    }
    let mut kept: Vec<Row> = Vec::new();
    for (_, mut group) in groups {
        group.sort_by_cached_key(|r| {
            (
                r.docstring.is_none(),
                *blake3::hash(r.id.as_bytes()).as_bytes(),
            )
        });
        group.truncate(max);
        kept.extend(group);
    }
    kept.sort_by(order);
    kept
}

/// Writes rows as JSONL, atomically (a temporary file renamed into place).
pub fn write_jsonl(rows: &[Row], path: &Path) -> Result<(), DatasetError> {
    let write_err = |source| DatasetError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(write_err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
    {
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        for row in rows {
            serde_json::to_writer(&mut out, row).map_err(|e| write_err(e.into()))?;
            out.write_all(b"\n").map_err(write_err)?;
        }
        out.flush().map_err(write_err)?;
    }
    // Temporary files are private; the dataset is meant to be shared.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let readable = std::fs::Permissions::from_mode(0o644);
        tmp.as_file().set_permissions(readable).map_err(write_err)?;
    }
    tmp.persist(path).map_err(|e| write_err(e.error))?;
    Ok(())
}
