//! Finding the imports and API names a snippet uses.
//!
//! Extractors over-collect on purpose: every candidate still has to be found
//! in the doc-link table, so a false candidate costs a lookup, not a link.
//! Each returns the snippet's imports first and its API uses after, both in
//! order of appearance, because explicit imports say most about a snippet.

mod c_like;
mod javascript;
mod python;
mod rust;
mod shell;
mod sql;

use std::sync::LazyLock;

use regex::Regex;

use super::lang::Lang;

/// A name to look up, and the table ecosystems to look in, in order; when
/// none knows it, the alternatives are tried in turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Candidate {
    pub(super) ecosystems: &'static [&'static str],
    pub(super) name: String,
    pub(super) alternatives: Vec<(&'static [&'static str], String)>,
}

impl Candidate {
    pub(super) fn new(ecosystems: &'static [&'static str], name: impl Into<String>) -> Self {
        Self {
            ecosystems,
            name: name.into(),
            alternatives: Vec::new(),
        }
    }

    /// Adds a less specific reading, used only if this one finds nothing:
    /// `document.querySelector` before `.querySelector` on any element.
    fn or(mut self, ecosystems: &'static [&'static str], name: impl Into<String>) -> Self {
        self.alternatives.push((ecosystems, name.into()));
        self
    }

    /// Every (ecosystems, name) reading, most specific first.
    pub(super) fn readings(&self) -> impl Iterator<Item = (&'static [&'static str], &str)> {
        std::iter::once((self.ecosystems, self.name.as_str())).chain(
            self.alternatives
                .iter()
                .map(|(ecosystems, name)| (*ecosystems, name.as_str())),
        )
    }
}

/// The names `code`, written in `lang`, imports or calls.
pub(super) fn candidates(lang: Lang, code: &str) -> Vec<Candidate> {
    match lang {
        Lang::Python => python::extract(code),
        Lang::Rust => rust::extract(code),
        Lang::JavaScript => javascript::extract(code),
        Lang::Go => c_like::extract_go(code),
        Lang::C | Lang::Cpp => c_like::extract_includes(code, lang.ecosystems()),
        Lang::Java => c_like::extract_java(code),
        Lang::Php => c_like::extract_php(code),
        Lang::Shell => shell::extract(code),
        Lang::Sql { .. } => sql::extract(code, lang.ecosystems()),
    }
}

/// A lazily compiled constant pattern. The patterns are literals covered by
/// the extractor tests; should one ever fail to compile, its extractor finds
/// nothing instead of taking the enrichment worker down.
type Pattern = LazyLock<Option<Regex>>;

fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

/// The first capture group of every match of `pattern` in `text`, with its
/// byte offset.
fn captures_of<'t>(pattern: &Pattern, text: &'t str) -> Vec<(usize, &'t str)> {
    let Some(regex) = pattern.as_ref() else {
        return Vec::new();
    };
    regex
        .captures_iter(text)
        .filter_map(|caps| caps.get(1))
        .map(|m| (m.start(), m.as_str()))
        .collect()
}
