//! Render tests: every view drawn on a `TestBackend`, asserting on what
//! the user would read.

use super::*;
use crate::app::testkit::press;
pub(super) use crate::app::testkit::{full_snippet, summary};
use crate::app::{
    update, AppEvent, AppState, ConfirmDelete, IndexStatus, LineInput, Mode, Screen, TagPicker,
};
use crate::domain::{content_hash, FieldMetas};
use crate::store::TagCount;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::Terminal;
use std::path::PathBuf;
use std::sync::Arc;
use unicode_width::UnicodeWidthStr;

const CJK_TITLE: &str = "日本語のスニペット 🦀 crab";

/// A browsing state with three snippets and the first one's preview.
pub(super) fn browsing() -> AppState {
    let mut s = AppState::new(false);
    let mut first = summary(1, "Read a file to string", &["rust", "io"]);
    first.path = Some(PathBuf::from("src/lib.rs"));
    first.start_line = Some(7);
    let lib = vec![
        first,
        summary(2, "HTTP GET with retries", &["http"]),
        summary(3, "Parse JSON", &["json"]),
    ];
    update(&mut s, AppEvent::Resize(120, 40));
    update(&mut s, AppEvent::Loaded(Arc::new(lib)));
    update(&mut s, AppEvent::Preview(Box::new(full_snippet())));
    update(&mut s, AppEvent::Index(IndexStatus::Ready(3)));
    s
}

pub(super) fn render(
    state: &AppState,
    w: u16,
    h: u16,
    hl: &mut Highlighter,
) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, state, hl)).unwrap();
    t
}

/// The screen as text, one line per row; the filler cell after a
/// double-width character is skipped so text reads as typed.
pub(super) fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = sym.width().saturating_sub(1);
            out.push_str(sym);
        }
        out.push('\n');
    }
    out
}

pub(super) fn screen(state: &AppState, w: u16, h: u16) -> String {
    let mut hl = Highlighter::new("base16-ocean.dark");
    text(render(state, w, h, &mut hl).backend().buffer())
}

#[test]
fn list_and_preview_side_by_side() {
    let s = browsing();
    let out = screen(&s, 120, 40);
    let title_row = out
        .lines()
        .find(|l| l.contains("Read a file to string"))
        .unwrap();
    assert!(title_row.contains("#rust"), "list shows tags: {title_row}");
    assert!(out.contains("HTTP GET with retries"));
    assert!(
        out.contains("title: model (title v1)"),
        "provenance:\n{out}"
    );
    assert!(out.contains("tags: user, locked"));
    assert!(out.contains("src/lib.rs:7-9"));
    assert!(out.contains("Reads the whole file"));
    assert!(out.contains("https://doc.rust-lang.org/std/fs"));
    assert!(out.contains("read_to_string(path)"));
    assert!(
        out.contains(" 7 fn read"),
        "numbered from the file's line:\n{out}"
    );
    assert!(out.contains("3/3"), "status counts");
    assert!(out.contains("index: 3 docs"));
}

#[test]
fn preview_is_syntax_highlighted_once_loaded() {
    let s = browsing();
    let mut hl = Highlighter::new("base16-ocean.dark");
    hl.load();
    let t = render(&s, 120, 40, &mut hl);
    let buf = t.backend().buffer();
    let out = text(buf);
    let y = out
        .lines()
        .position(|l| l.contains("fn read(path"))
        .unwrap() as u16;
    let mut colours: Vec<Color> = (0..120)
        .map(|x| buf[(x, y)].fg)
        .filter(|c| matches!(c, Color::Rgb(..)))
        .collect();
    colours.dedup();
    assert!(colours.len() >= 2, "keywords and names differ: {colours:?}");
}

