//! `update(state, event) -> effects`: every decision the UI makes, with no
//! IO, so that it can be tested without a terminal.

use super::enrich::{self, FieldValue};
use super::event::{AppEvent, EditorOutcome};
use super::keymap::Action;
use super::state::{AppState, Mode, Screen};
use crate::domain::{Field, SnippetId};
use crate::store::SnippetSummary;
use crate::ui::{layout, text};
use std::sync::Arc;

/// IO that `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Rank the library for this (effective) query.
    Search(String),
    LoadPreview(SnippetId),
    LoadTagCounts,
    Copy(SnippetId),
    EditInEditor(SnippetId),
    NewInEditor,
    Delete(SnippetId),
    SetTags(SnippetId, Vec<String>),
    LoadSamples,
    /// Reload the summaries from the store.
    Reload,
    /// Pick mode: this snippet was chosen.
    Choose(SnippetId),
    Quit,
    /// Pause (true) or resume enrichment, for later runs too.
    SetEnrichPaused(bool),
    /// Queue these fields of a snippet for the model and wake the worker.
    Regenerate {
        id: SnippetId,
        fields: Vec<Field>,
    },
    /// Lock or unlock a field, keeping its value and provenance; with
    /// `announce`, the status bar says so (off when a message about what
    /// follows is already shown).
    SetLocked {
        id: SnippetId,
        field: Field,
        locked: bool,
        announce: bool,
    },
    /// Save a value the user typed: it becomes user-provided and locked.
    SaveField {
        id: SnippetId,
        field: Field,
        value: FieldValue,
    },
    /// Download and install the model in the background.
    FetchModel,
    /// Remember that the user does not want the model offered again.
    DeclineModel,
    /// A model was installed: let the worker look at once.
    WakeEnrich,
}

pub fn update(state: &mut AppState, event: AppEvent) -> Vec<Effect> {
    let effects = dispatch(state, event);
    // A reload may have taken the dialog's snippet away, and whatever just
    // happened may have freed the screen for the model offer.
    enrich::update::close_fields_if_gone(state);
    enrich::update::offer_model_when_free(state);
    effects
}

fn dispatch(state: &mut AppState, event: AppEvent) -> Vec<Effect> {
    match event {
        AppEvent::Key(key) => super::keys::on_key(state, key),
        AppEvent::Resize(w, h) => {
            state.size = (w, h);
            scroll_into_view(state);
            Vec::new()
        }
        AppEvent::Tick => {
            state.ticks += 1;
            if state
                .message
                .as_ref()
                .is_some_and(|m| m.expires_at <= state.ticks)
            {
                state.message = None;
            }
            Vec::new()
        }
        AppEvent::SearchResults { query, hits } => on_results(state, &query, &hits),
        AppEvent::LibraryChanged => vec![Effect::Reload],
        AppEvent::Loaded(summaries) => {
            state.partial = false;
            on_loaded(state, summaries)
        }
        AppEvent::FirstPage(summaries) => {
            state.partial = true;
            on_loaded(state, summaries)
        }
        AppEvent::Preview(snippet) => {
            if state.selected_id() == Some(snippet.id) {
                state.preview = Some(snippet);
            }
            Vec::new()
        }
        AppEvent::TagCounts(tags) => {
            if let Mode::TagPicker(picker) = &mut state.mode {
                picker.tags = Some(tags);
                picker.selected = 0;
            }
            Vec::new()
        }
        AppEvent::Watch(text) => {
            state.watch = Some(text);
            Vec::new()
        }
        AppEvent::Sync(text) => {
            state.sync = Some(text);
            Vec::new()
        }
        AppEvent::Index(status) => {
            state.index = status;
            Vec::new()
        }
        AppEvent::Status(text) => {
            state.info(text);
            Vec::new()
        }
        AppEvent::Error(text) => {
            state.error(text);
            Vec::new()
        }
        AppEvent::Copied { ok, detail } => {
            if ok {
                state.info(detail);
            } else {
                state.error(detail);
            }
            Vec::new()
        }
        AppEvent::SamplesLoaded(n) => {
            if n == 0 {
                state.error("No sample snippets are available in this build.");
            } else {
                state.info(format!(
                    "Added {}.",
                    crate::domain::count(n, "sample snippet")
                ));
            }
            state.screen = Screen::Browse;
            vec![Effect::Reload]
        }
        AppEvent::EditorDone(outcome) => on_editor_done(state, outcome),
        AppEvent::Enrich(e) => enrich::update::on_event(state, e),
        AppEvent::ModelFetch(e) => enrich::update::on_fetch(state, e),
        AppEvent::ModelFetchFailed(e) => enrich::update::on_fetch_failed(state, e),
    }
}

