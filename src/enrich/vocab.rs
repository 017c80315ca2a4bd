//! The tag vocabulary: canonical topic tags, each with its synonyms and
//! plural forms, so that the same idea always gets the same tag.
//!
//! The vocabulary ships in `assets/tags.toml` (versioned); a `tags.toml` in
//! the config folder extends it the way `doclinks.toml` extends the link
//! table. The shape:
//!
//! ```toml
//! version = 1
//! remove = ["game"]          # user file only: drop shipped topics
//!
//! [topics]
//! dictionary = ["dict", "dicts", "hashmap"]
//! ```
//!
//! Every name must already be in tag form ([`normalize_tag`] leaves it as
//! it is), so what a user writes is what they will see.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::clean::normalize_tag;

const EMBEDDED: &str = include_str!("../../assets/tags.toml");

/// A vocabulary file that cannot be used. Every variant names the file
/// ("embedded" for the shipped one).
#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    /// The user's file exists but could not be read.
    #[error("cannot read tag vocabulary {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML of the expected shape.
    #[error("tag vocabulary {origin} is malformed")]
    Parse {
        origin: String,
        #[source]
        source: toml::de::Error,
    },
    /// A name that breaks the vocabulary's rules.
    #[error("tag vocabulary {origin}: {name:?} {reason}")]
    Invalid {
        origin: String,
        name: String,
        reason: &'static str,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVocabulary {
    version: Option<u32>,
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    topics: BTreeMap<String, Vec<String>>,
}

/// Canonical topics and the synonyms that lead to them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vocabulary {
    version: u32,
    topics: BTreeSet<String>,
    /// Synonym -> topic.
    synonyms: HashMap<String, String>,
}

impl Vocabulary {
    /// The vocabulary shipped in `assets/tags.toml`.
    pub fn embedded() -> Result<Self, VocabError> {
        let raw = parse(EMBEDDED, "embedded")?;
        if !raw.remove.is_empty() {
            return Err(VocabError::Invalid {
                origin: "embedded".into(),
                name: raw.remove.join(", "),
                reason: "is removed in the shipped vocabulary",
            });
        }
        let mut vocab = Vocabulary {
            version: raw.version.unwrap_or(0),
            ..Vocabulary::default()
        };
        vocab.lay_over(raw, "embedded")?;
        Ok(vocab)
    }

    /// The shipped vocabulary, parsed once: what training targets and
    /// evaluation use (they follow the shipped rules, not one user's
    /// extensions).
    pub fn shipped() -> &'static Self {
        static SHIPPED: std::sync::OnceLock<Vocabulary> = std::sync::OnceLock::new();
        SHIPPED.get_or_init(Self::embedded_or_empty)
    }

    /// The shipped vocabulary, or an empty one (every tag unknown) should it
    /// ever fail to parse; the vocabulary tests keep that from shipping.
    pub fn embedded_or_empty() -> Self {
        Self::embedded().unwrap_or_else(|err| {
            tracing::error!(error = %err, "embedded tag vocabulary is unusable");
            Self::default()
        })
    }

    /// The shipped file's version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// How many canonical topics there are.
    pub fn len(&self) -> usize {
        self.topics.len()
    }

    /// Whether there are no topics.
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// The canonical topics, sorted.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.topics.iter().map(String::as_str)
    }

    /// The topic `tag` stands for: itself when it is a topic, its topic when
    /// it is a listed synonym, and the same for its singular (`dates`,
    /// `matches`, `libraries`). `None` when the vocabulary does not know it.
    pub fn canonical(&self, tag: &str) -> Option<&str> {
        std::iter::once(tag.to_owned())
            .chain(singulars(tag))
            .find_map(|form| self.exact(&form))
    }

    /// `tag` through the vocabulary when it knows it, else as it is.
    pub fn canonical_or_self(&self, tag: &str) -> String {
        self.canonical(tag).unwrap_or(tag).to_owned()
    }

    fn exact(&self, tag: &str) -> Option<&str> {
        if let Some(topic) = self.topics.get(tag) {
            return Some(topic);
        }
        self.synonyms.get(tag).map(String::as_str)
    }

    /// Lays a user file's contents over this vocabulary; see the module docs.
    fn lay_over(&mut self, raw: RawVocabulary, origin: &str) -> Result<(), VocabError> {
        let invalid = |name: &str, reason| VocabError::Invalid {
            origin: origin.to_owned(),
            name: name.to_owned(),
            reason,
        };
        for name in &raw.remove {
            check_form(name).map_err(|reason| invalid(name, reason))?;
            if !self.topics.remove(name) {
                return Err(invalid(name, "is removed but is not a topic"));
            }
            self.synonyms.retain(|_, topic| topic != name);
        }
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (topic, synonyms) in &raw.topics {
            check_form(topic).map_err(|reason| invalid(topic, reason))?;
            for name in std::iter::once(topic).chain(synonyms) {
                check_form(name).map_err(|reason| invalid(name, reason))?;
                if seen.insert(name, topic).is_some() {
                    return Err(invalid(name, "is listed twice"));
                }
            }
        }
        for (topic, synonyms) in raw.topics {
            // A topic of this file is no one's synonym any more.
            self.synonyms.remove(&topic);
            self.topics.insert(topic.clone());
            for synonym in synonyms {
                // A synonym that was a topic hands its synonyms over.
                if self.topics.remove(&synonym) {
                    for target in self.synonyms.values_mut() {
                        if *target == synonym {
                            target.clone_from(&topic);
                        }
                    }
                }
                self.synonyms.insert(synonym, topic.clone());
            }
        }
        Ok(())
    }
}

