//! Reading the dataset rows to label.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Deserialize;

use super::LabelError;

/// The part of a `snipdex dataset` row the teacher needs; the other columns
/// (licence, split, ...) stay in the dataset file and are joined by id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InputRow {
    pub id: String,
    pub code: String,
    pub language: String,
    #[serde(default)]
    pub package: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub docstring: Option<String>,
}

/// Every row of the JSONL file at `path`, in file order, without repeated
/// ids (the first wins). The whole file is checked before any teacher call,
/// so a malformed line fails the run before it has cost anything.
pub fn read_rows(path: &Path) -> Result<Vec<InputRow>, LabelError> {
    let file = File::open(path).map_err(|source| LabelError::InputIo {
        path: path.to_path_buf(),
        source,
    })?;
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| LabelError::InputIo {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let row: InputRow = serde_json::from_str(&line).map_err(|e| LabelError::InputRow {
            path: path.to_path_buf(),
            line: index + 1,
            reason: e.to_string(),
        })?;
        if row.id.trim().is_empty() {
            return Err(LabelError::InputRow {
                path: path.to_path_buf(),
                line: index + 1,
                reason: "empty id".into(),
            });
        }
        if seen.insert(row.id.clone()) {
            rows.push(row);
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(lines: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(lines.as_bytes()).unwrap();
        file
    }

    #[test]
    fn rows_are_read_in_order_without_duplicates() {
        let file = write(concat!(
            r#"{"id":"a","code":"x = 1","language":"python","docstring":null,"split":"train"}"#,
            "\n\n",
            r#"{"id":"b","code":"let y = 2;","language":"rust","docstring":"Sets y."}"#,
            "\n",
            r#"{"id":"a","code":"other","language":"python"}"#,
            "\n"
        ));
        let rows = read_rows(file.path()).unwrap();
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(rows[0].code, "x = 1");
        assert_eq!(rows[1].docstring.as_deref(), Some("Sets y."));
    }

    #[test]
    fn a_malformed_line_names_its_line_number() {
        let file = write("{\"id\":\"a\",\"code\":\"x\",\"language\":\"c\"}\n{\"id\":\"b\"}\n");
        match read_rows(file.path()) {
            Err(LabelError::InputRow { line, reason, .. }) => {
                assert_eq!(line, 2);
                assert!(reason.contains("code"), "{reason}");
            }
            other => panic!("expected a row error, got {other:?}"),
        }
        let missing = file.path().with_extension("absent");
        assert!(matches!(
            read_rows(&missing),
            Err(LabelError::InputIo { .. })
        ));
    }
}
