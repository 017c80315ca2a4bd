use super::*;
use crate::app::event::IndexStatus;
use crate::app::layout;
use crate::app::state::MESSAGE_TICKS;
use crate::app::testkit::{ch, library, lines, loaded, press, summary};
use crate::store::TagCount;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::path::PathBuf;

fn typed(s: &mut AppState, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| ch(s, c)).collect()
}

#[test]
fn navigation_stays_in_bounds_and_loads_previews() {
    let mut s = loaded(50);
    assert_eq!(s.selected_id(), Some(1));
    assert_eq!(press(&mut s, KeyCode::Up), Vec::new(), "already at the top");
    assert_eq!(ch(&mut s, 'j'), vec![Effect::LoadPreview(2)]);
    assert_eq!(ch(&mut s, 'G'), vec![Effect::LoadPreview(50)]);
    assert_eq!(ch(&mut s, 'j'), Vec::new(), "already at the bottom");
    assert_eq!(s.selected, 49);
    let rows = layout::list_rows(100, 30);
    assert!(s.list_offset + rows > s.selected && s.list_offset <= s.selected);
    ch(&mut s, 'g');
    assert_eq!((s.selected, s.list_offset), (0, 0));
    press(&mut s, KeyCode::PageDown);
    assert_eq!(s.selected, rows);
    press(&mut s, KeyCode::PageUp);
    assert_eq!(s.selected, 0);
}

#[test]
fn navigation_in_an_empty_list_is_harmless() {
    let mut s = loaded(0);
    assert_eq!(s.screen, Screen::FirstRun);
    ch(&mut s, 'x');
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.screen, Screen::Browse);
    for c in ['j', 'k', 'G', 'g', 'y', 'e', 'd', 't'] {
        assert_eq!(ch(&mut s, c), Vec::new(), "{c}");
    }
    assert_eq!(s.mode, Mode::Normal);
}

#[test]
fn search_typing_backspace_and_escape() {
    let mut s = loaded(5);
    assert_eq!(ch(&mut s, '/'), Vec::new());
    assert_eq!(s.mode, Mode::Search);
    assert_eq!(
        ch(&mut s, 'q'),
        vec![Effect::Search("q".into())],
        "q is text here"
    );
    assert_eq!(
        typed(&mut s, "ry").last(),
        Some(&Effect::Search("qry".into()))
    );
    assert_eq!(
        press(&mut s, KeyCode::Backspace),
        vec![Effect::Search("qr".into())]
    );
    // Deleting the last characters shows everything again without a search.
    press(&mut s, KeyCode::Backspace);
    let fx = press(&mut s, KeyCode::Backspace);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Search(_))), "{fx:?}");
    assert_eq!(s.visible.len(), 5);
    typed(&mut s, "abc");
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.mode, Mode::Normal);
    assert!(s.query.is_empty());
    assert_eq!(s.visible.len(), 5);
    assert!(s.pending_query.is_none());
}

#[test]
fn enter_accepts_the_search_and_keeps_results() {
    let mut s = loaded(5);
    ch(&mut s, '/');
    typed(&mut s, "sn");
    update(
        &mut s,
        AppEvent::SearchResults {
            query: "sn".into(),
            hits: vec![4, 2],
        },
    );
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.mode, Mode::Normal);
    assert_eq!(s.query.text(), "sn");
    assert_eq!(s.selected_id(), Some(4));
    // Esc in the list clears the search.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.visible.len(), 5);
}

#[test]
fn stale_search_results_are_ignored() {
    let mut s = loaded(5);
    ch(&mut s, '/');
    typed(&mut s, "ab");
    let fx = update(
        &mut s,
        AppEvent::SearchResults {
            query: "a".into(),
            hits: vec![3],
        },
    );
    assert!(fx.is_empty());
    assert_eq!(s.visible.len(), 5, "old results must not replace the list");
    assert_eq!(s.pending_query.as_deref(), Some("ab"));
    let fx = update(
        &mut s,
        AppEvent::SearchResults {
            query: "ab".into(),
            hits: vec![3, 99, 1],
        },
    );
    assert_eq!(fx, vec![Effect::LoadPreview(3)]);
    let ids: Vec<_> = s.visible.iter().map(|&i| s.summaries[i].id).collect();
    assert_eq!(ids, vec![3, 1], "unknown ids are dropped");
    assert!(s.pending_query.is_none());
}

