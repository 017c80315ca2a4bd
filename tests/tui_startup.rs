//! Startup cost of the TUI with a large library: loading the summaries,
//! the first `update` and the first frame. Ignored by default because
//! filling 100,000 snippets takes a while in a debug build; run with
//! `cargo test --test tui_startup -- --ignored --nocapture`.

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use nucleo_matcher::{Config, Matcher};
use snipdex::app::{rank, update, AppEvent, AppState, Prepared};
use snipdex::domain::NewSnippet;
use snipdex::store::Store;
use snipdex::ui::{self, Highlighter};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SNIPPETS: usize = 100_000;

#[test]
#[ignore = "slow: fills a 100,000-snippet library"]
fn first_frame_with_100k_snippets() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("lib.db"), dir.path()).unwrap();
    // `insert` runs its own transaction, so rows go in one by one.
    for i in 0..SNIPPETS {
        store
            .insert(&NewSnippet {
                title: if i % 10 == 0 {
                    String::new()
                } else {
                    format!("snippet number {i}")
                },
                content: format!("fn f{i}() {{\n    println!(\"{i}\");\n}}\n"),
                language: "rust".into(),
                tags: vec![format!("t{}", i % 50), "rust".into()],
                ..NewSnippet::default()
            })
            .unwrap();
    }

    let start = Instant::now();
    let summaries = store.summaries().unwrap();
    let loaded = start.elapsed();
    assert_eq!(summaries.len(), SNIPPETS);
    let mut state = AppState::new(false);
    update(&mut state, AppEvent::Resize(120, 40));
    update(&mut state, AppEvent::Loaded(Arc::new(summaries)));
    let mut hl = Highlighter::new("base16-ocean.dark");
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| ui::draw(f, &state, &mut hl)).unwrap();
    let total = start.elapsed();
    eprintln!("summaries: {loaded:?}, first frame: {total:?}");
    // The target is 200 ms in a release build; a debug build of this crate
    // (dependencies are optimised) gets some slack.
    assert!(total < Duration::from_millis(1_000), "{total:?}");

    // Fuzzy ranking runs on a worker on every keystroke.
    let prepared = Prepared::new(Arc::clone(&state.summaries));
    let mut matcher = Matcher::new(Config::DEFAULT);
    let start = Instant::now();
    let ids = rank("snpnum 9999", &[], &prepared, &mut matcher);
    let ranked = start.elapsed();
    eprintln!("fuzzy rank over {SNIPPETS}: {ranked:?}, {} hits", ids.len());
    assert!(!ids.is_empty());
    assert!(ranked < Duration::from_millis(1_000), "{ranked:?}");
}
