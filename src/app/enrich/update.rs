//! The enrichment part of the pure `update`: worker and download reports,
//! the pause and regenerate keys, the fields dialog and the model offer.

use super::state::{capitalized, field_text, FieldValue, FieldsDialog, ModelState};
use crate::app::effect::Effect;
use crate::app::input::LineInput;
use crate::app::keymap::{Action, Scope};
use crate::app::state::{AppState, Mode, Screen};
use crate::domain::{Field, Snippet, SnippetId};
use crate::enrich::{EnrichEvent, WorkerState};
use crate::model::FetchEvent;

/// The first key bound to `action` in `scope`, for hints in messages.
fn key(state: &AppState, scope: Scope, action: Action) -> String {
    state
        .keymap
        .keys_for(scope, action)
        .into_iter()
        .next()
        .unwrap_or_else(|| "?".into())
}

/// The loaded snippet `id`, if the preview holds it.
fn loaded(state: &AppState, id: SnippetId) -> Option<&Snippet> {
    state.preview.as_deref().filter(|p| p.id == id)
}

fn names(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the worker reports.
pub(in crate::app) fn on_event(state: &mut AppState, event: EnrichEvent) -> Vec<Effect> {
    let status = &mut state.enrich;
    match &event {
        EnrichEvent::Started { id } => {
            status.current = Some(*id);
            status.off = None;
            // The worker found a model by itself (say, installed from the
            // command line meanwhile).
            if status.model == ModelState::Missing {
                status.model = ModelState::Installed;
            }
            Vec::new()
        }
        EnrichEvent::Done { id, .. } => {
            if status.current == Some(*id) {
                status.current = None;
            }
            // Other snippets' results show up through the library reload;
            // the one the user looks at is worth a word and a fresh preview.
            if state.selected_id() == Some(*id) {
                state.info(event.to_string());
                vec![Effect::LoadPreview(*id)]
            } else {
                Vec::new()
            }
        }
        EnrichEvent::Failed { id, .. } => {
            if status.current == Some(*id) {
                status.current = None;
            }
            state.error(event.to_string());
            Vec::new()
        }
        EnrichEvent::Progress { queued } => {
            status.queued = Some(*queued);
            if *queued == 0 {
                status.current = None;
            }
            Vec::new()
        }
        EnrichEvent::State(worker) => {
            match worker {
                WorkerState::Running => {
                    status.paused = false;
                    status.off = None;
                    status.deferred = None;
                }
                WorkerState::Paused => {
                    status.paused = true;
                    status.off = None;
                    status.deferred = None;
                    status.current = None;
                }
                WorkerState::Off(why, _) => {
                    status.off = Some(why.clone());
                    status.deferred = None;
                    status.current = None;
                }
                WorkerState::Deferred(who) => {
                    status.paused = false;
                    status.off = None;
                    status.deferred = Some(who.clone());
                    status.current = None;
                }
            }
            Vec::new()
        }
    }
}

/// Download progress: the status bar shows the step, the message line each
/// stage once.
pub(in crate::app) fn on_fetch(state: &mut AppState, event: FetchEvent) -> Vec<Effect> {
    let percent = |done: u64, total: u64| {
        (total > 0).then(|| u8::try_from((done.min(total) * 100) / total).unwrap_or(100))
    };
    let (step, pct) = match event {
        FetchEvent::Stage(stage) => {
            state.info(format!("Model: {stage}…"));
            (stage, None)
        }
        FetchEvent::Download { done, total } => ("downloading model".into(), percent(done, total)),
        FetchEvent::Convert { done, total } => (
            "converting model".into(),
            percent(done as u64, total as u64),
        ),
        FetchEvent::Installed(path) => {
            state.enrich.model = ModelState::Installed;
            let name = path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            state.info(format!(
                "Model {name} installed; snippets are enriched in the background."
            ));
            return vec![Effect::WakeEnrich];
        }
    };
    state.enrich.model = ModelState::Fetching { step, percent: pct };
    Vec::new()
}

pub(in crate::app) fn on_fetch_failed(state: &mut AppState, error: String) -> Vec<Effect> {
    state.enrich.model = ModelState::Missing;
    state.error(format!(
        "Model download failed: {error}. Everything else works; `snipdex model fetch` retries."
    ));
    Vec::new()
}

/// Show the model offer once nothing else wants the screen: the first-run
/// samples offer comes first, and no dialog or search is interrupted.
pub(in crate::app) fn offer_model_when_free(state: &mut AppState) {
    if state.enrich.offer_pending
        && state.loaded
        && !state.pick
        && state.mode == Mode::Normal
        && state.screen != Screen::FirstRun
    {
        state.enrich.offer_pending = false;
        state.mode = Mode::ModelOffer;
    }
}

/// The fields dialog's snippet was deleted (from the CLI, or its file by
/// the watcher): nothing is left to show or edit.
pub(in crate::app) fn close_fields_if_gone(state: &mut AppState) {
    if let Mode::Fields(dialog) = &state.mode {
        if state.loaded && !state.by_id.contains_key(&dialog.id) {
            let id = dialog.id;
            state.mode = Mode::Normal;
            state.info(format!("#{id} is gone from the library."));
        }
    }
}

pub(in crate::app) fn on_offer_key(state: &mut AppState, action: Action) -> Vec<Effect> {
    let effects = match action {
        Action::FetchModel => {
            state.enrich.model = ModelState::Fetching {
                step: "starting download".into(),
                percent: None,
            };
            state.info("Downloading the model in the background; everything else keeps working.");
            vec![Effect::FetchModel]
        }
        Action::DeclineModel => {
            state.info("No model, no enrichment. `snipdex model fetch` installs it any time.");
            vec![Effect::DeclineModel]
        }
        Action::Later => {
            state.info("Not now; snipdex asks again next start.");
            Vec::new()
        }
        _ => return Vec::new(),
    };
    state.mode = Mode::Normal;
    effects
}

pub(in crate::app) fn toggle_pause(state: &mut AppState) -> Vec<Effect> {
    if let Some(why) = state.enrich.unavailable() {
        state.info(why);
        return Vec::new();
    }
    let pause = !state.enrich.paused;
    state.enrich.paused = pause;
    if pause {
        state.enrich.current = None;
        state.info(format!(
            "Enrichment paused, also for later runs; {} resumes it.",
            key(state, Scope::List, Action::TogglePause)
        ));
    } else {
        state.info("Enrichment resumed.");
    }
    vec![Effect::SetEnrichPaused(pause)]
}

/// Why queued work will wait, if it will.
fn waiting_note(state: &AppState) -> String {
    let status = &state.enrich;
    match (&status.model, &status.off, status.paused) {
        (ModelState::Missing, ..) => {
            "; it runs once a model is installed (snipdex model fetch)".into()
        }
        (ModelState::Fetching { .. }, ..) => "; it runs once the model is installed".into(),
        (_, Some(why), _) => format!("; enrichment is off: {why}"),
        (_, None, true) => format!(
            "; enrichment is paused ({} resumes)",
            key(state, Scope::List, Action::TogglePause)
        ),
        _ => String::new(),
    }
}

/// Queue `fields` of snippet `id` for the model, with a word on when it
/// will run after `lead` (what was done first, if anything).
fn queue(state: &mut AppState, id: SnippetId, fields: Vec<Field>, lead: &str) -> Effect {
    let note = waiting_note(state);
    state.info(format!(
        "{lead}Queued {} of #{id} for the model{note}.",
        names(&fields)
    ));
    Effect::Regenerate { id, fields }
}

/// `r` on a snippet: every field the user has not locked.
pub(in crate::app) fn regenerate(state: &mut AppState, id: SnippetId) -> Vec<Effect> {
    if let Some(why) = state.enrich.unavailable() {
        state.info(why);
        return Vec::new();
    }
    let Some(snippet) = loaded(state, id) else {
        state.info("The snippet is still loading; try again in a moment.");
        return Vec::new();
    };
    let fields: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|&f| !snippet.meta.get(f).locked)
        .collect();
    if fields.is_empty() {
        state.info(format!(
            "Every field of #{id} is locked; {} shows them and lets you unlock one.",
            key(state, Scope::List, Action::Fields)
        ));
        return Vec::new();
    }
    vec![queue(state, id, fields, "")]
}

