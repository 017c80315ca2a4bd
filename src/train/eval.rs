//! Evaluation: generate each row's answer the way enrichment does, clean it
//! with the task's clean-up, and score what a user would see.
//!
//! Generation follows [`crate::enrich::engine::Enricher`] step for step
//! (prefill the prefix with the base model, generate the suffix with the
//! adapter, the same answer budgets and clean-up, links through the
//! resolver) but runs on an adapter in memory rather than on the adapter
//! folders the `Enricher` locates, so that `snipdex train --eval` scores the
//! adapter it just trained, wherever it was written. An adapter without
//! `alora_invocation_tokens` in its config was trained as classic LoRA
//! (`--standard`) and is applied over the whole prompt, which the
//! `Enricher`'s shared prefill cannot do.

use serde::{Deserialize, Serialize};

use super::data::{Dataset, Row};
use super::encode::Encoder;
use super::error::TrainError;
use super::metrics::{
    is_wellformed_https, mean, mean_set_scores, rouge_l, same_page, sentence_bleu, set_scores,
    SetScores, METRICS_VERSION,
};
pub(crate) use crate::enrich::clean::is_language_tag;
use crate::enrich::clean::{
    answer_tags, clean, clean_title_for_file, clean_topic_tags, Cleaned, TagContext,
};
use crate::enrich::engine::max_tokens;
use crate::enrich::links::embedded_table;
use crate::enrich::{resolve_links, Prompts, Task, Vocabulary};
use crate::model::{Adapter, GenerateOptions, Generation, LengthFloor, Model};

/// Settings of an evaluation run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalOptions {
    /// Rows to evaluate, from the start of the file; all when `None`.
    pub limit: Option<usize>,
    /// Answer token budget; enrichment's budget for the task when `None`.
    pub max_tokens: Option<usize>,
    /// A soft minimum answer length `(tokens, penalty)` to try (see
    /// [`LengthFloor`]); enrichment decodes without one, as does `None` or
    /// `Some((0, _))`.
    pub length_floor: Option<(usize, f32)>,
}

/// What the model produced for one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prediction {
    /// Raw model output.
    pub raw: String,
    /// The cleaned value as stored (a list joined with `, `); empty when
    /// rejected.
    pub value: String,
    /// Why the clean-up rejected the output, if it did.
    pub rejected: Option<String>,
    /// Links built by the resolver (links task only).
    pub links: Vec<String>,
}

/// Scores over the evaluated rows; fields not measured for the task are
/// `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    pub examples: usize,
    /// Outputs the clean-up rejected (scored as empty answers).
    pub rejected: usize,
    /// CodeXGLUE smoothed BLEU-4, ×100.
    pub bleu: Option<f64>,
    /// ROUGE-L F1.
    pub rouge_l: Option<f64>,
    /// Tags against the reference tags, averaged per example, both sides
    /// through the vocabulary and without the row's language.
    pub tags: Option<SetScores>,
    /// Share of the tags the model wrote (before clean-up, the language
    /// left out) that are neither in the vocabulary nor the name of a real
    /// library (one the doc-link table lists).
    #[serde(default)]
    pub tags_outside_vocabulary: Option<f64>,
    /// API names against the reference names, averaged per example.
    pub names: Option<SetScores>,
    /// Share of produced links that are well-formed https URLs.
    pub links_wellformed: Option<f64>,
    /// Share of expected documentation pages found, over rows listing some.
    pub links_found: Option<f64>,
}