#[test]
fn confirm_delete_yes_deletes_no_cancels() {
    let mut s = loaded(3);
    ch(&mut s, 'j');
    assert_eq!(ch(&mut s, 'd'), Vec::new());
    assert!(matches!(&s.mode, Mode::ConfirmDelete(c) if c.id == 2 && c.source.is_none()));
    assert_eq!(ch(&mut s, 'n'), Vec::new());
    assert_eq!(s.mode, Mode::Normal);
    ch(&mut s, 'd');
    assert_eq!(ch(&mut s, 'x'), Vec::new(), "other keys do nothing");
    assert!(matches!(s.mode, Mode::ConfirmDelete(_)));
    assert_eq!(ch(&mut s, 'y'), vec![Effect::Delete(2)]);
    assert_eq!(s.mode, Mode::Normal);
    ch(&mut s, 'd');
    assert_eq!(press(&mut s, KeyCode::Esc), Vec::new());
    assert_eq!(s.mode, Mode::Normal);
}

#[test]
fn deleting_a_file_backed_snippet_names_its_file() {
    let mut s = AppState::new(false);
    let mut f = summary(7, "from a file", &[]);
    f.path = Some(PathBuf::from("notes/a.md"));
    f.start_line = Some(12);
    update(&mut s, AppEvent::Loaded(Arc::new(vec![f])));
    ch(&mut s, 'd');
    match &s.mode {
        Mode::ConfirmDelete(c) => assert_eq!(c.source.as_deref(), Some("notes/a.md:12")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn tag_edit_prefills_and_saves_normalised_tags() {
    let mut s = AppState::new(false);
    update(
        &mut s,
        AppEvent::Loaded(Arc::new(vec![summary(1, "a", &["rust", "io"])])),
    );
    ch(&mut s, 't');
    match &s.mode {
        Mode::TagEdit { id, input } => {
            assert_eq!(*id, 1);
            assert_eq!(input.text(), "rust, io");
        }
        other => panic!("{other:?}"),
    }
    typed(&mut s, ", Async IO,rust");
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(
        fx,
        vec![Effect::SetTags(
            1,
            vec!["rust".into(), "io".into(), "async-io".into()]
        )]
    );
    assert_eq!(s.mode, Mode::Normal);
    ch(&mut s, 't');
    typed(&mut s, "zzz");
    assert_eq!(press(&mut s, KeyCode::Esc), Vec::new(), "Esc discards");
}

#[test]
fn typing_in_the_tag_picker_then_enter_takes_the_first_match() {
    let mut s = loaded(4);
    ch(&mut s, '#');
    let tags = ["rust", "shell", "sql"]
        .iter()
        .map(|t| TagCount {
            tag: (*t).into(),
            count: 1,
        })
        .collect();
    update(&mut s, AppEvent::TagCounts(tags));
    typed(&mut s, "sq");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.tag_filter.as_deref(), Some("sql"));
}

#[test]
fn tag_picker_sets_and_clears_the_filter() {
    let mut s = loaded(4);
    assert_eq!(ch(&mut s, '#'), vec![Effect::LoadTagCounts]);
    let tags = vec![
        TagCount {
            tag: "rust".into(),
            count: 3,
        },
        TagCount {
            tag: "shell".into(),
            count: 1,
        },
    ];
    update(&mut s, AppEvent::TagCounts(tags));
    typed(&mut s, "sh");
    press(&mut s, KeyCode::Down);
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(s.tag_filter.as_deref(), Some("shell"));
    assert_eq!(fx, vec![Effect::Search("tag:shell".into())]);
    ch(&mut s, '/');
    let fx = typed(&mut s, "x");
    assert_eq!(fx, vec![Effect::Search("tag:shell x".into())]);
    press(&mut s, KeyCode::Enter);
    // Choosing "all snippets" clears it again.
    ch(&mut s, 'T');
    update(&mut s, AppEvent::TagCounts(vec![]));
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.tag_filter, None);
    assert_eq!(s.effective_query(), "x");
}

#[test]
fn quit_and_interrupt() {
    let mut s = loaded(2);
    assert_eq!(ch(&mut s, 'q'), vec![Effect::Quit]);
    ch(&mut s, '/');
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(update(&mut s, AppEvent::Key(ctrl_c)), vec![Effect::Quit]);
}

#[test]
fn key_releases_are_ignored() {
    let mut s = loaded(3);
    let mut release = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    update(&mut s, AppEvent::Key(release));
    assert_eq!(s.selected, 0);
}

#[test]
fn full_screen_preview_scrolls_within_content() {
    let mut s = loaded(3);
    update(&mut s, AppEvent::Preview(Box::new(lines(1, 200))));
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Preview);
    ch(&mut s, 'j');
    ch(&mut s, 'j');
    assert_eq!(s.preview_scroll, 2);
    ch(&mut s, 'G');
    // 30 rows: the search bar, message and status lines leave 27; the
    // border 25; the header (title, origin, rule) 22 rows of content.
    let last_page = 200 - 22;
    assert_eq!(s.preview_scroll, last_page);
    ch(&mut s, 'j');
    assert_eq!(s.preview_scroll, last_page, "no scrolling past the end");
    ch(&mut s, 'g');
    assert_eq!(s.preview_scroll, 0);
    assert_eq!(ch(&mut s, 'y'), vec![Effect::Copy(1)]);
    ch(&mut s, 'q');
    assert_eq!(s.screen, Screen::Browse, "q goes back, it does not quit");
}

