//! Overlays and whole-screen notices: help, delete confirmation, tag
//! editor, tag filter picker and the first-run offer.

use super::bars::draw_input;
use super::Theme;
use crate::app::keymap::{Action, Keymap, Scope};
use crate::app::text::{fit, truncate, wrap};
use crate::app::{ConfirmDelete, LineInput, TagPicker};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

/// A `w`×`h` rectangle centred in `area`, shrunk to fit it.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Clear `area`, draw a bordered box, and return its inside.
pub(super) fn popup(frame: &mut Frame<'_>, area: Rect, title: &str, theme: &Theme) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(Line::styled(format!(" {title} "), theme.title))
        .border_style(theme.focused_border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// The help's lines, generated from the keymap in force.
pub fn help_lines(keymap: &Keymap, theme: &Theme, cols: usize) -> Vec<Line<'static>> {
    let key_cols = 24.min(cols / 2);
    let mut lines = Vec::new();
    for (scope, entries) in keymap.help_sections() {
        if entries.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(scope.title().to_string(), theme.title));
        for e in entries {
            lines.push(Line::from(vec![
                Span::styled(fit(&format!("  {}", e.keys), key_cols), theme.key),
                Span::raw(truncate(e.text, cols.saturating_sub(key_cols + 1))),
            ]));
        }
    }
    lines
}

pub fn draw_help(frame: &mut Frame<'_>, area: Rect, scroll: usize, keymap: &Keymap, theme: &Theme) {
    let rect = centered(area, 72, area.height.saturating_sub(2).max(3));
    let inner = popup(frame, rect, "Help · Esc closes · j/k scroll", theme);
    let lines = help_lines(keymap, theme, usize::from(inner.width));
    let max = lines.len().saturating_sub(usize::from(inner.height));
    let lines: Vec<Line<'_>> = lines.into_iter().skip(scroll.min(max)).collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn draw_confirm(frame: &mut Frame<'_>, area: Rect, confirm: &ConfirmDelete, theme: &Theme) {
    let w = 64.min(area.width);
    let cols = usize::from(w.saturating_sub(2)).max(1);
    let mut lines: Vec<Line<'static>> = wrap(&format!("Delete “{}”?", confirm.title), cols)
        .into_iter()
        .map(|l| Line::styled(l, theme.title))
        .collect();
    if let Some(source) = &confirm.source {
        lines.push(Line::raw(""));
        let note = format!(
            "It comes from {source}, which the watcher owns. Only the library entry \
             is removed; the file stays as it is, and the snippet comes back when \
             the file changes."
        );
        lines.extend(wrap(&note, cols).into_iter().map(Line::raw));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("y", theme.key),
        Span::raw(" delete   "),
        Span::styled("n", theme.key),
        Span::raw(" / "),
        Span::styled("Esc", theme.key),
        Span::raw(" keep"),
    ]));
    let h = (lines.len() as u16).saturating_add(2);
    let inner = popup(frame, centered(area, w, h), "Delete snippet", theme);
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn draw_tag_edit(frame: &mut Frame<'_>, area: Rect, input: &LineInput, theme: &Theme) {
    let rect = centered(area, 64, 4);
    let inner = popup(
        frame,
        rect,
        "Tags, comma-separated · Enter saves · Esc cancels",
        theme,
    );
    if inner.height == 0 {
        return;
    }
    let row = Rect::new(inner.x, inner.y, inner.width, 1);
    draw_input(frame, row, Span::styled("tags: ", theme.key), input, theme);
    if inner.height > 1 {
        let hint = Line::styled(
            "Saved tags are yours: the model won't change them.",
            theme.dim,
        );
        let row = Rect::new(inner.x, inner.y + 1, inner.width, 1);
        frame.render_widget(Paragraph::new(hint), row);
    }
}

pub fn draw_tag_picker(frame: &mut Frame<'_>, area: Rect, picker: &TagPicker, theme: &Theme) {
    let rect = centered(area, 48, area.height.saturating_sub(4).clamp(3, 20));
    let inner = popup(
        frame,
        rect,
        "Filter by tag · Enter picks · Esc closes",
        theme,
    );
    if inner.height == 0 {
        return;
    }
    let row = Rect::new(inner.x, inner.y, inner.width, 1);
    draw_input(
        frame,
        row,
        Span::styled("> ", theme.key),
        &picker.input,
        theme,
    );
    let list = Rect::new(
        inner.x,
        inner.y + 1,
        inner.width,
        inner.height.saturating_sub(1),
    );
    let cols = usize::from(list.width);
    if picker.tags.is_none() {
        frame.render_widget(
            Paragraph::new(Line::styled("Loading tags…", theme.dim)),
            list,
        );
        return;
    }
    let rows = usize::from(list.height).max(1);
    let offset = picker.selected.saturating_sub(rows - 1);
    let lines: Vec<Line<'_>> = picker
        .choices()
        .into_iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, choice)| {
            let (name, count) = match choice {
                Some(t) => (format!("#{}", t.tag), t.count.to_string()),
                None => ("(all snippets, no tag filter)".to_string(), String::new()),
            };
            let name_cols = cols.saturating_sub(count.len() + 1);
            let text = format!("{} {count}", fit(&name, name_cols));
            let style = if i == picker.selected {
                theme.selected
            } else {
                theme.tag
            };
            Line::styled(text, style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
}

pub fn draw_first_run(frame: &mut Frame<'_>, area: Rect, keymap: &Keymap, theme: &Theme) {
    // Wrap to the inside of the box actually drawn (70 columns at most,
    // less the borders), not to the whole screen.
    let cols = usize::from(70.min(area.width).saturating_sub(2)).max(1);
    let key = |action: Action| keymap.keys_for(Scope::FirstRun, action).join("/");
    let mut lines = vec![
        Line::styled("Welcome to snipdex", theme.title),
        Line::raw(""),
    ];
    let intro = "Your library is empty. Snippets come from folders you watch, from \
                 your editor, or from a set of samples to try things out with.";
    lines.extend(wrap(intro, cols).into_iter().map(Line::raw));
    lines.push(Line::raw(""));
    for (action, text) in [
        (Action::LoadSamples, "add a dozen sample snippets"),
        (Action::New, "write your own snippet in $EDITOR"),
        (Action::SkipSamples, "start with an empty library"),
        (Action::Quit, "quit"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(fit(&key(action), 10), theme.key),
            Span::raw(text),
        ]));
    }
    let h = (lines.len() as u16).saturating_add(2);
    let inner = popup(frame, centered(area, 70, h), "First run", theme);
    frame.render_widget(Paragraph::new(lines), inner);
}