fn on_editor_done(state: &mut AppState, outcome: EditorOutcome) -> Vec<Effect> {
    match outcome {
        EditorOutcome::Saved(id) => {
            state.info("Saved.");
            state.select_after_load = Some(id);
            vec![Effect::Reload]
        }
        EditorOutcome::Created(id) => {
            state.info("Created a new snippet.");
            state.screen = Screen::Browse;
            state.select_after_load = Some(id);
            vec![Effect::Reload]
        }
        EditorOutcome::OpenedFile(path) => {
            state.info(format!(
                "Closed {}; the watcher updates the snippet when the file changes.",
                path.display()
            ));
            vec![Effect::Reload]
        }
        EditorOutcome::Unchanged => {
            state.info("No changes; nothing saved.");
            Vec::new()
        }
        EditorOutcome::Aborted(code) => {
            let status = code.map_or("a signal".to_string(), |c| format!("status {c}"));
            state.error(format!("The editor exited with {status}; nothing saved."));
            Vec::new()
        }
    }
}

fn on_loaded(state: &mut AppState, summaries: Arc<Vec<SnippetSummary>>) -> Vec<Effect> {
    let keep = state.select_after_load.take().or(state.selected_id());
    let first_load = !state.loaded;
    state.loaded = true;
    state.by_id = summaries
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i))
        .collect();
    let old_visible: Vec<SnippetId> = state
        .visible
        .iter()
        .filter_map(|&i| state.summaries.get(i).map(|s| s.id))
        .collect();
    state.summaries = summaries;
    let mut effects = Vec::new();
    let query = state.effective_query();
    if query.is_empty() {
        state.visible = (0..state.summaries.len()).collect();
    } else {
        // Keep showing the old results (minus deleted ones) until the
        // re-run search answers.
        state.visible = old_visible
            .iter()
            .filter_map(|id| state.by_id.get(id).copied())
            .collect();
        state.pending_query = Some(query.clone());
        effects.push(Effect::Search(query));
    }
    if first_load && state.summaries.is_empty() && !state.pick {
        state.screen = Screen::FirstRun;
    }
    // Stay on the same snippet; if it is gone, on its next neighbour that
    // is still there, as a deleted line's neighbour takes its place.
    let mut candidates: Vec<SnippetId> = keep.into_iter().collect();
    if let Some(pos) = keep.and_then(|k| old_visible.iter().position(|&id| id == k)) {
        candidates.extend(&old_visible[pos + 1..]);
        candidates.extend(old_visible[..pos].iter().rev());
    }
    select_first_present(state, &candidates);
    // The selected snippet itself may be what changed.
    state.preview = None;
    effects.extend(preview_effect(state));
    effects
}

fn select_first_present(state: &mut AppState, candidates: &[SnippetId]) {
    if candidates.is_empty() {
        state.selected = 0;
        scroll_into_view(state);
        return;
    }
    let position: std::collections::HashMap<SnippetId, usize> = state
        .visible
        .iter()
        .enumerate()
        .filter_map(|(pos, &i)| state.summaries.get(i).map(|s| (s.id, pos)))
        .collect();
    state.selected = candidates
        .iter()
        .find_map(|id| position.get(id).copied())
        .unwrap_or(0);
    scroll_into_view(state);
}

fn on_results(state: &mut AppState, query: &str, hits: &[SnippetId]) -> Vec<Effect> {
    if query.is_empty() || query != state.effective_query() {
        return Vec::new();
    }
    state.pending_query = None;
    state.visible = hits
        .iter()
        .filter_map(|id| state.by_id.get(id).copied())
        .collect();
    state.selected = 0;
    state.list_offset = 0;
    preview_effect(state)
}