impl Scores {
    /// `(name, value)` pairs for tables, in a fixed order.
    pub fn table(&self) -> Vec<(&'static str, String)> {
        let mut rows = vec![
            ("examples", self.examples.to_string()),
            ("rejected", self.rejected.to_string()),
        ];
        let pct = |v: f64| format!("{:.1}%", v * 100.0);
        let mut set = |name: [&'static str; 3], s: &Option<SetScores>| {
            if let Some(s) = s {
                rows.push((name[0], format!("{:.3}", s.precision)));
                rows.push((name[1], format!("{:.3}", s.recall)));
                rows.push((name[2], format!("{:.3}", s.f1)));
            }
        };
        set(["tag precision", "tag recall", "tag F1"], &self.tags);
        set(["name precision", "name recall", "name F1"], &self.names);
        if let Some(v) = self.tags_outside_vocabulary {
            rows.push(("model tags outside vocabulary", pct(v)));
        }
        if let Some(v) = self.bleu {
            rows.push(("smoothed BLEU-4", format!("{v:.2}")));
        }
        if let Some(v) = self.rouge_l {
            rows.push(("ROUGE-L F1", format!("{v:.3}")));
        }
        if let Some(v) = self.links_wellformed {
            rows.push(("well-formed https links", pct(v)));
        }
        if let Some(v) = self.links_found {
            rows.push(("expected pages found", pct(v)));
        }
        rows
    }
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub task: String,
    /// False for the base model (zero-shot).
    pub adapter: bool,
    pub scores: Scores,
    pub predictions: Vec<Prediction>,
    pub elapsed_secs: f64,
    /// [`METRICS_VERSION`] of the scores.
    pub metrics_version: u32,
    /// The split of the rows (see [`super::split::data_split`]).
    pub split: String,
}

/// Generates and scores `data` (the first `opts.limit` rows) with `adapter`,
/// or zero-shot without one. `on_row(done, total)` reports progress.
pub fn evaluate(
    model: &Model,
    prompts: &Prompts,
    data: &Dataset,
    adapter: Option<&Adapter>,
    opts: &EvalOptions,
    on_row: &mut dyn FnMut(usize, usize),
) -> Result<EvalReport, TrainError> {
    let started = std::time::Instant::now();
    let task = data.task;
    let encoder = Encoder::new(model.tokenizer(), prompts, task)?;
    let trained_on = adapter.and_then(|a| a.config().alora_invocation_tokens.as_deref());
    if trained_on.is_some_and(|tokens| tokens != encoder.invocation()) {
        tracing::warn!(
            %task,
            "the adapter was trained with another task invocation than the current prompts"
        );
    }
    let gen_opts = generate_options(model, task, opts);
    let rows: Vec<&Row> = data
        .rows
        .iter()
        .take(opts.limit.unwrap_or(usize::MAX))
        .collect();
    let mut predictions = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        predictions.push(predict(model, &encoder, task, row, adapter, &gen_opts)?);
        on_row(i + 1, rows.len());
    }
    Ok(EvalReport {
        task: task.to_string(),
        adapter: adapter.is_some(),
        scores: score(task, &rows, &predictions),
        predictions,
        elapsed_secs: started.elapsed().as_secs_f64(),
        metrics_version: METRICS_VERSION,
        split: super::split::data_split(&data.path, &data.rows)?
            .as_str()
            .to_owned(),
    })
}

fn predict(
    model: &Model,
    encoder: &Encoder<'_>,
    task: Task,
    row: &Row,
    adapter: Option<&Adapter>,
    opts: &GenerateOptions,
) -> Result<Prediction, TrainError> {
    let raw = generate_row(model, encoder, row, adapter, opts)?.text;
    Ok(prediction(task, row, raw))
}

