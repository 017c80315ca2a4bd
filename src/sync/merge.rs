//! Merging fields, not files: when both machines changed one snippet since
//! their common version, each part is decided on its own.
//!
//! - A part only one side changed takes that side's value.
//! - Both changed one of the four enrichable fields: a user-locked value
//!   beats one that is not (the model never overwrites what the user wrote,
//!   on this machine or another).
//! - Otherwise the later change wins (ties go to the greater value, so both
//!   machines pick the same one), and the loser goes into the snippet's
//!   `history`, so nothing is silently dropped.
//! - A deletion against an edit: the later of the two wins; an edit that
//!   undoes a deletion notes the deletion in the history.
//!
//! The function is pure and symmetric: merging (a, b) and (b, a) gives the
//! same document, so two machines that merge the same pair agree.

use super::doc::{Doc, Front, HistoryEntry};
use crate::domain::{Field, FieldMeta, Provenance};

/// A part decided against one side, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub uid: String,
    /// The snippet's title after the merge, to name it to the user.
    pub title: String,
    pub field: String,
    pub kept: String,
    pub lost: String,
    pub because: &'static str,
}

/// One side's version of one part: comparable value plus who wrote it.
#[derive(Debug, Clone, PartialEq)]
struct Part {
    value: String,
    meta: FieldMeta,
    at: i64,
}

const PARTS: [&str; 6] = [
    "title",
    "description",
    "tags",
    "links",
    "language",
    "content",
];

fn field_of(name: &str) -> Option<Field> {
    Field::ALL.into_iter().find(|f| f.name() == name)
}

fn part(doc: &Doc, name: &str) -> Part {
    let f = &doc.front;
    let (value, at) = match name {
        "title" => (f.title.clone(), f.changed.title),
        "description" => (f.description.clone(), f.changed.description),
        "tags" => (f.tags.join("\n"), f.changed.tags),
        "links" => (f.links.join("\n"), f.changed.links),
        "language" => (f.language.clone(), f.changed.language),
        _ => (doc.content.clone(), f.changed.content),
    };
    let meta = field_of(name)
        .map(|fl| f.meta.get(fl).clone())
        .unwrap_or_default();
    Part { value, meta, at }
}

fn set_part(doc: &mut Doc, from: &Doc, name: &str) {
    let src = &from.front;
    let f = &mut doc.front;
    match name {
        "title" => (f.title, f.changed.title) = (src.title.clone(), src.changed.title),
        "description" => {
            (f.description, f.changed.description) =
                (src.description.clone(), src.changed.description)
        }
        "tags" => (f.tags, f.changed.tags) = (src.tags.clone(), src.changed.tags),
        "links" => (f.links, f.changed.links) = (src.links.clone(), src.changed.links),
        "language" => {
            (f.language, f.changed.language) = (src.language.clone(), src.changed.language)
        }
        _ => {
            doc.content = from.content.clone();
            f.content_hash = src.content_hash.clone();
            f.no_final_newline = src.no_final_newline;
            f.changed.content = src.changed.content;
            f.enrichment = src.enrichment;
        }
    }
    if let Some(fl) = field_of(name) {
        *f.meta.get_mut(fl) = src.meta.get(fl).clone();
    }
}

/// Same value and same owner; the time alone is no change.
fn same(a: &Part, b: &Part) -> bool {
    a.value == b.value && a.meta == b.meta
}

fn who(meta: &FieldMeta) -> String {
    match &meta.provenance {
        None => "nobody".into(),
        Some(Provenance::User) => "user".into(),
        Some(Provenance::Import) => "import".into(),
        Some(Provenance::Model { .. }) => "model".into(),
    }
}

/// Which of two changed values wins: (a wins?, reason).
fn a_wins(name: &str, a: &Part, b: &Part) -> (bool, &'static str) {
    if field_of(name).is_some() && a.meta.locked != b.meta.locked {
        return (a.meta.locked, "locked");
    }
    if a.at != b.at {
        return (a.at > b.at, "later");
    }
    // Same instant: any fixed order will do, as long as both machines use
    // the same one.
    (
        (a.value.as_str(), a.meta.locked) > (b.value.as_str(), b.meta.locked),
        "later",
    )
}

/// The latest change time of any part of a live document.
fn last_change(doc: &Doc) -> i64 {
    let c = &doc.front.changed;
    [
        c.title,
        c.description,
        c.tags,
        c.links,
        c.language,
        c.content,
    ]
    .into_iter()
    .max()
    .unwrap_or(0)
    .max(doc.front.updated_at)
}

