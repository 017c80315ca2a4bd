//! The evaluation rules of `docs/evaluation.md`, enforced rather than hoped
//! for:
//!
//! - a row's split is its package's ([`super::dataset::split_for`]), so data cannot be
//!   passed off as another split by renaming a file;
//! - candidates are chosen on dev: `snipdex train --eval` refuses test rows;
//! - the test rows are scored once per release of an adapter (and once per
//!   base model): every test score is kept in a results folder, in
//!   `test/ledger.jsonl` and one report file per score, and a second score
//!   of the same adapter, data, prompts and metrics is refused.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::TrainError;
use super::eval::{EvalReport, Scores};
use super::metrics::METRICS_VERSION;
pub use super::split::{data_split, DataSplit};

/// What a test score is of. Two scores with equal keys are the same
/// measurement taken twice, which the rules forbid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreKey {
    pub task: String,
    /// `adapter:<blake3 of its files>` or `base:<blake3 of the model file>`.
    pub subject: String,
    /// BLAKE3 of the data file.
    pub data: String,
    /// BLAKE3 of the prompt templates.
    pub prompts: String,
    pub metrics_version: u32,
    /// `--limit`, `--min-tokens` and `--end-penalty` as given.
    pub options: String,
}

/// One line of `test/ledger.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// UTC, RFC 3339.
    pub at: String,
    #[serde(flatten)]
    pub key: ScoreKey,
    /// Where the adapter was read from, for the reader.
    pub adapter_path: Option<String>,
    /// The report file, relative to the results folder.
    pub report: String,
    pub scores: Scores,
    /// Free text, e.g. for entries recorded by hand from older runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A results folder: per split, `<split>/ledger.jsonl` plus one report per
/// score; only the test split's ledger restricts anything.
pub struct Results {
    dir: PathBuf,
}

impl Results {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn ledger_path(&self, split: DataSplit) -> PathBuf {
        self.dir.join(split.as_str()).join("ledger.jsonl")
    }

    /// Every score of `split` recorded so far, oldest first.
    pub fn ledger(&self, split: DataSplit) -> Result<Vec<LedgerEntry>, TrainError> {
        let path = self.ledger_path(split);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(TrainError::io(&path, e)),
        };
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|source| TrainError::BadRow {
                    path: path.clone(),
                    line: i + 1,
                    source,
                })
            })
            .collect()
    }

    /// Refuses a test score that was already taken.
    pub fn check_new(&self, key: &ScoreKey) -> Result<(), TrainError> {
        let taken = self.ledger(DataSplit::Test)?;
        if let Some(e) = taken.into_iter().find(|e| &e.key == key) {
            return Err(TrainError::Settings(format!(
                "this {} {} was already scored on these test rows on {} ({}): the test sample \
                 is scored once per release (docs/evaluation.md); choose on the dev split",
                key.task,
                if key.subject.starts_with("base:") {
                    "base model"
                } else {
                    "adapter"
                },
                e.at,
                e.report
            )));
        }
        Ok(())
    }

    /// Keeps a score: its full report as
    /// `<split>/<stamp>-<task>-<who>-<hash>.json` and a line in the split's
    /// ledger. Returns the report's path.
    pub fn record(
        &self,
        split: DataSplit,
        key: ScoreKey,
        adapter_path: Option<&Path>,
        report: &EvalReport,
    ) -> Result<PathBuf, TrainError> {
        let now = time::OffsetDateTime::now_utc();
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let at = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        // `20261203-094409`: sortable, and safe in any file system.
        let stamp: String = at
            .chars()
            .take_while(|&c| c != '.' && c != 'Z' && c != '+')
            .filter(|c| c.is_ascii_digit() || *c == 'T')
            .map(|c| if c == 'T' { '-' } else { c })
            .collect();
        let who = if report.adapter { "adapter" } else { "base" };
        let short: String = key
            .subject
            .chars()
            .skip_while(|&c| c != ':')
            .skip(1)
            .take(8)
            .collect();
        let name = format!("{stamp}-{}-{who}-{short}.json", key.task);
        let split_dir = self.dir.join(split.as_str());
        std::fs::create_dir_all(&split_dir).map_err(|e| TrainError::io(&split_dir, e))?;
        let report_path = split_dir.join(&name);
        let body = serde_json::json!({ "key": &key, "at": &at, "report": report });
        let text = serde_json::to_string_pretty(&body).map_err(std::io::Error::other);
        let text = text.map_err(|e| TrainError::io(&report_path, e))?;
        std::fs::write(&report_path, text + "\n").map_err(|e| TrainError::io(&report_path, e))?;
        let entry = LedgerEntry {
            at,
            key,
            adapter_path: adapter_path.map(|p| p.display().to_string()),
            report: format!("{}/{name}", split.as_str()),
            scores: report.scores.clone(),
            note: None,
        };
        let ledger = self.ledger_path(split);
        let line = serde_json::to_string(&entry).map_err(std::io::Error::other);
        let line = line.map_err(|e| TrainError::io(&ledger, e))?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&ledger)
            .map_err(|e| TrainError::io(&ledger, e))?;
        writeln!(file, "{line}")
            .and_then(|()| file.sync_all())
            .map_err(|e| TrainError::io(&ledger, e))?;
        Ok(report_path)
    }
}

