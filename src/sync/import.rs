//! The remote's side: files that changed between two commits become rows,
//! through the write path ([`crate::intake`]).
//!
//! A row that did not change here since `from` takes the file as it is. A
//! row the user changed while the sync ran keeps those parts (they go out
//! with the next sync, as the later change) and takes the rest.

use super::doc::{Doc, Enrichment};
use super::export::{doc_hash, row_hash};
use super::git::Git;
use super::{Result, SyncReport, SNIPPETS_DIR};
use crate::domain::{content_hash, Field, NewSnippet, Snippet, SnippetId};
use crate::intake::{Intake, IntakeError};
use crate::store::{Store, StoreError, TOMBSTONE_WRITTEN};
use std::collections::HashMap;

/// Files under `snippets/` added or modified from `from` to `to` (every
/// file of `to` when `from` is `None`).
pub(crate) fn changed_files(git: &Git, from: Option<&str>, to: &str) -> Result<Vec<String>> {
    let spec = format!("{SNIPPETS_DIR}/");
    let raw = match from {
        None => git.run(["ls-tree", "-r", "-z", "--name-only", to, "--", &spec])?,
        Some(f) => git.run([
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--diff-filter=AMT",
            f,
            to,
            "--",
            &spec,
        ])?,
    };
    Ok(raw
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| uid_of_path(p).is_some())
        .collect())
}

pub(crate) fn uid_of_path(path: &str) -> Option<&str> {
    let name = path.strip_prefix(SNIPPETS_DIR)?.strip_prefix('/')?;
    super::doc::uid_of_file(name)
}

/// Many blobs at once through `git cat-file --batch`: `rev:path` for each
/// request, `None` where the path does not exist at that revision.
pub(crate) fn read_blobs(git: &Git, requests: &[String]) -> Result<Vec<Option<String>>> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let mut input = Vec::new();
    for r in requests {
        input.extend_from_slice(r.as_bytes());
        input.push(b'\n');
    }
    let out = git.with_input(["cat-file", "--batch"], input)?;
    let mut blobs = Vec::with_capacity(requests.len());
    let mut at = 0;
    while blobs.len() < requests.len() && at < out.len() {
        let end = out[at..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(out.len(), |p| at + p);
        let header = String::from_utf8_lossy(&out[at..end]).into_owned();
        at = end + 1;
        let size = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|_| !header.ends_with(" missing") && header.contains(" blob "));
        match size {
            Some(n) => {
                let body = out.get(at..at + n).unwrap_or_default();
                blobs.push(Some(String::from_utf8_lossy(body).into_owned()));
                at += n + 1;
            }
            None => blobs.push(None),
        }
    }
    blobs.resize(requests.len(), None);
    Ok(blobs)
}

/// A file's parts as the write path takes them.
fn fields_of(doc: &Doc) -> NewSnippet {
    let f = &doc.front;
    NewSnippet {
        title: f.title.clone(),
        description: f.description.clone(),
        tags: f.tags.clone(),
        links: f.links.clone(),
        language: f.language.clone(),
        content: doc.content.clone(),
        source: None,
        meta: f.meta.clone(),
        secrets: Vec::new(),
        created_at: Some(f.created_at),
        updated_at: Some(f.updated_at),
    }
}

/// Take `mine` (and, for the four enrichable fields, its owner) over the
/// received value when it moved away from `base`.
fn keep<T: Clone + PartialEq>(received: &mut T, mine: &T, base: &T, owner_moved: bool) -> bool {
    let keep = mine != base || owner_moved;
    if keep {
        *received = mine.clone();
    }
    keep
}

/// `fields` with the parts the user changed here since `base` put back.
fn keep_local(mut fields: NewSnippet, cur: &Snippet, base: Option<&Doc>) -> NewSnippet {
    let Some(b) = base.filter(|b| !b.is_tombstone()) else {
        return fields;
    };
    let bf = &b.front;
    for field in Field::ALL {
        let moved = cur.meta.get(field) != bf.meta.get(field);
        let kept = match field {
            Field::Title => keep(&mut fields.title, &cur.title, &bf.title, moved),
            Field::Description => keep(
                &mut fields.description,
                &cur.description,
                &bf.description,
                moved,
            ),
            Field::Tags => keep(&mut fields.tags, &cur.tags, &bf.tags, moved),
            Field::Links => keep(&mut fields.links, &cur.links, &bf.links, moved),
        };
        if kept {
            *fields.meta.get_mut(field) = cur.meta.get(field).clone();
        }
    }
    keep(&mut fields.language, &cur.language, &bf.language, false);
    keep(&mut fields.content, &cur.content, &b.content, false);
    fields.updated_at = fields.updated_at.max(Some(cur.updated_at));
    fields
}

