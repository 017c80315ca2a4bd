//! `update(state, event) -> effects`: every decision the UI makes, with no
//! IO, so that it can be tested without a terminal.

use super::effect::Effect;
use super::enrich;
use super::event::{AppEvent, EditorOutcome};
use super::navigate::{preview_effect, scroll_into_view};
use super::state::{AppState, Mode, Screen};
use crate::domain::SnippetId;
use crate::store::SnippetSummary;
use std::sync::Arc;

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

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
