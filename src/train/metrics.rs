//! Evaluation metrics, defined like the tools whose numbers they are compared
//! with, so that a score here means what it means in a paper.
//!
//! - [`sentence_bleu`] / [`mean_bleu`]: smoothed BLEU-4 exactly as
//!   CodeXGLUE's code-to-text evaluator computes it (`evaluator.py` with
//!   `bleu.py`): lowercase, split into words and single punctuation
//!   characters, per sentence add-one smoothing of the 2- to 4-gram
//!   precisions (not of the unigram one), brevity penalty
//!   `min(0, 1 - (ref_len + 1) / (hyp_len + 1))`, averaged over sentences and
//!   reported ×100.
//! - [`rouge_l`]: ROUGE-L as Google's `rouge_score` (and Hugging Face
//!   `evaluate`) report it: the F1 (beta = 1) of precision and recall of the
//!   longest common subsequence of lowercased `[a-z0-9]+` tokens, no stemming.
//! - [`set_scores`]: precision, recall and F1 of one example's predicted set
//!   against its reference set (tags, API names); callers average these per
//!   example (a macro average over examples of per-example micro scores).
//! - [`is_wellformed_https`], [`same_page`]: for the link task, which must
//!   only ever produce absolute https URLs and should find the pages a person
//!   would link.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The version of the metrics' definitions. A change that moves any score
/// bumps it, so that scores of different versions are never compared
/// unawares; reports and the test ledger record it. 1: tag F1 counted the
/// language as a tag. 2: it left out the language and every name the
/// language alias table maps to it, databases such as `postgresql` on SQL
/// included (one test score, superseded the same day). 3: it leaves out the
/// language and its other names only. 4: tags are also compared through the
/// tag vocabulary (`assets/tags.toml`), synonyms mapped to one form, on
/// both sides.
pub const METRICS_VERSION: u32 = 4;

const MAX_ORDER: usize = 4;

/// CodeXGLUE's tokenisation for BLEU: lowercase, then runs of word
/// characters and single other non-space characters (`[\w]+|[^\s\w]`). The
/// NIST normalisation that `bleu.py` applies afterwards changes nothing on
/// text split this way.
pub fn bleu_tokens(text: &str) -> Vec<String> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if is_word(c) {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}

fn ngram_counts(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut counts = HashMap::new();
    for gram in tokens.windows(n) {
        *counts.entry(gram).or_insert(0) += 1;
    }
    counts
}

/// Smoothed sentence BLEU-4 of `hypothesis` against one `reference`, in
/// `[0, 1]`, following CodeXGLUE's `bleu.py` step for step (including its
/// quirk that an empty hypothesis scores `exp(-ref_len)`, not 0).
pub fn sentence_bleu(hypothesis: &str, reference: &str) -> f64 {
    let hyp = bleu_tokens(hypothesis);
    let reference = bleu_tokens(reference);
    // `bleu.py` adds the smallest positive double inside each logarithm so
    // that a zero unigram match gives a huge negative log instead of -inf.
    let tiny = f64::MIN_POSITIVE;
    let mut log_bleu = 0.0;
    for n in 1..=MAX_ORDER {
        let guess = (hyp.len() + 1).saturating_sub(n) as f64;
        let ref_counts = ngram_counts(&reference, n);
        let correct: usize = ngram_counts(&hyp, n)
            .into_iter()
            .map(|(gram, count)| count.min(ref_counts.get(gram).copied().unwrap_or(0)))
            .sum();
        let smooth = if n > 1 { 1.0 } else { 0.0 };
        log_bleu += (correct as f64 + smooth + tiny).ln() - (guess + smooth + tiny).ln();
    }
    log_bleu /= MAX_ORDER as f64;
    let brevity = (1.0 - (reference.len() as f64 + 1.0) / (hyp.len() as f64 + 1.0)).min(0.0);
    (log_bleu + brevity).exp()
}

/// The mean sentence BLEU of `(hypothesis, reference)` pairs ×100, as
/// CodeXGLUE reports it; 0 for no pairs.
pub fn mean_bleu<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> f64 {
    mean(pairs.into_iter().map(|(h, r)| sentence_bleu(h, r))) * 100.0
}

/// `rouge_score`'s tokenisation: lowercase, everything but `[a-z0-9]` is a
/// separator.
pub fn rouge_tokens(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Length of the longest common subsequence of two token lists.
pub fn lcs_len<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// ROUGE-L F1 in `[0, 1]`; 0 when either side has no tokens.
pub fn rouge_l(hypothesis: &str, reference: &str) -> f64 {
    let hyp = rouge_tokens(hypothesis);
    let reference = rouge_tokens(reference);
    if hyp.is_empty() || reference.is_empty() {
        return 0.0;
    }
    let lcs = lcs_len(&hyp, &reference) as f64;
    f1(lcs / hyp.len() as f64, lcs / reference.len() as f64)
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// Mean of the values; 0 when there are none.
pub fn mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// Precision, recall and F1 of one example's set prediction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SetScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Scores the distinct items of `predicted` against those of `reference`
/// (items compared as given: normalise them first). An empty prediction has
/// precision 0; an empty reference gives recall 1 only if nothing was
/// predicted either.
pub fn set_scores(predicted: &[String], reference: &[String]) -> SetScores {
    let mut pred: Vec<&String> = predicted.iter().collect();
    pred.sort();
    pred.dedup();
    let mut gold: Vec<&String> = reference.iter().collect();
    gold.sort();
    gold.dedup();
    let hits = pred
        .iter()
        .filter(|p| gold.binary_search(p).is_ok())
        .count() as f64;
    let precision = if pred.is_empty() {
        if gold.is_empty() {
            1.0
        } else {
            0.0
        }
    } else {
        hits / pred.len() as f64
    };
    let recall = if gold.is_empty() {
        precision
    } else {
        hits / gold.len() as f64
    };
    SetScores {
        precision,
        recall,
        f1: f1(precision, recall),
    }
}

/// Averages per-example set scores field by field.
pub fn mean_set_scores(scores: &[SetScores]) -> SetScores {
    SetScores {
        precision: mean(scores.iter().map(|s| s.precision)),
        recall: mean(scores.iter().map(|s| s.recall)),
        f1: mean(scores.iter().map(|s| s.f1)),
    }
}

/// An absolute `https` URL with a dotted host and nothing that a browser
/// would have to guess about (spaces, credentials).
pub fn is_wellformed_https(link: &str) -> bool {
    if link.chars().any(char::is_whitespace) {
        return false;
    }
    match url::Url::parse(link) {
        Ok(url) => {
            url.scheme() == "https"
                && url.username().is_empty()
                && url.password().is_none()
                && url
                    .host_str()
                    .is_some_and(|h| h.contains('.') && !h.starts_with('.') && !h.ends_with('.'))
        }
        Err(_) => false,
    }
}

/// Whether two URLs name the same documentation page: equal after dropping
/// the fragment and a trailing `/`, case-insensitive in scheme and host.
pub fn same_page(a: &str, b: &str) -> bool {
    fn key(link: &str) -> String {
        match url::Url::parse(link.trim()) {
            Ok(mut url) => {
                url.set_fragment(None);
                url.as_str().trim_end_matches('/').to_owned()
            }
            Err(_) => link.trim().trim_end_matches('/').to_owned(),
        }
    }
    key(a) == key(b)
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