/// Bring the library from `from` to `to` (the clone's checked-out HEAD,
/// whose files are read from the work tree) and record `to` as the new
/// base, in one transaction.
pub(crate) fn import(
    store: &Store,
    git: &Git,
    intake: &Intake,
    from: Option<&str>,
    to: &str,
    report: &mut SyncReport,
) -> Result<()> {
    let repo = git.repo().to_path_buf();
    let files = changed_files(git, from, to)?;
    let shared = store.shared_secrets()?;
    // The first import may meet snippets this library already has (the
    // samples, an earlier import on both machines): same content, no uid
    // yet. They are bound to the remote's file instead of doubled.
    let mut unbound: HashMap<String, Vec<SnippetId>> = HashMap::new();
    if from.is_none() && !files.is_empty() {
        let bound: std::collections::HashSet<SnippetId> = store
            .sync_rows()?
            .into_iter()
            .filter_map(|r| r.snippet_id)
            .collect();
        store.for_each(|s| {
            if !bound.contains(&s.id) {
                unbound
                    .entry(s.content_hash.clone())
                    .or_default()
                    .push(s.id);
            }
            Ok(())
        })?;
    }
    let mut parsed = Vec::with_capacity(files.len());
    for path in &files {
        let uid = uid_of_path(path).unwrap_or_default().to_string();
        let full = repo.join(path);
        let doc = std::fs::read_to_string(&full)
            .map_err(|e| e.to_string())
            .and_then(|t| Doc::parse(&t, Some(&uid)).map_err(|e| e.to_string()));
        match doc {
            Ok(d) => parsed.push((path.clone(), d)),
            Err(why) => report.refused.push((path.clone(), why)),
        }
    }
    // Rows changed here since `from` need the `from` version of their
    // file to tell which parts moved; fetch those in one batch.
    let mut local_changes: Vec<(usize, Snippet)> = Vec::new();
    for (i, (_, doc)) in parsed.iter().enumerate() {
        if let Some(row) = store.sync_row(&doc.front.uid)? {
            if let (Some(id), Some(hash)) = (row.snippet_id, row.row_hash.as_deref()) {
                if let Some(cur) = store.find(id)? {
                    if hash != row_hash(&cur, shared.contains(&id)) {
                        local_changes.push((i, cur));
                    }
                }
            }
        }
    }
    let bases: HashMap<usize, Doc> = match from {
        Some(f) if !local_changes.is_empty() => {
            let requests: Vec<String> = local_changes
                .iter()
                .map(|(i, _)| format!("{f}:{}", parsed[*i].0))
                .collect();
            read_blobs(git, &requests)?
                .into_iter()
                .zip(&local_changes)
                .filter_map(|(text, (i, _))| Some((*i, Doc::parse(&text?, None).ok()?)))
                .collect()
        }
        _ => HashMap::new(),
    };
    let mut local: HashMap<usize, Snippet> = local_changes.into_iter().collect();
    let mut refused = Vec::new();
    store.atomically(|st| {
        for (i, (path, doc)) in parsed.iter().enumerate() {
            let uid = doc.front.uid.as_str();
            let row = st.sync_row(uid)?;
            let here = row.as_ref().and_then(|r| r.snippet_id);
            let wants = doc.front.enrichment != Enrichment::Current;
            if doc.is_tombstone() {
                if let Some(id) = here {
                    if local.contains_key(&i) {
                        // Edited here meanwhile: the edit goes out next
                        // time and, being later, undoes the deletion.
                        continue;
                    }
                    st.delete(id)?;
                    report.received_deleted += 1;
                }
                st.sync_bind(uid, None, Some(TOMBSTONE_WRITTEN))?;
                continue;
            }
            let existing = match here {
                Some(id) => st.find(id)?,
                None => None,
            };
            match existing {
                Some(cur) => {
                    let fields = match local.remove(&i) {
                        Some(mine) => keep_local(fields_of(doc), &mine, bases.get(&i)),
                        None => fields_of(doc),
                    };
                    let content_moved = cur.content_hash != content_hash(&fields.content);
                    let queued = intake.receive_update(st, cur.id, fields, wants)?;
                    report.enrich_queued += usize::from(queued);
                    let after = st.get(cur.id)?;
                    if after != cur || content_moved {
                        report.received_changed += 1;
                    }
                    if doc.front.share_secrets {
                        st.set_share_secrets(cur.id, true)?;
                    }
                    st.sync_bind(uid, Some(cur.id), Some(&doc_hash(doc)))?;
                }
                None => {
                    let adopt = unbound
                        .get_mut(&doc.front.content_hash)
                        .and_then(|ids| ids.pop());
                    if let Some(id) = adopt {
                        // Ours stays as it is; its differences go out as
                        // this machine's changes.
                        st.sync_bind(uid, Some(id), Some(&doc_hash(doc)))?;
                        continue;
                    }
                    let new = fields_of(doc);
                    match intake.receive_new(st, new, wants) {
                        Ok(s) => {
                            report.received_new += 1;
                            report.enrich_queued += usize::from(wants && intake.enrich);
                            if doc.front.share_secrets {
                                st.set_share_secrets(s.id, true)?;
                            }
                            st.sync_bind(uid, Some(s.id), Some(&doc_hash(doc)))?;
                        }
                        Err(IntakeError::Refused(why)) => {
                            refused.push((path.clone(), why.to_string()));
                        }
                        Err(IntakeError::Store(e)) => return Err(e),
                    }
                }
            }
        }
        st.set_sync_state(super::key::BASE, to)?;
        Ok::<(), StoreError>(())
    })?;
    report.refused.extend(refused);
    Ok(())
}
