//! Where each part of the screen goes, as plain geometry computed from the
//! state alone: `update` pages and scrolls with the same numbers that
//! `ui` draws with.

use super::state::Screen;
use super::text;
use crate::domain::{Field, Snippet, Source};
use ratatui::layout::Rect;

/// Side by side needs more than a classic 80-column terminal.
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 81;
/// Below this many rows for list and preview, the preview is dropped.
pub const STACKED_MIN_HEIGHT: u16 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub search: Rect,
    pub list: Option<Rect>,
    pub preview: Option<Rect>,
    pub message: Rect,
    pub status: Rect,
}

fn row(area: Rect, y: u16) -> Rect {
    Rect::new(area.x, y, area.width, u16::from(area.height > 0))
}

pub fn areas(area: Rect, screen: Screen) -> Areas {
    let h = area.height;
    let search = row(area, area.y);
    let status = row(area, area.y + h.saturating_sub(1));
    let message = row(area, area.y + h.saturating_sub(2));
    let main = Rect::new(area.x, area.y + 1.min(h), area.width, h.saturating_sub(3));
    let (list, preview) = if main.height == 0 || main.width == 0 {
        (None, None)
    } else {
        match screen {
            Screen::Preview => (None, Some(main)),
            Screen::FirstRun => (Some(main), None),
            Screen::Browse if main.width >= SIDE_BY_SIDE_MIN_WIDTH => {
                // Half: titles need the room more than code does, which
                // wraps or scrolls in the preview.
                let lw = (main.width / 2).max(30);
                let list = Rect::new(main.x, main.y, lw, main.height);
                let preview = Rect::new(main.x + lw, main.y, main.width - lw, main.height);
                (Some(list), Some(preview))
            }
            Screen::Browse if main.height >= STACKED_MIN_HEIGHT => {
                let lh = main.height * 9 / 20;
                let list = Rect::new(main.x, main.y, main.width, lh);
                let preview = Rect::new(main.x, main.y + lh, main.width, main.height - lh);
                (Some(list), Some(preview))
            }
            Screen::Browse => (Some(main), None),
        }
    };
    Areas {
        search,
        list,
        preview,
        message,
        status,
    }
}

/// Rows of snippets the list shows (inside its border).
pub fn list_rows(width: u16, height: u16) -> usize {
    areas(Rect::new(0, 0, width, height), Screen::Browse)
        .list
        .map_or(1, |r| usize::from(r.height.saturating_sub(2)).max(1))
}

/// Rows of content the full-screen preview shows, give or take its header.
pub fn preview_page(width: u16, height: u16) -> usize {
    areas(Rect::new(0, 0, width, height), Screen::Preview)
        .preview
        .map_or(1, |r| usize::from(r.height.saturating_sub(8)).max(1))
}

/// How the preview lays one snippet out inside its border: the metadata
/// header, then numbered content lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviewBody {
    /// Rows of metadata above the content.
    pub header: usize,
    /// Rows left for content (0 when the header fills the panel).
    pub rows: usize,
    /// The number shown beside the first content line (its line in the
    /// file it came from).
    pub first_line: usize,
    /// Columns of the line numbers; one space follows them.
    pub gutter: usize,
    /// Columns left for code.
    pub code_cols: usize,
}

impl PreviewBody {
    /// The layout of `snippet` in a panel of `cols` by `rows` cells inside
    /// the border; `full` is the full-screen view, whose header is not cut.
    pub fn new(snippet: &Snippet, cols: usize, rows: usize, full: bool) -> PreviewBody {
        let header = header_rows(snippet, cols, full);
        let first_line = match &snippet.source {
            Source::File { start_line, .. } => *start_line as usize,
            Source::Manual => 1,
        };
        let total = snippet.content.lines().count();
        let gutter = (first_line + total).to_string().len();
        PreviewBody {
            header,
            rows: rows.saturating_sub(header),
            first_line,
            gutter,
            code_cols: cols.saturating_sub(gutter + 1),
        }
    }

