//! The one way in: whatever brings a snippet's content into the library
//! (`snipdex add`/`edit`/`import`, the TUI's new and edit, the samples, the
//! watcher, sync) hands it to this module, which applies the rule once:
//!
//! 1. admit it ([`crate::ingest::admit`]: size, binary, empty, links, times);
//! 2. find its secrets, fill in a missing language, and mark where the
//!    fields it came with came from ([`Origin`]);
//! 3. write the row and, with enrichment enabled, queue (or replace) its
//!    enrichment job, in one transaction ([`Store::atomically`]): a kill
//!    between the two leaves neither, never a row without its job.
//!
//! Why the job is queued here and not by a trigger like the search outbox:
//! the outbox must follow every change to a row whoever makes it (the
//! model's own writes, renames, deletes), which is what a trigger is for. An
//! enrichment job is a decision about content *arriving*: it depends on the
//! config (`enrich.enabled`), must not follow the model's own writes or a
//! file that only moved, and an edit of tags alone queues nothing. SQLite
//! cannot see the config, so that decision lives in code, in this one place,
//! and the transaction gives it the same guarantee a trigger would.

use crate::config::Config;
use crate::domain::{content_hash, FieldMeta, NewSnippet, Provenance, Snippet, SnippetId, Source};
use crate::ingest::{Admitted, Refused};
use crate::store::{SnippetPatch, Store, StoreError};

/// Where new content comes from; it decides what the fields it brings are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Typed by the user (`snipdex add`, the TUI): every field given is
    /// theirs, locked against the model.
    User,
    /// The first-run samples: their fields came with them and the model may
    /// rewrite them.
    Sample,
    /// An import file: its fields and their provenance as the file says.
    Import,
    /// A block cut from a watched file: the file was checked as a file
    /// (size) and its secrets found while it was cut.
    File,
    /// Another machine's snippet, received through sync: its fields and
    /// their owners as that machine had them.
    Sync,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("not added: {0}")]
    Refused(#[from] Refused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The rule's settings, from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intake {
    /// Queue an enrichment job for new content (`enrich.enabled`).
    pub enrich: bool,
    /// The size limit of a snippet (`ingest.max_file_bytes`).
    pub max_bytes: u64,
}

impl Intake {
    pub fn new(config: &Config) -> Intake {
        Intake {
            enrich: config.enrich.enabled,
            max_bytes: config.ingest.max_file_bytes,
        }
    }

    /// Check, prepare and store a new snippet with its enrichment job.
    /// Returns it as stored, and what admitting it cleaned.
    pub fn add(
        &self,
        store: &Store,
        mut new: NewSnippet,
        origin: Origin,
    ) -> Result<(Snippet, Admitted), IntakeError> {
        let cleaned = self.prepare(&mut new, origin)?;
        let s = store.atomically(|store| {
            let s = store.insert(&new)?;
            if self.enrich {
                store.enqueue_job(s.id, &[])?;
            }
            Ok(s)
        })?;
        Ok((s, cleaned))
    }

    /// The checks and preparation of [`Intake::add`] without the write, for
    /// callers that write many rows at once ([`Intake::import`]).
    pub fn prepare(&self, new: &mut NewSnippet, origin: Origin) -> Result<Admitted, Refused> {
        // Files were checked as files before they were read; the blocks cut
        // from them are not held to the file limit again.
        // Nor is a synced snippet: the machine that sent it admitted it,
        // and refusing it here would leave the two libraries apart.
        let limit = if matches!(origin, Origin::File | Origin::Sync) {
            u64::MAX
        } else {
            self.max_bytes
        };
        let cleaned = crate::ingest::admit(new, limit)?;
        if new.language.trim().is_empty() {
            new.language = crate::ingest::detect_language(None, &new.content);
        }
        // A file's blocks carry what the cutter found with this same
        // detector; anything else is looked at here.
        if new.secrets.is_empty() && origin != Origin::File {
            new.secrets = secret_ids(&new.content);
        }
        mark_provenance(new, origin);
        Ok(cleaned)
    }

    /// Apply a user edit. New content gets its secrets found again and,
    /// when it differs from what was stored, a new enrichment job in the
    /// same transaction; every field the patch sets becomes the user's.
    pub fn edit(
        &self,
        store: &Store,
        id: SnippetId,
        mut patch: SnippetPatch,
    ) -> Result<Snippet, StoreError> {
        if let Some(content) = &patch.content {
            patch.secrets = Some(secret_ids(content));
        }
        store.atomically(|store| {
            let changed = match &patch.content {
                Some(c) => store.get(id)?.content_hash != content_hash(c),
                None => false,
            };
            let s = store.update(id, &patch)?;
            if changed && self.enrich {
                store.enqueue_job(id, &[])?;
            }
            Ok(s)
        })
    }

    /// A watched file's block changed content or place: write it and, when
    /// the content is new, queue its enrichment (a block that only moved
    /// keeps what it has).
    pub fn refresh_from_file(
        &self,
        store: &Store,
        id: SnippetId,
        content: &str,
        language: &str,
        source: &Source,
        secrets: &[String],
    ) -> Result<(), StoreError> {
        store.atomically(|store| {
            let changed = self.enrich
                && store
                    .find(id)?
                    .is_some_and(|s| s.content_hash != content_hash(content));
            store.update_from_file(id, content, language, source, secrets)?;
            if changed {
                store.enqueue_job(id, &[])?;
            }
            Ok(())
        })
    }
}

/// Secret kinds found in `text`, as stored on a snippet.
pub fn secret_ids(text: &str) -> Vec<String> {
    crate::ingest::detect_secrets(text)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Mark the fields a new snippet comes with as its origin says.
fn mark_provenance(new: &mut NewSnippet, origin: Origin) {
    let (provenance, locked) = match origin {
        Origin::User => (Provenance::User, true),
        Origin::Sample => (Provenance::Import, false),
        Origin::Import | Origin::File | Origin::Sync => return,
    };
    let meta = FieldMeta {
        provenance: Some(provenance),
        locked,
    };
    let m = &mut new.meta;
    // The user's own snippet: only what they wrote is theirs. A sample
    // comes with all three.
    let given = |text_given: bool| origin == Origin::Sample || text_given;
    if given(!new.title.is_empty()) {
        m.title = meta.clone();
    }
    if given(!new.description.is_empty()) {
        m.description = meta.clone();
    }
    if given(!new.tags.is_empty()) {
        m.tags = meta;
    }
}

mod import;
mod receive;
pub use import::ImportReport;

#[cfg(test)]
pub(crate) mod tests;
