//! Copying: the system clipboard through arboard, and OSC 52 written to the
//! terminal so that copying works over SSH too. Neither may crash the UI:
//! on a headless machine arboard simply has no clipboard.

use base64::Engine;

/// Terminals cap OSC 52 payloads; past this, only the system clipboard
/// is used.
pub const OSC52_MAX_BYTES: usize = 74_994;

/// The OSC 52 sequence that sets the clipboard to `text`; inside tmux it
/// is wrapped so tmux passes it on.
pub fn osc52(text: &str, tmux: bool) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let seq = format!("\x1b]52;c;{b64}\x07");
    if tmux {
        format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
    } else {
        seq
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
            self.inner = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
        }
        match self.inner.as_mut() {
            Some(c) => c.set_text(text).map_err(|e| e.to_string()),
            None => Err("no clipboard".into()),
        }
    }
}

/// The message after a copy: what worked, what did not.
pub fn report(
    lines: usize,
    system: Result<(), String>,
    osc52: Option<Result<(), String>>,
    secret: bool,
) -> (bool, String) {
    let what = if lines == 1 {
        "1 line".to_string()
    } else {
        format!("{lines} lines")
    };
    let warn = if secret { " It contains secrets!" } else { "" };
    match (system, osc52) {
        (Ok(()), Some(Ok(()))) => (
            true,
            format!("Copied {what} to the clipboard (and via OSC 52).{warn}"),
        ),
        (Ok(()), _) => (true, format!("Copied {what} to the clipboard.{warn}")),
        (Err(e), Some(Ok(()))) => (
            true,
            format!(
                "Sent {what} to the terminal's clipboard via OSC 52 (system clipboard: {e}).{warn}"
            ),
        ),
        (Err(e), Some(Err(o))) => (false, format!("Copy failed: {e}; OSC 52: {o}")),
        (Err(e), None) => (
            false,
            format!("Copy failed: {e}. Turn on ui.osc52 to copy through the terminal."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_encodes_and_wraps_for_tmux() {
        let s = osc52("hi ✓", false);
        assert!(s.starts_with("\x1b]52;c;") && s.ends_with('\x07'));
        let b64 = &s[7..s.len() - 1];
        let back = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(back, "hi ✓".as_bytes());
        let t = osc52("x", true);
        assert!(t.starts_with("\x1bPtmux;\x1b\x1b]52;c;") && t.ends_with("\x1b\\"));
    }

    #[test]
    fn reports_say_what_happened() {
        let (ok, m) = report(3, Err("no display".into()), Some(Ok(())), true);
        assert!(ok && m.contains("OSC 52") && m.contains("no display") && m.contains("secrets"));
        let (ok, m) = report(1, Err("no display".into()), None, false);
        assert!(!ok && m.contains("ui.osc52"), "{m}");
        let (ok, m) = report(1, Ok(()), None, false);
        assert!(ok && m.contains("1 line"), "{m}");
    }
}