    /// Rows one content line takes: more than one when it wraps.
    pub fn rows_of(&self, line: &str, wrap: bool) -> usize {
        if wrap && self.code_cols >= 2 {
            text::wrapped_rows(&text::sanitize(line), self.code_cols)
        } else {
            1
        }
    }

    /// The furthest the view scrolls: the first line from which the rest,
    /// wrapped rows counted, fits. The view then ends with the last line on
    /// the last row (the preview fills the rows above it from earlier
    /// lines).
    pub fn max_scroll(&self, content: &str, wrap: bool) -> usize {
        let lines: Vec<&str> = content.lines().collect();
        let mut used = 0;
        let mut first = lines.len();
        for (i, line) in lines.iter().enumerate().rev() {
            used += self.rows_of(line, wrap);
            if used > self.rows {
                break;
            }
            first = i;
        }
        // A last line taller than the panel: show its start.
        first.min(lines.len().saturating_sub(1))
    }
}

/// The full-screen preview's layout of `snippet` at this terminal size.
pub fn full_preview_body(width: u16, height: u16, snippet: &Snippet) -> PreviewBody {
    let inner = areas(Rect::new(0, 0, width, height), Screen::Preview)
        .preview
        .unwrap_or_default();
    // Inside the border.
    let cols = usize::from(inner.width.saturating_sub(2));
    let rows = usize::from(inner.height.saturating_sub(2));
    PreviewBody::new(snippet, cols, rows, true)
}

/// Rows of the metadata header the preview draws above the content: the
/// title, provenance, origin, tags, secret warning, description, links and
/// a rule. In the side panel long descriptions and link lists are cut (to
/// 3 and 2 rows) so that some code stays visible.
pub fn header_rows(snippet: &Snippet, cols: usize, full: bool) -> usize {
    let (max_desc, max_links) = header_limits(full);
    let provenance = Field::ALL
        .iter()
        .any(|&f| snippet.meta.get(f).provenance.is_some());
    let description = if snippet.description.trim().is_empty() {
        0
    } else {
        text::wrap(snippet.description.trim(), cols)
            .len()
            .min(max_desc)
    };
    let links = if snippet.links.len() > max_links {
        max_links + 1
    } else {
        snippet.links.len()
    };
    1 + usize::from(provenance)
        + 1
        + usize::from(!snippet.tags.is_empty())
        + usize::from(snippet.has_secrets())
        + description
        + links
        + 1
}

/// Description rows and links the header shows at most.
pub fn header_limits(full: bool) -> (usize, usize) {
    if full {
        (usize::MAX, usize::MAX)
    } else {
        (3, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_is_side_by_side_classic_is_stacked_short_is_list_only() {
        let wide = areas(Rect::new(0, 0, 120, 40), Screen::Browse);
        let (l, p) = (wide.list.unwrap(), wide.preview.unwrap());
        assert_eq!(l.y, p.y);
        assert_eq!(l.width + p.width, 120);

        let classic = areas(Rect::new(0, 0, 80, 24), Screen::Browse);
        let (l, p) = (classic.list.unwrap(), classic.preview.unwrap());
        assert_eq!(l.x, p.x);
        assert!(p.y >= l.y + l.height);

        let short = areas(Rect::new(0, 0, 50, 12), Screen::Browse);
        assert!(short.list.is_some() && short.preview.is_none());
    }

    #[test]
    fn every_size_stays_inside_the_screen() {
        for w in 0..=130u16 {
            for h in [0u16, 1, 2, 3, 4, 10, 24, 50] {
                let full = Rect::new(0, 0, w, h);
                let a = areas(full, Screen::Browse);
                for r in [
                    Some(a.search),
                    a.list,
                    a.preview,
                    Some(a.message),
                    Some(a.status),
                ]
                .into_iter()
                .flatten()
                {
                    assert_eq!(full.union(r), full, "{r:?} outside {full:?}");
                }
            }
        }
    }
}