#[test]
fn search_bar_shows_query_and_cursor() {
    let mut s = browsing();
    s.mode = Mode::Search;
    s.query = LineInput::with_text("rdfl");
    s.tag_filter = Some("rust".into());
    let mut hl = Highlighter::new("x");
    let mut t = render(&s, 80, 24, &mut hl);
    let out = text(t.backend().buffer());
    let top = out.lines().next().unwrap();
    assert!(top.starts_with("[#rust] / rdfl"), "{top}");
    t.backend_mut()
        .assert_cursor_position((("[#rust] / rdfl".len()) as u16, 0));
    assert!(out.contains("filter: tag:rust rdfl"));
}

#[test]
fn help_overlay_lists_keys_from_the_table() {
    let mut s = browsing();
    s.mode = Mode::Help { scroll: 0 };
    let out = screen(&s, 100, 60);
    assert!(out.contains("Help"));
    assert!(
        out.lines()
            .any(|l| l.contains("  q ") && l.contains("quit")),
        "{out}"
    );
    assert!(out.contains("search as you type"));
    assert!(
        !out.contains("Ctrl-c"),
        "the last section is below the fold"
    );
    // Scrolling stops at the end, where the global keys are.
    s.mode = Mode::Help { scroll: 10_000 };
    let out = screen(&s, 100, 60);
    assert!(out.contains("Ctrl-c"), "{out}");
    assert!(out.contains("quit at once"));
}

#[test]
fn confirm_dialog_explains_file_backed_deletes() {
    let mut s = browsing();
    s.mode = Mode::ConfirmDelete(ConfirmDelete {
        id: 1,
        title: "Read a file to string".into(),
        source: Some("src/lib.rs:7".into()),
    });
    let out = screen(&s, 80, 24);
    assert!(out.contains("Delete “Read a file to string”?"), "{out}");
    assert!(out.contains("src/lib.rs:7"));
    assert!(out.contains("watcher owns"));
    assert!(out.contains("y delete"));
}

#[test]
fn tag_editor_shows_the_prefilled_tags() {
    let mut s = browsing();
    s.mode = Mode::TagEdit {
        id: 1,
        input: LineInput::with_text("rust, io"),
    };
    let out = screen(&s, 80, 24);
    assert!(out.contains("tags: rust, io"), "{out}");
    assert!(out.contains("comma-separated"));
}

#[test]
fn tag_filter_picker_lists_counts() {
    let mut s = browsing();
    s.mode = Mode::TagPicker(TagPicker {
        input: LineInput::default(),
        tags: Some(vec![
            TagCount {
                tag: "rust".into(),
                count: 3,
            },
            TagCount {
                tag: "http".into(),
                count: 1,
            },
        ]),
        selected: 1,
    });
    let out = screen(&s, 80, 24);
    let rust = out.lines().find(|l| l.contains("│#rust ")).unwrap();
    assert!(rust.trim_end_matches(['│', ' ']).ends_with('3'), "{rust}");
    assert!(out.contains("#http"));
    assert!(out.contains("all snippets"));
    s.mode = Mode::TagPicker(TagPicker::default());
    assert!(screen(&s, 80, 24).contains("Loading tags"));
}

#[test]
fn first_run_offers_samples() {
    let mut s = AppState::new(false);
    update(&mut s, AppEvent::Loaded(Arc::new(vec![])));
    assert_eq!(s.screen, Screen::FirstRun);
    let out = screen(&s, 80, 24);
    assert!(out.contains("Welcome to snipdex"));
    assert!(out.contains("sample snippets"));
    assert!(out.contains("Enter"));
}

#[test]
fn first_run_text_wraps_inside_its_box_on_wide_screens() {
    let mut s = AppState::new(false);
    update(&mut s, AppEvent::Loaded(Arc::new(vec![])));
    // The box is 70 columns; the text used to be wrapped to the screen and
    // then clipped by the box, losing words.
    let out = screen(&s, 100, 30);
    let words: String = out
        .lines()
        .map(|l| l.replace('│', " "))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = words.split_whitespace().collect();
    let joined = words.join(" ");
    assert!(
        joined.contains("from folders you watch, from your editor, or from a set of samples"),
        "{out}"
    );
}

