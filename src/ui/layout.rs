//! Where each part of the screen goes, as plain geometry so that
//! `app::update` can use the same numbers for paging and scrolling.

use crate::app::Screen;
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
