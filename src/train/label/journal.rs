//! The append-only output file that makes labelling resumable.
//!
//! Each label is one line, written whole and synced before the next, so a
//! killed run loses at most the line being written. That line, if it
//! reached the disk at all, is a torn tail: it is cut off on the next start.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::Serialize;

use super::LabelError;

/// An open JSONL file that lines are appended to.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
}

/// What was found in an existing output file.
#[derive(Debug, Default)]
pub struct Resumed {
    /// Ids that already have a line.
    pub done: HashSet<String>,
    /// Bytes of a torn last line that were cut off.
    pub dropped_bytes: u64,
}

/// Only the id is needed to resume; the rest of a line is not re-checked.
#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

impl Journal {
    /// Opens (creating if needed) the file at `path` for appending, after
    /// reading the ids it holds and cutting off a torn last line. A bad line
    /// anywhere else is not from a kill, so it is an error rather than
    /// something to silently drop.
    pub fn open(path: &Path) -> Result<(Journal, Resumed), LabelError> {
        let io = |source| LabelError::Output {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let (resumed, keep) = scan(path, &bytes)?;
        if keep < bytes.len() as u64 {
            tracing::warn!(
                "dropping a torn last line ({} bytes) from {}",
                resumed.dropped_bytes,
                path.display()
            );
            file.set_len(keep).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        let journal = Journal {
            path: path.to_path_buf(),
            file,
        };
        Ok((journal, resumed))
    }

    /// Appends `row` as one line and waits until it is on disk.
    pub fn append<T: Serialize>(&mut self, row: &T) -> Result<(), LabelError> {
        let mut line = serde_json::to_vec(row).map_err(|e| LabelError::Output {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        line.push(b'\n');
        // One write call per line: with O_APPEND a line is never interleaved
        // with another writer's, and a kill leaves a prefix at worst.
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .map_err(|source| LabelError::Output {
                path: self.path.clone(),
                source,
            })
    }
}

/// The ids in `bytes` and how many leading bytes to keep.
fn scan(path: &Path, bytes: &[u8]) -> Result<(Resumed, u64), LabelError> {
    let mut resumed = Resumed::default();
    let mut offset = 0usize;
    let mut line_number = 0usize;
    while offset < bytes.len() {
        line_number += 1;
        let end = bytes[offset..].iter().position(|&b| b == b'\n');
        let (line, next) = match end {
            Some(len) => (&bytes[offset..offset + len], offset + len + 1),
            None => (&bytes[offset..], bytes.len()),
        };
        let is_last = next >= bytes.len();
        let parsed = std::str::from_utf8(line)
            .ok()
            .filter(|text| !text.trim().is_empty())
            .map(serde_json::from_str::<IdOnly>);
        match parsed {
            // Blank lines are harmless; keep them.
            None if line.iter().all(u8::is_ascii_whitespace) => {}
            Some(Ok(row)) if end.is_some() => {
                resumed.done.insert(row.id);
            }
            // A complete-looking line without its newline, or a bad line at
            // the end: either way the write did not finish.
            _ if is_last => {
                resumed.dropped_bytes = (bytes.len() - offset) as u64;
                return Ok((resumed, offset as u64));
            }
            _ => {
                return Err(LabelError::OutputCorrupt {
                    path: path.to_path_buf(),
                    line: line_number,
                })
            }
        }
        offset = next;
    }
    Ok((resumed, bytes.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row<'a> {
        id: &'a str,
        title: &'a str,
    }

    #[test]
    fn appended_lines_are_found_again_on_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("labels.jsonl");
        let (mut journal, resumed) = Journal::open(&path).unwrap();
        assert!(resumed.done.is_empty());
        journal
            .append(&Row {
                id: "a",
                title: "A",
            })
            .unwrap();
        journal
            .append(&Row {
                id: "b",
                title: "B",
            })
            .unwrap();
        drop(journal);
        let (_, resumed) = Journal::open(&path).unwrap();
        assert_eq!(resumed.done.len(), 2);
        assert!(resumed.done.contains("a") && resumed.done.contains("b"));
        assert_eq!(resumed.dropped_bytes, 0);
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_appending_continues_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels.jsonl");
        let good = "{\"id\":\"a\",\"title\":\"A\"}\n";
        let torn = "{\"id\":\"b\",\"tit";
        std::fs::write(&path, format!("{good}{torn}")).unwrap();
        let (mut journal, resumed) = Journal::open(&path).unwrap();
        assert_eq!(resumed.done, HashSet::from(["a".to_owned()]));
        assert_eq!(resumed.dropped_bytes, torn.len() as u64);
        journal
            .append(&Row {
                id: "b",
                title: "B",
            })
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{good}{{\"id\":\"b\",\"title\":\"B\"}}\n"));
    }

    #[test]
    fn a_whole_line_missing_only_its_newline_is_also_redone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels.jsonl");
        std::fs::write(&path, "{\"id\":\"a\"}\n{\"id\":\"b\"}").unwrap();
        let (_, resumed) = Journal::open(&path).unwrap();
        assert!(!resumed.done.contains("b"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"id\":\"a\"}\n");
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error_and_the_file_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels.jsonl");
        let text = "{\"id\":\"a\"}\nnot json\n{\"id\":\"c\"}\n";
        std::fs::write(&path, text).unwrap();
        match Journal::open(&path) {
            Err(LabelError::OutputCorrupt { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected corruption, got {other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