/// `raw`, the model's answer for `row`, cleaned as in enrichment (so the
/// value is what a user would see), with its links.
pub(crate) fn prediction(task: Task, row: &Row, raw: String) -> Prediction {
    let cleaned = match task {
        Task::Tags => {
            let vocabulary = Vocabulary::shipped();
            let libraries = embedded_table()
                .map(|t| t.code_libraries(&row.code, &row.language))
                .unwrap_or_default();
            let cx = TagContext {
                vocabulary,
                language: &row.language,
                libraries: &libraries,
            };
            clean_topic_tags(&raw, &cx).map(Cleaned::Tags)
        }
        Task::Title => {
            clean_title_for_file(&raw, &row.code, row.file_name.as_deref()).map(Cleaned::Title)
        }
        _ => clean(task, &raw, &row.code),
    };
    let (value, rejected, names) = match cleaned {
        Ok(Cleaned::Title(s)) | Ok(Cleaned::Description(s)) => (s, None, Vec::new()),
        Ok(Cleaned::Tags(tags)) => (tags.join(", "), None, Vec::new()),
        Ok(Cleaned::LinkNames(names)) => (names.join(", "), None, names),
        Err(e) => (String::new(), Some(e.reason().to_owned()), Vec::new()),
    };
    // Imports alone give links even when the model's names were rejected,
    // as in enrichment.
    let links = if task == Task::Links {
        resolve_links(&row.code, &row.language, &names)
    } else {
        Vec::new()
    };
    Prediction {
        raw,
        value,
        rejected,
        links,
    }
}

/// A row's answer as enrichment generates it: the prefix prefilled by the
/// base model, the adapter from the task invocation on (or over the whole
/// prompt for an adapter trained as classic LoRA).
pub(crate) fn generate_row(
    model: &Model,
    encoder: &Encoder<'_>,
    row: &Row,
    adapter: Option<&Adapter>,
    opts: &GenerateOptions,
) -> Result<Generation, TrainError> {
    let prefix = encoder.prefix(row)?;
    Ok(if whole_prompt(adapter) {
        let mut prompt = prefix;
        prompt.extend_from_slice(encoder.invocation());
        model.generate_unshared(&prompt, 0, adapter, opts)?
    } else {
        let cache = model.prefill(&prefix)?;
        model.generate(&cache, encoder.invocation(), adapter, opts)?
    })
}

/// Whether `adapter` acts on the whole prompt (classic LoRA) rather than
/// from the task invocation on.
pub(crate) fn whole_prompt(adapter: Option<&Adapter>) -> bool {
    adapter.is_some_and(|a| a.config().alora_invocation_tokens.is_none())
}

/// The generation options of an evaluation of `task`.
pub(crate) fn generate_options(model: &Model, task: Task, opts: &EvalOptions) -> GenerateOptions {
    GenerateOptions {
        max_tokens: opts.max_tokens.unwrap_or(max_tokens(task)),
        floor: opts
            .length_floor
            .filter(|&(tokens, _)| tokens > 0)
            .map(|(min_tokens, penalty)| LengthFloor {
                min_tokens,
                end_ids: model.tokenizer().sentence_end_ids(),
                penalty,
            }),
        ..GenerateOptions::default()
    }
}

