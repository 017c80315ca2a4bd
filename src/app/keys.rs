//! Keys: what each resolved [`Action`] does in each mode. Part of the
//! pure `update`; no IO.

use super::effect::Effect;
use super::enrich::update as enrich;
use super::input::{Edit, LineInput};
use super::keymap::Action;
use super::navigate::{move_selection, requery, scroll_preview, scroll_sideways};
use super::state::{AppState, ConfirmDelete, Mode, Screen, TagPicker};
use crate::domain::normalize_tags;
use crossterm::event::{KeyEvent, KeyEventKind};

pub(super) fn on_key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    // Some platforms also report releases; acting on them would double keys.
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let Some(action) = state.keymap.resolve(state.scopes(), &key) else {
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
        Mode::Fields(dialog) => enrich::on_fields_key(state, dialog, action),
        Mode::ModelOffer => enrich::on_offer_key(state, action),
    }
}

/// The help is one line per action and scope, plus a title and a blank
/// line per scope; scrolling stops once its end is on screen.
fn help_max_scroll(state: &AppState) -> usize {
    let lines: usize = state
        .keymap
        .help_sections()
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
            Action::Copy
                | Action::Edit
                | Action::Delete
                | Action::EditTags
                | Action::Regenerate
                | Action::Fields
        ) {
            state.info("No snippet selected.");
        }
        return Vec::new();
    };
    let writes = matches!(
        action,
        Action::Edit | Action::Delete | Action::EditTags | Action::Regenerate | Action::Fields
    );
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
            let input = LineInput::with_text(&summary.tags.join(", "));
            state.mode = Mode::TagEdit {
                id: summary.id,
                input,
            };
            Vec::new()
        }
        Action::Regenerate => enrich::regenerate(state, summary.id),
        Action::Fields => enrich::open_fields(state, summary.id),
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
        Action::TogglePause => enrich::toggle_pause(state),
        Action::ScrollLeft | Action::ScrollRight | Action::ToggleWrap => {
            scroll_sideways(state, action);
            Vec::new()
        }
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
        Action::ScrollLeft | Action::ScrollRight | Action::ToggleWrap => {
            scroll_sideways(state, action);
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
        Action::TogglePause => enrich::toggle_pause(state),
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
                // With text typed, Enter should take the first matching tag,
                // not the "no tag filter" row above it.
                let typed = !picker.input.text().trim().is_empty();
                picker.selected = usize::from(typed && picker.choices().len() > 1);
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
