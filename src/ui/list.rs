//! The snippet list: only the rows on screen are built, so a library of
//! 100,000 snippets draws as fast as one of ten.

use super::Theme;
use crate::app::matching::Terms;
use crate::app::text::{fit, truncate, width};
use crate::app::{AppState, Mode};
use crate::store::SnippetSummary;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Spans for `text` cut or padded to `cols`, with the characters that
/// `mask` marks drawn in the match style.
fn lit(text: &str, mask: &[bool], cols: usize, base: Style, hit: Style) -> Vec<Span<'static>> {
    let shown = fit(text, cols);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_hit = false;
    for (i, c) in shown.chars().enumerate() {
        let is_hit = mask.get(i).copied().unwrap_or(false);
        if is_hit != run_hit && !run.is_empty() {
            let style = if run_hit { base.patch(hit) } else { base };
            spans.push(Span::styled(std::mem::take(&mut run), style));
        }
        run_hit = is_hit;
        run.push(c);
    }
    if !run.is_empty() {
        let style = if run_hit { base.patch(hit) } else { base };
        spans.push(Span::styled(run, style));
    }
    spans
}

/// Lines for one summary in `cols` columns: a secret marker, the title, and
/// language and tags right of it. The title gets the room it needs first:
/// tags are cut before it is, the language (10 columns at most) stays.
/// Characters that matched the search are lit.
pub fn row(
    s: &SnippetSummary,
    cols: usize,
    theme: &Theme,
    selected: bool,
    terms: &Terms,
) -> Line<'static> {
    let base = if selected {
        theme.selected
    } else {
        Style::new()
    };
    let marker = if s.has_secrets {
        Span::styled("!", theme.secret)
    } else {
        Span::raw(" ")
    };
    let rest = cols.saturating_sub(2);
    let mut spans = vec![marker, Span::styled(" ", base)];
    let title_mask = terms.mask(&s.title);
    if rest < 24 {
        spans.extend(lit(&s.title, &title_mask, rest, base, theme.matched));
        return Line::from(spans);
    }
    let secret = if s.has_secrets && rest >= 40 {
        "secret "
    } else {
        ""
    };
    let lang = truncate(&s.language, 10);
    let mut tags = String::new();
    let mut tag_mask = Vec::new();
    for t in &s.tags {
        tags.push_str(" #");
        tag_mask.extend([false, false]);
        tags.push_str(t);
        tag_mask.extend(terms.mask(t));
    }
    let meta_min = width(secret) + width(&lang);
    let meta_full = meta_min + width(&tags);
    let meta_cols = meta_full
        .min(rest.saturating_sub(width(&s.title) + 1))
        .max(meta_min);
    let title_cols = rest.saturating_sub(meta_cols + 1);
    spans.extend(lit(&s.title, &title_mask, title_cols, base, theme.matched));
    spans.push(Span::styled(" ", base));
    if !secret.is_empty() {
        spans.push(Span::styled(secret, theme.secret));
    }
    spans.push(Span::styled(lang, base.patch(theme.accent)));
    let tag_cols = meta_cols - meta_min;
    if tag_cols > 0 {
        let tag_mask = if width(&tags) > tag_cols {
            // `fit` puts an ellipsis where the cut is; no match lights it.
            let mut m = tag_mask;
            m.truncate(tag_cols.saturating_sub(1));
            m
        } else {
            tag_mask
        };
        spans.extend(lit(
            &tags,
            &tag_mask,
            tag_cols,
            base.patch(theme.tag),
            theme.matched,
        ));
    }
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
        let lines: Vec<Line<'_>> = crate::app::text::wrap(text, cols)
            .into_iter()
            .map(|l| Line::styled(l, theme.dim))
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let rows = usize::from(inner.height);
    let terms = Terms::from_query(state.query.text());
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
                .map(|s| row(s, cols, theme, pos == state.selected, &terms))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
