//! Pure `update` tests for enrichment: keys, dialogs, worker and download
//! events, and the effects they ask for.

#[path = "offer_tests.rs"]
mod offer;

use super::*;
use crate::app::state::{AppState, Mode, Screen};
use crate::app::testkit::{ch, entry_point as snippet, numbered, press};
use crate::app::{update, AppEvent, Effect};
use crate::domain::Field;
use crate::enrich::{EnrichEvent, OffCause, WorkerState};
use crate::model::FetchEvent;
use crossterm::event::KeyCode;
use std::path::PathBuf;
use std::sync::Arc;

/// Browsing snippets 1..=3 with #1 selected and previewed, and enrichment
/// in the given state.
fn browsing(enrich: EnrichStatus) -> AppState {
    let mut s = AppState::new(false);
    s.enrich = enrich;
    update(&mut s, AppEvent::Resize(100, 30));
    update(
        &mut s,
        AppEvent::Loaded(Arc::new((1..=3).map(numbered).collect())),
    );
    update(&mut s, AppEvent::Preview(Box::new(snippet(1))));
    s
}

fn running() -> AppState {
    browsing(EnrichStatus::started(false, true, false))
}

fn enrich(s: &mut AppState, e: EnrichEvent) -> Vec<Effect> {
    update(s, AppEvent::Enrich(e))
}

fn label(s: &AppState) -> String {
    s.enrich.label().unwrap_or_default()
}

fn message(s: &AppState) -> String {
    s.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

fn dialog(s: &AppState) -> &FieldsDialog {
    match &s.mode {
        Mode::Fields(d) => d,
        other => panic!("not in the fields dialog: {other:?}"),
    }
}

#[test]
fn p_pauses_and_resumes_and_says_so_when_enrichment_is_off() {
    let mut s = running();
    assert_eq!(ch(&mut s, 'p'), vec![Effect::SetEnrichPaused(true)]);
    assert!(s.enrich.paused);
    assert_eq!(label(&s), "enrich: paused");
    assert_eq!(ch(&mut s, 'p'), vec![Effect::SetEnrichPaused(false)]);
    assert!(!s.enrich.paused);
    assert_eq!(label(&s), "enrich: idle");
    // Also from the full-screen preview.
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::Preview);
    assert_eq!(ch(&mut s, 'p'), vec![Effect::SetEnrichPaused(true)]);

    let mut off = browsing(EnrichStatus {
        phase: EnrichPhase::Disabled,
        ..EnrichStatus::default()
    });
    assert_eq!(ch(&mut off, 'p'), Vec::new());
    assert!(
        message(&off).contains("disabled in the config"),
        "{}",
        message(&off)
    );
    assert_eq!(label(&off), "enrich: off (disabled in config)");
}

#[test]
fn worker_reports_drive_the_status_label() {
    let mut s = running();
    enrich(&mut s, EnrichEvent::Progress { queued: 3 });
    assert_eq!(label(&s), "enrich: 3 queued");
    enrich(&mut s, EnrichEvent::Started { id: 2 });
    // The job being run is still in the count the worker reports.
    assert_eq!(label(&s), "enrich: enriching #2 · 2 queued");
    enrich(&mut s, EnrichEvent::State(WorkerState::Paused));
    assert_eq!(label(&s), "enrich: paused · 3 queued");
    enrich(&mut s, EnrichEvent::State(WorkerState::Running));
    enrich(
        &mut s,
        EnrichEvent::State(WorkerState::Off(
            "broken adapter".into(),
            OffCause::BadInput,
        )),
    );
    assert_eq!(label(&s), "enrich: off (broken adapter)");
    // Pausing a worker that is off does not pretend it runs.
    ch(&mut s, 'p');
    assert_eq!(label(&s), "enrich: off (broken adapter)");
    enrich(&mut s, EnrichEvent::State(WorkerState::Running));
    enrich(&mut s, EnrichEvent::Progress { queued: 0 });
    assert_eq!(label(&s), "enrich: idle");
    enrich(
        &mut s,
        EnrichEvent::Failed {
            id: 3,
            error: "model said nothing".into(),
        },
    );
    assert!(s.message.as_ref().is_some_and(|m| m.error));
    assert!(message(&s).contains("#3"));
    assert_eq!(AppState::new(true).enrich.label(), None, "pick shows none");
}

