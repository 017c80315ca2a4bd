//! The snippet list: only the rows on screen are built, so a library of
//! 100,000 snippets draws as fast as one of ten.

use super::text::{fit, truncate, width};
use super::Theme;
use crate::app::{AppState, Mode};
use crate::store::SnippetSummary;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Lines for one summary in `cols` columns: a secret marker, the title, and
/// language and tags right of it when there is room.
pub fn row(s: &SnippetSummary, cols: usize, theme: &Theme, selected: bool) -> Line<'static> {
    let base = if selected {
        theme.selected
    } else {
        ratatui::style::Style::new()
    };
    let marker = if s.has_secrets {
        Span::styled("!", theme.secret)
    } else {
        Span::raw(" ")
    };
    let rest = cols.saturating_sub(2);
    let mut spans = vec![marker, Span::styled(" ", base)];
    if rest < 24 {
        spans.push(Span::styled(fit(&s.title, rest), base));
        return Line::from(spans);
    }
    let secret = if s.has_secrets && rest >= 40 {
        "secret "
    } else {
        ""
    };
    let tags: String = s
        .tags
        .iter()
        .map(|t| format!("#{t}"))
        .collect::<Vec<_>>()
        .join(" ");
    let meta_budget = rest / 3;
    let lang = truncate(&s.language, 10);
    let meta_plain = truncate(
        &format!("{lang} {tags}"),
        meta_budget.saturating_sub(width(secret)),
    );
    let meta_cols = width(secret) + width(&meta_plain);
    let title_cols = rest.saturating_sub(meta_cols + 1);
    spans.push(Span::styled(fit(&s.title, title_cols), base));
    spans.push(Span::styled(" ", base));
    if !secret.is_empty() {
        spans.push(Span::styled(secret, theme.secret));
    }
    let (lang_part, tag_part) = match meta_plain.split_once(' ') {
        Some((l, t)) => (l.to_string(), format!(" {t}")),
        None => (meta_plain.clone(), String::new()),
    };
    spans.push(Span::styled(lang_part, base.patch(theme.accent)));
    spans.push(Span::styled(tag_part, base.patch(theme.tag)));
    Line::from(spans)
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let focused = matches!(state.mode, Mode::Normal | Mode::Search);
    let counts = if state.visible.len() == state.summaries.len() {
        format!(" Snippets {} ", state.summaries.len())
    } else {
        format!(
            " Snippets {}/{} ",
            state.visible.len(),
            state.summaries.len()
        )
    };
    let block = Block::bordered()
        .title(Line::styled(counts, theme.title))
        .border_style(if focused {
            theme.focused_border
        } else {
            theme.border
        });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let cols = usize::from(inner.width);
    if state.visible.is_empty() {
        let text = if state.pending_query.is_some() {
            "Searching…"
        } else if state.summaries.is_empty() {
            "The library is empty. Press n to write a snippet."
        } else {
            "No snippets match. Esc clears the search."
        };
        let lines: Vec<Line<'_>> = super::text::wrap(text, cols)
            .into_iter()
            .map(|l| Line::styled(l, theme.dim))
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let rows = usize::from(inner.height);
    // `update` keeps the offset in step with the layout; this only guards
    // the frame drawn before a resize reaches it.
    let mut offset = state.list_offset;
    if state.selected < offset {
        offset = state.selected;
    } else if state.selected >= offset + rows {
        offset = state.selected + 1 - rows;
    }
    let lines: Vec<Line<'_>> = state
        .visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .filter_map(|(pos, &i)| {
            state
                .summaries
                .get(i)
                .map(|s| row(s, cols, theme, pos == state.selected))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
