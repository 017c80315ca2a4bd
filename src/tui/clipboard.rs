//! Copying: the system clipboard through arboard, and OSC 52 written to the
//! terminal so that copying works over SSH and inside tmux or screen too.
//! Neither may crash the UI, and the message after a copy says what was
//! really done: OSC 52 cannot be confirmed, so it is never called a copy
//! when it may have been dropped.

use base64::Engine;

/// Terminals cap OSC 52 payloads; past this, only the system clipboard
/// is used.
pub const OSC52_MAX_BYTES: usize = 74_994;

/// GNU screen cuts long DCS strings; vim-oscyank and others send OSC 52
/// through it in chunks of this many bytes.
const SCREEN_CHUNK: usize = 76;

/// A terminal multiplexer between the program and the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mux {
    None,
    /// tmux with the options that decide what it does with OSC 52.
    Tmux {
        /// `set-clipboard on`: tmux takes a plain OSC 52 from programs,
        /// keeps it as a paste buffer and passes it to the terminal.
        set_clipboard: Option<String>,
        /// `allow-passthrough on|all`: `\ePtmux;…` reaches the terminal.
        passthrough: bool,
    },
    Screen,
}

/// Where the program runs, as far as copying cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyEnv {
    pub mux: Mux,
    pub ssh: bool,
    /// Whether a system clipboard can exist (a display on Linux/BSD).
    pub display: bool,
}

/// How OSC 52 gets to the terminal here, or why it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Plain,
    /// Plain OSC 52 that tmux itself handles (`set-clipboard on`).
    Tmux,
    TmuxPassthrough,
    Screen,
    /// tmux would drop it; the text says what to change.
    Blocked(String),
}

impl CopyEnv {
    /// Read the environment, and ask tmux for its options when inside it.
    pub fn detect() -> CopyEnv {
        let var = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        let term = std::env::var("TERM").unwrap_or_default();
        let mux = if var("TMUX") {
            Mux::Tmux {
                set_clipboard: tmux_option(&["show-options", "-gqv", "set-clipboard"]),
                passthrough: tmux_option(&["show-options", "-pqv", "allow-passthrough"])
                    .or_else(|| tmux_option(&["show-options", "-gqv", "allow-passthrough"]))
                    .is_some_and(|v| v == "on" || v == "all"),
            }
        } else if var("STY") || term.starts_with("screen") {
            Mux::Screen
        } else {
            Mux::None
        };
        let display =
            !cfg!(all(unix, not(target_os = "macos"))) || var("DISPLAY") || var("WAYLAND_DISPLAY");
        CopyEnv {
            mux,
            ssh: var("SSH_CONNECTION") || var("SSH_TTY"),
            display,
        }
    }

    pub fn route(&self) -> Route {
        match &self.mux {
            Mux::None => Route::Plain,
            Mux::Screen => Route::Screen,
            Mux::Tmux {
                set_clipboard,
                passthrough,
            } => match set_clipboard.as_deref() {
                // Unknown (tmux not answering): plain is what tmux reads
                // by default, and what it never shows as garbage.
                Some("on") | None => Route::Tmux,
                _ if *passthrough => Route::TmuxPassthrough,
                Some(other) => Route::Blocked(format!(
                    "tmux drops OSC 52 (set-clipboard {other}): `tmux set -g set-clipboard on`"
                )),
            },
        }
    }
}

fn tmux_option(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("tmux")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let value = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !value.is_empty()).then_some(value)
}

/// The OSC 52 sequence that sets the clipboard to `text`, shaped for the
/// route; `None` where it would be dropped.
pub fn osc52(text: &str, route: &Route) -> Option<String> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let seq = format!("\x1b]52;c;{b64}\x07");
    match route {
        Route::Plain | Route::Tmux => Some(seq),
        Route::TmuxPassthrough => Some(format!(
            "\x1bPtmux;{}\x1b\\",
            seq.replace('\x1b', "\x1b\x1b")
        )),
        Route::Screen => {
            // Every chunk in its own DCS string, which screen passes on.
            let chunks: Vec<String> = seq
                .as_bytes()
                .chunks(SCREEN_CHUNK)
                .map(|c| format!("\x1bP{}\x1b\\", String::from_utf8_lossy(c)))
                .collect();
            Some(chunks.concat())
        }
        Route::Blocked(_) => None,
    }
}

/// The system clipboard, opened on first use and kept: on X11 the copied
/// text lives only as long as its owner.
#[derive(Default)]
pub struct SystemClipboard {
    inner: Option<arboard::Clipboard>,
}

impl std::fmt::Debug for SystemClipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemClipboard")
            .field("open", &self.inner.is_some())
            .finish()
    }
}

impl SystemClipboard {
    pub fn set(&mut self, text: &str) -> Result<(), String> {
        if self.inner.is_none() {
            self.inner = Some(arboard::Clipboard::new().map_err(|e| short(&e.to_string()))?);
        }
        match self.inner.as_mut() {
            Some(c) => c.set_text(text).map_err(|e| short(&e.to_string())),
            None => Err("no clipboard".into()),
        }
    }
}

/// The first sentence of an error, so that it fits the status bar whole.
fn short(e: &str) -> String {
    let first = e.split(['.', '\n']).next().unwrap_or(e).trim();
    crate::app::text::truncate(first, 60)
}

/// What the system clipboard did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SystemResult {
    Copied,
    /// Not tried: there is no display (SSH, a console).
    NoDisplay,
    Failed(String),
}