#[test]
fn a_deferring_worker_says_whom_it_waits_for_until_it_takes_over() {
    let mut s = running();
    enrich(&mut s, EnrichEvent::Progress { queued: 5 });
    let holder = "snipdex enrich (pid 42)".to_string();
    enrich(&mut s, EnrichEvent::State(WorkerState::Deferred(holder)));
    assert_eq!(
        label(&s),
        "enrich: waiting (snipdex enrich (pid 42) is enriching) · 5 queued"
    );
    // The other process works through the shared queue meanwhile.
    enrich(&mut s, EnrichEvent::Progress { queued: 2 });
    assert_eq!(
        label(&s),
        "enrich: waiting (snipdex enrich (pid 42) is enriching) · 2 queued"
    );
    enrich(&mut s, EnrichEvent::State(WorkerState::Running));
    enrich(&mut s, EnrichEvent::Started { id: 7 });
    // The job being enriched is no longer counted as queued.
    assert_eq!(label(&s), "enrich: enriching #7 · 1 queued");
}

#[test]
fn done_for_the_selected_snippet_reloads_its_preview() {
    let mut s = running();
    enrich(&mut s, EnrichEvent::Started { id: 1 });
    let done = |id| EnrichEvent::Done {
        id,
        fields_written: vec![Field::Title, Field::Links],
    };
    assert_eq!(enrich(&mut s, done(1)), vec![Effect::LoadPreview(1)]);
    assert_eq!(s.enrich.current, None);
    assert!(message(&s).contains("title, links"), "{}", message(&s));
    s.message = None;
    assert_eq!(enrich(&mut s, done(2)), Vec::new(), "not the selected one");
    assert_eq!(s.message, None);
    ch(&mut s, 'j');
    assert_eq!(enrich(&mut s, done(2)), vec![Effect::LoadPreview(2)]);
}

#[test]
fn r_queues_every_unlocked_field_of_the_selected_snippet() {
    let mut s = running();
    assert_eq!(
        ch(&mut s, 'r'),
        vec![Effect::Regenerate {
            id: 1,
            fields: vec![Field::Title, Field::Description, Field::Links],
        }]
    );
    assert!(message(&s).contains("#1"));
    assert!(!message(&s).contains("paused"));
    ch(&mut s, 'p');
    ch(&mut s, 'r');
    let said = message(&s);
    assert!(
        said.starts_with("Queued") && said.contains("paused"),
        "{said}"
    );

    // Every field locked: nothing to do, and a pointer to the dialog.
    let mut locked = snippet(1);
    for f in Field::ALL {
        locked.meta.get_mut(f).locked = true;
    }
    update(&mut s, AppEvent::Preview(Box::new(locked)));
    assert_eq!(ch(&mut s, 'r'), Vec::new());
    assert!(message(&s).contains("locked"), "{}", message(&s));

    let mut off = browsing(EnrichStatus {
        phase: EnrichPhase::Unavailable("database is locked".into()),
        ..EnrichStatus::default()
    });
    assert_eq!(ch(&mut off, 'r'), Vec::new());
    assert!(message(&off).contains("database is locked"));
}

#[test]
fn fields_dialog_moves_between_the_four_fields_and_closes() {
    let mut s = running();
    assert_eq!(ch(&mut s, 'f'), Vec::new(), "preview already loaded");
    assert_eq!(dialog(&s).id, 1);
    assert_eq!(dialog(&s).field(), Field::Title);
    ch(&mut s, 'k');
    assert_eq!(dialog(&s).selected, 0);
    ch(&mut s, 'j');
    press(&mut s, KeyCode::Down);
    assert_eq!(dialog(&s).field(), Field::Tags);
    for _ in 0..5 {
        ch(&mut s, 'j');
    }
    assert_eq!(dialog(&s).field(), Field::Links);
    ch(&mut s, 'k');
    assert_eq!(dialog(&s).field(), Field::Tags);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.mode, Mode::Normal);

    // Opened before the preview arrived, it asks for it.
    ch(&mut s, 'j');
    let effects = ch(&mut s, 'f');
    assert_eq!(effects, vec![Effect::LoadPreview(2)]);
    assert_eq!(ch(&mut s, 'a'), Vec::new(), "nothing to lock yet");
    assert!(message(&s).contains("loading"));
}

#[test]
fn accept_and_unlock_change_only_the_lock() {
    let mut s = running();
    ch(&mut s, 'f');
    assert_eq!(
        ch(&mut s, 'a'),
        vec![Effect::SetLocked {
            id: 1,
            field: Field::Title,
            locked: true,
            announce: true
        }]
    );
    assert_eq!(ch(&mut s, 'u'), Vec::new(), "title is not locked");
    assert!(message(&s).contains("not locked"));
    ch(&mut s, 'j');
    ch(&mut s, 'j');
    assert_eq!(ch(&mut s, 'a'), Vec::new(), "tags are already locked");
    assert_eq!(
        ch(&mut s, 'u'),
        vec![Effect::SetLocked {
            id: 1,
            field: Field::Tags,
            locked: false,
            announce: true
        }]
    );
    assert!(matches!(s.mode, Mode::Fields(_)), "the dialog stays open");
}

