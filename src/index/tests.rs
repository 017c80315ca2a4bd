use super::*;
use crate::domain::{NewSnippet, Source};
use crate::store::SnippetPatch;

fn snippet(store: &Store, title: &str, body: &str, lang: &str, tags: &[&str]) -> i64 {
    store
        .insert(&NewSnippet {
            title: title.into(),
            content: body.into(),
            language: lang.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            source: Some(Source::File {
                path: format!("/home/u/notes/{lang}/{title}.txt")
                    .replace(' ', "_")
                    .into(),
                start_line: 1,
                end_line: 1,
                block: 0,
            }),
            ..Default::default()
        })
        .unwrap()
        .id
}

fn library() -> (tempfile::TempDir, Store, SearchIndex, [i64; 3]) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_memory().unwrap();
    let ids = [
        snippet(
            &store,
            "Read a file to string",
            "std::fs::read_to_string(path)?",
            "rust",
            &["io", "files"],
        ),
        snippet(
            &store,
            "Parse JSON response",
            "import json\ndata = json.loads(text)",
            "python",
            &["json"],
        ),
        snippet(
            &store,
            "Find large files",
            "find . -size +100M -print",
            "shell",
            &["files", "disk"],
        ),
    ];
    let idx = SearchIndex::open_synced(&dir.path().join("index"), &store).unwrap();
    (dir, store, idx, ids)
}

fn ids(hits: &[Hit]) -> Vec<i64> {
    hits.iter().map(|h| h.id).collect()
}

#[test]
fn finds_by_title_body_and_typos() {
    let (_d, _s, idx, [rust, python, shell]) = library();
    assert_eq!(idx.num_docs(), 3);
    assert_eq!(ids(&idx.search("json", 10).unwrap()), vec![python]);
    // Body token, not in any title.
    assert_eq!(ids(&idx.search("loads", 10).unwrap()), vec![python]);
    // One typo in a 6+ letter word.
    assert_eq!(ids(&idx.search("strng reed", 10).unwrap()), vec![rust]);
    // Prefix of the word being typed.
    assert_eq!(ids(&idx.search("lar", 10).unwrap()), vec![shell]);
    assert!(idx.search("zebra", 10).unwrap().is_empty());
}

#[test]
fn filters_narrow_results() {
    let (_d, _s, idx, [rust, _python, shell]) = library();
    let mut both = ids(&idx.search("tag:files", 10).unwrap());
    both.sort();
    assert_eq!(both, vec![rust, shell]);
    assert_eq!(
        ids(&idx.search("tag:files lang:sh", 10).unwrap()),
        vec![shell]
    );
    assert_eq!(
        ids(&idx.search("tag:files -lang:rust", 10).unwrap()),
        vec![shell]
    );
    assert_eq!(ids(&idx.search("path:rust", 10).unwrap()), vec![rust]);
    assert_eq!(idx.search("", 10).unwrap().len(), 3);
}

#[test]
fn title_matches_outrank_body_matches() {
    let (_d, store, idx, _) = library();
    let body_only = snippet(&store, "Misc", "files files files", "text", &[]);
    let titled = snippet(&store, "Files helper", "x", "text", &[]);
    idx.sync(&store).unwrap();
    let hits = ids(&idx.search("files lang:text", 10).unwrap());
    assert_eq!(hits, vec![titled, body_only]);
}

#[test]
fn edits_and_deletes_reach_the_index() {
    let (_d, store, idx, [rust, python, _]) = library();
    store
        .update(
            rust,
            &SnippetPatch {
                title: Some("Slurp bytes".into()),
                ..Default::default()
            },
        )
        .unwrap();
    store.delete(python).unwrap();
    assert_eq!(idx.sync(&store).unwrap(), 2);
    assert_eq!(ids(&idx.search("slurp", 10).unwrap()), vec![rust]);
    assert!(idx.search("json", 10).unwrap().is_empty());
    assert_eq!(idx.num_docs(), 2);
    assert_eq!(store.pending_index_count().unwrap(), 0);
}

