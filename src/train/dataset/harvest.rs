//! From packages to rows: cut, deduplicate, cap, split and write.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::cut::{cut, everyday, Cut};
use super::fetch::{fetch, FetchOptions};
use super::select::{pick_extra_files, pick_files, Extra};
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

/// What a snippet is: library code, or the kind of thing people keep.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Functions, methods and types of library code.
    #[default]
    Function,
    /// Shell scripts and functions, SQL, Dockerfiles, Makefile targets, CI
    /// and config files, docs code blocks, examples and scripts.
    Everyday,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::Everyday => "everyday",
        }
    }
}

/// Languages whose snippets are everyday ones wherever they come from.
pub const EVERYDAY_LANGUAGES: &[&str] =
    &["shell", "sql", "dockerfile", "make", "yaml", "toml", "ini"];

/// Folders of scripts and examples rather than library code.
const EVERYDAY_DIRS: &[&str] = &[
    "examples",
    "example",
    "_examples",
    "samples",
    "sample",
    "demo",
    "demos",
    "scripts",
    "script",
    "bin",
    "sbin",
    "migrations",
    "contrib",
    "tools",
    "docs",
    "doc",
    "cookbook",
    "recipes",
];

/// The kind of a snippet of `language` cut from `path`.
pub fn kind_for(language: &str, path: &str) -> Kind {
    let mut dirs: Vec<String> = path.split('/').map(str::to_ascii_lowercase).collect();
    dirs.pop();
    if EVERYDAY_LANGUAGES.contains(&language)
        || dirs.iter().any(|d| EVERYDAY_DIRS.contains(&d.as_str()))
    {
        Kind::Everyday
    } else {
        Kind::Function
    }
}

/// One JSONL row. Field order is the output's column order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// `package@version:path:line`.
    pub id: String,
    pub code: String,
    pub language: String,
    /// `function` or `everyday`; rows written before the field existed
    /// read as `function`.
    #[serde(default)]
    pub kind: Kind,
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
    /// Most rows kept per package and language from the second pass
    /// (docs blocks, build, CI and config files, Go/Java/Kotlin/PHP/Ruby).
    pub max_extra_per_package: usize,
    /// Rows of an earlier harvest (id to code) that must come out again,
    /// unchanged: they win over duplicates and the cap, and a missing or
    /// changed one fails the harvest.
    pub keep: Option<HashMap<String, String>>,
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
    pub everyday: usize,
}

/// The harvest's rows, sorted, and what each package contributed.
#[derive(Debug, Clone)]
pub struct HarvestReport {
    pub rows: Vec<Row>,
    pub packages: Vec<PackageReport>,
    /// Cuts dropped as whitespace-insensitive duplicates of an earlier one.
    pub duplicates: usize,
    /// New cuts dropped because they look like they hold a secret.
    pub secrets: usize,
    /// Rows of `keep` found again unchanged.
    pub kept: usize,
}

