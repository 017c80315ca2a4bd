//! What the UI knows about enrichment, as plain data for `update` to change
//! and the status bar and dialogs to draw.

use super::super::input::LineInput;
use crate::domain::{Field, Snippet, SnippetId};
use crate::store::SnippetPatch;

/// Whether enrichment runs in this session at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrichPhase {
    /// No enrichment in this session (picking, tests): nothing shown.
    Absent,
    /// `enrich.enabled = false` in the config.
    Disabled,
    /// Enabled, but the worker could not start; why.
    Unavailable(String),
    /// A worker runs; [`EnrichStatus`] says what it is doing.
    Active,
}

/// The model the worker needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelState {
    Installed,
    Missing,
    /// Being downloaded or installed in the background.
    Fetching {
        /// A few words on the step ("downloading model").
        step: String,
        percent: Option<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrichStatus {
    pub phase: EnrichPhase,
    pub model: ModelState,
    /// Paused by the user (here, through `snipdex enrich --pause`, or in
    /// the config). Kept apart from `off` so that pausing a worker that has
    /// stopped does not pretend it is running.
    pub paused: bool,
    /// The worker turned itself off, and why.
    pub off: Option<String>,
    /// Another process runs the model for this library (named here); the
    /// worker waits and takes over when it stops.
    pub deferred: Option<String>,
    /// Jobs the worker will still run, as last reported.
    pub queued: Option<i64>,
    /// The snippet the model is writing for right now.
    pub current: Option<SnippetId>,
    /// Offer the model download once the screen is free for a dialog.
    pub offer_pending: bool,
}

impl Default for EnrichStatus {
    fn default() -> Self {
        EnrichStatus {
            phase: EnrichPhase::Absent,
            model: ModelState::Installed,
            paused: false,
            off: None,
            deferred: None,
            queued: None,
            current: None,
            offer_pending: false,
        }
    }
}

impl EnrichStatus {
    /// Enrichment as found at start: whether the worker starts paused,
    /// whether a model is installed, and whether the user already said no
    /// to downloading one.
    pub fn started(paused: bool, model_installed: bool, declined: bool) -> EnrichStatus {
        EnrichStatus {
            phase: EnrichPhase::Active,
            model: if model_installed {
                ModelState::Installed
            } else {
                ModelState::Missing
            },
            paused,
            offer_pending: !model_installed && !declined,
            ..EnrichStatus::default()
        }
    }

    /// Why enrichment cannot run at all in this session, if it cannot.
    pub fn unavailable(&self) -> Option<String> {
        match &self.phase {
            EnrichPhase::Absent => Some("Enrichment is not running here.".into()),
            EnrichPhase::Disabled => {
                Some("Enrichment is disabled in the config (enrich.enabled = false).".into())
            }
            EnrichPhase::Unavailable(why) => Some(format!("Enrichment could not start: {why}")),
            EnrichPhase::Active => None,
        }
    }

    /// The status bar's word on enrichment; `None` when it is absent.
    pub fn label(&self) -> Option<String> {
        // The job being run stays in the queue until it is done; while
        // one runs, "queued" counts only those still waiting behind it.
        let waiting = self.queued.map(|n| n - i64::from(self.current.is_some()));
        let queue = match waiting {
            Some(n) if n > 0 => format!(" · {n} queued"),
            _ => String::new(),
        };
        let text = match (&self.phase, &self.model) {
            (EnrichPhase::Absent, _) => return None,
            (EnrichPhase::Disabled, _) => "off (disabled in config)".to_string(),
            (EnrichPhase::Unavailable(why), _) => format!("off ({why})"),
            (
                EnrichPhase::Active,
                ModelState::Fetching {
                    step,
                    percent: Some(p),
                },
            ) => format!("{step} {p}%"),
            (
                EnrichPhase::Active,
                ModelState::Fetching {
                    step,
                    percent: None,
                },
            ) => format!("{step}…"),
            (EnrichPhase::Active, ModelState::Missing) => {
                "off (no model: snipdex model fetch)".to_string()
            }
            (EnrichPhase::Active, ModelState::Installed) => {
                match (&self.off, self.paused, self.current, waiting) {
                    (Some(why), ..) => format!("off ({why})"),
                    (None, true, ..) => format!("paused{queue}"),
                    (None, false, ..) if self.deferred.is_some() => {
                        let who = self.deferred.as_deref().unwrap_or_default();
                        format!("waiting ({who} is enriching){queue}")
                    }
                    (None, false, Some(id), _) => format!("enriching #{id}{queue}"),
                    (None, false, None, Some(n)) if n > 0 => format!("{n} queued"),
                    _ => "idle".to_string(),
                }
            }
        };
        Some(format!("enrich: {text}"))
    }
}

/// The fields dialog of one snippet. Values come from the preview, which is
/// that snippet's while the dialog is open.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldsDialog {
    pub id: SnippetId,
    /// Index into [`Field::ALL`].
    pub selected: usize,
    /// The selected field's value being edited, if it is.
    pub input: Option<LineInput>,
}

impl FieldsDialog {
    pub fn new(id: SnippetId) -> FieldsDialog {
        FieldsDialog {
            id,
            selected: 0,
            input: None,
        }
    }

    pub fn field(&self) -> Field {
        Field::ALL[self.selected.min(Field::ALL.len() - 1)]
    }
}

/// A field's value as the user typed it, ready for the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    List(Vec<String>),
}

impl FieldValue {
    /// Read what was typed for `field`: lists are comma-separated.
    pub fn parse(field: Field, typed: &str) -> FieldValue {
        match field {
            Field::Title | Field::Description => FieldValue::Text(typed.trim().to_string()),
            Field::Tags => FieldValue::List(crate::domain::normalize_tags([typed])),
            Field::Links => {
                let mut links: Vec<String> = Vec::new();
                for link in typed.split(',').map(str::trim).filter(|l| !l.is_empty()) {
                    if !links.iter().any(|l| l == link) {
                        links.push(link.to_string());
                    }
                }
                FieldValue::List(links)
            }
        }
    }

    /// The user edit that writes this value into `field`; `None` when the
    /// value has the wrong shape for the field.
    pub fn into_patch(self, field: Field) -> Option<SnippetPatch> {
        let mut patch = SnippetPatch::default();
        match (field, self) {
            (Field::Title, FieldValue::Text(t)) => patch.title = Some(t),
            (Field::Description, FieldValue::Text(t)) => patch.description = Some(t),
            (Field::Tags, FieldValue::List(l)) => patch.tags = Some(l),
            (Field::Links, FieldValue::List(l)) => patch.links = Some(l),
            _ => return None,
        }
        Some(patch)
    }
}

/// `field`'s value in one line, lists comma-separated, as the one-line
/// editor takes it (a description's line breaks become spaces).
pub fn field_text(snippet: &Snippet, field: Field) -> String {
    let one_line = |s: &str| {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match field {
        Field::Title => one_line(&snippet.title),
        Field::Description => one_line(&snippet.description),
        Field::Tags => snippet.tags.join(", "),
        Field::Links => snippet.links.join(", "),
    }
}

/// "Title" for [`Field::Title`], to start a sentence with.
pub fn capitalized(field: Field) -> String {
    let name = field.name();
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}