/// Generated `tags` in the forms the user's library already uses, so that
/// a library keeps its own tagging habits. `existing` lists the library's
/// tags, most used first. A generated tag becomes the first existing tag
/// that is the same tag, a synonym of it in `vocabulary`, or very close to
/// it: its plural or singular, or one edit away when both have at least
/// [`CLOSE_MIN_CHARS`] characters (and the existing tag is not a different
/// topic of the vocabulary). Others stay as they are. No tag appears twice.
pub fn library_forms<'a>(
    vocabulary: &Vocabulary,
    tags: &[String],
    existing: impl IntoIterator<Item = &'a str> + Clone,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let topic = vocabulary.canonical(tag);
        let same = || existing.clone().into_iter().find(|e| *e == tag);
        let synonym = || {
            topic.and_then(|topic| {
                existing
                    .clone()
                    .into_iter()
                    .find(|e| vocabulary.canonical(e) == Some(topic))
            })
        };
        let close = || {
            existing.clone().into_iter().find(|e| {
                let other_topic = vocabulary.canonical(e).is_some_and(|t| Some(t) != topic);
                !other_topic && is_close(tag, e)
            })
        };
        let form = same()
            .or_else(synonym)
            .or_else(close)
            .map_or_else(|| tag.clone(), str::to_owned);
        if !out.contains(&form) {
            out.push(form);
        }
    }
    out
}

/// Shorter words are too often a different word one edit away (`date`,
/// `data`).
pub const CLOSE_MIN_CHARS: usize = 6;

/// Plural and singular of each other, or one edit apart on longer words.
fn is_close(a: &str, b: &str) -> bool {
    if singulars(a).iter().any(|s| s == b) || singulars(b).iter().any(|s| s == a) {
        return true;
    }
    a.chars().count() >= CLOSE_MIN_CHARS
        && b.chars().count() >= CLOSE_MIN_CHARS
        && one_edit_apart(a, b)
}

/// Exactly one insertion, deletion or substitution apart.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 || short == long {
        return false;
    }
    let prefix = short.iter().zip(&long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

/// The shipped vocabulary with `user_file` laid over it. A missing user
/// file is fine (it is optional); an unreadable or invalid one is an error
/// that names it.
pub fn load_vocabulary(user_file: Option<&Path>) -> Result<Vocabulary, VocabError> {
    let mut vocab = Vocabulary::embedded()?;
    let Some(path) = user_file else {
        return Ok(vocab);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(vocab),
        Err(source) => {
            return Err(VocabError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    let origin = path.display().to_string();
    vocab.lay_over(parse(&text, &origin)?, &origin)?;
    Ok(vocab)
}

fn parse(text: &str, origin: &str) -> Result<RawVocabulary, VocabError> {
    toml::from_str(text).map_err(|source| VocabError::Parse {
        origin: origin.to_owned(),
        source,
    })
}

/// A name must be a tag as snipdex stores it, so that lookups of normalised
/// tags can find it.
fn check_form(name: &str) -> Result<(), &'static str> {
    match normalize_tag(name) {
        Some(n) if n == name => Ok(()),
        _ => {
            Err("is not in tag form (lowercase, ASCII, words joined by `-`, at most 24 characters)")
        }
    }
}

/// Singular readings of a plural-looking tag, most likely first: `queries`
/// → `query`, `matches` → `match`, `dates` → `date`. Only the last word of
/// a hyphenated tag is changed (`unit-tests` → `unit-test`).
pub(crate) fn singulars(tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    if tag.len() < 4 || tag.ends_with("ss") {
        return out;
    }
    if let Some(stem) = tag.strip_suffix("ies") {
        out.push(format!("{stem}y"));
    }
    if let Some(stem) = tag.strip_suffix("es") {
        out.push(stem.to_owned());
    }
    if let Some(stem) = tag.strip_suffix('s') {
        out.push(stem.to_owned());
    }
    out
}

#[cfg(test)]
#[path = "vocab_tests.rs"]
mod tests;