/// BLAKE3 over files, in order, each prefixed by its length, as hex.
pub fn fingerprint_files(paths: &[PathBuf]) -> Result<String, TrainError> {
    let mut hasher = blake3::Hasher::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|e| TrainError::io(path, e))?;
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// The key of a score, with the metrics version of this build.
pub fn score_key(
    task: &str,
    subject: String,
    data: &str,
    prompts: &str,
    options: String,
) -> ScoreKey {
    ScoreKey {
        task: task.to_owned(),
        subject,
        data: data.to_owned(),
        prompts: prompts.to_owned(),
        metrics_version: METRICS_VERSION,
        options,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::data::Row;
    use crate::train::dataset::{split_for, Split};

    fn row(package: Option<&str>) -> Row {
        Row {
            code: "x".into(),
            language: "c".into(),
            package: package.map(str::to_owned),
            ..Row::default()
        }
    }

    /// A package name of each split, found by trying names.
    fn package_in(split: Split) -> String {
        (0..)
            .map(|i| format!("pkg{i}"))
            .find(|p| split_for(p) == split)
            .unwrap()
    }

    #[test]
    fn the_split_is_the_packages_and_mixing_is_refused() {
        let p = Path::new("rows.jsonl");
        let test = package_in(Split::Test);
        let dev = package_in(Split::Dev);
        let rows = [row(Some(&test)), row(Some(&test))];
        assert_eq!(data_split(p, &rows).unwrap(), DataSplit::Test);
        assert_eq!(data_split(p, &[row(Some(&dev))]).unwrap(), DataSplit::Dev);
        assert_eq!(data_split(p, &[row(None)]).unwrap(), DataSplit::Unknown);
        let err = data_split(p, &[row(Some(&dev)), row(Some(&test))]).unwrap_err();
        assert!(err.to_string().contains("mixes dev and test"), "{err}");
    }

    fn report(f1: f64) -> EvalReport {
        EvalReport {
            task: "tags".into(),
            adapter: true,
            scores: Scores {
                examples: 2,
                tags: Some(super::super::metrics::SetScores {
                    precision: f1,
                    recall: f1,
                    f1,
                }),
                ..Scores::default()
            },
            predictions: Vec::new(),
            elapsed_secs: 0.0,
            metrics_version: METRICS_VERSION,
            split: "test".into(),
        }
    }

    #[test]
    fn a_test_score_is_kept_and_a_second_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let results = Results::new(dir.path());
        let key = score_key("tags", "adapter:abc".into(), "d", "p", String::new());
        results.check_new(&key).unwrap();
        let path = results
            .record(DataSplit::Test, key.clone(), None, &report(0.5))
            .unwrap();
        assert!(path.is_file());
        let name = path.file_name().unwrap().to_str().unwrap();
        // <yyyymmdd>-<hhmmss>-tags-adapter-<hash>.json
        assert_eq!(
            name.len(),
            "20261203-094409-tags-adapter-abc.json".len(),
            "{name}"
        );
        assert!(name.ends_with("-tags-adapter-abc.json"), "{name}");
        let ledger = results.ledger(DataSplit::Test).unwrap();
        assert_eq!(ledger.len(), 1);
        assert_eq!(ledger[0].key, key);
        assert_eq!(ledger[0].scores.tags.unwrap().f1, 0.5);
        let err = results.check_new(&key).unwrap_err();
        // Dev scores are kept too, but never restrict anything.
        results
            .record(DataSplit::Dev, key.clone(), None, &report(0.6))
            .unwrap();
        assert_eq!(results.ledger(DataSplit::Dev).unwrap().len(), 1);
        assert!(err.to_string().contains("already scored"), "{err}");
        // Another adapter, or the same one under other metrics, is new.
        let other = score_key("tags", "adapter:abd".into(), "d", "p", String::new());
        results.check_new(&other).unwrap();
        let mut newer = key;
        newer.metrics_version += 1;
        results.check_new(&newer).unwrap();
    }
}
