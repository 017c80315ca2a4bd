//! This machine's side: which rows changed since they last agreed with the
//! repository, and their files.
//!
//! A row is compared by a hash of its synced parts (`row_hash`), so a sync
//! that has nothing to send reads the table once and writes nothing; only
//! changed rows are rendered and compared with their file.

use super::doc::{Changed, Doc, Enrichment, Front, FORMAT};
use super::{Result, SyncError, SNIPPETS_DIR};
use crate::domain::{content_hash, FieldMetas, Provenance, Snippet, SnippetId};
use crate::store::{Store, TOMBSTONE_WRITTEN};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The synced parts of a row, hashed the same way from a row or a file.
#[allow(clippy::too_many_arguments)]
fn hash_parts(
    title: &str,
    description: &str,
    tags: &[String],
    links: &[String],
    language: &str,
    content_hash: &str,
    meta: &FieldMetas,
    share: bool,
) -> String {
    let text = serde_json::to_string(&(
        title,
        description,
        tags,
        links,
        language,
        content_hash,
        meta,
        share,
    ))
    .unwrap_or_default();
    blake3::hash(text.as_bytes()).to_hex()[..32].to_string()
}

pub(crate) fn row_hash(s: &Snippet, share: bool) -> String {
    hash_parts(
        &s.title,
        &s.description,
        &s.tags,
        &s.links,
        &s.language,
        &s.content_hash,
        &s.meta,
        share,
    )
}

pub(crate) fn doc_hash(d: &Doc) -> String {
    let f = &d.front;
    hash_parts(
        &f.title,
        &f.description,
        &f.tags,
        &f.links,
        &f.language,
        &content_hash(&d.content),
        &f.meta,
        f.share_secrets,
    )
}

/// A new uid: 16 hex digits from the time, the process, the row and a
/// counter, so two machines never give out the same one.
pub(crate) fn new_uid(id: SnippetId) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let seed = format!(
        "{nanos}:{}:{id}:{n}:{}",
        std::process::id(),
        super::setup::hostname()
    );
    blake3::hash(seed.as_bytes()).to_hex()[..16].to_string()
}

pub(crate) fn file_of(repo: &Path, uid: &str) -> PathBuf {
    repo.join(SNIPPETS_DIR).join(format!("{uid}.md"))
}

/// The document for a row, with per-part times carried over from its
/// previous file where the part did not change, and stamped where it did:
/// with the row's own update time when the user edited it since (edits
/// bump it), else with `now` (the model's writes and lock changes do not).
pub(crate) fn doc_of(
    s: &Snippet,
    uid: &str,
    prev: Option<&Doc>,
    now: i64,
    job_pending: bool,
    share: bool,
) -> Doc {
    let generated = crate::domain::Field::ALL
        .iter()
        .any(|f| matches!(s.meta.get(*f).provenance, Some(Provenance::Model { .. })));
    let enrichment = if job_pending {
        Enrichment::Pending
    } else if generated {
        Enrichment::Current
    } else {
        Enrichment::None
    };
    let prev = prev.filter(|p| !p.is_tombstone());
    let stamp = match prev {
        Some(p) if s.updated_at <= p.front.updated_at => now.max(p.front.updated_at),
        _ => s.updated_at,
    };
    let mut doc = Doc {
        front: Front {
            format: FORMAT,
            uid: uid.to_string(),
            deleted: false,
            deleted_at: None,
            title: s.title.clone(),
            description: s.description.clone(),
            tags: s.tags.clone(),
            links: s.links.clone(),
            language: s.language.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            content_hash: s.content_hash.clone(),
            no_final_newline: !s.content.ends_with('\n'),
            enrichment,
            share_secrets: share,
            source: s.source.clone(),
            meta: s.meta.clone(),
            changed: Changed::default(),
            history: Vec::new(),
        },
        content: s.content.clone(),
    };
    let c = &mut doc.front.changed;
    match prev {
        None => {
            let t = s.updated_at;
            *c = Changed {
                title: t,
                description: t,
                tags: t,
                links: t,
                language: t,
                content: t,
            };
        }
        Some(p) => {
            let pf = &p.front;
            let keep = |same: bool, old: i64| if same { old } else { stamp };
            let m = |f: crate::domain::Field| s.meta.get(f) == pf.meta.get(f);
            use crate::domain::Field as F;
            c.title = keep(s.title == pf.title && m(F::Title), pf.changed.title);
            c.description = keep(
                s.description == pf.description && m(F::Description),
                pf.changed.description,
            );
            c.tags = keep(s.tags == pf.tags && m(F::Tags), pf.changed.tags);
            c.links = keep(s.links == pf.links && m(F::Links), pf.changed.links);
            c.language = keep(s.language == pf.language, pf.changed.language);
            c.content = keep(s.content == p.content, pf.changed.content);
            doc.front.history = pf.history.clone();
            doc.front.created_at = doc.front.created_at.min(pf.created_at);
        }
    }
    doc
}

