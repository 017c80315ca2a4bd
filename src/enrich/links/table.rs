//! The documentation table: names per ecosystem to official doc URLs.
//!
//! The TOML file has one table per ecosystem (`python`, `rust`, `node`, `npm`,
//! `web`, `js`, `go`, `c`, `posix`, `cpp`, `java`, `php`, `shell`, `postgresql`,
//! `sqlite`):
//!
//! ```toml
//! [python]
//! exact = { requests = "https://requests.readthedocs.io/en/latest/" }
//!
//! [[python.groups]]
//! template = "https://docs.python.org/3/library/{lower}.html"
//! names = ["os", "os.path", "json"]
//! ```
//!
//! A name is looked up by its longest prefix that the table knows (split at
//! `.`, `/` and `::`), so `os.path.join` finds `os.path` and `numpy.linalg`
//! finds `numpy`. Template placeholders are filled only with a listed name
//! (`{name}`, `{lower}`, `{path}` with separators as `/`, `{dashed}` with `_`
//! as `-`) and, for groups with a `member` kind, with the next segment after
//! it when that segment has the kind's strict shape (`{member}`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

/// A doc-link table that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The user's table exists but could not be read.
    #[error("cannot read doc-link table {path}")]
    Io {
        /// The table file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The table is not valid TOML of the expected shape.
    #[error("doc-link table {origin} is malformed")]
    Parse {
        /// Which table: a path, or "embedded".
        origin: String,
        /// The parser's message.
        #[source]
        source: toml::de::Error,
    },
    /// An entry would produce something other than an absolute https URL.
    #[error("doc-link table entry {ecosystem}.{entry}: {reason}")]
    Invalid {
        /// The ecosystem table.
        ecosystem: String,
        /// The name or template at fault.
        entry: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// The strict shape a group's member segment must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    /// A type name: `HashMap`, `IntersectionObserver`.
    Type,
    /// Any identifier except `prototype`: `all`, `fromEntries`.
    Ident,
}

impl MemberKind {
    fn accepts(self, segment: &str) -> bool {
        let mut chars = segment.chars();
        let Some(first) = chars.next() else {
            return false;
        };
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        match self {
            MemberKind::Type => first.is_ascii_uppercase() && rest_ok,
            MemberKind::Ident => {
                (first.is_ascii_alphabetic() || first == '_') && rest_ok && segment != "prototype"
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEcosystem {
    #[serde(default)]
    ignore_case: Option<bool>,
    /// Every entry is part of the language or its platform, not a library
    /// one installs (`node`, `web`, SQL keywords).
    #[serde(default)]
    standard: Option<bool>,
    #[serde(default)]
    exact: BTreeMap<String, String>,
    #[serde(default)]
    groups: Vec<RawGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    template: String,
    #[serde(default)]
    member: Option<MemberKind>,
    /// The group lists the language's standard library.
    #[serde(default)]
    standard: bool,
    names: Vec<String>,
}

#[derive(Debug, Clone)]
struct Group {
    template: String,
    member: Option<MemberKind>,
    standard: bool,
    names: HashSet<String>,
}

#[derive(Debug, Clone, Default)]
struct Ecosystem {
    ignore_case: bool,
    standard: bool,
    exact: BTreeMap<String, Url>,
    groups: Vec<Group>,
    /// Names given an empty URL: in a user file, they remove a default entry.
    removed: Vec<String>,
}

impl Ecosystem {
    /// Upper-cases every key of a case-insensitive ecosystem (SQL keywords).
    fn normalize_keys(&mut self) {
        if !self.ignore_case {
            return;
        }
        let exact = std::mem::take(&mut self.exact);
        self.exact = exact
            .into_iter()
            .map(|(name, url)| (name.to_ascii_uppercase(), url))
            .collect();
        for group in &mut self.groups {
            let names = std::mem::take(&mut group.names);
            group.names = names.iter().map(|n| n.to_ascii_uppercase()).collect();
        }
        for name in &mut self.removed {
            *name = name.to_ascii_uppercase();
        }
    }
}

/// Names to documentation URLs, per ecosystem.
#[derive(Debug, Clone, Default)]
pub struct LinkTable {
    ecosystems: BTreeMap<String, Ecosystem>,
}

const EMBEDDED: &str = include_str!("../../../assets/doclinks.toml");

impl LinkTable {
    /// The table shipped in `assets/doclinks.toml`.
    pub fn embedded() -> Result<Self, TableError> {
        Self::from_toml(EMBEDDED, "embedded")
    }

    /// Parses and validates a table; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, TableError> {
        let raw: BTreeMap<String, RawEcosystem> =
            toml::from_str(text).map_err(|source| TableError::Parse {
                origin: origin.to_owned(),
                source,
            })?;
        let mut table = LinkTable::default();
        for (id, raw) in raw {
            table.add(id, raw)?;
        }
        Ok(table)
    }

    /// Lays `other` over `self`: its exact entries replace or add to ours (an
    /// empty URL in the user file removes one), and its groups are tried
    /// before ours.
    pub fn merge(&mut self, other: LinkTable) {
        for (id, theirs) in other.ecosystems {
            let mut theirs = theirs;
            let ours = self.ecosystems.entry(id).or_default();
            ours.ignore_case |= theirs.ignore_case;
            theirs.ignore_case = ours.ignore_case;
            ours.standard |= theirs.standard;
            ours.normalize_keys();
            theirs.normalize_keys();
            for name in &theirs.removed {
                ours.exact.remove(name);
            }
            ours.exact.extend(theirs.exact);
            let mut groups = theirs.groups;
            groups.append(&mut ours.groups);
            ours.groups = groups;
        }
    }

    fn add(&mut self, id: String, raw: RawEcosystem) -> Result<(), TableError> {
        let invalid = |entry: &str, reason| TableError::Invalid {
            ecosystem: id.clone(),
            entry: entry.to_owned(),
            reason,
        };
        let mut eco = Ecosystem {
            ignore_case: raw.ignore_case.unwrap_or(false),
            standard: raw.standard.unwrap_or(false),
            ..Ecosystem::default()
        };
        for (name, url) in raw.exact {
            if !is_table_name(&name) {
                return Err(invalid(&name, "is not a plain module or API name"));
            }
            if url.is_empty() {
                eco.removed.push(name);
                continue;
            }
            let url = parse_https(&url).ok_or_else(|| invalid(&name, "is not an https URL"))?;
            eco.exact.insert(name, url);
        }
        for group in raw.groups {
            if let Some(bad) = group.names.iter().find(|name| !is_table_name(name)) {
                return Err(invalid(bad, "is not a plain module or API name"));
            }
            let member = group.member.map(|_| "Member");
            if fill(&group.template, "sample_name", member).is_none() {
                return Err(invalid(
                    &group.template,
                    "does not make an https URL (or its {member} does not match `member`)",
                ));
            }
            eco.groups.push(Group {
                template: group.template,
                member: group.member,
                standard: group.standard,
                names: group.names.into_iter().collect(),
            });
        }
        eco.normalize_keys();
        self.ecosystems.insert(id, eco);
        Ok(())
    }

    /// The URL for `name` in `ecosystem`, by longest known prefix. A group's
    /// member segment must also pass `member_ok`.
    pub fn lookup(
        &self,
        ecosystem: &str,
        name: &str,
        member_ok: &dyn Fn(&str) -> bool,
    ) -> Option<Url> {
        self.find(ecosystem, name, member_ok).map(|found| found.url)
    }

    /// Like [`LinkTable::lookup`], with the entry that matched.
    pub(super) fn find(
        &self,
        ecosystem: &str,
        name: &str,
        member_ok: &dyn Fn(&str) -> bool,
    ) -> Option<Found> {
        let eco = self.ecosystems.get(ecosystem)?;
        let name = if eco.ignore_case {
            name.to_ascii_uppercase()
        } else {
            name.to_owned()
        };
        for (prefix, rest) in prefixes(&name) {
            let found = |url: Url, standard: bool| Found {
                url,
                key: prefix.to_owned(),
                standard: standard || eco.standard,
            };
            if let Some(url) = eco.exact.get(prefix) {
                return Some(found(url.clone(), false));
            }
            let member = first_segment(rest);
            for group in eco.groups.iter().filter(|g| g.names.contains(prefix)) {
                let url = match group.member {
                    None => fill(&group.template, prefix, None),
                    Some(kind) if kind.accepts(member) && member_ok(member) => {
                        fill(&group.template, prefix, Some(member))
                    }
                    Some(_) => None,
                };
                if let Some(url) = url {
                    return Some(found(url, group.standard));
                }
            }
        }
        None
    }
}

/// A table entry that matched a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    pub(super) url: Url,
    /// The listed name (`os.path` for `os.path.join`).
    pub(super) key: String,
    /// Whether the entry belongs to the language's standard library or
    /// platform rather than to a library one installs.
    pub(super) standard: bool,
}

impl LinkTable {
    /// Whether `ecosystem` lists keywords (SQL) rather than libraries.
    pub(super) fn is_keywords(&self, ecosystem: &str) -> bool {
        self.ecosystems
            .get(ecosystem)
            .is_some_and(|e| e.ignore_case)
    }

    /// Every listed name of a library or module as a tag (see
    /// [`library_tag`]); SQL keywords (case-insensitive ecosystems) are not
    /// libraries.
    pub fn library_tags(&self) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        for (id, eco) in self.ecosystems.iter().filter(|(_, e)| !e.ignore_case) {
            let names = eco
                .exact
                .keys()
                .chain(eco.groups.iter().flat_map(|g| g.names.iter()));
            out.extend(names.filter_map(|name| library_tag(id, name)));
        }
        out
    }
}

/// The tag a library is known by, from its table name: `serde_json` →
/// `serde-json`, `os.path` → `os`, `github.com/go-chi/chi/v5` → `chi`,
/// `@tanstack/react-query` → `react-query`, `git.commit` → `git`.
pub(crate) fn library_tag(ecosystem: &str, name: &str) -> Option<String> {
    let name = name.trim_start_matches('.');
    let base = match ecosystem {
        "go" => name
            .rsplit('/')
            .find(|seg| !is_version(seg))
            .map(|seg| seg.split(".v").next().unwrap_or(seg))
            .unwrap_or(name),
        "npm" => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, "core")) => scope,
            Some((_, package)) => package,
            None => name,
        },
        _ => name.split(['.', '/', ':']).next().unwrap_or(name),
    };
    crate::enrich::normalize_tag(base)
}

