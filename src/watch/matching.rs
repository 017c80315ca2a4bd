//! Pairing a file's freshly read blocks with its stored snippets, so that
//! edits, reordering and moves keep each snippet's identity and metadata.

use super::sync::{Op, Orphans, Plan};
use crate::domain::{content_hash, FieldMetas, NewSnippet, Provenance, Snippet, Source};
use crate::ingest::Extracted;
use std::collections::HashMap;
use std::path::Path;

/// Pair the file's blocks with its stored snippets: identical content first
/// (preferring the same block), then the most similar content (an edited
/// block), then a claimable orphan with identical content; the rest is new.
/// Stored snippets left unpaired are deleted.
pub(crate) fn match_blocks(
    stored: Vec<Snippet>,
    blocks: Vec<Extracted>,
    path: &Path,
    orphans: &mut Orphans,
) -> Plan {
    let hashes: Vec<String> = blocks.iter().map(|b| content_hash(&b.content)).collect();
    let mut pair: Vec<Option<usize>> = vec![None; blocks.len()];
    let mut taken = vec![false; stored.len()];

    let mut by_hash: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, s) in stored.iter().enumerate() {
        by_hash.entry(s.content_hash.as_str()).or_default().push(j);
    }
    // Two rounds so a block never steals the same-content snippet that an
    // identical block at its own index would have kept.
    for same_block in [true, false] {
        for (i, b) in blocks.iter().enumerate() {
            if pair[i].is_some() {
                continue;
            }
            let Some(cands) = by_hash.get_mut(hashes[i].as_str()) else {
                continue;
            };
            let pos = cands
                .iter()
                .position(|&j| !same_block || block_of(&stored[j]) == b.block);
            if let Some(pos) = pos {
                let j = cands.remove(pos);
                pair[i] = Some(j);
                taken[j] = true;
            }
        }
    }
    // Edited blocks: pair by how much content they still share, best pairs
    // first, so that inserting a block above an edited one cannot hand the
    // edited block's title and tags to the newcomer (which pairing by block
    // index alone would do). A file with one block on each side is the same
    // snippet however much it changed.
    let sole = stored.len() == 1 && blocks.len() == 1;
    let mut scored: Vec<(f64, bool, usize, usize)> = Vec::new();
    for (i, b) in blocks.iter().enumerate() {
        if pair[i].is_some() {
            continue;
        }
        let words = word_set(&b.content);
        for (j, s) in stored.iter().enumerate() {
            if taken[j] {
                continue;
            }
            let score = jaccard(&words, &word_set(&s.content));
            if sole || score >= MIN_SIMILARITY {
                scored.push((score, block_of(s) == b.block, i, j));
            }
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    for (_, _, i, j) in scored {
        if pair[i].is_none() && !taken[j] {
            pair[i] = Some(j);
            taken[j] = true;
        }
    }

    let mut plan = Plan::default();
    for ((block, hash), paired) in blocks.into_iter().zip(hashes).zip(pair) {
        let source = Source::File {
            path: path.to_path_buf(),
            start_line: block.start_line,
            end_line: block.end_line,
            block: block.block,
        };
        let secrets: Vec<String> = block.secrets.iter().map(|k| k.id().to_owned()).collect();
        if let Some(j) = paired {
            let old = &stored[j];
            let same_content = old.content_hash == hash;
            if same_content && old.source == source && old.secrets == secrets {
                plan.change.unchanged += 1;
                continue;
            }
            // With the same content, a differing language was set by the
            // user; only new content is worth a new detection.
            let language = if same_content {
                old.language.clone()
            } else {
                block.language
            };
            plan.change.updated += 1;
            plan.ops.push(Op::Update {
                id: old.id,
                content: block.content,
                language,
                source,
                secrets,
            });
        } else if let Some(orphan) = orphans.claim(&hash) {
            tracing::debug!(from = %orphan.path.display(), to = %path.display(), "snippet followed its content");
            plan.change.moved += 1;
            plan.ops.push(Op::Update {
                id: orphan.id,
                content: block.content,
                language: block.language,
                source,
                secrets,
            });
        } else {
            plan.change.added += 1;
            plan.ops
                .push(Op::Insert(Box::new(new_snippet(block, source, secrets))));
        }
    }
    for (j, s) in stored.into_iter().enumerate() {
        if !taken[j] {
            plan.change.removed += 1;
            plan.ops.push(Op::Delete(s.id));
        }
    }
    plan
}

/// Share of words two versions of a block must have in common to count as
/// one block edited rather than one removed and another added.
const MIN_SIMILARITY: f64 = 0.3;

fn word_set(text: &str) -> std::collections::HashSet<&str> {
    text.split_whitespace().collect()
}

fn jaccard(a: &std::collections::HashSet<&str>, b: &std::collections::HashSet<&str>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

fn block_of(s: &Snippet) -> u32 {
    match s.source {
        Source::File { block, .. } => block,
        Source::Manual => u32::MAX,
    }
}

fn new_snippet(block: Extracted, source: Source, secrets: Vec<String>) -> NewSnippet {
    let mut meta = FieldMetas::default();
    // Markdown around a fence is the author's own words: a title and a
    // description the model need not write, but may improve (not locked).
    let title = block.heading.unwrap_or_default();
    if !title.trim().is_empty() {
        meta.title.provenance = Some(Provenance::Import);
    }
    let description = block.context.unwrap_or_default();
    if !description.trim().is_empty() {
        meta.description.provenance = Some(Provenance::Import);
    }
    NewSnippet {
        title,
        description,
        language: block.language,
        content: block.content,
        source: Some(source),
        meta,
        secrets,
        ..NewSnippet::default()
    }
}