#[test]
fn empty_library_says_how_to_start() {
    let mut s = AppState::new(false);
    update(&mut s, AppEvent::Loaded(Arc::new(vec![])));
    s.screen = Screen::Browse;
    let out = screen(&s, 80, 24);
    assert!(out.contains("library is empty"), "{out}");
    assert!(out.contains("Nothing selected"));
}

#[test]
fn narrow_terminals_stack_or_drop_the_preview() {
    let s = browsing();
    let out = screen(&s, 50, 20);
    let lines: Vec<&str> = out.lines().collect();
    let list_row = lines
        .iter()
        .position(|l| l.contains("Read a file"))
        .unwrap();
    let preview_row = lines.iter().position(|l| l.contains("Preview")).unwrap();
    assert!(preview_row > list_row, "stacked below the list:\n{out}");
    let out = screen(&s, 50, 12);
    assert!(out.contains("Read a file"));
    assert!(!out.contains("Preview"), "too short for a preview:\n{out}");
}

#[test]
fn wide_titles_and_secret_markers() {
    let mut s = AppState::new(false);
    let mut sum = summary(1, CJK_TITLE, &["日本"]);
    sum.has_secrets = true;
    update(&mut s, AppEvent::Loaded(Arc::new(vec![sum])));
    let mut snip = full_snippet();
    snip.title = CJK_TITLE.into();
    snip.secrets = vec!["aws-access-key".into()];
    update(&mut s, AppEvent::Preview(Box::new(snip)));
    let out = screen(&s, 120, 30);
    let row = out
        .lines()
        .find(|l| l.contains("日本語のスニペット"))
        .unwrap();
    assert!(row.contains("│! "), "secret marker first: {row}");
    assert!(row.contains("secret"), "{row}");
    assert!(out.contains("🦀"));
    assert!(out.contains("! secret: contains aws-access-key"));
    // Cut in the middle of wide characters, nothing spills or panics.
    let out = screen(&s, 41, 20);
    assert!(out.lines().all(|l| l.width() <= 41), "{out}");
}

#[test]
fn errors_show_in_the_message_line() {
    let mut s = browsing();
    update(&mut s, AppEvent::Error("Copy failed: no display".into()));
    let out = screen(&s, 80, 24);
    assert!(out
        .lines()
        .nth(22)
        .unwrap()
        .contains("Copy failed: no display"));
}

#[test]
fn full_screen_preview_scrolls() {
    let mut s = browsing();
    let mut snip = full_snippet();
    snip.content = (0..100).map(|i| format!("let line_{i} = {i};\n")).collect();
    snip.content_hash = content_hash(&snip.content);
    update(&mut s, AppEvent::Preview(Box::new(snip)));
    s.screen = Screen::Preview;
    s.preview_scroll = 40;
    let out = screen(&s, 80, 24);
    assert!(out.contains("let line_40 = 40;"));
    assert!(!out.contains("let line_0 = 0;"));
}

#[test]
fn no_view_panics_at_any_size() {
    let base = browsing();
    let mut cjk = base.clone();
    let mut sum = summary(9, CJK_TITLE, &["タグ"]);
    sum.has_secrets = true;
    update(&mut cjk, AppEvent::Loaded(Arc::new(vec![sum])));
    let modes = [
        Mode::Normal,
        Mode::Search,
        Mode::Help { scroll: 3 },
        Mode::ConfirmDelete(ConfirmDelete {
            id: 1,
            title: CJK_TITLE.into(),
            source: Some("日本/ファイル.rs:3".into()),
        }),
        Mode::TagEdit {
            id: 1,
            input: LineInput::with_text("日本語, 🦀, rust"),
        },
        Mode::TagPicker(TagPicker {
            input: LineInput::with_text("ru"),
            tags: Some(vec![TagCount {
                tag: "rust".into(),
                count: 1,
            }]),
            selected: 1,
        }),
    ];
    let mut hl = Highlighter::new("base16-ocean.dark");
    hl.load();
    for state in [&base, &cjk] {
        for screen_kind in [Screen::Browse, Screen::Preview, Screen::FirstRun] {
            for mode in &modes {
                let mut s = state.clone();
                s.screen = screen_kind;
                s.mode = mode.clone();
                s.query = LineInput::with_text("日本語 query 🦀");
                for w in 1..=120u16 {
                    for h in [1u16, 2, 3, 5, 8, 24] {
                        render(&s, w, h, &mut hl);
                    }
                }
            }
        }
    }
}