/// What OSC 52 did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OscResult {
    /// `ui.osc52` is off.
    Off,
    Sent(Route),
    NotSent(String),
}

/// The message after a copy: what worked, what did not. `ok` is false
/// when the text surely reached no clipboard.
pub fn report(
    lines: usize,
    system: &SystemResult,
    osc: &OscResult,
    ssh: bool,
    secret: bool,
) -> (bool, String) {
    let what = if lines == 1 {
        "1 line".to_string()
    } else {
        format!("{lines} lines")
    };
    let warn = if secret { " It contains secrets!" } else { "" };
    let terminal = if ssh {
        "your local terminal"
    } else {
        "the terminal"
    };
    let sent = |route: &Route| match route {
        Route::Tmux => {
            "to tmux's buffer via OSC 52 (and on to the terminal, if it allows)".to_string()
        }
        Route::TmuxPassthrough => {
            format!("through tmux passthrough to {terminal} via OSC 52 (if it allows OSC 52)")
        }
        Route::Screen => format!("through screen to {terminal} via OSC 52 (if it allows OSC 52)"),
        Route::Plain | Route::Blocked(_) => {
            format!("to {terminal} via OSC 52 (if it allows OSC 52)")
        }
    };
    let why_system = match system {
        SystemResult::Copied => String::new(),
        SystemResult::NoDisplay => "no display".to_string(),
        SystemResult::Failed(e) => e.clone(),
    };
    match (system, osc) {
        (SystemResult::Copied, _) => (true, format!("Copied {what} to the clipboard.{warn}")),
        (_, OscResult::Sent(route)) => (
            true,
            format!(
                "Sent {what} {}; no system clipboard ({why_system}).{warn}",
                sent(route)
            ),
        ),
        (_, OscResult::NotSent(why)) => (
            false,
            format!("Not copied (system clipboard: {why_system}); {why}."),
        ),
        (_, OscResult::Off) => (
            false,
            format!(
                "Not copied (system clipboard: {why_system}); turn on ui.osc52 to copy through the terminal."
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmux(set_clipboard: Option<&str>, passthrough: bool) -> CopyEnv {
        CopyEnv {
            mux: Mux::Tmux {
                set_clipboard: set_clipboard.map(String::from),
                passthrough,
            },
            ssh: true,
            display: false,
        }
    }

    #[test]
    fn osc52_encodes_plainly_outside_and_inside_tmux() {
        let s = osc52("hi ✓", &Route::Plain).unwrap();
        assert!(s.starts_with("\x1b]52;c;") && s.ends_with('\x07'));
        let b64 = &s[7..s.len() - 1];
        let back = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(back, "hi ✓".as_bytes());
        // tmux's set-clipboard handles a plain sequence; passthrough is
        // dropped unless allow-passthrough is on.
        assert_eq!(tmux(Some("on"), false).route(), Route::Tmux);
        assert_eq!(osc52("x", &Route::Tmux), osc52("x", &Route::Plain));
        assert_eq!(tmux(Some("on"), true).route(), Route::Tmux);
        assert_eq!(tmux(Some("external"), true).route(), Route::TmuxPassthrough);
        let t = osc52("x", &Route::TmuxPassthrough).unwrap();
        assert!(t.starts_with("\x1bPtmux;\x1b\x1b]52;c;") && t.ends_with("\x1b\\"));
        let blocked = tmux(Some("external"), false).route();
        assert!(matches!(&blocked, Route::Blocked(w) if w.contains("set-clipboard on")));
        assert_eq!(osc52("x", &blocked), None);
    }

    #[test]
    fn screen_gets_chunked_dcs() {
        let text = "y".repeat(300);
        let s = osc52(&text, &Route::Screen).unwrap();
        assert!(s.starts_with("\x1bP\x1b]52;c;"));
        let payload: String = s
            .split("\x1b\\")
            .filter(|c| !c.is_empty())
            .map(|c| c.strip_prefix("\x1bP").unwrap())
            .collect();
        assert_eq!(Some(payload), osc52(&text, &Route::Plain));
    }

    #[test]
    fn reports_say_what_really_happened() {
        let (ok, m) = report(
            3,
            &SystemResult::NoDisplay,
            &OscResult::Sent(Route::Tmux),
            true,
            true,
        );
        assert!(ok && m.contains("tmux") && m.contains("OSC 52") && m.contains("secrets"));
        assert!(!m.starts_with("Copied"), "OSC 52 is not confirmed: {m}");
        let blocked = tmux(Some("off"), false).route();
        let Route::Blocked(why) = blocked else {
            panic!()
        };
        let (ok, m) = report(
            1,
            &SystemResult::NoDisplay,
            &OscResult::NotSent(why),
            true,
            false,
        );
        assert!(
            !ok && m.starts_with("Not copied") && m.contains("set-clipboard on"),
            "{m}"
        );
        let (ok, m) = report(
            1,
            &SystemResult::Failed("x".into()),
            &OscResult::Off,
            false,
            false,
        );
        assert!(!ok && m.contains("ui.osc52"), "{m}");
        let (ok, m) = report(1, &SystemResult::Copied, &OscResult::Off, false, false);
        assert!(ok && m.contains("1 line"), "{m}");
    }

    #[test]
    fn errors_are_cut_to_their_first_sentence() {
        assert_eq!(short("Unknown error while interacting with the clipboard: X11 server connection timed out. More."),
            "Unknown error while interacting with the clipboard: X11 ser…");
    }
}
