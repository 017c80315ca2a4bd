//! Everything that can happen to the UI. Workers (input, ticks, search,
//! library sync, the watcher, enrichment) reach the UI only as an
//! [`AppEvent`] on one channel.

use crate::domain::{Snippet, SnippetId};
use crate::enrich::EnrichEvent;
use crate::model::FetchEvent;
use crate::store::{SnippetSummary, TagCount};
use crossterm::event::KeyEvent;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub enum AppEvent {
    Key(KeyEvent),
    Resize(u16, u16),
    /// About once a second; drives message expiry.
    Tick,
    /// Ranked ids for `query`; ignored unless `query` is still current.
    SearchResults {
        query: String,
        hits: Vec<SnippetId>,
    },
    /// Something in the library changed; the list should be reloaded.
    LibraryChanged,
    /// A fresh set of summaries (the list's whole library).
    Loaded(Arc<Vec<SnippetSummary>>),
    /// The most recent summaries only, to draw the first screen before the
    /// whole library is read; a [`AppEvent::Loaded`] follows.
    FirstPage(Arc<Vec<SnippetSummary>>),
    /// The full snippet behind the selection, for the preview.
    Preview(Box<Snippet>),
    /// Tags with counts, for the tag filter picker.
    TagCounts(Vec<TagCount>),
    /// The watcher's state in words (e.g. "watching 3 folders").
    Watch(String),
    /// The automatic sync's state in words (e.g. "synced 14:02 (↑2 ↓1)").
    Sync(String),
    Index(IndexStatus),
    /// A short, informational line from any worker (e.g. enrichment).
    Status(String),
    /// An effect failed; the text says what and why.
    Error(String),
    /// `$EDITOR` returned and its result was applied.
    EditorDone(EditorOutcome),
    /// Samples were added to the library.
    SamplesLoaded(usize),
    /// A report from the enrichment worker.
    Enrich(EnrichEvent),
    /// Progress of the model download; [`FetchEvent::Installed`] ends it.
    ModelFetch(FetchEvent),
    /// The model download failed; the text says why.
    ModelFetchFailed(String),
    /// Copying to the clipboard finished; the text says through what.
    Copied {
        ok: bool,
        detail: String,
    },
}

/// How the search index looks from this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexStatus {
    Unknown,
    /// Up to date, with this many documents.
    Ready(u64),
    /// Another snipdex process owns the index writer.
    ReadOnly,
    /// Catching up with this many changes.
    Syncing(usize),
    Failed(String),
}

/// What came of an `$EDITOR` session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorOutcome {
    /// A manual snippet's content was saved.
    Saved(SnippetId),
    /// A new snippet was created from the editor's text.
    Created(SnippetId),
    /// A file-backed snippet's source file was opened; the watcher picks up
    /// any change.
    OpenedFile(PathBuf),
    /// The file came back empty or unchanged: nothing was written.
    Unchanged,
    /// The editor exited with an error status: nothing was written.
    Aborted(Option<i32>),
}
