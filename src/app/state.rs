//! The UI's whole state as plain data. Only [`super::update`] changes it.

use super::enrich::{EnrichStatus, FieldsDialog};
use super::event::IndexStatus;
use super::input::LineInput;
use super::keymap::{Keymap, Scope};
use crate::domain::{Snippet, SnippetId};
use crate::store::{SnippetSummary, TagCount};
use std::collections::HashMap;
use std::sync::Arc;

/// How long a message stays, in ticks (about seconds).
pub const MESSAGE_TICKS: u64 = 5;

/// The screen under any dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The library is empty: offer sample snippets.
    FirstRun,
    /// List with a preview beside or below it.
    Browse,
    /// One snippet full-screen, scrollable.
    Preview,
}

/// What keys go to right now.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// Typing into the search bar.
    Search,
    Help {
        scroll: usize,
    },
    ConfirmDelete(ConfirmDelete),
    TagEdit {
        id: SnippetId,
        input: LineInput,
    },
    TagPicker(TagPicker),
    /// One snippet's enrichable fields: provenance, locks, edits.
    Fields(FieldsDialog),
    /// The offer to download the enrichment model.
    ModelOffer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmDelete {
    pub id: SnippetId,
    pub title: String,
    /// `path:line` of a file-backed snippet, whose file is left alone.
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TagPicker {
    pub input: LineInput,
    /// `None` while the counts are loading.
    pub tags: Option<Vec<TagCount>>,
    /// Index into [`TagPicker::choices`].
    pub selected: usize,
}

impl TagPicker {
    /// What the picker offers: `None` first (no tag filter), then the tags
    /// whose name contains the typed text.
    pub fn choices(&self) -> Vec<Option<&TagCount>> {
        let needle = self.input.text().trim().to_lowercase();
        let mut out = vec![None];
        if let Some(tags) = &self.tags {
            out.extend(
                tags.iter()
                    .filter(|t| t.tag.contains(needle.as_str()))
                    .map(Some),
            );
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
    pub expires_at: u64,
}

#[derive(Debug, Clone)]
pub struct AppState {
    /// The whole library, newest first.
    pub summaries: Arc<Vec<SnippetSummary>>,
    pub by_id: HashMap<SnippetId, usize>,
    /// What the list shows: indices into `summaries`, in display order.
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    /// First visible row of the list.
    pub list_offset: usize,
    pub query: LineInput,
    pub tag_filter: Option<String>,
    /// The query whose results are awaited, for a "searching" hint.
    pub pending_query: Option<String>,
    pub screen: Screen,
    pub mode: Mode,
    /// The full snippet behind the selection, once loaded.
    pub preview: Option<Box<Snippet>>,
    pub preview_scroll: usize,
    /// Long content lines wrap (the default) or are cut and scroll
    /// sideways by [`AppState::preview_hscroll`] columns.
    pub wrap: bool,
    pub preview_hscroll: usize,
    pub size: (u16, u16),
    pub watch: Option<String>,
    /// The automatic sync's state, when it runs.
    pub sync: Option<String>,
    pub index: IndexStatus,
    pub enrich: EnrichStatus,
    pub message: Option<Message>,
    pub ticks: u64,
    /// Whether summaries have arrived at least once.
    pub loaded: bool,
    /// Only the first page of the library is loaded so far.
    pub partial: bool,
    /// Picking a snippet for a shell binding: Enter chooses, Esc cancels,
    /// nothing is edited.
    pub pick: bool,
    /// Select this snippet once it shows up (after a create or edit).
    pub select_after_load: Option<SnippetId>,
    /// The key bindings in force: the default table with the user's
    /// `[keys]` applied.
    pub keymap: Arc<Keymap>,
}

impl Default for AppState {
    fn default() -> Self {
        AppState::new(false)
    }
}

impl AppState {
    pub fn new(pick: bool) -> AppState {
        AppState {
            summaries: Arc::new(Vec::new()),
            by_id: HashMap::new(),
            visible: Vec::new(),
            selected: 0,
            list_offset: 0,
            query: LineInput::default(),
            tag_filter: None,
            pending_query: None,
            screen: Screen::Browse,
            mode: if pick { Mode::Search } else { Mode::Normal },
            preview: None,
            preview_scroll: 0,
            wrap: true,
            preview_hscroll: 0,
            size: (80, 24),
            watch: None,
            sync: None,
            index: IndexStatus::Unknown,
            enrich: EnrichStatus::default(),
            message: None,
            ticks: 0,
            loaded: false,
            partial: false,
            pick,
            select_after_load: None,
            keymap: Arc::new(Keymap::default()),
        }
    }

    /// The query as the search engine sees it: tag filter plus typed text.
    pub fn effective_query(&self) -> String {
        let typed = self.query.text().trim();
        match &self.tag_filter {
            Some(tag) if typed.is_empty() => format!("tag:{tag}"),
            Some(tag) => format!("tag:{tag} {typed}"),
            None => typed.to_string(),
        }
    }

    pub fn selected_summary(&self) -> Option<&SnippetSummary> {
        self.visible
            .get(self.selected)
            .and_then(|&i| self.summaries.get(i))
    }

    pub fn selected_id(&self) -> Option<SnippetId> {
        self.selected_summary().map(|s| s.id)
    }

    /// The preview, if it is the selected snippet's.
    pub fn current_preview(&self) -> Option<&Snippet> {
        let id = self.selected_id()?;
        self.preview.as_deref().filter(|p| p.id == id)
    }

    /// Key scopes for the current mode, most specific first.
    pub fn scopes(&self) -> &'static [Scope] {
        match (&self.mode, self.screen) {
            (Mode::Normal, Screen::FirstRun) => &[Scope::FirstRun],
            (Mode::Normal, Screen::Browse) => &[Scope::List],
            (Mode::Normal, Screen::Preview) => &[Scope::Preview],
            (Mode::Search, _) => &[Scope::Search, Scope::Input],
            (Mode::Help { .. }, _) => &[Scope::Help],
            (Mode::ConfirmDelete(_), _) => &[Scope::Confirm],
            (Mode::TagEdit { .. }, _) => &[Scope::TagEdit, Scope::Input],
            (Mode::TagPicker(_), _) => &[Scope::TagPicker, Scope::Input],
            (Mode::Fields(d), _) if d.input.is_some() => &[Scope::FieldEdit, Scope::Input],
            (Mode::Fields(_), _) => &[Scope::Fields],
            (Mode::ModelOffer, _) => &[Scope::ModelOffer],
        }
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.set_message(text.into(), false);
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.set_message(text.into(), true);
    }

    fn set_message(&mut self, text: String, error: bool) {
        self.message = Some(Message {
            text,
            error,
            // Errors stay twice as long: they matter more.
            expires_at: self.ticks
                + if error {
                    2 * MESSAGE_TICKS
                } else {
                    MESSAGE_TICKS
                },
        });
    }
}
