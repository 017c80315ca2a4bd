use super::*;
use crate::domain::{content_hash, FieldMetas, Source};
use crate::sync::doc::{Changed, Enrichment, Front, FORMAT};

fn model() -> FieldMeta {
    FieldMeta {
        provenance: Some(Provenance::Model {
            model: "m".into(),
            adapter: "a".into(),
            version: "1".into(),
        }),
        locked: false,
    }
}

fn user() -> FieldMeta {
    FieldMeta {
        provenance: Some(Provenance::User),
        locked: true,
    }
}

fn base() -> Doc {
    let meta = FieldMetas {
        title: model(),
        description: model(),
        tags: model(),
        ..FieldMetas::default()
    };
    let content = "echo hi\n";
    Doc {
        front: Front {
            format: FORMAT,
            uid: "u1".into(),
            deleted: false,
            deleted_at: None,
            title: "Print hi".into(),
            description: "Prints hi.".into(),
            tags: vec!["shell".into()],
            links: vec![],
            language: "bash".into(),
            created_at: 100,
            updated_at: 100,
            content_hash: content_hash(content),
            no_final_newline: false,
            enrichment: Enrichment::Current,
            share_secrets: false,
            source: Source::Manual,
            meta,
            changed: Changed {
                title: 100,
                description: 100,
                tags: 100,
                links: 100,
                language: 100,
                content: 100,
            },
            history: vec![],
        },
        content: content.into(),
    }
}

fn with_title(d: &Doc, title: &str, meta: FieldMeta, at: i64) -> Doc {
    let mut d = d.clone();
    d.front.title = title.into();
    d.front.meta.title = meta;
    d.front.changed.title = at;
    d
}

/// Both orders give the same document.
fn both_ways(b: &Doc, x: &Doc, y: &Doc) -> (Doc, Vec<Conflict>) {
    let (m1, c1) = merge(Some(b), x, y, 999);
    let (m2, _) = merge(Some(b), y, x, 999);
    assert_eq!(m1.render(), m2.render(), "merge is not symmetric");
    (m1, c1)
}

#[test]
fn different_fields_both_arrive_without_conflict() {
    let b = base();
    let ours = with_title(&b, "Say hi", user(), 200);
    let mut theirs = b.clone();
    theirs.front.tags = vec!["shell".into(), "echo".into()];
    theirs.front.changed.tags = 300;
    let (m, conflicts) = both_ways(&b, &ours, &theirs);
    assert_eq!(m.front.title, "Say hi");
    assert_eq!(m.front.tags, vec!["shell", "echo"]);
    assert!(conflicts.is_empty());
    assert!(m.front.history.is_empty());
}

#[test]
fn a_locked_value_beats_a_later_generated_one() {
    let b = base();
    let ours = with_title(&b, "My title", user(), 200);
    let theirs = with_title(&b, "Model title", model(), 500);
    let (m, conflicts) = both_ways(&b, &ours, &theirs);
    assert_eq!(m.front.title, "My title");
    assert!(m.front.meta.title.locked);
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].because, "locked");
    let h = &m.front.history;
    assert_eq!(h.len(), 1);
    assert_eq!(
        (h[0].field.as_str(), h[0].value.as_str()),
        ("title", "Model title")
    );
    assert_eq!(h[0].by, "model");
}

#[test]
fn between_equals_the_later_wins_and_the_loser_is_kept() {
    let b = base();
    let ours = with_title(&b, "Earlier", user(), 200);
    let theirs = with_title(&b, "Later", user(), 300);
    let (m, conflicts) = both_ways(&b, &ours, &theirs);
    assert_eq!(m.front.title, "Later");
    assert_eq!(conflicts[0].because, "later");
    assert_eq!(m.front.history[0].value, "Earlier");
    assert_eq!(m.front.history[0].changed_at, 200);
}

#[test]
fn content_conflicts_keep_the_losing_content() {
    let b = base();
    let mut ours = b.clone();
    ours.content = "echo one\n".into();
    ours.front.changed.content = 400;
    let mut theirs = b.clone();
    theirs.content = "echo two\n".into();
    theirs.front.changed.content = 300;
    let (m, _) = both_ways(&b, &ours, &theirs);
    assert_eq!(m.content, "echo one\n");
    assert_eq!(m.front.history[0].value, "echo two\n");
}

#[test]
fn a_deletion_loses_to_a_later_edit_and_wins_over_an_earlier_one() {
    let b = base();
    let mut dead = b.clone();
    dead.front.deleted = true;
    dead.front.deleted_at = Some(300);
    dead.content.clear();
    let edited_later = with_title(&b, "Still here", user(), 400);
    let (m, c) = both_ways(&b, &dead, &edited_later);
    assert!(!m.is_tombstone());
    assert_eq!(m.front.title, "Still here");
    assert_eq!(c[0].field, "deleted");
    assert!(m.front.history.iter().any(|h| h.field == "deleted"));
    let edited_earlier = with_title(&b, "Gone anyway", user(), 200);
    let (m, _) = both_ways(&b, &dead, &edited_earlier);
    assert!(m.is_tombstone());
    // Unchanged on the other side: the deletion simply wins.
    let (m, c) = both_ways(&b, &dead, &b);
    assert!(m.is_tombstone() && c.is_empty());
}

#[test]
fn histories_of_both_sides_are_kept_once() {
    let b = base();
    let mut ours = with_title(&b, "A", user(), 200);
    let mut theirs = with_title(&b, "B", user(), 300);
    let old = HistoryEntry {
        field: "tags".into(),
        value: "x".into(),
        by: "model".into(),
        changed_at: 1,
        lost_because: "later".into(),
        recorded_at: 2,
    };
    ours.front.history.push(old.clone());
    theirs.front.history.push(old.clone());
    let (m, _) = both_ways(&b, &ours, &theirs);
    assert_eq!(m.front.history.iter().filter(|h| **h == old).count(), 1);
    assert_eq!(m.front.history.len(), 2);
}

#[test]
fn a_lock_alone_is_a_change() {
    let b = base();
    let mut locked = b.clone();
    locked.front.meta.title.locked = true;
    locked.front.changed.title = 200;
    let (m, c) = both_ways(&b, &locked, &b);
    assert!(m.front.meta.title.locked);
    assert!(c.is_empty());
}
