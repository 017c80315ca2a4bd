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
use std::sync::{Mutex, RwLock};
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
    #[error("the search index is damaged ({0}); the snipdex that owns it rebuilds it, or run `snipdex reindex` once it is closed")]
    Damaged(String),
}

pub type Result<T> = std::result::Result<T, IndexError>;

thread_local! {
    /// Set while this thread runs index code whose panics are caught and
    /// handled as damage, so the panic hook logs them instead of printing.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a panic on this thread is about to be caught by the index (a
/// damaged file made tantivy panic): the panic hook then only logs it.
pub fn panic_is_caught() -> bool {
    CATCHING.with(|c| c.get())
}

/// Run index code that may meet damaged files. tantivy panics on some
/// damage (a garbled term dictionary) and reports other damage as errors;
/// both come back as [`IndexError::Damaged`], never as a panic.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let was = CATCHING.with(|c| c.replace(true));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(was));
    match outcome {
        Ok(Err(IndexError::Tantivy(e))) if is_damage(&e) => {
            Err(IndexError::Damaged(format!("{what}: {e}")))
        }
        Ok(other) => other,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(IndexError::Damaged(format!("{what}: {detail}")))
        }
    }
}

/// tantivy errors that mean the files are not what tantivy wrote.
fn is_damage(e: &tantivy::TantivyError) -> bool {
    use tantivy::TantivyError as T;
    matches!(
        e,
        T::DataCorruption(_) | T::IoError(_) | T::IncompatibleIndex(_) | T::OpenReadError(_)
    )
}

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
    dir: PathBuf,
    fields: Fields,
    /// Replaced as a whole when damage forces a fresh index.
    open: RwLock<Open>,
    /// The library database (file and backups folder), so that damage a
    /// search meets can be repaired from it by whichever thread meets it.
    db: Mutex<Option<(PathBuf, PathBuf)>>,
    /// Why the index was rebuilt after damage since it was opened.
    repaired: Mutex<Option<String>>,
}

struct Open {
    index: Index,
    reader: IndexReader,
    writer: Option<Mutex<IndexWriter>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("writable", &self.is_writable())
            .finish()
    }
}

/// What the index folder held when opened.
enum Found {
    Usable(Box<Open>),
    /// Missing, or from an older schema: build it anew.
    Absent,
    /// Unreadable or failing its checksums: why.
    Damaged(String),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing here is left half-changed by a panic; keep using the value.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn io_error(dir: &Path) -> impl Fn(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: dir.to_path_buf(),
        source,
    }
}

