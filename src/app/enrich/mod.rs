//! Enrichment in the TUI: the worker's state in the status bar, the keys
//! that pause it or queue work, the fields dialog (provenance, locks,
//! edits), and the offer to download the model on first start.
//!
//! The worker itself is started by the caller and controlled by the
//! runtime (`crate::tui::EnrichControl`); its reports arrive as
//! [`crate::app::AppEvent::Enrich`] like any other event.

mod state;
pub(super) mod update;

pub use state::{
    capitalized, field_text, EnrichPhase, EnrichStatus, FieldValue, FieldsDialog, ModelState,
};

#[cfg(test)]
mod tests;
