//! Moving around: the selection in the list, scrolling the preview down
//! and sideways, and re-running the query. Part of the pure `update`.

use super::effect::Effect;
use super::keymap::Action;
use super::layout;
use super::state::AppState;
use super::text;

/// Load the selected snippet for the preview unless it is already there.
pub(super) fn preview_effect(state: &mut AppState) -> Vec<Effect> {
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

pub(super) fn list_rows(state: &AppState) -> usize {
    layout::list_rows(state.size.0, state.size.1)
}

pub(super) fn scroll_into_view(state: &mut AppState) {
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
    // As far as the last line ending on the last row, wrapped rows counted.
    let max = state.current_preview().map_or(0, |p| {
        layout::full_preview_body(state.size.0, state.size.1, p).max_scroll(&p.content, state.wrap)
    });
    let page = layout::preview_page(state.size.0, state.size.1);
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
