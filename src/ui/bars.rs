//! One-line bars: the search bar on top, the message line and the status
//! bar at the bottom.

use super::Theme;
use crate::app::text::{fit, truncate, width};
use crate::app::{AppState, IndexStatus, LineInput, Mode};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

/// The part of an input that fits `cols` columns with the cursor in view,
/// and the cursor's column within it.
pub fn input_view(input: &LineInput, cols: usize) -> (String, usize) {
    let chars: Vec<char> = input.text().chars().collect();
    let cursor = input.cursor().min(chars.len());
    let w = |cs: &[char]| cs.iter().map(|c| c.width().unwrap_or(0)).sum::<usize>();
    // Drop from the left until the text up to the cursor (plus the cursor
    // cell itself) fits.
    let mut start = 0;
    while start < cursor && w(&chars[start..cursor]) + 1 > cols {
        start += 1;
    }
    let visible: String = chars[start..].iter().collect();
    (truncate(&visible, cols), w(&chars[start..cursor]))
}

/// Draw an input at `area` after a prefix and put the terminal cursor in it.
pub fn draw_input(
    frame: &mut Frame<'_>,
    area: Rect,
    prefix: Span<'static>,
    input: &LineInput,
    theme: &Theme,
) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let prefix_cols = width(&prefix.content).min(usize::from(area.width));
    let cols = usize::from(area.width).saturating_sub(prefix_cols);
    let (text, cursor) = input_view(input, cols);
    let line = Line::from(vec![prefix, Span::styled(text, theme.title)]);
    frame.render_widget(Paragraph::new(line), area);
    let x = (prefix_cols + cursor).min(usize::from(area.width.saturating_sub(1)));
    frame.set_cursor_position(Position::new(area.x + x as u16, area.y));
}

pub fn draw_search(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let mut prefix = String::from(if state.pick { "pick " } else { "" });
    if let Some(tag) = &state.tag_filter {
        prefix.push_str(&format!("[#{tag}] "));
    }
    prefix.push_str("/ ");
    if state.mode == Mode::Search {
        draw_input(
            frame,
            area,
            Span::styled(prefix, theme.key),
            &state.query,
            theme,
        );
        return;
    }
    let rest = if state.query.is_empty() {
        Span::styled("press / to search, ? for help", theme.dim)
    } else {
        Span::raw(state.query.text().to_string())
    };
    let line = Line::from(vec![Span::styled(prefix, theme.accent), rest]);
    frame.render_widget(Paragraph::new(line), area);
}

pub fn draw_message(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let cols = usize::from(area.width);
    let line = match &state.message {
        Some(m) => Line::styled(
            truncate(&m.text, cols),
            if m.error { theme.error } else { theme.info },
        ),
        None if state.pick => Line::styled("Enter chooses · Esc cancels", theme.dim),
        None => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn index_label(status: &IndexStatus) -> String {
    match status {
        IndexStatus::Unknown => "index: …".into(),
        IndexStatus::Ready(n) => format!("index: {n} docs"),
        IndexStatus::ReadOnly => "index: read-only".into(),
        IndexStatus::Syncing(n) => format!("index: syncing {n}"),
        IndexStatus::Failed(e) => format!("index: error ({e})"),
    }
}

pub fn draw_status(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let cols = usize::from(area.width);
    let more = if state.partial { "+ (loading)" } else { "" };
    let mut parts = vec![format!(
        "{}/{}{more}",
        state.visible.len(),
        state.summaries.len()
    )];
    let query = state.effective_query();
    if !query.is_empty() {
        parts.push(format!("filter: {query}"));
    }
    if state.pending_query.is_some() {
        parts.push("searching…".into());
    }
    if let Some(w) = &state.watch {
        parts.push(format!("watch: {w}"));
    }
    if let Some(s) = &state.sync {
        parts.push(format!("sync: {s}"));
    }
    parts.push(index_label(&state.index));
    if let Some(enrich) = state.enrich.label() {
        parts.push(enrich);
    }
    let hint = if state.pick {
        " Enter pick  Esc cancel "
    } else {
        " ? help  / search  q quit "
    };
    let left = format!(" {}", parts.join(" │ "));
    let hint_cols = if cols >= width(&left) + width(hint) {
        width(hint)
    } else {
        0
    };
    let left = fit(&left, cols.saturating_sub(hint_cols));
    let mut spans = vec![Span::styled(left, theme.status)];
    if hint_cols > 0 {
        spans.push(Span::styled(hint, theme.status.patch(theme.key)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Edit;

    #[test]
    fn long_inputs_keep_the_cursor_in_view() {
        let mut i = LineInput::with_text("a very long query that does not fit");
        let (text, cursor) = input_view(&i, 10);
        assert!(width(&text) <= 10);
        assert!(cursor < 10);
        assert!(text.starts_with("fit") || text.contains("fit"), "{text}");
        i.apply(Edit::Home);
        let (text, cursor) = input_view(&i, 10);
        assert_eq!(cursor, 0);
        assert!(text.starts_with("a very"), "{text}");
        let wide = LineInput::with_text("日本語日本語日本語");
        let (text, cursor) = input_view(&wide, 7);
        assert!(width(&text) <= 7 && cursor <= 6, "{text} {cursor}");
    }
}