#[test]
fn a_second_opener_is_read_only_and_sees_commits() {
    let (d, store, idx, _) = library();
    let (other, _) = SearchIndex::open(&d.path().join("index")).unwrap();
    assert!(idx.is_writable());
    assert!(!other.is_writable());
    assert_eq!(other.sync(&store).unwrap(), 0);
    assert_eq!(other.search("json", 5).unwrap().len(), 1);
}

#[test]
fn corrupt_or_old_index_is_rebuilt_from_the_store() {
    let (d, store, idx, [_, python, _]) = library();
    drop(idx);
    let dir = d.path().join("index");
    // Garble tantivy's metadata.
    std::fs::write(dir.join("meta.json"), b"{not json").unwrap();
    let idx = SearchIndex::open_synced(&dir, &store).unwrap();
    assert_eq!(idx.num_docs(), 3);
    assert_eq!(ids(&idx.search("json", 10).unwrap()), vec![python]);
    drop(idx);
    // An index written by an older schema version.
    std::fs::write(dir.join(VERSION_FILE), "0").unwrap();
    let (idx, state) = SearchIndex::open(&dir).unwrap();
    assert_eq!(state, OpenState::Fresh);
    assert_eq!(idx.num_docs(), 0);
    idx.rebuild(&store).unwrap();
    assert_eq!(idx.num_docs(), 3);
}

/// Overwrite the middle of every index file ending with `suffix`, in place
/// (the open index keeps them mapped).
fn garble(dir: &Path, suffix: &str) -> usize {
    use std::io::{Seek, SeekFrom, Write};
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(suffix) {
            continue;
        }
        let len = std::fs::metadata(&path).unwrap().len() as usize;
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start((len / 4) as u64)).unwrap();
        f.write_all(&vec![0xa5; len / 2]).unwrap();
        n += 1;
    }
    n
}

#[test]
fn damage_met_by_a_search_is_repaired_from_the_database_without_a_panic() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("lib.db"), &d.path().join("backups")).unwrap();
    let rust = snippet(
        &store,
        "Read a file",
        "std::fs::read_to_string(p)",
        "rust",
        &[],
    );
    snippet(&store, "Parse JSON", "json.loads(text)", "python", &[]);
    let dir = d.path().join("index");
    let idx = SearchIndex::open_synced(&dir, &store).unwrap();
    assert_eq!(ids(&idx.search("read", 5).unwrap()), vec![rust]);
    // Damaged after the checks at open: the first query meets it.
    assert!(garble(&dir, ".term") > 0);
    assert_eq!(ids(&idx.search("read", 5).unwrap()), vec![rust]);
    assert!(idx.repaired().is_some());
    assert_eq!(idx.num_docs(), 2);
    assert_eq!(idx.check(), None);
}

#[test]
fn damage_is_found_at_open_and_by_check() {
    let d = tempfile::tempdir().unwrap();
    let store = Store::open(&d.path().join("lib.db"), &d.path().join("backups")).unwrap();
    let rust = snippet(
        &store,
        "Read a file",
        "std::fs::read_to_string(p)",
        "rust",
        &[],
    );
    let dir = d.path().join("index");
    let idx = SearchIndex::open_synced(&dir, &store).unwrap();
    assert_eq!(idx.check(), None);
    assert!(garble(&dir, ".store") > 0);
    let found = idx.check().unwrap();
    assert!(found.contains(".store"), "{found}");
    drop(idx);
    let idx = SearchIndex::open_synced(&dir, &store).unwrap();
    assert!(
        idx.repaired().unwrap().contains(".store"),
        "{:?}",
        idx.repaired()
    );
    assert_eq!(ids(&idx.search("read", 5).unwrap()), vec![rust]);
    assert_eq!(idx.check(), None);
}

#[test]
fn a_query_of_only_emoji_or_punctuation_matches_nothing() {
    let (_d, _store, idx, _) = library();
    for q in ["🦀", "!!!", "-- ... ??", "\"🦀\""] {
        assert!(idx.search(q, 10).unwrap().is_empty(), "{q}");
    }
    // Filters alone still select.
    assert_eq!(idx.search("lang:rust", 10).unwrap().len(), 1);
}