pub(in crate::app) fn open_fields(state: &mut AppState, id: SnippetId) -> Vec<Effect> {
    state.mode = Mode::Fields(FieldsDialog::new(id));
    if loaded(state, id).is_some() {
        Vec::new()
    } else {
        vec![Effect::LoadPreview(id)]
    }
}

pub(in crate::app) fn on_fields_key(
    state: &mut AppState,
    mut dialog: FieldsDialog,
    action: Action,
) -> Vec<Effect> {
    let (id, field) = (dialog.id, dialog.field());
    if let Some(mut input) = dialog.input.take() {
        let effects = match action {
            Action::Input(edit) => {
                input.apply(edit);
                dialog.input = Some(input);
                Vec::new()
            }
            Action::Accept => vec![Effect::SaveField {
                id,
                field,
                value: FieldValue::parse(field, input.text()),
            }],
            // Cancel: back to the field list, nothing saved.
            _ => Vec::new(),
        };
        state.mode = Mode::Fields(dialog);
        return effects;
    }
    let effects = match action {
        Action::Down => {
            dialog.selected = (dialog.selected + 1).min(Field::ALL.len() - 1);
            Vec::new()
        }
        Action::Up => {
            dialog.selected = dialog.selected.saturating_sub(1);
            Vec::new()
        }
        Action::Close => {
            state.mode = Mode::Normal;
            return Vec::new();
        }
        Action::LockField | Action::EditField | Action::UnlockField | Action::RegenerateField => {
            let Some(snippet) = loaded(state, id) else {
                state.info("The snippet is still loading; try again in a moment.");
                state.mode = Mode::Fields(dialog);
                return Vec::new();
            };
            let locked = snippet.meta.get(field).locked;
            let text = field_text(snippet, field);
            on_field_action(state, &mut dialog, action, locked, text)
        }
        _ => Vec::new(),
    };
    state.mode = Mode::Fields(dialog);
    effects
}