#[test]
fn status_bar_shows_loading_watch_and_filter() {
    let mut s = AppState::new(false);
    let lib: Vec<_> = (1..=3).map(|i| summary(i, "x", &[])).collect();
    update(&mut s, AppEvent::FirstPage(Arc::new(lib)));
    update(&mut s, AppEvent::Watch("watching 2 folders".into()));
    s.tag_filter = Some("rust".into());
    let out = screen(&s, 120, 24);
    let status = out.lines().last().unwrap();
    assert!(status.contains("3/3+ (loading)"), "{status}");
    assert!(status.contains("watch: watching 2 folders"), "{status}");
    assert!(status.contains("filter: tag:rust"), "{status}");
    assert!(status.contains("? help"), "{status}");
}

#[test]
fn status_bar_shows_the_automatic_sync() {
    let mut s = AppState::new(false);
    let lib: Vec<_> = (1..=2).map(|i| summary(i, "x", &[])).collect();
    update(&mut s, AppEvent::Loaded(Arc::new(lib)));
    let out = screen(&s, 120, 24);
    assert!(!out.lines().last().unwrap().contains("sync:"));
    update(&mut s, AppEvent::Sync("synced 14:02 (↑2 ↓1)".into()));
    let out = screen(&s, 120, 24);
    let status = out.lines().last().unwrap();
    assert!(status.contains("sync: synced 14:02 (↑2 ↓1)"), "{status}");
}

fn long_line_state() -> AppState {
    let mut s = browsing();
    let mut snip = full_snippet();
    snip.content = format!(
        "let re = \"{}END\";\nshort();\n",
        (0..30)
            .map(|i| format!("w{i:02}"))
            .collect::<Vec<_>>()
            .join("-")
    );
    snip.content_hash = content_hash(&snip.content);
    update(&mut s, AppEvent::Preview(Box::new(snip)));
    s.screen = Screen::Preview;
    s
}

#[test]
fn long_lines_wrap_by_default_with_a_marker() {
    let s = long_line_state();
    let out = screen(&s, 60, 24);
    assert!(
        out.contains("END\";"),
        "the end of the line is readable:\n{out}"
    );
    assert!(out.contains("↪"), "continuation rows are marked:\n{out}");
    assert!(out.contains("short();"), "{out}");
}

#[test]
fn long_lines_cut_and_scroll_sideways_when_not_wrapped() {
    use crossterm::event::KeyCode;
    let mut s = long_line_state();
    press(&mut s, KeyCode::Char('w'));
    assert!(!s.wrap);
    let out = screen(&s, 60, 24);
    let row = out.lines().find(|l| l.contains("let re")).unwrap();
    assert!(row.trim_end().ends_with("›│"), "the cut is marked: {row:?}");
    assert!(!out.contains("END"), "{out}");
    assert!(!out.contains('↪'), "{out}");
    for _ in 0..20 {
        press(&mut s, KeyCode::Char('l'));
    }
    let out = screen(&s, 60, 24);
    let row = out.lines().find(|l| l.contains("END")).unwrap();
    assert!(row.contains('‹'), "the left cut is marked: {row:?}");
    assert!(!row.contains("let re"), "{row:?}");
    press(&mut s, KeyCode::Left);
    press(&mut s, KeyCode::Char('h'));
    for _ in 0..40 {
        press(&mut s, KeyCode::Left);
    }
    assert_eq!(s.preview_hscroll, 0);
}