/// A tombstone for a snippet deleted here, keeping its file's history.
fn tombstone(uid: &str, prev: &Doc, now: i64) -> Doc {
    let mut front = prev.front.clone();
    front.uid = uid.to_string();
    front.deleted = true;
    front.deleted_at = Some(now.max(prev.front.updated_at));
    front.title.clear();
    front.description.clear();
    front.tags.clear();
    front.links.clear();
    front.content_hash.clear();
    front.no_final_newline = false;
    front.share_secrets = false;
    front.meta = FieldMetas::default();
    Doc {
        front,
        content: String::new(),
    }
}

/// What changed here since the rows last agreed with the repository.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Rows to write, with their uid when they have one.
    pub changed: Vec<(Snippet, Option<String>)>,
    /// uids of snippets deleted here whose tombstone is not written yet.
    pub deleted: Vec<String>,
    pub held_back: usize,
    pub shared: HashSet<SnippetId>,
}

pub(crate) fn plan(store: &Store, include_secrets: bool) -> Result<Plan> {
    let mut by_id: HashMap<SnippetId, (String, Option<String>)> = HashMap::new();
    let mut deleted = Vec::new();
    for row in store.sync_rows()? {
        match row.snippet_id {
            Some(id) => {
                by_id.insert(id, (row.uid, row.row_hash));
            }
            None if row.row_hash.as_deref() != Some(TOMBSTONE_WRITTEN) => deleted.push(row.uid),
            None => {}
        }
    }
    let shared = store.shared_secrets()?;
    let mut plan = Plan {
        deleted,
        ..Plan::default()
    };
    store.for_each(|s| {
        let share = shared.contains(&s.id);
        if s.has_secrets() && !include_secrets && !share {
            plan.held_back += 1;
            return Ok(());
        }
        let known = by_id.remove(&s.id);
        let agreed = known
            .as_ref()
            .and_then(|(_, h)| h.as_deref())
            .is_some_and(|h| h == row_hash(&s, share));
        if !agreed {
            plan.changed.push((s, known.map(|(uid, _)| uid)));
        }
        Ok(())
    })?;
    plan.shared = shared;
    Ok(plan)
}

/// What writing a plan did.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// (uid, row hash, or [`TOMBSTONE_WRITTEN`]) to record once committed.
    pub agreed: Vec<(String, String)>,
    pub new: usize,
    pub changed: usize,
    pub deleted: usize,
}

/// Give uids to new rows (recorded before any file names them, so a kill
/// cannot leave a committed file whose uid this library forgot), then
/// write every file whose text changed.
pub(crate) fn write(store: &Store, repo: &Path, plan: Plan, now: i64) -> Result<Written> {
    let mut rows = plan.changed;
    store.atomically(|st| {
        for (s, uid) in rows.iter_mut().filter(|(_, u)| u.is_none()) {
            let fresh = new_uid(s.id);
            st.sync_bind(&fresh, Some(s.id), None)?;
            *uid = Some(fresh);
        }
        Ok(())
    })?;
    let dir = repo.join(SNIPPETS_DIR);
    std::fs::create_dir_all(&dir).map_err(SyncError::io(&dir))?;
    let jobs = store.job_ids()?;
    let mut out = Written::default();
    for (s, uid) in rows {
        let uid = uid.unwrap_or_default();
        let path = file_of(repo, &uid);
        let old_text = std::fs::read_to_string(&path).ok();
        let prev = old_text
            .as_deref()
            .and_then(|t| Doc::parse(t, Some(&uid)).ok());
        let share = plan.shared.contains(&s.id);
        let doc = doc_of(&s, &uid, prev.as_ref(), now, jobs.contains(&s.id), share);
        let text = doc.render();
        if old_text.as_deref() != Some(text.as_str()) {
            write_file(&path, &text)?;
            match prev {
                Some(p) if !p.is_tombstone() => out.changed += 1,
                _ => out.new += 1,
            }
        }
        out.agreed.push((uid, row_hash(&s, share)));
    }
    for uid in plan.deleted {
        let path = file_of(repo, &uid);
        let old_text = std::fs::read_to_string(&path).ok();
        let prev = old_text
            .as_deref()
            .and_then(|t| Doc::parse(t, Some(&uid)).ok());
        if let Some(p) = prev.filter(|p| !p.is_tombstone()) {
            write_file(&path, &tombstone(&uid, &p, now).render())?;
            out.deleted += 1;
        }
        out.agreed.push((uid, TOMBSTONE_WRITTEN.to_string()));
    }
    Ok(out)
}

/// Write through a temporary file and a rename: a kill never leaves half
/// a file for git to commit.
pub(crate) fn write_file(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail = SyncError::io(path);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(SyncError::io(dir))?;
    tmp.write_all(text.as_bytes())
        .map_err(SyncError::io(path))?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}