fn on_field_action(
    state: &mut AppState,
    dialog: &mut FieldsDialog,
    action: Action,
    locked: bool,
    text: String,
) -> Vec<Effect> {
    let (id, field) = (dialog.id, dialog.field());
    let set_locked = |locked| Effect::SetLocked {
        id,
        field,
        locked,
        announce: true,
    };
    match action {
        Action::LockField if locked => {
            state.info(format!("{} is already locked.", capitalized(field)));
            Vec::new()
        }
        Action::LockField => vec![set_locked(true)],
        Action::UnlockField if !locked => {
            state.info(format!("{} is not locked.", capitalized(field)));
            Vec::new()
        }
        Action::UnlockField => vec![set_locked(false)],
        Action::EditField => {
            dialog.input = Some(LineInput::with_text(&text));
            Vec::new()
        }
        Action::RegenerateField => {
            if let Some(why) = state.enrich.unavailable() {
                state.info(why);
                return Vec::new();
            }
            // A locked field is skipped by the worker: regenerating it
            // means handing it back to the model first. The queue's message
            // (which says when the model will run) is the one shown.
            let mut effects = Vec::new();
            if locked {
                effects.push(Effect::SetLocked {
                    id,
                    field,
                    locked: false,
                    announce: false,
                });
            }
            let lead = if locked {
                format!("Unlocked {field}. ")
            } else {
                String::new()
            };
            effects.push(queue(state, id, vec![field], &lead));
            effects
        }
        _ => Vec::new(),
    }
}
