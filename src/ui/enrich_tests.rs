//! Render tests for enrichment: the fields dialog, the model offer and the
//! status bar in each enrichment state.

use super::tests::{browsing, full_snippet, render, screen, text};
use super::Highlighter;
use crate::app::{
    update, AppEvent, AppState, EnrichPhase, EnrichStatus, FieldsDialog, LineInput, Mode,
    ModelState,
};
use crate::enrich::{EnrichEvent, WorkerState};
use unicode_width::UnicodeWidthStr;

const CJK: &str = "日本語のスニペット 🦀 とても長いタイトルがここに続きます";

fn status_line(state: &AppState, w: u16) -> String {
    screen(state, w, 24)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

fn with_enrich(enrich: EnrichStatus) -> AppState {
    let mut s = browsing();
    s.enrich = enrich;
    s
}

#[test]
fn fields_dialog_lists_values_provenance_and_locks() {
    let mut s = browsing();
    s.mode = Mode::Fields(FieldsDialog::new(1));
    let out = screen(&s, 120, 40);
    assert!(out.contains("Fields of #1"), "{out}");
    let row = |name: &str| {
        out.lines()
            .find(|l| l.contains(&format!(" {name} ")) && l.contains('│'))
            .unwrap_or_else(|| panic!("no {name} row:\n{out}"))
            .to_string()
    };
    let title = row("title");
    assert!(title.contains("› title"), "selected first: {title}");
    assert!(title.contains("Read a file to string"), "{title}");
    assert!(title.contains("model (title v1)"), "{title}");
    assert!(!title.contains("locked"), "{title}");
    let tags = row("tags");
    assert!(tags.contains("rust, io"), "{tags}");
    assert!(tags.contains("user") && tags.contains("locked"), "{tags}");
    let desc = row("description");
    assert!(desc.contains("Reads the whole file"), "{desc}");
    assert!(desc.contains('—'), "never filled by anyone: {desc}");
    assert!(row("links").contains("https://doc.rust-lang.org"));
    // The selected field in full, and the keys from the table.
    assert!(out.contains("title: model (title v1), unlocked"), "{out}");
    assert!(out.contains("a accept (lock)"), "{out}");
    assert!(out.contains("r regenerate"));
    assert!(out.contains("Esc close"));
}

#[test]
fn fields_dialog_truncates_long_values_by_display_width() {
    let mut s = AppState::new(false);
    update(
        &mut s,
        AppEvent::Loaded(std::sync::Arc::new(vec![super::tests::summary(
            1,
            CJK,
            &[],
        )])),
    );
    let mut snip = full_snippet();
    snip.title = CJK.repeat(3);
    update(&mut s, AppEvent::Preview(Box::new(snip)));
    s.mode = Mode::Fields(FieldsDialog::new(1));
    for w in [40u16, 61, 80, 101] {
        let out = screen(&s, w, 30);
        assert!(out.lines().all(|l| l.width() <= usize::from(w)), "{out}");
        let row = out.lines().find(|l| l.contains("› title")).unwrap();
        assert!(row.contains('…'), "cut with an ellipsis at {w}: {row}");
    }
}

#[test]
fn fields_dialog_edits_inline_with_the_cursor_in_the_input() {
    let mut s = browsing();
    s.mode = Mode::Fields(FieldsDialog {
        id: 1,
        selected: 2,
        input: Some(LineInput::with_text("rust, io, web")),
    });
    let mut hl = Highlighter::new("x");
    let mut t = render(&s, 120, 40, &mut hl);
    let out = text(t.backend().buffer());
    let (y, line) = out
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("tags: rust, io, web"))
        .unwrap_or_else(|| panic!("no input row:\n{out}"));
    assert!(out.contains("Enter saves"), "{out}");
    let x = line.find("tags: ").unwrap() + "tags: rust, io, web".len();
    // Box-drawing characters are 3 bytes but one column.
    let col = line[..x].width();
    t.backend_mut()
        .assert_cursor_position((col as u16, y as u16));
}

#[test]
fn fields_dialog_waits_for_its_snippet() {
    let mut s = browsing();
    s.mode = Mode::Fields(FieldsDialog::new(2));
    let out = screen(&s, 80, 24);
    assert!(out.contains("Fields of #2"));
    assert!(out.contains("Loading…"), "{out}");
}

