//! The TUI tests' one set of fixtures: summaries, snippets, a loaded state
//! and key presses, shared by the tests of `app` (update, keys, keymap,
//! enrichment), `ui` (render tests) and `tui` (search ranking).

use super::{update, AppEvent, AppState, Effect};
use crate::domain::{content_hash, FieldMetas, Provenance, Snippet, SnippetId, Source};
use crate::store::SnippetSummary;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;
use std::sync::Arc;

/// A Rust snippet's summary; a higher id is newer.
pub fn summary(id: SnippetId, title: &str, tags: &[&str]) -> SnippetSummary {
    SnippetSummary {
        id,
        title: title.into(),
        language: "rust".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        path: None,
        start_line: None,
        updated_at: 1000 - id,
        has_secrets: false,
    }
}

/// `snippet {id}`, without tags.
pub fn numbered(id: SnippetId) -> SnippetSummary {
    summary(id, &format!("snippet {id}"), &[])
}

/// Snippets 1..=n, in list order.
pub fn library(n: i64) -> Arc<Vec<SnippetSummary>> {
    Arc::new((1..=n).map(numbered).collect())
}

/// A hand-written snippet titled `s{id}` with just this content.
pub fn snippet(id: SnippetId, language: &str, content: &str) -> Snippet {
    Snippet {
        id,
        title: format!("s{id}"),
        description: String::new(),
        tags: vec![],
        links: vec![],
        language: language.into(),
        content_hash: content_hash(content),
        content: content.into(),
        source: Source::Manual,
        meta: FieldMetas::default(),
        secrets: vec![],
        created_at: 0,
        updated_at: 0,
    }
}

/// Snippet `id` of `n` lines, `line 0` to `line {n-1}`.
pub fn lines(id: SnippetId, n: usize) -> Snippet {
    let content: String = (0..n).map(|i| format!("line {i}\n")).collect();
    snippet(id, "rust", &content)
}

/// Field provenance as enrichment leaves it: a title by the model, tags
/// by the user and locked.
pub fn enriched_meta() -> FieldMetas {
    let mut meta = FieldMetas::default();
    meta.title.provenance = Some(Provenance::Model {
        model: "smollm2".into(),
        adapter: "title".into(),
        version: "1".into(),
    });
    meta.tags.provenance = Some(Provenance::User);
    meta.tags.locked = true;
    meta
}

/// Snippet 1: a file-backed function with every field filled in.
pub fn full_snippet() -> Snippet {
    let content =
        "fn read(path: &Path) -> String {\n    std::fs::read_to_string(path).unwrap()\n}\n";
    Snippet {
        title: "Read a file to string".into(),
        description: "Reads the whole file into memory as UTF-8.".into(),
        tags: vec!["rust".into(), "io".into()],
        links: vec!["https://doc.rust-lang.org/std/fs/fn.read_to_string.html".into()],
        source: Source::File {
            path: PathBuf::from("src/lib.rs"),
            start_line: 7,
            end_line: 9,
            block: 0,
        },
        meta: enriched_meta(),
        ..snippet(1, "rust", content)
    }
}

/// Snippet `id`: a hand-written entry point with a model-written title, a
/// two-line description and user-locked tags.
pub fn entry_point(id: SnippetId) -> Snippet {
    Snippet {
        title: "Entry point".into(),
        description: "The program starts here.\nNothing else.".into(),
        tags: vec!["rust".into(), "io".into()],
        meta: enriched_meta(),
        ..snippet(id, "rust", "fn main() {}\n")
    }
}

/// Browsing snippets 1..=n on a 100×30 terminal.
pub fn loaded(n: i64) -> AppState {
    let mut s = AppState::new(false);
    update(&mut s, AppEvent::Resize(100, 30));
    update(&mut s, AppEvent::Loaded(library(n)));
    s
}

pub fn key_with(s: &mut AppState, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    update(s, AppEvent::Key(KeyEvent::new(code, mods)))
}

pub fn press(s: &mut AppState, code: KeyCode) -> Vec<Effect> {
    key_with(s, code, KeyModifiers::NONE)
}

pub fn ch(s: &mut AppState, c: char) -> Vec<Effect> {
    press(s, KeyCode::Char(c))
}
