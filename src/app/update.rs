//! `update(state, event) -> effects`: every decision the UI makes, with no
//! IO, so that it can be tested without a terminal.

use super::event::{AppEvent, EditorOutcome};
use super::input::Edit;
use super::keymap::{self, Action};
use super::state::{AppState, ConfirmDelete, Mode, Screen, TagPicker};
use crate::domain::{normalize_tags, SnippetId};
use crate::store::SnippetSummary;
use crate::ui::layout;
use crossterm::event::{KeyEvent, KeyEventKind};
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
}

pub fn update(state: &mut AppState, event: AppEvent) -> Vec<Effect> {
    match event {
        AppEvent::Key(key) => on_key(state, key),
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
        AppEvent::Loaded(summaries) => on_loaded(state, summaries),
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
                state.info(format!("Added {n} sample snippets."));
            }
            state.screen = Screen::Browse;
            vec![Effect::Reload]
        }
        AppEvent::EditorDone(outcome) => on_editor_done(state, outcome),
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
            vec![Effect::LoadPreview(id)]
        }
        None => Vec::new(),
    }
}

/// The query changed: show everything, or ask for a search.
fn requery(state: &mut AppState) -> Vec<Effect> {
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

fn move_selection(state: &mut AppState, action: Action) -> Vec<Effect> {
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

fn scroll_preview(state: &mut AppState, action: Action) {
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

fn on_key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    // Some platforms also report releases; acting on them would double keys.
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let Some(action) = keymap::resolve(state.scopes(), &key) else {
        return Vec::new();
    };
    if action == Action::Interrupt {
        return vec![Effect::Quit];
    }
    match state.mode.clone() {
        Mode::Normal => match state.screen {
            Screen::FirstRun => on_first_run(state, action),
            Screen::Browse => on_browse(state, action),
            Screen::Preview => on_preview(state, action),
        },
        Mode::Search => on_search(state, action),
        Mode::Help { scroll } => {
            match action {
                Action::Down => {
                    state.mode = Mode::Help {
                        scroll: (scroll + 1).min(help_max_scroll(state)),
                    }
                }
                Action::Up => {
                    state.mode = Mode::Help {
                        scroll: scroll.saturating_sub(1),
                    }
                }
                _ => state.mode = Mode::Normal,
            }
            Vec::new()
        }
        Mode::ConfirmDelete(confirm) => {
            state.mode = Mode::Normal;
            if action == Action::Yes {
                if state.screen == Screen::Preview {
                    state.screen = Screen::Browse;
                }
                vec![Effect::Delete(confirm.id)]
            } else {
                state.info("Kept.");
                Vec::new()
            }
        }
        Mode::TagEdit { id, mut input } => match action {
            Action::Input(edit) => {
                input.apply(edit);
                state.mode = Mode::TagEdit { id, input };
                Vec::new()
            }
            Action::Accept => {
                state.mode = Mode::Normal;
                vec![Effect::SetTags(id, normalize_tags([input.text()]))]
            }
            _ => {
                state.mode = Mode::Normal;
                Vec::new()
            }
        },
        Mode::TagPicker(picker) => on_tag_picker(state, picker, action),
    }
}

/// The help is one line per action and scope, plus a title and a blank
/// line per scope; scrolling stops once its end is on screen.
fn help_max_scroll(state: &AppState) -> usize {
    let lines: usize = keymap::help_sections()
        .iter()
        .filter(|(_, entries)| !entries.is_empty())
        .map(|(_, entries)| entries.len() + 2)
        .sum();
    // The overlay leaves a border and a margin above and below.
    lines.saturating_sub(usize::from(state.size.1.saturating_sub(4)))
}

/// Actions that mean the same on the list and in the full-screen preview.
fn on_snippet_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    let Some(summary) = state.selected_summary().cloned() else {
        if matches!(
            action,
            Action::Copy | Action::Edit | Action::Delete | Action::EditTags
        ) {
            state.info("No snippet selected.");
        }
        return Vec::new();
    };
    let writes = matches!(action, Action::Edit | Action::Delete | Action::EditTags);
    if writes && state.pick {
        state.info("Picking a snippet: Enter chooses, Esc cancels.");
        return Vec::new();
    }
    match action {
        Action::Copy => vec![Effect::Copy(summary.id)],
        Action::Edit => vec![Effect::EditInEditor(summary.id)],
        Action::Delete => {
            let source = summary.path.as_ref().map(|p| match summary.start_line {
                Some(line) => format!("{}:{line}", p.display()),
                None => p.display().to_string(),
            });
            state.mode = Mode::ConfirmDelete(ConfirmDelete {
                id: summary.id,
                title: summary.title.clone(),
                source,
            });
            Vec::new()
        }
        Action::EditTags => {
            let input = super::input::LineInput::with_text(&summary.tags.join(", "));
            state.mode = Mode::TagEdit {
                id: summary.id,
                input,
            };
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn on_browse(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::Down
        | Action::Up
        | Action::Top
        | Action::Bottom
        | Action::PageDown
        | Action::PageUp => move_selection(state, action),
        Action::StartSearch => {
            state.mode = Mode::Search;
            state.query.apply(Edit::End);
            Vec::new()
        }
        Action::ClearFilter => {
            if state.query.is_empty() && state.tag_filter.is_none() {
                return Vec::new();
            }
            state.query.clear();
            state.tag_filter = None;
            requery(state)
        }
        Action::Open => match state.selected_id() {
            Some(id) if state.pick => vec![Effect::Choose(id)],
            Some(_) => {
                state.screen = Screen::Preview;
                state.preview_scroll = 0;
                Vec::new()
            }
            None => Vec::new(),
        },
        Action::New if state.pick => {
            state.info("Picking a snippet: Enter chooses, Esc cancels.");
            Vec::new()
        }
        Action::New => vec![Effect::NewInEditor],
        Action::TagFilter => {
            state.mode = Mode::TagPicker(TagPicker::default());
            vec![Effect::LoadTagCounts]
        }
        Action::Help => {
            state.mode = Mode::Help { scroll: 0 };
            Vec::new()
        }
        Action::Quit => vec![Effect::Quit],
        _ => on_snippet_action(state, action),
    }
}

fn on_preview(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::Down
        | Action::Up
        | Action::Top
        | Action::Bottom
        | Action::PageDown
        | Action::PageUp => {
            scroll_preview(state, action);
            Vec::new()
        }
        Action::Back => {
            state.screen = Screen::Browse;
            Vec::new()
        }
        Action::Help => {
            state.mode = Mode::Help { scroll: 0 };
            Vec::new()
        }
        _ => on_snippet_action(state, action),
    }
}

fn on_search(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::Input(edit) => {
            if state.query.apply(edit) {
                requery(state)
            } else {
                Vec::new()
            }
        }
        Action::Down | Action::Up | Action::PageDown | Action::PageUp => {
            move_selection(state, action)
        }
        Action::Accept => match state.selected_id() {
            Some(id) if state.pick => vec![Effect::Choose(id)],
            _ => {
                state.mode = Mode::Normal;
                Vec::new()
            }
        },
        Action::Cancel if state.pick => vec![Effect::Quit],
        Action::Cancel => {
            state.mode = Mode::Normal;
            if state.query.is_empty() {
                return Vec::new();
            }
            state.query.clear();
            requery(state)
        }
        _ => Vec::new(),
    }
}

fn on_tag_picker(state: &mut AppState, mut picker: TagPicker, action: Action) -> Vec<Effect> {
    let count = picker.choices().len();
    match action {
        Action::Input(edit) => {
            if picker.input.apply(edit) {
                picker.selected = 0;
            }
        }
        Action::Down => picker.selected = (picker.selected + 1).min(count - 1),
        Action::Up => picker.selected = picker.selected.saturating_sub(1),
        Action::PageDown => picker.selected = (picker.selected + 10).min(count - 1),
        Action::PageUp => picker.selected = picker.selected.saturating_sub(10),
        Action::Accept => {
            let chosen = picker
                .choices()
                .get(picker.selected)
                .copied()
                .flatten()
                .map(|t| t.tag.clone());
            state.mode = Mode::Normal;
            if chosen == state.tag_filter {
                return Vec::new();
            }
            state.tag_filter = chosen;
            return requery(state);
        }
        _ => {
            state.mode = Mode::Normal;
            return Vec::new();
        }
    }
    state.mode = Mode::TagPicker(picker);
    Vec::new()
}

fn on_first_run(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::LoadSamples => {
            state.info("Adding sample snippets…");
            vec![Effect::LoadSamples]
        }
        Action::New => vec![Effect::NewInEditor],
        Action::SkipSamples => {
            state.screen = Screen::Browse;
            state.info("Press n to write a snippet, ? for help.");
            Vec::new()
        }
        Action::Quit => vec![Effect::Quit],
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