#[test]
fn previews_for_another_selection_are_dropped() {
    let mut s = loaded(3);
    ch(&mut s, 'j');
    update(&mut s, AppEvent::Preview(Box::new(lines(1, 3))));
    assert!(s.current_preview().is_none());
    update(&mut s, AppEvent::Preview(Box::new(lines(2, 3))));
    assert_eq!(s.current_preview().map(|p| p.id), Some(2));
}

#[test]
fn reload_keeps_the_selection_on_the_same_snippet() {
    let mut s = loaded(5);
    ch(&mut s, 'j');
    ch(&mut s, 'j');
    assert_eq!(s.selected_id(), Some(3));
    // A new snippet appears at the top.
    let mut lib = vec![summary(9, "new", &[])];
    lib.extend(library(5).iter().cloned());
    let fx = update(&mut s, AppEvent::Loaded(Arc::new(lib)));
    assert_eq!(s.selected_id(), Some(3));
    assert_eq!(fx, vec![Effect::LoadPreview(3)], "content may have changed");
    // The selected snippet is deleted: the selection stays in place.
    let lib: Vec<_> = library(5).iter().filter(|x| x.id != 3).cloned().collect();
    update(&mut s, AppEvent::Loaded(Arc::new(lib)));
    assert_eq!(s.selected_id(), Some(4));
}

#[test]
fn reload_during_a_search_reruns_it() {
    let mut s = loaded(5);
    ch(&mut s, '/');
    typed(&mut s, "sn");
    let fx = update(&mut s, AppEvent::Loaded(library(6)));
    assert!(fx.contains(&Effect::Search("sn".into())), "{fx:?}");
}

#[test]
fn editor_outcomes_select_and_reload() {
    let mut s = loaded(3);
    let fx = update(&mut s, AppEvent::EditorDone(EditorOutcome::Created(42)));
    assert_eq!(fx, vec![Effect::Reload]);
    let mut lib = vec![summary(42, "new one", &[])];
    lib.extend(library(3).iter().cloned());
    update(&mut s, AppEvent::Loaded(Arc::new(lib)));
    assert_eq!(s.selected_id(), Some(42));
    let fx = update(
        &mut s,
        AppEvent::EditorDone(EditorOutcome::Aborted(Some(1))),
    );
    assert!(fx.is_empty());
    assert!(s
        .message
        .as_ref()
        .is_some_and(|m| m.error && m.text.contains("status 1")));
    update(&mut s, AppEvent::EditorDone(EditorOutcome::Unchanged));
    assert!(s.message.as_ref().is_some_and(|m| !m.error));
}