fn take_writer(index: &Index) -> Result<Option<Mutex<IndexWriter>>> {
    match index.writer_with_num_threads(1, WRITER_HEAP) {
        Ok(w) => Ok(Some(Mutex::new(w))),
        Err(tantivy::TantivyError::LockFailure(..)) => {
            tracing::info!("search index is owned by another process; opening read-only");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

fn new_reader(index: &Index) -> Result<IndexReader> {
    Ok(index
        .reader_builder()
        .reload_policy(ReloadPolicy::OnCommitWithDelay)
        .try_into()?)
}

fn open_existing(dir: &Path) -> Found {
    let (schema, _) = schema();
    let version_ok = std::fs::read_to_string(dir.join(VERSION_FILE))
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        == Some(SCHEMA_VERSION);
    if !version_ok || !dir.join("meta.json").exists() {
        return Found::Absent;
    }
    let index = match guarded("opening", || Ok(Index::open_in_dir(dir)?)) {
        Ok(index) if index.schema() == schema => index,
        Ok(_) => return Found::Absent,
        Err(e) => return Found::Damaged(e.to_string()),
    };
    let writer = match take_writer(&index) {
        Ok(w) => w,
        Err(e) => return Found::Damaged(e.to_string()),
    };
    if writer.is_some() {
        // Only the owner can act on damage, so only the owner pays for
        // reading every file once: each carries a checksum in its footer.
        match guarded("checking", || Ok(index.validate_checksum()?)) {
            Ok(bad) if bad.is_empty() => {}
            Ok(bad) => {
                let mut names: Vec<String> = bad.iter().map(|p| p.display().to_string()).collect();
                names.sort();
                return Found::Damaged(format!("checksum mismatch in {}", names.join(", ")));
            }
            Err(e) => return Found::Damaged(e.to_string()),
        }
    }
    match guarded("loading", || new_reader(&index)) {
        Ok(reader) => Found::Usable(Box::new(Open {
            index,
            reader,
            writer,
        })),
        Err(e) => Found::Damaged(e.to_string()),
    }
}

/// Empty the folder and create a new, empty index in it, unless another
/// process owns the index (then its files are left alone).
fn create_fresh(dir: &Path) -> Result<Open> {
    let (schema, _) = schema();
    let io = io_error(dir);
    std::fs::create_dir_all(dir).map_err(&io)?;
    {
        use tantivy::directory::Directory;
        let directory =
            tantivy::directory::MmapDirectory::open(dir).map_err(tantivy::TantivyError::from)?;
        let lock_name = &tantivy::directory::INDEX_WRITER_LOCK.filepath;
        let _lock = match directory.acquire_lock(&tantivy::directory::INDEX_WRITER_LOCK) {
            Ok(lock) => lock,
            Err(tantivy::directory::error::LockError::LockBusy) => {
                return Err(IndexError::ReadOnly)
            }
            Err(e) => return Err(tantivy::TantivyError::from(e).into()),
        };
        // The old files are derived data. The lock file stays: the lock
        // lives on it.
        for entry in std::fs::read_dir(dir).map_err(&io)? {
            let entry = entry.map_err(&io)?;
            if entry.file_name() == lock_name.as_os_str() {
                continue;
            }
            let path = entry.path();
            if entry.file_type().map_err(&io)?.is_dir() {
                std::fs::remove_dir_all(&path).map_err(&io)?;
            } else {
                std::fs::remove_file(&path).map_err(&io)?;
            }
        }
    }
    let index = Index::create_in_dir(dir, schema)?;
    std::fs::write(dir.join(VERSION_FILE), SCHEMA_VERSION.to_string()).map_err(&io)?;
    let writer = take_writer(&index)?;
    let reader = new_reader(&index)?;
    Ok(Open {
        index,
        reader,
        writer,
    })
}

impl SearchIndex {
    /// Open the index in `dir`, taking the writer if no other process holds
    /// it, and bring it up to date with `store` (rebuilding if needed).
    pub fn open_synced(dir: &Path, store: &Store) -> Result<SearchIndex> {
        let (idx, state) = SearchIndex::open(dir)?;
        if store.path() != Path::new(":memory:") {
            *lock(&idx.db) = Some((
                store.path().to_path_buf(),
                store.backups_dir().to_path_buf(),
            ));
        }
        if idx.is_writable() {
            if state == OpenState::Fresh {
                idx.rebuild(store)?;
            } else {
                idx.sync(store)?;
            }
        }
        Ok(idx)
    }

    /// Open or create the index; does not touch the store. A missing,
    /// older-schema or damaged index comes back empty ([`OpenState::Fresh`]);
    /// damage is checked in full (every file's checksum) when this process
    /// owns the index, since only the owner can rebuild it.
    pub fn open(dir: &Path) -> Result<(SearchIndex, OpenState)> {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let (_, fields) = schema();
        let (open, state, repaired) = match open_existing(dir) {
            Found::Usable(open) => (*open, OpenState::Ready, None),
            Found::Absent => (create_fresh(dir)?, OpenState::Fresh, None),
            Found::Damaged(why) => {
                tracing::error!(%why, "search index damaged; rebuilding it from the database");
                let open = create_fresh(dir).map_err(|e| match e {
                    IndexError::ReadOnly => IndexError::Damaged(why.clone()),
                    e => e,
                })?;
                (open, OpenState::Fresh, Some(why))
            }
        };
        Ok((
            SearchIndex {
                dir: dir.to_path_buf(),
                fields,
                open: RwLock::new(open),
                db: Mutex::new(None),
                repaired: Mutex::new(repaired),
            },
            state,
        ))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Open> {
        self.open.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this process owns the index writer.
    pub fn is_writable(&self) -> bool {
        self.read().writer.is_some()
    }

    /// Why the index had to be rebuilt after damage since it was opened
    /// (at open or when a query met it), if it had to.
    pub fn repaired(&self) -> Option<String> {
        lock(&self.repaired).clone()
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let open = self.read();
        let lock = open.writer.as_ref().ok_or(IndexError::ReadOnly)?;
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

    /// Throw the damaged index away, start a fresh one in its folder and
    /// fill it from `store`.
    pub fn repair(&self, store: &Store, why: &str) -> Result<u64> {
        tracing::error!(%why, dir = %self.dir.display(), "search index damaged; rebuilding it from the database");
        {
            let mut open = self.open.write().unwrap_or_else(|p| p.into_inner());
            if open.writer.is_none() {
                return Err(IndexError::Damaged(why.to_string()));
            }
            // Let go of the writer (and its lock) before clearing the folder.
            open.writer = None;
            *open = create_fresh(&self.dir).map_err(|e| match e {
                IndexError::ReadOnly => IndexError::Damaged(why.to_string()),
                e => e,
            })?;
        }
        *lock(&self.repaired) = Some(why.to_string());
        self.rebuild_once(store)
    }

    /// Repair with a connection of our own to the library's database, for
    /// callers (a search thread) that hold none.
    fn repair_from_db(&self, why: &str) -> Result<()> {
        let Some((db, backups)) = lock(&self.db).clone() else {
            return Err(IndexError::Damaged(why.to_string()));
        };
        let store = Store::open(&db, &backups)?;
        self.repair(&store, why)?;
        Ok(())
    }

    /// Read every file of the index and check it: each file's checksum,
    /// and a walk over every document. For `snipdex doctor`; returns what
    /// is wrong, or `None`.
    pub fn check(&self) -> Option<String> {
        let result = guarded("checking", || {
            let open = self.read();
            let bad = open.index.validate_checksum()?;
            if !bad.is_empty() {
                let mut names: Vec<String> = bad.iter().map(|p| p.display().to_string()).collect();
                names.sort();
                return Err(IndexError::Damaged(format!(
                    "checksum mismatch in {}",
                    names.join(", ")
                )));
            }
            let searcher = open.reader.searcher();
            let all = searcher.search(
                &tantivy::query::AllQuery,
                &tantivy::collector::DocSetCollector,
            )?;
            for addr in all {
                let _: TantivyDocument = searcher.doc(addr)?;
            }
            Ok(())
        });
        match result {
            Ok(()) => None,
            Err(e) => Some(e.to_string()),
        }
    }

    /// Apply the store's outbox. Returns how many snippets changed. An
    /// index found damaged on the way is rebuilt from `store`.
    pub fn sync(&self, store: &Store) -> Result<usize> {
        match guarded("updating", || self.sync_once(store)) {
            Err(IndexError::Damaged(why)) if self.is_writable() => {
                Ok(self.repair(store, &why)? as usize)
            }
            other => other,
        }
    }

    fn sync_once(&self, store: &Store) -> Result<usize> {
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
            self.read().reader.reload()?;
        }
        Ok(total)
    }

    /// Throw the index away and rebuild it from every snippet in the store.
    /// Searches keep seeing the old documents until the new ones are
    /// committed; an index too damaged for that is started afresh.
    pub fn rebuild(&self, store: &Store) -> Result<u64> {
        match guarded("rebuilding", || self.rebuild_once(store)) {
            Err(IndexError::Damaged(why)) if self.is_writable() => {
                let mut open = self.open.write().unwrap_or_else(|p| p.into_inner());
                open.writer = None;
                *open = create_fresh(&self.dir)?;
                drop(open);
                *lock(&self.repaired) = Some(why);
                self.rebuild_once(store)
            }
            other => other,
        }
    }

    fn rebuild_once(&self, store: &Store) -> Result<u64> {
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
        self.sync_once(store)?;
        self.read().reader.reload()?;
        Ok(n)
    }

    /// Number of documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.read().reader.searcher().num_docs()
    }

    /// Pick up commits made by another process now rather than after the
    /// reader's reload delay.
    pub fn refresh(&self) -> Result<()> {
        guarded("reloading", || Ok(self.read().reader.reload()?))
    }

    pub(crate) fn fields(&self) -> &Fields {
        &self.fields
    }
}

#[cfg(test)]
mod tests;
