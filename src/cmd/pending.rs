//! Searching through changes the index owner has not applied yet. When
//! another process holds the index writer, a CLI write leaves its change in
//! the store's outbox; the owner applies it on its next sync. A search in
//! between would miss it, so the pending snippets are indexed here in a
//! throwaway index and merged with the shared index's hits.

use super::CliError;
use crate::domain::NewSnippet;
use crate::index::{Hit, SearchIndex};
use crate::store::{IndexChange, Store};
use std::collections::{HashMap, HashSet};

/// Outbox entries read at most; past this the owner is far behind and
/// the search says what the index says.
const MAX_PENDING: usize = 10_000;

pub fn read_through(
    store: &Store,
    query: &str,
    limit: usize,
    hits: Vec<Hit>,
) -> Result<Vec<Hit>, CliError> {
    let batch = store.pending_index(MAX_PENDING)?;
    if batch.changes.is_empty() {
        return Ok(hits);
    }
    let mut touched: HashSet<i64> = HashSet::new();
    let scratch = Store::open_in_memory()?;
    let mut original: HashMap<i64, i64> = HashMap::new();
    for change in &batch.changes {
        match change {
            IndexChange::Delete(id) => {
                touched.insert(*id);
            }
            IndexChange::Upsert(s) => {
                touched.insert(s.id);
                let copy = scratch.insert(&NewSnippet {
                    title: s.title.clone(),
                    description: s.description.clone(),
                    tags: s.tags.clone(),
                    links: s.links.clone(),
                    language: s.language.clone(),
                    content: s.content.clone(),
                    source: Some(s.source.clone()),
                    meta: s.meta.clone(),
                    secrets: s.secrets.clone(),
                    created_at: Some(s.created_at),
                    updated_at: Some(s.updated_at),
                })?;
                original.insert(copy.id, s.id);
            }
        }
    }
    // The shared index's entries for changed snippets are stale.
    let mut merged: Vec<Hit> = hits
        .into_iter()
        .filter(|h| !touched.contains(&h.id))
        .collect();
    if !original.is_empty() {
        let dir = tempfile::tempdir().map_err(anyhow::Error::from)?;
        let index = SearchIndex::open_synced(dir.path(), &scratch)?;
        for h in index.search(query, limit)? {
            if let Some(&id) = original.get(&h.id) {
                merged.push(Hit { id, score: h.score });
            }
        }
    }
    merged.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(merged)
}