#[test]
fn scrolling_right_while_wrapped_stops_wrapping() {
    use crossterm::event::KeyCode;
    let mut s = long_line_state();
    s.screen = Screen::Browse;
    press(&mut s, KeyCode::Right);
    assert!(!s.wrap);
    assert!(s.preview_hscroll > 0);
    let out = screen(&s, 120, 30);
    assert!(out.contains('‹'), "the side preview scrolls too:\n{out}");
}

/// The characters drawn in the match style on row `y`, in order.
fn lit_on_row(buf: &Buffer, y: u16, x_from: u16, x_to: u16) -> String {
    (x_from..x_to)
        .map(|x| &buf[(x, y)])
        .filter(|c| {
            c.fg == Color::Yellow && c.modifier.contains(ratatui::style::Modifier::UNDERLINED)
        })
        .map(|c| c.symbol().to_string())
        .collect()
}

fn row_of(buf: &Buffer, needle: &str) -> u16 {
    let out = text(buf);
    out.lines().position(|l| l.contains(needle)).unwrap() as u16
}

#[test]
fn matched_characters_are_lit_in_list_and_preview() {
    let mut s = browsing();
    s.query = LineInput::with_text("rdfl");
    let mut hl = Highlighter::new("base16-ocean.dark");
    let t = render(&s, 120, 40, &mut hl);
    let buf = t.backend().buffer();
    let y = row_of(buf, "Read a file to string");
    assert_eq!(
        lit_on_row(buf, y, 0, 60),
        "Rdfl",
        "the list shows why it matched"
    );
    s.query = LineInput::with_text("io read_to_string");
    let t = render(&s, 120, 40, &mut hl);
    let buf = t.backend().buffer();
    let y = row_of(buf, "Read a file to string");
    assert_eq!(lit_on_row(buf, y, 0, 60), "io", "tags are lit too");
    let y = row_of(buf, "std::fs::read_to_string");
    assert_eq!(
        lit_on_row(buf, y, 60, 120),
        "read_to_string",
        "preview's matching line"
    );
}

#[test]
fn long_titles_get_the_room_and_tags_are_cut_first() {
    let mut s = AppState::new(false);
    let title = "Match an ISO 8601 date and time with a zone";
    let sum = summary(1, title, &["regex", "datetime", "validation", "iso8601"]);
    update(&mut s, AppEvent::Resize(120, 30));
    update(&mut s, AppEvent::Loaded(Arc::new(vec![sum])));
    let out = screen(&s, 120, 30);
    let row = out.lines().find(|l| l.contains("Match an ISO")).unwrap();
    assert!(row.contains(title), "the whole title at 120 columns: {row}");
    assert!(
        row.contains("rust #regex"),
        "language and the first tag: {row}"
    );
    assert!(row.contains('…'), "tags cut where they run out: {row}");
}

/// A snippet whose lines wrap in a 60-column full-screen view: every
/// third line is long, and the last one ends in a marker three rows in.
fn wrapping_state() -> AppState {
    let mut s = browsing();
    let mut snip = full_snippet();
    let mut content: String = (0..40)
        .map(|i| {
            if i % 3 == 0 {
                format!("let long_{i:02} = \"{}\";\n", "x".repeat(90))
            } else {
                format!("short_{i:02}();\n")
            }
        })
        .collect();
    // 55 code columns: `last("` and 104 y fill two rows, the marker starts
    // the third.
    content.push_str(&format!("last(\"{}THE_END\");\n", "y".repeat(104)));
    snip.content = content;
    snip.content_hash = content_hash(&snip.content);
    update(&mut s, AppEvent::Resize(60, 24));
    update(&mut s, AppEvent::Preview(Box::new(snip)));
    s.screen = Screen::Preview;
    s
}

