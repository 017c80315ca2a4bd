//! The event loop: read events, let `update` decide, do the effects, draw.

use super::clipboard::SystemClipboard;
use super::enrich::EnrichControl;
use super::search::{self, SearchRequest};
use super::terminal::{TerminalSession, TtyWriter};
use super::workers::{self, InputGate, Refresh};
use super::{AppContext, AppError, EnrichSetup, SamplesProvider};
use crate::app::keymap::Keymap;
use crate::app::{update, AppEvent, AppState, Effect, EnrichPhase, EnrichStatus, LineInput};
use crate::config::UiConfig;
use crate::domain::Snippet;
use crate::index::SearchIndex;
use crate::intake::Intake;
use crate::store::Store;
use crate::ui::{self, Highlighter};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

/// Events handled between two frames at most, so a flood (a watcher
/// importing a big folder) cannot starve drawing.
const MAX_EVENTS_PER_FRAME: usize = 256;
/// Summaries read before the first frame: more than any screen shows, and
/// cheap however large the library is. The rest follows right after.
const FIRST_PAGE: usize = 500;

/// Hears of every finished frame: how many key events the runtime had
/// taken from its channel before drawing it, and when the frame was done
/// (`snipdex bench-tui` measures key-to-frame time with it).
pub type FrameProbe = Box<dyn FnMut(u64, Instant)>;

/// Where the runtime draws and reads keys.
pub(super) enum Screen {
    /// A real terminal, with keys from its input.
    Terminal(TtyWriter),
    /// An off-screen terminal of this many columns and rows; keys come
    /// through the event channel.
    Headless { width: u16, height: u16 },
}

pub(super) struct Runtime<'a> {
    pub(super) session: TerminalSession,
    pub(super) state: AppState,
    pub(super) store: &'a Store,
    events: Receiver<AppEvent>,
    search: Sender<SearchRequest>,
    library: Option<Sender<Refresh>>,
    input: Arc<InputGate>,
    highlighter: Highlighter,
    pub(super) clipboard: SystemClipboard,
    pub(super) osc52: bool,
    pub(super) samples: Option<&'a SamplesProvider>,
    pub(super) chosen: Option<Snippet>,
    pub(super) enrich: Option<EnrichControl>,
    /// The write path, as every other way into the library uses it.
    pub(super) intake: Intake,
    /// For threads started on request (the model download).
    pub(super) tx: Sender<AppEvent>,
    quit: bool,
    probe: Option<FrameProbe>,
    /// Key events taken from the channel so far.
    keys: u64,
}

struct Parts<'a> {
    screen: Screen,
    state: AppState,
    store: &'a Store,
    index: Arc<SearchIndex>,
    tx: Sender<AppEvent>,
    rx: Receiver<AppEvent>,
    library: Option<Sender<Refresh>>,
    ui: UiConfig,
    samples: Option<&'a SamplesProvider>,
    enrich: Option<EnrichControl>,
    intake: Intake,
    probe: Option<FrameProbe>,
}

