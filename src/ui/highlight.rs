//! Syntax highlighting for the preview with syntect. The syntax and theme
//! sets load once, after the first frame; each snippet's lines are
//! highlighted only as far down as anyone has looked, and cached.

use crate::app::text::sanitize;
use crate::domain::{Snippet, SnippetId};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use std::collections::HashMap;
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, HighlightState, Theme, ThemeSet};
use syntect::parsing::{ParseState, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Lines longer than this are shown plain: regex-based highlighting of a
/// minified file could stall the UI.
const MAX_HIGHLIGHT_LINE: usize = 4_000;
/// Snippets whose highlighted lines are kept.
const CACHE_SNIPPETS: usize = 64;
const FALLBACK_THEME: &str = "base16-ocean.dark";

struct Assets {
    syntaxes: SyntaxSet,
    theme: Theme,
}

/// Highlighted lines of one snippet, and the parser's state after the last
/// of them so that highlighting can continue where it stopped.
struct Cached {
    content_hash: String,
    lines: Vec<Line<'static>>,
    resume: Option<(HighlightState, ParseState)>,
}

pub struct Highlighter {
    theme_name: String,
    assets: Option<Assets>,
    cache: HashMap<SnippetId, Cached>,
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighter")
            .field("theme", &self.theme_name)
            .field("loaded", &self.assets.is_some())
            .field("cached", &self.cache.len())
            .finish()
    }
}

impl Highlighter {
    /// Cheap: nothing is loaded until [`Highlighter::load`].
    pub fn new(theme_name: &str) -> Highlighter {
        Highlighter {
            theme_name: theme_name.to_string(),
            assets: None,
            cache: HashMap::new(),
        }
    }

    /// Load syntaxes and the theme (tens of milliseconds). An unknown theme
    /// name falls back to the default one.
    pub fn load(&mut self) {
        if self.assets.is_some() {
            return;
        }
        let syntaxes = SyntaxSet::load_defaults_newlines();
        let mut themes = ThemeSet::load_defaults().themes;
        let theme = themes
            .remove(&self.theme_name)
            .or_else(|| {
                tracing::warn!(theme = %self.theme_name, "unknown syntax theme; using the default");
                themes.remove(FALLBACK_THEME)
            })
            .or_else(|| themes.into_values().next());
        if let Some(theme) = theme {
            self.assets = Some(Assets { syntaxes, theme });
            // Plain lines cached before loading would stay plain.
            self.cache.clear();
        }
    }

    pub fn is_loaded(&self) -> bool {
        self.assets.is_some()
    }

    /// Content lines `from..to` of `snippet`, highlighted once the assets
    /// are loaded and plain before.
    pub fn lines(&mut self, snippet: &Snippet, from: usize, to: usize) -> Vec<Line<'static>> {
        let Some(assets) = &self.assets else {
            return snippet
                .content
                .lines()
                .skip(from)
                .take(to.saturating_sub(from))
                .map(|l| Line::raw(sanitize(l)))
                .collect();
        };
        if self.cache.len() >= CACHE_SNIPPETS && !self.cache.contains_key(&snippet.id) {
            self.cache.clear();
        }
        let entry = self.cache.entry(snippet.id).or_insert_with(|| Cached {
            content_hash: String::new(),
            lines: Vec::new(),
            resume: None,
        });
        if entry.content_hash != snippet.content_hash {
            let syntax = find_syntax(&assets.syntaxes, snippet);
            let hl = HighlightLines::new(syntax, &assets.theme);
            *entry = Cached {
                content_hash: snippet.content_hash.clone(),
                lines: Vec::new(),
                resume: Some(hl.state()),
            };
        }
        extend(entry, assets, &snippet.content, to);
        entry
            .lines
            .iter()
            .skip(from)
            .take(to.saturating_sub(from))
            .cloned()
            .collect()
    }
}