#[test]
fn bottom_of_a_wrapped_full_screen_view_puts_the_last_line_on_the_last_row() {
    use crossterm::event::KeyCode;
    let mut s = wrapping_state();
    assert!(s.wrap, "wrapping is the default");
    press(&mut s, KeyCode::Char('G'));
    let out = screen(&s, 60, 24);
    let rows: Vec<&str> = out.lines().collect();
    // Search bar, the preview's top border, its rows, its bottom border,
    // the message line and the status bar: the last content row is 20.
    let end = rows.iter().position(|l| l.contains("THE_END"));
    assert_eq!(
        end,
        Some(24 - 4),
        "the last line ends on the last row:\n{out}"
    );
    assert!(rows[21].starts_with('└'), "{out}");
    // No blank rows were left at the bottom: the row above the end is
    // content too (the last line's own continuation).
    assert!(rows[19].contains('↪') || rows[19].contains('y'), "{out}");
    // The view is as far down as it goes: j does not move it.
    let at_end = s.preview_scroll;
    press(&mut s, KeyCode::Char('j'));
    assert_eq!(s.preview_scroll, at_end, "no scrolling past the end");
    assert_eq!(screen(&s, 60, 24), out);
    // Going back up by a line keeps the view full and the end off screen.
    press(&mut s, KeyCode::Char('k'));
    let up = screen(&s, 60, 24);
    assert!(!up.contains("THE_END"), "one line up hides the end:\n{up}");
    // The same in a taller terminal, where the header takes a smaller share.
    update(&mut s, AppEvent::Resize(60, 40));
    press(&mut s, KeyCode::Char('G'));
    let tall = screen(&s, 60, 40);
    let end = tall.lines().position(|l| l.contains("THE_END"));
    assert_eq!(end, Some(40 - 4), "{tall}");
}

#[test]
fn bottom_of_a_cut_full_screen_view_also_ends_on_the_last_row() {
    use crossterm::event::KeyCode;
    let mut s = wrapping_state();
    press(&mut s, KeyCode::Char('w'));
    assert!(!s.wrap);
    press(&mut s, KeyCode::Char('G'));
    let out = screen(&s, 60, 24);
    let end = out.lines().position(|l| l.contains("last(\""));
    assert_eq!(end, Some(24 - 4), "{out}");
    let above = out.lines().nth(24 - 5).unwrap();
    assert!(
        above.contains("long_39") || above.contains("short_39"),
        "{out}"
    );
}

#[test]
fn the_header_rows_the_layout_counts_are_the_rows_drawn() {
    let theme = Theme::default();
    let mut long = full_snippet();
    long.description = "A description long enough to wrap over several rows. ".repeat(6);
    long.links = (0..5).map(|i| format!("https://example.org/{i}")).collect();
    long.secrets = vec!["aws-key".into()];
    let mut bare = full_snippet();
    bare.description = String::new();
    bare.links.clear();
    bare.tags.clear();
    bare.meta = FieldMetas::default();
    for snippet in [full_snippet(), long, bare] {
        for cols in [1usize, 10, 40, 118] {
            for full in [false, true] {
                assert_eq!(
                    preview::header(&snippet, cols, &theme, full).len(),
                    layout::header_rows(&snippet, cols, full),
                    "{cols} columns, full {full}"
                );
            }
        }
    }
}

#[test]
fn the_help_shows_the_users_keys() {
    let mut s = browsing();
    let keys = crate::config::Config::parse(
        "[keys.list]\ndown = [\"J\", \"Ctrl-n\"]\nquit = \"Ctrl-q\"\n",
    )
    .unwrap()
    .keys;
    s.keymap = Arc::new(crate::app::keymap::Keymap::with_user_keys(&keys).unwrap());
    s.mode = Mode::Help { scroll: 0 };
    let out = screen(&s, 100, 60);
    let down = out
        .lines()
        .find(|l| l.contains(" down"))
        .expect("the list's down line");
    assert!(down.contains("J, Ctrl-n"), "{down}");
    assert!(!down.contains("j, ↓"), "{down}");
    let quit = out.lines().find(|l| l.contains(" quit ")).unwrap();
    assert!(quit.contains("Ctrl-q"), "{quit}");
    // The default table stays as it was for everyone else.
    let plain = screen(&browsing(), 100, 60);
    assert!(!plain.contains("Ctrl-q"));
}