/// Merge `ours` and `theirs`, both descended from `base` (`None` when the
/// snippet was new on both sides, which uids make all but impossible).
pub fn merge(base: Option<&Doc>, ours: &Doc, theirs: &Doc, now: i64) -> (Doc, Vec<Conflict>) {
    let mut conflicts = Vec::new();
    let history = merged_history(&ours.front, &theirs.front);
    // Deletions first: they decide whether there is anything to merge.
    match (ours.is_tombstone(), theirs.is_tombstone()) {
        (true, true) => {
            let mut d = ours.clone();
            d.front.deleted_at = min_some(ours.front.deleted_at, theirs.front.deleted_at);
            d.front.history = history;
            tidy(&mut d.front.history);
            return (d, conflicts);
        }
        (true, false) | (false, true) => {
            let (dead, live) = if ours.is_tombstone() {
                (ours, theirs)
            } else {
                (theirs, ours)
            };
            let edited = base.is_none_or(|b| b.is_tombstone() || !same_doc(b, live));
            let deleted_at = dead.front.deleted_at.unwrap_or(0);
            let mut d = if edited && last_change(live) > deleted_at {
                let mut d = live.clone();
                d.front.history = history;
                d.front.history.push(HistoryEntry {
                    field: "deleted".into(),
                    value: String::new(),
                    by: "user".into(),
                    changed_at: deleted_at,
                    lost_because: "later".into(),
                    recorded_at: now,
                });
                conflicts.push(Conflict {
                    uid: live.front.uid.clone(),
                    title: live.front.title.clone(),
                    field: "deleted".into(),
                    kept: "the later edit".into(),
                    lost: "the deletion".into(),
                    because: "later",
                });
                d
            } else {
                let mut d = dead.clone();
                d.front.history = history;
                d
            };
            tidy(&mut d.front.history);
            return (d, conflicts);
        }
        (false, false) => {}
    }
    let mut out = ours.clone();
    let base = base.filter(|b| !b.is_tombstone());
    let mut lost = Vec::new();
    for name in PARTS {
        let (a, b) = (part(ours, name), part(theirs, name));
        if same(&a, &b) {
            // Same value: keep the earlier time, which is when it happened.
            if b.at < a.at {
                set_part(&mut out, theirs, name);
            }
            continue;
        }
        match base.map(|b| part(b, name)) {
            Some(p) if same(&p, &a) => set_part(&mut out, theirs, name),
            Some(p) if same(&p, &b) => {}
            _ => {
                let (a_won, because) = a_wins(name, &a, &b);
                let (winner, loser) = if a_won { (&a, &b) } else { (&b, &a) };
                if !a_won {
                    set_part(&mut out, theirs, name);
                }
                lost.push(HistoryEntry {
                    field: name.to_string(),
                    value: loser.value.clone(),
                    by: who(&loser.meta),
                    changed_at: loser.at,
                    lost_because: because.into(),
                    recorded_at: winner.at.max(loser.at),
                });
                conflicts.push(Conflict {
                    uid: ours.front.uid.clone(),
                    title: String::new(),
                    field: name.to_string(),
                    kept: winner.value.clone(),
                    lost: loser.value.clone(),
                    because,
                });
            }
        }
    }
    if ours.content == theirs.content {
        out.front.enrichment = ours.front.enrichment.max(theirs.front.enrichment);
    }
    for c in &mut conflicts {
        c.title = out.front.title.clone();
    }
    let f = &mut out.front;
    f.history = history;
    f.history.extend(lost);
    tidy(&mut f.history);
    f.created_at = ours.front.created_at.min(theirs.front.created_at);
    f.updated_at = ours.front.updated_at.max(theirs.front.updated_at);
    f.share_secrets = ours.front.share_secrets || theirs.front.share_secrets;
    (out, conflicts)
}

/// One order for every machine, each entry once.
fn tidy(history: &mut Vec<HistoryEntry>) {
    history.sort();
    history.dedup();
}

fn min_some(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Whether two live documents hold the same values (times aside).
fn same_doc(a: &Doc, b: &Doc) -> bool {
    PARTS.iter().all(|n| same(&part(a, n), &part(b, n)))
}

/// Both sides' histories, each entry once.
fn merged_history(a: &Front, b: &Front) -> Vec<HistoryEntry> {
    let mut h = a.history.clone();
    for e in &b.history {
        if !h.contains(e) {
            h.push(e.clone());
        }
    }
    h
}

#[cfg(test)]
mod tests;