/// `v5` in `github.com/jackc/pgx/v5`.
fn is_version(segment: &str) -> bool {
    segment
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// The embedded table with `user_file` laid over it. A missing user file is
/// not an error: it is optional.
pub fn load_table(user_file: Option<&Path>) -> Result<LinkTable, TableError> {
    let mut table = LinkTable::embedded()?;
    let Some(path) = user_file else {
        return Ok(table);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(table),
        Err(source) => {
            return Err(TableError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    table.merge(LinkTable::from_toml(&text, &path.display().to_string())?);
    Ok(table)
}

/// Module paths, API names, headers and SQL keywords: no URL syntax, so a
/// listed name cannot smuggle a query string or another host into a template.
fn is_table_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.:/@+- ".contains(c))
        && !name.contains("//")
        && !name.starts_with(['/', ' '])
}

/// `a.b::c/d` → (`a.b::c/d`, ""), (`a.b::c`, "d"), (`a.b`, "c/d"), (`a`, "b::c/d").
fn prefixes(name: &str) -> Vec<(&str, &str)> {
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if name[i..].starts_with("::") {
            cuts.push((i, i + 2));
            i += 2;
            continue;
        }
        if matches!(bytes[i], b'.' | b'/') {
            cuts.push((i, i + 1));
        }
        i += 1;
    }
    let mut out = vec![(name, "")];
    for (end, rest_start) in cuts.into_iter().rev() {
        out.push((&name[..end], &name[rest_start..]));
    }
    out
}

fn first_segment(rest: &str) -> &str {
    let end = rest
        .char_indices()
        .find(|&(i, c)| c == '.' || c == '/' || rest[i..].starts_with("::"))
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

/// Fills a template; `None` unless the result is an absolute https URL and
/// the template uses `{member}` exactly when a member is given.
fn fill(template: &str, name: &str, member: Option<&str>) -> Option<Url> {
    if template.contains("{member}") != member.is_some() {
        return None;
    }
    let path = name.replace("::", "/").replace('.', "/");
    let url = template
        .replace("{name}", name)
        .replace("{lower}", &name.to_lowercase())
        .replace("{path}", &path)
        .replace("{dashed}", &name.replace('_', "-"))
        .replace("{member}", member.unwrap_or(""));
    if url.contains(['{', '}', ' ']) {
        return None;
    }
    parse_https(&url)
}

/// An absolute https URL with a host, or `None`.
pub(crate) fn parse_https(text: &str) -> Option<Url> {
    let url = Url::parse(text).ok()?;
    (url.scheme() == "https" && url.host_str().is_some_and(|h| h.contains('.'))).then_some(url)
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
