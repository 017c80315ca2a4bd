//! Training and evaluation rows: one JSON object per line (JSONL).
//!
//! # Schema
//!
//! | field         | type            | needed for                          |
//! |---------------|-----------------|-------------------------------------|
//! | `code`        | string          | every task (rows without are skipped) |
//! | `language`    | string          | every task (fence info, link resolver) |
//! | `file_name`   | string, opt.    | shown in the prompt like at inference |
//! | `title`       | string, opt.    | target of `title`                   |
//! | `description` | string, opt.    | target of `description`             |
//! | `tags`        | list of strings | target of `tags`                    |
//! | `apis`        | list of strings | target of `links` (alias `links_names`) |
//! | `links`       | list of URLs    | expected documentation pages (eval of `links`) |
//! | `package`     | string, opt.    | the split the row belongs to (evaluation rules) |
//!
//! Other fields (package, licence, teacher, ...) are ignored, so dataset
//! tools can record provenance on the same line. A row whose target for the
//! chosen task is missing or empty is skipped and counted, never an error;
//! a line that is not such an object is an error with its line number.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::TrainError;
use crate::enrich::clean::{clean_topic_tags, TagContext};
use crate::enrich::links::embedded_table;
use crate::enrich::{normalize_tag, Task, Vocabulary};

/// One snippet with its labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub code: String,
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Library, module and API names the code uses.
    #[serde(
        default,
        alias = "links_names",
        skip_serializing_if = "Option::is_none"
    )]
    pub apis: Option<Vec<String>>,
    /// Documentation URLs a good answer leads to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<String>>,
    /// The package the code comes from; its name decides the row's split
    /// (see [`super::rules`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

impl Row {
    /// The answer the model should write for `task`, in the form the task's
    /// clean-up expects: a line of text, or a comma-separated list. `None`
    /// when the row has no usable label for it.
    pub fn target(&self, task: Task) -> Option<String> {
        match task {
            Task::Title => non_empty(self.title.as_deref()),
            Task::Description => non_empty(self.description.as_deref()),
            // Cleaned as at inference (topics through the shipped
            // vocabulary, the language left out, the libraries the code
            // uses), so the model learns the form the clean-up keeps
            // instead of one it rewrites or drops.
            Task::Tags => self.tag_target(),
            Task::Links => join_distinct(self.apis.as_deref(), |name| {
                non_empty(Some(name)).filter(|n| !n.contains(char::is_whitespace))
            }),
        }
    }

    /// Whether the row has a label for `task`: what decides if a row is
    /// kept, for training and evaluation alike. For tags that is any tag at
    /// all, even one the clean-up would drop from the training target, so
    /// the rows an evaluation scores do not depend on the vocabulary.
    pub fn has_reference(&self, task: Task) -> bool {
        match task {
            Task::Tags => !self.reference_tags().is_empty(),
            _ => self.target(task).is_some(),
        }
    }

    fn tag_target(&self) -> Option<String> {
        let tags = self.tags.as_deref().filter(|t| !t.is_empty())?;
        let libraries = embedded_table()
            .map(|t| t.code_libraries(&self.code, &self.language))
            .unwrap_or_default();
        let cx = TagContext {
            vocabulary: Vocabulary::shipped(),
            language: &self.language,
            libraries: &libraries,
        };
        clean_topic_tags(&tags.join(", "), &cx)
            .ok()
            .map(|tags| tags.join(", "))
    }

    /// The reference tags of the row, normalised.
    pub fn reference_tags(&self) -> Vec<String> {
        distinct(self.tags.as_deref(), normalize_tag)
    }

    /// The reference API names of the row.
    pub fn reference_apis(&self) -> Vec<String> {
        distinct(self.apis.as_deref(), |n| non_empty(Some(n)))
    }
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
}

fn distinct(items: Option<&[String]>, f: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items.unwrap_or_default() {
        if let Some(v) = f(item) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

fn join_distinct(items: Option<&[String]>, f: impl Fn(&str) -> Option<String>) -> Option<String> {
    let items = distinct(items, f);
    (!items.is_empty()).then(|| items.join(", "))
}

/// Rows left out of a run, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipCounts {
    /// No label for the task.
    pub missing_target: usize,
    /// Empty `code`.
    pub no_code: usize,
    /// Prompt and answer do not fit the model's context window.
    pub too_long: usize,
}

impl SkipCounts {
    pub fn total(&self) -> usize {
        self.missing_target + self.no_code + self.too_long
    }
}

/// The usable rows of a data file for one task.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub path: PathBuf,
    pub task: Task,
    /// Rows in the file (blank lines not counted).
    pub total: usize,
    pub rows: Vec<Row>,
    pub skipped: SkipCounts,
    /// BLAKE3 of the file, so a resumed run can tell that its data changed.
    pub fingerprint: String,
}

