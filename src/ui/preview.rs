//! The preview: the snippet's metadata with where each field came from,
//! then its content, syntax-highlighted.

use super::{Highlighter, Theme};
use crate::app::layout::PreviewBody;
use crate::app::matching::Terms;
use crate::app::text::{slice_spans, spans_width, truncate, width, wrap, wrap_spans};
use crate::app::AppState;
use crate::domain::{Field, Snippet, Source};
use ratatui::layout::Rect;
use ratatui::style::Style;
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
    let (max_desc, max_links) = crate::app::layout::header_limits(full);
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
    let rows = usize::from(inner.height);
    let body = PreviewBody::new(snippet, cols, rows, full);
    let head = header(snippet, cols, theme, full);
    debug_assert_eq!(head.len(), body.header, "layout::header_rows disagrees");
    let scroll = if full { state.preview_scroll } else { 0 };
    let view = BodyView {
        wrap: state.wrap,
        hscroll: state.preview_hscroll,
        code_cols: body.code_cols,
        gutter: body.gutter,
        terms: Terms::from_query(state.query.text()),
    };
    // Up to a screenful of lines before `scroll`, to fill the view at the
    // end of the content (see below).
    let from = scroll.saturating_sub(body.rows);
    let source = highlighter.lines(snippet, from, scroll + body.rows);
    let numbered = |k: usize| view.rows(body.first_line + from + k, &source[k].spans, theme);
    let start = (scroll - from).min(source.len());
    let mut shown: Vec<Line<'static>> = Vec::new();
    for k in start..source.len() {
        if shown.len() >= body.rows {
            break;
        }
        shown.extend(numbered(k));
    }
    shown.truncate(body.rows);
    // Rows left over mean the content ended: earlier lines fill them, so
    // that the last line ends on the last row, as `G` promises, however the
    // lines wrap. The earliest of them may show only its last rows.
    let mut k = start;
    while shown.len() < body.rows && k > 0 {
        k -= 1;
        let mut earlier = numbered(k);
        earlier.append(&mut shown);
        shown = earlier;
    }
    if shown.len() > body.rows {
        shown.drain(..shown.len() - body.rows);
    }
    let mut lines = head;
    lines.truncate(rows);
    lines.extend(shown);
    lines.truncate(rows);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// How content lines are laid out: wrapped onto continuation rows marked
/// `↪` in the gutter, or cut, with `‹` and `›` where text goes on beyond
/// the edge.
struct BodyView {
    wrap: bool,
    hscroll: usize,
    code_cols: usize,
    gutter: usize,
    terms: Terms,
}

impl BodyView {
    fn rows(&self, number: usize, spans: &[Span<'static>], theme: &Theme) -> Vec<Line<'static>> {
        let gutter = self.gutter;
        let lit;
        let spans = if self.terms.is_empty() {
            spans
        } else {
            let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
            lit = overlay(spans, &self.terms.literal_mask(&text), theme.matched);
            &lit[..]
        };
        let numbered = Span::styled(format!("{number:>gutter$} "), theme.dim);
        if self.code_cols < 2 {
            return vec![Line::from(numbered)];
        }
        if self.wrap {
            return wrap_spans(spans, self.code_cols)
                .into_iter()
                .enumerate()
                .map(|(i, row)| {
                    let lead = if i == 0 {
                        numbered.clone()
                    } else {
                        Span::styled(format!("{:>gutter$} ", "↪"), theme.accent)
                    };
                    Line::from(std::iter::once(lead).chain(row).collect::<Vec<_>>())
                })
                .collect();
        }
        let total = spans_width(spans);
        let cut_left = self.hscroll > 0 && total > 0;
        let cut_right = total > self.hscroll + self.code_cols;
        // The markers take a column each, so the text between them shifts
        // by one; scrolling still moves by whole steps.
        let from = self.hscroll + usize::from(cut_left);
        let visible = self.code_cols - usize::from(cut_left) - usize::from(cut_right);
        let mut out = vec![numbered];
        if cut_left {
            out.push(Span::styled("‹", theme.accent));
        }
        out.extend(slice_spans(spans, from, visible));
        if cut_right {
            let used = spans_width(&out[1..]);
            let pad = self.code_cols.saturating_sub(used + 1);
            out.push(Span::raw(" ".repeat(pad)));
            out.push(Span::styled("›", theme.accent));
        }
        vec![Line::from(out)]
    }
}

/// `spans` with the characters that `mask` marks restyled by `hit`.
fn overlay(spans: &[Span<'static>], mask: &[bool], hit: Style) -> Vec<Span<'static>> {
    if !mask.contains(&true) {
        return spans.to_vec();
    }
    let mut out = Vec::new();
    let mut i = 0;
    for span in spans {
        let mut run = String::new();
        let mut run_hit = false;
        for c in span.content.chars() {
            let is_hit = mask.get(i).copied().unwrap_or(false);
            i += 1;
            if is_hit != run_hit && !run.is_empty() {
                let style = if run_hit {
                    span.style.patch(hit)
                } else {
                    span.style
                };
                out.push(Span::styled(std::mem::take(&mut run), style));
            }
            run_hit = is_hit;
            run.push(c);
        }
        if !run.is_empty() {
            let style = if run_hit {
                span.style.patch(hit)
            } else {
                span.style
            };
            out.push(Span::styled(run, style));
        }
    }
    out
}
