//! Snippets that arrive from another machine through sync (`src/sync`).
//!
//! They take the same way in as everything else (admission, secrets, the
//! write and its job in one transaction), with one difference in the job
//! rule: a received snippet brings its generated fields along, so a job is
//! queued only when its content is new here *and* the sender's fields do not
//! describe that content yet (`wants_enrichment`). A received change that
//! leaves the content as it was never queues one.

use super::{secret_ids, Intake, IntakeError, Origin};
use crate::domain::{content_hash, NewSnippet, Snippet, SnippetId, Source};
use crate::store::{Store, StoreError};

impl Intake {
    /// A snippet new to this library. Its source is always `Manual` here:
    /// a path on the sending machine means nothing on this one.
    pub fn receive_new(
        &self,
        store: &Store,
        mut new: NewSnippet,
        wants_enrichment: bool,
    ) -> Result<Snippet, IntakeError> {
        new.source = Some(Source::Manual);
        new.secrets.clear();
        self.prepare(&mut new, Origin::Sync)?;
        let s = store.atomically(|store| {
            let s = store.insert(&new)?;
            if self.enrich && wants_enrichment {
                store.enqueue_job(s.id, &[])?;
            }
            Ok(s)
        })?;
        Ok(s)
    }

    /// A newer version of a snippet this library has: every synced part is
    /// set as received, the secrets are found again, and a job is queued
    /// only for content that changed and still wants enrichment.
    pub fn receive_update(
        &self,
        store: &Store,
        id: SnippetId,
        mut fields: NewSnippet,
        wants_enrichment: bool,
    ) -> Result<bool, StoreError> {
        fields.secrets = secret_ids(&fields.content);
        store.atomically(|store| {
            let changed = store.get(id)?.content_hash != content_hash(&fields.content);
            store.apply_synced(id, &fields)?;
            let queue = changed && wants_enrichment && self.enrich;
            if queue {
                store.enqueue_job(id, &[])?;
            }
            Ok(queue)
        })
    }
}