/// Tags as compared: through the vocabulary, without the row's language
/// (a field of its own, and a free hit on every row if counted), each once.
fn comparable_tags(tags: Vec<String>, language: &str) -> Vec<String> {
    let vocabulary = Vocabulary::shipped();
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags.iter().filter(|t| !is_language_tag(t, language)) {
        let tag = vocabulary.canonical_or_self(tag);
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// Share of the model's own tags (its raw answers, the language left out)
/// that neither the vocabulary nor the doc-link table's libraries know;
/// `None` when the model wrote no tags at all.
fn outside_vocabulary(rows: &[&Row], predictions: &[Prediction]) -> Option<f64> {
    let vocabulary = Vocabulary::shipped();
    let libraries = embedded_table()
        .map(|t| t.library_tags())
        .unwrap_or_default();
    let (mut written, mut outside) = (0usize, 0usize);
    for (row, p) in rows.iter().zip(predictions) {
        let tags = answer_tags(&p.raw).unwrap_or_default();
        for tag in tags.iter().filter(|t| !is_language_tag(t, &row.language)) {
            written += 1;
            outside += usize::from(vocabulary.canonical(tag).is_none() && !libraries.contains(tag));
        }
    }
    (written > 0).then(|| outside as f64 / written as f64)
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(", ")
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Task metrics of `predictions` against their `rows` (same order).
pub(crate) fn score(task: Task, rows: &[&Row], predictions: &[Prediction]) -> Scores {
    let mut scores = Scores {
        examples: predictions.len(),
        rejected: predictions.iter().filter(|p| p.rejected.is_some()).count(),
        ..Scores::default()
    };
    let pairs = || rows.iter().zip(predictions);
    match task {
        Task::Title | Task::Description => {
            let reference = |r: &Row| r.target(task).unwrap_or_default();
            scores.bleu =
                Some(100.0 * mean(pairs().map(|(r, p)| sentence_bleu(&p.value, &reference(r)))));
            scores.rouge_l = Some(mean(pairs().map(|(r, p)| rouge_l(&p.value, &reference(r)))));
        }
        Task::Tags => {
            // Version 3 left the language out; version 4 also compares
            // tags through the vocabulary, so `dicts` matches `dictionary`.
            let each: Vec<SetScores> = pairs()
                .map(|(r, p)| {
                    set_scores(
                        &comparable_tags(split_list(&p.value), &r.language),
                        &comparable_tags(r.reference_tags(), &r.language),
                    )
                })
                .collect();
            scores.tags = Some(mean_set_scores(&each));
            scores.tags_outside_vocabulary = outside_vocabulary(rows, predictions);
        }
        Task::Links => {
            let each: Vec<SetScores> = pairs()
                .map(|(r, p)| {
                    let gold: Vec<String> = r
                        .reference_apis()
                        .iter()
                        .map(|s| s.to_lowercase())
                        .collect();
                    set_scores(&split_list(&p.value), &gold)
                })
                .collect();
            scores.names = Some(mean_set_scores(&each));
            let produced: Vec<&String> = predictions.iter().flat_map(|p| &p.links).collect();
            if !produced.is_empty() {
                let good = produced.iter().filter(|l| is_wellformed_https(l)).count();
                scores.links_wellformed = Some(good as f64 / produced.len() as f64);
            }
            let (mut expected, mut found) = (0usize, 0usize);
            for (r, p) in pairs() {
                for want in r.links.iter().flatten() {
                    expected += 1;
                    found += usize::from(p.links.iter().any(|got| same_page(got, want)));
                }
            }
            if expected > 0 {
                scores.links_found = Some(found as f64 / expected as f64);
            }
        }
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prediction(value: &str) -> Prediction {
        Prediction {
            raw: value.to_owned(),
            value: value.to_owned(),
            rejected: None,
            links: Vec::new(),
        }
    }

    fn row(language: &str, tags: &[&str]) -> Row {
        Row {
            code: "x".into(),
            language: language.into(),
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            ..Row::default()
        }
    }

    #[test]
    fn the_language_is_no_tag_on_either_side() {
        let rows = [
            row("python", &["python", "json", "file-io"]),
            row("python", &["python", "json"]),
        ];
        let refs: Vec<&Row> = rows.iter().collect();
        // `py` is python's alias: no more a hit than `python` itself.
        let preds = [prediction("py, json, io"), prediction("python")];
        let tags = score(Task::Tags, &refs, &preds).tags.unwrap();
        // Row 1: {json, io} against {json, file-io}; through the vocabulary
        // `io` is `file-io`, so both tags hit. Row 2: nothing topical
        // predicted against {json}: 0. Counted as tags, the language would
        // have given row 2 a hit.
        assert!((tags.precision - 0.5).abs() < 1e-9, "{tags:?}");
        assert!((tags.recall - 0.5).abs() < 1e-9, "{tags:?}");
        assert!((tags.f1 - 0.5).abs() < 1e-9, "{tags:?}");
        assert!(is_language_tag("C++", "cpp"));
        assert!(is_language_tag("bash", "shell"));
        assert!(!is_language_tag("c", "cpp"));
        assert!(!is_language_tag("json", "python"));
        // A database on SQL code, or Node on JavaScript, is a topic.
        assert!(!is_language_tag("postgresql", "sql"));
        assert!(!is_language_tag("sqlite", "sql"));
        assert!(!is_language_tag("node", "javascript"));
    }
}
