//! The one check every new snippet passes, whatever brings it in: `add`,
//! `import`, the TUI, the watcher. Files are checked as files by
//! [`super::guard`] before they are read; this checks the snippet itself,
//! which for an import was never a file on this machine.
//!
//! - content: at most the size limit, no NUL bytes, not empty;
//! - links: only `https` and `http` URLs are kept (a `javascript:` or
//!   `file:` link would run or open something when followed);
//! - times: a creation or change time outside 1970 to a day from now is
//!   replaced by now;
//! - `source`: kept as data. Nothing here or later reads the path it
//!   names; only a file under a watched folder is ever opened.

use crate::domain::{now_ms, NewSnippet};

/// Why a snippet was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("too large ({size} bytes, limit {limit})")]
    TooLarge { size: u64, limit: u64 },
    #[error("binary content (NUL bytes)")]
    Binary,
    #[error("empty content")]
    Empty,
}

impl Refused {
    /// A stable identifier for counting, like [`super::SkipReason::kind`].
    pub fn kind(&self) -> &'static str {
        match self {
            Refused::TooLarge { .. } => "too_large",
            Refused::Binary => "binary",
            Refused::Empty => "empty",
        }
    }
}

/// What [`admit`] changed in a snippet it let in.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    /// Links dropped for not being `https`/`http` URLs.
    pub dropped_links: usize,
    /// Times out of bounds, replaced by now.
    pub reset_times: usize,
}

/// Latest accepted time: a day ahead allows for clocks that disagree.
const FUTURE_SLACK_MS: i64 = 24 * 60 * 60 * 1000;

/// Check `new` and clean what can be cleaned; refuse what cannot.
pub fn admit(new: &mut NewSnippet, max_bytes: u64) -> Result<Admitted, Refused> {
    let size = new.content.len() as u64;
    if size > max_bytes {
        return Err(Refused::TooLarge {
            size,
            limit: max_bytes,
        });
    }
    if new.content.contains('\0') {
        return Err(Refused::Binary);
    }
    if new.content.trim().is_empty() {
        return Err(Refused::Empty);
    }
    let mut done = Admitted::default();
    let before = new.links.len();
    new.links.retain(|l| is_web_link(l));
    done.dropped_links = before - new.links.len();
    let latest = now_ms().saturating_add(FUTURE_SLACK_MS);
    for t in [&mut new.created_at, &mut new.updated_at] {
        if t.is_some_and(|ms| !(0..=latest).contains(&ms)) {
            *t = None;
            done.reset_times += 1;
        }
    }
    if let (Some(c), Some(u)) = (new.created_at, new.updated_at) {
        if u < c {
            new.updated_at = Some(c);
            done.reset_times += 1;
        }
    }
    Ok(done)
}

/// An absolute `https` or `http` URL with a host.
pub fn is_web_link(link: &str) -> bool {
    url::Url::parse(link.trim())
        .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snippet(content: &str) -> NewSnippet {
        NewSnippet {
            content: content.into(),
            ..Default::default()
        }
    }

    #[test]
    fn content_must_be_small_text_with_something_in_it() {
        assert_eq!(
            admit(&mut snippet("abcd"), 3),
            Err(Refused::TooLarge { size: 4, limit: 3 })
        );
        assert_eq!(admit(&mut snippet("a\0b"), 100), Err(Refused::Binary));
        assert_eq!(admit(&mut snippet(" \n\t"), 100), Err(Refused::Empty));
        assert_eq!(admit(&mut snippet("ls"), 100), Ok(Admitted::default()));
    }

    #[test]
    fn only_web_links_are_kept() {
        let mut s = snippet("ls");
        s.links = vec![
            "https://docs.rs/serde".into(),
            "http://example.com/a?b=c".into(),
            "javascript:alert(1)".into(),
            "file:///etc/passwd".into(),
            "data:text/html,<script>".into(),
            "/relative/path".into(),
            "https://".into(),
        ];
        let done = admit(&mut s, 100).unwrap();
        assert_eq!(done.dropped_links, 5);
        assert_eq!(
            s.links,
            ["https://docs.rs/serde", "http://example.com/a?b=c"]
        );
    }

    #[test]
    fn times_out_of_bounds_become_now() {
        let mut s = snippet("ls");
        s.created_at = Some(i64::MAX);
        s.updated_at = Some(-1);
        assert_eq!(admit(&mut s, 100).unwrap().reset_times, 2);
        assert_eq!((s.created_at, s.updated_at), (None, None));
        let mut fine = snippet("ls");
        fine.created_at = Some(1_700_000_000_000);
        fine.updated_at = Some(1_700_000_100_000);
        assert_eq!(admit(&mut fine, 100).unwrap(), Admitted::default());
        assert_eq!(fine.created_at, Some(1_700_000_000_000));
    }
}
