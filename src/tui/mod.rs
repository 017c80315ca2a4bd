//! The terminal UI's runtime: it owns the terminal, starts the input, tick,
//! search and library threads, feeds every event through the pure
//! [`crate::app::update`], performs the [`crate::app::Effect`]s it returns
//! (store, clipboard, `$EDITOR`, the enrichment worker, the model
//! download) and draws each frame with [`crate::ui::draw`].
//!
//! Dependencies point down: `cmd` → `tui` → `ui` → `app`.

mod clipboard;
mod effects;
mod enrich;
mod runtime;
mod search;
mod terminal;
mod workers;

pub use enrich::{declined_marker, EnrichControl};
pub use runtime::FrameProbe;
pub use search::{rank, Prepared, SearchRequest, SEARCH_LIMIT};

use crate::app::keymap::Keymap;
use crate::app::AppEvent;
use crate::config::Config;
use crate::domain::{NewSnippet, Snippet};
use crate::index::SearchIndex;
use crate::paths::Paths;
use crate::store::{Store, StoreError};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

/// Why the sample snippets could not be made.
pub type SamplesError = Box<dyn std::error::Error + Send + Sync>;

/// Makes the sample snippets offered on first run.
pub type SamplesProvider = Box<dyn Fn() -> Result<Vec<NewSnippet>, SamplesError> + Send>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("terminal error: {0}")]
    Terminal(#[source] std::io::Error),
    #[error("pick needs a terminal to draw on (none could be opened): {0}")]
    NoTerminal(#[source] std::io::Error),
    #[error("cannot start a background thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the TUI needs from `main`.
pub struct AppContext {
    pub paths: Paths,
    pub config: Config,
    /// The library, opened (and migrated) by the caller. A background
    /// thread opens its own connection to the same file.
    pub store: Store,
    pub index: Arc<SearchIndex>,
    samples: Option<SamplesProvider>,
    enrich: EnrichSetup,
    keymap: Keymap,
    tx: Sender<AppEvent>,
    rx: Receiver<AppEvent>,
}

impl std::fmt::Debug for AppContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext")
            .field("paths", &self.paths)
            .field("store", &self.store)
            .field("index", &self.index)
            .field("samples", &self.samples.is_some())
            .field("enrich", &self.enrich)
            .finish()
    }
}

impl AppContext {
    pub fn new(paths: Paths, config: Config, store: Store, index: Arc<SearchIndex>) -> Self {
        let (tx, rx) = mpsc::channel();
        AppContext {
            paths,
            config,
            store,
            index,
            samples: None,
            enrich: EnrichSetup::NotStarted,
            keymap: Keymap::default(),
            tx,
            rx,
        }
    }

    /// The sample snippets the first-run screen offers.
    pub fn with_samples(
        mut self,
        provider: impl Fn() -> Result<Vec<NewSnippet>, SamplesError> + Send + 'static,
    ) -> Self {
        self.samples = Some(Box::new(provider));
        self
    }

    /// The key bindings, with the user's `[keys]` applied
    /// ([`Keymap::with_user_keys`]); the default table otherwise.
    pub fn with_keymap(mut self, keymap: Keymap) -> Self {
        self.keymap = keymap;
        self
    }

    /// The enrichment worker the caller started, for the UI to show and
    /// control; it stops when the UI quits.
    pub fn with_enrich(mut self, control: EnrichControl) -> Self {
        self.enrich = EnrichSetup::Started(control);
        self
    }

    /// Enrichment is enabled but its worker could not start; `why` shows
    /// in the status bar.
    pub fn with_enrich_error(mut self, why: impl Into<String>) -> Self {
        self.enrich = EnrichSetup::Failed(why.into());
        self
    }

    /// A sender into the UI's event channel, for workers started by the
    /// caller (the watcher sends [`AppEvent::Watch`] and
    /// [`AppEvent::LibraryChanged`], enrichment [`AppEvent::Enrich`]).
    /// Sends fail once the UI has quit; a worker should then stop.
    pub fn sender(&self) -> Sender<AppEvent> {
        self.tx.clone()
    }
}

/// What became of enrichment before the UI started.
#[derive(Debug)]
enum EnrichSetup {
    /// Nobody started a worker: off if the config says so, else unavailable.
    NotStarted,
    Failed(String),
    Started(EnrichControl),
}

/// Run the TUI until the user quits.
pub fn run(ctx: AppContext) -> Result<(), AppError> {
    let screen = runtime::Screen::Terminal(terminal::TtyWriter::Stdout(std::io::stdout()));
    runtime::run(ctx, screen, None)
}

/// Runs the TUI as [`run`] does (the same threads, state machine, effects
/// and drawing) on an off-screen terminal of `width × height` cells whose
/// frames are encoded and thrown away, with no keyboard: keys come through
/// [`AppContext::sender`] as [`AppEvent::Key`]. `probe` hears of every
/// frame. Returns when a key quits. For `snipdex bench-tui`.
pub fn run_headless(
    ctx: AppContext,
    width: u16,
    height: u16,
    probe: FrameProbe,
) -> Result<(), AppError> {
    let screen = runtime::Screen::Headless { width, height };
    runtime::run(ctx, screen, Some(probe))
}

/// Let the user pick a snippet with the same list and search, drawn on the
/// controlling terminal so that stdout stays clean for the caller to print
/// the chosen snippet. `None` when the user cancels.
pub fn pick(
    store: &Store,
    index: Arc<SearchIndex>,
    query: &str,
    keymap: Keymap,
) -> Result<Option<Snippet>, AppError> {
    runtime::pick(store, index, query, keymap)
}