impl<'a> Runtime<'a> {
    fn start(p: Parts<'a>) -> Result<Runtime<'a>, AppError> {
        // Load the list before touching the terminal: a failure here then
        // prints normally instead of on a half-set-up screen.
        let first_page = Arc::new(p.store.recent_summaries(Some(FIRST_PAGE))?);
        let search = search::spawn_worker(p.index, p.tx.clone()).map_err(AppError::Thread)?;
        workers::spawn_ticks(p.tx.clone()).map_err(AppError::Thread)?;
        let (session, input) = match p.screen {
            Screen::Terminal(writer) => (
                TerminalSession::start(writer).map_err(AppError::Terminal)?,
                workers::spawn_input(p.tx.clone()).map_err(AppError::Thread)?,
            ),
            Screen::Headless { width, height } => (
                TerminalSession::headless(width, height).map_err(AppError::Terminal)?,
                InputGate::detached(),
            ),
        };
        let tx = p.tx;
        let mut rt = Runtime {
            session,
            state: p.state,
            store: p.store,
            events: p.rx,
            search,
            library: p.library,
            input,
            highlighter: Highlighter::new(&p.ui.theme),
            clipboard: SystemClipboard::default(),
            osc52: p.ui.osc52,
            samples: p.samples,
            chosen: None,
            enrich: p.enrich,
            intake: p.intake,
            tx,
            quit: false,
            probe: p.probe,
            keys: 0,
        };
        let size = rt.session.size().map_err(AppError::Terminal)?;
        rt.handle(AppEvent::Resize(size.width, size.height));
        let complete = first_page.len() < FIRST_PAGE;
        rt.handle(if complete {
            AppEvent::Loaded(first_page)
        } else {
            AppEvent::FirstPage(first_page)
        });
        Ok(rt)
    }

    fn run(&mut self) -> Result<(), AppError> {
        self.draw()?;
        // The rest of the library and the syntax definitions load only
        // once something is on screen.
        if self.state.partial {
            for ev in self.reload() {
                self.handle(ev);
            }
        }
        self.highlighter.load();
        while !self.quit {
            self.draw()?;
            if let Some(probe) = &mut self.probe {
                probe(self.keys, Instant::now());
            }
            let Ok(first) = self.events.recv() else {
                break;
            };
            self.take(first);
            let mut handled = 1;
            while !self.quit && handled < MAX_EVENTS_PER_FRAME {
                let Ok(ev) = self.events.try_recv() else {
                    break;
                };
                self.take(ev);
                handled += 1;
            }
        }
        Ok(())
    }

    fn draw(&mut self) -> Result<(), AppError> {
        let (state, hl) = (&self.state, &mut self.highlighter);
        self.session
            .terminal
            .draw(|f| ui::draw(f, state, hl))
            .map_err(AppError::Terminal)?;
        Ok(())
    }

    /// An event from the channel.
    fn take(&mut self, event: AppEvent) {
        if matches!(event, AppEvent::Key(_)) {
            self.keys += 1;
        }
        self.handle(event);
    }

    /// Feed one event through `update`, and the events its effects produce
    /// right away, before the next frame.
    fn handle(&mut self, event: AppEvent) {
        let mut queue = VecDeque::from([event]);
        while let Some(ev) = queue.pop_front() {
            for effect in update(&mut self.state, ev) {
                queue.extend(self.execute(effect));
            }
        }
    }

    fn execute(&mut self, effect: Effect) -> Vec<AppEvent> {
        match effect {
            Effect::Search(query) => {
                let request = SearchRequest {
                    query,
                    summaries: Arc::clone(&self.state.summaries),
                };
                match self.search.send(request) {
                    Ok(()) => Vec::new(),
                    Err(_) => vec![AppEvent::Error("The search worker stopped.".into())],
                }
            }
            Effect::LoadPreview(id) => match self.store.find(id) {
                Ok(Some(s)) => vec![AppEvent::Preview(Box::new(s))],
                Ok(None) => Vec::new(),
                Err(e) => vec![AppEvent::Error(format!("Cannot load snippet {id}: {e}"))],
            },
            Effect::LoadTagCounts => match self.store.tag_counts() {
                Ok(t) => vec![AppEvent::TagCounts(t)],
                Err(e) => vec![AppEvent::Error(format!("Cannot load tags: {e}"))],
            },
            Effect::Copy(id) => vec![self.copy(id)],
            Effect::EditInEditor(id) => {
                let done = self.edit(id);
                self.after_new_content(done)
            }
            Effect::NewInEditor => {
                let done = self.new_snippet();
                self.after_new_content(done)
            }
            Effect::Delete(id) => self.delete(id),
            Effect::SetTags(id, tags) => self.set_tags(id, tags),
            Effect::LoadSamples => self.load_samples(),
            Effect::Reload => self.reload(),
            Effect::Choose(id) => match self.store.get(id) {
                Ok(s) => {
                    self.chosen = Some(s);
                    self.quit = true;
                    Vec::new()
                }
                Err(e) => vec![AppEvent::Error(format!("Cannot load snippet {id}: {e}"))],
            },
            Effect::Quit => {
                self.quit = true;
                Vec::new()
            }
            Effect::SetEnrichPaused(paused) => self.set_enrich_paused(paused),
            Effect::Regenerate { id, fields } => self.regenerate(id, &fields),
            Effect::SetLocked {
                id,
                field,
                locked,
                announce,
            } => self.set_locked(id, field, locked, announce),
            Effect::SaveField { id, field, value } => self.save_field(id, field, value),
            Effect::FetchModel => self.fetch_model(),
            Effect::DeclineModel => self.decline_model(),
            Effect::WakeEnrich => self.wake_enrich(),
        }
    }

    /// Ask the library worker for fresh summaries (and an index sync); pick
    /// mode has no worker and reads them here.
    pub(super) fn reload(&mut self) -> Vec<AppEvent> {
        if let Some(lib) = &self.library {
            if lib.send(Refresh).is_ok() {
                return Vec::new();
            }
            self.library = None;
        }
        match self.store.summaries() {
            Ok(s) => vec![AppEvent::Loaded(Arc::new(s))],
            Err(e) => vec![AppEvent::Error(format!("Cannot reload the library: {e}"))],
        }
    }

    /// Run `f` with the terminal handed back to the user.
    pub(super) fn suspended<T>(&mut self, f: impl FnOnce() -> T) -> Result<T, std::io::Error> {
        self.input.pause();
        if let Err(e) = self.session.suspend() {
            self.input.resume();
            return Err(e);
        }
        let out = f();
        let resumed = self.session.resume();
        self.input.resume();
        resumed.map(|()| out)
    }
}

impl Drop for Runtime<'_> {
    fn drop(&mut self) {
        self.input.stop();
        if let Some(control) = self.enrich.take() {
            control.stop();
        }
    }
}