/// A cut before dedup and cap, and which pass found it.
struct Candidate {
    row: Row,
    extra: bool,
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
        let split = split_for(&source.name);
        let mut push = |path: &str, language: &str, c: Cut, extra: bool, kind: Option<Kind>| {
            candidates.push(Candidate {
                row: Row {
                    id: format!(
                        "{}@{}:{}:{}",
                        source.name, source.version, path, c.start_line
                    ),
                    code: c.code,
                    language: language.to_owned(),
                    kind: kind.unwrap_or_else(|| kind_for(language, path)),
                    package: source.name.clone(),
                    version: source.version.clone(),
                    license: license.clone(),
                    path: path.to_owned(),
                    start_line: c.start_line,
                    docstring: c.docstring,
                    split,
                },
                extra,
            });
        };
        for file in &picked {
            for c in cut(file.language, &file.text) {
                push(&file.file.path, file.language, c, false, None);
            }
        }
        let extras = pick_extra_files(&package.files);
        for file in &extras {
            let path = &file.file.path;
            match file.extra {
                Extra::Code | Extra::Config => {
                    for c in cut(file.language, &file.text) {
                        push(path, file.language, c, true, None);
                    }
                }
                Extra::Markdown | Extra::Rst => {
                    let blocks = if file.extra == Extra::Markdown {
                        everyday::markdown(&file.text)
                    } else {
                        everyday::rst(&file.text)
                    };
                    for b in blocks {
                        // Docs blocks are examples: everyday, whatever the language.
                        let mut c = b.cut;
                        c.docstring = None;
                        push(path, b.language, c, true, Some(Kind::Everyday));
                    }
                }
            }
        }
        packages.push(PackageReport {
            name: source.name.clone(),
            version: source.version.clone(),
            ecosystem: source.ecosystem,
            expected_license: (license != source.license).then(|| source.license.clone()),
            license,
            files: picked.len() + extras.len(),
            cuts: candidates.len() - before,
            rows: 0,
            everyday: 0,
        });
    }
    let total = candidates.len();
    let keep = opts.keep.as_ref();
    let kept_id = |r: &Row| keep.is_some_and(|k| k.get(&r.id) == Some(&r.code));
    let unique = dedup(candidates, &kept_id);
    let duplicates = total - unique.len();
    // New rows must not carry credentials; earlier rows are kept as they are.
    let before = unique.len();
    let unique: Vec<Candidate> = unique
        .into_iter()
        .filter(|c| kept_id(&c.row) || crate::ingest::detect_secrets(&c.row.code).is_empty())
        .collect();
    let secrets = before - unique.len();
    let rows = cap(
        unique,
        opts.max_per_package,
        opts.max_extra_per_package,
        &kept_id,
    );
    let mut kept = 0;
    if let Some(keep) = keep {
        let found: HashMap<&str, &str> = rows
            .iter()
            .map(|r| (r.id.as_str(), r.code.as_str()))
            .collect();
        let mut lost: Vec<&String> = keep
            .iter()
            .filter(|(id, code)| found.get(id.as_str()) != Some(&code.as_str()))
            .map(|(id, _)| id)
            .collect();
        lost.sort();
        if let Some(first) = lost.first() {
            return Err(DatasetError::Lost {
                count: lost.len(),
                first: (*first).clone(),
            });
        }
        kept = keep.len();
    }
    for p in &mut packages {
        p.rows = rows.iter().filter(|r| r.package == p.name).count();
        p.everyday = rows
            .iter()
            .filter(|r| r.package == p.name && r.kind == Kind::Everyday)
            .count();
    }
    Ok(HarvestReport {
        rows,
        packages,
        duplicates,
        secrets,
        kept,
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

/// Drops rows whose code equals an earlier row's up to whitespace. Kept
/// rows come first, then the first pass's, then the second's.
fn dedup(mut rows: Vec<Candidate>, kept: &dyn Fn(&Row) -> bool) -> Vec<Candidate> {
    rows.sort_by(|a, b| {
        (!kept(&a.row), a.extra)
            .cmp(&(!kept(&b.row), b.extra))
            .then_with(|| order(&a.row, &b.row))
    });
    let mut seen = HashSet::new();
    rows.retain(|c| {
        let normalised = c.row.code.split_whitespace().collect::<Vec<_>>().join(" ");
        seen.insert(blake3::hash(normalised.as_bytes()))
    });
    rows
}

/// Keeps at most `max` rows per package and language from the first pass
/// and `max_extra` from the second (each pass capped on its own, so new
/// file kinds never push out earlier rows): kept rows first, then
/// documented rows (their docstring is a free label), then a stable
/// pseudo-random pick by id so the kept rows spread over the whole package.
fn cap(
    rows: Vec<Candidate>,
    max: usize,
    max_extra: usize,
    kept: &dyn Fn(&Row) -> bool,
) -> Vec<Row> {
    let mut groups: BTreeMap<(String, String, bool), Vec<Row>> = BTreeMap::new();
    for c in rows {
        groups
            .entry((c.row.package.clone(), c.row.language.clone(), c.extra))
            .or_default()
            .push(c.row);
    }
    let mut out: Vec<Row> = Vec::new();
    for ((_, _, extra), mut group) in groups {
        group.sort_by_cached_key(|r| {
            (
                !kept(r),
                r.docstring.is_none(),
                *blake3::hash(r.id.as_bytes()).as_bytes(),
            )
        });
        group.truncate(if extra { max_extra } else { max });
        out.extend(group);
    }
    out.sort_by(order);
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(package: &str, path: &str, line: usize, code: &str) -> Row {
        Row {
            id: format!("{package}@1:{path}:{line}"),
            code: code.into(),
            language: "rust".into(),
            kind: Kind::Function,
            package: package.into(),
            version: "1".into(),
            license: "MIT".into(),
            path: path.into(),
            start_line: line,
            docstring: None,
            split: split_for(package),
        }
    }

    #[test]
    fn kept_rows_win_over_duplicates_and_the_cap() {
        let old = row("b", "src/old.rs", 1, "fn x() {\n 1\n}");
        let earlier_twin = row("a", "src/new.rs", 1, "fn x() {\n    1\n}");
        let keep: HashMap<String, String> = [(old.id.clone(), old.code.clone())].into();
        let kept = |r: &Row| keep.get(&r.id) == Some(&r.code);
        let rows = vec![
            Candidate {
                row: earlier_twin,
                extra: false,
            },
            Candidate {
                row: old.clone(),
                extra: false,
            },
        ];
        let unique = dedup(rows, &kept);
        assert_eq!(unique.len(), 1);
        assert_eq!(unique[0].row.id, old.id);
        // With a cap of one, the kept row stays over a documented newcomer;
        // second-pass rows are capped on their own.
        let mut documented = row("b", "src/doc.rs", 1, "fn y() {\n 2\n}");
        documented.docstring = Some("Doc.".into());
        let extra = row("b", "README.md", 3, "fn z() {\n 3\n}");
        let rows = vec![
            Candidate {
                row: documented,
                extra: false,
            },
            Candidate {
                row: old.clone(),
                extra: false,
            },
            Candidate {
                row: extra.clone(),
                extra: true,
            },
        ];
        let out = cap(rows, 1, 1, &kept);
        let ids: Vec<&str> = out.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, vec![extra.id.as_str(), old.id.as_str()]);
    }

    #[test]
    fn kinds_follow_language_and_folder() {
        assert_eq!(kind_for("rust", "src/lib.rs"), Kind::Function);
        assert_eq!(kind_for("go", "examples/server/main.go"), Kind::Everyday);
        assert_eq!(kind_for("sql", "src/schema.sql"), Kind::Everyday);
        assert_eq!(kind_for("yaml", ".github/workflows/ci.yml"), Kind::Everyday);
        assert_eq!(kind_for("python", "scripts/release.py"), Kind::Everyday);
    }
}