/// Load the selected snippet for the preview unless it is already there.
fn preview_effect(state: &mut AppState) -> Vec<Effect> {
    match state.selected_id() {
        Some(id) if state.preview.as_ref().is_some_and(|p| p.id == id) => Vec::new(),
        Some(id) => {
            state.preview_scroll = 0;
            state.preview_hscroll = 0;
            vec![Effect::LoadPreview(id)]
        }
        None => Vec::new(),
    }
}

/// The query changed: show everything, or ask for a search.
pub(super) fn requery(state: &mut AppState) -> Vec<Effect> {
    let query = state.effective_query();
    state.selected = 0;
    state.list_offset = 0;
    if query.is_empty() {
        state.pending_query = None;
        state.visible = (0..state.summaries.len()).collect();
        preview_effect(state)
    } else {
        state.pending_query = Some(query.clone());
        vec![Effect::Search(query)]
    }
}

fn list_rows(state: &AppState) -> usize {
    layout::list_rows(state.size.0, state.size.1)
}

fn scroll_into_view(state: &mut AppState) {
    let rows = list_rows(state);
    let len = state.visible.len();
    if state.selected < state.list_offset {
        state.list_offset = state.selected;
    } else if state.selected >= state.list_offset + rows {
        state.list_offset = state.selected + 1 - rows;
    }
    state.list_offset = state.list_offset.min(len.saturating_sub(rows));
}

pub(super) fn move_selection(state: &mut AppState, action: Action) -> Vec<Effect> {
    let len = state.visible.len();
    if len == 0 {
        return Vec::new();
    }
    let page = list_rows(state).max(1);
    let last = len - 1;
    let before = state.selected;
    state.selected = match action {
        Action::Down => (state.selected + 1).min(last),
        Action::Up => state.selected.saturating_sub(1),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageDown => (state.selected + page).min(last),
        Action::PageUp => state.selected.saturating_sub(page),
        _ => state.selected,
    };
    if state.selected == before {
        return Vec::new();
    }
    scroll_into_view(state);
    preview_effect(state)
}

pub(super) fn scroll_preview(state: &mut AppState, action: Action) {
    let lines = state
        .current_preview()
        .map_or(0, |p| p.content.lines().count());
    let page = layout::preview_page(state.size.0, state.size.1);
    let max = lines.saturating_sub(page);
    state.preview_scroll = match action {
        Action::Down => state.preview_scroll + 1,
        Action::Up => state.preview_scroll.saturating_sub(1),
        Action::Top => 0,
        Action::Bottom => max,
        Action::PageDown => state.preview_scroll + page,
        Action::PageUp => state.preview_scroll.saturating_sub(page),
        _ => state.preview_scroll,
    }
    .min(max);
}

/// Columns one press of h/l scrolls.
pub const HSCROLL_STEP: usize = 8;

/// h/l and the arrows scroll long lines sideways; scrolling right while
/// lines wrap stops wrapping, as that is what the key asks for. `w` flips.
pub(super) fn scroll_sideways(state: &mut AppState, action: Action) {
    let longest = state.current_preview().map_or(0, |p| {
        p.content
            .lines()
            .map(|l| text::width(&text::sanitize(l)))
            .max()
            .unwrap_or(0)
    });
    // Keep a few columns of the longest line on screen.
    let max = longest.saturating_sub(HSCROLL_STEP);
    match action {
        Action::ToggleWrap => {
            state.wrap = !state.wrap;
            state.preview_hscroll = 0;
            state.info(if state.wrap {
                "Long lines wrap (w: cut them and scroll with h/l)."
            } else {
                "Long lines are cut at › (h/l scroll sideways, w wraps)."
            });
        }
        Action::ScrollRight => {
            if state.wrap {
                state.wrap = false;
                state.info("Wrapping off: h/l scroll sideways, w wraps again.");
            }
            state.preview_hscroll = (state.preview_hscroll + HSCROLL_STEP).min(max);
        }
        Action::ScrollLeft => {
            state.preview_hscroll = state.preview_hscroll.saturating_sub(HSCROLL_STEP);
        }
        _ => {}
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