/// Enrichment as the status bar first shows it, and the worker to control.
fn enrich_start(enabled: bool, setup: EnrichSetup) -> (EnrichStatus, Option<EnrichControl>) {
    let off = |phase| EnrichStatus {
        phase,
        ..EnrichStatus::default()
    };
    match setup {
        EnrichSetup::Started(control) => {
            let status = EnrichStatus::started(
                control.is_paused(),
                control.model_installed(),
                control.offer_declined(),
            );
            (status, Some(control))
        }
        _ if !enabled => (off(EnrichPhase::Disabled), None),
        EnrichSetup::Failed(why) => (off(EnrichPhase::Unavailable(why)), None),
        EnrichSetup::NotStarted => (
            off(EnrichPhase::Unavailable(
                "the worker was not started".into(),
            )),
            None,
        ),
    }
}

pub(super) fn run(
    ctx: AppContext,
    screen: Screen,
    probe: Option<FrameProbe>,
) -> Result<(), AppError> {
    let AppContext {
        paths,
        config,
        store,
        index,
        samples,
        enrich,
        keymap,
        tx,
        rx,
    } = ctx;
    let mut state = AppState::new(false);
    state.keymap = Arc::new(keymap);
    let (status, enrich) = enrich_start(config.enrich.enabled, enrich);
    state.enrich = status;
    let library = if store.path() == Path::new(":memory:") {
        None
    } else {
        let worker = workers::spawn_library(
            store.path().to_path_buf(),
            paths.backups_dir(),
            Arc::clone(&index),
            tx.clone(),
        )
        .map_err(AppError::Thread)?;
        Some(worker)
    };
    let intake = Intake::new(&config);
    let mut rt = Runtime::start(Parts {
        screen,
        state,
        store: &store,
        index,
        tx,
        rx,
        library,
        ui: config.ui,
        samples: samples.as_ref(),
        enrich,
        intake,
        probe,
    })?;
    let result = rt.run();
    // Give the terminal back before waiting for the worker to finish the
    // token it is on.
    let enrich = rt.enrich.take();
    drop(rt);
    if let Some(control) = enrich {
        control.stop();
    }
    result
}

pub(super) fn pick(
    store: &Store,
    index: Arc<SearchIndex>,
    query: &str,
    keymap: Keymap,
) -> Result<Option<Snippet>, AppError> {
    let writer = TtyWriter::controlling_terminal().map_err(AppError::NoTerminal)?;
    let mut state = AppState::new(true);
    state.keymap = Arc::new(keymap);
    state.query = LineInput::with_text(query);
    let (tx, rx) = mpsc::channel();
    let mut rt = Runtime::start(Parts {
        screen: Screen::Terminal(writer),
        state,
        store,
        index,
        tx,
        rx,
        library: None,
        ui: UiConfig::default(),
        samples: None,
        enrich: None,
        // The picker only reads.
        intake: Intake::new(&crate::config::Config::default()),
        probe: None,
    })?;
    rt.run()?;
    Ok(rt.chosen.take())
}
