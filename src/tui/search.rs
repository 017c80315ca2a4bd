//! Search as you type: BM25 hits from the tantivy index merged with
//! fzf-style fuzzy matches over the in-memory summaries, so that both
//! "read file" and "rdfl" find "Read a file to string".

use crate::app::matching::Terms;
use crate::app::AppEvent;
use crate::domain::SnippetId;
use crate::index::{parse_query, Hit, ParsedQuery, SearchIndex};
use crate::store::SnippetSummary;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

/// Most hits asked of the index, and most results shown for a query.
pub const SEARCH_LIMIT: usize = 1000;

/// One query for the search worker, with the library it ranks.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub summaries: Arc<Vec<SnippetSummary>>,
}

fn has_filters(q: &ParsedQuery) -> bool {
    !(q.tags.is_empty()
        && q.not_tags.is_empty()
        && q.langs.is_empty()
        && q.not_langs.is_empty()
        && q.paths.is_empty())
}

/// A tag filter means the tag itself where some snippet has it, else the
/// tags that start with it, as in the index.
fn tag_matches(filter: &str, tags: &[String], known: &HashSet<String>) -> bool {
    if known.contains(filter) {
        tags.iter().any(|t| t == filter)
    } else {
        tags.iter().any(|t| t.starts_with(filter))
    }
}

