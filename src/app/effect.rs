//! What `update` asks the runtime to do: every piece of IO, as data.

use super::enrich::FieldValue;
use crate::domain::{Field, SnippetId};

/// IO that `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Rank the library for this (effective) query.
    Search(String),
    LoadPreview(SnippetId),
    LoadTagCounts,
    Copy(SnippetId),
    EditInEditor(SnippetId),
    NewInEditor,
    Delete(SnippetId),
    SetTags(SnippetId, Vec<String>),
    LoadSamples,
    /// Reload the summaries from the store.
    Reload,
    /// Pick mode: this snippet was chosen.
    Choose(SnippetId),
    Quit,
    /// Pause (true) or resume enrichment, for later runs too.
    SetEnrichPaused(bool),
    /// Queue these fields of a snippet for the model and wake the worker.
    Regenerate {
        id: SnippetId,
        fields: Vec<Field>,
    },
    /// Lock or unlock a field, keeping its value and provenance; with
    /// `announce`, the status bar says so (off when a message about what
    /// follows is already shown).
    SetLocked {
        id: SnippetId,
        field: Field,
        locked: bool,
        announce: bool,
    },
    /// Save a value the user typed: it becomes user-provided and locked.
    SaveField {
        id: SnippetId,
        field: Field,
        value: FieldValue,
    },
    /// Download and install the model in the background.
    FetchModel,
    /// Remember that the user does not want the model offered again.
    DeclineModel,
    /// A model was installed: let the worker look at once.
    WakeEnrich,
}
