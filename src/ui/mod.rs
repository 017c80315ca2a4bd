//! Drawing. One function per view; each reads [`AppState`] and changes
//! nothing but the frame (and the highlighter's cache).

mod bars;
mod dialogs;
mod enrich;
mod highlight;
mod list;
mod preview;
mod theme;

pub use highlight::Highlighter;
pub use theme::Theme;

use crate::app::{layout, AppState, Mode, Screen};
use ratatui::Frame;

/// Draw the whole UI for `state`.
pub fn draw(frame: &mut Frame<'_>, state: &AppState, highlighter: &mut Highlighter) {
    let theme = Theme::default();
    let area = frame.area();
    let areas = layout::areas(area, state.screen);
    bars::draw_search(frame, areas.search, state, &theme);
    match state.screen {
        Screen::FirstRun => {
            if let Some(main) = areas.list {
                dialogs::draw_first_run(frame, main, &state.keymap, &theme);
            }
        }
        Screen::Browse => {
            if let Some(list) = areas.list {
                list::draw(frame, list, state, &theme);
            }
            if let Some(p) = areas.preview {
                preview::draw(frame, p, state, highlighter, &theme, false);
            }
        }
        Screen::Preview => {
            if let Some(p) = areas.preview {
                preview::draw(frame, p, state, highlighter, &theme, true);
            }
        }
    }
    bars::draw_message(frame, areas.message, state, &theme);
    bars::draw_status(frame, areas.status, state, &theme);
    match &state.mode {
        Mode::Normal | Mode::Search => {}
        Mode::Help { scroll } => dialogs::draw_help(frame, area, *scroll, &state.keymap, &theme),
        Mode::ConfirmDelete(c) => dialogs::draw_confirm(frame, area, c, &theme),
        Mode::TagEdit { input, .. } => dialogs::draw_tag_edit(frame, area, input, &theme),
        Mode::TagPicker(p) => dialogs::draw_tag_picker(frame, area, p, &theme),
        Mode::Fields(d) => enrich::draw_fields(frame, area, state, d, &theme),
        Mode::ModelOffer => enrich::draw_model_offer(frame, area, &state.keymap, &theme),
    }
}

#[cfg(test)]
mod enrich_tests;
#[cfg(test)]
mod tests;