#[test]
fn first_run_offers_samples_once() {
    let mut s = loaded(0);
    assert_eq!(s.screen, Screen::FirstRun);
    assert_eq!(press(&mut s, KeyCode::Enter), vec![Effect::LoadSamples]);
    assert_eq!(
        update(&mut s, AppEvent::SamplesLoaded(12)),
        vec![Effect::Reload]
    );
    assert_eq!(s.screen, Screen::Browse);
    // A library emptied later does not bring the offer back.
    update(&mut s, AppEvent::Loaded(library(0)));
    assert_eq!(s.screen, Screen::Browse);
}

#[test]
fn pick_mode_chooses_and_cancels_without_writing() {
    let mut s = AppState::new(true);
    update(&mut s, AppEvent::Loaded(library(3)));
    assert_eq!(s.mode, Mode::Search, "pick starts typing");
    assert_ne!(s.screen, Screen::FirstRun);
    press(&mut s, KeyCode::Down);
    assert_eq!(press(&mut s, KeyCode::Enter), vec![Effect::Choose(2)]);
    assert_eq!(press(&mut s, KeyCode::Esc), vec![Effect::Quit]);
    let mut s = AppState::new(true);
    update(&mut s, AppEvent::Loaded(library(3)));
    s.mode = Mode::Normal;
    for c in ['e', 'd', 't', 'n'] {
        assert_eq!(ch(&mut s, c), Vec::new(), "{c} must not write in pick mode");
    }
    assert_eq!(s.mode, Mode::Normal);
}

#[test]
fn messages_expire_and_worker_events_land() {
    let mut s = loaded(1);
    update(&mut s, AppEvent::Status("enriched 3".into()));
    update(&mut s, AppEvent::Watch("watching 2 folders".into()));
    update(&mut s, AppEvent::Index(IndexStatus::Ready(1)));
    assert_eq!(s.watch.as_deref(), Some("watching 2 folders"));
    assert_eq!(s.index, IndexStatus::Ready(1));
    for _ in 0..MESSAGE_TICKS - 1 {
        update(&mut s, AppEvent::Tick);
    }
    assert!(s.message.is_some());
    update(&mut s, AppEvent::Tick);
    assert!(s.message.is_none());
    assert_eq!(
        update(&mut s, AppEvent::LibraryChanged),
        vec![Effect::Reload]
    );
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut s = loaded(1);
    ch(&mut s, '?');
    assert_eq!(s.mode, Mode::Help { scroll: 0 });
    ch(&mut s, 'j');
    assert_eq!(s.mode, Mode::Help { scroll: 1 });
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.mode, Mode::Normal);
}

#[test]
fn first_page_then_whole_library() {
    let mut s = AppState::new(false);
    update(&mut s, AppEvent::Resize(100, 30));
    let lib = library(40);
    update(&mut s, AppEvent::FirstPage(Arc::new(lib[..10].to_vec())));
    assert!(s.partial);
    assert_eq!(
        s.screen,
        Screen::Browse,
        "a first page is not an empty library"
    );
    ch(&mut s, 'j');
    ch(&mut s, 'G');
    assert_eq!(s.selected_id(), Some(10));
    update(&mut s, AppEvent::Loaded(lib));
    assert!(!s.partial);
    assert_eq!(s.visible.len(), 40);
    assert_eq!(s.selected_id(), Some(10), "the selection survives");
}

#[test]
fn a_user_rebinding_takes_effect_in_update() {
    let mut s = loaded(5);
    let keys = crate::config::Config::parse("[keys]\nlist.down = \"J\"\nlist.quit = \"Ctrl-q\"\n")
        .unwrap()
        .keys;
    s.keymap = Arc::new(crate::app::keymap::Keymap::with_user_keys(&keys).unwrap());
    assert!(ch(&mut s, 'j').is_empty());
    assert_eq!(s.selected, 0, "j no longer moves");
    assert_eq!(ch(&mut s, 'J'), vec![Effect::LoadPreview(2)]);
    assert_eq!(s.selected, 1, "J does");
    assert!(ch(&mut s, 'q').is_empty(), "q no longer quits");
    let ctrl_q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL);
    assert_eq!(update(&mut s, AppEvent::Key(ctrl_q)), vec![Effect::Quit]);
    // Scopes the user left alone keep their keys.
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Preview);
    update(&mut s, AppEvent::Preview(Box::new(lines(2, 200))));
    ch(&mut s, 'j');
    assert_eq!(s.preview_scroll, 1, "j still scrolls the full-screen view");
}