#[test]
fn model_offer_explains_and_asks() {
    let mut s = browsing();
    s.mode = Mode::ModelOffer;
    let out = screen(&s, 80, 24);
    // The popup's inside, read off the columns under its title bar.
    let lines: Vec<Vec<char>> = out.lines().map(|l| l.chars().collect()).collect();
    let (top, left) = lines
        .iter()
        .enumerate()
        .find_map(|(y, l)| {
            let at = l.iter().collect::<String>().find("┌ Enrichment model")?;
            Some((y, l.iter().collect::<String>()[..at].chars().count()))
        })
        .unwrap_or_else(|| panic!("no offer:\n{out}"));
    let joined: String = lines[top + 1..]
        .iter()
        .take_while(|l| l.get(left) == Some(&'│'))
        .map(|l| l[left + 1..left + 63].iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined
            .contains("small local model (about 100 MB, runs on this machine, nothing leaves it)"),
        "{out}"
    );
    assert!(joined.contains("Download it now? y/n"), "{out}");
    assert!(out.contains("y/Y"), "{out}");
    assert!(out.contains("don't ask again"));
    assert!(out.contains("Esc"));
}

#[test]
fn status_bar_shows_each_enrichment_state() {
    let mut running = with_enrich(EnrichStatus::started(false, true, false));
    assert!(status_line(&running, 120).contains("enrich: idle"));
    update(
        &mut running,
        AppEvent::Enrich(EnrichEvent::Progress { queued: 4 }),
    );
    assert!(status_line(&running, 120).contains("enrich: 4 queued"));
    update(
        &mut running,
        AppEvent::Enrich(EnrichEvent::Started { id: 7 }),
    );
    let line = status_line(&running, 140);
    assert!(
        line.contains("enrich: enriching #7 · 3 queued"),
        "the running job is not counted as waiting: {line}"
    );
    update(
        &mut running,
        AppEvent::Enrich(EnrichEvent::State(WorkerState::Paused)),
    );
    assert!(status_line(&running, 120).contains("enrich: paused · 4 queued"));
    let mut one = with_enrich(EnrichStatus::started(false, true, false));
    update(
        &mut one,
        AppEvent::Enrich(EnrichEvent::Progress { queued: 1 }),
    );
    update(&mut one, AppEvent::Enrich(EnrichEvent::Started { id: 9 }));
    let line = status_line(&one, 120);
    assert!(
        line.contains("enrich: enriching #9") && !line.contains("queued"),
        "{line}"
    );

    let cases = [
        (
            EnrichStatus::started(false, false, true),
            "enrich: off (no model: snipdex model fetch)",
        ),
        (
            EnrichStatus {
                phase: EnrichPhase::Disabled,
                ..EnrichStatus::default()
            },
            "enrich: off (disabled in config)",
        ),
        (
            EnrichStatus {
                phase: EnrichPhase::Unavailable("database is locked".into()),
                ..EnrichStatus::default()
            },
            "enrich: off (database is locked)",
        ),
        (
            EnrichStatus {
                model: ModelState::Fetching {
                    step: "downloading model".into(),
                    percent: Some(37),
                },
                ..EnrichStatus::started(false, false, false)
            },
            "enrich: downloading model 37%",
        ),
    ];
    for (status, want) in cases {
        let s = with_enrich(status);
        let line = status_line(&s, 140);
        assert!(line.contains(want), "{want}: {line}");
    }
    // Without enrichment (picking) nothing is said about it.
    assert!(!status_line(&browsing(), 140).contains("enrich"));
}

#[test]
fn enrichment_views_never_panic_at_any_width() {
    let mut base = browsing();
    base.enrich = EnrichStatus {
        model: ModelState::Fetching {
            step: "downloading SmolLM2-135M-Instruct.Q4_1.gguf from the Hub".into(),
            percent: Some(99),
        },
        queued: Some(12_345),
        current: Some(1),
        ..EnrichStatus::started(true, true, false)
    };
    let mut cjk = full_snippet();
    cjk.title = CJK.into();
    cjk.description = CJK.repeat(5);
    cjk.tags = vec!["日本".into(), "🦀".into()];
    let modes = [
        Mode::Normal,
        Mode::ModelOffer,
        Mode::Fields(FieldsDialog::new(1)),
        Mode::Fields(FieldsDialog {
            id: 1,
            selected: 3,
            input: Some(LineInput::with_text(CJK)),
        }),
        Mode::Fields(FieldsDialog::new(99)),
    ];
    let mut hl = Highlighter::new("x");
    for snip in [full_snippet(), cjk] {
        let mut s = base.clone();
        update(&mut s, AppEvent::Preview(Box::new(snip)));
        for mode in &modes {
            s.mode = mode.clone();
            for w in 1..=120u16 {
                for h in [1u16, 2, 3, 6, 12, 24] {
                    let t = render(&s, w, h, &mut hl);
                    let out = text(t.backend().buffer());
                    assert!(out.lines().all(|l| l.width() <= usize::from(w)));
                }
            }
        }
    }
}
