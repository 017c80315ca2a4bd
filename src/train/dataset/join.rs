//! Joining harvested snippets with teacher labels into the rows the trainer
//! and `snipdex eval` read (one file per split).
//!
//! A description comes from the snippet's own docstring when it has one
//! (people wrote those), else from the teacher. Rows without any label keep
//! their docstring, so the description task trains on every documented
//! snippet, while the other tasks use only labelled rows (the trainer skips
//! rows that lack a task's target). The expected documentation pages of a
//! row are what the link resolver builds from the teacher's API names.

use super::harvest::{Row as Snippet, Split};
use super::DatasetError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// One teacher label, as `snipdex label` (or a hand-labelling session)
/// writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub apis: Vec<String>,
    /// Who labelled it; required so every row records its labeller.
    pub labeler: serde_json::Value,
}

/// A training or evaluation row.
#[derive(Debug, Clone, Serialize)]
pub struct Joined {
    pub id: String,
    pub code: String,
    pub language: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// "docstring" or "teacher".
    pub description_source: Option<&'static str>,
    pub tags: Option<Vec<String>>,
    pub apis: Option<Vec<String>>,
    pub links: Option<Vec<String>>,
    pub package: String,
    pub version: String,
    pub license: String,
    pub path: String,
    pub labeler: Option<serde_json::Value>,
}

fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, DatasetError> {
    let io = |source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line).map_err(|e| DatasetError::Sources {
                path: path.to_path_buf(),
                reason: format!("line {}: {e}", n + 1),
            })?,
        );
    }
    Ok(out)
}

/// How many rows each split file got, and how many of them are labelled.
#[derive(Debug, Default, Clone, Serialize)]
pub struct JoinReport {
    pub rows: HashMap<&'static str, usize>,
    pub labelled: HashMap<&'static str, usize>,
    pub unknown_labels: usize,
}

/// Join `snippets` with every label file and write `out/{train,dev,test}.jsonl`.
pub fn join(snippets: &Path, labels: &[PathBuf], out: &Path) -> Result<JoinReport, DatasetError> {
    let snippets: Vec<Snippet> = read_lines(snippets)?;
    let mut by_id: HashMap<String, Label> = HashMap::new();
    for file in labels {
        for l in read_lines::<Label>(file)? {
            by_id.insert(l.id.clone(), l);
        }
    }
    let mut report = JoinReport::default();
    let known: std::collections::HashSet<&str> = snippets.iter().map(|s| s.id.as_str()).collect();
    report.unknown_labels = by_id.keys().filter(|k| !known.contains(k.as_str())).count();
    let mut files: HashMap<Split, Vec<Joined>> = HashMap::new();
    for s in snippets {
        let label = by_id.remove(&s.id);
        let doc = s.docstring.clone().filter(|d| !d.trim().is_empty());
        let (description, source) = match (&doc, label.as_ref().and_then(|l| l.description.clone()))
        {
            (Some(d), _) => (Some(d.clone()), Some("docstring")),
            (None, Some(t)) => (Some(t), Some("teacher")),
            (None, None) => (None, None),
        };
        if description.is_none() && label.is_none() {
            continue;
        }
        let links = label
            .as_ref()
            .map(|l| crate::enrich::resolve_links(&s.code, &s.language, &l.apis));
        let split = s.split;
        *report.rows.entry(split.as_str()).or_default() += 1;
        if label.is_some() {
            *report.labelled.entry(split.as_str()).or_default() += 1;
        }
        files.entry(split).or_default().push(Joined {
            title: label.as_ref().and_then(|l| l.title.clone()),
            tags: label.as_ref().map(|l| l.tags.clone()),
            apis: label.as_ref().map(|l| l.apis.clone()),
            labeler: label.map(|l| l.labeler),
            links,
            description,
            description_source: source,
            id: s.id,
            code: s.code,
            language: s.language,
            package: s.package,
            version: s.version,
            license: s.license,
            path: s.path,
        });
    }
    for split in [Split::Train, Split::Dev, Split::Test] {
        let path = out.join(format!("{}.jsonl", split.as_str()));
        let write = |source| DatasetError::Write {
            path: path.clone(),
            source,
        };
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).map_err(write)?);
        for row in files.get(&split).map(Vec::as_slice).unwrap_or_default() {
            serde_json::to_writer(&mut w, row).map_err(|e| write(e.into()))?;
            w.write_all(b"\n").map_err(write)?;
        }
        w.flush().map_err(write)?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docstrings_win_and_unlabelled_undocumented_rows_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let snip = dir.path().join("s.jsonl");
        let base = |id: &str, doc: Option<&str>| {
            serde_json::json!({"id": id, "code": "import os\nos.getcwd()", "language": "python",
                "package": "p", "version": "1", "license": "MIT", "path": "a.py", "start_line": 1,
                "docstring": doc, "split": "train"})
        };
        let rows = [
            base("a", Some("Returns the cwd.")),
            base("b", None),
            base("c", None),
        ];
        std::fs::write(
            &snip,
            rows.iter()
                .map(|r| r.to_string() + "\n")
                .collect::<String>(),
        )
        .unwrap();
        let lab = dir.path().join("l.jsonl");
        let labels = [
            serde_json::json!({"id": "a", "title": "Get cwd", "description": "Teacher.", "tags": ["python"], "apis": ["os"], "labeler": {"kind": "llm"}}),
            serde_json::json!({"id": "b", "title": "T", "description": "Teacher b.", "tags": [], "apis": [], "labeler": {"kind": "llm"}}),
            serde_json::json!({"id": "zzz", "title": "T", "labeler": {}}),
        ];
        std::fs::write(
            &lab,
            labels
                .iter()
                .map(|r| r.to_string() + "\n")
                .collect::<String>(),
        )
        .unwrap();
        let report = join(&snip, &[lab], dir.path()).unwrap();
        assert_eq!(report.rows["train"], 2);
        assert_eq!(report.unknown_labels, 1);
        let out = std::fs::read_to_string(dir.path().join("train.jsonl")).unwrap();
        let rows: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows[0]["description"], "Returns the cwd.");
        assert_eq!(rows[0]["description_source"], "docstring");
        assert_eq!(
            rows[0]["links"][0],
            "https://docs.python.org/3/library/os.html"
        );
        assert_eq!(rows[1]["description_source"], "teacher");
    }
}
