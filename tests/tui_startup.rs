//! Startup cost of the TUI with a large library: the first frame (drawn
//! from the newest page of summaries) and the whole library after it. Ignored by default because
//! filling 100,000 snippets takes a while in a debug build; run with
//! `cargo test --test tui_startup -- --ignored --nocapture`.

use nucleo_matcher::{Config, Matcher};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
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

    // What the runtime does before its first frame: read the newest page.
    let start = Instant::now();
    let first = store.recent_summaries(Some(500)).unwrap();
    let mut state = AppState::new(false);
    update(&mut state, AppEvent::Resize(120, 40));
    update(&mut state, AppEvent::FirstPage(Arc::new(first)));
    let mut hl = Highlighter::new("base16-ocean.dark");
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| ui::draw(f, &state, &mut hl)).unwrap();
    let first_frame = start.elapsed();
    assert!(first_frame < Duration::from_millis(200), "{first_frame:?}");

    // Right after it, the whole library.
    let start = Instant::now();
    let summaries = store.summaries().unwrap();
    assert_eq!(summaries.len(), SNIPPETS);
    update(&mut state, AppEvent::Loaded(Arc::new(summaries)));
    terminal.draw(|f| ui::draw(f, &state, &mut hl)).unwrap();
    let full = start.elapsed();
    eprintln!("first frame: {first_frame:?}, whole library loaded and drawn: {full:?}");
    // A debug build of this crate (dependencies are optimised) gets slack.
    assert!(full < Duration::from_millis(1_500), "{full:?}");

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
