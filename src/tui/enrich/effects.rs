//! Enrichment effects as the runtime does them. Each answers with the
//! events that tell `update` how it went.

use super::control::queue_regeneration;
use crate::app::{capitalized, AppEvent, EditorOutcome, FieldValue};
use crate::domain::{Field, SnippetId};
use crate::enrich::worker::MAX_ATTEMPTS;
use crate::enrich::EnrichEvent;
use crate::tui::runtime::Runtime;

const NO_WORKER: &str = "Enrichment is not running in this session.";

impl Runtime<'_> {
    pub(in crate::tui) fn set_enrich_paused(&mut self, paused: bool) -> Vec<AppEvent> {
        let Some(control) = &self.enrich else {
            return vec![AppEvent::Error(NO_WORKER.into())];
        };
        match control.set_paused(paused) {
            Ok(()) => Vec::new(),
            Err(e) => vec![AppEvent::Error(format!(
                "Enrichment {} for this run only: cannot record the choice: {e}",
                if paused { "paused" } else { "resumed" }
            ))],
        }
    }

    pub(in crate::tui) fn regenerate(&mut self, id: SnippetId, fields: &[Field]) -> Vec<AppEvent> {
        match queue_regeneration(self.store, id, fields) {
            Ok(queued) => {
                if let Some(control) = &self.enrich {
                    control.wake();
                }
                // The worker counts only when it finishes a job; a paused
                // one would show a stale count until it resumes.
                vec![AppEvent::Enrich(EnrichEvent::Progress { queued })]
            }
            Err(e) => vec![AppEvent::Error(format!("Cannot queue #{id}: {e}"))],
        }
    }

    pub(in crate::tui) fn set_locked(
        &mut self,
        id: SnippetId,
        field: Field,
        locked: bool,
        announce: bool,
    ) -> Vec<AppEvent> {
        if let Err(e) = self.store.set_locked(id, field, locked) {
            return vec![AppEvent::Error(format!(
                "Cannot change the {field} lock: {e}"
            ))];
        }
        let note = if locked {
            format!("{} locked: the model won't change it.", capitalized(field))
        } else {
            format!("{} unlocked: the model may rewrite it.", capitalized(field))
        };
        let mut events = Vec::new();
        if announce {
            events.push(AppEvent::Status(note));
        }
        events.extend(self.fresh_preview(id));
        events
    }

    pub(in crate::tui) fn save_field(
        &mut self,
        id: SnippetId,
        field: Field,
        value: FieldValue,
    ) -> Vec<AppEvent> {
        let Some(patch) = value.into_patch(field) else {
            return vec![AppEvent::Error(format!(
                "Cannot save the {field}: a value of the wrong kind."
            ))];
        };
        let snippet = match self.intake.edit(self.store, id, patch) {
            Ok(s) => s,
            Err(e) => return vec![AppEvent::Error(format!("Cannot save the {field}: {e}"))],
        };
        let mut events = vec![
            AppEvent::Status(format!("Saved the {field}; it is yours now (locked).")),
            AppEvent::Preview(Box::new(snippet)),
        ];
        // Titles and tags show in the list.
        events.extend(self.reload());
        events
    }

    pub(in crate::tui) fn fetch_model(&mut self) -> Vec<AppEvent> {
        let Some(control) = &self.enrich else {
            return vec![AppEvent::ModelFetchFailed(NO_WORKER.into())];
        };
        match control.fetch_model(self.tx.clone()) {
            Ok(()) => Vec::new(),
            Err(e) => vec![AppEvent::ModelFetchFailed(format!(
                "cannot start the download: {e}"
            ))],
        }
    }

    pub(in crate::tui) fn decline_model(&mut self) -> Vec<AppEvent> {
        let Some(control) = &self.enrich else {
            return Vec::new();
        };
        match control.decline_offer() {
            Ok(()) => Vec::new(),
            Err(e) => vec![AppEvent::Error(format!(
                "Cannot remember the choice (the offer comes back next start): {e}"
            ))],
        }
    }

    pub(in crate::tui) fn wake_enrich(&mut self) -> Vec<AppEvent> {
        if let Some(control) = &self.enrich {
            control.wake();
        }
        Vec::new()
    }

    /// A snippet written in `$EDITOR` (new, or with new content) got its
    /// enrichment job with the row (`crate::intake`); wake the worker and
    /// show the queue. `done` is the editor's report.
    pub(in crate::tui) fn after_new_content(&mut self, done: AppEvent) -> Vec<AppEvent> {
        let saved = matches!(
            &done,
            AppEvent::EditorDone(EditorOutcome::Saved(_) | EditorOutcome::Created(_))
        );
        let mut events = vec![done];
        if saved {
            events.extend(self.announce_queued());
        }
        events
    }

    /// Jobs were queued: wake the worker and show the count.
    pub(in crate::tui) fn announce_queued(&mut self) -> Vec<AppEvent> {
        if !self.intake.enrich {
            return Vec::new();
        }
        match self.store.pending_job_count(MAX_ATTEMPTS) {
            Ok(queued) => {
                if let Some(control) = &self.enrich {
                    control.wake();
                }
                vec![AppEvent::Enrich(EnrichEvent::Progress { queued })]
            }
            Err(e) => vec![AppEvent::Error(format!(
                "Saved, but cannot count the enrichment queue: {e}"
            ))],
        }
    }

    fn fresh_preview(&mut self, id: SnippetId) -> Vec<AppEvent> {
        match self.store.find(id) {
            Ok(Some(s)) => vec![AppEvent::Preview(Box::new(s))],
            Ok(None) => Vec::new(),
            Err(e) => vec![AppEvent::Error(format!("Cannot load snippet {id}: {e}"))],
        }
    }
}