/// Reads `path` and keeps the rows that have code and a target for `task`.
/// Fails if no row is usable.
pub fn load_rows(path: &Path, task: Task) -> Result<Dataset, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
    let mut dataset = parse_rows(&text, path, task)?;
    dataset.fingerprint = blake3::hash(text.as_bytes()).to_hex().to_string();
    if dataset.rows.is_empty() {
        return Err(TrainError::NoRows {
            path: path.to_path_buf(),
            task,
            reason: format!(
                "{} rows, {} without a {task} label, {} without code",
                dataset.total, dataset.skipped.missing_target, dataset.skipped.no_code
            ),
        });
    }
    Ok(dataset)
}

fn parse_rows(text: &str, path: &Path, task: Task) -> Result<Dataset, TrainError> {
    let mut dataset = Dataset {
        path: path.to_path_buf(),
        task,
        total: 0,
        rows: Vec::new(),
        skipped: SkipCounts::default(),
        fingerprint: String::new(),
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        dataset.total += 1;
        let row: Row = serde_json::from_str(line).map_err(|source| TrainError::BadRow {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        if row.code.trim().is_empty() {
            dataset.skipped.no_code += 1;
        } else if !row.has_reference(task) {
            dataset.skipped.missing_target += 1;
        } else {
            dataset.rows.push(row);
        }
    }
    Ok(dataset)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = r##"{"code":"import os\nos.listdir('.')","language":"python","title":"List  files","tags":["Python","#OS","python","directories"],"package":"x"}

{"code":"fn main() {}","language":"rust","description":"Does nothing."}
{"code":"  ","language":"rust","title":"Empty"}
{"code":"ls","language":"sh","links_names":["ls"," "]}
"##;

    #[test]
    fn rows_without_the_target_are_counted_not_kept() -> Result<(), TrainError> {
        let d = parse_rows(DATA, Path::new("d.jsonl"), Task::Title)?;
        assert_eq!(d.total, 4);
        assert_eq!(d.rows.len(), 1);
        assert_eq!(d.skipped.no_code, 1);
        assert_eq!(d.skipped.missing_target, 2);
        assert_eq!(d.rows[0].target(Task::Title).as_deref(), Some("List files"));

        let d = parse_rows(DATA, Path::new("d.jsonl"), Task::Links)?;
        assert_eq!(d.rows.len(), 1);
        assert_eq!(d.rows[0].target(Task::Links).as_deref(), Some("ls"));
        Ok(())
    }

    #[test]
    fn tag_targets_are_cleaned_as_at_inference() -> Result<(), TrainError> {
        let d = parse_rows(DATA, Path::new("d.jsonl"), Task::Tags)?;
        assert_eq!(d.rows.len(), 1);
        // The language is dropped, a synonym becomes its topic, and the
        // module the code imports stays.
        assert_eq!(
            d.rows[0].target(Task::Tags).as_deref(),
            Some("filesystem, os")
        );
        assert_eq!(
            d.rows[0].reference_tags(),
            vec!["python", "os", "directories"]
        );
        Ok(())
    }

    #[test]
    fn a_broken_line_is_an_error_with_its_number() {
        let text = "{\"code\":\"x\",\"language\":\"c\"}\n{not json\n";
        match parse_rows(text, Path::new("d.jsonl"), Task::Title) {
            Err(TrainError::BadRow { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected BadRow, got {other:?}"),
        }
    }

    #[test]
    fn a_file_without_usable_rows_is_rejected() -> Result<(), std::io::Error> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("d.jsonl");
        std::fs::write(&path, DATA)?;
        assert!(matches!(
            load_rows(&path, Task::Description),
            Ok(d) if d.rows.len() == 1 && !d.fingerprint.is_empty()
        ));
        std::fs::write(&path, "{\"code\":\"x\",\"language\":\"c\"}\n")?;
        assert!(matches!(
            load_rows(&path, Task::Tags),
            Err(TrainError::NoRows { .. })
        ));
        Ok(())
    }
}