fn passes_filters(q: &ParsedQuery, s: &SnippetSummary, known: &HashSet<String>) -> bool {
    // Ingest stores canonical language ids, and `parse_query` maps the
    // query's spellings to the same ids.
    let lang = s.language.to_lowercase();
    let path = s
        .path
        .as_ref()
        .map(|p| p.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    q.tags.iter().all(|t| tag_matches(t, &s.tags, known))
        && !q.not_tags.iter().any(|t| s.tags.contains(t))
        && (q.langs.is_empty() || q.langs.contains(&lang))
        && !q.not_langs.contains(&lang)
        && q.paths.iter().all(|p| path.contains(&p.to_lowercase()))
}

/// What fuzzy matching reads of each summary (title, tags, path), built
/// once per library rather than once per keystroke.
pub struct Prepared {
    summaries: Arc<Vec<SnippetSummary>>,
    haystacks: Vec<Utf32String>,
    /// The same text, for the word rule of [`crate::app::matching`].
    plain: Vec<String>,
    /// Every tag in the library, for `tag:` prefix filters.
    tags: HashSet<String>,
    position: HashMap<SnippetId, usize>,
}

impl Prepared {
    pub fn new(summaries: Arc<Vec<SnippetSummary>>) -> Prepared {
        let plain: Vec<String> = summaries
            .iter()
            .map(|s| {
                let mut h = s.title.clone();
                for t in &s.tags {
                    h.push(' ');
                    h.push_str(t);
                }
                if let Some(p) = &s.path {
                    h.push(' ');
                    h.push_str(&p.to_string_lossy());
                }
                h
            })
            .collect();
        let haystacks = plain
            .iter()
            .map(|h| Utf32String::from(h.as_str()))
            .collect();
        let position = summaries
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        let tags = summaries
            .iter()
            .flat_map(|s| s.tags.iter().cloned())
            .collect();
        Prepared {
            summaries,
            haystacks,
            plain,
            tags,
            position,
        }
    }

    fn is_for(&self, summaries: &Arc<Vec<SnippetSummary>>) -> bool {
        Arc::ptr_eq(&self.summaries, summaries)
    }
}

/// Merge index hits and fuzzy matches into one ranking. Each source's
/// scores are scaled to 0..=1 by its best score and summed, so a snippet
/// that both find comes first; ties go to the newer snippet.
pub fn rank(query: &str, bm25: &[Hit], lib: &Prepared, matcher: &mut Matcher) -> Vec<SnippetId> {
    let parsed = parse_query(query);
    let filtered = has_filters(&parsed);
    let passes = |s: &SnippetSummary| !filtered || passes_filters(&parsed, s, &lib.tags);
    let mut free: Vec<&str> = parsed.words.iter().map(String::as_str).collect();
    free.extend(parsed.phrases.iter().map(String::as_str));
    if free.is_empty() {
        // Filters alone: newest first, with no limit to hide anything.
        return lib
            .summaries
            .iter()
            .filter(|s| passes(s))
            .map(|s| s.id)
            .collect();
    }
    // Position in the library (newest first) breaks ties.
    let mut scores: HashMap<SnippetId, (f32, usize)> = HashMap::new();
    let best_bm25 = bm25.iter().map(|h| h.score).fold(0.0f32, f32::max);
    for hit in bm25 {
        if let Some(&pos) = lib.position.get(&hit.id) {
            let norm = if best_bm25 > 0.0 {
                hit.score / best_bm25
            } else {
                1.0
            };
            scores.insert(hit.id, (norm, pos));
        }
    }
    let pattern = Pattern::parse(&free.join(" "), CaseMatching::Smart, Normalization::Smart);
    let terms = Terms::from_query(query);
    let mut fuzzy: Vec<(SnippetId, usize, u32)> = Vec::new();
    for (pos, (s, hay)) in lib.summaries.iter().zip(&lib.haystacks).enumerate() {
        if let Some(score) = pattern.score(hay.slice(..), matcher) {
            // nucleo alone takes letters strewn anywhere; keep only what
            // the list can show as a reason.
            if passes(s) && terms.all_match(&lib.plain[pos]) {
                fuzzy.push((s.id, pos, score));
            }
        }
    }
    let best_fuzzy = fuzzy.iter().map(|f| f.2).max().unwrap_or(0).max(1) as f32;
    for (id, pos, score) in fuzzy {
        scores.entry(id).or_insert((0.0, pos)).0 += score as f32 / best_fuzzy;
    }
    let mut ranked: Vec<(SnippetId, f32, usize)> =
        scores.into_iter().map(|(id, (s, p))| (id, s, p)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    ranked.truncate(SEARCH_LIMIT);
    ranked.into_iter().map(|(id, ..)| id).collect()
}

/// Run searches off the UI thread. Only the newest waiting request is
/// answered: typing fast never queues up stale work. The worker exits when
/// either channel closes.
pub fn spawn_worker(
    index: Arc<SearchIndex>,
    events: Sender<AppEvent>,
) -> std::io::Result<Sender<SearchRequest>> {
    let (tx, rx) = mpsc::channel::<SearchRequest>();
    std::thread::Builder::new()
        .name("snipdex-search".into())
        .spawn(move || worker(&index, &rx, &events))?;
    Ok(tx)
}

fn worker(index: &SearchIndex, requests: &Receiver<SearchRequest>, events: &Sender<AppEvent>) {
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut prepared: Option<Prepared> = None;
    while let Ok(mut request) = requests.recv() {
        while let Ok(newer) = requests.try_recv() {
            request = newer;
        }
        let parsed = parse_query(&request.query);
        let hits = if parsed.words.is_empty() && parsed.phrases.is_empty() {
            Vec::new()
        } else {
            match index.search(&request.query, SEARCH_LIMIT) {
                Ok(hits) => hits,
                Err(e) => {
                    // Fuzzy matching still answers; say why ranking is thin.
                    let msg = format!("Search index failed: {e}");
                    if events.send(AppEvent::Error(msg)).is_err() {
                        return;
                    }
                    Vec::new()
                }
            }
        };
        let lib = match prepared.take() {
            Some(p) if p.is_for(&request.summaries) => p,
            _ => Prepared::new(Arc::clone(&request.summaries)),
        };
        let ids = rank(&request.query, &hits, &lib, &mut matcher);
        prepared = Some(lib);
        let answer = AppEvent::SearchResults {
            query: request.query,
            hits: ids,
        };
        if events.send(answer).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn sum(id: i64, title: &str, lang: &str, tags: &[&str], path: Option<&str>) -> SnippetSummary {
        SnippetSummary {
            language: lang.into(),
            path: path.map(PathBuf::from),
            ..crate::app::testkit::summary(id, title, tags)
        }
    }

    fn library() -> Prepared {
        Prepared::new(Arc::new(vec![
            sum(1, "Read a file to string", "rust", &["io", "fs"], None),
            sum(
                2,
                "HTTP GET with retries",
                "python",
                &["http"],
                Some("net/get.py"),
            ),
            sum(
                3,
                "Parse JSON config",
                "rust",
                &["json"],
                Some("cfg/parse.rs"),
            ),
            sum(4, "Reverse a list", "python", &["list"], None),
        ]))
    }

    #[test]
    fn fuzzy_abbreviations_find_titles() {
        let mut m = Matcher::new(Config::DEFAULT);
        let ids = rank("rdfl", &[], &library(), &mut m);
        assert_eq!(ids.first(), Some(&1), "{ids:?}");
        assert!(!ids.contains(&2));
    }

    #[test]
    fn fuzzy_noise_is_not_listed() {
        let mut m = Matcher::new(Config::DEFAULT);
        let lib = Prepared::new(Arc::new(vec![
            sum(1, "Read a whole file into memory", "rust", &["io"], None),
            sum(2, "Run a command in every subfolder", "shell", &[], None),
            sum(3, "Retry with backoff", "python", &["retry"], None),
            sum(4, "Debug print a struct", "rust", &["debug"], None),
        ]));
        assert_eq!(rank("retry", &[], &lib, &mut m), vec![3]);
        assert_eq!(rank("deb", &[], &lib, &mut m), vec![4]);
    }

    #[test]
    fn bm25_and_fuzzy_merge_with_agreement_first() {
        let mut m = Matcher::new(Config::DEFAULT);
        // The index found 3 (body match) and 1; fuzzy finds only 1.
        let bm25 = [Hit { id: 3, score: 8.0 }, Hit { id: 1, score: 6.0 }];
        let ids = rank("read", &bm25, &library(), &mut m);
        assert_eq!(ids[0], 1, "found by both: {ids:?}");
        assert!(ids.contains(&3), "index-only hits stay: {ids:?}");
    }

    #[test]
    fn filters_apply_to_fuzzy_matches_and_alone() {
        let mut m = Matcher::new(Config::DEFAULT);
        let lib = library();
        assert_eq!(rank("lang:py", &[], &lib, &mut m), vec![2, 4]);
        assert_eq!(rank("tag:json", &[], &lib, &mut m), vec![3]);
        assert_eq!(
            rank("TAG:js", &[], &lib, &mut m),
            vec![3],
            "a prefix of a tag"
        );
        assert_eq!(rank("tag:i", &[], &lib, &mut m), vec![1]);
        assert_eq!(rank("Lang:Python", &[], &lib, &mut m), vec![2, 4]);
        assert_eq!(rank("path:NET", &[], &lib, &mut m), vec![2]);
        assert_eq!(rank("-lang:rust", &[], &lib, &mut m), vec![2, 4]);
        let ids = rank("re lang:python", &[], &lib, &mut m);
        assert!(ids.iter().all(|id| [2, 4].contains(id)), "{ids:?}");
        assert!(ids.contains(&4));
    }

    #[test]
    fn worker_answers_the_latest_query_and_exits_when_ui_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open_in_memory().unwrap();
        store
            .insert(&crate::domain::NewSnippet {
                title: "Read a file".into(),
                content: "std::fs::read_to_string(path)".into(),
                language: "rust".into(),
                ..Default::default()
            })
            .unwrap();
        let index = Arc::new(SearchIndex::open_synced(dir.path(), &store).unwrap());
        let summaries = Arc::new(store.summaries().unwrap());
        let (etx, erx) = mpsc::channel();
        let tx = spawn_worker(index, etx).unwrap();
        tx.send(SearchRequest {
            query: "read_to_string".into(),
            summaries: summaries.clone(),
        })
        .unwrap();
        match erx
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap()
        {
            AppEvent::SearchResults { query, hits } => {
                assert_eq!(query, "read_to_string");
                assert_eq!(hits.len(), 1, "found through the body only the index sees");
            }
            other => panic!("unexpected {other:?}"),
        }
        drop(tx);
        assert!(erx
            .recv_timeout(std::time::Duration::from_secs(10))
            .is_err());
    }
}
