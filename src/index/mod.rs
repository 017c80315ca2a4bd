//! The tantivy search index, derived from SQLite.
//!
//! There is exactly one writer: whichever process gets tantivy's own writer
//! lock applies the store's index outbox; every other process opens the
//! index read-only and leaves its changes in the outbox for the owner.
//! A missing, corrupt or older-schema index is rebuilt from the store.

mod query;

pub use query::{canonical_language, parse_query, ParsedQuery};

use crate::domain::{Snippet, SnippetId};
use crate::store::{IndexChange, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tantivy::schema::{Field, Schema, SchemaBuilder, FAST, INDEXED, STORED, STRING, TEXT};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Bump whenever the schema or analysis changes: older indexes get rebuilt.
pub const SCHEMA_VERSION: u32 = 1;
const VERSION_FILE: &str = "snipdex-index-version";
/// Bytes of RAM the single indexing thread may buffer before flushing.
const WRITER_HEAP: usize = 40_000_000;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("cannot prepare the search index folder {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the search index is open for writing in another snipdex process")]
    ReadOnly,
}

pub type Result<T> = std::result::Result<T, IndexError>;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub title: Field,
    pub description: Field,
    pub tags: Field,
    pub tag: Field,
    pub body: Field,
    pub lang: Field,
    pub path: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = SchemaBuilder::new();
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED | FAST),
        title: b.add_text_field("title", TEXT),
        description: b.add_text_field("description", TEXT),
        // Tags twice: tokenized for free text, raw for exact `tag:` filters.
        tags: b.add_text_field("tags", TEXT),
        tag: b.add_text_field("tag", STRING),
        body: b.add_text_field("body", TEXT),
        lang: b.add_text_field("lang", STRING),
        path: b.add_text_field("path", TEXT),
    };
    (b.build(), fields)
}

/// How the index was found when opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenState {
    /// Existing index of the current schema.
    Ready,
    /// Created empty (missing, corrupt or older schema): needs a rebuild.
    Fresh,
}

/// One search hit: the snippet id and its relevance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: SnippetId,
    pub score: f32,
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Option<Mutex<IndexWriter>>,
    fields: Fields,
    dir: PathBuf,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("writable", &self.writer.is_some())
            .finish()
    }
}

impl SearchIndex {
    /// Open the index in `dir`, taking the writer if no other process holds
    /// it, and bring it up to date with `store` (rebuilding if needed).
    pub fn open_synced(dir: &Path, store: &Store) -> Result<SearchIndex> {
        let (idx, state) = SearchIndex::open(dir)?;
        if idx.is_writable() {
            if state == OpenState::Fresh {
                idx.rebuild(store)?;
            } else {
                idx.sync(store)?;
            }
        }
        Ok(idx)
    }

    /// Open or create the index; does not touch the store.
    pub fn open(dir: &Path) -> Result<(SearchIndex, OpenState)> {
        let io = |source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let (schema, fields) = schema();
        let version_ok = std::fs::read_to_string(dir.join(VERSION_FILE))
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
            == Some(SCHEMA_VERSION);
        let existing = if version_ok {
            match Index::open_in_dir(dir) {
                Ok(index) if index.schema() == schema => Some(index),
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "search index unreadable; rebuilding it");
                    None
                }
            }
        } else {
            None
        };
        let (index, state) = match existing {
            Some(index) => (index, OpenState::Ready),
            None => {
                // Start over in a clean folder: the old files are derived data.
                std::fs::remove_dir_all(dir).map_err(io)?;
                std::fs::create_dir_all(dir).map_err(io)?;
                let index = Index::create_in_dir(dir, schema)?;
                std::fs::write(dir.join(VERSION_FILE), SCHEMA_VERSION.to_string()).map_err(io)?;
                (index, OpenState::Fresh)
            }
        };
        let writer = match index.writer_with_num_threads(1, WRITER_HEAP) {
            Ok(w) => Some(Mutex::new(w)),
            Err(tantivy::TantivyError::LockFailure(..)) => {
                tracing::info!("search index is owned by another process; opening read-only");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok((
            SearchIndex {
                index,
                reader,
                writer,
                fields,
                dir: dir.to_path_buf(),
            },
            state,
        ))
    }

    /// Whether this process owns the index writer.
    pub fn is_writable(&self) -> bool {
        self.writer.is_some()
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let lock = self.writer.as_ref().ok_or(IndexError::ReadOnly)?;
        // A panic while holding the lock cannot leave tantivy's writer in a
        // state worse than uncommitted; keep using it.
        let mut w = lock.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut w)
    }

    fn document(&self, s: &Snippet) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_i64(f.id, s.id);
        d.add_text(f.title, &s.title);
        d.add_text(f.description, &s.description);
        d.add_text(f.tags, s.tags.join(" "));
        for t in &s.tags {
            d.add_text(f.tag, t);
        }
        d.add_text(f.body, &s.content);
        d.add_text(f.lang, &s.language);
        if let Some(p) = s.source.path() {
            d.add_text(f.path, p.to_string_lossy());
        }
        d
    }

    /// Apply the store's outbox. Returns how many snippets changed.
    pub fn sync(&self, store: &Store) -> Result<usize> {
        if !self.is_writable() {
            return Ok(0);
        }
        let mut total = 0;
        loop {
            let batch = store.pending_index(5_000)?;
            if batch.changes.is_empty() {
                if batch.up_to > 0 {
                    store.ack_index(batch.up_to)?;
                }
                break;
            }
            total += batch.changes.len();
            self.with_writer(|w| {
                for change in &batch.changes {
                    match change {
                        IndexChange::Upsert(s) => {
                            w.delete_term(Term::from_field_i64(self.fields.id, s.id));
                            w.add_document(self.document(s))?;
                        }
                        IndexChange::Delete(id) => {
                            w.delete_term(Term::from_field_i64(self.fields.id, *id));
                        }
                    }
                }
                w.commit()?;
                Ok(())
            })?;
            // Only after tantivy's commit is durable may the outbox forget.
            store.ack_index(batch.up_to)?;
        }
        if total > 0 {
            self.reader.reload()?;
        }
        Ok(total)
    }

    /// Throw the index away and rebuild it from every snippet in the store.
    pub fn rebuild(&self, store: &Store) -> Result<u64> {
        let head = store.index_outbox_head()?;
        let mut n = 0u64;
        self.with_writer(|w| {
            w.delete_all_documents()?;
            store.for_each(|s| {
                w.add_document(self.document(&s))
                    .map_err(|e| StoreError::BadRow {
                        id: s.id,
                        detail: e.to_string(),
                    })?;
                n += 1;
                Ok(())
            })?;
            w.commit()?;
            Ok(())
        })?;
        store.ack_index(head)?;
        // Changes that raced with the rebuild are still in the outbox.
        self.sync(store)?;
        self.reader.reload()?;
        Ok(n)
    }

    /// Number of documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Pick up commits made by another process now rather than after the
    /// reader's reload delay.
    pub fn refresh(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    pub(crate) fn parts(&self) -> (&Index, &IndexReader, &Fields) {
        (&self.index, &self.reader, &self.fields)
    }
}

#[cfg(test)]
mod tests;
