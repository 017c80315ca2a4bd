//! Terminal setup and teardown: raw mode, the alternate screen, and a
//! panic hook that gives the user their shell back before the message is
//! printed. Suspending (for `$EDITOR`) undoes all of it and resuming
//! forces a full redraw.

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::{Rect, Size};
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io::{self, Write};
use std::panic::PanicHookInfo;
use std::sync::Arc;

/// Where frames go: stdout normally; the controlling terminal in pick mode,
/// where stdout carries the chosen snippet to the caller; nowhere for an
/// off-screen run (`snipdex bench-tui`), which still encodes every frame.
pub enum TtyWriter {
    Stdout(io::Stdout),
    Tty(std::fs::File),
    Sink(io::Sink),
}

impl TtyWriter {
    /// The controlling terminal, even when stdin and stdout are pipes.
    pub fn controlling_terminal() -> io::Result<TtyWriter> {
        #[cfg(unix)]
        {
            let tty = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/tty")?;
            Ok(TtyWriter::Tty(tty))
        }
        #[cfg(not(unix))]
        {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "pick mode needs a Unix terminal",
            ))
        }
    }

    fn is_tty(&self) -> bool {
        matches!(self, TtyWriter::Tty(_))
    }
}

impl Write for TtyWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            TtyWriter::Stdout(s) => s.write(buf),
            TtyWriter::Tty(f) => f.write(buf),
            TtyWriter::Sink(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            TtyWriter::Stdout(s) => s.flush(),
            TtyWriter::Tty(f) => f.flush(),
            TtyWriter::Sink(s) => s.flush(),
        }
    }
}

pub type Backend = CrosstermBackend<TtyWriter>;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// Best effort: the panic or error being reported matters more.
fn restore_terminal(to_tty: bool) {
    let _ = disable_raw_mode();
    let mut w = if to_tty {
        TtyWriter::controlling_terminal().unwrap_or(TtyWriter::Stdout(io::stdout()))
    } else {
        TtyWriter::Stdout(io::stdout())
    };
    let _ = execute!(w, LeaveAlternateScreen, Show);
}

/// A terminal in raw mode on the alternate screen, restored on drop; or an
/// off-screen one of a fixed size ([`TerminalSession::headless`]).
pub struct TerminalSession {
    pub terminal: Terminal<Backend>,
    /// The panic hook to put back; `None` when off-screen (none was set).
    previous_hook: Option<Arc<Hook>>,
    active: bool,
    /// The fixed size of an off-screen terminal.
    fixed: Option<Size>,
}

impl TerminalSession {
    pub fn start(writer: TtyWriter) -> io::Result<TerminalSession> {
        let to_tty = writer.is_tty();
        let previous_hook: Arc<Hook> = Arc::new(std::panic::take_hook());
        let chained = Arc::clone(&previous_hook);
        let ui_thread = std::thread::current().id();
        std::panic::set_hook(Box::new(move |info| {
            // A worker's panic must not pull the screen from under the UI,
            // nor be printed over it: it goes to the log, and the UI
            // notices the dead worker through its channel.
            if std::thread::current().id() == ui_thread {
                restore_terminal(to_tty);
                chained(info);
            } else {
                tracing::error!(panic = %info, "a worker thread panicked");
            }
        }));
        let mut session = TerminalSession {
            terminal: Terminal::new(CrosstermBackend::new(writer))?,
            previous_hook: Some(previous_hook),
            active: false,
            fixed: None,
        };
        session.resume()?;
        Ok(session)
    }

    /// An off-screen terminal of `width × height` cells: frames are diffed
    /// and encoded into escape sequences exactly as for a real terminal,
    /// then thrown away. Touches neither the terminal's modes nor the
    /// panic hook.
    pub fn headless(width: u16, height: u16) -> io::Result<TerminalSession> {
        let area = Rect::new(0, 0, width, height);
        let options = TerminalOptions {
            viewport: Viewport::Fixed(area),
        };
        Ok(TerminalSession {
            terminal: Terminal::with_options(
                CrosstermBackend::new(TtyWriter::Sink(io::sink())),
                options,
            )?,
            previous_hook: None,
            active: false,
            fixed: Some(area.as_size()),
        })
    }

    /// The terminal's size in cells.
    pub fn size(&self) -> io::Result<Size> {
        match self.fixed {
            Some(size) => Ok(size),
            None => self.terminal.size(),
        }
    }

    /// Give the terminal back (to run `$EDITOR`).
    pub fn suspend(&mut self) -> io::Result<()> {
        if !self.active || self.fixed.is_some() {
            return Ok(());
        }
        self.active = false;
        execute!(self.terminal.backend_mut(), LeaveAlternateScreen, Show)?;
        disable_raw_mode()
    }

    /// Take the terminal again; the next draw repaints every cell.
    pub fn resume(&mut self) -> io::Result<()> {
        if self.active || self.fixed.is_some() {
            return Ok(());
        }
        enable_raw_mode()?;
        self.active = true;
        execute!(self.terminal.backend_mut(), EnterAlternateScreen, Hide)?;
        // `Terminal::clear` would ask the terminal where its cursor is and
        // wait for the answer; a resize to the current size clears and
        // resets the diff buffer without that round trip.
        let size = self.terminal.size()?;
        self.terminal
            .resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
    }

    /// Write raw bytes (an OSC 52 sequence) straight to the terminal.
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let w = self.terminal.backend_mut();
        w.write_all(bytes)?;
        w.flush()
    }
}

impl Drop for TerminalSession {
    fn drop(&mut self) {
        if self.active {
            let _ = self.suspend();
        }
        if let Some(previous) = self.previous_hook.take() {
            std::panic::set_hook(Box::new(move |info| previous(info)));
        }
    }
}
