//! Many snippets at once (`snipdex import`): each is checked and prepared
//! as [`Intake::add`] would, then all land in one short transaction with
//! their enrichment jobs (see `store/staging.rs`).

use super::{Intake, Origin};
use crate::domain::{NewSnippet, SnippetId};
use crate::ingest::{Admitted, Refused};
use crate::store::{Store, StoreError};

/// Rows staged per transaction, and the pause between two, in which other
/// writers (the watcher, `snipdex add`) take their turn: longer than the
/// longest sleep of SQLite's busy handler, so that one waiting is sure to
/// wake up inside it.
const STAGE_ROWS: usize = 2_000;
const STAGE_PAUSE: std::time::Duration = std::time::Duration::from_millis(120);

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// The new snippets' ids, in the order they came.
    pub added: Vec<SnippetId>,
    /// Left out because `keep` said so (already in the library).
    pub skipped: usize,
    /// Refused by the checks: position in the input (from 0), title, why.
    pub refused: Vec<(usize, String, Refused)>,
    /// What the checks cleaned in the rows they let in.
    pub cleaned: Admitted,
}

impl Intake {
    /// Check every row, keep those `keep` accepts, and store them whole or
    /// not at all, each with its enrichment job.
    pub fn import(
        &self,
        store: &mut Store,
        incoming: Vec<NewSnippet>,
        mut keep: impl FnMut(&NewSnippet) -> bool,
    ) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport::default();
        let mut rows = Vec::with_capacity(incoming.len());
        for (i, mut n) in incoming.into_iter().enumerate() {
            match self.prepare(&mut n, Origin::Import) {
                Ok(done) => {
                    report.cleaned.dropped_links += done.dropped_links;
                    report.cleaned.reset_times += done.reset_times;
                }
                Err(why) => {
                    report.refused.push((i, n.title.trim().to_string(), why));
                    continue;
                }
            }
            if keep(&n) {
                rows.push(n);
            } else {
                report.skipped += 1;
            }
        }
        report.added = stage_and_import(store, &rows, self.enrich)?;
        Ok(report)
    }
}

/// Write `rows` into the staging table in short transactions, then move
/// them into the library in one: the import lands whole or not at all,
/// without holding the write lock for the whole import.
fn stage_and_import(
    store: &mut Store,
    rows: &[NewSnippet],
    enrich: bool,
) -> Result<Vec<SnippetId>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut import = store.stage_begin()?;
    for (i, chunk) in rows.chunks(STAGE_ROWS).enumerate() {
        if i > 0 {
            std::thread::sleep(STAGE_PAUSE);
        }
        if let Err(e) = store.stage(&mut import, chunk) {
            if let Err(again) = store.stage_discard(import) {
                tracing::warn!(error = %again, "staged rows left for the next import to remove");
            }
            return Err(e);
        }
    }
    store.stage_finish(import, enrich)
}
