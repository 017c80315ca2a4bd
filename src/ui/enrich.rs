//! Enrichment dialogs: the fields of one snippet with their provenance and
//! locks, and the offer to download the model.

use super::bars::draw_input;
use super::dialogs::{centered, popup};
use super::Theme;
use crate::app::keymap::{Action, Keymap, Scope};
use crate::app::text::{fit, sanitize, truncate, width, wrap};
use crate::app::{field_text, AppState, FieldsDialog};
use crate::domain::{Field, Snippet};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Width of the field-name column: "description" and a space.
const NAME_COLS: usize = 12;
const LOCK_COLS: usize = 7;
/// Lines of the selected field's full value under the table.
const DETAIL_LINES: usize = 3;

/// `key action · key action` for the given scope, from the keymap table.
fn hints(
    keymap: &Keymap,
    scope: Scope,
    entries: &[(Action, &str)],
    theme: &Theme,
) -> Line<'static> {
    let mut spans = Vec::new();
    for (action, text) in entries {
        let keys = keymap.keys_for(scope, *action);
        let Some(key) = keys.first() else { continue };
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.dim));
        }
        spans.push(Span::styled(key.clone(), theme.key));
        spans.push(Span::raw(format!(" {text}")));
    }
    Line::from(spans)
}

fn provenance(snippet: &Snippet, field: Field) -> String {
    snippet
        .meta
        .get(field)
        .provenance
        .as_ref()
        .map_or_else(|| "—".to_string(), ToString::to_string)
}

/// One row per field: name, value, where it came from, lock.
fn field_rows(
    snippet: &Snippet,
    selected: usize,
    cols: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let prov_cols = Field::ALL
        .iter()
        .map(|&f| width(&provenance(snippet, f)))
        .max()
        .unwrap_or(0)
        .min(cols / 3)
        + 1;
    let value_cols = cols.saturating_sub(2 + NAME_COLS + prov_cols + LOCK_COLS);
    Field::ALL
        .iter()
        .enumerate()
        .map(|(i, &field)| {
            let meta = snippet.meta.get(field);
            let value = sanitize(&field_text(snippet, field));
            let (value, value_style) = if value.is_empty() {
                ("(empty)".to_string(), theme.dim)
            } else {
                (value, Style::default())
            };
            let chosen = i == selected;
            let base = if chosen {
                theme.selected
            } else {
                Style::default()
            };
            let marker = if chosen { "› " } else { "  " };
            let lock = if meta.locked { "locked" } else { "" };
            Line::from(vec![
                Span::styled(marker, base.patch(theme.key)),
                Span::styled(fit(field.name(), NAME_COLS), base.patch(theme.accent)),
                Span::styled(fit(&value, value_cols), base.patch(value_style)),
                Span::styled(
                    fit(&format!(" {}", provenance(snippet, field)), prov_cols),
                    base.patch(theme.dim),
                ),
                Span::styled(fit(&format!(" {lock}"), LOCK_COLS), base.patch(theme.tag)),
            ])
        })
        .collect()
}

/// The selected field in full: where it came from, then its value wrapped.
fn detail(snippet: &Snippet, field: Field, cols: usize, theme: &Theme) -> Vec<Line<'static>> {
    let meta = snippet.meta.get(field);
    let state = if meta.locked {
        "locked: the model won't change it"
    } else {
        "unlocked: the model may rewrite it"
    };
    let head = format!("{field}: {}, {state}", provenance(snippet, field));
    let mut lines = vec![Line::styled(truncate(&head, cols), theme.dim)];
    let value = field_text(snippet, field);
    let mut wrapped = wrap(&sanitize(&value), cols);
    if wrapped.len() > DETAIL_LINES {
        wrapped.truncate(DETAIL_LINES);
        if let Some(last) = wrapped.last_mut() {
            *last = truncate(&format!("{last} …"), cols);
        }
    }
    lines.extend(wrapped.into_iter().map(Line::raw));
    lines
}

pub fn draw_fields(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &AppState,
    dialog: &FieldsDialog,
    theme: &Theme,
) {
    // Title and rule, the fields, a gap, then either the detail and the
    // key hints or the edit hint and the input.
    let table = 2 + Field::ALL.len() + 1;
    let rows = if dialog.input.is_some() {
        table + 2
    } else {
        table + 1 + DETAIL_LINES + 1 + 1
    };
    let rect = centered(area, 100, u16::try_from(rows + 2).unwrap_or(u16::MAX));
    let title = format!("Fields of #{} · Esc closes", dialog.id);
    let inner = popup(frame, rect, &title, theme);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let cols = usize::from(inner.width);
    let Some(snippet) = state.preview.as_deref().filter(|p| p.id == dialog.id) else {
        let text = Line::styled("Loading…", theme.dim);
        frame.render_widget(Paragraph::new(text), inner);
        return;
    };
    let mut lines = vec![
        Line::styled(truncate(&snippet.display_title(), cols), theme.title),
        Line::styled("─".repeat(cols), theme.border),
    ];
    lines.extend(field_rows(snippet, dialog.selected, cols, theme));
    lines.push(Line::raw(""));
    let field = dialog.field();
    if dialog.input.is_some() {
        lines.push(Line::styled(
            truncate(
                "Enter saves it as yours (locked) · Esc cancels · lists are comma-separated",
                cols,
            ),
            theme.dim,
        ));
    } else {
        lines.extend(detail(snippet, field, cols, theme));
        while lines.len() < table + 1 + DETAIL_LINES {
            lines.push(Line::raw(""));
        }
        lines.push(Line::raw(""));
        lines.push(hints(
            &state.keymap,
            Scope::Fields,
            &[
                (Action::LockField, "accept (lock)"),
                (Action::EditField, "edit"),
                (Action::UnlockField, "unlock"),
                (Action::RegenerateField, "regenerate"),
                (Action::Close, "close"),
            ],
            theme,
        ));
    }
    let used = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some(input) = &dialog.input {
        // The input goes on the line under the hint, inside the box.
        let y = inner.y.saturating_add(used);
        if y < inner.y + inner.height {
            let row = Rect::new(inner.x, y, inner.width, 1);
            let prefix = Span::styled(format!("{field}: "), theme.key);
            draw_input(frame, row, prefix, input, theme);
        }
    }
}

pub const OFFER_TEXT: &str = "snipdex can write titles, descriptions, tags and links with a \
    small local model (about 100 MB, runs on this machine, nothing leaves it). Download it now? y/n";

pub fn draw_model_offer(frame: &mut Frame<'_>, area: Rect, keymap: &Keymap, theme: &Theme) {
    let w = 64.min(area.width);
    let cols = usize::from(w.saturating_sub(2)).max(1);
    let mut lines: Vec<Line<'static>> = wrap(OFFER_TEXT, cols).into_iter().map(Line::raw).collect();
    lines.push(Line::raw(""));
    for (action, text) in [
        (Action::FetchModel, "download it in the background"),
        (Action::DeclineModel, "no, and don't ask again"),
        (Action::Later, "not now, ask next start"),
    ] {
        let keys = keymap.keys_for(Scope::ModelOffer, action).join("/");
        lines.push(Line::from(vec![
            Span::styled(fit(&keys, 6), theme.key),
            Span::raw(truncate(text, cols.saturating_sub(6))),
        ]));
    }
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let inner = popup(frame, centered(area, w, h), "Enrichment model", theme);
    frame.render_widget(Paragraph::new(lines), inner);
}