#[test]
fn edit_prefills_the_value_and_saves_it_parsed() {
    let mut s = running();
    ch(&mut s, 'f');
    ch(&mut s, 'j');
    ch(&mut s, 'e');
    let input = dialog(&s).input.clone().expect("editing");
    assert_eq!(
        input.text(),
        "The program starts here. Nothing else.",
        "one line"
    );
    press(&mut s, KeyCode::Esc);
    assert!(dialog(&s).input.is_none(), "Esc cancels the edit only");
    ch(&mut s, 'j');
    press(&mut s, KeyCode::Enter);
    assert_eq!(dialog(&s).input.as_ref().unwrap().text(), "rust, io");
    for c in ", Web Dev, rust".chars() {
        ch(&mut s, c);
    }
    assert_eq!(
        press(&mut s, KeyCode::Enter),
        vec![Effect::SaveField {
            id: 1,
            field: Field::Tags,
            value: FieldValue::List(vec!["rust".into(), "io".into(), "web-dev".into()]),
        }]
    );
    assert!(dialog(&s).input.is_none());
    // Typed letters go into the input, not to the dialog's keys.
    ch(&mut s, 'j');
    ch(&mut s, 'e');
    ch(&mut s, 'a');
    assert_eq!(dialog(&s).field(), Field::Links);
    assert_eq!(dialog(&s).input.as_ref().unwrap().text(), "a");
}

#[test]
fn typed_lists_are_split_trimmed_and_deduplicated() {
    assert_eq!(
        FieldValue::parse(
            Field::Links,
            " https://a.example/x , ,https://b.example,https://a.example/x"
        ),
        FieldValue::List(vec![
            "https://a.example/x".into(),
            "https://b.example".into()
        ])
    );
    assert_eq!(
        FieldValue::parse(Field::Title, "  Spaced title "),
        FieldValue::Text("Spaced title".into())
    );
}

#[test]
fn r_in_the_dialog_regenerates_one_field_unlocking_it_first() {
    let mut s = running();
    ch(&mut s, 'f');
    assert_eq!(
        ch(&mut s, 'r'),
        vec![Effect::Regenerate {
            id: 1,
            fields: vec![Field::Title]
        }]
    );
    ch(&mut s, 'j');
    ch(&mut s, 'j');
    assert_eq!(
        ch(&mut s, 'r'),
        vec![
            Effect::SetLocked {
                id: 1,
                field: Field::Tags,
                locked: false,
                announce: false
            },
            Effect::Regenerate {
                id: 1,
                fields: vec![Field::Tags]
            },
        ]
    );
    assert!(
        message(&s).contains("Unlocked tags. Queued tags of #1"),
        "{}",
        message(&s)
    );
}

#[test]
fn r_on_a_locked_field_without_a_model_says_when_it_will_run() {
    let mut s = running();
    s.enrich.model = ModelState::Missing;
    ch(&mut s, 'f');
    ch(&mut s, 'j');
    ch(&mut s, 'j');
    let effects = ch(&mut s, 'r');
    assert!(
        matches!(
            effects.as_slice(),
            [
                Effect::SetLocked {
                    announce: false,
                    ..
                },
                Effect::Regenerate { .. }
            ]
        ),
        "{effects:?}"
    );
    let text = message(&s);
    assert!(
        text.contains("Unlocked tags") && text.contains("once a model is installed"),
        "{text}"
    );
}

#[test]
fn pick_mode_neither_writes_nor_enriches() {
    let mut s = AppState::new(true);
    update(&mut s, AppEvent::Loaded(Arc::new(vec![numbered(1)])));
    update(&mut s, AppEvent::Preview(Box::new(snippet(1))));
    s.mode = Mode::Normal;
    for c in ['r', 'f', 'p'] {
        assert_eq!(ch(&mut s, c), Vec::new(), "{c}");
        assert_eq!(s.mode, Mode::Normal, "{c}");
    }
}

#[test]
fn the_fields_dialog_closes_when_its_snippet_is_deleted() {
    let mut s = running();
    ch(&mut s, 'f');
    update(
        &mut s,
        AppEvent::Loaded(Arc::new((1..=3).map(numbered).collect())),
    );
    assert!(matches!(s.mode, Mode::Fields(_)), "still there");
    update(
        &mut s,
        AppEvent::Loaded(Arc::new((2..=3).map(numbered).collect())),
    );
    assert_eq!(s.mode, Mode::Normal);
    assert!(message(&s).contains("#1 is gone"));
}
