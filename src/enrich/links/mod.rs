//! The link resolver: the only code in snipdex that builds URLs.
//!
//! A 135M model asked for documentation links invents plausible URLs. So the
//! model is only asked for names, and links come from here: imports and API
//! names found in the code, plus the model's names, are looked up in a table
//! of official documentation sites ([`LinkTable`], `assets/doclinks.toml`,
//! user-extensible). A name the table does not know gets no link, and every
//! URL is checked to be absolute https before it leaves this module.

mod extract;
mod lang;
mod table;

use std::sync::OnceLock;

pub(crate) use table::library_tag;
pub use table::{load_table, LinkTable, MemberKind, TableError};

use extract::Candidate;
use lang::Lang;

/// Links per snippet; more is a reading list, not a pointer.
pub const MAX_LINKS: usize = 5;

/// Documentation links for `code` in `language`, built from the embedded
/// table: deduplicated, imports first, then API uses, then `model_names`,
/// at most [`MAX_LINKS`]. See [`LinkTable::resolve`].
pub fn resolve_links(code: &str, language: &str, model_names: &[String]) -> Vec<String> {
    embedded_table()
        .map(|table| table.resolve(code, language, model_names, MAX_LINKS))
        .unwrap_or_default()
}

/// The embedded table, parsed once; `None` (logged) should it be unusable,
/// which the table tests keep from shipping.
pub fn embedded_table() -> Option<&'static LinkTable> {
    static DEFAULT: OnceLock<Option<LinkTable>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| match LinkTable::embedded() {
            Ok(table) => Some(table),
            Err(err) => {
                tracing::error!(error = %err, "embedded doc-link table is unusable; no links");
                None
            }
        })
        .as_ref()
}

impl LinkTable {
    /// Documentation links for `code` in `language`, at most `max`.
    ///
    /// Names the links model suggested (`model_names`) are looked up like
    /// names found in the code, but only when the code shows evidence of
    /// them (their last segment appears in it as a word): a tiny model
    /// happily names popular libraries that the snippet never touches.
    /// Unknown languages get no links.
    pub fn resolve(
        &self,
        code: &str,
        language: &str,
        model_names: &[String],
        max: usize,
    ) -> Vec<String> {
        let Some(lang) = Lang::detect(language, code) else {
            return Vec::new();
        };
        let mut links: Vec<String> = Vec::new();
        // The table validated every entry when it was loaded; checking again
        // here keeps the module's promise even if a template slipped by.
        let mut push = |url: Option<url::Url>| {
            if let Some(url) = url.filter(|u| table::parse_https(u.as_str()).is_some()) {
                let url = String::from(url);
                if !links.contains(&url) {
                    links.push(url);
                }
            }
        };
        for candidate in extract::candidates(lang, code) {
            push(self.lookup_candidate(&candidate, &|_| true));
        }
        let in_code = |word: &str| contains_word(code, word);
        for name in model_names {
            let name = name.trim().trim_start_matches("node:");
            let has_evidence = in_code(last_segment(name)) || in_code(name);
            if name.contains("://") || !has_evidence {
                continue;
            }
            let candidate = Candidate::new(lang.ecosystems(), name);
            push(self.lookup_candidate(&candidate, &in_code));
        }
        links.truncate(max);
        links
    }

    /// The libraries and modules `code` imports or calls that this table
    /// knows, as tags (see [`library_tag`]), imports first, each once, and
    /// whether it is part of the language's standard library. Only names
    /// found in the code count: this is what makes a library tag real.
    pub fn code_libraries(&self, code: &str, language: &str) -> Vec<CodeLibrary> {
        let Some(lang) = Lang::detect(language, code) else {
            return Vec::new();
        };
        let mut out: Vec<CodeLibrary> = Vec::new();
        for candidate in extract::candidates(lang, code) {
            let found = candidate.readings().find_map(|(ecosystems, name)| {
                ecosystems.iter().find_map(|eco| {
                    self.find(eco, name, &|_| true)
                        .filter(|_| !self.is_keywords(eco))
                        .map(|found| (*eco, found))
                })
            });
            let Some((eco, found)) = found else { continue };
            let Some(tag) = library_tag(eco, &found.key) else {
                continue;
            };
            if !out.iter().any(|l| l.tag == tag) {
                out.push(CodeLibrary {
                    tag,
                    standard: found.standard,
                });
            }
        }
        out
    }

    fn lookup_candidate(
        &self,
        candidate: &Candidate,
        member_ok: &dyn Fn(&str) -> bool,
    ) -> Option<url::Url> {
        candidate.readings().find_map(|(ecosystems, name)| {
            ecosystems
                .iter()
                .find_map(|eco| self.lookup(eco, name, member_ok))
        })
    }
}

/// A library a snippet uses, as a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeLibrary {
    pub tag: String,
    /// Part of the language's standard library or platform (`os`,
    /// `std::fs`, `fetch`), which says less about a snippet than an
    /// installed library does.
    pub standard: bool,
}

/// `std::io::Read` → `Read`, `net/http` → `http`, `stdio.h` → `stdio`.
fn last_segment(name: &str) -> &str {
    let name = name.strip_suffix(".h").unwrap_or(name);
    name.rsplit(['.', '/', ':']).next().unwrap_or(name)
}

/// Whether `word` occurs in `text` with no identifier character on either
/// side, ignoring ASCII case.
fn contains_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let text = text.to_ascii_lowercase();
    let word = word.to_ascii_lowercase();
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(&word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[cfg(test)]
mod resolve_tests;
