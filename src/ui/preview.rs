//! The preview: the snippet's metadata with where each field came from,
//! then its content, syntax-highlighted.

use super::text::{truncate, width, wrap};
use super::{Highlighter, Theme};
use crate::app::AppState;
use crate::domain::{Field, Snippet, Source};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Metadata lines above the content. In the side panel long descriptions
/// and link lists are cut so that some code stays visible.
pub fn header(snippet: &Snippet, cols: usize, theme: &Theme, full: bool) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        truncate(&snippet.display_title(), cols),
        theme.title,
    )];
    let provenance: Vec<String> = Field::ALL
        .iter()
        .filter_map(|&f| {
            let meta = snippet.meta.get(f);
            let by = meta.provenance.as_ref()?;
            let lock = if meta.locked { ", locked" } else { "" };
            Some(format!("{f}: {by}{lock}"))
        })
        .collect();
    if !provenance.is_empty() {
        lines.push(Line::styled(
            truncate(&provenance.join(" · "), cols),
            theme.dim,
        ));
    }
    let origin = match &snippet.source {
        Source::Manual => "manual".to_string(),
        Source::File {
            path,
            start_line,
            end_line,
            ..
        } if end_line > start_line => format!("{}:{start_line}-{end_line}", path.display()),
        Source::File {
            path, start_line, ..
        } => format!("{}:{start_line}", path.display()),
    };
    lines.push(Line::from(vec![
        Span::styled(truncate(&snippet.language, cols), theme.accent),
        Span::styled(
            truncate(
                &format!(" · {origin}"),
                cols.saturating_sub(width(&snippet.language)),
            ),
            theme.dim,
        ),
    ]));
    if !snippet.tags.is_empty() {
        let tags: Vec<String> = snippet.tags.iter().map(|t| format!("#{t}")).collect();
        lines.push(Line::styled(truncate(&tags.join(" "), cols), theme.tag));
    }
    if snippet.has_secrets() {
        let kinds = snippet.secrets.join(", ");
        lines.push(Line::styled(
            truncate(&format!("! secret: contains {kinds}"), cols),
            theme.secret,
        ));
    }
    let (max_desc, max_links) = if full {
        (usize::MAX, usize::MAX)
    } else {
        (3, 2)
    };
    if !snippet.description.trim().is_empty() {
        let mut desc = wrap(snippet.description.trim(), cols);
        if desc.len() > max_desc {
            desc.truncate(max_desc);
            if let Some(last) = desc.last_mut() {
                *last = truncate(&format!("{last} …"), cols);
            }
        }
        lines.extend(desc.into_iter().map(Line::raw));
    }
    for (i, link) in snippet.links.iter().enumerate() {
        if i == max_links {
            let more = snippet.links.len() - i;
            lines.push(Line::styled(format!("(+{more} more links)"), theme.dim));
            break;
        }
        lines.push(Line::styled(truncate(link, cols), theme.accent));
    }
    lines.push(Line::styled("─".repeat(cols), theme.border));
    lines
}

pub fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &AppState,
    highlighter: &mut Highlighter,
    theme: &Theme,
    full: bool,
) {
    let block = Block::bordered()
        .title(Line::styled(" Preview ", theme.title))
        .border_style(if full {
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
    let Some(snippet) = state.current_preview() else {
        let text = match state.selected_summary() {
            Some(s) => vec![
                Line::styled(truncate(&s.title, cols), theme.title),
                Line::styled("Loading…", theme.dim),
            ],
            None => vec![Line::styled("Nothing selected.", theme.dim)],
        };
        frame.render_widget(Paragraph::new(text), inner);
        return;
    };
    let head = header(snippet, cols, theme, full);
    let rows = usize::from(inner.height);
    let content_rows = rows.saturating_sub(head.len());
    let scroll = if full { state.preview_scroll } else { 0 };
    let first_line = match &snippet.source {
        Source::File { start_line, .. } => *start_line as usize,
        Source::Manual => 1,
    };
    let total = snippet.content.lines().count();
    let gutter = (first_line + total).to_string().len();
    let body = highlighter.lines(snippet, scroll, scroll + content_rows);
    let mut lines = head;
    lines.truncate(rows);
    for (i, line) in body.into_iter().enumerate() {
        let number = format!("{:>gutter$} ", first_line + scroll + i);
        let mut spans = vec![Span::styled(number, theme.dim)];
        spans.extend(line.spans);
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