fn extend(entry: &mut Cached, assets: &Assets, content: &str, to: usize) {
    let done = entry.lines.len();
    if done >= to {
        return;
    }
    let mut resume = entry.resume.take();
    for raw in LinesWithEndings::from(content).skip(done).take(to - done) {
        let line = match resume.take() {
            Some((hs, ps)) if raw.len() <= MAX_HIGHLIGHT_LINE => {
                let mut hl = HighlightLines::from_state(&assets.theme, hs, ps);
                match hl.highlight_line(raw, &assets.syntaxes) {
                    Ok(regions) => {
                        let spans: Vec<Span<'static>> = regions
                            .into_iter()
                            .map(|(style, text)| Span::styled(sanitize(text), convert(style)))
                            .collect();
                        resume = Some(hl.state());
                        Line::from(spans)
                    }
                    // A parser error leaves the rest of the snippet plain.
                    Err(_) => Line::raw(sanitize(raw)),
                }
            }
            // Past a huge line the parser state is unknown: stay plain.
            _ => Line::raw(sanitize(raw)),
        };
        entry.lines.push(line);
    }
    entry.resume = resume;
}

/// The snippet's language id first, then its file's extension, then a
/// shebang or modeline, else plain text.
fn find_syntax<'a>(set: &'a SyntaxSet, snippet: &Snippet) -> &'a SyntaxReference {
    let lang = snippet.language.to_lowercase();
    let token = match lang.as_str() {
        "shell" | "bash" | "zsh" => "sh",
        "csharp" => "cs",
        "typescript" | "tsx" => "js",
        "cpp" => "cpp",
        "text" | "" => "txt",
        other => other,
    };
    set.find_syntax_by_token(token)
        .or_else(|| {
            snippet
                .source
                .path()
                .and_then(|p| p.extension())
                .and_then(|e| set.find_syntax_by_extension(&e.to_string_lossy()))
        })
        .or_else(|| {
            let first = snippet.content.lines().next().unwrap_or("");
            set.find_syntax_by_first_line(first)
        })
        .unwrap_or_else(|| set.find_syntax_plain_text())
}

fn convert(style: syntect::highlighting::Style) -> Style {
    let fg = style.foreground;
    let mut out = Style::default().fg(Color::Rgb(fg.r, fg.g, fg.b));
    if style.font_style.contains(FontStyle::BOLD) {
        out = out.add_modifier(Modifier::BOLD);
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        out = out.add_modifier(Modifier::ITALIC);
    }
    if style.font_style.contains(FontStyle::UNDERLINE) {
        out = out.add_modifier(Modifier::UNDERLINED);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testkit::snippet;

    fn colours(line: &Line<'_>) -> usize {
        let mut seen: Vec<Option<Color>> = line.spans.iter().map(|s| s.style.fg).collect();
        seen.dedup();
        seen.len()
    }

    #[test]
    fn plain_before_load_coloured_after() {
        let s = snippet(1, "rust", "fn main() {\n    let x = \"hi\";\n}\n");
        let mut h = Highlighter::new("no-such-theme");
        let plain = h.lines(&s, 0, 3);
        assert_eq!(plain.len(), 3);
        assert!(plain
            .iter()
            .all(|l| l.spans.iter().all(|sp| sp.style.fg.is_none())));
        h.load();
        assert!(h.is_loaded(), "an unknown theme falls back");
        let lines = h.lines(&s, 0, 3);
        assert_eq!(lines.len(), 3);
        assert!(colours(&lines[1]) > 1, "keyword, string: {:?}", lines[1]);
        let text: String = lines[1].spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "    let x = \"hi\";");
    }

    #[test]
    fn highlights_lazily_and_resumes_state() {
        let content: String = (0..200).map(|i| format!("x = {i}\n")).collect();
        let s = snippet(2, "python", &format!("s = \"\"\"\n{content}\"\"\"\n"));
        let mut h = Highlighter::new(FALLBACK_THEME);
        h.load();
        let _ = h.lines(&s, 0, 10);
        assert_eq!(h.cache[&2].lines.len(), 10, "only what was asked");
        // Inside the triple-quoted string the lines stay string-coloured,
        // which needs the state carried over from line 0.
        let later = h.lines(&s, 50, 52);
        let early = h.lines(&s, 5, 6);
        assert_eq!(later[0].spans[0].style.fg, early[0].spans[0].style.fg);
        assert_eq!(h.cache[&2].lines.len(), 52);
        assert!(h.lines(&s, 500, 510).is_empty(), "past the end is empty");
    }

    #[test]
    fn changed_content_is_highlighted_again() {
        let mut h = Highlighter::new(FALLBACK_THEME);
        h.load();
        let a = snippet(3, "rust", "let a = 1;\n");
        let _ = h.lines(&a, 0, 1);
        let b = snippet(3, "rust", "let b = 2;\n");
        let text: String = h.lines(&b, 0, 1)[0]
            .spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(text, "let b = 2;");
    }
}
